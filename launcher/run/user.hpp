// The container's user: the image's User (Dockerfile USER) or `run --user`, in Docker's forms
// (NAME, UID, NAME:GROUP, UID:GID and mixes), resolved against the image's own /etc/passwd
// and /etc/group, as runc does. Parsing only; runtime.cpp applies it after pivot_root.
#pragma once

#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace cinit::launcher {

struct ContainerUser {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups; // for setgroups(): the primary group first
  std::string home;          // from passwd; "" when the user has no entry
  bool explicit_group = false;

  // Root as the launcher already is: nothing to change (and the host's supplementary
  // groups, e.g. video for GPUs, stay).
  bool is_plain_root() const { return uid == 0 && gid == 0 && !explicit_group; }
};

// `spec` "" means root. `passwd` and `group` are the files' text ("" when missing). A name
// that the files do not know, or a malformed id, is a SysError naming `spec`.
ContainerUser resolve_user(std::string_view spec, std::string_view passwd, std::string_view group);

} // namespace cinit::launcher
