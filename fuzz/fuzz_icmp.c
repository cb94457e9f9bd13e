// SPDX-License-Identifier: MIT
/*
 * fuzz_icmp: hl_icmp's reply parser and the matching of replies to a run.
 *
 * Input: records of [flags] [length] [length bytes of packet]. Flags:
 *   bit 0  IPv6 (else IPv4)          bit 1  IPv4 header in front (raw)
 *   bit 2  fix the ICMPv4 checksum   bit 3  check the identifier (raw)
 *   bits 4-5  source: target 0 (127.0.0.1), target 1 (::1), target 2
 *             (10.0.0.2), or 192.0.2.9 (not a target)
 *   bits 6-7  arrival: 1 ms after the echo's send time, at the timeout,
 *             just after it, or before the send
 * With bit 2 the target writes the right checksum into the ICMP header
 * (after the IPv4 header if any), so mutations get past it.
 *
 * Each packet goes through hl_icmp_parse_reply() (result codes as the
 * header lists; a parsed reply is an echo reply with our magic) and then
 * hl_icmp_accept() of a run in progress: three targets, four echoes each
 * sent at known times with a fixed cookie, identifier 0x4242 and sequence
 * base 100. After all records the per-target results must be consistent
 * (received <= sent, loss 0..100 %, RTTs NAN exactly when nothing came
 * back, min <= avg <= max, stddev >= 0, RTTs within the timeout). Seeds:
 * fuzz/seeds/icmp (matching replies, duplicates, late and stray ones).
 */
#include "fuzz.h"

#include "hl_icmp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>

#define COOKIE 0x1122334455667788ull
#define IDENT 0x4242
#define SEQ_BASE 100
#define ROUNDS 4
#define TIMEOUT_MS 1000
#define T0 1000000000ull /* send time of round 0, ns */
#define SPACING 1000000ull

static void sa4(struct sockaddr_storage *ss, socklen_t *len, const char *ip) {
  struct sockaddr_in *a = (struct sockaddr_in *)ss;
  memset(ss, 0, sizeof(*ss));
  a->sin_family = AF_INET;
  FZ_CHECK(inet_pton(AF_INET, ip, &a->sin_addr) == 1);
  *len = sizeof(*a);
}

static void sa6(struct sockaddr_storage *ss, socklen_t *len, const char *ip) {
  struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
  memset(ss, 0, sizeof(*ss));
  a->sin6_family = AF_INET6;
  FZ_CHECK(inet_pton(AF_INET6, ip, &a->sin6_addr) == 1);
  *len = sizeof(*a);
}

static struct hl_icmp *new_run(void) {
  struct hl_icmp *ctx = hl_icmp_new();
  FZ_CHECK(ctx != NULL);
  struct sockaddr_storage ss;
  socklen_t len;
  sa4(&ss, &len, "127.0.0.1");
  FZ_CHECK(hl_icmp_add_target(ctx, (struct sockaddr *)&ss, len) == 0);
  sa6(&ss, &len, "::1");
  FZ_CHECK(hl_icmp_add_target(ctx, (struct sockaddr *)&ss, len) == 1);
  sa4(&ss, &len, "10.0.0.2");
  FZ_CHECK(hl_icmp_add_target(ctx, (struct sockaddr *)&ss, len) == 2);
  FZ_CHECK(hl_icmp_begin(ctx, ROUNDS, TIMEOUT_MS, COOKIE, IDENT, SEQ_BASE) ==
           0);
  uint8_t pkt[HL_ICMP_PACKET_LEN];
  for (unsigned r = 0; r < ROUNDS; r++)
    for (size_t t = 0; t < 3; t++)
      FZ_CHECK(hl_icmp_prepare_echo(ctx, t, r, T0 + r * SPACING, pkt,
                                    sizeof(pkt)) == HL_ICMP_PACKET_LEN);
  return ctx;
}

/* Writes the ICMPv4 checksum of @p (after a valid-looking IPv4 header). */
static void fix_checksum(uint8_t *p, size_t len, bool ip_header) {
  if (ip_header) {
    if (len < 20)
      return;
    size_t ihl = (size_t)(p[0] & 0x0f) * 4;
    if (ihl > len)
      return;
    p += ihl;
    len -= ihl;
  }
  if (len < HL_ICMP_HDR_LEN)
    return;
  p[2] = p[3] = 0;
  uint16_t c = hl_icmp_checksum(p, len);
  p[2] = (uint8_t)(c >> 8);
  p[3] = (uint8_t)c;
}

static void check_parse(int family, bool iph, const uint8_t *p, size_t len) {
  struct hl_icmp_echo e = {.id = 7};
  int rc = hl_icmp_parse_reply(family, iph, p, len, &e);
  FZ_CHECK(rc == 0 || rc == -EPROTO || rc == -EBADMSG || rc == -ENOMSG);
  if (rc != 0) {
    FZ_CHECK(e.id == 7); /* written only on success */
    return;
  }
  size_t off = family == AF_INET && iph ? (size_t)(p[0] & 0x0f) * 4 : 0;
  FZ_CHECK(len >= off + HL_ICMP_PACKET_LEN);
  FZ_CHECK(p[off] == (family == AF_INET ? 0 : 129) && p[off + 1] == 0);
  FZ_CHECK(memcmp(p + off + 8, "HLIC", 4) == 0);
  FZ_CHECK(family != AF_INET || hl_icmp_checksum(p + off, len - off) == 0);
  /* A reply we build from the fields parses back to the same fields. */
  uint8_t b[HL_ICMP_PACKET_LEN];
  struct hl_icmp_echo back;
  FZ_CHECK(hl_icmp_build_echo(family, true, &e, b, sizeof(b)) ==
           HL_ICMP_PACKET_LEN);
  FZ_CHECK(hl_icmp_parse_reply(family, false, b, sizeof(b), &back) == 0);
  FZ_CHECK(back.id == e.id && back.seq == e.seq && back.target == e.target &&
           back.cookie == e.cookie && back.stamp_ns == e.stamp_ns);
}

static void check_results(const struct hl_icmp *ctx) {
  for (size_t t = 0; t < 3; t++) {
    struct hl_icmp_result r;
    hl_icmp_result(ctx, t, &r);
    FZ_CHECK(r.sent == ROUNDS && r.received <= r.sent);
    FZ_CHECK(r.reachable == (r.received > 0));
    FZ_CHECK(r.loss_pct >= 0 && r.loss_pct <= 100);
    if (r.received == 0) {
      FZ_CHECK(isnan(r.rtt_avg) && isnan(r.rtt_min) && isnan(r.rtt_max) &&
               isnan(r.rtt_stddev));
      continue;
    }
    FZ_CHECK(r.rtt_min <= r.rtt_avg + 1e-9 && r.rtt_avg <= r.rtt_max + 1e-9);
    FZ_CHECK(r.rtt_min >= 0 && r.rtt_max <= TIMEOUT_MS);
    FZ_CHECK(r.rtt_stddev >= 0 && isfinite(r.rtt_stddev));
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct hl_icmp *ctx = new_run();
  size_t off = 0;
  while (off + 2 <= size) {
    uint8_t flags = data[off];
    size_t len = data[off + 1];
    off += 2;
    if (len > size - off)
      len = size - off;
    uint8_t *p = fz_dup(data + off, len);
    off += len;
    int family = flags & 1 ? AF_INET6 : AF_INET;
    bool iph = (flags & 2) && family == AF_INET;
    if (flags & 4 && family == AF_INET)
      fix_checksum(p, len, iph);
    check_parse(family, iph, p, len);

    struct sockaddr_storage from;
    socklen_t fromlen;
    static const char *const src[] = {"127.0.0.1", "::1", "10.0.0.2",
                                      "192.0.2.9"};
    const char *ip = src[(flags >> 4) & 3];
    if (strchr(ip, ':') != NULL)
      sa6(&from, &fromlen, ip);
    else
      sa4(&from, &fromlen, ip);
    /* Arrival relative to the latest send; the run's sends are T0 + r ms. */
    static const int64_t when[] = {1000000, TIMEOUT_MS * 1000000ll,
                                   TIMEOUT_MS * 1000000ll + 1, -1};
    uint64_t now = T0 + (ROUNDS - 1) * SPACING + (uint64_t)when[flags >> 6];
    unsigned strays = hl_icmp_strays(ctx);
    int rc = hl_icmp_accept(ctx, (struct sockaddr *)&from, fromlen, iph,
                            flags & 8, p, len, now);
    FZ_CHECK(rc == 0 || rc == -EPROTO || rc == -EBADMSG || rc == -ENOMSG ||
             rc == -ESRCH || rc == -EALREADY || rc == -ETIME);
    bool stray = rc == -EPROTO || rc == -EBADMSG || rc == -ESRCH;
    FZ_CHECK(hl_icmp_strays(ctx) == strays + stray);
    if (rc == 0) /* a second copy is a duplicate */
      FZ_CHECK(hl_icmp_accept(ctx, (struct sockaddr *)&from, fromlen, iph,
                              flags & 8, p, len, now) == -EALREADY);
    free(p);
  }
  check_results(ctx);
  hl_icmp_free(ctx);
  return 0;
}
