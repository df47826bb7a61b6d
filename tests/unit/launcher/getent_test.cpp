// The host's getent, really run: the static launcher's only way to the host's name services.
#include "launcher/error.hpp"
#include "launcher/getent.hpp"

#include <algorithm>
#include <catch.hpp>

using namespace cinit::launcher;

TEST_CASE("getent: a known key, an unknown key, a failing lookup") {
  const auto root = getent({"passwd", "0"});
  REQUIRE(root);
  CHECK(root->rfind("root:", 0) == 0);
  // 2 ("not found") is an answer; no host has this uid.
  CHECK_FALSE(getent({"passwd", "3999999999"}));
  // 1 (an unknown database) is a failure, named with the command.
  try {
    (void)getent({"no-such-database", "x"});
    FAIL("an unknown database was accepted");
  } catch (const SysError& e) {
    CHECK(std::string(e.what()) ==
          "unable to look up: getent no-such-database x exited with status 1");
  }
}

TEST_CASE("getent_user: parsed with the passwd parser") {
  const auto root = getent_user(0);
  REQUIRE(root);
  CHECK(root->name == "root");
  CHECK(root->home == "/root");
  CHECK_FALSE(getent_user(3999999999U));
}

TEST_CASE("getent_addresses: each address once, in the resolver's order, IPv6 bracketed") {
  CHECK(parse_ahosts("203.0.113.80    STREAM deb.debian.org\n203.0.113.80    DGRAM  \n"
                     "203.0.113.80    RAW    \n2001:db8::1     STREAM \n2001:db8::1     DGRAM  \n"
                     "198.51.100.7    STREAM \n") ==
        std::vector<std::string>{"203.0.113.80", "[2001:db8::1]", "198.51.100.7"});
  CHECK(parse_ahosts("").empty());
  CHECK(parse_ahosts("\n \n").empty());
  // The host's own resolver, really asked (files: /etc/hosts).
  const auto local = getent_addresses("localhost");
  CHECK((std::find(local.begin(), local.end(), "127.0.0.1") != local.end() ||
         std::find(local.begin(), local.end(), "[::1]") != local.end()));
}
