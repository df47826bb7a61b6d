// Fuzzes safe extraction: entry-name splitting, and whole archives unpacked as image layers
// into a fresh directory. No input may create anything outside that directory (a sibling
// sentinel directory must stay empty), and only SysError may escape.
#include "tests/fuzz/check.hpp"
#include "launcher/error.hpp"
#include "launcher/image/unpack.hpp"

#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>

using cinit::fuzz::check;

namespace {

bool empty_dir(const std::string& path) {
  DIR* d = opendir(path.c_str());
  if (d == nullptr)
    return false;
  int n = 0;
  while (const dirent* e = readdir(d))
    n += std::string_view(e->d_name) != "." && std::string_view(e->d_name) != "..";
  closedir(d);
  return n == 0;
}

// Work dir: base/{dest,sentinel,archive}; made once per process.
const std::string& base_dir() {
  static const std::string base = [] {
    char tmpl[] = "/tmp/tar_path_fuzz.XXXXXX";
    check(mkdtemp(tmpl) != nullptr, "mkdtemp");
    const std::string b = tmpl;
    check(mkdir((b + "/sentinel").c_str(), 0700) == 0, "mkdir sentinel");
    return b;
  }();
  // Registered after `base` is constructed, so it runs before `base` is destroyed.
  static const bool cleanup_registered =
      std::atexit([] { cinit::launcher::remove_tree(base_dir()); }) == 0;
  (void)cleanup_registered;
  return base;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cinit::launcher;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  if (const auto comps = split_entry_path(text)) {
    check(!text.starts_with('/'), "absolute names are refused");
    for (const auto& c : *comps)
      check(!c.empty() && c != "." && c != ".." && c.find('/') == std::string::npos &&
                c.find('\0') == std::string::npos,
            "components are plain names");
  }

  const std::string& base = base_dir();
  const std::string dest = base + "/dest";
  const std::string archive = base + "/archive";
  FILE* f = std::fopen(archive.c_str(), "wb");
  check(f != nullptr, "open archive");
  check(std::fwrite(data, 1, size, f) == size || size == 0, "write archive");
  std::fclose(f);
  check(mkdir(dest.c_str(), 0700) == 0, "mkdir dest");
  try {
    (void)unpack_archive(archive, dest, {.layer = true, .expect_sha256 = {}});
  } catch (const SysError&) {
  }
  check(empty_dir(base + "/sentinel"), "nothing written outside the destination");
  remove_tree(dest);
  return 0;
}
