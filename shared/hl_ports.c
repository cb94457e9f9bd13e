// SPDX-License-Identifier: MIT
/*
 * hl_ports: the port inventory and the port policy.
 *
 * Policy: hl_policy_add() turns one keyword and its words into a rule (the
 * same keywords as the plugin's config); hl_policy_parse() splits a policy
 * file into lines and words (blanks, '#' comments, double quotes) and feeds
 * hl_policy_add(). hl_policy_eval() and hl_policy_watch_listening() are
 * pure checks of records against the rules.
 *
 * Inventory: hl_ports_collect() reads ip_local_port_range, lists sockets
 * (hl_sockdiag), resolves their owners through the context's cache
 * (hl_owners) and asks Docker (hl_docker); hl_ports_merge() (pure) then makes
 * one record per socket with owner copies, the ephemeral and wildcard flags
 * and the matched container, adds a record for every published container
 * port no socket matches, and sorts them like hl_socks_sort(). Container
 * ports match exact addresses first, then wildcards (0.0.0.0 or :: on either
 * side, whatever the family, since docker-proxy may serve both from ::).
 */
#include "hl_ports.h"

#include "hl_proc.h"
#include "hl_str.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/** Largest policy file accepted. */
#define POLICY_FILE_MAX (1024u * 1024u)
/** Words on one policy line: a keyword and its arguments, with room for
 * extra words so the keyword can complain about them. */
#define LINE_WORDS 8
/** The kernel keeps 15 bytes of a process name (TASK_COMM_LEN - 1). */
#define COMM_MAX 15

/* ---- errors -------------------------------------------------------------- */

/* Writes a message to @err (if any) and returns @rc. */
__attribute__((format(printf, 4, 5))) static int
fail(int rc, char *err, size_t errlen, const char *fmt, ...) {
  if (err != NULL && errlen > 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return rc;
}

static int fail_errno(int rc, char *err, size_t errlen) {
  char buf[128];
  return fail(rc, err, errlen, "%s", strerror_r(-rc, buf, sizeof(buf)));
}

/* ---- addresses ----------------------------------------------------------- */

/* Text address into @s->family and @s->addr; false if it is neither. */
static bool addr_parse(const char *txt, struct hl_sock *s) {
  memset(s->addr, 0, sizeof(s->addr));
  if (inet_pton(AF_INET, txt, s->addr) == 1) {
    s->family = AF_INET;
    return true;
  }
  if (inet_pton(AF_INET6, txt, s->addr) == 1) {
    s->family = AF_INET6;
    return true;
  }
  return false;
}

/* The IPv4 address of an AF_INET or IPv4-mapped AF_INET6 socket. */
static const uint8_t *addr_v4(const struct hl_sock *s) {
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (s->family == AF_INET)
    return s->addr;
  if (s->family == AF_INET6 && memcmp(s->addr, mapped, sizeof(mapped)) == 0)
    return s->addr + 12;
  return NULL;
}

/* Same address; 10.0.0.1 equals ::ffff:10.0.0.1. */
static bool addr_equal(const struct hl_sock *a, const struct hl_sock *b) {
  const uint8_t *a4 = addr_v4(a);
  const uint8_t *b4 = addr_v4(b);
  if (a4 != NULL && b4 != NULL)
    return memcmp(a4, b4, 4) == 0;
  if (a->family == AF_INET6 && b->family == AF_INET6)
    return memcmp(a->addr, b->addr, 16) == 0;
  return false;
}

/* ---- policy: rules ------------------------------------------------------- */

void hl_policy_init(struct hl_policy *p) {
  *p = (struct hl_policy){.check_ephemeral = true};
}

void hl_policy_free(struct hl_policy *p) {
  if (p == NULL)
    return;
  for (size_t i = 0; i < p->nallow_proc; i++)
    free(p->allow_proc[i]);
  free(p->allow_proc);
  free(p->allow);
  free(p->local_only);
  free(p->watch);
  hl_policy_init(p);
}

static int push_rule(struct hl_policy_rule **v, size_t *n,
                     const struct hl_policy_rule *r) {
  if (*n >= SIZE_MAX / sizeof(**v) - 1)
    return -ENOMEM;
  struct hl_policy_rule *nv = realloc(*v, (*n + 1) * sizeof(**v));
  if (nv == NULL)
    return -ENOMEM;
  nv[*n] = *r;
  *v = nv;
  (*n)++;
  return 0;
}

static int parse_proto(const char *kw, const char *w, bool any, uint8_t *proto,
                       char *err, size_t errlen) {
  if (strcasecmp(w, "tcp") == 0)
    *proto = IPPROTO_TCP;
  else if (strcasecmp(w, "udp") == 0)
    *proto = IPPROTO_UDP;
  else if (any && strcasecmp(w, "any") == 0)
    *proto = 0;
  else
    return fail(-EINVAL, err, errlen, "%s: protocol \"%s\" is not %s", kw, w,
                any ? "tcp, udp or any" : "tcp or udp");
  return 0;
}

static int parse_port(const char *kw, const char *what, const char *w,
                      uint16_t *port, char *err, size_t errlen) {
  uint64_t v = 0;
  int rc = hl_str_to_u64(w, 1, 65535, &v);
  if (rc == -ERANGE)
    return fail(-EINVAL, err, errlen, "%s: %s %s is outside 1-65535", kw, what,
                w);
  if (rc != 0)
    return fail(-EINVAL, err, errlen, "%s: %s \"%s\" is not a number", kw, what,
                w);
  *port = (uint16_t)v;
  return 0;
}

/* "PROTO PORT" or "PROTO LOW HIGH" into @r. */
static int parse_rule(const char *kw, const char *const *a, int n, bool any,
                      struct hl_policy_rule *r, char *err, size_t errlen) {
  *r = (struct hl_policy_rule){0};
  int rc = parse_proto(kw, a[0], any, &r->proto, err, errlen);
  if (rc == 0)
    rc =
        parse_port(kw, n == 3 ? "low port" : "port", a[1], &r->lo, err, errlen);
  r->hi = r->lo;
  if (rc == 0 && n == 3)
    rc = parse_port(kw, "high port", a[2], &r->hi, err, errlen);
  if (rc == 0 && r->lo > r->hi)
    rc = fail(-EINVAL, err, errlen, "%s: low port %u is above high port %u", kw,
              r->lo, r->hi);
  return rc;
}

static int add_allow(struct hl_policy *p, const char *kw, const char *const *a,
                     int n, char *err, size_t errlen) {
  struct hl_policy_rule r;
  int rc = parse_rule(kw, a, n, true, &r, err, errlen);
  if (rc == 0)
    rc = push_rule(&p->allow, &p->nallow, &r);
  return rc;
}

static int add_local_only(struct hl_policy *p, const char *kw,
                          const char *const *a, int n, char *err,
                          size_t errlen) {
  struct hl_policy_rule r;
  int rc = parse_rule(kw, a, n, true, &r, err, errlen);
  if (rc == 0)
    rc = push_rule(&p->local_only, &p->nlocal_only, &r);
  return rc;
}

static int add_watch(struct hl_policy *p, const char *kw, const char *const *a,
                     int n, char *err, size_t errlen) {
  struct hl_policy_rule r;
  int rc = parse_rule(kw, a, 2, false, &r, err, errlen);
  if (rc != 0 || n < 3)
    return rc == 0 ? push_rule(&p->watch, &p->nwatch, &r) : rc;
  struct hl_sock s = {0};
  if (!addr_parse(a[2], &s))
    return fail(-EINVAL, err, errlen,
                "%s: address \"%s\" is not an IPv4 or IPv6 address", kw, a[2]);
  /* Canonical text ("0:0::1" becomes "::1"), so messages read alike. */
  inet_ntop(s.family, s.addr, r.addr, sizeof(r.addr));
  return push_rule(&p->watch, &p->nwatch, &r);
}

static int add_allow_process(struct hl_policy *p, const char *kw,
                             const char *const *a, int n, char *err,
                             size_t errlen) {
  (void)n;
  if (a[0][0] == '\0')
    return fail(-EINVAL, err, errlen, "%s: empty process name", kw);
  if (p->nallow_proc >= SIZE_MAX / sizeof(char *) - 1)
    return -ENOMEM;
  char **nv =
      realloc(p->allow_proc, (p->nallow_proc + 1) * sizeof(*p->allow_proc));
  if (nv == NULL)
    return -ENOMEM;
  p->allow_proc = nv;
  char *name = strdup(a[0]);
  if (name == NULL)
    return -ENOMEM;
  p->allow_proc[p->nallow_proc++] = name;
  return 0;
}

static int add_check_ephemeral(struct hl_policy *p, const char *kw,
                               const char *const *a, int n, char *err,
                               size_t errlen) {
  (void)n;
  if (strcasecmp(a[0], "true") == 0)
    p->check_ephemeral = true;
  else if (strcasecmp(a[0], "false") == 0)
    p->check_ephemeral = false;
  else
    return fail(-EINVAL, err, errlen, "%s: \"%s\" is not true or false", kw,
                a[0]);
  return 0;
}

static const struct keyword {
  const char *name;
  int min;
  int max;
  const char *usage;
  int (*add)(struct hl_policy *p, const char *kw, const char *const *a, int n,
             char *err, size_t errlen);
} keywords[] = {
    {"AllowPort", 2, 2, "tcp|udp|any PORT", add_allow},
    {"AllowRange", 3, 3, "tcp|udp|any LOW HIGH", add_allow},
    {"AllowProcess", 1, 1, "NAME", add_allow_process},
    {"LocalOnly", 2, 2, "tcp|udp|any PORT", add_local_only},
    {"Port", 2, 3, "tcp|udp PORT [ADDRESS]", add_watch},
    {"CheckEphemeral", 1, 1, "true|false", add_check_ephemeral},
};

int hl_policy_add(struct hl_policy *p, const char *key, const char *const *argv,
                  int argc, char *err, size_t errlen) {
  if (key == NULL || argc < 0 || (argc > 0 && argv == NULL))
    return fail(-EINVAL, err, errlen, "missing keyword or arguments");
  const struct keyword *k = NULL;
  for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
    if (strcasecmp(key, keywords[i].name) == 0)
      k = &keywords[i];
  if (k == NULL)
    return fail(-EINVAL, err, errlen, "unknown keyword \"%s\"", key);
  if (argc < k->min || argc > k->max)
    return fail(-EINVAL, err, errlen, "%s: expected %s, got %d argument%s",
                k->name, k->usage, argc, argc == 1 ? "" : "s");
  for (int i = 0; i < argc; i++)
    if (argv[i] == NULL)
      return fail(-EINVAL, err, errlen, "%s: argument %d missing", k->name,
                  i + 1);
  int rc = k->add(p, k->name, argv, argc, err, errlen);
  if (rc == -ENOMEM)
    fail(rc, err, errlen, "%s: out of memory", k->name);
  return rc;
}

/* ---- policy: files ------------------------------------------------------- */

static bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* One double-quoted word at *c (on the '"'); \" and \\ are escapes. */
static const char *split_quoted(const char **c, const char *eol, char **o) {
  const char *q = *c + 1;
  while (q < eol && *q != '"') {
    if (*q == '\\' && q + 1 < eol && (q[1] == '"' || q[1] == '\\'))
      q++;
    if (*q == '\0')
      return "NUL byte in a word";
    *(*o)++ = *q++;
  }
  if (q >= eol)
    return "unterminated quoted string";
  q++;
  if (q < eol && !is_blank(*q) && *q != '#')
    return "text after closing quote";
  *c = q;
  return NULL;
}

static const char *split_plain(const char **c, const char *eol, char **o) {
  const char *q = *c;
  while (q < eol && !is_blank(*q) && *q != '#') {
    if (*q == '"')
      return "unexpected '\"' inside a word";
    if (*q == '\0')
      return "NUL byte in a word";
    *(*o)++ = *q++;
  }
  *c = q;
  return NULL;
}

/*
 * Splits [p, eol) into NUL-terminated words stored in @buf, which must hold
 * eol - p + 1 bytes (every word is followed by a separator or the end).
 * Return: NULL, or why the line cannot be split.
 */
static const char *split_line(const char *p, const char *eol, char *buf,
                              const char **w, int *nw) {
  char *o = buf;
  *nw = 0;
  for (;;) {
    while (p < eol && is_blank(*p))
      p++;
    if (p >= eol || *p == '#')
      return NULL;
    if (*nw == LINE_WORDS)
      return "too many words";
    w[(*nw)++] = o;
    const char *why =
        *p == '"' ? split_quoted(&p, eol, &o) : split_plain(&p, eol, &o);
    if (why != NULL)
      return why;
    *o++ = '\0';
  }
}

static int parse_line(const char *p, const char *eol, char *buf, size_t lineno,
                      struct hl_policy *pol, char *err, size_t errlen) {
  const char *w[LINE_WORDS];
  int nw = 0;
  const char *why = split_line(p, eol, buf, w, &nw);
  if (why != NULL)
    return fail(-EINVAL, err, errlen, "line %zu: %s", lineno, why);
  if (nw == 0)
    return 0;
  char msg[512] = "";
  int rc = hl_policy_add(pol, w[0], w + 1, nw - 1, msg, sizeof(msg));
  if (rc != 0)
    fail(rc, err, errlen, "line %zu: %s", lineno, msg);
  return rc;
}

int hl_policy_parse(const char *text, size_t len, struct hl_policy *p,
                    char *err, size_t errlen) {
  if (len == 0)
    return 0;
  char *buf = malloc(len + 1);
  if (buf == NULL)
    return fail(-ENOMEM, err, errlen, "out of memory");
  const char *cur = text;
  const char *end = text + len;
  size_t lineno = 0;
  int rc = 0;
  while (rc == 0 && cur < end) {
    const char *nl = memchr(cur, '\n', (size_t)(end - cur));
    const char *eol = nl != NULL ? nl : end;
    rc = parse_line(cur, eol, buf, ++lineno, p, err, errlen);
    cur = nl != NULL ? nl + 1 : end;
  }
  free(buf);
  return rc;
}

int hl_policy_load(const char *path, struct hl_policy *p, char *err,
                   size_t errlen) {
  struct hl_buf b;
  hl_buf_init(&b, POLICY_FILE_MAX);
  int rc = hl_buf_read_file(&b, path);
  if (rc == -E2BIG)
    fail(rc, err, errlen, "larger than %u bytes", POLICY_FILE_MAX);
  else if (rc != 0)
    fail_errno(rc, err, errlen);
  else
    rc = hl_policy_parse(b.data, b.len, p, err, errlen);
  hl_buf_free(&b);
  return rc;
}

/* ---- policy: checks ------------------------------------------------------ */

static bool rule_hit(const struct hl_policy_rule *r, size_t n,
                     const struct hl_sock *s) {
  for (size_t i = 0; i < n; i++)
    if ((r[i].proto == 0 || r[i].proto == s->proto) && s->port >= r[i].lo &&
        s->port <= r[i].hi)
      return true;
  return false;
}

/*
 * A name longer than the kernel keeps also matches its 15-byte truncation,
 * so "AllowProcess systemd-resolved" matches comm "systemd-resolve".
 */
static bool proc_allowed(const struct hl_policy *p, const char *comm) {
  if (comm == NULL)
    return false;
  size_t clen = strlen(comm);
  for (size_t i = 0; i < p->nallow_proc; i++) {
    const char *name = p->allow_proc[i];
    if (strcmp(name, comm) == 0)
      return true;
    if (clen == COMM_MAX && strlen(name) > COMM_MAX &&
        memcmp(name, comm, COMM_MAX) == 0)
      return true;
  }
  return false;
}

unsigned hl_policy_eval(const struct hl_policy *p,
                        const struct hl_port_rec *r) {
  unsigned f = 0;
  if ((p->nallow > 0 || p->nallow_proc > 0) &&
      !rule_hit(p->allow, p->nallow, &r->s) && !proc_allowed(p, r->process))
    f |= HL_FIND_UNEXPECTED;
  if (!r->has_socket)
    return f;
  /* Only TCP listeners: an unconnected UDP socket in the range is usually a
   * client that let the kernel pick its port. A port that an Allow rule
   * names explicitly is accepted where it is. */
  if (p->check_ephemeral && r->ephemeral && r->s.proto == IPPROTO_TCP &&
      !rule_hit(p->allow, p->nallow, &r->s))
    f |= HL_FIND_EPHEMERAL;
  if (r->wildcard && rule_hit(p->local_only, p->nlocal_only, &r->s))
    f |= HL_FIND_WILDCARD;
  return f;
}

bool hl_policy_watch_listening(const struct hl_policy_rule *w,
                               const struct hl_port_report *rep, int *pid) {
  struct hl_sock want = {0};
  bool any_addr = w->addr[0] == '\0';
  bool found = false;
  int owner = 0;
  if (any_addr || addr_parse(w->addr, &want)) {
    for (size_t i = 0; i < rep->n; i++) {
      const struct hl_port_rec *r = &rep->r[i];
      if (!r->has_socket || !rule_hit(w, 1, &r->s) ||
          (!any_addr && !addr_equal(&want, &r->s)))
        continue;
      found = true;
      if (owner == 0)
        owner = r->pid;
    }
  }
  if (pid != NULL)
    *pid = owner;
  return found;
}

/* ---- records --------------------------------------------------------------
 */

static void rec_clear(struct hl_port_rec *r) {
  free(r->process);
  free(r->user);
  free(r->cmdline);
  free(r->ctr_name);
  free(r->ctr_id);
  free(r->ctr_image);
}

static void recs_free(struct hl_port_rec *r, size_t n) {
  for (size_t i = 0; i < n; i++)
    rec_clear(&r[i]);
  free(r);
}

void hl_port_report_free(struct hl_port_report *rep) {
  if (rep == NULL)
    return;
  recs_free(rep->r, rep->n);
  hl_docker_free(&rep->docker);
  memset(rep, 0, sizeof(*rep));
}

int hl_ports_parse_range(const char *buf, size_t len, uint32_t *lo,
                         uint32_t *hi) {
  if (buf == NULL || len == 0)
    return -EPROTO;
  const char *p = buf;
  const char *end = buf + len;
  uint64_t a = 0;
  uint64_t b = 0;
  if (hl_str_next_u64(&p, end, &a) != 0 || hl_str_next_u64(&p, end, &b) != 0)
    return -EPROTO;
  while (p < end && (is_blank(*p) || *p == '\n'))
    p++;
  if (p != end || a < 1 || a > b || b > 65535)
    return -EPROTO;
  *lo = (uint32_t)a;
  *hi = (uint32_t)b;
  return 0;
}

static int proto_rank(uint8_t proto) {
  return proto == IPPROTO_TCP ? 0 : proto == IPPROTO_UDP ? 1 : 2;
}

/* (proto rank, port) of @s against the key; <0, 0, >0. */
static int cmp_key(const struct hl_sock *s, int rank, uint16_t port) {
  int r = proto_rank(s->proto);
  if (r != rank)
    return r < rank ? -1 : 1;
  return s->port < port ? -1 : s->port > port;
}

static int cmp_sock(const struct hl_sock *a, const struct hl_sock *b) {
  int c = cmp_key(a, proto_rank(b->proto), b->port);
  if (c != 0)
    return c;
  if (a->family != b->family)
    return a->family < b->family ? -1 : 1;
  return memcmp(a->addr, b->addr, a->family == AF_INET ? 4 : 16);
}

static int rec_cmp(const void *x, const void *y) {
  const struct hl_port_rec *a = x;
  const struct hl_port_rec *b = y;
  int c = cmp_sock(&a->s, &b->s);
  if (c != 0)
    return c;
  if (a->has_socket != b->has_socket)
    return a->has_socket ? -1 : 1;
  if (a->s.inode != b->s.inode)
    return a->s.inode < b->s.inode ? -1 : 1;
  return strcmp(a->ctr_spec, b->ctr_spec);
}

static void rec_flags(struct hl_port_rec *r, const struct hl_port_report *rep) {
  r->ephemeral = rep->eph_high > 0 && r->s.port >= rep->eph_low &&
                 r->s.port <= rep->eph_high;
  r->wildcard = hl_sock_is_wildcard(&r->s);
}

/* Owner details, NULL when unknown ("" from hl_owners: unreadable). */
static int rec_owner(struct hl_port_rec *r, const struct hl_proc_info *pi,
                     int fd) {
  r->pid = pi->pid;
  r->fd = fd;
  r->uid = pi->uid;
  if (pi->comm[0] == '\0')
    return 0;
  r->process = strdup(pi->comm);
  r->cmdline = strdup(pi->cmdline != NULL ? pi->cmdline : "");
  r->user = pi->user[0] != '\0' ? strdup(pi->user) : NULL;
  if (r->process == NULL || r->cmdline == NULL ||
      (pi->user[0] != '\0' && r->user == NULL))
    return -ENOMEM;
  return 0;
}

static int rec_from_sock(struct hl_port_rec *r, const struct hl_sock *s,
                         const struct hl_owners *owners,
                         const struct hl_port_report *rep) {
  *r = (struct hl_port_rec){.s = *s, .has_socket = true, .fd = -1};
  rec_flags(r, rep);
  int fd = -1;
  const struct hl_proc_info *pi = NULL;
  if (owners != NULL && s->inode != 0)
    pi = hl_owners_get(owners, s->inode, &fd);
  return pi != NULL ? rec_owner(r, pi, fd) : 0;
}

/* ---- docker matching ----------------------------------------------------- */

/**
 * struct pub - a published container port, as a matching candidate.
 * @c, @p: the container and its Ports entry. @s: proto, family, address and
 * port in socket form. @wild: published on 0.0.0.0 or ::. @state: UNMATCHED,
 * ASSIGNED to a record, or SEEN (a socket matches but carries another
 * container already, so no published-only record is needed).
 */
struct pub {
  const struct hl_docker_container *c;
  const struct hl_docker_port *p;
  struct hl_sock s;
  bool wild;
  enum { UNMATCHED, ASSIGNED, SEEN } state;
};

/* Published TCP/UDP ports with a usable host IP ("" is 0.0.0.0). */
static int pubs_collect(const struct hl_docker *d, struct pub **out,
                        size_t *n) {
  size_t total = 0;
  for (size_t i = 0; d != NULL && i < d->n; i++)
    total += d->c[i].nports;
  *out = NULL;
  *n = 0;
  if (total == 0)
    return 0;
  struct pub *v = calloc(total, sizeof(*v));
  if (v == NULL)
    return -ENOMEM;
  for (size_t i = 0; i < d->n; i++) {
    for (size_t j = 0; j < d->c[i].nports; j++) {
      const struct hl_docker_port *p = &d->c[i].ports[j];
      struct pub *e = &v[*n];
      *e = (struct pub){.c = &d->c[i], .p = p};
      e->s.proto = p->proto;
      e->s.port = p->public_port;
      if (p->public_port == 0 ||
          (p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP) ||
          !addr_parse(p->ip[0] != '\0' ? p->ip : "0.0.0.0", &e->s))
        continue;
      e->wild = hl_sock_is_wildcard(&e->s);
      (*n)++;
    }
  }
  *out = v;
  return 0;
}

static int dup_opt(char **dst, const char *src) {
  *dst = NULL;
  if (src == NULL)
    return 0;
  *dst = strdup(src);
  return *dst != NULL ? 0 : -ENOMEM;
}

static int rec_set_ctr(struct hl_port_rec *r, const struct pub *e) {
  const struct hl_docker_port *p = e->p;
  const char *proto = p->proto == IPPROTO_UDP ? "udp" : "tcp";
  if (p->ip[0] == '\0')
    snprintf(r->ctr_spec, sizeof(r->ctr_spec), "%u->%u/%s", p->public_port,
             p->private_port, proto);
  else
    snprintf(r->ctr_spec, sizeof(r->ctr_spec),
             strchr(p->ip, ':') != NULL ? "[%s]:%u->%u/%s" : "%s:%u->%u/%s",
             p->ip, p->public_port, p->private_port, proto);
  r->ctr_port = p->private_port;
  int rc = dup_opt(&r->ctr_name, e->c->name);
  if (rc == 0)
    rc = dup_opt(&r->ctr_image, e->c->image);
  if (rc == 0 && e->c->id != NULL) {
    char id[13] = "";
    rc = dup_opt(&r->ctr_id, hl_docker_short_id(e->c->id, id));
  }
  return rc;
}

/* First record in sorted @r[0..n) with @s's proto and port. */
static size_t lower_bound(const struct hl_port_rec *r, size_t n,
                          const struct hl_sock *s) {
  int rank = proto_rank(s->proto);
  size_t lo = 0;
  size_t hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (cmp_key(&r[mid].s, rank, s->port) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/*
 * One matching pass over the published ports still without a record: the
 * first free socket record with the same proto and port and an equal
 * address (@exact) or a wildcard on either side gets the container.
 */
static int match_pass(struct hl_port_rec *r, size_t n, bool *taken,
                      struct pub *v, size_t nv, bool exact) {
  for (size_t i = 0; i < nv; i++) {
    struct pub *e = &v[i];
    if (e->state == ASSIGNED)
      continue;
    int rank = proto_rank(e->s.proto);
    for (size_t k = lower_bound(r, n, &e->s);
         k < n && cmp_key(&r[k].s, rank, e->s.port) == 0; k++) {
      bool hit = exact ? addr_equal(&e->s, &r[k].s)
                       : e->wild || hl_sock_is_wildcard(&r[k].s);
      if (!hit)
        continue;
      if (taken[k]) {
        e->state = SEEN;
        continue;
      }
      taken[k] = true;
      e->state = ASSIGNED;
      int rc = rec_set_ctr(&r[k], e);
      if (rc != 0)
        return rc;
      break;
    }
  }
  return 0;
}

/* Records for published ports that no socket matched, from @r[*n] on. */
static int add_published_only(struct hl_port_rec *r, size_t *n,
                              const struct pub *v, size_t nv,
                              const struct hl_port_report *rep) {
  for (size_t i = 0; i < nv; i++) {
    if (v[i].state != UNMATCHED)
      continue;
    struct hl_port_rec *x = &r[(*n)++];
    *x = (struct hl_port_rec){.s = v[i].s, .has_socket = false, .fd = -1};
    rec_flags(x, rep);
    int rc = rec_set_ctr(x, &v[i]);
    if (rc != 0)
      return rc;
  }
  return 0;
}

/* Builds the records into @r (room for sockets + published ports). */
static int merge_into(struct hl_port_rec *r, size_t *n,
                      const struct hl_socks *socks,
                      const struct hl_owners *owners, struct pub *v, size_t nv,
                      const struct hl_port_report *rep) {
  size_t ns = socks != NULL ? socks->n : 0;
  for (size_t i = 0; i < ns; i++) {
    (*n)++;
    int rc = rec_from_sock(&r[i], &socks->v[i], owners, rep);
    if (rc != 0)
      return rc;
  }
  if (ns > 1)
    qsort(r, ns, sizeof(*r), rec_cmp);
  if (nv == 0)
    return 0;
  bool *taken = calloc(ns + 1, sizeof(*taken));
  if (taken == NULL)
    return -ENOMEM;
  int rc = match_pass(r, ns, taken, v, nv, true);
  if (rc == 0)
    rc = match_pass(r, ns, taken, v, nv, false);
  free(taken);
  if (rc == 0)
    rc = add_published_only(r, n, v, nv, rep);
  if (rc == 0 && *n > ns)
    qsort(r, *n, sizeof(*r), rec_cmp);
  return rc;
}

int hl_ports_merge(const struct hl_socks *socks, const struct hl_owners *owners,
                   const struct hl_docker *docker, struct hl_port_report *rep) {
  struct pub *v = NULL;
  size_t nv = 0;
  int rc = pubs_collect(docker, &v, &nv);
  if (rc != 0)
    return rc;
  size_t ns = socks != NULL ? socks->n : 0;
  if (ns > SIZE_MAX / sizeof(struct hl_port_rec) - nv - 1) {
    free(v);
    return -ENOMEM;
  }
  struct hl_port_rec *r = calloc(ns + nv + 1, sizeof(*r));
  size_t n = 0;
  rc = r != NULL ? merge_into(r, &n, socks, owners, v, nv, rep) : -ENOMEM;
  free(v);
  if (rc != 0) {
    recs_free(r, n);
    return rc;
  }
  recs_free(rep->r, rep->n);
  rep->r = r;
  rep->n = n;
  return 0;
}

/* ---- collection ---------------------------------------------------------- */

struct hl_ports_ctx {
  char *proc_root;
  char *docker_socket;
  long docker_timeout_ms;
  bool processes;
  unsigned what;
  struct hl_owners *owners;
  struct hl_owners_stats stats;
};

struct hl_ports_ctx *hl_ports_ctx_new(const struct hl_ports_opts *opts) {
  struct hl_ports_ctx *ctx = calloc(1, sizeof(*ctx));
  if (ctx == NULL)
    return NULL;
  const char *root = opts->proc_root != NULL ? opts->proc_root : "/proc";
  ctx->proc_root = strdup(root);
  ctx->docker_timeout_ms = opts->docker_timeout_ms;
  ctx->processes = opts->processes;
  ctx->what = opts->what != 0 ? opts->what : HL_SD_ALL;
  bool ok = ctx->proc_root != NULL;
  if (ok && opts->docker_socket != NULL) {
    ctx->docker_socket = strdup(opts->docker_socket);
    ok = ctx->docker_socket != NULL;
  }
  if (ok && opts->processes) {
    ctx->owners = hl_owners_new(root, opts->retry_every);
    ok = ctx->owners != NULL;
  }
  if (!ok) {
    hl_ports_ctx_free(ctx);
    return NULL;
  }
  return ctx;
}

void hl_ports_ctx_free(struct hl_ports_ctx *ctx) {
  if (ctx == NULL)
    return;
  hl_owners_free(ctx->owners);
  free(ctx->proc_root);
  free(ctx->docker_socket);
  free(ctx);
}

struct hl_owners_stats hl_ports_owner_stats(const struct hl_ports_ctx *ctx) {
  return ctx != NULL ? ctx->stats : (struct hl_owners_stats){0};
}

/* ip_local_port_range, or 0, 0 when it cannot be read. */
static void read_range(const char *proc_root, struct hl_port_report *rep) {
  struct hl_buf b;
  hl_buf_init(&b, 4096);
  if (hl_proc_read(proc_root, "sys/net/ipv4/ip_local_port_range", &b) != 0 ||
      hl_ports_parse_range(b.data, b.len, &rep->eph_low, &rep->eph_high) != 0) {
    rep->eph_low = 0;
    rep->eph_high = 0;
  }
  hl_buf_free(&b);
}

/*
 * Owners of @socks through the cache, NULL without one. A failed resolve
 * still reports the owners it found (none when /proc cannot be listed).
 */
static const struct hl_owners *resolve_owners(struct hl_ports_ctx *ctx,
                                              const struct hl_socks *socks) {
  ctx->stats = (struct hl_owners_stats){0};
  if (ctx->owners == NULL)
    return NULL;
  uint64_t *inodes = calloc(socks->n + 1, sizeof(*inodes));
  if (inodes == NULL)
    return NULL;
  for (size_t i = 0; i < socks->n; i++)
    inodes[i] = socks->v[i].inode;
  hl_owners_resolve(ctx->owners, inodes, socks->n, true);
  free(inodes);
  ctx->stats = hl_owners_last_stats(ctx->owners);
  return ctx->owners;
}

static void collect_docker(const struct hl_ports_ctx *ctx,
                           struct hl_port_report *rep) {
  if (ctx->docker_socket == NULL)
    return;
  rep->docker_checked = true;
  int rc = hl_docker_collect(ctx->docker_socket, ctx->docker_timeout_ms,
                             &rep->docker);
  if (rc == 0 && rep->docker.available)
    return;
  rep->docker.available = false;
  if (rep->docker.error[0] == '\0')
    fail_errno(rc != 0 ? rc : -EPROTO, rep->docker.error,
               sizeof(rep->docker.error));
}

/*
 * Drops published-only records that a narrowed listing (@what without
 * their proto, or without both families) cannot vouch for.
 */
static void drop_unlisted(struct hl_port_report *rep, unsigned what) {
  bool both = (what & (HL_SD_V4 | HL_SD_V6)) == (HL_SD_V4 | HL_SD_V6);
  size_t k = 0;
  for (size_t i = 0; i < rep->n; i++) {
    struct hl_port_rec *r = &rep->r[i];
    unsigned bit = r->s.proto == IPPROTO_TCP ? HL_SD_TCP : HL_SD_UDP;
    if (r->has_socket || (both && (what & bit) != 0))
      rep->r[k++] = *r;
    else
      rec_clear(r);
  }
  rep->n = k;
}

int hl_ports_collect(struct hl_ports_ctx *ctx, const struct hl_policy *policy,
                     struct hl_port_report *rep, char *err, size_t errlen) {
  hl_port_report_free(rep);
  if (gethostname(rep->host, sizeof(rep->host) - 1) != 0)
    rep->host[0] = '\0';
  rep->host[sizeof(rep->host) - 1] = '\0';
  rep->generated_at = time(NULL);
  read_range(ctx->proc_root, rep);
  struct hl_socks socks = {0};
  int rc = hl_socks_collect(ctx->proc_root, ctx->what, &socks, &rep->method);
  if (rc != 0) {
    char buf[128];
    fail(rc, err, errlen, "listing sockets: %s",
         strerror_r(-rc, buf, sizeof(buf)));
    hl_socks_free(&socks);
    return rc;
  }
  const struct hl_owners *owners = resolve_owners(ctx, &socks);
  collect_docker(ctx, rep);
  rc = hl_ports_merge(&socks, owners,
                      rep->docker.available ? &rep->docker : NULL, rep);
  hl_socks_free(&socks);
  if (rc != 0) {
    fail_errno(rc, err, errlen);
    hl_port_report_free(rep);
    return rc;
  }
  drop_unlisted(rep, ctx->what);
  for (size_t i = 0; policy != NULL && i < rep->n; i++)
    rep->r[i].findings = hl_policy_eval(policy, &rep->r[i]);
  return 0;
}
