// orphans N [BATCH]: makes the init reap N orphans. Per batch: create BATCH children, each
// creates a grandchild and exits at once; the grandchildren (now orphans, reparented to PID 1)
// block on a barrier pipe. When every child is gone, the barrier closes, all grandchildren exit
// at the same moment, and we poll until each one has vanished (kill(pid, 0) succeeds on a
// zombie, so ESRCH means the init reaped it). Prints "reap_ms=X setup_ms=Y n=N": X is the time
// from the barrier to the last orphan reaped, summed over batches.
//
// Children and grandchildren are processes made with clone(CLONE_VM) (their own pid, fd table
// and exit status; only the address space is shared): a full fork() costs ~1.7 ms a pair on
// this VM and its exit tears down an mm, which would bury the init's own reaping cost.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { STACK = 16 * 1024 };

static int barrier[2];
static pid_t *grandchildren;
static char *gc_stacks;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

// Raw syscalls only below: these run on a shared address space (and shared TLS, so errno).
static int grandchild(void *arg) {
  (void)arg;
  char b;
  syscall(SYS_close, barrier[1]);
  while (syscall(SYS_read, barrier[0], &b, 1) < 0) {
  }
  syscall(SYS_exit, 0);
  return 0;
}

static int child(void *arg) {
  long i = (long)arg;
  pid_t g = clone(grandchild, gc_stacks + (size_t)(i + 1) * STACK, CLONE_VM | SIGCHLD, NULL);
  grandchildren[i] = g;
  syscall(SYS_exit, g > 0 ? 0 : 1);
  return 0;
}

int main(int argc, char **argv) {
  long total = argc > 1 ? atol(argv[1]) : 20000;
  long batch = argc > 2 ? atol(argv[2]) : total;
  if (batch < 1 || batch > total) batch = total;
  grandchildren = mmap(NULL, (size_t)batch * sizeof(pid_t), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  gc_stacks = mmap(NULL, (size_t)batch * STACK, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  // Children exit right away; a handful of stacks reused round-robin is enough once each
  // previous user of a slot has been waited for.
  enum { SLOTS = 64 };
  char *c_stacks = mmap(NULL, (size_t)SLOTS * STACK, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (grandchildren == MAP_FAILED || gc_stacks == MAP_FAILED || c_stacks == MAP_FAILED) return 111;
  double reap = 0, setup = 0;
  for (long done = 0; done < total; done += batch) {
    long n = total - done < batch ? total - done : batch;
    double s0 = now_ms();
    if (pipe2(barrier, O_CLOEXEC) != 0) return 111;
    pid_t slot_pid[SLOTS] = {0};
    for (long i = 0; i < n; i++) {
      grandchildren[i] = 0;
      int s = (int)(i % SLOTS);
      if (slot_pid[s] > 0) waitpid(slot_pid[s], NULL, 0);
      slot_pid[s] = clone(child, c_stacks + (size_t)(s + 1) * STACK, CLONE_VM | SIGCHLD, (void *)i);
      if (slot_pid[s] < 0) {
        perror("orphans: clone");
        slot_pid[s] = 0;
        break;
      }
    }
    for (int s = 0; s < SLOTS; s++)
      if (slot_pid[s] > 0) waitpid(slot_pid[s], NULL, 0);
    long live = 0;
    for (long i = 0; i < n; i++)
      if (grandchildren[i] > 0) grandchildren[live++] = grandchildren[i];
    if (live != n) fprintf(stderr, "orphans: only %ld of %ld grandchildren started\n", live, n);
    setup += now_ms() - s0;
    double t0 = now_ms();
    close(barrier[1]);
    close(barrier[0]);
    double deadline = t0 + 120000;
    while (live > 0) {
      long keep = 0;
      for (long i = 0; i < live; i++)
        if (kill(grandchildren[i], 0) == 0 || errno != ESRCH) grandchildren[keep++] = grandchildren[i];
      live = keep;
      if (live == 0) break;
      if (now_ms() > deadline) {
        fprintf(stderr, "orphans: %ld orphans still unreaped after 120 s\n", live);
        return 1;
      }
      struct timespec d = {0, 200000};
      nanosleep(&d, NULL);
    }
    reap += now_ms() - t0;
  }
  printf("reap_ms=%.1f setup_ms=%.1f n=%ld\n", reap, setup, total);
  return 0;
}
