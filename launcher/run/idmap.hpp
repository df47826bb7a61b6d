// User namespace id maps. With /etc/subuid and /etc/subgid ranges: 0 -> the user, 1..N -> the
// sub-ids, written by the setuid helpers newuidmap/newgidmap (Debian `uidmap`). Without them:
// the user alone as 0, written by us after setgroups=deny (user_namespaces(7)).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace cinit::launcher {

struct SubIdRange {
  unsigned long start = 0;
  unsigned long count = 0;
};

// The first "NAME:START:COUNT" or "UID:START:COUNT" line of a subuid/subgid file for this user.
// /etc/subgid too names the user by uid, never by gid: shadow's newgidmap checks it so.
std::optional<SubIdRange> find_subid_range(std::string_view text, std::string_view user,
                                           unsigned long id);

struct IdMapPlan {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string user;
  bool sub_ids = false; // newuidmap/newgidmap with the ranges below
  SubIdRange subuid;
  SubIdRange subgid;
};

// Reads the sub-id files for the calling user, named as /etc/passwd names it or, for users
// only the host's name service knows (LDAP, SSSD), as the host's getent does.
// LAUNCHER_NO_SUBIDS=1 ignores them (tests, or sites where the helpers are broken).
IdMapPlan plan_id_map();

// Writes the maps of the user namespace that process `pid` (our child) has just entered.
// Throws SysError naming the helper or file that failed.
void apply_id_map(pid_t pid, const IdMapPlan& plan);

} // namespace cinit::launcher
