#include "init/boot.hpp"

#include "common/log.hpp"
#include "common/passwd.hpp"
#include "common/syscall.hpp"
#include "common/unique_fd.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cinit::init {
namespace {

void warn_entry(const std::string& path, const std::string& problem) {
  warn("skipping '" + path + "': " + problem);
}

} // namespace

ContainerEnv::ContainerEnv(Env inherited, Paths paths)
    : env_(std::move(inherited)), paths_(std::move(paths)) {}

void ContainerEnv::find_group_once() {
  // Read only when a dump is written: an image without the env dir pays nothing for it.
  if (group_looked_up_)
    return;
  group_looked_up_ = true;
  if (const auto text = read_file(paths_.group_file))
    if (const auto g = find_group(parse_group(*text), "docker_env"))
      group_ = g->gid;
}

bool ContainerEnv::dir_exists() const {
  struct stat st {};
  return ::stat(paths_.env_dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

void ContainerEnv::import_initial() {
  if (!dir_exists())
    return;
  for (auto& [name, value] : read_env_dir(paths_.env_dir, warn_entry))
    env_.try_emplace(name, std::move(value));
}

void ContainerEnv::reimport() {
  if (!dir_exists())
    return;
  Env next = read_env_dir(paths_.env_dir, warn_entry);
  for (const auto& [name, value] : env_)
    // Never-dumped names survive (HOME, USER, SHELL), and so does what could not be written
    // to the dir (a read-only root): losing PATH to a failed write would be worse.
    if (env_dump_excluded(name) || unwritten_.count(name) != 0)
      next.try_emplace(name, value);
  env_ = std::move(next);
}

// chmod/chown without following links: a script's `ln -s /dev/null VAR` must not make cinit
// change /dev/null. Only regular files (and the dir itself) are touched.
void ContainerEnv::secure(const std::string& path, mode_t mode, bool is_dir) {
  const int flags = is_dir ? O_RDONLY | O_DIRECTORY : O_RDONLY | O_NOFOLLOW | O_NONBLOCK;
  UniqueFd fd(retry_eintr([&] { return ::open(path.c_str(), flags | O_CLOEXEC); }));
  struct stat st {};
  if (!fd.valid() || ::fstat(fd.get(), &st) != 0 || (!is_dir && !S_ISREG(st.st_mode)))
    return; // not ours to secure: read_env_dir reports such entries
  if ((st.st_mode & 07777) != mode && ::fchmod(fd.get(), mode) != 0)
    warn_sys(errno, "unable to chmod '" + path + "'");
  if (group_ != static_cast<gid_t>(-1) && st.st_gid != group_ &&
      ::fchown(fd.get(), 0, group_) != 0) {
    // A user namespace that maps no such group (a rootless single-id map): say so once and
    // keep the files root's, 0640.
    warn_sys(errno, "unable to give '" + path + "' to group docker_env; keeping it root's");
    group_ = static_cast<gid_t>(-1);
  }
}

void ContainerEnv::write(const std::string& path, const std::string& data) {
  if (!write_file_atomic(path, data, 0640)) {
    warn_sys(errno, "unable to write '" + path + "'");
    return;
  }
  secure(path, 0640, false);
}

void ContainerEnv::dump(bool with_dir) {
  if (!dir_exists())
    return; // my_init skips every dump when the dir is missing
  find_group_once();
  if (!with_dir) {
    // A startup script may have written files with its own umask: re-secure them.
    if (const auto names = list_dir(paths_.env_dir))
      for (const std::string& name : *names)
        if (name[0] != '.')
          secure(paths_.env_dir + "/" + name, 0640, false);
  } else {
    secure(paths_.env_dir, 0750, true);
    unwritten_.clear();
    for (const auto& [name, value] : env_) {
      if (env_dump_excluded(name) || name[0] == '.' || name.find('/') != std::string::npos)
        continue;
      const std::string path = paths_.env_dir + "/" + name;
      const auto old = read_regular_file(path, max_env_value);
      if (old && *old == value) {
        secure(path, 0640, false); // unchanged: only make sure it is not world-readable
      } else if (!write_file_atomic(path, value, 0640)) {
        warn_sys(errno, "unable to write '" + path + "'");
        unwritten_.insert(name);
      } else {
        secure(path, 0640, false);
      }
    }
  }
  write(paths_.env_sh, env_to_sh(env_));
  write(paths_.env_json, env_to_json(env_));
}

std::vector<std::string> startup_scripts(const std::string& dir) {
  std::vector<std::string> out;
  const auto names = list_dir(dir);
  if (!names) {
    if (errno != ENOENT)
      warn_sys(errno, "unable to read '" + dir + "'");
    return out;
  }
  for (const std::string& name : *names) {
    const std::string path = dir + "/" + name;
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0)
      out.push_back(path);
  }
  return out;
}

} // namespace cinit::init
