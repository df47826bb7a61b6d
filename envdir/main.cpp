// envdir DIR COMMAND [ARGS...]: argv parsing only; the work is in envdir.cpp.
#include "common/help.hpp"
#include "common/log.hpp"
#include "envdir/envdir.hpp"

#include <optional>

namespace {

constexpr const char* help_text =
    "usage: envdir DIR COMMAND [ARGS...]\n"
    "Runs COMMAND with one environment variable per file of DIR, as daemontools' envdir:\n"
    "the file's first line, trailing blanks removed, NUL bytes turned into newlines; an\n"
    "empty file removes the variable.\n"
    "  --help     show this help and exit\n"
    "  --version  show the version and exit\n"
    "Exit status: COMMAND's own; 100 usage error; 111 envdir's own failure (DIR unreadable,\n"
    "COMMAND not run).\n";

} // namespace

int main(int argc, char** argv) {
  cinit::set_program_name("envdir");
  // Only as the sole argument, where daemontools' envdir fails with its usage: every
  // invocation that ran a command keeps its meaning (a directory `--help` is `./--help`).
  if (const std::optional<int> code = cinit::sole_help_or_version(argc, argv, "envdir", help_text))
    return *code;
  if (argc < 3) {
    // daemontools: usage errors exit 100, distinct from 111 (a failure while working).
    cinit::log_line("usage: envdir DIR COMMAND [ARGS...]");
    return 100;
  }
  cinit::envdir::Options opts;
  opts.dir = argv[1];
  opts.command.assign(argv + 2, argv + argc);
  cinit::envdir::run(opts);
}
