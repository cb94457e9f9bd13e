// SPDX-License-Identifier: MIT
/*
 * hl_sockdiag: the listening sockets of this network namespace.
 *
 * Netlink path: hl_sockdiag_collect() opens one NETLINK_SOCK_DIAG socket
 * (receive timeout 2 s) and, for each selected (protocol, family) pair, sends
 * one SOCK_DIAG_BY_FAMILY dump request (inet_diag_req_v2, states
 * 1<<TCP_LISTEN for TCP and 1<<TCP_CLOSE for UDP), then receives datagrams
 * into a 32 KiB buffer (the kernel never builds a dump datagram larger than
 * that) and hands each one to the pure decoder until NLMSG_DONE. Replies
 * with another sequence number are ignored; an NLMSG_ERROR, or an NLMSG_DONE
 * carrying an error (what the kernel sends for an unknown protocol once the
 * dump has started), ends the collection with that error.
 *
 * Procfs path: hl_procnet_collect() streams <proc_root>/net/{tcp,tcp6,udp,
 * udp6} through a 64 KiB window (the files list every socket, not only
 * listeners, so they can be large) and feeds complete lines to the pure line
 * parser. The kernel prints each address word with %08X of the network-order
 * value, so a word is parsed as a host-order uint32 and copied as is.
 *
 * Both paths append the same struct hl_sock records; on failure they leave
 * the caller's list as it was. No globals, no logging.
 */
#include "hl_sockdiag.h"
#include "hl_str.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define SD_RECV_BUF 32768u /* netlink caps dump datagrams below 32 KiB */
#define SD_TIMEOUT_SEC 2   /* receive timeout of the netlink socket */
#define PN_CHUNK 65536u    /* /proc/net read window */
#define PN_TOKENS 10       /* sl local rem st tx:rx tr:when retr uid to ino */
#define ERRNO_MAX 4095     /* largest errno a kernel message may carry */

/* ---- the list ----------------------------------------------------------- */

int hl_socks_push(struct hl_socks *list, const struct hl_sock *s) {
  if (list->n == list->cap) {
    size_t cap = list->cap != 0 ? list->cap * 2 : 64;
    if (cap < list->cap || cap > SIZE_MAX / sizeof(*list->v))
      return -ENOMEM;
    struct hl_sock *v = realloc(list->v, cap * sizeof(*v));
    if (v == NULL)
      return -ENOMEM;
    list->v = v;
    list->cap = cap;
  }
  list->v[list->n++] = *s;
  return 0;
}

void hl_socks_free(struct hl_socks *list) {
  free(list->v);
  *list = (struct hl_socks){0};
}

/* ---- address helpers ---------------------------------------------------- */

static const uint8_t v4mapped_prefix[12] = {0, 0, 0, 0, 0,    0,
                                            0, 0, 0, 0, 0xff, 0xff};
static const uint8_t zeros[16];

static bool is_v4mapped(const uint8_t a[16]) {
  return memcmp(a, v4mapped_prefix, sizeof(v4mapped_prefix)) == 0;
}

const char *hl_sock_addr_str(const struct hl_sock *s, char *buf, size_t len) {
  if (len == 0)
    return buf;
  socklen_t n = len > 256 ? 256 : (socklen_t)len;
  bool known = s->family == AF_INET || s->family == AF_INET6;
  if (!known || inet_ntop(s->family, s->addr, buf, n) == NULL)
    buf[0] = '\0';
  return buf;
}

bool hl_sock_is_wildcard(const struct hl_sock *s) {
  if (s->family == AF_INET)
    return memcmp(s->addr, zeros, 4) == 0;
  if (s->family != AF_INET6)
    return false;
  /* ::ffff:0.0.0.0 binds the IPv4 wildcard through an IPv6 socket. */
  return memcmp(s->addr, zeros, 16) == 0 ||
         (is_v4mapped(s->addr) && memcmp(s->addr + 12, zeros, 4) == 0);
}

bool hl_sock_is_loopback(const struct hl_sock *s) {
  if (s->family == AF_INET)
    return s->addr[0] == 127;
  if (s->family != AF_INET6)
    return false;
  if (is_v4mapped(s->addr))
    return s->addr[12] == 127;
  return memcmp(s->addr, zeros, 15) == 0 && s->addr[15] == 1;
}

/* ---- netlink decoding (pure) -------------------------------------------- */

/* A kernel errno carried in a message: negative and in range, or -EPROTO. */
static int kernel_errno(int e) {
  return (e < 0 && e >= -ERRNO_MAX) ? e : -EPROTO;
}

static int decode_error(const uint8_t *msg, uint32_t len) {
  if (len < NLMSG_LENGTH(sizeof(int)))
    return -EPROTO;
  int e = 0;
  memcpy(&e, msg + NLMSG_HDRLEN, sizeof(e));
  return e == 0 ? 0 : kernel_errno(e); /* 0 is an ACK: nothing to report */
}

static int decode_done(const uint8_t *msg, uint32_t len, bool *done) {
  *done = true;
  if (len < NLMSG_LENGTH(sizeof(int)))
    return 0; /* an empty NLMSG_DONE is fine */
  int e = 0;
  memcpy(&e, msg + NLMSG_HDRLEN, sizeof(e));
  return e == 0 ? 0 : kernel_errno(e);
}

static int decode_diag(const uint8_t *msg, uint32_t len, int proto,
                       struct hl_socks *out) {
  if (len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
    return -EPROTO;
  struct inet_diag_msg m;
  memcpy(&m, msg + NLMSG_HDRLEN, sizeof(m));
  if (m.idiag_family != AF_INET && m.idiag_family != AF_INET6)
    return -EPROTO;
  int keep = proto == IPPROTO_TCP ? TCP_LISTEN : TCP_CLOSE;
  if (m.idiag_state != keep)
    return 0;
  struct hl_sock s = {
      .proto = (uint8_t)proto,
      .family = m.idiag_family,
      .port = ntohs(m.id.idiag_sport),
      .inode = m.idiag_inode,
      .uid = m.idiag_uid,
      .ifindex = m.id.idiag_if,
      .backlog = proto == IPPROTO_TCP ? m.idiag_wqueue : 0,
      .queue = m.idiag_rqueue,
  };
  memcpy(s.addr, m.id.idiag_src, m.idiag_family == AF_INET ? 4 : 16);
  return hl_socks_push(out, &s);
}

static int decode_one(const uint8_t *msg, const struct nlmsghdr *h, int proto,
                      struct hl_socks *out, bool *done) {
  switch (h->nlmsg_type) {
  case NLMSG_DONE:
    return decode_done(msg, h->nlmsg_len, done);
  case NLMSG_ERROR:
    return decode_error(msg, h->nlmsg_len);
  case SOCK_DIAG_BY_FAMILY:
    return decode_diag(msg, h->nlmsg_len, proto, out);
  default:
    return 0; /* NLMSG_NOOP and anything newer: skip */
  }
}

/*
 * Walks the messages of one datagram. With @seq set, messages of another
 * sequence number (a stale reply) are skipped.
 */
static int diag_parse(const void *buf, size_t len, int proto,
                      const uint32_t *seq, struct hl_socks *out, bool *done) {
  *done = false;
  if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
    return -EINVAL;
  const uint8_t *p = buf;
  size_t off = 0;
  while (off < len) {
    size_t rem = len - off;
    struct nlmsghdr h;
    if (rem < sizeof(h))
      return -EPROTO;
    memcpy(&h, p + off, sizeof(h));
    if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > rem)
      return -EPROTO;
    if (seq == NULL || h.nlmsg_seq == *seq) {
      int rc = decode_one(p + off, &h, proto, out, done);
      if (rc != 0 || *done)
        return rc;
    }
    /* The last message may lack its padding: off then passes len by at
     * most 3 and the loop ends. */
    off += ((size_t)h.nlmsg_len + NLMSG_ALIGNTO - 1) &
           ~(size_t)(NLMSG_ALIGNTO - 1);
  }
  return 0;
}

int hl_sockdiag_parse(const void *buf, size_t len, int proto,
                      struct hl_socks *out, bool *done) {
  return diag_parse(buf, len, proto, NULL, out, done);
}

/* ---- netlink I/O -------------------------------------------------------- */

struct sd_job {
  unsigned bits; /* HL_SD_* proto bit | family bit */
  uint8_t proto;
  uint8_t family;
  const char *name;
};

static const struct sd_job sd_jobs[] = {
    {HL_SD_TCP | HL_SD_V4, IPPROTO_TCP, AF_INET, "tcp"},
    {HL_SD_TCP | HL_SD_V6, IPPROTO_TCP, AF_INET6, "tcp6"},
    {HL_SD_UDP | HL_SD_V4, IPPROTO_UDP, AF_INET, "udp"},
    {HL_SD_UDP | HL_SD_V6, IPPROTO_UDP, AF_INET6, "udp6"},
};

__attribute__((format(printf, 3, 4))) static void
set_err(char *err, size_t errlen, const char *fmt, ...) {
  if (err == NULL || errlen == 0)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

/* strerror() for a negative errno, thread-safe (GNU strerror_r). */
static const char *errstr(int rc, char *buf, size_t len) {
  return strerror_r(-rc, buf, len);
}

static int diag_send(int fd, const struct sd_job *j, uint32_t seq) {
  struct {
    struct nlmsghdr nlh;
    struct inet_diag_req_v2 req;
  } msg;
  memset(&msg, 0, sizeof(msg));
  msg.nlh.nlmsg_len = sizeof(msg);
  msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  msg.nlh.nlmsg_seq = seq;
  msg.req.sdiag_family = j->family;
  msg.req.sdiag_protocol = j->proto;
  msg.req.idiag_states =
      j->proto == IPPROTO_TCP ? 1u << TCP_LISTEN : 1u << TCP_CLOSE;
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  for (;;) {
    ssize_t n = sendto(fd, &msg, sizeof(msg), 0, (struct sockaddr *)&kernel,
                       sizeof(kernel));
    if (n >= 0)
      return (size_t)n == sizeof(msg) ? 0 : -EIO;
    if (errno != EINTR)
      return -errno;
  }
}

/* One datagram from the kernel: its length, or a negative errno. */
static ssize_t diag_recv(int fd, uint8_t *buf, size_t cap) {
  for (;;) {
    struct sockaddr_nl from = {0};
    struct iovec iov = {.iov_base = buf, .iov_len = cap};
    struct msghdr mh = {.msg_name = &from,
                        .msg_namelen = sizeof(from),
                        .msg_iov = &iov,
                        .msg_iovlen = 1};
    ssize_t n = recvmsg(fd, &mh, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return (errno == EAGAIN || errno == EWOULDBLOCK) ? -ETIMEDOUT : -errno;
    if (mh.msg_flags & MSG_TRUNC)
      return -EMSGSIZE;
    if (from.nl_pid != 0)
      continue; /* not from the kernel */
    return n;
  }
}

static int diag_dump(int fd, const struct sd_job *j, uint32_t seq, uint8_t *buf,
                     struct hl_socks *out, char *err, size_t errlen) {
  char tmp[128];
  int rc = diag_send(fd, j, seq);
  if (rc != 0) {
    set_err(err, errlen, "sock_diag %s: send: %s", j->name,
            errstr(rc, tmp, sizeof(tmp)));
    return rc;
  }
  bool done = false;
  while (!done) {
    ssize_t n = diag_recv(fd, buf, SD_RECV_BUF);
    if (n <= 0) {
      rc = n < 0 ? (int)n : -EPROTO;
      set_err(err, errlen, "sock_diag %s: receive: %s", j->name,
              errstr(rc, tmp, sizeof(tmp)));
      return rc;
    }
    rc = diag_parse(buf, (size_t)n, j->proto, &seq, out, &done);
    if (rc != 0) {
      set_err(err, errlen, "sock_diag %s: dump: %s", j->name,
              errstr(rc, tmp, sizeof(tmp)));
      return rc;
    }
  }
  return 0;
}

static int diag_open(char *err, size_t errlen) {
  char tmp[128];
  int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) {
    int rc = -errno;
    set_err(err, errlen, "socket(NETLINK_SOCK_DIAG): %s",
            errstr(rc, tmp, sizeof(tmp)));
    return rc;
  }
  struct timeval tv = {.tv_sec = SD_TIMEOUT_SEC};
  if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0) {
    int rc = -errno;
    set_err(err, errlen, "setsockopt(SO_RCVTIMEO): %s",
            errstr(rc, tmp, sizeof(tmp)));
    close(fd);
    return rc;
  }
  return fd;
}

int hl_sockdiag_collect(unsigned what, struct hl_socks *out, char *err,
                        size_t errlen) {
  set_err(err, errlen, "%s", "");
  size_t n0 = out->n;
  int fd = diag_open(err, errlen);
  if (fd < 0)
    return fd;
  uint8_t *buf = malloc(SD_RECV_BUF);
  int rc = buf != NULL ? 0 : -ENOMEM;
  if (rc != 0)
    set_err(err, errlen, "%s", "sock_diag: out of memory");
  uint32_t seq = 0;
  for (size_t i = 0; rc == 0 && i < sizeof(sd_jobs) / sizeof(sd_jobs[0]); i++) {
    const struct sd_job *j = &sd_jobs[i];
    if ((what & j->bits) == j->bits)
      rc = diag_dump(fd, j, ++seq, buf, out, err, errlen);
  }
  free(buf);
  close(fd);
  if (rc != 0)
    out->n = n0;
  return rc;
}

/* ---- /proc/net decoding (pure) ------------------------------------------ */

struct pn_ctx {
  int proto;
  int family;
  struct hl_socks *out;
  size_t shaped; /* header or socket lines */
  size_t other;  /* non-blank lines of another shape */
};

struct tok {
  const char *p;
  size_t n;
};

static bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static size_t split_tokens(const char *s, const char *end, struct tok *t,
                           size_t max) {
  size_t k = 0;
  while (k < max) {
    while (s < end && is_space(*s))
      s++;
    if (s >= end)
      break;
    const char *b = s;
    while (s < end && !is_space(*s))
      s++;
    t[k++] = (struct tok){b, (size_t)(s - b)};
  }
  return k;
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

/* 1 to 8 hex digits, exactly @n of them. */
static bool parse_hex32(const char *p, size_t n, uint32_t *out) {
  if (n == 0 || n > 8)
    return false;
  uint32_t v = 0;
  for (size_t i = 0; i < n; i++) {
    int d = hex_digit(p[i]);
    if (d < 0)
      return false;
    v = v << 4 | (uint32_t)d;
  }
  *out = v;
  return true;
}

/* "HEX:HEX" with 1-8 digits on each side (tx:rx, tr:when). */
static bool parse_hex_pair(const struct tok *t, uint32_t *a, uint32_t *b) {
  const char *colon = memchr(t->p, ':', t->n);
  if (colon == NULL)
    return false;
  size_t alen = (size_t)(colon - t->p);
  return parse_hex32(t->p, alen, a) &&
         parse_hex32(colon + 1, t->n - alen - 1, b);
}

/* "0100007F:1F90": 8 (IPv4) or 32 (IPv6) hex digits, ':', the port. */
static bool parse_endpoint(const struct tok *t, int family, uint8_t addr[16],
                           uint16_t *port) {
  const char *colon = memchr(t->p, ':', t->n);
  size_t words = family == AF_INET ? 1 : 4;
  if (colon == NULL || (size_t)(colon - t->p) != words * 8)
    return false;
  for (size_t w = 0; w < words; w++) {
    uint32_t v = 0;
    if (!parse_hex32(t->p + 8 * w, 8, &v))
      return false;
    memcpy(addr + 4 * w, &v, sizeof(v)); /* as the kernel printed it */
  }
  size_t plen = t->n - words * 8 - 1;
  uint32_t p = 0;
  if (plen > 4 || !parse_hex32(colon + 1, plen, &p))
    return false;
  *port = (uint16_t)p;
  return true;
}

static bool parse_dec(const struct tok *t, uint64_t max, uint64_t *out) {
  const char *p = t->p;
  uint64_t v = 0;
  if (hl_str_next_u64(&p, t->p + t->n, &v) != 0 || v > max)
    return false;
  *out = v;
  return true;
}

/* "12:" - the slot number. */
static bool is_slot(const struct tok *t) {
  if (t->n < 2 || t->p[t->n - 1] != ':')
    return false;
  for (size_t i = 0; i + 1 < t->n; i++)
    if (t->p[i] < '0' || t->p[i] > '9')
      return false;
  return true;
}

/* Decodes the tokens of a socket line; false if it has another shape. */
static bool pn_decode(const struct tok *t, int family, struct hl_sock *s,
                      uint32_t *state) {
  uint8_t rem_addr[16] = {0};
  uint16_t rem_port = 0;
  uint32_t tx = 0, rx = 0, tr = 0, when = 0;
  uint64_t uid = 0, inode = 0;
  if (!is_slot(&t[0]) || !parse_endpoint(&t[1], family, s->addr, &s->port) ||
      !parse_endpoint(&t[2], family, rem_addr, &rem_port) || t[3].n != 2 ||
      !parse_hex32(t[3].p, 2, state) || !parse_hex_pair(&t[4], &tx, &rx) ||
      !parse_hex_pair(&t[5], &tr, &when) ||
      !parse_dec(&t[7], UINT32_MAX, &uid) ||
      !parse_dec(&t[9], UINT64_MAX, &inode))
    return false;
  s->uid = (uint32_t)uid;
  s->inode = inode;
  s->queue = rx; /* TCP LISTEN: accept queue; UDP: receive queue bytes */
  return true;
}

static int pn_line(struct pn_ctx *c, const char *line, const char *end) {
  struct tok t[PN_TOKENS];
  size_t n = split_tokens(line, end, t, PN_TOKENS);
  if (n == 0)
    return 0; /* blank */
  if (t[0].n == 2 && memcmp(t[0].p, "sl", 2) == 0) {
    c->shaped++; /* the header */
    return 0;
  }
  struct hl_sock s = {.proto = (uint8_t)c->proto, .family = (uint8_t)c->family};
  uint32_t state = 0;
  if (n < PN_TOKENS || !pn_decode(t, c->family, &s, &state)) {
    c->other++;
    return 0;
  }
  c->shaped++;
  uint32_t keep = c->proto == IPPROTO_TCP ? TCP_LISTEN : TCP_CLOSE;
  return state == keep ? hl_socks_push(c->out, &s) : 0;
}

/* Parses every line of @buf, the last one may lack its newline. */
static int pn_lines(struct pn_ctx *c, const char *buf, size_t len) {
  const char *p = buf;
  const char *end = buf + len;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *eol = nl != NULL ? nl : end;
    int rc = pn_line(c, p, eol);
    if (rc != 0)
      return rc;
    p = nl != NULL ? nl + 1 : end;
  }
  return 0;
}

static int pn_verdict(const struct pn_ctx *c) {
  return (c->shaped == 0 && c->other > 0) ? -EPROTO : 0;
}

static bool pn_args_ok(int proto, int family) {
  return (proto == IPPROTO_TCP || proto == IPPROTO_UDP) &&
         (family == AF_INET || family == AF_INET6);
}

int hl_procnet_parse(const char *buf, size_t len, int proto, int family,
                     struct hl_socks *out) {
  if (!pn_args_ok(proto, family))
    return -EINVAL;
  struct pn_ctx c = {.proto = proto, .family = family, .out = out};
  size_t n0 = out->n;
  int rc = pn_lines(&c, buf, len);
  if (rc == 0)
    rc = pn_verdict(&c);
  if (rc != 0)
    out->n = n0;
  return rc;
}

/* ---- /proc/net I/O ------------------------------------------------------ */

/*
 * Feeds the complete lines held in @win[0..*have) to the parser and keeps
 * the unfinished tail. A line that fills the whole window is counted as
 * garbage and skipped up to its newline (*skip).
 */
static int pn_window(struct pn_ctx *c, char *win, size_t *have, bool *skip) {
  size_t start = 0;
  if (*skip) {
    const char *nl = memchr(win, '\n', *have);
    if (nl == NULL) {
      *have = 0;
      return 0;
    }
    start = (size_t)(nl - win) + 1;
    *skip = false;
  }
  const char *last = memrchr(win + start, '\n', *have - start);
  size_t used = last != NULL ? (size_t)(last - win) + 1 : start;
  int rc = pn_lines(c, win + start, used - start);
  memmove(win, win + used, *have - used);
  *have -= used;
  if (*have == PN_CHUNK) {
    c->other++;
    *have = 0;
    *skip = true;
  }
  return rc;
}

static int pn_stream(struct pn_ctx *c, int fd, char *win) {
  size_t have = 0;
  bool skip = false;
  for (;;) {
    ssize_t got = read(fd, win + have, PN_CHUNK - have);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0)
      return -errno;
    if (got == 0)
      break;
    have += (size_t)got;
    int rc = pn_window(c, win, &have, &skip);
    if (rc != 0)
      return rc;
  }
  int rc = skip ? 0 : pn_lines(c, win, have);
  return rc != 0 ? rc : pn_verdict(c);
}

static int pn_file(const char *proc_root, const char *name, int proto,
                   int family, struct hl_socks *out, char *win) {
  char path[4096];
  int len = snprintf(path, sizeof(path), "%s/net/%s", proc_root, name);
  if (len < 0 || (size_t)len >= sizeof(path))
    return -ENAMETOOLONG;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  struct pn_ctx c = {.proto = proto, .family = family, .out = out};
  int rc = pn_stream(&c, fd, win);
  close(fd);
  return rc;
}

int hl_procnet_collect(const char *proc_root, unsigned what,
                       struct hl_socks *out) {
  if (proc_root == NULL)
    return -EINVAL;
  char *win = malloc(PN_CHUNK);
  if (win == NULL)
    return -ENOMEM;
  size_t n0 = out->n;
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < sizeof(sd_jobs) / sizeof(sd_jobs[0]); i++) {
    const struct sd_job *j = &sd_jobs[i];
    if ((what & j->bits) != j->bits)
      continue;
    rc = pn_file(proc_root, j->name, j->proto, j->family, out, win);
    if (rc == -ENOENT && j->family == AF_INET6)
      rc = 0; /* kernel without IPv6 */
  }
  free(win);
  if (rc != 0)
    out->n = n0;
  return rc;
}

/* ---- both --------------------------------------------------------------- */

int hl_socks_collect(const char *proc_root, unsigned what, struct hl_socks *out,
                     enum hl_sd_method *method) {
  if (proc_root == NULL)
    return -EINVAL;
  if (strcmp(proc_root, "/proc") == 0 &&
      hl_sockdiag_collect(what, out, NULL, 0) == 0) {
    if (method != NULL)
      *method = HL_SD_NETLINK;
    return 0;
  }
  int rc = hl_procnet_collect(proc_root, what, out);
  if (rc == 0 && method != NULL)
    *method = HL_SD_PROCFS;
  return rc;
}

static int proto_rank(uint8_t proto) {
  return proto == IPPROTO_TCP ? 0 : proto == IPPROTO_UDP ? 1 : 2;
}

static int family_rank(uint8_t family) {
  return family == AF_INET ? 0 : family == AF_INET6 ? 1 : 2;
}

static int sock_cmp(const void *pa, const void *pb) {
  const struct hl_sock *a = pa;
  const struct hl_sock *b = pb;
  int d = proto_rank(a->proto) - proto_rank(b->proto);
  if (d == 0 && a->proto != b->proto)
    d = a->proto < b->proto ? -1 : 1;
  if (d == 0 && a->port != b->port)
    d = a->port < b->port ? -1 : 1;
  if (d == 0)
    d = family_rank(a->family) - family_rank(b->family);
  if (d == 0)
    d = memcmp(a->addr, b->addr, a->family == AF_INET ? 4 : 16);
  if (d == 0 && a->inode != b->inode)
    d = a->inode < b->inode ? -1 : 1; /* SO_REUSEPORT twins: stable order */
  return d;
}

void hl_socks_sort(struct hl_socks *list) {
  if (list->n > 1)
    qsort(list->v, list->n, sizeof(*list->v), sock_cmp);
}
