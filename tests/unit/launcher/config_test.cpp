#include "launcher/config.hpp"
#include "launcher/error.hpp"

#include <catch.hpp>

using namespace cinit::launcher;

TEST_CASE("config: keys, sections, repeated binds") {
  Config c;
  parse_config("; comment\ndata_root = /scratch/me\n[launcher]\ngpus = all\nbind = /a:/b\n"
               "bind = /c:/d:ro\n",
               "f.ini", c);
  CHECK(c.data_root == "/scratch/me");
  CHECK(c.gpus == "all");
  CHECK(c.binds == std::vector<std::string>{"/a:/b", "/c:/d:ro"});
}

TEST_CASE("config: errors name file, line and key") {
  Config c;
  try {
    parse_config("data_root = /x\n\nbogus = 1\n", "/etc/launcher/launcher.ini", c);
    FAIL("no error");
  } catch (const SysError& e) {
    const std::string m = e.what();
    CHECK(m.find("/etc/launcher/launcher.ini") != std::string::npos);
    CHECK(m.find("line 3") != std::string::npos);
    CHECK(m.find("'bogus'") != std::string::npos);
  }
  // inih goes on after an error: the message keeps the first one's key and reason.
  try {
    parse_config("bogus = 1\ngpus = 0\ndata_root = relative\n", "f", c);
    FAIL("no error");
  } catch (const SysError& e) {
    CHECK(std::string(e.what()) == "unable to parse 'f': line 1: key 'bogus': unknown key");
  }
  CHECK_THROWS_AS(parse_config("data_root = relative\n", "f", c), SysError);
  CHECK_THROWS_AS(parse_config("bind = nocolon\n", "f", c), SysError);
  CHECK_THROWS_AS(parse_config("[other]\ngpus = 1\n", "f", c), SysError);
  CHECK_THROWS_AS(parse_config("[broken\n", "f", c), SysError);
}

TEST_CASE("config: bind specs") {
  const BindSpec b = parse_bind("/src:/dst:ro", "v");
  CHECK(b.source == "/src");
  CHECK(b.target == "/dst");
  CHECK(b.read_only);
  CHECK_FALSE(parse_bind("rel:/dst:rw", "v").read_only);
  CHECK_THROWS_AS(parse_bind("/src:dst", "v"), SysError);
  CHECK_THROWS_AS(parse_bind(":/dst", "v"), SysError);
  CHECK_THROWS_AS(parse_bind("/a:/b:rx", "v"), SysError);
}
