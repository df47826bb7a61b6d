// setuser: run a command as a user of the image (phusion's setuser, with users read from the
// image's own /etc/passwd and /etc/group, since a static binary has no NSS).
#pragma once

#include <string>
#include <vector>

namespace cinit::setuser {

struct Options {
  std::string user;
  std::vector<std::string> command; // non-empty; command[0] is looked up in PATH
};

// Drops to `opts.user` and execs the command; returns only through exit: 1 for setuser's own
// failures, 127 (command not found) or 126 (any other exec failure).
[[noreturn]] void run(const Options& opts);

} // namespace cinit::setuser
