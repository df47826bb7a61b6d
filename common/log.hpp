// One-line diagnostics on stderr: `prog: fatal|warning: message[: strerror]`.
// Writes go straight to fd 2 with write(2); a closed or broken stderr is ignored, never fatal.
#pragma once

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

} // namespace cinit
