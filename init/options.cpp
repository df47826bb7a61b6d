#include "init/options.hpp"

#include "common/version.hpp"

namespace cinit::init {

std::string usage() {
  return "usage: cinit [-h] [--version] [--enable-insecure-key] [--skip-startup-files]\n"
         "             [--skip-runit] [--no-kill-all-on-exit] [--quiet] [--] [CMD [ARG...]]\n"
         "\n"
         "A container init, compatible with phusion's my_init: runs /etc/my_init.d/* and\n"
         "/etc/rc.local, exports /etc/container_environment, supervises /etc/service, runs CMD,\n"
         "reaps zombies, forwards signals and shuts everything down cleanly.\n"
         "\n"
         "  --enable-insecure-key  run /usr/sbin/enable_insecure_key before the startup files\n"
         "  --skip-startup-files   do not run /etc/my_init.d/* and /etc/rc.local\n"
         "  --skip-runit           do not start the service supervisor (needs CMD)\n"
         "  --no-kill-all-on-exit  do not kill the remaining processes on exit\n"
         "  --quiet                print warnings and errors only\n"
         "  -h, --help             show this help and exit\n"
         "  --version              show the version and exit\n"
         "\n"
         "Environment: KILL_PROCESS_TIMEOUT, KILL_ALL_PROCESSES_TIMEOUT (seconds, default 30),\n"
         "ENV_INIT_DIRECTORY (default /etc/my_init.d).\n"
         "\n"
         "Exit status: CMD's own, 128+N if signal N killed it; 0 after a SIGTERM shutdown\n"
         "without CMD; 1 a startup script failed or a bad setting; 2 unknown option;\n"
         "126 CMD not executable; 127 CMD not found.\n";
}

ParseResult parse_options(const std::vector<std::string>& args) {
  ParseResult r;
  Options o;
  std::size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a.empty() || a[0] != '-')
      break; // the command starts here (my_init: works while no argument starts with '-')
    if (a == "-h" || a == "--help") {
      r.out = usage();
      return r;
    }
    if (a == "--version") {
      r.out = std::string("cinit ") + version + "\n";
      return r;
    }
    if (a == "--enable-insecure-key")
      o.enable_insecure_key = true;
    else if (a == "--skip-startup-files")
      o.skip_startup_files = true;
    else if (a == "--skip-runit")
      o.skip_runit = true;
    else if (a == "--no-kill-all-on-exit")
      o.no_kill_all_on_exit = true;
    else if (a == "--quiet")
      o.quiet = true;
    else {
      r.exit_code = 2;
      r.err = "cinit: fatal: unknown option '" + a + "' (try --help)\n";
      return r;
    }
  }
  o.command.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
  if (o.skip_runit && o.command.empty()) {
    r.exit_code = 1;
    r.err = "*** When --skip-runit is given, you must also pass a main command.\n";
    return r;
  }
  r.options = std::move(o);
  return r;
}

} // namespace cinit::init
