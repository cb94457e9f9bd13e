// SPDX-License-Identifier: MIT
/*
 * Unit tests for shared/hl_http.
 *
 * Back-off: a table of failure/success sequences with the delays and due
 * times they must give (doubling, cap, reset, overflow).
 *
 * Client: real I/O. Each case forks a small HTTP/1.1 server (written below:
 * poll() over a listening socket on 127.0.0.1 port 0, or a unix socket, and
 * up to 8 keep-alive connections). Its answer depends on the path:
 * /big/N (N bytes with Content-Length), /bigclose/N (N bytes, no length,
 * then close), /status/N, /hang (never answers); anything else is echoed
 * back as "conn=<accept count> <method> <path> ct=<Content-Type>
 * sa=<SOAPACTION> auth=<ok|none> body=<body>". In digest mode a request
 * without an "Authorization: Digest" header naming username="monitor" gets
 * a 401 challenge (realm "F!Box SOAP-Auth"); in reject mode every request
 * does (a wrong password). Whatever the mode, a request that contains the
 * password in clear gets 400 "LEAK". The digest response itself is not
 * verified here (libcurl computes it; tests/integration/fritz_sim.py checks
 * it end to end).
 */
#include "check_suites.h"
#include "hl_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SECRET "S3cr3t!"

/* ---- back-off ---- */

struct backoff_step {
  bool failed;
  int64_t now;
  int64_t want_delay;
};

static const struct {
  const char *name;
  int64_t interval, max;
  struct backoff_step steps[6];
  int n;
} backoff_cases[] = {
    {"doubles",
     10000,
     0,
     {{true, 0, 20000}, {true, 20000, 40000}, {true, 60000, 80000}},
     3},
    {"capped",
     10000,
     50000,
     {{true, 0, 20000},
      {true, 20000, 40000},
      {true, 60000, 50000},
      {true, 110000, 50000}},
     4},
    {"success resets",
     1000,
     0,
     {{true, 0, 2000},
      {true, 2000, 4000},
      {false, 6000, 0},
      {true, 7000, 2000}},
     4},
    {"default cap is one hour",
     600000,
     0,
     {{true, 0, 1200000},
      {true, 1, 2400000},
      {true, 2, 3600000},
      {true, 3, 3600000}},
     4},
};

START_TEST(test_backoff_table) {
  struct hl_backoff b = {.interval_ms = backoff_cases[_i].interval,
                         .max_ms = backoff_cases[_i].max};
  ck_assert(hl_http_backoff_due(&b, 0));
  for (int s = 0; s < backoff_cases[_i].n; s++) {
    const struct backoff_step *st = &backoff_cases[_i].steps[s];
    int64_t d = hl_http_backoff(&b, st->failed, st->now);
    ck_assert_msg(d == st->want_delay, "%s step %d: delay %lld, want %lld",
                  backoff_cases[_i].name, s, (long long)d,
                  (long long)st->want_delay);
    ck_assert(hl_http_backoff_due(&b, st->now + st->want_delay));
    if (st->failed)
      ck_assert(!hl_http_backoff_due(&b, st->now + st->want_delay - 1));
  }
}
END_TEST

START_TEST(test_backoff_many_failures) {
  struct hl_backoff b = {.interval_ms = 60000};
  int64_t d = 0;
  for (int i = 0; i < 10000; i++)
    d = hl_http_backoff(&b, true, i);
  ck_assert_int_eq(d, HL_BACKOFF_MAX_MS);
  ck_assert_uint_eq(b.failures, 10000);
  ck_assert(!hl_http_backoff_due(&b, 9999));
  ck_assert(hl_http_backoff_due(&b, 9999 + HL_BACKOFF_MAX_MS));
}
END_TEST

/* ---- the forked test server ---- */

enum srv_mode { SRV_OPEN, SRV_DIGEST, SRV_REJECT };

struct srv {
  pid_t pid;
  int port;
  char base[64];
  char sock_path[108];
};

struct conn {
  int fd;
  size_t len;
  char buf[65536];
};

static void write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w <= 0)
      return;
    p += w;
    n -= (size_t)w;
  }
}

/* Value of header @name in @hdr (NUL-terminated header block) into @out. */
static void header_value(const char *hdr, const char *name, char *out,
                         size_t size) {
  out[0] = '\0';
  size_t nl = strlen(name);
  for (const char *p = strstr(hdr, "\r\n"); p != NULL;
       p = strstr(p + 2, "\r\n")) {
    if (strncasecmp(p + 2, name, nl) == 0 && p[2 + nl] == ':') {
      const char *v = p + 3 + nl;
      v += strspn(v, " ");
      size_t vl = strcspn(v, "\r\n");
      snprintf(out, size, "%.*s", (int)(vl < size ? vl : size - 1), v);
      return;
    }
  }
}

static void send_response(int fd, int status, const char *extra,
                          const char *body, size_t len) {
  char head[512];
  int n = snprintf(head, sizeof(head),
                   "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n%s\r\n", status,
                   len, extra);
  write_all(fd, head, (size_t)n);
  write_all(fd, body, len);
}

static void send_big(int fd, size_t n, bool with_length) {
  char head[128];
  int hn = with_length
               ? snprintf(head, sizeof(head),
                          "HTTP/1.1 200 OK\r\nContent-Length: "
                          "%zu\r\n\r\n",
                          n)
               : snprintf(head, sizeof(head),
                          "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
  write_all(fd, head, (size_t)hn);
  char chunk[1024];
  memset(chunk, 'x', sizeof(chunk));
  while (n > 0) {
    size_t k = n < sizeof(chunk) ? n : sizeof(chunk);
    write_all(fd, chunk, k);
    n -= k;
  }
}

static bool authorized(const char *hdr) {
  char auth[1024];
  header_value(hdr, "Authorization", auth, sizeof(auth));
  return strncmp(auth, "Digest ", 7) == 0 &&
         strstr(auth, "username=\"monitor\"") != NULL;
}

#define CHALLENGE                                                              \
  "WWW-Authenticate: Digest realm=\"F!Box SOAP-Auth\", "                       \
  "nonce=\"0123456789ABCDEF\", algorithm=MD5, qop=\"auth\"\r\n"

/* Answers one complete request. Return: false to close the connection. */
static bool answer(int fd, enum srv_mode mode, int nconn, char *req,
                   size_t hlen, size_t blen) {
  char method[16], path[256], ct[128], sa[256];
  req[hlen - 2] = '\0'; /* keep the last header's CRLF for header_value() */
  snprintf(method, sizeof(method), "%.*s", (int)strcspn(req, " "), req);
  const char *p = req + strlen(method) + 1;
  snprintf(path, sizeof(path), "%.*s", (int)strcspn(p, " "), p);
  header_value(req, "Content-Type", ct, sizeof(ct));
  header_value(req, "SOAPACTION", sa, sizeof(sa));
  bool auth_ok = authorized(req);
  const char *rest = strstr(req, "\r\n"); /* after the request line */
  /* (A digest header repeats the URI: a secret in the path is no leak.) */
  if (strstr(path, SECRET) == NULL &&
      memmem(rest, hlen + blen - (size_t)(rest - req), SECRET,
             strlen(SECRET)) != NULL) {
    send_response(fd, 400, "", "LEAK", 4);
  } else if ((mode == SRV_DIGEST && !auth_ok) || mode == SRV_REJECT) {
    send_response(fd, 401, CHALLENGE, "denied", 6);
  } else if (strncmp(path, "/big/", 5) == 0) {
    send_big(fd, strtoul(path + 5, NULL, 10), true);
  } else if (strncmp(path, "/bigclose/", 10) == 0) {
    send_big(fd, strtoul(path + 10, NULL, 10), false);
    return false;
  } else if (strcmp(path, "/hang") == 0) {
    pause();
  } else if (strncmp(path, "/status/", 8) == 0) {
    send_response(fd, (int)strtol(path + 8, NULL, 10), "", "s", 1);
  } else {
    char out[2048];
    int n = snprintf(out, sizeof(out),
                     "conn=%d %s %s ct=%s sa=%s auth=%s "
                     "body=%.*s",
                     nconn, method, path, ct, sa, auth_ok ? "ok" : "none",
                     (int)blen, req + hlen);
    send_response(fd, 200, "", out, (size_t)n);
  }
  return true;
}

/* Reads from @c; answers each complete request. Return: false to close. */
static bool serve_conn(struct conn *c, enum srv_mode mode, int nconn) {
  ssize_t r = read(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
  if (r <= 0)
    return false;
  c->len += (size_t)r;
  c->buf[c->len] = '\0';
  char *end = strstr(c->buf, "\r\n\r\n");
  while (end != NULL) {
    size_t hlen = (size_t)(end - c->buf) + 4;
    char cl[32];
    header_value(c->buf, "Content-Length", cl, sizeof(cl));
    size_t blen = cl[0] != '\0' ? strtoul(cl, NULL, 10) : 0;
    if (c->len < hlen + blen)
      return true;
    if (!answer(c->fd, mode, nconn, c->buf, hlen, blen))
      return false;
    memmove(c->buf, c->buf + hlen + blen, c->len - hlen - blen + 1);
    c->len -= hlen + blen;
    end = strstr(c->buf, "\r\n\r\n");
  }
  return true;
}

static void serve_forever(int lfd, enum srv_mode mode) {
  static struct conn conns[8];
  struct pollfd pf[9];
  int nconn = 0;
  signal(SIGPIPE, SIG_IGN); /* clients abort big bodies */
  for (int i = 0; i < 8; i++)
    conns[i].fd = -1;
  for (;;) {
    pf[0] = (struct pollfd){.fd = lfd, .events = POLLIN};
    for (int i = 0; i < 8; i++)
      pf[i + 1] = (struct pollfd){.fd = conns[i].fd, .events = POLLIN};
    if (poll(pf, 9, -1) < 0)
      _exit(1);
    for (int i = 0; i < 8; i++) {
      if (pf[i + 1].revents != 0 && !serve_conn(&conns[i], mode, nconn)) {
        close(conns[i].fd);
        conns[i].fd = -1;
      }
    }
    if (pf[0].revents & POLLIN) {
      int fd = accept(lfd, NULL, NULL);
      for (int i = 0; fd >= 0 && i < 8; i++) {
        if (conns[i].fd < 0) {
          conns[i] = (struct conn){.fd = fd};
          nconn++;
          fd = -1;
        }
      }
      if (fd >= 0)
        close(fd);
    }
  }
}

static void srv_fork(struct srv *s, int lfd, enum srv_mode mode) {
  ck_assert_int_eq(listen(lfd, 16), 0);
  s->pid = fork();
  ck_assert_int_ge(s->pid, 0);
  if (s->pid == 0)
    serve_forever(lfd, mode);
  close(lfd);
}

static void srv_start(struct srv *s, enum srv_mode mode) {
  *s = (struct srv){.pid = -1};
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ck_assert_int_ge(lfd, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET,
                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
  socklen_t sl = sizeof(sa);
  ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sa, &sl), 0);
  s->port = ntohs(sa.sin_port);
  snprintf(s->base, sizeof(s->base), "http://127.0.0.1:%d", s->port);
  srv_fork(s, lfd, mode);
}

static void srv_start_unix(struct srv *s) {
  *s = (struct srv){.pid = -1};
  snprintf(s->sock_path, sizeof(s->sock_path), "/tmp/hl_http_%d.sock",
           (int)getpid());
  unlink(s->sock_path);
  int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ck_assert_int_ge(lfd, 0);
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", s->sock_path);
  ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
  snprintf(s->base, sizeof(s->base), "http://localhost");
  srv_fork(s, lfd, SRV_OPEN);
}

static void srv_stop(struct srv *s) {
  if (s->pid > 0) {
    kill(s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
  }
  if (s->sock_path[0] != '\0')
    unlink(s->sock_path);
}

/* ---- client cases ---- */

static struct hl_http *client(const struct hl_http_opts *o) {
  struct hl_http *h = NULL;
  char err[256] = "";
  int rc = hl_http_new(o, &h, err, sizeof(err));
  ck_assert_msg(rc == 0, "hl_http_new: %d %s", rc, err);
  return h;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void assert_no_secret(const struct hl_http_resp *r) {
  ck_assert_msg(strstr(r->error, SECRET) == NULL, "secret in \"%s\"", r->error);
}

START_TEST(test_get_post_keepalive) {
  struct srv s;
  srv_start(&s, SRV_OPEN);
  struct hl_http *h = client(&(struct hl_http_opts){.base_url = s.base});
  struct hl_http_resp r;
  ck_assert_int_eq(hl_http_get(h, "/a", &r), 0);
  ck_assert_int_eq(r.status, 200);
  ck_assert_str_eq(r.error, "");
  ck_assert_str_eq(r.body.data, "conn=1 GET /a ct= sa= auth=none body=");
  hl_http_resp_free(&r);
  static const char soap[] = "<s:Envelope/>";
  ck_assert_int_eq(hl_http_post(h, "/upnp/control/x", "text/xml",
                                "urn:dslforum-org:service:X:1#GetInfo", soap,
                                strlen(soap), &r),
                   0);
  ck_assert_str_eq(r.body.data,
                   "conn=1 POST /upnp/control/x ct=text/xml "
                   "sa=urn:dslforum-org:service:X:1#GetInfo auth=none "
                   "body=<s:Envelope/>");
  hl_http_resp_free(&r);
  ck_assert_int_eq(hl_http_get(h, "/b", &r), 0);
  ck_assert_str_eq(r.body.data, "conn=1 GET /b ct= sa= auth=none body=");
  hl_http_resp_free(&r);
  struct hl_http_stats st;
  hl_http_stats(h, &st);
  ck_assert_uint_eq(st.requests, 3);
  ck_assert_uint_eq(st.connects, 1);
  hl_http_free(h);
  srv_stop(&s);
}
END_TEST

/* collectd runs the reads of different targets on parallel read threads:
 * several clients created and used at the same time (the first one loads
 * libcurl through pthread_once). The TSan build of the tests checks this
 * for data races. */
struct par_arg {
  const char *base;
  int ok;
};

static void *par_client(void *p) {
  struct par_arg *a = p;
  struct hl_http *h = NULL;
  char err[256];
  if (hl_http_new(&(struct hl_http_opts){.base_url = a->base}, &h, err,
                  sizeof(err)) != 0)
    return NULL;
  for (int i = 0; i < 20; i++) {
    struct hl_http_resp r;
    if (hl_http_get(h, "/p", &r) == 0 && r.status == 200)
      a->ok++;
    hl_http_resp_free(&r);
  }
  hl_http_free(h);
  return NULL;
}

START_TEST(test_parallel_clients) {
  struct srv s;
  srv_start(&s, SRV_OPEN);
  enum { N = 6 };
  pthread_t t[N];
  struct par_arg a[N];
  for (int i = 0; i < N; i++) {
    a[i] = (struct par_arg){.base = s.base};
    ck_assert_int_eq(pthread_create(&t[i], NULL, par_client, &a[i]), 0);
  }
  for (int i = 0; i < N; i++) {
    ck_assert_int_eq(pthread_join(t[i], NULL), 0);
    ck_assert_int_eq(a[i].ok, 20);
  }
  srv_stop(&s);
}
END_TEST

/* A non-2xx status is a response: 0, the status, an error text. */
START_TEST(test_status) {
  struct srv s;
  srv_start(&s, SRV_OPEN);
  struct hl_http *h = client(&(struct hl_http_opts){.base_url = s.base});
  struct hl_http_resp r;
  ck_assert_int_eq(hl_http_get(h, "/status/500", &r), 0);
  ck_assert_int_eq(r.status, 500);
  ck_assert_str_eq(r.error, "GET /status/500: HTTP 500");
  ck_assert_str_eq(r.body.data, "s");
  hl_http_resp_free(&r);
  ck_assert_int_eq(hl_http_get(h, "/status/401", &r), -EACCES);
  ck_assert_int_eq(r.status, 401);
  hl_http_resp_free(&r);
  hl_http_free(h);
  srv_stop(&s);
}
END_TEST

START_TEST(test_digest) {
  struct srv s;
  srv_start(&s, SRV_DIGEST);
  struct hl_http *h = client(&(struct hl_http_opts){
      .base_url = s.base,
      .auth = HL_HTTP_AUTH_DIGEST,
      .username = "monitor",
      .password = SECRET,
  });
  struct hl_http_resp r;
  static const char soap[] = "<s:Envelope>x</s:Envelope>";
  ck_assert_int_eq(hl_http_post(h, "/upnp/control/deviceinfo", "text/xml",
                                "a#b", soap, strlen(soap), &r),
                   0);
  ck_assert_int_eq(r.status, 200);
  ck_assert_str_eq(r.body.data,
                   "conn=1 POST /upnp/control/deviceinfo ct=text/xml sa=a#b "
                   "auth=ok body=<s:Envelope>x</s:Envelope>");
  hl_http_resp_free(&r);
  ck_assert_int_eq(hl_http_get(h, "/tr64desc.xml", &r), 0);
  ck_assert_str_eq(r.body.data,
                   "conn=1 GET /tr64desc.xml ct= sa= auth=ok body=");
  hl_http_resp_free(&r);
  struct hl_http_stats st;
  hl_http_stats(h, &st);
  ck_assert_uint_eq(st.connects, 1);
  hl_http_free(h);

  /* Without credentials: the 401 is an authentication failure. */
  h = client(&(struct hl_http_opts){.base_url = s.base});
  ck_assert_int_eq(hl_http_get(h, "/x", &r), -EACCES);
  ck_assert_int_eq(r.status, 401);
  ck_assert_str_eq(r.error, "GET /x: HTTP 401: authentication failed");
  hl_http_resp_free(&r);
  hl_http_free(h);
  srv_stop(&s);
}
END_TEST

/* A wrong password: -EACCES, and the secret appears in no error text, not
 * even when the path itself carries it. */
START_TEST(test_reject_no_secret) {
  struct srv s;
  srv_start(&s, SRV_REJECT);
  struct hl_http *h = client(&(struct hl_http_opts){
      .base_url = s.base,
      .auth = HL_HTTP_AUTH_DIGEST,
      .username = "monitor",
      .password = SECRET,
      .timeout_ms = 1000,
  });
  struct hl_http_resp r;
  for (int i = 0; i < 2; i++) {
    ck_assert_int_eq(hl_http_post(h, "/ctl", "text/xml", "a#b", "<x/>", 4, &r),
                     -EACCES);
    ck_assert_int_eq(r.status, 401);
    assert_no_secret(&r);
    hl_http_resp_free(&r);
  }
  ck_assert_int_eq(hl_http_get(h, "/" SECRET, &r), -EACCES);
  assert_no_secret(&r);
  ck_assert_str_eq(r.error, "GET /*******: HTTP 401: authentication failed");
  hl_http_resp_free(&r);
  hl_http_free(h);
  srv_stop(&s);

  /* Transport errors with credentials set: refused and timed out. */
  h = client(&(struct hl_http_opts){
      .base_url = s.base,
      .auth = HL_HTTP_AUTH_DIGEST,
      .username = "monitor",
      .password = SECRET,
      .timeout_ms = 300,
  });
  ck_assert_int_eq(hl_http_get(h, "/" SECRET, &r), -ECONNREFUSED);
  assert_no_secret(&r);
  hl_http_resp_free(&r);
  hl_http_free(h);
}
END_TEST

START_TEST(test_body_cap) {
  struct srv s;
  srv_start(&s, SRV_OPEN);
  struct hl_http *h =
      client(&(struct hl_http_opts){.base_url = s.base, .max_body = 1000});
  struct hl_http_resp r;
  ck_assert_int_eq(hl_http_get(h, "/big/1000", &r), 0);
  ck_assert_uint_eq(r.body.len, 1000);
  hl_http_resp_free(&r);
  ck_assert_int_eq(hl_http_get(h, "/big/1001", &r), -E2BIG);
  ck_assert_str_eq(r.error, "GET /big/1001: response larger than 1000 bytes");
  ck_assert_uint_eq(r.body.len, 0);
  hl_http_resp_free(&r);
  ck_assert_int_eq(hl_http_get(h, "/bigclose/200000", &r), -E2BIG);
  hl_http_resp_free(&r);
  /* The handle still works afterwards. */
  ck_assert_msg(hl_http_get(h, "/ok", &r) == 0, "%s", r.error);
  ck_assert_int_eq(r.status, 200);
  hl_http_resp_free(&r);
  hl_http_free(h);
  srv_stop(&s);
}
END_TEST

START_TEST(test_timeout_hung_server) {
  struct srv s;
  srv_start(&s, SRV_OPEN);
  struct hl_http *h = client(&(struct hl_http_opts){
      .base_url = s.base, .timeout_ms = 300, .password = SECRET});
  struct hl_http_resp r;
  int64_t t0 = now_ms();
  ck_assert_int_eq(hl_http_get(h, "/hang", &r), -ETIMEDOUT);
  int64_t took = now_ms() - t0;
  ck_assert_msg(took >= 250 && took < 2000, "took %lld ms", (long long)took);
  ck_assert_str_eq(r.error, "GET /hang: no answer within 300 ms");
  hl_http_resp_free(&r);
  hl_http_free(h);
  srv_stop(&s);
}
END_TEST

START_TEST(test_refused) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET,
                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
  socklen_t sl = sizeof(sa);
  ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
  close(fd); /* nobody listens on that port now */
  char base[64];
  snprintf(base, sizeof(base), "http://127.0.0.1:%d", ntohs(sa.sin_port));
  struct hl_http *h = client(&(struct hl_http_opts){.base_url = base});
  struct hl_http_resp r;
  ck_assert_int_eq(hl_http_get(h, "/x", &r), -ECONNREFUSED);
  ck_assert_int_eq(r.status, 0);
  ck_assert(strncmp(r.error, "GET /x: ", 8) == 0);
  hl_http_resp_free(&r);
  hl_http_free(h);
}
END_TEST

START_TEST(test_unix_socket) {
  struct srv s;
  srv_start_unix(&s);
  struct hl_http *h = client(
      &(struct hl_http_opts){.base_url = s.base, .unix_socket = s.sock_path});
  struct hl_http_resp r;
  for (int i = 0; i < 2; i++) {
    ck_assert_int_eq(hl_http_get(h, "/containers/json", &r), 0);
    ck_assert_str_eq(r.body.data,
                     "conn=1 GET /containers/json ct= sa= auth=none body=");
    hl_http_resp_free(&r);
  }
  hl_http_free(h);
  srv_stop(&s);
}
END_TEST

/* Bad options and requests are refused before any I/O. */
START_TEST(test_invalid) {
  static const struct hl_http_opts bad[] = {
      {.base_url = NULL},
      {.base_url = "ftp://x"},
      {.base_url = "http://user:" SECRET "@host/"},
      {.base_url = "http://h st"},
      {.base_url = "http://h", .timeout_ms = -1},
      {.base_url = "http://h", .auth = HL_HTTP_AUTH_DIGEST, .password = "p"},
      {.base_url = "http://h", .auth = HL_HTTP_AUTH_BEARER},
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    struct hl_http *h = NULL;
    char err[256] = "";
    ck_assert_int_eq(hl_http_new(&bad[i], &h, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_null(h);
    ck_assert_str_ne(err, "");
    ck_assert(strstr(err, SECRET) == NULL);
  }
  struct hl_http *h = client(&(struct hl_http_opts){.base_url = "http://h"});
  struct hl_http_resp r;
  static const char *const paths[] = {"x", "/a b", "/a\r\nX: y", ""};
  for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
    ck_assert_int_eq(hl_http_get(h, paths[i], &r), -EINVAL);
    hl_http_resp_free(&r);
  }
  ck_assert_int_eq(hl_http_post(h, "/a", "text/xml\r\nX: y", NULL, "", 0, &r),
                   -EINVAL);
  hl_http_resp_free(&r);
  ck_assert_int_eq(hl_http_post(h, "/a", "text/xml", "a\nb", "", 0, &r),
                   -EINVAL);
  hl_http_resp_free(&r);
  hl_http_free(h);
}
END_TEST

/* ---- TLS against `openssl s_server -www` with a certificate made here ---- */

/* Runs a shell command; Return: its exit status, -1 if it did not exit. */
static int run(const char *cmd) {
  int st = system(cmd);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET,
                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
  socklen_t sl = sizeof(sa);
  ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
  close(fd);
  return ntohs(sa.sin_port);
}

static int tls_get(const char *base, const char *ca, const char *pin,
                   bool insecure) {
  struct hl_http *h = client(&(struct hl_http_opts){
      .base_url = base,
      .ca_file = ca,
      .pinned_pubkey = pin,
      .skip_verify_peer = insecure,
      .skip_verify_host = insecure,
      .timeout_ms = 2000,
  });
  struct hl_http_resp r;
  int rc = hl_http_get(h, "/", &r);
  if (rc == 0)
    ck_assert_int_eq(r.status, 200);
  hl_http_resp_free(&r);
  hl_http_free(h);
  return rc;
}

START_TEST(test_tls) {
  char dir[] = "/tmp/hl_http_tlsXXXXXX", cmd[1024], pin[128] = "sha256//";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  snprintf(cmd, sizeof(cmd),
           "cd %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:"
           "prime256v1 -nodes -keyout k.pem -out c.pem -days 1 -subj "
           "/CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null && "
           "openssl x509 -in c.pem -pubkey -noout | openssl pkey -pubin "
           "-outform der | openssl dgst -sha256 -binary | base64 > pin",
           dir);
  if (run(cmd) != 0) {
    fprintf(stderr, "test_tls: openssl CLI unusable, skipped\n");
    return;
  }
  char path[128];
  snprintf(path, sizeof(path), "%s/pin", dir);
  FILE *f = fopen(path, "r");
  ck_assert_ptr_nonnull(f);
  ck_assert_ptr_nonnull(fgets(pin + 8, sizeof(pin) - 8, f));
  fclose(f);
  pin[strcspn(pin, "\n")] = '\0';
  int port = free_port();
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    char acc[32];
    snprintf(acc, sizeof(acc), "127.0.0.1:%d", port);
    ck_assert_int_eq(chdir(dir), 0);
    execlp("openssl", "openssl", "s_server", "-quiet", "-accept", acc, "-cert",
           "c.pem", "-key", "k.pem", "-www", (char *)NULL);
    _exit(127);
  }
  char base[64], ca[128];
  snprintf(base, sizeof(base), "https://127.0.0.1:%d", port);
  snprintf(ca, sizeof(ca), "%s/c.pem", dir);
  int rc = -ECONNREFUSED;
  for (int i = 0; i < 100 && rc == -ECONNREFUSED; i++) {
    rc = tls_get(base, ca, NULL, false);
    if (rc == -ECONNREFUSED)
      nanosleep(&(struct timespec){.tv_nsec = 20 * 1000 * 1000}, NULL);
  }
  ck_assert_int_eq(rc, 0);
  ck_assert_int_eq(tls_get(base, NULL, NULL, false), -EKEYREJECTED);
  ck_assert_int_eq(tls_get(base, ca, pin, false), 0);
  ck_assert_int_eq(tls_get(base, NULL, pin, true), 0);
  ck_assert_int_eq(
      tls_get(base, NULL,
              "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", true),
      -EKEYREJECTED);
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
  run(cmd);
}
END_TEST

Suite *hl_http_suite(void) {
  Suite *s = suite_create("hl_http");
  TCase *tc = tcase_create("backoff");
  tcase_add_loop_test(tc, test_backoff_table, 0, ARRAY_SIZE(backoff_cases));
  tcase_add_test(tc, test_backoff_many_failures);
  suite_add_tcase(s, tc);
  tc = tcase_create("client");
  tcase_set_timeout(tc, 10);
  tcase_add_test(tc, test_get_post_keepalive);
  tcase_add_test(tc, test_status);
  tcase_add_test(tc, test_parallel_clients);
  tcase_add_test(tc, test_digest);
  tcase_add_test(tc, test_reject_no_secret);
  tcase_add_test(tc, test_body_cap);
  tcase_add_test(tc, test_timeout_hung_server);
  tcase_add_test(tc, test_refused);
  tcase_add_test(tc, test_unix_socket);
  tcase_add_test(tc, test_invalid);
  tcase_add_test(tc, test_tls);
  suite_add_tcase(s, tc);
  return s;
}
