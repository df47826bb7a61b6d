// UniqueFd: sole owner of one file descriptor; closes it once, keeps errno.
#pragma once

#include <utility>

namespace cinit {

class UniqueFd {
public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other)
      reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  explicit operator bool() const = delete;
  int release() { return std::exchange(fd_, -1); }
  // Closes the current fd (never retried on EINTR: Linux frees it anyway) and takes `fd`.
  void reset(int fd = -1);

private:
  int fd_ = -1;
};

// A pipe whose both ends are O_CLOEXEC. Returns false with errno set on failure.
struct Pipe {
  UniqueFd read;
  UniqueFd write;
};
[[nodiscard]] bool make_pipe(Pipe& out, int extra_flags = 0);

} // namespace cinit
