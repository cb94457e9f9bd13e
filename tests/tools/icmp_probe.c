// SPDX-License-Identifier: MIT
/*
 * icmp_probe: a small command-line driver over shared/hl_icmp, used by
 * tests/integration/icmp_netns.sh and the benchmarks. It resolves every
 * target (bounded by -R), probes all of them concurrently in one run and
 * prints one line per target plus a summary line, all "key=value":
 *
 *   icmp_probe [-4|-6] [-c count] [-i spacing_ms] [-W timeout_ms]
 *              [-R resolve_timeout_ms] target...
 *
 *   target=NAME addr=IP kind=raw sent=10 received=8 dup=0 late=0
 *     loss=20.0 reachable=1 avg=50.12 min=50.01 max=50.40 stddev=0.11 error=0
 *   target=NAME resolve=failed error=-110 (Connection timed out)
 *   run elapsed_ms=2051 kind4=raw kind6=none strays=0 rc=0
 *
 * Exit: 0 if the run happened, 2 if no socket could be opened (the reason
 * goes to stderr), 1 on bad usage.
 */
#include "hl_icmp.h"
#include "hl_str.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct opts {
  int family;
  unsigned count;
  unsigned spacing_ms;
  unsigned timeout_ms;
  unsigned resolve_ms;
};

static int usage(void) {
  fprintf(stderr, "usage: icmp_probe [-4|-6] [-c count] [-i spacing_ms] "
                  "[-W timeout_ms] [-R resolve_timeout_ms] target...\n");
  return 1;
}

static int num_arg(const char *s, uint64_t max, unsigned *out) {
  uint64_t v = 0;
  if (hl_str_to_u64(s, 0, max, &v) < 0)
    return -1;
  *out = (unsigned)v;
  return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o) {
  *o = (struct opts){AF_UNSPEC, 3, 1000, 1000, 1000};
  int c = 0;
  int bad = 0;
  while ((c = getopt(argc, argv, "46c:i:W:R:")) != -1) {
    if (c == '4' || c == '6')
      o->family = c == '4' ? AF_INET : AF_INET6;
    else if (c == 'c')
      bad |= num_arg(optarg, HL_ICMP_MAX_COUNT, &o->count) || o->count == 0;
    else if (c == 'i')
      bad |= num_arg(optarg, 3600000, &o->spacing_ms);
    else if (c == 'W')
      bad |= num_arg(optarg, 3600000, &o->timeout_ms);
    else if (c == 'R')
      bad |= num_arg(optarg, 3600000, &o->resolve_ms);
    else
      bad = 1;
  }
  return bad || optind >= argc ? -1 : 0;
}

static const char *addr_str(const struct sockaddr_storage *ss, char *buf,
                            size_t len) {
  const void *a =
      ss->ss_family == AF_INET
          ? (const void *)&((const struct sockaddr_in *)ss)->sin_addr
          : (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
  return inet_ntop(ss->ss_family, a, buf, (socklen_t)len) ? buf : "?";
}

static void print_result(const char *name, const char *addr, const char *kind,
                         const struct hl_icmp_result *r) {
  printf("target=%s addr=%s kind=%s sent=%u received=%u dup=%u late=%u "
         "loss=%.1f reachable=%d avg=%.3f min=%.3f max=%.3f stddev=%.3f "
         "error=%d\n",
         name, addr, kind, r->sent, r->received, r->duplicates, r->late,
         r->loss_pct, r->reachable ? 1 : 0, r->rtt_avg, r->rtt_min, r->rtt_max,
         r->rtt_stddev, r->error);
}

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int probe(struct hl_icmp *ctx, const struct opts *o, char **names, int n,
                 const int *idx, char addrs[][INET6_ADDRSTRLEN]) {
  size_t nt = hl_icmp_target_count(ctx);
  struct hl_icmp_result *res = calloc(nt ? nt : 1, sizeof(*res));
  if (res == NULL)
    return 2;
  char err[512] = "";
  uint64_t t0 = now_ms();
  int rc = nt > 0 ? hl_icmp_run(ctx, o->count, o->spacing_ms, o->timeout_ms,
                                res, err, sizeof(err))
                  : 0;
  uint64_t elapsed = now_ms() - t0;
  if (err[0] != '\0')
    fprintf(stderr, "icmp_probe: %s\n", err);
  for (int i = 0; i < n; i++) {
    if (idx[i] < 0)
      continue;
    int fam = strchr(addrs[i], ':') ? AF_INET6 : AF_INET;
    print_result(names[i], addrs[i], hl_icmp_kind_name(hl_icmp_kind(ctx, fam)),
                 &res[idx[i]]);
  }
  printf("run elapsed_ms=%llu kind4=%s kind6=%s strays=%u rc=%d\n",
         (unsigned long long)elapsed,
         hl_icmp_kind_name(hl_icmp_kind(ctx, AF_INET)),
         hl_icmp_kind_name(hl_icmp_kind(ctx, AF_INET6)), hl_icmp_strays(ctx),
         rc);
  free(res);
  return rc < 0 ? 2 : 0;
}

int main(int argc, char **argv) {
  struct opts o;
  if (parse_opts(argc, argv, &o) < 0)
    return usage();
  int n = argc - optind;
  char **names = argv + optind;
  int *idx = calloc((size_t)n, sizeof(*idx));
  char(*addrs)[INET6_ADDRSTRLEN] = calloc((size_t)n, sizeof(*addrs));
  struct hl_icmp *ctx = hl_icmp_new();
  if (idx == NULL || addrs == NULL || ctx == NULL) {
    hl_icmp_free(ctx);
    free(addrs);
    free(idx);
    return 2;
  }
  for (int i = 0; i < n; i++) {
    struct sockaddr_storage ss;
    socklen_t len = 0;
    int rc = hl_icmp_resolve(names[i], o.family, o.resolve_ms, &ss, &len);
    if (rc == 0)
      rc = hl_icmp_add_target(ctx, (struct sockaddr *)&ss, len);
    idx[i] = rc;
    if (rc < 0) {
      char ebuf[128];
      printf("target=%s resolve=failed error=%d (%s)\n", names[i], rc,
             strerror_r(-rc, ebuf, sizeof(ebuf)));
      continue;
    }
    addr_str(&ss, addrs[i], sizeof(addrs[i]));
  }
  int rc = probe(ctx, &o, names, n, idx, addrs);
  hl_icmp_free(ctx);
  free(addrs);
  free(idx);
  return rc;
}
