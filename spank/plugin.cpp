// spank_launcher.so: `srun --container-image=IMG cmd` (and sbatch) runs the task as
// `launcher run IMG -- cmd`, so that it behaves exactly as `srun launcher run IMG -- cmd`.
// Loaded by srun, sbatch and slurmstepd; it never throws into Slurm and never exits.
//
// How the task becomes the launcher: slurmstepd execs the task's argv after the plugins'
// task_init, the TaskProlog, TMPDIR and the propagated rlimits (src/slurmd/slurmstepd/task.c,
// 22.05). A plugin may rewrite argv's entries but cannot lengthen the array, and exec'ing from
// task_init would skip those last steps. So task_init points argv[0] at spank-run (next to this
// file) and leaves the launcher's arguments and the task's own argv[0] in the job's
// environment; spank-run execs `launcher run ... IMG -- argv0 ARGS`.
#include "spank/options.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <exception>
#include <string>
#include <string_view>

extern "C" {
#include <slurm/slurm.h>
#include <slurm/spank.h>

// SPANK_PLUGIN(launcher, 1), spelt out: in C++ a namespace-scope const has internal linkage,
// and the plugin loader finds these by dlsym().
extern const char plugin_name[] = "launcher";
extern const char plugin_type[] = "spank";
extern const unsigned int plugin_version = SLURM_VERSION_NUMBER;
extern const unsigned int spank_plugin_version = 1;
}

namespace {

using namespace cinit::spank;

enum OptionId { opt_image = 1, opt_mounts, opt_workdir };

int check_option(int val, const char* optarg, int remote);

// spank_option's fields are `char*`: writable arrays rather than casts of literals.
char name_image[] = "container-image";
char arg_image[] = "IMAGE";
char usage_image[] = "[launcher] run the task in a container of IMAGE: an image in the launcher's "
                     "store, a registry reference (pulled on first use), or the path of an "
                     "archive or image directory on the node, starting with / or ./ (imported "
                     "on first use)";
char name_mounts[] = "container-mounts";
char arg_mounts[] = "SRC[:DST[:ro|rw]],...";
char usage_mounts[] = "[launcher] bind mounts into the container (absolute paths)";
char name_workdir[] = "container-workdir";
char arg_workdir[] = "DIR";
char usage_workdir[] = "[launcher] working directory inside the container";

spank_option options[] = {
    {name_image, arg_image, usage_image, 1, opt_image, check_option},
    {name_mounts, arg_mounts, usage_mounts, 1, opt_mounts, check_option},
    {name_workdir, arg_workdir, usage_workdir, 1, opt_workdir, check_option},
};

// From plugstack.conf (`launcher=PATH`), set once by slurm_spank_init; empty: the default.
std::string launcher_path;

std::string option_error(int val, const char* value) {
  const std::string_view v = value == nullptr ? "" : value;
  switch (val) {
  case opt_image:
    return image_error(v);
  case opt_mounts:
    return mounts_error(v);
  case opt_workdir:
    return workdir_error(v);
  default:
    return "unknown option";
  }
}

const char* option_name(int val) {
  for (const spank_option& o : options)
    if (o.val == val)
      return o.name;
  return "?";
}

// Runs in srun and sbatch as the options are parsed, and again in slurmstepd: a bad value
// stops the job before it is queued.
int check_option(int val, const char* optarg, int /*remote*/) {
  const std::string err = option_error(val, optarg);
  if (err.empty())
    return 0;
  slurm_error("launcher: --%s: %s", option_name(val), err.c_str());
  return -1;
}

// The option's value, or "" when it was not given.
std::string option_value(spank_t sp, spank_option& opt) {
  char* value = nullptr;
  if (spank_option_getopt(sp, &opt, &value) != ESPANK_SUCCESS || value == nullptr)
    return {};
  return value;
}

// The directory this plugin was loaded from (PREFIX/lib/cinit, or build/lib/cinit), with a
// trailing '/'; empty if unknown.
std::string plugin_dir() {
  Dl_info info{};
  if (::dladdr(reinterpret_cast<void*>(&plugin_dir), &info) == 0 || info.dli_fname == nullptr)
    return {};
  const std::string self = info.dli_fname;
  return self.substr(0, self.rfind('/') + 1);
}

// `make install` puts the launcher in PREFIX/bin, as `make` does in build/bin.
std::string default_launcher(const std::string& dir) {
  return dir + "../../bin/launcher";
}

int fail(const std::string& msg) {
  slurm_error("launcher: %s", msg.c_str());
  return -1;
}

int set_env(spank_t sp, const char* name, const std::string& value) {
  if (const spank_err_t rc = spank_setenv(sp, name, value.c_str(), 1); rc != ESPANK_SUCCESS)
    return fail(std::string("unable to set ") + name + ": " + spank_strerror(rc));
  return 0;
}

int task_init(spank_t sp) {
  ContainerOptions opts{option_value(sp, options[0]), option_value(sp, options[1]),
                        option_value(sp, options[2])};
  if (opts.image.empty())
    return 0;
  int argc = 0;
  char** argv = nullptr;
  if (spank_get_item(sp, S_JOB_ARGV, &argc, &argv) != ESPANK_SUCCESS || argc < 1 ||
      argv == nullptr || argv[0] == nullptr)
    return fail("--container-image: the task has no command");
  std::uint32_t step = 0;
  if (spank_get_item(sp, S_JOB_STEPID, &step) != ESPANK_SUCCESS)
    return fail("--container-image: unable to get the step id");
  // A batch step's argv[0] is the script slurmd wrote to its spool directory.
  const std::string script = step == SLURM_BATCH_SCRIPT ? argv[0] : "";

  const std::string dir = plugin_dir();
  if (dir.empty())
    return fail("--container-image: unable to find the plugin's own directory");
  const std::string helper = dir + "spank-run";
  const std::string launcher = launcher_path.empty() ? default_launcher(dir) : launcher_path;
  if (set_env(sp, env_run, join_lines(launcher_argv(launcher, opts, script))) != 0 ||
      set_env(sp, env_argv0, argv[0]) != 0)
    return -1;
  // The task runs in this forked child only: the entry is never freed, and slurmstepd's copy
  // of argv is untouched.
  char* exec = ::strdup(helper.c_str());
  if (exec == nullptr)
    return fail("--container-image: out of memory");
  argv[0] = exec;
  return 0;
}

int init(spank_t sp, int ac, char** av) {
  for (int i = 0; i < ac; ++i) {
    const std::string_view arg = av[i];
    if (arg.starts_with("launcher=") && arg.size() > 9 && arg[9] == '/')
      launcher_path = arg.substr(9);
    else
      return fail("plugstack.conf: unknown argument '" + std::string(arg) +
                  "' (launcher=/ABSOLUTE/PATH)");
  }
  switch (spank_context()) {
  case S_CTX_LOCAL:
  case S_CTX_REMOTE:
  case S_CTX_ALLOCATOR:
    break;
  case S_CTX_ERROR:
  case S_CTX_SLURMD:
  case S_CTX_JOB_SCRIPT:
    return 0;
  }
  for (spank_option& opt : options)
    if (const spank_err_t rc = spank_option_register(sp, &opt); rc != ESPANK_SUCCESS)
      return fail(std::string("unable to register --") + opt.name + ": " + spank_strerror(rc));
  return 0;
}

} // namespace

extern "C" {

int slurm_spank_init(spank_t sp, int ac, char** av) {
  try {
    return init(sp, ac, av);
  } catch (const std::exception& e) {
    slurm_error("launcher: %s", e.what());
    return -1;
  }
}

int slurm_spank_task_init(spank_t sp, int /*ac*/, char** /*av*/) {
  try {
    return task_init(sp);
  } catch (const std::exception& e) {
    slurm_error("launcher: --container-image: %s", e.what());
    return -1;
  }
}

} // extern "C"
