// Whole-file I/O, atomic writes and directory listing, on a real filesystem.
#include "common/syscall.hpp"
#include "common/unique_fd.hpp"
#include "tests/unit/common/temp_dir.hpp"

#include <catch.hpp>
#include <csignal>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

using cinit::test::TempDir;

namespace {

mode_t mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// Restores RLIMIT_FSIZE and SIGXFSZ's disposition, which a test lowers to make writes fail.
class FileSizeLimit {
public:
  explicit FileSizeLimit(rlim_t bytes) {
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &old_) == 0);
    old_handler_ = std::signal(SIGXFSZ, SIG_IGN); // write() returns EFBIG instead of a kill
    struct rlimit lim = old_;
    lim.rlim_cur = bytes;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &lim) == 0);
  }
  ~FileSizeLimit() {
    (void)::setrlimit(RLIMIT_FSIZE, &old_);
    (void)std::signal(SIGXFSZ, old_handler_);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

private:
  struct rlimit old_ {};
  void (*old_handler_)(int) = SIG_DFL;
};

} // namespace

TEST_CASE("read_file and read_all") {
  TempDir dir;
  const std::string big(100000, 'x'); // more than one read() buffer
  REQUIRE(cinit::write_file_atomic(dir / "f", big + std::string("\0end", 4), 0644));
  const auto text = cinit::read_file(dir / "f");
  REQUIRE(text);
  CHECK(*text == big + std::string("\0end", 4));
  CHECK(cinit::read_file(dir / "empty-missing") == std::nullopt);
  CHECK(errno == ENOENT);
}

TEST_CASE("write_full and read_full through a pipe") {
  cinit::Pipe p;
  REQUIRE(cinit::make_pipe(p));
  REQUIRE(cinit::write_full(p.write.get(), "hello"));
  p.write.reset();
  char buf[16] = {};
  CHECK(cinit::read_full(p.read.get(), buf, sizeof buf) == 5);
  CHECK(std::string(buf) == "hello");
  CHECK((::fcntl(p.read.get(), F_GETFD) & FD_CLOEXEC) != 0);
}

TEST_CASE("write_file_atomic: content, exact mode regardless of umask, no temp left") {
  TempDir dir;
  const mode_t old_umask = ::umask(0077);
  const bool ok = cinit::write_file_atomic(dir / "env.sh", "export A=1\n", 0640);
  (void)::umask(old_umask);
  REQUIRE(ok);
  CHECK(cinit::read_file(dir / "env.sh") == "export A=1\n");
  CHECK(mode_of(dir / "env.sh") == 0640);
  REQUIRE(cinit::write_file_atomic(dir / "env.sh", "replaced", 0600));
  CHECK(cinit::read_file(dir / "env.sh") == "replaced");
  CHECK(mode_of(dir / "env.sh") == 0600);
  CHECK(cinit::list_dir(dir.path()) == std::vector<std::string>{"env.sh"});
}

TEST_CASE("write_file_atomic replaces a symlink instead of writing through it") {
  TempDir dir;
  REQUIRE(cinit::write_file_atomic(dir / "target", "target", 0644));
  REQUIRE(::symlink("target", (dir / "link").c_str()) == 0);
  REQUIRE(cinit::write_file_atomic(dir / "link", "new", 0644));
  CHECK(cinit::read_file(dir / "target") == "target");
  struct stat st {};
  REQUIRE(::lstat((dir / "link").c_str(), &st) == 0);
  CHECK(S_ISREG(st.st_mode));
}

TEST_CASE("write_file_atomic failing mid-write keeps the old file and removes its temp") {
  TempDir dir;
  REQUIRE(cinit::write_file_atomic(dir / "data", "old contents", 0644));
  bool ok = true;
  int err = 0;
  {
    const FileSizeLimit limit(4);
    ok = cinit::write_file_atomic(dir / "data", "new contents, longer than the limit", 0644);
    err = errno;
  }
  CHECK_FALSE(ok);
  CHECK(err == EFBIG);
  CHECK(cinit::read_file(dir / "data") == "old contents");
  CHECK(cinit::list_dir(dir.path()) == std::vector<std::string>{"data"});
}

TEST_CASE("write_file_atomic failing at rename keeps what is there and removes its temp") {
  TempDir dir;
  REQUIRE(::mkdir((dir / "isdir").c_str(), 0755) == 0);
  CHECK_FALSE(cinit::write_file_atomic(dir / "isdir", "x", 0644));
  CHECK(errno == EISDIR);
  CHECK(cinit::list_dir(dir.path()) == std::vector<std::string>{"isdir"});
  CHECK_FALSE(cinit::write_file_atomic(dir / "missing/file", "x", 0644));
  CHECK(errno == ENOENT);
}

TEST_CASE("list_dir: every entry but . and .., in byte order") {
  TempDir dir;
  for (const char* name : {"a", "B", "1_x", "12", "10_b", "02_a", ".dot", "\xc3\xa9", "~"})
    REQUIRE(cinit::write_file_atomic(dir / name, "", 0644));
  REQUIRE(::mkdir((dir / "sub").c_str(), 0755) == 0);
  const auto names = cinit::list_dir(dir.path());
  REQUIRE(names);
  // my_init's order (Python code points = bytes for UTF-8): 02_a < 10_b < 12 < 1_x < B < a;
  // bytes >= 0x80 sort last, as unsigned.
  CHECK(*names == std::vector<std::string>{".dot", "02_a", "10_b", "12", "1_x", "B", "a", "sub",
                                           "~", "\xc3\xa9"});
  CHECK_FALSE(cinit::list_dir(dir / "missing"));
  CHECK(errno == ENOENT);
}

TEST_CASE("retry_eintr passes results and errno through") {
  int calls = 0;
  const int r = cinit::retry_eintr([&] {
    ++calls;
    errno = calls < 3 ? EINTR : 0;
    return calls < 3 ? -1 : 7;
  });
  CHECK(r == 7);
  CHECK(calls == 3);
  CHECK(cinit::retry_eintr([] {
          errno = EBADF;
          return -1;
        }) == -1);
  CHECK(errno == EBADF);
}
