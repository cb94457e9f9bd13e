// SPDX-License-Identifier: MIT
/*
 * mock_collectd: a stand-in for the collectd daemon in glue tests.
 *
 * Glue tests link a plugin (and hl_plugin.c) against this file instead of
 * the daemon. It implements the collectd symbols the plugins reference with
 * the daemon's semantics (prototypes come from collectd's own headers) and
 * records what the plugin does: registered callbacks, dispatched value lists
 * (deep copies), notifications and log messages. The test then drives the
 * plugin like the daemon would (config -> init -> read... -> free_func) and
 * inspects the records through the mock_*() functions below.
 *
 * Time is a mock clock: cdtime() only moves when mock_advance_time() is
 * called, so c_complain() back-off is deterministic.
 *
 * Not thread-safe; one plugin per test program.
 */
#ifndef HOMELAB_TESTS_GLUE_MOCK_COLLECTD_H
#define HOMELAB_TESTS_GLUE_MOCK_COLLECTD_H

#include "collectd/core/daemon/collectd.h"

#include "collectd/core/daemon/configfile.h"
#include "collectd/core/daemon/plugin.h"
#include "collectd/core/daemon/utils_complain.h"
#include "collectd/core/daemon/utils_time.h"
#include "collectd/core/utils/common/common.h"

#include <stdbool.h>
#include <stddef.h>

/** MOCK_HOSTNAME - the value of hostname_g. */
#define MOCK_HOSTNAME "mockhost"

/* ---- lifecycle ----------------------------------------------------------- */

/**
 * mock_reset() - back to a freshly started daemon: calls the free_func of
 * every registered read callback (the daemon owns user_data), forgets all
 * registrations and records, resets the clock and the interval, unloads the
 * types.db data sets.
 */
void mock_reset(void);

/**
 * mock_clear_records() - forget recorded values, notifications and log
 * messages, keeping registrations (e.g. between two reads).
 */
void mock_clear_records(void);

/**
 * mock_set_interval() - the global interval plugin_get_interval() returns.
 * @interval: new value (default 10 s).
 */
void mock_set_interval(cdtime_t interval);

/**
 * mock_advance_time() - move the mock clock forward.
 * @delta: how far.
 */
void mock_advance_time(cdtime_t delta);

/**
 * mock_types_load() - load a types.db file; from then on
 * plugin_dispatch_values() checks every value list against it like the
 * daemon does (unknown type or wrong number of values: ERROR and -1) and
 * logs a WARNING for a value outside the data source's min/max.
 * @path: types.db file.
 * Return: 0, or a negative errno if the file cannot be read (nothing loaded).
 */
int mock_types_load(const char *path);

/* ---- driving the plugin -------------------------------------------------- */

/**
 * mock_config() - call the complex config callback registered for @plugin.
 * @plugin: name given to plugin_register_complex_config().
 * @ci:     the <Plugin> block (borrowed).
 * Return: the callback's status, or -ENOENT if none is registered.
 */
int mock_config(const char *plugin, oconfig_item_t *ci);

/**
 * mock_init_all() - call every init callback in registration order, like
 * plugin_init_all(): a callback that fails gets the read callback of the same
 * name unregistered (its free_func called).
 * Return: 0 if all succeeded, -1 otherwise.
 */
int mock_init_all(void);

/** mock_read_count() - number of registered read callbacks. */
size_t mock_read_count(void);

/**
 * mock_read_name() - name a read callback was registered with.
 * @i: index below mock_read_count().
 * Return: the name (borrowed, valid until the registration goes away).
 */
const char *mock_read_name(size_t i);

/**
 * mock_read_interval() - interval passed at registration (0 = default).
 * @i: index below mock_read_count().
 */
cdtime_t mock_read_interval(size_t i);

/**
 * mock_read_data() - user_data->data of a read callback (borrowed).
 * @i: index below mock_read_count().
 */
void *mock_read_data(size_t i);

/**
 * mock_read() - run read callback @i once, as a read thread would.
 * @i: index below mock_read_count().
 * Return: the callback's status.
 */
int mock_read(size_t i);

/**
 * mock_read_free_all() - shutdown: unregister every read callback and call
 * its free_func.
 */
void mock_read_free_all(void);

/* ---- recorded values ----------------------------------------------------- */

/** mock_count_values() - value lists dispatched since the last clear. */
size_t mock_count_values(void);

/**
 * mock_value() - recorded value list @i, in dispatch order (borrowed, valid
 * until the next clear/reset).
 */
const value_list_t *mock_value(size_t i);

/**
 * mock_find() - the last recorded value list matching the names.
 * @pi, @type, @ti: plugin instance, type, type instance ("" = empty,
 *                  NULL = any).
 * Return: the value list (borrowed) or NULL.
 */
const value_list_t *mock_find(const char *pi, const char *type, const char *ti);

/**
 * mock_count_matching() - number of recorded value lists matching.
 * @pi, @type, @ti: as for mock_find().
 */
size_t mock_count_matching(const char *pi, const char *type, const char *ti);

/* ---- recorded notifications ---------------------------------------------- */

/** mock_count_notifications() - notifications since the last clear. */
size_t mock_count_notifications(void);

/**
 * mock_notification() - recorded notification @i (borrowed) or NULL if
 * @i is out of range.
 */
const notification_t *mock_notification(size_t i);

/**
 * mock_value_meta() - string meta entry @key of a recorded value list
 * (borrowed), or NULL.
 */
const char *mock_value_meta(const value_list_t *vl, const char *key);

/**
 * mock_notification_meta() - string meta entry @key of recorded
 * notification @i (borrowed), or NULL.
 */
const char *mock_notification_meta(size_t i, const char *key);

/* ---- recorded log messages ----------------------------------------------- */

/**
 * mock_log_count() - log messages of @level (LOG_ERR ...) whose text
 * contains @substr (NULL = any) since the last clear.
 */
size_t mock_log_count(int level, const char *substr);

/** mock_log_contains() - mock_log_count(@level, @substr) > 0. */
bool mock_log_contains(int level, const char *substr);

/* ---- config trees -------------------------------------------------------- */

/**
 * ci_new() - a config block without values, e.g. ci_new("Plugin").
 * Free it with ci_free(). Aborts when out of memory (test helper).
 */
oconfig_item_t *ci_new(const char *key);

/**
 * ci_add_string() - append "Key "value"" to @parent.
 * Return: the new child (borrowed; valid until the next ci_add_*() on
 * @parent). The ci_add_*() helpers abort when out of memory.
 */
oconfig_item_t *ci_add_string(oconfig_item_t *parent, const char *key,
                              const char *val);

/** ci_add_number() - append "Key number" to @parent; see ci_add_string(). */
oconfig_item_t *ci_add_number(oconfig_item_t *parent, const char *key,
                              double val);

/** ci_add_bool() - append "Key true|false" to @parent; see ci_add_string(). */
oconfig_item_t *ci_add_bool(oconfig_item_t *parent, const char *key, bool val);

/** ci_free() - free a tree made by ci_new(); accepts NULL. */
void ci_free(oconfig_item_t *ci);

/**
 * ci_parse() - a <Plugin> block (key "Plugin") whose children are read from
 * @text in collectd's config syntax, a subset: one option per line,
 * "Key value...", nested "<Key value...>" ... "</Key>" blocks, values as
 * "strings" (with \" and \\ escapes), numbers (strtod) and the bare
 * words true/false; '#' starts a comment outside strings.
 * @text: the block's contents.
 * Return: the tree (free it with ci_free()), or NULL on a syntax error
 * (printed to stderr). Aborts when out of memory.
 */
oconfig_item_t *ci_parse(const char *text);

#endif
