// OCI image-spec and docker-archive documents: index, manifest, image config, manifest.json.
// Parsing only (nlohmann_json); every malformed document is a SysError naming it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cinit::launcher {

// An index entry's platform ("linux", "arm64", "v8").
struct Platform {
  std::string os;
  std::string architecture;
  std::string variant;
};

struct Descriptor {
  std::string media_type;
  std::string digest; // hex of a sha256 digest (other algorithms are refused)
  std::int64_t size = -1;
  std::string ref_name; // org.opencontainers.image.ref.name annotation, if any
  Platform platform;    // index entries only
};

// What `run` needs from the image config (Docker's and OCI's "config" object).
struct ImageConfig {
  std::vector<std::string> env;
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::string working_dir;
  std::string user;                  // Docker's USER: NAME, UID, NAME:GROUP, UID:GID; "" is root
  std::vector<std::string> diff_ids; // hex, rootfs.diff_ids
};

struct Manifest {
  std::string media_type; // the document's own mediaType field, if any
  bool is_index = false;
  std::vector<Descriptor> manifests; // when is_index
  Descriptor config;
  std::vector<Descriptor> layers;
};

// "sha256:<64 hex>" -> hex. Throws SysError naming `what` otherwise.
std::string digest_hex(std::string_view digest, std::string_view what);

// An index.json or a manifest (image manifest or nested index); `what` names it in errors.
Manifest parse_manifest(std::string_view json, std::string_view what);
ImageConfig parse_image_config(std::string_view json, std::string_view what);

// docker save's manifest.json.
struct DockerManifest {
  std::string config;              // path inside the archive
  std::vector<std::string> layers; // paths inside the archive
  std::vector<std::string> repo_tags;
};
std::vector<DockerManifest> parse_docker_manifest(std::string_view json, std::string_view what);

// The stored form of an image config (so `run` needs no OCI document again).
std::string image_config_to_json(const ImageConfig& cfg);

} // namespace cinit::launcher
