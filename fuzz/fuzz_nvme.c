// SPDX-License-Identifier: MIT
/*
 * fuzz_nvme: the pure NVMe decoders of hl_nvme on raw drive bytes.
 *
 * Every input goes through all three decoders, as a drive's answer would:
 * the SMART / Health log (512 bytes), Identify Controller and Identify
 * Namespace (4096 bytes each); shorter inputs must be refused. Decoded
 * results are checked against hl_nvme.h: temperatures NAN or plausible,
 * percentages NAN or 0..100, the warning flags equal to their bits, strings
 * printable and trimmed, LBA sizes 2^9..2^24, saturating byte counts. The
 * metric table, the health summary and the controller-name parser (on the
 * input as a path) run too. Seeds: the .bin files of tests/fixtures/nvme/
 * smart and tests/fixtures/nvme/id.
 */
#include "fuzz.h"

#include "hl_nvme.h"

#include <errno.h>
#include <math.h>

static void check_temp(double c) {
  FZ_CHECK(isnan(c) || (c >= HL_NVME_TEMP_MIN_C && c <= HL_NVME_TEMP_MAX_C));
}

static void check_ascii(const char *s, size_t size) {
  FZ_CHECK(fz_terminated(s, size));
  size_t n = strlen(s);
  for (size_t i = 0; i < n; i++)
    FZ_CHECK(s[i] >= 0x20 && s[i] < 0x7f);
  FZ_CHECK(n == 0 || (s[0] != ' ' && s[n - 1] != ' '));
}

static uint64_t mul_sat(uint64_t a, uint64_t b) {
  return b != 0 && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

static void fuzz_health(const uint8_t *data, size_t size,
                        const struct hl_nvme_ctrl_info *id) {
  struct hl_nvme_health h;
  int rc = hl_nvme_health_from_log(data, size, &h);
  FZ_CHECK(rc == (size < HL_NVME_SMART_LOG_LEN ? -EPROTO : 0));
  if (rc != 0)
    return;
  uint8_t cw = data[0];
  FZ_CHECK(h.critical_warning == cw);
  FZ_CHECK(h.warn_spare == ((cw & HL_NVME_CRIT_SPARE) != 0));
  FZ_CHECK(h.warn_temperature == ((cw & HL_NVME_CRIT_TEMPERATURE) != 0));
  FZ_CHECK(h.warn_degraded == ((cw & HL_NVME_CRIT_DEGRADED) != 0));
  FZ_CHECK(h.warn_read_only == ((cw & HL_NVME_CRIT_READ_ONLY) != 0));
  FZ_CHECK(h.warn_volatile == ((cw & HL_NVME_CRIT_VOLATILE) != 0));
  FZ_CHECK(h.warn_pmr_read_only == ((cw & HL_NVME_CRIT_PMR_RO) != 0));
  check_temp(h.temperature);
  for (int i = 0; i < HL_NVME_TEMP_SENSORS; i++)
    check_temp(h.temp_sensor[i]);
  FZ_CHECK(isnan(h.avail_spare) ||
           (h.avail_spare >= 0 && h.avail_spare <= 100));
  FZ_CHECK(isnan(h.spare_thresh) ||
           (h.spare_thresh >= 0 && h.spare_thresh <= 100));
  FZ_CHECK(h.percent_used >= 0 && h.percent_used <= 255);

  size_t n = 0;
  const struct hl_nvme_field *f = hl_nvme_fields(&n);
  FZ_CHECK(f != NULL && n > 0);
  for (size_t i = 0; i < n; i++) {
    double g = 0;
    uint64_t c = 0;
    bool have = hl_nvme_field_get(&h, &f[i], &g, &c);
    FZ_CHECK(!have || !isnan(g));
    FZ_CHECK(f[i].name != NULL && strchr(f[i].name, '-') == NULL);
  }
  for (unsigned bit = 0; bit < 8; bit++)
    FZ_CHECK((hl_nvme_crit_text(bit) != NULL) == (bit < HL_NVME_CRIT_BITS));

  struct hl_nvme_limits lim;
  hl_nvme_limits_default(&lim, id);
  int level = hl_nvme_health_level(&h, &lim);
  FZ_CHECK(level >= 0 && level <= 2);
  unsigned why = hl_nvme_health_reasons(&h, &lim);
  FZ_CHECK((why & 0xc0u) == 0); /* reserved warning bits are ignored */
  /* Every finding is at least a warning. */
  FZ_CHECK((level == 0) == (why == 0));
}

static bool fuzz_ctrl(const uint8_t *data, size_t size,
                      struct hl_nvme_ctrl_info *c) {
  int rc = hl_nvme_ctrl_from_id(data, size, c);
  FZ_CHECK(rc == (size < HL_NVME_IDENTIFY_LEN ? -EPROTO : 0));
  if (rc != 0)
    return false;
  check_ascii(c->serial, sizeof(c->serial));
  check_ascii(c->model, sizeof(c->model));
  check_ascii(c->firmware, sizeof(c->firmware));
  check_temp(c->wctemp_c);
  check_temp(c->cctemp_c);
  return true;
}

static void fuzz_ns(const uint8_t *data, size_t size) {
  struct hl_nvme_ns_info ns;
  uint32_t nsid = size > 0 ? (uint32_t)data[size - 1] + 1 : 1;
  int rc = hl_nvme_ns_from_id(data, size, nsid, &ns);
  FZ_CHECK(rc == 0 || rc == -EPROTO || rc == -ENODATA);
  if (size < HL_NVME_IDENTIFY_LEN)
    FZ_CHECK(rc == -EPROTO);
  if (rc != 0)
    return;
  FZ_CHECK(ns.nsid == nsid);
  FZ_CHECK(ns.lba_size >= 512 && ns.lba_size <= (1u << 24) &&
           (ns.lba_size & (ns.lba_size - 1)) == 0);
  FZ_CHECK(ns.size_blocks != 0);
  FZ_CHECK(ns.size_bytes == mul_sat(ns.size_blocks, ns.lba_size));
  FZ_CHECK(ns.cap_bytes == mul_sat(ns.cap_blocks, ns.lba_size));
  FZ_CHECK(ns.used_bytes == mul_sat(ns.used_blocks, ns.lba_size));
  FZ_CHECK(isfinite(ns.used_pct) && ns.used_pct >= 0);
}

/* The input's first line as a device path: "/dev/nvme0n1" -> "nvme0". */
static void fuzz_name(const uint8_t *data, size_t size) {
  size_t n = 0;
  while (n < size && n < 256 && data[n] != '\n')
    n++;
  char *path = fz_str(data, n);
  char out[HL_NVME_NAME_MAX];
  int rc = hl_nvme_ctrl_name(path, out, sizeof(out));
  FZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ENAMETOOLONG);
  if (rc == 0) {
    FZ_CHECK(fz_terminated(out, sizeof(out)));
    FZ_CHECK(strncmp(out, "nvme", 4) == 0 && out[4] >= '0' && out[4] <= '9');
    for (const char *p = out + 4; *p; p++)
      FZ_CHECK(*p >= '0' && *p <= '9');
    /* A buffer one byte too short must be refused, not overrun. */
    size_t len = strlen(out);
    char *tight = fz_dup(out, len);
    FZ_CHECK(hl_nvme_ctrl_name(path, tight, len) == -ENAMETOOLONG);
    free(tight);
  }
  free(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct hl_nvme_ctrl_info c;
  bool have_ctrl = fuzz_ctrl(data, size, &c);
  fuzz_ns(data, size);
  fuzz_health(data, size, have_ctrl ? &c : NULL);
  fuzz_name(data, size);
  return 0;
}
