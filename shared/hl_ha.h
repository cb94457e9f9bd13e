// SPDX-License-Identifier: MIT
/*
 * hl_ha: pure decoders for the Home Assistant REST API (GET /api/,
 * /api/config, /api/core/state, /api/states, /api/states/<id> and the
 * {"message": ...} error bodies) and the helpers the homelab_ha plugin needs
 * to turn entity states into collectd values: state classification, unit to
 * collectd type mapping, glob matching and entity-id sanitising. Bytes in,
 * structs out: no I/O, no logging, no globals (the HTTP client is hl_http).
 */
#ifndef HOMELAB_SHARED_HL_HA_H
#define HOMELAB_SHARED_HL_HA_H

#include <stdbool.h>
#include <stddef.h>

/** Deepest JSON nesting accepted (real responses nest about 5 deep). */
#define HL_HA_MAX_DEPTH 32

/** Longest string kept per entity field; longer ones are cut at a UTF-8
 * character boundary (HA itself caps states at 255 characters). */
#define HL_HA_MAX_FIELD 255

/** Longest sanitised type_instance, without the NUL. */
#define HL_HA_INSTANCE_MAX 63

/**
 * enum hl_ha_core_state - Home Assistant's CoreState; the enum value is the
 * numeric gauge the plugin dispatches (HL_HA_CORE_UNKNOWN for any other
 * string).
 */
enum hl_ha_core_state {
  HL_HA_CORE_UNKNOWN = -1,
  HL_HA_CORE_NOT_RUNNING = 0,
  HL_HA_CORE_STARTING = 1,
  HL_HA_CORE_RUNNING = 2,
  HL_HA_CORE_STOPPING = 3,
  HL_HA_CORE_FINAL_WRITE = 4,
  HL_HA_CORE_STOPPED = 5,
};

/**
 * struct hl_ha_core - GET /api/core/state.
 * @state:       decoded state. @state_name: the string as sent ("" if none).
 * @has_recorder: "recorder_state" was present; then @migration_in_progress
 *               and @migration_is_live hold its booleans (false if absent).
 */
struct hl_ha_core {
  enum hl_ha_core_state state;
  char state_name[32];
  bool has_recorder;
  bool migration_in_progress;
  bool migration_is_live;
};

/**
 * struct hl_ha_config - the parts of GET /api/config we keep.
 * @version, @location_name: "" when absent (UTF-8, cut to fit).
 * @state: the core state string of the config ("" when absent).
 */
struct hl_ha_config {
  char version[64];
  char location_name[128];
  char state[32];
};

/**
 * struct hl_ha_entity - one entity state object.
 * @entity_id, @state: never NULL after a successful parse.
 * @unit, @device_class, @friendly_name: attributes; NULL when absent or
 *       not a string.
 * @has_attr, @attr: the requested attribute, when it was a finite number or
 *       a strictly numeric string.
 * @has_last_updated, @last_updated: last_updated as Unix seconds (with the
 *       fractional part), when present and valid ISO-8601.
 * All strings are owned, NUL-terminated, at most HL_HA_MAX_FIELD bytes.
 */
struct hl_ha_entity {
  char *entity_id;
  char *state;
  char *unit;
  char *device_class;
  char *friendly_name;
  bool has_attr;
  double attr;
  bool has_last_updated;
  double last_updated;
};

/**
 * struct hl_ha_filter - which entities GET /api/states keeps.
 * @ids, @nids:           exact entity ids.
 * @patterns, @npatterns: globs for hl_ha_glob_match().
 * @attribute:            attribute to decode into hl_ha_entity.attr (NULL:
 *                        none).
 * @ids_sorted:           @ids are sorted by strcmp() and not NULL: looked
 *                        up by binary search (else compared one by one,
 *                        which costs O(nids) per entity of the answer).
 * An entity is kept when it matches any id or any pattern. With no ids and
 * no patterns every entity is kept. Borrowed for the call only.
 */
struct hl_ha_filter {
  const char *const *ids;
  size_t nids;
  const char *const *patterns;
  size_t npatterns;
  const char *attribute;
  bool ids_sorted;
};

/**
 * struct hl_ha_states - result of hl_ha_parse_states().
 * @e, @n: kept entities in body order. @seen: entities in the body.
 */
struct hl_ha_states {
  struct hl_ha_entity *e;
  size_t n;
  size_t seen;
};

/*
 * Parsers. All take (@json, @len): the body, not NUL-terminated, never read
 * past @len; and (@err, @errlen): a fixed reason on failure, never body
 * bytes (a body could echo the token). @err may be NULL when @errlen is 0.
 * Common returns: 0; -EINVAL for NULL arguments; -EPROTO for HTML, non-JSON,
 * malformed or truncated JSON, nesting over HL_HA_MAX_DEPTH or a wrong
 * top-level type; -ENOMEM.
 */

/**
 * hl_ha_parse_api() - GET /api/.
 * @running: true when the body is an object whose "message" is exactly
 *           "API running.", false for any other valid JSON object.
 */
int hl_ha_parse_api(const char *json, size_t len, bool *running, char *err,
                    size_t errlen);

/**
 * hl_ha_parse_message() - the top-level "message" string of an error body
 * (401/404 JSON answers), copied into @msg (cut to @size). -ENOENT when the
 * object has no string "message".
 */
int hl_ha_parse_message(const char *json, size_t len, char *msg, size_t size,
                        char *err, size_t errlen);

/** hl_ha_parse_config() - GET /api/config into @out (overwritten). */
int hl_ha_parse_config(const char *json, size_t len, struct hl_ha_config *out,
                       char *err, size_t errlen);

/** hl_ha_parse_core() - GET /api/core/state into @out (overwritten). */
int hl_ha_parse_core(const char *json, size_t len, struct hl_ha_core *out,
                     char *err, size_t errlen);

/**
 * hl_ha_parse_states() - GET /api/states, streamed: only kept entities are
 * stored. @f: filter (NULL keeps all). @out: overwritten; free with
 * hl_ha_states_free(); empty on failure. Array elements that are not
 * objects, or objects without a string entity_id and state, are skipped.
 */
int hl_ha_parse_states(const char *json, size_t len,
                       const struct hl_ha_filter *f, struct hl_ha_states *out,
                       char *err, size_t errlen);

/**
 * hl_ha_parse_state() - GET /api/states/<id> (one object) into @out
 * (overwritten; free with hl_ha_entity_free()). @attribute: attribute to
 * decode, or NULL. -EPROTO also when entity_id or state is missing.
 */
int hl_ha_parse_state(const char *json, size_t len, const char *attribute,
                      struct hl_ha_entity *out, char *err, size_t errlen);

/** hl_ha_entity_free() - free @e's strings and zero it; NULL is fine. */
void hl_ha_entity_free(struct hl_ha_entity *e);

/** hl_ha_states_free() - free all entities and zero @s; NULL is fine. */
void hl_ha_states_free(struct hl_ha_states *s);

/** hl_ha_core_state_from() - "RUNNING" etc. (exact case) to the enum. */
enum hl_ha_core_state hl_ha_core_state_from(const char *s, size_t n);

/** hl_ha_core_state_name() - the enum's HA name; "unknown" otherwise. */
const char *hl_ha_core_state_name(enum hl_ha_core_state st);

/**
 * hl_ha_parse_time() - ISO-8601 as HA writes it to Unix seconds.
 * @s, @n: "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)" (a space is
 * accepted for 'T', "+HHMM" for the offset). The fraction keeps up to 9
 * digits. Return: 0, or -EINVAL for anything else (no offset included).
 */
int hl_ha_parse_time(const char *s, size_t n, double *out);

/**
 * hl_ha_parse_number() - strict decimal number: [-+]?digits[.digits]
 * [e[-+]digits] (also ".5"/"5."), no blanks, hex, "nan" or "inf"; finite.
 * Return: 0, -EINVAL (not a number) or -ERANGE (overflow, underflow or
 * longer than 511 bytes).
 */
int hl_ha_parse_number(const char *s, size_t n, double *out);

/** enum hl_ha_value_kind - what an entity state means for collectd. */
enum hl_ha_value_kind {
  HL_HA_VALUE_NUMBER,      /* numeric: a gauge */
  HL_HA_VALUE_BINARY,      /* on/off and friends: 1/0 */
  HL_HA_VALUE_UNAVAILABLE, /* "unavailable" / "unknown" / empty */
  HL_HA_VALUE_TEXT,        /* any other string: no value */
};

/**
 * hl_ha_state_value() - classify @state; *@out is set for NUMBER and BINARY.
 * Binary pairs (case-insensitive), 1 first: on/off, open/closed,
 * home/not_home, locked/unlocked, true/false, detected/clear.
 * NULL counts as unavailable.
 */
enum hl_ha_value_kind hl_ha_state_value(const char *state, double *out);

/**
 * struct hl_ha_type - a collectd type for an entity; the value to dispatch
 * is (state + @offset) * @scale.
 * @type:   stock types.db type ("temperature", "gauge", ...).
 * @scale:  multiply by this (kW → W, kWh → Wh, °F → °C: 5/9).
 * @offset: add this first (°F → °C: -32); 0 otherwise.
 */
struct hl_ha_type {
  const char *type;
  double scale;
  double offset;
};

/**
 * hl_ha_type_for() - collectd type from unit_of_measurement (exact match,
 * first) or device_class (fallback); "gauge" with scale 1 otherwise. Either
 * argument may be NULL. The returned string is static.
 */
struct hl_ha_type hl_ha_type_for(const char *unit, const char *device_class);

/**
 * hl_ha_glob_valid() - whether @pat is a usable glob: non-NULL, non-empty,
 * every '[' closed. Return: 0 or -EINVAL.
 */
int hl_ha_glob_valid(const char *pat);

/**
 * hl_ha_glob_match() - fnmatch(3)-like with FNM_NOESCAPE semantics,
 * implemented here: '*' any run (including '.' and '/'), '?' one byte,
 * "[abc]", "[a-z]", "[!x]"/"[^x]" one byte of (not) a set; ']' first in a
 * set is literal; no backslash escapes; byte-wise (UTF-8 is compared as
 * bytes). An invalid pattern (unclosed '[') matches nothing.
 */
bool hl_ha_glob_match(const char *pat, const char *s);

/**
 * hl_ha_sanitize_id() - entity id to a collectd type_instance in @out:
 * A-Z lowered; [a-z0-9._-] kept; any other byte, or one UTF-8 character,
 * becomes '_'; at most min(@size - 1, HL_HA_INSTANCE_MAX) bytes; "" or
 * NULL gives "_". @size must be ≥ 2.
 * Return: length written, or 0 if @size < 2.
 */
size_t hl_ha_sanitize_id(const char *id, char *out, size_t size);

#endif
