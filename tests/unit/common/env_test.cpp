// The environment model: my_init's value rule, the env dir reader, and the .sh/.json dumps,
// with the .sh quoting checked against a real /bin/sh.
#include "common/env.hpp"
#include "common/spawn.hpp"
#include "common/syscall.hpp"
#include "common/unique_fd.hpp"
#include "tests/unit/common/capture.hpp"
#include "tests/unit/common/temp_dir.hpp"

#include <catch.hpp>
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>

using cinit::test::TempDir;

namespace {

// Runs `sh -c script` with `args` and returns (exit status, stdout).
std::pair<int, std::string> run_sh(const std::string& script,
                                   const std::vector<std::string>& args = {}) {
  std::vector<std::string> argv{"/bin/sh", "-c", script, "sh"};
  argv.insert(argv.end(), args.begin(), args.end());
  return cinit::test::capture_stdout(argv, {"PATH=/usr/bin:/bin"});
}

void write(const std::string& path, const std::string& data) {
  cinit::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  REQUIRE(fd.valid());
  REQUIRE(cinit::write_full(fd.get(), data));
}

// Values a hostile or careless environment may hold; none contains NUL (environ cannot).
const std::vector<std::string> hostile_values = {
    "",
    "plain",
    "with space",
    "it's",
    "''",
    "'\"'\"'",
    "\"double\"",
    "$HOME",
    "${HOME:-x}",
    "`id`",
    "$(id)",
    "back\\slash\\",
    "line1\nline2\n",
    "\n",
    "tab\there",
    "glob*?[a]",
    "~root",
    "-n",
    "a=b",
    "semi;colon&amp|pipe>redir<",
    "#hash",
    "!bang",
    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa7",
    "\xff\xfe invalid utf-8",
    "\x01\x02\x1b[31m",
    "%s%n",
    "@%+=:,./-",
};

} // namespace

TEST_CASE("env_file_value strips exactly one trailing newline") {
  CHECK(cinit::env_file_value("") == "");
  CHECK(cinit::env_file_value("x") == "x");
  CHECK(cinit::env_file_value("x\n") == "x");
  CHECK(cinit::env_file_value("x\n\n") == "x\n");
  CHECK(cinit::env_file_value("\n") == "");
  CHECK(cinit::env_file_value("a\nb") == "a\nb");
  CHECK(cinit::env_file_value("  spaces  \n") == "  spaces  ");
}

TEST_CASE("env_file_value turns CR LF and lone CR into LF, as Python's universal newlines") {
  CHECK(cinit::env_file_value("x\r\n") == "x");
  CHECK(cinit::env_file_value("a\r\nb\r\n") == "a\nb");
  CHECK(cinit::env_file_value("a\rb") == "a\nb");
  CHECK(cinit::env_file_value("a\r") == "a");
  CHECK(cinit::env_file_value("a\r\r\n") == "a\n");
  CHECK(cinit::env_file_value("a\n\r") == "a\n");
}

TEST_CASE("valid_env_name") {
  CHECK(cinit::valid_env_name("PATH"));
  CHECK(cinit::valid_env_name("lower.dotted-name"));
  CHECK_FALSE(cinit::valid_env_name(""));
  CHECK_FALSE(cinit::valid_env_name("A=B"));
  CHECK_FALSE(cinit::valid_env_name(std::string_view("A\0B", 3)));
}

TEST_CASE("env_from_strings and env_to_strings") {
  const char* envp[] = {"A=1", "B==2", "NOEQ", "=empty", "C=", "A=second", nullptr};
  const cinit::Env env = cinit::env_from_strings(envp);
  CHECK(env == cinit::Env{{"A", "1"}, {"B", "=2"}, {"C", ""}});
  CHECK(cinit::env_to_strings(env) == std::vector<std::string>{"A=1", "B==2", "C="});
  CHECK(cinit::env_from_strings(nullptr).empty());
}

TEST_CASE("read_env_dir reads values and reports bad entries with their path") {
  TempDir dir;
  write(dir / "PATH", "/usr/bin:/bin\n");
  write(dir / "MULTI", "a\r\nb\n\n");
  write(dir / "EMPTY", "");
  write(dir / ".hidden", "x");
  write(dir / ".PATH.tmp", "temp file of write_file_atomic");
  write(dir / "NUL", std::string("a\0b", 3));
  REQUIRE(::mkdir((dir / "SUBDIR").c_str(), 0755) == 0);
  REQUIRE(::mkfifo((dir / "FIFO").c_str(), 0644) == 0);
  REQUIRE(::symlink("PATH", (dir / "LINK").c_str()) == 0);
  REQUIRE(::symlink("missing", (dir / "DANGLING").c_str()) == 0);

  std::vector<std::pair<std::string, std::string>> warnings;
  const cinit::Env env =
      cinit::read_env_dir(dir.path(), [&](const std::string& path, const std::string& problem) {
        warnings.emplace_back(path, problem);
      });

  CHECK(env == cinit::Env{{"EMPTY", ""},
                          {"LINK", "/usr/bin:/bin"},
                          {"MULTI", "a\nb\n"},
                          {"PATH", "/usr/bin:/bin"}});
  std::vector<std::string> paths;
  for (const auto& w : warnings) {
    paths.push_back(w.first);
    CHECK_FALSE(w.second.empty());
  }
  // Byte order, each bad entry once, hidden files not even mentioned.
  CHECK(paths ==
        std::vector<std::string>{dir / "DANGLING", dir / "FIFO", dir / "NUL", dir / "SUBDIR"});
  CHECK(warnings[0].second == "No such file or directory");
  CHECK(warnings[3].second.find("directory") != std::string::npos);
}

TEST_CASE("read_env_dir: a missing dir is empty and silent, a file instead of a dir warns") {
  TempDir dir;
  int calls = 0;
  const auto count = [&](const std::string&, const std::string&) { ++calls; };
  CHECK(cinit::read_env_dir(dir / "missing", count).empty());
  CHECK(calls == 0);
  write(dir / "file", "x");
  CHECK(cinit::read_env_dir(dir / "file", count).empty());
  CHECK(calls == 1);
}

TEST_CASE("sh_quote: bare only for safe words, my_init's quoting otherwise") {
  CHECK(cinit::sh_quote("") == "''");
  CHECK(cinit::sh_quote("abc_XYZ-09@%+=:,./") == "abc_XYZ-09@%+=:,./");
  CHECK(cinit::sh_quote("a b") == "'a b'");
  CHECK(cinit::sh_quote("it's") == "'it'\"'\"'s'");
  CHECK(cinit::sh_quote("$x") == "'$x'");
  CHECK(cinit::sh_quote("caf\xc3\xa9") == "'caf\xc3\xa9'");
  CHECK(cinit::sh_quote("~") == "'~'");
}

TEST_CASE("sh_quote round trip through /bin/sh gives back the exact bytes") {
  for (const std::string& v : hostile_values) {
    INFO("value: [" << v << "]");
    const auto [rc, out] = run_sh("printf %s " + cinit::sh_quote(v));
    CHECK(rc == 0);
    CHECK(out == v);
  }
}

TEST_CASE("env_to_sh: sourced by /bin/sh, every variable comes back byte for byte") {
  cinit::Env env;
  for (std::size_t i = 0; i < hostile_values.size(); ++i)
    env["V" + std::to_string(i)] = hostile_values[i];
  env["weird-name.x"] = "sanitised";
  env["HOME"] = "/not/dumped";
  env["USER"] = "not-dumped";
  const std::string sh = cinit::env_to_sh(env);
  CHECK(sh.find("export HOME=") == std::string::npos);
  CHECK(sh.find("export USER=") == std::string::npos);
  CHECK(sh.find("export weird_name_x=sanitised\n") != std::string::npos);

  TempDir dir;
  write(dir / "env.sh", sh);
  std::string script = "set -e; . '" + (dir / "env.sh") + "'; printf '%s\\0'";
  for (std::size_t i = 0; i < hostile_values.size(); ++i)
    script += " \"$V" + std::to_string(i) + "\"";
  const auto [rc, out] = run_sh(script);
  REQUIRE(rc == 0);
  std::string expected;
  for (const std::string& v : hostile_values)
    expected += v + '\0';
  CHECK(out == expected);
}

TEST_CASE("env_to_sh leaves out names no shell accepts, so sourcing never aborts") {
  const cinit::Env env{{"1LEADING_DIGIT", "x"}, {"OK", "y"}, {"9", "z"}};
  const std::string sh = cinit::env_to_sh(env);
  CHECK(sh == "export OK=y\n");
  TempDir dir;
  write(dir / "env.sh", sh);
  const auto [rc, out] = run_sh(". '" + (dir / "env.sh") + "'; printf %s \"$OK\"");
  CHECK(rc == 0);
  CHECK(out == "y");
}

TEST_CASE("sh_sanitize_name") {
  CHECK(cinit::sh_sanitize_name("PATH") == "PATH");
  CHECK(cinit::sh_sanitize_name("a-b.c d") == "a_b_c_d");
  CHECK(cinit::sh_sanitize_name("caf\xc3\xa9") == "caf__");
  CHECK(cinit::sh_sanitize_name("") == "");
  CHECK(cinit::sh_sanitize_name("_9") == "_9");
}

TEST_CASE("env_dump_excluded: the names my_init never dumps") {
  for (const char* n : {"HOME", "USER", "GROUP", "UID", "GID", "SHELL"})
    CHECK(cinit::env_dump_excluded(n));
  CHECK_FALSE(cinit::env_dump_excluded("PATH"));
  CHECK_FALSE(cinit::env_dump_excluded("home"));
  CHECK_FALSE(cinit::env_dump_excluded("LOGNAME"));
}

TEST_CASE("env_to_json: an ASCII object of every variable, HOME included") {
  const cinit::Env env{{"HOME", "/root"},
                       {"Q", "quote\" back\\ nl\n"},
                       {"U", "caf\xc3\xa9"},
                       {"BAD", "\xff"},
                       {"EMPTY", ""}};
  const std::string text = cinit::env_to_json(env);
  for (const char c : text)
    CHECK(static_cast<unsigned char>(c) < 0x80);
  CHECK(text.find("caf\\u00e9") != std::string::npos);
  CHECK(text.back() == '}');
  const nlohmann::json j = nlohmann::json::parse(text);
  CHECK(j.size() == 5);
  CHECK(j["HOME"] == "/root");
  CHECK(j["Q"] == "quote\" back\\ nl\n");
  CHECK(j["U"] == "caf\xc3\xa9");
  CHECK(j["BAD"] == "\xef\xbf\xbd"); // invalid UTF-8 becomes U+FFFD, the dump still succeeds
  CHECK(j["EMPTY"] == "");
  CHECK(cinit::env_to_json({}) == "{}");
}
