// SPDX-License-Identifier: MIT
/*
 * Unit tests for shared/hl_report. Hand-built inventories go through the
 * JSON writer and are parsed back with yajl_tree, field by field: top-level
 * metadata, Docker states, null versus present fields, a published-only
 * record, policy findings and the policy section. Hostile process names
 * (quotes, backslashes, control characters, newlines, `<script>`, invalid
 * UTF-8 of every kind) must give valid JSON (checked by yajl and by iconv)
 * that decodes to the expected text. hl_html_escape is table-driven, and
 * every field of the HTML page is checked to be escaped. hl_write_atomic
 * replaces files, leaves no temporary file, keeps modes and fails cleanly
 * on a missing directory.
 */
#include "check_suites.h"
#include "hl_report.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

/* 2026-11-27T14:05:00Z */
#define T_GENERATED 1795788300

/* ---- building inventories ---------------------------------------------- */

static char *xstrdup(const char *s) {
  if (s == NULL)
    return NULL;
  char *d = strdup(s);
  ck_assert_ptr_nonnull(d);
  return d;
}

static struct hl_port_rec *add_rec(struct hl_port_report *rep, uint8_t proto,
                                   const char *ip, uint16_t port) {
  struct hl_port_rec *r = realloc(rep->r, (rep->n + 1) * sizeof(*r));
  ck_assert_ptr_nonnull(r);
  rep->r = r;
  r = &rep->r[rep->n++];
  *r = (struct hl_port_rec){.has_socket = true, .fd = -1};
  r->s.proto = proto;
  r->s.port = port;
  r->s.family = strchr(ip, ':') != NULL ? AF_INET6 : AF_INET;
  ck_assert_int_eq(inet_pton(r->s.family, ip, r->s.addr), 1);
  r->wildcard = hl_sock_is_wildcard(&r->s);
  return r;
}

static void set_owner(struct hl_port_rec *r, int pid, const char *user,
                      const char *process, const char *cmdline) {
  r->pid = pid;
  r->user = xstrdup(user);
  r->process = xstrdup(process);
  r->cmdline = xstrdup(cmdline);
}

static void set_ctr(struct hl_port_rec *r, const char *name, const char *id,
                    const char *image, const char *spec, uint16_t port) {
  r->ctr_name = xstrdup(name);
  r->ctr_id = xstrdup(id);
  r->ctr_image = xstrdup(image);
  hl_str_copy(r->ctr_spec, sizeof(r->ctr_spec), spec);
  r->ctr_port = port;
}

static void add_container(struct hl_docker *d, const char *name,
                          uint16_t public_port) {
  struct hl_docker_container *c = realloc(d->c, (d->n + 1) * sizeof(*c));
  ck_assert_ptr_nonnull(c);
  d->c = c;
  c = &d->c[d->n++];
  *c = (struct hl_docker_container){0};
  c->id = xstrdup("0123456789abcdef0123");
  c->name = xstrdup(name);
  c->image = xstrdup("img:1");
  c->ports = calloc(1, sizeof(*c->ports));
  ck_assert_ptr_nonnull(c->ports);
  c->nports = 1;
  c->ports[0].private_port = 80;
  c->ports[0].public_port = public_port;
  c->ports[0].proto = IPPROTO_TCP;
}

static void base_report(struct hl_port_report *rep) {
  *rep = (struct hl_port_report){0};
  hl_str_copy(rep->host, sizeof(rep->host), "box");
  rep->generated_at = T_GENERATED;
  rep->eph_low = 32768;
  rep->eph_high = 60999;
  rep->method = HL_SD_NETLINK;
}

/* The five kinds of rows: known owner, unknown owner, container, published
 * only, policy findings. */
static void rich_report(struct hl_port_report *rep) {
  base_report(rep);
  struct hl_port_rec *r = add_rec(rep, IPPROTO_TCP, "0.0.0.0", 22);
  set_owner(r, 812, "root", "sshd", "/usr/sbin/sshd -D");
  r->s.inode = 111;
  r->s.backlog = 128;
  r = add_rec(rep, IPPROTO_UDP, "::1", 53);
  r->s.inode = 222;
  r->s.uid = 101;
  r = add_rec(rep, IPPROTO_TCP, "::", 8080);
  set_owner(r, 2100, "root", "docker-proxy", "");
  set_ctr(r, "web", "0123456789ab", "nginx:1.25", "[::]:8080->80/tcp", 80);
  r->s.inode = 333;
  r = add_rec(rep, IPPROTO_UDP, "0.0.0.0", 5300);
  r->has_socket = false;
  set_ctr(r, "dns", "ba9876543210", "coredns", "0.0.0.0:5300->53/udp", 53);
  r = add_rec(rep, IPPROTO_TCP, "0.0.0.0", 40123);
  set_owner(r, 1337, "nobody", "app", "app --serve");
  r->ephemeral = true;
  r->findings = HL_FIND_UNEXPECTED | HL_FIND_EPHEMERAL | HL_FIND_WILDCARD;
}

/* ---- reading JSON back ------------------------------------------------- */

/* Whether @s is valid UTF-8, by glibc's iconv (an independent decoder). */
static bool iconv_valid_utf8(const char *s, size_t len) {
  iconv_t cd = iconv_open("UTF-8", "UTF-8");
  ck_assert(cd != (iconv_t)-1);
  char out[4096];
  char *in = (char *)s;
  size_t inleft = len;
  bool ok = true;
  while (ok && inleft > 0) {
    char *o = out;
    size_t oleft = sizeof(out);
    ok = iconv(cd, &in, &inleft, &o, &oleft) != (size_t)-1 || errno == E2BIG;
  }
  iconv_close(cd);
  return ok;
}

static yajl_val json_of(const struct hl_port_report *rep,
                        const struct hl_report_meta *m) {
  struct hl_buf b;
  hl_buf_init(&b, 1u << 20);
  ck_assert_int_eq(hl_report_json_meta(rep, m, &b), 0);
  ck_assert_msg(b.len > 0 && b.data[b.len - 1] == '\n', "no final newline");
  ck_assert_msg(iconv_valid_utf8(b.data, b.len), "not UTF-8: %s", b.data);
  char err[256];
  yajl_val v = yajl_tree_parse(b.data, err, sizeof(err));
  ck_assert_msg(v != NULL, "JSON does not parse: %s\n%s", err, b.data);
  hl_buf_free(&b);
  return v;
}

static yajl_val jget(yajl_val obj, const char *key) {
  const char *path[] = {key, NULL};
  return yajl_tree_get(obj, path, yajl_t_any);
}

static yajl_val jobj(yajl_val obj, const char *key) {
  yajl_val v = jget(obj, key);
  ck_assert_msg(v != NULL && YAJL_IS_OBJECT(v), "%s: not an object", key);
  return v;
}

/* @want NULL: the member must be null. */
static void expect_str(yajl_val obj, const char *key, const char *want) {
  yajl_val v = jget(obj, key);
  ck_assert_msg(v != NULL, "%s: missing", key);
  if (want == NULL) {
    ck_assert_msg(YAJL_IS_NULL(v), "%s: not null", key);
    return;
  }
  ck_assert_msg(YAJL_IS_STRING(v), "%s: not a string", key);
  ck_assert_str_eq(YAJL_GET_STRING(v), want);
}

static void expect_int(yajl_val obj, const char *key, long long want) {
  yajl_val v = jget(obj, key);
  ck_assert_msg(v != NULL && YAJL_IS_INTEGER(v), "%s: not an integer", key);
  ck_assert_msg(YAJL_GET_INTEGER(v) == want, "%s: %lld, want %lld", key,
                YAJL_GET_INTEGER(v), want);
}

static void expect_null(yajl_val obj, const char *key) {
  yajl_val v = jget(obj, key);
  ck_assert_msg(v != NULL, "%s: missing (should be null)", key);
  ck_assert_msg(YAJL_IS_NULL(v), "%s: not null", key);
}

static void expect_bool(yajl_val obj, const char *key, bool want) {
  yajl_val v = jget(obj, key);
  ck_assert_msg(v != NULL && (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v)),
                "%s: not a boolean", key);
  ck_assert_msg(YAJL_IS_TRUE(v) == want, "%s: wrong value", key);
}

static void expect_absent(yajl_val obj, const char *key) {
  ck_assert_msg(jget(obj, key) == NULL, "%s: present", key);
}

static yajl_val port_at(yajl_val doc, size_t i) {
  yajl_val a = jget(doc, "ports");
  ck_assert(a != NULL && YAJL_IS_ARRAY(a));
  ck_assert_uint_gt(YAJL_GET_ARRAY(a)->len, i);
  yajl_val p = YAJL_GET_ARRAY(a)->values[i];
  ck_assert(YAJL_IS_OBJECT(p));
  return p;
}

/* "findings" equals the @n strings in @want, in order. */
static void expect_findings(yajl_val p, const char *const *want, size_t n) {
  yajl_val f = jget(p, "findings");
  ck_assert(f != NULL && YAJL_IS_ARRAY(f));
  ck_assert_uint_eq(YAJL_GET_ARRAY(f)->len, n);
  for (size_t i = 0; i < n; i++)
    ck_assert_str_eq(YAJL_GET_STRING(YAJL_GET_ARRAY(f)->values[i]), want[i]);
}

/* ---- JSON -------------------------------------------------------------- */

START_TEST(test_json_top_level) {
  struct hl_port_report rep;
  base_report(&rep);
  rep.docker_checked = true;
  rep.docker.available = true;
  add_container(&rep.docker, "web", 8080);
  add_container(&rep.docker, "db", 0);
  struct hl_report_meta m = {.version = "9.9.9",
                             .docker_socket = "/run/docker.sock"};
  yajl_val doc = json_of(&rep, &m);
  expect_str(doc, "schema_version", "1.2.0");
  expect_str(doc, "script_version", "9.9.9");
  expect_str(doc, "host", "box");
  expect_str(doc, "generated_at", "2026-11-27T14:05:00Z");
  yajl_val range = jobj(doc, "ip_local_port_range");
  expect_int(range, "low", 32768);
  expect_int(range, "high", 60999);
  yajl_val d = jobj(doc, "docker");
  expect_bool(d, "available", true);
  expect_null(d, "error");
  expect_int(d, "containers_total", 2);
  expect_int(d, "containers_with_published_ports", 1);
  expect_str(d, "socket", "/run/docker.sock");
  expect_bool(d, "checked", true);
  expect_str(jobj(doc, "collection"), "method", "netlink");
  yajl_val ports = jget(doc, "ports");
  ck_assert(ports != NULL && YAJL_IS_ARRAY(ports));
  ck_assert_uint_eq(YAJL_GET_ARRAY(ports)->len, 0);
  expect_absent(doc, "policy");
  yajl_tree_free(doc);
  hl_port_report_free(&rep);
}
END_TEST

START_TEST(test_json_docker_states) {
  struct hl_port_report rep;
  base_report(&rep);
  struct hl_report_meta m = {.docker_socket = "/x.sock"};
  /* Not asked (--no-docker). */
  yajl_val doc = json_of(&rep, &m);
  yajl_val d = jobj(doc, "docker");
  expect_bool(d, "available", false);
  expect_str(d, "error", "Docker check disabled");
  expect_int(d, "containers_total", 0);
  expect_null(d, "socket");
  expect_bool(d, "checked", false);
  expect_null(doc, "script_version");
  yajl_tree_free(doc);
  /* Asked, but the engine did not answer. */
  rep.docker_checked = true;
  hl_str_copy(rep.docker.error, sizeof(rep.docker.error),
              "connect /x.sock: No such file or directory");
  doc = json_of(&rep, &m);
  d = jobj(doc, "docker");
  expect_bool(d, "available", false);
  expect_str(d, "error", "connect /x.sock: No such file or directory");
  expect_str(d, "socket", "/x.sock");
  expect_int(d, "containers_with_published_ports", 0);
  yajl_tree_free(doc);
  hl_port_report_free(&rep);
}
END_TEST

START_TEST(test_null_meta) {
  struct hl_port_report rep;
  rich_report(&rep);
  yajl_val doc = json_of(&rep, NULL);
  expect_null(doc, "script_version");
  expect_absent(doc, "policy");
  yajl_tree_free(doc);
  struct hl_buf b;
  hl_buf_init(&b, 1u << 20);
  ck_assert_int_eq(hl_report_html_meta(&rep, NULL, &b), 0);
  ck_assert_ptr_nonnull(strstr(b.data, "(unknown version)"));
  hl_buf_free(&b);
  hl_port_report_free(&rep);
}
END_TEST

START_TEST(test_json_unknown_range_and_method) {
  struct hl_port_report rep;
  base_report(&rep);
  rep.eph_low = 0;
  rep.eph_high = 0;
  rep.method = 0;
  struct hl_report_meta m = {0};
  yajl_val doc = json_of(&rep, &m);
  yajl_val range = jobj(doc, "ip_local_port_range");
  expect_null(range, "low");
  expect_null(range, "high");
  expect_null(jobj(doc, "collection"), "method");
  yajl_tree_free(doc);
  hl_port_report_free(&rep);
}
END_TEST

START_TEST(test_json_known_owner) {
  struct hl_port_report rep;
  rich_report(&rep);
  struct hl_report_meta m = {0};
  yajl_val doc = json_of(&rep, &m);
  yajl_val p = port_at(doc, 0);
  expect_str(p, "proto", "tcp");
  expect_str(p, "ip", "0.0.0.0");
  expect_int(p, "port", 22);
  expect_str(p, "status", "LISTEN");
  expect_int(p, "pid", 812);
  expect_str(p, "user", "root");
  expect_str(p, "process", "sshd");
  expect_str(p, "cmdline", "/usr/sbin/sshd -D");
  expect_str(p, "family", "ipv4");
  expect_int(p, "inode", 111);
  expect_int(p, "uid", 0);
  expect_int(p, "backlog", 128);
  expect_bool(p, "in_ephemeral_range", false);
  expect_bool(p, "wildcard", true);
  expect_bool(p, "host_socket", true);
  expect_findings(p, NULL, 0);
  expect_absent(p, "docker_container_name");
  expect_absent(p, "docker_container_id");
  expect_absent(p, "docker_image");
  expect_absent(p, "docker_port_spec");
  expect_absent(p, "docker_container_port");
  yajl_tree_free(doc);
  hl_port_report_free(&rep);
}
END_TEST

START_TEST(test_json_unknown_owner) {
  struct hl_port_report rep;
  rich_report(&rep);
  struct hl_report_meta m = {0};
  yajl_val doc = json_of(&rep, &m);
  yajl_val p = port_at(doc, 1);
  expect_str(p, "proto", "udp");
  expect_str(p, "ip", "::1");
  expect_str(p, "status", "UNCONN");
  expect_str(p, "family", "ipv6");
  expect_null(p, "pid");
  expect_null(p, "user");
  expect_null(p, "process");
  expect_null(p, "cmdline");
  expect_int(p, "inode", 222);
  expect_int(p, "uid", 101);
  expect_null(p, "backlog"); /* UDP has none */
  expect_bool(p, "wildcard", false);
  expect_absent(p, "docker_container_name");
  yajl_tree_free(doc);
  hl_port_report_free(&rep);
}
END_TEST

START_TEST(test_json_container) {
  struct hl_port_report rep;
  rich_report(&rep);
  struct hl_report_meta m = {0};
  yajl_val doc = json_of(&rep, &m);
  yajl_val p = port_at(doc, 2);
  expect_str(p, "ip", "::");
  expect_int(p, "pid", 2100);
  expect_str(p, "cmdline", "");
  expect_str(p, "docker_container_name", "web");
  expect_str(p, "docker_container_id", "0123456789ab");
  expect_str(p, "docker_image", "nginx:1.25");
  expect_str(p, "docker_port_spec", "[::]:8080->80/tcp");
  expect_int(p, "docker_container_port", 80);
  expect_bool(p, "host_socket", true);
  yajl_tree_free(doc);
  hl_port_report_free(&rep);
}
END_TEST

START_TEST(test_json_published_only) {
  struct hl_port_report rep;
  rich_report(&rep);
  struct hl_report_meta m = {0};
  yajl_val doc = json_of(&rep, &m);
  yajl_val p = port_at(doc, 3);
  expect_str(p, "proto", "udp");
  expect_str(p, "ip", "0.0.0.0");
  expect_int(p, "port", 5300);
  expect_str(p, "status", "PUBLISHED");
  expect_bool(p, "host_socket", false);
  expect_null(p, "pid");
  expect_null(p, "user");
  expect_null(p, "process");
  expect_null(p, "cmdline");
  expect_null(p, "inode");
  expect_null(p, "uid");
  expect_null(p, "backlog");
  expect_str(p, "docker_container_name", "dns");
  expect_str(p, "docker_port_spec", "0.0.0.0:5300->53/udp");
  expect_int(p, "docker_container_port", 53);
  yajl_tree_free(doc);
  hl_port_report_free(&rep);
}
END_TEST

START_TEST(test_json_findings) {
  struct hl_port_report rep;
  rich_report(&rep);
  struct hl_report_meta m = {0};
  yajl_val doc = json_of(&rep, &m);
  yajl_val p = port_at(doc, 4);
  static const char *const all[] = {"unexpected", "ephemeral", "wildcard"};
  expect_findings(p, all, 3);
  expect_bool(p, "in_ephemeral_range", true);
  yajl_tree_free(doc);
  rep.r[4].findings = HL_FIND_WILDCARD;
  doc = json_of(&rep, &m);
  static const char *const one[] = {"wildcard"};
  expect_findings(port_at(doc, 4), one, 1);
  yajl_tree_free(doc);
  hl_port_report_free(&rep);
}
END_TEST

/* /proc/net/tcp does not show a listener's backlog limit. */
START_TEST(test_json_procfs_backlog_null) {
  struct hl_port_report rep;
  rich_report(&rep);
  rep.method = HL_SD_PROCFS;
  struct hl_report_meta m = {0};
  yajl_val doc = json_of(&rep, &m);
  expect_str(jobj(doc, "collection"), "method", "procfs");
  expect_null(port_at(doc, 0), "backlog");
  expect_int(port_at(doc, 0), "inode", 111);
  yajl_tree_free(doc);
  hl_port_report_free(&rep);
}
END_TEST

#define FFFD "\xef\xbf\xbd"

/* Process names as bytes, and the text the JSON must decode to. */
static const struct hostile_case {
  const char *in;
  const char *want;
} hostile_cases[] = {
    {"quote\"back\\slash", "quote\"back\\slash"},
    {"nl\nret\rtab\tbell\a", "nl\nret\rtab\tbell\a"},
    {"\x01\x1f\x7f", "\x01\x1f\x7f"},
    {"<script>alert(1)</script>", "<script>alert(1)</script>"},
    {"</script><!--", "</script><!--"},
    {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac "
                                                  "\xf0\x9f\x98\x80"},
    {"bad\xff\xfe", "bad" FFFD FFFD},
    {"\xc3\x28", FFFD "("},                    /* lead without continuation */
    {"\x80stray", FFFD "stray"},               /* continuation without lead */
    {"cut\xe2\x82", "cut" FFFD FFFD},          /* truncated at the end */
    {"\xc0\x80", FFFD FFFD},                   /* overlong NUL */
    {"\xe0\x80\xaf", FFFD FFFD FFFD},          /* overlong '/' */
    {"\xed\xa0\x80", FFFD FFFD FFFD},          /* UTF-16 surrogate */
    {"\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD}, /* above U+10FFFF */
    {"\xf8\x88\x80\x80\x80", FFFD FFFD FFFD FFFD FFFD},
    {FFFD, FFFD},
};

START_TEST(test_json_hostile_strings) {
  const struct hostile_case *c = &hostile_cases[_i];
  struct hl_port_report rep;
  base_report(&rep);
  hl_str_copy(rep.host, sizeof(rep.host), c->in);
  struct hl_port_rec *r = add_rec(&rep, IPPROTO_TCP, "127.0.0.1", 80);
  set_owner(r, 42, c->in, c->in, c->in);
  set_ctr(r, c->in, c->in, c->in, c->in, 1);
  struct hl_report_meta m = {.version = c->in, .docker_socket = c->in};
  for (int pretty = 0; pretty <= 1; pretty++) {
    m.pretty = pretty;
    yajl_val doc = json_of(&rep, &m);
    expect_str(doc, "host", c->want);
    expect_str(doc, "script_version", c->want);
    yajl_val p = port_at(doc, 0);
    static const char *const keys[] = {"user",
                                       "process",
                                       "cmdline",
                                       "docker_image",
                                       "docker_port_spec",
                                       "docker_container_name",
                                       "docker_container_id"};
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
      expect_str(p, keys[k], c->want);
    yajl_tree_free(doc);
  }
  hl_port_report_free(&rep);
}
END_TEST

START_TEST(test_json_pretty_and_compact) {
  struct hl_port_report rep;
  rich_report(&rep);
  struct hl_report_meta m = {.version = "1"};
  struct hl_buf compact;
  struct hl_buf pretty;
  hl_buf_init(&compact, 1u << 20);
  hl_buf_init(&pretty, 1u << 20);
  ck_assert_int_eq(hl_report_json_meta(&rep, &m, &compact), 0);
  m.pretty = true;
  ck_assert_int_eq(hl_report_json_meta(&rep, &m, &pretty), 0);
  /* One line, one final newline. */
  ck_assert_ptr_eq(strchr(compact.data, '\n'), compact.data + compact.len - 1);
  ck_assert_ptr_nonnull(strstr(pretty.data, "\n  \"schema_version\": "));
  ck_assert_ptr_nonnull(strstr(pretty.data, "\"findings\": []"));
  ck_assert_ptr_null(strstr(pretty.data, "[\n\n"));
  /* The wrapper is the same as the meta call with version and pretty. */
  struct hl_buf again;
  hl_buf_init(&again, 1u << 20);
  ck_assert_int_eq(hl_report_json(&rep, "1", true, &again), 0);
  ck_assert_str_eq(again.data, pretty.data);
  hl_buf_free(&again);
  hl_buf_free(&compact);
  hl_buf_free(&pretty);
  hl_port_report_free(&rep);
}
END_TEST

START_TEST(test_json_policy_section) {
  struct hl_port_report rep;
  rich_report(&rep);
  struct hl_policy pol;
  hl_policy_init(&pol);
  char err[128];
  const char *const w22[] = {"tcp", "22"};
  const char *const w443[] = {"tcp", "443"};
  const char *const w53[] = {"udp", "53", "10.0.0.1"};
  ck_assert_int_eq(hl_policy_add(&pol, "Port", w22, 2, err, sizeof(err)), 0);
  ck_assert_int_eq(hl_policy_add(&pol, "Port", w443, 2, err, sizeof(err)), 0);
  ck_assert_int_eq(hl_policy_add(&pol, "Port", w53, 3, err, sizeof(err)), 0);
  /* One record with findings, two watched ports not listening. */
  ck_assert_uint_eq(hl_report_violations(&rep, &pol), 3);
  ck_assert_uint_eq(hl_report_violations(&rep, NULL), 0);
  struct hl_report_meta m = {.policy = &pol};
  yajl_val doc = json_of(&rep, &m);
  yajl_val p = jobj(doc, "policy");
  expect_int(p, "violations", 3);
  yajl_val miss = jget(p, "watched_not_listening");
  ck_assert(miss != NULL && YAJL_IS_ARRAY(miss));
  ck_assert_uint_eq(YAJL_GET_ARRAY(miss)->len, 2);
  yajl_val w = YAJL_GET_ARRAY(miss)->values[0];
  expect_str(w, "proto", "tcp");
  expect_int(w, "port", 443);
  expect_null(w, "ip");
  w = YAJL_GET_ARRAY(miss)->values[1];
  expect_str(w, "proto", "udp");
  expect_int(w, "port", 53);
  expect_str(w, "ip", "10.0.0.1");
  yajl_tree_free(doc);
  hl_policy_free(&pol);
  hl_port_report_free(&rep);
}
END_TEST

START_TEST(test_json_size_cap) {
  struct hl_port_report rep;
  rich_report(&rep);
  struct hl_report_meta m = {0};
  struct hl_buf b;
  hl_buf_init(&b, 200);
  ck_assert_int_eq(hl_report_json_meta(&rep, &m, &b), -E2BIG);
  ck_assert_uint_le(b.len, 200);
  hl_buf_free(&b);
  hl_port_report_free(&rep);
}
END_TEST

/* ---- HTML -------------------------------------------------------------- */

static const struct esc_case {
  const char *in;
  const char *want;
} esc_cases[] = {
    {"plain text 123", "plain text 123"},
    {"a&b", "a&amp;b"},
    {"<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"},
    {"\"double\" 'single'", "&quot;double&quot; &#39;single&#39;"},
    {"&amp;", "&amp;amp;"},
    {"line1\nline2\ttab\rcr", "line1\\nline2\\ttab\\rcr"},
    {"\x01\x1b[31m\x7f", "\\x01\\x1b[31m\\x7f"},
    {"back\\slash", "back\\slash"},
    {"caf\xc3\xa9 \xf0\x9f\x98\x80", "caf\xc3\xa9 \xf0\x9f\x98\x80"},
    {"bad\xff<", "bad" FFFD "&lt;"},
    {"\xc3<", FFFD "&lt;"},
    {"\xed\xa0\x80", FFFD FFFD FFFD},
    {"\xc0\xbc", FFFD FFFD}, /* overlong '<' stays harmless */
    {"", ""},
};

START_TEST(test_html_escape) {
  const struct esc_case *c = &esc_cases[_i];
  struct hl_buf b;
  hl_buf_init(&b, 1024);
  ck_assert_int_eq(hl_buf_append(&b, "x", 1), 0);
  ck_assert_int_eq(hl_html_escape(&b, c->in), 0);
  ck_assert_str_eq(b.data + 1, c->want);
  hl_buf_free(&b);
}
END_TEST

START_TEST(test_html_escape_edges) {
  struct hl_buf b;
  hl_buf_init(&b, 8);
  ck_assert_int_eq(hl_html_escape(&b, NULL), 0);
  ck_assert_uint_eq(b.len, 0);
  ck_assert_int_eq(hl_html_escape(&b, "<<"), 0);
  ck_assert_str_eq(b.data, "&lt;&lt;");
  ck_assert_int_eq(hl_html_escape(&b, "<"), -E2BIG);
  hl_buf_free(&b);
}
END_TEST

static char *html_of(const struct hl_port_report *rep,
                     const struct hl_report_meta *m) {
  struct hl_buf b;
  hl_buf_init(&b, 1u << 20);
  ck_assert_int_eq(hl_report_html_meta(rep, m, &b), 0);
  ck_assert_msg(iconv_valid_utf8(b.data, b.len), "page is not UTF-8");
  return b.data;
}

static size_t count(const char *hay, const char *needle) {
  size_t n = 0;
  for (const char *p = strstr(hay, needle); p != NULL;
       p = strstr(p + 1, needle))
    n++;
  return n;
}

/* A marker that must come out escaped: "<i>FIELD\"'&" */
static char *marker(const char *field) {
  char buf[96];
  snprintf(buf, sizeof(buf), "<i>%s\"'&", field);
  return xstrdup(buf);
}

static void expect_escaped(const char *page, const char *field) {
  char want[128];
  snprintf(want, sizeof(want), "&lt;i&gt;%s&quot;&#39;&amp;", field);
  ck_assert_msg(strstr(page, want) != NULL, "%s: not found escaped", field);
}

START_TEST(test_html_every_field_escaped) {
  struct hl_port_report rep;
  base_report(&rep);
  hl_str_copy(rep.host, sizeof(rep.host), "<i>host\"'&");
  struct hl_port_rec *r = add_rec(&rep, IPPROTO_TCP, "0.0.0.0", 8080);
  r->pid = 7;
  r->user = marker("user");
  r->process = marker("process");
  r->cmdline = marker("cmdline");
  r->ctr_name = marker("ctr_name");
  r->ctr_id = marker("ctr_id");
  r->ctr_image = marker("ctr_image");
  hl_str_copy(r->ctr_spec, sizeof(r->ctr_spec), "<i>ctr_spec\"'&");
  rep.docker_checked = true;
  rep.docker.available = true;
  struct hl_report_meta m = {.version = "<i>version\"'&",
                             .docker_socket = "<i>socket\"'&"};
  char *page = html_of(&rep, &m);
  static const char *const fields[] = {
      "host",    "version",  "socket",    "user",     "process",
      "cmdline", "ctr_name", "ctr_image", "ctr_spec", "ctr_id"};
  for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
    expect_escaped(page, fields[i]);
  ck_assert_msg(strstr(page, "<i>") == NULL, "an unescaped value: %s", page);
  free(page);
  /* The engine's error text, shown when Docker is unavailable. */
  rep.docker.available = false;
  hl_str_copy(rep.docker.error, sizeof(rep.docker.error), "<i>error\"'&");
  page = html_of(&rep, &m);
  expect_escaped(page, "error");
  ck_assert_ptr_null(strstr(page, "<i>"));
  free(page);
  hl_port_report_free(&rep);
}
END_TEST

START_TEST(test_html_hostile_process) {
  struct hl_port_report rep;
  base_report(&rep);
  struct hl_port_rec *r = add_rec(&rep, IPPROTO_TCP, "0.0.0.0", 80);
  set_owner(r, 1337, "root", "<script>alert(1)</script>",
            "x\n</td></tr></table><script>alert(2)</script>\xff");
  struct hl_report_meta m = {0};
  char *page = html_of(&rep, &m);
  ck_assert_uint_eq(count(page, "<script"), 1);
  ck_assert_uint_eq(count(page, "</script>"), 1);
  ck_assert_uint_eq(count(page, "</table>"), 1);
  ck_assert_ptr_nonnull(
      strstr(page, ">&lt;script&gt;alert(1)&lt;/script&gt;</span></td>"));
  ck_assert_ptr_nonnull(strstr(page, "x\\n&lt;/td&gt;&lt;/tr&gt;"));
  ck_assert_ptr_nonnull(strstr(page, "alert(2)&lt;/script&gt;" FFFD));
  free(page);
  hl_port_report_free(&rep);
}
END_TEST

START_TEST(test_html_structure) {
  struct hl_port_report rep;
  rich_report(&rep);
  struct hl_policy pol;
  hl_policy_init(&pol);
  char err[128];
  const char *const w443[] = {"tcp", "443"};
  ck_assert_int_eq(hl_policy_add(&pol, "Port", w443, 2, err, sizeof(err)), 0);
  struct hl_report_meta m = {.version = "1", .policy = &pol};
  char *page = html_of(&rep, &m);
  ck_assert_int_eq(strncmp(page, "<!DOCTYPE html>\n", 16), 0);
  ck_assert_str_eq(page + strlen(page) - 8, "</html>\n");
  /* Self-contained: no URL, no external reference. */
  static const char *const banned[] = {
      "http:", "https:", "src=", "href=", "@import", "url("};
  for (size_t i = 0; i < sizeof(banned) / sizeof(banned[0]); i++)
    ck_assert_msg(strstr(page, banned[i]) == NULL, "page has %s", banned[i]);
  ck_assert_ptr_nonnull(strstr(page, "default-src 'none'"));
  ck_assert_ptr_nonnull(strstr(page, "script-src 'sha256-"));
  ck_assert_uint_eq(count(page, "<tr data-proto="), rep.n);
  ck_assert_uint_eq(count(page, "<tr data-proto=\"udp\""), 2);
  ck_assert_uint_eq(count(page, "class=\"finding\""), 1);
  ck_assert_ptr_nonnull(strstr(page, ">published only<"));
  ck_assert_ptr_nonnull(strstr(page, "Watched ports not listening"));
  ck_assert_ptr_nonnull(strstr(page, "tcp 443"));
  ck_assert_ptr_nonnull(strstr(page, "2 policy violations"));
  free(page);
  hl_policy_free(&pol);
  hl_port_report_free(&rep);
}
END_TEST

START_TEST(test_html_empty_and_cap) {
  struct hl_port_report rep;
  base_report(&rep);
  struct hl_report_meta m = {0};
  char *page = html_of(&rep, &m);
  ck_assert_ptr_nonnull(strstr(page, "No listening sockets."));
  ck_assert_uint_eq(count(page, "<tr data-proto="), 0);
  free(page);
  struct hl_buf b;
  hl_buf_init(&b, 500);
  ck_assert_int_eq(hl_report_html(&rep, "1", &b), -E2BIG);
  hl_buf_free(&b);
  hl_port_report_free(&rep);
}
END_TEST

/* ---- hl_write_atomic --------------------------------------------------- */

static char *make_tmpdir(void) {
  const char *base = getenv("TMPDIR");
  char tmpl[512];
  snprintf(tmpl, sizeof(tmpl), "%s/hl_report.XXXXXX",
           base != NULL && base[0] != '\0' ? base : "/tmp");
  char *dir = mkdtemp(tmpl);
  ck_assert_ptr_nonnull(dir);
  return xstrdup(dir);
}

/* Entries of @dir other than . and .. */
static size_t dir_entries(const char *dir) {
  DIR *d = opendir(dir);
  ck_assert_ptr_nonnull(d);
  size_t n = 0;
  for (struct dirent *e = readdir(d); e != NULL; e = readdir(d))
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
      n++;
  closedir(d);
  return n;
}

static void expect_file(const char *path, const char *want, mode_t mode) {
  struct hl_buf b;
  hl_buf_init(&b, 4096);
  ck_assert_int_eq(hl_buf_read_file(&b, path), 0);
  ck_assert_uint_eq(b.len, strlen(want));
  if (b.len > 0)
    ck_assert_int_eq(memcmp(b.data, want, b.len), 0);
  hl_buf_free(&b);
  struct stat st;
  ck_assert_int_eq(stat(path, &st), 0);
  ck_assert_uint_eq(st.st_mode & 07777, mode);
}

static void rm_tree(char *dir, const char *const *names, size_t n) {
  for (size_t i = 0; i < n; i++) {
    char p[600];
    snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
    unlink(p);
    rmdir(p);
  }
  ck_assert_int_eq(rmdir(dir), 0);
  free(dir);
}

/* A FIFO (like /dev/null, a non-regular file) is written in place, never
 * replaced by a renamed regular file. */
START_TEST(test_atomic_special_file) {
  char *dir = make_tmpdir();
  char path[600];
  snprintf(path, sizeof(path), "%s/fifo", dir);
  ck_assert_int_eq(mkfifo(path, 0600), 0);
  int rd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ck_assert_int_ge(rd, 0);
  ck_assert_int_eq(hl_write_atomic(path, "abc", 3), 0);
  char got[8] = "";
  ck_assert_int_eq(read(rd, got, sizeof(got)), 3);
  ck_assert_int_eq(memcmp(got, "abc", 3), 0);
  close(rd);
  struct stat st;
  ck_assert_int_eq(lstat(path, &st), 0);
  ck_assert(S_ISFIFO(st.st_mode));
  ck_assert_uint_eq(dir_entries(dir), 1); /* no temporary file left */
  ck_assert_int_eq(hl_write_atomic(dir, "x", 1), -EISDIR);
  const char *const names[] = {"fifo"};
  rm_tree(dir, names, 1);
}
END_TEST

/* In a directory every user can write to, a planted symbolic link (to a
 * file of someone else, or to a FIFO/device) is replaced, never followed;
 * in a private directory a link is followed as before. */
START_TEST(test_atomic_symlink_shared_dir) {
  char *dir = make_tmpdir();
  ck_assert_int_eq(chmod(dir, 01777), 0);
  char path[600], victim[600], fifo[600];
  snprintf(path, sizeof(path), "%s/report.json", dir);
  snprintf(victim, sizeof(victim), "%s/victim", dir);
  snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
  int fd = open(victim, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, "secret", 6), 6);
  close(fd);
  ck_assert_int_eq(symlink(victim, path), 0);
  ck_assert_int_eq(hl_write_atomic(path, "report", 6), 0);
  expect_file(victim, "secret", 0600); /* untouched, mode not copied */
  expect_file(path, "report", 0644);
  struct stat st;
  ck_assert_int_eq(lstat(path, &st), 0);
  ck_assert(S_ISREG(st.st_mode));
  /* A link to a FIFO: not written through (it would block or feed a
   * reader), replaced. */
  ck_assert_int_eq(unlink(path), 0);
  ck_assert_int_eq(mkfifo(fifo, 0600), 0);
  ck_assert_int_eq(symlink(fifo, path), 0);
  ck_assert_int_eq(hl_write_atomic(path, "r2", 2), 0);
  expect_file(path, "r2", 0644);
  ck_assert_int_eq(lstat(fifo, &st), 0);
  ck_assert(S_ISFIFO(st.st_mode));
  /* Private directory: the link is followed (its target replaced in place
   * is not what rename does; the target keeps existing and the link is
   * replaced only when shared). */
  ck_assert_int_eq(chmod(dir, 0700), 0);
  ck_assert_int_eq(unlink(path), 0);
  ck_assert_int_eq(symlink(fifo, path), 0);
  int rd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ck_assert_int_ge(rd, 0);
  ck_assert_int_eq(hl_write_atomic(path, "abc", 3), 0);
  char got[8] = "";
  ck_assert_int_eq(read(rd, got, sizeof(got)), 3);
  close(rd);
  ck_assert_int_eq(lstat(path, &st), 0);
  ck_assert(S_ISLNK(st.st_mode));
  static const char *const names[] = {"report.json", "victim", "fifo"};
  rm_tree(dir, names, 3);
}
END_TEST

START_TEST(test_atomic_replace) {
  char *dir = make_tmpdir();
  char path[600];
  snprintf(path, sizeof(path), "%s/report.json", dir);
  ck_assert_int_eq(hl_write_atomic(path, "first version\n", 14), 0);
  expect_file(path, "first version\n", 0644);
  ck_assert_int_eq(hl_write_atomic(path, "two", 3), 0);
  expect_file(path, "two", 0644);
  ck_assert_uint_eq(dir_entries(dir), 1); /* no temporary file left */
  /* A replaced file keeps its mode; an empty write gives an empty file. */
  ck_assert_int_eq(chmod(path, 0600), 0);
  ck_assert_int_eq(hl_write_atomic(path, "", 0), 0);
  expect_file(path, "", 0600);
  ck_assert_uint_eq(dir_entries(dir), 1);
  static const char *const names[] = {"report.json"};
  rm_tree(dir, names, 1);
}
END_TEST

START_TEST(test_atomic_errors) {
  char *dir = make_tmpdir();
  char path[600];
  snprintf(path, sizeof(path), "%s/missing/report.json", dir);
  ck_assert_int_eq(hl_write_atomic(path, "x", 1), -ENOENT);
  ck_assert_int_eq(hl_write_atomic("", "x", 1), -EINVAL);
  ck_assert_int_eq(hl_write_atomic(NULL, "x", 1), -EINVAL);
  /* The target is a directory: rename fails, the temporary file goes. */
  snprintf(path, sizeof(path), "%s/sub", dir);
  ck_assert_int_eq(mkdir(path, 0755), 0);
  ck_assert_int_lt(hl_write_atomic(path, "x", 1), 0);
  ck_assert_uint_eq(dir_entries(dir), 1);
  ck_assert_uint_eq(dir_entries(path), 0);
  static const char *const names[] = {"sub"};
  rm_tree(dir, names, 1);
}
END_TEST

/* A path without a directory part is written in the working directory. */
START_TEST(test_atomic_relative) {
  char *dir = make_tmpdir();
  int cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ck_assert_int_ge(cwd, 0);
  ck_assert_int_eq(chdir(dir), 0);
  int rc = hl_write_atomic("plain.html", "<p>", 3);
  ck_assert_int_eq(fchdir(cwd), 0);
  close(cwd);
  ck_assert_int_eq(rc, 0);
  char path[600];
  snprintf(path, sizeof(path), "%s/plain.html", dir);
  expect_file(path, "<p>", 0644);
  ck_assert_uint_eq(dir_entries(dir), 1);
  static const char *const names[] = {"plain.html"};
  rm_tree(dir, names, 1);
}
END_TEST

Suite *hl_report_suite(void) {
  Suite *s = suite_create("hl_report");
  TCase *tc = tcase_create("json");
  tcase_add_test(tc, test_json_top_level);
  tcase_add_test(tc, test_json_docker_states);
  tcase_add_test(tc, test_json_unknown_range_and_method);
  tcase_add_test(tc, test_null_meta);
  tcase_add_test(tc, test_json_known_owner);
  tcase_add_test(tc, test_json_unknown_owner);
  tcase_add_test(tc, test_json_container);
  tcase_add_test(tc, test_json_published_only);
  tcase_add_test(tc, test_json_findings);
  tcase_add_test(tc, test_json_procfs_backlog_null);
  tcase_add_loop_test(tc, test_json_hostile_strings, 0,
                      ARRAY_SIZE(hostile_cases));
  tcase_add_test(tc, test_json_pretty_and_compact);
  tcase_add_test(tc, test_json_policy_section);
  tcase_add_test(tc, test_json_size_cap);
  suite_add_tcase(s, tc);
  tc = tcase_create("html");
  tcase_add_loop_test(tc, test_html_escape, 0, ARRAY_SIZE(esc_cases));
  tcase_add_test(tc, test_html_escape_edges);
  tcase_add_test(tc, test_html_every_field_escaped);
  tcase_add_test(tc, test_html_hostile_process);
  tcase_add_test(tc, test_html_structure);
  tcase_add_test(tc, test_html_empty_and_cap);
  suite_add_tcase(s, tc);
  tc = tcase_create("write_atomic");
  tcase_add_test(tc, test_atomic_special_file);
  tcase_add_test(tc, test_atomic_symlink_shared_dir);
  tcase_add_test(tc, test_atomic_replace);
  tcase_add_test(tc, test_atomic_errors);
  tcase_add_test(tc, test_atomic_relative);
  suite_add_tcase(s, tc);
  return s;
}
