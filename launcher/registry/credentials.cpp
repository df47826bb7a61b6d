#include "launcher/registry/credentials.hpp"

#include "common/spawn.hpp"
#include "common/syscall.hpp"
#include "common/unique_fd.hpp"
#include "launcher/error.hpp"
#include "launcher/registry/base64.hpp"

#include <cerrno>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <sys/wait.h>
#include <vector>

extern char** environ;

namespace cinit::launcher {
namespace {

using nlohmann::json;

constexpr std::size_t max_auth_file = 4 << 20;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

std::vector<std::string> auth_files() {
  if (const std::string f = env("REGISTRY_AUTH_FILE"); !f.empty())
    return {f};
  std::vector<std::string> files;
  if (const std::string run = env("XDG_RUNTIME_DIR"); !run.empty())
    files.push_back(run + "/containers/auth.json");
  const std::string home = env("HOME");
  if (const std::string xdg = env("XDG_CONFIG_HOME"); !xdg.empty())
    files.push_back(xdg + "/containers/auth.json");
  else if (!home.empty())
    files.push_back(home + "/.config/containers/auth.json");
  if (const std::string dc = env("DOCKER_CONFIG"); !dc.empty())
    files.push_back(dc + "/config.json");
  else if (!home.empty())
    files.push_back(home + "/.docker/config.json");
  return files;
}

json parse_file(std::string_view text, const std::string& file) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw SysError("unable to parse '" + file + "': not a JSON object");
  return j;
}

// What a helper is asked for: Docker Hub's credentials live under its v1 URL.
std::string helper_server(const std::string& domain) {
  return registry_of_key(domain) == "docker.io" ? "https://index.docker.io/v1/" : domain;
}

// `docker-credential-NAME get`, the server on stdin, {"Username", "Secret"} on stdout (the
// protocol of docker-credential-helpers). A helper that has nothing for the server exits
// non-zero ("credentials not found"): no credentials, not an error.
std::optional<Credentials> run_helper(const std::string& name, const std::string& domain,
                                      const std::string& file) {
  const std::string prog = "docker-credential-" + name;
  Pipe in;
  Pipe out;
  if (!make_pipe(in) || !make_pipe(out))
    throw SysError("unable to create a pipe", {}, errno);
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e)
    env.emplace_back(*e);
  SpawnOptions so;
  so.stdin_fd = in.read.get();
  so.stdout_fd = out.write.get();
  const SpawnResult r = spawn({prog, "get"}, env, so);
  if (r.pid < 0)
    throw SysError("unable to run '" + prog + "' (named in '" + file + "')", {}, r.error);
  in.read.reset();
  out.write.reset();
  // A helper that exits without reading its stdin makes this EPIPE (SIGPIPE is ignored):
  // its exit status then tells.
  (void)write_full(in.write.get(), helper_server(domain));
  in.write.reset();
  const auto text = read_all(out.read.get());
  int status = 0;
  if (retry_eintr([&] { return ::waitpid(r.pid, &status, 0); }) < 0)
    throw SysError("unable to wait for '" + prog + "'", {}, errno);
  if (!text || shell_status(status) != 0)
    return std::nullopt;
  const json j = json::parse(*text, nullptr, false);
  if (!j.is_object() || !j.contains("Username") || !j["Username"].is_string() ||
      !j.contains("Secret") || !j["Secret"].is_string())
    throw SysError("unable to read the answer of '" + prog + "': no Username and Secret");
  if (j["Username"] == "<token>")
    throw SysError("unable to use the credentials of '" + prog +
                   "': identity tokens are not supported");
  return Credentials{j["Username"].get<std::string>(), j["Secret"].get<std::string>(),
                     file + " (" + prog + ")"};
}

// Whether an `auths` key names the registry `want` (normalized) as a whole: "HOST",
// "https://HOST/v1/" and the like, but not podman's per-repository "HOST/NS/REPO" entries.
bool names_registry(std::string_view key, const std::string& want) {
  if (registry_of_key(key) != want)
    return false;
  if (const std::size_t scheme = key.find("://"); scheme != std::string_view::npos)
    key.remove_prefix(scheme + 3);
  const std::size_t slash = key.find('/');
  if (slash == std::string_view::npos)
    return true;
  const std::string_view path = key.substr(slash);
  return path == "/" || path.starts_with("/v1") || path.starts_with("/v2");
}

// Removes every `auths` entry that names `domain`, however spelt; false if there was none.
bool erase_entries(json& j, const std::string& domain) {
  const auto auths = j.find("auths");
  if (auths == j.end() || !auths->is_object())
    return false;
  const std::string want = registry_of_key(domain);
  std::vector<std::string> keys;
  for (const auto& [key, entry] : auths->items())
    if (names_registry(key, want))
      keys.push_back(key);
  for (const auto& k : keys)
    auths->erase(k);
  return !keys.empty();
}

} // namespace

std::string registry_of_key(std::string_view key) {
  if (const std::size_t scheme = key.find("://"); scheme != std::string_view::npos)
    key.remove_prefix(scheme + 3);
  key = key.substr(0, key.find('/'));
  if (key == "index.docker.io" || key == "registry-1.docker.io" || key == "registry.hub.docker.com")
    return "docker.io";
  return std::string(key);
}

std::optional<std::string> helper_from_json(std::string_view text, const std::string& domain,
                                            const std::string& file) {
  const json j = parse_file(text, file);
  const std::string want = registry_of_key(domain);
  if (const auto h = j.find("credHelpers"); h != j.end() && h->is_object())
    for (const auto& [key, name] : h->items())
      if (registry_of_key(key) == want && name.is_string() && !name.get<std::string>().empty())
        return name.get<std::string>();
  if (const auto s = j.find("credsStore");
      s != j.end() && s->is_string() && !s->get<std::string>().empty())
    return s->get<std::string>();
  return std::nullopt;
}

std::optional<Credentials> credentials_from_json(std::string_view text, const std::string& domain,
                                                 const std::string& file) {
  const json j = parse_file(text, file);
  const auto auths = j.find("auths");
  if (auths == j.end() || !auths->is_object())
    return std::nullopt;
  const std::string want = registry_of_key(domain);
  for (const auto& [key, entry] : auths->items()) {
    if (registry_of_key(key) != want || !entry.is_object())
      continue;
    const auto auth = entry.find("auth");
    if (auth == entry.end() || !auth->is_string() || auth->get<std::string>().empty())
      continue; // an entry for a credential helper, or an identity token only
    const auto plain = base64_decode(auth->get<std::string>());
    const std::size_t colon = plain ? plain->find(':') : std::string::npos;
    if (colon == std::string::npos)
      throw SysError("unable to parse '" + file + "': the auth of '" + key +
                     "' is not base64 of USER:PASSWORD");
    return Credentials{plain->substr(0, colon), plain->substr(colon + 1), file};
  }
  return std::nullopt;
}

std::string login_file() {
  if (const std::string f = env("REGISTRY_AUTH_FILE"); !f.empty())
    return f;
  // podman login's own file, so that podman and the launcher share one login, and the first
  // place find_credentials() looks, so that a login wins over older entries elsewhere. Its
  // tmpfs is gone at logout, as podman intends; without one (ssh without systemd-logind, a
  // batch job), podman's persistent fallback, which find_credentials() reads next.
  if (const std::string run = env("XDG_RUNTIME_DIR"); !run.empty()) {
    struct stat st {};
    if (::stat(run.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
      return run + "/containers/auth.json";
  }
  if (const std::string xdg = env("XDG_CONFIG_HOME"); !xdg.empty())
    return xdg + "/containers/auth.json";
  if (const std::string home = env("HOME"); !home.empty())
    return home + "/.config/containers/auth.json";
  return {};
}

std::string auth_file_with(std::string_view text, const std::string& domain,
                           const std::string& user, const std::string& secret,
                           const std::string& file) {
  json j = text.empty() ? json::object() : parse_file(text, file);
  (void)erase_entries(j, domain); // "https://HOST/v1/" and "HOST" must not disagree
  if (!j.contains("auths") || !j["auths"].is_object())
    j["auths"] = json::object();
  j["auths"][registry_of_key(domain)] = {{"auth", base64_encode(user + ":" + secret)}};
  return j.dump(1, '\t') + "\n";
}

std::optional<std::string> auth_file_without(std::string_view text, const std::string& domain,
                                             const std::string& file) {
  json j = parse_file(text, file);
  if (!erase_entries(j, domain))
    return std::nullopt;
  return j.dump(1, '\t') + "\n";
}

std::optional<Credentials> find_credentials(const std::string& domain) {
  for (const auto& file : auth_files()) {
    const auto text = read_regular_file(file, max_auth_file);
    if (!text) {
      if (errno == ENOENT || errno == ENOTDIR)
        continue;
      throw SysError("unable to read", file, errno);
    }
    // As docker: a helper named for the server (or the default store) is asked first.
    if (const auto helper = helper_from_json(*text, domain, file))
      if (auto c = run_helper(*helper, domain, file))
        return c;
    if (auto c = credentials_from_json(*text, domain, file))
      return c;
  }
  return std::nullopt;
}

} // namespace cinit::launcher
