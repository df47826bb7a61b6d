// spank-run: what a task started with --container-image execs (plugin.cpp says why). It takes
// the launcher's command line from the environment, imports an archive image first if the
// store lacks it, and execs `launcher run ... IMAGE -- ARGV0 ARGS`: the launcher is the task.
// Its own failures exit 125, as the launcher's do.
#include "common/log.hpp"
#include "common/spawn.hpp"
#include "common/syscall.hpp"
#include "common/unique_fd.hpp"
#include "spank/options.hpp"

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <optional>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace {

using namespace cinit::spank;

constexpr int failure = 125;

std::string take_env(const char* name) {
  const char* v = std::getenv(name);
  std::string value = v == nullptr ? "" : v;
  (void)::unsetenv(name); // only fails for an invalid name
  return value;
}

std::vector<std::string> environment() {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e)
    env.emplace_back(*e);
  return env;
}

// Runs argv with stdout to `out_fd` (-1: inherit); its shell-style status.
int run_helper(const std::vector<std::string>& argv, int out_fd) {
  cinit::SpawnOptions opts;
  opts.stdout_fd = out_fd;
  opts.path_search = false;
  const cinit::SpawnResult r = cinit::spawn(argv, environment(), opts);
  if (r.pid < 0)
    cinit::die_sys(failure, r.error, "unable to run '" + argv[0] + "'");
  int status = 0;
  if (cinit::retry_eintr([&] { return ::waitpid(r.pid, &status, 0); }) < 0)
    cinit::die_sys(failure, errno, "unable to wait for '" + argv[0] + "'");
  return cinit::shell_status(status);
}

bool image_stored(const std::string& launcher, const std::string& name) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    cinit::die_sys(failure, errno, "unable to create a pipe");
  cinit::UniqueFd rd(fds[0]);
  cinit::UniqueFd wr(fds[1]);
  cinit::SpawnOptions opts;
  opts.stdout_fd = wr.get();
  opts.path_search = false;
  const cinit::SpawnResult r = cinit::spawn({launcher, "images"}, environment(), opts);
  if (r.pid < 0)
    cinit::die_sys(failure, r.error, "unable to run '" + launcher + "'");
  wr.reset();
  const std::optional<std::string> out = cinit::read_all(rd.get());
  const int err = errno;
  int status = 0;
  (void)cinit::retry_eintr([&] { return ::waitpid(r.pid, &status, 0); });
  if (cinit::shell_status(status) != 0)
    std::exit(failure); // the launcher said why
  if (!out)
    cinit::die_sys(failure, err, "unable to read the output of '" + launcher + " images'");
  return ("\n" + *out).find("\n" + name + "\t") != std::string::npos;
}

// Several tasks of a node may find the image missing at once: each import then runs under
// the store's lock, one after the other, and the later ones store the same layers again.
void import_archive(const std::string& launcher, const std::string& archive,
                    const std::string& name) {
  if (image_stored(launcher, name))
    return;
  // `launcher import` prints the image's name: not the task's output.
  const cinit::UniqueFd null(::open("/dev/null", O_WRONLY | O_CLOEXEC));
  if (null.get() < 0)
    cinit::die_sys(failure, errno, "unable to open '/dev/null'");
  if (const int code = run_helper({launcher, "import", archive, "--name", name}, null.get());
      code != 0)
    std::exit(code == 125 ? failure : code); // the launcher said why
}

} // namespace

int main(int argc, char** argv) {
  cinit::set_program_name("spank-run");
  const std::string run = take_env(env_run);
  const std::string argv0 = take_env(env_argv0);
  const std::string archive = take_env(env_import);
  std::vector<std::string> args = split_lines(run);
  if (args.size() < 3 || argv0.empty())
    cinit::die(failure, std::string("no ") + env_run + " or " + env_argv0 +
                            ": run by the SPANK plugin (srun --container-image), not by hand");
  if (!archive.empty())
    import_archive(args[0], archive, args.back());
  args.emplace_back("--");
  args.push_back(argv0);
  args.insert(args.end(), argv + 1, argv + argc);
  const std::vector<char*> cargv = cinit::c_strings(args);
  ::execv(cargv[0], cargv.data());
  const int err = errno;
  cinit::die_sys(err == ENOENT ? 127 : 126, err, "unable to run '" + args[0] + "'");
}
