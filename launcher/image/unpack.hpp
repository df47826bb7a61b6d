// Safe tar extraction with libarchive: no entry may land outside the destination (no `..`, no
// absolute names, no writing through symlinks), device nodes are skipped, and OCI whiteouts
// become what an unprivileged overlayfs (`userxattr`) understands.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct archive;

namespace cinit::launcher {

struct UnpackOptions {
  // An image layer: whiteouts converted (`.wh.NAME` -> char 0/0, `.wh..wh..opq` ->
  // user.overlay.opaque=y), owners from the archive applied (where mapped), user xattrs kept.
  // Otherwise a plain archive (an OCI/docker archive holding blobs): files as the caller's own.
  bool layer = true;
  // Hex SHA-256 that the archive file's bytes must have; empty: not checked.
  std::string expect_sha256;
  // Hex SHA-256 that the uncompressed tar must have (an image config's diff_id); empty: not
  // checked (and not computed: it costs a second hash of the uncompressed bytes).
  std::string expect_diff_id;
  // Computes the diff_id even without one to check (a docker-archive layer, whose config is
  // read after it).
  bool compute_diff_id = false;
};

struct UnpackResult {
  std::string sha256;              // of the archive file as read (compressed bytes)
  std::string diff_id;             // of the uncompressed tar, when expect/compute_diff_id
  std::size_t devices_skipped = 0; // block/char nodes other than whiteouts
  std::size_t owners_unmapped = 0; // chown refused (id not mapped in this user namespace)
};

// Extracts `archive` (tar, any compression libarchive knows) into the existing directory
// `dest`. Throws SysError on a hostile entry, a read error or a digest mismatch; what was
// written stays under `dest` (the caller unpacks into a temp dir and removes it on failure).
UnpackResult unpack_archive(const std::string& archive, const std::string& dest,
                            const UnpackOptions& opts);
// The same from a stream (a pipe a download writes into), read to its end; `name` names it
// in errors. The fd stays the caller's.
UnpackResult unpack_fd(int fd, const std::string& name, const std::string& dest,
                       const UnpackOptions& opts);

// The same from what `produce` writes into the fd it is given (a pipe), unpacked in a thread
// of its own while `produce` runs, so that reading and unpacking overlap. `produce` returns
// false when a write is refused (the unpacker stopped: its error is the one thrown) and throws
// on a failure of its own (which is then the one thrown).
UnpackResult unpack_produced(const std::function<bool(int fd)>& produce, const std::string& name,
                             const std::string& dest, const UnpackOptions& opts);

// How many layers to unpack at once: one per CPU this process may use (at most 8).
// Decompressing is most of an unpack's time.
std::size_t unpack_parallelism();

// Says what unpacking left out (device nodes, owners outside the id map) as warnings about
// `what` ("layer sha256:...").
void warn_unpack_result(const UnpackResult& r, const std::string& what);

// libarchive's message for the last error of `a`. libarchive can fail without one (a damaged
// compressed stream): then its errno's text, else "damaged or truncated archive".
std::string archive_error_text(archive* a);

// An entry name as path components: "./a//b/" -> {a, b}; "" or "." -> {} (the root).
// nullopt for names that must be refused: absolute, or containing "..".
std::optional<std::vector<std::string>> split_entry_path(std::string_view name);

// One entry of a tar, as walk_tar() shows it.
struct TarEntry {
  enum class Kind { file, directory, symlink, hardlink, other };
  std::string name;
  Kind kind = Kind::other;
  std::int64_t size = 0;
  std::string link; // symlink or hard link target
};
// Reads up to `size` bytes of the current entry's data into `buf`; 0 at its end. Throws
// SysError on a read error.
using TarData = std::function<std::size_t(char* buf, std::size_t size)>;
// Calls `visit` for each entry of the tar at `path` (bare or compressed, as unpack_archive
// reads it), in archive order, until it returns false. What `visit` leaves of an entry's data
// is skipped. Throws SysError when the archive cannot be read.
void walk_tar(const std::string& path,
              const std::function<bool(const TarEntry&, const TarData&)>& visit);

// rm -rf that never follows symlinks; missing path is fine. Throws SysError.
void remove_tree(const std::string& path);

} // namespace cinit::launcher
