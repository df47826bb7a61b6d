// EINTR-safe syscall wrappers and whole-file I/O. EINTR is retried here and nowhere else.
#pragma once

#include <cerrno>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace cinit {

template <typename F> auto retry_eintr(F f) -> decltype(f()) {
  decltype(f()) r;
  do {
    r = f();
  } while (r == -1 && errno == EINTR);
  return r;
}

// Reads until `len` bytes or EOF. Returns bytes read, or -1 with errno set.
ssize_t read_full(int fd, void* buf, std::size_t len);
// Writes all of `data` (handles short writes). Returns false with errno set.
[[nodiscard]] bool write_full(int fd, std::string_view data);

// Reads a whole file. nullopt with errno set on failure.
std::optional<std::string> read_file(const std::string& path);
// Reads a regular file (symlinks followed) of at most `max_size` bytes without ever blocking
// on a FIFO or reading a device: nullopt with errno EISDIR (a directory), EINVAL (not a
// regular file), EFBIG (too large) or the open/read error.
std::optional<std::string> read_regular_file(const std::string& path, std::size_t max_size);
// Reads everything from fd until EOF. nullopt with errno set on failure.
std::optional<std::string> read_all(int fd);

// Writes `path` atomically: `.NAME.tmp` in the same directory, fsync-free write, fchmod to
// `mode`, optional fchown, rename(). On failure the temp file is removed and errno is set;
// the old file, if any, is untouched.
[[nodiscard]] bool write_file_atomic(const std::string& path, std::string_view data, mode_t mode,
                                     uid_t uid = static_cast<uid_t>(-1),
                                     gid_t gid = static_cast<gid_t>(-1));

// Directory entry names (without . and ..), sorted bytewise. nullopt with errno on failure.
std::optional<std::vector<std::string>> list_dir(const std::string& path);

} // namespace cinit
