// /etc/passwd and /etc/group parsed directly: static binaries have no NSS, and an image's
// own files are the truth inside a container.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace cinit {

struct PasswdEntry {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string gecos;
  std::string home;
  std::string shell;
};

struct GroupEntry {
  std::string name;
  gid_t gid = 0;
  std::vector<std::string> members;
};

// Malformed lines (wrong field count, bad numbers) and '#' comments are skipped.
std::vector<PasswdEntry> parse_passwd(std::string_view text);
std::vector<GroupEntry> parse_group(std::string_view text);

std::optional<PasswdEntry> find_user(const std::vector<PasswdEntry>& users, std::string_view name);
// The first entry with this uid, as getpwuid(3) answers from the files.
std::optional<PasswdEntry> find_user_by_uid(const std::vector<PasswdEntry>& users, uid_t uid);
std::optional<GroupEntry> find_group(const std::vector<GroupEntry>& groups, std::string_view name);

// initgroups(3) semantics: `primary` first, then every group listing `user`, no duplicates.
std::vector<gid_t> supplementary_groups(const std::vector<GroupEntry>& groups,
                                        std::string_view user, gid_t primary);

// Parses a decimal id (0..2^32-2). nullopt on anything else.
std::optional<unsigned long> parse_id(std::string_view s);

} // namespace cinit
