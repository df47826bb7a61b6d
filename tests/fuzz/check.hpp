// Fuzz targets' invariant check: a violated invariant aborts, which libFuzzer reports as a crash
// and keeps the input.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace cinit::fuzz {

inline void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
  }
}

} // namespace cinit::fuzz
