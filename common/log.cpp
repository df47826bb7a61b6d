#include "common/log.hpp"

#include "common/syscall.hpp"

#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace cinit {
namespace {

const char* g_program = "cinit";
// How long one write waits for a full pipe before lines are dropped (once per stall).
constexpr int stall_wait_ms = 1000;
StallFreeOut* g_err = nullptr; // set by log_never_block, for the life of the process

void write_err(std::string_view line) {
  // Nothing useful to do if stderr is gone or stalled.
  if (g_err != nullptr)
    (void)g_err->write(line);
  else
    (void)write_full(STDERR_FILENO, line);
}

void emit(std::string_view kind, std::string_view msg, int err) {
  const int saved = errno;
  std::string line;
  line.reserve(msg.size() + 64);
  line.append(g_program).append(": ").append(kind).append(": ").append(msg);
  if (err != 0)
    line.append(": ").append(std::strerror(err));
  line.push_back('\n');
  write_err(line);
  errno = saved;
}

} // namespace

void set_program_name(const char* name) {
  g_program = name;
}
const char* program_name() {
  return g_program;
}

void die(int code, std::string_view msg) {
  emit("fatal", msg, 0);
  std::exit(code);
}

void die_sys(int code, int err, std::string_view msg) {
  emit("fatal", msg, err);
  std::exit(code);
}

void warn(std::string_view msg) {
  emit("warning", msg, 0);
}
void warn_sys(int err, std::string_view msg) {
  emit("warning", msg, err);
}

void log_line(std::string_view line) {
  const int saved = errno;
  std::string s(line);
  s.push_back('\n');
  write_err(s); // a closed or stalled stderr must not hurt PID 1
  errno = saved;
}

StallFreeOut::StallFreeOut(int fd) : fd_(fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode))
    return;
  // Opening the pipe through /proc makes a new open file: O_NONBLOCK on it leaves the one
  // that children inherit alone. Without /proc (or for a FIFO with no reader) `fd` stays.
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  own_.reset(retry_eintr([&] { return ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC); }));
}

bool StallFreeOut::write(std::string_view data) {
  if (!own_.valid())
    return write_full(fd_, data);
  while (!data.empty()) {
    const ssize_t n = retry_eintr([&] { return ::write(own_.get(), data.data(), data.size()); });
    if (n >= 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      stalled_ = false;
      continue;
    }
    if (errno != EAGAIN)
      return false;
    pollfd p{own_.get(), POLLOUT, 0};
    if (stalled_ || retry_eintr([&] { return ::poll(&p, 1, stall_wait_ms); }) <= 0) {
      stalled_ = true;
      errno = EAGAIN;
      return false;
    }
  }
  return true;
}

StallFreeOut& log_never_block() {
  static StallFreeOut err(STDERR_FILENO); // lives until exit: stderr is written to the end
  g_err = &err;
  return err;
}

} // namespace cinit
