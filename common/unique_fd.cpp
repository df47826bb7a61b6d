#include "common/unique_fd.hpp"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace cinit {

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) {
    const int saved = errno;
    (void)::close(fd_); // EINTR/EIO on close cannot be acted on; the fd is gone either way.
    errno = saved;
  }
  fd_ = fd;
}

bool make_pipe(Pipe& out, int extra_flags) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | extra_flags) != 0)
    return false;
  out.read.reset(fds[0]);
  out.write.reset(fds[1]);
  return true;
}

} // namespace cinit
