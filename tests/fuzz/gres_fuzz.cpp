// Fuzzes gres.conf parsing and host-list expansion: only SysError escapes (naming the file),
// and every GPU file returned is one the text names (no brackets left unexpanded).
#include "launcher/error.hpp"
#include "launcher/gpu/gres.hpp"
#include "tests/fuzz/check.hpp"

#include <string>
#include <string_view>

using cinit::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cinit::launcher;
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    for (const std::string& f : gres_gpu_files(text, "n1", "fuzz/gres.conf"))
      check(f.find('[') == std::string::npos && f.find(']') == std::string::npos,
            "files are expanded");
  } catch (const SysError& e) {
    check(std::string_view(e.what()).find("fuzz/gres.conf:") == 0, "errors name the file");
  }
  try {
    for (const std::string& n : expand_hostlist(text.substr(0, 200), "list"))
      check(n.find('[') == std::string::npos && n.find(',') == std::string::npos,
            "names are expanded");
  } catch (const SysError& e) {
    check(std::string_view(e.what()).find("list: ") == 0, "errors say what");
  }
  return 0;
}
