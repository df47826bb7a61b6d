// The system's trusted CA certificates, wherever the host's distribution keeps them. The static
// launcher's TLS library knows only the build host's paths (Debian's), and clusters run RHEL,
// Rocky and SUSE, which keep the bundle elsewhere.
#pragma once

#include <optional>
#include <string>

namespace cinit::launcher {

struct CaTrust {
  std::string file; // a PEM bundle, for CURLOPT_CAINFO ("" for none)
  std::string dir;  // a hashed certificate directory, for CURLOPT_CAPATH ("" for none)
};

// SSL_CERT_FILE and SSL_CERT_DIR first (OpenSSL's variables, which users and cluster modules
// set), then the first readable bundle among the distributions' places. `root` prefixes those
// places (tests), not the variables. A variable naming a missing file or directory is a
// SysError naming both; nullopt when there is no trust store at all.
std::optional<CaTrust> find_ca_trust(const std::string& root = "");

} // namespace cinit::launcher
