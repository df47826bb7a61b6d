// cinit's entry: multi-call (as "supervisor" it is the service supervisor), argv parsing,
// and the environment knobs my_init reads. All the work is in init.cpp.
#include "common/log.hpp"
#include "common/seconds.hpp"
#include "init/init.hpp"
#include "init/options.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>

#ifdef CINIT_HAVE_SUPERVISOR
#include "supervisor/supervisor.hpp"
#endif

namespace {

double timeout_from_env(const char* name) {
  const std::optional<double> seconds = cinit::seconds_from_env(name, 30);
  if (!seconds)
    cinit::die(1, cinit::bad_seconds(name, std::getenv(name)));
  return *seconds;
}

} // namespace

int main(int argc, char** argv) {
#ifdef CINIT_HAVE_SUPERVISOR
  const char* base = argc > 0 ? std::strrchr(argv[0], '/') : nullptr;
  const char* name = argc > 0 ? (base != nullptr ? base + 1 : argv[0]) : "";
  if (std::strcmp(name, "supervisor") == 0)
    return cinit::supervisor::supervisor_main(argc, argv);
#endif
  cinit::set_program_name("cinit");
  (void)cinit::log_never_block(); // PID 1 must not hang on a log reader that stopped reading
  const cinit::init::ParseResult parsed =
      cinit::init::parse_options(std::vector<std::string>(argv + (argc > 0 ? 1 : 0), argv + argc));
  if (!parsed.options) {
    (void)std::fputs(parsed.out.c_str(), stdout);
    (void)std::fputs(parsed.err.c_str(), stderr);
    return parsed.exit_code;
  }
  cinit::init::Timeouts timeouts;
  timeouts.kill_process = timeout_from_env("KILL_PROCESS_TIMEOUT");
  timeouts.kill_all_processes = timeout_from_env("KILL_ALL_PROCESSES_TIMEOUT");
  cinit::init::Paths paths;
  if (const char* dir = std::getenv("ENV_INIT_DIRECTORY"); dir != nullptr && *dir != '\0')
    paths.init_dir = dir;
  return cinit::init::run(*parsed.options, timeouts, paths);
}
