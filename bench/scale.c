// scale: the two halves of the supervision-at-scale rows of bench/supervisor.sh.
// scale init OUT SIG CMD...: PID 1 of a bench PID namespace, the same for every contender.
//   Writes "start NS" to OUT just before it starts CMD; on SIGTERM writes "term NS" and sends
//   signal number SIG to CMD alone (runsvdir stops its services on HUP; on TERM it just exits); reaps everything; when no process is left in the namespace, writes "gone NS"
//   and exits. NS is CLOCK_MONOTONIC in ns, which svcprobe stamps too.
// scale floor DIR N: the floor a supervisor is measured against: vforks, chdirs to DIR/sI and
//   execs ./run for I = 1..N; on SIGTERM sends SIGTERM to each and waits for all of them.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void note(FILE *out, const char *what) {
  fprintf(out, "%s %lld\n", what, now_ns());
  fflush(out);
}

static sigset_t blocked(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGCHLD);
  sigprocmask(SIG_BLOCK, &set, NULL);
  return set;
}

static int run_init(const char *path, int stop_sig, char **cmd) {
  FILE *out = fopen(path, "we");
  if (!out) {
    perror("scale: open");
    return 111;
  }
  sigset_t set = blocked();
  note(out, "start");
  pid_t child = fork();
  if (child < 0) return 111;
  if (child == 0) {
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    execv(cmd[0], cmd);
    _exit(127);
  }
  for (;;) {
    int sig = sigwaitinfo(&set, NULL);
    if (sig == SIGTERM) {
      note(out, "term");
      kill(child, stop_sig);
    }
    for (;;) {
      pid_t p = waitpid(-1, NULL, WNOHANG);
      if (p > 0) continue;
      if (p < 0 && errno == ECHILD) {
        note(out, "gone");
        return 0;
      }
      break;
    }
  }
}

static int run_floor(const char *dir, long n) {
  sigset_t set = blocked();
  pid_t *pids = calloc((size_t)n, sizeof *pids);
  if (!pids) return 111;
  char path[4096];
  for (long i = 0; i < n; ++i) {
    snprintf(path, sizeof path, "%s/s%ld", dir, i + 1);
    pids[i] = vfork(); // the cheapest fork there is: the floor must be a floor
    if (pids[i] == 0) {
      sigprocmask(SIG_UNBLOCK, &set, NULL);
      if (chdir(path) != 0) _exit(111);
      execl("./run", "./run", (char *)NULL);
      _exit(127);
    }
  }
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  while (sigwaitinfo(&term, NULL) != SIGTERM) {
  }
  for (long i = 0; i < n; ++i)
    if (pids[i] > 0) kill(pids[i], SIGTERM);
  for (long i = 0; i < n; ++i)
    if (pids[i] > 0) waitpid(pids[i], NULL, 0);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 5 && strcmp(argv[1], "init") == 0) return run_init(argv[2], atoi(argv[3]), argv + 4);
  if (argc == 4 && strcmp(argv[1], "floor") == 0) return run_floor(argv[2], atol(argv[3]));
  fprintf(stderr, "usage: scale init OUT SIG CMD... | scale floor DIR N\n");
  return 100;
}
