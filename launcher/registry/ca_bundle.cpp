#include "launcher/registry/ca_bundle.hpp"

#include "common/syscall.hpp"
#include "launcher/error.hpp"

#include <cerrno>
#include <cstdlib>
#include <optional>

namespace cinit::launcher {
namespace {

// Debian/Ubuntu, Fedora/RHEL, openSUSE, Alpine: curl's own build-time guesses.
constexpr const char* system_bundles[] = {"/etc/ssl/certs/ca-certificates.crt",
                                          "/etc/pki/tls/certs/ca-bundle.crt",
                                          "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
                                          "/etc/ssl/ca-bundle.pem", "/etc/ssl/cert.pem"};

// A CA file is small; a bigger one is not what we look for.
constexpr std::size_t max_pem = 16 << 20;

std::optional<std::string> read_pem(const std::string& path) {
  return read_regular_file(path, max_pem);
}

} // namespace

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

std::string ca_bundle(const std::string& domain) {
  std::string pem;
  const char* env = std::getenv("SSL_CERT_FILE");
  if (env != nullptr && *env != '\0') {
    const auto text = read_pem(env);
    if (!text)
      throw SysError("unable to read the CA bundle named by SSL_CERT_FILE", env, errno);
    pem = *text;
  } else {
    for (const char* path : system_bundles)
      if (const auto text = read_pem(path)) {
        pem = *text;
        break;
      }
  }
  for (const auto& dir : ca_dirs(domain)) {
    const auto names = list_dir(dir);
    if (!names)
      continue; // most hosts have no such directory
    for (const auto& n : *names) {
      if (!n.ends_with(".crt"))
        continue; // *.cert/*.key are client certificates (not supported yet)
      const auto text = read_pem(dir + "/" + n);
      if (!text)
        throw SysError("unable to read CA certificate", dir + "/" + n, errno);
      if (!pem.empty() && pem.back() != '\n')
        pem.push_back('\n');
      pem += *text;
    }
  }
  if (pem.empty())
    throw SysError("unable to find CA certificates (no system bundle, nothing in '" +
                   ca_dirs(domain).front() + "')");
  return pem;
}

} // namespace cinit::launcher
