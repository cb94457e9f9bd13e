// SPDX-License-Identifier: MIT
/*
 * hl_owners: socket inode -> owning process, with a cache between calls.
 *
 * Data flow of hl_owners_resolve(): the wanted inodes go into an
 * open-addressing table (a dense slot array plus an index of key -> slot),
 * each slot carrying over what the previous call knew about its inode (owner
 * pid and fd, or "not visible, retry at call N"); inodes not passed again
 * are thereby dropped. Two tables alternate, and so do two generations of
 * per-process entries, so a steady-state call allocates nothing for them.
 *   1. validate: cached owners are grouped by process; <pid>/fd is opened
 *      once (O_PATH) and each cached fd confirmed with one readlinkat()
 *      relative to it. A link that no longer names the inode (or a process
 *      that is gone) sends the slot back to "unknown";
 *   2. scan, only if some inode is unknown or due for a retry: the numeric
 *      entries of the proc root are listed (procfs gives them in ascending
 *      order; other trees are sorted), each <pid>/fd is opened relative to
 *      the proc root and its entries readlinkat()ed relative to the fd dir.
 *      The lowest pid (then fd) holding an inode wins, the scan stops as
 *      soon as every searched inode has an owner, and inodes still unknown
 *      after a full scan become "not visible" until call N + retry_every.
 *      Pids that vanish or whose fds cannot be read are skipped (one EACCES
 *      readlink ends a pid: the permission check is per process);
 *   3. details: comm, cmdline and status (real uid -> user name, through a
 *      small uid cache) once per owner pid. A process confirmed by step 1
 *      keeps its details for retry_every calls before they are read again.
 * Steps 1 and 2 hand processes out to worker threads (one per CPU, when
 * there is enough work) through an atomic counter; pids are handed out in
 * ascending order and a worker always finishes the pid it took, and each
 * find is kept with an atomic minimum, so the lowest pid still wins. The
 * pure helpers at the top parse the bytes procfs returns.
 */
#include "hl_owners.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <stdatomic.h>
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
#define NONE UINT32_MAX
#define MAX_THREADS 16u
/* With automatic threading, a worker per this many processes at least. */
#define UNITS_PER_THREAD 64u

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
  uint32_t proc; /* index into the procs generation of the call that set it */
  uint32_t next; /* validation: next slot held by the same process */
  uint8_t state;
};

struct table {
  struct slot *s;
  size_t n;
  size_t cap;
  struct idx ix;
};

/* A process owning sockets in one call. */
struct proc_ent {
  struct hl_proc_info info;
  unsigned read_at; /* call that read the details; 0: never */
  uint32_t first;   /* validation: first slot it held last call */
  bool alive;       /* validation: one of its cached fds was confirmed */
};

struct procs {
  struct proc_ent *p;
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
  unsigned threads; /* 0: one per CPU */
  unsigned calls;
  struct table cur;       /* this call's inodes */
  struct table prev;      /* last call's, kept for its allocation */
  struct procs procs;     /* this call's owner processes */
  struct procs oldprocs;  /* last call's */
  _Atomic uint64_t *best; /* scan: (pid << 32 | fd) per slot, 0: none */
  size_t best_cap;
  int *pids; /* scan: numeric entries of the proc root */
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
  if (n >= NONE)
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
    free(ps->p[i].info.cmdline);
  ps->n = 0;
}

static void procs_free(struct procs *ps) {
  procs_clear(ps);
  free(ps->p);
  free(ps->ix.e);
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

void hl_owners_set_threads(struct hl_owners *o, unsigned threads) {
  o->threads = threads < MAX_THREADS ? threads : MAX_THREADS;
}

void hl_owners_free(struct hl_owners *o) {
  if (o == NULL)
    return;
  table_free(&o->cur);
  table_free(&o->prev);
  procs_free(&o->procs);
  procs_free(&o->oldprocs);
  free(o->best);
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
      *s = (struct slot){.inode = inodes[i], .fd = -1, .proc = NONE};
  }
  return 0;
}

/* ---- work spread over threads -------------------------------------------- */

/*
 * A job hands out units (processes) 0..units-1 in order through @next;
 * workers stop taking units when @err is set or @left reaches 0.
 */
struct job {
  struct hl_owners *o;
  int procfd;
  size_t units;
  bool shared; /* more than one worker */
  atomic_size_t next;
  atomic_uint left;
  atomic_int err;
  int (*unit)(struct job *j, size_t i, struct hl_owners_stats *st);
};

struct worker {
  struct job *job;
  struct hl_owners_stats st;
};

static void *job_worker(void *arg) {
  struct worker *w = arg;
  struct job *j = w->job;
  while (atomic_load(&j->err) == 0 && atomic_load(&j->left) > 0) {
    size_t i = atomic_fetch_add(&j->next, 1);
    if (i >= j->units)
      break;
    int rc = j->unit(j, i, &w->st);
    int none = 0;
    if (rc != 0)
      atomic_compare_exchange_strong(&j->err, &none, rc);
  }
  return NULL;
}

static unsigned online_cpus(void) {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) != 0)
    return 1;
  int n = CPU_COUNT(&set);
  return n > 0 ? (unsigned)n : 1;
}

static unsigned job_threads(const struct hl_owners *o, size_t units) {
  size_t n = o->threads;
  if (n == 0) {
    n = online_cpus();
    if (n > units / UNITS_PER_THREAD)
      n = units / UNITS_PER_THREAD;
  }
  if (n > units)
    n = units;
  if (n > MAX_THREADS)
    n = MAX_THREADS;
  return n > 0 ? (unsigned)n : 1;
}

static void add_stats(struct hl_owners_stats *to,
                      const struct hl_owners_stats *st) {
  to->validated += st->validated;
  to->scanned_pids += st->scanned_pids;
  to->readlinks += st->readlinks;
}

/* Runs the job on up to job_threads() workers, the caller being one. */
static int job_run(struct job *j) {
  struct worker w[MAX_THREADS] = {0};
  pthread_t tid[MAX_THREADS];
  bool started[MAX_THREADS] = {false};
  unsigned n = job_threads(j->o, j->units);
  j->shared = n > 1;
  for (unsigned i = 0; i < n; i++)
    w[i] = (struct worker){.job = j};
  for (unsigned i = 1; i < n; i++)
    started[i] = pthread_create(&tid[i], NULL, job_worker, &w[i]) == 0;
  job_worker(&w[0]);
  for (unsigned i = 0; i < n; i++) {
    if (i > 0 && started[i])
      pthread_join(tid[i], NULL);
    add_stats(&j->o->stats, &w[i].st);
  }
  return atomic_load(&j->err);
}

/* ---- validation ---------------------------------------------------------- */

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

/* "<pid><tail>" into @buf (>= 24 bytes + strlen(tail)). */
static void pid_path(char *buf, int pid, const char *tail) {
  char *p = put_uint(buf, (unsigned)pid);
  size_t tlen = strlen(tail);
  memcpy(p, tail, tlen + 1);
}

/* readlinkat(); true if the link reads socket:[*@inode]. */
static bool link_is(int dirfd, const char *name, uint64_t *inode,
                    struct hl_owners_stats *st) {
  char link[LINK_BUF];
  ssize_t len = readlinkat(dirfd, name, link, sizeof(link));
  st->readlinks++;
  if (len <= 0 || (size_t)len >= sizeof(link))
    return false;
  return hl_owners_parse_link(link, (size_t)len, inode) == 0;
}

/* Confirms the cached fds of old process @i (a job unit). */
static int validate_proc(struct job *j, size_t i, struct hl_owners_stats *st) {
  struct hl_owners *o = j->o;
  struct proc_ent *pe = &o->oldprocs.p[i];
  if (pe->first == NONE)
    return 0;
  char rel[40];
  pid_path(rel, pe->info.pid, "/fd");
  int dfd = openat(j->procfd, rel, O_PATH | O_DIRECTORY | O_CLOEXEC);
  for (uint32_t k = pe->first; k != NONE; k = o->cur.s[k].next) {
    struct slot *s = &o->cur.s[k];
    char name[16];
    *put_uint(name, (unsigned)s->fd) = '\0';
    uint64_t ino = 0;
    if (dfd >= 0 && link_is(dfd, name, &ino, st) && ino == s->inode) {
      st->validated++;
      pe->alive = true;
      continue;
    }
    s->state = SLOT_UNKNOWN;
    s->pid = 0;
    s->fd = -1;
  }
  if (dfd >= 0)
    close(dfd);
  return 0;
}

static void validate_cached(struct hl_owners *o, int procfd) {
  struct procs *old = &o->oldprocs;
  for (size_t i = 0; i < old->n; i++) {
    old->p[i].first = NONE;
    old->p[i].alive = false;
  }
  for (size_t k = 0; k < o->cur.n; k++) {
    struct slot *s = &o->cur.s[k];
    if (s->state != SLOT_OWNED)
      continue;
    if (s->proc >= old->n || old->p[s->proc].info.pid != s->pid) {
      s->state = SLOT_UNKNOWN; /* no process entry: search it */
      s->pid = 0;
      s->fd = -1;
      continue;
    }
    s->next = old->p[s->proc].first;
    old->p[s->proc].first = (uint32_t)k;
  }
  struct job j = {.o = o, .procfd = procfd, .units = old->n};
  atomic_init(&j.next, 0);
  atomic_init(&j.left, UINT_MAX);
  atomic_init(&j.err, 0);
  j.unit = validate_proc;
  job_run(&j);
}

/* ---- scan ---------------------------------------------------------------- */

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

static int pids_push(struct hl_owners *o, int pid) {
  if (o->npids == o->pids_cap) {
    size_t cap = o->pids_cap ? 2 * o->pids_cap : 1024;
    int *p = realloc(o->pids, cap * sizeof(*p));
    if (p == NULL)
      return -ENOMEM;
    o->pids = p;
    o->pids_cap = cap;
  }
  o->pids[o->npids++] = pid;
  return 0;
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
    if (o->npids > 0 && o->pids[o->npids - 1] > (int)pid)
      sorted = false;
    if (pids_push(o, (int)pid) != 0)
      return -ENOMEM;
  }
  if (errno != 0)
    return -errno;
  if (!sorted)
    qsort(o->pids, o->npids, sizeof(*o->pids), cmp_int);
  return 0;
}

/* Keeps the lowest (pid, fd) seen for a searched slot. */
static void record(struct job *j, uint64_t inode, int pid, const char *name) {
  struct hl_owners *o = j->o;
  uint32_t k = 0;
  uint64_t fd = 0;
  if (!idx_find(&o->cur.ix, inode, &k) || o->cur.s[k].state == SLOT_OWNED ||
      hl_str_to_u64(name, 0, INT_MAX, &fd) != 0)
    return;
  uint64_t v = (uint64_t)pid << 32 | fd;
  uint64_t was = atomic_load(&o->best[k]);
  while (was == 0 || v < was) {
    if (atomic_compare_exchange_weak(&o->best[k], &was, v)) {
      if (was == 0 && o->cur.s[k].state == SLOT_UNKNOWN)
        atomic_fetch_sub(&j->left, 1);
      break;
    }
  }
}

/* Out of descriptors or memory: the scan cannot go on. */
static int fatal_or_zero(int err) {
  return err == EMFILE || err == ENFILE || err == ENOMEM ? -err : 0;
}

/* Reads the fd dir of the @i-th pid (a job unit). */
static int scan_pid(struct job *j, size_t i, struct hl_owners_stats *st) {
  int pid = j->o->pids[i];
  char rel[40];
  pid_path(rel, pid, "/fd");
  int fd = openat(j->procfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return fatal_or_zero(errno);
  DIR *d = fdopendir(fd);
  if (d == NULL) {
    int err = errno;
    close(fd);
    return fatal_or_zero(err);
  }
  st->scanned_pids++;
  /* Alone, stop at once; sharing, finish the pid so that a lower pid
   * still in progress elsewhere cannot be passed over. */
  while (j->shared || atomic_load(&j->left) > 0) {
    struct dirent *e = readdir(d);
    if (e == NULL)
      break;
    if (e->d_name[0] < '0' || e->d_name[0] > '9')
      continue;
    uint64_t ino = 0;
    errno = 0;
    if (link_is(fd, e->d_name, &ino, st))
      record(j, ino, pid, e->d_name);
    else if (errno == EACCES)
      break; /* ptrace access is per process: all its fds fail alike */
  }
  closedir(d);
  return 0;
}

static int best_reset(struct hl_owners *o) {
  if (o->cur.n > o->best_cap) {
    _Atomic uint64_t *b = malloc(o->cur.n * sizeof(*b));
    if (b == NULL)
      return -ENOMEM;
    free(o->best);
    o->best = b;
    o->best_cap = o->cur.n;
  }
  for (size_t i = 0; i < o->cur.n; i++)
    atomic_init(&o->best[i], 0);
  return 0;
}

/* Applies the finds; after a full scan, unknown slots become hidden. */
static void scan_apply(struct hl_owners *o, bool full) {
  for (size_t i = 0; i < o->cur.n; i++) {
    struct slot *s = &o->cur.s[i];
    uint64_t b = atomic_load(&o->best[i]);
    if (b != 0 && s->state != SLOT_OWNED) {
      s->state = SLOT_OWNED;
      s->pid = (int)(b >> 32);
      s->fd = (int)(b & 0xffffffffu);
      s->proc = NONE;
    } else if (full && s->state == SLOT_UNKNOWN) {
      s->state = SLOT_HIDDEN;
      s->retry_at = o->calls + o->retry_every;
    }
  }
}

static int scan(struct hl_owners *o, DIR *proc, unsigned need) {
  o->nuids = 0; /* new processes may come with new accounts */
  int rc = list_pids(o, proc);
  if (rc == 0)
    rc = best_reset(o);
  if (rc != 0)
    return rc;
  struct job j = {.o = o, .procfd = dirfd(proc), .units = o->npids};
  atomic_init(&j.next, 0);
  atomic_init(&j.left, need);
  atomic_init(&j.err, 0);
  j.unit = scan_pid;
  rc = job_run(&j);
  /* On error, unknown slots stay unknown: searched again next call. */
  scan_apply(o, rc == 0 && atomic_load(&j.left) > 0);
  return rc;
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
    return ERANGE;
  char *b = realloc(o->pwbuf, len);
  if (b == NULL)
    return ENOMEM;
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
  pid_path(rel, pi->pid, "/comm");
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
  pid_path(rel, pi->pid, "/status");
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
    pid_path(rel, pi->pid, "/cmdline");
    n = read_head(procfd, rel, o->cmdbuf, CMDLINE_MAX);
  }
  pi->cmdline = hl_owners_join_cmdline(o->cmdbuf, n > 0 ? (size_t)n : 0);
  return pi->cmdline != NULL ? 0 : -ENOMEM;
}

/*
 * Takes over last call's details of @pid if its process was confirmed by
 * validation (so it is the same process) and they are recent enough.
 */
static bool take_old(struct hl_owners *o, struct proc_ent *pe, bool details) {
  uint32_t k = 0;
  if (!idx_find(&o->oldprocs.ix, (uint64_t)pe->info.pid, &k) ||
      k >= o->oldprocs.n)
    return false;
  struct proc_ent *old = &o->oldprocs.p[k];
  if (!old->alive || old->info.cmdline == NULL)
    return false;
  if (details && (old->read_at == 0 ||
                  (int)(o->calls - old->read_at) >= (int)o->retry_every))
    return false;
  pe->info = old->info;
  pe->read_at = old->read_at;
  old->info.cmdline = NULL;
  return true;
}

/* Adds an entry for @pid to procs; its index goes to *@pos. */
static int procs_add(struct hl_owners *o, int procfd, int pid, bool details,
                     uint32_t *pos) {
  struct procs *ps = &o->procs;
  if (ps->n == ps->cap) {
    size_t cap = ps->cap ? 2 * ps->cap : 16;
    struct proc_ent *p = realloc(ps->p, cap * sizeof(*p));
    if (p == NULL)
      return -ENOMEM;
    ps->p = p;
    ps->cap = cap;
  }
  struct proc_ent *pe = &ps->p[ps->n];
  *pe = (struct proc_ent){.info = {.pid = pid, .uid = HL_OWNERS_NO_UID}};
  if (!take_old(o, pe, details)) {
    if (details) {
      read_comm(procfd, &pe->info);
      read_uid(o, procfd, &pe->info);
      pe->read_at = o->calls;
      if (read_cmdline(o, procfd, &pe->info) != 0)
        return -ENOMEM;
    } else {
      pe->info.cmdline = hl_owners_join_cmdline("", 0);
      if (pe->info.cmdline == NULL)
        return -ENOMEM;
    }
  }
  *pos = (uint32_t)ps->n++;
  return 0;
}

static int fill_procs(struct hl_owners *o, int procfd, bool details) {
  int rc = idx_reset(&o->procs.ix, o->cur.n);
  for (size_t i = 0; i < o->cur.n; i++) {
    struct slot *s = &o->cur.s[i];
    uint32_t pos = NONE;
    if (rc == 0 && s->state == SLOT_OWNED &&
        !idx_find(&o->procs.ix, (uint64_t)s->pid, &pos)) {
      rc = procs_add(o, procfd, s->pid, details, &pos);
      if (rc == 0)
        idx_add(&o->procs.ix, (uint64_t)s->pid, &pos);
    }
    s->proc = rc == 0 ? pos : NONE;
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

/* Starts a call: last call's processes become the old generation. */
static void begin_call(struct hl_owners *o) {
  o->calls++;
  if (o->calls == 0)
    o->calls = 1; /* 0 means "never" in read_at */
  o->stats = (struct hl_owners_stats){0};
  procs_clear(&o->oldprocs);
  struct procs t = o->oldprocs;
  o->oldprocs = o->procs;
  o->procs = t;
}

/* Ends a call: old details not taken over are freed; counts the misses. */
static int end_call(struct hl_owners *o, int rc) {
  procs_clear(&o->oldprocs);
  for (size_t i = 0; i < o->cur.n; i++)
    if (o->cur.s[i].state != SLOT_OWNED || o->cur.s[i].proc == NONE)
      o->stats.unresolved++;
  return rc;
}

int hl_owners_resolve(struct hl_owners *o, const uint64_t *inodes, size_t n,
                      bool want_details) {
  begin_call(o);
  int rc = table_rebuild(o, inodes, n);
  if (rc != 0)
    return end_call(o, rc);
  DIR *proc = opendir(o->proc_root);
  if (proc == NULL) {
    rc = -errno;
    forget_owners(&o->cur);
    return end_call(o, rc);
  }
  validate_cached(o, dirfd(proc));
  unsigned need = prepare_search(o);
  if (need > 0)
    rc = scan(o, proc, need);
  int drc = fill_procs(o, dirfd(proc), want_details);
  closedir(proc);
  return end_call(o, rc != 0 ? rc : drc);
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
  return &o->procs.p[s->proc].info;
}

struct hl_owners_stats hl_owners_last_stats(const struct hl_owners *o) {
  return o->stats;
}
