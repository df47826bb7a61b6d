// Fuzzes command lines: the launcher's (parse_cli) and cinit's (parse_options). Input: the
// arguments, NUL-separated. The launcher's parser lets only SysError escape (a usage error,
// pointing at --help) and what it accepts is what its --help promises; cinit's either runs
// with options or exits with its text on the right stream, an error in one line.
#include "init/options.hpp"
#include "launcher/cli.hpp"
#include "launcher/error.hpp"
#include "tests/fuzz/check.hpp"

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

using cinit::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> args;
  while (!in.empty() && args.size() < 64) {
    const std::size_t nul = in.find('\0');
    args.emplace_back(in.substr(0, nul));
    in = nul == std::string_view::npos ? std::string_view{} : in.substr(nul + 1);
  }

  using namespace cinit::launcher;
  try {
    const Cli cli = parse_cli(args);
    switch (cli.command) {
    case Command::import:
      check(!cli.import.source.empty(), "import has a SOURCE");
      break;
    case Command::pull:
      check(!cli.pull.reference.empty(), "pull has a REFERENCE");
      check(cli.pull.jobs >= 1 && cli.pull.jobs <= 32, "--jobs is 1 to 32");
      break;
    case Command::run:
      check(!cli.run.image.empty() && cli.run.image[0] != '-', "run has an IMAGE");
      check(cli.run.net == "host" || cli.run.net == "none", "--net is host or none");
      check(cli.run.workdir.empty() || cli.run.workdir[0] == '/', "--workdir is absolute");
      for (const std::string& e : cli.run.env)
        check(!e.empty() && e[0] != '=', "-e names a variable");
      break;
    case Command::rm:
      check(!cli.rm_name.empty(), "rm has a NAME");
      break;
    case Command::help:
    case Command::version:
    case Command::images:
      break;
    }
  } catch (const SysError& e) {
    const std::string_view what = e.what();
    check(what.find("--help')") != std::string_view::npos, "usage errors point at --help");
  }

  const cinit::init::ParseResult r = cinit::init::parse_options(args);
  if (r.options) {
    check(r.out.empty() && r.err.empty() && r.exit_code == 0, "options come alone");
    check(r.options->command.size() <= args.size(), "the command is a tail of the arguments");
  } else {
    check(r.out.empty() != r.err.empty(), "an exit prints on exactly one stream");
    if (!r.err.empty()) {
      check(r.exit_code != 0, "an error exits non-zero");
      // (An argument's own newline is printed as it is.)
      check(r.err.back() == '\n', "an error is a line");
      if (std::none_of(args.begin(), args.end(),
                       [](const std::string& a) { return a.find('\n') != std::string::npos; }))
        check(r.err.find('\n') == r.err.size() - 1, "an error is one line");
    }
  }
  return 0;
}
