// SPDX-License-Identifier: MIT
/*
 * Unit tests for shared/hl_proc. Parsers are fed from fixture trees under
 * tests/fixtures/proc/<case>/ (read with hl_proc_read(), then copied into an
 * exact-size heap block so ASan sees any read past the length): "real" was
 * captured from a Debian 12 VM, the others are hand-made edge cases (old
 * kernels with 4 or 7 cpu columns, CPU hot-unplug, counters near 2^64,
 * truncated and garbage files, mount octal escapes). Derived numbers
 * (hl_cpu_percent, hl_pct, hl_fs_from_statvfs) use tables of plain structs.
 */
#include "check_suites.h"
#include "hl_proc.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define KIB(x) ((uint64_t)(x)*1024u)

/*
 * Reads tests/fixtures/<rel_root>/<name> through hl_proc_read() and returns
 * an unterminated exact-size copy (free it); *len gets the size.
 */
static char *load_fixture(const char *rel_root, const char *name, size_t *len) {
  char root[4096];
  hl_test_fixture_path(root, sizeof(root), rel_root);
  struct hl_buf b;
  hl_buf_init(&b, HL_PROC_FILE_MAX);
  int rc = hl_proc_read(root, name, &b);
  ck_assert_msg(rc == 0, "hl_proc_read(%s, %s): %s", root, name, strerror(-rc));
  *len = b.len;
  char *copy = hl_test_dup_exact(b.data, b.len);
  hl_buf_free(&b);
  return copy;
}

/* Input of a parser case: a fixture file, or inline text when @text is set. */
static char *load_input(const char *dir, const char *name, const char *text,
                        size_t *len) {
  if (text != NULL) {
    *len = strlen(text);
    return hl_test_dup_exact(text, *len);
  }
  return load_fixture(dir, name, len);
}

/* ---- hl_proc_read ---- */

static const struct read_case {
  const char *root; /* below the fixtures dir */
  const char *name;
  size_t max;
  int rc;
  const char *want;
} read_cases[] = {
    {"proc/real", "uptime", HL_PROC_FILE_MAX, 0, "287.21 545.71\n"},
    {"proc/real", "self/mounts", HL_PROC_FILE_MAX, 0, NULL},
    {"proc/loadavg_bad", "loadavg", HL_PROC_FILE_MAX, 0, "0.50 0.25\n"},
    {"proc/real", "stat", 64, -E2BIG, NULL},
    {"proc/real", "stat", 1112, 0, NULL}, /* exactly the file size */
    {"proc/real", "stat", 1111, -E2BIG, NULL},
    {"proc/real", "missing", HL_PROC_FILE_MAX, -ENOENT, NULL},
    {"proc/old4", "meminfo", HL_PROC_FILE_MAX, -ENOENT, NULL},
    {"proc/no-such-root", "stat", HL_PROC_FILE_MAX, -ENOENT, NULL},
};

START_TEST(test_proc_read) {
  const struct read_case *c = &read_cases[_i];
  char root[4096];
  hl_test_fixture_path(root, sizeof(root), c->root);
  struct hl_buf b;
  hl_buf_init(&b, c->max);
  int rc = hl_proc_read(root, c->name, &b);
  ck_assert_msg(rc == c->rc, "%s/%s: rc %d, want %d", c->root, c->name, rc,
                c->rc);
  if (rc == 0)
    ck_assert_uint_gt(b.len, 0);
  if (c->want != NULL)
    ck_assert_str_eq(b.data, c->want);
  hl_buf_free(&b);
}
END_TEST

START_TEST(test_proc_read_name_too_long) {
  size_t n = 8192;
  char *name = malloc(n + 1);
  ck_assert_ptr_nonnull(name);
  memset(name, 'a', n);
  name[n] = '\0';
  struct hl_buf b;
  hl_buf_init(&b, HL_PROC_FILE_MAX);
  ck_assert_int_eq(hl_proc_read("/proc", name, &b), -ENAMETOOLONG);
  hl_buf_free(&b);
  free(name);
}
END_TEST

/* ---- /proc/stat ---- */

#define MAX_CPUS 4

/* Fixtures that parse: expected aggregate, per-CPU ids and last CPU line. */
static const struct stat_case {
  const char *dir; /* fixture tree with a "stat" file */
  uint64_t all[HL_CPU_STATES];
  size_t ncpu;
  int ids[MAX_CPUS];
  uint64_t last[HL_CPU_STATES]; /* the last per-CPU line */
  bool misc;                    /* check the scalar lines below */
  uint64_t forks, running, blocked, btime;
} stat_cases[] = {
    {.dir = "proc/real",
     .all = {1244, 0, 1142, 54571, 238, 0, 24, 6, 0, 0},
     .ncpu = 2,
     .ids = {0, 1},
     .last = {865, 0, 724, 26761, 234, 0, 19, 4, 0, 0},
     .misc = true,
     .forks = 3736,
     .running = 1,
     .blocked = 0,
     .btime = 1795786425},
    /* Linux 2.4: user nice system idle only; the rest reads as 0. */
    {.dir = "proc/old4",
     .all = {100, 20, 30, 4000},
     .ncpu = 2,
     .ids = {0, 1},
     .last = {50, 10, 15, 2000},
     .misc = true,
     .forks = 321,
     .running = 2,
     .blocked = 1,
     .btime = 1000000000},
    /* Linux 2.6.0-2.6.10: plus iowait irq softirq. */
    {.dir = "proc/old7",
     .all = {100, 20, 30, 4000, 50, 6, 7},
     .ncpu = 1,
     .ids = {0},
     .last = {100, 20, 30, 4000, 50, 6, 7},
     .misc = true,
     .forks = 321,
     .running = 2,
     .blocked = 0,
     .btime = 1000000000},
    /* cpu1 unplugged: the ids say which CPUs are there. */
    {.dir = "proc/hotplug",
     .all = {300, 0, 150, 9000, 30, 3, 6},
     .ncpu = 3,
     .ids = {0, 2, 3},
     .last = {100, 0, 50, 3000, 10, 1, 2},
     .misc = true,
     .forks = 99,
     .running = 1,
     .blocked = 0,
     .btime = 1700000000},
    {.dir = "proc/huge",
     .all = {UINT64_MAX, UINT64_MAX - 1, 18446744073709551000u,
             9223372036854775808u, 1, 2, 3, 4, 5, 6},
     .ncpu = 1,
     .ids = {0},
     .last = {UINT64_MAX},
     .misc = true,
     .forks = UINT64_MAX,
     .running = 1,
     .blocked = 0,
     .btime = 4294967296u},
    /* Cut in the middle of "cpu1": the partial CPU line is dropped. */
    {.dir = "proc/stat_cut_cpu",
     .all = {10, 20, 30, 40, 50, 60, 70, 80},
     .ncpu = 1,
     .ids = {0},
     .last = {5, 10, 15, 20, 25, 30, 35, 40}},
    /* Cut in the middle of "intr": all CPU lines are complete. */
    {.dir = "proc/stat_cut_intr",
     .all = {10, 20, 30, 40, 50, 60, 70, 80},
     .ncpu = 2,
     .ids = {0, 1},
     .last = {5, 10, 15, 20, 25, 30, 35, 40}},
    /* Aggregate line without trailing newline, nothing else. */
    {.dir = "proc/stat_nonl", .all = {1, 2, 3, 4}, .ncpu = 0},
};

START_TEST(test_parse_stat) {
  const struct stat_case *c = &stat_cases[_i];
  size_t len = 0;
  char *buf = load_fixture(c->dir, "stat", &len);
  struct hl_stat st = {0};
  ck_assert_int_eq(hl_proc_parse_stat(buf, len, &st), 0);
  ck_assert_int_eq(st.all.id, -1);
  for (int s = 0; s < HL_CPU_STATES; s++)
    ck_assert_msg(st.all.t[s] == c->all[s], "%s: all.t[%d] = %llu", c->dir, s,
                  (unsigned long long)st.all.t[s]);
  ck_assert_uint_eq(st.ncpu, c->ncpu);
  for (size_t k = 0; k < st.ncpu && k < MAX_CPUS; k++)
    ck_assert_int_eq(st.cpu[k].id, c->ids[k]);
  if (st.ncpu > 0)
    for (int s = 0; s < HL_CPU_STATES; s++)
      ck_assert_msg(st.cpu[st.ncpu - 1].t[s] == c->last[s],
                    "%s: last cpu t[%d] = %llu", c->dir, s,
                    (unsigned long long)st.cpu[st.ncpu - 1].t[s]);
  if (c->misc) {
    ck_assert_uint_eq(st.forks, c->forks);
    ck_assert_uint_eq(st.procs_running, c->running);
    ck_assert_uint_eq(st.procs_blocked, c->blocked);
    ck_assert_uint_eq(st.btime, c->btime);
  }
  hl_stat_free(&st);
  free(buf);
}
END_TEST

/* Input without a usable aggregate "cpu" line: -EPROTO. */
static const struct stat_bad_case {
  const char *dir;  /* fixture tree with a "stat" file, or NULL */
  const char *text; /* inline input when dir is NULL */
} stat_bad_cases[] = {
    {"proc/stat_garbage", NULL},
    {"proc/stat_nocpu", NULL},
    {NULL, ""},
    {NULL, "cpu  1 2 3\n"},
    {NULL, "cpu  1 2"},
    {NULL, "cpu  -1 2 3 4\n"},
    {NULL, "cpu  18446744073709551616 0 0 0\n"},
    {NULL, "intr 1 2 3\nctxt 5\n"},
};

START_TEST(test_parse_stat_bad) {
  const struct stat_bad_case *c = &stat_bad_cases[_i];
  size_t len = 0;
  char *buf = load_input(c->dir, "stat", c->text, &len);
  struct hl_stat st = {0};
  int rc = hl_proc_parse_stat(buf, len, &st);
  ck_assert_msg(rc == -EPROTO, "%s: rc %d", c->dir ? c->dir : c->text, rc);
  hl_stat_free(&st);
  free(buf);
}
END_TEST

/* The cpu array is reused across parses, and grows for big machines. */
START_TEST(test_parse_stat_reuse_and_grow) {
  struct hl_buf text;
  hl_buf_init(&text, HL_PROC_FILE_MAX);
  const char *agg = "cpu  1 2 3 4 5 6 7 8 0 0\n";
  ck_assert_int_eq(hl_buf_append(&text, agg, strlen(agg)), 0);
  for (int k = 0; k < 300; k++) {
    char line[64] = "cpu";
    size_t n = 3;
    char digits[8];
    size_t nd = 0;
    for (int v = k; nd == 0 || v > 0; v /= 10)
      digits[nd++] = (char)('0' + v % 10);
    while (nd > 0)
      line[n++] = digits[--nd];
    const char *cols = " 1 0 1 10 0 0 0 0 0 0\n";
    memcpy(line + n, cols, strlen(cols));
    n += strlen(cols);
    ck_assert_int_eq(hl_buf_append(&text, line, n), 0);
  }
  char *big = hl_test_dup_exact(text.data, text.len);

  struct hl_stat st = {0};
  ck_assert_int_eq(hl_proc_parse_stat(big, text.len, &st), 0);
  ck_assert_uint_eq(st.ncpu, 300);
  ck_assert_uint_ge(st.cpu_cap, 300);
  for (size_t k = 0; k < st.ncpu; k++) {
    ck_assert_int_eq(st.cpu[k].id, (int)k);
    ck_assert_uint_eq(st.cpu[k].t[HL_CPU_IDLE], 10);
  }

  size_t len = 0;
  char *small = load_fixture("proc/hotplug", "stat", &len);
  ck_assert_int_eq(hl_proc_parse_stat(small, len, &st), 0);
  ck_assert_uint_eq(st.ncpu, 3);
  ck_assert_int_eq(st.cpu[2].id, 3);

  hl_stat_free(&st);
  ck_assert_ptr_null(st.cpu);
  ck_assert_uint_eq(st.ncpu, 0);
  ck_assert_uint_eq(st.cpu_cap, 0);
  hl_stat_free(&st);
  free(small);
  free(big);
  hl_buf_free(&text);
}
END_TEST

/* ---- hl_cpu_percent ---- */

#define TWO63 9223372036854775808u

static const struct pct_case {
  const char *name;
  uint64_t prev[HL_CPU_STATES];
  uint64_t cur[HL_CPU_STATES];
  int rc;
  double want[HL_CPU_STATES];
  double active;
} pct_cases[] = {
    {"normal",
     {100, 0, 50, 1000, 10, 0, 0, 0, 0, 0},
     {110, 0, 60, 1070, 15, 1, 2, 2, 0, 0},
     0,
     {10, 0, 10, 70, 5, 1, 2, 2, 0, 0},
     25},
    {"guest not added to total",
     {0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
     {20, 5, 0, 75, 0, 0, 0, 0, 10, 5},
     0,
     {20, 5, 0, 75, 0, 0, 0, 0, 10, 5},
     25},
    {"iowait went backwards",
     {100, 0, 0, 100, 50, 0, 0, 0, 0, 0},
     {150, 0, 0, 150, 40, 0, 0, 0, 0, 0},
     0,
     {50, 0, 0, 50, 0, 0, 0, 0, 0, 0},
     50},
    {"all idle",
     {0, 0, 0, 100, 0, 0, 0, 0, 0, 0},
     {0, 0, 0, 300, 0, 0, 0, 0, 0, 0},
     0,
     {0, 0, 0, 100, 0, 0, 0, 0, 0, 0},
     0},
    {"near 2^64",
     {UINT64_MAX - 100, 0, 0, UINT64_MAX - 300, 0, 0, 0, 0, 0, 0},
     {UINT64_MAX - 25, 0, 0, UINT64_MAX, 0, 0, 0, 0, 0, 0},
     0,
     {20, 0, 0, 80, 0, 0, 0, 0, 0, 0},
     20},
    {"deltas sum past 2^64",
     {0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
     {TWO63, 0, 0, TWO63, 0, 0, 0, 0, 0, 0},
     0,
     {50, 0, 0, 50, 0, 0, 0, 0, 0, 0},
     50},
    {"no tick elapsed",
     {1, 2, 3, 4, 5, 6, 7, 8, 9, 10},
     {1, 2, 3, 4, 5, 6, 7, 8, 9, 10},
     -EAGAIN,
     {0},
     0},
    {"only guest moved",
     {0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
     {0, 0, 0, 0, 0, 0, 0, 0, 7, 3},
     -EAGAIN,
     {0},
     0},
    {"everything went backwards (CPU replugged)",
     {500, 50, 500, 5000, 50, 5, 5, 5, 0, 0},
     {10, 1, 10, 100, 1, 0, 0, 0, 0, 0},
     -EAGAIN,
     {0},
     0},
};

START_TEST(test_cpu_percent) {
  const struct pct_case *c = &pct_cases[_i];
  struct hl_cpu_times prev = {.id = 0};
  struct hl_cpu_times cur = {.id = 0};
  memcpy(prev.t, c->prev, sizeof(prev.t));
  memcpy(cur.t, c->cur, sizeof(cur.t));
  struct hl_cpu_pct out;
  memset(&out, 0, sizeof(out));
  int rc = hl_cpu_percent(&prev, &cur, &out);
  ck_assert_msg(rc == c->rc, "%s: rc %d, want %d", c->name, rc, c->rc);
  if (rc != 0)
    return;
  double sum = 0;
  for (int s = 0; s < HL_CPU_STATES; s++) {
    ck_assert_msg(fabs(out.state[s] - c->want[s]) < 1e-9, "%s: %s = %g",
                  c->name, hl_cpu_state_name((enum hl_cpu_state)s),
                  out.state[s]);
    if (s <= HL_CPU_STEAL)
      sum += out.state[s];
  }
  ck_assert_msg(fabs(sum - 100.0) < 1e-9, "%s: user..steal sum %g", c->name,
                sum);
  ck_assert_msg(fabs(out.active - c->active) < 1e-9, "%s: active %g", c->name,
                out.active);
  ck_assert_msg(fabs(out.active - (100.0 - out.state[HL_CPU_IDLE] -
                                   out.state[HL_CPU_IOWAIT])) < 1e-9,
                "%s: active is not 100 - idle - wait", c->name);
}
END_TEST

/* Two real samples: the "real" fixture against a slightly older copy. */
START_TEST(test_cpu_percent_real) {
  size_t len = 0;
  char *buf = load_fixture("proc/real", "stat", &len);
  struct hl_stat st = {0};
  ck_assert_int_eq(hl_proc_parse_stat(buf, len, &st), 0);
  struct hl_cpu_times older = st.all;
  for (int s = 0; s < HL_CPU_STATES; s++)
    older.t[s] = older.t[s] > 100 ? older.t[s] - 100 : older.t[s];
  struct hl_cpu_pct out;
  ck_assert_int_eq(hl_cpu_percent(&older, &st.all, &out), 0);
  /* user, system and idle moved by 100 each, iowait by 100 too. */
  ck_assert_double_eq_tol(out.state[HL_CPU_USER], 25.0, 1e-9);
  ck_assert_double_eq_tol(out.state[HL_CPU_IDLE], 25.0, 1e-9);
  ck_assert_double_eq_tol(out.active, 50.0, 1e-9);
  hl_stat_free(&st);
  free(buf);
}
END_TEST

static const char *const state_names[HL_CPU_STATES] = {
    "user",      "nice",    "system", "idle",  "wait",
    "interrupt", "softirq", "steal",  "guest", "guest_nice",
};

START_TEST(test_cpu_state_name) {
  ck_assert_str_eq(hl_cpu_state_name((enum hl_cpu_state)_i), state_names[_i]);
}
END_TEST

/* ---- /proc/meminfo ---- */

static const struct mem_case {
  const char *dir;
  const char *text;
  int rc;
  struct hl_meminfo want;
} mem_cases[] = {
    {"proc/real",
     NULL,
     0,
     {.total = KIB(24684092),
      .free = KIB(24259096),
      .available = KIB(24353580),
      .buffers = KIB(6060),
      .cached = KIB(273860),
      .sreclaimable = KIB(60044),
      .shmem = KIB(8856),
      .used = KIB(24684092 - 24353580),
      .has_available = true}},
    /* Before 3.14: available = free + buffers + cached + sreclaimable - shmem
     */
    {"proc/meminfo_old",
     NULL,
     0,
     {.total = KIB(2048000),
      .free = KIB(512000),
      .available = KIB(512000 + 100000 + 400000 + 50000 - 12000),
      .buffers = KIB(100000),
      .cached = KIB(400000),
      .sreclaimable = KIB(50000),
      .shmem = KIB(12000),
      .used = KIB(2048000 - 1050000),
      .swap_total = KIB(1048576),
      .swap_free = KIB(524288),
      .swap_cached = KIB(1000),
      .swap_used = KIB(524288),
      .has_available = false}},
    /* Cut inside the key "Cached:": that line is ignored. */
    {"proc/meminfo_cut",
     NULL,
     0,
     {.total = KIB(2048000),
      .free = KIB(512000),
      .available = KIB(1536000),
      .buffers = KIB(100000),
      .used = KIB(512000),
      .has_available = true}},
    {"proc/meminfo_nototal", NULL, -EPROTO, {0}},
    {"proc/meminfo_garbage", NULL, -EPROTO, {0}},
    {"proc/meminfo_overflow", NULL, -EPROTO, {0}},
    {NULL, "", -EPROTO, {0}},
    {NULL, "MemTotal:  1000 kB\n", -EPROTO, {0}},
    {NULL, "MemTotal:  -5 kB\nMemFree:  1 kB\n", -EPROTO, {0}},
    {NULL, "MemTotal:  1000 kB\nMemFree:  1x kB\n", -EPROTO, {0}},
};

START_TEST(test_parse_meminfo) {
  const struct mem_case *c = &mem_cases[_i];
  size_t len = 0;
  char *buf = load_input(c->dir, "meminfo", c->text, &len);
  struct hl_meminfo m;
  memset(&m, 0xa5, sizeof(m));
  int rc = hl_proc_parse_meminfo(buf, len, &m);
  const char *what = c->dir != NULL ? c->dir : c->text;
  ck_assert_msg(rc == c->rc, "%s: rc %d, want %d", what, rc, c->rc);
  if (rc == 0) {
    const struct hl_meminfo *w = &c->want;
    ck_assert_uint_eq(m.total, w->total);
    ck_assert_uint_eq(m.free, w->free);
    ck_assert_uint_eq(m.available, w->available);
    ck_assert_uint_eq(m.buffers, w->buffers);
    ck_assert_uint_eq(m.cached, w->cached);
    ck_assert_uint_eq(m.sreclaimable, w->sreclaimable);
    ck_assert_uint_eq(m.shmem, w->shmem);
    ck_assert_uint_eq(m.used, w->used);
    ck_assert_uint_eq(m.swap_total, w->swap_total);
    ck_assert_uint_eq(m.swap_free, w->swap_free);
    ck_assert_uint_eq(m.swap_cached, w->swap_cached);
    ck_assert_uint_eq(m.swap_used, w->swap_used);
    ck_assert_int_eq(m.has_available, w->has_available);
  }
  free(buf);
}
END_TEST

static const struct hl_pct_case {
  uint64_t part;
  uint64_t whole;
  double want; /* NAN: expect NAN */
} hl_pct_cases[] = {
    {0, 0, NAN},
    {5, 0, NAN},
    {0, 10, 0},
    {1, 4, 25},
    {5, 5, 100},
    {UINT64_MAX, UINT64_MAX, 100},
    {1, 3, 100.0 / 3},
    {KIB(330512), KIB(24684092), 100.0 * 330512 / 24684092},
    /* found by fuzz_proc: 100 * part / whole rounded to 100.00000000000001 */
    {7809651250343798035ULL, 7809651250343798093ULL, 100},
    {7809651250343798093ULL, 7809651250343798093ULL, 100},
};

START_TEST(test_hl_pct) {
  const struct hl_pct_case *c = &hl_pct_cases[_i];
  double got = hl_pct(c->part, c->whole);
  if (isnan(c->want))
    ck_assert_double_nan(got);
  else
    ck_assert_double_eq_tol(got, c->want, 1e-6);
  if (c->part <= c->whole && c->whole > 0)
    ck_assert(got <= 100.0); /* never above 100, not even by one ULP */
}
END_TEST

/* ---- /proc/uptime, /proc/loadavg ---- */

static const struct uptime_case {
  const char *dir;
  const char *text;
  int rc;
  double want;
} uptime_cases[] = {
    {"proc/real", NULL, 0, 287.21},   {NULL, "123.45", 0, 123.45},
    {NULL, "5 0.5\n", 0, 5.0},        {"proc/uptime_bad", NULL, -EPROTO, 0},
    {NULL, "", -EPROTO, 0},           {NULL, "\n", -EPROTO, 0},
    {NULL, "-5.0 1.0\n", -EPROTO, 0}, {NULL, "12.5s 3.0\n", -EPROTO, 0},
};

START_TEST(test_parse_uptime) {
  const struct uptime_case *c = &uptime_cases[_i];
  size_t len = 0;
  char *buf = load_input(c->dir, "uptime", c->text, &len);
  double up = -1;
  int rc = hl_proc_parse_uptime(buf, len, &up);
  ck_assert_msg(rc == c->rc, "case %d: rc %d, want %d", _i, rc, c->rc);
  if (rc == 0)
    ck_assert_double_eq_tol(up, c->want, 1e-9);
  free(buf);
}
END_TEST

static const struct loadavg_case {
  const char *dir;
  const char *text;
  int rc;
  struct hl_loadavg want;
} loadavg_cases[] = {
    {"proc/real", NULL, 0, {{0.01, 0.04, 0.01}, 1, 83, 3735}},
    {NULL,
     "12.50 8.25 4.00 17/1024 99999",
     0,
     {{12.5, 8.25, 4.0}, 17, 1024, 99999}},
    {"proc/loadavg_bad", NULL, -EPROTO, {{0}, 0, 0, 0}},
    {NULL, "", -EPROTO, {{0}, 0, 0, 0}},
    {NULL, "0.00 0.01 0.05 1-123 4567\n", -EPROTO, {{0}, 0, 0, 0}},
    {NULL, "a b c 1/2 3\n", -EPROTO, {{0}, 0, 0, 0}},
    {NULL, "0.00 0.01 0.05 /123 4567\n", -EPROTO, {{0}, 0, 0, 0}},
    {NULL, "0.00 0.01 0.05 1/ 4567\n", -EPROTO, {{0}, 0, 0, 0}},
    {NULL, "0.00 0.01 0.05\n1/123 4567\n", -EPROTO, {{0}, 0, 0, 0}},
};

START_TEST(test_parse_loadavg) {
  const struct loadavg_case *c = &loadavg_cases[_i];
  size_t len = 0;
  char *buf = load_input(c->dir, "loadavg", c->text, &len);
  struct hl_loadavg la = {{0}, 0, 0, 0};
  int rc = hl_proc_parse_loadavg(buf, len, &la);
  ck_assert_msg(rc == c->rc, "case %d: rc %d, want %d", _i, rc, c->rc);
  if (rc == 0) {
    for (int k = 0; k < 3; k++)
      ck_assert_double_eq_tol(la.load[k], c->want.load[k], 1e-9);
    ck_assert_uint_eq(la.running, c->want.running);
    ck_assert_uint_eq(la.tasks, c->want.tasks);
    ck_assert_uint_eq(la.last_pid, c->want.last_pid);
  }
  free(buf);
}
END_TEST

/* ---- pids ---- */

/* proc/pids has 1, 42 and 31337 next to self, sys, net and 1a. */
static const struct pids_case {
  const char *dir;
  int rc;
  uint64_t want;
} pids_cases[] = {
    {"proc/pids", 0, 3},
    {"proc/real", 0, 0},
    {"proc/no-such-root", -ENOENT, 0},
};

START_TEST(test_count_pids) {
  const struct pids_case *c = &pids_cases[_i];
  char root[4096];
  hl_test_fixture_path(root, sizeof(root), c->dir);
  uint64_t n = 12345;
  int rc = hl_proc_count_pids(root, &n);
  ck_assert_msg(rc == c->rc, "%s: rc %d, want %d", c->dir, rc, c->rc);
  if (rc == 0)
    ck_assert_uint_eq(n, c->want);
}
END_TEST

START_TEST(test_count_pids_live) {
  uint64_t n = 0;
  ck_assert_int_eq(hl_proc_count_pids("/proc", &n), 0);
  ck_assert_uint_ge(n, 1); /* at least this test */
}
END_TEST

/* ---- mounts ---- */

#define MAX_FINDS 4

static const struct mounts_case {
  const char *dir;
  size_t n;
  struct {
    const char *dir;
    long index; /* -1: not found */
    const char *device;
    const char *fstype;
  } find[MAX_FINDS];
} mounts_cases[] = {
    {"proc/real",
     19,
     {{"/", 5, "/dev/vda", "ext4"},
      {"/dev/shm", 7, "tmpfs", "tmpfs"}, /* mounted twice: the later one */
      {"/sys/fs/cgroup/unified", 18, "cgroup2", "cgroup2"},
      {"/nonexistent", -1, NULL, NULL}}},
    {"proc/mounts_escape",
     7,
     {{"/mnt/my disk", 0, "/dev/sda1", "ext4"},
      {"/mnt/tab\tdir", 1, "/dev/sdb1", "xfs"},
      {"/mnt/back\\slash", 2, "/dev/sdc1", "btrfs"},
      {"/run", 5, "/dev/sde1", "ext4"}}},
    {"proc/mounts_escape",
     7,
     {{"/mnt/nas box", 4, "//nas/share", "cifs"},
      {"/three", 6, "none", "fields"},
      {"/mnt/my\\040disk", -1, NULL, NULL},
      {"short", -1, NULL, NULL}}},
};

START_TEST(test_parse_mounts) {
  const struct mounts_case *c = &mounts_cases[_i];
  size_t len = 0;
  char *buf = load_fixture(c->dir, "self/mounts", &len);
  struct hl_mounts ms = {0};
  ck_assert_int_eq(hl_proc_parse_mounts(buf, len, &ms), 0);
  free(buf); /* entries must not point into the input */
  ck_assert_uint_eq(ms.n, c->n);
  for (int k = 0; k < MAX_FINDS; k++) {
    const char *dir = c->find[k].dir;
    const struct hl_mount *m = hl_mounts_find(&ms, dir);
    if (c->find[k].index < 0) {
      ck_assert_msg(m == NULL, "%s: \"%s\" found", c->dir, dir);
      continue;
    }
    ck_assert_msg(m == &ms.m[c->find[k].index], "%s: \"%s\" -> entry %td",
                  c->dir, dir, m ? m - ms.m : -1);
    ck_assert_str_eq(m->dir, dir);
    ck_assert_str_eq(m->device, c->find[k].device);
    ck_assert_str_eq(m->fstype, c->find[k].fstype);
  }
  hl_mounts_free(&ms);
  ck_assert_ptr_null(ms.m);
  ck_assert_uint_eq(ms.n, 0);
  hl_mounts_free(&ms);
}
END_TEST

/* Odd input must neither crash nor read past the length (ASan checks). */
static const struct mounts_odd_case {
  const char *text;
  size_t n;
} mounts_odd_cases[] = {
    {"", 0},          {"\n\n\n", 0},   {"a b", 0},        {"a /b\\ c", 1},
    {"a /b\\0 c", 1}, {"a /b c\\", 1}, {"a /b c\\04", 1},
};

/* hl_mounts_select: which entries "MountPoint all" reports. */
static const struct mounts_select_case {
  const char *table;
  const char *want; /* one '1'/'0' per line */
} mounts_select_cases[] = {
    /* overlay root kept; proc and tmpfs skipped; real disk kept */
    {"overlay / overlay rw 0 0\nproc /proc proc rw 0 0\n"
     "tmpfs /run tmpfs rw 0 0\n/dev/sda1 /srv ext4 rw 0 0\n",
     "1001"},
    /* bind mount of the same device skipped, first one kept */
    {"/dev/sda1 / ext4 rw 0 0\n/dev/sda1 /var/lib/docker ext4 rw 0 0\n"
     "/dev/sdb1 /data xfs rw 0 0\n",
     "101"},
    /* a later mount on the same directory shadows the earlier one */
    {"/dev/sdb1 /mnt ext4 rw 0 0\n/dev/sdc1 /mnt vfat rw 0 0\n", "01"},
    /* shadowed entry does not block its device from another directory */
    {"/dev/sdb1 /mnt ext4 rw 0 0\n/dev/sdc1 /mnt vfat rw 0 0\n"
     "/dev/sdb1 /backup ext4 rw 0 0\n",
     "011"},
    /* network filesystems count (their "device" is not a path) */
    {"srv:/export /nfs nfs4 rw 0 0\nsrv:/export /nfs2 nfs4 rw 0 0\n", "11"},
    {"", ""},
};

START_TEST(test_mounts_select) {
  const struct mounts_select_case *c = &mounts_select_cases[_i];
  struct hl_mounts ms = {0};
  size_t len = strlen(c->table);
  char *buf = hl_test_dup_exact(c->table, len);
  ck_assert_int_eq(hl_proc_parse_mounts(buf, len, &ms), 0);
  ck_assert_uint_eq(ms.n, strlen(c->want));
  bool want[8] = {false};
  size_t expect = 0;
  for (size_t i = 0; c->want[i]; i++)
    expect += c->want[i] == '1';
  ck_assert_uint_eq(hl_mounts_select(&ms, want), expect);
  for (size_t i = 0; i < ms.n; i++)
    ck_assert_msg(want[i] == (c->want[i] == '1'), "entry %zu (%s)", i,
                  ms.m[i].dir);
  hl_mounts_free(&ms);
  free(buf);
}
END_TEST

START_TEST(test_parse_mounts_odd) {
  const struct mounts_odd_case *c = &mounts_odd_cases[_i];
  size_t len = strlen(c->text);
  char *buf = hl_test_dup_exact(c->text, len);
  struct hl_mounts ms = {0};
  ck_assert_int_eq(hl_proc_parse_mounts(buf, len, &ms), 0);
  ck_assert_uint_eq(ms.n, c->n);
  if (ms.n == 1) {
    ck_assert_str_eq(ms.m[0].device, "a");
    ck_assert_int_eq(ms.m[0].dir[0], '/');
    ck_assert_ptr_nonnull(hl_mounts_find(&ms, ms.m[0].dir));
  }
  /* Parsing again replaces the table. */
  ck_assert_int_eq(hl_proc_parse_mounts("x /y z\n", 7, &ms), 0);
  ck_assert_uint_eq(ms.n, 1);
  ck_assert_str_eq(ms.m[0].dir, "/y");
  hl_mounts_free(&ms);
  free(buf);
}
END_TEST

static const struct pseudo_case {
  const char *fstype;
  bool pseudo;
} pseudo_cases[] = {
    {"proc", true},     {"sysfs", true},    {"tmpfs", true},
    {"cgroup", true},   {"cgroup2", true},  {"overlay", true},
    {"squashfs", true}, {"devtmpfs", true}, {"devpts", true},
    {"ext4", false},    {"xfs", false},     {"btrfs", false},
    {"vfat", false},    {"nfs4", false},    {"zfs", false},
    {"", false},        {"ext", false},     {"procfs", false},
};

START_TEST(test_fs_is_pseudo) {
  const struct pseudo_case *c = &pseudo_cases[_i];
  ck_assert_msg(hl_fs_is_pseudo(c->fstype) == c->pseudo, "\"%s\"", c->fstype);
}
END_TEST

static const struct name_case {
  const char *dir;
  size_t size;
  int rc;
  const char *want;
} name_cases[] = {
    {"/", 64, 0, "root"},
    {"/var/lib", 64, 0, "var-lib"},
    {"/boot/efi", 64, 0, "boot-efi"},
    {"/home", 64, 0, "home"},
    {"/srv/data/pool-1", 64, 0, "srv-data-pool-1"},
    {"/var/lib", 8, 0, "var-lib"},
    {"/var/lib", 7, -ENAMETOOLONG, NULL},
    {"/", 5, 0, "root"},
    {"/", 4, -ENAMETOOLONG, NULL},
    {"/home", 1, -ENAMETOOLONG, NULL},
};

START_TEST(test_mount_name) {
  const struct name_case *c = &name_cases[_i];
  char *out = malloc(c->size); /* exact size: ASan catches overflows */
  ck_assert_ptr_nonnull(out);
  int rc = hl_mount_name(c->dir, out, c->size);
  ck_assert_msg(rc == c->rc, "\"%s\" size %zu: rc %d, want %d", c->dir, c->size,
                rc, c->rc);
  if (rc == 0)
    ck_assert_str_eq(out, c->want);
  free(out);
}
END_TEST

START_TEST(test_mount_name_size0) {
  char out = 'X';
  ck_assert_int_eq(hl_mount_name("/", &out, 0), -ENAMETOOLONG);
  ck_assert_int_eq(out, 'X');
}
END_TEST

/* ---- statvfs ---- */

static const struct fs_case {
  const char *name;
  struct statvfs sv;
  int rc;
  struct hl_fsstat want;
} fs_cases[] = {
    {"typical ext4",
     {.f_bsize = 4096,
      .f_frsize = 4096,
      .f_blocks = 1000,
      .f_bfree = 300,
      .f_bavail = 250,
      .f_files = 100,
      .f_ffree = 40,
      .f_favail = 40},
     0,
     {.total = 1000 * 4096,
      .used = 700 * 4096,
      .free = 250 * 4096,
      .reserved = 50 * 4096,
      .used_pct = 700.0 / 950.0 * 100.0,
      .inodes_total = 100,
      .inodes_used = 60,
      .inodes_free = 40,
      .inodes_pct = 60.0}},
    {"fragment size, not block size, scales",
     {.f_bsize = 65536,
      .f_frsize = 1024,
      .f_blocks = 2000,
      .f_bfree = 2000,
      .f_bavail = 2000,
      .f_files = 0,
      .f_ffree = 0,
      .f_favail = 0},
     0,
     {.total = 2000 * 1024,
      .used = 0,
      .free = 2000 * 1024,
      .reserved = 0,
      .used_pct = 0.0,
      .inodes_pct = NAN}},
    {"full for users, root reserve left",
     {.f_bsize = 4096,
      .f_frsize = 4096,
      .f_blocks = 100,
      .f_bfree = 5,
      .f_bavail = 0,
      .f_files = 10,
      .f_ffree = 10,
      .f_favail = 10},
     0,
     {.total = 100 * 4096,
      .used = 95 * 4096,
      .free = 0,
      .reserved = 5 * 4096,
      .used_pct = 100.0,
      .inodes_total = 10,
      .inodes_used = 0,
      .inodes_free = 10,
      .inodes_pct = 0.0}},
    {"bfree above blocks",
     {.f_bsize = 4096,
      .f_frsize = 4096,
      .f_blocks = 100,
      .f_bfree = 101,
      .f_bavail = 50,
      .f_files = 10,
      .f_ffree = 5},
     -ERANGE,
     {0}},
    {"overflows when scaled",
     {.f_bsize = 4096,
      .f_frsize = 4096,
      .f_blocks = UINT64_MAX / 1024,
      .f_bfree = 10,
      .f_bavail = 10,
      .f_files = 10,
      .f_ffree = 5},
     -ERANGE,
     {0}},
};

START_TEST(test_fs_from_statvfs) {
  const struct fs_case *c = &fs_cases[_i];
  struct hl_fsstat fs;
  memset(&fs, 0, sizeof(fs));
  int rc = hl_fs_from_statvfs(&c->sv, &fs);
  ck_assert_msg(rc == c->rc, "%s: rc %d, want %d", c->name, rc, c->rc);
  if (rc != 0)
    return;
  const struct hl_fsstat *w = &c->want;
  ck_assert_uint_eq(fs.total, w->total);
  ck_assert_uint_eq(fs.used, w->used);
  ck_assert_uint_eq(fs.free, w->free);
  ck_assert_uint_eq(fs.reserved, w->reserved);
  ck_assert_double_eq_tol(fs.used_pct, w->used_pct, 1e-9);
  ck_assert_uint_eq(fs.inodes_total, w->inodes_total);
  ck_assert_uint_eq(fs.inodes_used, w->inodes_used);
  ck_assert_uint_eq(fs.inodes_free, w->inodes_free);
  if (isnan(w->inodes_pct))
    ck_assert_double_nan(fs.inodes_pct);
  else
    ck_assert_double_eq_tol(fs.inodes_pct, w->inodes_pct, 1e-9);
}
END_TEST

START_TEST(test_fs_stat) {
  struct hl_fsstat fs;
  ck_assert_int_eq(hl_fs_stat("/", &fs), 0);
  ck_assert_uint_gt(fs.total, 0);
  ck_assert_uint_le(fs.used, fs.total);
  ck_assert_uint_le(fs.used + fs.free + fs.reserved, fs.total);
  ck_assert(fs.used_pct >= 0.0 && fs.used_pct <= 100.0);

  char missing[4096];
  hl_test_fixture_path(missing, sizeof(missing), "proc/no-such-dir");
  ck_assert_int_eq(hl_fs_stat(missing, &fs), -ENOENT);
}
END_TEST

Suite *hl_proc_suite(void) {
  Suite *s = suite_create("hl_proc");

  TCase *tc = tcase_create("read");
  tcase_add_loop_test(tc, test_proc_read, 0, ARRAY_SIZE(read_cases));
  tcase_add_test(tc, test_proc_read_name_too_long);
  suite_add_tcase(s, tc);

  tc = tcase_create("stat");
  tcase_add_loop_test(tc, test_parse_stat, 0, ARRAY_SIZE(stat_cases));
  tcase_add_loop_test(tc, test_parse_stat_bad, 0, ARRAY_SIZE(stat_bad_cases));
  tcase_add_test(tc, test_parse_stat_reuse_and_grow);
  tcase_add_loop_test(tc, test_cpu_percent, 0, ARRAY_SIZE(pct_cases));
  tcase_add_test(tc, test_cpu_percent_real);
  tcase_add_loop_test(tc, test_cpu_state_name, 0, HL_CPU_STATES);
  suite_add_tcase(s, tc);

  tc = tcase_create("meminfo");
  tcase_add_loop_test(tc, test_parse_meminfo, 0, ARRAY_SIZE(mem_cases));
  tcase_add_loop_test(tc, test_hl_pct, 0, ARRAY_SIZE(hl_pct_cases));
  suite_add_tcase(s, tc);

  tc = tcase_create("uptime_loadavg_pids");
  tcase_add_loop_test(tc, test_parse_uptime, 0, ARRAY_SIZE(uptime_cases));
  tcase_add_loop_test(tc, test_parse_loadavg, 0, ARRAY_SIZE(loadavg_cases));
  tcase_add_loop_test(tc, test_count_pids, 0, ARRAY_SIZE(pids_cases));
  tcase_add_test(tc, test_count_pids_live);
  suite_add_tcase(s, tc);

  tc = tcase_create("mounts_select");
  tcase_add_loop_test(tc, test_mounts_select, 0,
                      ARRAY_SIZE(mounts_select_cases));
  suite_add_tcase(s, tc);

  tc = tcase_create("mounts");
  tcase_add_loop_test(tc, test_parse_mounts, 0, ARRAY_SIZE(mounts_cases));
  tcase_add_loop_test(tc, test_parse_mounts_odd, 0,
                      ARRAY_SIZE(mounts_odd_cases));
  tcase_add_loop_test(tc, test_fs_is_pseudo, 0, ARRAY_SIZE(pseudo_cases));
  tcase_add_loop_test(tc, test_mount_name, 0, ARRAY_SIZE(name_cases));
  tcase_add_test(tc, test_mount_name_size0);
  suite_add_tcase(s, tc);

  tc = tcase_create("statvfs");
  tcase_add_loop_test(tc, test_fs_from_statvfs, 0, ARRAY_SIZE(fs_cases));
  tcase_add_test(tc, test_fs_stat);
  suite_add_tcase(s, tc);
  return s;
}
