// SPDX-License-Identifier: MIT
/*
 * ports_steady: the homelab_ports plugin's read path without the daemon, as
 * a timed side of bench/ports.sh.
 *
 * It builds one hl_ports_ctx with the plugin's defaults (proc root /proc,
 * processes resolved, RetryEvery 10, TCP+UDP, IPv4+IPv6, no Docker, no
 * policy) and calls hl_ports_collect() on it: once cold (empty owner cache,
 * as the first read after collectd starts) and then WARM times with nothing
 * changed in between, which is the plugin's steady state. Each call is timed
 * with CLOCK_MONOTONIC (wall) and CLOCK_PROCESS_CPUTIME_ID (CPU, all
 * threads). It prints one line
 *   cold_us=C cold_cpu_us=c warm_median_us=M warm_cpu_median_us=m
 *   warm_min_us=L warm_max_us=H records=R with_pid=P validated=V
 *   scanned_pids=S readlinks=K unresolved=U
 * (owner-cache counters of the last warm call, on one line) and writes the
 * records of the last call as "proto address port pid" lines to OUT, for the
 * same correctness check as the other sides.
 *
 *   ports_steady [-n WARM] [-s PAUSE_MS] [-r RETRY_EVERY] [-P PROC_ROOT] OUT
 */
#include "hl_ports.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int parse_long(const char *s, long lo, long hi, long *out) {
  char *end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
    return -1;
  *out = v;
  return 0;
}

static double now_us(clockid_t clock) {
  struct timespec t = {0};
  clock_gettime(clock, &t);
  return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a;
  double y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Median of the sorted array @v of @n > 0 values. */
static double median(const double *v, long n) {
  return (v[(n - 1) / 2] + v[n / 2]) / 2;
}

/* One timed collection: wall and CPU microseconds; -1 on failure. */
static int timed_collect(struct hl_ports_ctx *ctx, struct hl_port_report *rep,
                         double *wall, double *cpu) {
  char err[256] = "";
  double c0 = now_us(CLOCK_PROCESS_CPUTIME_ID);
  double t0 = now_us(CLOCK_MONOTONIC);
  int rc = hl_ports_collect(ctx, NULL, rep, err, sizeof(err));
  *wall = now_us(CLOCK_MONOTONIC) - t0;
  *cpu = now_us(CLOCK_PROCESS_CPUTIME_ID) - c0;
  if (rc != 0) {
    fprintf(stderr, "ports_steady: hl_ports_collect: %s (%s)\n", err,
            strerror(-rc));
    return -1;
  }
  return 0;
}

static int write_records(const char *path, const struct hl_port_report *rep,
                         size_t *with_pid) {
  FILE *f = fopen(path, "w");
  if (f == NULL) {
    perror(path);
    return -1;
  }
  *with_pid = 0;
  for (size_t i = 0; i < rep->n; i++) {
    const struct hl_port_rec *r = &rep->r[i];
    char addr[64];
    hl_sock_addr_str(&r->s, addr, sizeof(addr));
    fprintf(f, "%s %s %u %d\n", r->s.proto == IPPROTO_TCP ? "tcp" : "udp", addr,
            (unsigned)r->s.port, r->pid);
    *with_pid += r->pid > 0;
  }
  return fclose(f) == 0 ? 0 : -1;
}

int main(int argc, char **argv) {
  long warm = 30;
  long pause_ms = 0;
  long retry = 10;
  const char *proc_root = "/proc";
  int c = 0;
  while ((c = getopt(argc, argv, "n:s:r:P:")) != -1) {
    int bad = 0;
    if (c == 'n')
      bad = parse_long(optarg, 1, 100000, &warm);
    else if (c == 's')
      bad = parse_long(optarg, 0, 60000, &pause_ms);
    else if (c == 'r')
      bad = parse_long(optarg, 1, 100000, &retry);
    else if (c == 'P')
      proc_root = optarg;
    else
      bad = -1;
    if (bad != 0) {
      fputs("usage: ports_steady [-n WARM] [-s PAUSE_MS] [-r RETRY_EVERY] "
            "[-P PROC_ROOT] OUT\n",
            stderr);
      return 2;
    }
  }
  if (optind + 1 != argc) {
    fputs("ports_steady: OUT missing\n", stderr);
    return 2;
  }
  struct hl_ports_opts opts = {.proc_root = proc_root,
                               .docker_socket = NULL,
                               .processes = true,
                               .retry_every = (unsigned)retry,
                               .what = HL_SD_ALL};
  struct hl_ports_ctx *ctx = hl_ports_ctx_new(&opts);
  double *t = calloc((size_t)warm, sizeof(*t));
  double *cpu = calloc((size_t)warm, sizeof(*cpu));
  if (ctx == NULL || t == NULL || cpu == NULL) {
    fputs("ports_steady: out of memory\n", stderr);
    return 1;
  }
  struct hl_port_report rep = {0};
  double cold = 0;
  double cold_cpu = 0;
  if (timed_collect(ctx, &rep, &cold, &cold_cpu) != 0)
    return 1;
  for (long i = 0; i < warm; i++) {
    if (pause_ms > 0)
      usleep((useconds_t)pause_ms * 1000);
    if (timed_collect(ctx, &rep, &t[i], &cpu[i]) != 0)
      return 1;
  }
  struct hl_owners_stats st = hl_ports_owner_stats(ctx);
  size_t with_pid = 0;
  if (write_records(argv[optind], &rep, &with_pid) != 0)
    return 1;
  qsort(t, (size_t)warm, sizeof(*t), cmp_double);
  qsort(cpu, (size_t)warm, sizeof(*cpu), cmp_double);
  printf("cold_us=%.1f cold_cpu_us=%.1f warm_median_us=%.1f "
         "warm_cpu_median_us=%.1f warm_min_us=%.1f warm_max_us=%.1f "
         "records=%zu with_pid=%zu validated=%u scanned_pids=%u "
         "readlinks=%lu unresolved=%u\n",
         cold, cold_cpu, median(t, warm), median(cpu, warm), t[0], t[warm - 1],
         rep.n, with_pid, st.validated, st.scanned_pids, st.readlinks,
         st.unresolved);
  hl_port_report_free(&rep);
  hl_ports_ctx_free(ctx);
  free(t);
  free(cpu);
  return 0;
}
