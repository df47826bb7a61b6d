// Fuzzes the launcher's small field parsers: a registry's Retry-After, --platform, the host
// getent's `ahosts` output (curl's resolve list), and the NVIDIA_* variables and driver
// versions. Only SysError escapes; what is accepted is what the caller relies on.
#include "launcher/error.hpp"
#include "launcher/getent.hpp"
#include "launcher/gpu/gpu.hpp"
#include "launcher/registry/pull.hpp"
#include "launcher/registry/registry.hpp"
#include "tests/fuzz/check.hpp"

#include <algorithm>
#include <fuzzer/FuzzedDataProvider.h>
#include <string>
#include <string_view>
#include <vector>

using cinit::fuzz::check;

namespace {

bool digits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cinit::launcher;
  FuzzedDataProvider in(data, size);
  const std::string field = in.ConsumeRandomLengthString(64);

  if (const auto s = retry_after_seconds(field)) {
    std::string_view n = field;
    n.remove_prefix(std::min(n.size(), n.find_first_not_of(' ')));
    n = n.substr(0, n.find(' '));
    check(digits(n) && n.size() <= 9, "Retry-After is a number of at most 9 digits");
    check(*s == std::stol(std::string(n)), "Retry-After is the number written");
  }

  if (!field.empty()) {
    try {
      const Platform p = parse_platform(field);
      check(!p.os.empty() && !p.architecture.empty(), "a platform has an OS and an architecture");
      check(p.os.find('/') == std::string::npos && p.architecture.find('/') == std::string::npos &&
                p.variant.find('/') == std::string::npos,
            "platform parts hold no '/'");
      check(p.os + "/" + p.architecture + (p.variant.empty() ? "" : "/" + p.variant) == field,
            "a platform is the text it was read from");
    } catch (const SysError& e) {
      check(std::string_view(e.what()).find("invalid platform") == 0, "platform errors say so");
    }
  }

  const std::vector<unsigned> version = parse_version(field);
  if (!version.empty()) {
    check(field.find_first_not_of("0123456789.") == std::string::npos, "versions are numbers");
    check(version.size() ==
              static_cast<std::size_t>(std::count(field.begin(), field.end(), '.')) + 1,
          "one number per dot-separated part");
  }

  try {
    const unsigned caps = parse_gpu_caps(field);
    check((caps & ~gpu_caps_all) == 0, "capabilities are known bits");
  } catch (const SysError& e) {
    check(std::string_view(e.what()).find("NVIDIA_DRIVER_CAPABILITIES") == 0,
          "capability errors name the variable");
  }

  std::vector<std::string> env;
  while (env.size() < 6 && in.remaining_bytes() > 0 && in.ConsumeBool())
    env.push_back(in.ConsumeRandomLengthString(48));
  const GpuRequest req = gpu_request(field, "", env, nullptr);
  check(req.gpus.has_value() == !field.empty() && (!req.gpus || *req.gpus == field),
        "--gpus is taken as given");
  std::optional<std::string> visible;
  for (const std::string& e : env)
    if (e.starts_with("NVIDIA_VISIBLE_DEVICES="))
      visible = e.substr(23);
  check(req.visible_devices == visible, "the last NVIDIA_VISIBLE_DEVICES wins");

  const std::string ahosts = in.ConsumeRemainingBytesAsString();
  const std::vector<std::string> addrs = parse_ahosts(ahosts);
  check(addrs.size() <=
            static_cast<std::size_t>(std::count(ahosts.begin(), ahosts.end(), '\n')) + 1,
        "at most one address per line");
  for (const std::string& a : addrs) {
    check(!a.empty() && a.find_first_of(" \t\n") == std::string::npos, "addresses are one word");
    check(std::count(addrs.begin(), addrs.end(), a) == 1, "no address twice");
    if (a.find(':') != std::string::npos)
      check(a.front() == '[' && a.back() == ']', "IPv6 addresses are bracketed");
  }
  return 0;
}
