// SPDX-License-Identifier: MIT
/*
 * Unit tests for shared/hl_owners. The pure parsers run on exact-size heap
 * copies (ASan reports any read past the length). hl_owners_resolve() runs
 * on the fixture tree tests/fixtures/owners/basic/ (a kernel thread, forked
 * workers sharing a socket, hostile names, non-numeric dirs), copied to a
 * temp dir with its fd symlinks to "socket:[N]" strings made from
 * basic.links (make dist would dereference, and choke on, dangling links);
 * on trees built in code when a test must change them between calls (owner
 * moved, fd dir unreadable or gone, retry schedule); and on the real /proc
 * with a socket the test process itself listens on.
 */
#include "check_suites.h"
#include "hl_owners.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- hl_owners_parse_link ---- */

static const struct link_case {
  const char *in;
  size_t len; /* 0: strlen(in) */
  int rc;
  uint64_t inode;
} link_cases[] = {
    {"socket:[123]", 0, 0, 123},
    {"socket:[1]", 0, 0, 1},
    {"socket:[0]", 0, 0, 0},
    {"socket:[18446744073709551615]", 0, 0, UINT64_MAX},
    {"socket:[18446744073709551616]", 0, -EINVAL, 0},
    {"socket:[99999999999999999999999]", 0, -EINVAL, 0},
    {"socket:[]", 0, -EINVAL, 0},
    {"socket:[12a]", 0, -EINVAL, 0},
    {"socket:[-1]", 0, -EINVAL, 0},
    {"socket:[ 12]", 0, -EINVAL, 0},
    {"socket:[12", 0, -EINVAL, 0},
    {"socket:[12]x", 0, -EINVAL, 0},
    {"socket:[123]", 11, -EINVAL, 0}, /* "]" is past len */
    {"socket:[123]", 8, -EINVAL, 0},
    {"socket:[", 0, -EINVAL, 0},
    {"socket", 0, -EINVAL, 0},
    {"Socket:[1]", 0, -EINVAL, 0},
    {"pipe:[1]", 0, -EINVAL, 0},
    {"anon_inode:[eventfd]", 0, -EINVAL, 0},
    {"anon_inode:[socket]", 0, -EINVAL, 0},
    {"/dev/null", 0, -EINVAL, 0},
    {"/tmp/socket:[1]", 0, -EINVAL, 0},
    {"", 0, -EINVAL, 0},
};

START_TEST(test_parse_link) {
  const struct link_case *c = &link_cases[_i];
  size_t len = c->len ? c->len : strlen(c->in);
  char *buf = hl_test_dup_exact(c->in, len);
  uint64_t inode = 777;
  int rc = hl_owners_parse_link(buf, len, &inode);
  ck_assert_msg(rc == c->rc, "%s (%zu): rc %d, want %d", c->in, len, rc, c->rc);
  ck_assert_uint_eq(inode, rc == 0 ? c->inode : 777);
  free(buf);
}
END_TEST

START_TEST(test_parse_link_null) {
  uint64_t inode = 0;
  ck_assert_int_eq(hl_owners_parse_link(NULL, 0, &inode), -EINVAL);
}
END_TEST

/* ---- hl_owners_join_cmdline ---- */

#define BYTES(s) s, sizeof(s) - 1

static const struct cmdline_case {
  const char *in;
  size_t len;
  const char *want;
} cmdline_cases[] = {
    {BYTES("/usr/sbin/sshd\0-D\0"), "/usr/sbin/sshd -D"},
    {BYTES("nginx: master process /usr/sbin/nginx\0"),
     "nginx: master process /usr/sbin/nginx"},
    {BYTES("setproctitle without nul"), "setproctitle without nul"},
    {BYTES("a\0\0b\0"), "a  b"},
    {BYTES("two\nlines\0(x)\0"), "two\nlines (x)"},
    {BYTES("\xff\xfe\0caf\xc3\xa9\0"), "\xff\xfe caf\xc3\xa9"},
    {BYTES("trailing\0\0\0\0"), "trailing"},
    {BYTES("\0\0\0"), ""},
    {BYTES("\0lead\0"), " lead"},
    {BYTES(""), ""},
    {BYTES("x"), "x"},
};

START_TEST(test_join_cmdline) {
  const struct cmdline_case *c = &cmdline_cases[_i];
  char *buf = hl_test_dup_exact(c->in, c->len);
  char *s = hl_owners_join_cmdline(buf, c->len);
  ck_assert_ptr_nonnull(s);
  ck_assert_str_eq(s, c->want);
  free(s);
  free(buf);
}
END_TEST

/* ---- hl_owners_parse_status_uid ---- */

static const struct status_case {
  const char *in;
  int rc;
  uint32_t uid;
} status_cases[] = {
    {"Name:\tsshd\nPid:\t812\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n", 0, 0},
    {"Name:\tx\nUid:\t1000\t1001\t1002\t1003\n", 0, 1000},
    {"Uid:\t33\t33\t33\t33", 0, 33}, /* first line, no newline */
    {"Uid: 65534 65534 65534 65534\n", 0, 65534},
    {"Uid:\t4294967295\t0\t0\t0\n", 0, UINT32_MAX},
    {"Uid:42\n", 0, 42},
    {"Uid:\t7\n", 0, 7},
    {"Name:\tUid:\t5\nUid:\t6\t6\t6\t6\n", 0, 6}, /* key only at line start */
    {"XUid:\t5\nUid:\t9\t9\t9\t9\n", 0, 9},
    {"Uid:\t4294967296\t0\t0\t0\n", -EPROTO, 0},
    {"Uid:\t-1\t0\t0\t0\n", -EPROTO, 0},
    {"Uid:\tabc\n", -EPROTO, 0},
    {"Uid:\t12x\t0\n", -EPROTO, 0},
    {"Uid:\n", -EPROTO, 0},
    {"Uid:", -EPROTO, 0},
    {"Uid", -EPROTO, 0},
    {"uid:\t0\n", -EPROTO, 0},
    {"Name:\tx\nGid:\t0\t0\t0\t0\n", -EPROTO, 0},
    {"", -EPROTO, 0},
};

START_TEST(test_status_uid) {
  const struct status_case *c = &status_cases[_i];
  size_t len = strlen(c->in);
  char *buf = hl_test_dup_exact(c->in, len);
  uint32_t uid = 12345;
  int rc = hl_owners_parse_status_uid(buf, len, &uid);
  ck_assert_msg(rc == c->rc, "case %d: rc %d, want %d", _i, rc, c->rc);
  ck_assert_uint_eq(uid, rc == 0 ? c->uid : 12345);
  free(buf);
}
END_TEST

START_TEST(test_status_uid_null) {
  uint32_t uid = 0;
  ck_assert_int_eq(hl_owners_parse_status_uid(NULL, 0, &uid), -EPROTO);
}
END_TEST

/* ---- fixture trees are copied to a temp dir ---- */

struct tree {
  char root[64];
};

static void tree_init(struct tree *t) {
  snprintf(t->root, sizeof(t->root), "/tmp/hl_owners.XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(t->root));
}

static int rm_entry(const char *path, const struct stat *sb, int flag,
                    struct FTW *ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  return remove(path);
}

static void tree_free(struct tree *t) {
  nftw(t->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void tree_path(const struct tree *t, char *out, size_t size, int pid,
                      const char *rest) {
  int n = snprintf(out, size, "%s/%d%s", t->root, pid, rest);
  ck_assert(n > 0 && (size_t)n < size);
}

/* mkdir -p of the parent directories of @path. */
static void make_parents(const char *path) {
  char dir[PATH_MAX];
  ck_assert_uint_lt(strlen(path), sizeof(dir));
  snprintf(dir, sizeof(dir), "%s", path);
  for (char *p = strchr(dir + 1, '/'); p != NULL; p = strchr(p + 1, '/')) {
    *p = '\0';
    ck_assert(mkdir(dir, 0755) == 0 || errno == EEXIST);
    *p = '/';
  }
}

static void copy_file(const char *from, const char *to) {
  FILE *in = fopen(from, "rb");
  ck_assert_msg(in != NULL, "%s: %s", from, strerror(errno));
  FILE *out = fopen(to, "wb");
  ck_assert_ptr_nonnull(out);
  char buf[4096];
  for (;;) {
    size_t n = fread(buf, 1, sizeof(buf), in);
    if (n == 0)
      break;
    ck_assert_uint_eq(fwrite(buf, 1, n, out), n);
  }
  fclose(in);
  ck_assert_int_eq(fclose(out), 0);
}

/* Copies the directories and regular files below @from into @to. */
static void copy_tree(const char *from, const char *to) {
  DIR *d = opendir(from);
  ck_assert_msg(d != NULL, "%s: %s", from, strerror(errno));
  for (;;) {
    struct dirent *e = readdir(d);
    if (e == NULL)
      break;
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    char src[PATH_MAX];
    char dst[PATH_MAX];
    snprintf(src, sizeof(src), "%s/%s", from, e->d_name);
    snprintf(dst, sizeof(dst), "%s/%s", to, e->d_name);
    struct stat sb;
    ck_assert_int_eq(lstat(src, &sb), 0);
    if (S_ISDIR(sb.st_mode)) {
      ck_assert_int_eq(mkdir(dst, 0755), 0);
      copy_tree(src, dst);
    } else if (S_ISREG(sb.st_mode)) {
      copy_file(src, dst);
    }
  }
  closedir(d);
}

/* Makes the symlinks listed in @links ("<path> <target>" lines) in @root. */
static void make_links(const char *links, const char *root) {
  FILE *f = fopen(links, "r");
  ck_assert_msg(f != NULL, "%s: %s", links, strerror(errno));
  char line[512];
  while (fgets(line, sizeof(line), f) != NULL) {
    line[strcspn(line, "\n")] = '\0';
    char *sp = strchr(line, ' ');
    if (line[0] == '#' || sp == NULL)
      continue;
    *sp = '\0';
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", root, line);
    make_parents(path);
    ck_assert_msg(symlink(sp + 1, path) == 0, "%s: %s", path, strerror(errno));
  }
  fclose(f);
}

/* A temp copy of fixture tree owners/<name>, with owners/<name>.links. */
static void tree_fixture(struct tree *t, const char *name) {
  tree_init(t);
  char rel[64];
  char src[PATH_MAX];
  snprintf(rel, sizeof(rel), "owners/%s", name);
  copy_tree(hl_test_fixture_path(src, sizeof(src), rel), t->root);
  snprintf(rel, sizeof(rel), "owners/%s.links", name);
  make_links(hl_test_fixture_path(src, sizeof(src), rel), t->root);
}

/* ---- resolve on the fixture tree ---- */

/* Every inode the fixture knows about, plus ones nobody holds. */
static const uint64_t basic_inodes[] = {1001, 2002, 3003, 30031, 4004, 5005,
                                        6006, 8008, 9009, 7007,  12,   1};

static const struct owner_case {
  uint64_t inode;
  int pid; /* 0: no owner expected */
  int fd;
  const char *comm;
  const char *user;
  uint32_t uid;
  const char *cmdline;
} owner_cases[] = {
    /* held by pid 1 and pid 812: the lowest pid wins */
    {1001, 1, 7, "systemd", "root", 0, "/sbin/init splash"},
    {2002, 812, 3, "sshd", "root", 0,
     "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups"},
    /* nginx master and two workers share both sockets */
    {3003, 4300, 6, "nginx", "root", 0,
     "nginx: master process /usr/sbin/nginx -g daemon on; master_process on;"},
    {30031, 4300, 7, "nginx", "root", 0,
     "nginx: master process /usr/sbin/nginx -g daemon on; master_process on;"},
    /* pids 999 and 1000: by number, not by name */
    {4004, 999, 5, "worker", "cloudsdk", 1000, "/usr/bin/worker --id 999"},
    {5005, 31337, 3, "we ird (x) y", "4242", 4242,
     "/opt/x/bin/srv --name two\nlines \xff\xfe(caf\xc3\xa9)"},
    {6006, 33000, 1023, "php-fpm8.2", "www-data", 33, "php-fpm: pool www"},
    /* status has no Uid line */
    {8008, 500, 9, "odd", "", HL_OWNERS_NO_UID, "odd"},
    /* process gone but for its fd dir */
    {9009, 600, 4, "", "", HL_OWNERS_NO_UID, ""},
    /* only in non-numeric dirs */
    {7007, 0, -1, NULL, NULL, 0, NULL},
    /* "socket:[12a]" is not inode 12; nobody holds 1 */
    {12, 0, -1, NULL, NULL, 0, NULL},
    {1, 0, -1, NULL, NULL, 0, NULL},
};

/* The fixture tree "basic" in @t, and a cache on it. */
static struct hl_owners *basic_owners(struct tree *t, unsigned retry_every) {
  tree_fixture(t, "basic");
  struct hl_owners *o = hl_owners_new(t->root, retry_every);
  ck_assert_ptr_nonnull(o);
  return o;
}

/* The user name the fixture's uid 1000 has on this machine. */
static void expected_user(uint32_t uid, const char *fixture, char *out,
                          size_t size) {
  if (strcmp(fixture, "cloudsdk") != 0) {
    snprintf(out, size, "%s", fixture);
    return;
  }
  struct passwd *pw = getpwuid(uid);
  if (pw != NULL)
    snprintf(out, size, "%s", pw->pw_name);
  else
    snprintf(out, size, "%u", uid);
}

START_TEST(test_resolve_basic) {
  const struct owner_case *c = &owner_cases[_i];
  struct tree t;
  struct hl_owners *o = basic_owners(&t, 1);
  ck_assert_int_eq(
      hl_owners_resolve(o, basic_inodes, ARRAY_SIZE(basic_inodes), true), 0);
  int fd = 42;
  const struct hl_proc_info *pi = hl_owners_get(o, c->inode, &fd);
  if (c->pid == 0) {
    ck_assert_ptr_null(pi);
    ck_assert_int_eq(fd, -1);
    hl_owners_free(o);
    tree_free(&t);
    return;
  }
  ck_assert_msg(pi != NULL, "inode %llu: no owner",
                (unsigned long long)c->inode);
  ck_assert_int_eq(pi->pid, c->pid);
  ck_assert_int_eq(fd, c->fd);
  ck_assert_str_eq(pi->comm, c->comm);
  ck_assert_uint_eq(pi->uid, c->uid);
  char user[64];
  expected_user(c->uid, c->user, user, sizeof(user));
  ck_assert_str_eq(pi->user, user);
  ck_assert_ptr_nonnull(pi->cmdline);
  ck_assert_str_eq(pi->cmdline, c->cmdline);
  hl_owners_free(o);
  tree_free(&t);
}
END_TEST

START_TEST(test_resolve_basic_stats) {
  struct tree t;
  struct hl_owners *o = basic_owners(&t, 5);
  size_t n = ARRAY_SIZE(basic_inodes);
  ck_assert_int_eq(hl_owners_resolve(o, basic_inodes, n, true), 0);
  struct hl_owners_stats st = hl_owners_last_stats(o);
  ck_assert_uint_eq(st.validated, 0);
  ck_assert_uint_eq(st.unresolved, 3);
  /* a full scan: pids 1 2 500 600 812 999 1000 4300 4301 4302 31337 33000,
   * all but the kernel thread have an fd dir */
  ck_assert_uint_eq(st.scanned_pids, 11);
  ck_assert_uint_eq(st.readlinks, 4 + 3 + 8 + 1 + 1 + 1 + 2 + 3 + 3 + 1 + 1);

  /* unchanged: one readlink per owned socket, no scan */
  ck_assert_int_eq(hl_owners_resolve(o, basic_inodes, n, true), 0);
  st = hl_owners_last_stats(o);
  ck_assert_uint_eq(st.validated, 9);
  ck_assert_uint_eq(st.scanned_pids, 0);
  ck_assert_uint_eq(st.readlinks, 9);
  ck_assert_uint_eq(st.unresolved, 3);
  ck_assert_int_eq(hl_owners_get(o, 4004, NULL)->pid, 999);
  hl_owners_free(o);
  tree_free(&t);
}
END_TEST

START_TEST(test_resolve_stops_early) {
  struct tree t;
  struct hl_owners *o = basic_owners(&t, 1);
  const uint64_t want[] = {1001}; /* pid 1 is the first pid listed */
  ck_assert_int_eq(hl_owners_resolve(o, want, 1, false), 0);
  struct hl_owners_stats st = hl_owners_last_stats(o);
  ck_assert_uint_eq(st.scanned_pids, 1);
  ck_assert_uint_le(st.readlinks, 4); /* stops at fd 7, in readdir order */
  ck_assert_uint_eq(st.unresolved, 0);
  hl_owners_free(o);
  tree_free(&t);
}
END_TEST

START_TEST(test_resolve_no_details) {
  struct tree t;
  struct hl_owners *o = basic_owners(&t, 5);
  ck_assert_int_eq(
      hl_owners_resolve(o, basic_inodes, ARRAY_SIZE(basic_inodes), false), 0);
  int fd = -1;
  const struct hl_proc_info *pi = hl_owners_get(o, 2002, &fd);
  ck_assert_ptr_nonnull(pi);
  ck_assert_int_eq(pi->pid, 812);
  ck_assert_int_eq(fd, 3);
  ck_assert_str_eq(pi->comm, "");
  ck_assert_str_eq(pi->user, "");
  ck_assert_str_eq(pi->cmdline, "");
  ck_assert_uint_eq(pi->uid, HL_OWNERS_NO_UID);
  /* and details on the next call, from the cache */
  ck_assert_int_eq(
      hl_owners_resolve(o, basic_inodes, ARRAY_SIZE(basic_inodes), true), 0);
  pi = hl_owners_get(o, 2002, NULL);
  ck_assert_str_eq(pi->comm, "sshd");
  ck_assert_uint_eq(hl_owners_last_stats(o).scanned_pids, 0);
  hl_owners_free(o);
  tree_free(&t);
}
END_TEST

START_TEST(test_resolve_inputs) {
  struct tree t;
  struct hl_owners *o = basic_owners(&t, 0);
  /* zeros are ignored, duplicates count once */
  const uint64_t want[] = {0, 2002, 2002, 0, 7007};
  ck_assert_ptr_null(hl_owners_get(o, 2002, NULL)); /* before any resolve */
  ck_assert_int_eq(hl_owners_resolve(o, want, ARRAY_SIZE(want), true), 0);
  ck_assert_int_eq(hl_owners_get(o, 2002, NULL)->pid, 812);
  ck_assert_ptr_null(hl_owners_get(o, 0, NULL));
  ck_assert_uint_eq(hl_owners_last_stats(o).unresolved, 1);
  /* nothing wanted: no scan, everything dropped */
  ck_assert_int_eq(hl_owners_resolve(o, NULL, 0, true), 0);
  struct hl_owners_stats st = hl_owners_last_stats(o);
  ck_assert_uint_eq(st.scanned_pids + st.readlinks + st.unresolved, 0);
  ck_assert_ptr_null(hl_owners_get(o, 2002, NULL));
  hl_owners_free(o);
  tree_free(&t);
  hl_owners_free(NULL);
}
END_TEST

START_TEST(test_resolve_no_root) {
  char root[PATH_MAX];
  hl_test_fixture_path(root, sizeof(root), "owners/no-such-root");
  struct hl_owners *o = hl_owners_new(root, 1);
  ck_assert_ptr_nonnull(o);
  const uint64_t want[] = {2002};
  ck_assert_int_eq(hl_owners_resolve(o, want, 1, true), -ENOENT);
  ck_assert_ptr_null(hl_owners_get(o, 2002, NULL));
  ck_assert_uint_eq(hl_owners_last_stats(o).unresolved, 1);
  hl_owners_free(o);
}
END_TEST

/* The same answers and work counts with forced worker threads. */
START_TEST(test_resolve_threads) {
  static const unsigned threads[] = {1, 2, 4, 16};
  struct tree t;
  struct hl_owners *o = basic_owners(&t, 5);
  hl_owners_set_threads(o, threads[_i]);
  size_t n = ARRAY_SIZE(basic_inodes);
  for (int call = 0; call < 2; call++) {
    ck_assert_int_eq(hl_owners_resolve(o, basic_inodes, n, true), 0);
    for (int k = 0; k < ARRAY_SIZE(owner_cases); k++) {
      const struct owner_case *c = &owner_cases[k];
      int fd = -1;
      const struct hl_proc_info *pi = hl_owners_get(o, c->inode, &fd);
      ck_assert_int_eq(pi != NULL ? pi->pid : 0, c->pid);
      ck_assert_int_eq(fd, c->fd);
      if (pi != NULL)
        ck_assert_str_eq(pi->cmdline, c->cmdline);
    }
    struct hl_owners_stats st = hl_owners_last_stats(o);
    ck_assert_uint_eq(st.scanned_pids, call == 0 ? 11 : 0);
    ck_assert_uint_eq(st.readlinks, call == 0 ? 28 : 9);
    ck_assert_uint_eq(st.validated, call == 0 ? 0 : 9);
    ck_assert_uint_eq(st.unresolved, 3);
  }
  /* an early stop must still give the lowest pid */
  const uint64_t want[] = {4004, 3003};
  struct hl_owners *o2 = hl_owners_new(t.root, 5);
  hl_owners_set_threads(o2, threads[_i]);
  ck_assert_int_eq(hl_owners_resolve(o2, want, 2, false), 0);
  ck_assert_int_eq(hl_owners_get(o2, 4004, NULL)->pid, 999);
  ck_assert_int_eq(hl_owners_get(o2, 3003, NULL)->pid, 4300);
  /* One thread must stop early; with several, how far the others got
   * before the last wanted inode turned up depends on scheduling. */
  if (threads[_i] == 1)
    ck_assert_uint_lt(hl_owners_last_stats(o2).scanned_pids, 11);
  else
    ck_assert_uint_le(hl_owners_last_stats(o2).scanned_pids, 11);
  hl_owners_free(o2);
  hl_owners_free(o);
  tree_free(&t);
}
END_TEST

/* ---- trees built at test time ---- */

/* <pid>/{comm,cmdline,status} and an empty <pid>/fd. */
static void tree_pid(const struct tree *t, int pid, const char *comm) {
  char p[PATH_MAX];
  tree_path(t, p, sizeof(p), pid, "");
  ck_assert_int_eq(mkdir(p, 0755), 0);
  tree_path(t, p, sizeof(p), pid, "/fd");
  ck_assert_int_eq(mkdir(p, 0755), 0);
  const char *files[][2] = {{"/comm", comm},
                            {"/cmdline", comm},
                            {"/status", "Name:\tx\nUid:\t0\t0\t0\t0\n"}};
  for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
    tree_path(t, p, sizeof(p), pid, files[i][0]);
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fputs(files[i][1], f);
    fclose(f);
  }
}

/* Points <pid>/fd/<fd> at "socket:[<inode>]" (replacing any old link). */
static void tree_fd(const struct tree *t, int pid, int fd, uint64_t inode) {
  char p[PATH_MAX];
  char rest[32];
  snprintf(rest, sizeof(rest), "/fd/%d", fd);
  tree_path(t, p, sizeof(p), pid, rest);
  char target[48];
  snprintf(target, sizeof(target), "socket:[%llu]", (unsigned long long)inode);
  unlink(p);
  ck_assert_int_eq(symlink(target, p), 0);
}

static int owner_pid(const struct hl_owners *o, uint64_t inode) {
  const struct hl_proc_info *pi = hl_owners_get(o, inode, NULL);
  return pi != NULL ? pi->pid : 0;
}

START_TEST(test_retry_every) {
  struct tree t;
  tree_init(&t);
  tree_pid(&t, 10, "a");
  tree_fd(&t, 10, 3, 111);
  struct hl_owners *o = hl_owners_new(t.root, 3);
  const uint64_t want[] = {111, 222}; /* 222: nobody (yet) */
  /* call 1 scans; 2 and 3 only validate 111; call 4 scans again */
  static const unsigned scanned[] = {1, 0, 0, 1, 0, 0, 1};
  for (int call = 0; call < ARRAY_SIZE(scanned); call++) {
    ck_assert_int_eq(hl_owners_resolve(o, want, 2, true), 0);
    struct hl_owners_stats st = hl_owners_last_stats(o);
    ck_assert_msg(st.scanned_pids == scanned[call], "call %d: scanned %u",
                  call + 1, st.scanned_pids);
    ck_assert_uint_eq(st.validated, call == 0 ? 0 : 1);
    ck_assert_uint_eq(st.unresolved, 1);
    ck_assert_int_eq(owner_pid(o, 222), 0);
  }
  /* 222 appears: found at the next retry (call 10), not before */
  tree_pid(&t, 20, "b");
  tree_fd(&t, 20, 5, 222);
  for (int call = 8; call <= 10; call++) {
    ck_assert_int_eq(hl_owners_resolve(o, want, 2, true), 0);
    ck_assert_int_eq(owner_pid(o, 222), call == 10 ? 20 : 0);
  }
  hl_owners_free(o);
  tree_free(&t);
}
END_TEST

START_TEST(test_retry_new_inode_scans) {
  struct tree t;
  tree_init(&t);
  tree_pid(&t, 10, "a");
  tree_fd(&t, 10, 3, 111);
  struct hl_owners *o = hl_owners_new(t.root, 100);
  const uint64_t first[] = {222};
  ck_assert_int_eq(hl_owners_resolve(o, first, 1, true), 0);
  ck_assert_uint_eq(hl_owners_last_stats(o).scanned_pids, 1);
  ck_assert_int_eq(hl_owners_resolve(o, first, 1, true), 0);
  ck_assert_uint_eq(hl_owners_last_stats(o).scanned_pids, 0);
  /* a new inode scans; a hidden one met on the way is taken too */
  tree_pid(&t, 5, "early");
  tree_fd(&t, 5, 4, 222);
  const uint64_t both[] = {222, 111};
  ck_assert_int_eq(hl_owners_resolve(o, both, 2, true), 0);
  ck_assert_int_eq(owner_pid(o, 111), 10);
  ck_assert_int_eq(owner_pid(o, 222), 5);
  ck_assert_uint_eq(hl_owners_last_stats(o).unresolved, 0);
  hl_owners_free(o);
  tree_free(&t);
}
END_TEST

START_TEST(test_retry_zero_is_one) {
  struct tree t;
  tree_init(&t);
  tree_pid(&t, 10, "a");
  struct hl_owners *o = hl_owners_new(t.root, 0);
  const uint64_t want[] = {333};
  for (int call = 0; call < 3; call++) {
    ck_assert_int_eq(hl_owners_resolve(o, want, 1, false), 0);
    ck_assert_uint_eq(hl_owners_last_stats(o).scanned_pids, 1);
  }
  hl_owners_free(o);
  tree_free(&t);
}
END_TEST

START_TEST(test_revalidate_moved) {
  struct tree t;
  tree_init(&t);
  tree_pid(&t, 10, "old");
  tree_pid(&t, 20, "new");
  tree_fd(&t, 10, 3, 111);
  struct hl_owners *o = hl_owners_new(t.root, 1);
  const uint64_t want[] = {111};
  ck_assert_int_eq(hl_owners_resolve(o, want, 1, true), 0);
  ck_assert_int_eq(owner_pid(o, 111), 10);
  /* pid 10's fd 3 now is another socket; pid 20 has ours on fd 7 */
  tree_fd(&t, 10, 3, 999);
  tree_fd(&t, 20, 7, 111);
  ck_assert_int_eq(hl_owners_resolve(o, want, 1, true), 0);
  struct hl_owners_stats st = hl_owners_last_stats(o);
  ck_assert_uint_eq(st.validated, 0);
  ck_assert_uint_eq(st.scanned_pids, 2);
  int fd = -1;
  const struct hl_proc_info *pi = hl_owners_get(o, 111, &fd);
  ck_assert_ptr_nonnull(pi);
  ck_assert_int_eq(pi->pid, 20);
  ck_assert_int_eq(fd, 7);
  ck_assert_str_eq(pi->comm, "new");
  /* a lower pid taking a copy does not displace a validated owner */
  tree_fd(&t, 10, 4, 111);
  ck_assert_int_eq(hl_owners_resolve(o, want, 1, true), 0);
  ck_assert_uint_eq(hl_owners_last_stats(o).validated, 1);
  ck_assert_int_eq(owner_pid(o, 111), 20);
  /* the process exits: found again at the lowest remaining holder */
  char p[PATH_MAX];
  tree_path(&t, p, sizeof(p), 20, "/fd/7");
  ck_assert_int_eq(unlink(p), 0);
  ck_assert_int_eq(hl_owners_resolve(o, want, 1, true), 0);
  ck_assert_int_eq(owner_pid(o, 111), 10);
  ck_assert_str_eq(hl_owners_get(o, 111, NULL)->comm, "old");
  hl_owners_free(o);
  tree_free(&t);
}
END_TEST

/* Rewrites <pid>/comm. */
static void tree_comm(const struct tree *t, int pid, const char *comm) {
  char p[PATH_MAX];
  tree_path(t, p, sizeof(p), pid, "/comm");
  FILE *f = fopen(p, "w");
  ck_assert_ptr_nonnull(f);
  fputs(comm, f);
  fclose(f);
}

static const char *owner_comm(const struct hl_owners *o, uint64_t inode) {
  const struct hl_proc_info *pi = hl_owners_get(o, inode, NULL);
  ck_assert_ptr_nonnull(pi);
  return pi->comm;
}

START_TEST(test_details_refresh) {
  struct tree t;
  tree_init(&t);
  tree_pid(&t, 10, "one\n");
  tree_fd(&t, 10, 3, 111);
  struct hl_owners *o = hl_owners_new(t.root, 3);
  const uint64_t want[] = {111};
  ck_assert_int_eq(hl_owners_resolve(o, want, 1, true), 0);
  ck_assert_str_eq(owner_comm(o, 111), "one");
  /* a confirmed process keeps its details for retry_every calls */
  tree_comm(&t, 10, "two\n");
  ck_assert_int_eq(hl_owners_resolve(o, want, 1, true), 0);
  ck_assert_str_eq(owner_comm(o, 111), "one");
  ck_assert_int_eq(hl_owners_resolve(o, want, 1, false), 0);
  ck_assert_str_eq(owner_comm(o, 111), "one"); /* kept without details */
  ck_assert_int_eq(hl_owners_resolve(o, want, 1, true), 0);
  ck_assert_str_eq(owner_comm(o, 111), "two");
  ck_assert_uint_eq(hl_owners_last_stats(o).validated, 1);
  /* with retry_every 1, every call reads them */
  struct hl_owners *o1 = hl_owners_new(t.root, 1);
  ck_assert_int_eq(hl_owners_resolve(o1, want, 1, true), 0);
  tree_comm(&t, 10, "three\n");
  ck_assert_int_eq(hl_owners_resolve(o1, want, 1, true), 0);
  ck_assert_str_eq(owner_comm(o1, 111), "three");
  hl_owners_free(o1);
  /* the pid holds the socket on another fd: maybe another process now */
  tree_fd(&t, 10, 3, 999);
  tree_fd(&t, 10, 4, 111);
  ck_assert_int_eq(hl_owners_resolve(o, want, 1, true), 0);
  ck_assert_uint_eq(hl_owners_last_stats(o).scanned_pids, 1);
  ck_assert_str_eq(owner_comm(o, 111), "three");
  hl_owners_free(o);
  tree_free(&t);
}
END_TEST

START_TEST(test_cache_drops) {
  struct tree t;
  tree_init(&t);
  tree_pid(&t, 10, "a");
  tree_fd(&t, 10, 3, 111);
  tree_fd(&t, 10, 4, 222);
  struct hl_owners *o = hl_owners_new(t.root, 1);
  const uint64_t both[] = {111, 222};
  const uint64_t one[] = {111};
  ck_assert_int_eq(hl_owners_resolve(o, both, 2, true), 0);
  ck_assert_int_eq(owner_pid(o, 222), 10);
  ck_assert_int_eq(hl_owners_resolve(o, one, 1, true), 0);
  ck_assert_ptr_null(hl_owners_get(o, 222, NULL));
  ck_assert_uint_eq(hl_owners_last_stats(o).validated, 1);
  /* 222 comes back: it was forgotten, so it is searched for */
  ck_assert_int_eq(hl_owners_resolve(o, both, 2, true), 0);
  struct hl_owners_stats st = hl_owners_last_stats(o);
  ck_assert_uint_eq(st.validated, 1);
  ck_assert_uint_eq(st.scanned_pids, 1);
  ck_assert_int_eq(owner_pid(o, 222), 10);
  hl_owners_free(o);
  tree_free(&t);
}
END_TEST

START_TEST(test_unreadable_fd_dirs) {
  struct tree t;
  tree_init(&t);
  tree_pid(&t, 10, "locked");
  tree_fd(&t, 10, 3, 111);
  tree_pid(&t, 20, "gone");
  tree_fd(&t, 20, 3, 333);
  tree_pid(&t, 30, "open");
  tree_fd(&t, 30, 3, 222);
  char p[PATH_MAX];
  tree_path(&t, p, sizeof(p), 10, "/fd");
  ck_assert_int_eq(chmod(p, 0), 0);
  /* root reads through mode 000, so which result is right depends on us */
  bool readable = access(p, R_OK | X_OK) == 0;
  char link[PATH_MAX];
  tree_path(&t, link, sizeof(link), 20, "/fd/3");
  ck_assert_int_eq(unlink(link), 0);
  tree_path(&t, p, sizeof(p), 20, "/fd");
  ck_assert_int_eq(rmdir(p), 0); /* like a process that exited */
  struct hl_owners *o = hl_owners_new(t.root, 1);
  const uint64_t want[] = {111, 222, 333};
  ck_assert_int_eq(hl_owners_resolve(o, want, 3, true), 0);
  ck_assert_int_eq(owner_pid(o, 111), readable ? 10 : 0);
  ck_assert_int_eq(owner_pid(o, 222), 30);
  ck_assert_int_eq(owner_pid(o, 333), 0);
  struct hl_owners_stats st = hl_owners_last_stats(o);
  ck_assert_uint_eq(st.scanned_pids, readable ? 2 : 1);
  ck_assert_uint_eq(st.unresolved, readable ? 1 : 2);
  hl_owners_free(o);
  tree_path(&t, p, sizeof(p), 10, "/fd");
  chmod(p, 0755);
  tree_free(&t);
}
END_TEST

/* ---- the real /proc ---- */

static void self_comm(char *out, size_t size) {
  FILE *f = fopen("/proc/self/comm", "r");
  ck_assert_ptr_nonnull(f);
  ck_assert_ptr_nonnull(fgets(out, (int)size, f));
  fclose(f);
  out[strcspn(out, "\n")] = '\0';
}

START_TEST(test_live_self) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ck_assert_int_ge(s, 0);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
  ck_assert_int_eq(listen(s, 4), 0);
  struct stat sb;
  ck_assert_int_eq(fstat(s, &sb), 0);
  const uint64_t want[] = {(uint64_t)sb.st_ino};

  struct hl_owners *o = hl_owners_new("/proc", 5);
  hl_owners_set_threads(o, (unsigned)_i); /* 0 (auto), 1, 2 */
  ck_assert_int_eq(hl_owners_resolve(o, want, 1, true), 0);
  int fd = -1;
  const struct hl_proc_info *pi = hl_owners_get(o, want[0], &fd);
  ck_assert_ptr_nonnull(pi);
  ck_assert_int_eq(pi->pid, getpid());
  ck_assert_int_eq(fd, s);
  char comm[64];
  self_comm(comm, sizeof(comm));
  ck_assert_str_eq(pi->comm, comm);
  ck_assert_uint_eq(pi->uid, getuid());
  struct passwd *pw = getpwuid(getuid());
  if (pw != NULL)
    ck_assert_str_eq(pi->user, pw->pw_name);
  ck_assert_ptr_nonnull(strstr(pi->cmdline, "check"));

  ck_assert_int_eq(hl_owners_resolve(o, want, 1, true), 0);
  struct hl_owners_stats st = hl_owners_last_stats(o);
  ck_assert_uint_eq(st.validated, 1);
  ck_assert_uint_eq(st.scanned_pids, 0);
  ck_assert_uint_eq(st.readlinks, 1);
  ck_assert_int_eq(hl_owners_get(o, want[0], NULL)->pid, getpid());

  /* closed: the cached fd no longer validates, a scan finds nobody */
  close(s);
  ck_assert_int_eq(hl_owners_resolve(o, want, 1, true), 0);
  st = hl_owners_last_stats(o);
  ck_assert_uint_eq(st.validated, 0);
  ck_assert_uint_gt(st.scanned_pids, 0);
  ck_assert_uint_eq(st.unresolved, 1);
  ck_assert_ptr_null(hl_owners_get(o, want[0], NULL));
  hl_owners_free(o);
}
END_TEST

Suite *hl_owners_suite(void) {
  Suite *s = suite_create("hl_owners");
  TCase *tc = tcase_create("parse");
  tcase_add_loop_test(tc, test_parse_link, 0, ARRAY_SIZE(link_cases));
  tcase_add_test(tc, test_parse_link_null);
  tcase_add_loop_test(tc, test_join_cmdline, 0, ARRAY_SIZE(cmdline_cases));
  tcase_add_loop_test(tc, test_status_uid, 0, ARRAY_SIZE(status_cases));
  tcase_add_test(tc, test_status_uid_null);
  suite_add_tcase(s, tc);

  tc = tcase_create("fixture");
  tcase_add_loop_test(tc, test_resolve_basic, 0, ARRAY_SIZE(owner_cases));
  tcase_add_test(tc, test_resolve_basic_stats);
  tcase_add_test(tc, test_resolve_stops_early);
  tcase_add_test(tc, test_resolve_no_details);
  tcase_add_test(tc, test_resolve_inputs);
  tcase_add_test(tc, test_resolve_no_root);
  tcase_add_loop_test(tc, test_resolve_threads, 0, 4);
  suite_add_tcase(s, tc);

  tc = tcase_create("cache");
  tcase_add_test(tc, test_retry_every);
  tcase_add_test(tc, test_retry_new_inode_scans);
  tcase_add_test(tc, test_retry_zero_is_one);
  tcase_add_test(tc, test_revalidate_moved);
  tcase_add_test(tc, test_details_refresh);
  tcase_add_test(tc, test_cache_drops);
  tcase_add_test(tc, test_unreadable_fd_dirs);
  suite_add_tcase(s, tc);

  tc = tcase_create("live");
  tcase_add_loop_test(tc, test_live_self, 0, 3);
  tcase_set_timeout(tc, 30);
  suite_add_tcase(s, tc);
  return s;
}
