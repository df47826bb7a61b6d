// Fuzzes the env dir reader: fuzzed names and contents become real files (and dirs and
// symlinks) in a temp dir; read_env_dir must not crash and must keep its contract. The same
// contents go through envdir's (daemontools') value rule.
#include "common/env.hpp"
#include "common/syscall.hpp"
#include "common/unique_fd.hpp"
#include "envdir/envdir.hpp"
#include "tests/fuzz/check.hpp"

#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fuzzer/FuzzedDataProvider.h>
#include <map>
#include <set>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

using cinit::fuzz::check;

namespace {

std::string g_dir;

void remove_dir() {
  std::error_code ec; // best effort at exit
  std::filesystem::remove_all(g_dir, ec);
}

const std::string& work_dir() {
  if (g_dir.empty()) {
    // libFuzzer ends a timed run with _Exit, skipping atexit: run.sh points TMPDIR at a
    // directory it removes itself.
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/env_dir_fuzz.XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr)
      std::abort();
    g_dir = tmpl;
    (void)std::atexit(remove_dir);
  }
  return g_dir;
}

void clear_dir(const std::string& dir) {
  for (const auto& e : std::filesystem::directory_iterator(dir))
    std::filesystem::remove_all(e.path());
}

bool usable_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.size() < 200 &&
         name.find('/') == std::string::npos && name.find('\0') == std::string::npos;
}

enum class Kind { file, dir, symlink };

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& dir = work_dir();
  clear_dir(dir);
  FuzzedDataProvider in(data, size);

  // What the fuzzer made: name -> (kind, content or link target).
  std::map<std::string, std::pair<Kind, std::string>> made;
  const int count = in.ConsumeIntegralInRange<int>(0, 12);
  for (int i = 0; i < count && in.remaining_bytes() > 0; ++i) {
    const std::string name = in.ConsumeRandomLengthString(24);
    const auto kind = static_cast<Kind>(in.ConsumeIntegralInRange<int>(0, 2));
    const std::string content = in.ConsumeRandomLengthString(512);
    if (!usable_name(name) || made.count(name) != 0)
      continue;
    const std::string path = dir + "/" + name;
    switch (kind) {
    case Kind::file: {
      cinit::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
      if (!fd.valid() || !cinit::write_full(fd.get(), content))
        continue;
      break;
    }
    case Kind::dir:
      if (::mkdir(path.c_str(), 0755) != 0)
        continue;
      break;
    case Kind::symlink:
      if (!usable_name(content) || ::symlink(content.c_str(), path.c_str()) != 0)
        continue;
      break;
    }
    made[name] = {kind, content};
  }

  std::set<std::string> warned;
  const cinit::Env env =
      cinit::read_env_dir(dir, [&](const std::string& path, const std::string& problem) {
        check(path.rfind(dir + "/", 0) == 0, "warning path is inside the dir");
        check(!problem.empty(), "warning says what is wrong");
        check(warned.insert(path.substr(dir.size() + 1)).second, "one warning per entry");
      });

  // What a regular file, directly or through a chain of symlinks in the dir, should yield.
  const auto expected_file = [&](const std::string& name) -> const std::string* {
    std::string at = name;
    for (int hops = 0; hops < 40; ++hops) { // the kernel gives up (ELOOP) at 40 links
      const auto it = made.find(at);
      if (it == made.end() || it->second.first == Kind::dir)
        return nullptr;
      if (it->second.first == Kind::file)
        return &it->second.second;
      at = it->second.second;
    }
    return nullptr;
  };

  for (const auto& [name, value] : env) {
    check(made.count(name) == 1, "every variable comes from an entry");
    check(name[0] != '.', "hidden files are ignored");
    check(cinit::valid_env_name(name), "names are valid");
    check(warned.count(name) == 0, "a variable is not also warned about");
    const std::string* content = expected_file(name);
    check(content != nullptr, "variables come from regular files");
    check(value == cinit::env_file_value(*content), "value is env_file_value of the content");
    check(value.find('\0') == std::string::npos, "no NUL in values");
    check(value.find('\r') == std::string::npos, "no CR in values");
  }
  for (const auto& [name, what] : made) {
    if (name[0] == '.') {
      check(warned.count(name) == 0, "hidden entries are not reported");
      continue;
    }
    check(env.count(name) + warned.count(name) == 1, "every visible entry is used or reported");
  }

  // envdir: the first line, less trailing blanks, NULs read as newlines.
  for (const auto& [name, what] : made) {
    const std::string& raw = what.second;
    const std::string value = cinit::envdir::file_value(raw);
    const std::string_view line = std::string_view(raw).substr(0, raw.find('\n'));
    check(value.size() <= line.size(), "an envdir value comes from the first line");
    check(value.empty() || (value.back() != ' ' && value.back() != '\t'),
          "no trailing blanks in an envdir value");
    for (std::size_t i = 0; i < value.size(); ++i)
      check(value[i] == (line[i] == '\0' ? '\n' : line[i]), "an envdir value is the line");
    check(line.substr(value.size()).find_first_not_of(" \t") == std::string_view::npos,
          "only blanks are cut from an envdir value");
  }

  // The dumps must take whatever the reader produced.
  (void)cinit::env_to_sh(env);
  (void)cinit::env_to_json(env);
  return 0;
}
