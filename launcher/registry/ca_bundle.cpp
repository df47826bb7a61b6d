#include "launcher/registry/ca_bundle.hpp"

#include "launcher/error.hpp"

#include <cerrno>
#include <cstdlib>
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

} // namespace cinit::launcher
