// GPU mounting: carries out a GpuPlan in the container's mount namespace, before pivot_root.
// Every path inside the new root is resolved with openat2(RESOLVE_IN_ROOT), so the image's own
// symlinks (/lib -> usr/lib, /var/run -> /run) are followed the way the container will see
// them and can never lead a mount out of the root. Mounts use the fd-based API
// (open_tree/mount_setattr/move_mount, Linux 5.12+): flags are only ever added to the
// source's, so locked flags are kept (NOTES.md §1.10).
#include "common/log.hpp"
#include "common/spawn.hpp"
#include "common/syscall.hpp"
#include "common/unique_fd.hpp"
#include "launcher/error.hpp"
#include "launcher/gpu/gpu.hpp"

#include <cerrno>
#include <climits>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace cinit::launcher {

namespace {

constexpr const char* forward_compat_dir = "/usr/local/cuda/compat";

std::string parent_of(const std::string& path) {
  std::size_t slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

std::string name_of(const std::string& path) {
  return path.substr(path.rfind('/') + 1);
}

// Opens `path` inside the tree of `root_fd`, as if that were "/". -1 with errno on failure.
int open_in_root(int root_fd, const std::string& path, std::uint64_t flags) {
  open_how how{};
  how.flags = flags | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  std::string rel = path.empty() || path == "/" ? "." : path;
  return static_cast<int>(
      retry_eintr([&] { return syscall(SYS_openat2, root_fd, rel.c_str(), &how, sizeof how); }));
}

// When `path`'s last component is a dangling symlink in `parent`, the path it names inside
// the root (the image's /usr/local -> /opt/local with no /opt/local yet): what the container
// would reach through it, so the mount point is made there, as runtimes do for binds.
std::optional<std::string> dangling_target(int parent, const std::string& path) {
  char buf[PATH_MAX];
  ssize_t n = readlinkat(parent, name_of(path).c_str(), buf, sizeof buf);
  if (n <= 0 || static_cast<std::size_t>(n) >= sizeof buf)
    return std::nullopt;
  std::string target(buf, static_cast<std::size_t>(n));
  return target.front() == '/' ? target : parent_of(path) + "/" + target;
}

constexpr int max_links = 40; // the kernel's own ELOOP limit

[[noreturn]] void loop_error(const std::string& root, const std::string& path) {
  throw SysError("unable to create mount point", root + path, ELOOP);
}

// The directory `path` inside the root, created (0755, with its parents) where missing.
// Creation lands in the overlay's fresh upper layer or on the /dev tmpfs.
UniqueFd ensure_dir(int root_fd, const std::string& root, const std::string& path, int links = 0) {
  if (links > max_links)
    loop_error(root, path);
  UniqueFd fd(open_in_root(root_fd, path, O_PATH | O_DIRECTORY));
  if (fd.valid() || errno != ENOENT || path == "/") {
    if (!fd.valid()) {
      int err = errno;
      throw SysError("unable to open", root + path, err);
    }
    return fd;
  }
  UniqueFd parent = ensure_dir(root_fd, root, parent_of(path), links);
  if (mkdirat(parent.get(), name_of(path).c_str(), 0755) != 0 && errno != EEXIST) {
    int err = errno;
    throw SysError("unable to create directory", root + path, err);
  }
  fd.reset(open_in_root(root_fd, path, O_PATH | O_DIRECTORY));
  if (!fd.valid() && errno == ENOENT) {
    if (std::optional<std::string> target = dangling_target(parent.get(), path)) {
      (void)ensure_dir(root_fd, root, *target, links + 1);
      fd.reset(open_in_root(root_fd, path, O_PATH | O_DIRECTORY));
    }
  }
  if (!fd.valid()) {
    int err = errno;
    throw SysError("unable to open", root + path, err);
  }
  return fd;
}

// A mount point for a file: the existing file, or a new empty one.
UniqueFd ensure_file(int root_fd, const std::string& root, const std::string& path, int links = 0) {
  if (links > max_links)
    loop_error(root, path);
  UniqueFd fd(open_in_root(root_fd, path, O_PATH));
  if (fd.valid())
    return fd;
  if (errno != ENOENT) {
    int err = errno;
    throw SysError("unable to open", root + path, err);
  }
  UniqueFd parent = ensure_dir(root_fd, root, parent_of(path));
  UniqueFd created(retry_eintr([&] {
    return openat(parent.get(), name_of(path).c_str(),
                  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  }));
  if (!created.valid() && errno != EEXIST) {
    int err = errno;
    throw SysError("unable to create mount point", root + path, err);
  }
  fd.reset(open_in_root(root_fd, path, O_PATH));
  if (!fd.valid() && errno == ENOENT) {
    if (std::optional<std::string> target = dangling_target(parent.get(), path)) {
      (void)ensure_file(root_fd, root, *target, links + 1);
      fd.reset(open_in_root(root_fd, path, O_PATH));
    }
  }
  if (!fd.valid()) {
    int err = errno;
    throw SysError("unable to open", root + path, err);
  }
  return fd;
}

void bind(const GpuBind& b, int root_fd, const std::string& root) {
  bool is_dir = b.kind == GpuBind::Kind::dir || b.kind == GpuBind::Kind::dir_rw;
  UniqueFd target =
      is_dir ? ensure_dir(root_fd, root, b.target) : ensure_file(root_fd, root, b.target);
  // AT_RECURSIVE: a non-recursive clone of a tree with locked submounts is refused in a
  // user namespace, and submounts of a firmware dir belong with it anyway.
  UniqueFd tree(
      open_tree(AT_FDCWD, b.source.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
  if (!tree.valid()) {
    int err = errno;
    throw SysError("unable to bind", b.source, err);
  }
  mount_attr attr{};
  switch (b.kind) {
  case GpuBind::Kind::device:
    // Read-only does not stop ioctl() or write() on a character device (libnvidia-container
    // binds its nodes the same way); nodev would.
    attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC;
    break;
  case GpuBind::Kind::file:
  case GpuBind::Kind::dir:
    attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
    break;
  case GpuBind::Kind::dir_rw:
    attr.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
    break;
  }
  if (mount_setattr(tree.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) != 0) {
    int err = errno;
    throw SysError("unable to make read-only the bind of", b.source, err);
  }
  if (move_mount(tree.get(), "", target.get(), "",
                 MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0) {
    int err = errno;
    throw SysError("unable to bind " + b.source + " onto", root + b.target, err);
  }
}

// A fresh tmpfs on `path`; returns the fd of its root (valid for later mount_setattr).
UniqueFd mount_tmpfs(int root_fd, const std::string& root, const std::string& path) {
  UniqueFd where = ensure_dir(root_fd, root, path);
  UniqueFd fs(fsopen("tmpfs", FSOPEN_CLOEXEC));
  if (!fs.valid() || fsconfig(fs.get(), FSCONFIG_SET_STRING, "mode", "0755", 0) != 0 ||
      fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    int err = errno;
    throw SysError("unable to create tmpfs for", root + path, err);
  }
  UniqueFd mnt(fsmount(fs.get(), FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV));
  if (!mnt.valid() || move_mount(mnt.get(), "", where.get(), "",
                                 MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0) {
    int err = errno;
    throw SysError("unable to mount tmpfs on", root + path, err);
  }
  return mnt;
}

void make_symlink(int root_fd, const std::string& root, const GpuSymlink& l) {
  UniqueFd parent = ensure_dir(root_fd, root, parent_of(l.path));
  if (symlinkat(l.target.c_str(), parent.get(), name_of(l.path).c_str()) != 0) {
    int err = errno;
    throw SysError("unable to create symlink", root + l.path, err);
  }
}

// The image's CUDA forward-compat directory when its libcuda is newer than the host driver:
// then it must come first in the linker's search order (that is its purpose: a newer CUDA
// on an older driver). When it is older, using it would break CUDA, so it is left out of the
// order; either way its files are never touched or shadowed.
std::string newer_forward_compat(int root_fd, const std::string& driver) {
  UniqueFd dir(open_in_root(root_fd, forward_compat_dir, O_RDONLY | O_DIRECTORY));
  if (!dir.valid())
    return {};
  std::optional<std::vector<std::string>> names =
      list_dir("/proc/self/fd/" + std::to_string(dir.get()));
  if (!names)
    return {};
  std::vector<unsigned> have = parse_version(driver);
  for (const std::string& name : *names) {
    constexpr std::string_view prefix = "libcuda.so.";
    if (name.rfind(prefix, 0) != 0)
      continue;
    std::vector<unsigned> v = parse_version(name.substr(prefix.size()));
    if (v.size() >= 2 && v > have)
      return forward_compat_dir;
  }
  return {};
}

void write_ld_conf(int root_fd, const std::string& root, const std::vector<std::string>& dirs) {
  UniqueFd parent = ensure_dir(root_fd, root, parent_of(gpu_ld_conf));
  std::string text = "# NVIDIA driver libraries bound by the launcher for this run\n";
  for (const std::string& d : dirs)
    text += d + "\n";
  UniqueFd fd(retry_eintr([&] {
    return openat(parent.get(), name_of(gpu_ld_conf).c_str(),
                  O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
  }));
  if (!fd.valid() || !write_full(fd.get(), text)) {
    int err = errno;
    throw SysError("unable to write", root + gpu_ld_conf, err);
  }
}

// The image's ldconfig, if it has one (busybox and distroless images do not).
std::string find_ldconfig(int root_fd) {
  for (const char* path : {"/sbin/ldconfig", "/usr/sbin/ldconfig"}) {
    UniqueFd fd(open_in_root(root_fd, path, O_PATH));
    struct stat st {};
    if (fd.valid() && fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) != 0)
      return path;
  }
  return {};
}

// /proc/driver/nvidia in the container (a fresh procfs of our own pid namespace, mounted
// before us): replaced by a read-only tmpfs with copies of version, registry and params
// (device-file creation turned off) and binds of the selected GPUs' gpus/<bus> dirs, taken
// from that same procfs, so that NVML neither lists nor tries to mknod GPUs not given.
void mask_proc_driver(const GpuPlan& plan, int root_fd, const std::string& root) {
  constexpr const char* target = "/proc/driver/nvidia";
  for (const GpuDevice& gpu : plan.gpus)
    if (gpu.bus_id.empty())
      return; // GPUs found from /dev only: nothing to match the proc entries with
  UniqueFd dir(open_in_root(root_fd, target, O_RDONLY | O_DIRECTORY));
  if (!dir.valid())
    return; // no procfs there yet, or no driver in it
  std::vector<std::pair<std::string, std::string>> files;
  for (const char* name : {"version", "registry", "params"}) {
    UniqueFd fd(retry_eintr([&] { return openat(dir.get(), name, O_RDONLY | O_CLOEXEC); }));
    std::optional<std::string> text = fd.valid() ? read_all(fd.get()) : std::nullopt;
    if (!text)
      continue;
    std::size_t at = text->find("ModifyDeviceFiles: 1");
    if (at != std::string::npos)
      (*text)[at + std::string_view("ModifyDeviceFiles: ").size()] = '0';
    files.emplace_back(name, std::move(*text));
  }
  // Detached clones first: once the tmpfs covers the directory they are out of reach.
  std::vector<std::pair<std::string, UniqueFd>> clones;
  for (const GpuDevice& gpu : plan.gpus) {
    std::string rel = "gpus/" + gpu.bus_id;
    UniqueFd tree(
        open_tree(dir.get(), rel.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
    mount_attr attr{};
    attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
    if (!tree.valid() ||
        mount_setattr(tree.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) != 0) {
      int err = errno;
      throw SysError("unable to bind", root + target + "/" + rel, err);
    }
    clones.emplace_back(std::string(target) + "/" + rel, std::move(tree));
  }
  dir.reset();
  UniqueFd fs = mount_tmpfs(root_fd, root, target);
  for (const auto& file : files) {
    const char* name = file.first.c_str();
    UniqueFd fd(retry_eintr([&] {
      return openat(fs.get(), name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444);
    }));
    if (!fd.valid() || !write_full(fd.get(), file.second)) {
      int err = errno;
      throw SysError("unable to write", root + target + "/" + file.first, err);
    }
  }
  for (auto& [path, tree] : clones) {
    UniqueFd where = ensure_dir(root_fd, root, path);
    if (move_mount(tree.get(), "", where.get(), "",
                   MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0) {
      int err = errno;
      throw SysError("unable to bind onto", root + path, err);
    }
  }
  (void)ensure_dir(root_fd, root, std::string(target) + "/gpus"); // also when none is selected
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOEXEC;
  if (mount_setattr(fs.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) != 0) {
    int err = errno;
    throw SysError("unable to make read-only", root + target, err);
  }
}

std::string join(const std::vector<std::string>& parts, char sep) {
  std::string out;
  for (const std::string& p : parts)
    out += (out.empty() ? "" : std::string(1, sep)) + p;
  return out;
}

} // namespace

GpuMountResult mount_gpu(const GpuPlan& plan, const std::string& new_root) {
  GpuMountResult result;
  if (!plan.enabled)
    return result;
  UniqueFd root_fd(
      retry_eintr([&] { return open(new_root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC); }));
  if (!root_fd.valid()) {
    int err = errno;
    throw SysError("unable to open", new_root, err);
  }
  // The libraries' directory is a tmpfs of its own: their symlinks never reach the image or
  // its upper layer, and nothing the image has under its own lib dirs is shadowed.
  UniqueFd driver_fs;
  if (!plan.lib_dirs.empty() || !plan.symlinks.empty()) {
    driver_fs = mount_tmpfs(root_fd.get(), new_root, gpu_driver_dir);
    for (const char* dir : {gpu_lib64_dir, gpu_lib32_dir})
      (void)ensure_dir(root_fd.get(), new_root, dir);
  }
  for (const GpuBind& b : plan.binds)
    bind(b, root_fd.get(), new_root);
  for (const GpuSymlink& l : plan.symlinks)
    make_symlink(root_fd.get(), new_root, l);
  try {
    mask_proc_driver(plan, root_fd.get(), new_root);
  } catch (const SysError& e) {
    // Hiding the other GPUs' proc entries is a refinement: their device nodes are absent
    // either way, so a kernel that refuses the mask still gives a working container.
    warn(std::string("unable to hide unselected GPUs in /proc/driver/nvidia: ") + e.what());
  }

  if (!plan.lib_dirs.empty()) {
    std::vector<std::string> dirs;
    std::string compat = newer_forward_compat(root_fd.get(), plan.driver_version);
    if (!compat.empty())
      dirs.push_back(compat);
    dirs.insert(dirs.end(), plan.lib_dirs.begin(), plan.lib_dirs.end());
    // Linker setup: the image's own ldconfig, run over a conf file in the overlay's fresh
    // upper layer, writes /etc/ld.so.cache there too (never into the image's layers), and a
    // later `ldconfig` in the container (package installs) keeps the driver dirs.
    // LD_LIBRARY_PATH is the fallback only, since it outranks the cache for every program
    // (also for ones the image points elsewhere on purpose).
    // The image's ldconfig is untrusted code with all capabilities of the user namespace:
    // it runs only after pivot_root (run_gpu_ldconfig), never here, where a chroot would
    // still leave the host's root within its reach.
    write_ld_conf(root_fd.get(), new_root, dirs);
    result.ldconfig = find_ldconfig(root_fd.get());
    result.lib_dirs = dirs;
    if (result.ldconfig.empty())
      result.ld_library_path = join(dirs, ':');
  }
  result.driver_fs = std::move(driver_fs);
  return result;
}

void run_gpu_ldconfig(GpuMountResult& result, const sigset_t& child_mask) {
  if (!result.ldconfig.empty()) {
    // The dirs on its command line come first in the cache, as the conf file lists them, so
    // the result is the same when the image's ld.so.conf lacks ld.so.conf.d.
    std::vector<std::string> args = {"ldconfig"};
    args.insert(args.end(), result.lib_dirs.begin(), result.lib_dirs.end());
    std::vector<char*> argv;
    for (std::string& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    std::string path_env = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
    char* envp[] = {path_env.data(), nullptr};
    pid_t pid = fork();
    if (pid < 0) {
      int err = errno;
      throw SysError("unable to fork for", result.ldconfig, err);
    }
    if (pid == 0) {
      // Async-signal-safe calls only from here to exec.
      (void)signal(SIGPIPE, SIG_DFL);
      if (sigprocmask(SIG_SETMASK, &child_mask, nullptr) != 0 || chdir("/") != 0)
        _exit(126);
      execve(result.ldconfig.c_str(), argv.data(), envp);
      _exit(errno == ENOENT ? 127 : 126);
    }
    int status = 0;
    if (retry_eintr([&] { return waitpid(pid, &status, 0); }) < 0) {
      int err = errno;
      throw SysError("unable to wait for", result.ldconfig, err);
    }
    result.ldconfig_ran = status == 0;
    if (!result.ldconfig_ran) {
      warn("the container's ldconfig failed (status " + std::to_string(shell_status(status)) +
           "): falling back to LD_LIBRARY_PATH");
      result.ld_library_path = join(result.lib_dirs, ':');
    }
  }
  if (result.driver_fs.valid()) {
    mount_attr attr{};
    attr.attr_set = MOUNT_ATTR_RDONLY;
    if (mount_setattr(result.driver_fs.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) != 0) {
      int err = errno;
      throw SysError("unable to make read-only", gpu_driver_dir, err);
    }
    result.driver_fs.reset();
  }
}

void apply_gpu_env(std::vector<std::string>& env, const GpuMountResult& result) {
  if (result.ld_library_path.empty())
    return;
  constexpr std::string_view key = "LD_LIBRARY_PATH=";
  for (std::string& e : env) {
    if (e.rfind(key, 0) == 0) {
      std::string old = e.substr(key.size());
      e = std::string(key) + result.ld_library_path + (old.empty() ? "" : ":" + old);
      return;
    }
  }
  env.push_back(std::string(key) + result.ld_library_path);
}

} // namespace cinit::launcher
