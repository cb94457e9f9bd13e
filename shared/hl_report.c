// SPDX-License-Identifier: MIT
/*
 * hl_report: writers for the port inventory.
 *
 * Data flow: a struct hl_port_report (from hl_ports_collect() or built by a
 * test) goes in, bytes come out in a capped struct hl_buf; nothing here does
 * I/O except hl_write_atomic(), which puts such a buffer on disk.
 *
 * JSON is produced by yajl's generator through a print callback that
 * appends to the buffer. yajl escapes quotes, backslashes and control
 * characters but passes other bytes through, so every string is first
 * checked as UTF-8 and, when needed, rewritten with U+FFFD for each invalid
 * byte: a process name with any bytes still gives valid JSON.
 *
 * HTML is one page: static CSS and script (the script's SHA-256 is pinned
 * in the Content Security Policy, so nothing else can run even if a value
 * slipped through) around a table built row by row, where every value goes
 * through hl_html_escape(). The table is complete without the script; the
 * script only adds sorting and filtering.
 */
#include "hl_report.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

/* ---- UTF-8 ---- */

/*
 * Length of the well-formed UTF-8 sequence at @p (1-4), or 0 if the bytes
 * there are not one (stray continuation byte, overlong form, surrogate,
 * beyond U+10FFFF, truncated). Never reads more than @avail bytes.
 */

static bool utf8_valid(const char *s, size_t len) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  while (i < len) {
    size_t n = hl_utf8_seq_len(p + i, len - i);
    if (n == 0)
      return false;
    i += n;
  }
  return true;
}

static const char utf8_replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

int hl_report_sanitize_utf8(struct hl_buf *out, const char *s, size_t len) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  while (i < len) {
    size_t n = hl_utf8_seq_len(p + i, len - i);
    int rc = n == 0 ? hl_buf_append(out, utf8_replacement, 3)
                    : hl_buf_append(out, p + i, n);
    if (rc != 0)
      return rc;
    i += n == 0 ? 1 : n;
  }
  return 0;
}

/* ---- shared helpers ---- */

static const char *proto_name(uint8_t proto) {
  if (proto == IPPROTO_UDP)
    return "udp";
  return proto == IPPROTO_SCTP ? "sctp" : "tcp";
}

static const char *rec_status(const struct hl_port_rec *r) {
  if (!r->has_socket)
    return "PUBLISHED";
  return r->s.proto == IPPROTO_UDP ? "UNCONN" : "LISTEN";
}

static const char *method_name(enum hl_sd_method m) {
  switch (m) {
  case HL_SD_NETLINK:
    return "netlink";
  case HL_SD_PROCFS:
    return "procfs";
  }
  return NULL;
}

static bool rec_matched(const struct hl_port_rec *r) {
  return r->ctr_name != NULL || r->ctr_id != NULL;
}

static size_t containers_published(const struct hl_docker *d) {
  size_t k = 0;
  for (size_t i = 0; i < d->n; i++) {
    for (size_t j = 0; j < d->c[i].nports; j++) {
      if (d->c[i].ports[j].public_port != 0) {
        k++;
        break;
      }
    }
  }
  return k;
}

static void iso8601(time_t t, char *buf, size_t len) {
  struct tm tm;
  if (gmtime_r(&t, &tm) == NULL ||
      strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    hl_str_copy(buf, len, "1970-01-01T00:00:00Z");
}

static const struct {
  unsigned bit;
  const char *name;
} finding_names[] = {
    {HL_FIND_UNEXPECTED, "unexpected"},
    {HL_FIND_EPHEMERAL, "ephemeral"},
    {HL_FIND_WILDCARD, "wildcard"},
};

#define N_FINDINGS (sizeof(finding_names) / sizeof(finding_names[0]))

size_t hl_report_violations(const struct hl_port_report *rep,
                            const struct hl_policy *policy) {
  if (policy == NULL)
    return 0;
  size_t n = 0;
  for (size_t i = 0; i < rep->n; i++)
    if (rep->r[i].findings != 0)
      n++;
  for (size_t i = 0; i < policy->nwatch; i++)
    if (!hl_policy_watch_listening(&policy->watch[i], rep, NULL))
      n++;
  return n;
}

/* ---- JSON ---- */

/*
 * Generator state: @err keeps the first failure (yajl's print callback
 * cannot return one); @tmp holds a sanitised copy of a string.
 */
struct jctx {
  yajl_gen g;
  struct hl_buf *out;
  struct hl_buf tmp;
  int err;
};

static void j_print(void *ctx, const char *s, size_t n) {
  struct jctx *jc = ctx;
  if (jc->err != 0)
    return;
  jc->err = hl_buf_append(jc->out, s, n);
}

static void j_status(struct jctx *jc, yajl_gen_status st) {
  if (st != yajl_gen_status_ok && jc->err == 0)
    jc->err = -EINVAL;
}

static void j_str(struct jctx *jc, const char *s) {
  if (s == NULL) {
    j_status(jc, yajl_gen_null(jc->g));
    return;
  }
  size_t len = strlen(s);
  if (!utf8_valid(s, len)) {
    hl_buf_reset(&jc->tmp);
    int rc = hl_report_sanitize_utf8(&jc->tmp, s, len);
    if (rc != 0) {
      jc->err = jc->err != 0 ? jc->err : rc;
      return;
    }
    s = jc->tmp.data;
    len = jc->tmp.len;
  }
  j_status(jc, yajl_gen_string(jc->g, (const unsigned char *)s, len));
}

static void j_key(struct jctx *jc, const char *key) { j_str(jc, key); }

static void kv_str(struct jctx *jc, const char *key, const char *s) {
  j_key(jc, key);
  j_str(jc, s);
}

static void kv_int(struct jctx *jc, const char *key, long long v) {
  j_key(jc, key);
  j_status(jc, yajl_gen_integer(jc->g, v));
}

/* @v when @known, else null. */
static void kv_int_or_null(struct jctx *jc, const char *key, long long v,
                           bool known) {
  j_key(jc, key);
  j_status(jc, known ? yajl_gen_integer(jc->g, v) : yajl_gen_null(jc->g));
}

static void kv_bool(struct jctx *jc, const char *key, bool v) {
  j_key(jc, key);
  j_status(jc, yajl_gen_bool(jc->g, v));
}

static void j_open(struct jctx *jc, const char *key) {
  if (key != NULL)
    j_key(jc, key);
  j_status(jc, yajl_gen_map_open(jc->g));
}

static void j_close(struct jctx *jc) {
  j_status(jc, yajl_gen_map_close(jc->g));
}

static void json_docker_fields(struct jctx *jc, const struct hl_port_rec *r) {
  kv_str(jc, "docker_container_name", r->ctr_name);
  kv_str(jc, "docker_container_id", r->ctr_id);
  kv_str(jc, "docker_image", r->ctr_image);
  kv_str(jc, "docker_port_spec", r->ctr_spec[0] != '\0' ? r->ctr_spec : NULL);
  kv_int_or_null(jc, "docker_container_port", r->ctr_port, r->ctr_port != 0);
}

/*
 * An empty array as "[]": yajl's beautifier would print "[", two newlines
 * and "]". yajl_gen_number() emits its text verbatim as one value.
 */
static void j_empty_array(struct jctx *jc) {
  j_status(jc, yajl_gen_number(jc->g, "[]", 2));
}

static void json_findings(struct jctx *jc, unsigned findings) {
  j_key(jc, "findings");
  if (findings == 0) {
    j_empty_array(jc);
    return;
  }
  j_status(jc, yajl_gen_array_open(jc->g));
  for (size_t i = 0; i < N_FINDINGS; i++)
    if (findings & finding_names[i].bit)
      j_str(jc, finding_names[i].name);
  j_status(jc, yajl_gen_array_close(jc->g));
}

/*
 * @backlog_known: the listing came over netlink; /proc/net/tcp does not
 * show a listener's backlog limit, so it is null then.
 */
static void json_rec(struct jctx *jc, const struct hl_port_rec *r,
                     bool backlog_known) {
  char ip[64];
  hl_sock_addr_str(&r->s, ip, sizeof(ip));
  bool sock = r->has_socket;
  j_open(jc, NULL);
  kv_str(jc, "proto", proto_name(r->s.proto));
  kv_str(jc, "ip", ip);
  kv_int(jc, "port", r->s.port);
  kv_str(jc, "status", rec_status(r));
  kv_int_or_null(jc, "pid", r->pid, r->pid > 0);
  kv_str(jc, "user", r->pid > 0 ? r->user : NULL);
  kv_str(jc, "process", r->pid > 0 ? r->process : NULL);
  kv_str(jc, "cmdline", r->pid > 0 ? r->cmdline : NULL);
  if (rec_matched(r))
    json_docker_fields(jc, r);
  kv_str(jc, "family", r->s.family == AF_INET6 ? "ipv6" : "ipv4");
  kv_int_or_null(jc, "inode", (long long)r->s.inode, sock);
  kv_int_or_null(jc, "uid", r->s.uid, sock);
  kv_int_or_null(jc, "backlog", r->s.backlog,
                 sock && backlog_known && r->s.proto == IPPROTO_TCP);
  kv_bool(jc, "in_ephemeral_range", r->ephemeral);
  kv_bool(jc, "wildcard", r->wildcard);
  kv_bool(jc, "host_socket", sock);
  json_findings(jc, r->findings);
  j_close(jc);
}

static void json_docker(struct jctx *jc, const struct hl_port_report *rep,
                        const struct hl_report_meta *m) {
  const struct hl_docker *d = &rep->docker;
  bool ok = rep->docker_checked && d->available;
  const char *err = NULL;
  if (!rep->docker_checked)
    err = "Docker check disabled";
  else if (!d->available)
    err = d->error[0] != '\0' ? d->error : "Docker engine unavailable";
  j_open(jc, "docker");
  kv_bool(jc, "available", ok);
  kv_str(jc, "error", err);
  kv_int(jc, "containers_total", ok ? (long long)d->n : 0);
  kv_int(jc, "containers_with_published_ports",
         ok ? (long long)containers_published(d) : 0);
  kv_str(jc, "socket", rep->docker_checked ? m->docker_socket : NULL);
  kv_bool(jc, "checked", rep->docker_checked);
  j_close(jc);
}

static void json_policy(struct jctx *jc, const struct hl_port_report *rep,
                        const struct hl_policy *p) {
  j_open(jc, "policy");
  kv_int(jc, "violations", (long long)hl_report_violations(rep, p));
  j_key(jc, "watched_not_listening");
  size_t missing = 0;
  for (size_t i = 0; i < p->nwatch; i++)
    if (!hl_policy_watch_listening(&p->watch[i], rep, NULL))
      missing++;
  if (missing == 0) {
    j_empty_array(jc);
    j_close(jc);
    return;
  }
  j_status(jc, yajl_gen_array_open(jc->g));
  for (size_t i = 0; i < p->nwatch; i++) {
    const struct hl_policy_rule *w = &p->watch[i];
    if (hl_policy_watch_listening(w, rep, NULL))
      continue;
    j_open(jc, NULL);
    kv_str(jc, "proto", proto_name(w->proto));
    kv_int(jc, "port", w->lo);
    kv_str(jc, "ip", w->addr[0] != '\0' ? w->addr : NULL);
    j_close(jc);
  }
  j_status(jc, yajl_gen_array_close(jc->g));
  j_close(jc);
}

static void json_head(struct jctx *jc, const struct hl_port_report *rep,
                      const struct hl_report_meta *m) {
  char when[32];
  iso8601(rep->generated_at, when, sizeof(when));
  bool range = rep->eph_low != 0 || rep->eph_high != 0;
  kv_str(jc, "schema_version", HL_REPORT_SCHEMA);
  kv_str(jc, "script_version", m->version);
  kv_str(jc, "host", rep->host);
  kv_str(jc, "generated_at", when);
  j_open(jc, "ip_local_port_range");
  kv_int_or_null(jc, "low", rep->eph_low, range);
  kv_int_or_null(jc, "high", rep->eph_high, range);
  j_close(jc);
  json_docker(jc, rep, m);
  j_open(jc, "collection");
  kv_str(jc, "method", method_name(rep->method));
  j_close(jc);
}

static void json_doc(struct jctx *jc, const struct hl_port_report *rep,
                     const struct hl_report_meta *m) {
  j_open(jc, NULL);
  json_head(jc, rep, m);
  j_key(jc, "ports");
  if (rep->n == 0) {
    j_empty_array(jc);
  } else {
    j_status(jc, yajl_gen_array_open(jc->g));
    for (size_t i = 0; i < rep->n && jc->err == 0; i++)
      json_rec(jc, &rep->r[i], rep->method == HL_SD_NETLINK);
    j_status(jc, yajl_gen_array_close(jc->g));
  }
  if (m->policy != NULL)
    json_policy(jc, rep, m->policy);
  j_close(jc);
}

int hl_report_json_meta(const struct hl_port_report *rep,
                        const struct hl_report_meta *meta, struct hl_buf *out) {
  struct hl_report_meta none = {0};
  if (meta == NULL)
    meta = &none;
  struct jctx jc = {.out = out};
  /* A sanitised string has to fit in the output anyway. */
  hl_buf_init(&jc.tmp, out->max);
  jc.g = yajl_gen_alloc(NULL);
  if (jc.g == NULL)
    return -ENOMEM;
  yajl_gen_config(jc.g, yajl_gen_print_callback, j_print, &jc);
  yajl_gen_config(jc.g, yajl_gen_validate_utf8, 0);
  if (meta->pretty) {
    yajl_gen_config(jc.g, yajl_gen_beautify, 1);
    yajl_gen_config(jc.g, yajl_gen_indent_string, "  ");
  }
  json_doc(&jc, rep, meta);
  yajl_gen_free(jc.g);
  hl_buf_free(&jc.tmp);
  /* yajl ends a beautified document with a newline, a compact one not. */
  if (jc.err == 0 && (out->len == 0 || out->data[out->len - 1] != '\n'))
    jc.err = hl_buf_append(out, "\n", 1);
  return jc.err;
}

int hl_report_json(const struct hl_port_report *rep, const char *version,
                   bool pretty, struct hl_buf *out) {
  struct hl_report_meta m = {.version = version, .pretty = pretty};
  return hl_report_json_meta(rep, &m, out);
}

/* ---- HTML escaping ---- */

/*
 * Replacement for one ASCII byte, or NULL to copy it as is. Control
 * characters are shown C-style ("\n", "\t", "\x01"), as the JSON and the
 * journal show them, in any font.
 */
static const char *html_ascii(unsigned char c, char ctl[5]) {
  switch (c) {
  case '&':
    return "&amp;";
  case '<':
    return "&lt;";
  case '>':
    return "&gt;";
  case '"':
    return "&quot;";
  case '\'':
    return "&#39;";
  case '\n':
    return "\\n";
  case '\t':
    return "\\t";
  case '\r':
    return "\\r";
  }
  if (c >= 0x20 && c != 0x7f)
    return NULL;
  static const char hex[] = "0123456789abcdef";
  ctl[0] = '\\';
  ctl[1] = 'x';
  ctl[2] = hex[c >> 4];
  ctl[3] = hex[c & 0xf];
  ctl[4] = '\0';
  return ctl;
}

int hl_html_escape(struct hl_buf *out, const char *s) {
  if (s == NULL)
    return 0;
  const unsigned char *p = (const unsigned char *)s;
  size_t len = strlen(s);
  size_t run = 0; /* start of bytes to copy unchanged */
  size_t i = 0;
  while (i < len) {
    char ctl[5];
    size_t n = 1;
    const char *rep = NULL;
    if (p[i] < 0x80) {
      rep = html_ascii(p[i], ctl);
    } else {
      n = hl_utf8_seq_len(p + i, len - i);
      rep = n == 0 ? utf8_replacement : NULL;
      n = n == 0 ? 1 : n;
    }
    if (rep != NULL) {
      int rc = hl_buf_append(out, p + run, i - run);
      if (rc == 0)
        rc = hl_buf_append(out, rep, strlen(rep));
      if (rc != 0)
        return rc;
      run = i + n;
    }
    i += n;
  }
  return hl_buf_append(out, p + run, len - run);
}

/* ---- HTML page ---- */

/* Page writer: @err keeps the first failure so calls can be chained. */
struct hctx {
  struct hl_buf *out;
  int err;
};

static void h_raw(struct hctx *h, const char *s) {
  if (h->err == 0)
    h->err = hl_buf_append(h->out, s, strlen(s));
}

static void h_esc(struct hctx *h, const char *s) {
  if (h->err == 0)
    h->err = hl_html_escape(h->out, s);
}

__attribute__((format(printf, 2, 3))) static void h_fmt(struct hctx *h,
                                                        const char *fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof(buf)) {
    h->err = h->err != 0 ? h->err : -EINVAL;
    return;
  }
  h_raw(h, buf);
}

static const char page_css[] =
    ":root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--soft:#f6f8fa;"
    "--bg:#fff;--accent:#0969da;--bad:#c62828;--badbg:#ffebe9;"
    "--badline:#ffcecb;--ok:#1a7f37;--okbg:#dafbe1}\n"
    "*{box-sizing:border-box}\n"
    "[hidden]{display:none!important}\n"
    "body{margin:0;background:var(--soft);color:var(--fg);"
    "font:14px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,"
    "\"Noto Sans\",\"Liberation Sans\",\"DejaVu Sans\",Arial,sans-serif}\n"
    "main{max-width:1440px;margin:0 auto;padding:24px 32px 40px}\n"
    "h1{font-size:24px;font-weight:650;margin:0 0 4px;letter-spacing:-.01em}\n"
    "h1 .host{color:var(--accent)}\n"
    ".meta{color:var(--muted);margin:0 0 20px}\n"
    ".cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,"
    "1fr));gap:12px;margin:0 0 14px}\n"
    ".card{background:var(--bg);border:1px solid var(--line);"
    "border-radius:10px;padding:12px 16px}\n"
    ".card .n{display:block;font-size:26px;font-weight:650;line-height:1.2;"
    "font-variant-numeric:tabular-nums}\n"
    ".card .l{display:block;color:var(--muted);font-size:12px;"
    "font-weight:600;text-transform:uppercase;letter-spacing:.05em}\n"
    ".card .sub{display:block;color:var(--muted);font-size:12.5px}\n"
    ".card.bad{background:var(--badbg);border-color:var(--badline)}\n"
    ".card.bad .n{color:var(--bad)}\n"
    ".card.good .n{color:var(--ok)}\n"
    ".status{display:flex;flex-wrap:wrap;gap:6px 18px;margin:0 0 18px;"
    "color:var(--muted)}\n"
    ".dot{display:inline-block;width:8px;height:8px;border-radius:50%;"
    "margin-right:6px;vertical-align:1px;background:#8c959f}\n"
    ".dot.ok{background:var(--ok)}.dot.bad{background:var(--bad)}\n"
    ".alert{background:var(--badbg);border:1px solid var(--badline);"
    "border-radius:10px;padding:10px 16px;margin:0 0 18px}\n"
    ".alert ul{display:inline;margin:0;padding:0 0 0 6px}\n"
    ".alert li{display:inline}\n"
    ".alert li+li::before{content:\", \"}\n"
    ".tools{display:flex;flex-wrap:wrap;align-items:center;gap:10px 18px;"
    "margin:0 0 12px}\n"
    ".tools input[type=search]{flex:0 1 340px;font:inherit;padding:7px 12px;"
    "border:1px solid var(--line);border-radius:8px;background:var(--bg);"
    "color:inherit}\n"
    ".tools input[type=search]:focus{outline:2px solid var(--accent);"
    "outline-offset:-1px}\n"
    ".tools label{display:inline-flex;align-items:center;gap:6px;"
    "cursor:pointer}\n"
    ".tools .shown{margin-left:auto;color:var(--muted)}\n"
    ".wrap{background:var(--bg);border:1px solid var(--line);"
    "border-radius:10px;overflow-x:auto}\n"
    "table{border-collapse:collapse;width:100%}\n"
    "th,td{padding:8px 10px;text-align:left;vertical-align:baseline;"
    "border-bottom:1px solid #eaeef2}\n"
    "tbody tr:last-child td{border-bottom:0}\n"
    "tbody tr:hover td{background:#f6f8fa}\n"
    "th{background:#f6f8fa;"
    "border-bottom:1px solid var(--line);color:var(--muted);font-size:12px;"
    "font-weight:600;text-transform:uppercase;letter-spacing:.05em;"
    "white-space:nowrap}\n"
    "th button{all:unset;cursor:pointer}\n"
    "th button:focus-visible{outline:2px solid var(--accent)}\n"
    "th[aria-sort=ascending] button::after{content:\" \\25B2\";"
    "font-size:9px}\n"
    "th[aria-sort=descending] button::after{content:\" \\25BC\";"
    "font-size:9px}\n"
    ".num{text-align:right;font-variant-numeric:tabular-nums}\n"
    ".mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"
    "\"DejaVu Sans Mono\",\"Liberation Mono\",monospace;font-size:12.5px}\n"
    "td.cmd{overflow-wrap:anywhere;color:#424a53}\n"
    "[data-js] td.cmd span{display:block;max-width:38ch;white-space:nowrap;"
    "overflow:hidden;text-overflow:ellipsis;cursor:pointer}\n"
    "[data-js] td.cmd.open span{white-space:normal}\n"
    "td.proc{font-weight:600}\n"
    "td.proc span{display:block;max-width:16ch;white-space:nowrap;"
    "overflow:hidden;text-overflow:ellipsis}\n"
    "td.nw{white-space:nowrap}\n"
    ".muted{color:var(--muted)}\n"
    ".sub{display:block;color:var(--muted);font-size:12px}\n"
    ".sub .mono{font-size:11.5px;white-space:nowrap}\n"
    "tr.finding td{background:#fff6f5}\n"
    "tr.finding td:first-child{box-shadow:inset 3px 0 0 var(--bad)}\n"
    ".pill{display:inline-block;padding:0 8px;border-radius:999px;"
    "font-size:12px;font-weight:600;line-height:20px;white-space:nowrap;"
    "margin:0 4px 2px 0}\n"
    ".p-tcp{background:#ddf4ff;color:#0550ae}\n"
    ".p-udp{background:#fbefff;color:#6f42c1}\n"

    ".b-bad{background:var(--badbg);color:var(--bad);"
    "box-shadow:inset 0 0 0 1px var(--badline)}\n"
    ".b-info{background:none;color:var(--muted);"
    "box-shadow:inset 0 0 0 1px var(--line)}\n"
    ".b-pub{background:#fff8c5;color:#7d4e00}\n"
    ".empty{text-align:center;color:var(--muted);padding:28px}\n"
    "footer{color:var(--muted);font-size:12px;margin-top:14px}\n";

/*
 * Sorting and filtering. The URL may carry "#q=TEXT&sort=COLUMN[-desc]"
 * (a link to a filtered, sorted view; COLUMN is a header, e.g. "pid").
 * The CSP in the page pins this text's SHA-256
 * (page_script_hash): after any change here, update the hash
 * (tests/cli/run checks it against the page, tests/cli/html_chromium.sh
 * checks that the script runs).
 */
static const char page_script[] =
    "\n(function () {\n"
    "  \"use strict\";\n"
    "  var table = document.getElementById(\"ports\");\n"
    "  var body = table.tBodies[0];\n"
    "  var rows = Array.prototype.slice.call(\n"
    "    body.querySelectorAll(\"tr[data-proto]\"));\n"
    "  var q = document.getElementById(\"q\");\n"
    "  var only = document.getElementById(\"f-find\");\n"
    "  var shown = document.getElementById(\"shown\");\n"
    "  var protos = {tcp: document.getElementById(\"f-tcp\"),\n"
    "                udp: document.getElementById(\"f-udp\")};\n"
    "  var coll = new Intl.Collator(undefined, {numeric: true});\n"
    "  rows.forEach(function (r, i) {\n"
    "    r.dataset.i = i;\n"
    "    r.dataset.text = r.textContent.toLowerCase();\n"
    "  });\n"
    "  function filter() {\n"
    "    var needle = q.value.trim().toLowerCase();\n"
    "    var n = 0;\n"
    "    rows.forEach(function (r) {\n"
    "      var box = protos[r.dataset.proto];\n"
    "      var ok = (!box || box.checked) &&\n"
    "        (!only.checked || r.classList.contains(\"finding\")) &&\n"
    "        r.dataset.text.indexOf(needle) !== -1;\n"
    "      r.hidden = !ok;\n"
    "      n += ok ? 1 : 0;\n"
    "    });\n"
    "    shown.textContent = (n === rows.length ? \"\" : n + \" of \") +\n"
    "      rows.length + (rows.length === 1 ? \" row\" : \" rows\");\n"
    "  }\n"
    "  function key(r, col, num) {\n"
    "    var c = r.cells[col];\n"
    "    var k = c.hasAttribute(\"data-k\") ? c.getAttribute(\"data-k\")\n"
    "                                     : c.textContent;\n"
    "    if (!num) return k;\n"
    "    var v = parseFloat(k);\n"
    "    return isNaN(v) ? Infinity : v;\n"
    "  }\n"
    "  function sort(th) {\n"
    "    var col = th.cellIndex, num = th.dataset.type === \"num\";\n"
    "    var dir = th.getAttribute(\"aria-sort\") === \"ascending\" ? -1 : "
    "1;\n"
    "    Array.prototype.forEach.call(th.parentNode.cells, function (h) {\n"
    "      h.setAttribute(\"aria-sort\", \"none\");\n"
    "    });\n"
    "    th.setAttribute(\"aria-sort\", dir === 1 ? \"ascending\" : "
    "\"descending\");\n"
    "    rows.sort(function (a, b) {\n"
    "      var x = key(a, col, num), y = key(b, col, num);\n"
    "      var c = num ? (x < y ? -1 : x > y ? 1 : 0) : coll.compare(x, y);\n"
    "      return c !== 0 ? c * dir : a.dataset.i - b.dataset.i;\n"
    "    });\n"
    "    rows.forEach(function (r) { body.appendChild(r); });\n"
    "  }\n"
    "  table.tHead.addEventListener(\"click\", function (e) {\n"
    "    var th = e.target.closest(\"th\");\n"
    "    if (th) sort(th);\n"
    "  });\n"
    "  body.addEventListener(\"click\", function (e) {\n"
    "    var td = e.target.closest(\"td.cmd\");\n"
    "    if (td) td.classList.toggle(\"open\");\n"
    "  });\n"
    "  [q, only, protos.tcp, protos.udp].forEach(function (el) {\n"
    "    el.addEventListener(\"input\", filter);\n"
    "  });\n"
    "  var params = {};\n"
    "  location.hash.slice(1).split(\"&\").forEach(function (kv) {\n"
    "    var i = kv.indexOf(\"=\");\n"
    "    try {\n"
    "      if (i > 0) params[kv.slice(0, i)] = decodeURIComponent(kv.slice(i "
    "+ 1));\n"
    "    } catch (err) {}\n"
    "  });\n"
    "  if (params.q) q.value = params.q;\n"
    "  if (params.sort) {\n"
    "    var want = params.sort.replace(/-desc$/, \"\").toLowerCase();\n"
    "    Array.prototype.forEach.call(table.tHead.rows[0].cells, function "
    "(th) {\n"
    "      if (th.textContent.toLowerCase() !== want) return;\n"
    "      sort(th);\n"
    "      if (/-desc$/.test(params.sort)) sort(th);\n"
    "    });\n"
    "  }\n"
    "  document.getElementById(\"tools\").hidden = false;\n"
    "  filter();\n"
    "  document.body.setAttribute(\"data-js\", \"ready\");\n"
    "})();\n";

/* base64(SHA-256(page_script)), for the CSP's script-src. */
static const char page_script_hash[] =
    "sha256-BxREIx7ExoPaS97buedPFMG0wSW9Q/uyraJ+lmQIwRo=";

/* Column headers: label and whether the column sorts as numbers. */
static const struct {
  const char *label;
  bool num;
} page_cols[] = {
    {"Proto", false},        {"Address", false},   {"Port", true},
    {"PID", true},           {"User", false},      {"Process", false},
    {"Command line", false}, {"Container", false}, {"Flags", false},
};

#define N_COLS (sizeof(page_cols) / sizeof(page_cols[0]))

struct page_counts {
  size_t tcp;
  size_t udp;
  size_t published_only;
  size_t findings;
};

static struct page_counts page_count(const struct hl_port_report *rep) {
  struct page_counts c = {0};
  for (size_t i = 0; i < rep->n; i++) {
    const struct hl_port_rec *r = &rep->r[i];
    if (!r->has_socket)
      c.published_only++;
    else if (r->s.proto == IPPROTO_UDP)
      c.udp++;
    else
      c.tcp++;
    if (r->findings != 0)
      c.findings++;
  }
  return c;
}

static void page_head(struct hctx *h, const struct hl_port_report *rep) {
  h_raw(h, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
           "<meta charset=\"utf-8\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, "
           "initial-scale=1\">\n"
           "<meta http-equiv=\"Content-Security-Policy\" "
           "content=\"default-src 'none'; style-src 'unsafe-inline'; "
           "script-src '");
  h_raw(h, page_script_hash);
  h_raw(h, "'; img-src data:; base-uri 'none'; form-action 'none'\">\n"
           "<meta name=\"generator\" content=\"homelab-port-report\">\n"
           "<title>Listening ports on ");
  h_esc(h, rep->host);
  h_raw(h, "</title>\n<style>\n");
  h_raw(h, page_css);
  h_raw(h, "</style>\n</head>\n");
}

static void page_card(struct hctx *h, const char *cls, size_t n,
                      const char *label, const char *sub) {
  h_fmt(h, "<div class=\"card%s%s\"><span class=\"n\">%zu</span>",
        cls[0] != '\0' ? " " : "", cls, n);
  h_raw(h, "<span class=\"l\">");
  h_esc(h, label);
  h_raw(h, "</span>");
  if (sub != NULL) {
    h_raw(h, "<span class=\"sub\">");
    h_esc(h, sub);
    h_raw(h, "</span>");
  }
  h_raw(h, "</div>\n");
}

static void page_cards(struct hctx *h, const struct hl_port_report *rep,
                       const struct hl_report_meta *m) {
  struct page_counts c = page_count(rep);
  char sub[96];
  h_raw(h, "<section class=\"cards\">\n");
  page_card(h, "", c.tcp, "TCP listening", NULL);
  page_card(h, "", c.udp, "UDP bound", NULL);
  bool dok = rep->docker_checked && rep->docker.available;
  snprintf(sub, sizeof(sub), "%zu with published ports",
           dok ? containers_published(&rep->docker) : 0);
  page_card(h, "", dok ? rep->docker.n : 0, "Containers",
            dok ? sub : "Docker not available");
  if (m->policy != NULL) {
    size_t v = hl_report_violations(rep, m->policy);
    snprintf(sub, sizeof(sub), "%zu policy violation%s", v, v == 1 ? "" : "s");
    page_card(h, v != 0 ? "bad" : "good", c.findings, "Findings", sub);
  } else {
    page_card(h, "", c.findings, "Findings", "no policy given");
  }
  if (c.published_only != 0)
    page_card(h, "", c.published_only, "Published only",
              "no host socket (iptables)");
  h_raw(h, "</section>\n");
}

static void page_title(struct hctx *h, const struct hl_port_report *rep,
                       const struct hl_report_meta *m) {
  char when[32];
  iso8601(rep->generated_at, when, sizeof(when));
  h_raw(h, "<body>\n<main>\n<header>\n<h1>Listening ports on "
           "<span class=\"host\">");
  h_esc(h, rep->host);
  h_raw(h, "</span></h1>\n<p class=\"meta\">Generated <time datetime=\"");
  h_esc(h, when);
  h_raw(h, "\">");
  h_esc(h, when);
  h_raw(h, "</time> &middot; homelab-port-report ");
  h_esc(h, m->version != NULL ? m->version : "(unknown version)");
  const char *method = method_name(rep->method);
  if (method != NULL) {
    h_raw(h, " &middot; sockets via ");
    h_raw(h, method);
  }
  if (rep->eph_low != 0 || rep->eph_high != 0)
    h_fmt(h, " &middot; ephemeral range %" PRIu32 "&ndash;%" PRIu32,
          rep->eph_low, rep->eph_high);
  h_raw(h, "</p>\n</header>\n");
}

static void page_docker(struct hctx *h, const struct hl_port_report *rep,
                        const struct hl_report_meta *m) {
  const struct hl_docker *d = &rep->docker;
  h_raw(h, "<p class=\"status\"><span");
  if (rep->docker_checked && m->docker_socket != NULL) {
    h_raw(h, " title=\"engine socket ");
    h_esc(h, m->docker_socket);
    h_raw(h, "\"");
  }
  h_raw(h, ">");
  if (!rep->docker_checked) {
    h_raw(h, "<span class=\"dot\"></span>Docker: not checked");
  } else if (!d->available) {
    h_raw(h, "<span class=\"dot bad\"></span>Docker: unavailable &mdash; ");
    h_esc(h, d->error[0] != '\0' ? d->error : "no answer");
  } else {
    h_fmt(h,
          "<span class=\"dot ok\"></span>Docker: %zu container%s, "
          "%zu with published ports",
          d->n, d->n == 1 ? "" : "s", containers_published(d));
  }
  h_raw(h, "</span></p>\n");
}

static void page_policy(struct hctx *h, const struct hl_port_report *rep,
                        const struct hl_policy *p) {
  bool any = false;
  for (size_t i = 0; i < p->nwatch; i++) {
    const struct hl_policy_rule *w = &p->watch[i];
    if (hl_policy_watch_listening(w, rep, NULL))
      continue;
    if (!any)
      h_raw(h, "<div class=\"alert\"><strong>Watched ports not "
               "listening:</strong><ul>\n");
    any = true;
    h_fmt(h, "<li><span class=\"mono\">%s %u", proto_name(w->proto),
          (unsigned)w->lo);
    if (w->addr[0] != '\0') {
      h_raw(h, " on ");
      h_esc(h, w->addr);
    }
    h_raw(h, "</span></li>\n");
  }
  if (any)
    h_raw(h, "</ul></div>\n");
}

static void page_tools(struct hctx *h) {
  h_raw(h, "<div class=\"tools\" id=\"tools\" hidden>\n"
           "<input id=\"q\" type=\"search\" placeholder=\"Filter any "
           "column&hellip;\" aria-label=\"Filter rows\" autocomplete=\"off\">\n"
           "<label><input type=\"checkbox\" id=\"f-tcp\" checked> TCP</label>\n"
           "<label><input type=\"checkbox\" id=\"f-udp\" checked> UDP</label>\n"
           "<label><input type=\"checkbox\" id=\"f-find\"> Findings "
           "only</label>\n"
           "<span class=\"shown\" id=\"shown\" aria-live=\"polite\"></span>\n"
           "</div>\n");
}

/* Sort key of an address: family, then the bytes as fixed-width hex. */
static void page_addr_cell(struct hctx *h, const struct hl_port_rec *r,
                           const char *ip) {
  size_t n = r->s.family == AF_INET6 ? 16 : 4;
  char key[2 + 2 * 16 + 1];
  key[0] = n == 16 ? '6' : '4';
  key[1] = ':';
  for (size_t i = 0; i < n; i++) {
    static const char hex[] = "0123456789abcdef";
    key[2 + 2 * i] = hex[r->s.addr[i] >> 4];
    key[3 + 2 * i] = hex[r->s.addr[i] & 0xf];
  }
  key[2 + 2 * n] = '\0';
  h_fmt(h, "<td class=\"mono nw\" data-k=\"%s\">", key);
  h_esc(h, ip);
  h_raw(h, "</td>");
}

/*
 * A text cell; unknown values show as a muted dash. @clip: the value sits
 * in a span that CSS may cut short, and is repeated as the tooltip.
 */
static void page_text_cell(struct hctx *h, const char *cls, const char *s,
                           bool clip) {
  if (s == NULL || s[0] == '\0') {
    h_raw(h, "<td class=\"muted\">&ndash;</td>");
    return;
  }
  h_fmt(h, "<td class=\"%s\"", cls);
  if (clip) {
    h_raw(h, " title=\"");
    h_esc(h, s);
    h_raw(h, "\"><span");
  }
  h_raw(h, ">");
  h_esc(h, s);
  h_raw(h, clip ? "</span></td>" : "</td>");
}

static void page_owner_cells(struct hctx *h, const struct hl_port_rec *r) {
  bool known = r->pid > 0;
  if (known)
    h_fmt(h, "<td class=\"num mono\">%d</td>", r->pid);
  else if (r->has_socket)
    h_raw(h, "<td class=\"num muted\" title=\"owner not visible (no "
             "privilege, another namespace, or not looked up)\">"
             "&ndash;</td>");
  else
    h_raw(h, "<td class=\"num muted\">&ndash;</td>");
  page_text_cell(h, "nw", known ? r->user : NULL, false);
  page_text_cell(h, "proc", known ? r->process : NULL, true);
  if (!known || r->cmdline == NULL || r->cmdline[0] == '\0') {
    page_text_cell(h, "", NULL, false);
    return;
  }
  /* The span is clamped to two lines once the script runs; a click opens
   * it. */
  h_raw(h, "<td class=\"cmd mono\"><span>");
  h_esc(h, r->cmdline);
  h_raw(h, "</span></td>");
}

static void page_container_cell(struct hctx *h, const struct hl_port_rec *r) {
  if (!rec_matched(r)) {
    h_raw(h, "<td class=\"muted\"></td>");
    return;
  }
  h_raw(h, "<td title=\"container ");
  h_esc(h, r->ctr_id != NULL ? r->ctr_id : "");
  h_raw(h, "\"><strong>");
  h_esc(h, r->ctr_name != NULL ? r->ctr_name : r->ctr_id);
  h_raw(h, "</strong>");
  h_raw(h, "<span class=\"sub\">");
  h_esc(h, r->ctr_image);
  if (r->ctr_image != NULL && r->ctr_spec[0] != '\0')
    h_raw(h, " &middot; ");
  h_raw(h, "<span class=\"mono\">");
  h_esc(h, r->ctr_spec);
  h_raw(h, "</span></span></td>");
}

static void page_flags_cell(struct hctx *h, const struct hl_port_rec *r) {
  h_raw(h, "<td>");
  for (size_t i = 0; i < N_FINDINGS; i++)
    if (r->findings & finding_names[i].bit)
      h_fmt(h, "<span class=\"pill b-bad\">%s</span>", finding_names[i].name);
  if (r->wildcard && !(r->findings & HL_FIND_WILDCARD))
    h_raw(h, "<span class=\"pill b-info\">wildcard</span>");
  if (r->ephemeral && !(r->findings & HL_FIND_EPHEMERAL))
    h_raw(h, "<span class=\"pill b-info\">ephemeral</span>");
  if (!r->has_socket)
    h_raw(h, "<span class=\"pill b-pub\" title=\"published by the "
             "container engine; no socket on the host\">published "
             "only</span>");
  h_raw(h, "</td>");
}

static void page_row(struct hctx *h, const struct hl_port_rec *r) {
  char ip[64];
  hl_sock_addr_str(&r->s, ip, sizeof(ip));
  const char *proto = proto_name(r->s.proto);
  h_fmt(h, "<tr data-proto=\"%s\"%s>", proto,
        r->findings != 0 ? " class=\"finding\"" : "");
  h_fmt(h, "<td><span class=\"pill p-%s\">%s</span></td>", proto, proto);
  page_addr_cell(h, r, ip);
  h_fmt(h, "<td class=\"num mono\">%u</td>", (unsigned)r->s.port);
  page_owner_cells(h, r);
  page_container_cell(h, r);
  page_flags_cell(h, r);
  h_raw(h, "</tr>\n");
}

static void page_table(struct hctx *h, const struct hl_port_report *rep) {
  h_raw(h, "<div class=\"wrap\">\n<table id=\"ports\">\n<thead><tr>");
  for (size_t i = 0; i < N_COLS; i++) {
    const char *type = page_cols[i].num ? "num" : i == 1 ? "key" : "text";
    h_fmt(h,
          "<th scope=\"col\" data-type=\"%s\" aria-sort=\"none\">"
          "<button type=\"button\">%s</button></th>",
          type, page_cols[i].label);
  }
  h_raw(h, "</tr></thead>\n<tbody>\n");
  for (size_t i = 0; i < rep->n && h->err == 0; i++)
    page_row(h, &rep->r[i]);
  if (rep->n == 0)
    h_fmt(h,
          "<tr><td colspan=\"%zu\" class=\"empty\">No listening "
          "sockets.</td></tr>\n",
          N_COLS);
  h_raw(h, "</tbody>\n</table>\n</div>\n");
}

int hl_report_html_meta(const struct hl_port_report *rep,
                        const struct hl_report_meta *meta, struct hl_buf *out) {
  struct hl_report_meta none = {0};
  if (meta == NULL)
    meta = &none;
  struct hctx h = {.out = out};
  page_head(&h, rep);
  page_title(&h, rep, meta);
  page_cards(&h, rep, meta);
  page_docker(&h, rep, meta);
  if (meta->policy != NULL)
    page_policy(&h, rep, meta->policy);
  page_tools(&h);
  page_table(&h, rep);
  h_fmt(&h,
        "<footer>Schema " HL_REPORT_SCHEMA " &middot; %zu record%s "
        "&middot; click a column header to sort</footer>\n</main>\n",
        rep->n, rep->n == 1 ? "" : "s");
  h_raw(&h, "<script>");
  h_raw(&h, page_script);
  h_raw(&h, "</script>\n</body>\n</html>\n");
  return h.err;
}

int hl_report_html(const struct hl_port_report *rep, const char *version,
                   struct hl_buf *out) {
  struct hl_report_meta m = {.version = version};
  return hl_report_html_meta(rep, &m, out);
}

/* ---- atomic write ---- */

/* "<dir>/.<base>.XXXXXX" for @path, malloc'd; NULL on ENOMEM. */
static char *tmp_template(const char *path) {
  const char *slash = strrchr(path, '/');
  size_t dirlen = slash != NULL ? (size_t)(slash - path) + 1 : 0;
  const char *base = path + dirlen;
  size_t baselen = strlen(base);
  char *t = malloc(dirlen + 1 + baselen + 8 + 1);
  if (t == NULL)
    return NULL;
  memcpy(t, path, dirlen);
  t[dirlen] = '.';
  memcpy(t + dirlen + 1, base, baselen);
  memcpy(t + dirlen + 1 + baselen, ".XXXXXX", 8);
  return t;
}

static int write_all(int fd, const void *data, size_t len) {
  const char *p = data;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -errno;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Whether the directory of @path is writable by every user (/tmp, a shared
 * spool): a symbolic link found there may have been planted by anyone. */
static bool dir_shared(const char *path) {
  const char *slash = strrchr(path, '/');
  char dir[4096];
  if (slash == NULL)
    hl_str_copy(dir, sizeof(dir), ".");
  else if (slash == path)
    hl_str_copy(dir, sizeof(dir), "/");
  else if ((size_t)(slash - path) + 1 <= sizeof(dir))
    hl_str_copy(dir, (size_t)(slash - path) + 1, path);
  else
    return true;
  struct stat st;
  return stat(dir, &st) != 0 || (st.st_mode & S_IWOTH) != 0;
}

/* Make the rename durable; failures here do not undo the write. */
static void sync_dir(const char *tmp) {
  const char *slash = strrchr(tmp, '/');
  char dir[4096];
  if (slash == NULL)
    hl_str_copy(dir, sizeof(dir), ".");
  else if ((size_t)(slash - tmp) + 2 <= sizeof(dir))
    hl_str_copy(dir, (size_t)(slash - tmp) + 2, tmp);
  else
    return;
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    (void)fsync(fd);
    close(fd);
  }
}

/* Writes straight into an existing non-regular file (a device such as
 * /dev/null or /dev/stdout, a FIFO): renaming a temporary file over it would
 * replace the device node with a plain file. */
static int write_special(const char *path, const void *data, size_t len) {
  int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return -errno;
  int rc = write_all(fd, data, len);
  if (close(fd) != 0 && rc == 0)
    rc = -errno;
  return rc;
}

int hl_write_atomic(const char *path, const void *data, size_t len) {
  if (path == NULL || path[0] == '\0')
    return -EINVAL;
  /* The new file keeps the replaced file's mode, or gets 0644 (not
   * mkstemp's 0600). A symbolic link in a directory every user can write to
   * is never followed, neither for its target's mode nor to write into a
   * device or FIFO it points at: the link itself is replaced. */
  mode_t mode = 0644;
  struct stat st;
  if (lstat(path, &st) == 0) {
    bool follow = !S_ISLNK(st.st_mode) || !dir_shared(path);
    if (follow && stat(path, &st) == 0) {
      if (S_ISDIR(st.st_mode))
        return -EISDIR;
      if (!S_ISREG(st.st_mode))
        return write_special(path, data, len);
      mode = st.st_mode & 07777;
    }
  }
  char *tmp = tmp_template(path);
  if (tmp == NULL)
    return -ENOMEM;
  int fd = mkostemp(tmp, O_CLOEXEC);
  if (fd < 0) {
    int rc = -errno;
    free(tmp);
    return rc;
  }
  int rc = write_all(fd, data, len);
  if (rc == 0 && fchmod(fd, mode) != 0)
    rc = -errno;
  if (rc == 0 && fsync(fd) != 0)
    rc = -errno;
  if (close(fd) != 0 && rc == 0)
    rc = -errno;
  if (rc == 0 && rename(tmp, path) != 0)
    rc = -errno;
  if (rc != 0)
    unlink(tmp);
  else
    sync_dir(tmp);
  free(tmp);
  return rc;
}
