// cinit's command line: my_init's flags, plus --help and --version.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace cinit::init {

struct Options {
  bool enable_insecure_key = false;
  bool skip_startup_files = false;
  bool skip_runit = false;
  bool no_kill_all_on_exit = false;
  bool quiet = false;
  std::vector<std::string> command; // empty: services only
};

// Either options to run with, or an early exit (help, version, usage error) whose text goes
// to `out` (stdout) or `err` (stderr, one line) with `exit_code`.
struct ParseResult {
  std::optional<Options> options;
  int exit_code = 0;
  std::string out;
  std::string err;
};

ParseResult parse_options(const std::vector<std::string>& args);

std::string usage();

} // namespace cinit::init
