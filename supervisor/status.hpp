// runit's on-disk status protocol: the 20-byte `supervise/status` record, the `stat` text,
// the control FIFO's command letters and the line `sv status` prints. Pure functions, so
// that runit's own `sv` and ours read exactly what runsv would have written.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace cinit::supervisor {

// runsv's S_DOWN, S_RUN, S_FINISH: the byte values of status[19].
enum class RunState : std::uint8_t { down = 0, run = 1, finish = 2 };
// runsv's W_UP, W_DOWN, W_EXIT. status[17] holds 'u' for up and 'd' for both others.
enum class Want : std::uint8_t { up, down, exit };

// A TAI64N label as runit writes it: seconds since the Unix epoch plus 2^62 + 10 (libtai's
// tai_unix, which counts the 10 leap seconds of 1972), then nanoseconds.
inline constexpr std::uint64_t tai_offset = (std::uint64_t{1} << 62) + 10;

struct Status {
  std::int64_t unix_seconds = 0; // time of the last start of `run`, or of going down
  std::uint32_t nanoseconds = 0;
  pid_t pid = 0; // run's or finish's pid; 0 when down
  bool paused = false;
  bool want_up = true; // status[17]: 'u' or 'd'
  bool got_term = false;
  RunState state = RunState::down;
};

inline constexpr std::size_t status_size = 20;
using StatusBytes = std::array<char, status_size>;

// Layout (runsv update_status): 8-byte big-endian TAI seconds, 4-byte big-endian nanoseconds,
// 4-byte little-endian pid, paused flag, want ('u'/'d'), term flag, run state.
StatusBytes encode_status(const Status& s);
// nullopt unless `bytes` is exactly 20 bytes with a known want letter and run state.
std::optional<Status> decode_status(std::string_view bytes);

// supervise/stat as runsv writes it: "run", "down" or "finish", then ", paused",
// ", got TERM", and (unless down) ", want down" or ", want exit"; newline-terminated.
std::string stat_text(RunState state, bool paused, bool got_term, Want want);

// The part of an `sv status` line for one service, as runit's sv prints it:
// "run: NAME: (pid N) Ss, normally down, paused, want down, got TERM" or
// "down: NAME: Ss, normally up, want up". `now_seconds` is Unix time.
std::string format_status(std::string_view name, const Status& s, bool normally_up,
                          std::int64_t now_seconds);

// The letters runit's control FIFO accepts (runsv ctrl()). Anything else is ignored.
enum class Command : std::uint8_t {
  up,        // u
  down,      // d
  once,      // o
  exit,      // x
  term,      // t
  kill,      // k
  pause,     // p
  cont,      // c
  hup,       // h
  alarm,     // a
  interrupt, // i
  quit,      // q
  usr1,      // 1
  usr2,      // 2
  winch,     // w
};
std::optional<Command> parse_command(char letter);

} // namespace cinit::supervisor
