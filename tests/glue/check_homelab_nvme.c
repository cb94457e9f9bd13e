// SPDX-License-Identifier: MIT
/*
 * Glue tests for the homelab_nvme plugin. The plugin source is included so
 * its statics are reachable; it is linked against mock_collectd and driven
 * like the daemon would: module_register() -> config -> init -> read... ->
 * free_func (in teardown, via mock_reset()).
 *
 * There is no NVMe device here. The read path is fetch -> parse -> submit,
 * so the SMART side is tested by decoding the SMART log fixtures (nvme/smart)
 * and Identify fixtures (nvme/id) with the shared decoders and handing the
 * structs to the plugin's hnvme_set_id() / hnvme_process() / hnvme_submit_ns().
 * The sysfs fallback, discovery, vanishing controllers and the config run end
 * to end through mock_read() with DevRoot at an empty directory (or one holding
 * a regular file "nvme0": not a character device) and SysfsRoot at the fixture
 * tree tests/fixtures/nvme/sysfs or a copy of it.
 *
 * In config text "@sys" is the fixture sysfs tree, "@tmp" a copy of it and
 * "@dev" an empty directory. Runs forked or, for valgrind, with CK_FORK=no
 * (setup resets the plugin's config statics).
 */
#include "../../plugins/homelab_nvme.c"

#include "glue_util.h"

#include <check.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#define NCASES(a) ((int)(sizeof(a) / sizeof((a)[0])))

static char tmp_root[PATH_MAX]; /* copy of the sysfs tree, "" if none */
static char dev_root[PATH_MAX]; /* empty DevRoot */

/* ---- files --------------------------------------------------------------- */

/* Reads <fixtures>/nvme/@rel (at most @len bytes); returns the count. */
static size_t load(const char *rel, void *buf, size_t len) {
  char r[PATH_MAX];
  return glue_load(glue_path_join(r, sizeof(r), "nvme", rel), buf, len);
}

static struct hl_nvme_health health(const char *name) {
  unsigned char buf[HL_NVME_SMART_LOG_LEN];
  char rel[64];
  snprintf(rel, sizeof(rel), "smart/%s.bin", name);
  size_t n = load(rel, buf, sizeof(buf));
  struct hl_nvme_health h;
  ck_assert_int_eq(hl_nvme_health_from_log(buf, n, &h), 0);
  return h;
}

static struct hl_nvme_ctrl_info ctrl_id(const char *name) {
  static unsigned char buf[HL_NVME_IDENTIFY_LEN];
  char rel[64];
  snprintf(rel, sizeof(rel), "id/%s.bin", name);
  size_t n = load(rel, buf, sizeof(buf));
  struct hl_nvme_ctrl_info id;
  ck_assert_int_eq(hl_nvme_ctrl_from_id(buf, n, &id), 0);
  return id;
}

/* ---- config and targets -------------------------------------------------- */

static void config_text(const char *text) {
  char sys[PATH_MAX];
  const struct glue_subst subst[] = {
      {"@sys", glue_fx_path(sys, sizeof(sys), "nvme/sysfs")},
      {"@tmp", tmp_root},
      {"@dev", dev_root},
  };
  glue_config_text(HL_PLUGIN, text, subst, NCASES(subst));
}

/* Config + init that must succeed with @nreads read callbacks. */
static void configure_ok(const char *text, size_t nreads) {
  config_text(text);
  ck_assert_int_eq(mock_init_all(), 0);
  ck_assert_uint_eq(mock_read_count(), nreads);
}

#define FX "DevRoot \"@dev\"\nSysfsRoot \"@sys\"\n"

/* The target of read callback @i. */
static struct hnvme_target *target(size_t i) {
  struct hnvme_target *t = mock_read_data(i);
  ck_assert_ptr_nonnull(t);
  return t;
}

/* One nvme0 target that went through Identify with id/@ctrl.bin. */
static struct hnvme_target *identified(const char *extra, const char *ctrl) {
  char text[1024];
  snprintf(text, sizeof(text), FX "Device \"nvme0\"\n%s", extra);
  configure_ok(text, 1);
  struct hnvme_target *t = target(0);
  struct hl_nvme_ctrl_info id = ctrl_id(ctrl);
  t->have_id = true;
  hnvme_set_id(t, &id);
  mock_clear_records();
  return t;
}

static void process(struct hnvme_target *t, const struct hl_nvme_health *h) {
  mock_clear_records();
  hnvme_process(t, cdtime(), h, HNVME_FULL);
}

/* ---- records ------------------------------------------------------------- */

static void assert_gauge(const char *pi, const char *type, const char *ti,
                         double want) {
  double v = glue_value(pi, type, ti)->values[0].gauge;
  ck_assert_msg(fabs(v - want) < 1e-6, "%s/%s-%s = %g, want %g", pi, type, ti,
                v, want);
}

/* Index of the only notification with @severity and @ti; fails otherwise. */
static size_t notif_one(int severity, const char *ti) {
  return glue_notif_one(severity, NULL, ti, "homelab_nvme");
}

static void assert_text(size_t i, const char *sub) {
  const char *msg = mock_notification(i)->message;
  ck_assert_msg(strstr(msg, sub) != NULL, "\"%s\" lacks \"%s\"", msg, sub);
}

/* ---- fixture ------------------------------------------------------------- */

static void setup(void) {
  hnvme_single = (struct hl_single){0}; /* statics persist with CK_FORK=no */
  hnvme_cfg = (struct hnvme_conf){.ndev = 0};
  tmp_root[0] = '\0';
  mock_reset();
  glue_types_load(true);
  glue_mk_tmpdir(dev_root, sizeof(dev_root));
  module_register();
}

static void teardown(void) {
  mock_reset();
  glue_remove_tree(tmp_root);
  glue_remove_tree(dev_root);
}

/* ---- SMART path: the field table ----------------------------------------- */

/* Every table field present in the fixture is dispatched exactly once under
 * its name with the mapped type, and its value; NAN fields not at all. */
static void check_table(const char *fixture) {
  struct hnvme_target *t = identified("", "ctrl_qemu");
  struct hl_nvme_health h = health(fixture);
  process(t, &h);
  size_t n = 0, present = 0;
  const struct hl_nvme_field *fs = hl_nvme_fields(&n);
  for (size_t i = 0; i < n; i++) {
    double g = 0;
    uint64_t c = 0;
    bool have = hl_nvme_field_get(&h, &fs[i], &g, &c);
    size_t got = mock_count_matching("nvme0", NULL, fs[i].name);
    ck_assert_msg(got == (have ? 1u : 0u), "%s: %s sent %zu times", fixture,
                  fs[i].name, got);
    if (!have)
      continue;
    present++;
    const value_list_t *vl =
        glue_value("nvme0", hnvme_type(&fs[i]), fs[i].name);
    if (fs[i].kind == HL_NVME_COUNTER)
      ck_assert_int_eq(vl->values[0].derive,
                       c > INT64_MAX ? INT64_MAX : (derive_t)c);
    else
      ck_assert(vl->values[0].gauge == g);
  }
  ck_assert_uint_eq(mock_count_values(), present + 1); /* + health */
  assert_gauge("nvme0", "homelab_health", "",
               hl_nvme_health_level(&h, &t->lim));
  ck_assert_uint_eq(mock_log_count(LOG_ERR, NULL), 0);
}

static const char *const table_fixtures[] = {
    "healthy", "distinct", "saturate", "sensors_missing", "worn", "qemu",
};

START_TEST(test_table) { check_table(table_fixtures[_i]); }
END_TEST

/* Identity travels with every value as meta data. */
START_TEST(test_identity_meta) {
  struct hnvme_target *t = identified("", "ctrl_qemu");
  struct hl_nvme_health h = health("healthy");
  process(t, &h);
  const value_list_t *vl = glue_value("nvme0", "temperature", "temperature");
  ck_assert_str_eq(mock_value_meta(vl, "model"), "QEMU NVMe Ctrl");
  ck_assert_str_eq(mock_value_meta(vl, "serial"), "deadbeef");
  ck_assert_str_eq(mock_value_meta(vl, "firmware"), "7.2.22");
  vl = glue_value("nvme0", "homelab_health", "");
  ck_assert_str_eq(mock_value_meta(vl, "serial"), "deadbeef");
}
END_TEST

START_TEST(test_types) {
  struct hnvme_target *t = identified("", "ctrl_qemu");
  struct hl_nvme_health h = health("healthy");
  process(t, &h);
  static const char *const want[][2] = {
      {"temperature", "temperature"},
      {"temp_sensor1", "temperature"},
      {"critical_warning", "homelab_nvme_bits"},
      {"warn_spare", "homelab_nvme_warning"},
      {"avail_spare", "percent"},
      {"percent_used", "homelab_percent_used"},
      {"bytes_read", "total_bytes"},
      {"host_writes", "total_operations"},
      {"power_on_hours", "derive"},
      {"media_errors", "derive"},
  };
  for (int i = 0; i < NCASES(want); i++)
    glue_value("nvme0", want[i][1], want[i][0]);
  ck_assert_int_eq(
      glue_value("nvme0", "total_bytes", "bytes_read")->values[0].derive,
      (derive_t)12345678 * 512000);
  assert_gauge("nvme0", "temperature", "temperature", 308 - 273.15);
  ck_assert(!mock_find("nvme0", NULL, "temp_sensor3")); /* 0 K: missing */
  glue_assert_clean_log();
}
END_TEST

START_TEST(test_bits) {
  struct hnvme_target *t = identified("", "ctrl_qemu");
  struct hl_nvme_health h = health("distinct"); /* critical_warning 0x15 */
  process(t, &h);
  assert_gauge("nvme0", "homelab_nvme_bits", "critical_warning", 0x15);
  static const char *const bits[] = {"warn_spare",    "warn_temperature",
                                     "warn_degraded", "warn_read_only",
                                     "warn_volatile", "warn_pmr_read_only"};
  for (int b = 0; b < NCASES(bits); b++)
    assert_gauge("nvme0", "homelab_nvme_warning", bits[b], (0x15 >> b) & 1);
}
END_TEST

START_TEST(test_saturate) {
  struct hnvme_target *t = identified("", "ctrl_qemu");
  struct hl_nvme_health h = health("saturate");
  process(t, &h);
  ck_assert_int_eq(
      glue_value("nvme0", "total_operations", "host_reads")->values[0].derive,
      INT64_MAX);
  ck_assert_int_eq(
      glue_value("nvme0", "derive", "power_on_hours")->values[0].derive,
      INT64_MAX);
}
END_TEST

/* Implausible values are left out and logged once. */
START_TEST(test_implausible) {
  struct hnvme_target *t = identified("", "ctrl_qemu");
  struct hl_nvme_health h = health("temp_hot");
  process(t, &h);
  ck_assert(!mock_find("nvme0", NULL, "temperature"));
  ck_assert(!mock_find("nvme0", NULL, "temp_sensor2"));
  ck_assert(!mock_find("nvme0", NULL, "avail_spare"));
  assert_gauge("nvme0", "temperature", "temp_sensor1", 310 - 273.15);
  ck_assert_uint_eq(mock_log_count(LOG_WARNING, "implausible"), 1);
  process(t, &h);
  ck_assert_uint_eq(mock_log_count(LOG_WARNING, NULL), 0);
  h = health("temp_zero");
  process(t, &h);
  ck_assert(!mock_find("nvme0", NULL, "temperature"));
  ck_assert_uint_eq(mock_log_count(LOG_WARNING, NULL), 0);
}
END_TEST

/* ---- SMART path: notifications ------------------------------------------- */

/* Each critical_warning bit: one notification when set (with its plain
 * text, controller, model, serial), none while it stays, one OKAY. */
START_TEST(test_crit_bit) {
  struct hnvme_target *t = identified("", "ctrl_qemu");
  struct hl_nvme_health ok = health("healthy");
  char name[32];
  snprintf(name, sizeof(name), "crit_bit%d", _i);
  struct hl_nvme_health bad = health(name);
  process(t, &ok);
  ck_assert_uint_eq(mock_count_notifications(), 0);
  process(t, &bad);
  int sev = _i == 1 ? NOTIF_WARNING : NOTIF_FAILURE;
  ck_assert_uint_eq(mock_count_notifications(), 1);
  size_t i = notif_one(sev, hnvme_checks[_i].ti);
  assert_text(i, hl_nvme_crit_text((unsigned)_i));
  assert_text(i, "nvme0 (QEMU NVMe Ctrl, serial deadbeef)");
  ck_assert_str_eq(mock_notification_meta(i, "serial"), "deadbeef");
  ck_assert_str_eq(mock_notification_meta(i, "model"), "QEMU NVMe Ctrl");
  ck_assert_str_eq(mock_notification_meta(i, "firmware"), "7.2.22");
  assert_gauge("nvme0", "homelab_health", "", _i == 1 ? 1 : 2);
  process(t, &bad);
  ck_assert_uint_eq(mock_count_notifications(), 0);
  process(t, &ok);
  ck_assert_uint_eq(mock_count_notifications(), 1);
  assert_text(notif_one(NOTIF_OKAY, hnvme_checks[_i].ti), "cleared");
  process(t, &ok);
  ck_assert_uint_eq(mock_count_notifications(), 0);
}
END_TEST

static const struct {
  const char *config, *ctrl;
  double temps[4];
  int sev[4]; /* -1: no notification */
  const char *limit[4];
} temp_cases[] = {
    /* WCTEMP 343 K, CCTEMP 373 K from Identify */
    {"",
     "ctrl_qemu",
     {30, 75, 100, 30},
     {-1, NOTIF_WARNING, NOTIF_FAILURE, NOTIF_OKAY},
     {NULL, "threshold 69.", "threshold 99.", "threshold 69."}},
    {"",
     "ctrl_qemu",
     {100, 100, 75, 75},
     {NOTIF_FAILURE, -1, NOTIF_WARNING, -1},
     {"threshold 99.", NULL, "threshold 69.", NULL}},
    /* no WCTEMP/CCTEMP: 70 / 80 */
    {"",
     "ctrl_weird",
     {69, 70, 79, 80},
     {-1, NOTIF_WARNING, -1, NOTIF_FAILURE},
     {NULL, "70.0", NULL, "80.0"}},
    /* configured limits win */
    {"WarningTemperature 50\nCriticalTemperature 60\n",
     "ctrl_qemu",
     {45, 55, 65, 40},
     {-1, NOTIF_WARNING, NOTIF_FAILURE, NOTIF_OKAY},
     {NULL, "50.0", "60.0", "50.0"}},
    {"CriticalTemperature 90\n",
     "ctrl_hot", /* WCTEMP 600 K: implausible */
     {69, 71, 91, 91},
     {-1, NOTIF_WARNING, NOTIF_FAILURE, -1},
     {NULL, "70.0", "90.0", NULL}},
};

START_TEST(test_temperature) {
  struct hnvme_target *t =
      identified(temp_cases[_i].config, temp_cases[_i].ctrl);
  struct hl_nvme_health h = health("healthy");
  for (int k = 0; k < 4; k++) {
    h.temperature = temp_cases[_i].temps[k];
    process(t, &h);
    if (temp_cases[_i].sev[k] < 0) {
      ck_assert_msg(mock_count_notifications() == 0, "case %d step %d", _i, k);
      continue;
    }
    ck_assert_uint_eq(mock_count_notifications(), 1);
    size_t i = notif_one(temp_cases[_i].sev[k], "temperature");
    assert_text(i, temp_cases[_i].limit[k]);
    ck_assert_str_eq(mock_notification(i)->type, "temperature");
  }
}
END_TEST

START_TEST(test_counters_increase) {
  struct hnvme_target *t = identified("", "ctrl_qemu");
  struct hl_nvme_health h = health("healthy");
  process(t, &h);
  ck_assert_uint_eq(mock_count_notifications(), 0);
  h.media_errors = 3;
  process(t, &h);
  assert_text(notif_one(NOTIF_WARNING, "media_errors"),
              "media errors increased from 0 to 3");
  ck_assert_uint_eq(mock_count_notifications(), 1);
  process(t, &h);
  ck_assert_uint_eq(mock_count_notifications(), 0);
  h.error_log_entries = 9;
  process(t, &h);
  assert_text(notif_one(NOTIF_WARNING, "error_log_entries"), "from 7 to 9");
  ck_assert_uint_eq(mock_count_notifications(), 1);
}
END_TEST

START_TEST(test_worn) {
  struct hnvme_target *t = identified("", "ctrl_qemu");
  struct hl_nvme_health h = health("worn"); /* used 180, spare 5 < 10 */
  process(t, &h);
  assert_gauge("nvme0", "homelab_percent_used", "percent_used", 180);
  assert_gauge("nvme0", "homelab_health", "", 2);
  assert_text(notif_one(NOTIF_WARNING, "percent_used"), "180 % at or above 80");
  assert_text(notif_one(NOTIF_FAILURE, "avail_spare"),
              "5 % below threshold 10");
  ck_assert_uint_eq(mock_count_notifications(), 2);
  glue_assert_clean_log(); /* 180 is within homelab_percent_used's range */
  struct hl_nvme_health ok = health("healthy");
  process(t, &ok);
  notif_one(NOTIF_OKAY, "percent_used");
  notif_one(NOTIF_OKAY, "avail_spare");
}
END_TEST

START_TEST(test_worn_configured) {
  static const char *const cfg[] = {"WarningPercentUsed 200\n",
                                    "WarningPercentUsed 0\n"};
  struct hnvme_target *t = identified(cfg[_i], "ctrl_qemu");
  struct hl_nvme_health h = health("worn");
  process(t, &h);
  ck_assert_uint_eq(mock_count_notifications(), 1); /* spare only */
  notif_one(NOTIF_FAILURE, "avail_spare");
}
END_TEST

/* Identity is logged once, not again on reconnect. */
START_TEST(test_identity_logged_once) {
  configure_ok(FX "Device \"nvme0\"\n", 1);
  struct hnvme_target *t = target(0);
  struct hl_nvme_ctrl_info id = ctrl_id("ctrl_qemu");
  hnvme_set_id(t, &id);
  hnvme_set_id(t, &id);
  ck_assert_uint_eq(mock_log_count(LOG_INFO,
                                   "nvme0: model \"QEMU NVMe Ctrl\", serial "
                                   "\"deadbeef\", firmware \"7.2.22\""),
                    1);
}
END_TEST

START_TEST(test_namespaces) {
  struct hnvme_target *t = identified("", "ctrl_hot");
  static unsigned char buf[HL_NVME_IDENTIFY_LEN];
  size_t n = load("id/ns_qemu.bin", buf, sizeof(buf));
  ck_assert_int_eq(hl_nvme_ns_from_id(buf, n, 1, &t->ns[0]), 0);
  t->nns = 1;
  mock_clear_records();
  hnvme_submit_ns(t, cdtime());
  assert_gauge("nvme0", "bytes", "nvm_capacity", 1000204886016.0);
  assert_gauge("nvme0", "bytes", "ns1_size", 262144.0 * 512);
  assert_gauge("nvme0", "bytes", "ns1_capacity", 262144.0 * 512);
  assert_gauge("nvme0", "bytes", "ns1_used", 65536.0 * 512);
  assert_gauge("nvme0", "percent", "ns1_used", 25);
  ck_assert_uint_eq(mock_count_values(), 5);
  glue_assert_clean_log();
}
END_TEST

/* ---- sysfs fallback (end to end through the read callback) -------------- */

START_TEST(test_fallback_nvme0) {
  configure_ok(FX "Device \"/dev/nvme0\"\n", 1);
  ck_assert_str_eq(mock_read_name(0), "homelab_nvme/nvme0");
  for (int k = 0; k < 2; k++) {
    mock_clear_records();
    ck_assert_int_eq(mock_read(0), 0);
    assert_gauge("nvme0", "temperature", "temperature", 49.85);
    assert_gauge("nvme0", "temperature", "temp_sensor1", 51.85);
    assert_gauge("nvme0", "temperature", "temp_sensor8", 44.85);
    assert_gauge("nvme0", "homelab_nvme_warning", "warn_temperature", 0);
    ck_assert_uint_eq(mock_count_values(), 4); /* no health, no counters */
    ck_assert_uint_eq(mock_count_notifications(), 0);
    ck_assert_uint_eq(mock_log_count(LOG_WARNING, "missing: other critical"),
                      k == 0 ? 1 : 0);
    ck_assert_uint_eq(mock_log_count(LOG_WARNING, NULL), k == 0 ? 1 : 0);
    ck_assert_uint_eq(mock_log_count(LOG_ERR, NULL), 0);
  }
  /* thresholds from hwmon: temp1_max 69.85, temp1_crit 99.85 */
  ck_assert(fabs(target(0)->lim.warn_temp_c - 69.85) < 1e-9);
  ck_assert(fabs(target(0)->lim.crit_temp_c - 99.85) < 1e-9);
  ck_assert_str_eq(target(0)->id.serial, "deadbeef");
}
END_TEST

/* nvme1: hwmon under device/, alarm set, composite 85 °C, no thresholds. */
START_TEST(test_fallback_alarm) {
  configure_ok(FX "Device \"nvme1\"\nAlias \"nvme1\" \"hot\"\n", 1);
  mock_clear_records();
  ck_assert_int_eq(mock_read(0), 0);
  assert_gauge("hot", "temperature", "temperature", 85);
  assert_gauge("hot", "homelab_nvme_warning", "warn_temperature", 1);
  size_t i = notif_one(NOTIF_WARNING, "warn_temperature");
  assert_text(i, "nvme1 \"hot\" (Hot Drive, serial unknown)");
  assert_text(notif_one(NOTIF_FAILURE, "temperature"), "critical threshold");
  ck_assert_uint_eq(mock_count_notifications(), 2);
  ck_assert_uint_eq(
      mock_log_count(LOG_WARNING, "temperature alarm; missing: other critical"),
      1);
  mock_clear_records();
  ck_assert_int_eq(mock_read(0), 0);
  ck_assert_uint_eq(mock_count_notifications(), 0);
}
END_TEST

/* Why the log was not read: permissions, not NVMe, an NVMe status. */
START_TEST(test_fallback_causes) {
  configure_ok(FX "Device \"nvme10\"\n", 1); /* identity only, no hwmon */
  struct hnvme_target *t = target(0);
  struct hl_nvme_sysfs s;
  ck_assert_int_eq(hl_nvme_sysfs_read(t->cfg->sysfs_root, "nvme10", &s), 0);
  mock_clear_records();
  hnvme_fallback(t, -EACCES, &s, cdtime());
  ck_assert_uint_eq(mock_log_count(LOG_WARNING, "needs CAP_SYS_ADMIN"), 1);
  ck_assert_uint_eq(mock_log_count(LOG_WARNING, "temperatures (no hwmon)"), 1);
  ck_assert_uint_eq(mock_count_values(), 0);
  t->fallback = false;
  hnvme_fallback(t, 0x4002, &s, cdtime());
  ck_assert_uint_eq(mock_log_count(LOG_WARNING, hl_nvme_status_str(0x4002)), 1);
  /* a regular file where the device node should be */
  char p[PATH_MAX];
  FILE *f = fopen(glue_path_join(p, sizeof(p), dev_root, "nvme10"), "w");
  ck_assert_ptr_nonnull(f);
  fclose(f);
  t->fallback = false;
  mock_clear_records();
  ck_assert_int_eq(mock_read(0), 0);
  ck_assert_uint_eq(mock_log_count(LOG_WARNING, STRERROR(ENOTTY)), 1);
}
END_TEST

/* Findings the fallback cannot judge keep their state: no false OKAY. */
START_TEST(test_fallback_keeps_state) {
  struct hnvme_target *t = identified("", "ctrl_qemu");
  struct hl_nvme_health bad = health("crit_bit2");
  process(t, &bad);
  notif_one(NOTIF_FAILURE, "warn_degraded");
  mock_clear_records();
  ck_assert_int_eq(mock_read(0), 0); /* sysfs: alarm 0, 49.85 °C */
  ck_assert_uint_eq(mock_count_notifications(), 0);
  process(t, &bad);
  ck_assert_uint_eq(mock_count_notifications(), 0);
}
END_TEST

/* ---- vanish / return ----------------------------------------------------- */

START_TEST(test_vanish) {
  char src[PATH_MAX], a[PATH_MAX], b[PATH_MAX];
  glue_mk_tmpdir(tmp_root, sizeof(tmp_root));
  glue_copy_tree(glue_fx_path(src, sizeof(src), "nvme/sysfs"), tmp_root);
  configure_ok("DevRoot \"@dev\"\nSysfsRoot \"@tmp\"\nDevice \"nvme0\"\n", 1);
  ck_assert_int_eq(mock_read(0), 0);
  glue_path_join(a, sizeof(a), tmp_root, "class/nvme/nvme0");
  glue_path_join(b, sizeof(b), tmp_root, "class/nvme/gone");
  ck_assert_int_eq(rename(a, b), 0);
  mock_clear_records();
  ck_assert_int_eq(mock_read(0), 0); /* keeps its interval */
  size_t i = notif_one(NOTIF_FAILURE, "");
  assert_text(i,
              "nvme0 (QEMU NVMe Ctrl, serial deadbeef): controller vanished");
  ck_assert_uint_eq(mock_log_count(LOG_ERR, "nvme0: controller vanished"), 1);
  ck_assert_uint_eq(mock_count_values(), 0);
  for (int k = 0; k < 3; k++) {
    mock_clear_records();
    mock_advance_time(TIME_T_TO_CDTIME_T(600));
    ck_assert_int_eq(mock_read(0), 0); /* keeps its interval */
    ck_assert_uint_eq(mock_count_notifications(), 0);
    ck_assert_uint_eq(mock_log_count(LOG_ERR, NULL), 0);
  }
  ck_assert_int_eq(rename(b, a), 0);
  mock_clear_records();
  ck_assert_int_eq(mock_read(0), 0);
  notif_one(NOTIF_OKAY, "");
  ck_assert_uint_eq(mock_log_count(LOG_INFO, "controller is back"), 1);
  assert_gauge("nvme0", "temperature", "temperature", 49.85);
}
END_TEST

START_TEST(test_absent_at_start) {
  configure_ok(FX "Device \"nvme3\"\n", 1);
  ck_assert_int_eq(mock_read(0), 0); /* reported, interval kept */
  notif_one(NOTIF_FAILURE, "");
  mock_clear_records();
  ck_assert_int_eq(mock_read(0), 0);
  ck_assert_uint_eq(mock_count_notifications(), 0);
}
END_TEST

/* ---- discovery, names, aliases ------------------------------------------- */

START_TEST(test_discover_none) {
  configure_ok("DevRoot \"@dev\"\nSysfsRoot \"@dev\"\n", 0);
  ck_assert_uint_eq(mock_log_count(LOG_INFO, "no NVMe controller found"), 1);
  ck_assert_uint_eq(mock_log_count(LOG_ERR, NULL), 0);
}
END_TEST

START_TEST(test_no_block) {
  ck_assert_int_eq(mock_init_all(), 0); /* real /sys; any count is fine */
  ck_assert_uint_eq(mock_log_count(LOG_ERR, NULL), 0);
}
END_TEST

static const struct {
  const char *config;
  const char *reads[4];
} select_cases[] = {
    {"", {"nvme0", "nvme1", "nvme10"}},
    {"IgnoreSelected true\nDevice \"nvme1\"\n", {"nvme0", "nvme10"}},
    {"Device \"/dev/nvme0n1\"\n", {"nvme0"}},
    {"Device \"/dev/nvme5n1\"\n", {"nvme6"}}, /* multipath: lowest ctrl */
    {"Device \"nvme0\"\nDevice \"/dev/nvme0n1\"\n", {"nvme0"}},
    {"Device \"nvme1\"\nDevice \"nvme0\"\n", {"nvme1", "nvme0"}},
    {"Alias \"nvme9\" \"ignored\"\n", {"nvme0", "nvme1", "nvme10"}},
};

START_TEST(test_select) {
  size_t n = 0;
  while (n < 4 && select_cases[_i].reads[n] != NULL)
    n++;
  char text[512];
  snprintf(text, sizeof(text), FX "%s", select_cases[_i].config);
  configure_ok(text, n);
  for (size_t i = 0; i < n; i++) {
    char want[64];
    snprintf(want, sizeof(want), "homelab_nvme/%s", select_cases[_i].reads[i]);
    ck_assert_str_eq(mock_read_name(i), want);
  }
  ck_assert_uint_eq(mock_log_count(LOG_ERR, NULL), 0);
}
END_TEST

START_TEST(test_alias_interval) {
  configure_ok(FX "Device \"nvme0\"\nAlias \"/dev/nvme0\" \"boot-ssd\"\n"
                  "Interval 30\n",
               1);
  ck_assert_str_eq(mock_read_name(0), "homelab_nvme/nvme0");
  ck_assert_uint_eq(mock_read_interval(0), TIME_T_TO_CDTIME_T(30));
  ck_assert_int_eq(mock_read(0), 0);
  assert_gauge("boot-ssd", "temperature", "temperature", 49.85);
  ck_assert_uint_eq(mock_count_matching("nvme0", NULL, NULL), 0);
}
END_TEST

/* ---- bad configs ----------------------------------------------------------
 */

static const struct {
  const char *config, *error;
} bad_cases[] = {
    {"Foo 1\n", "unknown option \"Foo\""},
    {"Device \"nvme0\"\nAlias \"nvme3\" \"x\"\n", "Alias \"nvme3\""},
    {"Alias \"nvme0\"\n", "Alias: expects exactly 2 strings"},
    {"Device \"nvme0\"\nAlias \"nvme0\" \"a/b\"\n", "Alias \"a/b\""},
    {"Device \"nvme0\"\nDevice \"nvme1\"\nAlias \"nvme0\" \"nvme1\"\n",
     "already used"},
    {"WarningTemperature \"hot\"\n", "WarningTemperature: expects"},
    {"WarningTemperature 80\nCriticalTemperature 70\n", "WarningTemperature"},
    {"CriticalTemperature 500\n", "CriticalTemperature: 500 is out of range"},
    {"WarningPercentUsed 300\n", "WarningPercentUsed"},
    {"Device \"/dev/sda\"\n", "Device \"/dev/sda\": not an NVMe"},
    {"Device \"/dev/disk/by-id/nvme-x\"\n", "Device \"/dev/disk/by-id"},
    {"Device 5\n", "Device: expects exactly 1 string"},
    {"Device \"nvme0\" \"nvme1\"\n", "Device: expects"},
    {"IgnoreSelected \"maybe\"\n", "IgnoreSelected"},
    {"Interval 0\n", "Interval"},
    {"SysfsRoot 1\n", "SysfsRoot"},
};

START_TEST(test_bad_config) {
  char text[512];
  snprintf(text, sizeof(text), FX "%s", bad_cases[_i].config);
  config_text(text);
  ck_assert_int_ne(mock_init_all(), 0);
  ck_assert_uint_eq(mock_read_count(), 0);
  ck_assert_msg(mock_log_contains(LOG_ERR, bad_cases[_i].error),
                "case %d: no error \"%s\"", _i, bad_cases[_i].error);
}
END_TEST

START_TEST(test_two_blocks) {
  config_text(FX);
  config_text(FX);
  ck_assert_int_ne(mock_init_all(), 0);
  ck_assert(mock_log_contains(LOG_ERR, "only one <Plugin homelab_nvme>"));
}
END_TEST

static Suite *homelab_nvme_suite(void) {
  Suite *s = suite_create("homelab_nvme");
  TCase *tc = tcase_create("smart");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_loop_test(tc, test_table, 0, NCASES(table_fixtures));
  tcase_add_test(tc, test_types);
  tcase_add_test(tc, test_identity_meta);
  tcase_add_test(tc, test_bits);
  tcase_add_test(tc, test_saturate);
  tcase_add_test(tc, test_implausible);
  tcase_add_test(tc, test_namespaces);
  tcase_add_test(tc, test_identity_logged_once);
  suite_add_tcase(s, tc);
  tc = tcase_create("notify");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_loop_test(tc, test_crit_bit, 0, HL_NVME_CRIT_BITS);
  tcase_add_loop_test(tc, test_temperature, 0, NCASES(temp_cases));
  tcase_add_test(tc, test_counters_increase);
  tcase_add_test(tc, test_worn);
  tcase_add_loop_test(tc, test_worn_configured, 0, 2);
  suite_add_tcase(s, tc);
  tc = tcase_create("fallback");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_fallback_nvme0);
  tcase_add_test(tc, test_fallback_alarm);
  tcase_add_test(tc, test_fallback_causes);
  tcase_add_test(tc, test_fallback_keeps_state);
  tcase_add_test(tc, test_vanish);
  tcase_add_test(tc, test_absent_at_start);
  suite_add_tcase(s, tc);
  tc = tcase_create("config");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_discover_none);
  tcase_add_test(tc, test_no_block);
  tcase_add_loop_test(tc, test_select, 0, NCASES(select_cases));
  tcase_add_test(tc, test_alias_interval);
  tcase_add_loop_test(tc, test_bad_config, 0, NCASES(bad_cases));
  tcase_add_test(tc, test_two_blocks);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  return glue_main("check_homelab_nvme", NULL, "hl_gnvme", homelab_nvme_suite,
                   NULL);
}
