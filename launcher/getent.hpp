// The host's name services, asked through the host's own `getent`. The launcher is static: a
// static glibc's getpwuid or getaddrinfo would dlopen the host's NSS modules (sss, ldap,
// systemd), built against another glibc. getent is the host's program with the host's glibc,
// so it sees what `id` and `ssh` see: LDAP/SSSD users, /etc/hosts, DNS.
#pragma once

#include "common/passwd.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace cinit::launcher {

// `getent ARGS...` (e.g. {"passwd", "1000"}, {"ahosts", "registry.example"}): its output when
// it exits 0, nullopt when the key is not found (exit 2). Anything else (no getent, another
// status, a signal) is a SysError. Uses common/spawn: call it from one thread at a time.
std::optional<std::string> getent(const std::vector<std::string>& args);

// `getent passwd UID`, parsed with the one passwd parser: nullopt when the host does not know
// the uid. Costs a process: read /etc/passwd first, as NSS's "files" would.
std::optional<PasswdEntry> getent_user(uid_t uid);

// `getent ahosts HOST`: the host's addresses as the host's resolver orders them (IPv6 ones in
// brackets, as CURLOPT_RESOLVE wants them), each once; empty when the name is unknown.
std::vector<std::string> getent_addresses(const std::string& host);
// The parser behind it, for `getent ahosts` output.
std::vector<std::string> parse_ahosts(std::string_view text);

} // namespace cinit::launcher
