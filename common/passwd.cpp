#include "common/passwd.hpp"

#include <algorithm>

namespace cinit {
namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    const std::size_t pos = s.find(sep);
    out.push_back(s.substr(0, pos));
    if (pos == std::string_view::npos)
      return out;
    s.remove_prefix(pos + 1);
  }
}

template <typename F> void for_each_line(std::string_view text, F f) {
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    if (!line.empty() && line[0] != '#')
      f(line);
    if (nl == std::string_view::npos)
      break;
    text.remove_prefix(nl + 1);
  }
}

} // namespace

std::optional<unsigned long> parse_id(std::string_view s) {
  if (s.empty() || s.size() > 10)
    return std::nullopt;
  unsigned long v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9')
      return std::nullopt;
    v = v * 10 + static_cast<unsigned long>(c - '0');
  }
  if (v >= 0xffffffffUL) // (uid_t)-1 means "no change" to the kernel
    return std::nullopt;
  return v;
}

std::vector<PasswdEntry> parse_passwd(std::string_view text) {
  std::vector<PasswdEntry> out;
  for_each_line(text, [&](std::string_view line) {
    const auto f = split(line, ':');
    if (f.size() != 7 || f[0].empty())
      return;
    const auto uid = parse_id(f[2]);
    const auto gid = parse_id(f[3]);
    if (!uid || !gid)
      return;
    out.push_back({std::string(f[0]), static_cast<uid_t>(*uid), static_cast<gid_t>(*gid),
                   std::string(f[4]), std::string(f[5]), std::string(f[6])});
  });
  return out;
}

std::vector<GroupEntry> parse_group(std::string_view text) {
  std::vector<GroupEntry> out;
  for_each_line(text, [&](std::string_view line) {
    const auto f = split(line, ':');
    if (f.size() != 4 || f[0].empty())
      return;
    const auto gid = parse_id(f[2]);
    if (!gid)
      return;
    GroupEntry g{std::string(f[0]), static_cast<gid_t>(*gid), {}};
    if (!f[3].empty())
      for (const std::string_view m : split(f[3], ','))
        if (!m.empty())
          g.members.emplace_back(m);
    out.push_back(std::move(g));
  });
  return out;
}

std::optional<PasswdEntry> find_user(const std::vector<PasswdEntry>& users, std::string_view name) {
  for (const PasswdEntry& u : users)
    if (u.name == name)
      return u;
  return std::nullopt;
}

std::optional<PasswdEntry> find_user_by_uid(const std::vector<PasswdEntry>& users, uid_t uid) {
  for (const PasswdEntry& u : users)
    if (u.uid == uid)
      return u;
  return std::nullopt;
}

std::optional<GroupEntry> find_group(const std::vector<GroupEntry>& groups, std::string_view name) {
  for (const GroupEntry& g : groups)
    if (g.name == name)
      return g;
  return std::nullopt;
}

std::vector<gid_t> supplementary_groups(const std::vector<GroupEntry>& groups,
                                        std::string_view user, gid_t primary) {
  std::vector<gid_t> out{primary};
  for (const GroupEntry& g : groups) {
    if (std::find(g.members.begin(), g.members.end(), user) == g.members.end())
      continue;
    if (std::find(out.begin(), out.end(), g.gid) == out.end())
      out.push_back(g.gid);
  }
  return out;
}

} // namespace cinit
