#include "launcher/run/mounts.hpp"

#include "launcher/error.hpp"
#include "launcher/image/unpack.hpp"

#include <cerrno>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace cinit::launcher {
namespace {

std::string fd_path(int fd) {
  return "/proc/self/fd/" + std::to_string(fd);
}

int open_in_root(int root_fd, const std::string& rel, int flags) {
  open_how how{};
  how.flags = static_cast<unsigned long long>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  const long r = ::syscall(SYS_openat2, root_fd, rel.empty() ? "." : rel.c_str(), &how, sizeof how);
  return static_cast<int>(r);
}

void do_mount(const char* source, const std::string& target, const char* type, unsigned long flags,
              const char* data, const char* what) {
  if (::mount(source, target.c_str(), type, flags, data) != 0)
    throw SysError(std::string("unable to mount ") + what + " on", target, errno);
}

void make_dir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST)
    throw SysError("unable to create directory", path, errno);
}

void make_symlink(const char* target, const std::string& path) {
  if (::symlink(target, path.c_str()) != 0 && errno != EEXIST)
    throw SysError("unable to create symlink", path, errno);
}

// Binds the host's device node `source` onto a new empty file `path` (mknod of real devices is
// refused in a user namespace). Returns the errno of the first failure, 0 on success.
int bind_node(const char* source, const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0)
    return errno;
  ::close(fd);
  return ::mount(source, path.c_str(), nullptr, MS_BIND, nullptr) == 0 ? 0 : errno;
}

UniqueFd open_root(const std::string& root) {
  UniqueFd fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid())
    throw SysError("unable to open", root, errno);
  return fd;
}

} // namespace

void make_mounts_private() {
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    throw SysError("unable to make mounts private on", "/", errno);
}

void mount_tmpfs(const std::string& target, const std::string& options, unsigned long flags) {
  do_mount("tmpfs", target, "tmpfs", flags, options.c_str(), "tmpfs");
}

std::string overlay_options(const std::vector<std::string>& lower_top_first,
                            const std::string& upper, const std::string& work) {
  if (lower_top_first.empty())
    throw SysError("unable to mount an image without layers");
  std::string o = "lowerdir=";
  for (std::size_t i = 0; i < lower_top_first.size(); ++i) {
    if (lower_top_first[i].find_first_of(":,") != std::string::npos)
      throw SysError("unable to use layer directory", lower_top_first[i], EINVAL);
    if (i > 0)
      o.push_back(':');
    o += lower_top_first[i];
  }
  if (upper.find_first_of(":,") != std::string::npos ||
      work.find_first_of(":,") != std::string::npos)
    throw SysError("unable to use upper directory", upper, EINVAL);
  o += ",upperdir=" + upper + ",workdir=" + work + ",userxattr";
  return o;
}

void mount_overlay(const std::string& target, const std::string& lower_base,
                   const std::vector<std::string>& lower_top_first, const std::string& upper,
                   const std::string& work) {
  const std::string opts = overlay_options(lower_top_first, upper, work);
  if (opts.size() >= 4096)
    throw SysError("unable to mount overlay on '" + target + "': too many layers (" +
                   std::to_string(lower_top_first.size()) + ")");
  if (::chdir(lower_base.c_str()) != 0)
    throw SysError("unable to enter", lower_base, errno);
  do_mount("overlay", target, "overlay", 0, opts.c_str(), "overlay");
}

bool mount_proc(const std::string& root) {
  const std::string target = root + "/proc";
  make_dir(target, 0555);
  if (::mount("proc", target.c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) == 0)
    return true;
  // EPERM: the current /proc has locked over-mounts (we are inside another container).
  do_mount("/proc", target, nullptr, MS_BIND | MS_REC, nullptr, "/proc");
  return false;
}

void setup_dev(const std::string& root) {
  const std::string dev = root + "/dev";
  make_dir(dev, 0755);
  // Not nodev: the binds below are device nodes.
  mount_tmpfs(dev, "mode=755,size=65536k", MS_NOSUID | MS_STRICTATIME);
  for (const char* node : {"null", "zero", "full", "random", "urandom", "tty"}) {
    const std::string path = dev + "/" + node;
    if (const int err = bind_node((std::string("/dev/") + node).c_str(), path); err != 0)
      throw SysError("unable to bind the device on", path, err);
  }
  // A private devpts instance: the host's may have ptmxmode=000, and ptys must not be shared.
  make_dir(dev + "/pts", 0755);
  do_mount("devpts", dev + "/pts", "devpts", MS_NOSUID | MS_NOEXEC,
           "newinstance,ptmxmode=0666,mode=620", "devpts");
  make_symlink("pts/ptmx", dev + "/ptmx");
  make_dir(dev + "/shm", 01777);
  mount_tmpfs(dev + "/shm", "mode=1777", MS_NOSUID | MS_NODEV);
  make_dir(dev + "/mqueue", 0755);
  if (::mount("mqueue", (dev + "/mqueue").c_str(), "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC,
              nullptr) != 0)
    (void)::rmdir((dev + "/mqueue").c_str()); // optional: POSIX queues are rarely needed
  // On a terminal, /dev/console is that terminal, as docker -t gives it (getty, syslog and
  // boot scripts write there). Best effort: without it the container still runs.
  char tty[64];
  if (::isatty(STDIN_FILENO) == 1 && ::ttyname_r(STDIN_FILENO, tty, sizeof tty) == 0 &&
      bind_node(tty, dev + "/console") != 0)
    (void)::unlink((dev + "/console").c_str());
  make_symlink("/proc/self/fd", dev + "/fd");
  make_symlink("/proc/self/fd/0", dev + "/stdin");
  make_symlink("/proc/self/fd/1", dev + "/stdout");
  make_symlink("/proc/self/fd/2", dev + "/stderr");
}

void mount_sys(const std::string& root, bool own_netns) {
  const std::string target = root + "/sys";
  make_dir(target, 0555);
  // sysfs may only be mounted by the owner of the current network namespace.
  if (own_netns && ::mount("sysfs", target.c_str(), "sysfs",
                           MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) == 0)
    return;
  do_mount("/sys", target, nullptr, MS_BIND | MS_REC, nullptr, "/sys");
  UniqueFd fd(::open(target.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid())
    throw SysError("unable to open", target, errno);
  // MS_REMOUNT|MS_RDONLY|MS_REC would leave /sys/fs/cgroup/* writable (NOTES §1.9).
  make_read_only(fd.get(), true);
}

UniqueFd make_mount_point(const std::string& root, std::string_view target, MountPointKind kind) {
  const std::size_t start = target.find_first_not_of('/');
  const auto comps = split_entry_path(start == std::string_view::npos ? "" : target.substr(start));
  if (!target.starts_with('/') || !comps || comps->empty())
    throw SysError("unable to use mount point", std::string(target), EINVAL);
  const UniqueFd root_fd = open_root(root);
  UniqueFd parent(::fcntl(root_fd.get(), F_DUPFD_CLOEXEC, 0));
  std::string prefix;
  for (std::size_t i = 0; i + 1 < comps->size(); ++i) {
    prefix += (i > 0 ? "/" : "") + (*comps)[i];
    int fd = open_in_root(root_fd.get(), prefix, O_PATH | O_DIRECTORY);
    if (fd < 0 && errno == ENOENT) {
      if (::mkdirat(parent.get(), (*comps)[i].c_str(), 0755) != 0 && errno != EEXIST)
        throw SysError("unable to create directory", "/" + prefix, errno);
      fd = open_in_root(root_fd.get(), prefix, O_PATH | O_DIRECTORY);
    }
    if (fd < 0)
      throw SysError("unable to open", "/" + prefix, errno);
    parent.reset(fd);
  }
  std::string full = prefix.empty() ? comps->back() : prefix + "/" + comps->back();
  int fd = open_in_root(root_fd.get(), full, O_PATH);
  if (fd >= 0)
    return UniqueFd(fd);
  if (errno != ENOENT)
    throw SysError("unable to open", "/" + full, errno);
  const char* last = comps->back().c_str();
  if (kind == MountPointKind::directory) {
    if (::mkdirat(parent.get(), last, 0755) != 0 && errno != EEXIST)
      throw SysError("unable to create directory", "/" + full, errno);
  } else {
    const int f = ::openat(parent.get(), last, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (f < 0)
      throw SysError("unable to create", "/" + full, errno);
    ::close(f);
  }
  fd = open_in_root(root_fd.get(), full, O_PATH);
  if (fd < 0)
    throw SysError("unable to open", "/" + full, errno);
  return UniqueFd(fd);
}

void bind_into_root(const std::string& root, const std::string& source, std::string_view target,
                    const BindOptions& opts) {
  struct stat st {};
  if (::stat(source.c_str(), &st) != 0)
    throw SysError("unable to bind", source, errno);
  const UniqueFd point = make_mount_point(
      root, target, S_ISDIR(st.st_mode) ? MountPointKind::directory : MountPointKind::file);
  const unsigned long flags = MS_BIND | (opts.recursive ? static_cast<unsigned long>(MS_REC) : 0UL);
  if (::mount(source.c_str(), fd_path(point.get()).c_str(), nullptr, flags, nullptr) != 0)
    throw SysError("unable to bind '" + source + "' on", std::string(target), errno);
  if (!opts.read_only)
    return;
  // The fd still names the covered mount point; a fresh lookup lands on the new mount.
  const UniqueFd root_fd = open_root(root);
  const std::string rel(target.substr(target.find_first_not_of('/')));
  UniqueFd mounted(open_in_root(root_fd.get(), rel, O_PATH));
  if (!mounted.valid())
    throw SysError("unable to open", std::string(target), errno);
  make_read_only(mounted.get(), opts.recursive);
}

void make_read_only(int mount_fd, bool recursive) {
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_RDONLY;
  const unsigned int at_flags = AT_EMPTY_PATH | (recursive ? unsigned{AT_RECURSIVE} : 0U);
  if (::mount_setattr(mount_fd, "", at_flags, &attr, sizeof attr) == 0)
    return;
  if (errno != ENOSYS)
    throw SysError("unable to make read-only", fd_path(mount_fd), errno);
  // Kernels before 5.12: a remount must repeat the flags the kernel locked when the mount was
  // made in a less privileged namespace, or it fails with EPERM. Submounts stay as they are.
  const std::string path = fd_path(mount_fd);
  struct statvfs sv {};
  if (::statvfs(path.c_str(), &sv) != 0)
    throw SysError("unable to statvfs", path, errno);
  unsigned long keep = 0;
  const std::pair<unsigned long, unsigned long> locked[] = {
      {ST_NOSUID, MS_NOSUID},   {ST_NODEV, MS_NODEV},           {ST_NOEXEC, MS_NOEXEC},
      {ST_NOATIME, MS_NOATIME}, {ST_NODIRATIME, MS_NODIRATIME}, {ST_RELATIME, MS_RELATIME}};
  for (const auto& [st_flag, ms_flag] : locked)
    if ((sv.f_flag & st_flag) != 0)
      keep |= ms_flag;
  if (::mount(nullptr, path.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | keep, nullptr) !=
      0)
    throw SysError("unable to remount read-only", path, errno);
}

void pivot_into(const std::string& root) {
  if (::chdir(root.c_str()) != 0)
    throw SysError("unable to enter", root, errno);
  // pivot_root(".", ".") stacks the old root on the new one; detaching "." then drops it.
  if (::syscall(SYS_pivot_root, ".", ".") != 0)
    throw SysError("unable to pivot_root to", root, errno);
  if (::umount2(".", MNT_DETACH) != 0)
    throw SysError("unable to detach the old root", "/", errno);
  if (::chdir("/") != 0)
    throw SysError("unable to enter", "/", errno);
}

} // namespace cinit::launcher
