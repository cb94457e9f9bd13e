// SPDX-License-Identifier: MIT
/*
 * homelab_ports: every listening TCP and bound UDP socket of this host, its
 * process and its Docker container, checked against a port policy.
 *
 * Per read: fetch (hl_ports_collect: sock_diag netlink, /proc/<pid>/fd owner
 * cache, Docker Engine API) -> summarise (counts, watched ports, findings)
 * -> submit (metric table) and notify once per change. Every ReportEvery
 * reads the JSON/HTML report of homelab-port-report is written atomically.
 *
 *   <Plugin homelab_ports>
 *     ProcRoot "/proc"
 *     Processes true                 # resolve pid, process, user, cmdline
 *     RetryEvery 10                  # reads between searches for hidden owners
 *     Docker true                    # default: only if the socket exists
 *     DockerSocket "/var/run/docker.sock"
 *     DockerTimeout 2
 *     Port "tcp" 22                  # must be listening (repeatable)
 *     <Port "udp" 53>
 *       Address "127.0.0.1"
 *     </Port>
 *     AllowPort "tcp" 22             # any listener not allowed is reported
 *     AllowRange "tcp" 8000 8099
 *     AllowProcess "sshd"
 *     LocalOnly "tcp" 6379           # must not listen on 0.0.0.0 or ::
 *     CheckEphemeral true            # services inside ip_local_port_range
 *     ReportFile "/var/www/html/ports.json"
 *     ReportHTML "/var/www/html/ports.html"
 *     ReportEvery 1
 *     Interval 60
 *   </Plugin>
 */
#define HL_PLUGIN "homelab_ports"
#include "hl_plugin.h"

#include "hl_ports.h"
#include "hl_report.h"

#include <math.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

/* Set while parsing the config, read-only from init on. */
static struct hl_single ports_cfg;

/* Findings last reported for one listener, to notify once per change. */
struct ports_seen {
  struct hl_sock key;
  unsigned findings;
  bool docker_only; /* a published container port without a host socket */
};

/* State of one Port (watch) rule. */
struct ports_watch {
  bool known;
  bool up;
};

struct ports_target {
  char *proc_root;
  char *docker_socket;
  int docker; /* -1 auto (socket exists), 0 off, 1 on */
  double docker_timeout;
  bool processes;
  unsigned retry_every;
  struct hl_policy policy;
  char *report_json;
  char *report_html;
  unsigned report_every;
  cdtime_t interval;
  /* state */
  struct hl_ports_ctx *ctx;
  struct ports_watch *watch; /* one per policy.watch rule */
  struct ports_seen *seen;
  size_t nseen;
  unsigned reads;
  c_complain_t c_collect, c_docker, c_report;
};

/* Per-read numbers the metric table points into. */
struct ports_counts {
  uint64_t by_pf[4]; /* tcp4, tcp6, udp4, udp6 */
  uint64_t distinct;
  uint64_t ephemeral;
  uint64_t wildcard;
  uint64_t unexpected;
  uint64_t f_ephemeral;
  uint64_t f_wildcard;
  uint64_t published_only;
};

static void ports_target_free(void *arg) {
  struct ports_target *t = arg;
  if (t == NULL)
    return;
  sfree(t->proc_root);
  sfree(t->docker_socket);
  sfree(t->report_json);
  sfree(t->report_html);
  hl_policy_free(&t->policy);
  hl_ports_ctx_free(t->ctx);
  sfree(t->watch);
  sfree(t->seen);
  sfree(t);
}

static const char *ports_proto(uint8_t proto) {
  return proto == IPPROTO_UDP ? "udp" : "tcp";
}

/* An oconfig value as a policy word; numbers must be whole. */
static int ports_word(const oconfig_value_t *v, char *buf, size_t len) {
  if (v->type == OCONFIG_TYPE_STRING)
    return hl_str_copy(buf, len, v->value.string) < len ? 0 : -1;
  if (v->type == OCONFIG_TYPE_BOOLEAN)
    return hl_str_copy(buf, len, v->value.boolean ? "true" : "false") < len
               ? 0
               : -1;
  double d = v->value.number;
  if (!isfinite(d) || d != floor(d) || fabs(d) > 1e15)
    return -1;
  snprintf(buf, len, "%.0f", d);
  return 0;
}

/* Rejects a watch rule that repeats an earlier one: each read would then
 * dispatch the same identifier twice. */
static int ports_check_duplicate_watch(const struct hl_policy *p) {
  if (p->nwatch < 2)
    return 0;
  const struct hl_policy_rule *w = &p->watch[p->nwatch - 1];
  for (size_t i = 0; i + 1 < p->nwatch; i++)
    if (p->watch[i].proto == w->proto && p->watch[i].lo == w->lo &&
        strcmp(p->watch[i].addr, w->addr) == 0) {
      hl_err("Port %s %u%s%s: listed twice", ports_proto(w->proto), w->lo,
             w->addr[0] ? " " : "", w->addr);
      return -1;
    }
  return 0;
}

/* A policy option (or a <Port> block with Address) -> hl_policy_add(). */
static int ports_config_policy(struct ports_target *t, oconfig_item_t *ci) {
  char words[6][256];
  const char *argv[6];
  int argc = 0;
  bool is_port = strcasecmp(ci->key, "Port") == 0;
  if (ci->values_num > 5) {
    hl_err("%s: too many arguments", ci->key);
    return -1;
  }
  for (int i = 0; i < ci->values_num; i++, argc++) {
    if (ports_word(&ci->values[i], words[argc], sizeof(words[argc])) != 0) {
      hl_err("%s: argument %d is not a whole number or a string of at most "
             "255 bytes",
             ci->key, i + 1);
      return -1;
    }
    argv[argc] = words[argc];
  }
  for (int i = 0; i < ci->children_num; i++) {
    oconfig_item_t *c = &ci->children[i];
    if (!is_port || strcasecmp(c->key, "Address") != 0 || c->values_num != 1 ||
        c->values[0].type != OCONFIG_TYPE_STRING || argc >= 6 ||
        hl_str_copy(words[argc], sizeof(words[argc]),
                    c->values[0].value.string) >= sizeof(words[argc])) {
      hl_err("%s: only a <Port> block may have a child, and only \"Address\" "
             "with one address",
             ci->key);
      return -1;
    }
    argv[argc] = words[argc];
    argc++;
  }
  char err[256] = "";
  if (hl_policy_add(&t->policy, ci->key, argv, argc, err, sizeof(err)) != 0) {
    hl_err("%s", err[0] ? err : ci->key);
    return -1;
  }
  return is_port ? ports_check_duplicate_watch(&t->policy) : 0;
}

static int ports_cf_unsigned(oconfig_item_t *c, double max, unsigned *out) {
  double d = 0;
  if (hl_cf_double_range(HL_PLUGIN, c, 1, max, &d) != 0)
    return -1;
  if (d != floor(d)) {
    hl_err("%s: %g is not a whole number", c->key, d);
    return -1;
  }
  *out = (unsigned)d;
  return 0;
}

static int ports_config_option(struct ports_target *t, oconfig_item_t *c) {
  static const char *const policy_keys[] = {
      "Port",         "AllowPort", "AllowRange",
      "AllowProcess", "LocalOnly", "CheckEphemeral",
  };
  const char *k = c->key;
  for (size_t i = 0; i < STATIC_ARRAY_SIZE(policy_keys); i++)
    if (strcasecmp(k, policy_keys[i]) == 0)
      return ports_config_policy(t, c);
  if (strcasecmp(k, "ProcRoot") == 0)
    return hl_cf_string(HL_PLUGIN, c, &t->proc_root);
  if (strcasecmp(k, "DockerSocket") == 0) {
    if (t->docker < 0)
      t->docker = 1;
    return hl_cf_string(HL_PLUGIN, c, &t->docker_socket);
  }
  if (strcasecmp(k, "Docker") == 0) {
    bool on = false;
    int rc = hl_cf_bool(HL_PLUGIN, c, &on);
    t->docker = on;
    return rc;
  }
  if (strcasecmp(k, "DockerTimeout") == 0)
    return hl_cf_double_range(HL_PLUGIN, c, 0.1, 60, &t->docker_timeout);
  if (strcasecmp(k, "Processes") == 0)
    return hl_cf_bool(HL_PLUGIN, c, &t->processes);
  if (strcasecmp(k, "RetryEvery") == 0)
    return ports_cf_unsigned(c, 100000, &t->retry_every);
  if (strcasecmp(k, "ReportFile") == 0)
    return hl_cf_string(HL_PLUGIN, c, &t->report_json);
  if (strcasecmp(k, "ReportHTML") == 0)
    return hl_cf_string(HL_PLUGIN, c, &t->report_html);
  if (strcasecmp(k, "ReportEvery") == 0)
    return ports_cf_unsigned(c, 1000000, &t->report_every);
  if (strcasecmp(k, "Interval") == 0) {
    double sec = 0;
    if (hl_cf_double_range(HL_PLUGIN, c, 0.001, 86400, &sec) != 0)
      return -1;
    t->interval = DOUBLE_TO_CDTIME_T(sec);
    return 0;
  }
  return hl_cf_unknown(HL_PLUGIN, c);
}

/* The directory of a report path must exist, so a typo shows at start-up. */
static int ports_check_report_dir(const char *opt, const char *path) {
  if (path == NULL)
    return 0;
  const char *slash = strrchr(path, '/');
  if (path[0] != '/' || slash == NULL || slash[1] == '\0') {
    hl_err("%s \"%s\": must be an absolute file path", opt, path);
    return -1;
  }
  char dir[PATH_MAX];
  size_t n = (size_t)(slash - path);
  if (n >= sizeof(dir))
    return -1;
  memcpy(dir, path, n);
  dir[n ? n : 1] = '\0';
  if (n == 0)
    dir[0] = '/';
  struct stat st;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    hl_err("%s \"%s\": directory %s does not exist", opt, path, dir);
    return -1;
  }
  return 0;
}

static int ports_target_validate(struct ports_target *t) {
  struct stat st;
  if (t->proc_root[0] != '/' || stat(t->proc_root, &st) != 0 ||
      !S_ISDIR(st.st_mode)) {
    hl_err("ProcRoot \"%s\": not an existing absolute directory", t->proc_root);
    return -1;
  }
  if (ports_check_report_dir("ReportFile", t->report_json) != 0 ||
      ports_check_report_dir("ReportHTML", t->report_html) != 0)
    return -1;
  if (t->docker < 0) /* auto: only where an engine is installed */
    t->docker = stat(t->docker_socket, &st) == 0;
  t->watch = calloc(t->policy.nwatch + 1, sizeof(*t->watch));
  struct hl_ports_opts o = {
      .proc_root = t->proc_root,
      .docker_socket = t->docker ? t->docker_socket : NULL,
      .docker_timeout_ms = (long)(t->docker_timeout * 1000),
      .processes = t->processes,
      .retry_every = t->retry_every,
      .what = HL_SD_ALL,
  };
  t->ctx = hl_ports_ctx_new(&o);
  if (t->watch == NULL || t->ctx == NULL) {
    hl_err("out of memory");
    return -1;
  }
  return 0;
}

static struct ports_target *ports_target_new(void) {
  struct ports_target *t = calloc(1, sizeof(*t));
  if (t == NULL)
    return NULL;
  t->proc_root = strdup("/proc");
  t->docker_socket = strdup(HL_DOCKER_SOCKET);
  t->docker = -1;
  t->docker_timeout = 2;
  t->processes = true;
  t->retry_every = 10;
  t->report_every = 1;
  hl_policy_init(&t->policy);
  C_COMPLAIN_INIT(&t->c_collect);
  C_COMPLAIN_INIT(&t->c_docker);
  C_COMPLAIN_INIT(&t->c_report);
  if (t->proc_root == NULL || t->docker_socket == NULL) {
    ports_target_free(t);
    return NULL;
  }
  return t;
}

static int ports_register(struct ports_target *t);

/* Always returns 0: a rejected config is reported by init (see struct
 * hl_single), so the daemon keeps running with its other plugins. */
static int ports_config(oconfig_item_t *ci) {
  if (!hl_single_begin(HL_PLUGIN, &ports_cfg))
    return 0;
  struct ports_target *t = ports_target_new();
  int rc = t ? 0 : -1;
  for (int i = 0; t && i < ci->children_num && rc == 0; i++)
    rc = ports_config_option(t, &ci->children[i]);
  if (rc == 0)
    rc = ports_target_validate(t);
  if (rc == 0)
    rc = ports_register(t);
  else
    ports_target_free(t);
  if (rc != 0)
    ports_cfg.bad = true;
  return 0;
}

/* ---- submit ---------------------------------------------------------------
 */

#define PC(f) offsetof(struct ports_counts, f)
static const struct hl_metric ports_count_metrics[] = {
    {"count", "tcp_ipv4", PC(by_pf[0]), HL_KIND_U64, 0},
    {"count", "tcp_ipv6", PC(by_pf[1]), HL_KIND_U64, 0},
    {"count", "udp_ipv4", PC(by_pf[2]), HL_KIND_U64, 0},
    {"count", "udp_ipv6", PC(by_pf[3]), HL_KIND_U64, 0},
    {"count", "distinct_ports", PC(distinct), HL_KIND_U64, 0},
    {"count", "ephemeral", PC(ephemeral), HL_KIND_U64, 0},
    {"count", "wildcard", PC(wildcard), HL_KIND_U64, 0},
    {"count", "published_only", PC(published_only), HL_KIND_U64, 0},
};
static const struct hl_metric ports_policy_metrics[] = {
    {"count", "unexpected", PC(unexpected), HL_KIND_U64, 0},
    {"count", "ephemeral", PC(f_ephemeral), HL_KIND_U64, 0},
    {"count", "wildcard", PC(f_wildcard), HL_KIND_U64, 0},
};
#undef PC

static void ports_count(const struct hl_port_report *rep,
                        struct ports_counts *c) {
  *c = (struct ports_counts){.distinct = 0};
  for (size_t i = 0; i < rep->n; i++) {
    const struct hl_port_rec *r = &rep->r[i];
    c->unexpected += (r->findings & HL_FIND_UNEXPECTED) != 0;
    c->f_ephemeral += (r->findings & HL_FIND_EPHEMERAL) != 0;
    c->f_wildcard += (r->findings & HL_FIND_WILDCARD) != 0;
    if (!r->has_socket) {
      c->published_only++;
      continue;
    }
    int pf = (r->s.proto == IPPROTO_UDP) * 2 + (r->s.family == AF_INET6);
    c->by_pf[pf]++;
    c->ephemeral += r->ephemeral;
    c->wildcard += r->wildcard;
    bool dup = false; /* records are sorted by proto, then port */
    for (size_t j = i; j-- > 0 && !dup;) {
      if (rep->r[j].s.proto != r->s.proto || rep->r[j].s.port != r->s.port)
        break;
      dup = rep->r[j].has_socket;
    }
    c->distinct += !dup;
  }
}

/* Watched ports: a 0/1 gauge and the owner's pid; FAILURE once when one
 * stops listening (or is not listening at start), OKAY when it is back. */
static void ports_watch(struct ports_target *t, cdtime_t now,
                        const struct hl_port_report *rep) {
  for (size_t i = 0; i < t->policy.nwatch; i++) {
    const struct hl_policy_rule *w = &t->policy.watch[i];
    char pi[DATA_MAX_NAME_LEN];
    snprintf(pi, sizeof(pi), "%s-%u", ports_proto(w->proto), w->lo);
    int pid = 0;
    bool up = hl_policy_watch_listening(w, rep, &pid);
    hl_submit(now, HL_PLUGIN, pi, "homelab_listening", w->addr,
              &(value_t){.gauge = up}, 1);
    if (up && pid > 0)
      hl_submit(now, HL_PLUGIN, pi, "homelab_pid", w->addr,
                &(value_t){.gauge = pid}, 1);
    struct ports_watch *st = &t->watch[i];
    bool changed = st->known ? st->up != up : !up;
    st->known = true;
    st->up = up;
    if (!changed)
      continue;
    char pidtxt[16];
    snprintf(pidtxt, sizeof(pidtxt), "%d", pid);
    struct hl_kv kv[] = {{"proto", ports_proto(w->proto)},
                         {"address", w->addr[0] ? w->addr : NULL},
                         {"pid", pid > 0 ? pidtxt : NULL}};
    hl_notify_kv(up ? NOTIF_OKAY : NOTIF_FAILURE, HL_PLUGIN, pi,
                 "homelab_listening", w->addr, kv, STATIC_ARRAY_SIZE(kv),
                 "Host %s: port %s/%u%s%s is %s", hostname_g,
                 ports_proto(w->proto), w->lo, w->addr[0] ? " on " : "",
                 w->addr, up ? "listening again" : "not listening");
  }
}

/* ---- findings: notify once per change -------------------------------------
 */

static const struct {
  unsigned bit;
  const char *name;
  const char *what;
} ports_findings[] = {
    {HL_FIND_UNEXPECTED, "unexpected", "is not allowed by the port policy"},
    {HL_FIND_EPHEMERAL, "ephemeral", "is bound inside the ephemeral range"},
    {HL_FIND_WILDCARD, "wildcard", "listens on every address, not local-only"},
};

static int ports_key_cmp(const struct hl_sock *a, const struct hl_sock *b) {
  if (a->proto != b->proto)
    return a->proto < b->proto ? -1 : 1;
  if (a->port != b->port)
    return a->port < b->port ? -1 : 1;
  if (a->family != b->family)
    return a->family < b->family ? -1 : 1;
  return memcmp(a->addr, b->addr, sizeof(a->addr));
}

static int ports_seen_cmp(const void *a, const void *b) {
  return ports_key_cmp(&((const struct ports_seen *)a)->key,
                       &((const struct ports_seen *)b)->key);
}

/* One notification for finding @f of listener @key; @r (may be NULL for a
 * listener that is gone) supplies process and container. */
static void ports_notify_finding(const struct hl_sock *key,
                                 const struct hl_port_rec *r, size_t f,
                                 bool set) {
  char addr[64], pi[DATA_MAX_NAME_LEN], pid[16] = "", port[8];
  hl_sock_addr_str(key, addr, sizeof(addr));
  snprintf(pi, sizeof(pi), "%s-%u", ports_proto(key->proto), key->port);
  snprintf(port, sizeof(port), "%u", key->port);
  if (r != NULL && r->pid > 0)
    snprintf(pid, sizeof(pid), "%d", r->pid);
  const char *proc = r && !r->has_socket ? "published, no host socket"
                     : r && r->process   ? r->process
                                         : "unknown process";
  const char *ctr = r ? r->ctr_name : NULL;
  struct hl_kv kv[] = {
      {"proto", ports_proto(key->proto)},
      {"address", addr},
      {"port", port},
      {"process", r ? r->process : NULL},
      {"pid", pid[0] ? pid : NULL},
      {"user", r ? r->user : NULL},
      {"container", ctr},
  };
  char where[80];
  if (key->family == AF_INET6)
    snprintf(where, sizeof(where), "[%s]", addr);
  else
    hl_str_copy(where, sizeof(where), addr);
  if (set)
    hl_notify_kv(NOTIF_WARNING, HL_PLUGIN, pi, "homelab_policy",
                 ports_findings[f].name, kv, STATIC_ARRAY_SIZE(kv),
                 "Host %s: %s %s:%u (%s%s%s%s%s) %s", hostname_g,
                 ports_proto(key->proto), where, key->port, proc,
                 pid[0] ? ", pid " : "", pid, ctr ? ", container " : "",
                 ctr ? ctr : "", ports_findings[f].what);
  else
    hl_notify_kv(NOTIF_OKAY, HL_PLUGIN, pi, "homelab_policy",
                 ports_findings[f].name, kv, STATIC_ARRAY_SIZE(kv),
                 "Host %s: %s %s:%u %s", hostname_g, ports_proto(key->proto),
                 where, key->port,
                 r ? "is no longer flagged as such" : "is closed");
}

static void ports_notify_diff(const struct ports_seen *old,
                              const struct ports_seen *cur,
                              const struct hl_port_rec *rec) {
  unsigned was = old ? old->findings : 0, now = cur ? cur->findings : 0;
  const struct hl_sock *key = cur ? &cur->key : &old->key;
  for (size_t f = 0; f < STATIC_ARRAY_SIZE(ports_findings); f++) {
    unsigned bit = ports_findings[f].bit;
    if ((now & bit) && !(was & bit))
      ports_notify_finding(key, rec, f, true);
    else if ((was & bit) && !(now & bit))
      ports_notify_finding(key, rec, f, false);
  }
}

/* One listener of this read with its record, sorted together. */
struct ports_now {
  struct ports_seen seen;
  const struct hl_port_rec *rec;
};

static int ports_now_cmp(const void *a, const void *b) {
  return ports_seen_cmp(&((const struct ports_now *)a)->seen,
                        &((const struct ports_now *)b)->seen);
}

/* Compares this read's findings with the last ones. Every listener of this
 * read takes part, so a listener whose finding cleared is told apart from
 * one that closed; only flagged ones are kept for the next read. While the
 * Docker API does not answer, the published-only ports of the last good
 * read are carried over unchanged (not "closed": we just cannot ask) and
 * counted into @c. */
static void ports_findings_update(struct ports_target *t,
                                  const struct hl_port_report *rep,
                                  struct ports_counts *c) {
  bool docker_down = rep->docker_checked && !rep->docker.available;
  struct ports_now *now = calloc(rep->n + 1, sizeof(*now));
  struct ports_seen *keep = calloc(rep->n + 1, sizeof(*keep));
  if (now == NULL || keep == NULL) {
    free(now);
    free(keep);
    return;
  }
  for (size_t i = 0; i < rep->n; i++)
    now[i] = (struct ports_now){
        {rep->r[i].s, rep->r[i].findings, !rep->r[i].has_socket}, &rep->r[i]};
  qsort(now, rep->n, sizeof(*now), ports_now_cmp);
  size_t n = 0; /* SO_REUSEPORT sockets share a key: one entry, all findings */
  for (size_t i = 0; i < rep->n; i++) {
    if (n > 0 && ports_key_cmp(&now[n - 1].seen.key, &now[i].seen.key) == 0)
      now[n - 1].seen.findings |= now[i].seen.findings;
    else
      now[n++] = now[i];
  }
  size_t a = 0, b = 0, nkeep = 0;
  while (a < t->nseen || b < n) {
    int cmp = a == t->nseen ? 1
              : b == n      ? -1
                            : ports_key_cmp(&t->seen[a].key, &now[b].seen.key);
    const struct ports_seen *o = cmp <= 0 ? &t->seen[a++] : NULL;
    const struct ports_now *s = cmp >= 0 ? &now[b++] : NULL;
    if (s == NULL && docker_down && o->docker_only) {
      keep[nkeep++] = *o;
      c->published_only++;
      c->unexpected += (o->findings & HL_FIND_UNEXPECTED) != 0;
      c->f_ephemeral += (o->findings & HL_FIND_EPHEMERAL) != 0;
      c->f_wildcard += (o->findings & HL_FIND_WILDCARD) != 0;
      continue;
    }
    ports_notify_diff(o, s ? &s->seen : NULL, s ? s->rec : NULL);
    if (s != NULL && s->seen.findings != 0)
      keep[nkeep++] = s->seen;
  }
  free(now);
  free(t->seen);
  t->seen = keep;
  t->nseen = nkeep;
}

/* ---- read -----------------------------------------------------------------
 */

static void ports_write_report(struct ports_target *t, const char *path,
                               const struct hl_port_report *rep, bool html) {
  struct hl_buf b;
  hl_buf_init(&b, 64u * 1024u * 1024u);
  struct hl_report_meta meta = {
      .version = HOMELAB_VERSION,
      .docker_socket = rep->docker_checked ? t->docker_socket : NULL,
      .policy = &t->policy,
      .pretty = true,
  };
  int rc = html ? hl_report_html_meta(rep, &meta, &b)
                : hl_report_json_meta(rep, &meta, &b);
  if (rc == 0)
    rc = hl_write_atomic(path, b.data, b.len);
  hl_buf_free(&b);
  if (rc != 0)
    hl_complain(&t->c_report, "writing %s failed: %s", path, STRERROR(-rc));
  else
    hl_release(&t->c_report, "writing %s works again", path);
}

static void ports_docker_status(struct ports_target *t, cdtime_t now,
                                const struct hl_port_report *rep) {
  if (!rep->docker_checked)
    return;
  hl_submit(now, HL_PLUGIN, "docker", "homelab_available", "",
            &(value_t){.gauge = rep->docker.available}, 1);
  if (!rep->docker.available)
    hl_complain(&t->c_docker, "Docker API unavailable: %s", rep->docker.error);
  else
    hl_release(&t->c_docker, "Docker API answers again");
}

static int ports_read(user_data_t *ud) {
  struct ports_target *t = ud->data;
  struct hl_port_report rep = {.n = 0};
  char err[256] = "";
  int rc = hl_ports_collect(t->ctx, &t->policy, &rep, err, sizeof(err));
  if (rc != 0) {
    hl_complain(&t->c_collect, "%s: %s", t->proc_root,
                err[0] ? err : STRERROR(-rc));
    hl_port_report_free(&rep);
    return -1;
  }
  hl_release(&t->c_collect, "listing sockets works again");
  sstrncpy(rep.host, hostname_g, sizeof(rep.host)); /* collectd's Hostname */
  cdtime_t now = cdtime();
  struct ports_counts c;
  ports_count(&rep, &c);
  ports_findings_update(t, &rep, &c);
  hl_submit_table(now, HL_PLUGIN, "listeners", ports_count_metrics,
                  STATIC_ARRAY_SIZE(ports_count_metrics), &c, 0);
  hl_submit_table(now, HL_PLUGIN, "policy", ports_policy_metrics,
                  STATIC_ARRAY_SIZE(ports_policy_metrics), &c, 0);
  ports_docker_status(t, now, &rep);
  ports_watch(t, now, &rep);
  if (t->reads++ % t->report_every == 0) {
    if (t->report_json != NULL)
      ports_write_report(t, t->report_json, &rep, false);
    if (t->report_html != NULL)
      ports_write_report(t, t->report_html, &rep, true);
  }
  hl_port_report_free(&rep);
  return 0;
}

static int ports_register(struct ports_target *t) {
  return plugin_register_complex_read(
      NULL, HL_PLUGIN, ports_read, t->interval,
      &(user_data_t){.data = t, .free_func = ports_target_free});
}

/* Without a <Plugin homelab_ports> block the defaults apply. */
static int ports_init(void) {
  return hl_single_init(HL_PLUGIN, &ports_cfg, ports_config);
}

void module_register(void) {
  plugin_register_complex_config(HL_PLUGIN, ports_config);
  plugin_register_init(HL_PLUGIN, ports_init);
}
