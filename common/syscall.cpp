#include "common/syscall.hpp"

#include "common/unique_fd.hpp"

#include <algorithm>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cinit {

ssize_t read_full(int fd, void* buf, std::size_t len) {
  auto* p = static_cast<char*>(buf);
  std::size_t done = 0;
  while (done < len) {
    const ssize_t n = retry_eintr([&] { return ::read(fd, p + done, len - done); });
    if (n < 0)
      return -1;
    if (n == 0)
      break;
    done += static_cast<std::size_t>(n);
  }
  return static_cast<ssize_t>(done);
}

bool write_full(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = retry_eintr([&] { return ::write(fd, data.data(), data.size()); });
    if (n < 0)
      return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::optional<std::string> read_all(int fd) {
  std::string out;
  char buf[8192];
  for (;;) {
    const ssize_t n = retry_eintr([&] { return ::read(fd, buf, sizeof buf); });
    if (n < 0)
      return std::nullopt;
    if (n == 0)
      return out;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

std::optional<std::string> read_file(const std::string& path) {
  UniqueFd fd(retry_eintr([&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); }));
  if (!fd.valid())
    return std::nullopt;
  return read_all(fd.get());
}

std::optional<std::string> read_regular_file(const std::string& path, std::size_t max_size) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer.
  UniqueFd fd(retry_eintr([&] { return ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC); }));
  if (!fd.valid())
    return std::nullopt;
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    return std::nullopt;
  if (!S_ISREG(st.st_mode)) {
    errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
    return std::nullopt;
  }
  if (static_cast<std::size_t>(st.st_size) > max_size) {
    errno = EFBIG;
    return std::nullopt;
  }
  auto text = read_all(fd.get());
  if (text && text->size() > max_size) { // it grew while we read
    errno = EFBIG;
    return std::nullopt;
  }
  return text;
}

bool write_file_atomic(const std::string& path, std::string_view data, mode_t mode, uid_t uid,
                       gid_t gid) {
  // A hidden temp name, so that readers of a directory (the env dir) never take it for data.
  const std::size_t slash = path.rfind('/');
  const std::string tmp = slash == std::string::npos
                              ? "." + path + ".tmp"
                              : path.substr(0, slash + 1) + "." + path.substr(slash + 1) + ".tmp";
  // A leftover temp (a crash, or a planted link) is removed, then the name is created
  // exclusively: never truncate or chmod whatever it pointed to.
  (void)::unlink(tmp.c_str());
  UniqueFd fd(retry_eintr([&] {
    return ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  }));
  if (!fd.valid())
    return false;
  const bool ok = write_full(fd.get(), data) && ::fchmod(fd.get(), mode) == 0 &&
                  (uid == static_cast<uid_t>(-1) && gid == static_cast<gid_t>(-1)
                       ? true
                       : ::fchown(fd.get(), uid, gid) == 0);
  if (ok) {
    fd.reset();
    if (::rename(tmp.c_str(), path.c_str()) == 0)
      return true;
  }
  const int saved = errno;
  fd.reset();
  (void)::unlink(tmp.c_str()); // best effort: the error that matters is `saved`
  errno = saved;
  return false;
}

std::optional<std::vector<std::string>> list_dir(const std::string& path) {
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr)
    return std::nullopt;
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* e = ::readdir(dir)) {
    const std::string_view name = e->d_name;
    if (name != "." && name != "..")
      names.emplace_back(name);
  }
  const int saved = errno;
  (void)::closedir(dir);
  if (saved != 0) {
    errno = saved;
    return std::nullopt;
  }
  std::sort(names.begin(), names.end()); // std::string compares bytes as unsigned char
  return names;
}

} // namespace cinit
