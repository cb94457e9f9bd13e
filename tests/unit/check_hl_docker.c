// SPDX-License-Identifier: MIT
/*
 * Unit tests for shared/hl_docker.
 *
 * Parser: fixtures under tests/fixtures/docker/ (v1.24.json is the shape of
 * the Engine API v1.24 documentation example, containers.json a current
 * engine with IPv4 and IPv6 ("::") bindings, edge.json odd but legal
 * entries) and a table of inline bodies (wrong member types, huge numbers,
 * missing members, non-array top levels), each copied into an exact-size
 * heap block so AddressSanitizer catches any read past the length. Results
 * are compared as one rendered string per body. Every fixture is also
 * parsed truncated at each byte and with bytes overwritten, which must give
 * -EPROTO or a valid result, never a crash.
 *
 * Collector: real I/O over a unix socket. Each case forks a one-shot HTTP
 * server (written below: socket/bind/listen in a temp dir, accept, read the
 * request, write a canned answer) and calls hl_docker_collect() against it.
 */
#include "check_suites.h"
#include "hl_docker.h"
#include "hl_str.h"

#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- helpers ---- */

static const char *proto_name(uint8_t proto) {
  switch (proto) {
  case IPPROTO_TCP:
    return "tcp";
  case IPPROTO_UDP:
    return "udp";
  case IPPROTO_SCTP:
    return "sctp";
  default:
    return "?";
  }
}

/*
 * One line per container, "name|id|image|" then its ports as
 * "ip:public->private/proto" joined by ','. The caller frees the result.
 */
static char *render(const struct hl_docker *d) {
  struct hl_buf b;
  hl_buf_init(&b, 1u << 24);
  ck_assert_int_eq(hl_buf_append(&b, "", 0), 0);
  for (size_t i = 0; i < d->n; i++) {
    const struct hl_docker_container *c = &d->c[i];
    ck_assert_ptr_nonnull(c->id);
    ck_assert_ptr_nonnull(c->name);
    ck_assert_ptr_nonnull(c->image);
    char line[512];
    int n = snprintf(line, sizeof(line), "%s%s|%s|%s|", i ? "\n" : "", c->name,
                     c->id, c->image);
    ck_assert(n > 0 && (size_t)n < sizeof(line));
    ck_assert_int_eq(hl_buf_append(&b, line, (size_t)n), 0);
    for (size_t j = 0; j < c->nports; j++) {
      const struct hl_docker_port *p = &c->ports[j];
      n = snprintf(line, sizeof(line), "%s%s:%u->%u/%s", j ? "," : "", p->ip,
                   p->public_port, p->private_port, proto_name(p->proto));
      ck_assert(n > 0 && (size_t)n < sizeof(line));
      ck_assert_int_eq(hl_buf_append(&b, line, (size_t)n), 0);
    }
  }
  return b.data;
}

static char *load_docker_fixture(const char *name, size_t *len) {
  char rel[256];
  int n = snprintf(rel, sizeof(rel), "docker/%s", name);
  ck_assert(n > 0 && (size_t)n < sizeof(rel));
  char path[4096];
  hl_test_fixture_path(path, sizeof(path), rel);
  struct hl_buf b;
  hl_buf_init(&b, HL_DOCKER_MAX_BODY);
  int rc = hl_buf_read_file(&b, path);
  ck_assert_msg(rc == 0, "%s: %s", path, strerror(-rc));
  *len = b.len;
  char *copy = hl_test_dup_exact(b.data, b.len);
  hl_buf_free(&b);
  return copy;
}

/* Parses an exact-size copy of [json, json+len); checks the invariants
 * every outcome must satisfy. Return: hl_docker_parse()'s result. */
static int parse_exact(const char *json, size_t len, struct hl_docker *d) {
  char *copy = hl_test_dup_exact(json, len);
  int rc = hl_docker_parse(copy, len, d);
  free(copy);
  if (rc == 0) {
    ck_assert(d->available);
    ck_assert_str_eq(d->error, "");
    ck_assert(d->n == 0 || d->c != NULL);
  } else {
    ck_assert_msg(rc == -EPROTO, "rc %d", rc);
    ck_assert(!d->available);
    ck_assert_str_ne(d->error, "");
    ck_assert_ptr_null(d->c);
    ck_assert_uint_eq(d->n, 0);
  }
  return rc;
}

/* ---- fixtures ---- */

#define WEB_ID                                                                 \
  "f6560f021d838ecfc59c7f2f8433e5e5664886c311451c0d5197fd8a6d710f93"
#define DNS_ID                                                                 \
  "f14af8ecfdb66b9b1ba59bb5a5ecdf6a9786d40d05444d15aed1dbf27b91180a"
#define CACHE_ID                                                               \
  "07def598df43a8112dcac33d9359838fd2e5fca2365527980ad1fd7d903f589a"
#define BACKUP_ID                                                              \
  "3b8e1f0c6a2d4e5f7a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f"

static const char want_containers[] =
    "web|" WEB_ID "|nginx:1.25|0.0.0.0:8080->80/tcp,:::8080->80/tcp\n"
    "dns|" DNS_ID "|coredns/coredns:1.11.1|127.0.0.1:5353->53/udp\n"
    "cache|" CACHE_ID "|redis:7-alpine|:0->6379/tcp\n"
    "backup|" BACKUP_ID "|busybox:1.36|";

static const char want_v124[] =
    "boring_feynman|8dfafdbc3a40|ubuntu:latest|:3333->2222/tcp\n"
    "coolName|9cd87474be90|ubuntu:latest|\n"
    "sleepy_dog|3176a2479c92|ubuntu:latest|\n"
    "running_cat|4cb07b47f9fb|ubuntu:latest|";

static const char want_edge[] =
    "sigtran|5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f|"
    "example/sctp-echo:2|0.0.0.0:2905->2905/sctp,fd00::1:19000->9000/tcp,"
    ":17000->7000/udp\n"
    "|6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a|"
    "evil/<script>alert(1)</script>:latest|\n"
    "no-id||alpine|:::2222->22/tcp";

static const struct fixture_case {
  const char *file;
  const char *want;
} fixture_cases[] = {
    {"containers.json", want_containers},
    {"v1.24.json", want_v124},
    {"edge.json", want_edge},
};

START_TEST(test_parse_fixture) {
  const struct fixture_case *fc = &fixture_cases[_i];
  size_t len = 0;
  char *json = load_docker_fixture(fc->file, &len);
  struct hl_docker d;
  int rc = hl_docker_parse(json, len, &d);
  ck_assert_msg(rc == 0, "%s: rc %d: %s", fc->file, rc, d.error);
  ck_assert(d.available);
  char *got = render(&d);
  ck_assert_str_eq(got, fc->want);
  free(got);
  hl_docker_free(&d);
  ck_assert_ptr_null(d.c);
  ck_assert_uint_eq(d.n, 0);
  hl_docker_free(&d); /* twice is harmless */
  free(json);
}
END_TEST

/* Every prefix of a fixture: -EPROTO (or a valid list), never a crash. */
START_TEST(test_parse_truncated) {
  const struct fixture_case *fc = &fixture_cases[_i];
  size_t len = 0;
  char *json = load_docker_fixture(fc->file, &len);
  size_t ok = 0;
  for (size_t cut = 0; cut < len; cut++) {
    struct hl_docker d;
    if (parse_exact(json, cut, &d) == 0)
      ok++;
    hl_docker_free(&d);
  }
  /* Only prefixes ending after the closing ']' can be whole lists. */
  ck_assert_uint_le(ok, 1);
  free(json);
}
END_TEST

/* Bytes overwritten every 97th position with JSON-significant or invalid
 * characters: any outcome but a crash or a broken invariant is fine. */
START_TEST(test_parse_corrupted) {
  static const char subst[] = {'"',  '{',  '[', ']', '}', ',',    ':',
                               '\\', '\0', '9', '-', 'e', '\x80', '\xff'};
  const struct fixture_case *fc = &fixture_cases[_i];
  size_t len = 0;
  char *json = load_docker_fixture(fc->file, &len);
  for (size_t k = 0; k < sizeof(subst); k++) {
    for (size_t at = k; at < len; at += 97) {
      char saved = json[at];
      json[at] = subst[k];
      struct hl_docker d;
      parse_exact(json, len, &d);
      hl_docker_free(&d);
      json[at] = saved;
    }
  }
  free(json);
}
END_TEST

/* ---- inline bodies ---- */

/* A body with one container "n" (id "a", image "i") holding @ports. */
#define ONE(ports)                                                             \
  "[{\"Id\":\"a\",\"Names\":[\"/n\"],\"Image\":\"i\",\"Ports\":[" ports "]}]"
#define P80                                                                    \
  "{\"IP\":\"0.0.0.0\",\"PrivatePort\":80,\"PublicPort\":8080,"                \
  "\"Type\":\"tcp\"}"
#define W80 "n|a|i|0.0.0.0:8080->80/tcp"

/* 60 opening / closing brackets: nesting around the depth limit (64). */
#define R10 "[[[[[[[[[["
#define C10 "]]]]]]]]]]"
#define R60 R10 R10 R10 R10 R10 R10
#define C60 C10 C10 C10 C10 C10 C10

static const struct inline_case {
  const char *name;
  const char *json;
  int rc;
  const char *want; /* render on success, substring of error on failure */
} inline_cases[] = {
    /* top level */
    {"empty array", "[]", 0, ""},
    {"blank around", " \r\n\t[ ]\n", 0, ""},
    {"empty body", "", -EPROTO, "invalid JSON"},
    {"only blanks", "  \n", -EPROTO, "invalid JSON"},
    {"object", "{}", -EPROTO, "not a JSON array"},
    {"error object", "{\"message\":\"page not found\"}", -EPROTO,
     "not a JSON array"},
    {"null", "null", -EPROTO, "not a JSON array"},
    {"number", "42", -EPROTO, "not a JSON array"},
    {"string", "\"[]\"", -EPROTO, "not a JSON array"},
    {"true", "true", -EPROTO, "not a JSON array"},
    {"element number", "[1]", -EPROTO, "not an object"},
    {"element array", "[[]]", -EPROTO, "not an object"},
    {"element null", "[{},null]", -EPROTO, "not an object"},
    {"two lists", "[][]", -EPROTO, "invalid JSON"},
    {"trailing garbage", "[] x", -EPROTO, "invalid JSON"},
    {"truncated", "[{\"Id\":\"a\"", -EPROTO, "invalid JSON"},
    {"unquoted key", "[{Id:1}]", -EPROTO, "invalid JSON"},
    {"comment", "[/* c */]", -EPROTO, "invalid JSON"},
    {"bad utf-8", "[{\"Id\":\"\xff\"}]", -EPROTO, "invalid JSON"},
    {"deep unknown", "[{\"L\":[[[[[[[[[[[[[[[[[[[[{}]]]]]]]]]]]]]]]]]]]]}]", 0,
     "|||"},
    {"depth 64 (the limit)", "[{\"L\":" R60 "[[" C60 "]]}]", 0, "|||"},
    {"depth 65", "[{\"L\":" R60 "[[[" C60 "]]]}]", -EPROTO,
     "nested too deeply"},
    {"depth 65 unclosed", "[{\"L\":" R60 R60, -EPROTO, "nested too deeply"},
    /* container members */
    {"empty object", "[{}]", 0, "|||"},
    {"no ports member", "[{\"Id\":\"a\",\"Names\":[\"/n\"],\"Image\":\"i\"}]",
     0, "n|a|i|"},
    {"unknown members",
     "[{\"X\":{\"Id\":\"no\",\"Ports\":[" P80 "]},\"Id\":\"a\",\"Y\":[\"/z\"],"
     "\"Names\":[\"/n\"],\"Image\":\"i\",\"Ports\":[" P80 "]}]",
     0, W80},
    {"id number", "[{\"Id\":12345,\"Names\":[\"/n\"]}]", 0, "n|||"},
    {"image object", "[{\"Image\":{\"Id\":\"x\"},\"Names\":[\"/n\"]}]", 0,
     "n|||"},
    {"duplicate id", "[{\"Id\":\"a\",\"Id\":\"b\"}]", 0, "|b||"},
    {"id with NUL", "[{\"Id\":\"a\\u0000b\"}]", 0, "|||"},
    {"names empty", "[{\"Names\":[]}]", 0, "|||"},
    {"names two", "[{\"Names\":[\"/first\",\"/second\"]}]", 0, "first|||"},
    {"names string", "[{\"Names\":\"/solo\"}]", 0, "solo|||"},
    {"names no slash", "[{\"Names\":[\"bare\"]}]", 0, "bare|||"},
    {"names double slash", "[{\"Names\":[\"//x\"]}]", 0, "/x|||"},
    {"names first not string", "[{\"Names\":[null,5,\"/y\",\"/z\"]}]", 0,
     "y|||"},
    {"names object", "[{\"Names\":{\"a\":\"/q\"}}]", 0, "|||"},
    {"names nested", "[{\"Names\":[[\"/q\"]]}]", 0, "|||"},
    {"name escaped", "[{\"Names\":[\"\\/caf\\u00e9\"]}]", 0, "caf\xc3\xa9|||"},
    {"two containers", "[{\"Names\":[\"/a\"]},{\"Names\":[\"/b\"]}]", 0,
     "a|||\nb|||"},
    /* Ports as a whole */
    {"ports null", "[{\"Ports\":null}]", 0, "|||"},
    {"ports string", "[{\"Ports\":\"80/tcp\"}]", 0, "|||"},
    {"ports object",
     "[{\"Ports\":{\"IP\":\"0.0.0.0\",\"PrivatePort\":80,"
     "\"Type\":\"tcp\"}}]",
     0, "|||"},
    {"ports odd elements", ONE("1,\"x\",null,true,[" P80 "]," P80), 0, W80},
    {"ports twice",
     "[{\"Ports\":[" P80 "],\"Names\":[\"/n\"],\"Ports\":[" P80 "]}]", 0,
     "n|||0.0.0.0:8080->80/tcp,0.0.0.0:8080->80/tcp"},
    /* port members */
    {"port ok", ONE(P80), 0, W80},
    {"no PublicPort",
     ONE("{\"IP\":\"0.0.0.0\",\"PrivatePort\":80,"
         "\"Type\":\"tcp\"}"),
     0, "n|a|i|0.0.0.0:0->80/tcp"},
    {"PublicPort null",
     ONE("{\"PrivatePort\":80,\"PublicPort\":null,"
         "\"Type\":\"tcp\"}"),
     0, "n|a|i|:0->80/tcp"},
    {"PublicPort 0",
     ONE("{\"PrivatePort\":80,\"PublicPort\":0,"
         "\"Type\":\"tcp\"}"),
     0, "n|a|i|:0->80/tcp"},
    {"no IP", ONE("{\"PrivatePort\":80,\"PublicPort\":8080,\"Type\":\"udp\"}"),
     0, "n|a|i|:8080->80/udp"},
    {"IP null", ONE("{\"IP\":null,\"PrivatePort\":1,\"Type\":\"tcp\"}"), 0,
     "n|a|i|:0->1/tcp"},
    {"IP empty", ONE("{\"IP\":\"\",\"PrivatePort\":1,\"Type\":\"tcp\"}"), 0,
     "n|a|i|:0->1/tcp"},
    {"IPv6 wildcard",
     ONE("{\"IP\":\"::\",\"PrivatePort\":80,"
         "\"PublicPort\":8080,\"Type\":\"tcp\"}"),
     0, "n|a|i|:::8080->80/tcp"},
    {"IPv4-mapped",
     ONE("{\"IP\":\"::ffff:10.0.0.1\",\"PrivatePort\":80,"
         "\"PublicPort\":8080,\"Type\":\"tcp\"}"),
     0, "n|a|i|::ffff:10.0.0.1:8080->80/tcp"},
    {"IP longest",
     ONE("{\"IP\":\"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255."
         "255\",\"PrivatePort\":1,\"Type\":\"tcp\"}"),
     0, "n|a|i|ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255:0->1/tcp"},
    {"IP too long",
     ONE("{\"IP\":\"0000:0000:0000:0000:0000:0000:0000:0000:"
         "0000:0000\",\"PrivatePort\":1,\"Type\":\"tcp\"}," P80),
     0, W80},
    {"IP not an address",
     ONE("{\"IP\":\"localhost\",\"PrivatePort\":1,"
         "\"Type\":\"tcp\"}," P80),
     0, W80},
    {"IP with NUL",
     ONE("{\"IP\":\"1.2.3.4\\u0000x\",\"PrivatePort\":1,"
         "\"Type\":\"tcp\"}," P80),
     0, W80},
    {"IP number", ONE("{\"IP\":127,\"PrivatePort\":1,\"Type\":\"tcp\"}," P80),
     0, W80},
    {"IP array",
     ONE("{\"IP\":[\"::\"],\"PrivatePort\":1,\"Type\":\"tcp\"}," P80), 0, W80},
    {"sctp",
     ONE("{\"IP\":\"0.0.0.0\",\"PrivatePort\":2905,"
         "\"PublicPort\":2905,\"Type\":\"sctp\"}"),
     0, "n|a|i|0.0.0.0:2905->2905/sctp"},
    {"Type upper case", ONE("{\"PrivatePort\":53,\"Type\":\"UDP\"}"), 0,
     "n|a|i|:0->53/udp"},
    {"Type unknown", ONE("{\"PrivatePort\":1,\"Type\":\"icmp\"}," P80), 0, W80},
    {"Type prefix", ONE("{\"PrivatePort\":1,\"Type\":\"tc\"}," P80), 0, W80},
    {"Type longer", ONE("{\"PrivatePort\":1,\"Type\":\"tcpx\"}," P80), 0, W80},
    {"Type number", ONE("{\"PrivatePort\":1,\"Type\":6}," P80), 0, W80},
    {"Type missing", ONE("{\"PrivatePort\":1,\"PublicPort\":1}," P80), 0, W80},
    {"Type null", ONE("{\"PrivatePort\":1,\"Type\":null}," P80), 0, W80},
    {"PrivatePort missing", ONE("{\"PublicPort\":1,\"Type\":\"tcp\"}," P80), 0,
     W80},
    {"PrivatePort string",
     ONE("{\"PrivatePort\":\"80\",\"Type\":\"tcp\"}," P80), 0, W80},
    {"PrivatePort 0", ONE("{\"PrivatePort\":0,\"Type\":\"tcp\"}," P80), 0, W80},
    {"PrivatePort 65535", ONE("{\"PrivatePort\":65535,\"Type\":\"tcp\"}"), 0,
     "n|a|i|:0->65535/tcp"},
    {"PrivatePort 65536", ONE("{\"PrivatePort\":65536,\"Type\":\"tcp\"}," P80),
     0, W80},
    {"PrivatePort huge",
     ONE("{\"PrivatePort\":184467440737095516160000,\"Type\":\"tcp\"}," P80), 0,
     W80},
    {"PrivatePort negative", ONE("{\"PrivatePort\":-80,\"Type\":\"tcp\"}," P80),
     0, W80},
    {"PrivatePort fraction",
     ONE("{\"PrivatePort\":80.0,\"Type\":\"tcp\"}," P80), 0, W80},
    {"PrivatePort exponent", ONE("{\"PrivatePort\":8e1,\"Type\":\"tcp\"}," P80),
     0, W80},
    {"PrivatePort bool", ONE("{\"PrivatePort\":true,\"Type\":\"tcp\"}," P80), 0,
     W80},
    {"PrivatePort object",
     ONE("{\"PrivatePort\":{\"v\":80},\"Type\":\"tcp\"}," P80), 0, W80},
    {"PublicPort string",
     ONE("{\"PrivatePort\":80,\"PublicPort\":\"8080\","
         "\"Type\":\"tcp\"}," P80),
     0, W80},
    {"PublicPort 70000",
     ONE("{\"PrivatePort\":80,\"PublicPort\":70000,"
         "\"Type\":\"tcp\"}," P80),
     0, W80},
    {"PublicPort 1e99",
     ONE("{\"PrivatePort\":80,\"PublicPort\":1e99,"
         "\"Type\":\"tcp\"}," P80),
     0, W80},
    {"duplicate PrivatePort",
     ONE("{\"PrivatePort\":1,\"PrivatePort\":80,"
         "\"Type\":\"tcp\",\"IP\":\"0.0.0.0\","
         "\"PublicPort\":8080}"),
     0, W80},
    {"port unknown members",
     ONE("{\"HostIp\":\"x\",\"Extra\":{\"IP\":5,"
         "\"Type\":[1]},\"IP\":\"0.0.0.0\","
         "\"PrivatePort\":80,\"PublicPort\":8080,"
         "\"Type\":\"tcp\"}"),
     0, W80},
    {"port members reordered",
     ONE("{\"Type\":\"tcp\",\"PublicPort\":8080,"
         "\"PrivatePort\":80,\"IP\":\"0.0.0.0\"}"),
     0, W80},
};

START_TEST(test_parse_inline) {
  const struct inline_case *c = &inline_cases[_i];
  struct hl_docker d;
  int rc = parse_exact(c->json, strlen(c->json), &d);
  ck_assert_msg(rc == c->rc, "%s: rc %d, want %d (%s)", c->name, rc, c->rc,
                d.error);
  if (rc == 0) {
    char *got = render(&d);
    ck_assert_msg(strcmp(got, c->want) == 0, "%s: got \"%s\", want \"%s\"",
                  c->name, got, c->want);
    free(got);
  } else {
    ck_assert_msg(strstr(d.error, c->want) != NULL,
                  "%s: error \"%s\" lacks \"%s\"", c->name, d.error, c->want);
  }
  hl_docker_free(&d);
}
END_TEST

START_TEST(test_parse_args) {
  struct hl_docker d;
  ck_assert_int_eq(hl_docker_parse(NULL, 1, &d), -EINVAL);
  ck_assert_int_eq(hl_docker_parse("[]", 2, NULL), -EINVAL);
  ck_assert_int_eq(hl_docker_parse(NULL, 0, &d), -EPROTO);
  ck_assert(!d.available);
  /* The length, not a NUL, ends the input. */
  ck_assert_int_eq(hl_docker_parse("[]garbage", 2, &d), 0);
  hl_docker_free(&d);
  ck_assert_int_eq(hl_docker_parse("[]\0[]", 5, &d), -EPROTO);
  hl_docker_free(&d);
  struct hl_docker zero = {.available = false};
  hl_docker_free(&zero);
  hl_docker_free(NULL);
}
END_TEST

/* 500 containers with 3 ports each, generated in the real shape. */
START_TEST(test_parse_many) {
  enum { NC = 500 };
  static const char *const types[] = {"tcp", "udp", "sctp"};
  struct hl_buf b;
  hl_buf_init(&b, HL_DOCKER_MAX_BODY);
  ck_assert_int_eq(hl_buf_append(&b, "[", 1), 0);
  for (int i = 0; i < NC; i++) {
    char item[1024];
    int n = snprintf(
        item, sizeof(item),
        "%s{\"Id\":\"%064x\",\"Names\":[\"/svc%d\"],\"Image\":\"img%d:1\","
        "\"Command\":\"run\",\"Created\":1714032000,\"Ports\":["
        "{\"IP\":\"0.0.0.0\",\"PrivatePort\":%d,\"PublicPort\":%d,"
        "\"Type\":\"%s\"},{\"IP\":\"::\",\"PrivatePort\":%d,"
        "\"PublicPort\":%d,\"Type\":\"%s\"},{\"PrivatePort\":%d,"
        "\"Type\":\"%s\"}],\"Labels\":{\"k\":\"v\"},\"State\":\"running\","
        "\"Status\":\"Up 1 second\",\"NetworkSettings\":{\"Networks\":{"
        "\"bridge\":{\"IPAddress\":\"172.17.0.2\"}}}}",
        i ? "," : "", i, i, i, 1000 + i, 20000 + i, types[i % 3], 1000 + i,
        20000 + i, types[i % 3], 60000 + i, types[(i + 1) % 3]);
    ck_assert(n > 0 && (size_t)n < sizeof(item));
    ck_assert_int_eq(hl_buf_append(&b, item, (size_t)n), 0);
  }
  ck_assert_int_eq(hl_buf_append(&b, "]", 1), 0);

  struct hl_docker d;
  ck_assert_int_eq(parse_exact(b.data, b.len, &d), 0);
  ck_assert_uint_eq(d.n, NC);
  for (int i = 0; i < NC; i++) {
    const struct hl_docker_container *c = &d.c[i];
    char want[80];
    snprintf(want, sizeof(want), "svc%d", i);
    ck_assert_str_eq(c->name, want);
    ck_assert_uint_eq(strlen(c->id), 64);
    ck_assert_uint_eq(c->nports, 3);
    ck_assert_str_eq(c->ports[0].ip, "0.0.0.0");
    ck_assert_str_eq(c->ports[1].ip, "::");
    ck_assert_str_eq(c->ports[2].ip, "");
    ck_assert_uint_eq(c->ports[1].private_port, 1000 + i);
    ck_assert_uint_eq(c->ports[1].public_port, 20000 + i);
    ck_assert_str_eq(proto_name(c->ports[1].proto), types[i % 3]);
    ck_assert_uint_eq(c->ports[2].private_port, 60000 + i);
    ck_assert_uint_eq(c->ports[2].public_port, 0);
    ck_assert_str_eq(proto_name(c->ports[2].proto), types[(i + 1) % 3]);
  }
  hl_docker_free(&d);

  /* Cut the big body at a spread of places too. */
  for (size_t cut = 0; cut < b.len; cut += 997) {
    ck_assert_int_eq(parse_exact(b.data, cut, &d), -EPROTO);
    hl_docker_free(&d);
  }
  hl_buf_free(&b);
}
END_TEST

static const struct short_id_case {
  const char *id;
  const char *want;
} short_id_cases[] = {
    {WEB_ID, "f6560f021d83"},
    {"8dfafdbc3a40", "8dfafdbc3a40"},
    {"abc", "abc"},
    {"", ""},
    {NULL, ""},
};

START_TEST(test_short_id) {
  const struct short_id_case *c = &short_id_cases[_i];
  char buf[13];
  memset(buf, 'x', sizeof(buf));
  ck_assert_ptr_eq(hl_docker_short_id(c->id, buf), buf);
  ck_assert_str_eq(buf, c->want);
}
END_TEST

/* ---- collector against a forked one-shot server ---- */

enum srv_mode {
  SRV_REPLY,  /* status line, headers, body */
  SRV_RAW,    /* the body bytes only, no HTTP framing */
  SRV_SILENT, /* read the request, never answer */
  SRV_STALL,  /* headers and the body's first part, then nothing */
  SRV_CLOSE,  /* read the request, close */
};

enum framing { FR_LENGTH, FR_CLOSE, FR_CHUNKED };

struct collect_case {
  const char *name;
  enum srv_mode mode;
  int status;
  enum framing framing;
  const char *fixture; /* body from tests/fixtures/docker/, or: */
  const char *body;    /* body, or its first part when @pad > 0 */
  size_t pad;          /* blanks after @body */
  const char *tail;    /* after the blanks */
  long timeout_ms;
  int rc;
  const char *want; /* render on success, substring of error on failure */
};

#define MAXB ((size_t)HL_DOCKER_MAX_BODY)

static const struct collect_case collect_cases[] = {
    {"200 fixture", SRV_REPLY, 200, FR_LENGTH, "containers.json", NULL, 0, NULL,
     2000, 0, want_containers},
    {"200 v1.24", SRV_REPLY, 200, FR_LENGTH, "v1.24.json", NULL, 0, NULL, 2000,
     0, want_v124},
    {"200 chunked", SRV_REPLY, 200, FR_CHUNKED, "containers.json", NULL, 0,
     NULL, 2000, 0, want_containers},
    {"200 until close", SRV_REPLY, 200, FR_CLOSE, "edge.json", NULL, 0, NULL,
     2000, 0, want_edge},
    {"200 exactly max", SRV_REPLY, 200, FR_LENGTH, NULL, "[", MAXB - 2, "]",
     5000, 0, ""},
    {"200 max+1 length", SRV_REPLY, 200, FR_LENGTH, NULL, "[", MAXB - 1, "]",
     5000, -E2BIG, "response larger than 8388608 bytes"},
    {"200 max+1 chunked", SRV_REPLY, 200, FR_CHUNKED, NULL, "[", MAXB - 1, "]",
     5000, -E2BIG, "response larger than 8388608 bytes"},
    {"200 max+1 until close", SRV_REPLY, 200, FR_CLOSE, NULL, "[", MAXB - 1,
     "]", 5000, -E2BIG, "response larger than 8388608 bytes"},
    {"200 not json", SRV_REPLY, 200, FR_LENGTH, NULL, "<html>", 0, NULL, 2000,
     -EPROTO, "docker.sock: invalid JSON"},
    {"200 object", SRV_REPLY, 200, FR_LENGTH, NULL, "{\"message\":\"x\"}", 0,
     NULL, 2000, -EPROTO, "not a JSON array"},
    {"200 empty", SRV_REPLY, 200, FR_LENGTH, NULL, "", 0, NULL, 2000, -EPROTO,
     "invalid JSON"},
    {"500 message", SRV_REPLY, 500, FR_LENGTH, NULL,
     "{\"message\": \"Something went wrong.\\nsecond line\"}", 0, NULL, 2000,
     -EPROTO, "HTTP 500: Something went wrong."},
    {"404 json", SRV_REPLY, 404, FR_LENGTH, NULL,
     "{\"message\":\"page not found\"}\n", 0, NULL, 2000, -EPROTO,
     "HTTP 404: page not found"},
    {"404 text", SRV_REPLY, 404, FR_LENGTH, NULL, "404 page not found\n", 0,
     NULL, 2000, -EPROTO, "HTTP 404: 404 page not found"},
    {"403 authz", SRV_REPLY, 403, FR_LENGTH, NULL,
     "{\"message\":\"authorization denied by plugin opa\"}", 0, NULL, 2000,
     -EACCES, "HTTP 403: authorization denied by plugin opa"},
    {"502 no body", SRV_REPLY, 502, FR_LENGTH, NULL, "", 0, NULL, 2000, -EPROTO,
     "HTTP 502"},
    {"500 control bytes", SRV_REPLY, 500, FR_LENGTH, NULL,
     "{\"message\":\"a\\u001b[31mb\\u00e9\"}", 0, NULL, 2000, -EPROTO,
     "HTTP 500: a?[31mb??"},
    {"301 not followed", SRV_REPLY, 301, FR_LENGTH, NULL, "", 0, NULL, 2000,
     -EPROTO, "HTTP 301"},
    {"not http", SRV_RAW, 0, FR_LENGTH, NULL, "SSH-2.0-OpenSSH_9.2\r\n", 0,
     NULL, 2000, -EPROTO, "docker.sock: not an HTTP response"},
    {"closed", SRV_CLOSE, 0, FR_LENGTH, NULL, NULL, 0, NULL, 2000, -EPROTO,
     "closed without a response"},
    {"never answers", SRV_SILENT, 0, FR_LENGTH, NULL, NULL, 0, NULL, 300,
     -ETIMEDOUT, "no answer within 300 ms"},
    {"stalls in body", SRV_STALL, 200, FR_LENGTH, NULL, "[{\"Id\":", 100, "]",
     300, -ETIMEDOUT, "no answer within 300 ms"},
};

struct fake_srv {
  pid_t pid;
  char dir[64];
  char path[128];
};

/* Writes all of [p, p+n) to @fd, framed as one chunk when @chunked. */
static bool emit(int fd, bool chunked, const char *p, size_t n) {
  char head[32];
  int hn = snprintf(head, sizeof(head), "%zx\r\n", n);
  if (chunked && n > 0 && !emit(fd, false, head, (size_t)hn))
    return false;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w <= 0)
      return false;
    p += w;
    n -= (size_t)w;
  }
  return !chunked || emit(fd, false, "\r\n", 2);
}

/* Reads the request head; answers 400 to anything but the expected GET. */
static bool srv_request_ok(int fd) {
  char req[4096];
  size_t got = 0;
  while (got < sizeof(req) - 1) {
    ssize_t r = read(fd, req + got, sizeof(req) - 1 - got);
    if (r <= 0)
      return false;
    got += (size_t)r;
    req[got] = '\0';
    if (strstr(req, "\r\n\r\n") != NULL)
      break;
  }
  static const char line[] = "GET /containers/json HTTP/1.1\r\n";
  if (strncmp(req, line, sizeof(line) - 1) == 0 &&
      strstr(req, "\r\nHost: localhost\r\n") != NULL)
    return true;
  static const char bad[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 38\r\n"
                            "\r\n{\"message\":\"fake: unexpected request\"}";
  emit(fd, false, bad, sizeof(bad) - 1);
  return false;
}

static void srv_head(int fd, const struct collect_case *c, size_t blen) {
  char head[256];
  int n = snprintf(head, sizeof(head),
                   "HTTP/1.1 %d Fake\r\nContent-Type: application/json\r\n"
                   "Api-Version: 1.43\r\n",
                   c->status);
  if (c->framing == FR_LENGTH)
    n += snprintf(head + n, sizeof(head) - (size_t)n, "Content-Length: %zu\r\n",
                  blen);
  else if (c->framing == FR_CHUNKED)
    n += snprintf(head + n, sizeof(head) - (size_t)n,
                  "Transfer-Encoding: chunked\r\n");
  else
    n += snprintf(head + n, sizeof(head) - (size_t)n, "Connection: close\r\n");
  if (c->status == 301)
    n += snprintf(head + n, sizeof(head) - (size_t)n,
                  "Location: http://localhost/elsewhere\r\n");
  n += snprintf(head + n, sizeof(head) - (size_t)n, "\r\n");
  emit(fd, false, head, (size_t)n);
}

/* The forked server: one connection, then _exit(). */
static void srv_child(int lfd, const struct collect_case *c, const char *body,
                      size_t blen) {
  signal(SIGPIPE, SIG_IGN);
  alarm(20); /* never outlive a broken test */
  int fd = accept(lfd, NULL, NULL);
  if (fd < 0 || !srv_request_ok(fd))
    _exit(1);
  size_t tlen = c->tail ? strlen(c->tail) : 0;
  bool chunked = c->framing == FR_CHUNKED;
  if (c->mode == SRV_REPLY || c->mode == SRV_STALL)
    srv_head(fd, c, blen + c->pad + tlen);
  if (c->mode != SRV_SILENT && c->mode != SRV_CLOSE && blen > 0)
    emit(fd, chunked && c->mode == SRV_REPLY, body, blen);
  if (c->mode == SRV_REPLY) {
    char blanks[65536];
    memset(blanks, ' ', sizeof(blanks));
    bool ok = true;
    for (size_t left = c->pad; ok && left > 0;) {
      size_t k = left < sizeof(blanks) ? left : sizeof(blanks);
      ok = emit(fd, chunked, blanks, k);
      left -= k;
    }
    if (ok && tlen > 0)
      ok = emit(fd, chunked, c->tail, tlen);
    if (ok && chunked)
      emit(fd, false, "0\r\n\r\n", 5);
  }
  if (c->mode == SRV_SILENT || c->mode == SRV_STALL) {
    char sink[256];
    while (read(fd, sink, sizeof(sink)) > 0)
      ; /* until the client gives up */
  }
  close(fd);
  _exit(0);
}

static void srv_start(struct fake_srv *s, const struct collect_case *c,
                      const char *body, size_t blen) {
  hl_str_copy(s->dir, sizeof(s->dir), "/tmp/hl_docker_test.XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(s->dir));
  int n = snprintf(s->path, sizeof(s->path), "%s/docker.sock", s->dir);
  ck_assert(n > 0 && (size_t)n < sizeof(s->path));
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  hl_str_copy(sa.sun_path, sizeof(sa.sun_path), s->path);
  int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ck_assert_int_ge(lfd, 0);
  ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
  ck_assert_int_eq(listen(lfd, 4), 0);
  s->pid = fork();
  ck_assert_int_ge(s->pid, 0);
  if (s->pid == 0)
    srv_child(lfd, c, body, blen);
  close(lfd);
}

static void srv_stop(struct fake_srv *s) {
  if (s->pid > 0) {
    kill(s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
  }
  unlink(s->path);
  rmdir(s->dir);
}

static long elapsed_ms(const struct timespec *t0) {
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

START_TEST(test_collect) {
  const struct collect_case *c = &collect_cases[_i];
  size_t blen = 0;
  char *body = NULL;
  if (c->fixture != NULL) {
    body = load_docker_fixture(c->fixture, &blen);
  } else if (c->body != NULL) {
    blen = strlen(c->body);
    body = hl_test_dup_exact(c->body, blen);
  }
  struct fake_srv s = {.pid = -1};
  srv_start(&s, c, body, blen);
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  struct hl_docker d;
  int rc = hl_docker_collect(s.path, c->timeout_ms, &d);
  long ms = elapsed_ms(&t0);
  srv_stop(&s);
  free(body);

  ck_assert_msg(rc == c->rc, "%s: rc %d, want %d (%s)", c->name, rc, c->rc,
                d.error);
  ck_assert(d.available == (rc == 0));
  if (rc == 0) {
    ck_assert_str_eq(d.error, "");
    char *got = render(&d);
    ck_assert_msg(strcmp(got, c->want) == 0, "%s: got \"%s\"", c->name, got);
    free(got);
  } else {
    ck_assert_ptr_null(d.c);
    ck_assert_msg(strstr(d.error, c->want) != NULL,
                  "%s: error \"%s\" lacks \"%s\"", c->name, d.error, c->want);
  }
  if (rc == -ETIMEDOUT)
    /* bounded by the timeout, with room for a loaded CI machine or valgrind */
    ck_assert_msg(ms >= c->timeout_ms - 20 && ms < 5000,
                  "%s: gave up after %ld ms", c->name, ms);
  hl_docker_free(&d);
}
END_TEST

START_TEST(test_collect_no_socket) {
  char dir[] = "/tmp/hl_docker_test.XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char path[128];
  snprintf(path, sizeof(path), "%s/missing.sock", dir);
  struct hl_docker d;
  ck_assert_int_eq(hl_docker_collect(path, 1000, &d), -ENOENT);
  ck_assert(!d.available);
  char want[192];
  snprintf(want, sizeof(want), "connect %s: No such file or directory", path);
  ck_assert_str_eq(d.error, want);
  hl_docker_free(&d);
  rmdir(dir);
}
END_TEST

/* The socket file exists but nobody listens (the engine died). */
START_TEST(test_collect_refused) {
  char dir[] = "/tmp/hl_docker_test.XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/docker.sock", dir);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
  close(fd);
  struct hl_docker d;
  ck_assert_int_eq(hl_docker_collect(sa.sun_path, 1000, &d), -ECONNREFUSED);
  ck_assert(strstr(d.error, sa.sun_path) != NULL);
  ck_assert(strstr(d.error, "Connection refused") != NULL);
  hl_docker_free(&d);
  unlink(sa.sun_path);
  rmdir(dir);
}
END_TEST

/* Needs an unprivileged user: root bypasses the socket's permissions. */
START_TEST(test_collect_permission) {
  if (geteuid() == 0)
    return; /* skipped as root */
  const struct collect_case c = {.name = "perm", .mode = SRV_SILENT};
  struct fake_srv s = {.pid = -1};
  srv_start(&s, &c, NULL, 0);
  ck_assert_int_eq(chmod(s.path, 0), 0);
  struct hl_docker d;
  int rc = hl_docker_collect(s.path, 1000, &d);
  srv_stop(&s);
  ck_assert_int_eq(rc, -EACCES);
  ck_assert(strstr(d.error, "Permission denied") != NULL);
  hl_docker_free(&d);
}
END_TEST

START_TEST(test_collect_args) {
  struct hl_docker d;
  ck_assert_int_eq(hl_docker_collect(NULL, 1000, &d), -EINVAL);
  ck_assert(!d.available);
  ck_assert_str_ne(d.error, "");
  ck_assert_int_eq(hl_docker_collect("", 1000, &d), -EINVAL);
  ck_assert_int_eq(hl_docker_collect("/x.sock", 0, &d), -EINVAL);
  ck_assert_int_eq(hl_docker_collect("/x.sock", 1000, NULL), -EINVAL);
  char longp[200];
  memset(longp, 'a', sizeof(longp) - 1);
  longp[0] = '/';
  longp[sizeof(longp) - 1] = '\0';
  ck_assert_int_eq(hl_docker_collect(longp, 1000, &d), -ENAMETOOLONG);
  ck_assert(strstr(d.error, "too long") != NULL);
}
END_TEST

Suite *hl_docker_suite(void) {
  Suite *s = suite_create("hl_docker");
  TCase *tc = tcase_create("parse");
  tcase_add_loop_test(tc, test_parse_fixture, 0, ARRAY_SIZE(fixture_cases));
  tcase_add_loop_test(tc, test_parse_truncated, 0, ARRAY_SIZE(fixture_cases));
  tcase_add_loop_test(tc, test_parse_corrupted, 0, ARRAY_SIZE(fixture_cases));
  tcase_add_loop_test(tc, test_parse_inline, 0, ARRAY_SIZE(inline_cases));
  tcase_add_test(tc, test_parse_args);
  tcase_add_test(tc, test_parse_many);
  tcase_add_loop_test(tc, test_short_id, 0, ARRAY_SIZE(short_id_cases));
  tcase_set_timeout(tc, 60);
  suite_add_tcase(s, tc);

  tc = tcase_create("collect");
  tcase_add_loop_test(tc, test_collect, 0, ARRAY_SIZE(collect_cases));
  tcase_add_test(tc, test_collect_no_socket);
  tcase_add_test(tc, test_collect_refused);
  tcase_add_test(tc, test_collect_permission);
  tcase_add_test(tc, test_collect_args);
  tcase_set_timeout(tc, 60);
  suite_add_tcase(s, tc);
  return s;
}
