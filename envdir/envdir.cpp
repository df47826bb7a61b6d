// envdir: every file in DIR not starting with '.' names a variable; its first line is the
// value, an empty file unsets it (daemontools envdir(8)). Dies on the first error.
#include "envdir/envdir.hpp"

#include "common/log.hpp"
#include "common/spawn.hpp"
#include "common/syscall.hpp"

#include <cerrno>
#include <cstdlib>
#include <unistd.h>

namespace cinit::envdir {
namespace {

constexpr int exit_failure = 111;

} // namespace

std::string file_value(std::string_view raw) {
  std::string value(raw.substr(0, raw.find('\n')));
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
    value.pop_back();
  for (char& c : value)
    if (c == '\0')
      c = '\n';
  return value;
}

void run(const Options& opts) {
  const std::optional<std::vector<std::string>> names = list_dir(opts.dir);
  if (!names)
    die_sys(exit_failure, errno, "unable to read directory '" + opts.dir + "'");
  for (const std::string& name : *names) {
    if (name[0] == '.')
      continue;
    const std::string path = opts.dir + "/" + name;
    // daemontools would put "A=B=value" into the environment, which every reader takes as
    // A="B=value": refuse instead of exporting a variable nobody named.
    if (name.find('=') != std::string::npos)
      die(exit_failure, "unable to use '" + path + "': '=' in a variable name");
    const std::optional<std::string> raw = read_file(path);
    int rc = 0;
    if (!raw) {
      const int err = errno;
      // daemontools reads a file that vanished since readdir as empty: the variable is unset.
      if (err != ENOENT)
        die_sys(exit_failure, err, "unable to read '" + path + "'");
      rc = ::unsetenv(name.c_str());
    } else if (raw->empty()) {
      rc = ::unsetenv(name.c_str());
    } else {
      rc = ::setenv(name.c_str(), file_value(*raw).c_str(), 1);
    }
    if (rc != 0)
      die_sys(exit_failure, errno, "unable to set '" + name + "' from '" + path + "'");
  }

  std::vector<char*> argv = c_strings(opts.command);
  ::execvp(argv[0], argv.data());
  // daemontools exits 111 here too: envdir's own failure, whatever the errno.
  die_sys(exit_failure, errno, "unable to run '" + opts.command[0] + "'");
}

} // namespace cinit::envdir
