// Fuzzes service names: which entries of the supervised directory are services, and which
// directory `sv NAME` acts on. Input: "SVDIR\nNAME". A service name is one path component
// that is not hidden, and `sv` reaches it as SVDIR/NAME, the directory the supervisor
// supervises; every other name is a path of its own or below SVDIR, never ending in '/'.
#include "supervisor/service_dir.hpp"
#include "tests/fuzz/check.hpp"

#include <string>
#include <string_view>

using cinit::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cinit::supervisor;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::size_t nl = in.find('\n');
  // SVDIR as sv reads it: absolute, or relative to its cwd; never empty (the default).
  std::string svdir(nl == std::string_view::npos ? "/etc/service" : in.substr(0, nl));
  if (svdir.empty())
    svdir = "/etc/service";
  const std::string_view name = nl == std::string_view::npos ? in : in.substr(nl + 1);

  const std::string path = service_path(svdir, name);
  if (service_name(name)) {
    check(name != "." && name != ".." && name[0] != '.', "hidden names are not services");
    check(name.find('/') == std::string_view::npos, "a service is one path component");
    check(path == svdir + "/" + std::string(name), "sv reaches a service as SVDIR/NAME");
  }
  check(path.size() <= 1 || path.back() != '/', "no trailing slash");
  if (name.empty()) {
    check(path.empty(), "an empty name is no directory (sv reports it missing)");
  } else if (name[0] == '/' || name[0] == '.') {
    check(std::string_view(path) == name.substr(0, path.size()) && path.size() >= 1,
          "a path is taken as it is");
  } else {
    check(path.rfind(svdir + "/", 0) == 0 && path.size() > svdir.size() + 1,
          "a name is below SVDIR");
  }
  return 0;
}
