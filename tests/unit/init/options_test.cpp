#include "init/options.hpp"

#include <catch.hpp>

using cinit::init::parse_options;

TEST_CASE("my_init flags are accepted and the command follows them") {
  const auto r = parse_options({"--quiet", "--skip-startup-files", "--no-kill-all-on-exit",
                                "--enable-insecure-key", "--skip-runit", "cmd", "arg"});
  REQUIRE(r.options);
  CHECK(r.options->quiet);
  CHECK(r.options->skip_startup_files);
  CHECK(r.options->no_kill_all_on_exit);
  CHECK(r.options->enable_insecure_key);
  CHECK(r.options->skip_runit);
  CHECK(r.options->command == std::vector<std::string>{"cmd", "arg"});
}

TEST_CASE("everything after -- is the command, verbatim") {
  const auto r = parse_options({"--", "sh", "--quiet", "-c"});
  REQUIRE(r.options);
  CHECK_FALSE(r.options->quiet);
  CHECK(r.options->command == std::vector<std::string>{"sh", "--quiet", "-c"});
}

TEST_CASE("the first non-option starts the command") {
  const auto r = parse_options({"--quiet", "ls", "-l"});
  REQUIRE(r.options);
  CHECK(r.options->command == std::vector<std::string>{"ls", "-l"});
}

TEST_CASE("help and version exit 0 on stdout") {
  for (const char* flag : {"-h", "--help"}) {
    const auto r = parse_options({flag});
    CHECK_FALSE(r.options);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("--skip-runit") != std::string::npos);
    CHECK(r.err.empty());
  }
  const auto v = parse_options({"--version"});
  CHECK(v.exit_code == 0);
  CHECK(v.out.rfind("cinit ", 0) == 0);
}

TEST_CASE("an unknown option exits 2, naming it") {
  const auto r = parse_options({"--nope"});
  CHECK_FALSE(r.options);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("'--nope'") != std::string::npos);
}

TEST_CASE("--skip-runit without a command exits 1 with my_init's message") {
  const auto r = parse_options({"--skip-runit"});
  CHECK_FALSE(r.options);
  CHECK(r.exit_code == 1);
  CHECK(r.err == "*** When --skip-runit is given, you must also pass a main command.\n");
}
