// --help and --version of the tools that stand in for others (setuser, envdir, sv, supervisor):
// recognised only as the sole argument, where the originals answer with a usage error, so
// every invocation the originals accept keeps its meaning.
#pragma once

#include <optional>

namespace cinit {

// argv is exactly {PROG, "--help"} or {PROG, "--version"}: prints `help`, or "NAME VERSION",
// on stdout and returns the exit code (0; 1 if stdout fails). Otherwise nullopt.
std::optional<int> sole_help_or_version(int argc, char** argv, const char* name, const char* help);

} // namespace cinit
