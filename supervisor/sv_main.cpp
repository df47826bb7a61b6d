// `sv [-v] [-w SEC] COMMAND SERVICE...`: --help and --version here, the rest in sv.cpp.
#include "common/help.hpp"
#include "common/log.hpp"
#include "supervisor/sv.hpp"

#include <optional>

namespace {

constexpr const char* help_text =
    "usage: sv [-v] [-w sec] command service ...\n"
    "Controls services supervised by cinit's supervisor or runit's runsv, as runit's sv does.\n"
    "A SERVICE is a name under $SVDIR (default /etc/service) or a path starting with / or .\n"
    "Commands: status up down once pause cont hup alarm interrupt quit 1 2 term kill exit\n"
    "          start stop reload restart shutdown force-stop force-reload force-restart\n"
    "          force-shutdown check\n"
    "  -v         wait up to -w seconds for each command to take effect, then print status\n"
    "  -w SEC     how long -v and start/stop/... wait (default 7, or $SVWAIT)\n"
    "  -V         name this implementation on stderr, where runit's sv prints its version\n"
    "  --json     with status: print the status as JSON\n"
    "  --help     show this help and exit\n"
    "  --version  show the version and exit\n"
    "Exit status: 0 every command succeeded; 1 to 99 the number of services that failed;\n"
    "100 usage error.\n";

} // namespace

int main(int argc, char** argv) {
  cinit::set_program_name("sv");
  // Only as the sole argument, where runit's sv fails with its usage (exit 100): every
  // invocation that did something keeps its meaning.
  if (const std::optional<int> code = cinit::sole_help_or_version(argc, argv, "sv", help_text))
    return *code;
  return cinit::supervisor::sv_main(argc, argv);
}
