#include "launcher/run/user.hpp"

#include "common/passwd.hpp"
#include "launcher/error.hpp"

namespace cinit::launcher {
namespace {

[[noreturn]] void bad(std::string_view spec, const std::string& why) {
  throw SysError("unable to use user '" + std::string(spec) + "': " + why);
}

} // namespace

ContainerUser resolve_user(std::string_view spec, std::string_view passwd_text,
                           std::string_view group_text) {
  const std::size_t colon = spec.find(':');
  std::string_view user = spec.substr(0, colon);
  const std::string_view group =
      colon == std::string_view::npos ? std::string_view{} : spec.substr(colon + 1);
  if (colon != std::string_view::npos && group.empty())
    bad(spec, "empty group");
  if (user.empty())
    user = "root";

  const std::vector<PasswdEntry> users = parse_passwd(passwd_text);
  const std::vector<GroupEntry> groups = parse_group(group_text);
  ContainerUser out;
  std::optional<PasswdEntry> pw;
  if (const auto id = parse_id(user)) {
    out.uid = static_cast<uid_t>(*id);
    pw = find_user_by_uid(users, out.uid);
  } else {
    pw = find_user(users, user);
    if (!pw) {
      if (user != "root")
        bad(spec, "no such user in the image's /etc/passwd");
      pw = PasswdEntry{.name = "root",
                       .uid = 0,
                       .gid = 0,
                       .gecos = {},
                       .home = "/root",
                       .shell = {}}; // an image without /etc/passwd still has root
    }
    out.uid = pw->uid;
  }
  if (pw) {
    out.gid = pw->gid;
    out.home = pw->home;
  }

  if (!group.empty()) {
    out.explicit_group = true;
    if (const auto id = parse_id(group)) {
      out.gid = static_cast<gid_t>(*id);
    } else {
      const auto g = find_group(groups, group);
      if (!g)
        bad(spec, "no such group in the image's /etc/group");
      out.gid = g->gid;
    }
    out.groups = {out.gid}; // as runc: an explicit group replaces the supplementary ones
  } else if (pw) {
    out.groups = supplementary_groups(groups, pw->name, out.gid);
  } else {
    out.groups = {out.gid};
  }
  return out;
}

} // namespace cinit::launcher
