// SPDX-License-Identifier: MIT
/*
 * hl_icmp: ICMP echo engine (see hl_icmp.h). Packet layout of every echo we
 * send, after the 8-byte ICMP header (type, code, checksum, id, seq):
 *   0..3   magic "HLIC"
 *   4..7   target index (big-endian)
 *   8..15  run cookie (big-endian)
 *   16..23 send time, CLOCK_MONOTONIC ns (big-endian)
 * One socket per address family serves all targets; per target and run we
 * keep the send time of every echo and whether it was answered.
 */
#include "hl_icmp.h"

#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <linux/icmp.h>

#define ECHO4_REQUEST 8
#define ECHO4_REPLY 0
#define ECHO6_REQUEST 128
#define ECHO6_REPLY 129

static const uint8_t icmp_magic[4] = {'H', 'L', 'I', 'C'};

struct icmp_target {
  struct sockaddr_storage addr;
  socklen_t addrlen;
  int family;
  uint64_t *sent_ns; /* per round; 0 = not sent */
  uint8_t *answered; /* per round */
  unsigned sent;
  unsigned send_ok;
  unsigned dup;
  unsigned late;
  int error;      /* no socket for the family */
  int send_error; /* the last failed sendto() */
  struct hl_icmp_stats st;
};

struct hl_icmp {
  struct icmp_target *t;
  size_t n;
  size_t cap;
  unsigned count;
  uint64_t timeout_ns;
  uint64_t cookie;
  uint16_t ident;
  uint16_t seq_base;
  unsigned outstanding;
  unsigned strays;
  enum hl_icmp_kind kind4;
  enum hl_icmp_kind kind6;
};

/* ---- packets (pure) ------------------------------------------------------ */

static void put_be(uint8_t *p, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; i--) {
    p[i] = (uint8_t)(v & 0xff);
    v >>= 8;
  }
}

static uint64_t get_be(const uint8_t *p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; i++)
    v = (v << 8) | p[i];
  return v;
}

uint16_t hl_icmp_checksum(const void *buf, size_t len) {
  const uint8_t *p = buf;
  uint32_t sum = 0;
  size_t i = 0;
  for (; i + 1 < len; i += 2)
    sum += (uint32_t)p[i] << 8 | p[i + 1];
  if (i < len)
    sum += (uint32_t)p[i] << 8;
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

int hl_icmp_build_echo(int family, bool reply, const struct hl_icmp_echo *e,
                       void *buf, size_t size) {
  if (family != AF_INET && family != AF_INET6)
    return -EAFNOSUPPORT;
  if (size < HL_ICMP_PACKET_LEN)
    return -ENOBUFS;
  uint8_t *p = buf;
  memset(p, 0, HL_ICMP_PACKET_LEN);
  if (family == AF_INET)
    p[0] = reply ? ECHO4_REPLY : ECHO4_REQUEST;
  else
    p[0] = reply ? ECHO6_REPLY : ECHO6_REQUEST;
  put_be(p + 4, e->id, 2);
  put_be(p + 6, e->seq, 2);
  memcpy(p + 8, icmp_magic, sizeof(icmp_magic));
  put_be(p + 12, e->target, 4);
  put_be(p + 16, e->cookie, 8);
  put_be(p + 24, e->stamp_ns, 8);
  if (family == AF_INET)
    put_be(p + 2, hl_icmp_checksum(p, HL_ICMP_PACKET_LEN), 2);
  return HL_ICMP_PACKET_LEN;
}

/* Skip a raw socket's IPv4 header; -EPROTO if it is not a sane one. */
static int skip_ip4_header(const uint8_t **p, size_t *len) {
  if (*len < 20 || ((*p)[0] >> 4) != 4)
    return -EPROTO;
  size_t ihl = (size_t)((*p)[0] & 0x0f) * 4;
  if (ihl < 20 || ihl > *len || (*p)[9] != IPPROTO_ICMP)
    return -EPROTO;
  *p += ihl;
  *len -= ihl;
  return 0;
}

int hl_icmp_parse_reply(int family, bool ip_header, const void *buf, size_t len,
                        struct hl_icmp_echo *out) {
  const uint8_t *p = buf;
  if (family != AF_INET && family != AF_INET6)
    return -EAFNOSUPPORT;
  if (family == AF_INET && ip_header) {
    int rc = skip_ip4_header(&p, &len);
    if (rc < 0)
      return rc;
  }
  if (len < HL_ICMP_HDR_LEN)
    return -EPROTO;
  if (family == AF_INET && hl_icmp_checksum(p, len) != 0)
    return -EBADMSG;
  uint8_t want = family == AF_INET ? ECHO4_REPLY : ECHO6_REPLY;
  if (p[0] != want || p[1] != 0)
    return -ENOMSG;
  if (len < HL_ICMP_PACKET_LEN)
    return -EPROTO;
  if (memcmp(p + 8, icmp_magic, sizeof(icmp_magic)) != 0)
    return -ENOMSG;
  out->id = (uint16_t)get_be(p + 4, 2);
  out->seq = (uint16_t)get_be(p + 6, 2);
  out->target = (uint32_t)get_be(p + 12, 4);
  out->cookie = get_be(p + 16, 8);
  out->stamp_ns = get_be(p + 24, 8);
  return 0;
}

/* ---- statistics (pure) --------------------------------------------------- */

void hl_icmp_stats_add(struct hl_icmp_stats *st, double rtt_ms) {
  st->n++;
  if (st->n == 1 || rtt_ms < st->min)
    st->min = rtt_ms;
  if (st->n == 1 || rtt_ms > st->max)
    st->max = rtt_ms;
  double d = rtt_ms - st->mean;
  st->mean += d / st->n;
  st->m2 += d * (rtt_ms - st->mean);
}

void hl_icmp_stats_result(const struct hl_icmp_stats *st, unsigned sent,
                          struct hl_icmp_result *r) {
  unsigned got = st->n < sent ? st->n : sent;
  r->received = got;
  r->reachable = got > 0;
  r->loss_pct = sent == 0 ? 100.0 : 100.0 * (double)(sent - got) / sent;
  if (got == 0) {
    r->rtt_avg = r->rtt_min = r->rtt_max = r->rtt_stddev = NAN;
    return;
  }
  r->rtt_avg = st->mean;
  r->rtt_min = st->min;
  r->rtt_max = st->max;
  double var = st->m2 / st->n;
  r->rtt_stddev = var > 0 ? sqrt(var) : 0.0;
}

/* ---- context and matching (pure) ----------------------------------------- */

struct hl_icmp *hl_icmp_new(void) {
  return calloc(1, sizeof(struct hl_icmp));
}

void hl_icmp_free(struct hl_icmp *ctx) {
  if (ctx == NULL)
    return;
  for (size_t i = 0; i < ctx->n; i++) {
    free(ctx->t[i].sent_ns);
    free(ctx->t[i].answered);
  }
  free(ctx->t);
  free(ctx);
}

int hl_icmp_add_target(struct hl_icmp *ctx, const struct sockaddr *sa,
                       socklen_t salen) {
  if (sa == NULL)
    return -EINVAL;
  if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)
    return -EAFNOSUPPORT;
  socklen_t need = sa->sa_family == AF_INET ? sizeof(struct sockaddr_in)
                                            : sizeof(struct sockaddr_in6);
  if (salen < need || ctx->n >= INT32_MAX)
    return -EINVAL;
  if (ctx->n == ctx->cap) {
    size_t cap = ctx->cap ? ctx->cap * 2 : 8;
    struct icmp_target *v = realloc(ctx->t, cap * sizeof(*v));
    if (v == NULL)
      return -ENOMEM;
    ctx->t = v;
    ctx->cap = cap;
  }
  struct icmp_target *t = &ctx->t[ctx->n];
  memset(t, 0, sizeof(*t));
  memcpy(&t->addr, sa, need);
  t->addrlen = need;
  t->family = sa->sa_family;
  if (t->family == AF_INET)
    ((struct sockaddr_in *)&t->addr)->sin_port = 0;
  else
    ((struct sockaddr_in6 *)&t->addr)->sin6_port = 0;
  return (int)ctx->n++;
}

size_t hl_icmp_target_count(const struct hl_icmp *ctx) { return ctx->n; }

int hl_icmp_begin(struct hl_icmp *ctx, unsigned count, unsigned timeout_ms,
                  uint64_t cookie, uint16_t ident, uint16_t seq_base) {
  if (count == 0 || count > HL_ICMP_MAX_COUNT)
    return -EINVAL;
  for (size_t i = 0; i < ctx->n; i++) {
    struct icmp_target *t = &ctx->t[i];
    uint64_t *s = realloc(t->sent_ns, count * sizeof(*s));
    if (s != NULL)
      t->sent_ns = s;
    uint8_t *a = realloc(t->answered, count);
    if (a != NULL)
      t->answered = a;
    if (s == NULL || a == NULL)
      return -ENOMEM;
    memset(s, 0, count * sizeof(*s));
    memset(a, 0, count);
    t->sent = t->send_ok = t->dup = t->late = 0;
    t->error = t->send_error = 0;
    memset(&t->st, 0, sizeof(t->st));
  }
  ctx->count = count;
  ctx->timeout_ns = (uint64_t)timeout_ms * 1000000u;
  ctx->cookie = cookie;
  ctx->ident = ident;
  ctx->seq_base = seq_base;
  ctx->outstanding = 0;
  ctx->strays = 0;
  return 0;
}

int hl_icmp_prepare_echo(struct hl_icmp *ctx, size_t ti, unsigned round,
                         uint64_t now_ns, void *buf, size_t size) {
  if (ti >= ctx->n || round >= ctx->count || now_ns == 0)
    return -EINVAL;
  struct icmp_target *t = &ctx->t[ti];
  struct hl_icmp_echo e = {
      .id = ctx->ident,
      .seq = (uint16_t)(ctx->seq_base + round),
      .target = (uint32_t)ti,
      .cookie = ctx->cookie,
      .stamp_ns = now_ns,
  };
  int len = hl_icmp_build_echo(t->family, false, &e, buf, size);
  if (len < 0)
    return len;
  t->sent_ns[round] = now_ns;
  t->answered[round] = 0;
  t->sent++;
  return len;
}

static bool same_addr(const struct icmp_target *t, const struct sockaddr *sa,
                      socklen_t salen) {
  if (sa->sa_family != t->family)
    return false;
  if (t->family == AF_INET) {
    const struct sockaddr_in *a = (const void *)&t->addr;
    const struct sockaddr_in *b = (const void *)sa;
    return salen >= sizeof(*b) && a->sin_addr.s_addr == b->sin_addr.s_addr;
  }
  const struct sockaddr_in6 *a = (const void *)&t->addr;
  const struct sockaddr_in6 *b = (const void *)sa;
  return salen >= sizeof(*b) &&
         memcmp(&a->sin6_addr, &b->sin6_addr, sizeof(a->sin6_addr)) == 0;
}

/* The target and round a parsed reply answers, or -ESRCH. */
static int match_echo(const struct hl_icmp *ctx, const struct hl_icmp_echo *e,
                      const struct sockaddr *from, socklen_t fromlen,
                      bool check_id, unsigned *round) {
  if (e->cookie != ctx->cookie || (check_id && e->id != ctx->ident) ||
      e->target >= ctx->n)
    return -ESRCH;
  const struct icmp_target *t = &ctx->t[e->target];
  if (!same_addr(t, from, fromlen))
    return -ESRCH;
  unsigned r = (uint16_t)(e->seq - ctx->seq_base);
  if (r >= ctx->count || t->sent_ns[r] == 0 || t->sent_ns[r] != e->stamp_ns)
    return -ESRCH;
  *round = r;
  return 0;
}

int hl_icmp_accept(struct hl_icmp *ctx, const struct sockaddr *from,
                   socklen_t fromlen, bool ip_header, bool check_id,
                   const void *buf, size_t len, uint64_t now_ns) {
  struct hl_icmp_echo e;
  int rc = hl_icmp_parse_reply(from->sa_family, ip_header, buf, len, &e);
  unsigned r = 0;
  if (rc == 0 && ctx->count > 0)
    rc = match_echo(ctx, &e, from, fromlen, check_id, &r);
  else if (rc == 0)
    rc = -ESRCH;
  if (rc == -ENOMSG)
    return rc;
  if (rc < 0) {
    ctx->strays++;
    return rc;
  }
  struct icmp_target *t = &ctx->t[e.target];
  uint64_t sent = t->sent_ns[r];
  if (t->answered[r]) {
    t->dup++;
    return -EALREADY;
  }
  if (now_ns < sent || now_ns - sent > ctx->timeout_ns) {
    t->late++;
    return -ETIME;
  }
  t->answered[r] = 1;
  hl_icmp_stats_add(&t->st, (double)(now_ns - sent) / 1e6);
  if (ctx->outstanding > 0)
    ctx->outstanding--;
  return 0;
}

void hl_icmp_result(const struct hl_icmp *ctx, size_t ti,
                    struct hl_icmp_result *r) {
  const struct icmp_target *t = &ctx->t[ti];
  memset(r, 0, sizeof(*r));
  r->error = t->error;
  r->send_error = t->error == 0 && t->send_ok == 0 ? t->send_error : 0;
  r->sent = t->sent;
  r->duplicates = t->dup;
  r->late = t->late;
  hl_icmp_stats_result(&t->st, t->sent, r);
}

enum hl_icmp_kind hl_icmp_kind(const struct hl_icmp *ctx, int family) {
  if (family == AF_INET)
    return ctx->kind4;
  return family == AF_INET6 ? ctx->kind6 : HL_ICMP_NONE;
}

const char *hl_icmp_kind_name(enum hl_icmp_kind kind) {
  switch (kind) {
  case HL_ICMP_DGRAM:
    return "dgram";
  case HL_ICMP_RAW:
    return "raw";
  default:
    return "none";
  }
}

unsigned hl_icmp_strays(const struct hl_icmp *ctx) { return ctx->strays; }

/* ---- sockets and the poll loop ------------------------------------------- */

static uint64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Raw sockets see all ICMP traffic: let only echo replies through. */
static void raw_filter(int fd, int family) {
  if (family == AF_INET) {
    struct icmp_filter f = {.data = ~(1u << ECHO4_REPLY)};
    (void)setsockopt(fd, SOL_RAW, ICMP_FILTER, &f, sizeof(f));
    return;
  }
  struct icmp6_filter f;
  ICMP6_FILTER_SETBLOCKALL(&f);
  ICMP6_FILTER_SETPASS(ECHO6_REPLY, &f);
  (void)setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f));
}

/* Datagram socket if ping_group_range allows, else raw; fd or -errno. */
static int icmp_open(int family, enum hl_icmp_kind *kind) {
  int proto = family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
  int flags = SOCK_NONBLOCK | SOCK_CLOEXEC;
  int fd = socket(family, SOCK_DGRAM | flags, proto);
  if (fd >= 0) {
    *kind = HL_ICMP_DGRAM;
    return fd;
  }
  int e_dgram = errno;
  fd = socket(family, SOCK_RAW | flags, proto);
  if (fd >= 0) {
    *kind = HL_ICMP_RAW;
    raw_filter(fd, family);
    return fd;
  }
  int e_raw = errno;
  if (e_dgram == EAFNOSUPPORT && e_raw == EAFNOSUPPORT)
    return -EAFNOSUPPORT;
  return e_raw == EACCES ? -EPERM : -e_raw;
}

static void open_error(int family, int rc, char *err, size_t errlen) {
  if (err == NULL || errlen == 0)
    return;
  const char *fam = family == AF_INET ? "IPv4" : "IPv6";
  size_t used = strlen(err);
  if (used >= errlen)
    return;
  const char *sep = used > 0 ? "; " : "";
  if (rc == -EPERM)
    snprintf(err + used, errlen - used,
             "%s%s ICMP socket: need CAP_NET_RAW or "
             "net.ipv4.ping_group_range covering gid %u",
             sep, fam, (unsigned)getegid());
  else {
    char ebuf[128];
    snprintf(err + used, errlen - used, "%s%s ICMP socket: %s", sep, fam,
             strerror_r(-rc, ebuf, sizeof(ebuf)));
  }
}

/* Open one socket per family some target uses; fds[0] v4, fds[1] v6. */
static int open_sockets(struct hl_icmp *ctx, int fds[2], char *err,
                        size_t errlen) {
  bool need[2] = {false, false};
  for (size_t i = 0; i < ctx->n; i++)
    need[ctx->t[i].family == AF_INET6] = true;
  int last = -EINVAL;
  int opened = 0;
  for (int f = 0; f < 2; f++) {
    enum hl_icmp_kind kind = HL_ICMP_NONE;
    int family = f == 0 ? AF_INET : AF_INET6;
    fds[f] = need[f] ? icmp_open(family, &kind) : -1;
    if (need[f] && fds[f] < 0) {
      last = fds[f];
      open_error(family, last, err, errlen);
      for (size_t i = 0; i < ctx->n; i++)
        if (ctx->t[i].family == family)
          ctx->t[i].error = last;
      fds[f] = -1;
    }
    opened += fds[f] >= 0;
    *(f == 0 ? &ctx->kind4 : &ctx->kind6) = kind;
  }
  return opened > 0 ? 0 : last;
}

static void send_round(struct hl_icmp *ctx, const int fds[2], unsigned round) {
  for (size_t i = 0; i < ctx->n; i++) {
    struct icmp_target *t = &ctx->t[i];
    int fd = fds[t->family == AF_INET6];
    if (fd < 0)
      continue;
    uint8_t pkt[HL_ICMP_PACKET_LEN];
    int len = hl_icmp_prepare_echo(ctx, i, round, mono_ns(), pkt, sizeof(pkt));
    if (len < 0)
      continue;
    ssize_t n = sendto(fd, pkt, (size_t)len, 0,
                       (const struct sockaddr *)&t->addr, t->addrlen);
    if (n == len) {
      t->send_ok++;
      ctx->outstanding++;
    } else {
      t->sent_ns[round] = 0; /* cannot be answered */
      t->send_error = n < 0 ? -errno : -EIO;
    }
  }
}

static void drain(struct hl_icmp *ctx, int fd, bool raw, bool v4) {
  for (;;) {
    uint8_t buf[2048];
    struct sockaddr_storage from = {0};
    socklen_t fromlen = sizeof(from);
    ssize_t n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
                         (struct sockaddr *)&from, &fromlen);
    if (n < 0)
      return; /* EAGAIN, or an error queued for an echo: ignore */
    (void)hl_icmp_accept(ctx, (struct sockaddr *)&from, fromlen, raw && v4, raw,
                         buf, (size_t)n, mono_ns());
  }
}

static void run_ids(uint64_t *cookie, uint16_t *ident, uint16_t *seq) {
  uint8_t r[12];
  if (getrandom(r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
    uint64_t x = mono_ns() ^ ((uint64_t)getpid() << 32);
    for (size_t i = 0; i < sizeof(r); i++, x = x * 6364136223846793005u + 1)
      r[i] = (uint8_t)(x >> 56);
  }
  *cookie = get_be(r, 8);
  *ident = (uint16_t)get_be(r + 8, 2);
  *seq = (uint16_t)get_be(r + 10, 2);
}

/* The poll loop: rounds every @spacing_ns, then wait until all answered
 * or @timeout_ns after the last send. */
static void run_loop(struct hl_icmp *ctx, const int fds[2], uint64_t spacing_ns,
                     uint64_t timeout_ns) {
  struct pollfd pfd[2];
  nfds_t np = 0;
  bool raw[2];
  for (int f = 0; f < 2; f++)
    if (fds[f] >= 0) {
      raw[np] = (f == 0 ? ctx->kind4 : ctx->kind6) == HL_ICMP_RAW;
      pfd[np++] = (struct pollfd){.fd = fds[f], .events = POLLIN};
    }
  uint64_t start = mono_ns();
  uint64_t end = UINT64_MAX;
  unsigned next = 0;
  for (;;) {
    uint64_t now = mono_ns();
    while (next < ctx->count && now >= start + next * spacing_ns) {
      send_round(ctx, fds, next++);
      now = mono_ns();
      if (next == ctx->count)
        end = now + timeout_ns;
    }
    if (next == ctx->count && (ctx->outstanding == 0 || now >= end))
      return;
    uint64_t wake = next < ctx->count ? start + next * spacing_ns : end;
    uint64_t wait_ms = (wake - now + 999999u) / 1000000u;
    if (poll(pfd, np, (int)(wait_ms > 60000 ? 60000 : wait_ms)) <= 0)
      continue;
    for (nfds_t i = 0; i < np; i++)
      if (pfd[i].revents & (POLLIN | POLLERR))
        drain(ctx, pfd[i].fd, raw[i], pfd[i].fd == fds[0]);
  }
}

int hl_icmp_run(struct hl_icmp *ctx, unsigned count, unsigned spacing_ms,
                unsigned timeout_ms, struct hl_icmp_result *results, char *err,
                size_t errlen) {
  if (err != NULL && errlen > 0)
    err[0] = '\0';
  uint64_t cookie = 0;
  uint16_t ident = 0, seq = 0;
  run_ids(&cookie, &ident, &seq);
  int rc = hl_icmp_begin(ctx, count, timeout_ms, cookie, ident, seq);
  if (rc < 0)
    return rc;
  ctx->kind4 = ctx->kind6 = HL_ICMP_NONE;
  int fds[2] = {-1, -1};
  rc = open_sockets(ctx, fds, err, errlen);
  if (rc == 0)
    run_loop(ctx, fds, (uint64_t)spacing_ms * 1000000u,
             (uint64_t)timeout_ms * 1000000u);
  for (int f = 0; f < 2; f++)
    if (fds[f] >= 0)
      close(fds[f]);
  for (size_t i = 0; i < ctx->n; i++)
    hl_icmp_result(ctx, i, &results[i]);
  return rc;
}

/* ---- name resolution with a deadline ------------------------------------- */

struct resolve_job {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int refs;
  bool done;
  int family;
  int rc;
  struct sockaddr_storage addr;
  socklen_t addrlen;
  char name[];
};

static void job_unref(struct resolve_job *job) {
  pthread_mutex_lock(&job->mu);
  bool last = --job->refs == 0;
  pthread_mutex_unlock(&job->mu);
  if (!last)
    return;
  pthread_cond_destroy(&job->cv);
  pthread_mutex_destroy(&job->mu);
  free(job);
}

static int gai_errno(int gai) {
  switch (gai) {
  case 0:
    return 0;
  case EAI_NONAME:
  case EAI_NODATA:
  case EAI_ADDRFAMILY:
    return -ENOENT;
  case EAI_AGAIN:
    return -EAGAIN;
  case EAI_MEMORY:
    return -ENOMEM;
  case EAI_SYSTEM:
    return errno > 0 ? -errno : -EIO;
  default:
    return -EIO;
  }
}

/* getaddrinfo() into @out; @numeric_only never touches DNS. */
static int lookup(const char *name, int family, bool numeric_only,
                  struct sockaddr_storage *out, socklen_t *outlen) {
  struct addrinfo hints = {.ai_family = family, .ai_socktype = SOCK_DGRAM};
  if (numeric_only)
    hints.ai_flags = AI_NUMERICHOST;
  struct addrinfo *res = NULL;
  int rc = gai_errno(getaddrinfo(name, NULL, &hints, &res));
  if (rc < 0)
    return rc;
  rc = -ENOENT;
  for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
    if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
        ai->ai_addrlen > sizeof(*out))
      continue;
    memset(out, 0, sizeof(*out));
    memcpy(out, ai->ai_addr, ai->ai_addrlen);
    *outlen = ai->ai_addrlen;
    rc = 0;
    break;
  }
  freeaddrinfo(res);
  return rc;
}

static void *resolve_thread(void *arg) {
  struct resolve_job *job = arg;
  struct sockaddr_storage addr;
  socklen_t addrlen = 0;
  int rc = lookup(job->name, job->family, false, &addr, &addrlen);
  pthread_mutex_lock(&job->mu);
  job->rc = rc;
  job->addr = addr;
  job->addrlen = addrlen;
  job->done = true;
  pthread_cond_signal(&job->cv);
  pthread_mutex_unlock(&job->mu);
  job_unref(job);
  return NULL;
}

static struct resolve_job *job_new(const char *name, int family) {
  size_t len = strlen(name);
  struct resolve_job *job = calloc(1, sizeof(*job) + len + 1);
  if (job == NULL)
    return NULL;
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&job->cv, &ca);
  pthread_condattr_destroy(&ca);
  pthread_mutex_init(&job->mu, NULL);
  job->refs = 2;
  job->family = family;
  memcpy(job->name, name, len + 1);
  return job;
}

/* Start the helper thread detached, with all signals blocked in it. */
static int job_start(struct resolve_job *job) {
  pthread_attr_t attr;
  if (pthread_attr_init(&attr) != 0)
    return -EAGAIN;
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_t tid;
  int rc = pthread_create(&tid, &attr, resolve_thread, job);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_attr_destroy(&attr);
  return rc == 0 ? 0 : -rc;
}

int hl_icmp_resolve(const char *name, int family, unsigned timeout_ms,
                    struct sockaddr_storage *out, socklen_t *outlen) {
  if (name == NULL || name[0] == '\0' ||
      (family != AF_UNSPEC && family != AF_INET && family != AF_INET6))
    return -EINVAL;
  if (lookup(name, family, true, out, outlen) == 0)
    return 0;
  struct resolve_job *job = job_new(name, family);
  if (job == NULL)
    return -ENOMEM;
  int rc = job_start(job);
  if (rc < 0) {
    job->refs = 1;
    job_unref(job);
    return rc;
  }
  struct timespec dl;
  clock_gettime(CLOCK_MONOTONIC, &dl);
  uint64_t ns = (uint64_t)dl.tv_nsec + (uint64_t)timeout_ms * 1000000u;
  dl.tv_sec += (time_t)(ns / 1000000000u);
  dl.tv_nsec = (long)(ns % 1000000000u);
  pthread_mutex_lock(&job->mu);
  int w = 0;
  while (!job->done && w != ETIMEDOUT)
    w = pthread_cond_timedwait(&job->cv, &job->mu, &dl);
  rc = job->done ? job->rc : -ETIMEDOUT;
  if (rc == 0) {
    *out = job->addr;
    *outlen = job->addrlen;
  }
  pthread_mutex_unlock(&job->mu);
  job_unref(job);
  return rc;
}
