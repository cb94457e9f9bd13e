// SPDX-License-Identifier: MIT
/*
 * hl_plugin: shared collectd glue, compiled into every homelab plugin.
 * Value lists leave the interval and host empty so the daemon fills in the
 * read callback's interval and the global Hostname.
 */
#define HL_PLUGIN "homelab"
#include "hl_plugin.h"

#include <math.h>
#include <stdarg.h>

static void vl_names(value_list_t *vl, const char *plugin, const char *pi,
                     const char *type, const char *ti) {
  sstrncpy(vl->plugin, plugin, sizeof(vl->plugin));
  sstrncpy(vl->plugin_instance, pi ? pi : "", sizeof(vl->plugin_instance));
  sstrncpy(vl->type, type, sizeof(vl->type));
  sstrncpy(vl->type_instance, ti ? ti : "", sizeof(vl->type_instance));
}

int hl_submit_md(cdtime_t time, const char *plugin, const char *plugin_instance,
                 const char *type, const char *type_instance,
                 const value_t *values, size_t n, meta_data_t *meta) {
  value_list_t vl = VALUE_LIST_INIT;
  vl.time = time;
  vl.values = (value_t *)values;
  vl.values_len = n;
  vl.meta = meta;
  vl_names(&vl, plugin, plugin_instance, type, type_instance);
  return plugin_dispatch_values(&vl);
}

int hl_submit(cdtime_t time, const char *plugin, const char *plugin_instance,
              const char *type, const char *type_instance,
              const value_t *values, size_t n) {
  return hl_submit_md(time, plugin, plugin_instance, type, type_instance,
                      values, n, NULL);
}

int hl_submit_table(cdtime_t time, const char *plugin,
                    const char *plugin_instance, const struct hl_metric *tbl,
                    size_t n, const void *base, unsigned mask) {
  int sent = 0;
  for (size_t i = 0; i < n; i++) {
    const struct hl_metric *m = &tbl[i];
    if (m->group != 0 && (m->group & mask) == 0)
      continue;
    const char *field = (const char *)base + m->offset;
    value_t v;
    switch (m->kind) {
    case HL_KIND_DOUBLE: {
      double d;
      memcpy(&d, field, sizeof(d));
      if (isnan(d))
        continue;
      v.gauge = d;
      break;
    }
    case HL_KIND_U64: {
      uint64_t u;
      memcpy(&u, field, sizeof(u));
      v.gauge = (gauge_t)u;
      break;
    }
    case HL_KIND_DERIVE: {
      uint64_t u;
      memcpy(&u, field, sizeof(u));
      v.derive = (derive_t)u;
      break;
    }
    default:
      continue;
    }
    if (hl_submit(time, plugin, plugin_instance, m->type, m->type_instance, &v,
                  1) == 0)
      sent++;
  }
  return sent;
}

static int vnotify(int severity, const char *plugin, const char *pi,
                   const char *type, const char *ti, const struct hl_kv *kv,
                   size_t nkv, const char *fmt, va_list ap) {
  notification_t n = {.severity = severity, .time = cdtime()};
  sstrncpy(n.host, hostname_g, sizeof(n.host));
  sstrncpy(n.plugin, plugin, sizeof(n.plugin));
  sstrncpy(n.plugin_instance, pi ? pi : "", sizeof(n.plugin_instance));
  sstrncpy(n.type, type ? type : "", sizeof(n.type));
  sstrncpy(n.type_instance, ti ? ti : "", sizeof(n.type_instance));
  vsnprintf(n.message, sizeof(n.message), fmt, ap);
  for (size_t i = 0; i < nkv; i++)
    if (kv[i].value != NULL)
      plugin_notification_meta_add_string(&n, kv[i].key, kv[i].value);
  int rc = plugin_dispatch_notification(&n);
  if (n.meta != NULL)
    plugin_notification_meta_free(n.meta);
  return rc;
}

int hl_notify(int severity, const char *plugin, const char *plugin_instance,
              const char *type, const char *type_instance, const char *fmt,
              ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = vnotify(severity, plugin, plugin_instance, type, type_instance, NULL,
                   0, fmt, ap);
  va_end(ap);
  return rc;
}

int hl_notify_kv(int severity, const char *plugin, const char *plugin_instance,
                 const char *type, const char *type_instance,
                 const struct hl_kv *kv, size_t nkv, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = vnotify(severity, plugin, plugin_instance, type, type_instance, kv,
                   nkv, fmt, ap);
  va_end(ap);
  return rc;
}

int hl_severity(enum hl_level level) {
  switch (level) {
  case HL_LEVEL_FAILURE:
    return NOTIF_FAILURE;
  case HL_LEVEL_WARNING:
    return NOTIF_WARNING;
  default:
    return NOTIF_OKAY;
  }
}

void hl_watch_init(struct hl_watch *w, double hyst) {
  *w = (struct hl_watch){
      .limits = {.warning = NAN, .failure = NAN, .hysteresis = hyst},
  };
}

int hl_cf_double_range(const char *plugin, const oconfig_item_t *ci, double min,
                       double max, double *out) {
  double v = NAN;
  if (ci->values_num != 1 || ci->values[0].type != OCONFIG_TYPE_NUMBER) {
    ERROR("%s: %s: expects exactly one number", plugin, ci->key);
    return -1;
  }
  v = ci->values[0].value.number;
  if (!isfinite(v) || v < min || v > max) {
    ERROR("%s: %s: %g is out of range [%g, %g]", plugin, ci->key, v, min, max);
    return -1;
  }
  *out = v;
  return 0;
}

int hl_cf_percent(const char *plugin, const oconfig_item_t *ci, double *out) {
  double v = NAN;
  if (hl_cf_double_range(plugin, ci, 0, 100, &v) != 0)
    return -1;
  *out = v == 0 ? NAN : v;
  return 0;
}

/* Not cf_util_get_boolean(): it logs an error of its own, and one bad option
 * should give one error line. Accepts what it accepts: a boolean, or the
 * strings true/yes/on and false/no/off. */
int hl_cf_bool(const char *plugin, const oconfig_item_t *ci, bool *out) {
  static const char *const yes[] = {"true", "yes", "on"};
  static const char *const no[] = {"false", "no", "off"};
  if (ci->values_num == 1 && ci->values[0].type == OCONFIG_TYPE_BOOLEAN) {
    *out = ci->values[0].value.boolean != 0;
    return 0;
  }
  if (ci->values_num == 1 && ci->values[0].type == OCONFIG_TYPE_STRING) {
    const char *v = ci->values[0].value.string;
    for (size_t i = 0; i < STATIC_ARRAY_SIZE(yes); i++) {
      if (strcasecmp(v, yes[i]) == 0) {
        *out = true;
        return 0;
      }
      if (strcasecmp(v, no[i]) == 0) {
        *out = false;
        return 0;
      }
    }
  }
  ERROR("%s: %s: expects true or false", plugin, ci->key);
  return -1;
}

int hl_cf_string(const char *plugin, const oconfig_item_t *ci, char **out) {
  if (ci->values_num != 1 || ci->values[0].type != OCONFIG_TYPE_STRING) {
    ERROR("%s: %s: expects exactly one string", plugin, ci->key);
    return -1;
  }
  return cf_util_get_string(ci, out) == 0 ? 0 : -1;
}

int hl_cf_unknown(const char *plugin, const oconfig_item_t *ci) {
  ERROR("%s: unknown option \"%s\"", plugin, ci->key);
  return -1;
}

int hl_cf_check_limits(const char *plugin, const char *what,
                       const struct hl_thresh *t) {
  if (!isnan(t->warning) && !isnan(t->failure) && t->warning >= t->failure) {
    ERROR("%s: Warning%sPercent (%g) must be below Failure%sPercent (%g)",
          plugin, what, t->warning, what, t->failure);
    return -1;
  }
  return 0;
}

void hl_secret_free(char **s) {
  if (*s != NULL)
    explicit_bzero(*s, strlen(*s));
  sfree(*s);
}

int hl_cf_secret_file(const char *plugin, const char *option, const char *path,
                      size_t max, char **out) {
  /* O_NONBLOCK: a FIFO without a writer must not hang collectd's start-up
   * (it is refused below as "not a regular file"). */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    ERROR("%s: %s \"%s\": %s", plugin, option, path, STRERRNO);
    if (fd >= 0)
      close(fd);
    return -1;
  }
  /* Group-readable is fine only for collectd's own group (a root:collectd
   * 0640 file for a daemon running as group collectd). */
  const char *bad = !S_ISREG(st.st_mode)     ? "not a regular file"
                    : (st.st_mode & S_IROTH) ? "readable by every user: "
                                               "chmod o-rwx it"
                    : (st.st_mode & S_IRGRP) && st.st_gid != getegid()
                        ? "readable by a group collectd does not run as: "
                          "chmod g-r it"
                        : NULL;
  if (bad != NULL) {
    ERROR("%s: %s \"%s\": %s (mode %04o); refusing to use it", plugin, option,
          path, bad, (unsigned)(st.st_mode & 07777));
    close(fd);
    return -1;
  }
  char buf[4096];
  if (max > sizeof(buf) - 2)
    max = sizeof(buf) - 2;
  ssize_t n = read(fd, buf, max + 1);
  close(fd);
  if (n < 0) {
    ERROR("%s: %s \"%s\": %s", plugin, option, path, STRERRNO);
    return -1;
  }
  buf[n] = '\0';
  size_t len = strcspn(buf, "\r\n");
  int rc = -1;
  if (len == 0)
    ERROR("%s: %s \"%s\": empty first line", plugin, option, path);
  else if (len > max)
    ERROR("%s: %s \"%s\": longer than %zu bytes", plugin, option, path, max);
  else {
    buf[len] = '\0';
    hl_secret_free(out);
    *out = strdup(buf);
    rc = *out != NULL ? 0 : -1;
  }
  explicit_bzero(buf, sizeof(buf));
  return rc;
}

int hl_cf_secret_env(const char *plugin, const char *option, const char *var,
                     char **out) {
  const char *v = getenv(var);
  if (v == NULL || v[0] == '\0') {
    ERROR("%s: %s \"%s\": not set or empty in collectd's environment", plugin,
          option, var);
    return -1;
  }
  hl_secret_free(out);
  *out = strdup(v);
  return *out != NULL ? 0 : -1;
}

bool hl_single_begin(const char *plugin, struct hl_single *st) {
  if (st->seen) {
    ERROR("%s: only one <Plugin %s> block is allowed", plugin, plugin);
    st->bad = true;
    return false;
  }
  st->seen = true;
  return true;
}

int hl_single_init(const char *plugin, struct hl_single *st,
                   int (*config)(oconfig_item_t *)) {
  if (!st->seen)
    config(&(oconfig_item_t){.key = "Plugin"});
  if (st->bad) {
    ERROR("%s: configuration rejected; plugin disabled (see errors above)",
          plugin);
    return -1;
  }
  return 0;
}
