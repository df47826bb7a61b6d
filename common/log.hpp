// One-line diagnostics on stderr: `prog: fatal|warning: message[: strerror]`.
// Writes go to fd 2 with write(2); a closed or broken stderr is ignored, never fatal, and after
// log_never_block() a reader that stopped reading costs lines, never a stalled writer.
#pragma once

#include "common/unique_fd.hpp"

#include <string_view>

namespace cinit {

// `name` must outlive the program (a string literal).
void set_program_name(const char* name);
const char* program_name();

[[noreturn]] void die(int code, std::string_view msg);
[[noreturn]] void die_sys(int code, int err, std::string_view msg);
void warn(std::string_view msg);
void warn_sys(int err, std::string_view msg);
// A raw line on stderr (adds the newline); used for my_init-style `*** ...` messages.
void log_line(std::string_view line);

// Output to `fd` that never stalls its writer for long: PID 1 and the supervisor must keep
// reaping when whoever reads their stdout or stderr stops reading. Where `fd` is a pipe or
// FIFO, writes go through a non-blocking open file of our own on it (/proc/self/fd/N), so the
// children that share `fd` still write blocking. A write that finds the pipe full waits up to
// a second, then it and every later one is dropped until the pipe has room again. Other
// files (a tty, a regular file, /dev/null) are written as they are.
class StallFreeOut {
public:
  explicit StallFreeOut(int fd);
  StallFreeOut(const StallFreeOut&) = delete;
  StallFreeOut& operator=(const StallFreeOut&) = delete;
  // Writes all of `data` or drops what is left; false (errno set) when some was dropped.
  bool write(std::string_view data);

private:
  int fd_;
  UniqueFd own_; // the non-blocking open file, or none when `fd_` is written as it is
  bool stalled_ = false;
};

// From now on stderr lines (die, warn, log_line) go through a StallFreeOut, which it returns
// for other writers of stderr. cinit and the supervisor call it first thing; the small tools
// keep plain blocking writes.
StallFreeOut& log_never_block();

} // namespace cinit
