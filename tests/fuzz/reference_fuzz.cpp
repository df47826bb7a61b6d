// Fuzzes image references: only SysError may escape; an accepted reference's canonical name
// parses back to itself, and its parts are what a URL path, the store and the certs.d
// directories (named after the domain) can hold.
#include "launcher/error.hpp"
#include "launcher/image/store.hpp"
#include "launcher/registry/ca_bundle.hpp"
#include "launcher/registry/reference.hpp"
#include "tests/fuzz/check.hpp"

#include <algorithm>
#include <climits>
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
    // Only IPv6 hosts ([::1]), names over 200 bytes or too long as a file name (each '/'
    // stored as %2F) and tags with ".." (Docker allows "v1..2"; the store refuses ".."
    // anywhere) need `pull --name`.
    const std::string name = r.name();
    const auto slashes = static_cast<std::size_t>(std::count(name.begin(), name.end(), '/'));
    if (!r.domain.starts_with('[') && name.size() <= max_image_name &&
        name.size() + 2 * slashes + 10 <= NAME_MAX && r.tag.find("..") == std::string::npos)
      check(valid_image_name(name), "the canonical name is a store name");
    // certs.d/DOMAIN: one directory of its own, below certs.d.
    check(r.domain != "." && r.domain != ".." && r.domain.find('/') == std::string::npos &&
              r.domain.find('\0') == std::string::npos,
          "the domain is one path component");
    for (const std::string& dir : ca_dirs(r.domain))
      check(dir.ends_with("/certs.d/" + r.domain), "certs.d directories are named by domain");
  } catch (const SysError&) {
  }
  return 0;
}
