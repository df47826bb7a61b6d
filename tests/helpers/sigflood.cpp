// Test helper: sends COUNT signals to PID, cycling through a mix of forwarded and ignored ones,
// as fast as kill(2) goes, and prints how many were sent and in how many milliseconds. It stops
// at the first failed kill (the target is gone). Usage: sigflood PID COUNT
#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

int main(int argc, char** argv) {
  if (argc != 3) {
    (void)std::fputs("usage: sigflood PID COUNT\n", stderr);
    return 100;
  }
  const auto pid = static_cast<pid_t>(std::strtol(argv[1], nullptr, 10));
  const long count = std::strtol(argv[2], nullptr, 10);
  // No TERM, INT or QUIT: those end cinit's command, and the case ends it when it chooses.
  constexpr std::array<int, 8> mix{SIGHUP,  SIGUSR1, SIGUSR2, SIGWINCH,
                                   SIGCHLD, SIGCONT, SIGALRM, SIGPIPE};
  const auto start = std::chrono::steady_clock::now();
  long sent = 0;
  for (; sent < count; ++sent) {
    if (kill(pid, mix[static_cast<std::size_t>(sent) % mix.size()]) != 0) {
      (void)std::fprintf(stderr, "sigflood: kill %d: %s\n", pid, std::strerror(errno));
      break;
    }
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  (void)std::printf("%ld %lld\n", sent, static_cast<long long>(ms));
  return sent == count ? 0 : 1;
}
