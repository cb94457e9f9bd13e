// SPDX-License-Identifier: MIT
/*
 * fuzz_procnet: the /proc/net/{tcp,tcp6,udp,udp6} fallback of hl_sockdiag.
 *
 * The input is parsed as each of the four files (hl_procnet_parse) onto a
 * list that already holds one record, which must survive a failure
 * untouched. Kept records must have the requested protocol and family.
 * Then the same bytes are written as the four files of a private proc root
 * and read back through hl_procnet_collect(), whose 64 KiB streaming window
 * must give exactly what the one-piece parser gave (inputs are shorter than
 * a window). The records go through the address helpers and the sort.
 * Seeds: the net/ files of tests/fixtures/sockdiag and tests/fixtures/proc.
 */
#include "fuzz.h"

#include "hl_sockdiag.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
  const char *name;
  int proto;
  int family;
} files[] = {
    {"tcp", IPPROTO_TCP, AF_INET},
    {"tcp6", IPPROTO_TCP, AF_INET6},
    {"udp", IPPROTO_UDP, AF_INET},
    {"udp6", IPPROTO_UDP, AF_INET6},
};
#define NFILES (sizeof(files) / sizeof(files[0]))

static char root[64]; /* private proc root: <root>/net/<file> */

static int rm_entry(const char *path, const struct stat *st, int flag,
                    struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  return remove(path);
}

static void rm_root(void) {
  if (root[0] != '\0')
    nftw(root, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  /* Memory-backed if possible: every input is written four times. */
  const char *tmp = getenv("TMPDIR");
  if (tmp == NULL || strlen(tmp) >= 32)
    tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  snprintf(root, sizeof(root), "%s/fuzz_procnet.XXXXXX", tmp);
  char net[80];
  if (mkdtemp(root) == NULL ||
      snprintf(net, sizeof(net), "%s/net", root) >= (int)sizeof(net) ||
      mkdir(net, 0700) != 0)
    abort();
  atexit(rm_root);
  return 0;
}

static void write_file(const char *name, const uint8_t *data, size_t size) {
  char path[96];
  snprintf(path, sizeof(path), "%s/net/%s", root, name);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  FZ_CHECK(fd >= 0);
  for (size_t off = 0; off < size;) {
    ssize_t n = write(fd, data + off, size - off);
    FZ_CHECK(n > 0);
    off += (size_t)n;
  }
  close(fd);
}

static bool sock_eq(const struct hl_sock *a, const struct hl_sock *b) {
  return a->proto == b->proto && a->family == b->family &&
         memcmp(a->addr, b->addr, sizeof(a->addr)) == 0 && a->port == b->port &&
         a->inode == b->inode && a->uid == b->uid && a->ifindex == b->ifindex &&
         a->backlog == b->backlog && a->queue == b->queue;
}

static void check_helpers(const struct hl_socks *l) {
  for (size_t i = 0; i < l->n; i++) {
    char buf[46];
    hl_sock_addr_str(&l->v[i], buf, sizeof(buf));
    FZ_CHECK(fz_terminated(buf, sizeof(buf)) && buf[0] != '\0');
    char tiny[3];
    hl_sock_addr_str(&l->v[i], tiny, sizeof(tiny));
    FZ_CHECK(fz_terminated(tiny, sizeof(tiny)));
    bool wild = hl_sock_is_wildcard(&l->v[i]);
    bool lo = hl_sock_is_loopback(&l->v[i]);
    FZ_CHECK(!(wild && lo));
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *buf = (const char *)data;
  struct hl_socks want = {0};
  int first_rc = 0;
  for (size_t f = 0; f < NFILES; f++) {
    struct hl_socks l = {0};
    struct hl_sock marker = {.proto = 99, .port = 4242};
    FZ_CHECK(hl_socks_push(&l, &marker) == 0);
    int rc = hl_procnet_parse(buf, size, files[f].proto, files[f].family, &l);
    FZ_CHECK(rc == 0 || rc == -EPROTO);
    FZ_CHECK(l.n >= 1 && l.v[0].proto == 99 && l.v[0].port == 4242);
    FZ_CHECK(rc == 0 || l.n == 1);
    for (size_t i = 1; i < l.n; i++) {
      FZ_CHECK(l.v[i].proto == files[f].proto);
      FZ_CHECK(l.v[i].family == files[f].family);
      if (first_rc == 0)
        FZ_CHECK(hl_socks_push(&want, &l.v[i]) == 0);
    }
    if (rc != 0 && first_rc == 0)
      first_rc = rc;
    hl_socks_free(&l);
  }
  FZ_CHECK(hl_procnet_parse(buf, size, IPPROTO_SCTP, AF_INET, &want) ==
           -EINVAL);
  FZ_CHECK(hl_procnet_parse(buf, size, IPPROTO_TCP, AF_UNIX, &want) == -EINVAL);

  /* The streaming reader must agree with the one-piece parser. */
  for (size_t f = 0; f < NFILES; f++)
    write_file(files[f].name, data, size);
  struct hl_socks got = {0};
  int rc = hl_procnet_collect(root, HL_SD_ALL, &got);
  FZ_CHECK(rc == first_rc);
  if (rc == 0) {
    FZ_CHECK(got.n == want.n);
    for (size_t i = 0; i < got.n; i++)
      FZ_CHECK(sock_eq(&got.v[i], &want.v[i]));
  } else {
    FZ_CHECK(got.n == 0);
  }

  check_helpers(&want);
  hl_socks_sort(&want);
  for (size_t i = 1; i < want.n; i++)
    FZ_CHECK(want.v[i - 1].proto != IPPROTO_UDP ||
             want.v[i].proto == IPPROTO_UDP);
  hl_socks_free(&got);
  hl_socks_free(&want);
  return 0;
}
