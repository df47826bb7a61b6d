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

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

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
  // TIMEIT_SAMPLES=FILE: also append every sample (us), so that interleaved rounds of several
  // commands can be pooled by the caller.
  const char *out = getenv("TIMEIT_SAMPLES");
  FILE *f = out ? fopen(out, "a") : NULL;
  for (int i = 0; f && i < runs; i++) fprintf(f, "%.0f\n", s[i]);
  if (f) fclose(f);
  qsort(s, (size_t)runs, sizeof *s, cmp);
  double med = runs % 2 ? s[runs / 2] : (s[runs / 2 - 1] + s[runs / 2]) / 2;
  int p90 = (int)((runs - 1) * 0.9 + 0.5);
  printf("%.0f %.0f %.0f %d\n", med, s[0], s[p90], fails);
  return 0;
}
