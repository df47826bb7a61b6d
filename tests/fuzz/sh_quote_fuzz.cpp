// Fuzzes sh_quote and env_to_sh: the output, read by a strict model of POSIX sh's quoting
// (bare safe characters, '...' and "'"), must give back the exact bytes; a sample of
// inputs also goes through a real /bin/sh.
#include "common/env.hpp"
#include "common/spawn.hpp"
#include "common/syscall.hpp"
#include "common/unique_fd.hpp"
#include "tests/fuzz/check.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fuzzer/FuzzedDataProvider.h>
#include <optional>
#include <string>
#include <string_view>
#include <sys/wait.h>

using cinit::fuzz::check;

namespace {

bool bare_safe(char ch) {
  const auto c = static_cast<unsigned char>(ch);
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         (c != 0 && std::strchr("_@%+=:,./-", c) != nullptr);
}

// Reads one shell word from the front of `s` as sh would, accepting only what needs no
// expansion: bare safe characters, single-quoted strings, and "..." holding no $ ` \ ".
// Stops at the first space or newline outside quotes. nullopt if anything else is met.
std::optional<std::string> read_word(std::string_view& s) {
  std::string out;
  bool any = false;
  while (!s.empty() && s[0] != ' ' && s[0] != '\n') {
    any = true;
    if (s[0] == '\'') {
      const std::size_t end = s.find('\'', 1);
      if (end == std::string_view::npos)
        return std::nullopt;
      out.append(s.substr(1, end - 1));
      s.remove_prefix(end + 1);
    } else if (s[0] == '"') {
      const std::size_t end = s.find('"', 1);
      if (end == std::string_view::npos)
        return std::nullopt;
      const std::string_view inner = s.substr(1, end - 1);
      if (inner.find_first_of("$`\\") != std::string_view::npos)
        return std::nullopt;
      out.append(inner);
      s.remove_prefix(end + 1);
    } else if (bare_safe(s[0])) {
      out.push_back(s[0]);
      s.remove_prefix(1);
    } else {
      return std::nullopt;
    }
  }
  if (!any)
    return std::nullopt;
  return out;
}

// `sh -c 'printf %s WORD'` through a real shell: its stdout.
std::string real_sh(const std::string& word) {
  cinit::Pipe out;
  check(cinit::make_pipe(out), "pipe");
  cinit::SpawnOptions opts;
  opts.stdout_fd = out.write.get();
  const cinit::SpawnResult r =
      cinit::spawn({"/bin/sh", "-c", "printf %s " + word}, {"PATH=/usr/bin:/bin"}, opts);
  check(r.pid > 0, "spawn /bin/sh");
  out.write.reset();
  const std::optional<std::string> text = cinit::read_all(out.read.get());
  int status = 0;
  check(::waitpid(r.pid, &status, 0) == r.pid, "waitpid");
  check(text.has_value(), "read sh's output");
  check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "sh exits 0");
  return *text;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static unsigned long runs = 0;
  FuzzedDataProvider in(data, size);
  const std::string value = in.ConsumeRandomLengthString(256);

  const std::string quoted = cinit::sh_quote(value);
  std::string_view rest = quoted;
  const std::optional<std::string> back = read_word(rest);
  check(back.has_value(), "sh_quote output is one plain shell word");
  check(rest.empty(), "sh_quote output is exactly one word");
  check(*back == value, "the word reads back as the exact bytes");

  // A real shell on a sample (argv cannot carry NUL; environ values never hold one).
  if (value.find('\0') == std::string::npos && ++runs % 256 == 1)
    check(real_sh(quoted) == value, "/bin/sh prints the exact bytes");

  // env_to_sh: one `export NAME=WORD` per variable, names sanitised, values exact.
  cinit::Env env;
  while (in.remaining_bytes() > 0 && env.size() < 8) {
    std::string name = in.ConsumeRandomLengthString(16);
    std::string v = in.ConsumeRandomLengthString(64);
    if (!cinit::valid_env_name(name))
      continue;
    env[name] = v;
  }
  env["FIXED"] = value;
  const std::string sh = cinit::env_to_sh(env);
  std::string_view s = sh;
  std::size_t lines = 0;
  while (!s.empty()) {
    check(s.rfind("export ", 0) == 0, "each line starts with export");
    s.remove_prefix(7);
    const std::size_t eq = s.find('=');
    check(eq != std::string_view::npos && eq > 0, "NAME= follows");
    const std::string_view name = s.substr(0, eq);
    check(!(name[0] >= '0' && name[0] <= '9'), "names do not start with a digit");
    for (const char c : name)
      check(bare_safe(c) && std::strchr("@%+=:,./-", c) == nullptr, "names are [A-Za-z0-9_]");
    s.remove_prefix(eq + 1);
    const std::optional<std::string> word = read_word(s);
    check(word.has_value(), "the value is one plain word");
    check(!s.empty() && s[0] == '\n', "a newline ends the line");
    s.remove_prefix(1);
    ++lines;
  }
  std::size_t expected = 0;
  for (const auto& [name, v] : env)
    expected += !cinit::env_dump_excluded(name) && !(name[0] >= '0' && name[0] <= '9');
  check(lines == expected, "one line per dumped variable");
  return 0;
}
