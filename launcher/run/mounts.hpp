// Mount steps for building a container root, one helper per kernel step (bubblewrap style).
// All run inside the container's user and mount namespaces, before pivot_root; `root` is the
// host path where the new root is mounted. Paths inside the container are resolved with
// openat2(RESOLVE_IN_ROOT), so the image's own symlinks (/etc/service, /lib -> usr/lib) are
// followed without ever leaving the new root.
#pragma once

#include "common/unique_fd.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace cinit::launcher {

// mount(NULL, "/", MS_REC|MS_PRIVATE): nothing we mount may propagate back to the host.
void make_mounts_private();

void mount_tmpfs(const std::string& target, const std::string& options, unsigned long flags);

// The overlayfs option string: lowerdir top layer first, `userxattr` (mandatory in a user
// namespace: without it opaque dirs are ignored and rm -r gives EIO). Throws on names
// containing ':' or ','. Public for the unit test.
std::string overlay_options(const std::vector<std::string>& lower_top_first,
                            const std::string& upper, const std::string& work);

// Mounts the overlay at `target`. Lower dirs are relative to `lower_base` (the mount runs with
// that cwd, which keeps the option string short); upper and work must share a filesystem.
void mount_overlay(const std::string& target, const std::string& lower_base,
                   const std::vector<std::string>& lower_top_first, const std::string& upper,
                   const std::string& work);

// Fresh procfs for the new pid namespace; when refused (locked over-mounts on the current
// /proc, i.e. we run inside a container), an rbind of the current /proc. Returns false then.
bool mount_proc(const std::string& root);

// /dev: tmpfs with binds of null zero full random urandom tty, devpts newinstance + ptmx
// link, /dev/shm, mqueue when possible, fd/stdin/stdout/stderr links.
void setup_dev(const std::string& root);

// /sys read-only, recursively: a fresh sysfs when we own a network namespace, else an rbind
// of the host's /sys made read-only with mount_setattr(AT_RECURSIVE).
void mount_sys(const std::string& root, bool own_netns);

enum class MountPointKind { file, directory };

// Opens `target` (absolute inside the container) as an O_PATH fd, creating it (and missing
// parents, as directories 0755) when absent. Symlinks are resolved inside `root`.
UniqueFd make_mount_point(const std::string& root, std::string_view target, MountPointKind kind);

struct BindOptions {
  bool read_only = false;
  bool recursive = true; // MS_REC: submounts of the source come along
};

// Binds a host file, directory or device node `source` onto `target` inside the container,
// creating the mount point of the matching kind. Read-only is applied afterwards to the new
// mount (recursively when `recursive`) without dropping locked flags (NOTES §1.10).
// Reusable for GPU device and library binds.
void bind_into_root(const std::string& root, const std::string& source, std::string_view target,
                    const BindOptions& opts = {});

// Makes the mount at `mount_fd` (an fd of its root, e.g. a fresh open after mounting)
// read-only: mount_setattr, or MS_REMOUNT|MS_BIND|MS_RDONLY repeating the flags the kernel
// locked (nosuid, nodev, noexec, atime) where mount_setattr is missing.
void make_read_only(int mount_fd, bool recursive);

// chdir(root); pivot_root(".", "."); detach the old root; chdir("/"). Not chroot: a chrooted
// task may not create user namespaces, so nested containers would fail.
void pivot_into(const std::string& root);

} // namespace cinit::launcher
