// Command-line parsing for `launcher COMMAND ...`: pure functions from argv to option structs,
// so that every flag is unit-tested without running anything.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace cinit::launcher {

struct ImportOptions {
  std::string source;
  std::string name;   // empty: from the source's own tag or file name
  bool quiet = false; // print nothing (run's import on first use: stdout is the container's)
};

struct PullOptions {
  std::string reference;
  std::string name;     // the store's name; empty: the reference's canonical name
  std::string platform; // OS/ARCH[/VARIANT]; empty: this host's
  int jobs = 4;         // layers fetched at once (--jobs)
  bool quiet = false;   // print nothing but the name
};

// `login REGISTRY` and `logout REGISTRY`.
struct LoginOptions {
  std::string registry;        // HOST[:PORT] as the user wrote it (a URL is accepted)
  std::string user;            // -u; empty: asked on the terminal
  bool password_stdin = false; // the password from stdin, not the terminal
};

// `run IMAGE` when IMAGE is not in the store: pull it first (missing, as podman), always
// pull it, or never (an error, as before pulling existed).
enum class PullPolicy { missing, always, never };

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
  PullPolicy pull = PullPolicy::missing; // --pull=missing|always|never
};

enum class Command { help, version, import, pull, login, logout, images, rm, run };

struct Cli {
  Command command = Command::help;
  std::string help_topic; // for help: "" (general) or a command name
  ImportOptions import;
  PullOptions pull;
  LoginOptions login; // login and logout
  RunOptions run;
  std::string rm_name;
};

// Throws SysError with a usage message on bad arguments (main exits 125 for those).
Cli parse_cli(const std::vector<std::string>& args);

// Usage text for `launcher --help` ("") or `launcher COMMAND --help`.
std::string usage(const std::string& topic);

} // namespace cinit::launcher
