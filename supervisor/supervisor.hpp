// The service supervisor: one process, one epoll loop, supervising every runit service
// directory under DIR (default /etc/service) with runit's on-disk control protocol.
#pragma once

namespace cinit::supervisor {

// `supervisor [DIR]`. Sets its own program name, signal plumbing and subreaper flag, so
// cinit can run it straight from its multi-call entry. Exits 0 after a SIGTERM/SIGINT
// shutdown, 111 if the loop cannot be set up, 100 on bad usage.
int supervisor_main(int argc, char** argv);

} // namespace cinit::supervisor
