// SPDX-License-Identifier: MIT
/*
 * Unit tests for shared/hl_ports: the port policy (keywords, file syntax and
 * every error message, evaluation truth tables, watched ports), the
 * ip_local_port_range parser, the pure merge of sockets and Docker ports
 * (hand-built struct hl_socks and struct hl_docker, owners NULL; each record
 * is rendered as one line of text and compared with the case's table), and
 * one end-to-end hl_ports_collect() on the fixture tree
 * tests/fixtures/ports/proc (net/tcp{,6}, net/udp{,6}, ip_local_port_range
 * and four processes whose fd symlinks point at "socket:[N]").
 */
#include "check_suites.h"
#include "hl_ports.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* ---- helpers ------------------------------------------------------------- */

static const char *proto_name(uint8_t proto) {
  return proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp" : "any";
}

/* Appends to a fixed buffer; fails the test if it overflows. */
__attribute__((format(printf, 4, 5))) static void
put(char *out, size_t size, size_t *len, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(out + *len, size - *len, fmt, ap);
  va_end(ap);
  ck_assert_msg(n >= 0 && (size_t)n < size - *len, "description too long");
  *len += (size_t)n;
}

/* The policy as text, one rule per line, in the struct's order. */
static void policy_describe(const struct hl_policy *p, char *out, size_t size) {
  size_t len = 0;
  out[0] = '\0';
  for (size_t i = 0; i < p->nallow; i++)
    put(out, size, &len, "allow %s %u-%u\n", proto_name(p->allow[i].proto),
        p->allow[i].lo, p->allow[i].hi);
  for (size_t i = 0; i < p->nallow_proc; i++)
    put(out, size, &len, "proc %s\n", p->allow_proc[i]);
  for (size_t i = 0; i < p->nlocal_only; i++)
    put(out, size, &len, "local %s %u-%u\n", proto_name(p->local_only[i].proto),
        p->local_only[i].lo, p->local_only[i].hi);
  for (size_t i = 0; i < p->nwatch; i++)
    put(out, size, &len, "watch %s %u-%u %s\n", proto_name(p->watch[i].proto),
        p->watch[i].lo, p->watch[i].hi, p->watch[i].addr);
  put(out, size, &len, "ephemeral %s\n", p->check_ephemeral ? "true" : "false");
}

static struct hl_sock mk_sock(const char *proto, const char *addr,
                              uint16_t port, uint64_t inode) {
  struct hl_sock s = {.port = port, .inode = inode};
  s.proto = strcmp(proto, "tcp") == 0 ? IPPROTO_TCP : IPPROTO_UDP;
  if (inet_pton(AF_INET, addr, s.addr) == 1) {
    s.family = AF_INET;
  } else {
    ck_assert_int_eq(inet_pton(AF_INET6, addr, s.addr), 1);
    s.family = AF_INET6;
  }
  return s;
}

/* "tcp 0.0.0.0 8080 wild [web 0123456789ab nginx 0.0.0.0:8080->80/tcp 80]" */
static void rec_describe(const struct hl_port_rec *r, char *out, size_t size) {
  char a[INET6_ADDRSTRLEN] = "?";
  inet_ntop(r->s.family, r->s.addr, a, sizeof(a));
  size_t len = 0;
  out[0] = '\0';
  put(out, size, &len, "%s %s %u%s%s%s", proto_name(r->s.proto), a, r->s.port,
      r->has_socket ? "" : " nosock", r->ephemeral ? " eph" : "",
      r->wildcard ? " wild" : "");
  if (r->ctr_spec[0] != '\0')
    put(out, size, &len, " [%s %s %s %s %u]", r->ctr_name ? r->ctr_name : "-",
        r->ctr_id ? r->ctr_id : "-", r->ctr_image ? r->ctr_image : "-",
        r->ctr_spec, r->ctr_port);
}

static void parse_ok(const char *text, struct hl_policy *p) {
  char err[256] = "";
  hl_policy_init(p);
  int rc = hl_policy_parse(text, strlen(text), p, err, sizeof(err));
  ck_assert_msg(rc == 0, "parse \"%s\": %d %s", text, rc, err);
}

/* ---- policy: files ------------------------------------------------------- */

static const struct file_case {
  const char *file; /* below tests/fixtures/ports/policy */
  const char *want;
} file_cases[] = {
    {"good.policy", "allow tcp 22-22\n"
                    "allow udp 53-53\n"
                    "allow any 8000-8099\n"
                    "allow tcp 60000-60000\n"
                    "allow tcp 2222-2222\n"
                    "proc my daemon\n"
                    "proc nginx\n"
                    "proc say \"hi\" \\ back\n"
                    "proc #not-a-comment\n"
                    "local tcp 5432-5432\n"
                    "local any 6379-6379\n"
                    "watch tcp 22-22 \n"
                    "watch udp 53-53 127.0.0.1\n"
                    "watch tcp 443-443 ::1\n"
                    "ephemeral false\n"},
    {"crlf.policy", "allow tcp 22-22\n"
                    "local udp 53-53\n"
                    "watch udp 123-123 ::\n"
                    "ephemeral true\n"},
    {"empty.policy", "ephemeral true\n"},
    {"comments.policy", "ephemeral true\n"},
};

START_TEST(test_policy_load) {
  const struct file_case *c = &file_cases[_i];
  char rel[256];
  snprintf(rel, sizeof(rel), "ports/policy/%s", c->file);
  char path[4096];
  hl_test_fixture_path(path, sizeof(path), rel);
  struct hl_policy p;
  hl_policy_init(&p);
  char err[256] = "";
  int rc = hl_policy_load(path, &p, err, sizeof(err));
  ck_assert_msg(rc == 0, "%s: %d %s", c->file, rc, err);
  char got[2048];
  policy_describe(&p, got, sizeof(got));
  ck_assert_str_eq(got, c->want);
  hl_policy_free(&p);
  ck_assert_ptr_null(p.allow);
  ck_assert_uint_eq(p.nallow_proc, 0);
  ck_assert(p.check_ephemeral);
}
END_TEST

START_TEST(test_policy_load_errors) {
  char path[4096];
  struct hl_policy p;
  hl_policy_init(&p);
  char err[256] = "";
  hl_test_fixture_path(path, sizeof(path), "ports/policy/bad_range.policy");
  ck_assert_int_eq(hl_policy_load(path, &p, err, sizeof(err)), -EINVAL);
  ck_assert_str_eq(err, "line 3: AllowRange: low port 900 is above high port "
                        "800");
  ck_assert_uint_eq(p.nallow, 1); /* line 2 was added before the error */
  hl_policy_free(&p);

  hl_test_fixture_path(path, sizeof(path), "ports/policy/no-such.policy");
  ck_assert_int_eq(hl_policy_load(path, &p, err, sizeof(err)), -ENOENT);
  ck_assert_str_eq(err, "No such file or directory");
  hl_test_fixture_path(path, sizeof(path), "ports/policy");
  ck_assert_int_eq(hl_policy_load(path, &p, err, sizeof(err)), -EISDIR);
  ck_assert_int_eq(hl_policy_load(path, &p, NULL, 0), -EISDIR);
  /* An endless file stops at the 1 MiB cap. */
  ck_assert_int_eq(hl_policy_load("/dev/zero", &p, err, sizeof(err)), -E2BIG);
  ck_assert_str_eq(err, "larger than 1048576 bytes");
  ck_assert_uint_eq(p.nallow + p.nallow_proc + p.nwatch, 0);
  hl_policy_free(&p);
}
END_TEST

/* ---- policy: syntax errors ----------------------------------------------- */

static const struct syntax_case {
  const char *text;
  size_t len; /* 0: strlen(text) */
  const char *err;
} syntax_cases[] = {
    {"Foo 1", 0, "line 1: unknown keyword \"Foo\""},
    {"AllowPort tcp", 0,
     "line 1: AllowPort: expected tcp|udp|any PORT, got 1 argument"},
    {"AllowPort tcp 22 23", 0,
     "line 1: AllowPort: expected tcp|udp|any PORT, got 3 arguments"},
    {"AllowPort sctp 22", 0,
     "line 1: AllowPort: protocol \"sctp\" is not tcp, udp or any"},
    {"AllowPort tcp 0", 0, "line 1: AllowPort: port 0 is outside 1-65535"},
    {"AllowPort tcp 65536", 0,
     "line 1: AllowPort: port 65536 is outside 1-65535"},
    {"AllowPort tcp 99999999999999999999999", 0,
     "line 1: AllowPort: port 99999999999999999999999 is outside 1-65535"},
    {"AllowPort tcp ssh", 0, "line 1: AllowPort: port \"ssh\" is not a number"},
    {"AllowPort tcp -1", 0, "line 1: AllowPort: port \"-1\" is not a number"},
    {"AllowPort tcp 22x", 0, "line 1: AllowPort: port \"22x\" is not a number"},
    {"AllowPort tcp \"\"", 0, "line 1: AllowPort: port \"\" is not a number"},
    {"AllowRange tcp 900 800", 0,
     "line 1: AllowRange: low port 900 is above high port 800"},
    {"AllowRange tcp x 800", 0,
     "line 1: AllowRange: low port \"x\" is not a number"},
    {"AllowRange tcp 1 70000", 0,
     "line 1: AllowRange: high port 70000 is outside 1-65535"},
    {"AllowRange any 1", 0,
     "line 1: AllowRange: expected tcp|udp|any LOW HIGH, got 2 arguments"},
    {"AllowProcess", 0, "line 1: AllowProcess: expected NAME, got 0 arguments"},
    {"AllowProcess a b", 0,
     "line 1: AllowProcess: expected NAME, got 2 arguments"},
    {"AllowProcess \"\"", 0, "line 1: AllowProcess: empty process name"},
    {"LocalOnly udp", 0,
     "line 1: LocalOnly: expected tcp|udp|any PORT, got 1 argument"},
    {"LocalOnly icmp 1", 0,
     "line 1: LocalOnly: protocol \"icmp\" is not tcp, udp or any"},
    {"Port any 22", 0, "line 1: Port: protocol \"any\" is not tcp or udp"},
    {"Port tcp 22 1.2.3", 0,
     "line 1: Port: address \"1.2.3\" is not an IPv4 or IPv6 address"},
    {"Port tcp 22 localhost", 0,
     "line 1: Port: address \"localhost\" is not an IPv4 or IPv6 address"},
    {"Port tcp 22 fe80::1%eth0", 0,
     "line 1: Port: address \"fe80::1%eth0\" is not an IPv4 or IPv6 address"},
    {"Port tcp 22 ::1 x", 0,
     "line 1: Port: expected tcp|udp PORT [ADDRESS], got 4 arguments"},
    {"Port tcp", 0,
     "line 1: Port: expected tcp|udp PORT [ADDRESS], got 1 argument"},
    {"CheckEphemeral yes", 0,
     "line 1: CheckEphemeral: \"yes\" is not true or false"},
    {"CheckEphemeral", 0,
     "line 1: CheckEphemeral: expected true|false, got 0 arguments"},
    {"AllowProcess \"unterminated", 0, "line 1: unterminated quoted string"},
    {"AllowProcess \"a\\\"", 0, "line 1: unterminated quoted string"},
    {"AllowProcess \"a\"b", 0, "line 1: text after closing quote"},
    {"AllowProcess a\"b\"", 0, "line 1: unexpected '\"' inside a word"},
    {"AllowPort tcp 1 2 3 4 5 6 7", 0, "line 1: too many words"},
    {"AllowProcess a\0b", 16, "line 1: NUL byte in a word"},
    {"AllowProcess \"a\0b\"", 18, "line 1: NUL byte in a word"},
    {"# comment\n\nAllowPort tcp 22\nAllowPort tcp 0\n", 0,
     "line 4: AllowPort: port 0 is outside 1-65535"},
    {"AllowPort tcp 22\nAllowPort tcp", 0,
     "line 2: AllowPort: expected tcp|udp|any PORT, got 1 argument"},
    {"AllowPort tcp 22\r\nBogus\r\n", 0, "line 2: unknown keyword \"Bogus\""},
    {"\"Allow Port\" tcp 22", 0, "line 1: unknown keyword \"Allow Port\""},
};

START_TEST(test_policy_syntax_errors) {
  const struct syntax_case *c = &syntax_cases[_i];
  size_t len = c->len ? c->len : strlen(c->text);
  char *text = hl_test_dup_exact(c->text, len);
  struct hl_policy p;
  hl_policy_init(&p);
  char err[256] = "";
  int rc = hl_policy_parse(text, len, &p, err, sizeof(err));
  ck_assert_msg(rc == -EINVAL, "case %d: rc %d", _i, rc);
  ck_assert_str_eq(err, c->err);
  /* Without an error buffer, and with a tiny one, it fails the same way. */
  hl_policy_free(&p);
  ck_assert_int_eq(hl_policy_parse(text, len, &p, NULL, 0), -EINVAL);
  hl_policy_free(&p);
  char tiny[8] = "xxxxxxx";
  ck_assert_int_eq(hl_policy_parse(text, len, &p, tiny, sizeof(tiny)), -EINVAL);
  ck_assert_uint_eq(strlen(tiny), sizeof(tiny) - 1);
  ck_assert_int_eq(strncmp(tiny, c->err, sizeof(tiny) - 1), 0);
  hl_policy_free(&p);
  free(text);
}
END_TEST

/* ---- policy: hl_policy_add ----------------------------------------------- */

static const struct add_case {
  const char *key;
  const char *argv[4];
  int argc;
  int rc;
  const char *err; /* or the policy after adding, for rc 0 */
} add_cases[] = {
    {"allowPORT", {"Tcp", "443"}, 2, 0, "allow tcp 443-443\nephemeral true\n"},
    {"AllowRange",
     {"ANY", "1", "65535"},
     3,
     0,
     "allow any 1-65535\nephemeral true\n"},
    {"AllowRange",
     {"udp", "5353", "5353"},
     3,
     0,
     "allow udp 5353-5353\nephemeral true\n"},
    {"ALLOWPROCESS", {"my daemon"}, 1, 0, "proc my daemon\nephemeral true\n"},
    {"localonly", {"udp", "161"}, 2, 0, "local udp 161-161\nephemeral true\n"},
    {"port", {"udp", "53"}, 2, 0, "watch udp 53-53 \nephemeral true\n"},
    {"Port",
     {"tcp", "22", "0000:0000::0001"},
     3,
     0,
     "watch tcp 22-22 ::1\nephemeral true\n"},
    {"Port",
     {"tcp", "22", "::ffff:10.0.0.1"},
     3,
     0,
     "watch tcp 22-22 ::ffff:10.0.0.1\nephemeral true\n"},
    {"checkephemeral", {"False"}, 1, 0, "ephemeral false\n"},
    {"CheckEphemeral", {"TRUE"}, 1, 0, "ephemeral true\n"},
    {NULL, {"tcp"}, 1, -EINVAL, "missing keyword or arguments"},
    {"AllowPort", {"tcp", "22"}, -1, -EINVAL, "missing keyword or arguments"},
    {"AllowPort", {"tcp", NULL}, 2, -EINVAL, "AllowPort: argument 2 missing"},
    {"", {"tcp", "22"}, 2, -EINVAL, "unknown keyword \"\""},
    {"AllowPorts", {"tcp", "22"}, 2, -EINVAL, "unknown keyword \"AllowPorts\""},
    {"allowrange",
     {"tcp", "22", "21"},
     3,
     -EINVAL,
     "AllowRange: low port 22 is above high port 21"},
};

START_TEST(test_policy_add) {
  const struct add_case *c = &add_cases[_i];
  struct hl_policy p;
  hl_policy_init(&p);
  char err[256] = "";
  int rc = hl_policy_add(&p, c->key, c->argv, c->argc, err, sizeof(err));
  ck_assert_msg(rc == c->rc, "case %d: rc %d (%s)", _i, rc, err);
  if (rc == 0) {
    char got[512];
    policy_describe(&p, got, sizeof(got));
    ck_assert_str_eq(got, c->err);
  } else {
    ck_assert_str_eq(err, c->err);
  }
  hl_policy_free(&p);
}
END_TEST

START_TEST(test_policy_add_null_argv) {
  struct hl_policy p;
  hl_policy_init(&p);
  char err[128] = "";
  ck_assert_int_eq(hl_policy_add(&p, "AllowPort", NULL, 2, err, sizeof(err)),
                   -EINVAL);
  ck_assert_int_eq(hl_policy_add(&p, "AllowPort", NULL, 0, err, sizeof(err)),
                   -EINVAL);
  ck_assert_str_eq(err,
                   "AllowPort: expected tcp|udp|any PORT, got 0 arguments");
  /* Many rules grow the arrays; free releases them all. */
  for (int i = 1; i <= 200; i++) {
    char port[16];
    snprintf(port, sizeof(port), "%d", i);
    const char *argv[] = {"tcp", port};
    ck_assert_int_eq(hl_policy_add(&p, "AllowPort", argv, 2, err, sizeof(err)),
                     0);
    ck_assert_int_eq(hl_policy_add(&p, "LocalOnly", argv, 2, err, sizeof(err)),
                     0);
    ck_assert_int_eq(hl_policy_add(&p, "Port", argv, 2, err, sizeof(err)), 0);
    const char *name[] = {port};
    ck_assert_int_eq(
        hl_policy_add(&p, "AllowProcess", name, 1, err, sizeof(err)), 0);
  }
  ck_assert_uint_eq(p.nallow, 200);
  ck_assert_uint_eq(p.allow[199].lo, 200);
  ck_assert_str_eq(p.allow_proc[199], "200");
  hl_policy_free(&p);
  hl_policy_free(&p); /* freeing twice is harmless */
  hl_policy_free(NULL);
}
END_TEST

/* ---- policy: evaluation -------------------------------------------------- */

#define P_EMPTY ""
#define P_ALLOW                                                                \
  "AllowPort tcp 22\nAllowRange udp 5000 5010\nAllowProcess nginx\n"           \
  "LocalOnly tcp 5432\nLocalOnly any 6379\n"
#define P_NOEPH "CheckEphemeral false\nLocalOnly tcp 5432\n"
#define P_PROC "AllowProcess systemd-resolved\nAllowProcess \"a b\"\n"
#define P_PROC15 "AllowProcess systemd-resolve\n"
#define P_ANY "AllowPort any 53\n"

enum { NOSOCK = 1, EPH = 2, WILD = 4 };
#define UNX HL_FIND_UNEXPECTED
#define EPHF HL_FIND_EPHEMERAL
#define WLDF HL_FIND_WILDCARD

static const struct eval_case {
  const char *policy;
  const char *proto;
  uint16_t port;
  const char *process;
  unsigned flags; /* NOSOCK, EPH, WILD */
  unsigned want;
} eval_cases[] = {
    {P_EMPTY, "tcp", 22, NULL, 0, 0},
    {P_EMPTY, "tcp", 40000, NULL, EPH, EPHF},
    {P_EMPTY, "tcp", 40000, NULL, EPH | WILD, EPHF},
    {P_EMPTY, "tcp", 40000, NULL, EPH | NOSOCK, 0},
    {P_EMPTY, "tcp", 5432, "postgres", WILD, 0},
    {P_ALLOW, "tcp", 22, "sshd", 0, 0},
    {P_ALLOW, "tcp", 22, "sshd", WILD, 0},
    {P_ALLOW, "udp", 22, "sshd", 0, UNX},
    {P_ALLOW, "udp", 5000, NULL, 0, 0},
    {P_ALLOW, "udp", 5005, NULL, 0, 0},
    {P_ALLOW, "udp", 5010, NULL, 0, 0},
    {P_ALLOW, "udp", 4999, NULL, 0, UNX},
    {P_ALLOW, "udp", 5011, NULL, 0, UNX},
    {P_ALLOW, "tcp", 5005, NULL, 0, UNX},
    {P_ALLOW, "tcp", 8080, "nginx", 0, 0},
    {P_ALLOW, "udp", 8080, "nginx", EPH, 0},    /* UDP: not a finding */
    {P_ALLOW, "tcp", 8080, "nginx", EPH, EPHF}, /* process rule: still */
    {P_ALLOW, "tcp", 22, "sshd", EPH, 0},       /* AllowPort names it */
    {P_ALLOW, "udp", 5005, NULL, EPH, 0},
    {P_ALLOW, "tcp", 8080, "nginx2", 0, UNX},
    {P_ALLOW, "tcp", 8080, "Nginx", 0, UNX},
    {P_ALLOW, "tcp", 8080, "", 0, UNX},
    {P_ALLOW, "tcp", 8080, NULL, 0, UNX},
    {P_ALLOW, "tcp", 5432, "postgres", WILD, UNX | WLDF},
    {P_ALLOW, "tcp", 5432, "nginx", WILD, WLDF},
    {P_ALLOW, "tcp", 5432, "postgres", 0, UNX},
    {P_ALLOW, "udp", 5432, "nginx", WILD, 0},
    {P_ALLOW, "udp", 6379, "nginx", WILD, WLDF},
    {P_ALLOW, "tcp", 6379, "nginx", WILD, WLDF},
    {P_ALLOW, "tcp", 40000, NULL, EPH | WILD, UNX | EPHF},
    {P_ALLOW, "tcp", 8080, NULL, NOSOCK | EPH | WILD, UNX},
    {P_ALLOW, "tcp", 22, NULL, NOSOCK, 0},
    {P_ALLOW, "tcp", 5432, NULL, NOSOCK | WILD, UNX},
    {P_NOEPH, "tcp", 40000, NULL, EPH, 0},
    {P_NOEPH, "tcp", 5432, NULL, WILD, WLDF},
    {P_NOEPH, "udp", 5432, NULL, WILD, 0},
    {P_NOEPH, "tcp", 5432, NULL, 0, 0},
    {P_NOEPH, "tcp", 5432, NULL, WILD | NOSOCK, 0},
    {P_PROC, "udp", 53, "systemd-resolve", 0, 0},
    {P_PROC, "udp", 53, "systemd-resolv", 0, UNX},
    {P_PROC, "udp", 53, "systemd-resolved", 0, 0},
    {P_PROC, "udp", 53, "a b", 0, 0},
    {P_PROC, "udp", 53, "a", 0, UNX},
    {P_PROC15, "udp", 53, "systemd-resolve", 0, 0},
    {P_PROC15, "udp", 53, "systemd-resolved", 0, UNX},
    {P_ANY, "udp", 53, NULL, 0, 0},
    {P_ANY, "tcp", 53, NULL, 0, 0},
    {P_ANY, "tcp", 54, NULL, 0, UNX},
};

START_TEST(test_policy_eval) {
  const struct eval_case *c = &eval_cases[_i];
  struct hl_policy p;
  parse_ok(c->policy, &p);
  struct hl_port_rec r = {.s = mk_sock(c->proto, "10.0.0.1", c->port, 1),
                          .has_socket = !(c->flags & NOSOCK),
                          .process = (char *)c->process,
                          .ephemeral = c->flags & EPH,
                          .wildcard = c->flags & WILD};
  unsigned got = hl_policy_eval(&p, &r);
  ck_assert_msg(got == c->want, "case %d (%s %u %s): findings %#x, want %#x",
                _i, c->proto, c->port, c->process ? c->process : "-", got,
                c->want);
  hl_policy_free(&p);
}
END_TEST

/* ---- policy: watched ports ----------------------------------------------- */

static const struct watch_case {
  const char *rule;
  bool listening;
  int pid;
} watch_cases[] = {
    {"Port tcp 22", true, 100},
    {"Port tcp 22 127.0.0.1", true, 0},
    {"Port tcp 22 0.0.0.0", true, 100},
    {"Port tcp 22 ::", true, 101},
    {"Port tcp 22 10.0.0.1", false, 0},
    {"Port udp 22", false, 0},
    {"Port udp 53", true, 300},
    {"Port udp 53 ::1", true, 300},
    {"Port udp 53 0:0:0:0:0:0:0:1", true, 300},
    {"Port tcp 8080", false, 0}, /* published-only record: no socket */
    {"Port tcp 8080 0.0.0.0", false, 0},
    {"Port tcp 5000 10.0.0.5", true, 500}, /* socket ::ffff:10.0.0.5 */
    {"Port tcp 5000 ::ffff:10.0.0.5", true, 500},
    {"Port tcp 5001 ::ffff:10.0.0.6", true, 0}, /* socket 10.0.0.6 */
    {"Port tcp 5001 ::", false, 0},
    {"Port tcp 443", false, 0},
};

START_TEST(test_watch_listening) {
  const struct watch_case *c = &watch_cases[_i];
  struct hl_port_rec recs[] = {
      {.s = mk_sock("tcp", "127.0.0.1", 22, 1), .has_socket = true},
      {.s = mk_sock("tcp", "0.0.0.0", 22, 2), .has_socket = true, .pid = 100},
      {.s = mk_sock("tcp", "::", 22, 3), .has_socket = true, .pid = 101},
      {.s = mk_sock("udp", "::1", 53, 4), .has_socket = true, .pid = 300},
      {.s = mk_sock("tcp", "::ffff:10.0.0.5", 5000, 5),
       .has_socket = true,
       .pid = 500},
      {.s = mk_sock("tcp", "10.0.0.6", 5001, 6), .has_socket = true},
      {.s = mk_sock("tcp", "0.0.0.0", 8080, 0), .has_socket = false},
  };
  struct hl_port_report rep = {.r = recs, .n = ARRAY_SIZE(recs)};
  struct hl_policy p;
  parse_ok(c->rule, &p);
  ck_assert_uint_eq(p.nwatch, 1);
  int pid = -1;
  bool got = hl_policy_watch_listening(&p.watch[0], &rep, &pid);
  ck_assert_msg(got == c->listening, "%s: listening %d", c->rule, got);
  ck_assert_msg(pid == c->pid, "%s: pid %d, want %d", c->rule, pid, c->pid);
  ck_assert(hl_policy_watch_listening(&p.watch[0], &rep, NULL) == got);
  struct hl_port_report none = {0};
  pid = -1;
  ck_assert(!hl_policy_watch_listening(&p.watch[0], &none, &pid));
  ck_assert_int_eq(pid, 0);
  hl_policy_free(&p);
}
END_TEST

/* ---- ip_local_port_range ------------------------------------------------- */

static const struct range_case {
  const char *text;
  int rc;
  uint32_t lo, hi;
} range_cases[] = {
    {"32768\t60999\n", 0, 32768, 60999},
    {"32768\t60999", 0, 32768, 60999},
    {"32768 60999\n", 0, 32768, 60999},
    {"  1024   65535  \n", 0, 1024, 65535},
    {"32768\t60999\n\n", 0, 32768, 60999},
    {"32768\t60999\r\n", -EPROTO, 0, 0}, /* the kernel never writes \r */
    {"8080 8080\n", 0, 8080, 8080},
    {"1 1", 0, 1, 1},
    {"", -EPROTO, 0, 0},
    {"\n", -EPROTO, 0, 0},
    {"32768\n", -EPROTO, 0, 0},
    {"32768\n60999\n", -EPROTO, 0, 0},
    {"32768 60999 1\n", -EPROTO, 0, 0},
    {"32768 60999x", -EPROTO, 0, 0},
    {"32768,60999", -EPROTO, 0, 0},
    {"abc def\n", -EPROTO, 0, 0},
    {"60999 32768\n", -EPROTO, 0, 0},
    {"0 100\n", -EPROTO, 0, 0},
    {"1 65536\n", -EPROTO, 0, 0},
    {"-1 5\n", -EPROTO, 0, 0},
    {"99999999999999999999999 1\n", -EPROTO, 0, 0},
    {"\n32768 60999\n", -EPROTO, 0, 0},
};

START_TEST(test_parse_range) {
  const struct range_case *c = &range_cases[_i];
  size_t len = strlen(c->text);
  char *buf = hl_test_dup_exact(c->text, len);
  uint32_t lo = 7;
  uint32_t hi = 7;
  int rc = hl_ports_parse_range(buf, len, &lo, &hi);
  ck_assert_msg(rc == c->rc, "case %d: rc %d", _i, rc);
  ck_assert_uint_eq(lo, rc == 0 ? c->lo : 7);
  ck_assert_uint_eq(hi, rc == 0 ? c->hi : 7);
  free(buf);
  ck_assert_int_eq(hl_ports_parse_range(NULL, 0, &lo, &hi), -EPROTO);
}
END_TEST

/* ---- merge --------------------------------------------------------------- */

#define ID1 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ID2 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define SID1 "0123456789ab"
#define SID2 "fedcba987654"
#define PUB(IP, PUBLIC, PRIVATE, PROTO)                                        \
  { .ip = IP, .public_port = PUBLIC, .private_port = PRIVATE, .proto = PROTO }
#define TCP IPPROTO_TCP
#define UDP IPPROTO_UDP

struct sock_spec {
  const char *proto; /* NULL ends the list */
  const char *addr;
  uint16_t port;
};

struct ctr_case {
  char *id;
  char *name;
  char *image;
  struct hl_docker_port ports[4];
  size_t nports;
};

static const struct merge_case {
  const char *name;
  uint32_t eph_low, eph_high;
  struct sock_spec socks[8];
  struct ctr_case ctrs[3];
  size_t nctrs;
  const char *want[8]; /* NULL ends the list */
} merge_cases[] = {
    {"sorted: tcp first, then port, family, address",
     0,
     0,
     {{"udp", "127.0.0.1", 53},
      {"tcp", "::", 22},
      {"tcp", "0.0.0.0", 22},
      {"tcp", "0.0.0.0", 80},
      {"udp", "::1", 53},
      {"tcp", "192.168.1.2", 22},
      {"udp", "0.0.0.0", 53}},
     {{0}},
     0,
     {"tcp 0.0.0.0 22 wild", "tcp 192.168.1.2 22", "tcp :: 22 wild",
      "tcp 0.0.0.0 80 wild", "udp 0.0.0.0 53 wild", "udp 127.0.0.1 53",
      "udp ::1 53"}},
    {"ephemeral bounds",
     32768,
     60999,
     {{"tcp", "127.0.0.1", 32767},
      {"tcp", "127.0.0.1", 32768},
      {"tcp", "127.0.0.1", 60999},
      {"tcp", "127.0.0.1", 61000},
      {"udp", "::", 45000}},
     {{0}},
     0,
     {"tcp 127.0.0.1 32767", "tcp 127.0.0.1 32768 eph",
      "tcp 127.0.0.1 60999 eph", "tcp 127.0.0.1 61000",
      "udp :: 45000 eph wild"}},
    {"unknown range: nothing is ephemeral",
     0,
     0,
     {{"tcp", "127.0.0.1", 40000}},
     {{0}},
     0,
     {"tcp 127.0.0.1 40000"}},
    {"exact matches, v4 and v6 entries of one container",
     0,
     0,
     {{"tcp", "0.0.0.0", 8080},
      {"tcp", "::", 8080},
      {"tcp", "127.0.0.1", 9000}},
     {{ID1,
       "web",
       "nginx:1.25",
       {PUB("0.0.0.0", 8080, 80, TCP), PUB("::", 8080, 80, TCP)},
       2},
      {ID2, "api", "ghcr.io/x/api:2", {PUB("127.0.0.1", 9000, 9000, TCP)}, 1}},
     2,
     {"tcp 0.0.0.0 8080 wild [web " SID1 " nginx:1.25 0.0.0.0:8080->80/tcp 80]",
      "tcp :: 8080 wild [web " SID1 " nginx:1.25 [::]:8080->80/tcp 80]",
      "tcp 127.0.0.1 9000 [api " SID2 " ghcr.io/x/api:2 "
      "127.0.0.1:9000->9000/tcp 9000]"}},
    {"docker-proxy on :: serves both entries: no published-only record",
     0,
     0,
     {{"tcp", "::", 8080}},
     {{ID1,
       "web",
       "nginx",
       {PUB("0.0.0.0", 8080, 80, TCP), PUB("::", 8080, 80, TCP)},
       2}},
     1,
     {"tcp :: 8080 wild [web " SID1 " nginx [::]:8080->80/tcp 80]"}},
    {"0.0.0.0 entry matches a :: socket",
     0,
     0,
     {{"tcp", "::", 8080}},
     {{ID1, "web", "nginx", {PUB("0.0.0.0", 8080, 80, TCP)}, 1}},
     1,
     {"tcp :: 8080 wild [web " SID1 " nginx 0.0.0.0:8080->80/tcp 80]"}},
    {"specific entry matches a wildcard socket",
     0,
     0,
     {{"tcp", "0.0.0.0", 9000}},
     {{ID2, "api", "api", {PUB("127.0.0.1", 9000, 9000, TCP)}, 1}},
     1,
     {"tcp 0.0.0.0 9000 wild [api " SID2 " api 127.0.0.1:9000->9000/tcp "
      "9000]"}},
    {":: entry matches a specific IPv4 socket",
     0,
     0,
     {{"udp", "10.0.0.2", 5353}},
     {{ID1, "mdns", "avahi", {PUB("::", 5353, 5353, UDP)}, 1}},
     1,
     {"udp 10.0.0.2 5353 [mdns " SID1 " avahi [::]:5353->5353/udp 5353]"}},
    {"exact match wins over an earlier wildcard match",
     0,
     0,
     {{"tcp", "0.0.0.0", 8080}, {"tcp", "127.0.0.1", 8080}},
     {{ID2, "api", "api", {PUB("127.0.0.1", 8080, 8080, TCP)}, 1},
      {ID1, "web", "nginx", {PUB("0.0.0.0", 8080, 80, TCP)}, 1}},
     2,
     {"tcp 0.0.0.0 8080 wild [web " SID1 " nginx 0.0.0.0:8080->80/tcp 80]",
      "tcp 127.0.0.1 8080 [api " SID2 " api 127.0.0.1:8080->8080/tcp 8080]"}},
    {"one entry is used once",
     0,
     0,
     {{"tcp", "0.0.0.0", 8080}, {"tcp", "::", 8080}},
     {{ID1, "web", "nginx", {PUB("0.0.0.0", 8080, 80, TCP)}, 1}},
     1,
     {"tcp 0.0.0.0 8080 wild [web " SID1 " nginx 0.0.0.0:8080->80/tcp 80]",
      "tcp :: 8080 wild"}},
    {"two containers on one socket: the first wins, no phantom record",
     0,
     0,
     {{"tcp", "0.0.0.0", 8080}},
     {{ID1, "a", "img-a", {PUB("0.0.0.0", 8080, 80, TCP)}, 1},
      {ID2, "b", "img-b", {PUB("0.0.0.0", 8080, 81, TCP)}, 1}},
     2,
     {"tcp 0.0.0.0 8080 wild [a " SID1 " img-a 0.0.0.0:8080->80/tcp 80]"}},
    {"different specific addresses do not match",
     0,
     0,
     {{"tcp", "10.0.0.1", 9000}},
     {{ID2, "api", "api", {PUB("127.0.0.1", 9000, 9000, TCP)}, 1}},
     1,
     {"tcp 10.0.0.1 9000", "tcp 127.0.0.1 9000 nosock [api " SID2
                           " api 127.0.0.1:9000->9000/tcp 9000]"}},
    {"published-only ports (iptables without docker-proxy)",
     32768,
     60999,
     {{0}},
     {{ID1,
       "web",
       "nginx",
       {PUB("0.0.0.0", 8080, 80, TCP), PUB("::", 8080, 80, TCP),
        PUB("0.0.0.0", 5353, 5353, UDP), PUB("0.0.0.0", 49153, 443, TCP)},
       4}},
     1,
     {"tcp 0.0.0.0 8080 nosock wild [web " SID1
      " nginx 0.0.0.0:8080->80/tcp 80]",
      "tcp :: 8080 nosock wild [web " SID1 " nginx [::]:8080->80/tcp 80]",
      "tcp 0.0.0.0 49153 nosock eph wild [web " SID1
      " nginx 0.0.0.0:49153->443/tcp 443]",
      "udp 0.0.0.0 5353 nosock wild [web " SID1
      " nginx 0.0.0.0:5353->5353/udp 5353]"}},
    {"exposed-only ports are ignored",
     0,
     0,
     {{"tcp", "0.0.0.0", 80}},
     {{ID1,
       "web",
       "nginx",
       {PUB("", 0, 80, TCP), PUB("0.0.0.0", 0, 443, TCP)},
       2}},
     1,
     {"tcp 0.0.0.0 80 wild"}},
    {"proto must match",
     0,
     0,
     {{"udp", "0.0.0.0", 53}},
     {{ID1, "dns", "coredns", {PUB("0.0.0.0", 53, 53, TCP)}, 1}},
     1,
     {"tcp 0.0.0.0 53 nosock wild [dns " SID1 " coredns 0.0.0.0:53->53/tcp 53]",
      "udp 0.0.0.0 53 wild"}},
    {"empty host IP is a wildcard",
     0,
     0,
     {{"tcp", "0.0.0.0", 8080}},
     {{ID1, "web", "nginx", {PUB("", 8080, 80, TCP)}, 1}},
     1,
     {"tcp 0.0.0.0 8080 wild [web " SID1 " nginx 8080->80/tcp 80]"}},
    {"SCTP and unparsable host IPs are skipped",
     0,
     0,
     {{0}},
     {{ID1,
       "sip",
       "kamailio",
       {PUB("0.0.0.0", 5060, 5060, IPPROTO_SCTP),
        PUB("bogus", 5061, 5061, TCP)},
       2}},
     1,
     {NULL}},
    {"IPv4-mapped socket equals the IPv4 entry",
     0,
     0,
     {{"tcp", "::ffff:10.0.0.5", 8080}, {"tcp", "0.0.0.0", 8080}},
     {{ID1, "web", "nginx", {PUB("10.0.0.5", 8080, 80, TCP)}, 1}},
     1,
     {"tcp 0.0.0.0 8080 wild", "tcp ::ffff:10.0.0.5 8080 [web " SID1
                               " nginx 10.0.0.5:8080->80/tcp 80]"}},
    {"specific IPv6 host IP",
     0,
     0,
     {{"tcp", "::1", 8443}},
     {{ID1, "caddy", "caddy:2", {PUB("::1", 8443, 443, TCP)}, 1}},
     1,
     {"tcp ::1 8443 [caddy " SID1 " caddy:2 [::1]:8443->443/tcp 443]"}},
    {"container without id, name or image",
     0,
     0,
     {{"tcp", "0.0.0.0", 8080}},
     {{NULL, NULL, NULL, {PUB("0.0.0.0", 8080, 80, TCP)}, 1}},
     1,
     {"tcp 0.0.0.0 8080 wild [- - - 0.0.0.0:8080->80/tcp 80]"}},
    {"short id of a short id",
     0,
     0,
     {{"tcp", "0.0.0.0", 8080}},
     {{"abc", "web", "nginx", {PUB("0.0.0.0", 8080, 80, TCP)}, 1}},
     1,
     {"tcp 0.0.0.0 8080 wild [web abc nginx 0.0.0.0:8080->80/tcp 80]"}},
    {"nothing at all", 0, 0, {{0}}, {{0}}, 0, {NULL}},
};

/* Builds the sockets of a case (in table order). */
static void case_socks(const struct merge_case *c, struct hl_socks *socks) {
  *socks = (struct hl_socks){0};
  for (int i = 0; i < ARRAY_SIZE(c->socks) && c->socks[i].proto != NULL; i++) {
    struct hl_sock s = mk_sock(c->socks[i].proto, c->socks[i].addr,
                               c->socks[i].port, 1000 + (uint64_t)i);
    ck_assert_int_eq(hl_socks_push(socks, &s), 0);
  }
}

START_TEST(test_merge) {
  const struct merge_case *c = &merge_cases[_i];
  struct hl_socks socks;
  case_socks(c, &socks);
  struct hl_docker_container ctrs[3];
  for (size_t i = 0; i < c->nctrs; i++)
    ctrs[i] = (struct hl_docker_container){
        .id = c->ctrs[i].id,
        .name = c->ctrs[i].name,
        .image = c->ctrs[i].image,
        .ports = (struct hl_docker_port *)c->ctrs[i].ports,
        .nports = c->ctrs[i].nports};
  struct hl_docker docker = {.available = true, .c = ctrs, .n = c->nctrs};
  struct hl_port_report rep = {.eph_low = c->eph_low, .eph_high = c->eph_high};
  ck_assert_int_eq(hl_ports_merge(&socks, NULL, &docker, &rep), 0);
  size_t nwant = 0;
  while (nwant < 8 && c->want[nwant] != NULL)
    nwant++;
  for (size_t i = 0; i < rep.n && i < nwant; i++) {
    char got[512];
    rec_describe(&rep.r[i], got, sizeof(got));
    ck_assert_msg(strcmp(got, c->want[i]) == 0,
                  "%s: record %zu:\n %s\nwant\n %s", c->name, i, got,
                  c->want[i]);
  }
  ck_assert_msg(rep.n == nwant, "%s: %zu records, want %zu", c->name, rep.n,
                nwant);
  for (size_t i = 0; i < rep.n; i++) {
    const struct hl_port_rec *r = &rep.r[i];
    ck_assert_int_eq(r->pid, 0);
    ck_assert_int_eq(r->fd, -1);
    ck_assert_ptr_null(r->process);
    ck_assert_ptr_null(r->user);
    ck_assert_ptr_null(r->cmdline);
    ck_assert_uint_eq(r->findings, 0);
    if (!r->has_socket)
      ck_assert_uint_eq(r->s.inode, 0);
    else
      ck_assert_uint_ge(r->s.inode, 1000);
    if (r->ctr_spec[0] == '\0')
      ck_assert(r->ctr_name == NULL && r->ctr_id == NULL && r->ctr_port == 0);
  }
  hl_port_report_free(&rep);
  hl_socks_free(&socks);
}
END_TEST

/* The records come out in hl_socks_sort()'s order. */
START_TEST(test_merge_order_matches_socks_sort) {
  const struct merge_case *c = &merge_cases[0];
  struct hl_socks socks;
  case_socks(c, &socks);
  struct hl_port_report rep = {0};
  ck_assert_int_eq(hl_ports_merge(&socks, NULL, NULL, &rep), 0);
  hl_socks_sort(&socks);
  ck_assert_uint_eq(rep.n, socks.n);
  for (size_t i = 0; i < socks.n; i++)
    ck_assert_uint_eq(rep.r[i].s.inode, socks.v[i].inode);
  hl_port_report_free(&rep);
  hl_socks_free(&socks);
}
END_TEST

/* Merge replaces earlier records; NULL inputs give an empty inventory. */
START_TEST(test_merge_replaces) {
  struct hl_socks socks = {0};
  struct hl_sock s = mk_sock("tcp", "0.0.0.0", 22, 7);
  ck_assert_int_eq(hl_socks_push(&socks, &s), 0);
  s = mk_sock("udp", "::", 53, 8);
  ck_assert_int_eq(hl_socks_push(&socks, &s), 0);
  struct hl_port_report rep = {.eph_low = 1, .eph_high = 60};
  ck_assert_int_eq(hl_ports_merge(&socks, NULL, NULL, &rep), 0);
  ck_assert_uint_eq(rep.n, 2);
  ck_assert(rep.r[0].ephemeral && rep.r[1].ephemeral);
  ck_assert(rep.r[0].has_socket);
  struct hl_docker unavailable = {.available = false};
  ck_assert_int_eq(hl_ports_merge(NULL, NULL, &unavailable, &rep), 0);
  ck_assert_uint_eq(rep.n, 0);
  ck_assert_int_eq(hl_ports_merge(&socks, NULL, NULL, &rep), 0);
  ck_assert_uint_eq(rep.n, 2);
  ck_assert_uint_eq(rep.eph_high, 60);
  hl_port_report_free(&rep);
  ck_assert_ptr_null(rep.r);
  ck_assert_uint_eq(rep.n, 0);
  ck_assert_uint_eq(rep.eph_high, 0);
  hl_port_report_free(&rep);
  hl_port_report_free(NULL);
  hl_socks_free(&socks);
}
END_TEST

/* ---- collection (end to end on a fixture /proc) ---------------------------
 */

static struct hl_ports_ctx *fixture_ctx(const char *rel, bool processes) {
  static char root[4096];
  hl_test_fixture_path(root, sizeof(root), rel);
  struct hl_ports_opts opts = {.proc_root = root,
                               .processes = processes,
                               .retry_every = 1,
                               .what = HL_SD_ALL};
  struct hl_ports_ctx *ctx = hl_ports_ctx_new(&opts);
  ck_assert_ptr_nonnull(ctx);
  return ctx;
}

static const struct e2e_want {
  const char *rec;
  int pid;
  int fd;
  const char *process;
  const char *user;
  const char *cmdline;
  unsigned findings;        /* with process names */
  unsigned findings_noproc; /* without: AllowProcess cannot match */
} e2e_want[] = {
    {"tcp 0.0.0.0 22 wild", 100, 3, "sshd", "root",
     "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups", 0, 0},
    {"tcp :: 22 wild", 100, 4, "sshd", "root",
     "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups", 0, 0},
    {"tcp 127.0.0.1 5432", 200, 6, "postgres", "nobody",
     "/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main",
     HL_FIND_UNEXPECTED, HL_FIND_UNEXPECTED},
    {"tcp ::1 8443", 400, 11, "caddy", "root", "/usr/bin/caddy run", 0,
     HL_FIND_UNEXPECTED},
    {"tcp 0.0.0.0 40000 eph wild", 0, -1, NULL, NULL, NULL,
     HL_FIND_UNEXPECTED | HL_FIND_EPHEMERAL,
     HL_FIND_UNEXPECTED | HL_FIND_EPHEMERAL},
    {"udp 0.0.0.0 53 wild", 300, 7, "dnsmasq", "root",
     "/usr/sbin/dnsmasq --keep-in-foreground", HL_FIND_WILDCARD,
     HL_FIND_UNEXPECTED | HL_FIND_WILDCARD},
};

static void check_e2e(const struct hl_port_report *rep, bool processes) {
  ck_assert_uint_eq(rep->n, ARRAY_SIZE(e2e_want));
  for (size_t i = 0; i < rep->n; i++) {
    const struct hl_port_rec *r = &rep->r[i];
    const struct e2e_want *w = &e2e_want[i];
    char got[256];
    rec_describe(r, got, sizeof(got));
    ck_assert_str_eq(got, w->rec);
    ck_assert_uint_eq(r->findings,
                      processes ? w->findings : w->findings_noproc);
    ck_assert_int_eq(r->pid, processes ? w->pid : 0);
    ck_assert_int_eq(r->fd, processes ? w->fd : -1);
    ck_assert_pstr_eq(r->process, processes ? w->process : NULL);
    ck_assert_pstr_eq(r->user, processes ? w->user : NULL);
    ck_assert_pstr_eq(r->cmdline, processes ? w->cmdline : NULL);
  }
}

START_TEST(test_collect_fixture) {
  bool processes = _i == 0;
  struct hl_ports_ctx *ctx = fixture_ctx("ports/proc", processes);
  struct hl_policy p;
  parse_ok("AllowPort any 1 \n AllowRange tcp 22 22\nAllowProcess caddy\n"
           "AllowProcess dnsmasq\nLocalOnly udp 53\n",
           &p);
  struct hl_port_report rep = {0};
  char err[256] = "";
  time_t before = time(NULL);
  ck_assert_int_eq(hl_ports_collect(ctx, &p, &rep, err, sizeof(err)), 0);
  ck_assert_uint_ge(rep.generated_at, before);
  ck_assert_int_eq(rep.method, HL_SD_PROCFS);
  ck_assert_uint_eq(rep.eph_low, 32768);
  ck_assert_uint_eq(rep.eph_high, 60999);
  ck_assert(!rep.docker_checked);
  ck_assert(rep.host[0] != '\0');
  check_e2e(&rep, processes);
  if (processes) {
    ck_assert_uint_eq(rep.r[2].uid, 65534);
    struct hl_owners_stats st = hl_ports_owner_stats(ctx);
    ck_assert_uint_eq(st.unresolved, 1); /* port 40000: no visible owner */
  }
  /* A second collection (the plugin's steady state) gives the same. */
  ck_assert_int_eq(hl_ports_collect(ctx, &p, &rep, err, sizeof(err)), 0);
  check_e2e(&rep, processes);
  if (processes)
    ck_assert_uint_gt(hl_ports_owner_stats(ctx).validated, 0);
  hl_port_report_free(&rep);
  hl_policy_free(&p);
  hl_ports_ctx_free(ctx);
}
END_TEST

START_TEST(test_collect_errors) {
  struct hl_ports_ctx *ctx = fixture_ctx("ports/no-such-proc", true);
  struct hl_port_report rep = {0};
  char err[256] = "";
  ck_assert_int_eq(hl_ports_collect(ctx, NULL, &rep, err, sizeof(err)),
                   -ENOENT);
  ck_assert_str_eq(err, "listing sockets: No such file or directory");
  ck_assert_uint_eq(rep.n, 0);
  ck_assert_ptr_null(rep.r);
  hl_ports_ctx_free(ctx);
  hl_ports_ctx_free(NULL);
  struct hl_owners_stats st = hl_ports_owner_stats(NULL);
  ck_assert_uint_eq(st.readlinks, 0);

  /* Docker unreachable is not an error: it shows in the report. */
  char root[4096];
  hl_test_fixture_path(root, sizeof(root), "ports/proc");
  struct hl_ports_opts opts = {.proc_root = root,
                               .docker_socket = "/nonexistent/docker.sock",
                               .docker_timeout_ms = 1000,
                               .what = HL_SD_TCP | HL_SD_V4};
  ctx = hl_ports_ctx_new(&opts);
  ck_assert_ptr_nonnull(ctx);
  ck_assert_int_eq(hl_ports_collect(ctx, NULL, &rep, err, sizeof(err)), 0);
  ck_assert(rep.docker_checked);
  ck_assert(!rep.docker.available);
  ck_assert(rep.docker.error[0] != '\0');
  ck_assert_uint_eq(rep.n, 3); /* tcp v4 only: 22, 5432, 40000 */
  for (size_t i = 0; i < rep.n; i++)
    ck_assert(rep.r[i].s.proto == IPPROTO_TCP && rep.r[i].s.family == AF_INET);
  hl_port_report_free(&rep);
  hl_ports_ctx_free(ctx);
}
END_TEST

Suite *hl_ports_suite(void) {
  Suite *s = suite_create("hl_ports");
  TCase *tc = tcase_create("policy");
  tcase_add_loop_test(tc, test_policy_load, 0, ARRAY_SIZE(file_cases));
  tcase_add_test(tc, test_policy_load_errors);
  tcase_add_loop_test(tc, test_policy_syntax_errors, 0,
                      ARRAY_SIZE(syntax_cases));
  tcase_add_loop_test(tc, test_policy_add, 0, ARRAY_SIZE(add_cases));
  tcase_add_test(tc, test_policy_add_null_argv);
  tcase_add_loop_test(tc, test_policy_eval, 0, ARRAY_SIZE(eval_cases));
  tcase_add_loop_test(tc, test_watch_listening, 0, ARRAY_SIZE(watch_cases));
  suite_add_tcase(s, tc);

  tc = tcase_create("merge");
  tcase_add_loop_test(tc, test_parse_range, 0, ARRAY_SIZE(range_cases));
  tcase_add_loop_test(tc, test_merge, 0, ARRAY_SIZE(merge_cases));
  tcase_add_test(tc, test_merge_order_matches_socks_sort);
  tcase_add_test(tc, test_merge_replaces);
  suite_add_tcase(s, tc);

  tc = tcase_create("collect");
  tcase_add_loop_test(tc, test_collect_fixture, 0, 2);
  tcase_add_test(tc, test_collect_errors);
  suite_add_tcase(s, tc);
  return s;
}
