// SPDX-License-Identifier: MIT
/*
 * homelab_nvme: NVMe controller health through libnvme (shared/hl_nvme),
 * with an unprivileged sysfs/hwmon fallback. One struct hnvme_target per
 * controller, each its own read callback "homelab_nvme/<ctrl>".
 *
 * Per read: fetch (open <DevRoot>/nvmeN; Identify Controller + namespaces
 * on connect and every HNVME_NS_EVERY reads; SMART log 0x02 with NSID
 * 0xFFFFFFFF every read) -> parse (hl_nvme_health_from_log) -> submit (one
 * loop over hl_nvme_fields()) and notify once per state change. When the
 * log cannot be read (no CAP_SYS_ADMIN: -EACCES/-EPERM, no device node in a
 * container, an NVMe error status) the values sysfs offers are reported
 * instead (hl_nvme_sysfs_read), and the missing ones are logged once. A
 * controller that is in neither /dev nor sysfs has vanished: complained
 * about and notified once, picked up again (and re-identified) when back.
 *
 * Identifiers, plugin "homelab_nvme", plugin_instance = controller or Alias:
 *   temperature-temperature, temperature-temp_sensor1..8   (°C, GAUGE)
 *   homelab_nvme_bits-critical_warning, -endurance_warning (raw bytes)
 *   homelab_nvme_warning-warn_{spare,temperature,degraded,read_only,
 *                                volatile,pmr_read_only}    (0/1 per bit)
 *   percent-avail_spare, percent-spare_thresh, homelab_percent_used
 *   total_bytes-bytes_read, -bytes_written                 (DERIVE)
 *   total_operations-host_reads, -host_writes              (DERIVE)
 *   derive-busy_minutes, -power_cycles, -power_on_hours, -unsafe_shutdowns,
 *     -media_errors, -error_log_entries, -warn_temp_minutes,
 *     -crit_temp_minutes, -thermal_t{1,2}_transitions, -thermal_t{1,2}_seconds
 *   homelab_health                      (0 ok, 1 warning, 2 critical)
 *   bytes-nvm_capacity                  (Identify TNVMCAP, when reported)
 *   bytes-ns<N>_size, -ns<N>_capacity, -ns<N>_used, percent-ns<N>_used
 * The sysfs fallback sends only the temperatures and warn_temperature
 * (temp1_alarm), under the same identifiers, and no health summary.
 *
 *   <Plugin homelab_nvme>
 *     Device "/dev/nvme0"        # repeatable; /dev/nvme0n1 maps to nvme0;
 *                                # none: every controller in sysfs
 *     IgnoreSelected false       # true: every controller except Device ones
 *     Alias "nvme0" "boot-ssd"   # plugin_instance for a controller
 *     WarningTemperature 70      # °C; default: the drive's WCTEMP
 *     CriticalTemperature 80     # °C; default: the drive's CCTEMP
 *     WarningPercentUsed 80      # 0 turns the check off
 *     SysfsRoot "/sys"
 *     DevRoot "/dev"
 *     Interval 60
 *   </Plugin>
 */
#define HL_PLUGIN "homelab_nvme"
#include "hl_plugin.h"

#include "hl_nvme.h"
#include "hl_str.h"

#include <inttypes.h>
#include <math.h>
#include <unistd.h>

#define HNVME_DEV_MAX 64 /* Device / Alias options */
#define HNVME_NS 16      /* namespaces reported per controller */
#define HNVME_NS_EVERY 60u
#define HNVME_FULL (~0u) /* every finding can be judged (SMART log read) */

/* Set while parsing the config, read-only from init on. */
static struct hl_single hnvme_single;
static struct hnvme_conf {
  char dev[HNVME_DEV_MAX][256];
  size_t ndev;
  char alias[HNVME_DEV_MAX][2][DATA_MAX_NAME_LEN]; /* device, name */
  size_t nalias;
  bool ignore_selected;
  double warn_temp, crit_temp, warn_pct; /* NAN = default */
  char sysfs_root[256], dev_root[256];
  cdtime_t interval;
} hnvme_cfg;

struct hnvme_target {
  char name[HL_NVME_NAME_MAX];      /* "nvme0" */
  char instance[DATA_MAX_NAME_LEN]; /* name or alias */
  char who[256];                    /* "nvme0 (model, serial S)" */
  const struct hnvme_conf *cfg;     /* read-only from init on */
  int fd;                           /* -1 while not connected */
  bool have_id, id_logged, fallback, gone, have_counts;
  struct hl_nvme_ctrl_info id;
  struct hl_nvme_limits lim;
  struct hl_nvme_ns_info ns[HNVME_NS];
  size_t nns;
  unsigned reads, reasons, seen, impl_logged;
  uint64_t media_errors, error_log_entries;
  c_complain_t c_dev, c_ident;
  meta_data_t *md; /* model, serial, firmware on every value; owned */
};

static void hnvme_target_free(void *arg) {
  struct hnvme_target *t = arg;
  if (t == NULL)
    return;
  if (t->fd >= 0)
    close(t->fd);
  if (t->md != NULL)
    meta_data_destroy(t->md);
  sfree(t);
}

static int hnvme_cf_strings(oconfig_item_t *c, int n) {
  bool ok = c->values_num == n;
  for (int i = 0; i < c->values_num; i++)
    ok = ok && c->values[i].type == OCONFIG_TYPE_STRING;
  if (ok)
    return 0;
  hl_err("%s: expects exactly %d string%s", c->key, n, n > 1 ? "s" : "");
  return -1;
}

static int hnvme_cf_copy(oconfig_item_t *c, int i, char *buf, size_t len) {
  if (hl_str_copy(buf, len, c->values[i].value.string) < len)
    return 0;
  hl_err("%s \"%s\": too long", c->key, c->values[i].value.string);
  return -1;
}

static int hnvme_config_option(struct hnvme_conf *f, oconfig_item_t *c) {
  const char *k = c->key;
  if (strcasecmp(k, "Device") == 0 || strcasecmp(k, "Alias") == 0) {
    bool dev = strcasecmp(k, "Device") == 0;
    size_t *n = dev ? &f->ndev : &f->nalias;
    if (hnvme_cf_strings(c, dev ? 1 : 2) != 0)
      return -1;
    if (*n >= HNVME_DEV_MAX) {
      hl_err("%s: at most %d are allowed", k, HNVME_DEV_MAX);
      return -1;
    }
    if (dev)
      return hnvme_cf_copy(c, 0, f->dev[f->ndev++], sizeof(f->dev[0]));
    const char *a = c->values[1].value.string;
    if (a[0] == '\0' || strchr(a, '/') != NULL) {
      hl_err("Alias \"%s\": must be non-empty and without '/'", a);
      return -1;
    }
    char(*al)[DATA_MAX_NAME_LEN] = f->alias[f->nalias++];
    return hnvme_cf_copy(c, 0, al[0], sizeof(al[0])) ||
           hnvme_cf_copy(c, 1, al[1], sizeof(al[1]));
  }
  if (strcasecmp(k, "IgnoreSelected") == 0)
    return hl_cf_bool(HL_PLUGIN, c, &f->ignore_selected);
  if (strcasecmp(k, "WarningTemperature") == 0)
    return hl_cf_double_range(HL_PLUGIN, c, -55, 200, &f->warn_temp);
  if (strcasecmp(k, "CriticalTemperature") == 0)
    return hl_cf_double_range(HL_PLUGIN, c, -55, 200, &f->crit_temp);
  if (strcasecmp(k, "WarningPercentUsed") == 0) {
    int rc = hl_cf_double_range(HL_PLUGIN, c, 0, 255, &f->warn_pct);
    f->warn_pct = f->warn_pct == 0 ? NAN : f->warn_pct;
    return rc;
  }
  if (strcasecmp(k, "SysfsRoot") == 0 || strcasecmp(k, "DevRoot") == 0) {
    bool sys = strcasecmp(k, "SysfsRoot") == 0;
    char *dst = sys ? f->sysfs_root : f->dev_root;
    if (hnvme_cf_strings(c, 1) || hnvme_cf_copy(c, 0, dst, sizeof(f->dev_root)))
      return -1;
    struct stat st;
    if (dst[0] != '/' || stat(dst, &st) != 0 || !S_ISDIR(st.st_mode)) {
      hl_err("%s \"%s\": not an existing absolute directory", k, dst);
      return -1;
    }
    return 0;
  }
  if (strcasecmp(k, "Interval") == 0) {
    double sec = 0;
    if (hl_cf_double_range(HL_PLUGIN, c, 0.001, 86400, &sec) != 0)
      return -1;
    f->interval = DOUBLE_TO_CDTIME_T(sec);
    return 0;
  }
  return hl_cf_unknown(HL_PLUGIN, c);
}

/* Only parses; targets are made by init (discovery needs the whole block).
 * Always returns 0: a rejected config is reported by init (struct
 * hl_single), so the daemon keeps running with its other plugins. */
static int hnvme_config(oconfig_item_t *ci) {
  if (!hl_single_begin(HL_PLUGIN, &hnvme_single))
    return 0;
  struct hnvme_conf *f = &hnvme_cfg;
  *f = (struct hnvme_conf){.warn_temp = NAN,
                           .crit_temp = NAN,
                           .warn_pct = HL_NVME_DEFAULT_WARN_PERCENT_USED};
  hl_str_copy(f->sysfs_root, sizeof(f->sysfs_root), "/sys");
  hl_str_copy(f->dev_root, sizeof(f->dev_root), "/dev");
  for (int i = 0; i < ci->children_num; i++)
    if (hnvme_config_option(f, &ci->children[i]) != 0)
      hnvme_single.bad = true;
  if (!hnvme_single.bad && !isnan(f->warn_temp) && !isnan(f->crit_temp) &&
      f->warn_temp >= f->crit_temp) {
    hl_err("WarningTemperature (%g) must be below CriticalTemperature (%g)",
           f->warn_temp, f->crit_temp);
    hnvme_single.bad = true;
  }
  return 0;
}

/* Device / Alias argument -> controller name; logs naming @opt. */
static int hnvme_ctrl(const char *opt, const char *dev, char *out) {
  int rc =
      hl_nvme_ctrl_name_sysfs(hnvme_cfg.sysfs_root, dev, out, HL_NVME_NAME_MAX);
  if (rc != 0)
    hl_err("%s \"%s\": not an NVMe controller or namespace (/dev/nvmeN, "
           "/dev/nvmeNnM)",
           opt, dev);
  return rc;
}

static bool hnvme_listed(char (*names)[HL_NVME_NAME_MAX], size_t n,
                         const char *name) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(names[i], name) == 0)
      return true;
  return false;
}

/* The controllers to read: the Device list, or discovery minus it. */
static int hnvme_select(char (*out)[HL_NVME_NAME_MAX], size_t *n) {
  const struct hnvme_conf *f = &hnvme_cfg;
  char dev[HNVME_DEV_MAX][HL_NVME_NAME_MAX];
  size_t nd = 0, found = 0;
  for (size_t i = 0; i < f->ndev; i++) {
    if (hnvme_ctrl("Device", f->dev[i], dev[nd]) != 0)
      return -1;
    nd += !hnvme_listed(dev, nd, dev[nd]); /* nvme0n1 + nvme0n2: once */
  }
  if (nd > 0 && !f->ignore_selected) {
    memcpy(out, dev, sizeof(dev));
    *n = nd;
    return 0;
  }
  char all[HNVME_DEV_MAX][HL_NVME_NAME_MAX];
  int rc = hl_nvme_discover(f->sysfs_root, all, HNVME_DEV_MAX, &found);
  if (rc != 0)
    hl_warn("listing %s/class/nvme failed: %s", f->sysfs_root, STRERROR(-rc));
  *n = 0;
  for (size_t i = 0; rc == 0 && i < found && i < HNVME_DEV_MAX; i++)
    if (!hnvme_listed(dev, nd, all[i]))
      hl_str_copy(out[(*n)++], HL_NVME_NAME_MAX, all[i]);
  return 0;
}

static struct hnvme_target *hnvme_target_new(const char *name) {
  struct hnvme_target *t = calloc(1, sizeof(*t));
  if (t == NULL)
    return NULL;
  t->fd = -1;
  t->cfg = &hnvme_cfg;
  hl_str_copy(t->name, sizeof(t->name), name);
  hl_str_copy(t->instance, sizeof(t->instance), name);
  hl_str_copy(t->who, sizeof(t->who), name);
  C_COMPLAIN_INIT(&t->c_dev);
  C_COMPLAIN_INIT(&t->c_ident);
  return t;
}

/* Aliases must name a selected controller and be unique. */
static int hnvme_target_validate(struct hnvme_target **ts, size_t n) {
  for (size_t a = 0; a < hnvme_cfg.nalias; a++) {
    const char(*al)[DATA_MAX_NAME_LEN] = hnvme_cfg.alias[a];
    char ctrl[HL_NVME_NAME_MAX];
    if (hnvme_ctrl("Alias", al[0], ctrl) != 0)
      return -1;
    size_t i = 0;
    while (i < n && strcmp(ts[i]->name, ctrl) != 0)
      i++;
    if (i == n && hnvme_cfg.ndev > 0 && !hnvme_cfg.ignore_selected) {
      hl_err("Alias \"%s\": no Device names controller %s", al[0], ctrl);
      return -1;
    }
    for (size_t j = 0; j < n; j++)
      if (j != i && strcmp(ts[j]->instance, al[1]) == 0) {
        hl_err("Alias \"%s\": name \"%s\" is already used", al[0], al[1]);
        return -1;
      }
    if (i < n)
      hl_str_copy(ts[i]->instance, sizeof(ts[i]->instance), al[1]);
  }
  return 0;
}

/* ---- identity and limits -------------------------------------------------
 */

/* Takes identity and default limits from @id (NULL: fallbacks). */
/* The identity as value meta data, so writers that keep meta (write_http
 * JSON, for example) label every value with the drive it came from. */
static void hnvme_set_meta(struct hnvme_target *t) {
  if (t->md != NULL)
    meta_data_destroy(t->md);
  t->md = meta_data_create();
  const struct {
    const char *key, *value;
  } kv[] = {{"model", t->id.model},
            {"serial", t->id.serial},
            {"firmware", t->id.firmware}};
  for (size_t i = 0; t->md != NULL && i < STATIC_ARRAY_SIZE(kv); i++)
    if (kv[i].value[0] != '\0')
      meta_data_add_string(t->md, kv[i].key, kv[i].value);
}

static void hnvme_set_id(struct hnvme_target *t,
                         const struct hl_nvme_ctrl_info *id) {
  if (id != NULL) {
    t->id = *id;
    hnvme_set_meta(t);
  }
  hl_nvme_limits_default(&t->lim, id);
  if (!isnan(t->cfg->warn_temp))
    t->lim.warn_temp_c = t->cfg->warn_temp;
  if (!isnan(t->cfg->crit_temp))
    t->lim.crit_temp_c = t->cfg->crit_temp;
  t->lim.warn_percent_used = t->cfg->warn_pct;
  bool alias = strcmp(t->name, t->instance) != 0;
  snprintf(t->who, sizeof(t->who), "%s%s%s%s (%s, serial %s)", t->name,
           alias ? " \"" : "", alias ? t->instance : "", alias ? "\"" : "",
           t->id.model[0] ? t->id.model : "unknown model",
           t->id.serial[0] ? t->id.serial : "unknown");
  if (id == NULL || t->id_logged)
    return;
  t->id_logged = true;
  hl_info("%s: model \"%s\", serial \"%s\", firmware \"%s\"; warning at "
          "%.1f °C, critical at %.1f °C",
          t->name, t->id.model, t->id.serial, t->id.firmware,
          t->lim.warn_temp_c, t->lim.crit_temp_c);
}

static const char *hnvme_strerr(int rc, char *buf, size_t len) {
  if (rc > 0)
    return hl_nvme_status_str(rc);
  return sstrerror(-rc, buf, len);
}

/* Identify Controller (on connect) and namespaces. */
static void hnvme_identify(struct hnvme_target *t, bool ctrl) {
  struct hl_nvme_ctrl_info id;
  int rc = ctrl ? hl_nvme_read_ctrl(t->fd, &id) : 0;
  if (ctrl && rc == 0) {
    t->have_id = true;
    hnvme_set_id(t, &id);
  }
  if (rc == 0 && t->have_id)
    rc = hl_nvme_read_namespaces(t->fd, t->id.nn, t->ns, HNVME_NS, &t->nns);
  if (rc != 0 && rc != -EACCES && rc != -EPERM) { /* see hnvme_fallback() */
    char eb[128];
    hl_complain(&t->c_ident, "%s: identify failed: %s", t->name,
                hnvme_strerr(rc, eb, sizeof(eb)));
  } else {
    hl_release(&t->c_ident, "%s: identify works again", t->name);
  }
}

/* ---- submit and notify ---------------------------------------------------
 */

static const char *hnvme_type(const struct hl_nvme_field *f) {
  static const char *const map[][2] = {
      {"celsius", "temperature"},       {"percent", "percent"},
      {"flag", "homelab_nvme_warning"}, {"bits", "homelab_nvme_bits"},
      {"bytes", "total_bytes"},         {"commands", "total_operations"},
  };
  if (strcmp(f->name, "percent_used") == 0)
    return "homelab_percent_used"; /* may exceed 100 */
  for (size_t i = 0; i < STATIC_ARRAY_SIZE(map); i++)
    if (strcmp(f->unit, map[i][0]) == 0)
      return map[i][1];
  return "derive"; /* count, minutes, hours, seconds */
}

/* One loop over the field table. @full false: only what sysfs gives. */
static int hnvme_submit(const struct hnvme_target *t, cdtime_t now,
                        const struct hl_nvme_health *h, bool full, bool alarm) {
  size_t n = 0;
  const struct hl_nvme_field *fs = hl_nvme_fields(&n);
  int sent = 0;
  for (size_t i = 0; i < n; i++) {
    const struct hl_nvme_field *f = &fs[i];
    double g = 0;
    uint64_t c = 0;
    if ((!full && strcmp(f->unit, "celsius") != 0 &&
         !(alarm && strcmp(f->name, "warn_temperature") == 0)) ||
        !hl_nvme_field_get(h, f, &g, &c))
      continue;
    value_t v = {.gauge = g};
    if (f->kind == HL_NVME_COUNTER)
      v.derive = c > INT64_MAX ? INT64_MAX : (derive_t)c;
    sent += hl_submit_md(now, HL_PLUGIN, t->instance, hnvme_type(f), f->name,
                         &v, 1, t->md) == 0;
  }
  if (full)
    hl_submit_md(now, HL_PLUGIN, t->instance, "homelab_health", "",
                 &(value_t){.gauge = hl_nvme_health_level(h, &t->lim)}, 1,
                 t->md);
  return sent;
}

static void hnvme_submit_ns(const struct hnvme_target *t, cdtime_t now) {
  if (t->have_id && t->id.tnvmcap > 0)
    hl_submit_md(now, HL_PLUGIN, t->instance, "bytes", "nvm_capacity",
                 &(value_t){.gauge = (gauge_t)t->id.tnvmcap}, 1, t->md);
  for (size_t i = 0; i < t->nns && i < HNVME_NS; i++) {
    const struct hl_nvme_ns_info *ns = &t->ns[i];
    const struct {
      const char *type, *what;
      double v;
    } m[] = {{"bytes", "size", (double)ns->size_bytes},
             {"bytes", "capacity", (double)ns->cap_bytes},
             {"bytes", "used", (double)ns->used_bytes},
             {"percent", "used", ns->used_pct}};
    for (size_t j = 0; j < STATIC_ARRAY_SIZE(m); j++) {
      char ti[DATA_MAX_NAME_LEN];
      snprintf(ti, sizeof(ti), "ns%" PRIu32 "_%s", ns->nsid, m[j].what);
      hl_submit_md(now, HL_PLUGIN, t->instance, m[j].type, ti,
                   &(value_t){.gauge = m[j].v}, 1, t->md);
    }
  }
}

/* "<who>: <what>" with the identity as meta data. */
static void hnvme_notify(const struct hnvme_target *t, int sev,
                         const char *type, const char *ti, const char *what) {
  char dev[300];
  snprintf(dev, sizeof(dev), "%s/%s", t->cfg->dev_root, t->name);
  struct hl_kv kv[] = {{"controller", t->name},
                       {"device", dev},
                       {"model", t->id.model[0] ? t->id.model : NULL},
                       {"serial", t->id.serial[0] ? t->id.serial : NULL},
                       {"firmware", t->id.firmware[0] ? t->id.firmware : NULL}};
  hl_notify_kv(sev, HL_PLUGIN, t->instance, type, ti, kv, STATIC_ARRAY_SIZE(kv),
               "%s: %s", t->who, what);
}

/* Findings notified once per change: critical_warning bits, spare, wear. */
static const struct {
  unsigned mask;
  int sev;
  const char *type, *ti;
} hnvme_checks[] = {
    {HL_NVME_CRIT_SPARE, NOTIF_FAILURE, "homelab_nvme_warning", "warn_spare"},
    {HL_NVME_CRIT_TEMPERATURE, NOTIF_WARNING, "homelab_nvme_warning",
     "warn_temperature"},
    {HL_NVME_CRIT_DEGRADED, NOTIF_FAILURE, "homelab_nvme_warning",
     "warn_degraded"},
    {HL_NVME_CRIT_READ_ONLY, NOTIF_FAILURE, "homelab_nvme_warning",
     "warn_read_only"},
    {HL_NVME_CRIT_VOLATILE, NOTIF_FAILURE, "homelab_nvme_warning",
     "warn_volatile"},
    {HL_NVME_CRIT_PMR_RO, NOTIF_FAILURE, "homelab_nvme_warning",
     "warn_pmr_read_only"},
    {HL_NVME_R_SPARE_LOW, NOTIF_FAILURE, "percent", "avail_spare"},
    {HL_NVME_R_WORN, NOTIF_WARNING, "homelab_percent_used", "percent_used"},
};

static void hnvme_check_text(size_t i, const struct hnvme_target *t,
                             const struct hl_nvme_health *h, bool set,
                             char *buf, size_t len) {
  const char *pre = set ? "" : "cleared: ";
  if (hnvme_checks[i].mask == HL_NVME_R_SPARE_LOW)
    snprintf(buf, len, "%savailable spare %.0f %% below threshold %.0f %%", pre,
             h->avail_spare, h->spare_thresh);
  else if (hnvme_checks[i].mask == HL_NVME_R_WORN)
    snprintf(buf, len, "%spercentage used %.0f %% at or above %.0f %%", pre,
             h->percent_used, t->lim.warn_percent_used);
  else
    snprintf(buf, len, "%scritical warning: %s", pre,
             hl_nvme_crit_text((unsigned)i));
}

/* Temperature level (0, 1, 2) as one watch over two reason bits. */
static void hnvme_notify_temp(const struct hnvme_target *t, unsigned r,
                              double c) {
  int lv = (r & HL_NVME_R_TEMP_CRIT) ? 2 : (r & HL_NVME_R_TEMP_WARN) ? 1 : 0;
  int was = (t->reasons & HL_NVME_R_TEMP_CRIT)   ? 2
            : (t->reasons & HL_NVME_R_TEMP_WARN) ? 1
                                                 : 0;
  if ((t->seen & HL_NVME_R_TEMP_WARN) ? lv == was : lv == 0)
    return;
  char what[128];
  double lim = lv == 2 ? t->lim.crit_temp_c : t->lim.warn_temp_c;
  snprintf(what, sizeof(what), "composite temperature %.1f °C %s %.1f °C", c,
           lv == 0   ? "is below the warning threshold"
           : lv == 1 ? "reached the warning threshold"
                     : "reached the critical threshold",
           lim);
  hnvme_notify(t,
               lv == 2 ? NOTIF_FAILURE
               : lv    ? NOTIF_WARNING
                       : NOTIF_OKAY,
               "temperature", "temperature", what);
}

/* Notifies every finding that changed among those @known can judge. */
static void hnvme_findings(struct hnvme_target *t,
                           const struct hl_nvme_health *h, unsigned known) {
  unsigned r = hl_nvme_health_reasons(h, &t->lim);
  unsigned temp = HL_NVME_R_TEMP_WARN | HL_NVME_R_TEMP_CRIT;
  known &= (isnan(h->temperature) ? ~temp : ~0u) &
           (isnan(h->avail_spare) || isnan(h->spare_thresh)
                ? ~(unsigned)HL_NVME_R_SPARE_LOW
                : ~0u) &
           (isnan(h->percent_used) ? ~(unsigned)HL_NVME_R_WORN : ~0u);
  for (size_t i = 0; i < STATIC_ARRAY_SIZE(hnvme_checks); i++) {
    unsigned m = hnvme_checks[i].mask;
    bool now = r & m, was = t->reasons & m;
    if (!(known & m) || ((t->seen & m) ? now == was : !now))
      continue;
    char what[128];
    hnvme_check_text(i, t, h, now, what, sizeof(what));
    hnvme_notify(t, now ? hnvme_checks[i].sev : NOTIF_OKAY,
                 hnvme_checks[i].type, hnvme_checks[i].ti, what);
  }
  if (known & temp)
    hnvme_notify_temp(t, r, h->temperature);
  t->reasons = (t->reasons & ~known) | (r & known);
  t->seen |= known;
}

/* Media errors / error-log entries that grew since the last read. */
static void hnvme_counters(struct hnvme_target *t,
                           const struct hl_nvme_health *h) {
  const struct {
    uint64_t *last, now;
    const char *ti, *what;
  } c[] = {{&t->media_errors, h->media_errors, "media_errors", "media errors"},
           {&t->error_log_entries, h->error_log_entries, "error_log_entries",
            "error log entries"}};
  for (size_t i = 0; i < STATIC_ARRAY_SIZE(c); i++) {
    if (t->have_counts && c[i].now > *c[i].last) {
      char what[128];
      snprintf(what, sizeof(what), "%s increased from %" PRIu64 " to %" PRIu64,
               c[i].what, *c[i].last, c[i].now);
      hnvme_notify(t, NOTIF_WARNING, "derive", c[i].ti, what);
    }
    *c[i].last = c[i].now;
  }
  t->have_counts = true;
}

/* Submit + notify for one decoded health (@known: HNVME_FULL or the
 * findings the sysfs fallback can judge). */
static void hnvme_process(struct hnvme_target *t, cdtime_t now,
                          const struct hl_nvme_health *h, unsigned known) {
  unsigned impl = h->implausible & ~t->impl_logged;
  if (impl != 0)
    hl_warn("%s: implausible values not dispatched (flags 0x%x): "
            "temperature 0 K or above %.0f °C, percentage above 100",
            t->name, impl, HL_NVME_TEMP_MAX_C);
  t->impl_logged |= h->implausible;
  bool full = known == HNVME_FULL;
  hnvme_submit(t, now, h, full, known & HL_NVME_CRIT_TEMPERATURE);
  hnvme_findings(t, h, known);
  if (full)
    hnvme_counters(t, h);
}

/* ---- read ----------------------------------------------------------------
 */

/* Sysfs instead of the SMART log (@rc: why the log was not read). */
static void hnvme_fallback(struct hnvme_target *t, int rc,
                           const struct hl_nvme_sysfs *s, cdtime_t now) {
  if (!t->have_id) {
    struct hl_nvme_ctrl_info id = {.wctemp_c = NAN, .cctemp_c = NAN};
    hl_str_copy(id.model, sizeof(id.model), s->model);
    hl_str_copy(id.serial, sizeof(id.serial), s->serial);
    hl_str_copy(id.firmware, sizeof(id.firmware), s->firmware);
    if (s->have & HL_NVME_HAVE_TEMP_MAX)
      id.wctemp_c = s->temp_max;
    if (s->have & HL_NVME_HAVE_TEMP_CRIT)
      id.cctemp_c = s->temp_crit;
    hnvme_set_id(t, &id);
  }
  bool alarm = s->have & HL_NVME_HAVE_ALARM;
  if (!t->fallback) {
    char eb[128];
    hl_warn("%s: SMART log unavailable (%s/%s: %s%s); reporting only the "
            "sysfs/hwmon temperatures%s; missing: %s%scritical warnings, "
            "spare, percentage used, data units, commands, power, error and "
            "thermal counters, namespaces, health",
            t->name, t->cfg->dev_root, t->name,
            hnvme_strerr(rc, eb, sizeof(eb)),
            rc == -EACCES || rc == -EPERM ? ", needs CAP_SYS_ADMIN" : "",
            alarm ? " and temperature alarm" : "",
            s->have & HL_NVME_HAVE_HWMON ? "" : "temperatures (no hwmon), ",
            alarm ? "other " : "");
    t->fallback = true;
  }
  struct hl_nvme_health h = {
      .temperature = s->temperature,
      .avail_spare = NAN,
      .spare_thresh = NAN,
      .percent_used = NAN,
      .warn_temperature = alarm && s->alarm,
      .critical_warning = alarm && s->alarm ? HL_NVME_CRIT_TEMPERATURE : 0,
  };
  memcpy(h.temp_sensor, s->temp_sensor, sizeof(h.temp_sensor));
  hnvme_process(t, now, &h,
                HL_NVME_R_TEMP_WARN | HL_NVME_R_TEMP_CRIT |
                    (alarm ? HL_NVME_CRIT_TEMPERATURE : 0u));
}

static void hnvme_present(struct hnvme_target *t, bool present, int rc) {
  if (present == !t->gone)
    return;
  t->gone = !present;
  if (!present) {
    hl_complain(&t->c_dev, "%s: controller vanished (%s/%s: %s)", t->name,
                t->cfg->dev_root, t->name, STRERROR(-rc));
    hnvme_notify(t, NOTIF_FAILURE, "homelab_available", "",
                 "controller vanished");
  } else {
    hl_release(&t->c_dev, "%s: controller is back", t->name);
    hnvme_notify(t, NOTIF_OKAY, "homelab_available", "", "controller is back");
  }
}

/* Opens (identifying on connect) and reads the SMART log. Return: 0, a
 * negative errno or a positive NVMe status. */
static int hnvme_fetch(struct hnvme_target *t, struct hl_nvme_health *h) {
  if (t->fd < 0) {
    int fd = hl_nvme_open(t->cfg->dev_root, t->name);
    if (fd < 0)
      return fd;
    t->fd = fd;
    t->have_id = false;
    t->reads = 0;
  }
  if (t->reads++ % HNVME_NS_EVERY == 0)
    hnvme_identify(t, !t->have_id);
  int rc = hl_nvme_read_health(t->fd, h);
  if (rc < 0 && rc != -EACCES && rc != -EPERM) { /* reconnect next time */
    close(t->fd);
    t->fd = -1;
  }
  return rc;
}

static int hnvme_read(user_data_t *ud) {
  struct hnvme_target *t = ud->data;
  struct hl_nvme_health h;
  int rc = hnvme_fetch(t, &h);
  cdtime_t now = cdtime();
  if (rc == 0) {
    hnvme_present(t, true, 0);
    if (t->fallback)
      hl_info("%s: SMART log readable again; full set restored", t->name);
    t->fallback = false;
    hnvme_process(t, now, &h, HNVME_FULL);
    hnvme_submit_ns(t, now);
    return 0;
  }
  struct hl_nvme_sysfs s;
  if (hl_nvme_sysfs_read(t->cfg->sysfs_root, t->name, &s) != 0) {
    /* Reported once (complaint + FAILURE). Returning 0 keeps the interval:
     * a failing read makes collectd double it, up to MaxReadInterval (a
     * day by default), and a returning drive would go unnoticed that long. */
    hnvme_present(t, false, rc > 0 ? -EIO : rc);
    return 0;
  }
  hnvme_present(t, true, 0);
  hnvme_fallback(t, rc, &s, now);
  return 0;
}

/* ---- registration ----------------------------------------------------------
 */

static int hnvme_init(void) {
  if (hl_single_init(HL_PLUGIN, &hnvme_single, hnvme_config) != 0)
    return -1;
  char names[HNVME_DEV_MAX][HL_NVME_NAME_MAX];
  struct hnvme_target *ts[HNVME_DEV_MAX] = {NULL};
  size_t n = 0;
  int rc = hnvme_select(names, &n);
  for (size_t i = 0; rc == 0 && i < n; i++)
    rc = (ts[i] = hnvme_target_new(names[i])) ? 0 : -ENOMEM;
  if (rc == 0)
    rc = hnvme_target_validate(ts, n);
  if (rc == 0 && n == 0)
    hl_info("no NVMe controller found in %s/class/nvme; nothing to read",
            hnvme_cfg.sysfs_root);
  for (size_t i = 0; i < n; i++) {
    if (rc != 0) {
      hnvme_target_free(ts[i]);
      continue;
    }
    char cb[64 + HL_NVME_NAME_MAX];
    snprintf(cb, sizeof(cb), HL_PLUGIN "/%s", ts[i]->name);
    hnvme_set_id(ts[i], NULL);
    plugin_register_complex_read(
        NULL, cb, hnvme_read, hnvme_cfg.interval,
        &(user_data_t){.data = ts[i], .free_func = hnvme_target_free});
  }
  if (rc != 0)
    hl_err("configuration rejected; plugin disabled (see errors above)");
  return rc == 0 ? 0 : -1;
}

void module_register(void) {
  plugin_register_complex_config(HL_PLUGIN, hnvme_config);
  plugin_register_init(HL_PLUGIN, hnvme_init);
}
