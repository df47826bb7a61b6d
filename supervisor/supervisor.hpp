// The service supervisor: one process, one epoll loop, supervising every runit service
// directory under DIR (default /etc/service) with runit's on-disk control protocol.
#pragma once

#include <optional>
#include <string_view>

namespace cinit::supervisor {

// `supervisor [DIR]`. Sets its own program name, signal plumbing and subreaper flag, so
// cinit can run it straight from its multi-call entry. Exits 0 after a SIGTERM/SIGINT
// shutdown, 111 if the loop cannot be set up, 100 on bad usage.
int supervisor_main(int argc, char** argv);

// KILL_PROCESS_TIMEOUT: seconds, a non-negative decimal ("30", "0.5"). nullopt if invalid.
std::optional<double> parse_kill_timeout(std::string_view text);

} // namespace cinit::supervisor
