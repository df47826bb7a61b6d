// Fuzzes the OCI/docker JSON documents: index/manifest, image config, docker manifest.json.
// Only SysError may escape (a json type_error would be a bug); digests are always 64 hex
// chars (they become store paths); the stored config round-trips.
#include "launcher/error.hpp"
#include "launcher/image/oci.hpp"
#include "tests/fuzz/check.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

using cinit::fuzz::check;

namespace {

bool hex64(const std::string& s) {
  if (s.size() != 64)
    return false;
  for (const char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return false;
  return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cinit::launcher;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const Manifest m = parse_manifest(text, "fuzz");
    for (const auto& d : m.manifests)
      check(hex64(d.digest), "index digests are hex");
    for (const auto& d : m.layers)
      check(hex64(d.digest), "layer digests are hex");
    if (!m.is_index)
      check(hex64(m.config.digest), "config digest is hex");
  } catch (const SysError&) {
  }
  try {
    const ImageConfig c = parse_image_config(text, "fuzz");
    for (const auto& d : c.diff_ids)
      check(hex64(d), "diff_ids are hex");
    const ImageConfig back = parse_image_config(image_config_to_json(c), "back");
    check(back.env == c.env && back.cmd == c.cmd && back.entrypoint == c.entrypoint &&
              back.working_dir == c.working_dir && back.diff_ids == c.diff_ids,
          "stored config round-trips");
  } catch (const SysError&) {
  }
  try {
    for (const auto& d : parse_docker_manifest(text, "fuzz"))
      check(!d.config.empty(), "docker entries name a config");
  } catch (const SysError&) {
  }
  return 0;
}
