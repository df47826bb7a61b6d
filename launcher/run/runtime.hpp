// `launcher run`: prepares everything on the host side, clones the container's first process
// into new user/mount/pid/uts/ipc(/net) namespaces, and relays signals and the exit status.
#pragma once

#include "launcher/cli.hpp"
#include "launcher/config.hpp"
#include "launcher/image/oci.hpp"
#include "launcher/image/store.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace cinit::launcher {

// The command: Entrypoint + (CLI command, else the image's Cmd), as docker composes them.
std::vector<std::string> container_command(const ImageConfig& cfg,
                                           const std::vector<std::string>& cli_command);

// A variable of the job that runs us, passed into every container: SLURM_*, SLURMD_* (Slurm's
// task description), PMI_*, PMIX_* (the process manager's wire-up), OMPI_* (Open MPI's
// launcher), so that an MPI program in the image can rank itself.
bool is_job_variable(std::string_view name);

// The environment: the image's Env, then PATH/HOME/HOSTNAME defaults where unset, then the
// job's variables from `host_environ` (is_job_variable), then -e (K=V, or K copied from the
// host when set there). "NAME=value" strings.
std::vector<std::string> container_env(const std::vector<std::string>& image_env,
                                       const std::vector<std::string>& cli_env,
                                       const std::string& hostname,
                                       const char* const* host_environ);

// Runs the container and returns the launcher's exit status: the command's, 128+N for a
// signal, 125 when the launcher itself fails (SysError is thrown before the clone).
int run_container(const Store& store, const Config& cfg, const RunOptions& opts);

} // namespace cinit::launcher
