// Shared by the bench probes that time things (timeit, sigprobe, idmapprobe): the clock, and
// the one-line summary "median_us min_us p90_us fails" that the scripts read.
#pragma once
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static inline int samples_cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

// Appends every sample (us) to the file named by $env, if set, so that the scripts can pool
// interleaved rounds; then sorts them and prints the summary. n must be at least 1.
static inline void samples_report(double *s, int n, int fails, const char *env) {
  const char *out = getenv(env);
  FILE *f = out ? fopen(out, "a") : NULL;
  for (int i = 0; f && i < n; i++) fprintf(f, "%.0f\n", s[i]);
  if (f) fclose(f);
  qsort(s, (size_t)n, sizeof *s, samples_cmp);
  double med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  printf("%.0f %.0f %.0f %d\n", med, s[0], s[(int)((n - 1) * 0.9 + 0.5)], fails);
}
