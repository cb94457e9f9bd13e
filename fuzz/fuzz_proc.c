// SPDX-License-Identifier: MIT
/*
 * fuzz_proc: the /proc parsers of hl_proc (and ip_local_port_range of
 * hl_ports) on arbitrary bytes.
 *
 * Every input is parsed as /proc/stat, /proc/meminfo, /proc/uptime,
 * /proc/loadavg, /proc/self/mounts and ip_local_port_range, so one seed
 * file of any kind exercises all of them. What the plugin derives from a
 * parse runs too, with its documented bounds checked: CPU percentages
 * between the aggregate line and each CPU, memory arithmetic, mount
 * selection and instance names, and statvfs arithmetic on the first bytes
 * taken as a struct statvfs. Seeds: the files of tests/fixtures/proc and
 * tests/fixtures/ports/proc.
 */
#include "fuzz.h"

#include "hl_ports.h"
#include "hl_proc.h"

#include <errno.h>
#include <math.h>

/*
 * Whether @p is a percentage. hl_pct() computes 100 * part / whole, which
 * rounds above 100 (100.00000000000001) when part == whole as doubles and
 * 100 * whole is inexact: counts with more than ~46 significant bits, which
 * no real filesystem has (reported; input in tests/fixtures/fuzz/proc).
 * Tolerated without FUZZ_STRICT.
 */
static bool pct_ok(double p) {
  return isnan(p) || (p >= 0 && p <= (fz_strict() ? 100.0 : 100.0 + 1e-9));
}

static void check_pct(const struct hl_cpu_times *a,
                      const struct hl_cpu_times *b) {
  struct hl_cpu_pct pct;
  if (hl_cpu_percent(a, b, &pct) != 0)
    return;
  double sum = 0;
  for (int i = 0; i < HL_CPU_GUEST; i++) {
    FZ_CHECK(pct.state[i] >= 0 && pct.state[i] <= 100.0 + 1e-9);
    sum += pct.state[i];
  }
  FZ_CHECK(fabs(sum - 100.0) < 1e-6);
  FZ_CHECK(isfinite(pct.active) && pct.active >= -1e-9 &&
           pct.active <= 100.0 + 1e-9);
  for (int i = HL_CPU_GUEST; i < HL_CPU_STATES; i++)
    FZ_CHECK(isfinite(pct.state[i]) && pct.state[i] >= 0);
}

static void fuzz_stat(const char *buf, size_t len) {
  struct hl_stat st = {0};
  int rc = hl_proc_parse_stat(buf, len, &st);
  FZ_CHECK(rc == 0 || rc == -EPROTO);
  if (rc == 0) {
    FZ_CHECK(st.all.id == -1);
    FZ_CHECK(st.ncpu <= st.cpu_cap);
    struct hl_cpu_times zero = {.id = -1};
    check_pct(&zero, &st.all);
    for (size_t i = 0; i < st.ncpu; i++) {
      FZ_CHECK(st.cpu[i].id >= 0);
      check_pct(&st.cpu[i], &st.all);
      check_pct(&zero, &st.cpu[i]);
    }
  }
  /* The cpu array is reused: a second parse must not leak or grow wrong. */
  rc = hl_proc_parse_stat(buf, len, &st);
  FZ_CHECK(rc == 0 || rc == -EPROTO);
  hl_stat_free(&st);
  FZ_CHECK(st.cpu == NULL && st.ncpu == 0);
}

static void fuzz_meminfo(const char *buf, size_t len) {
  struct hl_meminfo mi;
  int rc = hl_proc_parse_meminfo(buf, len, &mi);
  FZ_CHECK(rc == 0 || rc == -EPROTO);
  if (rc != 0)
    return;
  FZ_CHECK(mi.available <= mi.total);
  FZ_CHECK(mi.used == mi.total - mi.available);
  FZ_CHECK(mi.swap_used <= mi.swap_total);
  double p = hl_pct(mi.used, mi.total);
  FZ_CHECK(mi.total == 0 ? isnan(p) : (!isnan(p) && pct_ok(p)));
}

static void fuzz_small(const char *buf, size_t len) {
  double up = -1;
  int rc = hl_proc_parse_uptime(buf, len, &up);
  FZ_CHECK(rc == 0 || rc == -EPROTO);
  FZ_CHECK(rc != 0 || (isfinite(up) && up >= 0));

  struct hl_loadavg la;
  rc = hl_proc_parse_loadavg(buf, len, &la);
  FZ_CHECK(rc == 0 || rc == -EPROTO);
  for (int i = 0; rc == 0 && i < 3; i++)
    FZ_CHECK(isfinite(la.load[i]) && la.load[i] >= 0);

  uint32_t lo = 0, hi = 0;
  rc = hl_ports_parse_range(buf, len, &lo, &hi);
  FZ_CHECK(rc == 0 || rc == -EPROTO);
  FZ_CHECK(rc != 0 || (lo >= 1 && lo <= hi && hi <= 65535));
}

static void fuzz_mounts(const char *buf, size_t len) {
  struct hl_mounts ms = {0};
  int rc = hl_proc_parse_mounts(buf, len, &ms);
  FZ_CHECK(rc == 0);
  FZ_CHECK(ms.n <= ms.cap);
  bool *want = fz_dup("", ms.n * sizeof(bool));
  size_t nsel = hl_mounts_select(&ms, want);
  size_t count = 0;
  for (size_t i = 0; i < ms.n; i++) {
    const struct hl_mount *m = &ms.m[i];
    FZ_CHECK(m->device != NULL && m->dir != NULL && m->fstype != NULL);
    count += want[i];
    const struct hl_mount *found = hl_mounts_find(&ms, m->dir);
    FZ_CHECK(found != NULL && strcmp(found->dir, m->dir) == 0);
    (void)hl_fs_is_pseudo(m->fstype);
    char name[128];
    rc = hl_mount_name(m->dir, name, sizeof(name));
    FZ_CHECK(rc == 0 || rc == -ENAMETOOLONG);
    if (rc == 0) {
      FZ_CHECK(fz_terminated(name, sizeof(name)));
      FZ_CHECK(strchr(name, '/') == NULL);
    }
  }
  FZ_CHECK(count == nsel);
  free(want);
  /* Replacing a table frees the old one. */
  FZ_CHECK(hl_proc_parse_mounts(buf, len, &ms) == 0);
  hl_mounts_free(&ms);
}

static void fuzz_statvfs(const uint8_t *data, size_t size) {
  struct statvfs sv;
  if (size < sizeof(sv))
    return;
  memcpy(&sv, data, sizeof(sv));
  struct hl_fsstat fs;
  if (hl_fs_from_statvfs(&sv, &fs) != 0)
    return;
  FZ_CHECK(fs.used <= fs.total && fs.free <= fs.total);
  FZ_CHECK(pct_ok(fs.used_pct));
  FZ_CHECK(fs.inodes_used <= fs.inodes_total);
  FZ_CHECK(pct_ok(fs.inodes_pct));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *buf = (const char *)data;
  fuzz_stat(buf, size);
  fuzz_meminfo(buf, size);
  fuzz_small(buf, size);
  fuzz_mounts(buf, size);
  fuzz_statvfs(data, size);
  return 0;
}
