#include "launcher/cli.hpp"
#include "launcher/error.hpp"

#include <catch.hpp>

using namespace cinit::launcher;

namespace {
Cli parse(std::initializer_list<const char*> args) {
  return parse_cli(std::vector<std::string>(args.begin(), args.end()));
}
} // namespace

TEST_CASE("cli: run options, image and command") {
  const Cli c =
      parse({"run",     "-e",    "A=1",  "--env=B=2",  "-v", "/a:/b:ro", "-w",  "/w",        "-u",
             "1000:50", "--net", "none", "--hostname", "h",  "--gpus",   "all", "--no-init", "img",
             "--",      "sh",    "-c",   "x"});
  REQUIRE(c.command == Command::run);
  CHECK(c.run.env == std::vector<std::string>{"A=1", "B=2"});
  CHECK(c.run.volumes == std::vector<std::string>{"/a:/b:ro"});
  CHECK(c.run.workdir == "/w");
  CHECK(c.run.user == "1000:50");
  CHECK(parse({"run", "--user=app", "img"}).run.user == "app");
  CHECK(c.run.net == "none");
  CHECK(c.run.hostname == "h");
  CHECK(c.run.gpus == "all");
  CHECK(c.run.no_init);
  CHECK(c.run.image == "img");
  CHECK(c.run.command == std::vector<std::string>{"sh", "-c", "x"});
}

TEST_CASE("cli: run command without --, and flags after the image belong to it") {
  const Cli c = parse({"run", "img", "ls", "--help", "-e"});
  CHECK(c.command == Command::run);
  CHECK(c.run.command == std::vector<std::string>{"ls", "--help", "-e"});
  CHECK(c.run.net == "host");
  CHECK_FALSE(c.run.no_init);
}

TEST_CASE("cli: errors") {
  CHECK_THROWS_AS(parse({"run"}), SysError);
  CHECK_THROWS_AS(parse({"run", "--user=", "img"}), SysError);
  CHECK_THROWS_AS(parse({"run", "--net", "bridge", "img"}), SysError);
  CHECK_THROWS_AS(parse({"run", "-w", "relative", "img"}), SysError);
  CHECK_THROWS_AS(parse({"run", "--bogus", "img"}), SysError);
  CHECK_THROWS_AS(parse({"run", "-e"}), SysError);
  CHECK_THROWS_AS(parse({"import"}), SysError);
  CHECK_THROWS_AS(parse({"import", "a", "b"}), SysError);
  CHECK_THROWS_AS(parse({"rm"}), SysError);
  CHECK_THROWS_AS(parse({"frob"}), SysError);
}

// Found by cli_fuzz: an empty IMAGE, NAME, SOURCE or REFERENCE was taken as one.
TEST_CASE("cli: empty names are usage errors") {
  CHECK_THROWS_AS(parse({"run", ""}), SysError);
  CHECK_THROWS_AS(parse({"run", "-e", "A=1", "", "sh"}), SysError);
  CHECK_THROWS_AS(parse({"rm", ""}), SysError);
  CHECK_THROWS_AS(parse({"import", "", "x"}), SysError);
  CHECK_THROWS_AS(parse({"pull", "", "x"}), SysError);
  CHECK(parse({"run", "img", "sh", "-c", ""}).run.command ==
        std::vector<std::string>{"sh", "-c", ""});
}

TEST_CASE("cli: help, version, import") {
  CHECK(parse({}).command == Command::help);
  CHECK(parse({"--version"}).command == Command::version);
  const Cli h = parse({"run", "--help"});
  CHECK(h.command == Command::help);
  CHECK(h.help_topic == "run");
  CHECK(parse({"import", "x", "--help"}).help_topic == "import");
  const Cli i = parse({"import", "src", "--name", "n"});
  CHECK(i.import.source == "src");
  CHECK(i.import.name == "n");
  CHECK(usage("run").find("--no-init") != std::string::npos);
}
