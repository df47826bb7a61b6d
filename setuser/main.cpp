// setuser USERNAME COMMAND [ARGS...]: argv parsing only; the work is in setuser.cpp.
#include "common/help.hpp"
#include "common/log.hpp"
#include "setuser/setuser.hpp"

#include <optional>

namespace {

constexpr const char* help_text =
    "Usage: setuser USERNAME COMMAND [args..]\n"
    "Runs COMMAND as USERNAME, compatible with phusion's setuser: supplementary groups,\n"
    "group id and user id from the image's /etc/passwd and /etc/group; sets USER, LOGNAME,\n"
    "HOME, UID and SHELL; execs COMMAND (searched in PATH).\n"
    "  --help     show this help and exit\n"
    "  --version  show the version and exit\n"
    "Exit status: COMMAND's own; 1 usage error, unknown user or ids not changed;\n"
    "126 COMMAND not executable; 127 COMMAND not found.\n";

} // namespace

int main(int argc, char** argv) {
  cinit::set_program_name("setuser");
  // Only as the sole argument, where phusion's setuser fails with its usage: no invocation
  // that ran a command changes meaning (and no user name starts with '-': useradd refuses).
  if (const std::optional<int> code = cinit::sole_help_or_version(argc, argv, "setuser", help_text))
    return *code;
  if (argc < 3) {
    // phusion's setuser prints its usage this way and exits 1; scripts may match on it.
    cinit::log_line("Usage: setuser USERNAME COMMAND [args..]");
    return 1;
  }
  cinit::setuser::Options opts;
  opts.user = argv[1];
  opts.command.assign(argv + 2, argv + argc);
  cinit::setuser::run(opts);
}
