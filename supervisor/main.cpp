// `supervisor [DIR]`: the service supervisor as a program of its own. --help and --version
// here; the rest (and cinit's multi-call entry) in supervisor.cpp.
#include "common/help.hpp"
#include "common/log.hpp"
#include "supervisor/supervisor.hpp"

#include <optional>

namespace {

constexpr const char* help_text =
    "usage: supervisor [DIR]\n"
    "Supervises every runit service directory in DIR (default /etc/service): starts each\n"
    "run (and log/run), restarts it when it exits, keeps runit's supervise/ control files\n"
    "so that sv drives it. New and removed directories are seen at once. SIGTERM or SIGINT\n"
    "takes every service down and exits; SIGHUP rescans DIR.\n"
    "  --help     show this help and exit\n"
    "  --version  show the version and exit\n"
    "Environment: KILL_PROCESS_TIMEOUT (seconds, default 30) before a service that ignores\n"
    "TERM gets KILL; SUPERVISOR_PREFIX_LOGS=1 prefixes each output line of a service\n"
    "without log/ with its name.\n"
    "Exit status: 0 after a SIGTERM or SIGINT shutdown; 100 usage error; 111 setup failed.\n";

} // namespace

int main(int argc, char** argv) {
  cinit::set_program_name("supervisor");
  // A DIR starting with '-' is a usage error already, so these take nothing away.
  if (const std::optional<int> code =
          cinit::sole_help_or_version(argc, argv, "supervisor", help_text))
    return *code;
  return cinit::supervisor::supervisor_main(argc, argv);
}
