// Every write goes through a directory fd reached component by component with O_NOFOLLOW, so
// a symlink planted by an earlier entry can never redirect a later one outside the layer.
#include "launcher/image/unpack.hpp"

#include "common/log.hpp"
#include "common/syscall.hpp"
#include "common/unique_fd.hpp"
#include "launcher/error.hpp"
#include "launcher/image/sha256.hpp"

#include <algorithm>
#include <archive.h>
#include <archive_entry.h>
#include <array>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <memory>
#include <sched.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <thread>
#include <unistd.h>

namespace cinit::launcher {
namespace {

constexpr std::string_view whiteout_prefix = ".wh.";
constexpr std::string_view opaque_marker = ".wh..wh..opq";

struct ArchiveDeleter {
  void operator()(archive* a) const { (void)archive_read_free(a); } // nothing to report
};
using ArchivePtr = std::unique_ptr<archive, ArchiveDeleter>;

// Feeds libarchive from an fd and hashes the bytes on the way, so a layer is read once.
struct HashingReader {
  int fd = -1;
  Sha256 hash;
  std::array<char, 1 << 16> buf{};
  int err = 0;
};

la_ssize_t read_callback(archive*, void* data, const void** out) {
  auto* r = static_cast<HashingReader*>(data);
  const ssize_t n = retry_eintr([&] { return ::read(r->fd, r->buf.data(), r->buf.size()); });
  if (n < 0) {
    r->err = errno;
    return -1;
  }
  r->hash.update(r->buf.data(), static_cast<std::size_t>(n));
  *out = r->buf.data();
  return n;
}

// `raw`: decompress only (the first stage of a two-stage read), else read tar entries.
ArchivePtr open_reader(HashingReader& reader, const std::string& path, bool raw = false) {
  ArchivePtr a(archive_read_new());
  if (!a)
    throw SysError("unable to allocate a reader for", path, ENOMEM);
  // Tar only (ustar, pax, gnu): image layers are tars; zip/cpio/iso have no business here.
  // Compression: only what layers use (OCI: none, gzip, zstd; docker: none, gzip; old tools:
  // bzip2, xz), all built into libarchive. The other filters would run external programs
  // found on PATH over untrusted input; a built-in one that is missing says so with
  // ARCHIVE_WARN and falls back to such a program, so it is refused instead.
  using Support = int (*)(archive*);
  for (const auto& [filter, name] :
       {std::pair<Support, const char*>{archive_read_support_filter_gzip, "gzip"},
        {archive_read_support_filter_bzip2, "bzip2"},
        {archive_read_support_filter_xz, "xz"},
        {archive_read_support_filter_zstd, "zstd"}})
    if (filter(a.get()) != ARCHIVE_OK)
      throw SysError(std::string("unable to read archive '") + path + "': libarchive lacks " +
                     "built-in " + name + " support");
  if (raw) {
    archive_read_support_format_raw(a.get());
  } else {
    archive_read_support_format_tar(a.get());
    archive_read_support_format_gnutar(a.get());
  }
  if (archive_read_open(a.get(), &reader, nullptr, read_callback, nullptr) != ARCHIVE_OK)
    throw SysError("unable to read archive '" + path + "': " + archive_error_text(a.get()));
  return a;
}

[[noreturn]] void refuse(const std::string& archive_path, std::string_view entry,
                         const std::string& why) {
  throw SysError("unable to unpack '" + archive_path + "': entry '" + std::string(entry) + "' " +
                 why);
}

// Opens directory `name` under `dirfd` for removal, making it readable and writable first if
// it is not (0555 and 0 modes come in images). Invalid if it is gone already (a concurrent
// sweep of the same debris).
UniqueFd open_for_removal(int dirfd, const std::string& name) {
  const auto open_dir = [&] {
    return UniqueFd(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  };
  UniqueFd sub = open_dir();
  struct stat st {};
  // Only a real directory gets its mode opened up: fchmodat follows symlinks, and an entry
  // that unlinkat refused (EPERM in a sticky dir) may be one, pointing anywhere.
  if (!sub.valid() && errno == EACCES &&
      ::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode) &&
      ::fchmodat(dirfd, name.c_str(), 0700, 0) == 0)
    sub = open_dir();
  if (!sub.valid() && errno == ENOENT)
    return sub;
  if (!sub.valid())
    throw SysError("unable to open", name, errno);
  (void)::fchmod(sub.get(), 0700); // so its entries can be unlinked; unlinkat reports failures
  return sub;
}

// Unlinks every entry of `fd` that is not a directory; returns the names of those that are.
std::vector<std::string> unlink_files(int fd) {
  const int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0)
    throw SysError("unable to duplicate a directory fd", {}, errno);
  DIR* d = ::fdopendir(dup);
  if (d == nullptr) {
    const int e = errno;
    ::close(dup);
    throw SysError("unable to read a directory", {}, e);
  }
  std::vector<std::string> names;
  while (const dirent* e = ::readdir(d)) {
    const std::string_view n = e->d_name;
    if (n != "." && n != "..")
      names.emplace_back(n);
  }
  (void)::closedir(d); // read-only stream: nothing to lose
  std::vector<std::string> dirs;
  for (auto& n : names) {
    if (::unlinkat(fd, n.c_str(), 0) == 0 || errno == ENOENT)
      continue;
    if (errno != EISDIR && errno != EPERM)
      throw SysError("unable to remove", n, errno);
    dirs.push_back(std::move(n));
  }
  return dirs;
}

// Removes `name` under `dirfd`, a file or a whole tree. Iterative, with one directory fd open
// at a time and the way back by "..": a hostile layer may nest directories far deeper than
// the fd limit or the stack would allow a recursion. (The store is ours alone, and nothing
// here follows a symlink, so ".." is the parent we came from.)
void remove_at(int dirfd, const std::string& name) {
  if (::unlinkat(dirfd, name.c_str(), 0) == 0 || errno == ENOENT)
    return;
  if (errno != EISDIR && errno != EPERM)
    throw SysError("unable to remove", name, errno);
  struct Level {
    std::string name;                 // this directory's name in its parent
    std::vector<std::string> pending; // its subdirectories still to remove
  };
  std::vector<Level> path;
  UniqueFd cur = open_for_removal(dirfd, name);
  if (!cur.valid())
    return;
  path.push_back({name, unlink_files(cur.get())});
  while (!path.empty()) {
    Level& top = path.back();
    if (!top.pending.empty()) {
      std::string sub = std::move(top.pending.back());
      top.pending.pop_back();
      UniqueFd next = open_for_removal(cur.get(), sub);
      if (!next.valid())
        continue;
      std::vector<std::string> dirs = unlink_files(next.get());
      cur = std::move(next);
      path.push_back({std::move(sub), std::move(dirs)});
      continue;
    }
    // Empty now: step up, then remove it from there.
    const std::string done = std::move(top.name);
    path.pop_back();
    int parent = dirfd;
    UniqueFd up;
    if (!path.empty()) {
      up.reset(::openat(cur.get(), "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!up.valid())
        throw SysError("unable to open the parent of", done, errno);
      parent = up.get();
    }
    if (::unlinkat(parent, done.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
      throw SysError("unable to remove", done, errno);
    cur = std::move(up);
  }
}

// Writes entries below one root directory fd.
class Extractor {
public:
  Extractor(const std::string& archive_path, const std::string& dest, const UnpackOptions& opts)
      : archive_path_(archive_path), opts_(opts) {
    root_.reset(::open(dest.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root_.valid())
      throw SysError("unable to open", dest, errno);
  }

  void entry(archive* a, archive_entry* e, UnpackResult& result) {
    const char* raw = archive_entry_pathname(e);
    const std::string_view name = raw != nullptr ? raw : "";
    auto comps = split_entry_path(name);
    if (!comps)
      refuse(archive_path_, name, "escapes the destination (absolute or '..')");
    if (comps->empty())
      return; // "./": the layer root itself keeps the store's mode
    const std::string base = comps->back();
    comps->pop_back();
    const int parent = parent_fd(*comps, name);

    if (opts_.layer && base.starts_with(whiteout_prefix)) {
      whiteout(parent, base, name);
      return;
    }
    const mode_t type = archive_entry_filetype(e);
    if (const char* target = archive_entry_hardlink(e); target != nullptr) {
      hardlink(parent, base, target, name);
      return;
    }
    // An image archive holds blobs, which are read after: a symlink or FIFO there could send
    // those reads out of the archive's directory or block them. Docker 25+ saves have
    // compatibility symlinks that manifest.json does not name: skipped, not refused.
    if (!opts_.layer && type != AE_IFDIR && type != AE_IFREG)
      return;
    switch (type) {
    case AE_IFDIR:
      directory(parent, base, e, result);
      break;
    case AE_IFREG:
      regular(a, parent, base, e, result, name);
      break;
    case AE_IFLNK:
      symlink(parent, base, e, result, name);
      break;
    case AE_IFIFO:
      clear(parent, base, false);
      if (::mknodat(parent, base.c_str(), S_IFIFO | 0600, 0) != 0)
        throw SysError("unable to create fifo", std::string(name), errno);
      owner_mode_at(parent, base, e, result);
      break;
    case AE_IFCHR:
      // A whiteout already in overlay form (char 0:0) is the one device a user may create.
      if (opts_.layer && archive_entry_rdev(e) == 0) {
        whiteout(parent, std::string(whiteout_prefix) + base, name);
        break;
      }
      ++result.devices_skipped;
      break;
    default: // block devices, sockets: not creatable or meaningless in an image
      ++result.devices_skipped;
      break;
    }
  }

private:
  // Opens (creating as needed) the directory at `comps` below the root, refusing any
  // component that is a symlink or not a directory. The last one is cached: tars list
  // siblings together.
  int parent_fd(const std::vector<std::string>& comps, std::string_view name) {
    std::string key;
    for (const auto& c : comps)
      key.append(c).push_back('/');
    if (cached_valid_ && key == cached_key_)
      return comps.empty() ? root_.get() : cached_.get();
    if (comps.empty())
      return root_.get();
    UniqueFd cur;
    int at = root_.get();
    for (const auto& c : comps) {
      int fd = ::openat(at, c.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0 && errno == ENOENT) {
        // Tars may omit parent entries; Docker creates them 0755.
        if (::mkdirat(at, c.c_str(), 0755) != 0 && errno != EEXIST)
          throw SysError("unable to create directory for", std::string(name), errno);
        fd = ::openat(at, c.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      }
      if (fd < 0) {
        if (errno == ENOTDIR || errno == ELOOP)
          refuse(archive_path_, name, "goes through a symlink or a non-directory");
        throw SysError("unable to open parent of", std::string(name), errno);
      }
      cur.reset(fd);
      at = cur.get();
    }
    cached_ = std::move(cur);
    cached_key_ = std::move(key);
    cached_valid_ = true;
    return cached_.get();
  }

  void invalidate_cache() { cached_valid_ = false; }

  // Removes what is at parent/name unless it is a directory that `keep_dir` allows to stay.
  void clear(int parent, const std::string& base, bool keep_dir) {
    struct stat st {};
    if (::fstatat(parent, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      return;
    if (S_ISDIR(st.st_mode)) {
      if (keep_dir)
        return;
      invalidate_cache(); // the cached fd may be inside what goes away
    }
    remove_at(parent, base);
  }

  void whiteout(int parent, const std::string& base, std::string_view name) {
    if (base == opaque_marker) {
      UniqueFd dir(::openat(parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!dir.valid() || ::fsetxattr(dir.get(), "user.overlay.opaque", "y", 1, 0) != 0) {
        if (errno == EOPNOTSUPP) // ramfs, some FUSE and network filesystems
          throw SysError("unable to mark opaque '" + std::string(name) +
                         "': the data root's filesystem has no user xattrs, which overlay "
                         "layers need (set data_root in launcher.ini to a directory on ext4, "
                         "xfs, btrfs or tmpfs)");
        throw SysError("unable to mark opaque", std::string(name), errno);
      }
      return;
    }
    const std::string target = base.substr(whiteout_prefix.size());
    if (target.starts_with(whiteout_prefix))
      return; // AUFS metadata (.wh..wh.plnk, .wh..wh.aufs): nothing to do in overlayfs
    if (target.empty() || target == "." || target == "..")
      refuse(archive_path_, name, "is a whiteout of nothing");
    clear(parent, target, false);
    if (::mknodat(parent, target.c_str(), S_IFCHR | 0000, makedev(0, 0)) != 0)
      throw SysError("unable to create whiteout", std::string(name), errno);
  }

  void hardlink(int parent, const std::string& base, const char* target, std::string_view name) {
    auto tcomps = split_entry_path(target);
    if (!tcomps || tcomps->empty())
      refuse(archive_path_, name, "is a hard link out of the destination");
    const std::string tbase = tcomps->back();
    tcomps->pop_back();
    // The target's parent is resolved with the same no-symlink walk; keep our parent alive.
    const int parent_dup = ::fcntl(parent, F_DUPFD_CLOEXEC, 0);
    if (parent_dup < 0)
      throw SysError("unable to duplicate a directory fd", {}, errno);
    UniqueFd keep(parent_dup);
    const int tparent = parent_fd(*tcomps, target);
    struct stat st {};
    if (::fstatat(tparent, tbase.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || S_ISDIR(st.st_mode))
      refuse(archive_path_, name, "is a hard link to a missing file or a directory");
    clear(keep.get(), base, false);
    if (::linkat(tparent, tbase.c_str(), keep.get(), base.c_str(), 0) != 0)
      throw SysError("unable to link", std::string(name), errno);
  }

  void directory(int parent, const std::string& base, archive_entry* e, UnpackResult& result) {
    clear(parent, base, true);
    if (::mkdirat(parent, base.c_str(), 0700) != 0 && errno != EEXIST)
      throw SysError("unable to create directory", base, errno);
    UniqueFd fd(::openat(parent, base.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid())
      throw SysError("unable to open directory", base, errno);
    finish_fd(fd.get(), e, result);
  }

  void regular(archive* a, int parent, const std::string& base, archive_entry* e,
               UnpackResult& result, std::string_view name) {
    clear(parent, base, false);
    UniqueFd fd(
        ::openat(parent, base.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd.valid())
      throw SysError("unable to create", std::string(name), errno);
    const void* buf = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    for (;;) {
      const int r = archive_read_data_block(a, &buf, &size, &offset);
      if (r == ARCHIVE_EOF)
        break;
      if (r != ARCHIVE_OK)
        throw SysError("unable to read '" + archive_path_ + "' entry '" + std::string(name) +
                       "': " + archive_error_text(a));
      const char* p = static_cast<const char*>(buf);
      while (size > 0) {
        const ssize_t n = retry_eintr([&] { return ::pwrite(fd.get(), p, size, offset); });
        if (n < 0)
          throw SysError("unable to write", std::string(name), errno);
        p += n;
        size -= static_cast<size_t>(n);
        offset += n;
      }
    }
    // Sparse files end in a hole that no data block covers.
    if (::ftruncate(fd.get(), archive_entry_size(e)) != 0)
      throw SysError("unable to size", std::string(name), errno);
    finish_fd(fd.get(), e, result);
    const timespec times[2] = {{archive_entry_mtime(e), archive_entry_mtime_nsec(e)},
                               {archive_entry_mtime(e), archive_entry_mtime_nsec(e)}};
    (void)::futimens(fd.get(), times); // times are cosmetic; a failure changes nothing else
  }

  void symlink(int parent, const std::string& base, archive_entry* e, UnpackResult& result,
               std::string_view name) {
    const char* target = archive_entry_symlink(e);
    clear(parent, base, false);
    // The link itself is inert: it is never followed while unpacking (see parent_fd).
    if (::symlinkat(target != nullptr ? target : "", parent, base.c_str()) != 0)
      throw SysError("unable to create symlink", std::string(name), errno);
    if (opts_.layer)
      chown_at(parent, base, e, result, AT_SYMLINK_NOFOLLOW);
  }

  void owner_mode_at(int parent, const std::string& base, archive_entry* e, UnpackResult& result) {
    if (opts_.layer)
      chown_at(parent, base, e, result, AT_SYMLINK_NOFOLLOW);
    if (::fchmodat(parent, base.c_str(), archive_entry_perm(e), 0) != 0)
      throw SysError("unable to chmod", base, errno);
  }

  void chown_at(int parent, const std::string& base, archive_entry* e, UnpackResult& result,
                int flags) {
    const auto uid = static_cast<uid_t>(archive_entry_uid(e));
    const auto gid = static_cast<gid_t>(archive_entry_gid(e));
    if (::fchownat(parent, base.c_str(), uid, gid, flags) != 0) {
      if (errno != EINVAL && errno != EPERM)
        throw SysError("unable to chown", base, errno);
      ++result.owners_unmapped; // owner outside our id map: stays ours
    }
  }

  // Owner before mode: chown clears set-id bits.
  void finish_fd(int fd, archive_entry* e, UnpackResult& result) {
    if (opts_.layer) {
      if (::fchown(fd, static_cast<uid_t>(archive_entry_uid(e)),
                   static_cast<gid_t>(archive_entry_gid(e))) != 0) {
        if (errno != EINVAL && errno != EPERM)
          throw SysError("unable to chown", archive_entry_pathname(e), errno);
        ++result.owners_unmapped;
      }
      xattrs(fd, e);
    }
    const mode_t mode = opts_.layer ? archive_entry_perm(e) : (archive_entry_perm(e) | 0600);
    if (::fchmod(fd, mode) != 0)
      throw SysError("unable to chmod", archive_entry_pathname(e), errno);
  }

  void xattrs(int fd, archive_entry* e) {
    if (archive_entry_xattr_reset(e) == 0)
      return;
    const char* xname = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    while (archive_entry_xattr_next(e, &xname, &value, &size) == ARCHIVE_OK) {
      const std::string_view n = xname != nullptr ? xname : "";
      // user.* can be set unprivileged; user.overlay.* would steer overlayfs itself. File
      // capabilities (setcap'd ping, a server's cap_net_bind_service) are set as the
      // namespace's root: the kernel stores them for that root only (v3, with its host uid),
      // so they work in our containers and nowhere else.
      const bool user = n.starts_with("user.") && !n.starts_with("user.overlay.");
      if (!user && n != "security.capability")
        continue;
      (void)::fsetxattr(fd, xname, value, size, 0); // e.g. ENOTSUP: the data is what matters
    }
  }

  const std::string& archive_path_;
  const UnpackOptions& opts_;
  UniqueFd root_;
  UniqueFd cached_;
  std::string cached_key_;
  bool cached_valid_ = false;
};

// The uncompressed stream of a two-stage read (see ArchiveFile): pulled from the `raw`
// reader's data and hashed on the way, which gives a layer's diff_id in the same pass.
struct DecompressedReader {
  archive* raw = nullptr;
  Sha256 hash;
  std::array<char, 1 << 16> buf{};
};

la_ssize_t decompressed_callback(archive* a, void* data, const void** out) {
  auto* r = static_cast<DecompressedReader*>(data);
  const la_ssize_t n = archive_read_data(r->raw, r->buf.data(), r->buf.size());
  if (n < 0) {
    archive_set_error(a, archive_errno(r->raw), "%s", archive_error_text(r->raw).c_str());
    return ARCHIVE_FATAL;
  }
  r->hash.update(r->buf.data(), static_cast<std::size_t>(n));
  *out = r->buf.data();
  return n;
}

// One archive being read from an fd: the hashing reader libarchive pulls through, and the
// entry loop that unpacking and scanning share. With `diff_id`, two stages: a raw reader
// decompresses, and the tar reader reads its output through a second hash. Neither copied
// nor moved: libarchive holds pointers to reader_ and plain_.
class ArchiveFile {
public:
  ArchiveFile(int fd, const std::string& path, bool diff_id) : path_(path) {
    reader_.fd = fd;
    if (!diff_id) {
      a_ = open_reader(reader_, path);
      return;
    }
    raw_ = open_reader(reader_, path, true);
    archive_entry* e = nullptr;
    if (archive_read_next_header(raw_.get(), &e) != ARCHIVE_OK)
      fail(raw_.get());
    plain_.raw = raw_.get();
    a_.reset(archive_read_new());
    if (!a_)
      throw SysError("unable to allocate a reader for", path, ENOMEM);
    archive_read_support_format_tar(a_.get());
    archive_read_support_format_gnutar(a_.get());
    if (archive_read_open(a_.get(), &plain_, nullptr, decompressed_callback, nullptr) != ARCHIVE_OK)
      fail(a_.get());
  }
  ArchiveFile(const ArchiveFile&) = delete;
  ArchiveFile& operator=(const ArchiveFile&) = delete;

  // The next entry's header, or nullptr at the end of the archive.
  archive_entry* next() {
    archive_entry* e = nullptr;
    const int r = archive_read_next_header(a_.get(), &e);
    if (r == ARCHIVE_EOF)
      return nullptr;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
      fail(a_.get());
    return e;
  }
  archive* get() const { return a_.get(); }

  // Reads what follows the tar's end (padding is part of both digests) and fills in the
  // digests: sha256 always, diff_id in the two-stage mode.
  void finish(UnpackResult& result) {
    if (raw_) {
      for (;;) {
        const la_ssize_t n = archive_read_data(raw_.get(), plain_.buf.data(), plain_.buf.size());
        if (n < 0)
          fail(raw_.get());
        if (n == 0)
          break;
        plain_.hash.update(plain_.buf.data(), static_cast<std::size_t>(n));
      }
      result.diff_id = plain_.hash.hex_digest();
    }
    for (;;) {
      const ssize_t n =
          retry_eintr([&] { return ::read(reader_.fd, reader_.buf.data(), reader_.buf.size()); });
      if (n < 0)
        throw SysError("unable to read", path_, errno);
      if (n == 0)
        break;
      reader_.hash.update(reader_.buf.data(), static_cast<std::size_t>(n));
    }
    result.sha256 = reader_.hash.hex_digest();
  }

private:
  [[noreturn]] void fail(archive* a) const {
    throw SysError("unable to read archive '" + path_ +
                   "': " + (reader_.err != 0 ? std::strerror(reader_.err) : archive_error_text(a)));
  }

  std::string path_;
  HashingReader reader_;
  ArchivePtr raw_; // the decompressing stage, when there are two
  DecompressedReader plain_;
  ArchivePtr a_;
};

// An archive file, opened for ArchiveFile.
UniqueFd open_archive(const std::string& path) {
  UniqueFd fd(retry_eintr([&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); }));
  if (!fd.valid())
    throw SysError("unable to open", path, errno);
  return fd;
}

} // namespace

std::string archive_error_text(archive* a) {
  if (const char* text = archive_error_string(a))
    return text;
  if (const int err = archive_errno(a); err > 0)
    return std::strerror(err);
  return "damaged or truncated archive";
}

std::optional<std::vector<std::string>> split_entry_path(std::string_view name) {
  if (name.starts_with('/'))
    return std::nullopt;
  std::vector<std::string> out;
  while (!name.empty()) {
    const std::size_t slash = name.find('/');
    const std::string_view c = name.substr(0, slash);
    name = slash == std::string_view::npos ? std::string_view{} : name.substr(slash + 1);
    if (c.empty() || c == ".")
      continue;
    if (c == ".." || c.find('\0') != std::string_view::npos)
      return std::nullopt;
    out.emplace_back(c);
  }
  return out;
}

UnpackResult unpack_archive(const std::string& archive_path, const std::string& dest,
                            const UnpackOptions& opts) {
  const UniqueFd fd = open_archive(archive_path);
  return unpack_fd(fd.get(), archive_path, dest, opts);
}

UnpackResult unpack_fd(int fd, const std::string& name, const std::string& dest,
                       const UnpackOptions& opts) {
  ArchiveFile file(fd, name, opts.compute_diff_id || !opts.expect_diff_id.empty());
  Extractor x(name, dest, opts);
  UnpackResult result;
  while (archive_entry* e = file.next())
    x.entry(file.get(), e, result);
  file.finish(result);
  if (!opts.expect_sha256.empty() && result.sha256 != opts.expect_sha256)
    throw SysError("unable to verify '" + name + "': digest is sha256:" + result.sha256 +
                   ", expected sha256:" + opts.expect_sha256);
  if (!opts.expect_diff_id.empty() && result.diff_id != opts.expect_diff_id)
    throw SysError("unable to verify '" + name +
                   "': uncompressed digest is sha256:" + result.diff_id +
                   ", the image config's diff_id is sha256:" + opts.expect_diff_id);
  return result;
}

UnpackResult unpack_produced(const std::function<bool(int fd)>& produce, const std::string& name,
                             const std::string& dest, const UnpackOptions& opts) {
  Pipe pipe;
  if (!make_pipe(pipe))
    throw SysError("unable to create a pipe", {}, errno);
  UnpackResult result;
  std::exception_ptr unpack_error;
  std::thread unpacker([&] {
    try {
      result = unpack_fd(pipe.read.get(), name, dest, opts);
    } catch (...) {
      unpack_error = std::current_exception();
    }
    pipe.read.reset(); // a producer still at work gets EPIPE and stops
  });
  std::exception_ptr produce_error;
  bool refused = false;
  try {
    refused = !produce(pipe.write.get());
  } catch (...) {
    produce_error = std::current_exception();
  }
  pipe.write.reset(); // EOF: the unpacker finishes (or sees the truncation)
  unpacker.join();
  // A producer that failed also leaves the unpacker a short stream: the producer's error says
  // more. A refused write means the unpacker stopped first: its error says why.
  if (produce_error)
    std::rethrow_exception(produce_error);
  if (unpack_error)
    std::rethrow_exception(unpack_error);
  if (refused)
    throw SysError("unable to unpack " + name + ": the unpacker stopped early");
  return result;
}

std::size_t unpack_parallelism() {
  cpu_set_t set;
  CPU_ZERO(&set);
  const int cpus = ::sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
  return static_cast<std::size_t>(std::clamp(cpus, 1, 8));
}

void warn_unpack_result(const UnpackResult& r, const std::string& what) {
  if (r.devices_skipped > 0)
    warn(what + ": skipped " + std::to_string(r.devices_skipped) + " device node(s)");
  if (r.owners_unmapped > 0)
    warn(what + ": " + std::to_string(r.owners_unmapped) +
         " file(s) owned by ids outside the user namespace's map are owned by root");
}

void walk_tar(const std::string& path,
              const std::function<bool(const TarEntry&, const TarData&)>& visit) {
  const UniqueFd fd = open_archive(path);
  ArchiveFile file(fd.get(), path, false);
  while (archive_entry* e = file.next()) {
    TarEntry t;
    const char* raw = archive_entry_pathname(e);
    t.name = raw != nullptr ? raw : "";
    t.size = archive_entry_size(e);
    if (const char* hard = archive_entry_hardlink(e); hard != nullptr) {
      t.kind = TarEntry::Kind::hardlink;
      t.link = hard;
    } else if (const mode_t type = archive_entry_filetype(e); type == AE_IFREG) {
      t.kind = TarEntry::Kind::file;
    } else if (type == AE_IFDIR) {
      t.kind = TarEntry::Kind::directory;
    } else if (type == AE_IFLNK) {
      t.kind = TarEntry::Kind::symlink;
      const char* target = archive_entry_symlink(e);
      t.link = target != nullptr ? target : "";
    }
    const TarData data = [&](char* buf, std::size_t size) {
      const la_ssize_t n = archive_read_data(file.get(), buf, size);
      if (n < 0)
        throw SysError("unable to read archive '" + path + "' entry '" + t.name +
                       "': " + archive_error_string(file.get()));
      return static_cast<std::size_t>(n);
    };
    if (!visit(t, data))
      return;
  }
}

void remove_tree(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  UniqueFd parent(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!parent.valid()) {
    if (errno == ENOENT)
      return;
    throw SysError("unable to open", dir, errno);
  }
  remove_at(parent.get(), base);
}

} // namespace cinit::launcher
