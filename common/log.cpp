#include "common/log.hpp"

#include "common/syscall.hpp"

#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>

namespace cinit {
namespace {

const char* g_program = "cinit";

void emit(std::string_view kind, std::string_view msg, int err) {
  const int saved = errno;
  std::string line;
  line.reserve(msg.size() + 64);
  line.append(g_program).append(": ").append(kind).append(": ").append(msg);
  if (err != 0)
    line.append(": ").append(std::strerror(err));
  line.push_back('\n');
  (void)write_full(STDERR_FILENO, line); // nothing useful to do if stderr is gone
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
  (void)write_full(STDERR_FILENO, s); // a closed stderr must not hurt PID 1
  errno = saved;
}

} // namespace cinit
