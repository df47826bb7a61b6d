// Fuzzes image references: only SysError may escape; an accepted reference's canonical name
// parses back to itself, and its parts are what a URL path and the store can hold.
#include "launcher/error.hpp"
#include "launcher/registry/reference.hpp"
#include "tests/fuzz/check.hpp"

#include <string>
#include <string_view>

using cinit::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cinit::launcher;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const Reference r = parse_reference(text);
    check(!r.domain.empty() && !r.repository.empty(), "domain and repository are set");
    check(!r.tag.empty() || !r.digest.empty(), "a tag or a digest");
    check(r.repository.find("//") == std::string::npos &&
              r.repository.find("..") == std::string::npos,
          "no empty or dot-dot components");
    check(r.api_port() >= 1 && r.api_port() <= 65535, "port in range");
    const Reference back = parse_reference(r.name());
    check(back.name() == r.name(), "the canonical name round-trips");
  } catch (const SysError&) {
  }
  return 0;
}
