#include "common/help.hpp"

#include "common/log.hpp"
#include "common/syscall.hpp"
#include "common/version.hpp"

#include <cerrno>
#include <string>
#include <string_view>
#include <unistd.h>

namespace cinit {

std::optional<int> sole_help_or_version(int argc, char** argv, const char* name, const char* help) {
  if (argc != 2)
    return std::nullopt;
  const std::string_view arg = argv[1];
  std::string text;
  if (arg == "--help")
    text = help;
  else if (arg == "--version")
    text = std::string(name) + " " + version + "\n";
  else
    return std::nullopt;
  if (!write_full(STDOUT_FILENO, text)) {
    const int err = errno;
    warn_sys(err, "unable to write to stdout");
    return 1;
  }
  return 0;
}

} // namespace cinit
