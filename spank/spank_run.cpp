// spank-run: what a task started with --container-image execs (plugin.cpp says why). It takes
// the launcher's command line from the environment and execs `launcher run ... IMAGE -- ARGV0
// ARGS`: the launcher is the task, and imports an image given as a path on first use. Its own
// failures exit 125, as the launcher's do.
#include "common/log.hpp"
#include "common/spawn.hpp"
#include "spank/options.hpp"

#include <cerrno>
#include <cstdlib>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using namespace cinit::spank;

constexpr int failure = 125;

std::string take_env(const char* name) {
  const char* v = std::getenv(name);
  std::string value = v == nullptr ? "" : v;
  (void)::unsetenv(name); // only fails for an invalid name
  return value;
}

} // namespace

int main(int argc, char** argv) {
  cinit::set_program_name("spank-run");
  const std::string run = take_env(env_run);
  const std::string argv0 = take_env(env_argv0);
  std::vector<std::string> args = split_lines(run);
  if (args.size() < 3 || argv0.empty())
    cinit::die(failure, std::string("no ") + env_run + " or " + env_argv0 +
                            ": run by the SPANK plugin (srun --container-image), not by hand");
  args.emplace_back("--");
  args.push_back(argv0);
  args.insert(args.end(), argv + 1, argv + argc);
  const std::vector<char*> cargv = cinit::c_strings(args);
  ::execv(cargv[0], cargv.data());
  const int err = errno;
  cinit::die_sys(err == ENOENT ? 127 : 126, err, "unable to run '" + args[0] + "'");
}
