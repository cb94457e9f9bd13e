// SPDX-License-Identifier: MIT
/*
 * hl_proc: /proc and statvfs readers for homelab_host.
 *
 * Data flow: hl_proc_read() copies a proc file into a capped buffer; the
 * hl_proc_parse_*() functions walk those bytes line by line with the cursor
 * parsers of hl_str and fill plain structs; hl_cpu_percent(), hl_pct() and
 * hl_fs_from_statvfs() derive the numbers plugins report. Parsers stop at
 * the given length, so truncated or unterminated input is safe.
 */
#include "hl_proc.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int hl_proc_read(const char *proc_root, const char *name, struct hl_buf *buf) {
  char path[PATH_MAX];
  int n = snprintf(path, sizeof(path), "%s/%s", proc_root, name);
  if (n < 0 || (size_t)n >= sizeof(path))
    return -ENAMETOOLONG;
  return hl_buf_read_file(buf, path);
}

/* A line of input: [p, eol) with eol at '\n' or the end. */
struct line {
  const char *p;
  const char *eol;
};

static bool next_line(const char **cur, const char *end, struct line *l) {
  if (*cur >= end)
    return false;
  const char *nl = memchr(*cur, '\n', (size_t)(end - *cur));
  l->p = *cur;
  l->eol = nl ? nl : end;
  *cur = nl ? nl + 1 : end;
  return true;
}

/* True if the line starts with @key followed by a blank (or ':' if colon). */
static bool line_key(const struct line *l, const char *key, const char **rest) {
  size_t k = strlen(key);
  if ((size_t)(l->eol - l->p) < k + 1 || memcmp(l->p, key, k) != 0)
    return false;
  *rest = l->p + k;
  return true;
}

/* ---- /proc/stat ---------------------------------------------------------- */

static int parse_cpu_columns(const char *p, const char *eol,
                             struct hl_cpu_times *c) {
  memset(c->t, 0, sizeof(c->t));
  int cols = 0;
  for (int i = 0; i < HL_CPU_STATES; i++) {
    int rc = hl_str_next_u64(&p, eol, &c->t[i]);
    if (rc == -ENODATA)
      break;
    if (rc != 0)
      return -EPROTO;
    cols++;
  }
  /* Kernels since 2.6.0 have at least user..idle + iowait/irq/softirq; 2.4
   * had four columns. Fewer than four is not a cpu line. */
  return cols >= 4 ? 0 : -EPROTO;
}

static int stat_add_cpu(struct hl_stat *st, const struct hl_cpu_times *c) {
  if (st->ncpu == st->cpu_cap) {
    size_t cap = st->cpu_cap ? st->cpu_cap * 2 : 8;
    struct hl_cpu_times *n = realloc(st->cpu, cap * sizeof(*n));
    if (n == NULL)
      return -ENOMEM;
    st->cpu = n;
    st->cpu_cap = cap;
  }
  st->cpu[st->ncpu++] = *c;
  return 0;
}

static int parse_stat_cpu_line(const struct line *l, struct hl_stat *st,
                               bool *have_all) {
  const char *p = l->p + 3;
  struct hl_cpu_times c = {.id = -1};
  if (p < l->eol && *p >= '0' && *p <= '9') {
    uint64_t id = 0;
    const char *q = p;
    while (q < l->eol && *q >= '0' && *q <= '9')
      q++;
    char num[16];
    size_t n = (size_t)(q - p);
    if (n >= sizeof(num))
      return -EPROTO;
    memcpy(num, p, n);
    num[n] = '\0';
    if (hl_str_to_u64(num, 0, INT_MAX, &id) != 0)
      return -EPROTO;
    c.id = (int)id;
    p = q;
  }
  if (p >= l->eol || (*p != ' ' && *p != '\t'))
    return 0; /* "cpufreq..." or similar: not ours */
  if (parse_cpu_columns(p, l->eol, &c) != 0)
    return c.id < 0 ? -EPROTO : 0; /* a truncated per-CPU line is skipped */
  if (c.id < 0) {
    st->all = c;
    *have_all = true;
    return 0;
  }
  return stat_add_cpu(st, &c);
}

static void stat_scalar(const struct line *l, const char *key, uint64_t *dst) {
  const char *p = NULL;
  if (!line_key(l, key, &p) || (*p != ' ' && *p != '\t'))
    return;
  uint64_t v = 0;
  if (hl_str_next_u64(&p, l->eol, &v) == 0)
    *dst = v;
}

int hl_proc_parse_stat(const char *buf, size_t len, struct hl_stat *out) {
  out->ncpu = 0;
  out->forks = out->procs_running = out->procs_blocked = out->btime = 0;
  bool have_all = false;
  const char *cur = buf, *end = buf + len;
  struct line l;
  while (next_line(&cur, end, &l)) {
    const char *rest = NULL;
    if (line_key(&l, "cpu", &rest)) {
      int rc = parse_stat_cpu_line(&l, out, &have_all);
      if (rc != 0)
        return rc;
      continue;
    }
    stat_scalar(&l, "processes", &out->forks);
    stat_scalar(&l, "procs_running", &out->procs_running);
    stat_scalar(&l, "procs_blocked", &out->procs_blocked);
    stat_scalar(&l, "btime", &out->btime);
  }
  return have_all ? 0 : -EPROTO;
}

void hl_stat_free(struct hl_stat *st) {
  free(st->cpu);
  *st = (struct hl_stat){0};
}

int hl_cpu_percent(const struct hl_cpu_times *prev,
                   const struct hl_cpu_times *cur, struct hl_cpu_pct *out) {
  uint64_t d[HL_CPU_STATES];
  double total = 0; /* summed as double: eight uint64_t deltas can wrap */
  for (int i = 0; i < HL_CPU_STATES; i++) {
    d[i] = cur->t[i] >= prev->t[i] ? cur->t[i] - prev->t[i] : 0;
    if (i < HL_CPU_GUEST) /* guest time is already inside user/nice */
      total += (double)d[i];
  }
  if (!(total > 0))
    return -EAGAIN;
  for (int i = 0; i < HL_CPU_STATES; i++)
    out->state[i] = 100.0 * (double)d[i] / total;
  out->active = 100.0 *
                (total - (double)d[HL_CPU_IDLE] - (double)d[HL_CPU_IOWAIT]) /
                total;
  return 0;
}

const char *hl_cpu_state_name(enum hl_cpu_state s) {
  static const char *const names[HL_CPU_STATES] = {
      [HL_CPU_USER] = "user",       [HL_CPU_NICE] = "nice",
      [HL_CPU_SYSTEM] = "system",   [HL_CPU_IDLE] = "idle",
      [HL_CPU_IOWAIT] = "wait",     [HL_CPU_IRQ] = "interrupt",
      [HL_CPU_SOFTIRQ] = "softirq", [HL_CPU_STEAL] = "steal",
      [HL_CPU_GUEST] = "guest",     [HL_CPU_GUEST_NICE] = "guest_nice",
  };
  return (s >= 0 && s < HL_CPU_STATES) ? names[s] : "unknown";
}

/* ---- /proc/meminfo --------------------------------------------------------
 */

struct meminfo_field {
  const char *key;
  size_t off;
  unsigned bit;
};

enum { MI_TOTAL = 1, MI_FREE = 2, MI_AVAIL = 4 };

static const struct meminfo_field meminfo_fields[] = {
    {"MemTotal:", offsetof(struct hl_meminfo, total), MI_TOTAL},
    {"MemFree:", offsetof(struct hl_meminfo, free), MI_FREE},
    {"MemAvailable:", offsetof(struct hl_meminfo, available), MI_AVAIL},
    {"Buffers:", offsetof(struct hl_meminfo, buffers), 0},
    {"Cached:", offsetof(struct hl_meminfo, cached), 0},
    {"SReclaimable:", offsetof(struct hl_meminfo, sreclaimable), 0},
    {"Shmem:", offsetof(struct hl_meminfo, shmem), 0},
    {"SwapTotal:", offsetof(struct hl_meminfo, swap_total), 0},
    {"SwapFree:", offsetof(struct hl_meminfo, swap_free), 0},
    {"SwapCached:", offsetof(struct hl_meminfo, swap_cached), 0},
};

/* "  12345 kB" → bytes; a value without unit is taken as bytes. */
static int meminfo_value(const char *p, const char *eol, uint64_t *bytes) {
  uint64_t v = 0;
  if (hl_str_next_u64(&p, eol, &v) != 0)
    return -EPROTO;
  while (p < eol && (*p == ' ' || *p == '\t'))
    p++;
  if (p == eol) {
    *bytes = v;
    return 0;
  }
  if (eol - p != 2 || p[0] != 'k' || p[1] != 'B' || v > UINT64_MAX / 1024)
    return -EPROTO;
  *bytes = v * 1024;
  return 0;
}

static uint64_t sub_floor0(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

int hl_proc_parse_meminfo(const char *buf, size_t len, struct hl_meminfo *out) {
  *out = (struct hl_meminfo){0};
  const size_t nfields = sizeof(meminfo_fields) / sizeof(meminfo_fields[0]);
  unsigned seen = 0;
  size_t found = 0;
  const char *cur = buf, *end = buf + len;
  struct line l;
  while (found < nfields && next_line(&cur, end, &l)) {
    for (size_t i = 0; i < nfields; i++) {
      const struct meminfo_field *f = &meminfo_fields[i];
      const char *rest = NULL;
      if (f->key[0] != l.p[0] || !line_key(&l, f->key, &rest))
        continue;
      uint64_t v = 0;
      if (meminfo_value(rest, l.eol, &v) != 0)
        return -EPROTO;
      *(uint64_t *)((char *)out + f->off) = v;
      seen |= f->bit;
      found++;
      break;
    }
  }
  if ((seen & (MI_TOTAL | MI_FREE)) != (MI_TOTAL | MI_FREE))
    return -EPROTO;
  out->has_available = (seen & MI_AVAIL) != 0;
  if (!out->has_available) {
    uint64_t est = out->free + out->buffers + out->cached + out->sreclaimable;
    out->available = sub_floor0(est, out->shmem);
  }
  if (out->available > out->total)
    out->available = out->total;
  out->used = out->total - out->available;
  out->swap_used = sub_floor0(out->swap_total, out->swap_free);
  return 0;
}

double hl_pct(uint64_t part, uint64_t whole) {
  if (whole == 0)
    return NAN;
  /* Quotient first: part == whole gives exactly 100 (100 * part / whole
   * can round to 100.00000000000001 with counts above 2^46). */
  double q = (double)part / (double)whole;
  return q >= 1.0 && part <= whole ? 100.0 : 100.0 * q;
}

/* ---- /proc/uptime, /proc/loadavg ----------------------------------------- */

int hl_proc_parse_uptime(const char *buf, size_t len, double *uptime) {
  const char *p = buf;
  double v = 0;
  if (hl_str_next_double(&p, buf + len, &v) != 0)
    return -EPROTO;
  *uptime = v;
  return 0;
}

int hl_proc_parse_loadavg(const char *buf, size_t len, struct hl_loadavg *out) {
  const char *p = buf, *end = buf + len;
  struct hl_loadavg la = {.tasks = 0};
  for (int i = 0; i < 3; i++)
    if (hl_str_next_double(&p, end, &la.load[i]) != 0)
      return -EPROTO;
  /* "running/tasks": parse the two halves around the slash. */
  while (p < end && *p == ' ')
    p++;
  const char *slash = memchr(p, '/', (size_t)(end - p));
  const char *sp = memchr(p, ' ', (size_t)(end - p));
  if (slash == NULL || (sp != NULL && sp < slash))
    return -EPROTO;
  if (hl_str_next_u64(&p, slash, &la.running) != 0 || p != slash)
    return -EPROTO;
  p = slash + 1;
  if (p >= end || *p < '0' || *p > '9')
    return -EPROTO;
  if (hl_str_next_u64(&p, end, &la.tasks) != 0)
    return -EPROTO;
  if (hl_str_next_u64(&p, end, &la.last_pid) != 0)
    la.last_pid = 0; /* optional */
  *out = la;
  return 0;
}

static bool all_digits(const char *s) {
  if (*s == '\0')
    return false;
  for (; *s; s++)
    if (*s < '0' || *s > '9')
      return false;
  return true;
}

int hl_proc_count_pids(const char *proc_root, uint64_t *count) {
  DIR *d = opendir(proc_root);
  if (d == NULL)
    return -errno;
  uint64_t n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (all_digits(e->d_name))
      n++;
  closedir(d);
  *count = n;
  return 0;
}

/* ---- mounts ---------------------------------------------------------------
 */

/* Copies one field, decoding \ooo octal escapes; returns the bytes used. */
static size_t decode_field(const char *p, const char *e, char *dst) {
  size_t n = 0;
  while (p < e) {
    if (*p == '\\' && e - p >= 4 && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' &&
        p[2] <= '7' && p[3] >= '0' && p[3] <= '7') {
      dst[n++] =
          (char)(((p[1] - '0') << 6) | ((p[2] - '0') << 3) | (p[3] - '0'));
      p += 4;
    } else {
      dst[n++] = *p++;
    }
  }
  dst[n++] = '\0';
  return n;
}

static const char *field_end(const char *p, const char *eol) {
  while (p < eol && *p != ' ' && *p != '\t')
    p++;
  return p;
}

static const char *skip_blanks(const char *p, const char *eol) {
  while (p < eol && (*p == ' ' || *p == '\t'))
    p++;
  return p;
}

int hl_proc_parse_mounts(const char *buf, size_t len, struct hl_mounts *out) {
  hl_mounts_free(out);
  /* Decoded strings never exceed the input, plus one NUL per field. */
  size_t lines = 1;
  for (size_t i = 0; i < len; i++)
    lines += buf[i] == '\n';
  out->store = malloc(len + 3 * lines + 1);
  out->m = malloc(lines * sizeof(*out->m));
  if (out->store == NULL || out->m == NULL) {
    hl_mounts_free(out);
    return -ENOMEM;
  }
  out->cap = lines;
  size_t used = 0;
  const char *cur = buf, *end = buf + len;
  struct line l;
  while (next_line(&cur, end, &l)) {
    const char *f[3], *fe[3];
    const char *p = l.p;
    int k = 0;
    for (; k < 3; k++) {
      p = skip_blanks(p, l.eol);
      if (p >= l.eol)
        break;
      f[k] = p;
      fe[k] = p = field_end(p, l.eol);
    }
    if (k < 3)
      continue;
    char *dev = out->store + used;
    used += decode_field(f[0], fe[0], dev);
    char *dir = out->store + used;
    used += decode_field(f[1], fe[1], dir);
    char *type = out->store + used;
    used += decode_field(f[2], fe[2], type);
    out->m[out->n++] = (struct hl_mount){dev, dir, type};
  }
  return 0;
}

void hl_mounts_free(struct hl_mounts *ms) {
  free(ms->m);
  free(ms->store);
  *ms = (struct hl_mounts){0};
}

const struct hl_mount *hl_mounts_find(const struct hl_mounts *ms,
                                      const char *dir) {
  for (size_t i = ms->n; i > 0; i--)
    if (strcmp(ms->m[i - 1].dir, dir) == 0)
      return &ms->m[i - 1];
  return NULL;
}

size_t hl_mounts_select(const struct hl_mounts *ms, bool *want) {
  size_t n = 0;
  for (size_t i = 0; i < ms->n; i++) {
    const struct hl_mount *e = &ms->m[i];
    want[i] = (strcmp(e->dir, "/") == 0 || !hl_fs_is_pseudo(e->fstype)) &&
              hl_mounts_find(ms, e->dir) == e;
    for (size_t j = 0; want[i] && e->device[0] == '/' && j < i; j++)
      want[i] = !(want[j] && strcmp(ms->m[j].device, e->device) == 0);
    n += want[i];
  }
  return n;
}

bool hl_fs_is_pseudo(const char *fstype) {
  static const char *const pseudo[] = {
      "proc",        "sysfs",    "devtmpfs",        "devpts",
      "tmpfs",       "ramfs",    "cgroup",          "cgroup2",
      "securityfs",  "pstore",   "debugfs",         "tracefs",
      "configfs",    "fusectl",  "mqueue",          "hugetlbfs",
      "bpf",         "autofs",   "binfmt_misc",     "nsfs",
      "rpc_pipefs",  "efivarfs", "overlay",         "squashfs",
      "selinuxfs",   "nfsd",     "fuse.gvfsd-fuse", "fuse.lxcfs",
      "fuse.portal", "iso9660",
  };
  for (size_t i = 0; i < sizeof(pseudo) / sizeof(pseudo[0]); i++)
    if (strcmp(fstype, pseudo[i]) == 0)
      return true;
  return false;
}

int hl_mount_name(const char *dir, char *out, size_t size) {
  if (size == 0)
    return -ENAMETOOLONG;
  while (*dir == '/')
    dir++;
  if (*dir == '\0')
    return hl_str_copy(out, size, "root") < size ? 0 : -ENAMETOOLONG;
  size_t n = 0;
  for (; *dir; dir++) {
    if (n + 1 >= size)
      return -ENAMETOOLONG;
    out[n++] = *dir == '/' ? '-' : *dir;
  }
  while (n > 0 && out[n - 1] == '-') /* trailing slash */
    n--;
  out[n] = '\0';
  return 0;
}

/* ---- statvfs ------------------------------------------------------------- */

static int mul_ok(uint64_t a, uint64_t b, uint64_t *out) {
  if (b != 0 && a > UINT64_MAX / b)
    return -ERANGE;
  *out = a * b;
  return 0;
}

int hl_fs_from_statvfs(const struct statvfs *sv, struct hl_fsstat *out) {
  uint64_t bs = sv->f_frsize ? sv->f_frsize : sv->f_bsize;
  uint64_t blocks = sv->f_blocks, bfree = sv->f_bfree, bavail = sv->f_bavail;
  if (bfree > blocks || bavail > bfree)
    return -ERANGE;
  struct hl_fsstat s = {0};
  if (mul_ok(blocks, bs, &s.total) != 0 ||
      mul_ok(blocks - bfree, bs, &s.used) != 0 ||
      mul_ok(bavail, bs, &s.free) != 0 ||
      mul_ok(bfree - bavail, bs, &s.reserved) != 0)
    return -ERANGE;
  s.used_pct = hl_pct(s.used, s.used + s.free);
  if (sv->f_ffree > sv->f_files)
    return -ERANGE;
  s.inodes_total = sv->f_files;
  s.inodes_free = sv->f_ffree;
  s.inodes_used = sv->f_files - sv->f_ffree;
  s.inodes_pct = hl_pct(s.inodes_used, s.inodes_total);
  *out = s;
  return 0;
}

int hl_fs_stat(const char *path, struct hl_fsstat *out) {
  struct statvfs sv;
  if (statvfs(path, &sv) != 0)
    return -errno;
  return hl_fs_from_statvfs(&sv, out);
}
