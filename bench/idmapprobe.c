// idmapprobe RUNS UID SUBUID COUNT GID SUBGID COUNT: what sub-id maps cost by themselves.
// Each run clones a child into a new user namespace and maps it as `launcher run` does: the
// setuid helpers newuidmap and newgidmap, started together, then waited for. Prints
// "median_us min_us p90_us fails"; TIMEIT_SAMPLES=FILE appends every sample (us), as timeit.
// A bench helper, not part of the product.
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "samples.h"

extern char **environ;

// Maps the user namespace of `pid`; returns 0 when both helpers succeeded.
static int map_once(pid_t pid, char **ids) {
  char p[16];
  snprintf(p, sizeof p, "%d", (int)pid);
  char *uargs[] = {"newuidmap", p, "0", ids[0], "1", "1", ids[1], ids[2], NULL};
  char *gargs[] = {"newgidmap", p, "0", ids[3], "1", "1", ids[4], ids[5], NULL};
  pid_t u, g;
  int su = 1, sg = 1;
  if (posix_spawn(&u, "/usr/bin/newuidmap", NULL, NULL, uargs, environ) != 0) return -1;
  if (posix_spawn(&g, "/usr/bin/newgidmap", NULL, NULL, gargs, environ) != 0) {
    waitpid(u, NULL, 0);
    return -1;
  }
  waitpid(u, &su, 0);
  waitpid(g, &sg, 0);
  return su == 0 && sg == 0 ? 0 : -1;
}

int main(int argc, char **argv) {
  if (argc != 8) {
    fprintf(stderr, "usage: idmapprobe RUNS UID SUBUID COUNT GID SUBGID COUNT\n");
    return 100;
  }
  int runs = atoi(argv[1]);
  if (runs < 1) runs = 1;
  double *s = calloc((size_t)runs, sizeof *s);
  int fails = 0;
  for (int i = 0; i < runs; i++) {
    int go[2];
    if (pipe(go) != 0) return 1;
    long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);
    if (pid < 0) return 1;
    if (pid == 0) { // waits, as the launcher's child does, until it is mapped
      char c;
      close(go[1]);
      _exit(read(go[0], &c, 1) == 1 ? 0 : 1);
    }
    close(go[0]);
    double t0 = now_us();
    if (map_once((pid_t)pid, argv + 2) != 0) fails++;
    s[i] = now_us() - t0;
    if (write(go[1], "g", 1) != 1) fails++;
    close(go[1]);
    waitpid((pid_t)pid, NULL, 0);
  }
  samples_report(s, runs, fails, "TIMEIT_SAMPLES");
  return 0;
}
