// SPDX-License-Identifier: MIT
/*
 * hl_nvme: NVMe controller health for homelab_nvme.
 *
 * Three layers, none of which logs or keeps global state:
 *  - pure decoders that turn the raw bytes of the SMART / Health log
 *    (LID 0x02, 512 bytes), Identify Controller and Identify Namespace
 *    (4096 bytes each) into plain structs, by little-endian byte offsets,
 *    plus a metric table describing every numeric field of the health
 *    struct and a health summary (ok / warning / critical);
 *  - admin-command I/O through libnvme 1.x on the controller character
 *    device (<dev_root>/nvmeN), wrapped so callers never see libnvme types;
 *  - an unprivileged fallback that reads <sysfs_root>/class/nvme/<ctrl>
 *    (identity) and the controller's "nvme" hwmon device (temperatures).
 *
 * Errors: 0 or a negative errno. The admin-command functions may also
 * return a positive NVMe status (the drive answered with an error); see
 * hl_nvme_status_str().
 */
#ifndef HOMELAB_SHARED_HL_NVME_H
#define HOMELAB_SHARED_HL_NVME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Size of the SMART / Health Information log page. */
#define HL_NVME_SMART_LOG_LEN 512u
/** Size of an Identify data structure (controller, namespace, NS list). */
#define HL_NVME_IDENTIFY_LEN 4096u
/** Temperature sensors in the SMART log (besides the composite one). */
#define HL_NVME_TEMP_SENSORS 8
/** Room for a controller name such as "nvme12" plus NUL. */
#define HL_NVME_NAME_MAX 32u
/** Most namespaces hl_nvme_read_namespaces() looks at per controller. */
#define HL_NVME_NS_MAX 256u
/** Bytes per NVMe "data unit" (1000 units of 512 bytes). */
#define HL_NVME_DATA_UNIT_BYTES 512000u
/** Composite temperatures outside this range (°C) are implausible. */
#define HL_NVME_TEMP_MIN_C (-55.0)
#define HL_NVME_TEMP_MAX_C 200.0
/** Fallback thresholds (°C) when the drive reports no WCTEMP/CCTEMP. */
#define HL_NVME_FALLBACK_WARN_C 70.0
#define HL_NVME_FALLBACK_CRIT_C 80.0
/** Default warning level for percent_used. */
#define HL_NVME_DEFAULT_WARN_PERCENT_USED 80.0

/**
 * enum hl_nvme_crit - bits of the SMART critical_warning byte.
 * @HL_NVME_CRIT_SPARE:       available spare below the threshold.
 * @HL_NVME_CRIT_TEMPERATURE: a temperature is at/over an over-temperature
 *                            or at/under an under-temperature threshold.
 * @HL_NVME_CRIT_DEGRADED:    reliability degraded by media/internal errors.
 * @HL_NVME_CRIT_READ_ONLY:   media placed in read-only mode.
 * @HL_NVME_CRIT_VOLATILE:    volatile memory backup device failed.
 * @HL_NVME_CRIT_PMR_RO:      persistent memory region became read-only.
 * Bits 6 and 7 are reserved.
 */
enum hl_nvme_crit {
  HL_NVME_CRIT_SPARE = 1u << 0,
  HL_NVME_CRIT_TEMPERATURE = 1u << 1,
  HL_NVME_CRIT_DEGRADED = 1u << 2,
  HL_NVME_CRIT_READ_ONLY = 1u << 3,
  HL_NVME_CRIT_VOLATILE = 1u << 4,
  HL_NVME_CRIT_PMR_RO = 1u << 5,
};
/** Number of defined critical_warning bits. */
#define HL_NVME_CRIT_BITS 6

/**
 * enum hl_nvme_implausible - bits of struct hl_nvme_health.implausible.
 * @HL_NVME_IMPL_TEMP:        composite temperature 0 K, below
 *                            HL_NVME_TEMP_MIN_C or above HL_NVME_TEMP_MAX_C.
 * @HL_NVME_IMPL_SENSOR0:     sensor 1 above HL_NVME_TEMP_MAX_C (or below
 *                            the minimum); sensor n uses SENSOR0 << (n-1).
 *                            A sensor reading 0 K is "not implemented",
 *                            which is not implausible.
 * @HL_NVME_IMPL_SPARE:       avail_spare above 100 %.
 * @HL_NVME_IMPL_SPARE_THRESH: spare_thresh above 100 %.
 */
enum hl_nvme_implausible {
  HL_NVME_IMPL_TEMP = 1u << 0,
  HL_NVME_IMPL_SENSOR0 = 1u << 1,
  HL_NVME_IMPL_SPARE = 1u << 9,
  HL_NVME_IMPL_SPARE_THRESH = 1u << 10,
};

/**
 * struct hl_nvme_health - decoded SMART / Health log.
 *
 * Temperatures are °C (Kelvin - 273.15), NAN when missing (0 K) or
 * implausible. Percentages are NAN when implausible. Every 128-bit counter
 * is clamped to UINT64_MAX instead of wrapping; a plugin that dispatches
 * them as DERIVE (int64) must clamp again to INT64_MAX.
 *
 * @critical_warning: the raw byte (reserved bits kept).
 * @warn_spare .. @warn_pmr_read_only: its six defined bits.
 * @endurance_warning: endurance group critical warning summary (byte 6).
 * @temperature:     composite temperature.
 * @temp_sensor:     temperature sensors 1-8.
 * @avail_spare:     available spare, % (normally 0-100).
 * @spare_thresh:    spare threshold, %.
 * @percent_used:    life used estimate, % (may exceed 100; max 255).
 * @bytes_read, @bytes_written: data units x 512000, saturating.
 * @host_reads, @host_writes: read / write commands completed.
 * @busy_minutes:    controller busy time.
 * @power_cycles, @power_on_hours, @unsafe_shutdowns, @media_errors,
 * @error_log_entries: lifetime counts.
 * @warn_temp_minutes, @crit_temp_minutes: time with the composite
 *                   temperature at/over WCTEMP resp. CCTEMP.
 * @thermal_t1_transitions, @thermal_t2_transitions: host controlled thermal
 *                   management transitions to level 1 / 2.
 * @thermal_t1_seconds, @thermal_t2_seconds: total time spent in them.
 * @implausible:     enum hl_nvme_implausible bits; not a metric.
 */
struct hl_nvme_health {
  uint8_t critical_warning;
  bool warn_spare;
  bool warn_temperature;
  bool warn_degraded;
  bool warn_read_only;
  bool warn_volatile;
  bool warn_pmr_read_only;
  uint8_t endurance_warning;
  double temperature;
  double temp_sensor[HL_NVME_TEMP_SENSORS];
  double avail_spare;
  double spare_thresh;
  double percent_used;
  uint64_t bytes_read;
  uint64_t bytes_written;
  uint64_t host_reads;
  uint64_t host_writes;
  uint64_t busy_minutes;
  uint64_t power_cycles;
  uint64_t power_on_hours;
  uint64_t unsafe_shutdowns;
  uint64_t media_errors;
  uint64_t error_log_entries;
  uint64_t warn_temp_minutes;
  uint64_t crit_temp_minutes;
  uint64_t thermal_t1_transitions;
  uint64_t thermal_t2_transitions;
  uint64_t thermal_t1_seconds;
  uint64_t thermal_t2_seconds;
  unsigned implausible;
};

/**
 * hl_nvme_health_from_log() - decode a raw SMART / Health log (pure).
 * @log: the bytes as the drive returned them (little-endian).
 * @len: their count; only the first HL_NVME_SMART_LOG_LEN are read.
 * @out: result, fully overwritten on success.
 *
 * Return: 0; -EINVAL if @log or @out is NULL; -EPROTO if @len < 512.
 */
int hl_nvme_health_from_log(const void *log, size_t len,
                            struct hl_nvme_health *out);

/**
 * enum hl_nvme_kind - how a metric should be dispatched.
 * @HL_NVME_GAUGE:   a level (temperature, percentage, flag).
 * @HL_NVME_COUNTER: monotonic lifetime count (DERIVE or COUNTER in
 *                   collectd, so graphs show rates).
 */
enum hl_nvme_kind { HL_NVME_GAUGE, HL_NVME_COUNTER };

/** enum hl_nvme_ctype - C type of a struct hl_nvme_health member. */
enum hl_nvme_ctype {
  HL_NVME_T_BOOL,
  HL_NVME_T_U8,
  HL_NVME_T_DOUBLE,
  HL_NVME_T_U64
};

/**
 * struct hl_nvme_field - one numeric member of struct hl_nvme_health.
 * @name:   stable snake_case name without '-' (usable as type_instance).
 * @unit:   "celsius", "percent", "bytes", "commands", "minutes", "hours",
 *          "seconds", "count", "flag" or "bits".
 * @offset: offsetof() the member.
 * @ctype:  its C type.
 * @kind:   suggested collectd kind.
 */
struct hl_nvme_field {
  const char *name;
  const char *unit;
  size_t offset;
  enum hl_nvme_ctype ctype;
  enum hl_nvme_kind kind;
};

/**
 * hl_nvme_fields() - the metric table: every numeric member of struct
 * hl_nvme_health except @implausible, each exactly once.
 * @n: set to the number of entries.
 * Return: a static array (never NULL).
 */
const struct hl_nvme_field *hl_nvme_fields(size_t *n);

/**
 * hl_nvme_field_get() - value of one table field.
 * @h: decoded health. @f: an entry of hl_nvme_fields().
 * @gauge:   set for every field (counters converted to double); may be NULL.
 * @counter: set for HL_NVME_COUNTER, U8 and BOOL fields; may be NULL.
 *
 * Return: true if the value is present; false if it is NAN (not
 * implemented or implausible), in which case nothing should be dispatched.
 */
bool hl_nvme_field_get(const struct hl_nvme_health *h,
                       const struct hl_nvme_field *f, double *gauge,
                       uint64_t *counter);

/**
 * hl_nvme_crit_text() - plain-language meaning of a critical_warning bit.
 * @bit: bit number 0-5 (not the mask).
 * Return: a static string such as "available spare below threshold", or
 * NULL for reserved / out-of-range bits.
 */
const char *hl_nvme_crit_text(unsigned bit);

/* ---- Identify ---------------------------------------------------------- */

/**
 * struct hl_nvme_ctrl_info - decoded Identify Controller.
 * @vid, @ssvid:  PCI vendor and subsystem vendor IDs.
 * @serial, @model, @firmware: ASCII, blanks and NULs trimmed at both ends,
 *                non-printable bytes replaced by '?', NUL-terminated.
 * @wctemp_c, @cctemp_c: warning / critical composite temperature
 *                thresholds in °C; NAN when the drive reports 0 or an
 *                implausible value.
 * @tnvmcap:      total NVM capacity in bytes (saturating; 0 = not reported).
 * @nn:           largest valid namespace ID.
 * @lpa:          log page attributes (bit 0: per-namespace SMART log).
 */
struct hl_nvme_ctrl_info {
  uint16_t vid;
  uint16_t ssvid;
  char serial[21];
  char model[41];
  char firmware[9];
  double wctemp_c;
  double cctemp_c;
  uint64_t tnvmcap;
  uint32_t nn;
  uint8_t lpa;
};

/**
 * hl_nvme_ctrl_from_id() - decode Identify Controller data (pure).
 * @buf: the bytes. @len: their count (at least HL_NVME_IDENTIFY_LEN).
 * @out: result.
 * Return: 0, -EINVAL (NULL argument) or -EPROTO (@len too short).
 */
int hl_nvme_ctrl_from_id(const void *buf, size_t len,
                         struct hl_nvme_ctrl_info *out);

/**
 * struct hl_nvme_ns_info - decoded Identify Namespace.
 * @nsid:       namespace ID (as passed in).
 * @lba_size:   bytes per logical block of the format in use.
 * @thin:       NSFEAT bit 0: the namespace is thin provisioned (only then
 *              does @used_bytes differ from @cap_bytes on many drives).
 * @size_blocks, @cap_blocks, @used_blocks: NSZE, NCAP, NUSE.
 * @size_bytes, @cap_bytes, @used_bytes: the same times @lba_size
 *              (saturating).
 * @used_pct:   NUSE / NSZE in percent.
 */
struct hl_nvme_ns_info {
  uint32_t nsid;
  uint32_t lba_size;
  bool thin;
  uint64_t size_blocks;
  uint64_t cap_blocks;
  uint64_t used_blocks;
  uint64_t size_bytes;
  uint64_t cap_bytes;
  uint64_t used_bytes;
  double used_pct;
};

/**
 * hl_nvme_ns_from_id() - decode Identify Namespace data (pure).
 * @buf: the bytes. @len: their count (at least HL_NVME_IDENTIFY_LEN).
 * @nsid: namespace ID, copied into @out. @out: result.
 *
 * Return: 0; -EINVAL (NULL argument); -EPROTO if @len is short, FLBAS names
 * a format beyond NLBAF, or that format's LBA data size is not 2^9..2^24;
 * -ENODATA if NSZE is 0 (an inactive namespace: the controller returns
 * zeros for it).
 */
int hl_nvme_ns_from_id(const void *buf, size_t len, uint32_t nsid,
                       struct hl_nvme_ns_info *out);

/* ---- Health summary ---------------------------------------------------- */

/**
 * struct hl_nvme_limits - alert thresholds.
 * @warn_temp_c, @crit_temp_c: composite temperature levels (°C).
 * @warn_percent_used: percent_used at or above this is a warning; NAN
 *                     disables the check.
 */
struct hl_nvme_limits {
  double warn_temp_c;
  double crit_temp_c;
  double warn_percent_used;
};

/**
 * hl_nvme_limits_default() - thresholds from Identify, with fallbacks.
 * @lim: result.
 * @id:  decoded Identify Controller, or NULL if unknown.
 *
 * Uses WCTEMP / CCTEMP when reported, else HL_NVME_FALLBACK_WARN_C /
 * HL_NVME_FALLBACK_CRIT_C, and HL_NVME_DEFAULT_WARN_PERCENT_USED. Callers
 * override single members afterwards from their configuration.
 */
void hl_nvme_limits_default(struct hl_nvme_limits *lim,
                            const struct hl_nvme_ctrl_info *id);

/**
 * enum hl_nvme_reason - findings of hl_nvme_health_reasons(). The low six
 * bits are the critical_warning bits (enum hl_nvme_crit).
 * @HL_NVME_R_TEMP_WARN:  composite temperature >= warning limit.
 * @HL_NVME_R_TEMP_CRIT:  composite temperature >= critical limit.
 * @HL_NVME_R_SPARE_LOW:  avail_spare < spare_thresh (threshold > 0 only).
 * @HL_NVME_R_WORN:       percent_used >= warn_percent_used.
 */
enum hl_nvme_reason {
  HL_NVME_R_TEMP_WARN = 1u << 8,
  HL_NVME_R_TEMP_CRIT = 1u << 9,
  HL_NVME_R_SPARE_LOW = 1u << 10,
  HL_NVME_R_WORN = 1u << 11,
};

/**
 * hl_nvme_health_reasons() - every finding, as enum hl_nvme_reason bits.
 * @h: decoded health. @lim: thresholds.
 * Return: the bit mask (0 = nothing to report).
 */
unsigned hl_nvme_health_reasons(const struct hl_nvme_health *h,
                                const struct hl_nvme_limits *lim);

/**
 * hl_nvme_health_level() - overall health (pure).
 * @h: decoded health. @lim: thresholds.
 *
 * Critical: any critical_warning bit other than the temperature bit; the
 * composite temperature at/over @lim->crit_temp_c; spare below a non-zero
 * threshold. Warning: the temperature bit (unless the temperature itself is
 * critical), temperature at/over @lim->warn_temp_c, percent_used at/over
 * @lim->warn_percent_used.
 * Reserved critical_warning bits and NAN values are ignored.
 * Return: 0 ok, 1 warning, 2 critical.
 */
int hl_nvme_health_level(const struct hl_nvme_health *h,
                         const struct hl_nvme_limits *lim);

/* ---- Names ------------------------------------------------------------- */

/**
 * hl_nvme_ctrl_name() - controller name from a device path or name (pure).
 * @path: "/dev/nvme0", "nvme0", "/dev/nvme0n1", "nvme0n1p2", "nvme0c1n1";
 *        only the last path component is looked at.
 * @out:  result ("nvme0"). @len: its size.
 *
 * Namespaces and partitions map to the number after "nvme" ("nvme12n3p1"
 * gives "nvme12"), multipath path devices "nvmeXcYnZ" to "nvmeY". With
 * native NVMe multipath the X of "nvmeXnY" is the subsystem instance,
 * which usually but not always equals the controller's; use
 * hl_nvme_ctrl_name_sysfs() when sysfs is available.
 * Return: 0; -EINVAL if it is not such a name (leading zeros, trailing
 * garbage, symlink names such as /dev/disk/by-id/...); -ENAMETOOLONG.
 */
int hl_nvme_ctrl_name(const char *path, char *out, size_t len);

/**
 * hl_nvme_ctrl_name_sysfs() - like hl_nvme_ctrl_name(), but resolve a
 * namespace through <@sysfs_root>/block/<ns>/device: a link to "nvmeN" is
 * that controller; a link to "nvme-subsysN" (native multipath) picks the
 * lowest-numbered controller listed in
 * <@sysfs_root>/class/nvme-subsystem/nvme-subsysN/. Falls back to the
 * pure mapping when sysfs has no answer.
 * @sysfs_root: e.g. "/sys". @path, @out, @len: as for hl_nvme_ctrl_name().
 * Return: as for hl_nvme_ctrl_name().
 */
int hl_nvme_ctrl_name_sysfs(const char *sysfs_root, const char *path, char *out,
                            size_t len);

/* ---- Admin commands (libnvme) ------------------------------------------ */

/**
 * hl_nvme_open() - open a controller character device read-only.
 * @dev_root: e.g. "/dev". @ctrl: controller name "nvmeN".
 *
 * Opens <@dev_root>/<@ctrl> with O_RDONLY | O_CLOEXEC and checks that it
 * is a character device. Whether it speaks NVMe shows at the first
 * command (-ENOTTY). Close the descriptor with close(2).
 * Return: a file descriptor, or -EINVAL (bad name), -ENAMETOOLONG,
 * -ENOTTY (not a character device) or -errno from open(2)
 * (-ENOENT, -EACCES, ...).
 */
int hl_nvme_open(const char *dev_root, const char *ctrl);

/**
 * hl_nvme_get_smart_log() - Get Log Page 0x02 for all namespaces
 * (NSID 0xFFFFFFFF) on a controller descriptor.
 * @fd: from hl_nvme_open(). @buf: destination. @len: its size (>= 512).
 * Return: 0; a positive NVMe status if the drive rejected the command;
 * -EINVAL (@len too small), -EPERM/-EACCES (no CAP_SYS_ADMIN), -ENOTTY
 * (not an NVMe device) or another -errno.
 */
int hl_nvme_get_smart_log(int fd, void *buf, size_t len);

/**
 * hl_nvme_identify_ctrl() - Identify Controller (CNS 0x01, NSID 0).
 * @fd, @buf, @len: as for hl_nvme_get_smart_log(), @len >= 4096.
 * Return: as for hl_nvme_get_smart_log().
 */
int hl_nvme_identify_ctrl(int fd, void *buf, size_t len);

/**
 * hl_nvme_identify_ns() - Identify Namespace (CNS 0x00) for one NSID.
 * @fd: descriptor. @nsid: 1..0xFFFFFFFE (the broadcast NSID is refused,
 * as some drives log it as an error). @buf, @len: as above, @len >= 4096.
 * Return: as for hl_nvme_get_smart_log(); -EINVAL for NSID 0 or broadcast.
 */
int hl_nvme_identify_ns(int fd, uint32_t nsid, void *buf, size_t len);

/**
 * hl_nvme_read_health() - hl_nvme_get_smart_log() + decode.
 * @fd: descriptor. @out: result.
 * Return: as for hl_nvme_get_smart_log().
 */
int hl_nvme_read_health(int fd, struct hl_nvme_health *out);

/**
 * hl_nvme_read_ctrl() - hl_nvme_identify_ctrl() + decode.
 * @fd: descriptor. @out: result.
 * Return: as for hl_nvme_get_smart_log().
 */
int hl_nvme_read_ctrl(int fd, struct hl_nvme_ctrl_info *out);

/**
 * hl_nvme_read_namespaces() - decode every active namespace.
 * @fd:  descriptor.
 * @nn:  Identify Controller NN.
 * @out: array of @max entries. @max: its size. @count: entries filled.
 *
 * Lists active NSIDs with Identify CNS 0x02; where that is refused
 * (unprivileged callers on kernels >= 6.2 may send Identify Controller /
 * Namespace but not the list) or unsupported (NVMe 1.0), it identifies
 * NSIDs 1..min(@nn, HL_NVME_NS_MAX) and skips the zero-filled (inactive)
 * ones. Never sends the broadcast NSID.
 * Return: 0 (possibly with *@count == 0), or the first command's error as
 * for hl_nvme_get_smart_log().
 */
int hl_nvme_read_namespaces(int fd, uint32_t nn, struct hl_nvme_ns_info *out,
                            size_t max, size_t *count);

/**
 * hl_nvme_status_str() - text for a positive NVMe status.
 * @status: a positive return of the functions above.
 * Return: a static string from libnvme (e.g. "Invalid Field in Command").
 */
const char *hl_nvme_status_str(int status);

/* ---- Unprivileged fallback (sysfs) ------------------------------------- */

/**
 * hl_nvme_discover() - controllers listed in <@sysfs_root>/class/nvme.
 * @sysfs_root: e.g. "/sys".
 * @names: array of @max names, filled in numeric order ("nvme2" before
 *         "nvme10"). @max: its size. @count: names found (may exceed @max;
 *         only @max are stored).
 * Return: 0 (no class directory counts as no controllers), -errno from
 * opendir otherwise, -ENAMETOOLONG.
 */
int hl_nvme_discover(const char *sysfs_root, char (*names)[HL_NVME_NAME_MAX],
                     size_t max, size_t *count);

/**
 * enum hl_nvme_have - which struct hl_nvme_sysfs members were found.
 * HL_NVME_HAVE_SENSOR0 << (n-1) marks sensor n.
 */
enum hl_nvme_have {
  HL_NVME_HAVE_MODEL = 1u << 0,
  HL_NVME_HAVE_SERIAL = 1u << 1,
  HL_NVME_HAVE_FIRMWARE = 1u << 2,
  HL_NVME_HAVE_STATE = 1u << 3,
  HL_NVME_HAVE_HWMON = 1u << 4,
  HL_NVME_HAVE_TEMP = 1u << 5,
  HL_NVME_HAVE_TEMP_MAX = 1u << 6,
  HL_NVME_HAVE_TEMP_MIN = 1u << 7,
  HL_NVME_HAVE_TEMP_CRIT = 1u << 8,
  HL_NVME_HAVE_ALARM = 1u << 9,
  HL_NVME_HAVE_SENSOR0 = 1u << 10,
};

/**
 * struct hl_nvme_sysfs - what sysfs tells without privileges.
 * @have:      enum hl_nvme_have bits.
 * @model, @serial, @firmware: identity (trimmed), @state: e.g. "live".
 * @hwmon:     path of the hwmon directory used ("" if none).
 * @temperature: composite (°C), @temp_sensor: sensors 1-8 (°C); NAN when
 *             absent.
 * @temp_max, @temp_min: over / under temperature thresholds (°C).
 * @temp_crit: CCTEMP (°C).
 * @alarm:     temp1_alarm (critical_warning bit 1).
 */
struct hl_nvme_sysfs {
  unsigned have;
  char model[41];
  char serial[21];
  char firmware[9];
  char state[32];
  char hwmon[256];
  double temperature;
  double temp_sensor[HL_NVME_TEMP_SENSORS];
  double temp_max;
  double temp_min;
  double temp_crit;
  bool alarm;
};

/**
 * hl_nvme_sysfs_read() - identity and hwmon temperatures of a controller.
 * @sysfs_root: e.g. "/sys". @ctrl: "nvmeN". @out: result.
 *
 * The hwmon directory is the one whose "name" is "nvme", looked for in
 * <ctrl>/hwmonN/ (newer kernels) and <ctrl>/device/hwmon/hwmonN/. Channels
 * are mapped by their labels ("Composite", "Sensor N"), or by number
 * (temp1 composite, tempN+1 sensor N) when unlabelled. Files that are
 * missing, unreadable or malformed, and temperatures outside
 * HL_NVME_TEMP_MIN_C..HL_NVME_TEMP_MAX_C, leave their @have bit clear.
 * Return: 0; -EINVAL (bad name); -ENOENT if the controller does not exist.
 */
int hl_nvme_sysfs_read(const char *sysfs_root, const char *ctrl,
                       struct hl_nvme_sysfs *out);

#endif
