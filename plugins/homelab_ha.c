// SPDX-License-Identifier: MIT
/*
 * homelab_ha: Home Assistant over its REST API (../shared/docs/PROTOCOLS.md
 * §2.3): reachability and response time, core state, version and chosen
 * entity states, including the string states (on/off, unavailable) that
 * generic JSON pollers cannot report.
 *
 * One read callback per <Instance> ("homelab_ha/<name>"), each with its own
 * struct hl_http (one persistent connection, bearer token). Per read:
 * fetch GET /api/ (reachability, response time) -> GET /api/core/state ->
 * GET /api/config (first read, then every ConfigInterval; also the core
 * state on installations without /api/core/state) -> entities, either one
 * GET /api/states filtered locally (EntityPattern, or many Entity lines) or
 * one GET /api/states/<id> per Entity -> parse (hl_ha) -> submit and notify
 * once per change. A 401/403 on GET /api/ means the token is rejected: one
 * FAILURE, then no request at all for interval * 2^n (at most an hour),
 * because Home Assistant bans addresses after repeated failed logins.
 *
 * Identifiers, plugin "homelab_ha", plugin_instance = instance name:
 *   homelab_up-api, response_time-api (seconds), homelab_up-auth,
 *   homelab_core_state-core (-1 unknown, 0 NOT_RUNNING, 1 STARTING,
 *   2 RUNNING, 3 STOPPING, 4 FINAL_WRITE, 5 STOPPED),
 *   homelab_binary-migration_in_progress/-migration_is_live,
 *   count-entities, count-entities_unavailable;
 *   per entity (type_instance = sanitised entity id): <type>-<id> (type by
 *   unit/device class, hl_ha_type_for), homelab_binary-<id> (on/off and
 *   friends), homelab_available-<id>, homelab_age-<id> (seconds since
 *   last_updated), gauge-<id>.<attribute> (percent-... for battery_level).
 *
 *   <Plugin homelab_ha>
 *     <Instance "nuc">
 *       URL "http://ha.lan:8123"
 *       TokenFile "/etc/collectd/ha.token"   # or TokenEnv / Token
 *       CACert "/etc/collectd/ha-ca.pem"
 *       VerifyPeer true
 *       VerifyHost true
 *       Timeout 5
 *       MaxResponseSize 4194304
 *       ConfigInterval 3600
 *       Interval 30
 *       FetchMode "auto"                     # auto, bulk or each
 *       MaxEntities 1000
 *       ReportAvailability true              # homelab_available-<id> values
 *       ReportAge true                       # homelab_age-<id> values
 *       Entity "sensor.living_room_temperature"
 *       <Entity "sensor.freezer_temperature">
 *         WarningMax -15
 *         FailureMax -10
 *         Attribute "battery_level"
 *       </Entity>
 *       EntityPattern "sensor.*_temperature"
 *       Attribute "battery_level"
 *     </Instance>
 *   </Plugin>
 */
#define HL_PLUGIN "homelab_ha"
#include "hl_plugin.h"

#include "hl_ha.h"
#include "hl_http.h"
#include "hl_str.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <time.h>

#define HA_MAX_INSTANCES 32
#define HA_MAX_ENTITY_LINES 4096
#define HA_MAX_PATTERNS 64
#define HA_TOKEN_MAX 2048 /* long-lived tokens are JWTs of ~180 bytes */
#define HA_MAX_BODY_DEFAULT (4u * 1024u * 1024u)
/* FetchMode auto: one GET /api/states/<id> per entity while the configured
 * entities are at most 1/HA_EACH_RATIO of all entities (serialising ~20
 * states costs Home Assistant about as much as answering one request). */
#define HA_EACH_RATIO 20

enum ha_fetch { HA_FETCH_AUTO, HA_FETCH_BULK, HA_FETCH_EACH };

/* One Entity line or block. The low watch sees the negated value, so one
 * "at or above" state machine serves both WarningMin and WarningMax. */
struct ha_entity_cfg {
  char *id;
  bool want_attr;
  bool limits;
  struct hl_watch hi;
  struct hl_watch lo;
};

/* What was last reported for one entity; sorted by id. */
struct ha_ent {
  char *id;
  int cfg; /* index into ha_inst.ents, -1: matched by a pattern */
  bool avail_known;
  bool avail;
  bool found; /* in the last answer that could contain it */
  bool found_known;
  bool seen; /* in this read's answer */
  struct hl_thresh_state hi;
  struct hl_thresh_state lo;
};

struct ha_flag {
  bool known;
  bool up;
};

struct ha_inst {
  char name[DATA_MAX_NAME_LEN];
  char ctx[DATA_MAX_NAME_LEN + 40]; /* "homelab_ha: Instance \"name\"" */
  /* config */
  char *url;
  char *token;
  char *ca_cert;
  bool verify_peer;
  bool verify_host;
  double timeout;
  size_t max_body;
  double config_interval;
  cdtime_t interval;
  enum ha_fetch fetch;
  size_t max_entities;
  struct ha_entity_cfg *ents;
  size_t nents;
  char **patterns;
  size_t npatterns;
  char *attr;
  bool attr_all;
  bool report_available; /* homelab_available-<id> values (default on) */
  bool report_age;       /* homelab_age-<id> values (default on) */
  const char **ids;      /* borrowed from ents, for struct hl_ha_filter */
  /* state */
  struct hl_http *http;
  struct hl_backoff bo;
  struct ha_flag api;
  bool auth_bad;
  bool core_known;
  enum hl_ha_core_state core;
  bool no_core_api; /* /api/core/state is 404: older Home Assistant */
  int64_t config_next_ms;
  struct hl_ha_config cfg;
  bool cfg_known;
  size_t total; /* entities in the last /api/states answer, 0 unknown */
  bool cap_hit;
  meta_data_t *md;
  struct ha_ent *st;
  size_t nst;
  size_t cap;
  c_complain_t c_api, c_auth, c_core, c_config, c_states, c_cut;
};

static struct {
  struct ha_inst *inst[HA_MAX_INSTANCES];
  size_t n;
} ha_cfg;
static struct hl_single ha_single;

/* ---- free ---------------------------------------------------------------- */

static void ha_inst_free(void *arg) {
  struct ha_inst *h = arg;
  if (h == NULL)
    return;
  sfree(h->url);
  hl_secret_free(&h->token);
  sfree(h->ca_cert);
  for (size_t i = 0; i < h->nents; i++)
    sfree(h->ents[i].id);
  sfree(h->ents);
  for (size_t i = 0; i < h->npatterns; i++)
    sfree(h->patterns[i]);
  sfree(h->patterns);
  sfree(h->attr);
  sfree(h->ids);
  hl_http_free(h->http);
  for (size_t i = 0; i < h->nst; i++)
    sfree(h->st[i].id);
  sfree(h->st);
  if (h->md != NULL)
    meta_data_destroy(h->md);
  explicit_bzero(h, sizeof(*h));
  sfree(h);
}

static void ha_cfg_clear(void) {
  for (size_t i = 0; i < ha_cfg.n; i++)
    ha_inst_free(ha_cfg.inst[i]);
  ha_cfg.n = 0;
}

/* ---- config -------------------------------------------------------------- */

/* Home Assistant entity ids: "<domain>.<object_id>", lower-case letters,
 * digits and '_' (also what makes them safe in a request path). */
static bool ha_entity_id_ok(const char *s) {
  const char *dot = strchr(s, '.');
  if (dot == NULL || dot == s || dot[1] == '\0' || strlen(s) > 255)
    return false;
  for (const char *p = s; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' ||
          (p == dot)))
      return false;
  return true;
}

/* Attribute names: at most HA_ATTR_MAX bytes, so "<id>.<attribute>" keeps
 * at least 30 bytes of the entity id within HL_HA_INSTANCE_MAX. */
#define HA_ATTR_MAX 32
static bool ha_attr_name_ok(const char *s) {
  if (s[0] == '\0' || strlen(s) > HA_ATTR_MAX)
    return false;
  for (const char *p = s; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
          (*p >= '0' && *p <= '9') || *p == '_'))
      return false;
  return true;
}

static int ha_cf_attr(struct ha_inst *h, oconfig_item_t *c) {
  char *a = NULL;
  if (hl_cf_string(h->ctx, c, &a) != 0)
    return -1;
  if (!ha_attr_name_ok(a)) {
    hl_err("Instance \"%s\": Attribute \"%s\": expects an attribute name "
           "(letters, digits, '_'; at most %d bytes)",
           h->name, a, HA_ATTR_MAX);
    sfree(a);
    return -1;
  }
  if (h->attr != NULL && strcmp(h->attr, a) != 0) {
    hl_err("Instance \"%s\": Attribute \"%s\": only one attribute name per "
           "Instance (already \"%s\")",
           h->name, a, h->attr);
    sfree(a);
    return -1;
  }
  sfree(h->attr);
  h->attr = a;
  return 0;
}

static int ha_cf_limit(struct ha_inst *h, struct ha_entity_cfg *e,
                       oconfig_item_t *c) {
  double v = 0;
  char ctx[sizeof(h->ctx) + 300];
  snprintf(ctx, sizeof(ctx), "%s: Entity \"%s\"", h->ctx, e->id);
  if (hl_cf_double_range(ctx, c, -1e12, 1e12, &v) != 0)
    return -1;
  const char *k = c->key;
  bool warn = strncasecmp(k, "Warning", 7) == 0;
  bool max = strcasecmp(k + 7, "Max") == 0; /* Warning, Failure: 7 bytes */
  struct hl_watch *w = max ? &e->hi : &e->lo;
  double *dst = warn ? &w->limits.warning : &w->limits.failure;
  *dst = max ? v : -v;
  e->limits = true;
  return 0;
}

static bool ha_is_limit(const char *k) {
  return strcasecmp(k, "WarningMax") == 0 || strcasecmp(k, "FailureMax") == 0 ||
         strcasecmp(k, "WarningMin") == 0 || strcasecmp(k, "FailureMin") == 0;
}

static int ha_check_limits(const struct ha_inst *h,
                           const struct ha_entity_cfg *e) {
  const struct hl_thresh *hi = &e->hi.limits, *lo = &e->lo.limits;
  if (!isnan(hi->warning) && !isnan(hi->failure) && hi->warning > hi->failure) {
    hl_err("Instance \"%s\": Entity \"%s\": WarningMax (%g) must not be above "
           "FailureMax (%g)",
           h->name, e->id, hi->warning, hi->failure);
    return -1;
  }
  if (!isnan(lo->warning) && !isnan(lo->failure) && lo->warning > lo->failure) {
    hl_err("Instance \"%s\": Entity \"%s\": WarningMin (%g) must not be below "
           "FailureMin (%g)",
           h->name, e->id, -lo->warning, -lo->failure);
    return -1;
  }
  return 0;
}

static int ha_cf_entity(struct ha_inst *h, oconfig_item_t *c) {
  if (c->values_num != 1 || c->values[0].type != OCONFIG_TYPE_STRING) {
    hl_err("Instance \"%s\": Entity: expects one entity id, as in Entity "
           "\"sensor.outside_temperature\"",
           h->name);
    return -1;
  }
  const char *id = c->values[0].value.string;
  if (!ha_entity_id_ok(id)) {
    hl_err("Instance \"%s\": Entity \"%s\": not an entity id "
           "(\"domain.object_id\": lower-case letters, digits, '_')",
           h->name, id);
    return -1;
  }
  for (size_t i = 0; i < h->nents; i++)
    if (strcmp(h->ents[i].id, id) == 0) {
      hl_err("Instance \"%s\": Entity \"%s\": given twice", h->name, id);
      return -1;
    }
  if (h->nents >= HA_MAX_ENTITY_LINES) {
    hl_err("Instance \"%s\": Entity: at most %d entities (use EntityPattern)",
           h->name, HA_MAX_ENTITY_LINES);
    return -1;
  }
  struct ha_entity_cfg *n = realloc(h->ents, (h->nents + 1) * sizeof(*n));
  if (n == NULL)
    return -1;
  h->ents = n;
  struct ha_entity_cfg *e = &h->ents[h->nents];
  *e = (struct ha_entity_cfg){.id = strdup(id)};
  if (e->id == NULL)
    return -1;
  h->nents++;
  hl_watch_init(&e->hi, 0);
  hl_watch_init(&e->lo, 0);
  for (int i = 0; i < c->children_num; i++) {
    oconfig_item_t *o = &c->children[i];
    int rc;
    if (ha_is_limit(o->key))
      rc = ha_cf_limit(h, e, o);
    else if (strcasecmp(o->key, "Attribute") == 0) {
      rc = ha_cf_attr(h, o);
      e->want_attr = rc == 0;
    } else {
      hl_err("Instance \"%s\": Entity \"%s\": unknown option \"%s\"", h->name,
             id, o->key);
      rc = -1;
    }
    if (rc != 0)
      return -1;
  }
  return ha_check_limits(h, e);
}

static int ha_cf_pattern(struct ha_inst *h, oconfig_item_t *c) {
  char *p = NULL;
  if (hl_cf_string(h->ctx, c, &p) != 0)
    return -1;
  if (hl_ha_glob_valid(p) != 0) {
    hl_err("Instance \"%s\": EntityPattern \"%s\": not a valid glob (empty, "
           "or a '[' without its ']')",
           h->name, p);
    sfree(p);
    return -1;
  }
  char **n = NULL;
  if (h->npatterns >= HA_MAX_PATTERNS) {
    hl_err("Instance \"%s\": EntityPattern: at most %d patterns", h->name,
           HA_MAX_PATTERNS);
  } else if ((n = realloc(h->patterns, (h->npatterns + 1) * sizeof(*n))) !=
             NULL) {
    h->patterns = n;
    h->patterns[h->npatterns++] = p;
    return 0;
  }
  sfree(p);
  return -1;
}

/* Where the config can be read: warn more loudly about an inline token when
 * collectd's main config file is readable by every user. */
static bool ha_config_world_readable(void) {
  const char *path = "/etc/collectd/collectd.conf";
  char cfgpath[PATH_MAX] = "";
  FILE *f = fopen("/proc/self/cmdline", "re");
  if (f != NULL) {
    char args[4096];
    size_t n = fread(args, 1, sizeof(args) - 1, f);
    fclose(f);
    args[n] = '\0';
    for (size_t i = 0; i < n; i += strlen(args + i) + 1)
      if (strcmp(args + i, "-C") == 0 && i + 3 < n) {
        hl_str_copy(cfgpath, sizeof(cfgpath), args + i + 3);
        path = cfgpath;
      }
  }
  struct stat st;
  return stat(path, &st) == 0 && (st.st_mode & S_IROTH);
}

static int ha_cf_token(struct ha_inst *h, oconfig_item_t *c, int *ntoken) {
  if (++*ntoken > 1) {
    hl_err("Instance \"%s\": %s: only one of Token, TokenFile and TokenEnv",
           h->name, c->key);
    return -1;
  }
  char *s = NULL;
  if (hl_cf_string(h->ctx, c, &s) != 0)
    return -1;
  int rc = 0;
  if (strcasecmp(c->key, "Token") == 0 && s[0] == '\0') {
    hl_err("Instance \"%s\": Token: empty", h->name);
    rc = -1;
  } else if (strcasecmp(c->key, "Token") == 0) {
    hl_secret_free(&h->token);
    h->token = s; /* moved */
    s = NULL;
    hl_warn("Instance \"%s\": Token: the token is written in the config%s; "
            "prefer TokenFile (mode 0600) or TokenEnv",
            h->name,
            ha_config_world_readable()
                ? ", and collectd's config file is readable by every user"
                : "");
  } else if (strcasecmp(c->key, "TokenFile") == 0) {
    rc = hl_cf_secret_file(h->ctx, "TokenFile", s, HA_TOKEN_MAX, &h->token);
  } else {
    rc = hl_cf_secret_env(h->ctx, "TokenEnv", s, &h->token);
  }
  hl_secret_free(&s);
  return rc;
}

static int ha_cf_seconds(const struct ha_inst *h, oconfig_item_t *c, double min,
                         double max, double *out) {
  return hl_cf_double_range(h->ctx, c, min, max, out);
}

static int ha_cf_whole(const struct ha_inst *h, oconfig_item_t *c, double min,
                       double max, size_t *out) {
  double d = 0;
  if (hl_cf_double_range(h->ctx, c, min, max, &d) != 0)
    return -1;
  if (d != floor(d)) {
    ERROR("%s: %s: %g is not a whole number", h->ctx, c->key, d);
    return -1;
  }
  *out = (size_t)d;
  return 0;
}

static int ha_cf_fetch(struct ha_inst *h, oconfig_item_t *c) {
  char *s = NULL;
  if (hl_cf_string(h->ctx, c, &s) != 0)
    return -1;
  int rc = 0;
  if (strcasecmp(s, "auto") == 0)
    h->fetch = HA_FETCH_AUTO;
  else if (strcasecmp(s, "bulk") == 0)
    h->fetch = HA_FETCH_BULK;
  else if (strcasecmp(s, "each") == 0)
    h->fetch = HA_FETCH_EACH;
  else {
    hl_err("Instance \"%s\": FetchMode \"%s\": expects auto, bulk or each",
           h->name, s);
    rc = -1;
  }
  sfree(s);
  return rc;
}

static int ha_cf_url(struct ha_inst *h, oconfig_item_t *c) {
  if (hl_cf_string(h->ctx, c, &h->url) != 0)
    return -1;
  const char *u = h->url;
  size_t skip = strncmp(u, "http://", 7) == 0    ? 7
                : strncmp(u, "https://", 8) == 0 ? 8
                                                 : 0;
  const char *why = NULL;
  if (skip == 0)
    why = "expects http://host[:port] or https://host[:port]";
  else if (u[skip] == '\0' || u[skip] == '/' || u[skip] == ':')
    why = "no host name";
  else if (strpbrk(u + skip, "@ \t\"?#") != NULL)
    why = "must not contain credentials, blanks, a query or a fragment";
  else {
    const char *slash = strchr(u + skip, '/');
    if (slash != NULL && strcmp(slash, "/") != 0)
      why = "expects no path (Home Assistant serves its API at /api/)";
    else if (slash != NULL)
      h->url[slash - u] = '\0';
  }
  if (why != NULL) {
    /* Not echoed: a rejected URL may carry a password or a token. */
    hl_err("Instance \"%s\": URL: %s", h->name, why);
    return -1;
  }
  return 0;
}

static int ha_config_option(struct ha_inst *h, oconfig_item_t *c, int *ntoken) {
  const char *k = c->key;
  if (strcasecmp(k, "Entity") == 0)
    return ha_cf_entity(h, c);
  if (c->children_num > 0) {
    hl_err("Instance \"%s\": %s: not a block", h->name, k);
    return -1;
  }
  if (strcasecmp(k, "URL") == 0)
    return ha_cf_url(h, c);
  if (strcasecmp(k, "Token") == 0 || strcasecmp(k, "TokenFile") == 0 ||
      strcasecmp(k, "TokenEnv") == 0)
    return ha_cf_token(h, c, ntoken);
  if (strcasecmp(k, "CACert") == 0)
    return hl_cf_string(h->ctx, c, &h->ca_cert);
  if (strcasecmp(k, "VerifyPeer") == 0)
    return hl_cf_bool(h->ctx, c, &h->verify_peer);
  if (strcasecmp(k, "VerifyHost") == 0)
    return hl_cf_bool(h->ctx, c, &h->verify_host);
  if (strcasecmp(k, "Timeout") == 0)
    return ha_cf_seconds(h, c, 0.1, 60, &h->timeout);
  if (strcasecmp(k, "MaxResponseSize") == 0)
    return ha_cf_whole(h, c, 4096, 256.0 * 1024 * 1024, &h->max_body);
  if (strcasecmp(k, "ConfigInterval") == 0)
    return ha_cf_seconds(h, c, 1, 7 * 86400, &h->config_interval);
  if (strcasecmp(k, "Interval") == 0) {
    double s = 0;
    if (ha_cf_seconds(h, c, 0.01, 86400, &s) != 0)
      return -1;
    h->interval = DOUBLE_TO_CDTIME_T(s);
    return 0;
  }
  if (strcasecmp(k, "FetchMode") == 0)
    return ha_cf_fetch(h, c);
  if (strcasecmp(k, "ReportAvailability") == 0)
    return hl_cf_bool(h->ctx, c, &h->report_available);
  if (strcasecmp(k, "ReportAge") == 0)
    return hl_cf_bool(h->ctx, c, &h->report_age);
  if (strcasecmp(k, "MaxEntities") == 0)
    return ha_cf_whole(h, c, 1, 100000, &h->max_entities);
  if (strcasecmp(k, "EntityPattern") == 0)
    return ha_cf_pattern(h, c);
  if (strcasecmp(k, "Attribute") == 0) {
    int rc = ha_cf_attr(h, c);
    h->attr_all |= rc == 0;
    return rc;
  }
  hl_err("Instance \"%s\": unknown option \"%s\"", h->name, k);
  return -1;
}

static int ha_cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int ha_validate(struct ha_inst *h) {
  const char *n = h->name;
  if (h->url == NULL) {
    hl_err("Instance \"%s\": URL: missing", n);
    return -1;
  }
  if (h->token == NULL) {
    hl_err("Instance \"%s\": one of Token, TokenFile or TokenEnv is required "
           "(a long-lived access token)",
           n);
    return -1;
  }
  bool tls = strncmp(h->url, "https://", 8) == 0;
  if (!tls && h->ca_cert != NULL) {
    hl_err("Instance \"%s\": CACert: needs an https:// URL", n);
    return -1;
  }
  if (h->ca_cert != NULL && access(h->ca_cert, R_OK) != 0) {
    hl_err("Instance \"%s\": CACert \"%s\": %s", n, h->ca_cert, STRERRNO);
    return -1;
  }
  if (h->fetch == HA_FETCH_EACH && h->npatterns > 0) {
    hl_err("Instance \"%s\": FetchMode each: cannot match EntityPattern (it "
           "needs GET /api/states)",
           n);
    return -1;
  }
  if (h->nents > 0) {
    h->ids = calloc(h->nents, sizeof(*h->ids));
    if (h->ids == NULL)
      return -1;
    for (size_t i = 0; i < h->nents; i++)
      h->ids[i] = h->ents[i].id;
    /* Sorted: the filter of GET /api/states looks them up by bisection. */
    qsort(h->ids, h->nents, sizeof(*h->ids), ha_cmp_str);
  }
  return 0;
}

static int ha_config_name(oconfig_item_t *ci, char *out, size_t len) {
  if (ci->values_num != 1 || ci->values[0].type != OCONFIG_TYPE_STRING) {
    hl_err("Instance: expects one name, as in <Instance \"home\">");
    return -1;
  }
  const char *v = ci->values[0].value.string;
  if (v[0] == '\0' || strchr(v, '/') != NULL ||
      hl_str_copy(out, len, v) >= len) {
    hl_err("Instance \"%s\": name must be non-empty, without '/', at most %zu "
           "bytes",
           v, len - 1);
    return -1;
  }
  for (size_t i = 0; i < ha_cfg.n; i++)
    if (strcmp(ha_cfg.inst[i]->name, out) == 0) {
      hl_err("Instance \"%s\": name already used", v);
      return -1;
    }
  if (ha_cfg.n >= HA_MAX_INSTANCES) {
    hl_err("Instance \"%s\": at most %d Instance blocks", v, HA_MAX_INSTANCES);
    return -1;
  }
  return 0;
}

static int ha_config_instance(oconfig_item_t *ci) {
  struct ha_inst *h = calloc(1, sizeof(*h));
  if (h == NULL)
    return -1;
  *h = (struct ha_inst){.verify_peer = true,
                        .verify_host = true,
                        .timeout = 5,
                        .max_body = HA_MAX_BODY_DEFAULT,
                        .config_interval = 3600,
                        .max_entities = 1000,
                        .report_available = true,
                        .report_age = true};
  int rc = ha_config_name(ci, h->name, sizeof(h->name));
  snprintf(h->ctx, sizeof(h->ctx), HL_PLUGIN ": Instance \"%s\"", h->name);
  int ntoken = 0;
  for (int i = 0; rc == 0 && i < ci->children_num; i++)
    rc = ha_config_option(h, &ci->children[i], &ntoken);
  if (rc == 0)
    rc = ha_validate(h);
  if (rc != 0) {
    ha_inst_free(h);
    return -1;
  }
  ha_cfg.inst[ha_cfg.n++] = h;
  return 0;
}

/* Parses into ha_cfg; instances are registered by init. Always returns 0:
 * a rejected config is reported by init (struct hl_single). */
static int ha_config(oconfig_item_t *ci) {
  if (!hl_single_begin(HL_PLUGIN, &ha_single))
    return 0;
  ha_cfg_clear();
  for (int i = 0; i < ci->children_num; i++) {
    oconfig_item_t *c = &ci->children[i];
    int rc = strcasecmp(c->key, "Instance") == 0 ? ha_config_instance(c)
                                                 : hl_cf_unknown(HL_PLUGIN, c);
    if (rc != 0)
      ha_single.bad = true;
  }
  return 0;
}

/* ---- helpers ------------------------------------------------------------- */

static int64_t ha_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

__attribute__((format(printf, 5, 6))) static void
ha_notify(const struct ha_inst *h, int sev, const char *type, const char *ti,
          const char *fmt, ...) {
  struct hl_kv kv[] = {
      {"instance", h->name},
      {"url", h->url},
      {"version", h->cfg.version[0] ? h->cfg.version : NULL},
      {"location_name", h->cfg.location_name[0] ? h->cfg.location_name : NULL}};
  char what[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof(what), fmt, ap);
  va_end(ap);
  hl_notify_kv(sev, HL_PLUGIN, h->name, type, ti, kv, STATIC_ARRAY_SIZE(kv),
               "%s: %s", h->name, what);
}

static void ha_submit1(const struct ha_inst *h, cdtime_t now, const char *type,
                       const char *ti, double v, meta_data_t *md) {
  value_t val = {.gauge = v};
  hl_submit_md(now, HL_PLUGIN, h->name, type, ti, &val, 1, md);
}

static void ha_meta(struct ha_inst *h) {
  if (h->md != NULL)
    meta_data_destroy(h->md);
  h->md = meta_data_create();
  if (h->md == NULL)
    return;
  if (h->cfg.version[0])
    meta_data_add_string(h->md, "version", h->cfg.version);
  if (h->cfg.location_name[0])
    meta_data_add_string(h->md, "location_name", h->cfg.location_name);
}

/* The entity state for @id, created (cfg -1) when missing. */
static struct ha_ent *ha_ent_get(struct ha_inst *h, const char *id) {
  size_t lo = 0, hi = h->nst;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int c = strcmp(h->st[mid].id, id);
    if (c == 0)
      return &h->st[mid];
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (h->nst == h->cap) {
    size_t cap = h->cap ? h->cap * 2 : 16;
    struct ha_ent *n = realloc(h->st, cap * sizeof(*n));
    if (n == NULL)
      return NULL;
    h->st = n;
    h->cap = cap;
  }
  char *dup = strdup(id);
  if (dup == NULL)
    return NULL;
  memmove(&h->st[lo + 1], &h->st[lo], (h->nst - lo) * sizeof(*h->st));
  h->nst++;
  h->st[lo] = (struct ha_ent){.id = dup, .cfg = -1};
  for (size_t i = 0; i < h->nents; i++)
    if (strcmp(h->ents[i].id, id) == 0)
      h->st[lo].cfg = (int)i;
  return &h->st[lo];
}

/* ---- read: instance parts ------------------------------------------------ */

struct ha_rd {
  int64_t deadline_ms;
  cdtime_t now;
  double wall; /* Unix seconds of this read, for last_updated ages */
  int fatal;   /* transport failure: the rest of the read is skipped */
  char err[256];
};

/* One GET with the read's deadline. Return: 0 with @r filled (check the
 * status), or a negative errno (@rd->fatal set for transport failures). */
static int ha_get(struct ha_inst *h, struct ha_rd *rd, const char *path,
                  struct hl_http_resp *r) {
  *r = (struct hl_http_resp){0};
  if (rd->fatal != 0)
    return rd->fatal;
  if (ha_now_ms() >= rd->deadline_ms) {
    rd->fatal = -ETIMEDOUT;
    snprintf(rd->err, sizeof(rd->err), "read deadline passed before GET %s",
             path);
    return rd->fatal;
  }
  int rc = hl_http_get(h->http, path, r);
  if (rc < 0 && rc != -EACCES && rc != -E2BIG) {
    rd->fatal = rc;
    hl_str_copy(rd->err, sizeof(rd->err), r->error);
  }
  return rc;
}

static bool ha_flag_set(struct ha_flag *f, bool up, int *news) {
  *news = (f->known ? f->up != up : !up) ? (up ? 1 : -1) : 0;
  f->known = true;
  f->up = up;
  return up;
}

static void ha_api_state(struct ha_inst *h, bool up, const char *why) {
  int news = 0;
  ha_flag_set(&h->api, up, &news);
  if (up)
    hl_release(&h->c_api, "%s: %s answers again", h->name, h->url);
  else
    hl_complain(&h->c_api, "%s: %s: %s", h->name, h->url, why);
  if (news < 0)
    ha_notify(h, NOTIF_FAILURE, "homelab_up", "api",
              "Home Assistant unreachable: %s", why);
  else if (news > 0)
    ha_notify(h, NOTIF_OKAY, "homelab_up", "api",
              "Home Assistant reachable again");
}

static void ha_auth_state(struct ha_inst *h, bool ok, long status,
                          int64_t now_ms) {
  if (!ok) {
    int64_t delay = hl_http_backoff(&h->bo, true, now_ms);
    hl_complain(&h->c_auth,
                "%s: token rejected (HTTP %ld); requests paused for %.1f s "
                "(doubling, at most %" PRId64 " s)",
                h->name, status, (double)delay / 1000,
                (int64_t)(h->bo.max_ms ? h->bo.max_ms : HL_BACKOFF_MAX_MS) /
                    1000);
    if (!h->auth_bad)
      ha_notify(h, NOTIF_FAILURE, "homelab_up", "auth",
                "token rejected (HTTP %ld); backing off so Home Assistant "
                "does not ban this address",
                status);
    h->auth_bad = true;
    return;
  }
  hl_http_backoff(&h->bo, false, now_ms);
  hl_release(&h->c_auth, "%s: token accepted again", h->name);
  if (h->auth_bad)
    ha_notify(h, NOTIF_OKAY, "homelab_up", "auth", "token accepted again");
  h->auth_bad = false;
}

/* GET /api/. Return: 1 reachable, 0 not (reported), -1 token rejected. */
static int ha_read_api(struct ha_inst *h, struct ha_rd *rd, double *secs,
                       long *status) {
  struct hl_http_resp r;
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  int rc = ha_get(h, rd, "/api/", &r);
  clock_gettime(CLOCK_MONOTONIC, &b);
  *secs = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
  *status = rc == -EACCES ? 401 : r.status;
  int out = 0;
  char why[256] = "";
  bool running = false;
  if (rc == -EACCES || r.status == 403) {
    out = -1;
  } else if (rc < 0) {
    hl_str_copy(why, sizeof(why), r.error[0] ? r.error : STRERROR(-rc));
  } else if (r.status != 200) {
    snprintf(why, sizeof(why), "GET /api/: HTTP %ld", r.status);
  } else if (hl_ha_parse_api(r.body.data, r.body.len, &running, NULL, 0) != 0 ||
             !running) {
    hl_str_copy(why, sizeof(why),
                "GET /api/: not a Home Assistant answer (expected "
                "{\"message\": \"API running.\"})");
  } else {
    out = 1;
  }
  hl_http_resp_free(&r);
  if (out == 0)
    ha_api_state(h, false, why);
  else if (out == 1)
    ha_api_state(h, true, NULL);
  return out;
}

static void ha_core_state(struct ha_inst *h, enum hl_ha_core_state st,
                          const char *name) {
  bool was_running = !h->core_known || h->core == HL_HA_CORE_RUNNING;
  bool changed = !h->core_known || h->core != st;
  h->core_known = true;
  h->core = st;
  if (!changed)
    return;
  if (st == HL_HA_CORE_RUNNING) {
    if (!was_running)
      ha_notify(h, NOTIF_OKAY, "homelab_core_state", "core",
                "core state RUNNING again");
    return;
  }
  int sev = st == HL_HA_CORE_STARTING || st == HL_HA_CORE_UNKNOWN
                ? NOTIF_WARNING
                : NOTIF_FAILURE;
  ha_notify(h, sev, "homelab_core_state", "core", "core state %s",
            name[0] ? name : hl_ha_core_state_name(st));
}

/* GET /api/config when due (or on every read without /api/core/state). */
static void ha_read_config(struct ha_inst *h, struct ha_rd *rd,
                           int64_t now_ms) {
  if (!h->no_core_api && h->cfg_known && now_ms < h->config_next_ms)
    return;
  struct hl_http_resp r;
  int rc = ha_get(h, rd, "/api/config", &r);
  struct hl_ha_config c = {0};
  char err[128] = "";
  if (rc == 0 && r.status == 200)
    rc = hl_ha_parse_config(r.body.data, r.body.len, &c, err, sizeof(err));
  else if (rc == 0)
    snprintf(err, sizeof(err), "HTTP %ld", r.status), rc = -EPROTO;
  hl_http_resp_free(&r);
  if (rc != 0) {
    if (rd->fatal == 0)
      hl_complain(&h->c_config, "%s: GET /api/config: %s", h->name,
                  err[0] ? err : STRERROR(-rc));
    return;
  }
  hl_release(&h->c_config, "%s: GET /api/config works again", h->name);
  h->config_next_ms = now_ms + (int64_t)(h->config_interval * 1000);
  bool first = !h->cfg_known;
  bool changed = !first && strcmp(c.version, h->cfg.version) != 0;
  bool meta =
      first || changed || strcmp(c.location_name, h->cfg.location_name) != 0;
  char old[sizeof(h->cfg.version)];
  hl_str_copy(old, sizeof(old), h->cfg.version);
  /* Stored first, so the notification's meta data has the new version. */
  h->cfg = c;
  h->cfg_known = true;
  if (meta)
    ha_meta(h);
  if (first)
    hl_info("%s: Home Assistant %s (\"%s\") at %s", h->name,
            c.version[0] ? c.version : "(version unknown)", c.location_name,
            h->url);
  else if (changed)
    ha_notify(h, NOTIF_OKAY, "homelab_up", "version",
              "version changed from %s to %s", old, c.version);
  /* Before /api/core/state existed the config carried the state. */
  if (h->no_core_api)
    ha_core_state(h, hl_ha_core_state_from(c.state, strlen(c.state)), c.state);
}

/* GET /api/core/state; falls back to /api/config's state on a 404. */
static void ha_read_core(struct ha_inst *h, struct ha_rd *rd,
                         struct hl_ha_core *core) {
  *core = (struct hl_ha_core){.state = HL_HA_CORE_UNKNOWN};
  if (h->no_core_api)
    return;
  struct hl_http_resp r;
  int rc = ha_get(h, rd, "/api/core/state", &r);
  char err[128] = "";
  if (rc == 0 && r.status == 404) {
    h->no_core_api = true;
    hl_info("%s: no /api/core/state (Home Assistant before 2024.x?); using "
            "the state in /api/config",
            h->name);
    rc = -ENOENT;
  } else if (rc == 0 && r.status == 200) {
    rc = hl_ha_parse_core(r.body.data, r.body.len, core, err, sizeof(err));
  } else if (rc == 0) {
    snprintf(err, sizeof(err), "HTTP %ld", r.status);
    rc = -EPROTO;
  }
  hl_http_resp_free(&r);
  if (rc == 0) {
    hl_release(&h->c_core, "%s: GET /api/core/state works again", h->name);
    ha_core_state(h, core->state, core->state_name);
  } else if (rc != -ENOENT && rd->fatal == 0) {
    hl_complain(&h->c_core, "%s: GET /api/core/state: %s", h->name,
                err[0] ? err : STRERROR(-rc));
  }
}

/* ---- read: entities ------------------------------------------------------ */

struct ha_counts {
  double reported;
  double unavailable;
};

static void ha_entity_avail(struct ha_inst *h, struct ha_ent *s, bool avail,
                            const char *why, const char *ti) {
  bool news = s->avail_known ? s->avail != avail : !avail;
  s->avail_known = true;
  s->avail = avail;
  if (!news)
    return;
  if (avail)
    ha_notify(h, NOTIF_OKAY, "homelab_available", ti, "%s available again",
              s->id);
  else
    ha_notify(h, NOTIF_WARNING, "homelab_available", ti, "%s %s", s->id, why);
}

static void ha_entity_limits(struct ha_inst *h, struct ha_ent *s,
                             const char *type, const char *ti, double v) {
  if (s->cfg < 0 || !h->ents[s->cfg].limits)
    return;
  struct ha_entity_cfg *c = &h->ents[s->cfg];
  enum hl_level before = s->hi.level > s->lo.level ? s->hi.level : s->lo.level;
  bool known = s->hi.known;
  if (hl_thresh_enabled(&c->hi.limits))
    hl_thresh_update(&c->hi.limits, v, &s->hi);
  else
    s->hi = (struct hl_thresh_state){.level = HL_LEVEL_OKAY, .known = true};
  if (hl_thresh_enabled(&c->lo.limits))
    hl_thresh_update(&c->lo.limits, -v, &s->lo);
  else
    s->lo = (struct hl_thresh_state){.level = HL_LEVEL_OKAY, .known = true};
  enum hl_level now = s->hi.level > s->lo.level ? s->hi.level : s->lo.level;
  if ((known && now == before) || (!known && now == HL_LEVEL_OKAY))
    return;
  bool high = s->hi.level >= s->lo.level;
  const struct hl_thresh *t = high ? &c->hi.limits : &c->lo.limits;
  double lim = now == HL_LEVEL_FAILURE ? t->failure : t->warning;
  if (now == HL_LEVEL_OKAY)
    ha_notify(h, NOTIF_OKAY, type, ti, "%s is %g, within its limits again",
              s->id, v);
  else
    ha_notify(h, hl_severity(now), type, ti, "%s is %g, %s its %s limit %g",
              s->id, v, high ? "at or above" : "at or below",
              hl_level_name(now), high ? lim : -lim);
}

static meta_data_t *ha_entity_meta(const struct hl_ha_entity *e) {
  meta_data_t *md = meta_data_create();
  if (md == NULL)
    return NULL;
  meta_data_add_string(md, "entity_id", e->entity_id);
  if (e->friendly_name != NULL)
    meta_data_add_string(md, "friendly_name", e->friendly_name);
  if (e->unit != NULL)
    meta_data_add_string(md, "unit_of_measurement", e->unit);
  return md;
}

static void ha_entity_report(struct ha_inst *h, const struct ha_rd *rd,
                             const struct hl_ha_entity *e,
                             struct ha_counts *n) {
  struct ha_ent *s = ha_ent_get(h, e->entity_id);
  if (s == NULL)
    return;
  s->seen = true;
  s->found = s->found_known = true;
  char ti[HL_HA_INSTANCE_MAX + 1];
  hl_ha_sanitize_id(e->entity_id, ti, sizeof(ti));
  double v = 0;
  enum hl_ha_value_kind kind = hl_ha_state_value(e->state, &v);
  bool avail = kind != HL_HA_VALUE_UNAVAILABLE;
  meta_data_t *md = ha_entity_meta(e);
  n->reported++;
  n->unavailable += !avail;
  if (h->report_available)
    ha_submit1(h, rd->now, "homelab_available", ti, avail, md);
  ha_entity_avail(h, s, avail, "unavailable", ti);
  if (kind == HL_HA_VALUE_NUMBER) {
    struct hl_ha_type t = hl_ha_type_for(e->unit, e->device_class);
    ha_submit1(h, rd->now, t.type, ti, (v + t.offset) * t.scale, md);
    ha_entity_limits(h, s, t.type, ti, v);
  } else if (kind == HL_HA_VALUE_BINARY) {
    ha_submit1(h, rd->now, "homelab_binary", ti, v, md);
    ha_entity_limits(h, s, "homelab_binary", ti, v);
  }
  if (h->report_age && e->has_last_updated && rd->wall > 0) {
    double age = rd->wall - e->last_updated;
    ha_submit1(h, rd->now, "homelab_age", ti, age < 0 ? 0 : age, md);
  }
  bool want = h->attr != NULL &&
              (h->attr_all || (s->cfg >= 0 && h->ents[s->cfg].want_attr));
  if (want && e->has_attr) {
    /* "<id>.<attribute>" within HL_HA_INSTANCE_MAX: the id part is cut. */
    char ati[HL_HA_INSTANCE_MAX + 1];
    size_t alen = strlen(h->attr); /* <= HA_ATTR_MAX, checked by config */
    size_t l = hl_ha_sanitize_id(e->entity_id, ati, HL_HA_INSTANCE_MAX - alen);
    ati[l] = '.';
    hl_ha_sanitize_id(h->attr, ati + l + 1, alen + 1);
    ha_submit1(h, rd->now,
               strcmp(h->attr, "battery_level") == 0 ? "percent" : "gauge", ati,
               e->attr, md);
  }
  if (md != NULL)
    meta_data_destroy(md);
}

/* A configured entity that Home Assistant does not know (404, or absent
 * from /api/states): available 0, notified once. */
static void ha_entity_missing(struct ha_inst *h, const struct ha_rd *rd,
                              const char *id, struct ha_counts *n) {
  struct ha_ent *s = ha_ent_get(h, id);
  if (s == NULL)
    return;
  char ti[HL_HA_INSTANCE_MAX + 1];
  hl_ha_sanitize_id(id, ti, sizeof(ti));
  if (!s->found_known || s->found)
    hl_warn("%s: entity %s: not found in Home Assistant", h->name, id);
  s->found = false;
  s->found_known = true;
  n->reported++;
  n->unavailable++;
  meta_data_t *md = meta_data_create();
  if (md != NULL)
    meta_data_add_string(md, "entity_id", id);
  if (h->report_available)
    ha_submit1(h, rd->now, "homelab_available", ti, 0, md);
  if (md != NULL)
    meta_data_destroy(md);
  ha_entity_avail(h, s, false, "not found", ti);
}

static bool ha_use_each(const struct ha_inst *h) {
  if (h->fetch != HA_FETCH_AUTO)
    return h->fetch == HA_FETCH_EACH;
  if (h->npatterns > 0)
    return false;
  if (h->nents <= 1)
    return true;
  /* Unknown total: one bulk read tells how many entities there are. */
  return h->total > 0 && h->nents * HA_EACH_RATIO <= h->total;
}

/* One GET /api/states/<id> per Entity. The answers are collected and
 * reported at the end, so the values of one read are dispatched together
 * (dispatching between requests wakes collectd's write threads each time). */
static void ha_read_each(struct ha_inst *h, struct ha_rd *rd,
                         struct ha_counts *n) {
  if (h->nents == 0)
    return;
  char path[300];
  bool all_ok = true;
  struct hl_ha_entity *got = calloc(h->nents, sizeof(*got));
  bool *missing = calloc(h->nents, sizeof(*missing));
  if (got == NULL || missing == NULL) {
    sfree(got);
    sfree(missing);
    return;
  }
  for (size_t i = 0; i < h->nents && rd->fatal == 0; i++) {
    const struct ha_entity_cfg *c = &h->ents[i];
    snprintf(path, sizeof(path), "/api/states/%s", c->id);
    struct hl_http_resp r;
    int rc = ha_get(h, rd, path, &r);
    char err[128] = "";
    if (rc == 0 && r.status == 404) {
      missing[i] = true;
    } else if (rc == 0 && r.status == 200 &&
               (rc = hl_ha_parse_state(r.body.data, r.body.len, h->attr,
                                       &got[i], err, sizeof(err))) == 0) {
      /* reported below */
    } else if (rd->fatal == 0) {
      all_ok = false;
      if (rc == 0)
        snprintf(err, sizeof(err), "HTTP %ld%s", r.status,
                 r.status == 401 ? " (not readable with this token)" : "");
      hl_complain(&h->c_states, "%s: GET %s: %s", h->name, path,
                  err[0]          ? err
                  : rc == -E2BIG  ? "answer larger than MaxResponseSize"
                  : rc == -EACCES ? "HTTP 401 (not readable with this token)"
                                  : STRERROR(-rc));
    }
    hl_http_resp_free(&r);
  }
  for (size_t i = 0; i < h->nents && rd->fatal == 0; i++) {
    if (missing[i])
      ha_entity_missing(h, rd, h->ents[i].id, n);
    else if (got[i].entity_id != NULL)
      ha_entity_report(h, rd, &got[i], n);
  }
  for (size_t i = 0; i < h->nents; i++)
    hl_ha_entity_free(&got[i]);
  sfree(got);
  sfree(missing);
  if (all_ok && rd->fatal == 0)
    hl_release(&h->c_states, "%s: entity states read again", h->name);
}

static int ha_read_bulk(struct ha_inst *h, struct ha_rd *rd,
                        struct ha_counts *n) {
  struct hl_http_resp r;
  int rc = ha_get(h, rd, "/api/states", &r);
  struct hl_ha_states s = {0};
  char err[128] = "";
  if (rc == 0 && r.status == 200) {
    const struct hl_ha_filter f = {.ids = h->ids,
                                   .nids = h->nents,
                                   .patterns = (const char *const *)h->patterns,
                                   .npatterns = h->npatterns,
                                   .attribute = h->attr,
                                   .ids_sorted = true};
    rc = hl_ha_parse_states(r.body.data, r.body.len, &f, &s, err, sizeof(err));
  } else if (rc == 0) {
    snprintf(err, sizeof(err), "HTTP %ld", r.status);
    rc = -EPROTO;
  }
  hl_http_resp_free(&r);
  if (rc != 0) {
    if (rd->fatal == 0)
      hl_complain(&h->c_states, "%s: GET /api/states: %s", h->name,
                  err[0]          ? err
                  : rc == -E2BIG  ? "answer larger than MaxResponseSize; "
                                    "raise MaxResponseSize"
                  : rc == -EACCES ? "HTTP 401 (not readable with this token)"
                                  : STRERROR(-rc));
    return rc;
  }
  h->total = s.seen;
  size_t limit = s.n < h->max_entities ? s.n : h->max_entities;
  if (s.n > h->max_entities) {
    if (!h->cap_hit)
      hl_warn("%s: %zu entities match; reporting the first %zu "
              "(MaxEntities)",
              h->name, s.n, h->max_entities);
    h->cap_hit = true;
  } else {
    h->cap_hit = false;
  }
  for (size_t i = 0; i < h->nst; i++)
    h->st[i].seen = false;
  for (size_t i = 0; i < limit; i++)
    ha_entity_report(h, rd, &s.e[i], n);
  /* Configured entities the answer did not contain. */
  for (size_t i = 0; i < h->nents; i++) {
    struct ha_ent *st = ha_ent_get(h, h->ents[i].id);
    if (st != NULL && !st->seen && s.n <= h->max_entities)
      ha_entity_missing(h, rd, h->ents[i].id, n);
  }
  hl_release(&h->c_states, "%s: entity states read again", h->name);
  hl_ha_states_free(&s);
  return 0;
}

static void ha_read_entities(struct ha_inst *h, struct ha_rd *rd) {
  if (h->nents == 0 && h->npatterns == 0)
    return;
  struct ha_counts n = {0};
  if (ha_use_each(h)) {
    ha_read_each(h, rd, &n);
  } else if (ha_read_bulk(h, rd, &n) != 0) {
    return;
  }
  if (rd->fatal != 0)
    return;
  ha_submit1(h, rd->now, "count", "entities", n.reported, h->md);
  ha_submit1(h, rd->now, "count", "entities_unavailable", n.unavailable, h->md);
}

/* ---- read ---------------------------------------------------------------- */

static int ha_read(user_data_t *ud) {
  struct ha_inst *h = ud->data;
  int64_t now_ms = ha_now_ms();
  cdtime_t iv = h->interval ? h->interval : plugin_get_interval();
  double budget = 3 * h->timeout;
  if (budget > CDTIME_T_TO_DOUBLE(iv) * 0.9)
    budget = CDTIME_T_TO_DOUBLE(iv) * 0.9;
  struct timespec wall;
  clock_gettime(CLOCK_REALTIME, &wall);
  struct ha_rd rd = {.deadline_ms = now_ms + (int64_t)(budget * 1000),
                     .now = cdtime(),
                     .wall = (double)wall.tv_sec + wall.tv_nsec / 1e9};
  if (!hl_http_backoff_due(&h->bo, now_ms)) {
    /* Token rejected: no request until the back-off expires. */
    ha_submit1(h, rd.now, "homelab_up", "auth", 0, h->md);
    return 0;
  }
  double secs = 0;
  long status = 0;
  int api = ha_read_api(h, &rd, &secs, &status);
  if (api < 0) {
    ha_auth_state(h, false, status, now_ms);
    ha_submit1(h, rd.now, "homelab_up", "auth", 0, h->md);
    return 0;
  }
  ha_submit1(h, rd.now, "homelab_up", "api", api, h->md);
  if (api == 0) {
    /* Reported once (complaint + FAILURE); returning 0 keeps the interval
     * (a failing read would make collectd double it). */
    return 0;
  }
  ha_auth_state(h, true, status, now_ms);
  ha_submit1(h, rd.now, "homelab_up", "auth", 1, h->md);
  ha_submit1(h, rd.now, "response_time", "api", secs, h->md);
  struct hl_ha_core core;
  ha_read_core(h, &rd, &core);
  ha_read_config(h, &rd, now_ms);
  if (h->core_known)
    ha_submit1(h, rd.now, "homelab_core_state", "core", (double)h->core, h->md);
  if (core.has_recorder) {
    ha_submit1(h, rd.now, "homelab_binary", "migration_in_progress",
               core.migration_in_progress, h->md);
    ha_submit1(h, rd.now, "homelab_binary", "migration_is_live",
               core.migration_is_live, h->md);
  }
  ha_read_entities(h, &rd);
  if (rd.fatal != 0)
    hl_complain(&h->c_cut, "%s: read cut short: %s", h->name, rd.err);
  else
    hl_release(&h->c_cut, "%s: reads complete again", h->name);
  return 0;
}

/* ---- registration -------------------------------------------------------- */

static int ha_start(struct ha_inst *h) {
  struct hl_http_opts o = {
      .base_url = h->url,
      .timeout_ms = (long)(h->timeout * 1000),
      .max_body = h->max_body,
      .auth = HL_HTTP_AUTH_BEARER,
      .password = h->token,
      .skip_verify_peer = !h->verify_peer,
      .skip_verify_host = !h->verify_host,
      .ca_file = h->ca_cert,
  };
  char err[256] = "";
  int rc = hl_http_new(&o, &h->http, err, sizeof(err));
  if (rc != 0) {
    hl_err("Instance \"%s\": %s", h->name, err[0] ? err : STRERROR(-rc));
    return -1;
  }
  /* The client keeps its own (wiped) copy. */
  hl_secret_free(&h->token);
  cdtime_t iv = h->interval ? h->interval : plugin_get_interval();
  h->bo = (struct hl_backoff){.interval_ms = (int64_t)CDTIME_T_TO_MS(iv)};
  h->core = HL_HA_CORE_UNKNOWN;
  C_COMPLAIN_INIT(&h->c_api);
  C_COMPLAIN_INIT(&h->c_auth);
  C_COMPLAIN_INIT(&h->c_core);
  C_COMPLAIN_INIT(&h->c_config);
  C_COMPLAIN_INIT(&h->c_states);
  C_COMPLAIN_INIT(&h->c_cut);
  if (strncmp(h->url, "https://", 8) == 0 && !h->verify_peer)
    hl_warn("Instance \"%s\": VerifyPeer false: the server's certificate is "
            "not checked, the token can be sent to anyone",
            h->name);
  else if (strncmp(h->url, "https://", 8) == 0 && !h->verify_host)
    hl_warn("Instance \"%s\": VerifyHost false: the certificate's name is not "
            "checked",
            h->name);
  if (strncmp(h->url, "http://", 7) == 0)
    hl_info("Instance \"%s\": plain HTTP: the token crosses the network "
            "unencrypted unless Home Assistant is on this host",
            h->name);
  return 0;
}

static int ha_init(void) {
  if (hl_single_init(HL_PLUGIN, &ha_single, ha_config) != 0) {
    ha_cfg_clear();
    return -1;
  }
  for (size_t i = 0; i < ha_cfg.n; i++)
    if (ha_start(ha_cfg.inst[i]) != 0) {
      hl_err("configuration rejected; plugin disabled (see errors above)");
      ha_cfg_clear();
      return -1;
    }
  for (size_t i = 0; i < ha_cfg.n; i++) {
    struct ha_inst *h = ha_cfg.inst[i];
    char cb[64 + DATA_MAX_NAME_LEN];
    snprintf(cb, sizeof(cb), HL_PLUGIN "/%s", h->name);
    plugin_register_complex_read(
        NULL, cb, ha_read, h->interval,
        &(user_data_t){.data = h, .free_func = ha_inst_free});
  }
  if (ha_cfg.n == 0)
    hl_info("no Instance block; nothing to read");
  ha_cfg.n = 0; /* owned by the daemon now */
  return 0;
}

void module_register(void) {
  plugin_register_complex_config(HL_PLUGIN, ha_config);
  plugin_register_init(HL_PLUGIN, ha_init);
}
