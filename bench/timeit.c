// timeit RUNS WARMUP CMD...: runs CMD (no shell, stdio to /dev/null) WARMUP times unmeasured,
// then RUNS times measured; prints "median_us min_us p90_us fails" on one line.
// A bench helper, not part of the product: it exists so that the timed loop adds no shell.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "samples.h"

// Runs argv once; returns its wait status (or -1 when fork fails).
static int run_once(char **argv) {
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    int fd = open("/dev/null", O_RDWR);
    if (fd >= 0) {
      dup2(fd, 0);
      dup2(fd, 1);
      if (!getenv("TIMEIT_STDERR")) dup2(fd, 2);
    }
    execvp(argv[0], argv);
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: timeit RUNS WARMUP CMD...\n");
    return 100;
  }
  int runs = atoi(argv[1]), warm = atoi(argv[2]);
  if (runs < 1) runs = 1;
  char **cmd = argv + 3;
  for (int i = 0; i < warm; i++) run_once(cmd);
  double *s = calloc((size_t)runs, sizeof *s);
  int fails = 0;
  for (int i = 0; i < runs; i++) {
    double t0 = now_us();
    int st = run_once(cmd);
    s[i] = now_us() - t0;
    if (st != 0) fails++;
  }
  // TIMEIT_SAMPLES=FILE: also every sample, for pooling interleaved rounds.
  samples_report(s, runs, fails, "TIMEIT_SAMPLES");
  return 0;
}
