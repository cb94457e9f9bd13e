// SPDX-License-Identifier: MIT
/*
 * harness: a stand-in collectd daemon for benchmarking read callbacks.
 *
 * It dlopen()s the plugin .so files named on the command line, calls their
 * module_register(), feeds each one the <Plugin> options given with -o
 * (complex config as an oconfig tree, simple config as key/value strings, as
 * the daemon would), runs the init callbacks, does warm-up reads (the CPU
 * plugins need a first sample) and then calls every registered read callback
 * once per "read", -n times. Between reads it sleeps (-p) so that the kernel's
 * CPU tick counters move, as they do between real collectd intervals.
 *
 * Each measured read is one call of the non-inlined bench_one_read() (the
 * warm-up reads bypass it); run the program under `valgrind --tool=callgrind
 * --toggle-collect=bench_one_read` to count the instructions of the measured
 * reads only (no loading, config, warm-up or sleep).
 * With -t each read is also timed with CLOCK_MONOTONIC and its CPU time
 * taken with CLOCK_PROCESS_CPUTIME_ID (user + system of this process, so
 * the kernel's work in a plugin's system calls counts), and the first
 * warm-up read, where plugins connect and identify, is reported on its own
 * (first_wall_us, first_cpu_us).
 *
 * The daemon side is deliberately minimal and identical for every plugin:
 * plugin_dispatch_values() counts the value lists and values, folds them into
 * a checksum and discards them. Everything else a plugin may import from the
 * daemon (string helpers, cf_util_*, c_complain, value_to_rate, string
 * meta data...) is implemented here from collectd's documented behaviour:
 * what the benchmarked plugins link against plus a few common helpers
 * (dlopen uses RTLD_NOW, so a missing symbol fails loudly;
 * `nm -D --undefined-only` on a plugin lists what it needs).
 *
 * Output: one line of key=value pairs on stdout; -l also lists every value
 * list of one read as an identifier with its values.
 */
#include "collectd/core/daemon/collectd.h"

#include "collectd/core/daemon/configfile.h"
#include "collectd/core/daemon/plugin.h"
#include "collectd/core/daemon/utils_complain.h"
#include "collectd/core/daemon/utils_time.h"
#include "collectd/core/utils/common/common.h"
#include "collectd/core/utils/metadata/meta_data.h"

#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BENCH_MAX_PLUGINS 16
#define BENCH_MAX_OPTIONS 32
#define BENCH_MAX_CBS 64

/* ---- state of the stand-in daemon ---------------------------------------- */

struct bench_plugin {
  const char *path;
  void *dl;
  oconfig_item_t opts[BENCH_MAX_OPTIONS]; /* children of <Plugin> */
  oconfig_value_t vals[BENCH_MAX_OPTIONS];
  const char *raw[BENCH_MAX_OPTIONS]; /* option values as typed */
  int nopts;
};

enum bench_cb_kind {
  CB_CONFIG,
  CB_COMPLEX_CONFIG,
  CB_INIT,
  CB_READ,
  CB_COMPLEX_READ,
  CB_SHUTDOWN,
  CB_REMOVED
};

struct bench_cb {
  enum bench_cb_kind kind;
  int owner; /* index into bench_plugins */
  char name[DATA_MAX_NAME_LEN];
  union {
    int (*config)(const char *key, const char *val);
    int (*complex_config)(oconfig_item_t *ci);
    plugin_init_cb init;
    int (*read)(void);
    plugin_read_cb complex_read;
    plugin_shutdown_cb shutdown;
  } fn;
  user_data_t ud;
};

static struct bench_plugin bench_plugins[BENCH_MAX_PLUGINS];
static int bench_nplugins;
static int bench_current = -1; /* plugin whose register/config/init runs */
static struct bench_cb bench_cbs[BENCH_MAX_CBS];
static int bench_ncbs;

/* What the reads produced. */
static uint64_t bench_lists, bench_values, bench_notifs, bench_failures;
static uint64_t bench_checksum;
static bool bench_listing;
static int bench_log_level = LOG_WARNING;

static char bench_hostname[] = "benchhost";
char *hostname_g = bench_hostname;
cdtime_t interval_g = TIME_T_TO_CDTIME_T_STATIC(10);

/* ---- logging, time, strings ---------------------------------------------- */

void plugin_log(int level, const char *format, ...) {
  if (level > bench_log_level)
    return;
  va_list ap;
  va_start(ap, format);
  fprintf(stderr, "[log %d] ", level);
  vfprintf(stderr, format, ap);
  fputc('\n', stderr);
  va_end(ap);
}

cdtime_t cdtime(void) {
  struct timespec ts = {0};
  if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
    return 0;
  return TIMESPEC_TO_CDTIME_T(&ts);
}

/* Like the daemon's: strncpy semantics (the rest of dest is zero-filled),
 * always terminated. */
char *sstrncpy(char *dest, const char *src, size_t n) {
  if (n == 0)
    return dest;
  strncpy(dest, src, n - 1);
  dest[n - 1] = '\0';
  return dest;
}

char *sstrdup(const char *s) {
  if (s == NULL)
    return NULL;
  char *copy = strdup(s);
  if (copy == NULL) {
    fprintf(stderr, "harness: out of memory\n");
    exit(3);
  }
  return copy;
}

size_t sstrnlen(const char *s, size_t n) { return strnlen(s, n); }

char *sstrndup(const char *s, size_t n) {
  if (s == NULL)
    return NULL;
  char *copy = strndup(s, n);
  if (copy == NULL) {
    fprintf(stderr, "harness: out of memory\n");
    exit(3);
  }
  return copy;
}

int ssnprintf(char *str, size_t size, const char *format, ...) {
  va_list ap;
  va_start(ap, format);
  int n = vsnprintf(str, size, format, ap);
  va_end(ap);
  if (size > 0)
    str[size - 1] = '\0';
  return n;
}

void *smalloc(size_t size) {
  void *p = malloc(size);
  if (p == NULL) {
    fprintf(stderr, "harness: out of memory\n");
    exit(3);
  }
  return p;
}

char *sstrerror(int errnum, char *buf, size_t buflen) {
  snprintf(buf, buflen, "%s", strerror(errnum));
  return buf;
}

static bool bench_is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Splits @string in place at blanks; at most @size fields. */
int strsplit(char *string, char **fields, size_t size) {
  size_t n = 0;
  char *p = string;
  while (n < size) {
    while (*p != '\0' && bench_is_space(*p))
      p++;
    if (*p == '\0')
      break;
    fields[n++] = p;
    while (*p != '\0' && !bench_is_space(*p))
      p++;
    if (*p == '\0')
      break;
    *p++ = '\0';
  }
  return (int)n;
}

/* "/" becomes "root"; otherwise leading slashes go and inner ones become
 * underscores. */
int escape_slashes(char *buffer, size_t buffer_size) {
  if (buffer_size == 0)
    return -1;
  if (strcmp(buffer, "/") == 0) {
    sstrncpy(buffer, "root", buffer_size);
    return 0;
  }
  size_t skip = 0;
  while (buffer[skip] == '/')
    skip++;
  size_t len = strlen(buffer + skip);
  memmove(buffer, buffer + skip, len + 1);
  for (char *p = buffer; *p != '\0'; p++)
    if (*p == '/')
      *p = '_';
  return 0;
}

int strtoderive(const char *string, derive_t *ret_value) {
  if (string == NULL || ret_value == NULL)
    return EINVAL;
  char *end = NULL;
  errno = 0;
  long long v = strtoll(string, &end, 0);
  if (errno != 0 || end == string)
    return errno != 0 ? errno : EINVAL;
  *ret_value = (derive_t)v;
  return 0;
}

int strtogauge(const char *string, gauge_t *ret_value) {
  if (string == NULL || ret_value == NULL)
    return EINVAL;
  char *end = NULL;
  errno = 0;
  double v = strtod(string, &end);
  if (errno != 0 || end == string)
    return errno != 0 ? errno : EINVAL;
  *ret_value = v;
  return 0;
}

counter_t counter_diff(counter_t old_value, counter_t new_value) {
  if (new_value >= old_value)
    return new_value - old_value;
  /* wrapped: assume the counter was 32 bits wide if the old value fits */
  counter_t wrap = old_value <= UINT32_MAX ? UINT32_MAX : UINT64_MAX;
  return wrap - old_value + new_value + 1;
}

int value_to_rate(gauge_t *ret_rate, value_t value, int ds_type, cdtime_t t,
                  value_to_rate_state_t *state) {
  if (ds_type == DS_TYPE_GAUGE) {
    state->last_value = value;
    state->last_time = t;
    *ret_rate = value.gauge;
    return 0;
  }
  if (state->last_time == 0) { /* first sample: remember it */
    state->last_value = value;
    state->last_time = t;
    return EAGAIN;
  }
  if (t <= state->last_time)
    return EINVAL;
  double dt = CDTIME_T_TO_DOUBLE(t - state->last_time);
  switch (ds_type) {
  case DS_TYPE_DERIVE:
    *ret_rate = (gauge_t)(value.derive - state->last_value.derive) / dt;
    break;
  case DS_TYPE_COUNTER:
    *ret_rate =
        (gauge_t)counter_diff(state->last_value.counter, value.counter) / dt;
    break;
  case DS_TYPE_ABSOLUTE:
    *ret_rate = (gauge_t)value.absolute / dt;
    break;
  default:
    return EINVAL;
  }
  state->last_value = value;
  state->last_time = t;
  return 0;
}

/* ---- c_complain: log once, back off, log the recovery -------------------- */

static void bench_vlog(int level, const char *format, va_list ap) {
  char msg[1024];
  vsnprintf(msg, sizeof(msg), format, ap);
  plugin_log(level, "%s", msg);
}

/* Whether a complaint is due now; if so, backs the next one off. */
static bool bench_complain_due(c_complain_t *c) {
  cdtime_t now = cdtime();
  if (c->interval != 0 && now < c->last + c->interval)
    return false;
  if (c->interval == 0)
    c->interval = interval_g;
  else if (c->interval < TIME_T_TO_CDTIME_T_STATIC(86400))
    c->interval *= 2;
  c->last = now;
  return true;
}

void c_complain(int level, c_complain_t *c, const char *format, ...) {
  if (!bench_complain_due(c))
    return;
  va_list ap;
  va_start(ap, format);
  bench_vlog(level, format, ap);
  va_end(ap);
}

void c_complain_once(int level, c_complain_t *c, const char *format, ...) {
  if (c->complained_once || !bench_complain_due(c))
    return;
  c->complained_once = true;
  va_list ap;
  va_start(ap, format);
  bench_vlog(level, format, ap);
  va_end(ap);
}

void c_do_release(int level, c_complain_t *c, const char *format, ...) {
  if (c->interval == 0)
    return;
  c->interval = 0;
  c->complained_once = false;
  va_list ap;
  va_start(ap, format);
  bench_vlog(level, format, ap);
  va_end(ap);
}

/* ---- meta data: string entries only, as the benchmarked plugins use ------ */

struct bench_meta_entry {
  char *key, *value;
  struct bench_meta_entry *next;
};

struct meta_data_s {
  struct bench_meta_entry *head;
};

meta_data_t *meta_data_create(void) {
  meta_data_t *md = calloc(1, sizeof(*md));
  if (md == NULL) {
    fprintf(stderr, "harness: out of memory\n");
    exit(3);
  }
  return md;
}

void meta_data_destroy(meta_data_t *md) {
  if (md == NULL)
    return;
  for (struct bench_meta_entry *e = md->head, *next; e != NULL; e = next) {
    next = e->next;
    free(e->key);
    free(e->value);
    free(e);
  }
  free(md);
}

/* Like the daemon's: adds @key or replaces its value. */
int meta_data_add_string(meta_data_t *md, const char *key, const char *value) {
  if (md == NULL || key == NULL || value == NULL)
    return -EINVAL;
  char *copy = sstrdup(value);
  for (struct bench_meta_entry *e = md->head; e != NULL; e = e->next)
    if (strcasecmp(e->key, key) == 0) {
      free(e->value);
      e->value = copy;
      return 0;
    }
  struct bench_meta_entry *e = smalloc(sizeof(*e));
  *e = (struct bench_meta_entry){
      .key = sstrdup(key), .value = copy, .next = md->head};
  md->head = e;
  return 0;
}

/* ---- config helpers ------------------------------------------------------ */

int cf_util_get_string(const oconfig_item_t *ci, char **ret_string) {
  if (ci->values_num != 1 || ci->values[0].type != OCONFIG_TYPE_STRING) {
    ERROR("The `%s' option requires exactly one string argument.", ci->key);
    return -1;
  }
  char *s = sstrdup(ci->values[0].value.string);
  free(*ret_string);
  *ret_string = s;
  return 0;
}

int cf_util_get_boolean(const oconfig_item_t *ci, bool *ret_bool) {
  if (ci->values_num != 1) {
    ERROR("The `%s' option requires exactly one boolean argument.", ci->key);
    return -1;
  }
  const oconfig_value_t *v = &ci->values[0];
  if (v->type == OCONFIG_TYPE_BOOLEAN) {
    *ret_bool = v->value.boolean != 0;
    return 0;
  }
  if (v->type == OCONFIG_TYPE_STRING) {
    const char *s = v->value.string;
    if (strcasecmp(s, "true") == 0 || strcasecmp(s, "yes") == 0 ||
        strcasecmp(s, "on") == 0) {
      *ret_bool = true;
      return 0;
    }
    if (strcasecmp(s, "false") == 0 || strcasecmp(s, "no") == 0 ||
        strcasecmp(s, "off") == 0) {
      *ret_bool = false;
      return 0;
    }
  }
  ERROR("The `%s' option requires a boolean argument.", ci->key);
  return -1;
}

int cf_util_get_cdtime(const oconfig_item_t *ci, cdtime_t *ret_value) {
  if (ci->values_num != 1 || ci->values[0].type != OCONFIG_TYPE_NUMBER ||
      !(ci->values[0].value.number >= 0)) {
    ERROR("The `%s' option requires exactly one non-negative number.", ci->key);
    return -1;
  }
  *ret_value = DOUBLE_TO_CDTIME_T(ci->values[0].value.number);
  return 0;
}

int cf_util_get_double(const oconfig_item_t *ci, double *ret_value) {
  if (ci->values_num != 1 || ci->values[0].type != OCONFIG_TYPE_NUMBER) {
    ERROR("The `%s' option requires exactly one numeric argument.", ci->key);
    return -1;
  }
  *ret_value = ci->values[0].value.number;
  return 0;
}

int cf_util_get_int(const oconfig_item_t *ci, int *ret_value) {
  double d = 0;
  if (cf_util_get_double(ci, &d) != 0)
    return -1;
  if (!(d >= INT_MIN && d <= INT_MAX)) {
    ERROR("The `%s' option is out of range.", ci->key);
    return -1;
  }
  *ret_value = (int)d;
  return 0;
}

cdtime_t plugin_get_interval(void) { return interval_g; }

/* ---- registration -------------------------------------------------------- */

static struct bench_cb *bench_cb_add(enum bench_cb_kind kind,
                                     const char *name) {
  if (bench_ncbs >= BENCH_MAX_CBS || bench_current < 0) {
    fprintf(stderr, "harness: cannot register \"%s\"\n", name ? name : "");
    return NULL;
  }
  struct bench_cb *cb = &bench_cbs[bench_ncbs++];
  *cb = (struct bench_cb){.kind = kind, .owner = bench_current};
  sstrncpy(cb->name, name ? name : "", sizeof(cb->name));
  return cb;
}

int plugin_register_config(const char *name,
                           int (*callback)(const char *key, const char *val),
                           const char **keys, int keys_num) {
  (void)keys; /* the daemon only uses them to route simple options */
  (void)keys_num;
  struct bench_cb *cb = bench_cb_add(CB_CONFIG, name);
  if (cb == NULL)
    return -1;
  cb->fn.config = callback;
  return 0;
}

int plugin_register_complex_config(const char *type,
                                   int (*callback)(oconfig_item_t *)) {
  struct bench_cb *cb = bench_cb_add(CB_COMPLEX_CONFIG, type);
  if (cb == NULL)
    return -1;
  cb->fn.complex_config = callback;
  return 0;
}

int plugin_register_init(const char *name, plugin_init_cb callback) {
  struct bench_cb *cb = bench_cb_add(CB_INIT, name);
  if (cb == NULL)
    return -1;
  cb->fn.init = callback;
  return 0;
}

int plugin_register_read(const char *name, int (*callback)(void)) {
  struct bench_cb *cb = bench_cb_add(CB_READ, name);
  if (cb == NULL)
    return -1;
  cb->fn.read = callback;
  return 0;
}

int plugin_register_complex_read(const char *group, const char *name,
                                 plugin_read_cb callback, cdtime_t interval,
                                 user_data_t const *user_data) {
  (void)group; /* every callback runs once per read here */
  (void)interval;
  struct bench_cb *cb = bench_cb_add(CB_COMPLEX_READ, name);
  if (cb == NULL)
    return -1;
  cb->fn.complex_read = callback;
  if (user_data != NULL)
    cb->ud = *user_data;
  return 0;
}

int plugin_register_shutdown(const char *name, plugin_shutdown_cb callback) {
  struct bench_cb *cb = bench_cb_add(CB_SHUTDOWN, name);
  if (cb == NULL)
    return -1;
  cb->fn.shutdown = callback;
  return 0;
}

int plugin_register_data_set(const data_set_t *ds) {
  (void)ds; /* nothing here looks types up */
  return 0;
}

int plugin_unregister_read(const char *name) {
  for (int i = 0; i < bench_ncbs; i++) {
    struct bench_cb *cb = &bench_cbs[i];
    if ((cb->kind == CB_READ || cb->kind == CB_COMPLEX_READ) &&
        strcmp(cb->name, name) == 0) {
      if (cb->kind == CB_COMPLEX_READ && cb->ud.free_func != NULL)
        cb->ud.free_func(cb->ud.data);
      cb->kind = CB_REMOVED;
      return 0;
    }
  }
  return ENOENT;
}

/* ---- dispatch: count, checksum, discard ---------------------------------- */

static void bench_list_print(const value_list_t *vl) {
  printf("  %s/%s%s%s/%s%s%s =", vl->host[0] ? vl->host : hostname_g,
         vl->plugin, vl->plugin_instance[0] ? "-" : "", vl->plugin_instance,
         vl->type, vl->type_instance[0] ? "-" : "", vl->type_instance);
  for (size_t i = 0; i < vl->values_len; i++)
    printf(" %g", vl->values[i].gauge);
  putchar('\n');
}

int plugin_dispatch_values(value_list_t const *vl) {
  if (vl == NULL || vl->values == NULL || vl->values_len == 0 ||
      vl->plugin[0] == '\0' || vl->type[0] == '\0')
    return EINVAL;
  bench_lists++;
  bench_values += vl->values_len;
  for (size_t i = 0; i < vl->values_len; i++) {
    uint64_t bits = 0;
    memcpy(&bits, &vl->values[i], sizeof(bits));
    bench_checksum = (bench_checksum ^ bits) * 1099511628211u;
  }
  if (bench_listing)
    bench_list_print(vl);
  return 0;
}

static void bench_multi_set(value_t *v, int store_type, va_list *ap) {
  switch (store_type) {
  case DS_TYPE_GAUGE:
    v->gauge = va_arg(*ap, gauge_t);
    break;
  case DS_TYPE_DERIVE:
    v->derive = va_arg(*ap, derive_t);
    break;
  case DS_TYPE_ABSOLUTE:
    v->absolute = va_arg(*ap, absolute_t);
    break;
  default:
    v->counter = va_arg(*ap, counter_t);
    break;
  }
}

/* One value list per (type_instance, value) pair, all with one time stamp;
 * with @store_percentage the gauges become shares of their (non-NaN) sum. */
int plugin_dispatch_multivalue(value_list_t const *template,
                               bool store_percentage, int store_type, ...) {
  if (store_percentage && store_type != DS_TYPE_GAUGE)
    return -1;
  value_list_t vl = *template;
  value_t v;
  vl.values = &v;
  vl.values_len = 1;
  if (vl.time == 0)
    vl.time = cdtime();
  gauge_t sum = 0;
  va_list ap;
  if (store_percentage) {
    sstrncpy(vl.type, "percent", sizeof(vl.type));
    va_start(ap, store_type);
    for (const char *ti = va_arg(ap, const char *); ti != NULL;
         ti = va_arg(ap, const char *)) {
      gauge_t g = va_arg(ap, gauge_t);
      if (!isnan(g))
        sum += g;
    }
    va_end(ap);
  }
  int failed = 0;
  va_start(ap, store_type);
  for (const char *ti = va_arg(ap, const char *); ti != NULL;
       ti = va_arg(ap, const char *)) {
    bench_multi_set(&v, store_type, &ap);
    if (store_percentage)
      v.gauge = sum != 0 ? v.gauge * 100.0 / sum : NAN;
    sstrncpy(vl.type_instance, ti, sizeof(vl.type_instance));
    if (plugin_dispatch_values(&vl) != 0)
      failed++;
  }
  va_end(ap);
  return failed;
}

int plugin_dispatch_notification(const notification_t *notif) {
  bench_notifs++;
  if (bench_listing)
    printf("  notification: %s\n", notif->message);
  return 0;
}

int plugin_notification_meta_add_string(notification_t *n, const char *name,
                                        const char *value) {
  notification_meta_t *m = calloc(1, sizeof(*m));
  char *copy = strdup(value);
  if (m == NULL || copy == NULL) {
    free(m);
    free(copy);
    return -1;
  }
  sstrncpy(m->name, name, sizeof(m->name));
  m->type = NM_TYPE_STRING;
  m->nm_value.nm_string = copy;
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

/* ---- the benchmarked part ------------------------------------------------ */

/* Every registered read callback once: one full read. */
static __attribute__((noinline)) void bench_read_all(void) {
  for (int i = 0; i < bench_ncbs; i++) {
    struct bench_cb *cb = &bench_cbs[i];
    int rc = 0;
    if (cb->kind == CB_READ)
      rc = cb->fn.read();
    else if (cb->kind == CB_COMPLEX_READ)
      rc = cb->fn.complex_read(&cb->ud);
    else
      continue;
    if (rc != 0)
      bench_failures++;
  }
}

static uint64_t bench_measured;

/* The measured read. Only the timed loop calls it (warm-up and listing call
 * bench_read_all() directly), so `--toggle-collect=bench_one_read` collects
 * exactly -n reads. Out of line and not a tail call, so callgrind sees its
 * entry and exit. */
void bench_one_read(void);

__attribute__((noinline)) void bench_one_read(void) {
  bench_read_all();
  bench_measured++;
}

static void bench_pause(long usec) {
  struct timespec ts = {.tv_sec = usec / 1000000,
                        .tv_nsec = (usec % 1000000) * 1000};
  while (usec > 0 && nanosleep(&ts, &ts) != 0 && errno == EINTR)
    ;
}

static double bench_clock_us(clockid_t clock) {
  struct timespec ts = {0};
  clock_gettime(clock, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static double bench_now_us(void) { return bench_clock_us(CLOCK_MONOTONIC); }

static double bench_cpu_us(void) {
  return bench_clock_us(CLOCK_PROCESS_CPUTIME_ID);
}

/* ---- setup --------------------------------------------------------------- */

static int bench_usage(const char *argv0) {
  fprintf(stderr,
          "usage: %s [-n READS] [-w WARMUP] [-p PAUSE_US] [-t] [-l] [-v]\n"
          "       -P PLUGIN.so [-o Key=Value]... [-P PLUGIN.so ...]\n",
          argv0);
  return 2;
}

static bool bench_parse_long(const char *s, long min, long max, long *out) {
  char *end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
    return false;
  *out = v;
  return true;
}

/* "Key=Value": the value becomes a boolean, a number or a string, as
 * liboconfig would type the unquoted token. */
static int bench_add_option(struct bench_plugin *p, char *arg) {
  char *eq = strchr(arg, '=');
  if (eq == NULL || eq == arg || p->nopts >= BENCH_MAX_OPTIONS)
    return -1;
  *eq = '\0';
  const char *val = eq + 1;
  int i = p->nopts++;
  oconfig_value_t *v = &p->vals[i];
  char *end = NULL;
  double num = strtod(val, &end);
  if (strcasecmp(val, "true") == 0 || strcasecmp(val, "false") == 0) {
    v->type = OCONFIG_TYPE_BOOLEAN;
    v->value.boolean = strcasecmp(val, "true") == 0;
  } else if (end != val && *end == '\0') {
    v->type = OCONFIG_TYPE_NUMBER;
    v->value.number = num;
  } else {
    v->type = OCONFIG_TYPE_STRING;
    v->value.string = (char *)val;
  }
  p->raw[i] = val;
  p->opts[i] = (oconfig_item_t){.key = arg, .values = v, .values_num = 1};
  return 0;
}

static int bench_load(int idx) {
  struct bench_plugin *p = &bench_plugins[idx];
  p->dl = dlopen(p->path, RTLD_NOW | RTLD_LOCAL);
  if (p->dl == NULL) {
    fprintf(stderr, "harness: dlopen(%s): %s\n", p->path, dlerror());
    return -1;
  }
  void (*reg)(void) = NULL;
  void *sym = dlsym(p->dl, "module_register");
  if (sym == NULL) {
    fprintf(stderr, "harness: %s: no module_register\n", p->path);
    return -1;
  }
  memcpy(&reg, &sym, sizeof(reg));
  bench_current = idx;
  reg();
  bench_current = -1;
  return 0;
}

/* Hands the plugin its <Plugin> block the way the daemon does. */
static int bench_configure(int idx) {
  struct bench_plugin *p = &bench_plugins[idx];
  bench_current = idx; /* plugins may register read callbacks from config */
  for (int i = 0; i < bench_ncbs; i++) {
    struct bench_cb *cb = &bench_cbs[i];
    if (cb->owner != idx)
      continue;
    if (cb->kind == CB_COMPLEX_CONFIG) {
      oconfig_value_t name = {.value.string = cb->name,
                              .type = OCONFIG_TYPE_STRING};
      oconfig_item_t block = {.key = "Plugin",
                              .values = &name,
                              .values_num = 1,
                              .children = p->opts,
                              .children_num = p->nopts};
      for (int j = 0; j < p->nopts; j++)
        p->opts[j].parent = &block;
      return cb->fn.complex_config(&block) == 0 ? 0 : -1;
    }
    if (cb->kind == CB_CONFIG) {
      for (int j = 0; j < p->nopts; j++)
        if (cb->fn.config(p->opts[j].key, p->raw[j]) != 0) {
          fprintf(stderr, "harness: %s: option %s rejected\n", p->path,
                  p->opts[j].key);
          return -1;
        }
      return 0;
    }
  }
  if (p->nopts > 0) {
    fprintf(stderr, "harness: %s takes no configuration\n", p->path);
    return -1;
  }
  return 0;
}

static int bench_init_all(void) {
  for (int i = 0; i < bench_ncbs; i++) {
    if (bench_cbs[i].kind != CB_INIT)
      continue;
    bench_current = bench_cbs[i].owner; /* ... or from init */
    if (bench_cbs[i].fn.init() != 0) {
      fprintf(stderr, "harness: init of %s failed\n", bench_cbs[i].name);
      return -1;
    }
  }
  bench_current = -1;
  return 0;
}

static void bench_shutdown_all(void) {
  for (int i = 0; i < bench_ncbs; i++) {
    struct bench_cb *cb = &bench_cbs[i];
    if (cb->kind == CB_SHUTDOWN)
      cb->fn.shutdown();
    if (cb->kind == CB_COMPLEX_READ && cb->ud.free_func != NULL)
      cb->ud.free_func(cb->ud.data);
  }
}

static int bench_cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

struct bench_opts {
  long reads;
  long warmup;
  long pause_us;
  bool timed;
  bool list;
};

static int bench_parse_args(int argc, char **argv, struct bench_opts *o) {
  int c;
  while ((c = getopt(argc, argv, "n:w:p:tlvP:o:")) != -1) {
    switch (c) {
    case 'n':
      if (!bench_parse_long(optarg, 1, 1000000, &o->reads))
        return -1;
      break;
    case 'w':
      if (!bench_parse_long(optarg, 1, 1000, &o->warmup))
        return -1;
      break;
    case 'p':
      if (!bench_parse_long(optarg, 0, 10000000, &o->pause_us))
        return -1;
      break;
    case 't':
      o->timed = true;
      break;
    case 'l':
      o->list = true;
      break;
    case 'v':
      bench_log_level = LOG_INFO;
      break;
    case 'P':
      if (bench_nplugins >= BENCH_MAX_PLUGINS)
        return -1;
      bench_plugins[bench_nplugins++].path = optarg;
      break;
    case 'o':
      if (bench_nplugins == 0 ||
          bench_add_option(&bench_plugins[bench_nplugins - 1], optarg) != 0)
        return -1;
      break;
    default:
      return -1;
    }
  }
  return optind == argc && bench_nplugins > 0 ? 0 : -1;
}

int main(int argc, char **argv) {
  struct bench_opts o = {.reads = 100, .warmup = 2, .pause_us = 11000};
  if (bench_parse_args(argc, argv, &o) != 0)
    return bench_usage(argv[0]);
  for (int i = 0; i < bench_nplugins; i++)
    if (bench_load(i) != 0)
      return 1;
  for (int i = 0; i < bench_nplugins; i++)
    if (bench_configure(i) != 0)
      return 1;
  bench_current = -1;
  if (bench_init_all() != 0)
    return 1;

  double first_wall = 0, first_cpu = 0;
  for (long i = 0; i < o.warmup; i++) {
    double c0 = bench_cpu_us();
    double w0 = bench_now_us();
    bench_read_all();
    if (i == 0) {
      first_wall = bench_now_us() - w0;
      first_cpu = bench_cpu_us() - c0;
    }
    bench_pause(o.pause_us);
  }
  if (o.list) {
    printf("one read:\n");
    bench_listing = true;
    bench_read_all();
    bench_listing = false;
    bench_pause(o.pause_us);
  }
  bench_lists = bench_values = bench_notifs = bench_failures = 0;

  /* What the clocks themselves cost inside a measured read's CPU time
   * (median of empty measurements). */
  double empty[21];
  for (size_t i = 0; i < STATIC_ARRAY_SIZE(empty); i++) {
    double c0 = bench_cpu_us();
    (void)bench_now_us(); /* the wall-clock pair around a read */
    (void)bench_now_us();
    empty[i] = bench_cpu_us() - c0;
  }
  qsort(empty, STATIC_ARRAY_SIZE(empty), sizeof(empty[0]), bench_cmp_double);

  double *us = calloc((size_t)o.reads, sizeof(*us));
  double *cpu = calloc((size_t)o.reads, sizeof(*cpu));
  if (us == NULL || cpu == NULL)
    return 3;
  uint64_t lists_min = UINT64_MAX, lists_max = 0;
  for (long i = 0; i < o.reads; i++) {
    uint64_t before = bench_lists;
    double c0 = o.timed ? bench_cpu_us() : 0;
    double t0 = bench_now_us();
    bench_one_read();
    us[i] = bench_now_us() - t0;
    if (o.timed)
      cpu[i] = bench_cpu_us() - c0;
    uint64_t got = bench_lists - before;
    lists_min = got < lists_min ? got : lists_min;
    lists_max = got > lists_max ? got : lists_max;
    bench_pause(o.pause_us);
  }

  double n = (double)o.reads;
  if (bench_measured != (uint64_t)o.reads)
    return 3;
  printf("reads=%ld lists_per_read=%.2f lists_min=%" PRIu64
         " lists_max=%" PRIu64 " values_per_read=%.2f failures=%" PRIu64
         " notifications=%" PRIu64 " checksum=%016" PRIx64,
         o.reads, (double)bench_lists / n, lists_min, lists_max,
         (double)bench_values / n, bench_failures, bench_notifs,
         bench_checksum);
  if (o.timed) {
    double wall_sum = 0, cpu_sum = 0;
    for (long i = 0; i < o.reads; i++) {
      wall_sum += us[i];
      cpu_sum += cpu[i];
    }
    qsort(us, (size_t)o.reads, sizeof(*us), bench_cmp_double);
    qsort(cpu, (size_t)o.reads, sizeof(*cpu), bench_cmp_double);
    printf(" wall_us_min=%.1f wall_us_median=%.1f wall_us_p90=%.1f", us[0],
           us[o.reads / 2], us[(o.reads * 9) / 10]);
    printf(" wall_us_mean=%.1f cpu_us_min=%.1f cpu_us_median=%.1f"
           " cpu_us_p90=%.1f cpu_us_max=%.1f cpu_us_mean=%.1f"
           " first_wall_us=%.1f first_cpu_us=%.1f cpu_us_empty=%.2f",
           wall_sum / n, cpu[0], cpu[o.reads / 2], cpu[(o.reads * 9) / 10],
           cpu[o.reads - 1], cpu_sum / n, first_wall, first_cpu,
           empty[STATIC_ARRAY_SIZE(empty) / 2]);
  }
  putchar('\n');
  free(us);
  free(cpu);
  bench_shutdown_all();
  return 0;
}
