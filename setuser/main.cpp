// setuser USERNAME COMMAND [ARGS...]: argv parsing only; the work is in setuser.cpp.
#include "common/log.hpp"
#include "setuser/setuser.hpp"

int main(int argc, char** argv) {
  cinit::set_program_name("setuser");
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
