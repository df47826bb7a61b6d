// runit's status record and stat text, checked byte for byte against what Debian's runsv
// 2.1.2 writes (hexdumps taken from a real runsv), and the sv status line.
#include "supervisor/status.hpp"

#include <catch.hpp>
#include <limits>
#include <string>

using namespace cinit::supervisor;

namespace {

std::string bytes(std::initializer_list<int> v) {
  std::string s;
  for (const int b : v)
    s.push_back(static_cast<char>(b));
  return s;
}

} // namespace

TEST_CASE("status decodes a record written by Debian's runsv") {
  // runsv, `run` state, pid 5, want up; taken at Unix time 1796184882 (0x6b0f9b32).
  const std::string raw = bytes(
      {0x40, 0, 0, 0, 0x6b, 0x0f, 0x9b, 0x3c, 0x05, 0xf7, 0xe2, 0xac, 0x05, 0, 0, 0, 0, 'u', 0, 1});
  const std::optional<Status> st = decode_status(raw);
  REQUIRE(st);
  CHECK(st->unix_seconds == 1796184882); // TAI label = 2^62 + 10 + Unix seconds
  CHECK(st->nanoseconds == 0x05f7e2ac);
  CHECK(st->pid == 5);
  CHECK_FALSE(st->paused);
  CHECK(st->want_up);
  CHECK_FALSE(st->got_term);
  CHECK(st->state == RunState::run);
  const StatusBytes again = encode_status(*st);
  CHECK(std::string(again.data(), again.size()) == raw);
}

TEST_CASE("status encodes pid little-endian and flags as runsv does") {
  Status s;
  s.unix_seconds = 1796185000;
  s.nanoseconds = 123456789;
  s.pid = 0x01020304;
  s.paused = true;
  s.want_up = false;
  s.got_term = true;
  s.state = RunState::finish;
  const StatusBytes b = encode_status(s);
  CHECK(static_cast<unsigned char>(b[0]) == 0x40);
  CHECK(static_cast<unsigned char>(b[12]) == 0x04);
  CHECK(static_cast<unsigned char>(b[15]) == 0x01);
  CHECK(b[16] == 1);
  CHECK(b[17] == 'd');
  CHECK(b[18] == 1);
  CHECK(b[19] == 2);
  const std::optional<Status> back = decode_status(std::string_view(b.data(), b.size()));
  REQUIRE(back);
  CHECK(back->unix_seconds == s.unix_seconds);
  CHECK(back->nanoseconds == s.nanoseconds);
  CHECK(back->pid == s.pid);
  CHECK(back->state == RunState::finish);
}

TEST_CASE("status rejects records that are not runit's") {
  CHECK_FALSE(decode_status(""));
  CHECK_FALSE(decode_status(std::string(19, 'u')));
  CHECK_FALSE(decode_status(std::string(21, 'u')));
  std::string bad_want = bytes({0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 'x', 0, 0});
  CHECK_FALSE(decode_status(bad_want));
  std::string bad_state = bytes({0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 'u', 0, 3});
  CHECK_FALSE(decode_status(bad_state));
}

TEST_CASE("stat text matches runsv") {
  CHECK(stat_text(RunState::run, false, false, Want::up) == "run\n");
  CHECK(stat_text(RunState::down, false, false, Want::down) == "down\n");
  CHECK(stat_text(RunState::run, false, true, Want::down) == "run, got TERM, want down\n");
  CHECK(stat_text(RunState::finish, false, false, Want::down) == "finish, want down\n");
  CHECK(stat_text(RunState::run, true, false, Want::up) == "run, paused\n");
  CHECK(stat_text(RunState::run, false, false, Want::exit) == "run, want exit\n");
}

TEST_CASE("sv status lines match runit's sv") {
  Status s;
  s.unix_seconds = 1000;
  s.pid = 4;
  s.state = RunState::run;
  CHECK(format_status("a", s, true, 1005) == "run: a: (pid 4) 5s");
  s.want_up = false;
  s.got_term = true;
  CHECK(format_status("./a", s, true, 1002) == "run: ./a: (pid 4) 2s, want down, got TERM");
  s.got_term = false;
  CHECK(format_status("c", s, false, 1000) == "run: c: (pid 4) 0s, normally down, want down");
  s.state = RunState::finish;
  s.pid = 30;
  CHECK(format_status("c", s, false, 1001) == "finish: c: (pid 30) 1s, normally down, want down");
  Status d;
  d.unix_seconds = 1000;
  d.want_up = false;
  CHECK(format_status("./a", d, true, 1000) == "down: ./a: 0s, normally up");
  d.want_up = true;
  CHECK(format_status("x", d, true, 1003) == "down: x: 3s, normally up, want up");
  CHECK(format_status("x", d, false, 999) == "down: x: 0s, want up");
  Status p = s;
  p.state = RunState::run;
  p.want_up = true;
  p.paused = true;
  CHECK(format_status("a", p, true, 1001) == "run: a: (pid 30) 1s, paused");
  // Found by runit_status_fuzz (UBSan): a damaged record's time far in the past overflowed.
  d.unix_seconds = std::numeric_limits<std::int64_t>::min() + 5;
  CHECK(format_status("x", d, false, 1800000000) == "down: x: 9223372036854775807s, want up");
}

TEST_CASE("control letters are runsv's") {
  CHECK(parse_command('u') == Command::up);
  CHECK(parse_command('d') == Command::down);
  CHECK(parse_command('o') == Command::once);
  CHECK(parse_command('x') == Command::exit);
  CHECK(parse_command('t') == Command::term);
  CHECK(parse_command('k') == Command::kill);
  CHECK(parse_command('p') == Command::pause);
  CHECK(parse_command('c') == Command::cont);
  CHECK(parse_command('h') == Command::hup);
  CHECK(parse_command('a') == Command::alarm);
  CHECK(parse_command('i') == Command::interrupt);
  CHECK(parse_command('q') == Command::quit);
  CHECK(parse_command('1') == Command::usr1);
  CHECK(parse_command('2') == Command::usr2);
  CHECK(parse_command('w') == Command::winch);
  CHECK_FALSE(parse_command('C'));
  CHECK_FALSE(parse_command('\n'));
  CHECK_FALSE(parse_command('z'));
}
