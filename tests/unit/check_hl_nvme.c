// SPDX-License-Identifier: MIT
/*
 * Unit tests for shared/hl_nvme. The decoders are fed 512-byte SMART logs
 * and 4096-byte Identify structures from tests/fixtures/nvme/{smart,id}/
 * (made by tests/fixtures/nvme/gen_fixtures.py), each copied into an
 * exact-size heap block so ASan reports any read past the length. The
 * metric table is walked against a fixture whose every field differs. The
 * sysfs fallback and name mapping run on the fixture tree
 * tests/fixtures/nvme/sysfs. The I/O tests use what every machine has: a
 * missing device, /dev/null behind a controller name, a regular file.
 */
#include "check_suites.h"
#include "hl_nvme.h"
#include "hl_str.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Loads tests/fixtures/nvme/<rel> into an exact-size block; *len = size. */
static void *load(const char *rel, size_t *len) {
  char sub[256], path[4096];
  snprintf(sub, sizeof(sub), "nvme/%s", rel);
  hl_test_fixture_path(path, sizeof(path), sub);
  struct hl_buf b;
  hl_buf_init(&b, 65536);
  int rc = hl_buf_read_file(&b, path);
  ck_assert_msg(rc == 0, "%s: %s", path, strerror(-rc));
  *len = b.len;
  void *copy = hl_test_dup_exact(b.data, b.len);
  hl_buf_free(&b);
  return copy;
}

static void decode_fixture(const char *name, struct hl_nvme_health *h) {
  char rel[128];
  snprintf(rel, sizeof(rel), "smart/%s.bin", name);
  size_t len = 0;
  void *log = load(rel, &len);
  int rc = hl_nvme_health_from_log(log, len, h);
  free(log);
  ck_assert_msg(rc == 0, "%s: rc %d", name, rc);
}

/* NAN-aware comparison to 0.01 °C. */
static void assert_near(double got, double want, const char *what) {
  if (isnan(want))
    ck_assert_msg(isnan(got), "%s: got %f, want NAN", what, got);
  else
    ck_assert_msg(fabs(got - want) < 0.005, "%s: got %f, want %f", what, got,
                  want);
}

static const char *fixtures_sysfs(char *out, size_t size) {
  return hl_test_fixture_path(out, size, "nvme/sysfs");
}

/* ---- SMART log decode ---- */

static const struct smart_case {
  const char *file;
  int rc;
  unsigned crit;
  double temp;
  double spare, thresh, used;
  unsigned implausible;
  double sensor1, sensor2;
  int level; /* with hl_nvme_limits_default(NULL): 70/80 °C, 80 % */
} smart_cases[] = {
    {"healthy", 0, 0, 34.85, 100, 10, 3, 0, 36.85, 41.85, 0},
    {"crit_bit0", 0, 0x01, 34.85, 100, 10, 3, 0, 36.85, 41.85, 2},
    {"crit_bit1", 0, 0x02, 34.85, 100, 10, 3, 0, 36.85, 41.85, 1},
    {"crit_bit2", 0, 0x04, 34.85, 100, 10, 3, 0, 36.85, 41.85, 2},
    {"crit_bit3", 0, 0x08, 34.85, 100, 10, 3, 0, 36.85, 41.85, 2},
    {"crit_bit4", 0, 0x10, 34.85, 100, 10, 3, 0, 36.85, 41.85, 2},
    {"crit_bit5", 0, 0x20, 34.85, 100, 10, 3, 0, 36.85, 41.85, 2},
    /* 180 % used and spare 5 < threshold 10 */
    {"worn", 0, 0, 34.85, 5, 10, 180, 0, 36.85, 41.85, 2},
    {"sensors_missing", 0, 0, 34.85, 100, 10, 3, 0, NAN, NAN, 0},
    {"temp_zero", 0, 0, NAN, 100, 10, 3, HL_NVME_IMPL_TEMP, 36.85, 41.85, 0},
    {"temp_hot", 0, 0, NAN, NAN, 10, 3,
     HL_NVME_IMPL_TEMP | (HL_NVME_IMPL_SENSOR0 << 1) | HL_NVME_IMPL_SPARE,
     36.85, NAN, 0},
    /* QEMU: spare 0 / threshold 0 is no finding */
    {"all_zero", 0, 0, NAN, 0, 0, 0, HL_NVME_IMPL_TEMP, NAN, NAN, 0},
    {"qemu", 0, 0, 49.85, 0, 0, 0, 0, NAN, NAN, 0},
    {"truncated", -EPROTO, 0, 0, 0, 0, 0, 0, 0, 0, 0},
};

START_TEST(test_smart_decode) {
  const struct smart_case *c = &smart_cases[_i];
  char rel[128];
  snprintf(rel, sizeof(rel), "smart/%s.bin", c->file);
  size_t len = 0;
  void *log = load(rel, &len);
  struct hl_nvme_health h;
  int rc = hl_nvme_health_from_log(log, len, &h);
  free(log);
  ck_assert_msg(rc == c->rc, "%s: rc %d want %d", c->file, rc, c->rc);
  if (rc != 0)
    return;
  ck_assert_uint_eq(h.critical_warning, c->crit);
  ck_assert_int_eq(h.warn_spare, (c->crit & 0x01) != 0);
  ck_assert_int_eq(h.warn_temperature, (c->crit & 0x02) != 0);
  ck_assert_int_eq(h.warn_degraded, (c->crit & 0x04) != 0);
  ck_assert_int_eq(h.warn_read_only, (c->crit & 0x08) != 0);
  ck_assert_int_eq(h.warn_volatile, (c->crit & 0x10) != 0);
  ck_assert_int_eq(h.warn_pmr_read_only, (c->crit & 0x20) != 0);
  assert_near(h.temperature, c->temp, "temperature");
  assert_near(h.avail_spare, c->spare, "spare");
  assert_near(h.spare_thresh, c->thresh, "thresh");
  assert_near(h.percent_used, c->used, "used");
  assert_near(h.temp_sensor[0], c->sensor1, "sensor1");
  assert_near(h.temp_sensor[1], c->sensor2, "sensor2");
  for (int i = 2; i < HL_NVME_TEMP_SENSORS; i++)
    ck_assert(isnan(h.temp_sensor[i]));
  ck_assert_uint_eq(h.implausible, c->implausible);
  struct hl_nvme_limits lim;
  hl_nvme_limits_default(&lim, NULL);
  ck_assert_int_eq(hl_nvme_health_level(&h, &lim), c->level);
}
END_TEST

START_TEST(test_smart_short_lengths) {
  size_t len = 0;
  void *log = load("smart/healthy.bin", &len);
  struct hl_nvme_health h;
  ck_assert_int_eq(hl_nvme_health_from_log(log, 0, &h), -EPROTO);
  ck_assert_int_eq(hl_nvme_health_from_log(log, 511, &h), -EPROTO);
  ck_assert_int_eq(hl_nvme_health_from_log(log, 512, &h), 0);
  ck_assert_int_eq(hl_nvme_health_from_log(NULL, 512, &h), -EINVAL);
  ck_assert_int_eq(hl_nvme_health_from_log(log, 512, NULL), -EINVAL);
  free(log);
}
END_TEST

START_TEST(test_smart_healthy_counters) {
  struct hl_nvme_health h;
  decode_fixture("healthy", &h);
  ck_assert_uint_eq(h.bytes_read, 12345678ull * 512000u);
  ck_assert_uint_eq(h.bytes_written, 23456789ull * 512000u);
  ck_assert_uint_eq(h.host_reads, 987654321u);
  ck_assert_uint_eq(h.host_writes, 876543210u);
  ck_assert_uint_eq(h.busy_minutes, 4321);
  ck_assert_uint_eq(h.power_cycles, 1234);
  ck_assert_uint_eq(h.power_on_hours, 15678);
  ck_assert_uint_eq(h.unsafe_shutdowns, 56);
  ck_assert_uint_eq(h.media_errors, 0);
  ck_assert_uint_eq(h.error_log_entries, 7);
}
END_TEST

START_TEST(test_smart_saturation) {
  struct hl_nvme_health h;
  decode_fixture("saturate", &h);
  ck_assert_uint_eq(h.bytes_read, UINT64_MAX); /* units fit, bytes do not */
  ck_assert_uint_eq(h.bytes_written,
                    (UINT64_MAX / 512000u) * 512000u); /* exact */
  ck_assert_uint_eq(h.host_reads, UINT64_MAX);         /* exactly 2^64-1 */
  ck_assert_uint_eq(h.host_writes, UINT64_MAX);        /* 2^64 */
  ck_assert_uint_eq(h.busy_minutes, UINT64_MAX);       /* 2^127 + 5 */
  ck_assert_uint_eq(h.power_cycles, UINT64_MAX);       /* 2^64 + 1 */
  ck_assert_uint_eq(h.power_on_hours, UINT64_MAX);     /* 2^128 - 1 */
  ck_assert_uint_eq(h.unsafe_shutdowns, 56);
}
END_TEST

/* ---- metric table ---- */

static const struct field_want {
  const char *name;
  enum hl_nvme_kind kind;
  double value;
} distinct_want[] = {
    {"critical_warning", HL_NVME_GAUGE, 0x15},
    {"warn_spare", HL_NVME_GAUGE, 1},
    {"warn_temperature", HL_NVME_GAUGE, 0},
    {"warn_degraded", HL_NVME_GAUGE, 1},
    {"warn_read_only", HL_NVME_GAUGE, 0},
    {"warn_volatile", HL_NVME_GAUGE, 1},
    {"warn_pmr_read_only", HL_NVME_GAUGE, 0},
    {"endurance_warning", HL_NVME_GAUGE, 2},
    {"temperature", HL_NVME_GAUGE, 320 - 273.15},
    {"temp_sensor1", HL_NVME_GAUGE, 301 - 273.15},
    {"temp_sensor2", HL_NVME_GAUGE, 302 - 273.15},
    {"temp_sensor3", HL_NVME_GAUGE, 303 - 273.15},
    {"temp_sensor4", HL_NVME_GAUGE, 304 - 273.15},
    {"temp_sensor5", HL_NVME_GAUGE, 305 - 273.15},
    {"temp_sensor6", HL_NVME_GAUGE, 306 - 273.15},
    {"temp_sensor7", HL_NVME_GAUGE, 307 - 273.15},
    {"temp_sensor8", HL_NVME_GAUGE, 309 - 273.15},
    {"avail_spare", HL_NVME_GAUGE, 97},
    {"spare_thresh", HL_NVME_GAUGE, 11},
    {"percent_used", HL_NVME_GAUGE, 42},
    {"bytes_read", HL_NVME_COUNTER, 1001.0 * 512000},
    {"bytes_written", HL_NVME_COUNTER, 1002.0 * 512000},
    {"host_reads", HL_NVME_COUNTER, 1003},
    {"host_writes", HL_NVME_COUNTER, 1004},
    {"busy_minutes", HL_NVME_COUNTER, 1005},
    {"power_cycles", HL_NVME_COUNTER, 1006},
    {"power_on_hours", HL_NVME_COUNTER, 1007},
    {"unsafe_shutdowns", HL_NVME_COUNTER, 1008},
    {"media_errors", HL_NVME_COUNTER, 1009},
    {"error_log_entries", HL_NVME_COUNTER, 1010},
    {"warn_temp_minutes", HL_NVME_COUNTER, 1011},
    {"crit_temp_minutes", HL_NVME_COUNTER, 1012},
    {"thermal_t1_transitions", HL_NVME_COUNTER, 1013},
    {"thermal_t2_transitions", HL_NVME_COUNTER, 1014},
    {"thermal_t1_seconds", HL_NVME_COUNTER, 1015},
    {"thermal_t2_seconds", HL_NVME_COUNTER, 1016},
};

START_TEST(test_table_walk) {
  struct hl_nvme_health h;
  decode_fixture("distinct", &h);
  size_t n = 0;
  const struct hl_nvme_field *f = hl_nvme_fields(&n);
  ck_assert_uint_eq(n, (size_t)ARRAY_SIZE(distinct_want));
  int seen[ARRAY_SIZE(distinct_want)] = {0};
  for (size_t i = 0; i < n; i++) {
    int w = 0;
    while (w < ARRAY_SIZE(distinct_want) &&
           strcmp(distinct_want[w].name, f[i].name) != 0)
      w++;
    ck_assert_msg(w < ARRAY_SIZE(distinct_want), "unexpected %s", f[i].name);
    seen[w]++;
    ck_assert_msg(f[i].kind == distinct_want[w].kind, "%s kind", f[i].name);
    double g = -1;
    uint64_t u = 0;
    ck_assert_msg(hl_nvme_field_get(&h, &f[i], &g, &u), "%s", f[i].name);
    assert_near(g, distinct_want[w].value, f[i].name);
    if (f[i].kind == HL_NVME_COUNTER)
      ck_assert_uint_eq(u, (uint64_t)distinct_want[w].value);
  }
  for (int w = 0; w < ARRAY_SIZE(distinct_want); w++)
    ck_assert_msg(seen[w] == 1, "%s seen %d times", distinct_want[w].name,
                  seen[w]);
}
END_TEST

static size_t ctype_size(enum hl_nvme_ctype t) {
  switch (t) {
  case HL_NVME_T_BOOL:
    return sizeof(bool);
  case HL_NVME_T_U8:
    return 1;
  case HL_NVME_T_DOUBLE:
    return sizeof(double);
  case HL_NVME_T_U64:
    return sizeof(uint64_t);
  }
  return 0;
}

/* Names are type_instance-safe, members never overlap, units are set. */
START_TEST(test_table_shape) {
  size_t n = 0;
  const struct hl_nvme_field *f = hl_nvme_fields(&n);
  unsigned char used[sizeof(struct hl_nvme_health)] = {0};
  for (size_t i = 0; i < n; i++) {
    ck_assert_ptr_null(strpbrk(f[i].name, "-/ "));
    ck_assert_ptr_nonnull(f[i].unit);
    size_t sz = ctype_size(f[i].ctype);
    ck_assert_uint_le(f[i].offset + sz, sizeof(struct hl_nvme_health));
    ck_assert_uint_ne(f[i].offset,
                      offsetof(struct hl_nvme_health, implausible));
    for (size_t b = 0; b < sz; b++)
      ck_assert_msg(used[f[i].offset + b]++ == 0, "%s overlaps", f[i].name);
  }
}
END_TEST

/* A missing or implausible value is not dispatched. */
START_TEST(test_table_missing) {
  struct hl_nvme_health h;
  decode_fixture("temp_hot", &h);
  size_t n = 0;
  const struct hl_nvme_field *f = hl_nvme_fields(&n);
  size_t missing = 0;
  for (size_t i = 0; i < n; i++)
    if (!hl_nvme_field_get(&h, &f[i], NULL, NULL))
      missing++;
  /* composite, sensors 2-8, avail_spare */
  ck_assert_uint_eq(missing, 9);
}
END_TEST

START_TEST(test_crit_text) {
  static const char *const want[] = {
      "available spare below threshold",
      "temperature above or below a threshold",
      "reliability degraded by media or internal errors",
      "media placed in read-only mode",
      "volatile memory backup failed",
      "persistent memory region read-only",
  };
  for (unsigned b = 0; b < HL_NVME_CRIT_BITS; b++)
    ck_assert_str_eq(hl_nvme_crit_text(b), want[b]);
  ck_assert_ptr_null(hl_nvme_crit_text(6));
  ck_assert_ptr_null(hl_nvme_crit_text(7));
  ck_assert_ptr_null(hl_nvme_crit_text(UINT_MAX));
}
END_TEST

/* ---- health level ---- */

static const struct level_case {
  const char *what;
  unsigned crit;
  double temp, spare, thresh, used;
  double warn_c, crit_c, warn_used;
  int level;
  unsigned reasons;
} level_cases[] = {
    {"all fine", 0, 40, 100, 10, 3, 70, 80, 80, 0, 0},
    {"qemu 0/0", 0, 49.85, 0, 0, 0, 69.85, 99.85, 80, 0, 0},
    {"spare low", 0, 40, 9, 10, 3, 70, 80, 80, 2, HL_NVME_R_SPARE_LOW},
    {"spare at thresh", 0, 40, 10, 10, 3, 70, 80, 80, 0, 0},
    {"temp bit, cool", 0x02, 40, 100, 10, 3, 70, 80, 80, 1, 0x02},
    {"temp bit, hot", 0x02, 80, 100, 10, 3, 70, 80, 80, 2,
     0x02 | HL_NVME_R_TEMP_WARN | HL_NVME_R_TEMP_CRIT},
    {"temp bit, no temp", 0x02, NAN, 100, 10, 3, 70, 80, 80, 1, 0x02},
    {"warm", 0, 70, 100, 10, 3, 70, 80, 80, 1, HL_NVME_R_TEMP_WARN},
    {"just below warm", 0, 69.99, 100, 10, 3, 70, 80, 80, 0, 0},
    {"hot", 0, 85, 100, 10, 3, 70, 80, 80, 2,
     HL_NVME_R_TEMP_WARN | HL_NVME_R_TEMP_CRIT},
    {"worn", 0, 40, 100, 10, 80, 70, 80, 80, 1, HL_NVME_R_WORN},
    {"worn, check off", 0, 40, 100, 10, 250, 70, 80, NAN, 0, 0},
    {"read-only", 0x08, 40, 100, 10, 3, 70, 80, 80, 2, 0x08},
    {"reserved bits", 0xc0, 40, 100, 10, 3, 70, 80, 80, 0, 0},
    {"nan spare", 0, 40, NAN, 10, 3, 70, 80, 80, 0, 0},
};

START_TEST(test_health_level) {
  const struct level_case *c = &level_cases[_i];
  struct hl_nvme_health h = {.critical_warning = (uint8_t)c->crit,
                             .temperature = c->temp,
                             .avail_spare = c->spare,
                             .spare_thresh = c->thresh,
                             .percent_used = c->used};
  struct hl_nvme_limits lim = {c->warn_c, c->crit_c, c->warn_used};
  ck_assert_msg(hl_nvme_health_level(&h, &lim) == c->level, "%s", c->what);
  ck_assert_msg(hl_nvme_health_reasons(&h, &lim) == c->reasons,
                "%s: reasons %#x", c->what, hl_nvme_health_reasons(&h, &lim));
}
END_TEST

/* ---- Identify ---- */

static const struct ctrl_case {
  const char *file;
  uint16_t vid;
  const char *sn, *mn, *fr;
  double wctemp, cctemp;
  uint64_t tnvmcap;
  uint32_t nn;
  uint8_t lpa;
  double warn, crit; /* hl_nvme_limits_default() from it */
} ctrl_cases[] = {
    {"ctrl_qemu", 0x1b36, "deadbeef", "QEMU NVMe Ctrl", "7.2.22", 69.85, 99.85,
     0, 256, 0x07, 69.85, 99.85},
    /* non-printables, NUL padding, leading blanks, no thresholds, 2^64+1 */
    {"ctrl_weird", 0x144d, "S4EW?NX0?", "Samsung SSD?980", "1B4Q", NAN, NAN,
     UINT64_MAX, 1, 0, 70, 80},
    /* WCTEMP 600 K is implausible: fallback for it only */
    {"ctrl_hot", 0x1e0f, "X", "Y", "Z", NAN, 99.85, 1000204886016u, 1, 0x03, 70,
     99.85},
};

START_TEST(test_ctrl_decode) {
  const struct ctrl_case *c = &ctrl_cases[_i];
  char rel[128];
  snprintf(rel, sizeof(rel), "id/%s.bin", c->file);
  size_t len = 0;
  void *buf = load(rel, &len);
  struct hl_nvme_ctrl_info id;
  ck_assert_int_eq(hl_nvme_ctrl_from_id(buf, len - 1, &id), -EPROTO);
  ck_assert_int_eq(hl_nvme_ctrl_from_id(buf, len, &id), 0);
  free(buf);
  ck_assert_uint_eq(id.vid, c->vid);
  ck_assert_str_eq(id.serial, c->sn);
  ck_assert_str_eq(id.model, c->mn);
  ck_assert_str_eq(id.firmware, c->fr);
  assert_near(id.wctemp_c, c->wctemp, "wctemp");
  assert_near(id.cctemp_c, c->cctemp, "cctemp");
  ck_assert_uint_eq(id.tnvmcap, c->tnvmcap);
  ck_assert_uint_eq(id.nn, c->nn);
  ck_assert_uint_eq(id.lpa, c->lpa);
  struct hl_nvme_limits lim;
  hl_nvme_limits_default(&lim, &id);
  assert_near(lim.warn_temp_c, c->warn, "warn limit");
  assert_near(lim.crit_temp_c, c->crit, "crit limit");
  assert_near(lim.warn_percent_used, HL_NVME_DEFAULT_WARN_PERCENT_USED, "pu");
}
END_TEST

static const struct ns_case {
  const char *file;
  int rc;
  uint32_t lba;
  uint64_t size, cap, used;
  double pct;
  bool thin;
} ns_cases[] = {
    {"ns_qemu", 0, 512, 262144ull * 512, 262144ull * 512, 65536ull * 512, 25,
     false},
    {"ns_4k", 0, 4096, 1953506646ull * 4096, 1953506646ull * 4096,
     1953506646ull * 4096, 100, false},
    /* 20 formats: FLBAS bits 6:5 extend the index to 17 */
    {"ns_hiidx", 0, 4096, 4096000, 4096000, 2048000, 50, false},
    {"ns_bad_flbas", -EPROTO, 0, 0, 0, 0, 0, false},
    {"ns_bad_lbads", -EPROTO, 0, 0, 0, 0, 0, false},
    {"ns_lbads_zero", -EPROTO, 0, 0, 0, 0, 0, false},
    {"ns_inactive", -ENODATA, 0, 0, 0, 0, 0, false},
};

START_TEST(test_ns_decode) {
  const struct ns_case *c = &ns_cases[_i];
  char rel[128];
  snprintf(rel, sizeof(rel), "id/%s.bin", c->file);
  size_t len = 0;
  void *buf = load(rel, &len);
  struct hl_nvme_ns_info ns;
  ck_assert_int_eq(hl_nvme_ns_from_id(buf, len - 1, 1, &ns), -EPROTO);
  int rc = hl_nvme_ns_from_id(buf, len, 7, &ns);
  free(buf);
  ck_assert_msg(rc == c->rc, "%s: rc %d", c->file, rc);
  if (rc != 0)
    return;
  ck_assert_uint_eq(ns.nsid, 7);
  ck_assert_uint_eq(ns.lba_size, c->lba);
  ck_assert_uint_eq(ns.size_bytes, c->size);
  ck_assert_uint_eq(ns.cap_bytes, c->cap);
  ck_assert_uint_eq(ns.used_bytes, c->used);
  assert_near(ns.used_pct, c->pct, "used_pct");
  ck_assert_msg(ns.thin == c->thin, "%s: thin", c->file);
}
END_TEST

START_TEST(test_ns_thin_flag) {
  size_t len = 0;
  void *buf = load("id/ns_4k.bin", &len);
  struct hl_nvme_ns_info ns;
  ck_assert_int_eq(hl_nvme_ns_from_id(buf, len, 1, &ns), 0);
  ck_assert(!ns.thin); /* NSFEAT 0x1a: bit 0 clear */
  free(buf);
  buf = load("id/ns_qemu.bin", &len);
  ck_assert_int_eq(hl_nvme_ns_from_id(NULL, len, 1, &ns), -EINVAL);
  ck_assert_int_eq(hl_nvme_ns_from_id(buf, len, 1, NULL), -EINVAL);
  free(buf);
}
END_TEST

/* ---- names ---- */

static const struct name_case {
  const char *in;
  int rc;
  const char *want;
} name_cases[] = {
    {"/dev/nvme0", 0, "nvme0"},
    {"nvme1", 0, "nvme1"},
    {"/dev/nvme0n1", 0, "nvme0"},
    {"/dev/nvme12n3p1", 0, "nvme12"},
    {"nvme3n1p10", 0, "nvme3"},
    {"/dev/nvme0c1n1", 0, "nvme1"}, /* multipath path device */
    {"nvme123456789", 0, "nvme123456789"},
    {"/dev/sda", -EINVAL, NULL},
    {"", -EINVAL, NULL},
    {"nvme", -EINVAL, NULL},
    {"nvmex", -EINVAL, NULL},
    {"nvme01", -EINVAL, NULL},
    {"nvme0n", -EINVAL, NULL},
    {"nvme0n1p", -EINVAL, NULL},
    {"nvme0c1", -EINVAL, NULL},
    {"nvme0p1", -EINVAL, NULL},
    {"nvme0 ", -EINVAL, NULL},
    {"nvme-fabrics", -EINVAL, NULL},
    {"nvme-subsys0", -EINVAL, NULL},
    {"/dev/nvme0/", -EINVAL, NULL},
    {"nvme1234567890", -EINVAL, NULL},
    {"/dev/disk/by-id/nvme-QEMU_NVMe_Ctrl_deadbeef", -EINVAL, NULL},
};

START_TEST(test_ctrl_name) {
  const struct name_case *c = &name_cases[_i];
  char out[HL_NVME_NAME_MAX] = "unchanged";
  int rc = hl_nvme_ctrl_name(c->in, out, sizeof(out));
  ck_assert_msg(rc == c->rc, "'%s': rc %d", c->in, rc);
  if (c->want != NULL)
    ck_assert_str_eq(out, c->want);
}
END_TEST

START_TEST(test_ctrl_name_small) {
  char out[6];
  ck_assert_int_eq(hl_nvme_ctrl_name("nvme0", out, sizeof(out)), 0);
  ck_assert_int_eq(hl_nvme_ctrl_name("nvme10", out, sizeof(out)),
                   -ENAMETOOLONG);
  ck_assert_int_eq(hl_nvme_ctrl_name(NULL, out, sizeof(out)), -EINVAL);
}
END_TEST

static const struct sysname_case {
  const char *in;
  const char *want;
} sysname_cases[] = {
    {"/dev/nvme0n1", "nvme0"},   /* device -> .../nvme0 */
    {"/dev/nvme0n1p2", "nvme0"}, /* partition: its disk's link */
    {"nvme5n1", "nvme6"},        /* multipath head -> lowest of subsys5 */
    {"nvme9n1", "nvme9"},        /* not in sysfs: pure mapping */
    {"nvme3", "nvme3"},          /* controllers are not looked up */
    {"nvme2c7n1", "nvme7"},
};

START_TEST(test_ctrl_name_sysfs) {
  const struct sysname_case *c = &sysname_cases[_i];
  char root[4096], out[HL_NVME_NAME_MAX];
  fixtures_sysfs(root, sizeof(root));
  ck_assert_int_eq(hl_nvme_ctrl_name_sysfs(root, c->in, out, sizeof(out)), 0);
  ck_assert_str_eq(out, c->want);
  ck_assert_int_eq(hl_nvme_ctrl_name_sysfs(root, "sda", out, sizeof(out)),
                   -EINVAL);
}
END_TEST

/* ---- sysfs fallback ---- */

START_TEST(test_discover) {
  char root[4096];
  fixtures_sysfs(root, sizeof(root));
  char names[4][HL_NVME_NAME_MAX];
  size_t n = 0;
  ck_assert_int_eq(hl_nvme_discover(root, names, 4, &n), 0);
  ck_assert_uint_eq(n, 3);
  ck_assert_str_eq(names[0], "nvme0");
  ck_assert_str_eq(names[1], "nvme1");
  ck_assert_str_eq(names[2], "nvme10");
  ck_assert_int_eq(hl_nvme_discover(root, names, 1, &n), 0);
  ck_assert_uint_eq(n, 3); /* only one stored */
  ck_assert_int_eq(hl_nvme_discover("/nonexistent-hl", names, 4, &n), 0);
  ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(test_sysfs_nvme0) {
  char root[4096];
  fixtures_sysfs(root, sizeof(root));
  struct hl_nvme_sysfs s;
  ck_assert_int_eq(hl_nvme_sysfs_read(root, "nvme0", &s), 0);
  unsigned want =
      HL_NVME_HAVE_MODEL | HL_NVME_HAVE_SERIAL | HL_NVME_HAVE_FIRMWARE |
      HL_NVME_HAVE_STATE | HL_NVME_HAVE_HWMON | HL_NVME_HAVE_TEMP |
      HL_NVME_HAVE_TEMP_MAX | HL_NVME_HAVE_TEMP_MIN | HL_NVME_HAVE_TEMP_CRIT |
      HL_NVME_HAVE_ALARM | HL_NVME_HAVE_SENSOR0 | (HL_NVME_HAVE_SENSOR0 << 7);
  ck_assert_uint_eq(s.have, want);
  ck_assert_str_eq(s.model, "QEMU NVMe Ctrl");
  ck_assert_str_eq(s.serial, "deadbeef");
  ck_assert_str_eq(s.firmware, "7.2.22");
  ck_assert_str_eq(s.state, "live");
  ck_assert_ptr_nonnull(strstr(s.hwmon, "/class/nvme/nvme0/hwmon0"));
  assert_near(s.temperature, 49.85, "composite");
  assert_near(s.temp_sensor[0], 51.85, "sensor 1");
  assert_near(s.temp_sensor[7], 44.85, "sensor 8");
  assert_near(s.temp_sensor[1], NAN, "sensor 2");
  assert_near(s.temp_max, 69.85, "max");
  assert_near(s.temp_min, -273.15, "min");
  assert_near(s.temp_crit, 99.85, "crit");
  ck_assert(!s.alarm);
}
END_TEST

START_TEST(test_sysfs_others) {
  char root[4096];
  fixtures_sysfs(root, sizeof(root));
  struct hl_nvme_sysfs s;
  /* hwmon below device/hwmon, after a foreign one; unlabelled channels */
  ck_assert_int_eq(hl_nvme_sysfs_read(root, "nvme1", &s), 0);
  ck_assert_uint_eq(s.have, HL_NVME_HAVE_MODEL | HL_NVME_HAVE_STATE |
                                HL_NVME_HAVE_HWMON | HL_NVME_HAVE_TEMP |
                                HL_NVME_HAVE_ALARM |
                                (HL_NVME_HAVE_SENSOR0 << 1));
  ck_assert_ptr_nonnull(strstr(s.hwmon, "device/hwmon/hwmon4"));
  assert_near(s.temperature, 85, "composite");
  assert_near(s.temp_sensor[0], NAN, "garbage sensor 1");
  assert_near(s.temp_sensor[1], 60, "sensor 2");
  assert_near(s.temp_sensor[2], NAN, "0 K sensor 3");
  assert_near(s.temp_sensor[3], NAN, "500 K sensor 4");
  assert_near(s.temp_crit, NAN, "no crit");
  ck_assert(s.alarm);
  ck_assert_str_eq(s.state, "resetting");
  /* no hwmon at all */
  ck_assert_int_eq(hl_nvme_sysfs_read(root, "nvme10", &s), 0);
  ck_assert_uint_eq(s.have, HL_NVME_HAVE_MODEL);
  ck_assert_str_eq(s.hwmon, "");
  ck_assert(isnan(s.temperature));
  ck_assert_int_eq(hl_nvme_sysfs_read(root, "nvme9", &s), -ENOENT);
  ck_assert_int_eq(hl_nvme_sysfs_read(root, "nvme0n1", &s), -EINVAL);
  ck_assert_int_eq(hl_nvme_sysfs_read(root, "../nvme0", &s), -EINVAL);
}
END_TEST

/* ---- I/O on devices that are not NVMe ---- */

/*
 * A character device that is not NVMe. /dev/null first, but sandboxes have
 * been seen with /dev/null replaced by a regular file, so look further.
 */
static const char *some_chardev(void) {
  static const char *const devs[] = {"/dev/null", "/dev/zero", "/dev/full",
                                     "/dev/random", "/dev/urandom"};
  for (int i = 0; i < ARRAY_SIZE(devs); i++) {
    struct stat st;
    if (stat(devs[i], &st) == 0 && S_ISCHR(st.st_mode))
      return devs[i];
  }
  return NULL;
}

/* A temp dir: "nvme0" -> a non-NVMe character device, "nvme1" a file. */
static void make_devdir(char *dir, size_t size, const char *chardev) {
  snprintf(dir, size, "/tmp/hl_nvme_dev.XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char p[PATH_MAX];
  snprintf(p, sizeof(p), "%s/nvme0", dir);
  ck_assert_int_eq(symlink(chardev, p), 0);
  snprintf(p, sizeof(p), "%s/nvme1", dir);
  int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
  ck_assert_int_ge(fd, 0);
  close(fd);
}

static void remove_devdir(const char *dir) {
  char p[PATH_MAX];
  snprintf(p, sizeof(p), "%s/nvme0", dir);
  unlink(p);
  snprintf(p, sizeof(p), "%s/nvme1", dir);
  unlink(p);
  rmdir(dir);
}

START_TEST(test_io_not_nvme) {
  const char *chardev = some_chardev();
  ck_assert_msg(chardev != NULL, "no character device in /dev");
  char dir[64];
  make_devdir(dir, sizeof(dir), chardev);
  ck_assert_int_eq(hl_nvme_open(dir, "nvme7"), -ENOENT);
  ck_assert_int_eq(hl_nvme_open(dir, "nvme1"), -ENOTTY);
  ck_assert_int_eq(hl_nvme_open(dir, "nvme0n1"), -EINVAL);
  ck_assert_int_eq(hl_nvme_open(dir, "../null"), -EINVAL);
  ck_assert_int_eq(hl_nvme_open("/nonexistent-hl", "nvme0"), -ENOENT);
  int fd = hl_nvme_open(dir, "nvme0");
  ck_assert_int_ge(fd, 0);
  uint8_t buf[HL_NVME_IDENTIFY_LEN];
  ck_assert_int_eq(hl_nvme_get_smart_log(fd, buf, 512), -ENOTTY);
  ck_assert_int_eq(hl_nvme_identify_ctrl(fd, buf, sizeof(buf)), -ENOTTY);
  ck_assert_int_eq(hl_nvme_identify_ns(fd, 1, buf, sizeof(buf)), -ENOTTY);
  struct hl_nvme_health h;
  struct hl_nvme_ctrl_info id;
  ck_assert_int_eq(hl_nvme_read_health(fd, &h), -ENOTTY);
  ck_assert_int_eq(hl_nvme_read_ctrl(fd, &id), -ENOTTY);
  struct hl_nvme_ns_info ns[2];
  size_t n = 99;
  ck_assert_int_eq(hl_nvme_read_namespaces(fd, 4, ns, 2, &n), -ENOTTY);
  ck_assert_uint_eq(n, 0);
  close(fd);
  remove_devdir(dir);
}
END_TEST

START_TEST(test_io_bad_args) {
  uint8_t buf[HL_NVME_IDENTIFY_LEN];
  ck_assert_int_eq(hl_nvme_get_smart_log(-1, buf, 511), -EINVAL);
  ck_assert_int_eq(hl_nvme_get_smart_log(-1, NULL, 512), -EINVAL);
  ck_assert_int_eq(hl_nvme_identify_ctrl(-1, buf, 4095), -EINVAL);
  ck_assert_int_eq(hl_nvme_identify_ns(-1, 0, buf, sizeof(buf)), -EINVAL);
  ck_assert_int_eq(hl_nvme_identify_ns(-1, 0xffffffffu, buf, sizeof(buf)),
                   -EINVAL);
  ck_assert_int_eq(hl_nvme_get_smart_log(-1, buf, 512), -EBADF);
  ck_assert_int_eq(hl_nvme_open(NULL, "nvme0"), -EINVAL);
  /* an NVMe status has text; 0x4002 is "Invalid Field in Command" + DNR */
  ck_assert_ptr_nonnull(hl_nvme_status_str(0x4002));
  ck_assert_uint_gt(strlen(hl_nvme_status_str(0x2)), 0);
}
END_TEST

/* The real machine: whatever it has must not crash (CI has no NVMe). */
START_TEST(test_io_this_machine) {
  char names[8][HL_NVME_NAME_MAX];
  size_t n = 0;
  ck_assert_int_eq(hl_nvme_discover("/sys", names, 8, &n), 0);
  for (size_t i = 0; i < n && i < 8; i++) {
    struct hl_nvme_sysfs s;
    ck_assert_int_eq(hl_nvme_sysfs_read("/sys", names[i], &s), 0);
    int fd = hl_nvme_open("/dev", names[i]);
    if (fd < 0)
      continue;
    struct hl_nvme_health h;
    int rc = hl_nvme_read_health(fd, &h);
    ck_assert(rc == 0 || rc > 0 || rc == -EPERM || rc == -EACCES);
    close(fd);
  }
}
END_TEST

Suite *hl_nvme_suite(void) {
  Suite *s = suite_create("hl_nvme");
  TCase *tc = tcase_create("smart");
  tcase_add_loop_test(tc, test_smart_decode, 0, ARRAY_SIZE(smart_cases));
  tcase_add_test(tc, test_smart_short_lengths);
  tcase_add_test(tc, test_smart_healthy_counters);
  tcase_add_test(tc, test_smart_saturation);
  tcase_add_test(tc, test_table_walk);
  tcase_add_test(tc, test_table_shape);
  tcase_add_test(tc, test_table_missing);
  tcase_add_test(tc, test_crit_text);
  tcase_add_loop_test(tc, test_health_level, 0, ARRAY_SIZE(level_cases));
  suite_add_tcase(s, tc);

  tc = tcase_create("identify");
  tcase_add_loop_test(tc, test_ctrl_decode, 0, ARRAY_SIZE(ctrl_cases));
  tcase_add_loop_test(tc, test_ns_decode, 0, ARRAY_SIZE(ns_cases));
  tcase_add_test(tc, test_ns_thin_flag);
  suite_add_tcase(s, tc);

  tc = tcase_create("names");
  tcase_add_loop_test(tc, test_ctrl_name, 0, ARRAY_SIZE(name_cases));
  tcase_add_test(tc, test_ctrl_name_small);
  tcase_add_loop_test(tc, test_ctrl_name_sysfs, 0, ARRAY_SIZE(sysname_cases));
  suite_add_tcase(s, tc);

  tc = tcase_create("sysfs");
  tcase_add_test(tc, test_discover);
  tcase_add_test(tc, test_sysfs_nvme0);
  tcase_add_test(tc, test_sysfs_others);
  suite_add_tcase(s, tc);

  tc = tcase_create("io");
  tcase_add_test(tc, test_io_not_nvme);
  tcase_add_test(tc, test_io_bad_args);
  tcase_add_test(tc, test_io_this_machine);
  suite_add_tcase(s, tc);
  return s;
}
