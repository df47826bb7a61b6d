// The CA certificates a registry's TLS is checked against, found in one place: the system
// bundle plus the `certs.d/HOST:PORT/*.crt` directories podman and Docker read.
#pragma once

#include <string>
#include <vector>

namespace cinit::launcher {

// PEM text of every CA to trust when talking to `domain` ("host:port" as the reference
// writes it): $SSL_CERT_FILE or the system bundle, then each certs.d directory's *.crt in
// name order. Throws SysError when no system bundle exists and no certs.d CA is found.
std::string ca_bundle(const std::string& domain);

// The certs.d directories for `domain`, the user's first (where an error tells a user to put
// a CA).
std::vector<std::string> ca_dirs(const std::string& domain);

} // namespace cinit::launcher
