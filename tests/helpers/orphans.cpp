// Test helper: makes N orphans as fast as the kernel allows. Each child forks a grandchild and
// exits at once; the grandchild then exits too, re-parented to the nearest init or subreaper,
// which must reap it. Usage: orphans N
#include <cstdlib>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char** argv) {
  const long n = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 1000;
  for (long i = 0; i < n; ++i) {
    const pid_t child = fork();
    if (child < 0)
      return 1;
    if (child == 0) {
      if (fork() < 0)
        _exit(1);
      _exit(0); // both the child and its grandchild leave here
    }
    (void)waitpid(child, nullptr, 0);
  }
  return 0;
}
