// Fuzzes the ld.so.cache reader: any bytes either parse or throw SysError (never crash or
// read out of bounds, which ASan reports), and what parses survives a write/parse round trip.
#include "launcher/error.hpp"
#include "launcher/gpu/ldcache.hpp"
#include "tests/fuzz/check.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

using cinit::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::vector<cinit::launcher::LdCacheEntry> entries;
  try {
    entries = cinit::launcher::parse_ld_cache(bytes, "fuzz");
  } catch (const cinit::launcher::SysError&) {
    return 0; // a clean refusal is the only other allowed outcome
  }
  // Each entry has a 12-byte (old) or 24-byte (new) slot and two NUL-terminated strings.
  check(entries.size() <= size / 12, "no more entries than the input can hold");
  for (const auto& e : entries)
    check(e.soname.find('\0') == std::string::npos && e.path.find('\0') == std::string::npos,
          "strings stop at their NUL");
  const auto again =
      cinit::launcher::parse_ld_cache(cinit::launcher::write_ld_cache(entries), "round trip");
  check(again.size() == entries.size(), "round trip keeps the count");
  for (std::size_t i = 0; i < entries.size(); ++i)
    check(again[i].soname == entries[i].soname && again[i].path == entries[i].path &&
              again[i].flags == entries[i].flags && again[i].hwcap == entries[i].hwcap,
          "round trip keeps every entry");
  return 0;
}
