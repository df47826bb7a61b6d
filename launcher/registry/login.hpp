// `launcher login` and `logout`: credentials checked with the registry before they are
// stored (a typo never lands in the file), kept 0600 in the auth file pull reads first.
#pragma once

#include "launcher/cli.hpp"

#include <string>
#include <string_view>

namespace cinit::launcher {

// Asks for what the options lack (user name on the terminal, password on the terminal
// without echo or from stdin), checks it with GET /v2/, and stores it. Throws SysError.
void login(const LoginOptions& opts);
// Removes the registry's entry from login's file; an error when there is none.
void logout(const LoginOptions& opts);

// The registry a user names ("https://127.0.0.1:5000/", "index.docker.io") as the auth files
// key it: "127.0.0.1:5000", "docker.io". Throws SysError on what is no HOST[:PORT].
std::string registry_domain(std::string_view arg);

} // namespace cinit::launcher
