// SPDX-License-Identifier: MIT
/*
 * mock_collectd: our own implementation of the collectd daemon symbols that
 * homelab plugins use, for glue tests (see mock_collectd.h for the API).
 *
 * Registrations are kept in small arrays; plugin_dispatch_values() and
 * plugin_dispatch_notification() append deep copies to record arrays;
 * plugin_log() prints "mock LEVEL: message" to stderr and appends the text
 * to the log record. c_complain()/c_do_release() follow the daemon's rules
 * (report, then back off from the interval, doubling up to a day; release
 * only reports after a complaint) on the mock clock. Allocation failures
 * abort: this is test code and a half-recorded run would only mislead.
 */
#include "mock_collectd.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char mock_hostname[] = MOCK_HOSTNAME;
char *hostname_g = mock_hostname;

#define MOCK_T0 TIME_T_TO_CDTIME_T_STATIC(1700000000)
#define MOCK_INTERVAL TIME_T_TO_CDTIME_T_STATIC(10)

struct mock_config_cb {
  char *name;
  int (*cb)(oconfig_item_t *);
};

struct mock_init_cb {
  char *name;
  plugin_init_cb cb;
};

struct mock_read_cb {
  char *group;
  char *name;
  plugin_read_cb cb;
  cdtime_t interval;
  user_data_t ud;
};

struct mock_log {
  int level;
  char *msg;
};

struct mock_ds {
  double min;
  double max;
};

struct mock_type {
  char *name;
  size_t ds_num;
  struct mock_ds *ds;
};

/* A growable array of fixed-size elements. */
struct mock_vec {
  void *v;
  size_t n;
  size_t cap;
};

static struct mock_vec configs, inits, reads, values, notifs, logs, types;
static cdtime_t mock_now = MOCK_T0;
static cdtime_t mock_interval = MOCK_INTERVAL;

static void *mock_xalloc(void *p, size_t n) {
  void *r = realloc(p, n ? n : 1);
  if (r == NULL) {
    fputs("mock_collectd: out of memory\n", stderr);
    abort();
  }
  return r;
}

static char *mock_xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = mock_xalloc(NULL, n);
  memcpy(d, s, n);
  return d;
}

/* Appends a zeroed element of @size bytes and returns it. */
static void *vec_push(struct mock_vec *vec, size_t size) {
  if (vec->n == vec->cap) {
    vec->cap = vec->cap ? vec->cap * 2 : 16;
    vec->v = mock_xalloc(vec->v, vec->cap * size);
  }
  void *e = (char *)vec->v + vec->n * size;
  memset(e, 0, size);
  vec->n++;
  return e;
}

static void vec_free(struct mock_vec *vec) {
  free(vec->v);
  *vec = (struct mock_vec){0};
}

#define VEC_AT(vec, type, i) (&((type *)(vec).v)[i])

/* ---- logging ------------------------------------------------------------- */

static const char *level_name(int level) {
  switch (level) {
  case LOG_ERR:
    return "ERROR";
  case LOG_WARNING:
    return "WARNING";
  case LOG_NOTICE:
    return "NOTICE";
  case LOG_INFO:
    return "INFO";
  case LOG_DEBUG:
    return "DEBUG";
  default:
    return "UNKNOWN";
  }
}

__attribute__((format(printf, 2, 0))) static void
mock_vlog(int level, const char *format, va_list ap) {
  char msg[1024];
  vsnprintf(msg, sizeof(msg), format, ap);
  fprintf(stderr, "mock %s: %s\n", level_name(level), msg);
  struct mock_log *l = vec_push(&logs, sizeof(*l));
  l->level = level;
  l->msg = mock_xstrdup(msg);
}

void plugin_log(int level, const char *format, ...) {
  va_list ap;
  va_start(ap, format);
  mock_vlog(level, format, ap);
  va_end(ap);
}

size_t mock_log_count(int level, const char *substr) {
  size_t n = 0;
  for (size_t i = 0; i < logs.n; i++) {
    const struct mock_log *l = VEC_AT(logs, struct mock_log, i);
    if (l->level == level && (substr == NULL || strstr(l->msg, substr)))
      n++;
  }
  return n;
}

bool mock_log_contains(int level, const char *substr) {
  return mock_log_count(level, substr) > 0;
}

/* ---- time, strings ------------------------------------------------------- */

cdtime_t cdtime(void) { return mock_now; }

void mock_advance_time(cdtime_t delta) { mock_now += delta; }

cdtime_t plugin_get_interval(void) { return mock_interval; }

void mock_set_interval(cdtime_t interval) { mock_interval = interval; }

char *sstrncpy(char *dest, const char *src, size_t n) {
  if (n == 0)
    return dest;
  size_t len = strnlen(src, n - 1);
  memcpy(dest, src, len);
  dest[len] = '\0';
  return dest;
}

char *sstrerror(int errnum, char *buf, size_t buflen) {
  if (buflen == 0)
    return buf;
  /* GNU strerror_r (we build with _GNU_SOURCE) may return a static string. */
  const char *s = strerror_r(errnum, buf, buflen);
  if (s != buf)
    sstrncpy(buf, s, buflen);
  return buf;
}

/* ---- complaints: the daemon's back-off rules ----------------------------- */

/* Reports if the back-off allows it; returns whether it did. */
__attribute__((format(printf, 3, 0))) static bool
mock_vcomplain(int level, c_complain_t *c, const char *format, va_list ap) {
  cdtime_t now = cdtime();
  if (c->last + c->interval > now)
    return false;
  c->last = now;
  if (c->interval < plugin_get_interval())
    c->interval = plugin_get_interval();
  else
    c->interval *= 2;
  if (c->interval > TIME_T_TO_CDTIME_T(86400))
    c->interval = TIME_T_TO_CDTIME_T(86400);
  mock_vlog(level, format, ap);
  return true;
}

void c_complain(int level, c_complain_t *c, const char *format, ...) {
  va_list ap;
  va_start(ap, format);
  if (mock_vcomplain(level, c, format, ap))
    c->complained_once = true;
  va_end(ap);
}

void c_complain_once(int level, c_complain_t *c, const char *format, ...) {
  if (c->complained_once)
    return;
  va_list ap;
  va_start(ap, format);
  if (mock_vcomplain(level, c, format, ap))
    c->complained_once = true;
  va_end(ap);
}

void c_do_release(int level, c_complain_t *c, const char *format, ...) {
  if (c->interval == 0)
    return;
  c->interval = 0;
  c->complained_once = false;
  va_list ap;
  va_start(ap, format);
  mock_vlog(level, format, ap);
  va_end(ap);
}

/* ---- config helpers the daemon exports ----------------------------------- */

int cf_util_get_string(const oconfig_item_t *ci, char **ret_string) {
  if (ci->values_num != 1 || ci->values[0].type != OCONFIG_TYPE_STRING) {
    plugin_log(LOG_ERR, "The `%s' option requires exactly one string argument.",
               ci->key);
    return -1;
  }
  char *s = strdup(ci->values[0].value.string);
  if (s == NULL)
    return -1;
  free(*ret_string);
  *ret_string = s;
  return 0;
}

/* Booleans, plus the deprecated strings true/yes/on and false/no/off. */
int cf_util_get_boolean(const oconfig_item_t *ci, bool *ret_bool) {
  if (ci == NULL || ret_bool == NULL)
    return EINVAL;
  if (ci->values_num != 1 || (ci->values[0].type != OCONFIG_TYPE_BOOLEAN &&
                              ci->values[0].type != OCONFIG_TYPE_STRING)) {
    plugin_log(LOG_ERR,
               "The `%s' option requires exactly one boolean argument.",
               ci->key);
    return -1;
  }
  if (ci->values[0].type == OCONFIG_TYPE_BOOLEAN) {
    *ret_bool = ci->values[0].value.boolean != 0;
    return 0;
  }
  const char *s = ci->values[0].value.string;
  plugin_log(LOG_WARNING,
             "Using string value `%s' for boolean option `%s' is deprecated.",
             s, ci->key);
  if (IS_TRUE(s)) {
    *ret_bool = true;
  } else if (IS_FALSE(s)) {
    *ret_bool = false;
  } else {
    plugin_log(LOG_ERR,
               "Cannot parse string value `%s' of the `%s' option as a "
               "boolean value.",
               s, ci->key);
    return -1;
  }
  return 0;
}

int cf_util_get_cdtime(const oconfig_item_t *ci, cdtime_t *ret_value) {
  if (ci == NULL || ret_value == NULL)
    return EINVAL;
  if (ci->values_num != 1 || ci->values[0].type != OCONFIG_TYPE_NUMBER) {
    plugin_log(LOG_ERR,
               "The `%s' option requires exactly one numeric argument.",
               ci->key);
    return -1;
  }
  if (ci->values[0].value.number < 0.0) {
    plugin_log(LOG_ERR,
               "The numeric argument of the `%s' option must not be negative.",
               ci->key);
    return -1;
  }
  *ret_value = DOUBLE_TO_CDTIME_T(ci->values[0].value.number);
  return 0;
}

/* ---- registration -------------------------------------------------------- */

int plugin_register_complex_config(const char *type,
                                   int (*callback)(oconfig_item_t *)) {
  struct mock_config_cb *c = vec_push(&configs, sizeof(*c));
  c->name = mock_xstrdup(type);
  c->cb = callback;
  return 0;
}

int plugin_register_init(const char *name, plugin_init_cb callback) {
  struct mock_init_cb *c = vec_push(&inits, sizeof(*c));
  c->name = mock_xstrdup(name);
  c->cb = callback;
  return 0;
}

static void free_userdata(user_data_t *ud) {
  if (ud->free_func != NULL)
    ud->free_func(ud->data);
  *ud = (user_data_t){0};
}

static ssize_t read_index(const char *name) {
  for (size_t i = 0; i < reads.n; i++)
    if (strcmp(VEC_AT(reads, struct mock_read_cb, i)->name, name) == 0)
      return (ssize_t)i;
  return -1;
}

/* Like the daemon: a duplicate name is refused and, since the daemon owns
 * user_data from the call on, its free_func runs. */
int plugin_register_complex_read(const char *group, const char *name,
                                 plugin_read_cb callback, cdtime_t interval,
                                 user_data_t const *user_data) {
  user_data_t ud = user_data ? *user_data : (user_data_t){0};
  if (read_index(name) >= 0) {
    plugin_log(LOG_WARNING,
               "The read function \"%s\" is already registered. "
               "Check for duplicates in your configuration!",
               name);
    free_userdata(&ud);
    return EINVAL;
  }
  struct mock_read_cb *r = vec_push(&reads, sizeof(*r));
  r->group = mock_xstrdup(group ? group : "");
  r->name = mock_xstrdup(name);
  r->cb = callback;
  r->interval = interval;
  r->ud = ud;
  return 0;
}

static void read_remove(size_t i) {
  struct mock_read_cb *r = VEC_AT(reads, struct mock_read_cb, i);
  free_userdata(&r->ud);
  free(r->group);
  free(r->name);
  memmove(r, r + 1, (reads.n - i - 1) * sizeof(*r));
  reads.n--;
}

void mock_read_free_all(void) {
  while (reads.n > 0)
    read_remove(reads.n - 1);
}

size_t mock_read_count(void) { return reads.n; }

const char *mock_read_name(size_t i) {
  return i < reads.n ? VEC_AT(reads, struct mock_read_cb, i)->name : NULL;
}

cdtime_t mock_read_interval(size_t i) {
  return i < reads.n ? VEC_AT(reads, struct mock_read_cb, i)->interval : 0;
}

void *mock_read_data(size_t i) {
  return i < reads.n ? VEC_AT(reads, struct mock_read_cb, i)->ud.data : NULL;
}

int mock_read(size_t i) {
  if (i >= reads.n)
    return -ENOENT;
  struct mock_read_cb *r = VEC_AT(reads, struct mock_read_cb, i);
  return r->cb(&r->ud);
}

int mock_config(const char *plugin, oconfig_item_t *ci) {
  for (size_t i = 0; i < configs.n; i++) {
    struct mock_config_cb *c = VEC_AT(configs, struct mock_config_cb, i);
    if (strcasecmp(c->name, plugin) == 0)
      return c->cb(ci);
  }
  return -ENOENT;
}

int mock_init_all(void) {
  int ret = 0;
  for (size_t i = 0; i < inits.n; i++) {
    struct mock_init_cb *c = VEC_AT(inits, struct mock_init_cb, i);
    int status = c->cb();
    if (status == 0)
      continue;
    plugin_log(LOG_ERR,
               "Initialization of plugin `%s' failed with status %i. "
               "Plugin will be unloaded.",
               c->name, status);
    ssize_t r = read_index(c->name);
    if (r >= 0)
      read_remove((size_t)r);
    ret = -1;
  }
  return ret;
}

/* ---- types.db ------------------------------------------------------------ */

static const struct mock_type *type_get(const char *name) {
  for (size_t i = 0; i < types.n; i++) {
    const struct mock_type *t = VEC_AT(types, struct mock_type, i);
    if (strcmp(t->name, name) == 0)
      return t;
  }
  return NULL;
}

/* "U" is unbounded (NAN); anything else must be a whole number. */
static int ds_bound(const char *s, size_t len, double *out) {
  char tmp[64];
  if (len == 0 || len >= sizeof(tmp))
    return -EINVAL;
  memcpy(tmp, s, len);
  tmp[len] = '\0';
  if (strcmp(tmp, "U") == 0) {
    *out = NAN;
    return 0;
  }
  char *end = NULL;
  errno = 0;
  *out = strtod(tmp, &end);
  return (errno != 0 || *end != '\0') ? -EINVAL : 0;
}

/* One "name:TYPE:min:max" spec in [p, e). */
static int ds_parse(const char *p, const char *e, struct mock_ds *ds) {
  const char *c1 = memchr(p, ':', (size_t)(e - p));
  const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(e - c1 - 1)) : NULL;
  const char *c3 = c2 ? memchr(c2 + 1, ':', (size_t)(e - c2 - 1)) : NULL;
  if (c3 == NULL)
    return -EINVAL;
  if (ds_bound(c2 + 1, (size_t)(c3 - c2 - 1), &ds->min) != 0 ||
      ds_bound(c3 + 1, (size_t)(e - c3 - 1), &ds->max) != 0)
    return -EINVAL;
  return 0;
}

static void types_line(char *line) {
  const char *ws = " \t\r\n";
  char *p = line + strspn(line, ws);
  if (*p == '\0' || *p == '#')
    return;
  size_t nlen = strcspn(p, ws);
  if (p[nlen] == '\0')
    return;
  p[nlen] = '\0';
  struct mock_type t = {.name = p};
  char *spec = p + nlen + 1;
  while (*spec != '\0') {
    spec += strspn(spec, " \t,");
    size_t len = strcspn(spec, ",\r\n");
    while (len > 0 && (spec[len - 1] == ' ' || spec[len - 1] == '\t'))
      len--;
    if (len == 0)
      break;
    struct mock_ds ds;
    if (ds_parse(spec, spec + len, &ds) != 0) {
      free(t.ds);
      return;
    }
    t.ds = mock_xalloc(t.ds, (t.ds_num + 1) * sizeof(*t.ds));
    t.ds[t.ds_num++] = ds;
    spec += len;
    spec += strspn(spec, " \t");
    if (*spec != ',')
      break;
  }
  if (t.ds_num == 0)
    return;
  struct mock_type *slot = vec_push(&types, sizeof(*slot));
  *slot = t;
  slot->name = mock_xstrdup(p);
}

int mock_types_load(const char *path) {
  FILE *f = fopen(path, "r");
  if (f == NULL)
    return -errno;
  char *line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) >= 0)
    types_line(line);
  free(line);
  fclose(f);
  return 0;
}

static void types_free(void) {
  for (size_t i = 0; i < types.n; i++) {
    struct mock_type *t = VEC_AT(types, struct mock_type, i);
    free(t->name);
    free(t->ds);
  }
  vec_free(&types);
}

/* ---- dispatch ------------------------------------------------------------ */

static bool name_ok(const char *s, bool dash_ok) {
  return strchr(s, '/') == NULL && (dash_ok || strchr(s, '-') == NULL);
}

/* The checks the daemon (and identifier parsing downstream) would make. */
static int check_value_list(const value_list_t *vl) {
  if (vl->values == NULL || vl->values_len == 0) {
    plugin_log(LOG_ERR, "mock: plugin_dispatch_values: no values");
    return -1;
  }
  if (vl->plugin[0] == '\0' || vl->type[0] == '\0' ||
      !name_ok(vl->plugin, false) || !name_ok(vl->type, false) ||
      !name_ok(vl->plugin_instance, true) ||
      !name_ok(vl->type_instance, true)) {
    plugin_log(LOG_ERR, "mock: invalid identifier %s-%s/%s-%s", vl->plugin,
               vl->plugin_instance, vl->type, vl->type_instance);
    return -1;
  }
  if (types.n == 0)
    return 0;
  const struct mock_type *t = type_get(vl->type);
  if (t == NULL) {
    plugin_log(LOG_ERR, "mock: Dataset not found: %s", vl->type);
    return -1;
  }
  if (t->ds_num != vl->values_len) {
    plugin_log(LOG_ERR, "mock: type %s has %zu data sources, got %zu values",
               vl->type, t->ds_num, vl->values_len);
    return -1;
  }
  for (size_t i = 0; i < t->ds_num; i++) {
    double v = vl->values[i].gauge; /* homelab GAUGE types only */
    if ((!isnan(t->ds[i].min) && v < t->ds[i].min) ||
        (!isnan(t->ds[i].max) && v > t->ds[i].max))
      plugin_log(LOG_WARNING, "mock: %s/%s-%s: %g outside [%g, %g]",
                 vl->plugin_instance, vl->type, vl->type_instance, v,
                 t->ds[i].min, t->ds[i].max);
  }
  return 0;
}

/* ---- value meta data (string entries only) ---------------------------------
 */

struct meta_data_s {
  char *key;
  char *value;
  struct meta_data_s *next; /* the first node is a list head with key NULL */
};

meta_data_t *meta_data_create(void) {
  meta_data_t *md = mock_xalloc(NULL, sizeof(*md));
  *md = (meta_data_t){0};
  return md;
}

void meta_data_destroy(meta_data_t *md) {
  while (md != NULL) {
    meta_data_t *next = md->next;
    free(md->key);
    free(md->value);
    free(md);
    md = next;
  }
}

int meta_data_add_string(meta_data_t *md, const char *key, const char *value) {
  meta_data_t *e = mock_xalloc(NULL, sizeof(*e));
  *e = (meta_data_t){mock_xstrdup(key), mock_xstrdup(value), md->next};
  md->next = e;
  return 0;
}

static meta_data_t *meta_clone(const meta_data_t *md) {
  if (md == NULL)
    return NULL;
  meta_data_t *c = meta_data_create();
  for (const meta_data_t *e = md->next; e != NULL; e = e->next)
    meta_data_add_string(c, e->key, e->value);
  return c;
}

const char *mock_value_meta(const value_list_t *vl, const char *key) {
  for (const meta_data_t *e = vl && vl->meta ? vl->meta->next : NULL; e;
       e = e->next)
    if (strcmp(e->key, key) == 0)
      return e->value;
  return NULL;
}

int plugin_dispatch_values(value_list_t const *vl) {
  if (vl == NULL)
    return EINVAL;
  if (check_value_list(vl) != 0)
    return -1;
  value_list_t *copy = vec_push(&values, sizeof(*copy));
  *copy = *vl;
  copy->meta = meta_clone(vl->meta); /* the daemon copies it too */
  copy->values = mock_xalloc(NULL, vl->values_len * sizeof(value_t));
  memcpy(copy->values, vl->values, vl->values_len * sizeof(value_t));
  return 0;
}

int plugin_dispatch_notification(const notification_t *notif) {
  if (notif->severity != NOTIF_OKAY && notif->severity != NOTIF_WARNING &&
      notif->severity != NOTIF_FAILURE) {
    plugin_log(LOG_ERR, "mock: notification with severity %d", notif->severity);
    return -1;
  }
  notification_t *n = vec_push(&notifs, sizeof(*n));
  *n = *notif;
  n->meta = NULL; /* deep copy of the string meta entries, same order */
  notification_meta_t **tail = &n->meta;
  for (const notification_meta_t *m = notif->meta; m != NULL; m = m->next) {
    notification_meta_t *c = mock_xalloc(NULL, sizeof(*c));
    *c = *m;
    c->next = NULL;
    if (m->type == NM_TYPE_STRING)
      c->nm_value.nm_string = mock_xstrdup(m->nm_value.nm_string);
    *tail = c;
    tail = &c->next;
  }
  return 0;
}

int plugin_notification_meta_add_string(notification_t *n, const char *name,
                                        const char *value) {
  notification_meta_t *m = mock_xalloc(NULL, sizeof(*m));
  *m = (notification_meta_t){.type = NM_TYPE_STRING};
  sstrncpy(m->name, name, sizeof(m->name));
  m->nm_value.nm_string = mock_xstrdup(value);
  notification_meta_t **tail = &n->meta;
  while (*tail != NULL)
    tail = &(*tail)->next;
  *tail = m;
  return 0;
}

int plugin_notification_meta_free(notification_meta_t *n) {
  while (n != NULL) {
    notification_meta_t *next = n->next;
    if (n->type == NM_TYPE_STRING)
      free((char *)n->nm_value.nm_string);
    free(n);
    n = next;
  }
  return 0;
}

const char *mock_notification_meta(size_t i, const char *key) {
  const notification_t *n = mock_notification(i);
  for (const notification_meta_t *m = n ? n->meta : NULL; m; m = m->next)
    if (m->type == NM_TYPE_STRING && strcmp(m->name, key) == 0)
      return m->nm_value.nm_string;
  return NULL;
}

size_t mock_count_values(void) { return values.n; }

const value_list_t *mock_value(size_t i) {
  return i < values.n ? VEC_AT(values, value_list_t, i) : NULL;
}

static bool field_match(const char *want, const char *have) {
  return want == NULL || strcmp(want, have) == 0;
}

static bool vl_match(const value_list_t *vl, const char *pi, const char *type,
                     const char *ti) {
  return field_match(pi, vl->plugin_instance) && field_match(type, vl->type) &&
         field_match(ti, vl->type_instance);
}

const value_list_t *mock_find(const char *pi, const char *type,
                              const char *ti) {
  for (size_t i = values.n; i > 0; i--) {
    const value_list_t *vl = VEC_AT(values, value_list_t, i - 1);
    if (vl_match(vl, pi, type, ti))
      return vl;
  }
  return NULL;
}

size_t mock_count_matching(const char *pi, const char *type, const char *ti) {
  size_t n = 0;
  for (size_t i = 0; i < values.n; i++)
    n += vl_match(VEC_AT(values, value_list_t, i), pi, type, ti);
  return n;
}

size_t mock_count_notifications(void) { return notifs.n; }

const notification_t *mock_notification(size_t i) {
  return i < notifs.n ? VEC_AT(notifs, notification_t, i) : NULL;
}

/* ---- reset --------------------------------------------------------------- */

void mock_clear_records(void) {
  for (size_t i = 0; i < values.n; i++) {
    free(VEC_AT(values, value_list_t, i)->values);
    meta_data_destroy(VEC_AT(values, value_list_t, i)->meta);
  }
  vec_free(&values);
  for (size_t i = 0; i < notifs.n; i++)
    plugin_notification_meta_free(VEC_AT(notifs, notification_t, i)->meta);
  vec_free(&notifs);
  for (size_t i = 0; i < logs.n; i++)
    free(VEC_AT(logs, struct mock_log, i)->msg);
  vec_free(&logs);
}

void mock_reset(void) {
  mock_read_free_all();
  vec_free(&reads);
  for (size_t i = 0; i < configs.n; i++)
    free(VEC_AT(configs, struct mock_config_cb, i)->name);
  vec_free(&configs);
  for (size_t i = 0; i < inits.n; i++)
    free(VEC_AT(inits, struct mock_init_cb, i)->name);
  vec_free(&inits);
  mock_clear_records();
  types_free();
  mock_now = MOCK_T0;
  mock_interval = MOCK_INTERVAL;
}

/* ---- config trees -------------------------------------------------------- */

oconfig_item_t *ci_new(const char *key) {
  oconfig_item_t *ci = mock_xalloc(NULL, sizeof(*ci));
  *ci = (oconfig_item_t){.key = mock_xstrdup(key)};
  return ci;
}

static oconfig_item_t *ci_add(oconfig_item_t *parent, const char *key,
                              oconfig_value_t val) {
  size_t n = (size_t)parent->children_num + 1;
  parent->children = mock_xalloc(parent->children, n * sizeof(oconfig_item_t));
  oconfig_item_t *c = &parent->children[n - 1];
  *c = (oconfig_item_t){.key = mock_xstrdup(key), .parent = parent};
  c->values = mock_xalloc(NULL, sizeof(oconfig_value_t));
  c->values[0] = val;
  c->values_num = 1;
  parent->children_num = (int)n;
  return c;
}

oconfig_item_t *ci_add_string(oconfig_item_t *parent, const char *key,
                              const char *val) {
  return ci_add(parent, key,
                (oconfig_value_t){.type = OCONFIG_TYPE_STRING,
                                  .value.string = mock_xstrdup(val)});
}

oconfig_item_t *ci_add_number(oconfig_item_t *parent, const char *key,
                              double val) {
  return ci_add(
      parent, key,
      (oconfig_value_t){.type = OCONFIG_TYPE_NUMBER, .value.number = val});
}

oconfig_item_t *ci_add_bool(oconfig_item_t *parent, const char *key, bool val) {
  return ci_add(
      parent, key,
      (oconfig_value_t){.type = OCONFIG_TYPE_BOOLEAN, .value.boolean = val});
}

/* Frees what @ci holds, not @ci itself (children live in an array). */
static void ci_free_members(oconfig_item_t *ci) {
  for (int i = 0; i < ci->values_num; i++)
    if (ci->values[i].type == OCONFIG_TYPE_STRING)
      free(ci->values[i].value.string);
  free(ci->values);
  for (int i = 0; i < ci->children_num; i++)
    ci_free_members(&ci->children[i]);
  free(ci->children);
  free(ci->key);
}

void ci_free(oconfig_item_t *ci) {
  if (ci == NULL)
    return;
  ci_free_members(ci);
  free(ci);
}

/* ---- config text --------------------------------------------------------- */

struct ci_src {
  const char *p; /* next line */
  int line;      /* number of the line last read */
};

static bool ci_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* An unquoted word: true/false, a number, or else a string. */
static oconfig_value_t ci_word(const char *s, size_t len) {
  char *w = mock_xalloc(NULL, len + 1);
  memcpy(w, s, len);
  w[len] = '\0';
  if (strcmp(w, "true") == 0 || strcmp(w, "false") == 0) {
    oconfig_value_t v = {.type = OCONFIG_TYPE_BOOLEAN,
                         .value.boolean = w[0] == 't'};
    free(w);
    return v;
  }
  char *end = NULL;
  errno = 0;
  double d = strtod(w, &end);
  if (end != w && *end == '\0' && errno == 0) {
    free(w);
    return (oconfig_value_t){.type = OCONFIG_TYPE_NUMBER, .value.number = d};
  }
  return (oconfig_value_t){.type = OCONFIG_TYPE_STRING, .value.string = w};
}

/* Reads one value of [*p, end): 1 and @v, 0 at the end, -1 on error. */
static int ci_value(const char **p, const char *end, oconfig_value_t *v) {
  const char *s = *p;
  while (s < end && ci_blank(*s))
    s++;
  *p = s;
  if (s == end || *s == '#')
    return 0;
  if (*s != '"') {
    size_t len = 0;
    while (s + len < end && !ci_blank(s[len]))
      len++;
    *v = ci_word(s, len);
    *p = s + len;
    return 1;
  }
  char *buf = mock_xalloc(NULL, (size_t)(end - s)); /* holds the contents */
  size_t n = 0;
  for (s++; s < end && *s != '"'; s++) {
    if (*s == '\\' && s + 1 < end)
      s++;
    buf[n++] = *s;
  }
  if (s == end) {
    free(buf);
    return -1;
  }
  buf[n] = '\0';
  *p = s + 1;
  *v = (oconfig_value_t){.type = OCONFIG_TYPE_STRING, .value.string = buf};
  return 1;
}

/* Appends the option "Key values..." in [s, end) to @parent. */
static oconfig_item_t *ci_line(oconfig_item_t *parent, const char *s,
                               const char *end) {
  size_t klen = 0;
  while (s + klen < end && !ci_blank(s[klen]))
    klen++;
  if (klen == 0)
    return NULL;
  size_t n = (size_t)parent->children_num + 1;
  parent->children = mock_xalloc(parent->children, n * sizeof(oconfig_item_t));
  oconfig_item_t *c = &parent->children[n - 1];
  *c = (oconfig_item_t){.key = mock_xalloc(NULL, klen + 1)};
  memcpy(c->key, s, klen);
  c->key[klen] = '\0';
  parent->children_num = (int)n;
  const char *p = s + klen;
  oconfig_value_t v;
  int rc = 0;
  while ((rc = ci_value(&p, end, &v)) == 1) {
    c->values = mock_xalloc(c->values, (size_t)(c->values_num + 1) * sizeof(v));
    c->values[c->values_num++] = v;
  }
  return rc == 0 ? c : NULL;
}

/* Whether [s, end) is "</@key>" followed by blanks. */
static bool ci_is_close(const char *s, const char *end, const char *key) {
  size_t klen = strlen(key);
  if ((size_t)(end - s) < klen + 3 || s[0] != '<' || s[1] != '/' ||
      strncasecmp(s + 2, key, klen) != 0 || s[klen + 2] != '>')
    return false;
  for (s += klen + 3; s < end; s++)
    if (!ci_blank(*s))
      return false;
  return true;
}

/* Lines into @ci until its closing tag (@root: until the end). */
static int ci_parse_block(struct ci_src *src, oconfig_item_t *ci, bool root) {
  while (*src->p != '\0') {
    const char *s = src->p;
    const char *eol = s + strcspn(s, "\n");
    src->p = *eol != '\0' ? eol + 1 : eol;
    src->line++;
    while (s < eol && ci_blank(*s))
      s++;
    if (s == eol || *s == '#')
      continue;
    if (s[0] == '<' && s + 1 < eol && s[1] == '/')
      return !root && ci_is_close(s, eol, ci->key) ? 0 : -1;
    const char *end = eol;
    if (*s == '<') {
      do
        end--;
      while (end > s && ci_blank(*end));
      if (end == s || *end != '>')
        return -1;
      s++;
    }
    oconfig_item_t *c = ci_line(ci, s, end);
    if (c == NULL || (end != eol && ci_parse_block(src, c, false) != 0))
      return -1;
  }
  return root ? 0 : -1;
}

/* Children arrays moved while growing: point every child at its parent. */
static void ci_fix_parents(oconfig_item_t *ci) {
  for (int i = 0; i < ci->children_num; i++) {
    ci->children[i].parent = ci;
    ci_fix_parents(&ci->children[i]);
  }
}

oconfig_item_t *ci_parse(const char *text) {
  oconfig_item_t *root = ci_new("Plugin");
  struct ci_src src = {.p = text, .line = 0};
  if (ci_parse_block(&src, root, true) != 0) {
    fprintf(stderr, "ci_parse: syntax error in line %d\n", src.line);
    ci_free(root);
    return NULL;
  }
  ci_fix_parents(root);
  return root;
}
