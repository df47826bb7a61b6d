// Fuzzes the container user's resolution: input is "SPEC\0PASSWD\0GROUP". No crash; either a
// SysError or a user whose ids agree with the files: a named user's uid is its passwd uid,
// the primary group leads the supplementary list, and root is "plain" only when it is 0:0.
#include "launcher/error.hpp"
#include "launcher/run/user.hpp"
#include "tests/fuzz/check.hpp"

#include <algorithm>
#include <string>
#include <string_view>

using cinit::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string_view parts[3];
  for (auto& p : parts) {
    const std::size_t nul = in.find('\0');
    p = in.substr(0, nul);
    in = nul == std::string_view::npos ? std::string_view{} : in.substr(nul + 1);
  }
  const std::string_view spec = parts[0];
  try {
    const auto u = cinit::launcher::resolve_user(spec, parts[1], parts[2]);
    check(!u.groups.empty(), "there is always a group list");
    check(u.groups.front() == u.gid, "the primary group comes first");
    check(std::count(u.groups.begin(), u.groups.end(), u.gid) == 1, "no duplicate primary");
    check(u.explicit_group == (spec.find(':') != std::string_view::npos),
          "an explicit group exactly when the spec has one");
    check(!u.is_plain_root() || (u.uid == 0 && u.gid == 0), "plain root is 0:0");
  } catch (const cinit::launcher::SysError& e) {
    check(std::string_view(e.what()).find(spec) != std::string_view::npos,
          "the error names the spec");
  }
  return 0;
}
