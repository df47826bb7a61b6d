#include "supervisor/status.hpp"

#include <limits>

namespace cinit::supervisor {

StatusBytes encode_status(const Status& s) {
  StatusBytes b{};
  const std::uint64_t tai = tai_offset + static_cast<std::uint64_t>(s.unix_seconds);
  for (std::size_t i = 0; i < 8; ++i)
    b[i] = static_cast<char>((tai >> (56 - 8 * i)) & 0xff);
  for (std::size_t i = 0; i < 4; ++i)
    b[8 + i] = static_cast<char>((s.nanoseconds >> (24 - 8 * i)) & 0xff);
  const auto pid = static_cast<std::uint32_t>(s.pid);
  for (std::size_t i = 0; i < 4; ++i)
    b[12 + i] = static_cast<char>((pid >> (8 * i)) & 0xff);
  b[16] = s.paused ? 1 : 0;
  b[17] = s.want_up ? 'u' : 'd';
  b[18] = s.got_term ? 1 : 0;
  b[19] = static_cast<char>(s.state);
  return b;
}

std::optional<Status> decode_status(std::string_view bytes) {
  if (bytes.size() != status_size)
    return std::nullopt;
  const auto byte = [&](std::size_t i) {
    return static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[i]));
  };
  std::uint64_t tai = 0;
  for (std::size_t i = 0; i < 8; ++i)
    tai = (tai << 8) | byte(i);
  std::uint32_t nano = 0;
  for (std::size_t i = 8; i < 12; ++i)
    nano = (nano << 8) | static_cast<std::uint32_t>(byte(i));
  std::uint32_t pid = 0;
  for (std::size_t i = 0; i < 4; ++i)
    pid |= static_cast<std::uint32_t>(byte(12 + i)) << (8 * i);
  if (bytes[17] != 'u' && bytes[17] != 'd')
    return std::nullopt;
  if (byte(19) > 2)
    return std::nullopt;
  Status s;
  // Labels before 1970 do not occur; wrap-around arithmetic keeps them defined anyway.
  s.unix_seconds = static_cast<std::int64_t>(tai - tai_offset);
  s.nanoseconds = nano;
  s.pid = static_cast<pid_t>(pid);
  s.paused = bytes[16] != 0;
  s.want_up = bytes[17] == 'u';
  s.got_term = bytes[18] != 0;
  s.state = static_cast<RunState>(byte(19));
  return s;
}

std::string stat_text(RunState state, bool paused, bool got_term, Want want) {
  std::string out;
  switch (state) {
  case RunState::down:
    out = "down";
    break;
  case RunState::run:
    out = "run";
    break;
  case RunState::finish:
    out = "finish";
    break;
  }
  if (paused)
    out += ", paused";
  if (got_term)
    out += ", got TERM";
  if (state != RunState::down) {
    if (want == Want::down)
      out += ", want down";
    else if (want == Want::exit)
      out += ", want exit";
  }
  out += '\n';
  return out;
}

std::string format_status(std::string_view name, const Status& s, bool normally_up,
                          std::int64_t now_seconds) {
  std::string out;
  const bool up = s.pid != 0;
  if (up) {
    // runit's sv prints no state word for a pid whose state byte says down.
    if (s.state == RunState::run)
      out += "run: ";
    else if (s.state == RunState::finish)
      out += "finish: ";
    out.append(name).append(": (pid ").append(std::to_string(s.pid)).append(") ");
  } else {
    out.append("down: ").append(name).append(": ");
  }
  // A damaged record may hold any time: a difference past int64 reads as the largest age.
  std::int64_t age = 0;
  if (now_seconds > s.unix_seconds && __builtin_sub_overflow(now_seconds, s.unix_seconds, &age))
    age = std::numeric_limits<std::int64_t>::max();
  out.append(std::to_string(age)).append("s");
  if (up && !normally_up)
    out += ", normally down";
  if (!up && normally_up)
    out += ", normally up";
  if (up && s.paused)
    out += ", paused";
  if (!up && s.want_up)
    out += ", want up";
  if (up && !s.want_up)
    out += ", want down";
  if (up && s.got_term)
    out += ", got TERM";
  return out;
}

std::optional<Command> parse_command(char letter) {
  switch (letter) {
  case 'u':
    return Command::up;
  case 'd':
    return Command::down;
  case 'o':
    return Command::once;
  case 'x':
    return Command::exit;
  case 't':
    return Command::term;
  case 'k':
    return Command::kill;
  case 'p':
    return Command::pause;
  case 'c':
    return Command::cont;
  case 'h':
    return Command::hup;
  case 'a':
    return Command::alarm;
  case 'i':
    return Command::interrupt;
  case 'q':
    return Command::quit;
  case '1':
    return Command::usr1;
  case '2':
    return Command::usr2;
  case 'w':
    return Command::winch;
  default:
    return std::nullopt;
  }
}

} // namespace cinit::supervisor
