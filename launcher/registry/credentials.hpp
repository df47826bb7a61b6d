// Registry credentials from the files podman and Docker write: $REGISTRY_AUTH_FILE, else
// podman's auth.json (${XDG_RUNTIME_DIR}/containers, then ~/.config/containers), then
// Docker's config.json ($DOCKER_CONFIG or ~/.docker): `credHelpers` and `credsStore` name a
// `docker-credential-NAME` program (asked with `get`), `auths` holds base64 USER:PASSWORD.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cinit::launcher {

struct Credentials {
  std::string user;
  std::string secret;
  std::string file; // where they came from, for error messages
};

// The first file that has an entry for `domain` wins. A file that exists but cannot be
// parsed is a SysError naming it (a typo must not silently become an anonymous pull).
std::optional<Credentials> find_credentials(const std::string& domain);

// One file's `auths` entry for `domain`; keys may carry a scheme and a path
// ("https://index.docker.io/v1/"). Public for the unit test.
std::optional<Credentials> credentials_from_json(std::string_view json, const std::string& domain,
                                                 const std::string& file);

// The credential helper one file names for `domain` (credHelpers, else credsStore), if any.
std::optional<std::string> helper_from_json(std::string_view json, const std::string& domain,
                                            const std::string& file);

} // namespace cinit::launcher
