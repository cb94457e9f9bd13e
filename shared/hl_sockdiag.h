// SPDX-License-Identifier: MIT
/*
 * hl_sockdiag: the listening sockets of this network namespace.
 *
 * TCP sockets in LISTEN and UDP sockets that are bound but not connected
 * (what `ss -l` shows as LISTEN and UNCONN), IPv4 and IPv6. The primary path
 * is NETLINK_SOCK_DIAG with one inet_diag_req_v2 dump per protocol and
 * family; the fallback parses /proc/net/{tcp,tcp6,udp,udp6}. Both yield the
 * same struct hl_sock. Decoding is pure (bytes in, records out) so it is
 * unit-tested on recorded netlink dumps and /proc fixtures.
 */
#ifndef HOMELAB_SHARED_HL_SOCKDIAG_H
#define HOMELAB_SHARED_HL_SOCKDIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Which sockets to list (bits, combine with |). */
enum {
  HL_SD_TCP = 1 << 0,
  HL_SD_UDP = 1 << 1,
  HL_SD_V4 = 1 << 2,
  HL_SD_V6 = 1 << 3,
  HL_SD_ALL = HL_SD_TCP | HL_SD_UDP | HL_SD_V4 | HL_SD_V6,
};

/** enum hl_sd_method - where a listing came from. */
enum hl_sd_method { HL_SD_NETLINK = 1, HL_SD_PROCFS = 2 };

/**
 * struct hl_sock - one listening/bound socket.
 * @proto:   IPPROTO_TCP or IPPROTO_UDP.
 * @family:  AF_INET or AF_INET6.
 * @addr:    local address in network byte order; IPv4 uses the first 4 bytes.
 *           An IPv4-mapped IPv6 address stays AF_INET6 (as the kernel has it).
 * @port:    local port, host byte order.
 * @inode:   socket inode (0 for sockets of a closed owner).
 * @uid:     uid that created the socket.
 * @ifindex: device the socket is bound to (SO_BINDTODEVICE), 0 if none.
 * @backlog: TCP LISTEN: configured accept-queue limit; UDP: 0.
 * @queue:   TCP LISTEN: connections waiting in the accept queue;
 *           UDP: bytes waiting in the receive queue.
 */
struct hl_sock {
  uint8_t proto;
  uint8_t family;
  uint8_t addr[16];
  uint16_t port;
  uint64_t inode;
  uint32_t uid;
  uint32_t ifindex;
  uint32_t backlog;
  uint32_t queue;
};

/** struct hl_socks - a growable array of sockets; zero-initialise it. */
struct hl_socks {
  struct hl_sock *v;
  size_t n;
  size_t cap;
};

/**
 * hl_socks_push() - append a copy of @s.
 * Return: 0 or -ENOMEM.
 */
int hl_socks_push(struct hl_socks *list, const struct hl_sock *s);

/** hl_socks_free() - release the array; accepts a zeroed list. */
void hl_socks_free(struct hl_socks *list);

/**
 * hl_sock_addr_str() - text form of the local address ("0.0.0.0", "::",
 * "127.0.0.1", "::ffff:10.0.0.1"), as inet_ntop writes it.
 * @s: socket. @buf: output. @len: its size (46 is always enough).
 * Return: @buf.
 */
const char *hl_sock_addr_str(const struct hl_sock *s, char *buf, size_t len);

/**
 * hl_sock_is_wildcard() - bound to every address (0.0.0.0 or ::, or
 * ::ffff:0.0.0.0, the IPv4 wildcard bound through an IPv6 socket).
 * @s: socket. Return: true for a wildcard address.
 */
bool hl_sock_is_wildcard(const struct hl_sock *s);

/**
 * hl_sock_is_loopback() - bound to 127.0.0.0/8, ::1 or ::ffff:127.x.
 * @s: socket. Return: true for loopback.
 */
bool hl_sock_is_loopback(const struct hl_sock *s);

/**
 * hl_sockdiag_parse() - decode one recv() buffer of a sock_diag dump (pure).
 * @buf:   bytes as received from the netlink socket.
 * @len:   their count.
 * @proto: IPPROTO_TCP or IPPROTO_UDP (inet_diag_msg does not carry it).
 * @out:   sockets are appended here.
 * @done:  set to true when NLMSG_DONE was seen, else to false.
 *
 * Only TCP sockets in LISTEN and UDP sockets in CLOSE (unconnected) state
 * are kept. Truncated messages are rejected, never read past @len; records
 * of the complete messages before an error stay appended. Parsing stops at
 * NLMSG_DONE.
 * Return: 0; -EPROTO for malformed messages; the (negative) error carried
 * by an NLMSG_ERROR message or by an NLMSG_DONE (the kernel reports e.g.
 * -ENOENT for an unsupported protocol that way); -EINVAL for a @proto other
 * than TCP or UDP; -ENOMEM.
 */
int hl_sockdiag_parse(const void *buf, size_t len, int proto,
                      struct hl_socks *out, bool *done);

/**
 * hl_sockdiag_collect() - list sockets over NETLINK_SOCK_DIAG (I/O).
 * @what: HL_SD_* bits (a protocol bit and a family bit select a dump).
 * @out: sockets are appended; on failure it is left as it was.
 * @err, @errlen: a message on failure (may be NULL).
 * Return: 0 or a negative errno (e.g. -EPROTONOSUPPORT without sock_diag,
 * -ETIMEDOUT if the kernel does not answer within 2 s).
 */
int hl_sockdiag_collect(unsigned what, struct hl_socks *out, char *err,
                        size_t errlen);

/**
 * hl_procnet_parse() - decode /proc/net/{tcp,tcp6,udp,udp6} text (pure).
 * @buf, @len: file contents. @proto: IPPROTO_TCP or IPPROTO_UDP.
 * @family: AF_INET (tcp, udp files) or AF_INET6 (tcp6, udp6 files).
 * @out: sockets are appended (TCP state 0A, UDP state 07 only).
 *
 * Lines that do not parse are skipped; a header-only file yields nothing.
 * Return: 0, -EPROTO if no line has the expected shape but the file is not
 * empty (blank lines aside), -EINVAL for a bad @proto or @family, or -ENOMEM;
 * on failure @out is left as it was.
 */
int hl_procnet_parse(const char *buf, size_t len, int proto, int family,
                     struct hl_socks *out);

/**
 * hl_procnet_collect() - list sockets from the tcp, tcp6, udp and udp6 files
 * in <@proc_root>/net (I/O).
 * @proc_root: "/proc" or a fixture tree. @what: HL_SD_* bits. @out: appended;
 * on failure it is left as it was.
 * Return: 0 or a negative errno (a missing tcp6/udp6 file, as on a kernel
 * without IPv6, is not an error; -EPROTO as for hl_procnet_parse()).
 */
int hl_procnet_collect(const char *proc_root, unsigned what,
                       struct hl_socks *out);

/**
 * hl_socks_collect() - netlink first, then the /proc/net files if netlink
 * fails or @proc_root is not exactly "/proc" (a fixture tree cannot answer
 * netlink). A partial netlink result is discarded before the fallback.
 * @proc_root, @what, @out: as above. @method: set to the path used.
 * Return: 0 or the fallback's negative errno.
 */
int hl_socks_collect(const char *proc_root, unsigned what, struct hl_socks *out,
                     enum hl_sd_method *method);

/**
 * hl_socks_sort() - sort by proto (tcp first), port, family (IPv4 first),
 * address bytes, then inode.
 * @list: sockets.
 */
void hl_socks_sort(struct hl_socks *list);

#endif
