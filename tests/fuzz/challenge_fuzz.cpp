// Fuzzes WWW-Authenticate parsing: it never throws, and what it returns is normalized.
#include "launcher/registry/challenge.hpp"
#include "tests/fuzz/check.hpp"

#include <string_view>

using cinit::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cinit::launcher;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const auto& c : parse_challenges(text)) {
    check(!c.scheme.empty(), "schemes are non-empty");
    for (const char ch : c.scheme)
      check(!(ch >= 'A' && ch <= 'Z'), "schemes are lower-case");
    for (const auto& [name, value] : c.params)
      for (const char ch : name)
        check(!(ch >= 'A' && ch <= 'Z'), "parameter names are lower-case");
  }
  return 0;
}
