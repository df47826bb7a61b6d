// Fuzzes registry credentials: auth.json / config.json text for a fuzzed domain, and base64.
// Input: "DOMAIN\nJSON". Only SysError escapes, naming the file (a nlohmann exception would
// mean a document shape the code does not expect); credentials found are split at the first
// colon of an entry's `auth`; base64 round-trips both ways.
#include "launcher/error.hpp"
#include "launcher/registry/base64.hpp"
#include "launcher/registry/credentials.hpp"
#include "tests/fuzz/check.hpp"

#include <string>
#include <string_view>

using cinit::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cinit::launcher;
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  if (const auto plain = base64_decode(in)) {
    // Unused low bits of the last character are ignored (RFC 4648 allows it): compare the
    // text with its canonical form only up to them.
    const std::string canonical = base64_encode(*plain);
    check(canonical.size() == in.size(), "decoded base64 encodes back to as many characters");
    const std::size_t last_data = in.find('=') == std::string_view::npos ? in.size() : in.find('=');
    check(last_data == 0 || canonical.compare(0, last_data - 1, in.substr(0, last_data - 1)) == 0,
          "decoded base64 encodes back to the same text");
    check(plain->size() == in.size() / 4 * 3 - (in.ends_with("==")  ? 2U
                                                : in.ends_with('=') ? 1U
                                                                    : 0U),
          "three bytes per four characters, less the padding");
  }
  const auto again = base64_decode(base64_encode(in));
  check(again && *again == in, "encoded bytes decode back");

  const std::size_t nl = in.find('\n');
  const std::string domain(in.substr(0, nl));
  const std::string_view json = nl == std::string_view::npos ? "" : in.substr(nl + 1);
  const std::string file = "/fuzz/auth.json";
  try {
    if (const auto c = credentials_from_json(json, domain, file)) {
      check(c->file == file, "credentials name their file");
      check(c->user.find(':') == std::string::npos, "the user is split at the first colon");
    }
  } catch (const SysError& e) {
    check(std::string_view(e.what()).find(file) != std::string_view::npos, "errors name the file");
  }
  try {
    if (const auto helper = helper_from_json(json, domain, file))
      check(!helper->empty(), "a helper has a name");
  } catch (const SysError& e) {
    check(std::string_view(e.what()).find(file) != std::string_view::npos, "errors name the file");
  }
  return 0;
}
