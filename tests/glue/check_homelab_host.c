// SPDX-License-Identifier: MIT
/*
 * Glue tests for the homelab_host plugin: the plugin source is included so
 * its statics are reachable, linked against mock_collectd instead of the
 * daemon, and driven like the daemon would: module_register() -> config ->
 * init -> read... -> free_func (in teardown, via mock_reset()).
 *
 * The plugin reads <ProcRoot>/{stat,meminfo,uptime,loadavg,self/mounts} and
 * counts the numeric entries of ProcRoot; ProcRoot points at fixture trees
 * under $HL_FIXTURES/glue (see tests/fixtures/glue/README for the numbers the
 * expectations below are derived from). Tests that change files between
 * reads work on a mkdtemp() copy and drop in files from glue/samples.
 * Mount points are statvfs'd for real, so df values are only checked for
 * presence and consistency.
 *
 * Runs forked (CK_FORK default) or, for valgrind, with CK_FORK=no: the setup
 * fixture then resets the plugin's config statics between tests.
 */
#include "../../plugins/homelab_host.c"

#include "glue_util.h"

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define TOL 1e-9

static char
    tmp_root[PATH_MAX]; /* current copy inside glue_run_root, "" if none */

/* ---- files --------------------------------------------------------------- */

/* Copies glue/@fixture to a fresh dir under glue_run_root and returns it. */
static const char *tmp_copy(const char *fixture) {
  glue_mk_tmpdir(tmp_root, sizeof(tmp_root));
  char src[PATH_MAX];
  glue_copy_tree(glue_fx_path(src, sizeof(src), fixture), tmp_root);
  return tmp_root;
}

/* Replaces <tmp>/@name with glue/samples/@sample. */
static void tmp_put(const char *name, const char *sample) {
  char src[PATH_MAX], dst[PATH_MAX], rel[PATH_MAX];
  glue_path_join(rel, sizeof(rel), "samples", sample);
  glue_path_join(dst, sizeof(dst), tmp_root, name);
  glue_copy_file(glue_fx_path(src, sizeof(src), rel), dst);
}

static void tmp_rm(const char *name) {
  char p[PATH_MAX];
  ck_assert_msg(unlink(glue_path_join(p, sizeof(p), tmp_root, name)) == 0,
                "cannot remove %s", p);
}

/* ---- plugin driving ------------------------------------------------------ */

static void setup(void) {
  host_cfg = (struct hl_single){0}; /* statics persist with CK_FORK=no */
  tmp_root[0] = '\0';
  mock_reset();
  /* Check identifiers and value counts like the daemon would. */
  glue_types_load(false);
  module_register();
}

static void teardown(void) {
  mock_reset(); /* runs the free_func of registered reads */
  glue_remove_tree(tmp_root);
}

/* A <Plugin homelab_host> block with ProcRoot @root (NULL = none). */
static oconfig_item_t *block(const char *root) {
  oconfig_item_t *ci = ci_new("Plugin");
  if (root != NULL)
    ci_add_string(ci, "ProcRoot", root);
  return ci;
}

static oconfig_item_t *block_fx(const char *fixture) {
  char p[PATH_MAX];
  return block(glue_fx_path(p, sizeof(p), fixture));
}

/* Passes @ci to the config callback (which defers errors to init), frees it
 * as the daemon does after the config phase, and runs init. */
static int configure(oconfig_item_t *ci) {
  ck_assert_int_eq(mock_config(HL_PLUGIN, ci), 0);
  ci_free(ci);
  return mock_init_all();
}

static void configure_ok(oconfig_item_t *ci) {
  ck_assert_int_eq(configure(ci), 0);
  ck_assert_uint_eq(mock_read_count(), 1);
}

static const notification_t *last_notification_for(const char *pi) {
  const notification_t *last = NULL;
  for (size_t i = 0; i < mock_count_notifications(); i++)
    if (strcmp(mock_notification(i)->plugin_instance, pi) == 0)
      last = mock_notification(i);
  return last;
}

/* ---- expected numbers (tests/fixtures/glue/README) ----------------------- */

static const char *const cpu_names[] = {
    "user",      "nice",    "system", "idle",   "wait",
    "interrupt", "softirq", "steal",  "active",
};
#define CPU_ROWS (sizeof(cpu_names) / sizeof(cpu_names[0]))

/* host/stat -> samples/stat.next, aggregate and per CPU. */
static const double cpu_all_next[CPU_ROWS] = {30, 2, 10, 50, 4, 1, 2, 1, 46};
static const double cpu_each_next[4][CPU_ROWS] = {
    {40, 0, 10, 40, 4, 2, 2, 2, 56},
    {20, 8, 10, 60, 0, 0, 2, 0, 40},
    {30, 0, 10, 50, 6, 2, 2, 0, 44},
    {30, 0, 10, 50, 6, 0, 2, 2, 44},
};
/* host_old/stat -> samples/stat.old.next (7 columns, no steal). */
static const double cpu_all_old[CPU_ROWS] = {20, 0, 10, 60, 5, 2.5, 2.5, 0, 35};

static void assert_cpu(const char *instance, const double *want) {
  double sum = 0;
  for (size_t i = 0; i < CPU_ROWS; i++) {
    double v = glue_gauge(instance, "percent", cpu_names[i]);
    ck_assert_msg(fabs(v - want[i]) < TOL, "%s %s: %.12g, want %g", instance,
                  cpu_names[i], v, want[i]);
    if (i < CPU_ROWS - 1)
      sum += v;
  }
  ck_assert_double_eq_tol(sum, 100, TOL);
  ck_assert_uint_eq(mock_count_matching(instance, "percent", NULL), CPU_ROWS);
  ck_assert(!glue_has(instance, "percent", "guest"));
}

struct want {
  const char *pi, *type, *ti;
  double v;
};

#define KIB 1024.0
static const struct want host_first_read[] = {
    {"", "uptime", "", 350735.47},
    {"memory", "memory", "used", 2000000 * KIB},
    {"memory", "memory", "available", 6000000 * KIB},
    {"memory", "memory", "total", 8000000 * KIB},
    {"memory", "percent", "used", 25},
    {"swap", "swap", "used", 500000 * KIB},
    {"swap", "swap", "free", 1500000 * KIB},
    {"swap", "percent", "used", 25},
    {"", "count", "processes", 3},
    {"", "count", "threads", 412},
};

static const struct want old_first_read[] = {
    {"", "uptime", "", 1234.56},
    {"memory", "memory", "used", 1000000 * KIB},
    {"memory", "memory", "available", 1000000 * KIB}, /* estimated */
    {"memory", "memory", "total", 2000000 * KIB},
    {"memory", "percent", "used", 50},
    {"swap", "swap", "used", 0},
    {"swap", "swap", "free", 0},
    {"swap", "percent", "used", 0}, /* no swap: 0, not NAN */
    {"", "count", "processes", 1},
    {"", "count", "threads", 87},
};

static void assert_wants(const struct want *w, size_t n) {
  for (size_t i = 0; i < n; i++) {
    double v = glue_gauge(w[i].pi, w[i].type, w[i].ti);
    ck_assert_msg(fabs(v - w[i].v) < 1e-6, "%s/%s-%s: %.17g, want %.17g",
                  w[i].pi, w[i].type, w[i].ti, v, w[i].v);
  }
}

static void assert_load(double a, double b, double c) {
  const value_list_t *vl = mock_find("", "load", "");
  ck_assert_ptr_nonnull(vl);
  ck_assert_uint_eq(vl->values_len, 3);
  ck_assert_double_eq_tol(vl->values[0].gauge, a, TOL);
  ck_assert_double_eq_tol(vl->values[1].gauge, b, TOL);
  ck_assert_double_eq_tol(vl->values[2].gauge, c, TOL);
}

/* df rows of the real "/" : present, consistent, percentages in range. */
static void assert_df_root(void) {
  double used = glue_gauge("df-root", "df_complex", "used");
  double fr = glue_gauge("df-root", "df_complex", "free");
  double res = glue_gauge("df-root", "df_complex", "reserved");
  ck_assert_double_eq_tol(used + fr + res,
                          glue_gauge("df-root", "bytes", "total"), 0.5);
  double pct = glue_gauge("df-root", "percent_bytes", "used");
  ck_assert(pct >= 0 && pct <= 100);
  ck_assert(glue_has("df-root", "df_inodes", "used"));
  ck_assert(glue_has("df-root", "df_inodes", "free"));
}

/* ---- config -------------------------------------------------------------- */

START_TEST(test_no_block_uses_defaults) {
  /* No <Plugin homelab_host> block: init configures the defaults, which
   * means the real /proc and "/". */
  ck_assert_int_eq(mock_init_all(), 0);
  ck_assert_uint_eq(mock_read_count(), 1);
  ck_assert_str_eq(mock_read_name(0), "homelab_host");
  ck_assert_uint_eq(mock_read_interval(0), 0); /* daemon's interval */
  const struct host_target *t = mock_read_data(0);
  ck_assert_ptr_nonnull(t);
  ck_assert_str_eq(t->proc_root, "/proc");
  ck_assert(t->pct && t->abs && t->processes && !t->per_cpu);
  ck_assert_uint_eq(t->nmounts, 1);
  ck_assert_str_eq(t->mounts[0].dir, "/");
  ck_assert_str_eq(t->mounts[0].instance, "df-root");
  ck_assert_double_eq(t->mounts[0].disk.limits.warning, 85);
  ck_assert_double_eq(t->mounts[0].disk.limits.failure, 95);
  ck_assert_double_eq(t->mounts[0].disk.limits.hysteresis, 2);
  ck_assert(!hl_thresh_enabled(&t->memory.limits));
  ck_assert_int_eq(glue_read_once(), 0);
  ck_assert(glue_has("", "uptime", ""));
  ck_assert(glue_has("memory", "percent", "used"));
  ck_assert_uint_eq(mock_log_count(LOG_ERR, NULL), 0);
}
END_TEST

START_TEST(test_options_are_applied) {
  oconfig_item_t *ci = block_fx("host");
  ci_add_number(ci, "Interval", 2.5);
  ci_add_bool(ci, "ReportPerCPU", true);
  ci_add_bool(ci, "ReportProcesses", false);
  ci_add_number(ci, "Hysteresis", 5);
  ci_add_number(ci, "WarningDiskPercent", 70);
  ci_add_number(ci, "FailureDiskPercent", 0); /* 0 = off */
  ci_add_number(ci, "WarningSwapPercent", 50);
  ci_add_string(ci, "MountPoint", "/");
  configure_ok(ci);
  ck_assert_uint_eq(mock_read_interval(0), DOUBLE_TO_CDTIME_T(2.5));
  const struct host_target *t = mock_read_data(0);
  ck_assert(t->per_cpu && !t->processes);
  ck_assert_uint_eq(t->nmounts, 1);
  ck_assert_double_eq(t->mounts[0].disk.limits.warning, 70);
  ck_assert(isnan(t->mounts[0].disk.limits.failure));
  ck_assert_double_eq(t->mounts[0].disk.limits.hysteresis, 5);
  ck_assert_double_eq(t->swap.limits.warning, 50);
  ck_assert_double_eq(t->swap.limits.hysteresis, 5);
  glue_assert_clean_log();
}
END_TEST

enum opt_kind { O_END, O_STR, O_NUM, O_BOOL };

struct opt {
  enum opt_kind kind;
  const char *key;
  const char *s; /* "@name..." = path under the glue fixtures */
  double n;
};

struct bad_case {
  struct opt opts[3];
  const char *expect; /* in an ERROR message */
};

#define S(k, v)                                                                \
  { O_STR, (k), (v), 0 }
#define N(k, v)                                                                \
  { O_NUM, (k), NULL, (v) }
#define B(k, v)                                                                \
  { O_BOOL, (k), NULL, (v) }
#define ROOT S("ProcRoot", "@host")
#define A10 "aaaaaaaaaa"

static const struct bad_case bad_cases[] = {
    {{ROOT, B("Bogus", true)}, "unknown option \"Bogus\""},
    {{ROOT, N("WarningDiskPercent", 150)},
     "WarningDiskPercent: 150 is out of range"},
    {{ROOT, S("WarningDiskPercent", "high")},
     "WarningDiskPercent: expects exactly one number"},
    {{ROOT, N("WarningDiskPercent", 90), N("FailureDiskPercent", 80)},
     "WarningDiskPercent (90) must be below FailureDiskPercent (80)"},
    {{ROOT, N("WarningMemoryPercent", 90), N("FailureMemoryPercent", 90)},
     "WarningMemoryPercent (90) must be below FailureMemoryPercent (90)"},
    {{ROOT, N("FailureSwapPercent", -1)},
     "FailureSwapPercent: -1 is out of range"},
    {{ROOT, S("MountPoint", "/does/not/exist")},
     "MountPoint \"/does/not/exist\": No such file or directory"},
    {{ROOT, S("MountPoint", "relative")},
     "MountPoint \"relative\": must be an absolute path"},
    {{ROOT, S("MountPoint", "/tmp")}, "MountPoint \"/tmp\": not a mount point"},
    {{ROOT,
      S("MountPoint", "/" A10 A10 A10 A10 A10 A10 A10 A10 A10 A10 A10 A10 A10)},
     "No such file or directory"},
    {{ROOT, S("MountPoint", "/"), S("MountPoint", "//")},
     "MountPoint \"/\": listed twice"},
    {{S("ProcRoot", "/nonexistent")}, "ProcRoot \"/nonexistent\": not a dir"},
    {{S("ProcRoot", "@host/stat")}, "/host/stat\": not a directory"},
    {{S("ProcRoot", "proc")}, "ProcRoot \"proc\": must be an absolute path"},
    {{S("ProcRoot", "@samples")}, "cannot read self/mounts"},
    {{ROOT, N("Interval", 0)}, "Interval: 0 is out of range"},
    {{ROOT, N("Interval", -5)}, "Interval: -5 is out of range"},
    {{ROOT, N("Interval", 1e30)}, "Interval: 1e+30 is out of range"},
    {{ROOT, S("Interval", "10")}, "Interval: expects exactly one number"},
    {{ROOT, N("Hysteresis", 75)}, "Hysteresis: 75 is out of range"},
    {{ROOT, S("ReportPerCPU", "maybe")}, "ReportPerCPU: expects true or false"},
    {{ROOT, N("ValuesAbsolute", 1)}, "ValuesAbsolute: expects true or false"},
    {{ROOT, N("MountPoint", 1)}, "MountPoint: expects exactly one string"},
};

START_TEST(test_bad_config) {
  const struct bad_case *bc = &bad_cases[_i];
  oconfig_item_t *ci = block(NULL);
  for (size_t k = 0; k < 3 && bc->opts[k].kind != O_END; k++) {
    const struct opt *o = &bc->opts[k];
    char p[PATH_MAX];
    switch (o->kind) {
    case O_STR:
      ci_add_string(ci, o->key,
                    o->s[0] == '@' ? glue_fx_path(p, sizeof(p), o->s + 1)
                                   : o->s);
      break;
    case O_NUM:
      ci_add_number(ci, o->key, o->n);
      break;
    default:
      ci_add_bool(ci, o->key, o->n != 0);
      break;
    }
  }
  ck_assert_int_eq(mock_config(HL_PLUGIN, ci), 0);
  ci_free(ci);
  ck_assert_uint_eq(mock_read_count(), 0);
  ck_assert_int_ne(mock_init_all(), 0);
  ck_assert_uint_eq(mock_read_count(), 0);
  ck_assert_msg(mock_log_contains(LOG_ERR, bc->expect),
                "no ERROR containing '%s'", bc->expect);
  ck_assert(mock_log_contains(LOG_ERR, "homelab_host: configuration rejected"));
}
END_TEST

START_TEST(test_two_blocks_rejected) {
  oconfig_item_t *first = block_fx("host");
  oconfig_item_t *second = block_fx("host");
  ck_assert_int_eq(mock_config(HL_PLUGIN, first), 0);
  ck_assert_uint_eq(mock_read_count(), 1);
  ck_assert_int_eq(mock_config(HL_PLUGIN, second), 0);
  ci_free(first);
  ci_free(second);
  /* The first block's read is unregistered by the daemon when init fails
   * (plugin_init_all unregisters the read named like the plugin). */
  ck_assert_int_ne(mock_init_all(), 0);
  ck_assert_uint_eq(mock_read_count(), 0);
  ck_assert(mock_log_contains(LOG_ERR, "only one <Plugin homelab_host> block"));
}
END_TEST

START_TEST(test_mountpoint_all) {
  tmp_copy("host");
  tmp_put("self/mounts", "mounts.all");
  oconfig_item_t *ci = block(tmp_root);
  ci_add_string(ci, "MountPoint", "all");
  configure_ok(ci);
  ck_assert_int_eq(glue_read_once(), 0);
  assert_df_root();                                    /* overlay root */
  ck_assert(glue_has("df-tmp", "df_complex", "used")); /* ext4 */
  ck_assert(glue_has("df-usr", "df_complex", "used")); /* ext4 */
  ck_assert(!glue_has("df-var-tmp", NULL, NULL));      /* bind mount */
  ck_assert(!glue_has("df-srv", NULL, NULL));          /* shadowed by tmpfs */
  ck_assert(!glue_has("df-run", NULL, NULL));          /* tmpfs */
  ck_assert(!glue_has("df-proc", NULL, NULL));         /* proc */
  glue_assert_clean_log();
}
END_TEST

START_TEST(test_mountpoint_all_follows_table) {
  /* "all" plus a MountPoint (with a trailing slash): the named one is kept
   * and complained about while unmounted, the others come and go. */
  tmp_copy("host");
  tmp_put("self/mounts", "mounts.all");
  oconfig_item_t *ci = block(tmp_root);
  ci_add_string(ci, "MountPoint", "all");
  ci_add_string(ci, "MountPoint", "/tmp/");
  configure_ok(ci);
  ck_assert_int_eq(glue_read_once(), 0);
  ck_assert_uint_eq(mock_count_matching("df-tmp", "df_complex", "used"), 1);
  ck_assert(glue_has("df-usr", "df_complex", "used"));
  tmp_put("self/mounts", "mounts.root");
  ck_assert_int_eq(glue_read_once(), 0);
  assert_df_root();
  ck_assert(!glue_has("df-tmp", NULL, NULL));
  ck_assert(!glue_has("df-usr", NULL, NULL));
  ck_assert_uint_eq(mock_log_count(LOG_ERR, "/tmp is not mounted"), 1);
  const struct host_target *t = mock_read_data(0);
  ck_assert_uint_eq(t->nmounts, 2); /* "/" and the pinned /tmp */
  ck_assert_int_eq(glue_read_once(), 0);
  ck_assert_uint_eq(mock_log_count(LOG_ERR, NULL), 0); /* said once */
  tmp_put("self/mounts", "mounts.all");
  ck_assert_int_eq(glue_read_once(), 0);
  ck_assert_uint_eq(mock_count_matching("df-tmp", "df_complex", "used"), 1);
  ck_assert(glue_has("df-usr", "df_complex", "used"));
  ck_assert_uint_eq(mock_log_count(LOG_INFO, "/tmp can be read again"), 1);
}
END_TEST

/* ---- reads --------------------------------------------------------------- */

START_TEST(test_first_read_defaults) {
  configure_ok(block_fx("host"));
  ck_assert_int_eq(glue_read_once(), 0);
  assert_wants(host_first_read,
               sizeof(host_first_read) / sizeof(host_first_read[0]));
  assert_load(0.52, 0.58, 0.59);
  assert_df_root();
  ck_assert_uint_eq(mock_count_matching("cpu", NULL, NULL), 0);
  ck_assert_uint_eq(mock_count_matching("cpu0", NULL, NULL), 0);
  for (size_t i = 0; i < mock_count_values(); i++) {
    const value_list_t *vl = mock_value(i);
    ck_assert_str_eq(vl->plugin, "homelab_host");
    ck_assert_str_eq(vl->host, ""); /* the daemon fills host and interval */
    ck_assert_uint_eq(vl->interval, 0);
  }
  ck_assert_uint_eq(glue_notif_count(0, "memory", NULL, NULL), 0);
  ck_assert_uint_eq(glue_notif_count(0, "swap", NULL, NULL), 0);
  glue_assert_clean_log();
}
END_TEST

START_TEST(test_cpu_percent_second_read) {
  configure_ok(block(tmp_copy("host")));
  ck_assert_int_eq(glue_read_once(), 0);
  tmp_put("stat", "stat.next");
  ck_assert_int_eq(glue_read_once(), 0);
  assert_cpu("cpu", cpu_all_next);
  ck_assert_uint_eq(mock_count_matching("cpu0", NULL, NULL), 0);
  assert_wants(host_first_read,
               sizeof(host_first_read) / sizeof(host_first_read[0]));
  glue_assert_clean_log();
}
END_TEST

START_TEST(test_per_cpu) {
  oconfig_item_t *ci = block(tmp_copy("host"));
  ci_add_bool(ci, "ReportPerCPU", true);
  configure_ok(ci);
  ck_assert_int_eq(glue_read_once(), 0);
  ck_assert_uint_eq(mock_count_matching(NULL, "percent", "user"), 0);
  tmp_put("stat", "stat.next");
  ck_assert_int_eq(glue_read_once(), 0);
  assert_cpu("cpu", cpu_all_next);
  for (int c = 0; c < 4; c++) {
    char inst[16];
    snprintf(inst, sizeof(inst), "cpu%d", c);
    assert_cpu(inst, cpu_each_next[c]);
  }
  ck_assert(!glue_has("cpu4", NULL, NULL));
  glue_assert_clean_log();
}
END_TEST

START_TEST(test_cpu_hot_unplug) {
  oconfig_item_t *ci = block(tmp_copy("host"));
  ci_add_bool(ci, "ReportPerCPU", true);
  configure_ok(ci);
  ck_assert_int_eq(glue_read_once(), 0);
  tmp_put("stat", "stat.unplug"); /* cpu1 went offline */
  ck_assert_int_eq(glue_read_once(), 0);
  assert_cpu("cpu", cpu_all_next);
  assert_cpu("cpu0", cpu_each_next[0]);
  ck_assert(!glue_has("cpu1", NULL, NULL));
  assert_cpu("cpu2", cpu_each_next[2]);
  assert_cpu("cpu3", cpu_each_next[3]);
  /* cpu1 is back, but the previous sample lacks it; nothing else moved. */
  tmp_put("stat", "stat.next");
  ck_assert_int_eq(glue_read_once(), 0);
  ck_assert(!glue_has("cpu1", NULL, NULL));
  ck_assert(glue_has("memory", "memory", "used"));
  glue_assert_clean_log();
}
END_TEST

struct group_case {
  bool abs, pct, procs;
};

static const struct group_case group_cases[] = {
    {true, true, true},   {false, true, true}, {true, false, true},
    {false, false, true}, {true, true, false},
};

START_TEST(test_value_groups) {
  const struct group_case *gc = &group_cases[_i];
  oconfig_item_t *ci = block(tmp_copy("host"));
  ci_add_bool(ci, "ValuesAbsolute", gc->abs);
  ci_add_bool(ci, "ValuesPercentage", gc->pct);
  ci_add_bool(ci, "ReportProcesses", gc->procs);
  configure_ok(ci);
  ck_assert_int_eq(glue_read_once(), 0);
  tmp_put("stat", "stat.next");
  ck_assert_int_eq(glue_read_once(), 0);
  ck_assert_int_eq(glue_has("memory", "memory", "used"), gc->abs);
  ck_assert_int_eq(glue_has("memory", "memory", "total"), gc->abs);
  ck_assert_int_eq(glue_has("memory", "percent", "used"), gc->pct);
  ck_assert_int_eq(glue_has("swap", "swap", "used"), gc->abs);
  ck_assert_int_eq(glue_has("swap", "percent", "used"), gc->pct);
  ck_assert_int_eq(glue_has("df-root", "df_complex", "used"), gc->abs);
  ck_assert_int_eq(glue_has("df-root", "bytes", "total"), gc->abs);
  ck_assert_int_eq(glue_has("df-root", "df_inodes", "used"), gc->abs);
  ck_assert_int_eq(glue_has("df-root", "percent_bytes", "used"), gc->pct);
  ck_assert_int_eq(glue_has("", "count", "processes"), gc->procs);
  ck_assert_int_eq(glue_has("", "count", "threads"), gc->procs);
  /* Always sent: uptime, load and CPU (which only exists as percent). */
  ck_assert(glue_has("", "uptime", ""));
  ck_assert(glue_has("", "load", ""));
  ck_assert(glue_has("cpu", "percent", "active"));
  glue_assert_clean_log();
}
END_TEST

START_TEST(test_old_kernel) {
  /* No MemAvailable (before 3.14), no swap, 7-column /proc/stat. */
  configure_ok(block(tmp_copy("host_old")));
  ck_assert_int_eq(glue_read_once(), 0);
  assert_wants(old_first_read,
               sizeof(old_first_read) / sizeof(old_first_read[0]));
  assert_load(1.00, 0.75, 0.50);
  tmp_put("stat", "stat.old.next");
  ck_assert_int_eq(glue_read_once(), 0);
  assert_cpu("cpu", cpu_all_old);
  glue_assert_clean_log();
}
END_TEST

/* ---- notifications ------------------------------------------------------- */

struct mem_step {
  const char *meminfo; /* sample to install before the read */
  int severity;        /* expected new notification, 0 = none */
  const char *text;    /* expected in its message */
};

static const struct mem_step mem_steps[] = {
    {"meminfo.90", NOTIF_WARNING, "memory is 90.0% used (warning limit 80%)"},
    {"meminfo.96", NOTIF_FAILURE, "memory is 96.0% used (failure limit 95%)"},
    {"meminfo.96", 0, NULL},
    {"meminfo.94", 0, NULL}, /* below 95 but within the hysteresis (2) */
    {"meminfo.50", NOTIF_OKAY, "memory is 50.0% used, back below the limit"},
    {"meminfo.50", 0, NULL},
};

START_TEST(test_memory_notifications) {
  oconfig_item_t *ci = block(tmp_copy("host"));
  ci_add_number(ci, "WarningMemoryPercent", 80);
  ci_add_number(ci, "FailureMemoryPercent", 95);
  configure_ok(ci);
  for (size_t i = 0; i < sizeof(mem_steps) / sizeof(mem_steps[0]); i++) {
    const struct mem_step *st = &mem_steps[i];
    tmp_put("meminfo", st->meminfo);
    ck_assert_int_eq(glue_read_once(), 0);
    if (st->severity == 0) {
      ck_assert_msg(glue_notif_count(0, "memory", NULL, NULL) == 0,
                    "step %zu notified", i);
      continue;
    }
    ck_assert_msg(glue_notif_count(0, "memory", NULL, NULL) == 1,
                  "step %zu: %zu", i,
                  glue_notif_count(0, "memory", NULL, NULL));
    const notification_t *n = last_notification_for("memory");
    ck_assert_int_eq(n->severity, st->severity);
    ck_assert_str_eq(n->host, MOCK_HOSTNAME);
    ck_assert_str_eq(n->plugin, "homelab_host");
    ck_assert_str_eq(n->type, "percent");
    ck_assert_str_eq(n->type_instance, "used");
    ck_assert_msg(strstr(n->message, st->text) != NULL, "message: %s",
                  n->message);
    ck_assert_ptr_nonnull(strstr(n->message, "Host mockhost"));
  }
  ck_assert_uint_eq(glue_notif_count(0, "swap", NULL, NULL),
                    0); /* swap limits are off */
}
END_TEST

START_TEST(test_disk_notification) {
  struct hl_fsstat fs;
  ck_assert_int_eq(hl_fs_stat("/", &fs), 0);
  if (!(fs.used_pct >= 2)) {
    fprintf(stderr, "note: / is %g%% used, disk notification not tested\n",
            fs.used_pct);
    return;
  }
  oconfig_item_t *ci = block_fx("host");
  ci_add_number(ci, "WarningDiskPercent", floor(fs.used_pct / 2));
  ci_add_number(ci, "FailureDiskPercent", 100);
  configure_ok(ci);
  ck_assert_int_eq(glue_read_once(), 0);
  ck_assert_uint_eq(glue_notif_count(0, "df-root", NULL, NULL), 1);
  const notification_t *n = last_notification_for("df-root");
  ck_assert_int_eq(n->severity, NOTIF_WARNING);
  ck_assert_str_eq(n->type, "percent_bytes");
  ck_assert_ptr_nonnull(strstr(n->message, "disk / is"));
  ck_assert_int_eq(glue_read_once(), 0);
  ck_assert_uint_eq(glue_notif_count(0, "df-root", NULL, NULL), 0);
}
END_TEST

/* ---- failing sources ----------------------------------------------------- */

START_TEST(test_stat_vanishes) {
  configure_ok(block(tmp_copy("host")));
  ck_assert_int_eq(glue_read_once(), 0);
  tmp_rm("stat");
  const char *err = "/stat failed: No such file or directory";
  mock_clear_records();
  for (int i = 0; i < 3; i++) {
    ck_assert_int_eq(mock_read(0), 0);
    mock_advance_time(TIME_T_TO_CDTIME_T(3600)); /* past any back-off */
  }
  /* Logged once until the file is back, not on every read. */
  ck_assert_uint_eq(mock_log_count(LOG_ERR, err), 1);
  ck_assert_uint_eq(mock_log_count(LOG_ERR, NULL), 1);
  ck_assert(glue_has("memory", "memory", "used")); /* the rest still works */
  ck_assert(glue_has("df-root", "percent_bytes", "used"));
  /* Recovery: logged once; CPU deltas continue from the last good sample. */
  tmp_put("stat", "stat.next");
  mock_clear_records();
  ck_assert_int_eq(mock_read(0), 0);
  ck_assert_int_eq(mock_read(0), 0);
  ck_assert_uint_eq(mock_log_count(LOG_INFO, "/stat can be read again"), 1);
  ck_assert_uint_eq(mock_log_count(LOG_ERR, NULL), 0);
  ck_assert_uint_eq(mock_count_matching("cpu", "percent", "user"), 1);
  ck_assert_double_eq_tol(glue_gauge("cpu", "percent", "user"), 30, TOL);
  /* A new failure after the recovery is reported again. */
  tmp_rm("stat");
  ck_assert_int_eq(glue_read_once(), 0);
  ck_assert_uint_eq(mock_log_count(LOG_ERR, err), 1);
}
END_TEST

static const char *const bad_stats[] = {"stat.cut", "stat.garbage"};

START_TEST(test_bad_stat) {
  configure_ok(block(tmp_copy("host")));
  ck_assert_int_eq(glue_read_once(), 0);
  tmp_put("stat", bad_stats[_i]);
  mock_clear_records();
  ck_assert_int_eq(mock_read(0), 0);
  ck_assert_int_eq(mock_read(0), 0);
  ck_assert_uint_eq(mock_log_count(LOG_ERR, "/stat: unexpected content"), 1);
  ck_assert_uint_eq(mock_count_matching("cpu", NULL, NULL), 0);
  ck_assert(glue_has("memory", "percent", "used"));
  tmp_put("stat", "stat.next");
  ck_assert_int_eq(glue_read_once(), 0);
  ck_assert(mock_log_contains(LOG_INFO, "/stat can be read again"));
  assert_cpu("cpu", cpu_all_next);
}
END_TEST

START_TEST(test_proc_root_gone) {
  configure_ok(block(tmp_copy("host")));
  ck_assert_int_eq(glue_read_once(), 0);
  glue_remove_tree(tmp_root);
  ck_assert_int_ne(glue_read_once(), 0);
  ck_assert_uint_eq(mock_count_values(), 0);
  const char *const names[] = {"/stat failed",        "/uptime failed",
                               "/loadavg failed",     "/meminfo failed",
                               "/self/mounts failed", "listing"};
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    ck_assert_msg(mock_log_count(LOG_ERR, names[i]) == 1, "%s", names[i]);
  ck_assert_int_ne(glue_read_once(), 0);
  ck_assert_uint_eq(mock_log_count(LOG_ERR, NULL), 0); /* backing off */
}
END_TEST

START_TEST(test_loadavg_missing) {
  configure_ok(block(tmp_copy("host")));
  tmp_rm("loadavg");
  ck_assert_int_eq(glue_read_once(), 0);
  ck_assert(mock_log_contains(LOG_ERR, "/loadavg failed"));
  ck_assert(!glue_has("", "load", ""));
  ck_assert(glue_has("", "uptime", ""));
  ck_assert_double_eq(glue_gauge("", "count", "processes"), 3);
}
END_TEST

/* ---- known plugin bugs -------------------------------------------------- */

/* Regression tests for bugs these glue tests found (threads reported as 0
 * without loadavg, an emptied proc root counted as a successful read). */

START_TEST(test_bug_threads_without_loadavg) {
  /* count-threads comes from loadavg; without it a 0 is dispatched. */
  configure_ok(block(tmp_copy("host")));
  tmp_rm("loadavg");
  ck_assert_int_eq(glue_read_once(), 0);
  ck_assert(!glue_has("", "count", "threads"));
}
END_TEST

START_TEST(test_bug_empty_proc_root) {
  /* Every file gone but the directory is still there: nothing was read, so
   * the read must fail (and not report 0 processes and 0 threads). */
  configure_ok(block(tmp_copy("host")));
  ck_assert_int_eq(glue_read_once(), 0);
  const char *const files[] = {"stat",        "uptime", "loadavg", "meminfo",
                               "self/mounts", "1/stat", "42/stat", "4242/stat",
                               "self",        "1",      "42",      "4242"};
  for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
    char p[PATH_MAX];
    ck_assert_int_eq(remove(glue_path_join(p, sizeof(p), tmp_root, files[i])),
                     0);
  }
  ck_assert_int_ne(glue_read_once(), 0);
  ck_assert_uint_eq(mock_count_values(), 0);
}
END_TEST

/* ---- suite --------------------------------------------------------------- */

#define NCASES(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *homelab_host_suite(void) {
  Suite *s = suite_create("homelab_host");
  TCase *tc = tcase_create("config");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_no_block_uses_defaults);
  tcase_add_test(tc, test_options_are_applied);
  tcase_add_loop_test(tc, test_bad_config, 0, NCASES(bad_cases));
  tcase_add_test(tc, test_two_blocks_rejected);
  tcase_add_test(tc, test_mountpoint_all);
  tcase_add_test(tc, test_mountpoint_all_follows_table);
  suite_add_tcase(s, tc);

  tc = tcase_create("read");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_first_read_defaults);
  tcase_add_test(tc, test_cpu_percent_second_read);
  tcase_add_test(tc, test_per_cpu);
  tcase_add_test(tc, test_cpu_hot_unplug);
  tcase_add_loop_test(tc, test_value_groups, 0, NCASES(group_cases));
  tcase_add_test(tc, test_old_kernel);
  suite_add_tcase(s, tc);

  tc = tcase_create("notify");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_memory_notifications);
  tcase_add_test(tc, test_disk_notification);
  suite_add_tcase(s, tc);

  tc = tcase_create("failures");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_stat_vanishes);
  tcase_add_loop_test(tc, test_bad_stat, 0, NCASES(bad_stats));
  tcase_add_test(tc, test_proc_root_gone);
  tcase_add_test(tc, test_loadavg_missing);
  suite_add_tcase(s, tc);

  tc = tcase_create("fixed_bugs");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_bug_threads_without_loadavg);
  tcase_add_test(tc, test_bug_empty_proc_root);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  return glue_main("check_homelab_host", "glue", "hl_glue", homelab_host_suite,
                   NULL);
}
