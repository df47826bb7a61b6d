#include "launcher/registry/ca_bundle.hpp"

#include "common/syscall.hpp"
#include "launcher/error.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <initializer_list>
#include <sys/stat.h>
#include <unistd.h>

namespace cinit::launcher {
namespace {

// In the order each family's tools write them; the first ones are symlinks to the later
// ones on some systems, which is fine.
constexpr const char* bundles[] = {
    "/etc/ssl/certs/ca-certificates.crt",                // Debian, Ubuntu, Arch, Gentoo
    "/etc/pki/tls/certs/ca-bundle.crt",                  // RHEL, Rocky, Fedora (a link)
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", // RHEL 7+ (update-ca-trust)
    "/etc/ssl/ca-bundle.pem",                            // SUSE
    "/var/lib/ca-certificates/ca-bundle.pem",            // SUSE 15 (where that link points)
    "/etc/ssl/cert.pem",                                 // Alpine
};

// A CA file is small; a bigger one is not what we look for.
constexpr std::size_t max_pem = 16 << 20;

// 0 when `path` (symlinks followed) is a readable file or directory as `type` asks, else why not.
int unusable(const std::string& path, mode_t type) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return errno;
  if ((st.st_mode & S_IFMT) != type)
    return type == S_IFDIR ? ENOTDIR : EINVAL;
  return ::access(path.c_str(), R_OK) == 0 ? 0 : errno;
}

// The variable's value, checked: "" when unset or empty.
std::string from_env(const char* name, mode_t type) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0')
    return {};
  if (const int err = unusable(value, type); err != 0)
    throw SysError(std::string("unable to use ") + name, value, err);
  return value;
}

void append_pem(std::string& pem, const std::string& text) {
  if (!pem.empty() && pem.back() != '\n')
    pem.push_back('\n');
  pem += text;
}

// Every certificate file of `dir` whose name ends in one of `suffixes` ("" for any name).
void append_dir(std::string& pem, const std::string& dir,
                std::initializer_list<const char*> suffixes, bool required) {
  const auto names = list_dir(dir);
  if (!names)
    return; // most hosts have no such directory
  for (const auto& n : *names) {
    bool wanted = false;
    for (const char* s : suffixes)
      wanted = wanted || n.ends_with(s);
    if (!wanted)
      continue; // certs.d: *.cert/*.key are a client certificate (client_cert())
    const auto text = read_regular_file(dir + "/" + n, max_pem);
    if (!text) {
      if (required)
        throw SysError("unable to read CA certificate", dir + "/" + n, errno);
      continue; // a hashed directory holds links and other files too
    }
    if (text->find("-----BEGIN CERTIFICATE-----") != std::string::npos)
      append_pem(pem, *text);
  }
}

} // namespace

std::optional<CaTrust> find_ca_trust(const std::string& root) {
  CaTrust trust{from_env("SSL_CERT_FILE", S_IFREG), from_env("SSL_CERT_DIR", S_IFDIR)};
  if (trust.file.empty())
    for (const char* path : bundles)
      if (unusable(root + path, S_IFREG) == 0) {
        trust.file = root + path;
        break;
      }
  if (trust.file.empty() && trust.dir.empty())
    return std::nullopt;
  return trust;
}

std::vector<std::string> ca_dirs(const std::string& domain) {
  std::vector<std::string> dirs;
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg == '/')
    dirs.push_back(std::string(xdg) + "/containers/certs.d/" + domain);
  else if (const char* home = std::getenv("HOME"); home != nullptr && *home == '/')
    dirs.push_back(std::string(home) + "/.config/containers/certs.d/" + domain);
  dirs.push_back("/etc/containers/certs.d/" + domain);
  dirs.push_back("/etc/docker/certs.d/" + domain);
  return dirs;
}

std::optional<ClientCert> client_cert(const std::string& domain) {
  for (const auto& dir : ca_dirs(domain)) {
    const auto names = list_dir(dir);
    if (!names)
      continue;
    const auto has = [&](const std::string& n) {
      return std::find(names->begin(), names->end(), n) != names->end();
    };
    for (const auto& n : *names)
      if (n.ends_with(".key") && !has(n.substr(0, n.size() - 4) + ".cert"))
        throw SysError("unable to use the client key '" + dir + "/" + n + "': no '" +
                       n.substr(0, n.size() - 4) + ".cert' beside it");
    for (const auto& n : *names) {
      if (!n.ends_with(".cert"))
        continue;
      const std::string cert_file = dir + "/" + n;
      const std::string key_file = dir + "/" + n.substr(0, n.size() - 5) + ".key";
      const auto cert = read_regular_file(cert_file, max_pem);
      if (!cert)
        throw SysError("unable to read the client certificate", cert_file, errno);
      const auto key = read_regular_file(key_file, max_pem);
      if (!key)
        throw SysError("unable to read the key of client certificate '" + cert_file + "'", key_file,
                       errno);
      return ClientCert{*cert, *key};
    }
  }
  return std::nullopt;
}

std::string ca_bundle(const std::string& domain) {
  std::string pem;
  if (const auto trust = find_ca_trust()) {
    if (!trust->file.empty()) {
      const auto text = read_regular_file(trust->file, max_pem);
      if (!text)
        throw SysError("unable to read the CA bundle", trust->file, errno);
      pem = *text;
    }
    if (!trust->dir.empty())
      append_dir(pem, trust->dir, {""}, false);
  }
  for (const auto& dir : ca_dirs(domain))
    append_dir(pem, dir, {".crt"}, true);
  if (pem.empty())
    throw SysError("unable to find CA certificates (no system bundle, nothing in '" +
                   ca_dirs(domain).front() + "')");
  return pem;
}

} // namespace cinit::launcher
