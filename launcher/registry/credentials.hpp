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

// The registry an auths key or a user's argument names: "https://index.docker.io/v1/" ->
// "docker.io" (Docker Hub's names all become that), "host:5000/ns/repo" -> "host:5000".
std::string registry_of_key(std::string_view key);

// The first file that has an entry for `domain` wins. A file that exists but cannot be
// parsed is a SysError naming it (a typo must not silently become an anonymous pull).
std::optional<Credentials> find_credentials(const std::string& domain);

// The file `launcher login` writes and `logout` edits: $REGISTRY_AUTH_FILE, else
// ${XDG_RUNTIME_DIR}/containers/auth.json when that directory exists, else
// ~/.config/containers/auth.json (XDG_CONFIG_HOME's). "" when none can be named (no HOME).
std::string login_file();

// The text of an auth file with `domain`'s entry set to `user`:`secret` (replacing any entry
// for the same registry under another spelling), every other entry and key kept. `text`
// empty: a new file. Throws SysError naming `file` if `text` is no JSON object.
std::string auth_file_with(std::string_view text, const std::string& domain,
                           const std::string& user, const std::string& secret,
                           const std::string& file);
// The text without `domain`'s entries; nullopt when it has none.
std::optional<std::string> auth_file_without(std::string_view text, const std::string& domain,
                                             const std::string& file);

// One file's `auths` entry for `domain`; keys may carry a scheme and a path
// ("https://index.docker.io/v1/"). Public for the unit test.
std::optional<Credentials> credentials_from_json(std::string_view json, const std::string& domain,
                                                 const std::string& file);

// The credential helper one file names for `domain` (credHelpers, else credsStore), if any.
std::optional<std::string> helper_from_json(std::string_view json, const std::string& domain,
                                            const std::string& file);

} // namespace cinit::launcher
