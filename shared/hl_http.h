// SPDX-License-Identifier: MIT
/*
 * hl_http: a small HTTP/1.1 client for device APIs (FRITZ!Box TR-064/IGD,
 * Home Assistant, Docker-style unix sockets) over the lazily loaded libcurl
 * (hl_curl). One struct hl_http per target keeps one easy handle, so
 * requests reuse the TCP/TLS connection. Every request is bounded (whole
 * request timeout, connect timeout, body cap). Error texts never contain the
 * password or bearer token. Also: a pure exponential back-off helper for
 * callers that must not hammer a device after authentication failures.
 * Plain C, no collectd headers; functions return 0 or a negative errno and
 * never log.
 */
#ifndef HOMELAB_SHARED_HL_HTTP_H
#define HOMELAB_SHARED_HL_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hl_str.h"

/** Defaults used when the matching option is 0. */
#define HL_HTTP_TIMEOUT_MS 5000L
#define HL_HTTP_MAX_BODY (1024u * 1024u)

/** enum hl_http_auth - how requests authenticate. */
enum hl_http_auth {
  HL_HTTP_AUTH_NONE,   /* no credentials are sent */
  HL_HTTP_AUTH_DIGEST, /* RFC 7616 digest with @username/@password */
  HL_HTTP_AUTH_BEARER, /* "Authorization: Bearer <@password>" */
};

/**
 * struct hl_http_opts - settings of one target; a zeroed struct plus
 * @base_url is a valid plain-HTTP client with verification on.
 * @base_url:           "http://host:port" or "https://host:port"; request
 *                      paths are appended. Must not carry user:password@.
 * @timeout_ms:         bound on a whole request, digest round trip included
 *                      (0: HL_HTTP_TIMEOUT_MS).
 * @connect_timeout_ms: bound on connecting (0: @timeout_ms).
 * @max_body:           largest response body accepted (0: HL_HTTP_MAX_BODY).
 * @auth:               authentication scheme.
 * @username:           user for digest auth.
 * @password:           digest password or bearer token; copied, wiped on free.
 * @skip_verify_peer:   do not verify the server certificate chain (the
 *                      caller should warn about it).
 * @skip_verify_host:   do not check the certificate's name against the host.
 * @ca_file:            PEM file of trusted CAs (NULL: the system store).
 * @pinned_pubkey:      "sha256//BASE64[;sha256//...]" pin of the server's
 *                      public key, checked even when verification is off.
 * @unix_socket:        connect to this unix socket instead of the URL's host.
 * @user_agent:         User-Agent (NULL: "collectd-homelab").
 *
 * Strings are copied by hl_http_new(); the caller may free them afterwards.
 */
struct hl_http_opts {
  const char *base_url;
  long timeout_ms;
  long connect_timeout_ms;
  size_t max_body;
  enum hl_http_auth auth;
  const char *username;
  const char *password;
  bool skip_verify_peer;
  bool skip_verify_host;
  const char *ca_file;
  const char *pinned_pubkey;
  const char *unix_socket;
  const char *user_agent;
};

/**
 * struct hl_http_resp - the outcome of one request.
 * @status: HTTP status code, 0 when no response arrived.
 * @body:   response body (capped at the client's max_body), NUL-terminated
 *          when non-empty; owned, release with hl_http_resp_free().
 * @error:  "" on a 2xx answer, else a one-line printable reason naming the
 *          method and path. Never contains the password or token.
 */
struct hl_http_resp {
  long status;
  struct hl_buf body;
  char error[256];
};

/**
 * struct hl_http_stats - counters since hl_http_new().
 * @requests: requests performed (a digest challenge round trip counts once).
 * @connects: new connections opened (CURLINFO_NUM_CONNECTS summed); with
 *            keep-alive working, one per target.
 */
struct hl_http_stats {
  uint64_t requests;
  uint64_t connects;
};

struct hl_http;

/**
 * hl_http_new() - load libcurl if needed and create a client with one
 * persistent easy handle.
 * @o:      settings (copied).
 * @out:    the new client; free with hl_http_free().
 * @err:    on failure, why; never contains the password. May be NULL.
 * @errlen: size of @err.
 *
 * Return: 0; -EINVAL (no or bad base URL, credentials in the URL, digest
 * without username, a negative timeout); -ENOSYS (libcurl missing or too
 * old for an option); -ENOMEM.
 */
int hl_http_new(const struct hl_http_opts *o, struct hl_http **out, char *err,
                size_t errlen);

/**
 * hl_http_free() - close the connection, wipe the password, free. NULL is ok.
 * @h: client.
 */
void hl_http_free(struct hl_http *h);

/**
 * hl_http_get() - GET base_url + @path.
 * @h:    client; one request at a time (not thread-safe per client).
 * @path: absolute path ("/tr64desc.xml"), printable ASCII without spaces.
 * @r:    filled in; the caller must call hl_http_resp_free() afterwards,
 *        whatever the result. Need not be initialised.
 *
 * Return: 0 when a response arrived that is not a 401 (check @r->status:
 * a SOAP fault comes as 500 with a body to parse); -EACCES on 401 (wrong
 * credentials: back off); -ETIMEDOUT; -ECONNREFUSED or another -errno of
 * connect(); -EHOSTUNREACH (name not resolved); -E2BIG (body over the cap);
 * -EKEYREJECTED (certificate not trusted or pin mismatch); -EPROTO (not
 * HTTP, TLS handshake failed, connection closed early); -EINVAL (bad
 * @path); -ENOMEM; -EIO (other libcurl failures). @r->error says why.
 */
int hl_http_get(struct hl_http *h, const char *path, struct hl_http_resp *r);

/**
 * hl_http_post() - POST @len bytes of @body to base_url + @path.
 * @h, @path, @r:  as for hl_http_get().
 * @content_type:  Content-Type value (e.g. "text/xml; charset=\"utf-8\"").
 * @soapaction:    SOAPACTION header value, or NULL for none.
 * @body, @len:    request body (not NUL-terminated necessarily).
 *
 * Header values must not contain CR or LF (-EINVAL).
 * Return: as for hl_http_get().
 */
int hl_http_post(struct hl_http *h, const char *path, const char *content_type,
                 const char *soapaction, const void *body, size_t len,
                 struct hl_http_resp *r);

/**
 * hl_http_resp_free() - release @r's body; @r may be reused afterwards.
 * @r: response (zeroed or filled by a request).
 */
void hl_http_resp_free(struct hl_http_resp *r);

/**
 * hl_http_stats() - read the client's counters.
 * @h: client. @s: filled in.
 */
void hl_http_stats(const struct hl_http *h, struct hl_http_stats *s);

/**
 * struct hl_backoff - back-off state of one target; zero it, then set
 * @interval_ms (the read interval) and optionally @max_ms.
 * @interval_ms: base delay.
 * @max_ms:      cap on the delay (0: one hour).
 * @failures:    consecutive failed attempts.
 * @next_ms:     earliest time of the next attempt (0: now).
 */
struct hl_backoff {
  int64_t interval_ms;
  int64_t max_ms;
  unsigned failures;
  int64_t next_ms;
};

/** Default cap of struct hl_backoff: one hour. */
#define HL_BACKOFF_MAX_MS (3600LL * 1000LL)

/**
 * hl_http_backoff_due() - whether an attempt may be made at @now_ms.
 * @b: state. @now_ms: a monotonic clock in milliseconds.
 * Return: true when no back-off is pending or it has expired.
 */
bool hl_http_backoff_due(const struct hl_backoff *b, int64_t now_ms);

/**
 * hl_http_backoff() - record the outcome of an attempt made at @now_ms.
 * @b:      state.
 * @failed: whether the attempt failed (e.g. -EACCES).
 * @now_ms: a monotonic clock in milliseconds.
 *
 * After n consecutive failures the next attempt waits
 * min(interval * 2^n, max) from @now_ms; a success clears the state.
 * Pure: no clock, no I/O.
 * Return: the delay set in milliseconds (0 after a success).
 */
int64_t hl_http_backoff(struct hl_backoff *b, bool failed, int64_t now_ms);

#endif
