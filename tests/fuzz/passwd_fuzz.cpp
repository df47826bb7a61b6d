// Fuzzes /etc/passwd and /etc/group parsing: no crash, parsed entries are well-formed, and
// writing an entry back as a line parses to the same entry.
#include "common/passwd.hpp"
#include "tests/fuzz/check.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

using cinit::fuzz::check;

namespace {

bool clean_field(const std::string& f) {
  return f.find(':') == std::string::npos && f.find('\n') == std::string::npos;
}

// The reference: strtoul's reading of an all-digit string of at most 10 digits.
bool id_ok(std::string_view s, unsigned long v) {
  if (s.empty() || s.size() > 10 ||
      !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  return std::strtoul(std::string(s).c_str(), nullptr, 10) == v && v < 0xffffffffUL;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::size_t lines =
      static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;

  const auto id = cinit::parse_id(text);
  if (id)
    check(id_ok(text, *id), "parse_id agrees with strtoul");
  else
    check(text.size() > 10 || !id_ok(text, std::strtoul(std::string(text).c_str(), nullptr, 10)),
          "parse_id refuses only what strtoul cannot read exactly");

  const auto users = cinit::parse_passwd(text);
  check(users.size() <= lines, "at most one user per line");
  for (const cinit::PasswdEntry& u : users) {
    check(!u.name.empty() && u.name[0] != '#', "names are non-empty and not comments");
    check(clean_field(u.name) && clean_field(u.gecos) && clean_field(u.home) &&
              clean_field(u.shell),
          "no field holds a separator");
    check(u.uid != static_cast<uid_t>(-1) && u.gid != static_cast<gid_t>(-1), "ids are not -1");
    // "\r\n": the parser drops one CR before the newline, so a field ending in CR survives.
    const std::string line = u.name + ":x:" + std::to_string(u.uid) + ":" + std::to_string(u.gid) +
                             ":" + u.gecos + ":" + u.home + ":" + u.shell + "\r\n";
    const auto again = cinit::parse_passwd(line);
    check(again.size() == 1, "an entry written back parses");
    check(again[0].name == u.name && again[0].uid == u.uid && again[0].gid == u.gid &&
              again[0].gecos == u.gecos && again[0].home == u.home && again[0].shell == u.shell,
          "passwd round trip");
    const auto found = cinit::find_user(users, u.name);
    check(found && found->name == u.name, "find_user finds every name");
  }

  const auto groups = cinit::parse_group(text);
  check(groups.size() <= lines, "at most one group per line");
  for (const cinit::GroupEntry& g : groups) {
    check(!g.name.empty() && clean_field(g.name), "group names are clean");
    std::string members;
    for (const std::string& m : g.members) {
      check(!m.empty() && clean_field(m) && m.find(',') == std::string::npos,
            "members are non-empty, without separators");
      members += (members.empty() ? "" : ",") + m;
    }
    const auto again =
        cinit::parse_group(g.name + ":x:" + std::to_string(g.gid) + ":" + members + "\r\n");
    check(again.size() == 1 && again[0].name == g.name && again[0].gid == g.gid &&
              again[0].members == g.members,
          "group round trip");
  }

  // initgroups semantics for every user named anywhere.
  for (const cinit::PasswdEntry& u : users) {
    const std::vector<gid_t> sup = cinit::supplementary_groups(groups, u.name, u.gid);
    check(!sup.empty() && sup[0] == u.gid, "the primary group comes first");
    for (std::size_t i = 0; i < sup.size(); ++i) {
      check(std::count(sup.begin(), sup.end(), sup[i]) == 1, "no duplicates");
      if (i == 0)
        continue;
      check(std::any_of(groups.begin(), groups.end(),
                        [&](const cinit::GroupEntry& g) {
                          return g.gid == sup[i] && std::find(g.members.begin(), g.members.end(),
                                                              u.name) != g.members.end();
                        }),
            "every other group lists the user");
    }
  }
  return 0;
}
