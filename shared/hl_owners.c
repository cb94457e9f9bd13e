// SPDX-License-Identifier: MIT
/*
 * hl_owners: socket inode -> owning process, with a cache between calls.
 *
 * Data flow of hl_owners_resolve(): the wanted inodes go into an
 * open-addressing table (a dense slot array plus an index of key -> slot),
 * each slot carrying over what the previous call knew about its inode (owner
 * pid and fd, or "not visible, retry at call N"); inodes not passed again
 * are thereby dropped. Two such tables alternate, so a steady-state call
 * allocates nothing for them. Then:
 *   1. validate: each cached owner is confirmed with one readlinkat() of
 *      <pid>/fd/<fd> relative to the open proc root; a link that no longer
 *      names the inode sends the slot back to "unknown";
 *   2. scan, only if some inode is unknown or due for a retry: the numeric
 *      entries of the proc root are listed (procfs gives them in ascending
 *      order; other trees are sorted), each <pid>/fd is opened relative to
 *      the proc root and its entries readlinkat()ed relative to the fd dir.
 *      The lowest pid holding an inode wins, the scan stops as soon as
 *      every searched inode has an owner, and inodes still unknown after a
 *      full scan become "not visible" until call N + retry_every. Pids that
 *      vanish or whose fds cannot be read are skipped (one EACCES readlink
 *      ends a pid: the permission check is per process, not per fd);
 *   3. details: comm, cmdline and status (real uid -> user name, through a
 *      small uid cache) of each owner pid, once per pid and call.
 * The pure helpers at the top parse the bytes procfs returns.
 */
#include "hl_owners.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "hl_str.h"

/* "socket:[18446744073709551615]" is 29 bytes; longer links are not ours. */
#define LINK_BUF 64
#define CMDLINE_MAX (64u * 1024u)
#define STATUS_MAX 4096u
#define UID_CACHE_MAX 64
#define PWBUF_MAX (1024u * 1024u)
#define NO_PROC UINT32_MAX

/* ---- pure helpers -------------------------------------------------------- */

int hl_owners_parse_link(const char *link, size_t len, uint64_t *inode) {
  static const char prefix[] = "socket:[";
  const size_t plen = sizeof(prefix) - 1;
  if (link == NULL || len < plen + 2 || memcmp(link, prefix, plen) != 0 ||
      link[len - 1] != ']')
    return -EINVAL;
  uint64_t v = 0;
  for (size_t i = plen; i < len - 1; i++) {
    if (link[i] < '0' || link[i] > '9')
      return -EINVAL;
    uint64_t d = (uint64_t)(link[i] - '0');
    if (v > (UINT64_MAX - d) / 10)
      return -EINVAL;
    v = v * 10 + d;
  }
  *inode = v;
  return 0;
}

char *hl_owners_join_cmdline(const char *buf, size_t len) {
  while (len > 0 && buf[len - 1] == '\0')
    len--;
  char *s = malloc(len + 1);
  if (s == NULL)
    return NULL;
  for (size_t i = 0; i < len; i++)
    s[i] = buf[i] == '\0' ? ' ' : buf[i];
  s[len] = '\0';
  return s;
}

int hl_owners_parse_status_uid(const char *buf, size_t len, uint32_t *uid) {
  if (buf == NULL)
    return -EPROTO;
  const char *p = buf;
  const char *end = buf + len;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *eol = nl != NULL ? nl : end;
    if (eol - p >= 4 && memcmp(p, "Uid:", 4) == 0) {
      const char *c = p + 4;
      uint64_t v = 0;
      if (hl_str_next_u64(&c, eol, &v) != 0 || v > UINT32_MAX)
        return -EPROTO;
      *uid = (uint32_t)v;
      return 0;
    }
    p = nl != NULL ? nl + 1 : end;
  }
  return -EPROTO;
}

/* ---- key -> position index (open addressing, linear probing) ------------ */

/* Key 0 marks an empty entry: inode 0 is never wanted and pid 0 never owns. */
struct idx_ent {
  uint64_t key;
  uint32_t pos;
};

struct idx {
  struct idx_ent *e;
  size_t cap; /* a power of two, or 0 */
};

static size_t idx_home(const struct idx *ix, uint64_t key) {
  return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 24) & (ix->cap - 1);
}

/* Empties the index, sized for @n keys at most half full. */
static int idx_reset(struct idx *ix, size_t n) {
  size_t cap = 16;
  while (cap < 2 * n) {
    if (cap > SIZE_MAX / 2 / sizeof(struct idx_ent))
      return -ENOMEM;
    cap *= 2;
  }
  if (cap > ix->cap) {
    struct idx_ent *e = malloc(cap * sizeof(*e));
    if (e == NULL)
      return -ENOMEM;
    free(ix->e);
    ix->e = e;
    ix->cap = cap;
  }
  memset(ix->e, 0, ix->cap * sizeof(*ix->e));
  return 0;
}

static bool idx_find(const struct idx *ix, uint64_t key, uint32_t *pos) {
  if (ix->cap == 0 || key == 0)
    return false;
  for (size_t i = idx_home(ix, key);; i = (i + 1) & (ix->cap - 1)) {
    if (ix->e[i].key == key) {
      *pos = ix->e[i].pos;
      return true;
    }
    if (ix->e[i].key == 0)
      return false;
  }
}

/* Adds @key -> *@pos; if @key is present, sets *@pos to its position and
 * returns false. The caller guarantees room (see idx_reset). */
static bool idx_add(struct idx *ix, uint64_t key, uint32_t *pos) {
  for (size_t i = idx_home(ix, key);; i = (i + 1) & (ix->cap - 1)) {
    if (ix->e[i].key == key) {
      *pos = ix->e[i].pos;
      return false;
    }
    if (ix->e[i].key == 0) {
      ix->e[i] = (struct idx_ent){.key = key, .pos = *pos};
      return true;
    }
  }
}

/* ---- the cache ----------------------------------------------------------- */

enum slot_state {
  SLOT_UNKNOWN, /* to be searched by this call's scan */
  SLOT_OWNED,   /* pid and fd known */
  SLOT_HIDDEN,  /* not found by a full scan; searched again at retry_at */
};

struct slot {
  uint64_t inode;
  int pid;
  int fd;
  unsigned retry_at;
  uint32_t proc; /* index into procs.p, NO_PROC until details are filled */
  uint8_t state;
};

struct table {
  struct slot *s;
  size_t n;
  size_t cap;
  struct idx ix;
};

struct procs {
  struct hl_proc_info *p;
  size_t n;
  size_t cap;
  struct idx ix;
};

struct uid_name {
  uint32_t uid;
  char name[64];
};

struct hl_owners {
  char *proc_root;
  unsigned retry_every;
  unsigned calls;
  struct table cur;  /* this call's inodes */
  struct table prev; /* last call's, kept for its allocation */
  struct procs procs;
  int *pids; /* scan scratch: numeric entries of the proc root */
  size_t npids;
  size_t pids_cap;
  struct uid_name uids[UID_CACHE_MAX];
  size_t nuids;
  size_t uid_next; /* round-robin victim when the uid cache is full */
  char *cmdbuf;    /* CMDLINE_MAX bytes, allocated on first use */
  char *pwbuf;
  size_t pwbuf_len;
  struct hl_owners_stats stats;
};

static struct slot *table_find(const struct table *t, uint64_t inode) {
  uint32_t pos = 0;
  return idx_find(&t->ix, inode, &pos) ? &t->s[pos] : NULL;
}

static int table_reserve(struct table *t, size_t n) {
  if (n > UINT32_MAX - 1)
    return -ENOMEM;
  if (n > t->cap) {
    struct slot *s = realloc(t->s, n * sizeof(*s));
    if (s == NULL)
      return -ENOMEM;
    t->s = s;
    t->cap = n;
  }
  return idx_reset(&t->ix, n);
}

static void table_free(struct table *t) {
  free(t->s);
  free(t->ix.e);
}

static void procs_clear(struct procs *ps) {
  for (size_t i = 0; i < ps->n; i++)
    free(ps->p[i].cmdline);
  ps->n = 0;
}

struct hl_owners *hl_owners_new(const char *proc_root, unsigned retry_every) {
  struct hl_owners *o = calloc(1, sizeof(*o));
  if (o == NULL)
    return NULL;
  o->proc_root = strdup(proc_root != NULL ? proc_root : "/proc");
  if (o->proc_root == NULL) {
    free(o);
    return NULL;
  }
  o->retry_every = retry_every > 0 ? retry_every : 1;
  return o;
}

void hl_owners_free(struct hl_owners *o) {
  if (o == NULL)
    return;
  table_free(&o->cur);
  table_free(&o->prev);
  procs_clear(&o->procs);
  free(o->procs.p);
  free(o->procs.ix.e);
  free(o->pids);
  free(o->cmdbuf);
  free(o->pwbuf);
  free(o->proc_root);
  free(o);
}

/*
 * Makes the table of this call's inodes, carrying over last call's state of
 * each. On failure the table is left empty (every lookup misses).
 */
static int table_rebuild(struct hl_owners *o, const uint64_t *inodes,
                         size_t n) {
  struct table old = o->cur;
  o->cur = o->prev;
  o->prev = old;
  struct table *t = &o->cur;
  t->n = 0;
  int rc = table_reserve(t, n);
  if (rc != 0) {
    if (t->ix.cap > 0)
      memset(t->ix.e, 0, t->ix.cap * sizeof(*t->ix.e));
    return rc;
  }
  for (size_t i = 0; i < n; i++) {
    uint32_t pos = (uint32_t)t->n;
    if (inodes[i] == 0 || !idx_add(&t->ix, inodes[i], &pos))
      continue;
    struct slot *s = &t->s[t->n++];
    const struct slot *was = table_find(&o->prev, inodes[i]);
    if (was != NULL)
      *s = *was;
    else
      *s = (struct slot){.inode = inodes[i], .fd = -1};
    s->proc = NO_PROC;
  }
  return 0;
}

/* ---- validation and scan ------------------------------------------------- */

static char *put_uint(char *p, unsigned v) {
  char tmp[10];
  int k = 0;
  do {
    tmp[k++] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (k > 0)
    *p++ = tmp[--k];
  return p;
}

/* "<pid><tail>" or, with @fd >= 0, "<pid>/fd/<fd>", into @buf (>= 40). */
static void rel_path(char *buf, int pid, const char *tail, int fd) {
  char *p = put_uint(buf, (unsigned)pid);
  size_t tlen = strlen(tail);
  memcpy(p, tail, tlen);
  p += tlen;
  if (fd >= 0)
    p = put_uint(p, (unsigned)fd);
  *p = '\0';
}

/* readlinkat(), then: does the link say socket:[@inode]? */
static bool link_is(struct hl_owners *o, int dirfd, const char *name,
                    uint64_t *inode) {
  char link[LINK_BUF];
  ssize_t len = readlinkat(dirfd, name, link, sizeof(link));
  o->stats.readlinks++;
  if (len <= 0 || (size_t)len >= sizeof(link))
    return false;
  return hl_owners_parse_link(link, (size_t)len, inode) == 0;
}

static void validate_cached(struct hl_owners *o, int procfd) {
  for (size_t i = 0; i < o->cur.n; i++) {
    struct slot *s = &o->cur.s[i];
    if (s->state != SLOT_OWNED)
      continue;
    char rel[40];
    rel_path(rel, s->pid, "/fd/", s->fd);
    uint64_t ino = 0;
    if (link_is(o, procfd, rel, &ino) && ino == s->inode) {
      o->stats.validated++;
      continue;
    }
    s->state = SLOT_UNKNOWN;
    s->pid = 0;
    s->fd = -1;
  }
}

/* Turns hidden slots that are due into unknown ones; counts unknown ones. */
static unsigned prepare_search(struct hl_owners *o) {
  unsigned need = 0;
  for (size_t i = 0; i < o->cur.n; i++) {
    struct slot *s = &o->cur.s[i];
    if (s->state == SLOT_HIDDEN && (int)(o->calls - s->retry_at) >= 0)
      s->state = SLOT_UNKNOWN;
    if (s->state == SLOT_UNKNOWN)
      need++;
  }
  return need;
}

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a;
  int y = *(const int *)b;
  return (x > y) - (x < y);
}

/* Lists the pids under the proc root, in ascending order. */
static int list_pids(struct hl_owners *o, DIR *proc) {
  o->npids = 0;
  bool sorted = true;
  for (;;) {
    errno = 0;
    struct dirent *e = readdir(proc);
    if (e == NULL)
      break;
    uint64_t pid = 0;
    if (hl_str_to_u64(e->d_name, 1, INT_MAX, &pid) != 0)
      continue;
    if (o->npids == o->pids_cap) {
      size_t cap = o->pids_cap ? 2 * o->pids_cap : 1024;
      int *p = realloc(o->pids, cap * sizeof(*p));
      if (p == NULL)
        return -ENOMEM;
      o->pids = p;
      o->pids_cap = cap;
    }
    if (o->npids > 0 && o->pids[o->npids - 1] > (int)pid)
      sorted = false;
    o->pids[o->npids++] = (int)pid;
  }
  if (errno != 0)
    return -errno;
  if (!sorted)
    qsort(o->pids, o->npids, sizeof(*o->pids), cmp_int);
  return 0;
}

/* Out of descriptors or memory: the scan cannot go on. */
static bool is_fatal(int err) {
  return err == EMFILE || err == ENFILE || err == ENOMEM;
}

/* Records a match of fd @name of @pid; returns true if it was searched. */
static bool record(struct hl_owners *o, uint64_t inode, int pid,
                   const char *name) {
  struct slot *s = table_find(&o->cur, inode);
  uint64_t fd = 0;
  if (s == NULL || s->state == SLOT_OWNED ||
      hl_str_to_u64(name, 0, INT_MAX, &fd) != 0)
    return false;
  bool searched = s->state == SLOT_UNKNOWN;
  s->state = SLOT_OWNED;
  s->pid = pid;
  s->fd = (int)fd;
  return searched;
}

/* Reads <pid>/fd; decrements *@left per searched inode found. */
static int scan_pid(struct hl_owners *o, int procfd, int pid, unsigned *left) {
  char rel[40];
  rel_path(rel, pid, "/fd", -1);
  int fd = openat(procfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return is_fatal(errno) ? -errno : 0;
  DIR *d = fdopendir(fd);
  if (d == NULL) {
    int err = errno;
    close(fd);
    return is_fatal(err) ? -err : 0;
  }
  o->stats.scanned_pids++;
  while (*left > 0) {
    struct dirent *e = readdir(d);
    if (e == NULL)
      break;
    if (e->d_name[0] < '0' || e->d_name[0] > '9')
      continue;
    uint64_t ino = 0;
    errno = 0;
    if (!link_is(o, fd, e->d_name, &ino)) {
      if (errno == EACCES)
        break; /* ptrace access is per process: all its fds fail alike */
      continue;
    }
    if (record(o, ino, pid, e->d_name))
      (*left)--;
  }
  closedir(d);
  return 0;
}

static int scan(struct hl_owners *o, DIR *proc, unsigned need) {
  o->nuids = 0; /* new processes may come with new accounts */
  int rc = list_pids(o, proc);
  if (rc != 0)
    return rc;
  unsigned left = need;
  for (size_t i = 0; i < o->npids && left > 0; i++) {
    rc = scan_pid(o, dirfd(proc), o->pids[i], &left);
    if (rc != 0)
      return rc; /* unknown slots stay unknown: searched again next call */
  }
  for (size_t i = 0; i < o->cur.n && left > 0; i++) {
    struct slot *s = &o->cur.s[i];
    if (s->state == SLOT_UNKNOWN) {
      s->state = SLOT_HIDDEN;
      s->retry_at = o->calls + o->retry_every;
    }
  }
  return 0;
}

/* ---- process details ----------------------------------------------------- */

/* Reads up to @cap bytes of <proc_root>/@rel; returns the count or -errno. */
static ssize_t read_head(int procfd, const char *rel, char *buf, size_t cap) {
  int fd = openat(procfd, rel, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  size_t got = 0;
  while (got < cap) {
    ssize_t n = read(fd, buf + got, cap - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      return -err;
    }
    if (n == 0)
      break;
    got += (size_t)n;
  }
  close(fd);
  return (ssize_t)got;
}

static int pwbuf_grow(struct hl_owners *o) {
  size_t len = o->pwbuf_len ? 2 * o->pwbuf_len : 1024;
  if (len > PWBUF_MAX)
    return -ERANGE;
  char *b = realloc(o->pwbuf, len);
  if (b == NULL)
    return -ENOMEM;
  o->pwbuf = b;
  o->pwbuf_len = len;
  return 0;
}

/* User name of @uid (or the number as text) into @out[64], cached. */
static void user_name(struct hl_owners *o, uint32_t uid, char *out) {
  for (size_t i = 0; i < o->nuids; i++) {
    if (o->uids[i].uid == uid) {
      memcpy(out, o->uids[i].name, sizeof(o->uids[i].name));
      return;
    }
  }
  struct passwd pw;
  struct passwd *res = NULL;
  int rc = o->pwbuf_len > 0 ? 0 : pwbuf_grow(o);
  while (rc == 0) {
    rc = getpwuid_r((uid_t)uid, &pw, o->pwbuf, o->pwbuf_len, &res);
    if (rc != ERANGE)
      break;
    rc = pwbuf_grow(o);
  }
  if (rc == 0 && res != NULL)
    hl_str_copy(out, 64, res->pw_name);
  else
    snprintf(out, 64, "%u", uid);
  size_t at = o->nuids < UID_CACHE_MAX ? o->nuids++ : o->uid_next++;
  o->uid_next %= UID_CACHE_MAX;
  o->uids[at].uid = uid;
  memcpy(o->uids[at].name, out, sizeof(o->uids[at].name));
}

static void read_comm(int procfd, struct hl_proc_info *pi) {
  char rel[40];
  rel_path(rel, pi->pid, "/comm", -1);
  char buf[sizeof(pi->comm)];
  ssize_t n = read_head(procfd, rel, buf, sizeof(buf));
  if (n <= 0)
    return;
  size_t len = (size_t)n;
  if (buf[len - 1] == '\n')
    len--;
  if (len >= sizeof(pi->comm))
    len = sizeof(pi->comm) - 1;
  memcpy(pi->comm, buf, len);
  pi->comm[len] = '\0';
}

static void read_uid(struct hl_owners *o, int procfd, struct hl_proc_info *pi) {
  char rel[40];
  rel_path(rel, pi->pid, "/status", -1);
  char buf[STATUS_MAX];
  ssize_t n = read_head(procfd, rel, buf, sizeof(buf));
  if (n <= 0 || hl_owners_parse_status_uid(buf, (size_t)n, &pi->uid) != 0)
    return;
  user_name(o, pi->uid, pi->user);
}

/* Sets pi->cmdline ("" when unreadable); -ENOMEM leaves it NULL. */
static int read_cmdline(struct hl_owners *o, int procfd,
                        struct hl_proc_info *pi) {
  if (o->cmdbuf == NULL)
    o->cmdbuf = malloc(CMDLINE_MAX);
  ssize_t n = -ENOMEM;
  if (o->cmdbuf != NULL) {
    char rel[40];
    rel_path(rel, pi->pid, "/cmdline", -1);
    n = read_head(procfd, rel, o->cmdbuf, CMDLINE_MAX);
  }
  pi->cmdline = hl_owners_join_cmdline(o->cmdbuf, n > 0 ? (size_t)n : 0);
  return pi->cmdline != NULL ? 0 : -ENOMEM;
}

/* Adds an entry for @pid to procs (reading details if @details). */
static int procs_add(struct hl_owners *o, int procfd, int pid, bool details) {
  struct procs *ps = &o->procs;
  if (ps->n == ps->cap) {
    size_t cap = ps->cap ? 2 * ps->cap : 16;
    struct hl_proc_info *p = realloc(ps->p, cap * sizeof(*p));
    if (p == NULL)
      return -ENOMEM;
    ps->p = p;
    ps->cap = cap;
  }
  struct hl_proc_info *pi = &ps->p[ps->n];
  *pi = (struct hl_proc_info){.pid = pid, .uid = HL_OWNERS_NO_UID};
  if (details) {
    read_comm(procfd, pi);
    read_uid(o, procfd, pi);
    if (read_cmdline(o, procfd, pi) != 0)
      return -ENOMEM;
  } else {
    pi->cmdline = hl_owners_join_cmdline("", 0);
    if (pi->cmdline == NULL)
      return -ENOMEM;
  }
  ps->n++;
  return 0;
}

static int fill_procs(struct hl_owners *o, int procfd, bool details) {
  int rc = idx_reset(&o->procs.ix, o->cur.n);
  for (size_t i = 0; rc == 0 && i < o->cur.n; i++) {
    struct slot *s = &o->cur.s[i];
    if (s->state != SLOT_OWNED)
      continue;
    uint32_t pos = (uint32_t)o->procs.n;
    if (idx_find(&o->procs.ix, (uint64_t)s->pid, &pos)) {
      s->proc = pos;
      continue;
    }
    rc = procs_add(o, procfd, s->pid, details);
    if (rc == 0) {
      idx_add(&o->procs.ix, (uint64_t)s->pid, &pos);
      s->proc = pos;
    }
  }
  return rc;
}

/* ---- the API ------------------------------------------------------------- */

static void forget_owners(struct table *t) {
  for (size_t i = 0; i < t->n; i++) {
    if (t->s[i].state == SLOT_OWNED) {
      t->s[i].state = SLOT_UNKNOWN;
      t->s[i].pid = 0;
      t->s[i].fd = -1;
    }
  }
}

static void count_unresolved(struct hl_owners *o) {
  for (size_t i = 0; i < o->cur.n; i++)
    if (o->cur.s[i].proc == NO_PROC)
      o->stats.unresolved++;
}

int hl_owners_resolve(struct hl_owners *o, const uint64_t *inodes, size_t n,
                      bool want_details) {
  o->calls++;
  o->stats = (struct hl_owners_stats){0};
  procs_clear(&o->procs);
  int rc = table_rebuild(o, inodes, n);
  if (rc != 0)
    return rc;
  DIR *proc = opendir(o->proc_root);
  if (proc == NULL) {
    rc = -errno;
    forget_owners(&o->cur);
    count_unresolved(o);
    return rc;
  }
  validate_cached(o, dirfd(proc));
  unsigned need = prepare_search(o);
  if (need > 0)
    rc = scan(o, proc, need);
  int drc = fill_procs(o, dirfd(proc), want_details);
  closedir(proc);
  count_unresolved(o);
  return rc != 0 ? rc : drc;
}

const struct hl_proc_info *hl_owners_get(const struct hl_owners *o,
                                         uint64_t inode, int *fd) {
  if (fd != NULL)
    *fd = -1;
  if (o == NULL)
    return NULL;
  const struct slot *s = table_find(&o->cur, inode);
  if (s == NULL || s->state != SLOT_OWNED || s->proc >= o->procs.n)
    return NULL;
  if (fd != NULL)
    *fd = s->fd;
  return &o->procs.p[s->proc];
}

struct hl_owners_stats hl_owners_last_stats(const struct hl_owners *o) {
  return o->stats;
}
