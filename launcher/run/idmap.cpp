#include "launcher/run/idmap.hpp"

#include "common/passwd.hpp"
#include "common/syscall.hpp"
#include "launcher/error.hpp"
#include "launcher/getent.hpp"

// Boost 1.74 compiles bp::posix::use_vfork only when this is set, and its own test for it
// fails on every glibc with _GNU_SOURCE (_POSIX_C_SOURCE >= 200809L), though vfork is there.
#ifndef BOOST_POSIX_HAS_VFORK
#define BOOST_POSIX_HAS_VFORK 1
#endif
#include <boost/process.hpp>
#include <boost/process/posix.hpp>
#include <cstdlib>
#include <fcntl.h>
#include <unistd.h>

namespace cinit::launcher {
namespace {

namespace bp = boost::process;

std::string helper_path(const char* name) {
  // Debian installs both in /usr/bin; PATH is the fallback for other layouts.
  const std::string fixed = std::string("/usr/bin/") + name;
  if (::access(fixed.c_str(), X_OK) == 0)
    return fixed;
  const auto found = bp::search_path(name);
  if (found.empty())
    throw SysError(std::string("unable to find '") + name +
                   "' (Debian package uidmap); or set LAUNCHER_NO_SUBIDS=1");
  return found.string();
}

void write_proc(pid_t pid, const char* file, const std::string& text) {
  const std::string path = "/proc/" + std::to_string(pid) + "/" + file;
  const int fd = retry_eintr([&] { return ::open(path.c_str(), O_WRONLY | O_CLOEXEC); });
  if (fd < 0)
    throw SysError("unable to open", path, errno);
  const bool ok = write_full(fd, text);
  const int err = errno;
  ::close(fd);
  if (!ok)
    throw SysError("unable to write", path, err);
}

} // namespace

std::optional<SubIdRange> find_subid_range(std::string_view text, std::string_view user,
                                           unsigned long id) {
  const std::string id_str = std::to_string(id);
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    const std::size_t c1 = line.find(':');
    const std::size_t c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
    if (c2 == std::string_view::npos)
      continue;
    const std::string_view who = line.substr(0, c1);
    if (who != user && who != id_str)
      continue;
    const auto start = parse_id(line.substr(c1 + 1, c2 - c1 - 1));
    const auto count = parse_id(line.substr(c2 + 1));
    if (start && count && *count > 0)
      return SubIdRange{*start, *count};
  }
  return std::nullopt;
}

IdMapPlan plan_id_map() {
  IdMapPlan p;
  p.uid = ::getuid();
  p.gid = ::getgid();
  // The name, for the sub-id files and messages: /etc/passwd's, else the number (which
  // newuidmap accepts too). Users from LDAP or SSSD are asked of the host's getent below, and
  // only when no sub-id line names their uid: it costs a process.
  bool named = false;
  if (const auto text = read_file("/etc/passwd"))
    if (const auto pw = find_user_by_uid(parse_passwd(*text), p.uid)) {
      p.user = pw->name;
      named = true;
    }
  if (!named)
    p.user = std::to_string(p.uid);
  const char* no = std::getenv("LAUNCHER_NO_SUBIDS");
  if (no != nullptr && *no != '\0' && std::string_view(no) != "0")
    return p;
  const auto uids = read_file("/etc/subuid");
  const auto gids = read_file("/etc/subgid");
  if (!uids || !gids)
    return p;
  auto u = find_subid_range(*uids, p.user, p.uid);
  auto g = find_subid_range(*gids, p.user, p.uid);
  if ((!u || !g) && !named)
    if (const auto pw = getent_user(p.uid)) {
      p.user = pw->name;
      u = find_subid_range(*uids, p.user, p.uid);
      g = find_subid_range(*gids, p.user, p.uid);
    }
  if (!u || !g)
    return p;
  p.sub_ids = true;
  p.subuid = *u;
  p.subgid = *g;
  return p;
}

void apply_id_map(pid_t pid, const IdMapPlan& plan) {
  if (!plan.sub_ids) {
    // Unprivileged gid_map writes need setgroups denied first (user_namespaces(7)).
    write_proc(pid, "setgroups", "deny");
    write_proc(pid, "gid_map", "0 " + std::to_string(plan.gid) + " 1\n");
    write_proc(pid, "uid_map", "0 " + std::to_string(plan.uid) + " 1\n");
    return;
  }
  const std::string p = std::to_string(pid);
  // Both helpers run at once: they write different files of the same namespace. vfork: a
  // fork would copy our page tables (and take copy-on-write faults afterwards) only for exec
  // to drop them, twice per `run`.
  std::error_code ec_u, ec_g;
  bp::child uidmap(helper_path("newuidmap"), p, "0", std::to_string(plan.uid), "1", "1",
                   std::to_string(plan.subuid.start), std::to_string(plan.subuid.count),
                   bp::std_in.close(), bp::posix::use_vfork, ec_u);
  bp::child gidmap(helper_path("newgidmap"), p, "0", std::to_string(plan.gid), "1", "1",
                   std::to_string(plan.subgid.start), std::to_string(plan.subgid.count),
                   bp::std_in.close(), bp::posix::use_vfork, ec_g);
  if (ec_u)
    throw SysError("unable to run", "newuidmap", ec_u.value());
  if (ec_g)
    throw SysError("unable to run", "newgidmap", ec_g.value());
  uidmap.wait();
  gidmap.wait();
  if (uidmap.exit_code() != 0)
    throw SysError("unable to map user ids: newuidmap " + p + " 0 " + std::to_string(plan.uid) +
                   " 1 1 " + std::to_string(plan.subuid.start) + " " +
                   std::to_string(plan.subuid.count) + " exited with status " +
                   std::to_string(uidmap.exit_code()));
  if (gidmap.exit_code() != 0)
    throw SysError("unable to map group ids: newgidmap " + p + " 0 " + std::to_string(plan.gid) +
                   " 1 1 " + std::to_string(plan.subgid.start) + " " +
                   std::to_string(plan.subgid.count) + " exited with status " +
                   std::to_string(gidmap.exit_code()));
}

} // namespace cinit::launcher
