// SPDX-License-Identifier: MIT
/*
 * hl_ha: pure decoders for Home Assistant REST API bodies and the helpers
 * that turn entity states into collectd values.
 *
 * Data flow: the homelab_ha plugin fetches a body with hl_http and hands
 * (pointer, length) to one of the hl_ha_parse_*() functions, which run
 * yajl's callback (SAX) parser over it. The small endpoints (/api/,
 * /api/config, /api/core/state, error bodies) share one table-driven "flat
 * object" decoder that copies the few members we keep. /api/states is
 * streamed: each array element is decoded into one struct hl_ha_entity and
 * kept only when the caller's filter accepts its entity_id, so a 10k-entity
 * body never becomes a tree in memory; /api/states/<id> uses the same
 * decoder on a single object. Nesting is capped at HL_HA_MAX_DEPTH and kept
 * strings at HL_HA_MAX_FIELD bytes; the body size is the caller's cap.
 * Errors carry fixed reasons only: a body (or yajl's excerpt of it) could
 * contain the bearer token, so no input byte is ever copied into @err.
 * The value helpers are table-driven; this file has no file-scope state.
 */
#include "hl_ha.h"
#include "hl_str.h"

#include <errno.h>
#include <float.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yajl/yajl_parse.h>

enum vkind { V_NULL, V_BOOL, V_NUMBER, V_STRING, V_MAP, V_ARRAY };

/* State every decoder starts with; cast from the callback ctx. */
struct base {
  unsigned depth;
  bool seen_top;
  int err;
  const char *why;
};

static int fail(struct base *b, int err, const char *why) {
  b->err = err;
  b->why = why;
  return 0; /* tells yajl to stop */
}

static void set_err(char *err, size_t errlen, const char *why) {
  if (err != NULL && errlen > 0)
    hl_str_copy(err, errlen, why);
}

static bool key_is(const unsigned char *k, size_t n, const char *name) {
  return n == strlen(name) && memcmp(k, name, n) == 0;
}

/* Length of [s, s+n) cut to at most @max bytes at a UTF-8 boundary. */
static size_t utf8_cut(const char *s, size_t n, size_t max) {
  if (n <= max)
    return n;
  size_t k = max;
  while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
    k--;
  return k;
}

/* Copies a JSON string into a fixed buffer; NUL bytes refuse the copy. */
static bool copy_fixed(char *dst, size_t size, const char *s, size_t n) {
  if (size == 0 || memchr(s, '\0', n) != NULL)
    return false;
  size_t k = utf8_cut(s, n, size - 1);
  memcpy(dst, s, k);
  dst[k] = '\0';
  hl_utf8_fix(dst, k); /* yajl checks only the structure of sequences */
  return true;
}

/* Replaces *dst by an owned, capped copy. Return: 1, or 0 after fail(). */
static int set_str(struct base *b, char **dst, const char *s, size_t n) {
  if (memchr(s, '\0', n) != NULL)
    return 1;
  size_t k = utf8_cut(s, n, HL_HA_MAX_FIELD);
  char *copy = malloc(k + 1);
  if (copy == NULL)
    return fail(b, -ENOMEM, "out of memory");
  memcpy(copy, s, k);
  copy[k] = '\0';
  hl_utf8_fix(copy, k); /* yajl checks only the structure of sequences */
  free(*dst);
  *dst = copy;
  return 1;
}

/* Runs yajl with @cb over the body. Return: 0, -EPROTO or -ENOMEM, with a
 * fixed reason in @err. @top_kind is checked by the callbacks. */
static int run(const yajl_callbacks *cb, struct base *b, const char *json,
               size_t len, char *err, size_t errlen) {
  size_t i = 0;
  while (i < len && (json[i] == ' ' || json[i] == '\t' || json[i] == '\r' ||
                     json[i] == '\n'))
    i++;
  const char *why = NULL;
  if (i == len)
    why = "empty body";
  else if (json[i] == '<')
    why = "HTML page, not JSON";
  if (why != NULL) {
    set_err(err, errlen, why);
    return -EPROTO;
  }
  yajl_handle h = yajl_alloc(cb, NULL, b);
  if (h == NULL)
    return -ENOMEM;
  const unsigned char *u = (const unsigned char *)json;
  yajl_status st = yajl_parse(h, u, len);
  if (st == yajl_status_ok)
    st = yajl_complete_parse(h);
  yajl_free(h);
  int rc = 0;
  if (st == yajl_status_client_canceled) {
    rc = b->err != 0 ? b->err : -EPROTO;
    why = b->why != NULL ? b->why : "rejected";
  } else if (st != yajl_status_ok || !b->seen_top || b->depth != 0) {
    rc = -EPROTO;
    why = "malformed or truncated JSON";
  }
  if (rc != 0)
    set_err(err, errlen, why);
  return rc;
}

/* ---- flat objects: /api/, /api/config, /api/core/state, errors ---------- */

enum fkind { F_STR, F_BOOL, F_MAP };

/* A member to keep: @parent NULL for a top-level member, else the key of
 * the top-level object that holds it. */
struct flat_field {
  const char *parent;
  const char *key;
  enum fkind kind;
  char *str;
  size_t size;
  bool *flag; /* F_BOOL value, or F_MAP "present" */
  bool *seen;
};

struct flat_ctx {
  struct base b;
  const struct flat_field *fields;
  size_t nfields;
  char key[40]; /* last key at depth 1 ("" if too long) */
  char sub[40]; /* last key at depth 2 */
};

static const struct flat_field *flat_find(struct flat_ctx *c) {
  for (size_t i = 0; i < c->nfields; i++) {
    const struct flat_field *f = &c->fields[i];
    if (c->b.depth == 1 && f->parent == NULL && strcmp(f->key, c->key) == 0)
      return f;
    if (c->b.depth == 2 && f->parent != NULL &&
        strcmp(f->parent, c->key) == 0 && strcmp(f->key, c->sub) == 0)
      return f;
  }
  return NULL;
}

static int flat_value(struct flat_ctx *c, enum vkind k, const char *s, size_t n,
                      bool bv) {
  if (c->b.depth == 0) {
    c->b.seen_top = true;
    return k == V_MAP ? 1 : fail(&c->b, -EPROTO, "not a JSON object");
  }
  const struct flat_field *f = flat_find(c);
  if (f == NULL)
    return 1;
  bool ok = false;
  if (f->kind == F_STR && k == V_STRING)
    ok = copy_fixed(f->str, f->size, s, n);
  else if (f->kind == F_BOOL && k == V_BOOL)
    ok = (*f->flag = bv, true);
  else if (f->kind == F_MAP && k == V_MAP)
    ok = (*f->flag = true, true);
  if (ok && f->seen != NULL)
    *f->seen = true;
  return 1;
}

static int fl_null(void *x) { return flat_value(x, V_NULL, NULL, 0, false); }
static int fl_bool(void *x, int v) {
  return flat_value(x, V_BOOL, NULL, 0, v != 0);
}
static int fl_num(void *x, const char *s, size_t n) {
  return flat_value(x, V_NUMBER, s, n, false);
}
static int fl_str(void *x, const unsigned char *s, size_t n) {
  return flat_value(x, V_STRING, (const char *)s, n, false);
}

static int fl_open(struct flat_ctx *c, enum vkind k) {
  if (c->b.depth >= HL_HA_MAX_DEPTH)
    return fail(&c->b, -EPROTO, "nested too deeply");
  int rc = flat_value(c, k, NULL, 0, false);
  c->b.depth++;
  if (c->b.depth == 2)
    c->sub[0] = '\0';
  return rc;
}

static int fl_map(void *x) { return fl_open(x, V_MAP); }
static int fl_arr(void *x) { return fl_open(x, V_ARRAY); }

static int fl_key(void *x, const unsigned char *k, size_t n) {
  struct flat_ctx *c = x;
  char *dst = c->b.depth == 1 ? c->key : c->b.depth == 2 ? c->sub : NULL;
  if (dst == NULL)
    return 1;
  if (n >= sizeof(c->key) || memchr(k, '\0', n) != NULL) {
    dst[0] = '\0'; /* matches no field */
    return 1;
  }
  memcpy(dst, k, n);
  dst[n] = '\0';
  return 1;
}

static int fl_close(void *x) {
  struct flat_ctx *c = x;
  c->b.depth--;
  return 1;
}

static const yajl_callbacks flat_cb = {
    .yajl_null = fl_null,
    .yajl_boolean = fl_bool,
    .yajl_number = fl_num,
    .yajl_string = fl_str,
    .yajl_start_map = fl_map,
    .yajl_map_key = fl_key,
    .yajl_end_map = fl_close,
    .yajl_start_array = fl_arr,
    .yajl_end_array = fl_close,
};

static int flat_parse(const char *json, size_t len,
                      const struct flat_field *fields, size_t nfields,
                      char *err, size_t errlen) {
  if (json == NULL && len > 0)
    return -EINVAL;
  struct flat_ctx c = {.fields = fields, .nfields = nfields};
  return run(&flat_cb, &c.b, json != NULL ? json : "", len, err, errlen);
}

int hl_ha_parse_message(const char *json, size_t len, char *msg, size_t size,
                        char *err, size_t errlen) {
  if (msg == NULL || size == 0)
    return -EINVAL;
  msg[0] = '\0';
  bool seen = false;
  const struct flat_field f[] = {
      {NULL, "message", F_STR, msg, size, NULL, &seen}};
  int rc = flat_parse(json, len, f, 1, err, errlen);
  if (rc == 0 && !seen) {
    set_err(err, errlen, "no message");
    return -ENOENT;
  }
  return rc;
}

int hl_ha_parse_api(const char *json, size_t len, bool *running, char *err,
                    size_t errlen) {
  if (running == NULL)
    return -EINVAL;
  *running = false;
  char msg[32] = "";
  int rc = hl_ha_parse_message(json, len, msg, sizeof(msg), err, errlen);
  if (rc == -ENOENT)
    return 0;
  if (rc == 0)
    *running = strcmp(msg, "API running.") == 0;
  return rc;
}

int hl_ha_parse_config(const char *json, size_t len, struct hl_ha_config *out,
                       char *err, size_t errlen) {
  if (out == NULL)
    return -EINVAL;
  *out = (struct hl_ha_config){0};
  const struct flat_field f[] = {
      {NULL, "version", F_STR, out->version, sizeof(out->version), NULL, NULL},
      {NULL, "location_name", F_STR, out->location_name,
       sizeof(out->location_name), NULL, NULL},
      {NULL, "state", F_STR, out->state, sizeof(out->state), NULL, NULL},
  };
  int rc = flat_parse(json, len, f, sizeof(f) / sizeof(f[0]), err, errlen);
  if (rc != 0)
    *out = (struct hl_ha_config){0};
  return rc;
}

int hl_ha_parse_core(const char *json, size_t len, struct hl_ha_core *out,
                     char *err, size_t errlen) {
  if (out == NULL)
    return -EINVAL;
  *out = (struct hl_ha_core){.state = HL_HA_CORE_UNKNOWN};
  const char *rs = "recorder_state";
  const struct flat_field f[] = {
      {NULL, "state", F_STR, out->state_name, sizeof(out->state_name), NULL,
       NULL},
      {NULL, rs, F_MAP, NULL, 0, &out->has_recorder, NULL},
      {rs, "migration_in_progress", F_BOOL, NULL, 0,
       &out->migration_in_progress, NULL},
      {rs, "migration_is_live", F_BOOL, NULL, 0, &out->migration_is_live, NULL},
  };
  int rc = flat_parse(json, len, f, sizeof(f) / sizeof(f[0]), err, errlen);
  if (rc != 0) {
    *out = (struct hl_ha_core){.state = HL_HA_CORE_UNKNOWN};
    return rc;
  }
  out->state = hl_ha_core_state_from(out->state_name, strlen(out->state_name));
  return 0;
}

static const char *const core_names[] = {
    "NOT_RUNNING", "STARTING", "RUNNING", "STOPPING", "FINAL_WRITE", "STOPPED",
};

enum hl_ha_core_state hl_ha_core_state_from(const char *s, size_t n) {
  for (size_t i = 0; s != NULL && i < sizeof(core_names) / sizeof(*core_names);
       i++) {
    if (key_is((const unsigned char *)s, n, core_names[i]))
      return (enum hl_ha_core_state)i;
  }
  return HL_HA_CORE_UNKNOWN;
}

const char *hl_ha_core_state_name(enum hl_ha_core_state st) {
  if ((int)st < 0 || (size_t)st >= sizeof(core_names) / sizeof(*core_names))
    return "unknown";
  return core_names[st];
}

/* ---- entity states: /api/states and /api/states/<id> ------------------- */

enum ekey { EK_OTHER, EK_ID, EK_STATE, EK_UPDATED, EK_ATTRS };
enum akey { AK_OTHER, AK_UNIT, AK_CLASS, AK_NAME };

/*
 * @top is the depth of entity objects' members minus one: 1 for the array
 * of /api/states, 0 for a single object. Entity members are values at
 * depth top + 1, attribute members at top + 2 (when @in_attrs).
 */
struct ent_ctx {
  struct base b;
  bool array;
  unsigned top;
  const struct hl_ha_filter *f;
  const char *attribute;
  struct hl_ha_entity cur;
  bool in_ent;
  bool in_attrs;
  enum ekey key;
  enum akey akey;
  bool akey_req; /* the current attribute key is the requested one */
  struct hl_ha_states *out;
  size_t cap;
};

static bool keep_entity(const struct hl_ha_filter *f, const char *id) {
  if (f == NULL || (f->nids == 0 && f->npatterns == 0))
    return true;
  if (f->ids_sorted) {
    size_t lo = 0, hi = f->nids;
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      int c = strcmp(f->ids[mid], id);
      if (c == 0)
        return true;
      if (c < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
  } else {
    for (size_t i = 0; i < f->nids; i++) {
      if (f->ids[i] != NULL && strcmp(f->ids[i], id) == 0)
        return true;
    }
  }
  for (size_t i = 0; i < f->npatterns; i++) {
    if (f->patterns[i] != NULL && hl_ha_glob_match(f->patterns[i], id))
      return true;
  }
  return false;
}

/* End of one array element: keep it or drop it. */
static int entity_end(struct ent_ctx *c) {
  c->in_ent = false;
  c->in_attrs = false;
  if (!c->array)
    return 1;
  c->out->seen++;
  struct hl_ha_entity *e = &c->cur;
  if (e->entity_id == NULL || e->state == NULL ||
      !keep_entity(c->f, e->entity_id)) {
    hl_ha_entity_free(e);
    return 1;
  }
  if (c->out->n == c->cap) {
    size_t cap = c->cap ? c->cap * 2 : 16;
    struct hl_ha_entity *ne = reallocarray(c->out->e, cap, sizeof(*ne));
    if (ne == NULL) {
      hl_ha_entity_free(e);
      return fail(&c->b, -ENOMEM, "out of memory");
    }
    c->out->e = ne;
    c->cap = cap;
  }
  c->out->e[c->out->n++] = *e;
  *e = (struct hl_ha_entity){0};
  return 1;
}

static int entity_member(struct ent_ctx *c, enum vkind k, const char *s,
                         size_t n) {
  struct hl_ha_entity *e = &c->cur;
  switch (c->key) {
  case EK_ID:
    return k == V_STRING ? set_str(&c->b, &e->entity_id, s, n) : 1;
  case EK_STATE:
    return k == V_STRING ? set_str(&c->b, &e->state, s, n) : 1;
  case EK_UPDATED:
    if (k == V_STRING)
      e->has_last_updated = hl_ha_parse_time(s, n, &e->last_updated) == 0;
    return 1;
  case EK_ATTRS:
    c->in_attrs = k == V_MAP;
    c->akey = AK_OTHER;
    c->akey_req = false;
    return 1;
  case EK_OTHER:
    return 1;
  }
  return 1;
}

static int attr_member(struct ent_ctx *c, enum vkind k, const char *s,
                       size_t n) {
  struct hl_ha_entity *e = &c->cur;
  if (c->akey_req && (k == V_NUMBER || k == V_STRING))
    e->has_attr = hl_ha_parse_number(s, n, &e->attr) == 0;
  if (k != V_STRING)
    return 1;
  switch (c->akey) {
  case AK_UNIT:
    return set_str(&c->b, &e->unit, s, n);
  case AK_CLASS:
    return set_str(&c->b, &e->device_class, s, n);
  case AK_NAME:
    return set_str(&c->b, &e->friendly_name, s, n);
  case AK_OTHER:
    return 1;
  }
  return 1;
}

static int ent_value(struct ent_ctx *c, enum vkind k, const char *s, size_t n) {
  unsigned d = c->b.depth;
  if (d == 0) {
    c->b.seen_top = true;
    if (k != (c->array ? V_ARRAY : V_MAP))
      return fail(&c->b, -EPROTO,
                  c->array ? "not a JSON array" : "not a JSON object");
  }
  if (d == c->top && k == V_MAP) {
    hl_ha_entity_free(&c->cur);
    c->in_ent = true;
    c->in_attrs = false;
    c->key = EK_OTHER;
    return 1;
  }
  if (c->in_ent && d == c->top + 1)
    return entity_member(c, k, s, n);
  if (c->in_attrs && d == c->top + 2)
    return attr_member(c, k, s, n);
  return 1;
}

static int en_null(void *x) { return ent_value(x, V_NULL, NULL, 0); }
static int en_bool(void *x, int v) {
  (void)v;
  return ent_value(x, V_BOOL, NULL, 0);
}
static int en_num(void *x, const char *s, size_t n) {
  return ent_value(x, V_NUMBER, s, n);
}
static int en_str(void *x, const unsigned char *s, size_t n) {
  return ent_value(x, V_STRING, (const char *)s, n);
}

static int en_open(struct ent_ctx *c, enum vkind k) {
  if (c->b.depth >= HL_HA_MAX_DEPTH)
    return fail(&c->b, -EPROTO, "nested too deeply");
  int rc = ent_value(c, k, NULL, 0);
  c->b.depth++;
  return rc;
}

static int en_map(void *x) { return en_open(x, V_MAP); }
static int en_arr(void *x) { return en_open(x, V_ARRAY); }

static int en_key(void *x, const unsigned char *k, size_t n) {
  struct ent_ctx *c = x;
  if (c->in_ent && c->b.depth == c->top + 1) {
    c->key = key_is(k, n, "entity_id")      ? EK_ID
             : key_is(k, n, "state")        ? EK_STATE
             : key_is(k, n, "last_updated") ? EK_UPDATED
             : key_is(k, n, "attributes")   ? EK_ATTRS
                                            : EK_OTHER;
  } else if (c->in_attrs && c->b.depth == c->top + 2) {
    c->akey = key_is(k, n, "unit_of_measurement") ? AK_UNIT
              : key_is(k, n, "device_class")      ? AK_CLASS
              : key_is(k, n, "friendly_name")     ? AK_NAME
                                                  : AK_OTHER;
    c->akey_req = c->attribute != NULL && key_is(k, n, c->attribute);
  }
  return 1;
}

static int en_close(void *x) {
  struct ent_ctx *c = x;
  c->b.depth--;
  if (c->b.depth == c->top + 1)
    c->in_attrs = false;
  if (c->b.depth == c->top && c->in_ent)
    return entity_end(c);
  return 1;
}

static const yajl_callbacks ent_cb = {
    .yajl_null = en_null,
    .yajl_boolean = en_bool,
    .yajl_number = en_num,
    .yajl_string = en_str,
    .yajl_start_map = en_map,
    .yajl_map_key = en_key,
    .yajl_end_map = en_close,
    .yajl_start_array = en_arr,
    .yajl_end_array = en_close,
};

int hl_ha_parse_states(const char *json, size_t len,
                       const struct hl_ha_filter *f, struct hl_ha_states *out,
                       char *err, size_t errlen) {
  if (out == NULL || (json == NULL && len > 0))
    return -EINVAL;
  *out = (struct hl_ha_states){0};
  struct ent_ctx c = {.array = true,
                      .top = 1,
                      .f = f,
                      .attribute = f != NULL ? f->attribute : NULL,
                      .out = out};
  int rc = run(&ent_cb, &c.b, json != NULL ? json : "", len, err, errlen);
  hl_ha_entity_free(&c.cur);
  if (rc != 0)
    hl_ha_states_free(out);
  return rc;
}

int hl_ha_parse_state(const char *json, size_t len, const char *attribute,
                      struct hl_ha_entity *out, char *err, size_t errlen) {
  if (out == NULL || (json == NULL && len > 0))
    return -EINVAL;
  *out = (struct hl_ha_entity){0};
  struct ent_ctx c = {.top = 0, .attribute = attribute};
  int rc = run(&ent_cb, &c.b, json != NULL ? json : "", len, err, errlen);
  if (rc == 0 && (c.cur.entity_id == NULL || c.cur.state == NULL)) {
    set_err(err, errlen, "no entity_id or state");
    rc = -EPROTO;
  }
  if (rc != 0) {
    hl_ha_entity_free(&c.cur);
    return rc;
  }
  *out = c.cur;
  return 0;
}

void hl_ha_entity_free(struct hl_ha_entity *e) {
  if (e == NULL)
    return;
  free(e->entity_id);
  free(e->state);
  free(e->unit);
  free(e->device_class);
  free(e->friendly_name);
  *e = (struct hl_ha_entity){0};
}

void hl_ha_states_free(struct hl_ha_states *s) {
  if (s == NULL)
    return;
  for (size_t i = 0; i < s->n; i++)
    hl_ha_entity_free(&s->e[i]);
  free(s->e);
  *s = (struct hl_ha_states){0};
}

/* ---- numbers and times -------------------------------------------------- */

/* Whether [s, s+n) is [-+]?(digits[.digits?]|.digits)([eE][-+]?digits)?. */
static bool number_syntax(const char *s, size_t n) {
  size_t i = 0;
  if (i < n && (s[i] == '-' || s[i] == '+'))
    i++;
  size_t int_digits = 0;
  while (i < n && s[i] >= '0' && s[i] <= '9')
    i++, int_digits++;
  size_t frac_digits = 0;
  if (i < n && s[i] == '.') {
    i++;
    while (i < n && s[i] >= '0' && s[i] <= '9')
      i++, frac_digits++;
  }
  if (int_digits + frac_digits == 0)
    return false;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    if (i < n && (s[i] == '-' || s[i] == '+'))
      i++;
    size_t exp_digits = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9')
      i++, exp_digits++;
    if (exp_digits == 0)
      return false;
  }
  return i == n;
}

int hl_ha_parse_number(const char *s, size_t n, double *out) {
  if (s == NULL || out == NULL || !number_syntax(s, n))
    return -EINVAL;
  char buf[512];
  if (n >= sizeof(buf))
    return -ERANGE;
  memcpy(buf, s, n);
  buf[n] = '\0';
  return hl_str_to_double(buf, -DBL_MAX, DBL_MAX, out);
}

/* @k decimal digits at s[at]; false if any is not a digit. */
static bool digits(const char *s, size_t n, size_t at, size_t k, int *v) {
  int r = 0;
  if (at + k > n)
    return false;
  for (size_t i = at; i < at + k; i++) {
    if (s[i] < '0' || s[i] > '9')
      return false;
    r = r * 10 + (s[i] - '0');
  }
  *v = r;
  return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m) {
  static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : dm[m - 1];
}

/* Zone designator at s[i..n): "Z", "+HH:MM", "+HHMM" (or '-'), in seconds. */
static bool parse_zone(const char *s, size_t n, size_t i, int *off) {
  if (i + 1 == n && (s[i] == 'Z' || s[i] == 'z')) {
    *off = 0;
    return true;
  }
  if (i >= n || (s[i] != '+' && s[i] != '-'))
    return false;
  int hh = 0;
  int mm = 0;
  size_t m_at = i + 3 < n && s[i + 3] == ':' ? i + 4 : i + 3;
  if (!digits(s, n, i + 1, 2, &hh) || !digits(s, n, m_at, 2, &mm) ||
      m_at + 2 != n || hh > 23 || mm > 59)
    return false;
  *off = (s[i] == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
  return true;
}

int hl_ha_parse_time(const char *s, size_t n, double *out) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0, off = 0;
  if (s == NULL || out == NULL || n < 20 || !digits(s, n, 0, 4, &y) ||
      s[4] != '-' || !digits(s, n, 5, 2, &mo) || s[7] != '-' ||
      !digits(s, n, 8, 2, &d) || (s[10] != 'T' && s[10] != ' ') ||
      !digits(s, n, 11, 2, &h) || s[13] != ':' || !digits(s, n, 14, 2, &mi) ||
      s[16] != ':' || !digits(s, n, 17, 2, &se))
    return -EINVAL;
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
      mi > 59 || se > 60)
    return -EINVAL;
  size_t i = 19;
  double frac = 0;
  if (s[i] == '.') {
    double scale = 0.1;
    size_t start = ++i;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
      frac += i - start < 9 ? (s[i] - '0') * scale : 0;
      scale /= 10;
    }
    if (i == start)
      return -EINVAL;
  }
  if (!parse_zone(s, n, i, &off))
    return -EINVAL;
  int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
  *out = (double)(t - off) + frac;
  return 0;
}

/* ---- states, units, globs, names ---------------------------------------- */

enum hl_ha_value_kind hl_ha_state_value(const char *state, double *out) {
  static const struct {
    const char *on, *off;
  } pairs[] = {{"on", "off"},        {"open", "closed"},
               {"home", "not_home"}, {"locked", "unlocked"},
               {"true", "false"},    {"detected", "clear"}};
  if (state == NULL || state[0] == '\0' ||
      strcasecmp(state, "unavailable") == 0 ||
      strcasecmp(state, "unknown") == 0)
    return HL_HA_VALUE_UNAVAILABLE;
  double v = 0;
  if (hl_ha_parse_number(state, strlen(state), &v) == 0) {
    if (out != NULL)
      *out = v;
    return HL_HA_VALUE_NUMBER;
  }
  for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
    bool on = strcasecmp(state, pairs[i].on) == 0;
    if (on || strcasecmp(state, pairs[i].off) == 0) {
      if (out != NULL)
        *out = on ? 1 : 0;
      return HL_HA_VALUE_BINARY;
    }
  }
  return HL_HA_VALUE_TEXT;
}

struct hl_ha_type hl_ha_type_for(const char *unit, const char *device_class) {
  static const struct {
    const char *unit;   /* NULL: any unit */
    const char *dclass; /* NULL: any device class */
    struct hl_ha_type t;
  } by_unit[] = {
      {"\xc2\xb0"
       "C",
       NULL,
       {"temperature", 1, 0}},
      {"\xc2\xb0"
       "F",
       NULL,
       {"temperature", 5.0 / 9.0, -32}}, /* collectd's temperature is °C */
      {"%", "humidity", {"humidity", 1, 0}},
      {"%", NULL, {"percent", 1, 0}},
      {"W", NULL, {"power", 1, 0}},
      {"kW", NULL, {"power", 1000, 0}},
      {"Wh", NULL, {"energy_wh", 1, 0}},
      {"kWh", NULL, {"energy_wh", 1000, 0}},
      {"V", NULL, {"voltage", 1, 0}},
      {"A", NULL, {"current", 1, 0}},
      {"Hz", NULL, {"frequency", 1, 0}},
      {"hPa", NULL, {"pressure", 1, 0}},
      {"dBm", NULL, {"signal_power", 1, 0}},
      {NULL, "temperature", {"temperature", 1, 0}},
      {NULL, "humidity", {"humidity", 1, 0}},
      {NULL, "battery", {"percent", 1, 0}},
      {NULL, "power", {"power", 1, 0}},
      {NULL, "voltage", {"voltage", 1, 0}},
  };
  for (size_t i = 0; i < sizeof(by_unit) / sizeof(by_unit[0]); i++) {
    const char *u = by_unit[i].unit;
    const char *dc = by_unit[i].dclass;
    if (u == NULL && unit != NULL && unit[0] != '\0')
      continue; /* device-class rows only for entities without a unit */
    if ((u == NULL || (unit != NULL && strcmp(u, unit) == 0)) &&
        (dc == NULL || (device_class != NULL && strcmp(dc, device_class) == 0)))
      return by_unit[i].t;
  }
  return (struct hl_ha_type){"gauge", 1, 0};
}

/* The ']' that closes a set whose body starts at @p, or NULL. */
static const char *set_end(const char *p) {
  if (*p == '!' || *p == '^')
    p++;
  if (*p == ']')
    p++;
  while (*p != '\0' && *p != ']')
    p++;
  return *p == ']' ? p : NULL;
}

static bool set_match(const char *p, const char *end, unsigned char c) {
  bool neg = *p == '!' || *p == '^';
  bool hit = false;
  if (neg)
    p++;
  while (p < end) {
    if (p + 2 < end && p[1] == '-') {
      hit = hit || (c >= (unsigned char)p[0] && c <= (unsigned char)p[2]);
      p += 3;
    } else {
      hit = hit || c == (unsigned char)*p;
      p++;
    }
  }
  return hit != neg;
}

int hl_ha_glob_valid(const char *pat) {
  if (pat == NULL || pat[0] == '\0')
    return -EINVAL;
  for (const char *p = pat; *p != '\0'; p++) {
    if (*p != '[')
      continue;
    const char *end = set_end(p + 1);
    if (end == NULL)
      return -EINVAL;
    p = end;
  }
  return 0;
}

bool hl_ha_glob_match(const char *pat, const char *s) {
  if (pat == NULL || s == NULL || (pat[0] != '\0' && hl_ha_glob_valid(pat)))
    return false;
  const char *star_p = NULL;
  const char *star_s = NULL;
  while (*s != '\0') {
    if (*pat == '*') {
      while (*pat == '*')
        pat++;
      if (*pat == '\0')
        return true;
      star_p = pat;
      star_s = s;
      continue;
    }
    const char *end = *pat == '[' ? set_end(pat + 1) : NULL;
    if (end != NULL && set_match(pat + 1, end, (unsigned char)*s)) {
      pat = end + 1;
      s++;
      continue;
    }
    if (end == NULL && *pat != '\0' && (*pat == '?' || *pat == *s)) {
      pat++;
      s++;
      continue;
    }
    if (star_p == NULL)
      return false;
    pat = star_p;
    s = ++star_s;
  }
  while (*pat == '*')
    pat++;
  return *pat == '\0';
}

size_t hl_ha_sanitize_id(const char *id, char *out, size_t size) {
  if (out == NULL || size < 2)
    return 0;
  size_t max = size - 1 < HL_HA_INSTANCE_MAX ? size - 1 : HL_HA_INSTANCE_MAX;
  size_t k = 0;
  for (const char *p = id != NULL ? id : ""; *p != '\0' && k < max; p++) {
    unsigned char c = (unsigned char)*p;
    if (c >= 0x80 && c < 0xC0 && p != id && ((unsigned char)p[-1] >= 0x80))
      continue; /* continuation byte: its character already gave '_' */
    if (c >= 'A' && c <= 'Z')
      c = (unsigned char)(c - 'A' + 'a');
    bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                c == '_' || c == '-';
    out[k++] = keep ? (char)c : '_';
  }
  if (k == 0)
    out[k++] = '_';
  out[k] = '\0';
  return k;
}
