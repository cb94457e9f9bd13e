// SPDX-License-Identifier: MIT
/*
 * Unit tests for shared/hl_sockdiag.
 *
 * Fixtures (tests/fixtures/sockdiag/):
 *   real/  recorded by tests/tools/record_sockdiag.c in a private network
 *          namespace on the dev VM (kernel 6.18): sock_diag dumps
 *          (nl_{tcp4,tcp6,udp4,udp6}.bin as hl_sockdiag requests them,
 *          nl_{tcp4,udp4}_all.bin with every state, nl_error.bin an
 *          NLMSG_ERROR -EINVAL, nl_done_enoent.bin the NLMSG_DONE carrying
 *          -ENOENT that an unknown protocol gets) and the /proc/net files of
 *          the same moment, so both decoders must agree on them;
 *   host/  /proc/net of the dev VM; nov6/ a tree without tcp6/udp6;
 *          noudp/ one with only tcp (collection fails after appending);
 *   procnet/  hand-made edge cases (IPv4-mapped IPv6, odd whitespace,
 *          header-only, empty, garbage, half-valid lines, connected UDP).
 * Hand-built netlink messages cover malformed headers and payloads. Every
 * buffer is handed over in an exact-size heap block (hl_test_dup_exact) so
 * ASan reports any read past the length; every prefix of each recorded dump
 * is parsed. A live test opens loopback sockets and checks that the netlink
 * and the /proc/net paths both report them with the same inode, port and uid.
 */
#include "check_suites.h"
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------ */

/* Expected socket; backlog and ifindex are only checked for netlink. */
struct want {
  uint8_t proto;
  uint8_t family;
  const char *addr;
  uint16_t port;
  uint64_t inode;
  uint32_t uid;
  uint32_t ifindex;
  uint32_t backlog;
  uint32_t queue;
};

#define TCP IPPROTO_TCP
#define UDP IPPROTO_UDP
#define V4 AF_INET
#define V6 AF_INET6

/* The sockets record_sockdiag --setup opened (connected ones excluded). */
static const struct want real_socks[] = {
    {TCP, V4, "127.0.0.1", 3306, 145847, 65534, 0, 50, 0},
    {TCP, V4, "127.0.0.1", 8080, 145841, 0, 0, 16, 0},
    {TCP, V4, "127.0.0.1", 9000, 145846, 0, 0, 3, 1}, /* one unaccepted */
    {TCP, V4, "0.0.0.0", 22, 145842, 0, 0, 128, 0},
    {TCP, V6, "::1", 8443, 145843, 0, 0, 4, 0},
    {TCP, V6, "::ffff:127.0.0.1", 8081, 145845, 0, 0, 8, 0},
    {TCP, V6, "::", 80, 145844, 0, 0, 511, 0},    /* dual-stack: not in v4 */
    {UDP, V4, "0.0.0.0", 67, 145851, 0, 1, 0, 0}, /* SO_BINDTODEVICE lo */
    {UDP, V4, "127.0.0.1", 5353, 145848, 0, 0, 0, 832}, /* one datagram */
    {UDP, V6, "::", 53, 145849, 0, 0, 0, 0},
    {UDP, V6, "::ffff:127.0.0.1", 6000, 145850, 0, 0, 0, 0},
};

static char *load_file(const char *rel, size_t *len) {
  char path[4096];
  hl_test_fixture_path(path, sizeof(path), rel);
  struct hl_buf b;
  hl_buf_init(&b, 16u << 20);
  int rc = hl_buf_read_file(&b, path);
  ck_assert_msg(rc == 0, "%s: %s", path, strerror(-rc));
  *len = b.len;
  char *copy = hl_test_dup_exact(b.data, b.len);
  hl_buf_free(&b);
  return copy;
}

static const struct hl_sock *find_inode(const struct hl_socks *l,
                                        uint64_t inode) {
  for (size_t i = 0; i < l->n; i++)
    if (l->v[i].inode == inode)
      return &l->v[i];
  return NULL;
}

static void check_sock(const struct hl_sock *s, const struct want *w,
                       bool netlink, const char *ctx) {
  ck_assert_msg(s != NULL, "%s: inode %llu missing", ctx,
                (unsigned long long)w->inode);
  char a[INET6_ADDRSTRLEN];
  ck_assert_str_eq(hl_sock_addr_str(s, a, sizeof(a)), w->addr);
  ck_assert_msg(
      s->proto == w->proto && s->family == w->family && s->port == w->port &&
          s->uid == w->uid && s->queue == w->queue,
      "%s: %s port %u: proto %u family %u port %u uid %u queue %u", ctx,
      w->addr, w->port, s->proto, s->family, s->port, s->uid, s->queue);
  uint32_t backlog = netlink ? w->backlog : 0;
  uint32_t ifindex = netlink ? w->ifindex : 0;
  ck_assert_msg(s->backlog == backlog && s->ifindex == ifindex,
                "%s: %s port %u: backlog %u ifindex %u", ctx, w->addr, w->port,
                s->backlog, s->ifindex);
}

/* All fields the two decoders share; backlog/ifindex only on request. */
static bool sock_eq(const struct hl_sock *a, const struct hl_sock *b,
                    bool all) {
  size_t alen = a->family == AF_INET ? 4 : 16;
  bool eq = a->proto == b->proto && a->family == b->family &&
            memcmp(a->addr, b->addr, alen) == 0 && a->port == b->port &&
            a->inode == b->inode && a->uid == b->uid && a->queue == b->queue;
  return eq && (!all || (a->backlog == b->backlog && a->ifindex == b->ifindex));
}

/* Checks that @l holds exactly the real_socks entries of @proto/@family. */
static void check_real(const struct hl_socks *l, int proto, int family,
                       bool netlink, const char *ctx) {
  size_t n = 0;
  for (int i = 0; i < ARRAY_SIZE(real_socks); i++) {
    const struct want *w = &real_socks[i];
    if ((proto != 0 && w->proto != proto) ||
        (family != 0 && w->family != family))
      continue;
    check_sock(find_inode(l, w->inode), w, netlink, ctx);
    n++;
  }
  ck_assert_msg(l->n == n, "%s: %zu sockets, want %zu", ctx, l->n, n);
}

/* ---- recorded netlink dumps --------------------------------------------- */

static const struct nl_case {
  const char *file;
  int proto;
  int family; /* of the expected real_socks entries; 0: none */
  int rc;
  bool done;
} nl_cases[] = {
    {"sockdiag/real/nl_tcp4.bin", TCP, V4, 0, true},
    {"sockdiag/real/nl_tcp6.bin", TCP, V6, 0, true},
    {"sockdiag/real/nl_udp4.bin", UDP, V4, 0, true},
    {"sockdiag/real/nl_udp6.bin", UDP, V6, 0, true},
    /* Every state dumped (ESTABLISHED client and accepted child, connected
     * UDP): only LISTEN / CLOSE survive. */
    {"sockdiag/real/nl_tcp4_all.bin", TCP, V4, 0, true},
    {"sockdiag/real/nl_udp4_all.bin", UDP, V4, 0, true},
    {"sockdiag/real/nl_error.bin", TCP, 0, -EINVAL, false},
    {"sockdiag/real/nl_done_enoent.bin", TCP, 0, -ENOENT, true},
};

START_TEST(test_nl_fixture) {
  const struct nl_case *c = &nl_cases[_i];
  size_t len = 0;
  char *buf = load_file(c->file, &len);
  struct hl_socks l = {0};
  bool done = !c->done;
  int rc = hl_sockdiag_parse(buf, len, c->proto, &l, &done);
  ck_assert_msg(rc == c->rc, "%s: rc %d, want %d", c->file, rc, c->rc);
  ck_assert_int_eq(done, c->done);
  if (c->family != 0)
    check_real(&l, c->proto, c->family, true, c->file);
  else
    ck_assert_uint_eq(l.n, 0);
  hl_socks_free(&l);
  free(buf);
}
END_TEST

/* Every prefix: records of the complete messages, then 0 or -EPROTO. */
START_TEST(test_nl_prefixes) {
  const struct nl_case *c = &nl_cases[_i];
  size_t len = 0;
  char *full = load_file(c->file, &len);
  struct hl_socks all = {0};
  bool done = false;
  hl_sockdiag_parse(full, len, c->proto, &all, &done);
  for (size_t k = 0; k < len; k++) {
    char *buf = hl_test_dup_exact(full, k);
    struct hl_socks l = {0};
    int rc = hl_sockdiag_parse(buf, k, c->proto, &l, &done);
    ck_assert_msg(rc == 0 || rc == -EPROTO, "%s[0..%zu): rc %d", c->file, k,
                  rc);
    ck_assert_msg(!done, "%s[0..%zu): done", c->file, k);
    ck_assert_uint_le(l.n, all.n);
    for (size_t i = 0; i < l.n; i++)
      ck_assert_msg(sock_eq(&l.v[i], &all.v[i], true), "%s[0..%zu): #%zu",
                    c->file, k, i);
    hl_socks_free(&l);
    free(buf);
  }
  hl_socks_free(&all);
  free(full);
}
END_TEST

/* Parsed in one buffer or datagram by datagram, a dump gives the same. */
START_TEST(test_nl_split_datagrams) {
  size_t len = 0;
  char *full = load_file("sockdiag/real/nl_tcp4.bin", &len);
  /* The recording is one datagram of sockets, then NLMSG_DONE alone. */
  size_t cut = len - NLMSG_LENGTH(sizeof(int));
  char *a = hl_test_dup_exact(full, cut);
  char *b = hl_test_dup_exact(full + cut, len - cut);
  struct hl_socks l = {0};
  bool done = true;
  ck_assert_int_eq(hl_sockdiag_parse(a, cut, TCP, &l, &done), 0);
  ck_assert(!done);
  ck_assert_int_eq(hl_sockdiag_parse(b, len - cut, TCP, &l, &done), 0);
  ck_assert(done);
  check_real(&l, TCP, V4, true, "split");
  hl_socks_free(&l);
  free(a);
  free(b);
  free(full);
}
END_TEST

/* ---- hand-built netlink messages ---------------------------------------- */

enum payload { P_NONE, P_INT, P_DIAG, P_DIAG_FAMILY, P_SHORT, P_BYTE };

/* One message: type, payload kind, a value for it, nlmsg_len adjustment. */
struct mspec {
  uint16_t type;
  enum payload kind;
  int val; /* P_INT: the int; P_DIAG: state; P_DIAG_FAMILY: family */
  int len_delta;
};

static const struct hb_case {
  const char *name;
  int proto;
  struct mspec m[3];
  size_t trail; /* zero bytes appended */
  size_t cut;   /* bytes removed from the end */
  int rc;
  bool done;
  size_t n;
} hb_cases[] = {
    {.name = "empty", .proto = TCP},
    {.name = "listen",
     .proto = TCP,
     .m = {{SOCK_DIAG_BY_FAMILY, P_DIAG, TCP_LISTEN, 0}},
     .n = 1},
    {.name = "listen+done",
     .proto = TCP,
     .m = {{SOCK_DIAG_BY_FAMILY, P_DIAG, TCP_LISTEN, 0},
           {NLMSG_DONE, P_INT, 0, 0}},
     .done = true,
     .n = 1},
    {.name = "established skipped",
     .proto = TCP,
     .m = {{SOCK_DIAG_BY_FAMILY, P_DIAG, TCP_ESTABLISHED, 0}}},
    {.name = "syn_recv skipped",
     .proto = TCP,
     .m = {{SOCK_DIAG_BY_FAMILY, P_DIAG, TCP_SYN_RECV, 0}}},
    {.name = "tcp: close state skipped",
     .proto = TCP,
     .m = {{SOCK_DIAG_BY_FAMILY, P_DIAG, TCP_CLOSE, 0}}},
    {.name = "udp: close kept",
     .proto = UDP,
     .m = {{SOCK_DIAG_BY_FAMILY, P_DIAG, TCP_CLOSE, 0}},
     .n = 1},
    {.name = "udp: established skipped",
     .proto = UDP,
     .m = {{SOCK_DIAG_BY_FAMILY, P_DIAG, TCP_ESTABLISHED, 0}}},
    {.name = "udp: listen state skipped",
     .proto = UDP,
     .m = {{SOCK_DIAG_BY_FAMILY, P_DIAG, TCP_LISTEN, 0}}},
    {.name = "noop and unknown type skipped",
     .proto = TCP,
     .m = {{NLMSG_NOOP, P_NONE, 0, 0},
           {0x99, P_INT, 7, 0},
           {SOCK_DIAG_BY_FAMILY, P_DIAG, TCP_LISTEN, 0}},
     .n = 1},
    {.name = "done stops parsing",
     .proto = TCP,
     .m = {{NLMSG_DONE, P_NONE, 0, 0},
           {SOCK_DIAG_BY_FAMILY, P_DIAG, TCP_LISTEN, 0}},
     .done = true},
    {.name = "done with error",
     .proto = TCP,
     .m = {{NLMSG_DONE, P_INT, -EBUSY, 0}},
     .rc = -EBUSY,
     .done = true},
    {.name = "done with positive value",
     .proto = TCP,
     .m = {{NLMSG_DONE, P_INT, 5, 0}},
     .rc = -EPROTO,
     .done = true},
    {.name = "error",
     .proto = TCP,
     .m = {{NLMSG_ERROR, P_INT, -EPERM, 0}},
     .rc = -EPERM},
    {.name = "error 0 is an ack",
     .proto = TCP,
     .m = {{NLMSG_ERROR, P_INT, 0, 0},
           {SOCK_DIAG_BY_FAMILY, P_DIAG, TCP_LISTEN, 0}},
     .n = 1},
    {.name = "error positive",
     .proto = TCP,
     .m = {{NLMSG_ERROR, P_INT, 5, 0}},
     .rc = -EPROTO},
    {.name = "error out of range",
     .proto = TCP,
     .m = {{NLMSG_ERROR, P_INT, -5000, 0}},
     .rc = -EPROTO},
    {.name = "error payload short",
     .proto = TCP,
     .m = {{NLMSG_ERROR, P_BYTE, 0, 0}},
     .rc = -EPROTO},
    {.name = "error after sockets",
     .proto = TCP,
     .m = {{SOCK_DIAG_BY_FAMILY, P_DIAG, TCP_LISTEN, 0},
           {NLMSG_ERROR, P_INT, -ENOBUFS, 0}},
     .rc = -ENOBUFS,
     .n = 1},
    {.name = "diag payload short",
     .proto = TCP,
     .m = {{SOCK_DIAG_BY_FAMILY, P_SHORT, 0, 0}},
     .rc = -EPROTO},
    {.name = "diag family unknown",
     .proto = TCP,
     .m = {{SOCK_DIAG_BY_FAMILY, P_DIAG_FAMILY, AF_UNIX, 0}},
     .rc = -EPROTO},
    {.name = "nlmsg_len below header",
     .proto = TCP,
     .m = {{NLMSG_NOOP, P_NONE, 0, -1}},
     .rc = -EPROTO},
    {.name = "nlmsg_len past the end",
     .proto = TCP,
     .m = {{SOCK_DIAG_BY_FAMILY, P_DIAG, TCP_LISTEN, 4}},
     .rc = -EPROTO},
    {.name = "nlmsg_len one byte short of the diag msg",
     .proto = TCP,
     .m = {{SOCK_DIAG_BY_FAMILY, P_DIAG, TCP_LISTEN, -1}},
     .rc = -EPROTO},
    {.name = "trailing bytes after a socket",
     .proto = TCP,
     .m = {{SOCK_DIAG_BY_FAMILY, P_DIAG, TCP_LISTEN, 0}},
     .trail = 3,
     .rc = -EPROTO,
     .n = 1},
    {.name = "zero header after a socket",
     .proto = TCP,
     .m = {{SOCK_DIAG_BY_FAMILY, P_DIAG, TCP_LISTEN, 0}},
     .trail = 16,
     .rc = -EPROTO,
     .n = 1},
    {.name = "last message without padding",
     .proto = TCP,
     .m = {{SOCK_DIAG_BY_FAMILY, P_DIAG, TCP_LISTEN, 0},
           {NLMSG_NOOP, P_BYTE, 0, 0}},
     .cut = 3,
     .n = 1},
    {.name = "bad proto argument",
     .proto = IPPROTO_ICMP,
     .m = {{NLMSG_DONE, P_NONE, 0, 0}},
     .rc = -EINVAL},
};

static size_t put_payload(uint8_t *p, const struct mspec *m) {
  if (m->kind == P_INT) {
    memcpy(p, &m->val, sizeof(m->val));
    return sizeof(m->val);
  }
  if (m->kind == P_BYTE) {
    p[0] = 0x55;
    return 1;
  }
  if (m->kind == P_NONE)
    return 0;
  struct inet_diag_msg d = {
      .idiag_family = m->kind == P_DIAG_FAMILY ? (uint8_t)m->val : AF_INET,
      .idiag_state = m->kind == P_DIAG ? (uint8_t)m->val : TCP_LISTEN,
      .idiag_inode = 42,
      .idiag_uid = 1000,
      .idiag_rqueue = 2,
      .idiag_wqueue = 64,
  };
  d.id.idiag_sport = htons(1234);
  d.id.idiag_src[0] = htonl(0x0a000001); /* 10.0.0.1 */
  d.id.idiag_if = 3;
  memcpy(p, &d, sizeof(d));
  return m->kind == P_SHORT ? 40 : sizeof(d);
}

/* Builds the messages of @c into @buf; returns the byte count. */
static size_t build(const struct hb_case *c, uint8_t *buf, size_t cap) {
  memset(buf, 0, cap);
  size_t off = 0;
  for (int i = 0; i < 3 && (c->m[i].type != 0 || c->m[i].kind != 0); i++) {
    const struct mspec *m = &c->m[i];
    size_t plen = put_payload(buf + off + NLMSG_HDRLEN, m);
    struct nlmsghdr h = {
        .nlmsg_len = (uint32_t)((int)NLMSG_LENGTH(plen) + m->len_delta),
        .nlmsg_type = m->type,
        .nlmsg_flags = NLM_F_MULTI,
        .nlmsg_seq = 1,
    };
    memcpy(buf + off, &h, sizeof(h));
    off += NLMSG_ALIGN(NLMSG_LENGTH(plen));
    ck_assert_uint_lt(off, cap);
  }
  return off + c->trail - c->cut;
}

START_TEST(test_nl_handmade) {
  const struct hb_case *c = &hb_cases[_i];
  uint8_t raw[512];
  size_t len = build(c, raw, sizeof(raw));
  char *buf = hl_test_dup_exact(raw, len);
  struct hl_socks l = {0};
  bool done = !c->done;
  int rc = hl_sockdiag_parse(buf, len, c->proto, &l, &done);
  ck_assert_msg(rc == c->rc, "%s: rc %d, want %d", c->name, rc, c->rc);
  ck_assert_msg(done == c->done, "%s: done %d", c->name, done);
  ck_assert_msg(l.n == c->n, "%s: %zu sockets, want %zu", c->name, l.n, c->n);
  if (l.n > 0) {
    const struct want w = {
        (uint8_t)c->proto,        V4, "10.0.0.1", 1234, 42, 1000, 3,
        c->proto == TCP ? 64 : 0, 2};
    check_sock(&l.v[0], &w, true, c->name);
  }
  hl_socks_free(&l);
  free(buf);
}
END_TEST

/* ---- /proc/net ---------------------------------------------------------- */

static const struct pn_case {
  const char *file;
  int proto;
  int family;
  int rc;
  size_t n;
  struct want w[4]; /* the first records, in file order */
} pn_cases[] = {
    {"sockdiag/procnet/mapped_tcp6",
     TCP,
     V6,
     0,
     4,
     {{TCP, V6, "::ffff:127.0.0.1", 8081, 5001, 0, 0, 0, 0},
      {TCP, V6, "::ffff:10.1.2.3", 443, 5002, 33, 0, 0, 0},
      {TCP, V6, "2001:db8::1", 8443, 5003, 1000, 0, 0, 5},
      {TCP, V6, "::ffff:0.0.0.0", 8082, 5004, 0, 0, 0, 0}}},
    {"sockdiag/procnet/whitespace_tcp",
     TCP,
     V4,
     0,
     2,
     {{TCP, V4, "127.0.0.1", 8080, 12345, 1000, 0, 0, 0},
      {TCP, V4, "0.0.0.0", 22, 777, 0, 0, 0, 2}}},
    {"sockdiag/procnet/mixed_tcp",
     TCP,
     V4,
     0,
     2,
     {{TCP, V4, "127.0.0.1", 80, 9001, 0, 0, 0, 0},
      {TCP, V4, "10.0.0.10", 65535, UINT64_MAX, 65534, 0, 0, 0}}},
    {"sockdiag/procnet/udp_connected",
     UDP,
     V4,
     0,
     1,
     {{UDP, V4, "127.0.0.1", 5353, 143895, 108, 0, 0, 832}}},
    {"sockdiag/procnet/header_only_tcp", TCP, V4, 0, 0, {{0}}},
    {"sockdiag/procnet/empty", TCP, V4, 0, 0, {{0}}},
    {"sockdiag/procnet/blank", UDP, V6, 0, 0, {{0}}},
    {"sockdiag/procnet/garbage_tcp", TCP, V4, -EPROTO, 0, {{0}}},
    /* A tcp6 file read as IPv4: no line has the IPv4 shape. */
    {"sockdiag/real/net/tcp6", TCP, V4, 0, 0, {{0}}},
    {"sockdiag/host/net/tcp",
     TCP,
     V4,
     0,
     1,
     {{TCP, V4, "0.0.0.0", 2024, 1065, 0, 0, 0, 0}}},
    {"sockdiag/host/net/udp6", UDP, V6, 0, 0, {{0}}},
};

START_TEST(test_pn_fixture) {
  const struct pn_case *c = &pn_cases[_i];
  size_t len = 0;
  char *buf = load_file(c->file, &len);
  struct hl_socks l = {0};
  int rc = hl_procnet_parse(buf, len, c->proto, c->family, &l);
  ck_assert_msg(rc == c->rc, "%s: rc %d, want %d", c->file, rc, c->rc);
  ck_assert_msg(l.n == c->n, "%s: %zu sockets, want %zu", c->file, l.n, c->n);
  for (size_t i = 0; i < l.n && i < 4; i++)
    check_sock(&l.v[i], &c->w[i], false, c->file);
  hl_socks_free(&l);
  free(buf);
}
END_TEST

/* Every prefix of a real file parses (cut lines are skipped), no overread. */
START_TEST(test_pn_prefixes) {
  static const char *const files[] = {"sockdiag/real/net/tcp",
                                      "sockdiag/real/net/tcp6"};
  static const int fam[] = {V4, V6};
  size_t len = 0;
  char *full = load_file(files[_i], &len);
  struct hl_socks all = {0};
  ck_assert_int_eq(hl_procnet_parse(full, len, TCP, fam[_i], &all), 0);
  for (size_t k = 0; k <= len; k++) {
    char *buf = hl_test_dup_exact(full, k);
    struct hl_socks l = {0};
    int rc = hl_procnet_parse(buf, k, TCP, fam[_i], &l);
    ck_assert_msg(rc == 0 || rc == -EPROTO, "%s[0..%zu): %d", files[_i], k, rc);
    ck_assert_uint_le(l.n, all.n);
    for (size_t i = 0; i + 1 < l.n; i++) /* the last may be a cut inode */
      ck_assert(sock_eq(&l.v[i], &all.v[i], true));
    hl_socks_free(&l);
    free(buf);
  }
  hl_socks_free(&all);
  free(full);
}
END_TEST

START_TEST(test_pn_bad_args) {
  struct hl_socks l = {0};
  ck_assert_int_eq(hl_procnet_parse("", 0, IPPROTO_ICMP, V4, &l), -EINVAL);
  ck_assert_int_eq(hl_procnet_parse("", 0, TCP, AF_UNIX, &l), -EINVAL);
  ck_assert_int_eq(hl_procnet_collect(NULL, HL_SD_ALL, &l), -EINVAL);
  ck_assert_int_eq(hl_socks_collect(NULL, HL_SD_ALL, &l, NULL), -EINVAL);
  ck_assert_uint_eq(l.n, 0);
}
END_TEST

/* The netlink dumps and /proc/net files recorded together agree. */
START_TEST(test_real_methods_agree) {
  static const char *const dumps[] = {
      "sockdiag/real/nl_tcp4.bin", "sockdiag/real/nl_tcp6.bin",
      "sockdiag/real/nl_udp4.bin", "sockdiag/real/nl_udp6.bin"};
  struct hl_socks nl = {0};
  for (int i = 0; i < ARRAY_SIZE(dumps); i++) {
    size_t len = 0;
    char *buf = load_file(dumps[i], &len);
    bool done = false;
    ck_assert_int_eq(hl_sockdiag_parse(buf, len, i < 2 ? TCP : UDP, &nl, &done),
                     0);
    free(buf);
  }
  char root[4096];
  hl_test_fixture_path(root, sizeof(root), "sockdiag/real");
  struct hl_socks pf = {0};
  ck_assert_int_eq(hl_procnet_collect(root, HL_SD_ALL, &pf), 0);
  check_real(&nl, 0, 0, true, "netlink");
  check_real(&pf, 0, 0, false, "procfs");
  hl_socks_sort(&nl);
  hl_socks_sort(&pf);
  ck_assert_uint_eq(nl.n, pf.n);
  for (size_t i = 0; i < nl.n; i++)
    ck_assert_msg(sock_eq(&nl.v[i], &pf.v[i], false), "#%zu differs", i);
  hl_socks_free(&nl);
  hl_socks_free(&pf);
}
END_TEST

static const struct collect_case {
  const char *root; /* below the fixtures dir */
  unsigned what;
  int rc;
  size_t n;
} collect_cases[] = {
    {"sockdiag/real", HL_SD_ALL, 0, 11},
    {"sockdiag/real", HL_SD_TCP | HL_SD_V4, 0, 4},
    {"sockdiag/real", HL_SD_TCP | HL_SD_V6, 0, 3},
    {"sockdiag/real", HL_SD_UDP | HL_SD_V4 | HL_SD_V6, 0, 4},
    {"sockdiag/real", HL_SD_TCP | HL_SD_UDP, 0, 0}, /* no family bit */
    {"sockdiag/real", 0, 0, 0},
    {"sockdiag/nov6", HL_SD_ALL, 0, 6}, /* kernel without IPv6 */
    {"sockdiag/host", HL_SD_ALL, 0, 1},
    {"sockdiag/procnet", HL_SD_ALL, -ENOENT, 0}, /* no net/ directory */
    {"sockdiag/no-such-root", HL_SD_TCP | HL_SD_V6, 0, 0},
    {"sockdiag/no-such-root", HL_SD_UDP | HL_SD_V4, -ENOENT, 0},
    /* tcp read (4 sockets appended), then udp is missing: all undone. */
    {"sockdiag/noudp", HL_SD_ALL, -ENOENT, 0},
    {"sockdiag/noudp", HL_SD_TCP | HL_SD_V4, 0, 4},
};

START_TEST(test_pn_collect) {
  const struct collect_case *c = &collect_cases[_i];
  char root[4096];
  hl_test_fixture_path(root, sizeof(root), c->root);
  /* A record already in the list must survive success and failure. */
  struct hl_sock first = {.proto = TCP, .family = V4, .port = 1, .inode = 7};
  struct hl_socks l = {0};
  ck_assert_int_eq(hl_socks_push(&l, &first), 0);
  int rc = hl_procnet_collect(root, c->what, &l);
  ck_assert_msg(rc == c->rc, "%s %#x: rc %d", c->root, c->what, rc);
  ck_assert_msg(l.n == 1 + c->n, "%s %#x: %zu", c->root, c->what, l.n);
  ck_assert(sock_eq(&l.v[0], &first, true));
  hl_socks_free(&l);
  ck_assert_ptr_null(l.v);
  ck_assert_uint_eq(l.n + l.cap, 0);
}
END_TEST

START_TEST(test_socks_collect_fixture) {
  char root[4096];
  hl_test_fixture_path(root, sizeof(root), "sockdiag/real");
  struct hl_socks l = {0};
  enum hl_sd_method m = 0;
  ck_assert_int_eq(hl_socks_collect(root, HL_SD_ALL, &l, &m), 0);
  ck_assert_int_eq(m, HL_SD_PROCFS);
  check_real(&l, 0, 0, false, "hl_socks_collect");
  hl_socks_free(&l);
}
END_TEST

/* ---- generated large files ---------------------------------------------- */

#define LONG_LINES 20000

/* A tcp file of @lines sockets, every other one listening. */
static char *gen_tcp(size_t lines, size_t *len) {
  static const char head[] = "  sl  local_address rem_address   st tx_queue "
                             "rx_queue tr tm->when retrnsmt   uid  timeout "
                             "inode\n";
  size_t cap = sizeof(head) + lines * 160;
  char *buf = malloc(cap);
  ck_assert_ptr_nonnull(buf);
  size_t off = sizeof(head) - 1;
  memcpy(buf, head, off);
  for (size_t i = 0; i < lines; i++) {
    int n = snprintf(buf + off, cap - off,
                     "%5zu: %08X:%04zX 00000000:0000 %s 00000000:00000000 "
                     "00:00000000 00000000 %5zu        0 %zu 1 "
                     "0000000000000000 100 0 0 10 0\n",
                     i, 0x0100007Fu, i % 65535 + 1, i % 2 ? "01" : "0A", i % 3,
                     100000 + i);
    ck_assert(n > 0 && (size_t)n < cap - off);
    off += (size_t)n;
  }
  *len = off;
  return buf;
}

static void check_long(const struct hl_socks *l) {
  ck_assert_uint_eq(l->n, LONG_LINES / 2);
  for (size_t k = 0; k < l->n; k++) {
    size_t i = 2 * k;
    ck_assert_uint_eq(l->v[k].port, i % 65535 + 1);
    ck_assert_uint_eq(l->v[k].inode, 100000 + i);
    ck_assert_uint_eq(l->v[k].uid, i % 3);
  }
}

START_TEST(test_pn_long) {
  size_t len = 0;
  char *text = gen_tcp(LONG_LINES, &len);
  char *buf = hl_test_dup_exact(text, len);
  struct hl_socks l = {0};
  ck_assert_int_eq(hl_procnet_parse(buf, len, TCP, V4, &l), 0);
  check_long(&l);
  hl_socks_free(&l);
  free(buf);
  free(text);
}
END_TEST

/* A temporary proc root with net/<name> files; removed by tmp_root_rm. */
struct tmp_root {
  char dir[64];
  char net[96];
};

static void tmp_root_make(struct tmp_root *t) {
  const char *base = getenv("TMPDIR");
  snprintf(t->dir, sizeof(t->dir), "%s/hl_sockdiag.XXXXXX",
           base != NULL && base[0] != '\0' && strlen(base) < 40 ? base
                                                                : "/tmp");
  ck_assert_ptr_nonnull(mkdtemp(t->dir));
  snprintf(t->net, sizeof(t->net), "%s/net", t->dir);
  ck_assert_int_eq(mkdir(t->net, 0700), 0);
}

static void tmp_write(const struct tmp_root *t, const char *name,
                      const char *data, size_t len) {
  char path[160];
  snprintf(path, sizeof(path), "%s/%s", t->net, name);
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(data, 1, len, f), len);
  ck_assert_int_eq(fclose(f), 0);
}

static void tmp_root_rm(const struct tmp_root *t) {
  static const char *const names[] = {"tcp", "tcp6", "udp", "udp6"};
  for (int i = 0; i < ARRAY_SIZE(names); i++) {
    char path[160];
    snprintf(path, sizeof(path), "%s/%s", t->net, names[i]);
    unlink(path);
  }
  rmdir(t->net);
  rmdir(t->dir);
}

/* Several MiB through the 64 KiB read window: lines straddle reads. */
START_TEST(test_pn_collect_long) {
  struct tmp_root t;
  tmp_root_make(&t);
  size_t len = 0;
  char *text = gen_tcp(LONG_LINES, &len);
  tmp_write(&t, "tcp", text, len);
  struct hl_socks l = {0};
  int rc = hl_procnet_collect(t.dir, HL_SD_TCP | HL_SD_V4, &l);
  tmp_root_rm(&t);
  ck_assert_int_eq(rc, 0);
  check_long(&l);
  hl_socks_free(&l);
  free(text);
}
END_TEST

/* Lines longer than the read window are skipped, the rest still parses. */
static const struct overlong_case {
  size_t before; /* garbage bytes before the long line's newline */
  bool tail;     /* the long line ends in text shaped like a socket line */
  bool valid;    /* a valid UDP line follows */
  int rc;
  size_t n;
} overlong_cases[] = {
    {100000, false, true, 0, 1},       {65536, false, true, 0, 1},
    {65535, false, true, 0, 1},        {200000, false, false, -EPROTO, 0},
    {300000, false, true, 0, 1},       {65536, true, true, 0, 1},
    {100000, true, false, -EPROTO, 0},
};

START_TEST(test_pn_collect_overlong) {
  const struct overlong_case *c = &overlong_cases[_i];
  static const char line[] =
      "\n 7: 0100007F:0035 00000000:0000 07 00000000:00000000 00:00000000 "
      "00000000   101        0 4242 2 0000000000000000 0\n";
  /* Past the read window, the rest of the long line must not be parsed as
   * a line of its own. */
  static const char tail[] =
      " 8: 0100007F:0036 00000000:0000 07 00000000:00000000 00:00000000 "
      "00000000     0        0 4243 2 0000000000000000 0";
  size_t tlen = c->tail ? sizeof(tail) - 1 : 0;
  size_t len = c->before + tlen + (c->valid ? sizeof(line) - 1 : 1);
  char *data = malloc(len);
  ck_assert_ptr_nonnull(data);
  memset(data, 'x', c->before);
  memcpy(data + c->before, tail, tlen);
  memcpy(data + c->before + tlen, c->valid ? line : "\n",
         len - c->before - tlen);
  struct tmp_root t;
  tmp_root_make(&t);
  tmp_write(&t, "udp", data, len);
  struct hl_socks l = {0};
  int rc = hl_procnet_collect(t.dir, HL_SD_UDP | HL_SD_V4, &l);
  tmp_root_rm(&t);
  ck_assert_msg(rc == c->rc, "%zu: rc %d", c->before, rc);
  ck_assert_uint_eq(l.n, c->n);
  if (l.n == 1)
    ck_assert(l.v[0].port == 53 && l.v[0].inode == 4242 && l.v[0].uid == 101);
  hl_socks_free(&l);
  free(data);
}
END_TEST

/* ---- list, address helpers, sorting ------------------------------------- */

START_TEST(test_push_grows) {
  struct hl_socks l = {0};
  for (uint64_t i = 0; i < 1000; i++) {
    struct hl_sock s = {.proto = TCP, .family = V4, .inode = i};
    ck_assert_int_eq(hl_socks_push(&l, &s), 0);
  }
  ck_assert_uint_eq(l.n, 1000);
  ck_assert_uint_ge(l.cap, 1000);
  for (size_t i = 0; i < l.n; i++)
    ck_assert_uint_eq(l.v[i].inode, i);
  hl_socks_free(&l);
  hl_socks_free(&l); /* a zeroed list is fine */
  ck_assert_uint_eq(l.n, 0);
}
END_TEST

static const struct addr_case {
  uint8_t family;
  const char *text;
  bool wildcard;
  bool loopback;
} addr_cases[] = {
    {V4, "0.0.0.0", true, false},
    {V4, "127.0.0.1", false, true},
    {V4, "127.255.0.9", false, true},
    {V4, "128.0.0.1", false, false},
    {V4, "192.168.1.10", false, false},
    {V6, "::", true, false},
    {V6, "::1", false, true},
    {V6, "::2", false, false},
    {V6, "::ffff:127.0.0.1", false, true},
    {V6, "::ffff:10.0.0.1", false, false},
    {V6, "::ffff:0.0.0.0", true, false},
    {V6, "fe80::1", false, false},
    {V6, "2001:db8::8a2e:370:7334", false, false},
    {V6, "1::", false, false},
};

START_TEST(test_addr) {
  const struct addr_case *c = &addr_cases[_i];
  struct hl_sock s = {.proto = TCP, .family = c->family};
  ck_assert_int_eq(inet_pton(c->family, c->text, s.addr), 1);
  char buf[INET6_ADDRSTRLEN];
  ck_assert_str_eq(hl_sock_addr_str(&s, buf, sizeof(buf)), c->text);
  ck_assert_msg(hl_sock_is_wildcard(&s) == c->wildcard, "%s", c->text);
  ck_assert_msg(hl_sock_is_loopback(&s) == c->loopback, "%s", c->text);
}
END_TEST

START_TEST(test_addr_edge) {
  struct hl_sock s = {.family = AF_UNIX};
  char buf[8] = "junk";
  ck_assert_str_eq(hl_sock_addr_str(&s, buf, sizeof(buf)), "");
  ck_assert(!hl_sock_is_wildcard(&s));
  ck_assert(!hl_sock_is_loopback(&s));
  s.family = V6;
  ck_assert_int_eq(inet_pton(V6, "2001:db8::1", s.addr), 1);
  ck_assert_str_eq(hl_sock_addr_str(&s, buf, sizeof(buf)), ""); /* short */
  ck_assert_ptr_eq(hl_sock_addr_str(&s, buf, 0), buf);
}
END_TEST

static const struct sort_in {
  uint8_t proto;
  uint8_t family;
  const char *addr;
  uint16_t port;
  uint64_t inode;
} sort_sorted[] = {
    /* expected order */
    {TCP, V4, "0.0.0.0", 22, 1},      {TCP, V4, "10.0.0.1", 22, 2},
    {TCP, V4, "127.0.0.1", 22, 3},    {TCP, V6, "::", 22, 4},
    {TCP, V6, "::1", 22, 5},          {TCP, V4, "0.0.0.0", 80, 6},
    {TCP, V4, "0.0.0.0", 80, 7},      {TCP, V6, "::", 443, 8},
    {TCP, V4, "127.0.0.1", 8080, 9},  {UDP, V4, "0.0.0.0", 53, 10},
    {UDP, V6, "::", 53, 11},          {UDP, V6, "fe80::1", 53, 12},
    {UDP, V4, "127.0.0.1", 5353, 13}, {UDP, V6, "::ffff:127.0.0.1", 5353, 14},
};

START_TEST(test_sort) {
  static const size_t order[] = {13, 2, 11, 0, 7, 5, 9, 1, 12, 3, 6, 10, 4, 8};
  struct hl_socks l = {0};
  for (int i = 0; i < ARRAY_SIZE(order); i++) {
    const struct sort_in *in = &sort_sorted[order[i]];
    struct hl_sock s = {.proto = in->proto,
                        .family = in->family,
                        .port = in->port,
                        .inode = in->inode};
    ck_assert_int_eq(inet_pton(in->family, in->addr, s.addr), 1);
    if (in->family == V4) /* bytes past an IPv4 address are ignored */
      memset(s.addr + 4, 0xee - i, 12);
    ck_assert_int_eq(hl_socks_push(&l, &s), 0);
  }
  hl_socks_sort(&l);
  for (size_t i = 0; i < l.n; i++)
    ck_assert_msg(l.v[i].inode == sort_sorted[i].inode, "#%zu: inode %llu", i,
                  (unsigned long long)l.v[i].inode);
  hl_socks_free(&l);
  hl_socks_sort(&l); /* empty */
}
END_TEST

/* ---- live sockets ------------------------------------------------------- */

/* One socket opened by the live test and what both methods must report. */
struct live_sock {
  int fd;
  struct want w;
  bool listed; /* false: must not be listed (connected UDP) */
};

/* Opens @type on @addr port 0 (listen with backlog 7 for TCP); fills @ls. */
static bool live_open(struct live_sock *ls, int family, int type,
                      const char *addr) {
  struct sockaddr_storage ss = {0};
  socklen_t len =
      family == V4 ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
  struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
  ss.ss_family = (sa_family_t)family;
  void *ip = family == V4 ? (void *)&a4->sin_addr : (void *)&a6->sin6_addr;
  ck_assert_int_eq(inet_pton(family, addr, ip), 1);
  ls->fd = socket(family, type | SOCK_CLOEXEC, 0);
  if (ls->fd < 0 || bind(ls->fd, (struct sockaddr *)&ss, len) != 0 ||
      (type == SOCK_STREAM && listen(ls->fd, 7) != 0) ||
      getsockname(ls->fd, (struct sockaddr *)&ss, &len) != 0) {
    if (ls->fd >= 0)
      close(ls->fd);
    ls->fd = -1;
    return false;
  }
  struct stat st;
  ck_assert_int_eq(fstat(ls->fd, &st), 0);
  uint8_t proto = type == SOCK_STREAM ? TCP : UDP;
  uint16_t port = ntohs(family == V4 ? a4->sin_port : a6->sin6_port);
  ls->w = (struct want){proto,     (uint8_t)family, addr, port,
                        st.st_ino, geteuid(),       0,    proto == TCP ? 7 : 0,
                        0};
  ls->listed = true;
  return true;
}

static void live_check(const struct hl_socks *l, const struct live_sock *ls,
                       bool netlink, const char *ctx) {
  const struct hl_sock *s = find_inode(l, ls->w.inode);
  if (!ls->listed) {
    ck_assert_msg(s == NULL, "%s: connected socket %llu listed", ctx,
                  (unsigned long long)ls->w.inode);
    return;
  }
  check_sock(s, &ls->w, netlink, ctx);
}

#define LIVE_MAX 5

/* tcp 127.0.0.1, udp 127.0.0.1, a connected udp, then tcp/udp on ::1. */
static int live_setup(struct live_sock *ls) {
  int n = 0;
  ck_assert(live_open(&ls[n++], V4, SOCK_STREAM, "127.0.0.1"));
  ck_assert(live_open(&ls[n++], V4, SOCK_DGRAM, "127.0.0.1"));
  ck_assert(live_open(&ls[n], V4, SOCK_DGRAM, "127.0.0.1"));
  struct sockaddr_in to = {.sin_family = AF_INET,
                           .sin_port = htons(ls[1].w.port)};
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ck_assert_int_eq(connect(ls[n].fd, (struct sockaddr *)&to, sizeof(to)), 0);
  ls[n++].listed = false;
  if (live_open(&ls[n], V6, SOCK_STREAM, "::1"))
    n++;
  else
    fprintf(stderr, "hl_sockdiag live test: no ::1, IPv6 part skipped\n");
  if (n == LIVE_MAX - 1 && live_open(&ls[n], V6, SOCK_DGRAM, "::1"))
    n++;
  return n;
}

START_TEST(test_live) {
  struct live_sock ls[LIVE_MAX];
  int n = live_setup(ls);
  struct hl_socks nl = {0}, pf = {0}, any = {0};
  char err[256] = "";
  int rc = hl_sockdiag_collect(HL_SD_ALL, &nl, err, sizeof(err));
  ck_assert_msg(rc == 0, "hl_sockdiag_collect: %d %s", rc, err);
  ck_assert_int_eq(hl_procnet_collect("/proc", HL_SD_ALL, &pf), 0);
  enum hl_sd_method m = 0;
  ck_assert_int_eq(hl_socks_collect("/proc", HL_SD_ALL, &any, &m), 0);
  ck_assert_int_eq(m, HL_SD_NETLINK);
  for (int i = 0; i < n; i++) {
    live_check(&nl, &ls[i], true, "netlink");
    live_check(&pf, &ls[i], false, "procfs");
    live_check(&any, &ls[i], true, "hl_socks_collect");
    if (ls[i].listed)
      ck_assert(sock_eq(find_inode(&nl, ls[i].w.inode),
                        find_inode(&pf, ls[i].w.inode), false));
  }
  for (int i = 0; i < n; i++)
    close(ls[i].fd);
  hl_socks_free(&nl);
  hl_socks_free(&pf);
  hl_socks_free(&any);
}
END_TEST

/* The HL_SD_* bits select dumps; nothing selected lists nothing. */
START_TEST(test_live_what) {
  struct live_sock ls[LIVE_MAX];
  int n = live_setup(ls);
  static const unsigned masks[] = {HL_SD_TCP | HL_SD_V4, HL_SD_UDP | HL_SD_V6,
                                   HL_SD_TCP | HL_SD_UDP, 0};
  for (int k = 0; k < ARRAY_SIZE(masks); k++) {
    struct hl_socks l = {0};
    ck_assert_int_eq(hl_sockdiag_collect(masks[k], &l, NULL, 0), 0);
    for (size_t j = 0; j < l.n; j++) {
      unsigned p = l.v[j].proto == TCP ? HL_SD_TCP : HL_SD_UDP;
      unsigned f = l.v[j].family == V4 ? HL_SD_V4 : HL_SD_V6;
      ck_assert((masks[k] & p) && (masks[k] & f));
    }
    for (int i = 0; i < n; i++) {
      unsigned p = ls[i].w.proto == TCP ? HL_SD_TCP : HL_SD_UDP;
      unsigned f = ls[i].w.family == V4 ? HL_SD_V4 : HL_SD_V6;
      bool want = ls[i].listed && (masks[k] & p) && (masks[k] & f);
      ck_assert(want == (find_inode(&l, ls[i].w.inode) != NULL));
    }
    hl_socks_free(&l);
  }
  for (int i = 0; i < n; i++)
    close(ls[i].fd);
}
END_TEST

Suite *hl_sockdiag_suite(void) {
  Suite *s = suite_create("hl_sockdiag");
  TCase *nl = tcase_create("netlink");
  tcase_add_loop_test(nl, test_nl_fixture, 0, ARRAY_SIZE(nl_cases));
  tcase_add_loop_test(nl, test_nl_prefixes, 0, ARRAY_SIZE(nl_cases));
  tcase_add_test(nl, test_nl_split_datagrams);
  tcase_add_loop_test(nl, test_nl_handmade, 0, ARRAY_SIZE(hb_cases));
  suite_add_tcase(s, nl);

  TCase *pn = tcase_create("procnet");
  tcase_add_loop_test(pn, test_pn_fixture, 0, ARRAY_SIZE(pn_cases));
  tcase_add_loop_test(pn, test_pn_prefixes, 0, 2);
  tcase_add_test(pn, test_pn_bad_args);
  tcase_add_test(pn, test_real_methods_agree);
  tcase_add_loop_test(pn, test_pn_collect, 0, ARRAY_SIZE(collect_cases));
  tcase_add_test(pn, test_socks_collect_fixture);
  tcase_add_test(pn, test_pn_long);
  tcase_add_test(pn, test_pn_collect_long);
  tcase_add_loop_test(pn, test_pn_collect_overlong, 0,
                      ARRAY_SIZE(overlong_cases));
  tcase_set_timeout(pn, 60); /* valgrind on the 20000-line files */
  suite_add_tcase(s, pn);

  TCase *misc = tcase_create("helpers");
  tcase_add_test(misc, test_push_grows);
  tcase_add_loop_test(misc, test_addr, 0, ARRAY_SIZE(addr_cases));
  tcase_add_test(misc, test_addr_edge);
  tcase_add_test(misc, test_sort);
  suite_add_tcase(s, misc);

  TCase *live = tcase_create("live");
  tcase_add_test(live, test_live);
  tcase_add_test(live, test_live_what);
  suite_add_tcase(s, live);
  return s;
}
