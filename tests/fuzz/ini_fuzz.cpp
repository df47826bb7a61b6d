// Fuzzes launcher.ini parsing: only SysError escapes (naming the file), accepted values obey
// the documented rules (absolute data_root, well-formed binds).
#include "launcher/config.hpp"
#include "launcher/error.hpp"
#include "tests/fuzz/check.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

using cinit::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cinit::launcher;
  // inih reads up to the first NUL, as it would from a file's text.
  const std::string text(reinterpret_cast<const char*>(data), size);
  Config cfg;
  try {
    parse_config(text, "fuzz.ini", cfg);
    check(cfg.data_root.empty() || cfg.data_root.front() == '/', "data_root is absolute");
    for (const auto& b : cfg.binds) {
      const BindSpec spec = parse_bind(b, "bind");
      check(!spec.source.empty() && spec.target.front() == '/', "binds are well-formed");
    }
  } catch (const SysError& e) {
    check(std::string_view(e.what()).find("fuzz.ini") != std::string_view::npos,
          "errors name the file");
  }
  return 0;
}
