// The SPANK plugin's options, turned into a `launcher run` command line. Pure functions: the
// plugin (inside srun and slurmstepd) and spank-run share them, and the unit tests run them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cinit::spank {

// The job's environment carries the launcher command from the plugin to spank-run: slurmstepd
// execs the task with the job's argv, which a plugin cannot lengthen (see plugin.cpp).
constexpr const char* env_run = "CINIT_SPANK_RUN";       // launcher argv up to IMAGE, '\n'-joined
constexpr const char* env_argv0 = "CINIT_SPANK_ARGV0";   // the task's own argv[0]
constexpr const char* env_import = "CINIT_SPANK_IMPORT"; // archive to import as IMAGE first

struct ContainerOptions {
  std::string image;   // --container-image: a stored name, a registry reference, or a path
  std::string mounts;  // --container-mounts: SRC[:DST[:ro|rw]][,...]
  std::string workdir; // --container-workdir: an absolute path inside
};

// "" when `value` is a valid argument of that option, else the problem (no option name).
std::string image_error(std::string_view image);
std::string mounts_error(std::string_view mounts);
std::string workdir_error(std::string_view workdir);

// An image given as a file on the node (an archive or an image directory): it starts with '/'
// or '.', which no image name or registry reference does.
bool image_is_path(std::string_view image);

// The store name an archive is imported under: its file name and a hash of its real path,
// size and modification time, so that a replaced archive is imported again.
std::string archive_image_name(std::string_view real_path, long long size, long long mtime_ns);

// {launcher, "run", -v..., -w..., image}: the command line before `-- CMD ARGS`. `image` is
// the name to run (an archive's store name, once imported). `script` (a batch job's script,
// or empty) is bound read-only at its own path, so that the job runs it inside.
std::vector<std::string> launcher_argv(const std::string& launcher, const ContainerOptions& opts,
                                       const std::string& image, const std::string& script);

// '\n'-joined: none of the parts may hold a newline (the options refuse them).
std::string join_lines(const std::vector<std::string>& parts);
std::vector<std::string> split_lines(std::string_view text);

} // namespace cinit::spank
