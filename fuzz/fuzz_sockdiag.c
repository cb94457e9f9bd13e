// SPDX-License-Identifier: MIT
/*
 * fuzz_sockdiag: hl_sockdiag's pure decoder of NETLINK_SOCK_DIAG dumps.
 *
 * The input is one recv() buffer as the kernel would deliver it (a run of
 * nlmsghdr-framed messages: inet_diag_msg records, NLMSG_DONE, NLMSG_ERROR)
 * and is decoded as a TCP and as a UDP dump. Records must carry the
 * requested protocol and an IPv4/IPv6 family; the return value must be one
 * the header lists; an error must be a negative errno within range. The
 * buffer is also decoded in two pieces split at a message boundary, as the
 * collector feeds datagrams, and the records must add up. Seeds:
 * tests/fixtures/sockdiag/real/nl_*.bin.
 */
#include "fuzz.h"

#include "hl_sockdiag.h"

#include <errno.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sys/socket.h>

static void check_list(const struct hl_socks *l, size_t from, int proto) {
  for (size_t i = from; i < l->n; i++) {
    FZ_CHECK(l->v[i].proto == proto);
    FZ_CHECK(l->v[i].family == AF_INET || l->v[i].family == AF_INET6);
    char buf[46];
    hl_sock_addr_str(&l->v[i], buf, sizeof(buf));
    FZ_CHECK(fz_terminated(buf, sizeof(buf)) && buf[0] != '\0');
    (void)hl_sock_is_wildcard(&l->v[i]);
    (void)hl_sock_is_loopback(&l->v[i]);
  }
}

/* Offset of the first message boundary after the first message, or 0. */
static size_t first_boundary(const uint8_t *data, size_t size) {
  struct nlmsghdr h;
  if (size < sizeof(h))
    return 0;
  memcpy(&h, data, sizeof(h));
  size_t next = NLMSG_ALIGN((size_t)h.nlmsg_len);
  return h.nlmsg_len >= sizeof(h) && next < size ? next : 0;
}

static void fuzz_proto(const uint8_t *data, size_t size, int proto) {
  struct hl_socks l = {0};
  bool done = true;
  int rc = hl_sockdiag_parse(data, size, proto, &l, &done);
  FZ_CHECK(rc <= 0 && rc >= -4095);
  check_list(&l, 0, proto);

  /* Two datagrams: the first message, then the rest (aligned copies). */
  size_t cut = first_boundary(data, size);
  if (rc == 0 && !done && cut > 0) {
    struct hl_socks two = {0};
    bool d1 = true, d2 = true;
    void *a = fz_dup(data, cut);
    void *b = fz_dup(data + cut, size - cut);
    int r1 = hl_sockdiag_parse(a, cut, proto, &two, &d1);
    int r2 = r1 == 0 && !d1 ? hl_sockdiag_parse(b, size - cut, proto, &two, &d2)
                            : r1;
    FZ_CHECK(r1 == 0 && !d1 && r2 == 0 && !d2);
    FZ_CHECK(two.n == l.n);
    free(a);
    free(b);
    hl_socks_free(&two);
  }
  FZ_CHECK(hl_sockdiag_parse(data, size, IPPROTO_SCTP, &l, &done) == -EINVAL);
  hl_socks_sort(&l);
  hl_socks_free(&l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* The kernel hands out aligned buffers, and so does libFuzzer. */
  fuzz_proto(data, size, IPPROTO_TCP);
  fuzz_proto(data, size, IPPROTO_UDP);
  return 0;
}
