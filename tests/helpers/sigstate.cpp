// Test helper: runs CMD with every signal it can block blocked and every one it can ignore
// ignored, glibc's internal 32 and 33 included (glibc's sigaction refuses those, so this goes
// to the kernel directly), as a careless parent would leave them. Usage: sigstate CMD...
#include <csignal>
#include <cstddef>
#include <cstdio>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 2) {
    (void)std::fputs("usage: sigstate CMD...\n", stderr);
    return 100;
  }
  // The kernel's struct sigaction on x86-64 and arm64: handler, flags, restorer, mask.
  struct {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)();
    unsigned long mask;
  } ignore{SIG_IGN, 0, nullptr, 0};
  for (int sig = 1; sig < NSIG; ++sig)
    if (sig != SIGKILL && sig != SIGSTOP)
      (void)::syscall(SYS_rt_sigaction, sig, &ignore, nullptr, sizeof ignore.mask);
  unsigned long all = ~0UL;
  (void)::syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, nullptr, sizeof all);
  ::execvp(argv[1], argv + 1);
  std::perror("sigstate: exec");
  return 127;
}
