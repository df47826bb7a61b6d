// svcprobe: a service's `run` (a symlink to this static binary), so that the stamp is the first
// thing the new process does and no shell start-up hides the supervisor's own latency.
// Runs in the service dir (runsv and our supervisor chdir there): appends CLOCK_MONOTONIC ns to
// ./started; if ./lifetime_ms exists, sleeps that long, appends the time to ./exited and exits 1;
// otherwise waits forever (until the supervisor stops it).
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int stamp(const char *file) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  char line[64];
  int n = snprintf(line, sizeof line, "%lld\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
  int fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0 || write(fd, line, (size_t)n) != n) return -1;
  return close(fd);
}

int main(void) {
  if (stamp("started") != 0) return 111;
  FILE *f = fopen("lifetime_ms", "re");
  if (!f) {
    for (;;) pause();
  }
  long ms = 0;
  if (fscanf(f, "%ld", &ms) != 1) ms = 0;
  fclose(f);
  struct timespec d = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&d, &d) != 0) {
  }
  stamp("exited");
  return 1;
}
