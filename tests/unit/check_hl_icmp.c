// SPDX-License-Identifier: MIT
/*
 * Unit tests for shared/hl_icmp.
 *
 * Pure parts: RFC 1071 checksum vectors (the RFC's own example, odd lengths,
 * carries, a hand-checked echo header); build/parse round trips for IPv4
 * with and without the IP header and for ICMPv6; rejection of every prefix
 * of a valid reply, of garbage, bad checksums, broken IPv4 headers, requests,
 * other ICMP types and foreign payloads (every buffer is an exact-size heap
 * block from hl_test_dup_exact, so ASan sees any over-read); reply matching
 * without sockets (hl_icmp_begin/prepare_echo/accept): right reply, stray
 * cookie/id/address/target/sequence/stamp, duplicate, late, identifier
 * rewritten by datagram sockets, sequence wrap; RTT statistics including
 * "all lost" (NAN RTTs, 100 % loss). Resolution of numeric names and of
 * localhost. Live: one run against 127.0.0.1 and ::1 (::1 skipped if the
 * host has no IPv6; the whole test skipped if neither CAP_NET_RAW nor
 * ping_group_range allows ICMP sockets).
 */
#include "check_suites.h"
#include "hl_icmp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------ */

static struct sockaddr_storage sa_of(const char *ip) {
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof(ss));
  struct sockaddr_in *a = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *b = (struct sockaddr_in6 *)&ss;
  if (inet_pton(AF_INET, ip, &a->sin_addr) == 1) {
    a->sin_family = AF_INET;
  } else {
    ck_assert_int_eq(inet_pton(AF_INET6, ip, &b->sin6_addr), 1);
    b->sin6_family = AF_INET6;
  }
  return ss;
}

static socklen_t sa_len(const struct sockaddr_storage *ss) {
  return ss->ss_family == AF_INET ? sizeof(struct sockaddr_in)
                                  : sizeof(struct sockaddr_in6);
}

static const struct hl_icmp_echo sample = {
    .id = 0x1234,
    .seq = 7,
    .target = 3,
    .cookie = 0x0102030405060708u,
    .stamp_ns = 123456789012345u,
};

/* A 20-byte IPv4 header (protocol ICMP) followed by @icmp. */
static size_t with_ip4(uint8_t *out, const uint8_t *icmp, size_t len) {
  static const uint8_t ip[20] = {0x45, 0, 0,   52, 0, 0, 0x40, 0, 64, 1,
                                 0,    0, 127, 0,  0, 1, 127,  0, 0,  1};
  memcpy(out, ip, sizeof(ip));
  memcpy(out + sizeof(ip), icmp, len);
  return sizeof(ip) + len;
}

static int parse_exact(int family, bool iph, const void *p, size_t len,
                       struct hl_icmp_echo *out) {
  char *copy = hl_test_dup_exact(p, len);
  int rc = hl_icmp_parse_reply(family, iph, copy, len, out);
  free(copy);
  return rc;
}

/* ---- checksum ----------------------------------------------------------- */

static const struct {
  const char *name;
  uint8_t bytes[12];
  size_t len;
  uint16_t sum;
} ck_cases[] = {
    {"RFC 1071 example",
     {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7},
     8,
     0x220d},
    {"empty", {0}, 0, 0xffff},
    {"one odd byte", {0x01}, 1, 0xfeff},
    {"odd length", {0x00, 0x01, 0xf2}, 3, 0x0dfe},
    {"carry folding", {0xff, 0xff, 0xff, 0xff}, 4, 0x0000},
    {"echo header id 0x1234 seq 1", {8, 0, 0, 0, 0x12, 0x34, 0, 1}, 8, 0xe5ca},
};

START_TEST(test_checksum) {
  char *copy = hl_test_dup_exact(ck_cases[_i].bytes, ck_cases[_i].len);
  uint16_t got = hl_icmp_checksum(copy, ck_cases[_i].len);
  free(copy);
  ck_assert_msg(got == ck_cases[_i].sum, "%s: got 0x%04x want 0x%04x",
                ck_cases[_i].name, got, ck_cases[_i].sum);
}
END_TEST

START_TEST(test_checksum_verifies_to_zero) {
  uint8_t pkt[HL_ICMP_PACKET_LEN];
  ck_assert_int_eq(hl_icmp_build_echo(AF_INET, false, &sample, pkt, 32), 32);
  ck_assert_uint_eq(hl_icmp_checksum(pkt, sizeof(pkt)), 0);
  ck_assert_uint_eq(pkt[0], 8);
  ck_assert_uint_eq(pkt[1], 0);
  pkt[9] ^= 0x40;
  ck_assert_uint_ne(hl_icmp_checksum(pkt, sizeof(pkt)), 0);
}
END_TEST

/* ---- build / parse ------------------------------------------------------ */

static void assert_echo_eq(const struct hl_icmp_echo *a,
                           const struct hl_icmp_echo *b) {
  ck_assert_uint_eq(a->id, b->id);
  ck_assert_uint_eq(a->seq, b->seq);
  ck_assert_uint_eq(a->target, b->target);
  ck_assert_uint_eq(a->cookie, b->cookie);
  ck_assert_uint_eq(a->stamp_ns, b->stamp_ns);
}

START_TEST(test_roundtrip) {
  /* _i: 0 IPv4 no header, 1 IPv4 with IP header, 2 ICMPv6 */
  int family = _i == 2 ? AF_INET6 : AF_INET;
  uint8_t pkt[64], buf[128];
  ck_assert_int_eq(hl_icmp_build_echo(family, true, &sample, pkt, 64), 32);
  ck_assert_uint_eq(pkt[0], family == AF_INET ? 0 : 129);
  size_t len = _i == 1 ? with_ip4(buf, pkt, 32) : 32;
  const uint8_t *p = _i == 1 ? buf : pkt;
  struct hl_icmp_echo e;
  memset(&e, 0, sizeof(e));
  ck_assert_int_eq(parse_exact(family, _i == 1, p, len, &e), 0);
  assert_echo_eq(&e, &sample);
  /* a request is not a reply */
  ck_assert_int_eq(hl_icmp_build_echo(family, false, &sample, pkt, 64), 32);
  len = _i == 1 ? with_ip4(buf, pkt, 32) : 32;
  ck_assert_int_eq(parse_exact(family, _i == 1, p, len, &e), -ENOMSG);
}
END_TEST

START_TEST(test_build_errors) {
  uint8_t pkt[64];
  ck_assert_int_eq(hl_icmp_build_echo(AF_INET, false, &sample, pkt, 31),
                   -ENOBUFS);
  ck_assert_int_eq(hl_icmp_build_echo(AF_UNIX, false, &sample, pkt, 64),
                   -EAFNOSUPPORT);
  struct hl_icmp_echo e;
  ck_assert_int_eq(hl_icmp_parse_reply(AF_UNIX, false, pkt, 32, &e),
                   -EAFNOSUPPORT);
}
END_TEST

START_TEST(test_prefixes_rejected) {
  /* _i: as test_roundtrip; every strict prefix must fail cleanly */
  int family = _i == 2 ? AF_INET6 : AF_INET;
  uint8_t pkt[64], buf[128];
  hl_icmp_build_echo(family, true, &sample, pkt, 64);
  size_t len = _i == 1 ? with_ip4(buf, pkt, 32) : 32;
  const uint8_t *p = _i == 1 ? buf : pkt;
  for (size_t n = 0; n < len; n++) {
    struct hl_icmp_echo e;
    int rc = parse_exact(family, _i == 1, p, n, &e);
    ck_assert_msg(rc == -EPROTO || rc == -EBADMSG,
                  "family %d iph %d prefix %zu: rc %d", family, _i == 1, n, rc);
  }
}
END_TEST

START_TEST(test_bad_replies) {
  uint8_t pkt[64], buf[128];
  struct hl_icmp_echo e;
  hl_icmp_build_echo(AF_INET, true, &sample, pkt, 64);
  size_t len = with_ip4(buf, pkt, 32);
  buf[0] = 0x65; /* IP version 6 */
  ck_assert_int_eq(parse_exact(AF_INET, true, buf, len, &e), -EPROTO);
  buf[0] = 0x44; /* IHL 16 bytes */
  ck_assert_int_eq(parse_exact(AF_INET, true, buf, len, &e), -EPROTO);
  buf[0] = 0x4f; /* IHL 60 > length */
  ck_assert_int_eq(parse_exact(AF_INET, true, buf, 40, &e), -EPROTO);
  buf[0] = 0x45;
  buf[9] = 17; /* UDP */
  ck_assert_int_eq(parse_exact(AF_INET, true, buf, len, &e), -EPROTO);
  pkt[20] ^= 1; /* payload bit flip: bad checksum */
  ck_assert_int_eq(parse_exact(AF_INET, false, pkt, 32, &e), -EBADMSG);
  /* another pinger: valid reply, other payload */
  memcpy(pkt + 8, "PING", 4);
  pkt[2] = pkt[3] = 0;
  uint16_t c = hl_icmp_checksum(pkt, 32);
  pkt[2] = (uint8_t)(c >> 8);
  pkt[3] = (uint8_t)c;
  ck_assert_int_eq(parse_exact(AF_INET, false, pkt, 32, &e), -ENOMSG);
  /* destination unreachable quoting something */
  uint8_t unreach[36] = {3, 1};
  c = hl_icmp_checksum(unreach, sizeof(unreach));
  unreach[2] = (uint8_t)(c >> 8);
  unreach[3] = (uint8_t)c;
  ck_assert_int_eq(parse_exact(AF_INET, false, unreach, 36, &e), -ENOMSG);
  /* ICMPv6: nonzero code, other type, short */
  hl_icmp_build_echo(AF_INET6, true, &sample, pkt, 64);
  pkt[1] = 1;
  ck_assert_int_eq(parse_exact(AF_INET6, false, pkt, 32, &e), -ENOMSG);
  pkt[1] = 0;
  pkt[0] = 135; /* neighbour solicitation */
  ck_assert_int_eq(parse_exact(AF_INET6, false, pkt, 32, &e), -ENOMSG);
}
END_TEST

START_TEST(test_garbage) {
  uint32_t x = 12345;
  for (int round = 0; round < 2000; round++) {
    uint8_t buf[96];
    size_t len = (size_t)(round % 96);
    for (size_t i = 0; i < len; i++) {
      x = x * 1103515245u + 12345u;
      buf[i] = (uint8_t)(x >> 16);
    }
    struct hl_icmp_echo e;
    int fam = round & 1 ? AF_INET6 : AF_INET;
    int rc = parse_exact(fam, round & 2, buf, len, &e);
    ck_assert_msg(rc != 0, "garbage %d accepted", round);
  }
}
END_TEST

/* ---- matching ----------------------------------------------------------- */

struct fixture {
  struct hl_icmp *ctx;
  struct sockaddr_storage a[3];
};

/* Targets 127.0.0.1, 10.0.0.2, ::1; 4 echoes, 1000 ms, seq 65534..1. */
static void fixture_init(struct fixture *f) {
  f->ctx = hl_icmp_new();
  ck_assert_ptr_nonnull(f->ctx);
  const char *ips[3] = {"127.0.0.1", "10.0.0.2", "::1"};
  for (int i = 0; i < 3; i++) {
    f->a[i] = sa_of(ips[i]);
    ck_assert_int_eq(hl_icmp_add_target(f->ctx, (struct sockaddr *)&f->a[i],
                                        sa_len(&f->a[i])),
                     i);
  }
  ck_assert_int_eq(hl_icmp_begin(f->ctx, 4, 1000, 0xabcdefu, 0x4242, 65534), 0);
}

/* Build the echo for (ti, round) at @t0 and the reply the peer would send:
 * same fields with the identifier replaced by @id. */
static void reply_for(struct fixture *f, size_t ti, unsigned round, uint64_t t0,
                      uint16_t id, uint8_t *out) {
  uint8_t req[HL_ICMP_PACKET_LEN];
  int fam = f->a[ti].ss_family;
  ck_assert_int_eq(hl_icmp_prepare_echo(f->ctx, ti, round, t0, req, 32), 32);
  struct hl_icmp_echo e = {
      .id = id,
      .seq = (uint16_t)(req[6] << 8 | req[7]),
      .target = (uint32_t)ti,
      .cookie = 0xabcdefu,
      .stamp_ns = t0,
  };
  ck_assert_uint_eq(e.seq, (uint16_t)(65534 + round));
  hl_icmp_build_echo(fam, true, &e, out, 32);
}

static int accept_at(struct fixture *f, size_t from_i, const uint8_t *pkt,
                     bool check_id, uint64_t now) {
  return hl_icmp_accept(f->ctx, (struct sockaddr *)&f->a[from_i],
                        sa_len(&f->a[from_i]), false, check_id, pkt, 32, now);
}

START_TEST(test_match) {
  struct fixture f;
  fixture_init(&f);
  uint8_t r[32];
  const uint64_t t0 = 1000000000u, ms = 1000000u;
  reply_for(&f, 0, 0, t0, 0x4242, r);
  ck_assert_int_eq(accept_at(&f, 1, r, true, t0 + 5 * ms), -ESRCH);
  ck_assert_int_eq(accept_at(&f, 0, r, true, t0 + 5 * ms), 0);
  ck_assert_int_eq(accept_at(&f, 0, r, true, t0 + 6 * ms), -EALREADY);
  /* raw socket: identifier must be ours; datagram: rewritten, ignored */
  reply_for(&f, 0, 1, t0 + 100 * ms, 0x9999, r);
  ck_assert_int_eq(accept_at(&f, 0, r, true, t0 + 110 * ms), -ESRCH);
  ck_assert_int_eq(accept_at(&f, 0, r, false, t0 + 110 * ms), 0);
  /* late: more than 1000 ms after the send */
  reply_for(&f, 0, 2, t0 + 200 * ms, 0x4242, r);
  ck_assert_int_eq(accept_at(&f, 0, r, true, t0 + 1201 * ms), -ETIME);
  /* round 3 (seq wrapped to 1) never sent */
  struct hl_icmp_result res;
  hl_icmp_result(f.ctx, 0, &res);
  ck_assert_uint_eq(res.sent, 3);
  ck_assert_uint_eq(res.received, 2);
  ck_assert_uint_eq(res.duplicates, 1);
  ck_assert_uint_eq(res.late, 1);
  ck_assert(res.reachable);
  ck_assert_double_eq_tol(res.rtt_avg, 7.5, 1e-9);
  ck_assert_double_eq_tol(res.rtt_min, 5.0, 1e-9);
  ck_assert_double_eq_tol(res.rtt_max, 10.0, 1e-9);
  ck_assert_double_eq_tol(res.loss_pct, 100.0 / 3, 1e-9);
  ck_assert_uint_eq(hl_icmp_strays(f.ctx), 2);
  hl_icmp_free(f.ctx);
}
END_TEST

START_TEST(test_match_strays) {
  struct fixture f;
  fixture_init(&f);
  uint8_t r[32];
  const uint64_t t0 = 5000000000u;
  reply_for(&f, 2, 3, t0, 0x4242, r); /* ::1, seq 1 after the wrap */
  uint8_t bad[32];
  struct hl_icmp_echo e = {0x4242, 1, 2, 0xabcdefu, t0};
  e.cookie = 0xabcdeeu; /* another run */
  hl_icmp_build_echo(AF_INET6, true, &e, bad, 32);
  ck_assert_int_eq(accept_at(&f, 2, bad, true, t0 + 1), -ESRCH);
  e.cookie = 0xabcdefu;
  e.target = 7; /* no such target */
  hl_icmp_build_echo(AF_INET6, true, &e, bad, 32);
  ck_assert_int_eq(accept_at(&f, 2, bad, true, t0 + 1), -ESRCH);
  e.target = 1; /* index of a v4 target, from ::1 */
  hl_icmp_build_echo(AF_INET6, true, &e, bad, 32);
  ck_assert_int_eq(accept_at(&f, 2, bad, true, t0 + 1), -ESRCH);
  e.target = 2;
  e.seq = 0; /* round 2: not sent */
  hl_icmp_build_echo(AF_INET6, true, &e, bad, 32);
  ck_assert_int_eq(accept_at(&f, 2, bad, true, t0 + 1), -ESRCH);
  e.seq = 1;
  e.stamp_ns = t0 - 1; /* forged or stale send time */
  hl_icmp_build_echo(AF_INET6, true, &e, bad, 32);
  ck_assert_int_eq(accept_at(&f, 2, bad, true, t0 + 1), -ESRCH);
  ck_assert_int_eq(accept_at(&f, 2, r, true, t0 + 1000), 0);
  ck_assert_uint_eq(hl_icmp_strays(f.ctx), 5);
  /* a malformed packet is a stray too; other ICMP is not */
  static const uint8_t runt[4] = {129, 0, 0, 0};
  char *copy = hl_test_dup_exact(runt, sizeof(runt));
  ck_assert_int_eq(hl_icmp_accept(f.ctx, (struct sockaddr *)&f.a[2],
                                  sa_len(&f.a[2]), false, false, copy,
                                  sizeof(runt), t0 + 2000),
                   -EPROTO);
  free(copy);
  ck_assert_uint_eq(hl_icmp_strays(f.ctx), 6);
  struct hl_icmp_result res;
  hl_icmp_result(f.ctx, 2, &res);
  ck_assert_uint_eq(res.received, 1);
  ck_assert_double_eq_tol(res.rtt_avg, 0.001, 1e-12);
  hl_icmp_result(f.ctx, 1, &res); /* never sent to */
  ck_assert_uint_eq(res.sent, 0);
  ck_assert(!res.reachable);
  ck_assert(isnan(res.rtt_avg));
  ck_assert_double_eq(res.loss_pct, 100.0);
  hl_icmp_free(f.ctx);
}
END_TEST

START_TEST(test_context_args) {
  struct hl_icmp *ctx = hl_icmp_new();
  struct sockaddr_storage ss = sa_of("127.0.0.1");
  ck_assert_int_eq(hl_icmp_add_target(ctx, (struct sockaddr *)&ss, 4), -EINVAL);
  ss.ss_family = AF_UNIX;
  ck_assert_int_eq(hl_icmp_add_target(ctx, (struct sockaddr *)&ss, sizeof(ss)),
                   -EAFNOSUPPORT);
  ck_assert_int_eq(hl_icmp_begin(ctx, 0, 100, 1, 1, 1), -EINVAL);
  ck_assert_int_eq(hl_icmp_begin(ctx, HL_ICMP_MAX_COUNT + 1, 100, 1, 1, 1),
                   -EINVAL);
  uint8_t buf[32];
  ck_assert_int_eq(hl_icmp_prepare_echo(ctx, 0, 0, 1, buf, 32), -EINVAL);
  struct hl_icmp_result r;
  ck_assert_int_eq(hl_icmp_run(ctx, 0, 0, 0, &r, NULL, 0), -EINVAL);
  ck_assert_str_eq(hl_icmp_kind_name(HL_ICMP_RAW), "raw");
  ck_assert_str_eq(hl_icmp_kind_name(HL_ICMP_DGRAM), "dgram");
  ck_assert_str_eq(hl_icmp_kind_name(HL_ICMP_NONE), "none");
  hl_icmp_free(ctx);
  hl_icmp_free(NULL);
}
END_TEST

/* ---- statistics --------------------------------------------------------- */

START_TEST(test_stats) {
  struct hl_icmp_stats st = {0};
  const double v[] = {4, 1, 3, 2};
  for (int i = 0; i < 4; i++)
    hl_icmp_stats_add(&st, v[i]);
  struct hl_icmp_result r;
  memset(&r, 0, sizeof(r));
  hl_icmp_stats_result(&st, 5, &r);
  ck_assert_uint_eq(r.received, 4);
  ck_assert(r.reachable);
  ck_assert_double_eq_tol(r.rtt_avg, 2.5, 1e-12);
  ck_assert_double_eq_tol(r.rtt_min, 1.0, 1e-12);
  ck_assert_double_eq_tol(r.rtt_max, 4.0, 1e-12);
  ck_assert_double_eq_tol(r.rtt_stddev, sqrt(1.25), 1e-12);
  ck_assert_double_eq_tol(r.loss_pct, 20.0, 1e-12);

  struct hl_icmp_stats one = {0};
  hl_icmp_stats_add(&one, 50.0);
  hl_icmp_stats_result(&one, 1, &r);
  ck_assert_double_eq(r.rtt_stddev, 0.0);
  ck_assert_double_eq(r.loss_pct, 0.0);
}
END_TEST

START_TEST(test_stats_all_lost) {
  struct hl_icmp_stats st = {0};
  struct hl_icmp_result r;
  memset(&r, 0, sizeof(r));
  hl_icmp_stats_result(&st, 10, &r);
  ck_assert(!r.reachable);
  ck_assert_uint_eq(r.received, 0);
  ck_assert(isnan(r.rtt_avg) && isnan(r.rtt_min) && isnan(r.rtt_max) &&
            isnan(r.rtt_stddev));
  ck_assert_double_eq(r.loss_pct, 100.0);
  hl_icmp_stats_result(&st, 0, &r); /* nothing sent */
  ck_assert_double_eq(r.loss_pct, 100.0);
}
END_TEST

START_TEST(test_stats_large) {
  /* Welford stays exact where sum-of-squares would cancel */
  struct hl_icmp_stats st = {0};
  for (int i = 0; i < 1000; i++)
    hl_icmp_stats_add(&st, 1e6 + (i & 1));
  struct hl_icmp_result r;
  hl_icmp_stats_result(&st, 1000, &r);
  ck_assert_double_eq_tol(r.rtt_stddev, 0.5, 1e-6);
  ck_assert_double_eq_tol(r.rtt_avg, 1e6 + 0.5, 1e-6);
}
END_TEST

/* ---- resolution --------------------------------------------------------- */

START_TEST(test_resolve) {
  struct sockaddr_storage ss;
  socklen_t len = 0;
  ck_assert_int_eq(hl_icmp_resolve("127.0.0.1", AF_UNSPEC, 0, &ss, &len), 0);
  ck_assert_int_eq(ss.ss_family, AF_INET);
  ck_assert_uint_eq(len, sizeof(struct sockaddr_in));
  ck_assert_int_eq(hl_icmp_resolve("::1", AF_INET6, 0, &ss, &len), 0);
  ck_assert_int_eq(ss.ss_family, AF_INET6);
  ck_assert_int_eq(hl_icmp_resolve("::1", AF_INET, 1000, &ss, &len), -ENOENT);
  ck_assert_int_eq(hl_icmp_resolve("", AF_UNSPEC, 1000, &ss, &len), -EINVAL);
  ck_assert_int_eq(hl_icmp_resolve("x", AF_UNIX, 1000, &ss, &len), -EINVAL);
  ck_assert_int_eq(hl_icmp_resolve("localhost", AF_INET, 2000, &ss, &len), 0);
  const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;
  ck_assert_uint_eq(ntohl(a->sin_addr.s_addr) >> 24, 127);
}
END_TEST

/* ---- live --------------------------------------------------------------- */

START_TEST(test_live_loopback) {
  struct hl_icmp *ctx = hl_icmp_new();
  struct sockaddr_storage a = sa_of("127.0.0.1"), b = sa_of("::1");
  hl_icmp_add_target(ctx, (struct sockaddr *)&a, sa_len(&a));
  hl_icmp_add_target(ctx, (struct sockaddr *)&b, sa_len(&b));
  struct hl_icmp_result r[2];
  char err[256];
  int rc = hl_icmp_run(ctx, 3, 20, 1000, r, err, sizeof(err));
  if (rc == -EPERM) {
    fprintf(stderr, "hl_icmp live: skipped: %s\n", err);
    hl_icmp_free(ctx);
    return;
  }
  ck_assert_msg(rc == 0, "run: %d %s", rc, err);
  ck_assert_int_ne(hl_icmp_kind(ctx, AF_INET), HL_ICMP_NONE);
  ck_assert_msg(r[0].error == 0 && r[0].sent == 3 && r[0].received == 3,
                "127.0.0.1: error %d sent %u received %u", r[0].error,
                r[0].sent, r[0].received);
  ck_assert(r[0].rtt_max < 1000 && r[0].rtt_min >= 0);
  ck_assert_double_eq(r[0].loss_pct, 0.0);
  if (r[1].error != 0)
    fprintf(stderr, "hl_icmp live: ::1 skipped (error %d: %s)\n", r[1].error,
            err);
  else
    ck_assert_msg(r[1].received == 3, "::1: received %u", r[1].received);
  hl_icmp_free(ctx);
}
END_TEST

Suite *hl_icmp_suite(void) {
  Suite *s = suite_create("hl_icmp");
  TCase *pk = tcase_create("packets");
  tcase_add_loop_test(pk, test_checksum, 0, ARRAY_SIZE(ck_cases));
  tcase_add_test(pk, test_checksum_verifies_to_zero);
  tcase_add_loop_test(pk, test_roundtrip, 0, 3);
  tcase_add_test(pk, test_build_errors);
  tcase_add_loop_test(pk, test_prefixes_rejected, 0, 3);
  tcase_add_test(pk, test_bad_replies);
  tcase_add_test(pk, test_garbage);
  suite_add_tcase(s, pk);

  TCase *m = tcase_create("matching");
  tcase_add_test(m, test_match);
  tcase_add_test(m, test_match_strays);
  tcase_add_test(m, test_context_args);
  suite_add_tcase(s, m);

  TCase *st = tcase_create("stats");
  tcase_add_test(st, test_stats);
  tcase_add_test(st, test_stats_all_lost);
  tcase_add_test(st, test_stats_large);
  suite_add_tcase(s, st);

  TCase *live = tcase_create("live");
  tcase_add_test(live, test_resolve);
  tcase_add_test(live, test_live_loopback);
  tcase_set_timeout(live, 20);
  suite_add_tcase(s, live);
  return s;
}
