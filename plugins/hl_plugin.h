// SPDX-License-Identifier: MIT
/*
 * hl_plugin: what every homelab plugin shares on the collectd side.
 *
 * Logging macros with the "homelab_<x>: " prefix (each plugin defines
 * HL_PLUGIN before including this header), metric tables that turn a struct
 * into value lists with one loop, notifications, threshold watches that
 * notify once per level change, and config helpers that name the option
 * in every error. This is the only place besides the plugins that includes
 * collectd's headers.
 */
#ifndef HOMELAB_PLUGINS_HL_PLUGIN_H
#define HOMELAB_PLUGINS_HL_PLUGIN_H

#include "collectd/core/daemon/collectd.h"

#include "collectd/core/daemon/configfile.h"
#include "collectd/core/daemon/plugin.h"
#include "collectd/core/daemon/utils_complain.h"
#include "collectd/core/utils/common/common.h"
#include "collectd/core/utils/metadata/meta_data.h"

#include "hl_thresh.h"

#ifndef HL_PLUGIN
#error "define HL_PLUGIN (the plugin name) before including hl_plugin.h"
#endif

#define hl_err(...) ERROR(HL_PLUGIN ": " __VA_ARGS__)
#define hl_warn(...) WARNING(HL_PLUGIN ": " __VA_ARGS__)
#define hl_notice(...) NOTICE(HL_PLUGIN ": " __VA_ARGS__)
#define hl_info(...) INFO(HL_PLUGIN ": " __VA_ARGS__)
#define hl_dbg(...) DEBUG(HL_PLUGIN ": " __VA_ARGS__)

/* Repeated failures: logged once until released, then "recovered" once. */
#define hl_complain(c, ...)                                                    \
  c_complain_once(LOG_ERR, (c), HL_PLUGIN ": " __VA_ARGS__)
#define hl_release(c, ...) c_release(LOG_INFO, (c), HL_PLUGIN ": " __VA_ARGS__)

/** enum hl_kind - how a metric table entry reads its struct field. */
enum hl_kind {
  HL_KIND_DOUBLE, /* double field, dispatched as GAUGE; NAN is skipped */
  HL_KIND_U64,    /* uint64_t field, dispatched as GAUGE */
  HL_KIND_DERIVE, /* uint64_t counter, dispatched as DERIVE */
};

/**
 * struct hl_metric - one row of a metric table.
 * @type:          collectd type (stock types.db or homelab.db).
 * @type_instance: type instance, may be "".
 * @offset:        offsetof() the field in the source struct.
 * @kind:          field type and data source type.
 * @group:         bit set; the row is sent only if it meets the mask given
 *                 to hl_submit_table() (0 = always).
 */
struct hl_metric {
  const char *type;
  const char *type_instance;
  size_t offset;
  enum hl_kind kind;
  unsigned group;
};

/**
 * hl_submit_table() - dispatch one single-value list per table row.
 * @time: timestamp for every value list (one per read, so values of one read
 *        line up in the database); 0 lets the daemon use "now".
 * @plugin: plugin name. @plugin_instance: instance, may be "".
 * @tbl, @n: the table. @base: the struct the offsets refer to.
 * @mask: rows whose @group shares no bit with @mask are skipped (rows with
 *        group 0 are always sent).
 * Return: number of value lists dispatched.
 */
int hl_submit_table(cdtime_t time, const char *plugin,
                    const char *plugin_instance, const struct hl_metric *tbl,
                    size_t n, const void *base, unsigned mask);

/**
 * hl_submit_md() - hl_submit() with value meta data (e.g. a drive's model
 * and serial). The daemon copies @meta; the caller keeps and frees it.
 * Return: plugin_dispatch_values()'s status.
 */
int hl_submit_md(cdtime_t time, const char *plugin, const char *plugin_instance,
                 const char *type, const char *type_instance,
                 const value_t *values, size_t n, meta_data_t *meta);

/**
 * hl_submit() - dispatch one value list of @n values at @time (0 = now).
 * Return: plugin_dispatch_values()'s status.
 */
int hl_submit(cdtime_t time, const char *plugin, const char *plugin_instance,
              const char *type, const char *type_instance,
              const value_t *values, size_t n);

/**
 * hl_notify() - dispatch a notification with a printf-style message.
 * @severity: NOTIF_OKAY, NOTIF_WARNING or NOTIF_FAILURE.
 * Return: plugin_dispatch_notification()'s status.
 */
__attribute__((format(printf, 6, 7))) int
hl_notify(int severity, const char *plugin, const char *plugin_instance,
          const char *type, const char *type_instance, const char *fmt, ...);

/** struct hl_kv - a notification meta entry (string value; NULL skips). */
struct hl_kv {
  const char *key;
  const char *value;
};

/**
 * hl_notify_kv() - hl_notify() with meta data: each entry becomes a
 * notification meta string (an exec handler sees "key: value" headers,
 * write_http JSON annotations).
 * @kv, @nkv: entries; entries with a NULL value are left out.
 * Return: plugin_dispatch_notification()'s status.
 */
__attribute__((format(printf, 8, 9))) int
hl_notify_kv(int severity, const char *plugin, const char *plugin_instance,
             const char *type, const char *type_instance,
             const struct hl_kv *kv, size_t nkv, const char *fmt, ...);

/** hl_severity() - collectd notification severity of a level. */
int hl_severity(enum hl_level level);

/**
 * struct hl_watch - a threshold on one reported value plus its state.
 * @limits: configured limits (NAN = off).
 * @state:  last reported level.
 */
struct hl_watch {
  struct hl_thresh limits;
  struct hl_thresh_state state;
};

/** hl_watch_init() - limits off, hysteresis @hyst, state unknown. */
void hl_watch_init(struct hl_watch *w, double hyst);

/* ---- one <Plugin> block, defaults without one --------------------------- */

/**
 * struct hl_single - config state of a plugin that takes one <Plugin> block
 * and applies its defaults when there is none. Written while collectd reads
 * the config, only read from init on.
 * @seen: a block was given. @bad: the config was rejected.
 *
 * A rejected config is reported by init, not by the config callback: a
 * failing config callback makes collectd exit, a failing init callback only
 * unloads this plugin, so the daemon keeps running with its other plugins.
 */
struct hl_single {
  bool seen;
  bool bad;
};

/**
 * hl_single_begin() - call first in the config callback.
 * Return: false (logged, state marked bad) for a second block.
 */
bool hl_single_begin(const char *plugin, struct hl_single *st);

/**
 * hl_single_init() - the init callback's body: runs @config on an empty
 * block when none was seen, then fails (logged) if the config was rejected.
 * Return: 0 or -1.
 */
int hl_single_init(const char *plugin, struct hl_single *st,
                   int (*config)(oconfig_item_t *));

/* ---- config helpers (all log "<plugin>: <Option>: <reason>") --------------
 */

/**
 * hl_cf_percent() - read a number in [0, 100]; 0 turns the limit off (NAN).
 * Return: 0 or -1 after logging.
 */
int hl_cf_percent(const char *plugin, const oconfig_item_t *ci, double *out);

/**
 * hl_cf_double_range() - read a number within [@min, @max].
 * Return: 0 or -1 after logging.
 */
int hl_cf_double_range(const char *plugin, const oconfig_item_t *ci, double min,
                       double max, double *out);

/** hl_cf_bool() - cf_util_get_boolean() that names the option on error. */
int hl_cf_bool(const char *plugin, const oconfig_item_t *ci, bool *out);

/** hl_cf_string() - cf_util_get_string() that names the option on error. */
int hl_cf_string(const char *plugin, const oconfig_item_t *ci, char **out);

/** hl_cf_unknown() - log "unknown option" and return -1. */
int hl_cf_unknown(const char *plugin, const oconfig_item_t *ci);

/**
 * hl_cf_secret_file() - read a secret (password, token) from the first line
 * of @path for option @option. Refuses anything but a regular file, a file
 * every user can read (mode o+r) and a group-readable one whose group is not
 * collectd's effective group; errors name the option and the file, never the
 * contents. The buffer used is wiped.
 * @max: longest secret accepted in bytes.
 * @out: on success a new string (free it with hl_secret_free()).
 * Return: 0 or -1 after logging.
 */
int hl_cf_secret_file(const char *plugin, const char *option, const char *path,
                      size_t max, char **out);

/**
 * hl_cf_secret_env() - copy a secret from environment variable @var
 * (non-empty) into @out for option @option. Return: 0 or -1 after logging.
 */
int hl_cf_secret_env(const char *plugin, const char *option, const char *var,
                     char **out);

/** hl_secret_free() - wipe and free *@s, set it to NULL; NULL is fine. */
void hl_secret_free(char **s);

/**
 * hl_cf_check_limits() - reject a warning limit that is not below its
 * failure limit. Return: 0 or -1 after logging.
 */
int hl_cf_check_limits(const char *plugin, const char *what,
                       const struct hl_thresh *t);

#endif
