// etcov DIR CMD...: in a private mount namespace (unshare --mount), overlay /etc with a fresh
// tmpfs-backed upper layer mounted on DIR, then exec CMD. The same overlay as
// tests/integration/lib.sh's _overlay_etc, but with a per-run tmpfs upper so that runs never
// share an upper dir and nothing reaches the host's /etc. Done with syscalls, not sh+mount,
// so the wrapper's own cost is small and equal for every init.
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int fail(const char *what, const char *obj) {
  fprintf(stderr, "etcov: fatal: unable to %s '%s': %s\n", what, obj, strerror(errno));
  return 99;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: etcov DIR CMD...\n");
    return 100;
  }
  const char *dir = argv[1];
  char up[4096], wk[4096], svc[4200], opts[8300];
  snprintf(up, sizeof up, "%s/u", dir);
  snprintf(wk, sizeof wk, "%s/w", dir);
  snprintf(svc, sizeof svc, "%s/service", up);
  snprintf(opts, sizeof opts, "lowerdir=/etc,upperdir=%s,workdir=%s", up, wk);
  if (mount("tmpfs", dir, "tmpfs", 0, "size=16m,mode=755") != 0) return fail("mount tmpfs on", dir);
  if (mkdir(up, 0755) != 0) return fail("create", up);
  if (mkdir(wk, 0755) != 0) return fail("create", wk);
  // No /etc/service: a whiteout hides the host's symlink to runit's services, so every init
  // meets the /etc of an image without services (what tini & co. are for). ETCOV_SERVICES=1
  // gives an empty service dir instead, which makes cinit start (and stop) its supervisor.
  const char *services = getenv("ETCOV_SERVICES");
  if (services != NULL && strcmp(services, "1") == 0) {
    if (mkdir(svc, 0755) != 0) return fail("create", svc);
  } else if (mknod(svc, S_IFCHR | 0000, makedev(0, 0)) != 0) {
    return fail("whiteout", svc);
  }
  if (mount("overlay", "/etc", "overlay", 0, opts) != 0) return fail("overlay", "/etc");
  execvp(argv[2], argv + 2);
  fprintf(stderr, "etcov: fatal: unable to exec '%s': %s\n", argv[2], strerror(errno));
  return 127;
}
