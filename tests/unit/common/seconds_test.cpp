// The one parser of durations in seconds (KILL_PROCESS_TIMEOUT, SVWAIT, sv -w).
#include "common/seconds.hpp"

#include <catch.hpp>
#include <cstdlib>

using cinit::parse_seconds;

TEST_CASE("seconds: plain and decimal numbers") {
  CHECK(parse_seconds("30") == 30.0);
  CHECK(parse_seconds("0") == 0.0);
  CHECK(parse_seconds("0.5") == 0.5);
  CHECK(parse_seconds(".5") == 0.5);
  CHECK(parse_seconds("5.") == 5.0);
  CHECK(parse_seconds("007") == 7.0);
}

TEST_CASE("seconds: blanks around the number are allowed, inside it they are not") {
  CHECK(parse_seconds(" 5") == 5.0);
  CHECK(parse_seconds("5 ") == 5.0);
  CHECK(parse_seconds(" 30\n") == 30.0);
  CHECK(parse_seconds("\t2.5\r\n") == 2.5);
  CHECK_FALSE(parse_seconds("3 0"));
}

TEST_CASE("seconds: empty, blank and garbage are refused") {
  CHECK_FALSE(parse_seconds(""));
  CHECK_FALSE(parse_seconds(" "));
  CHECK_FALSE(parse_seconds("."));
  CHECK_FALSE(parse_seconds("abc"));
  CHECK_FALSE(parse_seconds("30s"));
  CHECK_FALSE(parse_seconds("1.2.3"));
  CHECK_FALSE(parse_seconds("0x10"));
  CHECK_FALSE(parse_seconds("1e3"));
  CHECK_FALSE(parse_seconds(std::string_view("5\0", 2)));
}

TEST_CASE("seconds: nan, inf, signs and huge values are refused") {
  CHECK_FALSE(parse_seconds("nan"));
  CHECK_FALSE(parse_seconds("NAN"));
  CHECK_FALSE(parse_seconds("inf"));
  CHECK_FALSE(parse_seconds("infinity"));
  CHECK_FALSE(parse_seconds("-1"));
  CHECK_FALSE(parse_seconds("-0"));
  CHECK_FALSE(parse_seconds("+5"));
  CHECK(parse_seconds("10000000") == cinit::max_seconds);
  CHECK_FALSE(parse_seconds("10000000.5"));
  CHECK_FALSE(parse_seconds("99999999999999999999"));
  CHECK_FALSE(parse_seconds(std::string(400, '9')));
}

TEST_CASE("seconds: from the environment, unset and empty mean the default") {
  ::unsetenv("CINIT_TEST_SECONDS");
  CHECK(cinit::seconds_from_env("CINIT_TEST_SECONDS", 30) == 30.0);
  ::setenv("CINIT_TEST_SECONDS", "", 1);
  CHECK(cinit::seconds_from_env("CINIT_TEST_SECONDS", 30) == 30.0);
  ::setenv("CINIT_TEST_SECONDS", " 5", 1);
  CHECK(cinit::seconds_from_env("CINIT_TEST_SECONDS", 30) == 5.0);
  ::setenv("CINIT_TEST_SECONDS", "nan", 1);
  CHECK_FALSE(cinit::seconds_from_env("CINIT_TEST_SECONDS", 30));
  ::unsetenv("CINIT_TEST_SECONDS");
  CHECK(cinit::bad_seconds("SVWAIT", "x") == "invalid SVWAIT 'x': expected a number of seconds");
}
