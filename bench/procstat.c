// procstat PID            -> "rss_kb pss_kb private_kb private_dirty_kb ctxsw" of one process
//                            (smaps_rollup; ctxsw = voluntary + nonvoluntary context switches).
// procstat ns PID [COMM]  -> "procs rss_kb pss_kb private_kb excluded ctxsw" summed over every process
//                            in PID's PID namespace whose comm is not COMM; excluded counts the
//                            processes named COMM (the services being supervised).
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct mem {
  long rss, pss, priv, priv_dirty;
};

static int read_mem(int pid, struct mem *m) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/smaps_rollup", pid);
  FILE *f = fopen(path, "re");
  if (!f) return -1;
  memset(m, 0, sizeof *m);
  long v;
  while (fgets(line, sizeof line, f)) {
    if (sscanf(line, "Rss: %ld", &v) == 1) m->rss = v;
    else if (sscanf(line, "Pss: %ld", &v) == 1) m->pss = v;
    else if (sscanf(line, "Private_Clean: %ld", &v) == 1) m->priv += v;
    else if (sscanf(line, "Private_Dirty: %ld", &v) == 1) m->priv += v, m->priv_dirty = v;
  }
  fclose(f);
  return 0;
}

static long ctxsw(int pid) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  FILE *f = fopen(path, "re");
  if (!f) return -1;
  long v, sum = 0;
  while (fgets(line, sizeof line, f)) {
    if (sscanf(line, "voluntary_ctxt_switches: %ld", &v) == 1) sum += v;
    else if (sscanf(line, "nonvoluntary_ctxt_switches: %ld", &v) == 1) sum += v;
  }
  fclose(f);
  return sum;
}

static int comm_is(int pid, const char *name) {
  char path[64], buf[64] = {0};
  snprintf(path, sizeof path, "/proc/%d/comm", pid);
  FILE *f = fopen(path, "re");
  if (!f) return 0;
  if (!fgets(buf, sizeof buf, f)) buf[0] = 0;
  fclose(f);
  buf[strcspn(buf, "\n")] = 0;
  return strcmp(buf, name) == 0;
}

static int ns_of(int pid, struct stat *st) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/ns/pid", pid);
  return stat(path, st);
}

int main(int argc, char **argv) {
  if (argc == 2) {
    struct mem m;
    int pid = atoi(argv[1]);
    if (read_mem(pid, &m) != 0) return 1;
    printf("%ld %ld %ld %ld %ld\n", m.rss, m.pss, m.priv, m.priv_dirty, ctxsw(pid));
    return 0;
  }
  if (argc >= 3 && strcmp(argv[1], "ns") == 0) {
    struct stat want, st;
    if (ns_of(atoi(argv[2]), &want) != 0) return 1;
    const char *skip = argc > 3 ? argv[3] : "";
    DIR *d = opendir("/proc");
    if (!d) return 1;
    struct dirent *e;
    long procs = 0, excluded = 0, switches = 0;
    struct mem sum = {0, 0, 0, 0}, m;
    while ((e = readdir(d))) {
      if (!isdigit((unsigned char)e->d_name[0])) continue;
      int pid = atoi(e->d_name);
      if (ns_of(pid, &st) != 0 || st.st_ino != want.st_ino || st.st_dev != want.st_dev) continue;
      if (*skip && comm_is(pid, skip)) {
        excluded++;
        continue;
      }
      if (read_mem(pid, &m) != 0) continue;  // a zombie or a process that just exited
      procs++;
      switches += ctxsw(pid);
      sum.rss += m.rss, sum.pss += m.pss, sum.priv += m.priv;
    }
    closedir(d);
    printf("%ld %ld %ld %ld %ld %ld\n", procs, sum.rss, sum.pss, sum.priv, excluded, switches);
    return 0;
  }
  fprintf(stderr, "usage: procstat PID | procstat ns PID [COMM]\n");
  return 100;
}
