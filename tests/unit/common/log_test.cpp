// StallFreeOut on a real pipe that nobody reads: the writer is never stalled for long, and
// the pipe's open file, which children share, stays blocking.
#include "common/log.hpp"
#include "common/unique_fd.hpp"

#include <catch.hpp>
#include <cerrno>
#include <fcntl.h>
#include <string>
#include <unistd.h>

namespace {

// Fills the pipe through an open file of its own, as a child that writes and is never read.
void fill(int fd) {
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  const cinit::UniqueFd w(::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  REQUIRE(w.valid());
  const std::string block(4096, 'x');
  while (::write(w.get(), block.data(), block.size()) > 0) {
  }
  REQUIRE(errno == EAGAIN);
}

std::string drain(int fd) {
  REQUIRE(::fcntl(fd, F_SETFL, O_NONBLOCK) == 0);
  std::string out;
  char buf[65536];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;)
    out.append(buf, static_cast<std::size_t>(n));
  return out;
}

} // namespace

TEST_CASE("StallFreeOut drops lines while a pipe is full and writes again once it drains") {
  cinit::Pipe p;
  REQUIRE(cinit::make_pipe(p));
  cinit::StallFreeOut out(p.write.get());
  CHECK((::fcntl(p.write.get(), F_GETFL) & O_NONBLOCK) == 0); // children still block
  REQUIRE(out.write("first\n"));
  fill(p.write.get());
  // Full: the first line waits (a second at most), then it and the next are dropped.
  CHECK_FALSE(out.write("dropped\n"));
  CHECK(errno == EAGAIN);
  CHECK_FALSE(out.write("dropped too\n"));
  const std::string before = drain(p.read.get());
  CHECK(before.rfind("first\n", 0) == 0);
  CHECK(before.find("dropped") == std::string::npos);
  REQUIRE(out.write("again\n"));
  CHECK(drain(p.read.get()) == "again\n");
}

TEST_CASE("StallFreeOut writes a file that is no pipe as it is") {
  const cinit::UniqueFd null(::open("/dev/null", O_WRONLY | O_CLOEXEC));
  REQUIRE(null.valid());
  cinit::StallFreeOut out(null.get());
  CHECK(out.write(std::string(200000, 'x')));
}
