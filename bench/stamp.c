// stamp [FILE [EXIT | -- CMD...]]: appends CLOCK_MONOTONIC in ns (one line) to FILE, or prints
// it when FILE is absent or "-"; then exits with EXIT (default 0) or execs CMD. Used by service
// run scripts to say "I started" / "I am exiting" with a clock the bench can compare across
// PID namespaces (there is no time namespace here, so CLOCK_MONOTONIC is shared).
// stamp --rename SRC DST: prints the time, then rename(SRC, DST) at once (no exec in between).
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int now_line(char *line, size_t cap) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return snprintf(line, cap, "%lld\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
}

int main(int argc, char **argv) {
  char line[64];
  if (argc == 4 && strcmp(argv[1], "--rename") == 0) {
    int n = now_line(line, sizeof line);
    if (rename(argv[2], argv[3]) != 0) {
      perror("stamp: rename");
      return 111;
    }
    return write(1, line, (size_t)n) == n ? 0 : 111;
  }
  int n = now_line(line, sizeof line);
  if (argc < 2 || strcmp(argv[1], "-") == 0) {
    if (write(1, line, (size_t)n) != n) return 111;
  } else {
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, line, (size_t)n) != n) return 111;
    close(fd);
  }
  if (argc >= 4 && strcmp(argv[2], "--") == 0) {
    execvp(argv[3], argv + 3);
    return 127;
  }
  return argc >= 3 ? atoi(argv[2]) : 0;
}
