// SPDX-License-Identifier: MIT
/*
 * hl_docker: published ports of running containers, from the Docker Engine
 * API (Podman serves the same API).
 *
 * Data flow: hl_docker_collect() sends one GET /containers/json over the
 * engine's unix socket with a libcurl easy handle (no proxy, no redirects, a
 * whole-request timeout, the body capped at HL_DOCKER_MAX_BODY in a struct
 * hl_buf), checks the HTTP status and hands the body to hl_docker_parse(), a
 * pure decoder that fills struct hl_docker with each container's Id, first
 * name, image and Ports entries. The URL carries no /vX.Y prefix: an engine
 * answers the unversioned path with its own current API version, whereas a
 * pinned version is refused by engines older (400) or much newer than it.
 *
 * The decoder uses yajl's callback (SAX) parser, not yajl_tree: it reads the
 * untrusted body as (pointer, length), so it is never copied or
 * NUL-terminated; memory holds only what we keep, not a tree of an 8 MiB
 * body; and nesting depth is bounded here (yajl_tree_free() recurses once per
 * level, so a valid body of a few million '[' would overflow the stack).
 * Entries the decoder cannot trust are skipped, never guessed: a port with a
 * wrong member type, a number outside 0..65535, an unknown Type or an IP
 * that is not an address is dropped; a body that is not an array of objects
 * is -EPROTO.
 *
 * libcurl is loaded with dlopen() on the first call, not linked (hl_curl):
 * mapping it and its thirty-odd dependencies costs a one-shot
 * homelab-port-report about 3.5 ms, half its run time, even with
 * --no-docker (docs/BENCHMARKS.md). This file has no file-scope state.
 */
#include "hl_docker.h"
#include "hl_curl.h"
#include "hl_str.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>

#include <yajl/yajl_parse.h>

#define DOCKER_URL "http://localhost/containers/json"
#define DOCKER_MAX_DEPTH 64 /* the real shape nests about 7 deep */

/* ---- decoding ------------------------------------------------------------ */

enum vkind { V_NULL, V_BOOL, V_NUMBER, V_STRING, V_MAP, V_ARRAY };
enum ckey { CK_OTHER, CK_ID, CK_NAMES, CK_IMAGE, CK_PORTS };
enum pkey { PK_OTHER, PK_IP, PK_PRIVATE, PK_PUBLIC, PK_TYPE };
enum sub { SUB_NONE, SUB_NAMES, SUB_PORTS };

/* One Ports entry while it is being read. */
struct port_acc {
  struct hl_docker_port p;
  bool bad;          /* a member had a wrong type or value */
  bool have_private; /* PrivatePort seen (required) */
  bool have_type;    /* Type seen and known (required) */
};

/*
 * Decoder state. @depth counts open arrays/maps: 1 inside the top array, 2
 * inside a container object, 3 inside one of its member values (the Names or
 * Ports array when @sub says so), 4 inside a Ports entry when @in_port.
 */
struct parse_ctx {
  struct hl_docker *out;
  size_t cap;       /* containers allocated in out->c */
  size_t ports_cap; /* ports allocated for the last container */
  unsigned depth;
  bool seen_top;
  enum ckey ckey;
  enum sub sub;
  bool name_taken;
  bool in_port;
  enum pkey pkey;
  struct port_acc port;
  int err;         /* -EPROTO or -ENOMEM once a callback gave up */
  const char *why; /* what was wrong, for -EPROTO */
};

static int parse_fail(struct parse_ctx *p, int err, const char *why) {
  p->err = err;
  p->why = why;
  return 0; /* tells yajl to stop */
}

static bool key_is(const unsigned char *k, size_t n, const char *name) {
  return n == strlen(name) && memcmp(k, name, n) == 0;
}

/* Replaces *dst by a copy of [s, s+n). Strings with a NUL byte are refused
 * (they would read as a different, shorter name): *dst stays as it was. */
static int set_str(struct parse_ctx *p, char **dst, const char *s, size_t n) {
  if (n > 0 && memchr(s, '\0', n) != NULL)
    return 1;
  char *copy = malloc(n + 1);
  if (copy == NULL)
    return parse_fail(p, -ENOMEM, "out of memory");
  if (n > 0)
    memcpy(copy, s, n);
  copy[n] = '\0';
  free(*dst);
  *dst = copy;
  return 1;
}

static int set_name(struct parse_ctx *p, const char *s, size_t n) {
  if (n > 0 && s[0] == '/') {
    s++;
    n--;
  }
  p->name_taken = true;
  return set_str(p, &p->out->c[p->out->n - 1].name, s, n);
}

/* A JSON number as a port: digits only (no sign, fraction or exponent),
 * value at most 65535. */
static bool number_to_port(const char *s, size_t n, uint16_t *out) {
  uint32_t v = 0;
  if (n == 0)
    return false;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return false;
    v = v * 10 + (uint32_t)(s[i] - '0');
    if (v > UINT16_MAX)
      return false;
  }
  *out = (uint16_t)v;
  return true;
}

static bool type_to_proto(const char *s, size_t n, uint8_t *proto) {
  static const struct {
    const char *name;
    uint8_t proto;
  } types[] = {
      {"tcp", IPPROTO_TCP}, {"udp", IPPROTO_UDP}, {"sctp", IPPROTO_SCTP}};
  for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
    if (n == strlen(types[i].name) && strncasecmp(s, types[i].name, n) == 0) {
      *proto = types[i].proto;
      return true;
    }
  }
  return false;
}

/* An IP member: "" or a literal IPv4/IPv6 address that fits @ip. */
static bool ip_ok(const char *s, size_t n, char *ip, size_t size) {
  if (n >= size || (n > 0 && memchr(s, '\0', n) != NULL))
    return false;
  char tmp[INET6_ADDRSTRLEN];
  memcpy(tmp, s, n);
  tmp[n] = '\0';
  struct in6_addr a;
  if (n > 0 && inet_pton(AF_INET, tmp, &a) != 1 &&
      inet_pton(AF_INET6, tmp, &a) != 1)
    return false;
  memcpy(ip, tmp, n + 1);
  return true;
}

/* A member value of a Ports entry. Absent or null IP/PublicPort are fine;
 * a missing PrivatePort or Type is caught in port_end(). */
static void port_member(struct parse_ctx *p, enum vkind k, const char *s,
                        size_t n) {
  struct port_acc *a = &p->port;
  if (p->pkey == PK_OTHER || k == V_NULL)
    return;
  bool ok = false;
  switch (p->pkey) {
  case PK_IP:
    ok = k == V_STRING && ip_ok(s, n, a->p.ip, sizeof(a->p.ip));
    break;
  case PK_PRIVATE:
    ok = k == V_NUMBER && number_to_port(s, n, &a->p.private_port) &&
         a->p.private_port != 0;
    a->have_private = ok;
    break;
  case PK_PUBLIC:
    ok = k == V_NUMBER && number_to_port(s, n, &a->p.public_port);
    break;
  case PK_TYPE:
    ok = k == V_STRING && type_to_proto(s, n, &a->p.proto);
    a->have_type = ok;
    break;
  case PK_OTHER:
    break;
  }
  if (!ok)
    a->bad = true;
}

static int port_end(struct parse_ctx *p) {
  p->in_port = false;
  if (p->port.bad || !p->port.have_private || !p->port.have_type)
    return 1;
  struct hl_docker_container *c = &p->out->c[p->out->n - 1];
  if (c->nports == p->ports_cap) {
    size_t cap = p->ports_cap ? p->ports_cap * 2 : 4;
    struct hl_docker_port *np = reallocarray(c->ports, cap, sizeof(*np));
    if (np == NULL)
      return parse_fail(p, -ENOMEM, "out of memory");
    c->ports = np;
    p->ports_cap = cap;
  }
  c->ports[c->nports++] = p->port.p;
  return 1;
}

static int container_begin(struct parse_ctx *p) {
  struct hl_docker *d = p->out;
  if (d->n == p->cap) {
    size_t cap = p->cap ? p->cap * 2 : 16;
    struct hl_docker_container *nc = reallocarray(d->c, cap, sizeof(*nc));
    if (nc == NULL)
      return parse_fail(p, -ENOMEM, "out of memory");
    d->c = nc;
    p->cap = cap;
  }
  d->c[d->n++] = (struct hl_docker_container){0};
  p->ports_cap = 0;
  p->name_taken = false;
  p->sub = SUB_NONE;
  p->in_port = false;
  return 1;
}

/* The value of a container member (depth 2). */
static int container_member(struct parse_ctx *p, enum vkind k, const char *s,
                            size_t n) {
  struct hl_docker_container *c = &p->out->c[p->out->n - 1];
  switch (p->ckey) {
  case CK_ID:
    return k == V_STRING ? set_str(p, &c->id, s, n) : 1;
  case CK_IMAGE:
    return k == V_STRING ? set_str(p, &c->image, s, n) : 1;
  case CK_NAMES:
    if (k == V_ARRAY)
      p->sub = SUB_NAMES;
    /* A bare string is tolerated as a one-name list. */
    return k == V_STRING && !p->name_taken ? set_name(p, s, n) : 1;
  case CK_PORTS:
    if (k == V_ARRAY)
      p->sub = SUB_PORTS;
    return 1;
  case CK_OTHER:
    return 1;
  }
  return 1;
}

/* Every value (scalar or opening bracket) comes here before depth grows. */
static int on_value(struct parse_ctx *p, enum vkind k, const char *s,
                    size_t n) {
  switch (p->depth) {
  case 0:
    p->seen_top = true;
    return k == V_ARRAY ? 1 : parse_fail(p, -EPROTO, "not a JSON array");
  case 1:
    if (k != V_MAP)
      return parse_fail(p, -EPROTO, "array element is not an object");
    return container_begin(p);
  case 2:
    return container_member(p, k, s, n);
  case 3:
    if (p->sub == SUB_NAMES && k == V_STRING && !p->name_taken)
      return set_name(p, s, n);
    if (p->sub == SUB_PORTS && k == V_MAP) {
      p->in_port = true;
      p->pkey = PK_OTHER;
      p->port = (struct port_acc){0};
    }
    return 1;
  case 4:
    if (p->in_port)
      port_member(p, k, s, n);
    return 1;
  default:
    return 1;
  }
}

static int cb_null(void *ctx) { return on_value(ctx, V_NULL, NULL, 0); }

static int cb_bool(void *ctx, int v) {
  (void)v;
  return on_value(ctx, V_BOOL, NULL, 0);
}

static int cb_number(void *ctx, const char *s, size_t n) {
  return on_value(ctx, V_NUMBER, s, n);
}

static int cb_string(void *ctx, const unsigned char *s, size_t n) {
  return on_value(ctx, V_STRING, (const char *)s, n);
}

static int open_nested(struct parse_ctx *p, enum vkind k) {
  if (p->depth >= DOCKER_MAX_DEPTH)
    return parse_fail(p, -EPROTO, "nested too deeply");
  int rc = on_value(p, k, NULL, 0);
  p->depth++;
  return rc;
}

static int cb_start_map(void *ctx) { return open_nested(ctx, V_MAP); }

static int cb_start_array(void *ctx) { return open_nested(ctx, V_ARRAY); }

static int cb_map_key(void *ctx, const unsigned char *k, size_t n) {
  struct parse_ctx *p = ctx;
  if (p->depth == 2) {
    p->ckey = key_is(k, n, "Id")      ? CK_ID
              : key_is(k, n, "Names") ? CK_NAMES
              : key_is(k, n, "Image") ? CK_IMAGE
              : key_is(k, n, "Ports") ? CK_PORTS
                                      : CK_OTHER;
  } else if (p->depth == 4 && p->in_port) {
    p->pkey = key_is(k, n, "IP")            ? PK_IP
              : key_is(k, n, "PrivatePort") ? PK_PRIVATE
              : key_is(k, n, "PublicPort")  ? PK_PUBLIC
              : key_is(k, n, "Type")        ? PK_TYPE
                                            : PK_OTHER;
  }
  return 1;
}

static int close_nested(void *ctx) {
  struct parse_ctx *p = ctx;
  p->depth--;
  if (p->depth == 3 && p->in_port)
    return port_end(p);
  if (p->depth == 2)
    p->sub = SUB_NONE;
  return 1;
}

static const yajl_callbacks parse_callbacks = {
    .yajl_null = cb_null,
    .yajl_boolean = cb_bool,
    .yajl_number = cb_number,
    .yajl_string = cb_string,
    .yajl_start_map = cb_start_map,
    .yajl_map_key = cb_map_key,
    .yajl_end_map = close_nested,
    .yajl_start_array = cb_start_array,
    .yajl_end_array = close_nested,
};

/* Containers without Id, name or image get "" so users never see NULL. */
static int fill_missing(struct hl_docker *d) {
  for (size_t i = 0; i < d->n; i++) {
    char **f[] = {&d->c[i].id, &d->c[i].name, &d->c[i].image};
    for (size_t j = 0; j < sizeof(f) / sizeof(f[0]); j++) {
      if (*f[j] == NULL)
        *f[j] = strdup("");
      if (*f[j] == NULL)
        return -ENOMEM;
    }
  }
  return 0;
}

/* Runs yajl over the body; on failure @p->err/@p->why or @out->error say
 * why. Return: 0, -EPROTO or -ENOMEM. */
static int run_parser(struct parse_ctx *p, const char *json, size_t len) {
  yajl_handle h = yajl_alloc(&parse_callbacks, NULL, p);
  if (h == NULL)
    return -ENOMEM;
  const unsigned char *u = (const unsigned char *)json;
  yajl_status st = yajl_parse(h, u, len);
  if (st == yajl_status_ok)
    st = yajl_complete_parse(h);
  int rc = 0;
  if (st == yajl_status_client_canceled) {
    rc = p->err != 0 ? p->err : -EPROTO;
    snprintf(p->out->error, sizeof(p->out->error), "invalid container list: %s",
             p->why ? p->why : "rejected");
  } else if (st != yajl_status_ok) {
    unsigned char *msg = yajl_get_error(h, 0, u, len);
    char text[160] = "syntax error";
    if (msg != NULL) {
      hl_str_copy(text, sizeof(text), (const char *)msg);
      text[strcspn(text, "\r\n")] = '\0';
      yajl_free_error(h, msg);
    }
    snprintf(p->out->error, sizeof(p->out->error), "invalid JSON: %s", text);
    rc = -EPROTO;
  } else if (!p->seen_top || p->depth != 0) {
    hl_str_copy(p->out->error, sizeof(p->out->error), "invalid JSON");
    rc = -EPROTO;
  }
  yajl_free(h);
  return rc;
}

int hl_docker_parse(const char *json, size_t len, struct hl_docker *out) {
  if (out == NULL || (json == NULL && len > 0))
    return -EINVAL;
  *out = (struct hl_docker){0};
  struct parse_ctx p = {.out = out};
  int rc = run_parser(&p, json != NULL ? json : "", len);
  if (rc == 0)
    rc = fill_missing(out);
  if (rc != 0) {
    if (rc == -ENOMEM)
      hl_str_copy(out->error, sizeof(out->error), "out of memory");
    hl_docker_free(out);
    return rc;
  }
  out->available = true;
  return 0;
}

void hl_docker_free(struct hl_docker *d) {
  if (d == NULL)
    return;
  for (size_t i = 0; i < d->n; i++) {
    free(d->c[i].id);
    free(d->c[i].name);
    free(d->c[i].image);
    free(d->c[i].ports);
  }
  free(d->c);
  d->c = NULL;
  d->n = 0;
}

const char *hl_docker_short_id(const char *id, char *buf) {
  size_t n = id != NULL ? strnlen(id, 12) : 0;
  if (n > 0)
    memcpy(buf, id, n);
  buf[n] = '\0';
  return buf;
}

/* ---- error bodies -------------------------------------------------------- */

/* Finds the top-level "message" string of an error body. */
struct msg_ctx {
  unsigned depth;
  bool want;
  char *dst;
  size_t size;
  bool found;
};

static int msg_string(void *ctx, const unsigned char *s, size_t n) {
  struct msg_ctx *m = ctx;
  if (m->depth != 1 || !m->want)
    return 1;
  size_t k = n < m->size - 1 ? n : m->size - 1;
  memcpy(m->dst, s, k);
  m->dst[k] = '\0';
  m->found = true;
  return 0; /* got it: stop */
}

static int msg_key(void *ctx, const unsigned char *k, size_t n) {
  struct msg_ctx *m = ctx;
  m->want = m->depth == 1 && key_is(k, n, "message");
  return 1;
}

static int msg_open(void *ctx) {
  struct msg_ctx *m = ctx;
  m->want = false;
  return ++m->depth <= DOCKER_MAX_DEPTH;
}

static int msg_close(void *ctx) {
  struct msg_ctx *m = ctx;
  m->depth--;
  return 1;
}

static const yajl_callbacks msg_callbacks = {
    .yajl_string = msg_string,
    .yajl_start_map = msg_open,
    .yajl_map_key = msg_key,
    .yajl_end_map = msg_close,
    .yajl_start_array = msg_open,
    .yajl_end_array = msg_close,
};

/* Keeps the first line of @s, with any byte that is not printable ASCII
 * shown as '?', so error texts are safe for logs and terminals. */
static void first_line(char *s) {
  s[strcspn(s, "\r\n")] = '\0';
  for (unsigned char *c = (unsigned char *)s; *c != '\0'; c++) {
    if (*c < 0x20 || *c > 0x7e)
      *c = '?';
  }
}

/* The human part of an error body: the "message" member of a JSON object,
 * else the start of a non-JSON body; "" when there is none. @body is an
 * hl_buf's data, so it is NUL-terminated at @len. */
static void error_body_text(const char *body, size_t len, char *dst,
                            size_t size) {
  dst[0] = '\0';
  struct msg_ctx m = {.dst = dst, .size = size};
  yajl_handle h = yajl_alloc(&msg_callbacks, NULL, &m);
  if (h != NULL) {
    yajl_parse(h, (const unsigned char *)body, len);
    yajl_free(h);
  }
  if (!m.found) {
    size_t skip = strspn(body, " \t\r\n");
    if (skip < len && body[skip] != '{' && body[skip] != '[')
      hl_str_copy(dst, size, body + skip);
  }
  first_line(dst);
}

/* ---- I/O ------------------------------------------------------------------
 */

struct fetch {
  struct hl_buf body;
  bool too_big;
  bool nomem;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata) {
  struct fetch *f = userdata;
  size_t n = size * nmemb;
  int rc = hl_buf_append(&f->body, data, n);
  if (rc == 0)
    return n;
  f->too_big = rc == -E2BIG;
  f->nomem = rc == -ENOMEM;
  return n > 0 ? 0 : 1; /* a count other than n aborts the transfer */
}

static CURLcode set_options(const struct hl_curl *curl, CURL *h,
                            const char *socket_path, long timeout_ms,
                            struct fetch *f, char *errbuf) {
  if (curl->easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, socket_path) ||
      curl->easy_setopt(h, CURLOPT_URL, DOCKER_URL) ||
      curl->easy_setopt(h, CURLOPT_PROXY, "") ||
      curl->easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) ||
      curl->easy_setopt(h, CURLOPT_NOSIGNAL, 1L) ||
      curl->easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms) ||
      curl->easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms) ||
      curl->easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE,
                        (curl_off_t)f->body.max) ||
      curl->easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body) ||
      curl->easy_setopt(h, CURLOPT_WRITEDATA, f) ||
      curl->easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf) ||
      curl->easy_setopt(h, CURLOPT_USERAGENT, "collectd-homelab") ||
      curl->easy_setopt(h, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1))
    return CURLE_FAILED_INIT;
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85: CURLOPT_PROTOCOLS_STR */
  if (curl->easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http"))
    return CURLE_FAILED_INIT;
#endif
  return CURLE_OK;
}

/* Sets @out->error from a failed transfer. Return: the negative errno. */
static int transfer_error(const struct hl_curl *curl, struct hl_docker *out,
                          CURL *h, CURLcode cc, const struct fetch *f,
                          const char *path, long timeout_ms,
                          const char *errbuf) {
  char *e = out->error;
  size_t es = sizeof(out->error);
  const char *detail = errbuf[0] != '\0' ? errbuf : curl->easy_strerror(cc);
  long os_errno = 0;
  if (curl->easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno) != CURLE_OK)
    os_errno = 0;
  char ebuf[128];
  const char *os_text =
      os_errno > 0 ? strerror_r((int)os_errno, ebuf, sizeof(ebuf)) : detail;

  if (f->too_big || cc == CURLE_FILESIZE_EXCEEDED) {
    snprintf(e, es, "%s: response larger than %zu bytes", path, f->body.max);
    return -E2BIG;
  }
  if (f->nomem || cc == CURLE_OUT_OF_MEMORY) {
    snprintf(e, es, "%s: out of memory", path);
    return -ENOMEM;
  }
  switch (cc) {
  case CURLE_COULDNT_CONNECT:
    snprintf(e, es, "connect %s: %s", path, os_text);
    return os_errno > 0 ? -(int)os_errno : -ECONNREFUSED;
  case CURLE_OPERATION_TIMEDOUT:
    snprintf(e, es, "%s: no answer within %ld ms", path, timeout_ms);
    return -ETIMEDOUT;
  case CURLE_GOT_NOTHING:
    snprintf(e, es, "%s: connection closed without a response", path);
    return -EPROTO;
  case CURLE_WEIRD_SERVER_REPLY:
  case CURLE_UNSUPPORTED_PROTOCOL:
    snprintf(e, es, "%s: not an HTTP response: %s", path, detail);
    return -EPROTO;
  default:
    snprintf(e, es, "%s: %s", path, os_errno > 0 ? os_text : detail);
    return os_errno > 0 ? -(int)os_errno : -EIO;
  }
}

/* Sets @out->error for a status other than 200. Return: -EACCES for
 * 401/403 (an authorization plugin said no), else -EPROTO. */
static int status_error(struct hl_docker *out, long status,
                        const struct hl_buf *body) {
  char msg[160] = "";
  if (body->len > 0)
    error_body_text(body->data, body->len, msg, sizeof(msg));
  if (msg[0] != '\0')
    snprintf(out->error, sizeof(out->error), "HTTP %ld: %s", status, msg);
  else
    snprintf(out->error, sizeof(out->error), "HTTP %ld", status);
  return status == 401 || status == 403 ? -EACCES : -EPROTO;
}

/* Decodes a 200 body; parse errors name the socket. */
static int parse_body(const char *path, const struct hl_buf *body,
                      struct hl_docker *out) {
  int rc = hl_docker_parse(body->data, body->len, out);
  if (rc != 0) {
    char why[160]; /* parse errors are short; leaves room for the path */
    hl_str_copy(why, sizeof(why), out->error);
    snprintf(out->error, sizeof(out->error), "%s: %s", path, why);
  }
  return rc;
}

/* One GET over @h; fills @out (decoded list or error). */
static int fetch_and_parse(const struct hl_curl *curl, CURL *h,
                           const char *path, long timeout_ms,
                           struct hl_docker *out) {
  struct fetch f = {.too_big = false};
  hl_buf_init(&f.body, HL_DOCKER_MAX_BODY);
  char errbuf[CURL_ERROR_SIZE] = "";
  CURLcode cc = set_options(curl, h, path, timeout_ms, &f, errbuf);
  if (cc != CURLE_OK) {
    snprintf(out->error, sizeof(out->error), "%s: cannot set up libcurl", path);
    return -ENOMEM;
  }
  cc = curl->easy_perform(h);
  long status = 0;
  if (cc == CURLE_OK)
    cc = curl->easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  int rc = 0;
  if (cc != CURLE_OK)
    rc = transfer_error(curl, out, h, cc, &f, path, timeout_ms, errbuf);
  else if (status != 200)
    rc = status_error(out, status, &f.body);
  else
    rc = parse_body(path, &f.body, out);
  hl_buf_free(&f.body);
  return rc;
}

int hl_docker_collect(const char *socket_path, long timeout_ms,
                      struct hl_docker *out) {
  if (out == NULL)
    return -EINVAL;
  *out = (struct hl_docker){0};
  char *e = out->error;
  size_t es = sizeof(out->error);
  if (socket_path == NULL || socket_path[0] == '\0' || timeout_ms <= 0) {
    hl_str_copy(e, es, "docker: no socket path or no timeout given");
    return -EINVAL;
  }
  if (strlen(socket_path) >= sizeof(((struct sockaddr_un *)NULL)->sun_path)) {
    snprintf(e, es, "%s: socket path too long", socket_path);
    return -ENAMETOOLONG;
  }
  const struct hl_curl *curl = NULL;
  if (hl_curl_load(&curl, e, es) != 0)
    return -ENOSYS;
  CURL *h = curl->easy_init();
  if (h == NULL) {
    hl_str_copy(e, es, "libcurl: cannot create a handle");
    return -ENOMEM;
  }
  int rc = fetch_and_parse(curl, h, socket_path, timeout_ms, out);
  curl->easy_cleanup(h);
  if (rc != 0)
    out->available = false;
  return rc;
}
