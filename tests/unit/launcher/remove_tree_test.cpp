#include "common/unique_fd.hpp"
#include "launcher/image/unpack.hpp"
#include "tests/unit/common/temp_dir.hpp"

#include <catch.hpp>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

using cinit::UniqueFd;
using cinit::launcher::remove_tree;

namespace {

// Lowers the soft fd limit for one scope.
class FdLimit {
public:
  explicit FdLimit(rlim_t soft) {
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved_) == 0);
    rlimit low = saved_;
    low.rlim_cur = soft;
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
  }
  ~FdLimit() { (void)::setrlimit(RLIMIT_NOFILE, &saved_); }
  FdLimit(const FdLimit&) = delete;
  FdLimit& operator=(const FdLimit&) = delete;

private:
  rlimit saved_{};
};

// Makes DEPTH nested directories "d" under `root`, a file and a symlink at every level, and
// closed modes (0555, 0) on some side directories (they only bite when the tests run without
// CAP_DAC_OVERRIDE; as root the depth and the symlinks are what is tested); one fd at a time.
void make_deep_tree(const std::string& root, int depth) {
  UniqueFd cur(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  REQUIRE(cur.valid());
  for (int i = 0; i < depth; ++i) {
    const int f = ::openat(cur.get(), "f", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    REQUIRE(f >= 0);
    ::close(f);
    REQUIRE(::symlinkat("/", cur.get(), "up") == 0); // must be unlinked, never followed
    REQUIRE(::mkdirat(cur.get(), "d", 0755) == 0);
    REQUIRE(::mkdirat(cur.get(), "side", 0755) == 0);
    UniqueFd next(::openat(cur.get(), "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    REQUIRE(next.valid());
    if (i % 100 == 7)
      REQUIRE(::fchmodat(cur.get(), "side", i % 200 == 7 ? 0555 : 0, 0) == 0);
    cur = std::move(next);
  }
}

} // namespace

TEST_CASE("remove_tree: a tree deeper than the fd limit, with symlinks and closed modes") {
  cinit::test::TempDir tmp;
  const std::string top = tmp / "layer";
  REQUIRE(::mkdir(top.c_str(), 0755) == 0);
  make_deep_tree(top, 3000);
  {
    FdLimit limit(64); // a recursion holding one fd per level would fail at depth ~60
    remove_tree(top);
  }
  struct stat st {};
  CHECK(::lstat(top.c_str(), &st) != 0);
  CHECK(errno == ENOENT);
  CHECK(::lstat("/", &st) == 0); // the symlinks' target is untouched
}

TEST_CASE("remove_tree: a file, and a path that does not exist") {
  cinit::test::TempDir tmp;
  const std::string f = tmp / "file";
  const int fd = ::open(f.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  ::close(fd);
  remove_tree(f);
  struct stat st {};
  CHECK(::lstat(f.c_str(), &st) != 0);
  remove_tree(tmp / "missing"); // nothing to do
  remove_tree(tmp / "missing/below");
}
