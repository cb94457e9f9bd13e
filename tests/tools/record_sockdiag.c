// SPDX-License-Identifier: MIT
/*
 * record_sockdiag: capture real NETLINK_SOCK_DIAG dump bytes and the
 * matching /proc/net/{tcp,tcp6,udp,udp6} files as fixtures for
 * tests/unit/check_hl_sockdiag.c. Not built by the Makefile.
 *
 * With --setup it first opens a fixed set of sockets (TCP listeners on
 * loopback/wildcard/v4-mapped addresses, one created under uid 65534, one
 * with a connection waiting in its accept queue, UDP sockets bound, bound to
 * a device, connected, and one with a datagram queued) and prints their
 * expected records (proto, family, port, inode, uid) to stdout. It then
 * writes into OUTDIR:
 *   nl_tcp4.bin nl_tcp6.bin nl_udp4.bin nl_udp6.bin  dumps as hl_sockdiag
 *       sends them (TCP: 1<<TCP_LISTEN, UDP: 1<<TCP_CLOSE);
 *   nl_tcp4_all.bin nl_udp4_all.bin  the same with every state requested;
 *   nl_done_enoent.bin  the answer to an unknown protocol (200): since the
 *       dump has started, the kernel reports -ENOENT in an NLMSG_DONE;
 *   nl_error.bin  the NLMSG_ERROR (-EINVAL) for an invalid family (200);
 *   net/tcp net/tcp6 net/udp net/udp6  copies of /proc/net.
 * Each .bin file holds every datagram of one dump back to back (each
 * datagram is a run of whole netlink messages, so the file parses as one
 * buffer); the datagram sizes go to stderr.
 *
 * Build and run (as root, in a private network namespace so that only the
 * fixture sockets show up):
 *   gcc -std=gnu11 -Wall -Wextra -o /tmp/record_sockdiag \
 *       tests/tools/record_sockdiag.c
 *   unshare -n sh -c 'ip link set lo up &&
 *       /tmp/record_sockdiag --setup tests/fixtures/sockdiag/real'
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define RECV_BUF 65536

/* One socket of the --setup set. */
struct spec {
  const char *name;
  int type;   /* SOCK_STREAM or SOCK_DGRAM */
  int family; /* AF_INET or AF_INET6 */
  const char *addr;
  uint16_t port;
  int backlog;     /* TCP: listen() backlog */
  int v6only;      /* AF_INET6: IPV6_V6ONLY value */
  uid_t uid;       /* create the socket with this euid (0: as root) */
  const char *dev; /* SO_BINDTODEVICE, or NULL */
};

static const struct spec specs[] = {
    {"tcp_lo4", SOCK_STREAM, AF_INET, "127.0.0.1", 8080, 16, 0, 0, NULL},
    {"tcp_any4", SOCK_STREAM, AF_INET, "0.0.0.0", 22, 128, 0, 0, NULL},
    {"tcp_lo6", SOCK_STREAM, AF_INET6, "::1", 8443, 4, 1, 0, NULL},
    {"tcp_any6_dual", SOCK_STREAM, AF_INET6, "::", 80, 511, 0, 0, NULL},
    {"tcp_mapped", SOCK_STREAM, AF_INET6, "::ffff:127.0.0.1", 8081, 8, 0, 0,
     NULL},
    {"tcp_queued", SOCK_STREAM, AF_INET, "127.0.0.1", 9000, 3, 0, 0, NULL},
    {"tcp_nobody", SOCK_STREAM, AF_INET, "127.0.0.1", 3306, 50, 0, 65534, NULL},
    {"udp_lo4", SOCK_DGRAM, AF_INET, "127.0.0.1", 5353, 0, 0, 0, NULL},
    {"udp_any6", SOCK_DGRAM, AF_INET6, "::", 53, 0, 1, 0, NULL},
    {"udp_mapped", SOCK_DGRAM, AF_INET6, "::ffff:127.0.0.1", 6000, 0, 0, 0,
     NULL},
    {"udp_dev", SOCK_DGRAM, AF_INET, "0.0.0.0", 67, 0, 0, 0, "lo"},
    {"udp_conn", SOCK_DGRAM, AF_INET, "127.0.0.1", 7000, 0, 0, 0, NULL},
};

static int fill_addr(const struct spec *s, struct sockaddr_storage *ss,
                     socklen_t *len) {
  memset(ss, 0, sizeof(*ss));
  if (s->family == AF_INET) {
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons(s->port);
    *len = sizeof(*a);
    return inet_pton(AF_INET, s->addr, &a->sin_addr) == 1 ? 0 : -1;
  }
  struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
  a->sin6_family = AF_INET6;
  a->sin6_port = htons(s->port);
  *len = sizeof(*a);
  return inet_pton(AF_INET6, s->addr, &a->sin6_addr) == 1 ? 0 : -1;
}

static int make_socket(const struct spec *s) {
  if (s->uid != 0 && seteuid(s->uid) != 0)
    return -1;
  int fd = socket(s->family, s->type | SOCK_CLOEXEC, 0);
  if (s->uid != 0 && seteuid(0) != 0)
    return -1;
  if (fd < 0)
    return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (s->family == AF_INET6)
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &s->v6only, sizeof(s->v6only));
  if (s->dev != NULL && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, s->dev,
                                   (socklen_t)strlen(s->dev)) != 0)
    return -1;
  struct sockaddr_storage ss;
  socklen_t len = 0;
  if (fill_addr(s, &ss, &len) != 0 ||
      bind(fd, (struct sockaddr *)&ss, len) != 0)
    return -1;
  if (s->type == SOCK_STREAM && listen(fd, s->backlog) != 0)
    return -1;
  return fd;
}

/* Connects to @port on 127.0.0.1 (TCP or UDP); returns the fd. */
static int connect_lo(int fd, uint16_t port) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return connect(fd, (struct sockaddr *)&a, sizeof(a));
}

static void print_expected(const struct spec *s, int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0)
    return;
  uid_t uid = s->uid;
  printf("%-14s %s %-5s %-18s %5u inode %lu uid %u\n", s->name,
         s->type == SOCK_STREAM ? "tcp" : "udp",
         s->family == AF_INET ? "ipv4" : "ipv6", s->addr, s->port,
         (unsigned long)st.st_ino, (unsigned)uid);
}

/* Opens the spec sockets plus a pending connection and a queued datagram. */
static int setup(void) {
  int fds[sizeof(specs) / sizeof(specs[0])];
  for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
    fds[i] = make_socket(&specs[i]);
    if (fds[i] < 0) {
      fprintf(stderr, "setup %s: %s\n", specs[i].name, strerror(errno));
      return -1;
    }
    print_expected(&specs[i], fds[i]);
  }
  /* tcp_queued: one connection completes the handshake, never accepted. */
  int cli = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (cli < 0 || connect_lo(cli, 9000) != 0)
    return -1;
  /* udp_conn is connected to udp_lo4 and leaves a datagram in its queue. */
  int uc = fds[sizeof(specs) / sizeof(specs[0]) - 1];
  if (connect_lo(uc, 5353) != 0 || send(uc, "ping", 4, 0) != 4)
    return -1;
  usleep(100 * 1000);
  return 0; /* the fds stay open until the process exits */
}

static bool dump_finished(const uint8_t *buf, size_t len) {
  size_t off = 0;
  while (off + sizeof(struct nlmsghdr) <= len) {
    struct nlmsghdr h;
    memcpy(&h, buf + off, sizeof(h));
    if (h.nlmsg_type == NLMSG_DONE || h.nlmsg_type == NLMSG_ERROR)
      return true;
    if (h.nlmsg_len < sizeof(h))
      return true;
    off += NLMSG_ALIGN(h.nlmsg_len);
  }
  return false;
}

static int send_request(int nl, int family, int proto, uint32_t states,
                        uint32_t seq) {
  struct {
    struct nlmsghdr nlh;
    struct inet_diag_req_v2 r;
  } req;
  memset(&req, 0, sizeof(req));
  req.nlh.nlmsg_len = sizeof(req);
  req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.nlh.nlmsg_seq = seq;
  req.r.sdiag_family = (uint8_t)family;
  req.r.sdiag_protocol = (uint8_t)proto;
  req.r.idiag_states = states;
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  ssize_t n = sendto(nl, &req, sizeof(req), 0, (struct sockaddr *)&kernel,
                     sizeof(kernel));
  return n == (ssize_t)sizeof(req) ? 0 : -1;
}

/* Sends one dump request and writes every reply datagram to @path. */
static int record(const char *dir, const char *name, int family, int proto,
                  uint32_t states, uint32_t seq) {
  char path[4096];
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  FILE *f = fopen(path, "wb");
  uint8_t *buf = malloc(RECV_BUF);
  int rc = (nl < 0 || f == NULL || buf == NULL) ? -1 : 0;
  if (rc == 0)
    rc = send_request(nl, family, proto, states, seq);
  fprintf(stderr, "%s:", name);
  bool done = false;
  while (rc == 0 && !done) {
    ssize_t n = recv(nl, buf, RECV_BUF, MSG_TRUNC);
    if (n <= 0 || n > RECV_BUF) {
      rc = -1;
      break;
    }
    fprintf(stderr, " %zd", n);
    if (fwrite(buf, 1, (size_t)n, f) != (size_t)n)
      rc = -1;
    done = dump_finished(buf, (size_t)n);
  }
  fprintf(stderr, "\n");
  free(buf);
  if (f != NULL && fclose(f) != 0)
    rc = -1;
  if (nl >= 0)
    close(nl);
  return rc;
}

static int copy_file(const char *from, const char *to) {
  FILE *in = fopen(from, "rb");
  FILE *out = fopen(to, "wb");
  int rc = (in == NULL || out == NULL) ? -1 : 0;
  char chunk[4096];
  size_t n = 0;
  while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), in)) > 0)
    if (fwrite(chunk, 1, n, out) != n)
      rc = -1;
  if (in != NULL)
    fclose(in);
  if (out != NULL && fclose(out) != 0)
    rc = -1;
  return rc;
}

static int copy_procnet(const char *dir) {
  static const char *const names[] = {"tcp", "tcp6", "udp", "udp6"};
  char path[4096];
  snprintf(path, sizeof(path), "%s/net", dir);
  if (mkdir(path, 0755) != 0 && errno != EEXIST)
    return -1;
  for (size_t i = 0; i < 4; i++) {
    char from[64];
    snprintf(from, sizeof(from), "/proc/net/%s", names[i]);
    snprintf(path, sizeof(path), "%s/net/%s", dir, names[i]);
    if (copy_file(from, path) != 0)
      return -1;
  }
  return 0;
}

int main(int argc, char **argv) {
  bool do_setup = argc == 3 && strcmp(argv[1], "--setup") == 0;
  if (argc != 2 && !do_setup) {
    fprintf(stderr, "usage: record_sockdiag [--setup] OUTDIR\n");
    return 2;
  }
  const char *dir = argv[argc - 1];
  if (do_setup && setup() != 0) {
    fprintf(stderr, "setup failed: %s\n", strerror(errno));
    return 1;
  }
  const uint32_t listen = 1u << TCP_LISTEN, close_ = 1u << TCP_CLOSE;
  int rc = record(dir, "nl_tcp4.bin", AF_INET, IPPROTO_TCP, listen, 1);
  rc |= record(dir, "nl_tcp6.bin", AF_INET6, IPPROTO_TCP, listen, 2);
  rc |= record(dir, "nl_udp4.bin", AF_INET, IPPROTO_UDP, close_, 3);
  rc |= record(dir, "nl_udp6.bin", AF_INET6, IPPROTO_UDP, close_, 4);
  rc |= record(dir, "nl_tcp4_all.bin", AF_INET, IPPROTO_TCP, ~0u, 5);
  rc |= record(dir, "nl_udp4_all.bin", AF_INET, IPPROTO_UDP, ~0u, 6);
  rc |= record(dir, "nl_done_enoent.bin", AF_INET, 200, ~0u, 7);
  rc |= record(dir, "nl_error.bin", 200, IPPROTO_TCP, ~0u, 8);
  rc |= copy_procnet(dir);
  return rc == 0 ? 0 : 1;
}
