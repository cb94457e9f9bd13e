// SPDX-License-Identifier: MIT
/*
 * hl_http: a small HTTP/1.1 client over the lazily loaded libcurl.
 *
 * Data flow: hl_http_new() checks and copies the options, gets the libcurl
 * table from hl_curl_load() and creates one easy handle on which every
 * option that does not change per request is set once (timeouts, TLS
 * verification, CA file, pin, auth, no proxy, no redirects, http/https only,
 * TCP keep-alive, the error buffer). The handle is never reset, so libcurl's
 * connection cache (one connection) and the digest nonce survive between
 * requests: a TR-064 read is one connection and one challenge, not one per
 * action. Each request sets only its URL, method, headers and a write
 * callback that appends to a capped struct hl_buf, runs curl_easy_perform()
 * and maps the outcome to a negative errno and a one-line error text.
 *
 * Secrets: the password/token is given to libcurl with CURLOPT_PASSWORD or
 * CURLOPT_XOAUTH2_BEARER, never in the URL (hl_http_new() refuses a URL with
 * user info), verbose output is off, and every error text is passed through
 * scrub(), which overwrites any occurrence of the secret, before it leaves
 * this file. Our copy of the secret is wiped with explicit_bzero() on free.
 *
 * This file has no file-scope state; the libcurl table belongs to hl_curl.
 */
#include "hl_http.h"
#include "hl_curl.h"
#include "hl_str.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct hl_http {
  const struct hl_curl *c;
  CURL *h;
  char *base_url;
  char *secret; /* password or token; wiped on free */
  long timeout_ms;
  size_t max_body;
  struct hl_http_stats stats;
  char errbuf[CURL_ERROR_SIZE];
};

/* Where the write callback puts the body of the running request. */
struct sink {
  struct hl_buf *body;
  bool too_big;
  bool nomem;
};

/* ---- back-off (pure) ----------------------------------------------------- */

bool hl_http_backoff_due(const struct hl_backoff *b, int64_t now_ms) {
  return b->failures == 0 || now_ms >= b->next_ms;
}

int64_t hl_http_backoff(struct hl_backoff *b, bool failed, int64_t now_ms) {
  if (!failed) {
    b->failures = 0;
    b->next_ms = 0;
    return 0;
  }
  if (b->failures < UINT32_MAX)
    b->failures++;
  int64_t max = b->max_ms > 0 ? b->max_ms : HL_BACKOFF_MAX_MS;
  int64_t delay = b->interval_ms > 0 ? b->interval_ms : 1;
  for (unsigned i = 0; i < b->failures && delay < max; i++)
    delay *= 2;
  if (delay > max)
    delay = max;
  b->next_ms = now_ms + delay;
  return delay;
}

/* ---- texts --------------------------------------------------------------- */

/* Overwrites every occurrence of @secret in @text with '*'. */
static void scrub(char *text, const char *secret) {
  size_t n = secret != NULL ? strlen(secret) : 0;
  if (n == 0)
    return;
  for (char *p = strstr(text, secret); p != NULL; p = strstr(p + n, secret))
    memset(p, '*', n);
}

/* Keeps the first line of @s, with bytes that are not printable ASCII shown
 * as '?', so texts are safe for logs and terminals. */
static void first_line(char *s) {
  s[strcspn(s, "\r\n")] = '\0';
  for (unsigned char *c = (unsigned char *)s; *c != '\0'; c++) {
    if (*c < 0x20 || *c > 0x7e)
      *c = '?';
  }
}

static bool printable_token(const char *s) {
  for (const unsigned char *c = (const unsigned char *)s; *c != '\0'; c++) {
    if (*c <= 0x20 || *c > 0x7e)
      return false;
  }
  return true;
}

static bool has_crlf(const char *s) {
  return s != NULL && strpbrk(s, "\r\n") != NULL;
}

/* ---- setup --------------------------------------------------------------- */

/* "scheme://[userinfo@]host..." : true when there is user info. */
static bool url_has_userinfo(const char *url) {
  const char *p = strstr(url, "://");
  if (p == NULL)
    return false;
  p += 3;
  size_t auth_len = strcspn(p, "/?#");
  return memchr(p, '@', auth_len) != NULL;
}

static int check_opts(const struct hl_http_opts *o, char *err, size_t errlen) {
  const char *why = NULL;
  if (o->base_url == NULL || (strncmp(o->base_url, "http://", 7) != 0 &&
                              strncmp(o->base_url, "https://", 8) != 0))
    why = "base URL must start with http:// or https://";
  else if (!printable_token(o->base_url))
    why = "base URL contains spaces or control characters";
  else if (url_has_userinfo(o->base_url))
    why = "base URL must not contain credentials";
  else if (o->timeout_ms < 0 || o->connect_timeout_ms < 0)
    why = "negative timeout";
  else if (o->auth == HL_HTTP_AUTH_DIGEST &&
           (o->username == NULL || o->username[0] == '\0'))
    why = "digest authentication needs a username";
  else if (o->auth != HL_HTTP_AUTH_NONE && o->password == NULL)
    why = "authentication needs a password or token";
  else if (o->auth > HL_HTTP_AUTH_BEARER)
    why = "unknown authentication scheme";
  if (why == NULL)
    return 0;
  if (err != NULL)
    hl_str_copy(err, errlen, why);
  return -EINVAL;
}

/* Sets an option only when @v is non-NULL. */
static CURLcode set_str_opt(const struct hl_curl *c, CURL *h, CURLoption opt,
                            const char *v) {
  return v != NULL ? c->easy_setopt(h, opt, v) : CURLE_OK;
}

static CURLcode set_tls(const struct hl_curl *c, CURL *h,
                        const struct hl_http_opts *o) {
  CURLcode cc =
      c->easy_setopt(h, CURLOPT_SSL_VERIFYPEER, o->skip_verify_peer ? 0L : 1L);
  if (cc == CURLE_OK)
    cc = c->easy_setopt(h, CURLOPT_SSL_VERIFYHOST,
                        o->skip_verify_host ? 0L : 2L);
  if (cc == CURLE_OK)
    cc = set_str_opt(c, h, CURLOPT_CAINFO, o->ca_file);
  if (cc == CURLE_OK)
    cc = set_str_opt(c, h, CURLOPT_PINNEDPUBLICKEY, o->pinned_pubkey);
  return cc;
}

static CURLcode set_auth(const struct hl_curl *c, CURL *h,
                         const struct hl_http_opts *o) {
  switch (o->auth) {
  case HL_HTTP_AUTH_DIGEST:
    if (c->easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_DIGEST) ||
        c->easy_setopt(h, CURLOPT_USERNAME, o->username))
      return CURLE_FAILED_INIT;
    return c->easy_setopt(h, CURLOPT_PASSWORD, o->password);
  case HL_HTTP_AUTH_BEARER:
    if (c->easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER))
      return CURLE_FAILED_INIT;
    return c->easy_setopt(h, CURLOPT_XOAUTH2_BEARER, o->password);
  case HL_HTTP_AUTH_NONE:
    break;
  }
  return CURLE_OK;
}

static CURLcode set_fixed(struct hl_http *x, const struct hl_http_opts *o) {
  const struct hl_curl *c = x->c;
  CURL *h = x->h;
  long ct = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : x->timeout_ms;
  if (c->easy_setopt(h, CURLOPT_NOSIGNAL, 1L) ||
      c->easy_setopt(h, CURLOPT_TIMEOUT_MS, x->timeout_ms) ||
      c->easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, ct) ||
      c->easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->max_body) ||
      c->easy_setopt(h, CURLOPT_PROXY, "") ||
      c->easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) ||
      c->easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L) ||
      c->easy_setopt(h, CURLOPT_MAXCONNECTS, 1L) ||
      c->easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1) ||
      c->easy_setopt(h, CURLOPT_ERRORBUFFER, x->errbuf) ||
      c->easy_setopt(h, CURLOPT_USERAGENT,
                     o->user_agent ? o->user_agent : "collectd-homelab") ||
      set_str_opt(c, h, CURLOPT_UNIX_SOCKET_PATH, o->unix_socket))
    return CURLE_FAILED_INIT;
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85: CURLOPT_PROTOCOLS_STR */
  if (c->easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https"))
    return CURLE_FAILED_INIT;
#endif
  if (set_tls(c, h, o) != CURLE_OK)
    return CURLE_NOT_BUILT_IN;
  return set_auth(c, h, o);
}

static void setup_error(struct hl_http *x, CURLcode cc, char *err,
                        size_t errlen) {
  if (err == NULL)
    return;
  snprintf(err, errlen, "libcurl refused an option: %s",
           x->errbuf[0] != '\0' ? x->errbuf : x->c->easy_strerror(cc));
  scrub(err, x->secret);
  first_line(err);
}

int hl_http_new(const struct hl_http_opts *o, struct hl_http **out, char *err,
                size_t errlen) {
  int rc = check_opts(o, err, errlen);
  if (rc != 0)
    return rc;
  struct hl_http *x = calloc(1, sizeof(*x));
  if (x == NULL)
    return -ENOMEM;
  rc = hl_curl_load(&x->c, err, errlen);
  if (rc != 0) {
    free(x);
    return rc;
  }
  x->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : HL_HTTP_TIMEOUT_MS;
  x->max_body = o->max_body > 0 ? o->max_body : HL_HTTP_MAX_BODY;
  x->base_url = strdup(o->base_url);
  x->secret = o->password != NULL ? strdup(o->password) : NULL;
  x->h = x->c->easy_init();
  if (x->base_url == NULL || (o->password != NULL && x->secret == NULL) ||
      x->h == NULL) {
    hl_http_free(x);
    return -ENOMEM;
  }
  CURLcode cc = set_fixed(x, o);
  if (cc != CURLE_OK) {
    setup_error(x, cc, err, errlen);
    hl_http_free(x);
    return cc == CURLE_OUT_OF_MEMORY ? -ENOMEM : -ENOSYS;
  }
  *out = x;
  return 0;
}

void hl_http_free(struct hl_http *h) {
  if (h == NULL)
    return;
  if (h->h != NULL)
    h->c->easy_cleanup(h->h);
  if (h->secret != NULL) {
    explicit_bzero(h->secret, strlen(h->secret));
    free(h->secret);
  }
  free(h->base_url);
  free(h);
}

void hl_http_stats(const struct hl_http *h, struct hl_http_stats *s) {
  *s = h->stats;
}

void hl_http_resp_free(struct hl_http_resp *r) {
  if (r != NULL)
    hl_buf_free(&r->body);
}

/* ---- requests ------------------------------------------------------------ */

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata) {
  struct sink *s = userdata;
  size_t n = size * nmemb;
  int rc = hl_buf_append(s->body, data, n);
  if (rc == 0)
    return n;
  s->too_big = rc == -E2BIG;
  s->nomem = rc == -ENOMEM;
  return n > 0 ? 0 : 1; /* a count other than n aborts the transfer */
}

/* Maps a failed transfer to an errno and the text after "METHOD path: ". */
static int transfer_errno(struct hl_http *x, CURLcode cc, const struct sink *s,
                          char *why, size_t size) {
  const char *detail =
      x->errbuf[0] != '\0' ? x->errbuf : x->c->easy_strerror(cc);
  long os_errno = 0;
  if (x->c->easy_getinfo(x->h, CURLINFO_OS_ERRNO, &os_errno) != CURLE_OK)
    os_errno = 0;
  hl_str_copy(why, size, detail);
  if (s->too_big || cc == CURLE_FILESIZE_EXCEEDED) {
    snprintf(why, size, "response larger than %zu bytes", x->max_body);
    return -E2BIG;
  }
  switch (cc) {
  case CURLE_OUT_OF_MEMORY:
    return -ENOMEM;
  case CURLE_WRITE_ERROR:
    return s->nomem ? -ENOMEM : -EIO;
  case CURLE_OPERATION_TIMEDOUT:
    snprintf(why, size, "no answer within %ld ms", x->timeout_ms);
    return -ETIMEDOUT;
  case CURLE_COULDNT_CONNECT:
    return os_errno > 0 ? -(int)os_errno : -ECONNREFUSED;
  case CURLE_COULDNT_RESOLVE_HOST:
    return -EHOSTUNREACH;
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
  case CURLE_SSL_CACERT_BADFILE:
    return -EKEYREJECTED;
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_GOT_NOTHING:
  case CURLE_WEIRD_SERVER_REPLY:
  case CURLE_UNSUPPORTED_PROTOCOL:
  case CURLE_RECV_ERROR:
  case CURLE_PARTIAL_FILE:
    return -EPROTO;
  default:
    return os_errno > 0 ? -(int)os_errno : -EIO;
  }
}

/* Runs the prepared request and fills @r. */
static int perform(struct hl_http *x, const char *method, const char *path,
                   struct hl_http_resp *r) {
  struct sink s = {.body = &r->body};
  x->errbuf[0] = '\0';
  if (x->c->easy_setopt(x->h, CURLOPT_WRITEFUNCTION, on_body) ||
      x->c->easy_setopt(x->h, CURLOPT_WRITEDATA, &s))
    return -ENOMEM;
  CURLcode cc = x->c->easy_perform(x->h);
  x->stats.requests++;
  long conns = 0;
  if (x->c->easy_getinfo(x->h, CURLINFO_NUM_CONNECTS, &conns) == CURLE_OK &&
      conns > 0)
    x->stats.connects += (uint64_t)conns;
  char why[192];
  int rc = 0;
  if (cc != CURLE_OK) {
    rc = transfer_errno(x, cc, &s, why, sizeof(why));
    hl_buf_free(&r->body);
  } else if (x->c->easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &r->status) !=
             CURLE_OK) {
    hl_str_copy(why, sizeof(why), "no HTTP status");
    rc = -EPROTO;
  } else if (r->status == 401) {
    hl_str_copy(why, sizeof(why), "HTTP 401: authentication failed");
    rc = -EACCES;
  } else if (r->status < 200 || r->status > 299) {
    snprintf(why, sizeof(why), "HTTP %ld", r->status);
  } else {
    return 0;
  }
  snprintf(r->error, sizeof(r->error), "%s %s: %s", method, path, why);
  scrub(r->error, x->secret);
  first_line(r->error);
  return rc;
}

/* Starts @r and sets the URL; checks @path. */
static int begin(struct hl_http *x, const char *path, struct hl_http_resp *r) {
  *r = (struct hl_http_resp){.status = 0};
  hl_buf_init(&r->body, x->max_body);
  if (path == NULL || path[0] != '/' || !printable_token(path)) {
    hl_str_copy(r->error, sizeof(r->error), "invalid request path");
    return -EINVAL;
  }
  size_t n = strlen(x->base_url) + strlen(path) + 1;
  char *url = malloc(n);
  if (url == NULL)
    return -ENOMEM;
  size_t b = strlen(x->base_url);
  if (b > 0 && x->base_url[b - 1] == '/')
    b--; /* "http://h/" + "/x" */
  snprintf(url, n, "%.*s%s", (int)b, x->base_url, path);
  CURLcode cc = x->c->easy_setopt(x->h, CURLOPT_URL, url);
  free(url);
  return cc == CURLE_OK ? 0 : -ENOMEM;
}

int hl_http_get(struct hl_http *h, const char *path, struct hl_http_resp *r) {
  int rc = begin(h, path, r);
  if (rc != 0)
    return rc;
  if (h->c->easy_setopt(h->h, CURLOPT_HTTPGET, 1L) ||
      h->c->easy_setopt(h->h, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL))
    return -ENOMEM;
  return perform(h, "GET", path, r);
}

/* Content-Type, optional SOAPACTION, and no "Expect: 100-continue" (an
 * extra round trip some embedded servers never answer). */
static struct curl_slist *post_headers(const struct hl_curl *c,
                                       const char *content_type,
                                       const char *soapaction) {
  char line[512];
  snprintf(line, sizeof(line), "Content-Type: %s", content_type);
  struct curl_slist *l = c->slist_append(NULL, line);
  struct curl_slist *t = l != NULL ? c->slist_append(l, "Expect:") : NULL;
  if (t != NULL && soapaction != NULL) {
    snprintf(line, sizeof(line), "SOAPACTION: %s", soapaction);
    t = c->slist_append(l, line);
  }
  if (t == NULL) {
    c->slist_free_all(l);
    return NULL;
  }
  return l;
}

int hl_http_post(struct hl_http *h, const char *path, const char *content_type,
                 const char *soapaction, const void *body, size_t len,
                 struct hl_http_resp *r) {
  int rc = begin(h, path, r);
  if (rc != 0)
    return rc;
  if (content_type == NULL || has_crlf(content_type) || has_crlf(soapaction) ||
      strlen(content_type) > 400 ||
      (soapaction != NULL && strlen(soapaction) > 400) ||
      (body == NULL && len > 0)) {
    hl_str_copy(r->error, sizeof(r->error), "invalid request header or body");
    return -EINVAL;
  }
  struct curl_slist *headers = post_headers(h->c, content_type, soapaction);
  if (headers == NULL)
    return -ENOMEM;
  const struct hl_curl *c = h->c;
  if (c->easy_setopt(h->h, CURLOPT_POST, 1L) ||
      c->easy_setopt(h->h, CURLOPT_POSTFIELDS, body != NULL ? body : "") ||
      c->easy_setopt(h->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len) ||
      c->easy_setopt(h->h, CURLOPT_HTTPHEADER, headers)) {
    c->slist_free_all(headers);
    return -ENOMEM;
  }
  rc = perform(h, "POST", path, r);
  /* The handle must not keep pointers to the caller's body or our list. */
  c->easy_setopt(h->h, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
  c->easy_setopt(h->h, CURLOPT_POSTFIELDS, (char *)NULL);
  c->slist_free_all(headers);
  return rc;
}
