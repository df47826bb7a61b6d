// Fuzzes runit's status record and the small supervisor parsers (and the seconds parser): no crash;
// a record that decodes re-encodes to the same 20 bytes; sv's line for it is well-formed.
#include "common/seconds.hpp"
#include "supervisor/service_dir.hpp"
#include "supervisor/status.hpp"
#include "tests/fuzz/check.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

using cinit::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  using namespace cinit::supervisor;

  if (const std::optional<Status> st = decode_status(in)) {
    check(size == status_size, "decoded a record that is not 20 bytes");
    const StatusBytes again = encode_status(*st);
    // Flag bytes are read as "non-zero": only 0/1 inputs round-trip exactly.
    const bool canonical = (in[16] == 0 || in[16] == 1) && (in[18] == 0 || in[18] == 1);
    if (canonical)
      check(std::string_view(again.data(), again.size()) == in, "round trip");
    const std::optional<Status> back = decode_status(std::string_view(again.data(), again.size()));
    check(back && back->pid == st->pid && back->state == st->state &&
              back->unix_seconds == st->unix_seconds && back->nanoseconds == st->nanoseconds,
          "re-decode");
    const std::string line = format_status("svc", *st, true, 1800000000);
    check(line.find('\n') == std::string::npos, "newline in a status line");
    check(line.rfind("run: ", 0) == 0 || line.rfind("finish: ", 0) == 0 ||
              line.rfind("down: ", 0) == 0 || line.rfind("svc: ", 0) == 0,
          "status line prefix");
    const std::string stat =
        stat_text(st->state, st->paused, st->got_term, st->want_up ? Want::up : Want::down);
    check(!stat.empty() && stat.back() == '\n', "stat text");
  }
  for (const char c : in)
    (void)parse_command(c);
  if (const std::optional<int> fd = parse_notification_fd(in))
    check(*fd >= 3 && *fd <= 1023, "notification fd range");
  if (const std::optional<double> t = cinit::parse_seconds(in))
    check(*t >= 0 && *t <= cinit::max_seconds, "timeout out of range");
  return 0;
}
