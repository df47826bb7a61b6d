#include "launcher/image/oci.hpp"

#include "launcher/error.hpp"

#include <nlohmann/json.hpp>

namespace cinit::launcher {
namespace {

using nlohmann::json;

[[noreturn]] void bad(std::string_view what, const std::string& why) {
  throw SysError("unable to parse '" + std::string(what) + "': " + why);
}

json parse(std::string_view text, std::string_view what) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded())
    bad(what, "not valid JSON");
  if (!j.is_object())
    bad(what, "not a JSON object");
  return j;
}

std::vector<std::string> string_list(const json& j, const char* key, std::string_view what) {
  std::vector<std::string> out;
  const auto it = j.find(key);
  if (it == j.end() || it->is_null())
    return out;
  if (!it->is_array())
    bad(what, std::string("'") + key + "' is not an array");
  for (const auto& v : *it) {
    if (!v.is_string())
      bad(what, std::string("'") + key + "' holds a non-string");
    out.push_back(v.get<std::string>());
  }
  return out;
}

std::string string_field(const json& j, const char* key, std::string_view what) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null())
    return {};
  if (!it->is_string())
    bad(what, std::string("'") + key + "' is not a string");
  return it->get<std::string>();
}

Descriptor descriptor(const json& j, std::string_view what) {
  if (!j.is_object())
    bad(what, "a descriptor is not an object");
  Descriptor d;
  d.media_type = string_field(j, "mediaType", what);
  d.digest = digest_hex(string_field(j, "digest", what), what);
  if (const auto it = j.find("size"); it != j.end() && it->is_number_integer())
    d.size = it->get<std::int64_t>();
  if (const auto it = j.find("annotations"); it != j.end() && it->is_object())
    d.ref_name = string_field(*it, "org.opencontainers.image.ref.name", what);
  if (const auto it = j.find("platform"); it != j.end() && it->is_object()) {
    d.platform.os = string_field(*it, "os", what);
    d.platform.architecture = string_field(*it, "architecture", what);
    d.platform.variant = string_field(*it, "variant", what);
  }
  return d;
}

std::vector<Descriptor> descriptors(const json& j, const char* key, std::string_view what) {
  std::vector<Descriptor> out;
  const auto it = j.find(key);
  if (it == j.end())
    return out;
  if (!it->is_array())
    bad(what, std::string("'") + key + "' is not an array");
  for (const auto& d : *it)
    out.push_back(descriptor(d, what));
  return out;
}

} // namespace

std::string digest_hex(std::string_view digest, std::string_view what) {
  constexpr std::string_view prefix = "sha256:";
  if (!digest.starts_with(prefix))
    bad(what, "unsupported digest '" + std::string(digest) + "' (sha256 only)");
  const std::string_view hex = digest.substr(prefix.size());
  bool ok = hex.size() == 64;
  for (const char c : hex)
    ok = ok && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  if (!ok)
    bad(what, "malformed digest '" + std::string(digest) + "'");
  return std::string(hex);
}

Manifest parse_manifest(std::string_view text, std::string_view what) {
  const json j = parse(text, what);
  Manifest m;
  m.media_type = string_field(j, "mediaType", what);
  if (j.contains("manifests")) {
    m.is_index = true;
    m.manifests = descriptors(j, "manifests", what);
    return m;
  }
  const auto cfg = j.find("config");
  if (cfg == j.end())
    bad(what, "neither 'manifests' nor 'config'");
  m.config = descriptor(*cfg, what);
  m.layers = descriptors(j, "layers", what);
  return m;
}

ImageConfig parse_image_config(std::string_view text, std::string_view what) {
  const json j = parse(text, what);
  ImageConfig c;
  if (const auto it = j.find("config"); it != j.end() && it->is_object()) {
    c.env = string_list(*it, "Env", what);
    c.entrypoint = string_list(*it, "Entrypoint", what);
    c.cmd = string_list(*it, "Cmd", what);
    c.working_dir = string_field(*it, "WorkingDir", what);
    c.user = string_field(*it, "User", what);
  }
  if (const auto it = j.find("rootfs"); it != j.end() && it->is_object())
    for (const auto& d : string_list(*it, "diff_ids", what))
      c.diff_ids.push_back(digest_hex(d, what));
  return c;
}

std::vector<DockerManifest> parse_docker_manifest(std::string_view text, std::string_view what) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_array())
    bad(what, "not a JSON array");
  std::vector<DockerManifest> out;
  for (const auto& e : j) {
    if (!e.is_object())
      bad(what, "an entry is not an object");
    DockerManifest m;
    m.config = string_field(e, "Config", what);
    m.layers = string_list(e, "Layers", what);
    m.repo_tags = string_list(e, "RepoTags", what);
    if (m.config.empty())
      bad(what, "an entry has no 'Config'");
    out.push_back(std::move(m));
  }
  return out;
}

std::string image_config_to_json(const ImageConfig& cfg) {
  json c = json::object();
  c["Env"] = cfg.env;
  c["Entrypoint"] = cfg.entrypoint;
  c["Cmd"] = cfg.cmd;
  c["WorkingDir"] = cfg.working_dir;
  c["User"] = cfg.user;
  json j = json::object();
  j["config"] = c;
  json ids = json::array();
  for (const auto& d : cfg.diff_ids)
    ids.push_back("sha256:" + d);
  j["rootfs"] = {{"type", "layers"}, {"diff_ids", ids}};
  return j.dump();
}

} // namespace cinit::launcher
