#include "launcher/error.hpp"
#include "launcher/run/user.hpp"

#include <catch.hpp>

using namespace cinit::launcher;

namespace {
const char* const passwd = "root:x:0:0:root:/root:/bin/sh\n"
                           "app:x:1000:1000::/home/app:/bin/sh\n"
                           "svc:x:100:101::/srv:/usr/sbin/nologin\n";
const char* const group = "root:x:0:\napp:x:1000:\nstaff:x:50:app,svc\nsvc:x:101:\n"
                          "video:x:44:app\n";
using Gids = std::vector<gid_t>;
} // namespace

TEST_CASE("user: root, by default and by name or id, changes nothing") {
  for (const char* spec : {"", "root", "0"}) {
    const ContainerUser u = resolve_user(spec, passwd, group);
    CHECK(u.is_plain_root());
    CHECK(u.home == "/root");
  }
  // An image without /etc/passwd still has root.
  const ContainerUser bare = resolve_user("", "", "");
  CHECK(bare.is_plain_root());
  CHECK(bare.home == "/root");
  // root with an explicit group is a change.
  CHECK_FALSE(resolve_user("root:staff", passwd, group).is_plain_root());
}

TEST_CASE("user: a name takes its passwd ids, home and /etc/group memberships") {
  const ContainerUser u = resolve_user("app", passwd, group);
  CHECK(u.uid == 1000);
  CHECK(u.gid == 1000);
  CHECK(u.groups == Gids{1000, 50, 44});
  CHECK(u.home == "/home/app");
  CHECK_FALSE(u.explicit_group);
  const ContainerUser byid = resolve_user("100", passwd, group);
  CHECK(byid.uid == 100);
  CHECK(byid.gid == 101);
  CHECK(byid.groups == Gids{101, 50});
  CHECK(byid.home == "/srv");
}

TEST_CASE("user: an explicit group replaces the supplementary groups") {
  const ContainerUser u = resolve_user("app:staff", passwd, group);
  CHECK(u.uid == 1000);
  CHECK(u.gid == 50);
  CHECK(u.groups == Gids{50});
  CHECK(u.explicit_group);
  const ContainerUser n = resolve_user("1000:7", passwd, group);
  CHECK(n.gid == 7);
  CHECK(n.groups == Gids{7});
}

TEST_CASE("user: a numeric id the image does not know is used as it is") {
  const ContainerUser u = resolve_user("4242", passwd, group);
  CHECK(u.uid == 4242);
  CHECK(u.gid == 0);
  CHECK(u.groups == Gids{0});
  CHECK(u.home.empty());
  CHECK(resolve_user("4242:4243", passwd, group).gid == 4243);
}

TEST_CASE("user: unknown names and malformed specs are errors naming the spec") {
  for (const char* spec : {"nosuch", "app:nosuch", "app:", "-1", "app:x:y"}) {
    INFO(spec);
    try {
      (void)resolve_user(spec, passwd, group);
      FAIL("accepted");
    } catch (const SysError& e) {
      CHECK(std::string(e.what()).find(std::string("'") + spec + "'") != std::string::npos);
    }
  }
  CHECK(resolve_user("root", "", "not a group file").is_plain_root()); // malformed lines skipped
}
