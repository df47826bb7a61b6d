// The CA certificates a registry's TLS is checked against, found in one place: the system's
// trust store, wherever the host's distribution keeps it (the static launcher's TLS library
// knows only the build host's, Debian's, paths; clusters run RHEL, Rocky and SUSE), plus the
// `certs.d/HOST:PORT/*.crt` directories podman and Docker read, where `*.cert` and `*.key`
// are a client certificate for mutual TLS.
#pragma once

#include "launcher/registry/http.hpp"

#include <optional>
#include <string>
#include <vector>

namespace cinit::launcher {

struct CaTrust {
  std::string file; // a PEM bundle ("" for none)
  std::string dir;  // a directory of PEM certificates, SSL_CERT_DIR's ("" for none)
};

// SSL_CERT_FILE and SSL_CERT_DIR first (OpenSSL's variables, which users and cluster modules
// set), then the first readable bundle among the distributions' places. `root` prefixes those
// places (tests), not the variables. A variable naming a missing file or directory is a
// SysError naming both; nullopt when there is no trust store at all.
std::optional<CaTrust> find_ca_trust(const std::string& root = "");

// PEM text of every CA to trust when talking to `domain` ("host:port" as the reference
// writes it): the trust store's bundle and the certificates in its directory, then each
// certs.d directory's *.crt in name order. Throws SysError when nothing is found.
std::string ca_bundle(const std::string& domain);

// The client certificate for `domain`: NAME.cert and NAME.key side by side (Docker's and
// podman's convention, client.cert/client.key as their docs write it), from the first
// certs.d directory that has one, the first NAME in name order. A .cert without its .key, or
// a .key without its .cert, is a SysError naming the file (a half-installed pair must not
// silently become no certificate).
std::optional<ClientCert> client_cert(const std::string& domain);

// The certs.d directories for `domain`, the user's first (where an error tells a user to put
// a CA).
std::vector<std::string> ca_dirs(const std::string& domain);

} // namespace cinit::launcher
