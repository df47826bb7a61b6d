// Fuzzes safe extraction: entry-name splitting, and whole archives (tar, any compression)
// unpacked by the real extractor as image layers into a fresh directory. No input may write
// anything outside that directory, and only SysError may escape. "Outside" is checked two
// ways: the private tree that holds the destination (four levels deep, with bait files a hard
// link or a write-through could reach) must be exactly as before, down to sizes, modes and
// link counts; and no directory above it (nor /tmp) may gain an entry named in the input, so
// that `../../x` and `/tmp/x` are caught without a false alarm from whatever else this
// machine creates there meanwhile.
#include "launcher/error.hpp"
#include "launcher/image/unpack.hpp"
#include "tests/fuzz/check.hpp"

#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <tuple>
#include <unistd.h>

using cinit::fuzz::check;

namespace {

// What a write outside could change about an entry. Directories: only type, mode and owner
// (their times change whenever the destination is made or removed).
using Entry =
    std::tuple<unsigned, unsigned, unsigned, long long, long long, long long, unsigned long>;

Entry entry_of(const struct stat& st) {
  if (S_ISDIR(st.st_mode))
    return {st.st_mode, st.st_uid, st.st_gid, 0, 0, 0, 0};
  const long long size = st.st_size;
  const long long mtime =
      static_cast<long long>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  const long long ctime =
      static_cast<long long>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
  return {st.st_mode, st.st_uid, st.st_gid, size, mtime, ctime, st.st_nlink};
}

std::set<std::string> names_in(const std::string& dir) {
  std::set<std::string> names;
  if (DIR* d = opendir(dir.c_str())) {
    while (const dirent* e = readdir(d))
      names.insert(e->d_name);
    closedir(d);
  }
  return names;
}

// Every entry under `root` (symlinks not followed), except the subtree `skip`.
void snapshot(const std::string& root, const std::string& skip, std::map<std::string, Entry>& out) {
  for (const std::string& name : names_in(root)) {
    if (name == "." || name == "..")
      continue;
    const std::string path = root + "/" + name;
    if (path == skip)
      continue;
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0)
      continue;
    out[path] = entry_of(st);
    if (S_ISDIR(st.st_mode))
      snapshot(path, skip, out);
  }
}

struct Layout {
  std::string top; // the private tree: top/a/b/c/d/dest
  std::string dest;
  std::string archive;            // top/archive
  std::vector<std::string> above; // top's parent, its parent ... "/", and /tmp
};

void bait(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "w");
  check(f != nullptr, "create bait file");
  std::fputs("bait\n", f);
  std::fclose(f);
}

// Made once per process.
const Layout& layout() {
  static const Layout l = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/tar_path_fuzz.XXXXXX";
    check(mkdtemp(tmpl.data()) != nullptr, "mkdtemp");
    Layout r;
    r.top = tmpl;
    std::string dir = r.top;
    for (const char* level : {"a", "b", "c", "d"}) {
      bait(dir + "/bait");
      dir += std::string("/") + level;
      check(mkdir(dir.c_str(), 0700) == 0, "mkdir level");
    }
    bait(dir + "/bait");
    check(link((dir + "/bait").c_str(), (r.top + "/bait.link").c_str()) == 0, "link bait");
    r.dest = dir + "/dest";
    r.archive = r.top + "/archive";
    for (std::string up = r.top; up != "/";) {
      up = up.substr(0, up.rfind('/'));
      if (up.empty())
        up = "/";
      r.above.push_back(up);
    }
    r.above.push_back("/tmp");
    return r;
  }();
  // Registered after `l` is constructed, so it runs before `l` is destroyed.
  static const bool cleanup_registered =
      std::atexit([] { cinit::launcher::remove_tree(layout().top); }) == 0;
  (void)cleanup_registered;
  return l;
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

  const Layout& l = layout();
  FILE* f = std::fopen(l.archive.c_str(), "wb");
  check(f != nullptr, "open archive");
  check(std::fwrite(data, 1, size, f) == size || size == 0, "write archive");
  std::fclose(f);
  check(mkdir(l.dest.c_str(), 0700) == 0, "mkdir dest");

  std::map<std::string, Entry> before;
  snapshot(l.top, l.dest, before);
  std::vector<std::set<std::string>> above_before;
  for (const std::string& dir : l.above)
    above_before.push_back(names_in(dir));

  try {
    // Odd sizes also check a diff_id (a wrong one): the two-stage read that pulls and
    // imports use, a decompressing reader feeding the tar reader.
    const std::string diff_id = size % 2 == 1 ? std::string(64, '0') : std::string();
    (void)unpack_archive(l.archive, l.dest,
                         {.layer = true, .expect_sha256 = {}, .expect_diff_id = diff_id});
  } catch (const SysError&) {
  }

  std::map<std::string, Entry> after;
  snapshot(l.top, l.dest, after);
  if (after != before) {
    for (const auto& [path, e] : after)
      if (!before.contains(path) || before.at(path) != e)
        std::fprintf(stderr, "changed outside the destination: %s\n", path.c_str());
    for (const auto& [path, e] : before)
      if (!after.contains(path))
        std::fprintf(stderr, "removed outside the destination: %s\n", path.c_str());
    check(false, "nothing written outside the destination");
  }
  for (std::size_t i = 0; i < l.above.size(); ++i)
    for (const std::string& name : names_in(l.above[i]))
      if (!above_before[i].contains(name) && text.find(name) != std::string_view::npos) {
        std::fprintf(stderr, "created outside the destination: %s/%s\n", l.above[i].c_str(),
                     name.c_str());
        check(false, "nothing written outside the destination");
      }
  remove_tree(l.dest);
  return 0;
}
