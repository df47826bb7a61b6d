// SIGTERM forwarding latency.
//   sigprobe probe FIFO            main command under the init: installs a SIGTERM handler,
//                                  writes "R" to FIFO, waits; the handler writes the
//                                  CLOCK_MONOTONIC time (ns) it ran at and exits.
//   sigprobe drive RUNS FIFO CMD...  RUNS times: mkfifo, start CMD (e.g. unshare ... INIT
//                                  sigprobe probe FIFO), wait for "R", find the init (the child
//                                  of CMD's process: unshare --fork), kill(init, SIGTERM) and
//                                  read the handler's time. Prints "median_us min_us p90_us fails".
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "samples.h"

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int probe_fd = -1;

static void on_term(int sig) {
  (void)sig;
  char line[32];
  long long t = now_ns();
  int n = snprintf(line, sizeof line, "%lld\n", t);
  if (write(probe_fd, line, (size_t)n) < 0) _exit(1);
  _exit(0);
}

static int probe(const char *fifo) {
  probe_fd = open(fifo, O_WRONLY | O_CLOEXEC);
  if (probe_fd < 0) return 111;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_term;
  sigaction(SIGTERM, &sa, NULL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  if (write(probe_fd, "R", 1) != 1) return 111;
  for (;;) pause();
}

// Reads up to cap-1 bytes from fd, waiting at most ms; returns bytes read (0 on timeout/EOF).
static ssize_t read_wait(int fd, char *buf, size_t cap, int ms) {
  long long end = now_ns() + (long long)ms * 1000000LL;
  size_t got = 0;
  while (got == 0) {
    long long left = (end - now_ns()) / 1000000LL;
    if (left <= 0) break;
    struct pollfd p = {fd, POLLIN, 0};
    int r = poll(&p, 1, (int)left);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    ssize_t n = read(fd, buf + got, cap - 1 - got);
    if (n > 0) got += (size_t)n;
    else if (n == 0) {
      struct timespec d = {0, 1000000};  // writer not there yet (or gone): poll again
      nanosleep(&d, NULL);
    }
  }
  buf[got] = 0;
  return (ssize_t)got;
}

static pid_t first_child(pid_t pid) {
  char path[64], buf[64] = {0};
  snprintf(path, sizeof path, "/proc/%d/task/%d/children", pid, pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  return n > 0 ? (pid_t)atoi(buf) : -1;
}

// Waits for pid up to ms; on timeout SIGKILLs init (whose death ends its PID namespace) and pid.
static void reap_or_kill(pid_t pid, pid_t init, int ms) {
  for (int i = 0; i < ms; i++) {
    if (waitpid(pid, NULL, WNOHANG) == pid) return;
    struct timespec d = {0, 1000000};
    nanosleep(&d, NULL);
  }
  fprintf(stderr, "sigprobe: command did not exit after SIGTERM; killing it\n");
  if (init > 0) kill(init, SIGKILL);
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
}

static int drive(int runs, const char *fifo, char **cmd) {
  double *s = calloc((size_t)runs, sizeof *s);
  int ok = 0, fails = 0;
  for (int r = 0; r < runs; r++) {
    unlink(fifo);
    if (mkfifo(fifo, 0666) != 0) return 111;
    chmod(fifo, 0666);
    int rd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (rd < 0) return 111;
    pid_t pid = fork();
    if (pid == 0) {
      int nul = open("/dev/null", O_RDWR);
      dup2(nul, 0);
      dup2(nul, 1);
      if (!getenv("SIGPROBE_STDERR")) dup2(nul, 2);
      execvp(cmd[0], cmd);
      _exit(127);
    }
    char buf[64];
    pid_t init = -1;
    if (read_wait(rd, buf, sizeof buf, 10000) < 1 || buf[0] != 'R' ||
        (init = first_child(pid)) <= 0) {
      fails++;
      reap_or_kill(pid, init, 1);
      close(rd);
      continue;
    }
    long long t0 = now_ns();
    kill(init, SIGTERM);
    ssize_t n = read_wait(rd, buf, sizeof buf, 5000);
    if (n > 0) {
      s[ok++] = (double)(atoll(buf) - t0) / 1e3;
    } else {
      fails++;
    }
    reap_or_kill(pid, init, 10000);
    close(rd);
  }
  unlink(fifo);
  if (ok == 0) {
    printf("0 0 0 %d\n", fails);
    return 1;
  }
  // SIGPROBE_SAMPLES=FILE: also every sample, for pooling across rounds.
  samples_report(s, ok, fails, "SIGPROBE_SAMPLES");
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "probe") == 0) return probe(argv[2]);
  if (argc >= 5 && strcmp(argv[1], "drive") == 0) return drive(atoi(argv[2]), argv[3], argv + 4);
  fprintf(stderr, "usage: sigprobe probe FIFO | sigprobe drive RUNS FIFO CMD...\n");
  return 100;
}
