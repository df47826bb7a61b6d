// envdir DIR COMMAND [ARGS...]: argv parsing only; the work is in envdir.cpp.
#include "common/log.hpp"
#include "envdir/envdir.hpp"

int main(int argc, char** argv) {
  cinit::set_program_name("envdir");
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
