// SPDX-License-Identifier: MIT
/*
 * hl_icmp: an ICMP echo ("ping") engine for IPv4 and IPv6, without forking.
 *
 * The packet side is pure: build an echo request (type 8 / ICMPv6 128) whose
 * 24-byte payload carries a magic, the target index, a per-run cookie and the
 * send time; compute the RFC 1071 checksum; parse a reply (with the IPv4
 * header that raw sockets deliver, or without it as datagram sockets do) and
 * fold RTTs into statistics (average, min, max, population stddev, loss %).
 *
 * The I/O side probes every target of a struct hl_icmp concurrently from one
 * poll loop. It opens ICMP datagram sockets (SOCK_DGRAM + IPPROTO_ICMP/ICMPV6)
 * where net.ipv4.ping_group_range covers our gid, else raw sockets (which
 * need CAP_NET_RAW). Datagram sockets make the kernel rewrite the identifier
 * to the socket's port, so replies are matched by source address, sequence
 * number and payload (magic, cookie, target index, send time); stray,
 * duplicate and late replies are counted and ignored. A run ends at most
 * `timeout` after the last send. Names are resolved by hl_icmp_resolve() on a
 * helper thread with a deadline, so a dead DNS server cannot stall a read.
 */
#ifndef HOMELAB_SHARED_HL_ICMP_H
#define HOMELAB_SHARED_HL_ICMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>

/** Bytes of the ICMP header, of our payload and of a whole echo request. */
#define HL_ICMP_HDR_LEN 8
#define HL_ICMP_PAYLOAD_LEN 24
#define HL_ICMP_PACKET_LEN (HL_ICMP_HDR_LEN + HL_ICMP_PAYLOAD_LEN)

/** Largest number of echoes per target and run. */
#define HL_ICMP_MAX_COUNT 1000

/** enum hl_icmp_kind - which socket type a family was probed with. */
enum hl_icmp_kind {
  HL_ICMP_NONE = 0, /* not opened (no target of that family, or failed) */
  HL_ICMP_DGRAM = 1,
  HL_ICMP_RAW = 2,
};

/**
 * struct hl_icmp_echo - the fields of one echo request or reply.
 * @id:       ICMP identifier (host order; datagram sockets rewrite it).
 * @seq:      ICMP sequence number (host order).
 * @target:   index of the target, from the payload.
 * @cookie:   per-run random value, from the payload.
 * @stamp_ns: send time (CLOCK_MONOTONIC, ns), from the payload.
 */
struct hl_icmp_echo {
  uint16_t id;
  uint16_t seq;
  uint32_t target;
  uint64_t cookie;
  uint64_t stamp_ns;
};

/**
 * struct hl_icmp_stats - running RTT statistics (Welford); zero-initialise.
 * @n: samples. @mean, @m2: running mean and sum of squared deviations (ms).
 * @min, @max: extremes (ms), valid when @n > 0.
 */
struct hl_icmp_stats {
  unsigned n;
  double mean;
  double m2;
  double min;
  double max;
};

/**
 * struct hl_icmp_result - outcome of one target in one run.
 * @error:      0, or a negative errno when the target could not be probed at
 *              all: no socket for its family.
 * @send_error: 0, or the negative errno of sendto() when every echo to the
 *              target failed to leave (no route, a blackhole or prohibit
 *              route, a firewall rule): the target is unreachable, with
 *              @received 0 and @loss_pct 100.
 * @sent:       echo requests handed to the kernel (or attempted).
 * @received:   distinct, timely, matching replies.
 * @duplicates: further replies to an already answered sequence number.
 * @late:       matching replies that came after the timeout.
 * @reachable:  true if @received > 0.
 * @loss_pct:   100 * (sent - received) / sent; 100 when nothing was sent.
 * @rtt_avg, @rtt_min, @rtt_max, @rtt_stddev: milliseconds; NAN when
 *              @received is 0 (stddev is the population one, as ping's mdev).
 */
struct hl_icmp_result {
  int error;
  int send_error;
  unsigned sent;
  unsigned received;
  unsigned duplicates;
  unsigned late;
  bool reachable;
  double loss_pct;
  double rtt_avg;
  double rtt_min;
  double rtt_max;
  double rtt_stddev;
};

/**
 * hl_icmp_checksum() - RFC 1071 internet checksum.
 * @buf: bytes (an odd length is padded with a zero byte). @len: their count.
 * Return: the checksum as a number (0x220d for RFC 1071's example bytes
 * 00 01 f2 03 f4 f5 f6 f7); it is stored big-endian. A buffer that includes
 * a correct checksum sums to 0.
 */
uint16_t hl_icmp_checksum(const void *buf, size_t len);

/**
 * hl_icmp_build_echo() - write an echo request or reply.
 * @family: AF_INET (type 8/0, checksum filled in) or AF_INET6 (type 128/129,
 *          checksum left 0: the kernel computes it for ICMPv6 sockets).
 * @reply:  build a reply instead of a request (for tests and responders).
 * @e:      id, seq and payload fields.
 * @buf:    output. @size: its size.
 * Return: HL_ICMP_PACKET_LEN; -ENOBUFS if @size is too small; -EAFNOSUPPORT.
 */
int hl_icmp_build_echo(int family, bool reply, const struct hl_icmp_echo *e,
                       void *buf, size_t size);

/**
 * hl_icmp_parse_reply() - decode an echo reply carrying our payload.
 * @family:    AF_INET or AF_INET6.
 * @ip_header: the buffer starts with the IPv4 header (IPv4 raw sockets).
 * @buf:       received bytes. @len: their count; nothing past it is read.
 * @out:       decoded fields, written only on success.
 *
 * IPv4 checksums are verified; ICMPv6 ones were checked by the kernel.
 * Return: 0; -EPROTO if truncated or malformed (bad IP header, short
 * payload); -EBADMSG on a bad IPv4 checksum; -ENOMSG if it is valid ICMP but
 * not an echo reply with our magic (other ICMP types, other pingers).
 */
int hl_icmp_parse_reply(int family, bool ip_header, const void *buf, size_t len,
                        struct hl_icmp_echo *out);

/**
 * hl_icmp_stats_add() - fold one RTT sample into @st.
 * @st: statistics. @rtt_ms: round-trip time in milliseconds.
 */
void hl_icmp_stats_add(struct hl_icmp_stats *st, double rtt_ms);

/**
 * hl_icmp_stats_result() - fill the RTT and loss fields of @r.
 * @st:   samples (st->n is taken as the number received).
 * @sent: echoes sent.
 * @r:    result; @received, @reachable, @loss_pct and the rtt fields are set
 *        (NAN RTTs and 100 % loss if nothing came back or nothing was sent).
 */
void hl_icmp_stats_result(const struct hl_icmp_stats *st, unsigned sent,
                          struct hl_icmp_result *r);

struct hl_icmp;

/**
 * hl_icmp_new() - an empty probing context.
 * Return: the context (free with hl_icmp_free()) or NULL when out of memory.
 */
struct hl_icmp *hl_icmp_new(void);

/** hl_icmp_free() - close sockets and release @ctx; accepts NULL. */
void hl_icmp_free(struct hl_icmp *ctx);

/**
 * hl_icmp_add_target() - add a target address.
 * @ctx: context. @sa: AF_INET or AF_INET6 address (port ignored).
 * @salen: its length.
 * Return: the target's index (>= 0), -EAFNOSUPPORT, -EINVAL or -ENOMEM.
 */
int hl_icmp_add_target(struct hl_icmp *ctx, const struct sockaddr *sa,
                       socklen_t salen);

/** hl_icmp_target_count() - number of targets added. */
size_t hl_icmp_target_count(const struct hl_icmp *ctx);

/**
 * hl_icmp_begin() - reset per-run state for a run of @count echoes.
 * @ctx: context. @count: echoes per target, 1..HL_ICMP_MAX_COUNT.
 * @timeout_ms: replies later than this after their send are "late".
 * @cookie, @ident, @seq_base: run identity (hl_icmp_run() picks random ones).
 *
 * hl_icmp_run() calls this; it is public so that the matching logic can be
 * driven without sockets (see hl_icmp_prepare_echo()/hl_icmp_accept()).
 * Return: 0, -EINVAL or -ENOMEM.
 */
int hl_icmp_begin(struct hl_icmp *ctx, unsigned count, unsigned timeout_ms,
                  uint64_t cookie, uint16_t ident, uint16_t seq_base);

/**
 * hl_icmp_prepare_echo() - build echo number @round for target @ti and record
 * @now_ns as its send time; it counts as sent.
 * @buf, @size: output buffer (HL_ICMP_PACKET_LEN bytes are enough).
 * Return: the packet length, -EINVAL (bad index/round) or -ENOBUFS.
 */
int hl_icmp_prepare_echo(struct hl_icmp *ctx, size_t ti, unsigned round,
                         uint64_t now_ns, void *buf, size_t size);

/**
 * hl_icmp_accept() - match one received packet against the run.
 * @ctx:       context after hl_icmp_begin().
 * @from:      source address from recvfrom(). @fromlen: its length.
 * @ip_header: @buf starts with an IPv4 header (IPv4 raw socket).
 * @check_id:  the identifier must equal the run's (raw sockets only; the
 *             kernel rewrites it on datagram sockets).
 * @buf, @len: packet. @now_ns: arrival time (CLOCK_MONOTONIC).
 *
 * Return: 0 if it answered an outstanding echo (its RTT is recorded);
 * -EPROTO/-EBADMSG/-ENOMSG as hl_icmp_parse_reply(); -ESRCH for a reply that
 * is not ours (cookie, id, target index, source address, sequence or send
 * time do not match: a stray); -EALREADY for a duplicate; -ETIME for a late
 * reply. Parse failures and -ESRCH count as strays (hl_icmp_strays()),
 * except -ENOMSG (other ICMP traffic); duplicates and late replies are
 * counted per target.
 */
int hl_icmp_accept(struct hl_icmp *ctx, const struct sockaddr *from,
                   socklen_t fromlen, bool ip_header, bool check_id,
                   const void *buf, size_t len, uint64_t now_ns);

/**
 * hl_icmp_result() - the outcome of target @ti so far.
 * @ctx: context. @ti: target index. @r: filled in.
 */
void hl_icmp_result(const struct hl_icmp *ctx, size_t ti,
                    struct hl_icmp_result *r);

/**
 * hl_icmp_run() - probe every target @count times and wait for the replies.
 * @ctx:        context with targets.
 * @count:      echoes per target (1..HL_ICMP_MAX_COUNT).
 * @spacing_ms: time between the rounds of echoes.
 * @timeout_ms: how long to wait for each reply; the run ends at the latest
 *              @timeout_ms after the last send (earlier if all answered).
 * @results:    one per target, in target order.
 * @err, @errlen: a message when a family could not be probed (may be NULL),
 *              e.g. "need CAP_NET_RAW or net.ipv4.ping_group_range covering
 *              gid 1000"; set even if the run as a whole succeeded.
 *
 * Return: 0 if at least one family's socket opened (targets of a family
 * without a socket get results[i].error set); otherwise the negative errno
 * of the failure (-EPERM, -EAFNOSUPPORT, ...); -EINVAL for bad arguments.
 */
int hl_icmp_run(struct hl_icmp *ctx, unsigned count, unsigned spacing_ms,
                unsigned timeout_ms, struct hl_icmp_result *results, char *err,
                size_t errlen);

/**
 * hl_icmp_kind() - the socket type the last run used for @family.
 * Return: HL_ICMP_DGRAM, HL_ICMP_RAW or HL_ICMP_NONE.
 */
enum hl_icmp_kind hl_icmp_kind(const struct hl_icmp *ctx, int family);

/** hl_icmp_kind_name() - "dgram", "raw" or "none". */
const char *hl_icmp_kind_name(enum hl_icmp_kind kind);

/**
 * hl_icmp_strays() - echo replies of the last run that were malformed or
 * not ours (another run, pinger or address); duplicates and late replies
 * are counted per target instead.
 */
unsigned hl_icmp_strays(const struct hl_icmp *ctx);

/**
 * hl_icmp_resolve() - resolve a host name or address with a deadline.
 * @name:       host name or numeric address.
 * @family:     AF_UNSPEC (first address returned), AF_INET or AF_INET6.
 * @timeout_ms: deadline for the lookup; numeric addresses never wait.
 * @out:        first address (port 0). @outlen: its length.
 *
 * Lookups run on a detached helper thread; on timeout the caller returns at
 * once and the thread cleans up whenever getaddrinfo() comes back.
 * Return: 0; -ETIMEDOUT; -ENOENT (no such name/no address of @family);
 * -EAGAIN (temporary DNS failure); -EINVAL; -ENOMEM.
 */
int hl_icmp_resolve(const char *name, int family, unsigned timeout_ms,
                    struct sockaddr_storage *out, socklen_t *outlen);

#endif
