// setuser: supplementary groups, then gid, then uid (initgroups before setgid before setuid:
// after setuid nothing else may change), then the environment, then exec. Dies on the first
// error: there is nothing to undo before exec.
#include "setuser/setuser.hpp"

#include "common/log.hpp"
#include "common/passwd.hpp"
#include "common/spawn.hpp"
#include "common/syscall.hpp"

#include <cerrno>
#include <cstdlib>
#include <grp.h>
#include <unistd.h>

namespace cinit::setuser {
namespace {

constexpr const char* passwd_path = "/etc/passwd";
constexpr const char* group_path = "/etc/group";

std::string read_or_die(const char* path, bool missing_ok) {
  std::optional<std::string> text = read_file(path);
  if (text)
    return std::move(*text);
  const int err = errno;
  // An image without /etc/group still has users whose only group is their primary one.
  if (missing_ok && err == ENOENT)
    return {};
  die_sys(1, err, std::string("unable to read '") + path + "'");
}

// unshare -r and the launcher's single-uid fallback write "deny" to /proc/self/setgroups:
// no one in that namespace can change the supplementary groups, so refusing to go on would
// only make setuser unusable there without protecting anything.
bool setgroups_denied() {
  const std::optional<std::string> s = read_file("/proc/self/setgroups");
  return s && s->rfind("deny", 0) == 0;
}

void set_env_or_die(const char* name, const std::string& value) {
  if (::setenv(name, value.c_str(), 1) != 0)
    die_sys(1, errno, std::string("unable to set '") + name + "'");
}

} // namespace

void run(const Options& opts) {
  const std::vector<PasswdEntry> users = parse_passwd(read_or_die(passwd_path, false));
  const std::optional<PasswdEntry> pw = find_user(users, opts.user);
  if (!pw) {
    // phusion's exact message (not our usual fatal format): scripts may match on it.
    log_line("setuser: user " + opts.user + " not found");
    std::exit(1);
  }
  const std::vector<gid_t> groups =
      supplementary_groups(parse_group(read_or_die(group_path, true)), pw->name, pw->gid);

  if (::setgroups(groups.size(), groups.data()) != 0) {
    const int err = errno;
    if (err != EPERM || !setgroups_denied())
      die_sys(1, err, "unable to set supplementary groups of '" + pw->name + "'");
    warn("unable to set supplementary groups of '" + pw->name +
         "': setgroups is denied in this user namespace");
  }
  if (::setgid(pw->gid) != 0)
    die_sys(1, errno, "unable to set group id " + std::to_string(pw->gid));
  if (::setuid(pw->uid) != 0)
    die_sys(1, errno, "unable to set user id " + std::to_string(pw->uid));

  // phusion sets USER, HOME and UID; LOGNAME and SHELL complete what login(1) sets, so that
  // programs reading either see the new user. Everything else is inherited unchanged.
  set_env_or_die("USER", pw->name);
  set_env_or_die("LOGNAME", pw->name);
  set_env_or_die("HOME", pw->home.empty() ? "/" : pw->home);
  set_env_or_die("UID", std::to_string(pw->uid));
  // An empty shell field means /bin/sh (passwd(5)).
  set_env_or_die("SHELL", pw->shell.empty() ? "/bin/sh" : pw->shell);

  std::vector<char*> argv = c_strings(opts.command);
  ::execvp(argv[0], argv.data());
  const int err = errno;
  die_sys(err == ENOENT ? 127 : 126, err, "unable to execute '" + opts.command[0] + "'");
}

} // namespace cinit::setuser
