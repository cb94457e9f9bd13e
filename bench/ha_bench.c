// SPDX-License-Identifier: MIT
/*
 * ha_bench: bench/harness.c (the stand-in collectd daemon of the other
 * benchmarks) driven by a collectd configuration file, for bench/ha.sh.
 *
 * The harness takes a plugin's options as flat `-o Key=Value` pairs, at most
 * 32, and keeps at most 64 callbacks. homelab_ha needs an <Instance> block
 * with 500 Entity lines and curl_json one <URL> block (and read callback)
 * per URL, so this file includes harness.c unchanged and adds:
 *   - a reader for the collectd configuration syntax the benchmark writes
 *     (Key "string" 1.5 true, <Block "arg"> ... </Block>, # comments),
 *     so each plugin gets exactly the oconfig tree the daemon would build;
 *     bench/ha.sh also loads the same files into the real daemon
 *     (collectd -T) to show both accept them;
 *   - its own list of complex read callbacks without the harness's limit
 *     (harness.c's plugin_register_complex_read is renamed away);
 *   - the daemon functions curl_json imports and harness.c lacks: c_avl_*
 *     (a sorted array with binary search: the same O(log n) lookups as the
 *     daemon's AVL tree), parse_value (as in collectd 5.12, including its
 *     ERROR log for text it cannot parse), plugin_get_ds (one GAUGE data
 *     source for every type, as the types curl_json is given here are) and
 *     ssnprintf_alloc.
 * Dispatch, meta data, logging and the string helpers stay harness.c's, so
 * the daemon side is the same as in the other benchmarks.
 *
 *   ha_bench [-n READS] [-w WARMUP] [-p PAUSE_US] [-l] [-v]
 *            [-s PORT:PID:PREFIX] -c CONFIG -P PLUGIN.so [-P PLUGIN.so...]
 *
 * CONFIG holds <Plugin NAME> blocks; each goes to the complex config
 * callback registered as NAME. After config and init, WARMUP reads (the
 * first one timed on its own: connections, /api/config), optionally a
 * listing of one read (-l, as harness.c's), then READS measured reads, each
 * timed with CLOCK_MONOTONIC and CLOCK_PROCESS_CPUTIME_ID, PAUSE_US apart
 * (outside the measurement). One read calls every registered read callback
 * once, in registration order.
 * -s: the simulator on 127.0.0.1:PORT (tests/integration/ha_sim.py) and its
 * pid. Before the measured reads GET /_sim/stats is saved to PREFIX.warm.json
 * and the counters are reset (POST /_sim/control); after them the stats go to
 * PREFIX.reads.json. The simulator's CPU time over the measured reads comes
 * from /proc/PID/stat (sim_cpu_ms).
 * Output: one key=value line; memory as VmRSS at start, after init, after
 * the warm-up and at the end, and the peak (VmHWM), all in KiB.
 */
#define main hl_harness_main
#define plugin_register_complex_read hl_harness_register_complex_read
int hl_harness_main(int argc, char **argv);
#include "harness.c"
#undef main
#undef plugin_register_complex_read

#include "collectd/core/utils/avltree/avltree.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <sys/socket.h>

int plugin_register_complex_read(const char *group, const char *name,
                                 plugin_read_cb callback, cdtime_t interval,
                                 user_data_t const *user_data);

/* ---- read callbacks without a limit ---------------------------------------
 */

struct hb_read {
  char *name;
  plugin_read_cb cb;
  user_data_t ud;
};

static struct hb_read *hb_reads;
static size_t hb_nreads;

int plugin_register_complex_read(const char *group, const char *name,
                                 plugin_read_cb callback, cdtime_t interval,
                                 user_data_t const *user_data) {
  (void)group;
  (void)interval;
  struct hb_read *n = realloc(hb_reads, (hb_nreads + 1) * sizeof(*n));
  if (n == NULL)
    return ENOMEM;
  hb_reads = n;
  hb_reads[hb_nreads] =
      (struct hb_read){.name = sstrdup(name ? name : ""), .cb = callback};
  if (user_data != NULL)
    hb_reads[hb_nreads].ud = *user_data;
  hb_nreads++;
  return 0;
}

static __attribute__((noinline)) void hb_read_all(void) {
  for (size_t i = 0; i < hb_nreads; i++)
    if (hb_reads[i].cb(&hb_reads[i].ud) != 0)
      bench_failures++;
}

static void hb_free_reads(void) {
  for (size_t i = 0; i < hb_nreads; i++) {
    if (hb_reads[i].ud.free_func != NULL)
      hb_reads[i].ud.free_func(hb_reads[i].ud.data);
    free(hb_reads[i].name);
  }
  free(hb_reads);
  hb_reads = NULL;
  hb_nreads = 0;
}

/* ---- what curl_json imports beyond harness.c ----------------------------- */

struct c_avl_tree_s {
  int (*cmp)(const void *, const void *);
  void **keys;
  void **values;
  int n;
  int cap;
};

c_avl_tree_t *c_avl_create(int (*compare)(const void *, const void *)) {
  if (compare == NULL)
    return NULL;
  c_avl_tree_t *t = calloc(1, sizeof(*t));
  if (t != NULL)
    t->cmp = compare;
  return t;
}

void c_avl_destroy(c_avl_tree_t *t) {
  if (t == NULL)
    return;
  free(t->keys);
  free(t->values);
  free(t);
}

/* Index of @key, or -(insertion point) - 1. */
static int hb_avl_find(const c_avl_tree_t *t, const void *key) {
  int lo = 0, hi = t->n;
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2;
    int c = t->cmp(t->keys[mid], key);
    if (c == 0)
      return mid;
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return -lo - 1;
}

int c_avl_insert(c_avl_tree_t *t, void *key, void *value) {
  if (t == NULL)
    return -1;
  int i = hb_avl_find(t, key);
  if (i >= 0)
    return 1;
  i = -i - 1;
  if (t->n == t->cap) {
    int cap = t->cap ? t->cap * 2 : 8;
    void **k = realloc(t->keys, (size_t)cap * sizeof(*k));
    if (k == NULL)
      return -1;
    t->keys = k;
    void **v = realloc(t->values, (size_t)cap * sizeof(*v));
    if (v == NULL)
      return -1;
    t->values = v;
    t->cap = cap;
  }
  memmove(&t->keys[i + 1], &t->keys[i], (size_t)(t->n - i) * sizeof(void *));
  memmove(&t->values[i + 1], &t->values[i],
          (size_t)(t->n - i) * sizeof(void *));
  t->keys[i] = key;
  t->values[i] = value;
  t->n++;
  return 0;
}

int c_avl_get(c_avl_tree_t *t, const void *key, void **value) {
  if (t == NULL)
    return -1;
  int i = hb_avl_find(t, key);
  if (i < 0)
    return -1;
  if (value != NULL)
    *value = t->values[i];
  return 0;
}

int c_avl_pick(c_avl_tree_t *t, void **key, void **value) {
  if (t == NULL || t->n == 0)
    return -1;
  t->n--;
  *key = t->keys[t->n];
  *value = t->values[t->n];
  return 0;
}

int c_avl_size(c_avl_tree_t *t) { return t == NULL ? 0 : t->n; }

/* collectd 5.12's parse_value (utils/common/common.c). */
int parse_value(const char *value_orig, value_t *ret_value, int ds_type) {
  if (value_orig == NULL)
    return EINVAL;
  char *value = sstrdup(value_orig);
  size_t len = strlen(value);
  while (len > 0 && isspace((unsigned char)value[len - 1]))
    value[--len] = '\0';
  char *end = NULL;
  switch (ds_type) {
  case DS_TYPE_COUNTER:
    ret_value->counter = (counter_t)strtoull(value, &end, 0);
    break;
  case DS_TYPE_GAUGE:
    ret_value->gauge = (gauge_t)strtod(value, &end);
    break;
  case DS_TYPE_DERIVE:
    ret_value->derive = (derive_t)strtoll(value, &end, 0);
    break;
  case DS_TYPE_ABSOLUTE:
    ret_value->absolute = (absolute_t)strtoull(value, &end, 0);
    break;
  default:
    free(value);
    ERROR("parse_value: Invalid data source type: %i.", ds_type);
    return -1;
  }
  if (value == end) {
    ERROR("parse_value: Failed to parse string as %s: \"%s\".",
          DS_TYPE_TO_STRING(ds_type), value);
    free(value);
    return -1;
  }
  if (end != NULL && *end != '\0')
    INFO("parse_value: Ignoring trailing garbage \"%s\" after %s value. "
         "Input string was \"%s\".",
         end, DS_TYPE_TO_STRING(ds_type), value_orig);
  free(value);
  return 0;
}

/* Every type is a single GAUGE here (curl_json is given "temperature"). */
const data_set_t *plugin_get_ds(const char *name) {
  static data_source_t src = {
      .name = "value", .type = DS_TYPE_GAUGE, .min = NAN, .max = NAN};
  static data_set_t ds = {.ds_num = 1, .ds = &src};
  if (name == NULL || name[0] == '\0')
    return NULL;
  sstrncpy(ds.type, name, sizeof(ds.type));
  return &ds;
}

char *ssnprintf_alloc(char const *format, ...) {
  va_list ap;
  va_start(ap, format);
  int n = vsnprintf(NULL, 0, format, ap);
  va_end(ap);
  if (n < 0)
    return NULL;
  char *s = malloc((size_t)n + 1);
  if (s == NULL)
    return NULL;
  va_start(ap, format);
  vsnprintf(s, (size_t)n + 1, format, ap);
  va_end(ap);
  return s;
}

/* ---- configuration file ----------------------------------------------------
 */

struct hb_node {
  char *key;
  oconfig_value_t *values;
  int nvalues;
  struct hb_node **kids;
  int nkids;
};

static int hb_lineno;
static const char *hb_path;

static int hb_cfg_error(const char *what) {
  fprintf(stderr, "ha_bench: %s:%d: %s\n", hb_path, hb_lineno, what);
  return -1;
}

static int hb_add_value(struct hb_node *n, oconfig_value_t v) {
  oconfig_value_t *a =
      realloc(n->values, (size_t)(n->nvalues + 1) * sizeof(*a));
  if (a == NULL)
    return -1;
  n->values = a;
  n->values[n->nvalues++] = v;
  return 0;
}

static int hb_add_kid(struct hb_node *parent, struct hb_node *kid) {
  struct hb_node **a =
      realloc(parent->kids, (size_t)(parent->nkids + 1) * sizeof(*a));
  if (a == NULL)
    return -1;
  parent->kids = a;
  parent->kids[parent->nkids++] = kid;
  return 0;
}

/* One unquoted token, typed as liboconfig types it. */
static oconfig_value_t hb_bare(const char *tok) {
  oconfig_value_t v = {0};
  char *end = NULL;
  double d = strtod(tok, &end);
  if (strcasecmp(tok, "true") == 0 || strcasecmp(tok, "yes") == 0 ||
      strcasecmp(tok, "on") == 0) {
    v.type = OCONFIG_TYPE_BOOLEAN;
    v.value.boolean = 1;
  } else if (strcasecmp(tok, "false") == 0 || strcasecmp(tok, "no") == 0 ||
             strcasecmp(tok, "off") == 0) {
    v.type = OCONFIG_TYPE_BOOLEAN;
    v.value.boolean = 0;
  } else if (end != tok && *end == '\0') {
    v.type = OCONFIG_TYPE_NUMBER;
    v.value.number = d;
  } else {
    v.type = OCONFIG_TYPE_STRING;
    v.value.string = sstrdup(tok);
  }
  return v;
}

/* "Key arg arg..." of one line (comments and the block brackets removed)
 * into a new node. */
static struct hb_node *hb_statement(char *s) {
  while (isspace((unsigned char)*s))
    s++;
  size_t klen = 0;
  while (s[klen] != '\0' && !isspace((unsigned char)s[klen]))
    klen++;
  if (klen == 0) {
    hb_cfg_error("missing key");
    return NULL;
  }
  struct hb_node *n = calloc(1, sizeof(*n));
  if (n == NULL)
    return NULL;
  n->key = sstrndup(s, klen);
  char *p = s + klen;
  for (;;) {
    while (isspace((unsigned char)*p))
      p++;
    if (*p == '\0')
      break;
    if (*p == '"') {
      char *out = smalloc(strlen(p) + 1), *o = out;
      for (p++; *p != '\0' && *p != '"'; p++) {
        if (*p == '\\' && p[1] != '\0')
          p++;
        *o++ = *p;
      }
      if (*p != '"') {
        free(out);
        hb_cfg_error("unterminated string");
        return NULL;
      }
      p++;
      *o = '\0';
      oconfig_value_t v = {.type = OCONFIG_TYPE_STRING};
      v.value.string = out;
      if (hb_add_value(n, v) != 0)
        return NULL;
    } else {
      size_t l = 0;
      while (p[l] != '\0' && !isspace((unsigned char)p[l]))
        l++;
      char save = p[l];
      p[l] = '\0';
      if (hb_add_value(n, hb_bare(p)) != 0)
        return NULL;
      p[l] = save;
      p += l;
    }
  }
  return n;
}

/* Cuts a '#' comment outside quotes and trailing blanks. */
static void hb_strip(char *line) {
  bool quoted = false;
  for (char *p = line; *p != '\0'; p++) {
    if (quoted && *p == '\\' && p[1] != '\0')
      p++;
    else if (*p == '"')
      quoted = !quoted;
    else if (!quoted && *p == '#') {
      *p = '\0';
      break;
    }
  }
  size_t l = strlen(line);
  while (l > 0 && isspace((unsigned char)line[l - 1]))
    line[--l] = '\0';
}

#define HB_MAX_DEPTH 16

static struct hb_node *hb_parse_file(const char *path) {
  FILE *f = fopen(path, "re");
  if (f == NULL) {
    fprintf(stderr, "ha_bench: %s: %s\n", path, strerror(errno));
    return NULL;
  }
  hb_path = path;
  hb_lineno = 0;
  struct hb_node *root = calloc(1, sizeof(*root));
  struct hb_node *stack[HB_MAX_DEPTH] = {root};
  int depth = 0;
  char *line = NULL;
  size_t cap = 0;
  int rc = root == NULL ? -1 : 0;
  while (rc == 0 && getline(&line, &cap, f) >= 0) {
    hb_lineno++;
    hb_strip(line);
    char *s = line;
    while (isspace((unsigned char)*s))
      s++;
    if (*s == '\0')
      continue;
    if (s[0] == '<' && s[1] == '/') {
      size_t l = strlen(s);
      if (depth == 0 || s[l - 1] != '>') {
        rc = hb_cfg_error("unexpected closing tag");
        continue;
      }
      s[l - 1] = '\0';
      if (strcasecmp(s + 2, stack[depth]->key) != 0)
        rc = hb_cfg_error("closing tag does not match");
      depth--;
      continue;
    }
    bool block = s[0] == '<';
    if (block) {
      size_t l = strlen(s);
      if (s[l - 1] != '>') {
        rc = hb_cfg_error("block tag without '>'");
        continue;
      }
      s[l - 1] = '\0';
      s++;
    }
    struct hb_node *n = hb_statement(s);
    if (n == NULL || hb_add_kid(stack[depth], n) != 0) {
      rc = -1;
      continue;
    }
    if (block) {
      if (depth + 1 >= HB_MAX_DEPTH)
        rc = hb_cfg_error("blocks nested too deeply");
      else
        stack[++depth] = n;
    }
  }
  free(line);
  fclose(f);
  if (rc == 0 && depth != 0)
    rc = hb_cfg_error("block not closed at the end of the file");
  return rc == 0 ? root : NULL;
}

/* The node's children as the oconfig items the daemon would hand over. */
static void hb_to_oconfig(const struct hb_node *n, oconfig_item_t *out,
                          oconfig_item_t *parent) {
  *out = (oconfig_item_t){.key = n->key,
                          .values = n->values,
                          .values_num = n->nvalues,
                          .parent = parent,
                          .children_num = n->nkids};
  if (n->nkids > 0) {
    out->children = calloc((size_t)n->nkids, sizeof(*out->children));
    if (out->children == NULL) {
      fprintf(stderr, "ha_bench: out of memory\n");
      exit(3);
    }
  }
  for (int i = 0; i < n->nkids; i++)
    hb_to_oconfig(n->kids[i], &out->children[i], out);
}

/* Each <Plugin NAME> block of @root goes to the complex config callback
 * registered as NAME. */
static int hb_configure(const struct hb_node *root) {
  for (int i = 0; i < root->nkids; i++) {
    const struct hb_node *b = root->kids[i];
    if (strcasecmp(b->key, "Plugin") != 0 || b->nvalues != 1 ||
        b->values[0].type != OCONFIG_TYPE_STRING) {
      fprintf(stderr, "ha_bench: only <Plugin \"name\"> blocks at the top\n");
      return -1;
    }
    const char *name = b->values[0].value.string;
    struct bench_cb *cb = NULL;
    for (int j = 0; j < bench_ncbs; j++)
      if (bench_cbs[j].kind == CB_COMPLEX_CONFIG &&
          strcasecmp(bench_cbs[j].name, name) == 0)
        cb = &bench_cbs[j];
    if (cb == NULL) {
      fprintf(stderr, "ha_bench: no loaded plugin takes <Plugin %s>\n", name);
      return -1;
    }
    oconfig_item_t item;
    hb_to_oconfig(b, &item, NULL);
    bench_current = cb->owner; /* curl_json registers reads from config */
    int rc = cb->fn.complex_config(&item);
    bench_current = -1;
    if (rc != 0) {
      fprintf(stderr, "ha_bench: <Plugin %s> rejected\n", name);
      return -1;
    }
  }
  return 0;
}

/* ---- the simulator's counters ----------------------------------------------
 */

/* One HTTP/1.0 exchange with 127.0.0.1:@port; the body of the answer goes to
 * @out_path (when not NULL). */
static int hb_sim_http(int port, const char *method, const char *path,
                       const char *body, const char *out_path) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  struct sockaddr_in sa = {.sin_family = AF_INET,
                           .sin_port = htons((uint16_t)port),
                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  struct timeval tv = {.tv_sec = 10};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
    close(fd);
    return -1;
  }
  char req[512];
  int n = snprintf(req, sizeof(req),
                   "%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\n"
                   "Content-Type: application/json\r\n"
                   "Content-Length: %zu\r\n\r\n%s",
                   method, path, body ? strlen(body) : 0, body ? body : "");
  if (n < 0 || (size_t)n >= sizeof(req) ||
      write(fd, req, (size_t)n) != (ssize_t)n) {
    close(fd);
    return -1;
  }
  char *buf = NULL;
  size_t len = 0, cap = 0;
  for (;;) {
    if (len + 4096 > cap) {
      cap = cap ? cap * 2 : 65536;
      char *b = realloc(buf, cap);
      if (b == NULL)
        break;
      buf = b;
    }
    ssize_t r = read(fd, buf + len, cap - len - 1);
    if (r <= 0)
      break;
    len += (size_t)r;
  }
  close(fd);
  int rc = -1;
  if (buf != NULL) {
    buf[len] = '\0';
    char *b = strstr(buf, "\r\n\r\n");
    if (strncmp(buf, "HTTP/1.", 7) == 0 && strncmp(buf + 8, " 200", 4) == 0 &&
        b != NULL) {
      rc = 0;
      if (out_path != NULL) {
        FILE *f = fopen(out_path, "we");
        if (f == NULL || fputs(b + 4, f) == EOF)
          rc = -1;
        if (f != NULL && fclose(f) != 0)
          rc = -1;
      }
    }
  }
  free(buf);
  return rc;
}

/* utime + stime of @pid in ms, or -1. */
static double hb_proc_cpu_ms(long pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
  FILE *f = fopen(path, "re");
  if (f == NULL)
    return -1;
  size_t n = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  buf[n] = '\0';
  char *p = strrchr(buf, ')'); /* the command name may hold blanks */
  if (p == NULL)
    return -1;
  /* fields after the name: 3 state ... 14 utime 15 stime */
  unsigned long long ut = 0, st = 0;
  int field = 2;
  for (char *t = p + 1; *t != '\0' && field < 15;) {
    while (*t == ' ')
      t++;
    field++;
    char *end = NULL;
    unsigned long long v = strtoull(t, &end, 10);
    if (field == 14)
      ut = v;
    else if (field == 15)
      st = v;
    t = end != NULL && end != t ? end : t + strcspn(t, " ");
  }
  return (double)(ut + st) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

/* ---- memory ----------------------------------------------------------------
 */

/* A "Vm...:" line of /proc/self/status in KiB, or -1. VmHWM, not
 * getrusage()'s ru_maxrss: the kernel updates the latter lazily, so it can
 * lag behind the current VmRSS. */
static long hb_status_kib(const char *field) {
  FILE *f = fopen("/proc/self/status", "re");
  if (f == NULL)
    return -1;
  char line[256];
  long kib = -1;
  size_t l = strlen(field);
  while (fgets(line, sizeof(line), f) != NULL)
    if (strncmp(line, field, l) == 0 && line[l] == ':') {
      kib = strtol(line + l + 1, NULL, 10);
      break;
    }
  fclose(f);
  return kib;
}

static long hb_vmrss_kib(void) { return hb_status_kib("VmRSS"); }

/* ---- main ------------------------------------------------------------------
 */

struct hb_sim {
  long port;
  long pid;
  const char *prefix;
};

static int hb_parse_sim(char *arg, struct hb_sim *s) {
  char *a = strchr(arg, ':');
  char *b = a ? strchr(a + 1, ':') : NULL;
  if (a == NULL || b == NULL || b[1] == '\0')
    return -1;
  *a = *b = '\0';
  s->prefix = b + 1;
  return bench_parse_long(arg, 1, 65535, &s->port) &&
                 bench_parse_long(a + 1, 1, LONG_MAX, &s->pid)
             ? 0
             : -1;
}

static char *hb_sim_file(const struct hb_sim *s, const char *what) {
  size_t l = strlen(s->prefix) + strlen(what) + 1;
  char *p = smalloc(l);
  snprintf(p, l, "%s%s", s->prefix, what);
  return p;
}

static int hb_usage(const char *argv0) {
  fprintf(stderr,
          "usage: %s [-n READS] [-w WARMUP] [-p PAUSE_US] [-l] [-v]\n"
          "       [-s PORT:PID:PREFIX] -c CONFIG -P PLUGIN.so [-P ...]\n",
          argv0);
  return 2;
}

int main(int argc, char **argv) {
  long reads = 20, warmup = 2, pause_us = 10000;
  bool list = false;
  const char *conf = NULL;
  struct hb_sim sim = {0};
  int c;
  while ((c = getopt(argc, argv, "n:w:p:lvs:c:P:")) != -1) {
    switch (c) {
    case 'n':
      if (!bench_parse_long(optarg, 1, 100000, &reads))
        return hb_usage(argv[0]);
      break;
    case 'w':
      if (!bench_parse_long(optarg, 1, 1000, &warmup))
        return hb_usage(argv[0]);
      break;
    case 'p':
      if (!bench_parse_long(optarg, 0, 10000000, &pause_us))
        return hb_usage(argv[0]);
      break;
    case 'l':
      list = true;
      break;
    case 'v':
      bench_log_level = LOG_INFO;
      break;
    case 's':
      if (hb_parse_sim(optarg, &sim) != 0)
        return hb_usage(argv[0]);
      break;
    case 'c':
      conf = optarg;
      break;
    case 'P':
      if (bench_nplugins >= BENCH_MAX_PLUGINS)
        return hb_usage(argv[0]);
      bench_plugins[bench_nplugins++].path = optarg;
      break;
    default:
      return hb_usage(argv[0]);
    }
  }
  if (optind != argc || conf == NULL || bench_nplugins == 0)
    return hb_usage(argv[0]);

  long rss_start = hb_vmrss_kib();
  struct hb_node *root = hb_parse_file(conf);
  if (root == NULL)
    return 1;
  for (int i = 0; i < bench_nplugins; i++)
    if (bench_load(i) != 0)
      return 1;
  if (hb_configure(root) != 0 || bench_init_all() != 0)
    return 1;
  long rss_init = hb_vmrss_kib();

  double first_wall = 0, first_cpu = 0;
  for (long i = 0; i < warmup; i++) {
    double c0 = bench_cpu_us(), w0 = bench_now_us();
    hb_read_all();
    if (i == 0) {
      first_wall = bench_now_us() - w0;
      first_cpu = bench_cpu_us() - c0;
    }
    bench_pause(pause_us);
  }
  if (list) {
    printf("one read:\n");
    bench_listing = true;
    hb_read_all();
    bench_listing = false;
    bench_pause(pause_us);
  }
  long rss_warm = hb_vmrss_kib();
  uint64_t warm_failures = bench_failures;
  bench_lists = bench_values = bench_notifs = bench_failures = 0;

  double sim_cpu0 = -1;
  if (sim.port != 0) {
    char *warm = hb_sim_file(&sim, ".warm.json");
    if (hb_sim_http((int)sim.port, "GET", "/_sim/stats", NULL, warm) != 0 ||
        hb_sim_http((int)sim.port, "POST", "/_sim/control",
                    "{\"reset_stats\": true}", NULL) != 0) {
      fprintf(stderr, "ha_bench: simulator on port %ld does not answer\n",
              sim.port);
      return 1;
    }
    free(warm);
    sim_cpu0 = hb_proc_cpu_ms(sim.pid);
  }

  double *us = calloc((size_t)reads, sizeof(*us));
  double *cpu = calloc((size_t)reads, sizeof(*cpu));
  if (us == NULL || cpu == NULL)
    return 3;
  double wall_sum = 0, cpu_sum = 0;
  double t_begin = bench_now_us();
  for (long i = 0; i < reads; i++) {
    double c0 = bench_cpu_us(), t0 = bench_now_us();
    hb_read_all();
    us[i] = bench_now_us() - t0;
    cpu[i] = bench_cpu_us() - c0;
    wall_sum += us[i];
    cpu_sum += cpu[i];
    bench_pause(pause_us);
  }
  double span_ms = (bench_now_us() - t_begin) / 1000;
  double sim_cpu = -1;
  if (sim.port != 0) {
    double c1 = hb_proc_cpu_ms(sim.pid);
    sim_cpu = sim_cpu0 >= 0 && c1 >= 0 ? c1 - sim_cpu0 : -1;
    char *out = hb_sim_file(&sim, ".reads.json");
    if (hb_sim_http((int)sim.port, "GET", "/_sim/stats", NULL, out) != 0) {
      fprintf(stderr, "ha_bench: simulator stats failed\n");
      return 1;
    }
    free(out);
  }
  long rss_end = hb_vmrss_kib();
  long hwm = hb_status_kib("VmHWM");

  double n = (double)reads;
  qsort(us, (size_t)reads, sizeof(*us), bench_cmp_double);
  qsort(cpu, (size_t)reads, sizeof(*cpu), bench_cmp_double);
  printf("reads=%ld callbacks=%zu lists_per_read=%.2f values_per_read=%.2f "
         "failures=%" PRIu64 " warmup_failures=%" PRIu64
         " notifications=%" PRIu64 " wall_us_min=%.1f wall_us_median=%.1f "
         "wall_us_p90=%.1f wall_us_mean=%.1f cpu_us_min=%.1f "
         "cpu_us_median=%.1f cpu_us_p90=%.1f cpu_us_mean=%.1f "
         "first_wall_us=%.1f first_cpu_us=%.1f span_ms=%.1f sim_cpu_ms=%.1f "
         "rss_kib_start=%ld rss_kib_init=%ld rss_kib_warm=%ld rss_kib_end=%ld "
         "hwm_kib=%ld\n",
         reads, hb_nreads, (double)bench_lists / n, (double)bench_values / n,
         bench_failures, warm_failures, bench_notifs, us[0], us[reads / 2],
         us[(reads * 9) / 10], wall_sum / n, cpu[0], cpu[reads / 2],
         cpu[(reads * 9) / 10], cpu_sum / n, first_wall, first_cpu, span_ms,
         sim_cpu, rss_start, rss_init, rss_warm, rss_end, hwm);
  free(us);
  free(cpu);
  hb_free_reads();
  bench_shutdown_all();
  return 0;
}
