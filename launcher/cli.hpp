// Command-line parsing for `launcher COMMAND ...`: pure functions from argv to option structs,
// so that every flag is unit-tested without running anything.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace cinit::launcher {

struct ImportOptions {
  std::string source;
  std::string name; // empty: from the source's own tag or file name
};

struct RunOptions {
  std::string image;
  std::vector<std::string> command; // after the image (and an optional "--"); empty: image's
  std::vector<std::string> env;     // -e K=V (or K: copied from our environment)
  std::vector<std::string> volumes; // -v SRC:DST[:ro]
  std::string workdir;              // -w
  std::string user;                 // -u USER[:GROUP]; empty: the image's User
  std::string net = "host";         // host | none
  std::string hostname;
  std::string gpus; // --gpus VALUE (all | N,M | none); empty: config default
  bool no_init = false;
};

enum class Command { help, version, import, images, rm, run };

struct Cli {
  Command command = Command::help;
  std::string help_topic; // for help: "" (general) or a command name
  ImportOptions import;
  RunOptions run;
  std::string rm_name;
};

// Throws SysError with a usage message on bad arguments (main exits 125 for those).
Cli parse_cli(const std::vector<std::string>& args);

// Usage text for `launcher --help` ("") or `launcher COMMAND --help`.
std::string usage(const std::string& topic);

} // namespace cinit::launcher
