// The ld.so.cache reader: checked against this machine's real cache and `ldconfig -p`, against
// caches the real ldconfig writes in each of its formats, and against corrupt input.
#include "common/spawn.hpp"
#include "common/syscall.hpp"
#include "common/unique_fd.hpp"
#include "launcher/error.hpp"
#include "launcher/gpu/ldcache.hpp"
#include "tests/unit/common/capture.hpp"
#include "tests/unit/common/temp_dir.hpp"

#include <catch.hpp>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sys/wait.h>
#include <utility>

using cinit::launcher::LdCacheEntry;
using cinit::launcher::parse_ld_cache;
using cinit::launcher::read_ld_cache;
using cinit::launcher::SysError;
using cinit::launcher::write_ld_cache;
using cinit::test::TempDir;

namespace {

std::pair<int, std::string> run(const std::vector<std::string>& argv) {
  return cinit::test::capture_stdout(argv, {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"});
}

// "\tlibz.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libz.so.1" lines, as (soname, path).
std::vector<std::pair<std::string, std::string>> ldconfig_p(const std::string& cache) {
  auto [rc, out] = run({"ldconfig", "-p", "-C", cache});
  REQUIRE(rc == 0);
  std::vector<std::pair<std::string, std::string>> v;
  std::size_t pos = 0;
  while ((pos = out.find('\t', pos)) != std::string::npos) {
    std::size_t eol = out.find('\n', pos);
    std::string line = out.substr(pos + 1, eol - pos - 1);
    std::size_t arrow = line.find(" => ");
    REQUIRE(arrow != std::string::npos);
    v.emplace_back(line.substr(0, line.find(" (")), line.substr(arrow + 4));
    pos = eol;
  }
  return v;
}

std::vector<std::pair<std::string, std::string>> pairs(const std::vector<LdCacheEntry>& e) {
  std::vector<std::pair<std::string, std::string>> v;
  for (const LdCacheEntry& x : e)
    v.emplace_back(x.soname, x.path);
  return v;
}

// A root with one real shared library (a copy of the host's libz) and a conf naming its dir.
void make_root(const TempDir& t) {
  char real[PATH_MAX];
  REQUIRE(::realpath("/lib/x86_64-linux-gnu/libz.so.1", real) != nullptr);
  std::filesystem::create_directories(t / "lib64");
  std::filesystem::create_directories(t / "etc");
  std::filesystem::copy_file(real, t / "lib64/libz.so.1.2.3");
  REQUIRE(cinit::write_file_atomic(t / "etc/ld.so.conf", "/lib64\n", 0644));
}

} // namespace

TEST_CASE("ldcache: the host's own cache reads exactly as ldconfig -p prints it") {
  std::vector<LdCacheEntry> entries = read_ld_cache("/etc/ld.so.cache");
  REQUIRE(entries.size() > 10);
  CHECK(pairs(entries) == ldconfig_p("/etc/ld.so.cache"));
  bool found_libc = false;
  for (const LdCacheEntry& e : entries)
    if (e.soname == "libc.so.6" && cinit::launcher::ld_entry_is_native(e))
      found_libc = true;
  CHECK(found_libc);
}

TEST_CASE("ldcache: every format the real ldconfig writes (new, compat, old)") {
  for (const char* format : {"new", "compat", "old"}) {
    TempDir t;
    make_root(t);
    auto [rc, out] = run({"ldconfig", "-r", t.path(), "-c", format});
    REQUIRE(rc == 0);
    std::string cache = t / "etc/ld.so.cache";
    std::optional<std::string> data = cinit::read_file(cache);
    REQUIRE(data);
    CHECK(data->rfind(std::string(format) == "new" ? "glibc-ld.so.cache" : "ld.so-1.7.0", 0) == 0);
    std::vector<LdCacheEntry> entries = read_ld_cache(cache);
    INFO(format);
    REQUIRE(entries.size() == 1);
    CHECK(entries[0].soname == "libz.so.1");
    CHECK(entries[0].path == "/lib64/libz.so.1");
    CHECK(cinit::launcher::ld_entry_is_native(entries[0]));
    CHECK(pairs(entries) == ldconfig_p(cache));
  }
}

TEST_CASE("ldcache: write_ld_cache round-trips and ldconfig reads what it writes") {
  std::vector<LdCacheEntry> in = {
      {"libcuda.so.1", "/usr/lib/x86_64-linux-gnu/libcuda.so.1", 0x0303, 0},
      {"libcuda.so.1", "/usr/lib/i386-linux-gnu/libcuda.so.1", 0x0003, 0},
      {"libnvidia-ml.so.1", "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1", 0x0303, 0},
  };
  std::string data = write_ld_cache(in);
  std::vector<LdCacheEntry> out = parse_ld_cache(data, "mem");
  REQUIRE(out.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(out[i].soname == in[i].soname);
    CHECK(out[i].path == in[i].path);
    CHECK(out[i].flags == in[i].flags);
  }
  CHECK(cinit::launcher::ld_entry_is_native(out[0]));
  CHECK_FALSE(cinit::launcher::ld_entry_is_compat32(out[0]));
  CHECK(cinit::launcher::ld_entry_is_compat32(out[1]));
  CHECK_FALSE(cinit::launcher::ld_entry_is_native(out[1]));
  TempDir t;
  REQUIRE(cinit::write_file_atomic(t / "cache", data, 0644));
  CHECK(pairs(out) == ldconfig_p(t / "cache"));
}

TEST_CASE("ldcache: corrupt caches are errors naming the file, never crashes") {
  std::string good = write_ld_cache({{"libcuda.so.1", "/lib/libcuda.so.1", 0x0303, 0}});
  CHECK_THROWS_WITH(parse_ld_cache("garbage that is long enough to be a header........", "/c"),
                    Catch::Contains("unknown format") && Catch::Contains("'/c'"));
  CHECK_THROWS_AS(parse_ld_cache("", "/c"), SysError);
  // Every truncation: the entry table or a string runs past the end.
  for (std::size_t n = 0; n < good.size(); ++n)
    CHECK_THROWS_AS(parse_ld_cache(good.substr(0, n), "/c"), SysError);
  std::string huge = good;
  std::uint32_t big = 0x10000000;
  std::memcpy(huge.data() + 20, &big, sizeof big); // nlibs
  CHECK_THROWS_WITH(parse_ld_cache(huge, "/c"), Catch::Contains("entry count"));
  std::string far = good;
  std::memcpy(far.data() + 48 + 8, &big, sizeof big); // value offset
  CHECK_THROWS_WITH(parse_ld_cache(far, "/c"), Catch::Contains("out of range"));
  std::string old = "ld.so-1.7.0";
  old.append(1, '\0');
  std::uint32_t n = 0xffffffff;
  old.append(reinterpret_cast<const char*>(&n), sizeof n);
  CHECK_THROWS_WITH(parse_ld_cache(old, "/c"), Catch::Contains("entry count"));
  CHECK_THROWS_AS(read_ld_cache("/nonexistent/ld.so.cache"), SysError);
}
