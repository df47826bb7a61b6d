// envdir: daemontools' envdir. Sets or unsets one variable per file of a directory, then
// execs a command; exit 111 for its own failures, as daemontools.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cinit::envdir {

struct Options {
  std::string dir;
  std::vector<std::string> command; // non-empty; command[0] is looked up in PATH
};

// daemontools' value rule: the first line of `raw`, trailing spaces and tabs removed, NUL
// bytes turned into newlines (so a file can still carry a multi-line value).
std::string file_value(std::string_view raw);

// Applies the directory to the environment and execs; returns only through exit(111).
[[noreturn]] void run(const Options& opts);

} // namespace cinit::envdir
