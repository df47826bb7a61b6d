// The SPANK plugin's options, turned into a `launcher run` command line. Pure functions: the
// plugin (inside srun and slurmstepd) and spank-run share them, and the unit tests run them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cinit::spank {

// The job's environment carries the launcher command from the plugin to spank-run: slurmstepd
// execs the task with the job's argv, which a plugin cannot lengthen (see plugin.cpp).
constexpr const char* env_run = "CINIT_SPANK_RUN";     // launcher argv up to IMAGE, '\n'-joined
constexpr const char* env_argv0 = "CINIT_SPANK_ARGV0"; // the task's own argv[0]

struct ContainerOptions {
  std::string image;   // --container-image: a stored name, a registry reference, or a path
  std::string mounts;  // --container-mounts: SRC[:DST[:ro|rw]][,...]
  std::string workdir; // --container-workdir: an absolute path inside
};

// "" when `value` is a valid argument of that option, else the problem (no option name).
std::string image_error(std::string_view image);
std::string mounts_error(std::string_view mounts);
std::string workdir_error(std::string_view workdir);

// {launcher, "run", -v..., -w..., IMAGE}: the command line before `-- CMD ARGS`. IMAGE goes
// as given: a path (an archive or image directory on the node) is the launcher's to import on
// first use. `script` (a batch job's script, or empty) is bound read-only at its own path, so
// that the job runs it inside.
std::vector<std::string> launcher_argv(const std::string& launcher, const ContainerOptions& opts,
                                       const std::string& script);

// '\n'-joined: none of the parts may hold a newline (the options refuse them).
std::string join_lines(const std::vector<std::string>& parts);
std::vector<std::string> split_lines(std::string_view text);

} // namespace cinit::spank
