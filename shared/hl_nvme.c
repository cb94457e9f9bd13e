// SPDX-License-Identifier: MIT
/*
 * hl_nvme: NVMe SMART / Identify decoding, libnvme admin commands and the
 * sysfs / hwmon fallback.
 *
 * Data flow: hl_nvme_open() gives a controller descriptor; the
 * hl_nvme_get_*() / hl_nvme_identify_*() wrappers run one admin command
 * each through libnvme into a caller buffer (libnvme types stay in this
 * file); the pure hl_nvme_*_from_*() decoders read those bytes by offset in
 * little-endian order, so the result does not depend on host endianness;
 * hl_nvme_fields() describes the decoded struct for a one-loop dispatch and
 * hl_nvme_health_level() condenses it into ok / warning / critical. Without
 * CAP_SYS_ADMIN, hl_nvme_sysfs_read() gets identity and temperatures from
 * sysfs instead. No globals, no logging.
 */
#include "hl_nvme.h"

#include "hl_str.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libnvme.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Byte offsets in the SMART log, checked against libnvme's struct. */
enum {
  SL_CRIT = 0,
  SL_TEMP = 1,
  SL_SPARE = 3,
  SL_THRESH = 4,
  SL_USED = 5,
  SL_ENDU = 6,
  SL_UNITS_READ = 32,
  SL_UNITS_WRITTEN = 48,
  SL_HOST_READS = 64,
  SL_HOST_WRITES = 80,
  SL_BUSY = 96,
  SL_POWER_CYCLES = 112,
  SL_POH = 128,
  SL_UNSAFE = 144,
  SL_MEDIA = 160,
  SL_ERRLOG = 176,
  SL_WARN_TIME = 192,
  SL_CRIT_TIME = 196,
  SL_SENSORS = 200,
  SL_T1_COUNT = 216,
  SL_T2_COUNT = 220,
  SL_T1_TIME = 224,
  SL_T2_TIME = 228,
};
static_assert(sizeof(struct nvme_smart_log) == HL_NVME_SMART_LOG_LEN, "log");
static_assert(offsetof(struct nvme_smart_log, data_units_read) == SL_UNITS_READ,
              "units");
static_assert(offsetof(struct nvme_smart_log, num_err_log_entries) == SL_ERRLOG,
              "errlog");
static_assert(offsetof(struct nvme_smart_log, warning_temp_time) ==
                  SL_WARN_TIME,
              "warn time");
static_assert(offsetof(struct nvme_smart_log, temp_sensor) == SL_SENSORS,
              "sensors");
static_assert(offsetof(struct nvme_smart_log, thm_temp2_total_time) ==
                  SL_T2_TIME,
              "thm");

/* Identify Controller / Namespace offsets. */
enum {
  IC_VID = 0,
  IC_SSVID = 2,
  IC_SN = 4,
  IC_MN = 24,
  IC_FR = 64,
  IC_LPA = 261,
  IC_WCTEMP = 266,
  IC_CCTEMP = 268,
  IC_TNVMCAP = 280,
  IC_NN = 516,
  IN_NSZE = 0,
  IN_NCAP = 8,
  IN_NUSE = 16,
  IN_NSFEAT = 24,
  IN_NLBAF = 25,
  IN_FLBAS = 26,
  IN_LBAF = 128,
};
static_assert(sizeof(struct nvme_id_ctrl) == HL_NVME_IDENTIFY_LEN, "idctrl");
static_assert(offsetof(struct nvme_id_ctrl, lpa) == IC_LPA, "lpa");
static_assert(offsetof(struct nvme_id_ctrl, wctemp) == IC_WCTEMP, "wctemp");
static_assert(offsetof(struct nvme_id_ctrl, tnvmcap) == IC_TNVMCAP, "cap");
static_assert(offsetof(struct nvme_id_ctrl, nn) == IC_NN, "nn");
static_assert(sizeof(struct nvme_id_ns) == HL_NVME_IDENTIFY_LEN, "idns");
static_assert(offsetof(struct nvme_id_ns, flbas) == IN_FLBAS, "flbas");
static_assert(offsetof(struct nvme_id_ns, lbaf) == IN_LBAF, "lbaf");

/* ---- little-endian helpers --------------------------------------------- */

static uint16_t le16(const uint8_t *p) {
  return (uint16_t)(p[0] | (unsigned)p[1] << 8);
}

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p) {
  return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* A 128-bit little-endian counter, clamped to UINT64_MAX. */
static uint64_t le128_sat(const uint8_t *p) {
  for (int i = 8; i < 16; i++)
    if (p[i] != 0)
      return UINT64_MAX;
  return le64(p);
}

static uint64_t mul_sat(uint64_t a, uint64_t b) {
  if (b != 0 && a > UINT64_MAX / b)
    return UINT64_MAX;
  return a * b;
}

static double kelvin_to_c(unsigned k) { return (double)k - 273.15; }

static bool temp_plausible(double c) {
  return c >= HL_NVME_TEMP_MIN_C && c <= HL_NVME_TEMP_MAX_C;
}

/* ---- SMART / Health log ------------------------------------------------ */

static void decode_temps(const uint8_t *b, struct hl_nvme_health *h) {
  unsigned k = le16(b + SL_TEMP);
  h->temperature = kelvin_to_c(k);
  if (k == 0 || !temp_plausible(h->temperature)) {
    h->temperature = NAN;
    h->implausible |= HL_NVME_IMPL_TEMP;
  }
  for (int i = 0; i < HL_NVME_TEMP_SENSORS; i++) {
    unsigned sk = le16(b + SL_SENSORS + 2 * i);
    h->temp_sensor[i] = sk == 0 ? NAN : kelvin_to_c(sk);
    if (sk != 0 && !temp_plausible(h->temp_sensor[i])) {
      h->temp_sensor[i] = NAN;
      h->implausible |= (unsigned)HL_NVME_IMPL_SENSOR0 << i;
    }
  }
}

static double percent(uint8_t v, unsigned flag, unsigned *implausible) {
  if (v > 100) {
    *implausible |= flag;
    return NAN;
  }
  return v;
}

static void decode_counters(const uint8_t *b, struct hl_nvme_health *h) {
  h->bytes_read =
      mul_sat(le128_sat(b + SL_UNITS_READ), HL_NVME_DATA_UNIT_BYTES);
  h->bytes_written =
      mul_sat(le128_sat(b + SL_UNITS_WRITTEN), HL_NVME_DATA_UNIT_BYTES);
  h->host_reads = le128_sat(b + SL_HOST_READS);
  h->host_writes = le128_sat(b + SL_HOST_WRITES);
  h->busy_minutes = le128_sat(b + SL_BUSY);
  h->power_cycles = le128_sat(b + SL_POWER_CYCLES);
  h->power_on_hours = le128_sat(b + SL_POH);
  h->unsafe_shutdowns = le128_sat(b + SL_UNSAFE);
  h->media_errors = le128_sat(b + SL_MEDIA);
  h->error_log_entries = le128_sat(b + SL_ERRLOG);
  h->warn_temp_minutes = le32(b + SL_WARN_TIME);
  h->crit_temp_minutes = le32(b + SL_CRIT_TIME);
  h->thermal_t1_transitions = le32(b + SL_T1_COUNT);
  h->thermal_t2_transitions = le32(b + SL_T2_COUNT);
  h->thermal_t1_seconds = le32(b + SL_T1_TIME);
  h->thermal_t2_seconds = le32(b + SL_T2_TIME);
}

int hl_nvme_health_from_log(const void *log, size_t len,
                            struct hl_nvme_health *out) {
  if (log == NULL || out == NULL)
    return -EINVAL;
  if (len < HL_NVME_SMART_LOG_LEN)
    return -EPROTO;
  const uint8_t *b = log;
  struct hl_nvme_health h = {.critical_warning = b[SL_CRIT]};
  h.warn_spare = (b[SL_CRIT] & HL_NVME_CRIT_SPARE) != 0;
  h.warn_temperature = (b[SL_CRIT] & HL_NVME_CRIT_TEMPERATURE) != 0;
  h.warn_degraded = (b[SL_CRIT] & HL_NVME_CRIT_DEGRADED) != 0;
  h.warn_read_only = (b[SL_CRIT] & HL_NVME_CRIT_READ_ONLY) != 0;
  h.warn_volatile = (b[SL_CRIT] & HL_NVME_CRIT_VOLATILE) != 0;
  h.warn_pmr_read_only = (b[SL_CRIT] & HL_NVME_CRIT_PMR_RO) != 0;
  h.endurance_warning = b[SL_ENDU];
  decode_temps(b, &h);
  h.avail_spare = percent(b[SL_SPARE], HL_NVME_IMPL_SPARE, &h.implausible);
  h.spare_thresh =
      percent(b[SL_THRESH], HL_NVME_IMPL_SPARE_THRESH, &h.implausible);
  h.percent_used = b[SL_USED]; /* 0-255 are all valid */
  decode_counters(b, &h);
  *out = h;
  return 0;
}

/* ---- metric table ------------------------------------------------------ */

#define F(member, unit, ctype, kind)                                           \
  { #member, unit, offsetof(struct hl_nvme_health, member), ctype, kind }
#define SENSOR(n)                                                              \
  {                                                                            \
    "temp_sensor" #n, "celsius",                                               \
        offsetof(struct hl_nvme_health, temp_sensor[(n)-1]), HL_NVME_T_DOUBLE, \
        HL_NVME_GAUGE                                                          \
  }

static const struct hl_nvme_field fields[] = {
    F(critical_warning, "bits", HL_NVME_T_U8, HL_NVME_GAUGE),
    F(warn_spare, "flag", HL_NVME_T_BOOL, HL_NVME_GAUGE),
    F(warn_temperature, "flag", HL_NVME_T_BOOL, HL_NVME_GAUGE),
    F(warn_degraded, "flag", HL_NVME_T_BOOL, HL_NVME_GAUGE),
    F(warn_read_only, "flag", HL_NVME_T_BOOL, HL_NVME_GAUGE),
    F(warn_volatile, "flag", HL_NVME_T_BOOL, HL_NVME_GAUGE),
    F(warn_pmr_read_only, "flag", HL_NVME_T_BOOL, HL_NVME_GAUGE),
    F(endurance_warning, "bits", HL_NVME_T_U8, HL_NVME_GAUGE),
    F(temperature, "celsius", HL_NVME_T_DOUBLE, HL_NVME_GAUGE),
    SENSOR(1),
    SENSOR(2),
    SENSOR(3),
    SENSOR(4),
    SENSOR(5),
    SENSOR(6),
    SENSOR(7),
    SENSOR(8),
    F(avail_spare, "percent", HL_NVME_T_DOUBLE, HL_NVME_GAUGE),
    F(spare_thresh, "percent", HL_NVME_T_DOUBLE, HL_NVME_GAUGE),
    F(percent_used, "percent", HL_NVME_T_DOUBLE, HL_NVME_GAUGE),
    F(bytes_read, "bytes", HL_NVME_T_U64, HL_NVME_COUNTER),
    F(bytes_written, "bytes", HL_NVME_T_U64, HL_NVME_COUNTER),
    F(host_reads, "commands", HL_NVME_T_U64, HL_NVME_COUNTER),
    F(host_writes, "commands", HL_NVME_T_U64, HL_NVME_COUNTER),
    F(busy_minutes, "minutes", HL_NVME_T_U64, HL_NVME_COUNTER),
    F(power_cycles, "count", HL_NVME_T_U64, HL_NVME_COUNTER),
    F(power_on_hours, "hours", HL_NVME_T_U64, HL_NVME_COUNTER),
    F(unsafe_shutdowns, "count", HL_NVME_T_U64, HL_NVME_COUNTER),
    F(media_errors, "count", HL_NVME_T_U64, HL_NVME_COUNTER),
    F(error_log_entries, "count", HL_NVME_T_U64, HL_NVME_COUNTER),
    F(warn_temp_minutes, "minutes", HL_NVME_T_U64, HL_NVME_COUNTER),
    F(crit_temp_minutes, "minutes", HL_NVME_T_U64, HL_NVME_COUNTER),
    F(thermal_t1_transitions, "count", HL_NVME_T_U64, HL_NVME_COUNTER),
    F(thermal_t2_transitions, "count", HL_NVME_T_U64, HL_NVME_COUNTER),
    F(thermal_t1_seconds, "seconds", HL_NVME_T_U64, HL_NVME_COUNTER),
    F(thermal_t2_seconds, "seconds", HL_NVME_T_U64, HL_NVME_COUNTER),
};
#undef F
#undef SENSOR

const struct hl_nvme_field *hl_nvme_fields(size_t *n) {
  *n = sizeof(fields) / sizeof(fields[0]);
  return fields;
}

bool hl_nvme_field_get(const struct hl_nvme_health *h,
                       const struct hl_nvme_field *f, double *gauge,
                       uint64_t *counter) {
  const char *p = (const char *)h + f->offset;
  uint64_t u = 0;
  double d = 0;
  switch (f->ctype) {
  case HL_NVME_T_BOOL: {
    bool v;
    memcpy(&v, p, sizeof(v));
    u = v ? 1 : 0;
    d = (double)u;
    break;
  }
  case HL_NVME_T_U8:
    u = (uint8_t)*p;
    d = (double)u;
    break;
  case HL_NVME_T_DOUBLE:
    memcpy(&d, p, sizeof(d));
    if (isnan(d))
      return false;
    u = d >= 0 && d < 18446744073709551616.0 ? (uint64_t)d : 0;
    break;
  case HL_NVME_T_U64:
    memcpy(&u, p, sizeof(u));
    d = (double)u;
    break;
  }
  if (gauge != NULL)
    *gauge = d;
  if (counter != NULL)
    *counter = u;
  return true;
}

const char *hl_nvme_crit_text(unsigned bit) {
  static const char *const text[HL_NVME_CRIT_BITS] = {
      "available spare below threshold",
      "temperature above or below a threshold",
      "reliability degraded by media or internal errors",
      "media placed in read-only mode",
      "volatile memory backup failed",
      "persistent memory region read-only",
  };
  return bit < HL_NVME_CRIT_BITS ? text[bit] : NULL;
}

/* ---- Identify ---------------------------------------------------------- */

/*
 * Copies a space-padded ASCII field: blanks and NULs trimmed at both ends,
 * other bytes outside 0x20-0x7e replaced by '?'. @size is @n + 1.
 */
static void ascii_field(char *dst, size_t size, const uint8_t *src, size_t n) {
  size_t a = 0, z = n;
  while (a < z && (src[a] == ' ' || src[a] == '\0'))
    a++;
  while (z > a && (src[z - 1] == ' ' || src[z - 1] == '\0'))
    z--;
  size_t o = 0;
  for (size_t i = a; i < z && o + 1 < size; i++)
    dst[o++] = (src[i] >= 0x20 && src[i] < 0x7f) ? (char)src[i] : '?';
  dst[o] = '\0';
}

static double threshold_c(unsigned k) {
  if (k == 0)
    return NAN;
  double c = kelvin_to_c(k);
  return temp_plausible(c) ? c : NAN;
}

int hl_nvme_ctrl_from_id(const void *buf, size_t len,
                         struct hl_nvme_ctrl_info *out) {
  if (buf == NULL || out == NULL)
    return -EINVAL;
  if (len < HL_NVME_IDENTIFY_LEN)
    return -EPROTO;
  const uint8_t *b = buf;
  struct hl_nvme_ctrl_info c = {
      .vid = le16(b + IC_VID),
      .ssvid = le16(b + IC_SSVID),
      .wctemp_c = threshold_c(le16(b + IC_WCTEMP)),
      .cctemp_c = threshold_c(le16(b + IC_CCTEMP)),
      .tnvmcap = le128_sat(b + IC_TNVMCAP),
      .nn = le32(b + IC_NN),
      .lpa = b[IC_LPA],
  };
  ascii_field(c.serial, sizeof(c.serial), b + IC_SN, 20);
  ascii_field(c.model, sizeof(c.model), b + IC_MN, 40);
  ascii_field(c.firmware, sizeof(c.firmware), b + IC_FR, 8);
  *out = c;
  return 0;
}

int hl_nvme_ns_from_id(const void *buf, size_t len, uint32_t nsid,
                       struct hl_nvme_ns_info *out) {
  if (buf == NULL || out == NULL)
    return -EINVAL;
  if (len < HL_NVME_IDENTIFY_LEN)
    return -EPROTO;
  const uint8_t *b = buf;
  struct hl_nvme_ns_info ns = {
      .nsid = nsid,
      .size_blocks = le64(b + IN_NSZE),
      .cap_blocks = le64(b + IN_NCAP),
      .used_blocks = le64(b + IN_NUSE),
      .thin = (b[IN_NSFEAT] & 1) != 0,
  };
  if (ns.size_blocks == 0)
    return -ENODATA;
  unsigned nformats = (unsigned)b[IN_NLBAF] + 1; /* NLBAF is 0-based */
  unsigned idx = b[IN_FLBAS] & 0x0f;
  if (nformats > 16) /* FLBAS bits 6:5 are the upper index bits */
    idx |= (b[IN_FLBAS] & 0x60u) >> 1;
  if (idx >= nformats || idx >= 64)
    return -EPROTO;
  unsigned lbads = b[IN_LBAF + 4 * idx + 2];
  if (lbads < 9 || lbads > 24)
    return -EPROTO;
  ns.lba_size = 1u << lbads;
  ns.size_bytes = mul_sat(ns.size_blocks, ns.lba_size);
  ns.cap_bytes = mul_sat(ns.cap_blocks, ns.lba_size);
  ns.used_bytes = mul_sat(ns.used_blocks, ns.lba_size);
  ns.used_pct = 100.0 * (double)ns.used_blocks / (double)ns.size_blocks;
  *out = ns;
  return 0;
}

/* ---- Health summary ---------------------------------------------------- */

void hl_nvme_limits_default(struct hl_nvme_limits *lim,
                            const struct hl_nvme_ctrl_info *id) {
  lim->warn_temp_c = HL_NVME_FALLBACK_WARN_C;
  lim->crit_temp_c = HL_NVME_FALLBACK_CRIT_C;
  lim->warn_percent_used = HL_NVME_DEFAULT_WARN_PERCENT_USED;
  if (id != NULL && !isnan(id->wctemp_c))
    lim->warn_temp_c = id->wctemp_c;
  if (id != NULL && !isnan(id->cctemp_c))
    lim->crit_temp_c = id->cctemp_c;
}

unsigned hl_nvme_health_reasons(const struct hl_nvme_health *h,
                                const struct hl_nvme_limits *lim) {
  unsigned r = h->critical_warning & ((1u << HL_NVME_CRIT_BITS) - 1);
  if (!isnan(h->temperature)) {
    if (h->temperature >= lim->crit_temp_c)
      r |= HL_NVME_R_TEMP_CRIT;
    if (h->temperature >= lim->warn_temp_c)
      r |= HL_NVME_R_TEMP_WARN;
  }
  if (!isnan(h->avail_spare) && !isnan(h->spare_thresh) &&
      h->spare_thresh > 0 && h->avail_spare < h->spare_thresh)
    r |= HL_NVME_R_SPARE_LOW;
  if (!isnan(h->percent_used) && !isnan(lim->warn_percent_used) &&
      h->percent_used >= lim->warn_percent_used)
    r |= HL_NVME_R_WORN;
  return r;
}

int hl_nvme_health_level(const struct hl_nvme_health *h,
                         const struct hl_nvme_limits *lim) {
  unsigned r = hl_nvme_health_reasons(h, lim);
  unsigned crit = HL_NVME_CRIT_SPARE | HL_NVME_CRIT_DEGRADED |
                  HL_NVME_CRIT_READ_ONLY | HL_NVME_CRIT_VOLATILE |
                  HL_NVME_CRIT_PMR_RO | HL_NVME_R_TEMP_CRIT |
                  HL_NVME_R_SPARE_LOW;
  if (r & crit)
    return 2;
  if (r & (HL_NVME_CRIT_TEMPERATURE | HL_NVME_R_TEMP_WARN | HL_NVME_R_WORN))
    return 1;
  return 0;
}

/* ---- Names ------------------------------------------------------------- */

/* Consumes a decimal number without leading zeros (at most 9 digits). */
static bool take_num(const char **p, const char **num, size_t *nlen) {
  const char *s = *p;
  size_t n = 0;
  while (s[n] >= '0' && s[n] <= '9')
    n++;
  if (n == 0 || n > 9 || (n > 1 && s[0] == '0'))
    return false;
  *num = s;
  *nlen = n;
  *p = s + n;
  return true;
}

/* Writes "nvme" + @n digits of @num into @out. */
static int put_name(const char *num, size_t n, char *out, size_t len) {
  if (len < 4 + n + 1)
    return -ENAMETOOLONG;
  memcpy(out, "nvme", 4);
  memcpy(out + 4, num, n);
  out[4 + n] = '\0';
  return 0;
}

/*
 * Optional "<ch><number>" part: 0 if absent, 1 if taken, -EINVAL if @ch is
 * there but not followed by a valid number.
 */
static int opt_part(const char **p, char ch, const char **num, size_t *n) {
  if (**p != ch)
    return 0;
  const char *q = *p + 1;
  if (!take_num(&q, num, n))
    return -EINVAL;
  *p = q;
  return 1;
}

/*
 * Parses nvmeX[cY][nZ[pW]]; @is_ns is set for a namespace or partition
 * without a cY part (the ones sysfs may have to resolve).
 */
static int parse_name(const char *path, char *out, size_t len, bool *is_ns) {
  if (path == NULL || out == NULL)
    return -EINVAL;
  const char *slash = strrchr(path, '/');
  const char *p = slash ? slash + 1 : path;
  const char *num = NULL, *cnum = NULL, *tmp = NULL;
  size_t n = 0, cn = 0, tn = 0;
  if (strncmp(p, "nvme", 4) != 0)
    return -EINVAL;
  p += 4;
  if (!take_num(&p, &num, &n))
    return -EINVAL;
  int has_c = opt_part(&p, 'c', &cnum, &cn);
  int has_n = has_c < 0 ? -EINVAL : opt_part(&p, 'n', &tmp, &tn);
  int has_p = has_n <= 0 ? 0 : opt_part(&p, 'p', &tmp, &tn);
  if (has_c < 0 || has_n < 0 || has_p < 0 || *p != '\0' || (has_c && !has_n))
    return -EINVAL;
  *is_ns = has_n && !has_c;
  return has_c ? put_name(cnum, cn, out, len) : put_name(num, n, out, len);
}

int hl_nvme_ctrl_name(const char *path, char *out, size_t len) {
  bool is_ns = false;
  return parse_name(path, out, len, &is_ns);
}

/* Lowest "nvmeN" entry of a directory, into @out. */
static int lowest_ctrl_in(const char *dir, char *out, size_t len) {
  DIR *d = opendir(dir);
  if (d == NULL)
    return -errno;
  long best = -1;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    uint64_t v = 0;
    if (strncmp(e->d_name, "nvme", 4) == 0 &&
        hl_str_to_u64(e->d_name + 4, 0, 999999999, &v) == 0 &&
        (best < 0 || (long)v < best))
      best = (long)v;
  }
  closedir(d);
  if (best < 0)
    return -ENOENT;
  int n = snprintf(out, len, "nvme%ld", best);
  return (n < 0 || (size_t)n >= len) ? -ENAMETOOLONG : 0;
}

/* Resolves <sysfs>/block/<ns>/device to a controller name. */
static int ctrl_from_block(const char *sysfs_root, const char *ns, char *out,
                           size_t len) {
  char path[PATH_MAX], target[PATH_MAX];
  int n = snprintf(path, sizeof(path), "%s/block/%s/device", sysfs_root, ns);
  if (n < 0 || (size_t)n >= sizeof(path))
    return -ENAMETOOLONG;
  ssize_t t = readlink(path, target, sizeof(target) - 1);
  if (t < 0)
    return -errno;
  target[t] = '\0';
  const char *slash = strrchr(target, '/');
  const char *base = slash ? slash + 1 : target;
  bool is_ns = false;
  if (parse_name(base, out, len, &is_ns) == 0 && !is_ns &&
      strchr(base + 4, 'n') == NULL)
    return 0;
  if (strncmp(base, "nvme-subsys", 11) != 0)
    return -ENOENT;
  n = snprintf(path, sizeof(path), "%s/class/nvme-subsystem/%s", sysfs_root,
               base);
  if (n < 0 || (size_t)n >= sizeof(path))
    return -ENAMETOOLONG;
  return lowest_ctrl_in(path, out, len);
}

int hl_nvme_ctrl_name_sysfs(const char *sysfs_root, const char *path, char *out,
                            size_t len) {
  bool is_ns = false;
  int rc = parse_name(path, out, len, &is_ns);
  if (rc != 0 || !is_ns || sysfs_root == NULL)
    return rc;
  const char *slash = strrchr(path, '/');
  char ns[HL_NVME_NAME_MAX];
  if (hl_str_copy(ns, sizeof(ns), slash ? slash + 1 : path) >= sizeof(ns))
    return 0;
  char *part = strchr(ns + 4, 'p'); /* partition: its disk's device link */
  if (part != NULL)
    *part = '\0';
  char resolved[HL_NVME_NAME_MAX];
  if (ctrl_from_block(sysfs_root, ns, resolved, sizeof(resolved)) == 0)
    hl_str_copy(out, len, resolved);
  return 0;
}

/* ---- Admin commands ---------------------------------------------------- */

static bool valid_ctrl(const char *ctrl) {
  char tmp[HL_NVME_NAME_MAX];
  bool is_ns = false;
  return parse_name(ctrl, tmp, sizeof(tmp), &is_ns) == 0 && !is_ns &&
         strcmp(tmp, ctrl) == 0;
}

int hl_nvme_open(const char *dev_root, const char *ctrl) {
  if (dev_root == NULL || ctrl == NULL || !valid_ctrl(ctrl))
    return -EINVAL;
  char path[PATH_MAX];
  int n = snprintf(path, sizeof(path), "%s/%s", dev_root, ctrl);
  if (n < 0 || (size_t)n >= sizeof(path))
    return -ENAMETOOLONG;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISCHR(st.st_mode)) {
    close(fd);
    return -ENOTTY;
  }
  return fd;
}

/* libnvme: 0, NVMe status > 0, or -1 with errno. */
static int nvme_rc(int rc) {
  if (rc >= 0)
    return rc;
  return errno > 0 ? -errno : -EIO;
}

int hl_nvme_get_smart_log(int fd, void *buf, size_t len) {
  if (buf == NULL || len < HL_NVME_SMART_LOG_LEN)
    return -EINVAL;
  struct nvme_smart_log log;
  memset(&log, 0, sizeof(log));
  errno = 0;
  int rc = nvme_rc(nvme_get_log_smart(fd, NVME_NSID_ALL, false, &log));
  if (rc == 0)
    memcpy(buf, &log, sizeof(log));
  return rc;
}

int hl_nvme_identify_ctrl(int fd, void *buf, size_t len) {
  if (buf == NULL || len < HL_NVME_IDENTIFY_LEN)
    return -EINVAL;
  struct nvme_id_ctrl id;
  memset(&id, 0, sizeof(id));
  errno = 0;
  int rc = nvme_rc(nvme_identify_ctrl(fd, &id));
  if (rc == 0)
    memcpy(buf, &id, sizeof(id));
  return rc;
}

int hl_nvme_identify_ns(int fd, uint32_t nsid, void *buf, size_t len) {
  if (buf == NULL || len < HL_NVME_IDENTIFY_LEN || nsid == 0 ||
      nsid == NVME_NSID_ALL)
    return -EINVAL;
  struct nvme_id_ns ns;
  memset(&ns, 0, sizeof(ns));
  errno = 0;
  int rc = nvme_rc(nvme_identify_ns(fd, nsid, &ns));
  if (rc == 0)
    memcpy(buf, &ns, sizeof(ns));
  return rc;
}

int hl_nvme_read_health(int fd, struct hl_nvme_health *out) {
  uint8_t buf[HL_NVME_SMART_LOG_LEN];
  int rc = hl_nvme_get_smart_log(fd, buf, sizeof(buf));
  return rc != 0 ? rc : hl_nvme_health_from_log(buf, sizeof(buf), out);
}

int hl_nvme_read_ctrl(int fd, struct hl_nvme_ctrl_info *out) {
  uint8_t buf[HL_NVME_IDENTIFY_LEN];
  int rc = hl_nvme_identify_ctrl(fd, buf, sizeof(buf));
  return rc != 0 ? rc : hl_nvme_ctrl_from_id(buf, sizeof(buf), out);
}

/* Active NSIDs via CNS 0x02 into @ids; returns the count or an error. */
static int active_nsids(int fd, uint32_t *ids, size_t max, size_t *n) {
  struct nvme_ns_list list;
  memset(&list, 0, sizeof(list));
  errno = 0;
  int rc = nvme_rc(nvme_identify_active_ns_list(fd, 0, &list));
  if (rc != 0)
    return rc;
  *n = 0;
  for (size_t i = 0; i < NVME_ID_NS_LIST_MAX && *n < max; i++) {
    uint32_t id = le32((const uint8_t *)&list.ns[i]);
    if (id == 0)
      break;
    if (id != NVME_NSID_ALL)
      ids[(*n)++] = id;
  }
  return 0;
}

int hl_nvme_read_namespaces(int fd, uint32_t nn, struct hl_nvme_ns_info *out,
                            size_t max, size_t *count) {
  *count = 0;
  uint32_t ids[HL_NVME_NS_MAX];
  size_t nids = 0;
  int rc = active_nsids(fd, ids, HL_NVME_NS_MAX, &nids);
  if (rc < 0 && rc != -EPERM && rc != -EACCES)
    return rc;
  if (rc != 0) { /* unprivileged, or NVMe 1.0 without CNS 0x02: probe */
    nids = nn < HL_NVME_NS_MAX ? nn : HL_NVME_NS_MAX;
    for (size_t i = 0; i < nids; i++)
      ids[i] = (uint32_t)(i + 1);
  }
  uint8_t buf[HL_NVME_IDENTIFY_LEN];
  for (size_t i = 0; i < nids && *count < max; i++) {
    rc = hl_nvme_identify_ns(fd, ids[i], buf, sizeof(buf));
    if (rc < 0 && i == 0)
      return rc;
    if (rc != 0)
      continue;
    if (hl_nvme_ns_from_id(buf, sizeof(buf), ids[i], &out[*count]) == 0)
      (*count)++;
  }
  return 0;
}

const char *hl_nvme_status_str(int status) {
  return nvme_status_to_string(status, false);
}

/* ---- sysfs fallback ---------------------------------------------------- */

/* Reads a small sysfs file, trailing blanks/newlines stripped. */
static int read_small(const char *dir, const char *name, char *out,
                      size_t size) {
  char path[PATH_MAX];
  int n = snprintf(path, sizeof(path), "%s/%s", dir, name);
  if (n < 0 || (size_t)n >= sizeof(path))
    return -ENAMETOOLONG;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  ssize_t r = read(fd, out, size - 1);
  int err = errno;
  close(fd);
  if (r < 0)
    return -err;
  while (r > 0 && (out[r - 1] == '\n' || out[r - 1] == ' ' ||
                   out[r - 1] == '\t' || out[r - 1] == '\0'))
    r--;
  out[r] = '\0';
  return 0;
}

/* A sysfs identity string, sanitized like the Identify fields. */
static bool read_ident(const char *dir, const char *name, char *out,
                       size_t size) {
  char raw[128] = "";
  if (read_small(dir, name, raw, sizeof(raw)) != 0)
    return false;
  ascii_field(out, size, (const uint8_t *)raw, strlen(raw));
  return true;
}

/* A millidegree file as °C. */
static bool read_mc(const char *dir, const char *name, double *c) {
  char raw[32];
  int64_t v = 0;
  if (read_small(dir, name, raw, sizeof(raw)) != 0 ||
      hl_str_to_i64(raw, -273150, 1000000, &v) != 0)
    return false;
  *c = (double)v / 1000.0;
  return true;
}

/* True if <dir>/name reads "nvme". */
static bool is_nvme_hwmon(const char *dir) {
  char name[32];
  return read_small(dir, "name", name, sizeof(name)) == 0 &&
         strcmp(name, "nvme") == 0;
}

/* First hwmonN below @parent whose name is "nvme", into @out. */
static bool find_hwmon_in(const char *parent, char *out, size_t size) {
  DIR *d = opendir(parent);
  if (d == NULL)
    return false;
  bool found = false;
  struct dirent *e;
  while (!found && (e = readdir(d)) != NULL) {
    uint64_t v = 0;
    if (strncmp(e->d_name, "hwmon", 5) != 0 ||
        hl_str_to_u64(e->d_name + 5, 0, UINT32_MAX, &v) != 0)
      continue;
    int n = snprintf(out, size, "%s/%s", parent, e->d_name);
    found = n > 0 && (size_t)n < size && is_nvme_hwmon(out);
  }
  closedir(d);
  if (!found && size > 0)
    out[0] = '\0';
  return found;
}

/* Maps temp<ch>_label (or the channel number) to a destination. */
static double *temp_slot(const char *hw, unsigned ch, struct hl_nvme_sysfs *s,
                         unsigned *bit) {
  char file[32], label[32];
  snprintf(file, sizeof(file), "temp%u_label", ch);
  unsigned sensor = ch - 1; /* unlabelled: temp1 composite, tempN+1 sensor N */
  if (read_small(hw, file, label, sizeof(label)) == 0) {
    uint64_t v = 0;
    if (strcmp(label, "Composite") == 0)
      sensor = 0;
    else if (strncmp(label, "Sensor ", 7) == 0 &&
             hl_str_to_u64(label + 7, 1, HL_NVME_TEMP_SENSORS, &v) == 0)
      sensor = (unsigned)v;
    else
      return NULL;
  }
  if (sensor == 0) {
    *bit = HL_NVME_HAVE_TEMP;
    return &s->temperature;
  }
  if (sensor > HL_NVME_TEMP_SENSORS)
    return NULL;
  *bit = (unsigned)HL_NVME_HAVE_SENSOR0 << (sensor - 1);
  return &s->temp_sensor[sensor - 1];
}

static void read_hwmon(const char *hw, struct hl_nvme_sysfs *s) {
  for (unsigned ch = 1; ch <= 1 + HL_NVME_TEMP_SENSORS; ch++) {
    char file[32];
    snprintf(file, sizeof(file), "temp%u_input", ch);
    double c = NAN;
    unsigned bit = 0;
    if (!read_mc(hw, file, &c) || !temp_plausible(c))
      continue; /* 0 K (-273150) or > 200 °C: treated as missing */
    double *slot = temp_slot(hw, ch, s, &bit);
    if (slot != NULL) {
      *slot = c;
      s->have |= bit;
    }
  }
  if (read_mc(hw, "temp1_max", &s->temp_max))
    s->have |= HL_NVME_HAVE_TEMP_MAX;
  if (read_mc(hw, "temp1_min", &s->temp_min))
    s->have |= HL_NVME_HAVE_TEMP_MIN;
  if (read_mc(hw, "temp1_crit", &s->temp_crit))
    s->have |= HL_NVME_HAVE_TEMP_CRIT;
  char alarm[8];
  if (read_small(hw, "temp1_alarm", alarm, sizeof(alarm)) == 0 &&
      (strcmp(alarm, "0") == 0 || strcmp(alarm, "1") == 0)) {
    s->alarm = alarm[0] == '1';
    s->have |= HL_NVME_HAVE_ALARM;
  }
}

static void sysfs_init(struct hl_nvme_sysfs *s) {
  *s = (struct hl_nvme_sysfs){
      .temperature = NAN, .temp_max = NAN, .temp_min = NAN, .temp_crit = NAN};
  for (int i = 0; i < HL_NVME_TEMP_SENSORS; i++)
    s->temp_sensor[i] = NAN;
}

int hl_nvme_sysfs_read(const char *sysfs_root, const char *ctrl,
                       struct hl_nvme_sysfs *out) {
  if (sysfs_root == NULL || ctrl == NULL || out == NULL || !valid_ctrl(ctrl))
    return -EINVAL;
  sysfs_init(out);
  char dir[PATH_MAX], sub[PATH_MAX];
  int n = snprintf(dir, sizeof(dir), "%s/class/nvme/%s", sysfs_root, ctrl);
  if (n < 0 || (size_t)n >= sizeof(dir))
    return -ENAMETOOLONG;
  struct stat st;
  if (stat(dir, &st) != 0)
    return -errno;
  if (read_ident(dir, "model", out->model, sizeof(out->model)))
    out->have |= HL_NVME_HAVE_MODEL;
  if (read_ident(dir, "serial", out->serial, sizeof(out->serial)))
    out->have |= HL_NVME_HAVE_SERIAL;
  if (read_ident(dir, "firmware_rev", out->firmware, sizeof(out->firmware)))
    out->have |= HL_NVME_HAVE_FIRMWARE;
  if (read_ident(dir, "state", out->state, sizeof(out->state)))
    out->have |= HL_NVME_HAVE_STATE;
  n = snprintf(sub, sizeof(sub), "%s/device/hwmon", dir);
  bool hw = find_hwmon_in(dir, out->hwmon, sizeof(out->hwmon)) ||
            (n > 0 && (size_t)n < sizeof(sub) &&
             find_hwmon_in(sub, out->hwmon, sizeof(out->hwmon)));
  if (hw) {
    out->have |= HL_NVME_HAVE_HWMON;
    read_hwmon(out->hwmon, out);
  }
  return 0;
}

/* ---- discovery --------------------------------------------------------- */

static int cmp_ctrl(const void *a, const void *b) {
  uint64_t x = 0, y = 0;
  hl_str_to_u64((const char *)a + 4, 0, UINT32_MAX, &x);
  hl_str_to_u64((const char *)b + 4, 0, UINT32_MAX, &y);
  return x < y ? -1 : x > y;
}

int hl_nvme_discover(const char *sysfs_root, char (*names)[HL_NVME_NAME_MAX],
                     size_t max, size_t *count) {
  *count = 0;
  char dir[PATH_MAX];
  int n = snprintf(dir, sizeof(dir), "%s/class/nvme", sysfs_root);
  if (n < 0 || (size_t)n >= sizeof(dir))
    return -ENAMETOOLONG;
  DIR *d = opendir(dir);
  if (d == NULL)
    return errno == ENOENT ? 0 : -errno;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (!valid_ctrl(e->d_name))
      continue;
    if (*count < max)
      hl_str_copy(names[*count], HL_NVME_NAME_MAX, e->d_name);
    (*count)++;
  }
  closedir(d);
  qsort(names, *count < max ? *count : max, sizeof(*names), cmp_ctrl);
  return 0;
}
