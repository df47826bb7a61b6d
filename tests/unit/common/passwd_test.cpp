// /etc/passwd and /etc/group parsing as setuser and cinit use it (no NSS in static binaries).
#include "common/passwd.hpp"

#include <catch.hpp>

TEST_CASE("parse_passwd: well-formed lines, comments and malformed lines skipped") {
  const auto users = cinit::parse_passwd("root:x:0:0:root:/root:/bin/bash\n"
                                         "# comment:x:1:1::/:/bin/sh\n"
                                         "\n"
                                         "app:x:1000:1001:App User,,,:/home/app:\n"
                                         "short:x:1:1:/:/bin/sh\n"
                                         "toolong:x:1:1::/:/bin/sh:extra\n"
                                         ":x:5:5::/:/bin/sh\n"
                                         "baduid:x:-1:0::/:/bin/sh\n"
                                         "nouid:x::0::/:/bin/sh\n"
                                         "hexuid:x:0x10:0::/:/bin/sh\n"
                                         "+::::::\n"
                                         "crlf:x:7:8::/home/crlf:/bin/sh\r\n"
                                         "last:x:4294967294:4294967294::/:/bin/sh");
  REQUIRE(users.size() == 4);
  CHECK(users[0].name == "root");
  CHECK(users[0].uid == 0);
  CHECK(users[0].home == "/root");
  CHECK(users[1].name == "app");
  CHECK(users[1].uid == 1000);
  CHECK(users[1].gid == 1001);
  CHECK(users[1].gecos == "App User,,,");
  CHECK(users[1].home == "/home/app");
  CHECK(users[1].shell.empty());
  CHECK(users[2].name == "crlf");
  CHECK(users[2].shell == "/bin/sh");
  CHECK(users[3].uid == 4294967294U);
}

TEST_CASE("parse_id: decimal ids below (uid_t)-1") {
  CHECK(cinit::parse_id("0") == 0UL);
  CHECK(cinit::parse_id("65534") == 65534UL);
  CHECK(cinit::parse_id("4294967294") == 4294967294UL);
  CHECK_FALSE(cinit::parse_id("4294967295")); // (uid_t)-1: "no change" to setuid
  CHECK_FALSE(cinit::parse_id("99999999999"));
  CHECK_FALSE(cinit::parse_id(""));
  CHECK_FALSE(cinit::parse_id("-1"));
  CHECK_FALSE(cinit::parse_id("+1"));
  CHECK_FALSE(cinit::parse_id(" 1"));
  CHECK_FALSE(cinit::parse_id("1a"));
}

TEST_CASE("parse_group: members, empty member lists, malformed lines") {
  const auto groups = cinit::parse_group("root:x:0:\n"
                                         "docker_env:x:2001:app,plain\n"
                                         "sparse:x:2002:,app,,\n"
                                         "nomembers:x:2003\n"
                                         "bad:x:abc:app\n"
                                         "#comment:x:1:app\n"
                                         "crlf:x:2004:app\r\n");
  REQUIRE(groups.size() == 4);
  CHECK(groups[0].name == "root");
  CHECK(groups[0].members.empty());
  CHECK(groups[1].gid == 2001);
  CHECK(groups[1].members == std::vector<std::string>{"app", "plain"});
  CHECK(groups[2].members == std::vector<std::string>{"app"});
  CHECK(groups[3].name == "crlf");
  CHECK(groups[3].members == std::vector<std::string>{"app"});
}

TEST_CASE("find_user, find_user_by_uid and find_group: exact keys, first entry wins") {
  const auto users = cinit::parse_passwd("a:x:1:1::/:/bin/sh\n"
                                         "ab:x:2:2::/:/bin/sh\n"
                                         "a:x:3:3::/:/bin/sh\n");
  REQUIRE(cinit::find_user(users, "a"));
  CHECK(cinit::find_user(users, "a")->uid == 1);
  CHECK(cinit::find_user(users, "ab")->uid == 2);
  CHECK_FALSE(cinit::find_user(users, "A"));
  CHECK_FALSE(cinit::find_user(users, ""));
  CHECK_FALSE(cinit::find_user(users, "1"));
  CHECK(cinit::find_user_by_uid(users, 2)->name == "ab");
  CHECK(cinit::find_user_by_uid(cinit::parse_passwd("b:x:5:5::/:\nc:x:5:6::/:\n"), 5)->name == "b");
  CHECK_FALSE(cinit::find_user_by_uid(users, 4));
  const auto groups = cinit::parse_group("g:x:10:\ng:x:11:\n");
  CHECK(cinit::find_group(groups, "g")->gid == 10);
  CHECK_FALSE(cinit::find_group(groups, "h"));
}

TEST_CASE("supplementary_groups: initgroups semantics") {
  const auto groups = cinit::parse_group("app:x:1000:\n"
                                         "docker_env:x:2001:app,plain\n"
                                         "video:x:2002:plain\n"
                                         "audio:x:2003:other,app\n"
                                         "again:x:1000:app\n"
                                         "twice:x:2001:app\n"
                                         "prefix:x:2004:apple\n");
  CHECK(cinit::supplementary_groups(groups, "app", 1000) == std::vector<gid_t>{1000, 2001, 2003});
  CHECK(cinit::supplementary_groups(groups, "plain", 1001) == std::vector<gid_t>{1001, 2001, 2002});
  CHECK(cinit::supplementary_groups(groups, "nobody", 65534) == std::vector<gid_t>{65534});
  CHECK(cinit::supplementary_groups({}, "app", 5) == std::vector<gid_t>{5});
}
