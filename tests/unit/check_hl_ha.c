// SPDX-License-Identifier: MIT
/*
 * Unit tests for shared/hl_ha, the Home Assistant REST API decoders.
 *
 * Fixtures under tests/fixtures/ha/ follow the documented response shapes
 * (PROTOCOLS.md §2.3): api.json, config.json, core_state*.json, state.json
 * (the developer docs' sample), states.json (unicode friendly names, nested
 * attributes, numbers as strings, unavailable/unknown), error bodies and an
 * HTML proxy page. Every body is parsed from an exact-size heap copy
 * (hl_test_dup_exact) so AddressSanitizer catches reads past the length, and
 * every fixture is parsed cut at every byte: -EPROTO or a result, never a
 * crash. A 5000-entity list is generated in memory to exercise the
 * streaming filter. The value helpers (numbers, times, state classes,
 * unit → type, globs, sanitising) are table-driven.
 */
#include "check_suites.h"
#include "hl_ha.h"
#include "hl_str.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIX_MAX (1u << 20)

static char *load_ha(const char *name, size_t *len) {
  char rel[256];
  int n = snprintf(rel, sizeof(rel), "ha/%s", name);
  ck_assert(n > 0 && (size_t)n < sizeof(rel));
  char path[4096];
  hl_test_fixture_path(path, sizeof(path), rel);
  struct hl_buf b;
  hl_buf_init(&b, FIX_MAX);
  int rc = hl_buf_read_file(&b, path);
  ck_assert_msg(rc == 0, "%s: %s", path, strerror(-rc));
  *len = b.len;
  char *copy = hl_test_dup_exact(b.data, b.len);
  hl_buf_free(&b);
  return copy;
}

/* ---- small endpoints ---- */

START_TEST(test_api) {
  size_t len = 0;
  char *json = load_ha("api.json", &len);
  bool running = false;
  char err[64] = "";
  ck_assert_int_eq(hl_ha_parse_api(json, len, &running, err, sizeof(err)), 0);
  ck_assert(running);
  free(json);
  static const char other[] = "{\"message\": \"API running\"}";
  json = hl_test_dup_exact(other, strlen(other));
  ck_assert_int_eq(
      hl_ha_parse_api(json, strlen(other), &running, err, sizeof(err)), 0);
  ck_assert(!running);
  free(json);
  static const char none[] = "{\"msg\": 1}";
  json = hl_test_dup_exact(none, strlen(none));
  ck_assert_int_eq(
      hl_ha_parse_api(json, strlen(none), &running, err, sizeof(err)), 0);
  ck_assert(!running);
  free(json);
}
END_TEST

START_TEST(test_config) {
  size_t len = 0;
  char *json = load_ha("config.json", &len);
  struct hl_ha_config c;
  char err[64] = "";
  ck_assert_int_eq(hl_ha_parse_config(json, len, &c, err, sizeof(err)), 0);
  ck_assert_str_eq(c.version, "2025.8.3");
  ck_assert_str_eq(c.location_name, "Zuhause K\xc3\xb6ln \xf0\x9f\x8f\xa0");
  ck_assert_str_eq(c.state, "RUNNING");
  free(json);
  /* yajl only checks the structure of UTF-8 sequences: overlong forms and
   * surrogates (found by fuzz_ha) come out as '?' (well-formed UTF-8). */
  static const char bad[] = "{\"location_name\": \"K\xc1\xb6ln\", "
                            "\"version\": \"2025.8.\xed\xa0\x80\"}";
  ck_assert_int_eq(
      hl_ha_parse_config(bad, sizeof(bad) - 1, &c, err, sizeof(err)), 0);
  ck_assert_str_eq(c.location_name, "K??ln");
  ck_assert_str_eq(c.version, "2025.8.???");
  static const char ent[] =
      "{\"entity_id\": \"sensor.k\xc3\xb6ln\", \"state\": \"on\", "
      "\"attributes\": {\"friendly_name\": \"K\xc1\xb6ln \xed\xa0\x80\"}}";
  struct hl_ha_entity e;
  ck_assert_int_eq(
      hl_ha_parse_state(ent, sizeof(ent) - 1, NULL, &e, err, sizeof(err)), 0);
  ck_assert_str_eq(e.entity_id, "sensor.k\xc3\xb6ln");
  ck_assert_str_eq(e.friendly_name, "K??ln ???");
  hl_ha_entity_free(&e);
}
END_TEST

static const struct core_case {
  const char *body; /* NULL: use @file */
  const char *file;
  int rc;
  enum hl_ha_core_state st;
  bool has_rec, mig, live;
} core_cases[] = {
    {NULL, "core_state.json", 0, HL_HA_CORE_RUNNING, true, false, false},
    {NULL, "core_state_migrating.json", 0, HL_HA_CORE_STARTING, true, true,
     true},
    {"{\"state\":\"NOT_RUNNING\"}", NULL, 0, HL_HA_CORE_NOT_RUNNING, false,
     false, false},
    {"{\"state\":\"STOPPING\"}", NULL, 0, HL_HA_CORE_STOPPING, false, false,
     false},
    {"{\"state\":\"FINAL_WRITE\"}", NULL, 0, HL_HA_CORE_FINAL_WRITE, false,
     false, false},
    {"{\"state\":\"STOPPED\"}", NULL, 0, HL_HA_CORE_STOPPED, false, false,
     false},
    {"{\"state\":\"running\"}", NULL, 0, HL_HA_CORE_UNKNOWN, false, false,
     false},
    {"{\"state\":42}", NULL, 0, HL_HA_CORE_UNKNOWN, false, false, false},
    {"{\"state\":\"RUNNING\",\"recorder_state\":{\"migration_in_progress\":"
     "\"yes\"}}",
     NULL, 0, HL_HA_CORE_RUNNING, true, false, false},
    {"[\"RUNNING\"]", NULL, -EPROTO, HL_HA_CORE_UNKNOWN, false, false, false},
    {"\"RUNNING\"", NULL, -EPROTO, HL_HA_CORE_UNKNOWN, false, false, false},
    {"{\"state\":\"RUNNING\"", NULL, -EPROTO, HL_HA_CORE_UNKNOWN, false, false,
     false},
};

START_TEST(test_core) {
  const struct core_case *cc = &core_cases[_i];
  size_t len = cc->body ? strlen(cc->body) : 0;
  char *json =
      cc->body ? hl_test_dup_exact(cc->body, len) : load_ha(cc->file, &len);
  struct hl_ha_core c;
  char err[64] = "";
  ck_assert_int_eq(hl_ha_parse_core(json, len, &c, err, sizeof(err)), cc->rc);
  ck_assert_int_eq(c.state, cc->st);
  ck_assert_int_eq(c.has_recorder, cc->has_rec);
  ck_assert_int_eq(c.migration_in_progress, cc->mig);
  ck_assert_int_eq(c.migration_is_live, cc->live);
  if (cc->rc != 0)
    ck_assert_str_ne(err, "");
  free(json);
}
END_TEST

START_TEST(test_core_names) {
  for (int i = HL_HA_CORE_NOT_RUNNING; i <= HL_HA_CORE_STOPPED; i++) {
    const char *name = hl_ha_core_state_name((enum hl_ha_core_state)i);
    ck_assert_int_eq(hl_ha_core_state_from(name, strlen(name)), i);
  }
  ck_assert_str_eq(hl_ha_core_state_name(HL_HA_CORE_UNKNOWN), "unknown");
  ck_assert_int_eq(hl_ha_core_state_from("RUNNINGX", 7), HL_HA_CORE_RUNNING);
  ck_assert_int_eq(hl_ha_core_state_from("RUNNING", 6), HL_HA_CORE_UNKNOWN);
}
END_TEST

/* Error bodies: JSON message extracted; text and HTML refused with a fixed
 * reason that contains no body bytes. */
START_TEST(test_errors) {
  size_t len = 0;
  char *json = load_ha("error_404.json", &len);
  char msg[64] = "";
  char err[64] = "";
  ck_assert_int_eq(
      hl_ha_parse_message(json, len, msg, sizeof(msg), err, sizeof(err)), 0);
  ck_assert_str_eq(msg, "Entity not found.");
  free(json);
  static const char *const bad[] = {"error_401.txt", "error_html.html"};
  for (size_t i = 0; i < 2; i++) {
    json = load_ha(bad[i], &len);
    ck_assert_int_eq(
        hl_ha_parse_message(json, len, msg, sizeof(msg), err, sizeof(err)),
        -EPROTO);
    ck_assert(strstr(err, "Unauthorized") == NULL);
    ck_assert(strstr(err, "502") == NULL);
    ck_assert_str_ne(err, "");
    struct hl_ha_states st;
    ck_assert_int_eq(hl_ha_parse_states(json, len, NULL, &st, err, 64),
                     -EPROTO);
    free(json);
  }
  static const char tok[] = "{\"message\": [\"Bearer abc.def\"] x";
  json = hl_test_dup_exact(tok, strlen(tok));
  ck_assert_int_eq(hl_ha_parse_message(json, strlen(tok), msg, sizeof(msg), err,
                                       sizeof(err)),
                   -EPROTO);
  ck_assert(strstr(err, "abc") == NULL);
  free(json);
  static const char nomsg[] = "{\"error\": \"x\"}";
  json = hl_test_dup_exact(nomsg, strlen(nomsg));
  ck_assert_int_eq(hl_ha_parse_message(json, strlen(nomsg), msg, sizeof(msg),
                                       err, sizeof(err)),
                   -ENOENT);
  free(json);
}
END_TEST

/* ---- entities ---- */

START_TEST(test_state_one) {
  size_t len = 0;
  char *json = load_ha("state.json", &len);
  struct hl_ha_entity e;
  char err[64] = "";
  ck_assert_int_eq(
      hl_ha_parse_state(json, len, "battery_level", &e, err, sizeof(err)), 0);
  ck_assert_str_eq(e.entity_id, "sensor.living_room_temperature");
  ck_assert_str_eq(e.state, "21.5");
  ck_assert_str_eq(e.unit, "\xc2\xb0"
                           "C");
  ck_assert_str_eq(e.device_class, "temperature");
  ck_assert_str_eq(e.friendly_name, "Living room temperature");
  ck_assert(e.has_attr);
  ck_assert_double_eq(e.attr, 87);
  ck_assert(e.has_last_updated);
  ck_assert_double_eq_tol(e.last_updated, 1464644612.41832, 1e-5);
  hl_ha_entity_free(&e);
  ck_assert_ptr_null(e.entity_id);
  hl_ha_entity_free(&e);
  ck_assert_int_eq(hl_ha_parse_state(json, len, NULL, &e, err, 64), 0);
  ck_assert(!e.has_attr);
  hl_ha_entity_free(&e);
  free(json);
}
END_TEST

/* One rendered line per kept entity. */
static void render_entity(const struct hl_ha_entity *e, char *buf,
                          size_t size) {
  int n = snprintf(
      buf, size, "%s|%s|%s|%s|%s|%s%g|%s%.3f", e->entity_id, e->state,
      e->unit ? e->unit : "-", e->device_class ? e->device_class : "-",
      e->friendly_name ? e->friendly_name : "-", e->has_attr ? "" : "noattr",
      e->has_attr ? e->attr : 0, e->has_last_updated ? "" : "notime",
      e->has_last_updated ? e->last_updated : 0);
  ck_assert(n > 0 && (size_t)n < size);
}

static const char *const want_states[] = {
    "sun.sun|below_horizon|-|-|Sun|noattr0|1755804000.000",
    "sensor.living_room_temperature|21.5|\xc2\xb0"
    "C|temperature|Wohnzimmer Temperatur \xe2\x80\x93 S\xc3\xbc"
    "d \xf0\x9f\x8c\xa1\xef\xb8\x8f|87|1755796200.500",
    "sensor.bedroom_temperature|unavailable|\xc2\xb0"
    "C|temperature|\xe5\xaf\x9d\xe5\xae\xa4\xe3\x81\xae\xe6\xb8\xa9\xe5\xba"
    "\xa6|noattr0|1755795600.000",
    "sensor.kitchen_humidity|unknown|%|humidity|Kitchen "
    "humidity|noattr0|1755804000.000",
    "climate.hallway|heat|\xc2\xb0"
    "C|-|Hallway|55.5|1755802800.123",
    "binary_sensor.front_door|off|-|door|Front door|noattr0|1755804000.000",
    "sensor.grid_energy|12345.678|kWh|energy|Grid "
    "energy|noattr0|1755804000.000",
    "sensor.outdoor_temperature|-3.25|\xc2\xb0"
    "F|temperature|Outdoor|noattr0|1755804000.000",
};

START_TEST(test_states_all) {
  size_t len = 0;
  char *json = load_ha("states.json", &len);
  struct hl_ha_filter f = {.attribute = "battery_level"};
  struct hl_ha_states s;
  char err[64] = "";
  ck_assert_int_eq(hl_ha_parse_states(json, len, &f, &s, err, sizeof(err)), 0);
  ck_assert_uint_eq(s.seen, 8);
  ck_assert_uint_eq(s.n, (size_t)ARRAY_SIZE(want_states));
  for (size_t i = 0; i < s.n; i++) {
    char line[512];
    render_entity(&s.e[i], line, sizeof(line));
    ck_assert_str_eq(line, want_states[i]);
  }
  hl_ha_states_free(&s);
  ck_assert_ptr_null(s.e);
  hl_ha_states_free(&s);
  free(json);
}
END_TEST

START_TEST(test_states_filter) {
  size_t len = 0;
  char *json = load_ha("states.json", &len);
  static const char *const ids[] = {"binary_sensor.front_door", "nope.x"};
  static const char *const pats[] = {"sensor.*_temperature"};
  struct hl_ha_filter f = {ids, 2, pats, 1, NULL, false};
  struct hl_ha_states s;
  char err[64] = "";
  ck_assert_int_eq(hl_ha_parse_states(json, len, &f, &s, err, sizeof(err)), 0);
  ck_assert_uint_eq(s.seen, 8);
  ck_assert_uint_eq(s.n, 4);
  ck_assert_str_eq(s.e[0].entity_id, "sensor.living_room_temperature");
  ck_assert_str_eq(s.e[1].entity_id, "sensor.bedroom_temperature");
  ck_assert_str_eq(s.e[2].entity_id, "binary_sensor.front_door");
  ck_assert_str_eq(s.e[3].entity_id, "sensor.outdoor_temperature");
  hl_ha_states_free(&s);
  /* The same with the ids sorted and looked up by binary search; an id
   * list of one, and ids that sort before and after every entity. */
  static const char *const sorted[] = {"a.first", "binary_sensor.front_door",
                                       "sensor.bedroom_temperature", "z.last"};
  for (size_t n = 1; n <= 4; n++) {
    struct hl_ha_filter fs = {
        .ids = n == 1 ? sorted + 1 : sorted, .nids = n, .ids_sorted = true};
    ck_assert_int_eq(hl_ha_parse_states(json, len, &fs, &s, err, sizeof(err)),
                     0);
    ck_assert_uint_eq(s.n, n >= 3 ? 2 : 1);
    ck_assert_str_eq(s.e[n >= 3 ? 1 : 0].entity_id, "binary_sensor.front_door");
    hl_ha_states_free(&s);
  }
  free(json);
}
END_TEST

/* 5000 generated entities; the pattern keeps every 10th. */
START_TEST(test_states_many) {
  struct hl_buf b;
  hl_buf_init(&b, 16u << 20);
  ck_assert_int_eq(hl_buf_append(&b, "[", 1), 0);
  for (int i = 0; i < 5000; i++) {
    char item[512];
    int n = snprintf(
        item, sizeof(item),
        "%s{\"entity_id\":\"sensor.%s_%04d\",\"state\":\"%d.5\","
        "\"attributes\":{\"unit_of_measurement\":\"W\",\"friendly_name\":"
        "\"Plug %d\",\"nested\":{\"a\":[1,2,{\"b\":null}]}},"
        "\"last_updated\":\"2025-08-21T19:20:00.%06d+00:00\"}",
        i ? "," : "", i % 10 == 0 ? "plug" : "other", i, i, i, i);
    ck_assert(n > 0 && (size_t)n < sizeof(item));
    ck_assert_int_eq(hl_buf_append(&b, item, (size_t)n), 0);
  }
  ck_assert_int_eq(hl_buf_append(&b, "]", 1), 0);
  char *json = hl_test_dup_exact(b.data, b.len);
  static const char *const pats[] = {"sensor.plug_*"};
  struct hl_ha_filter f = {.patterns = pats, .npatterns = 1};
  struct hl_ha_states s;
  char err[64] = "";
  ck_assert_int_eq(hl_ha_parse_states(json, b.len, &f, &s, err, 64), 0);
  ck_assert_uint_eq(s.seen, 5000);
  ck_assert_uint_eq(s.n, 500);
  ck_assert_str_eq(s.e[499].entity_id, "sensor.plug_4990");
  ck_assert_str_eq(s.e[499].state, "4990.5");
  ck_assert_str_eq(s.e[499].unit, "W");
  ck_assert_double_eq_tol(s.e[499].last_updated, 1755804000.00499, 1e-5);
  hl_ha_states_free(&s);
  free(json);
  hl_buf_free(&b);
}
END_TEST

static const struct inline_case {
  const char *body;
  int rc;
  size_t n; /* entities kept (no filter) */
} states_inline[] = {
    {"[]", 0, 0},
    {" [ ] \n", 0, 0},
    {"[1, \"x\", null, [], {\"entity_id\":\"a.b\",\"state\":\"on\"}]", 0, 1},
    {"[{\"entity_id\":\"a.b\"}]", 0, 0},
    {"[{\"entity_id\":5,\"state\":\"on\"}]", 0, 0},
    {"[{\"entity_id\":\"a.b\",\"state\":null}]", 0, 0},
    {"[{\"state\":\"on\",\"entity_id\":\"a.b\",\"attributes\":[1]}]", 0, 1},
    {"{\"entity_id\":\"a.b\",\"state\":\"on\"}", -EPROTO, 0},
    {"\"states\"", -EPROTO, 0},
    {"42", -EPROTO, 0},
    {"null", -EPROTO, 0},
    {"", -EPROTO, 0},
    {"   ", -EPROTO, 0},
    {"[{\"entity_id\":\"a.b\",\"state\":\"on\"}", -EPROTO, 0},
    {"[{\"entity_id\":\"a.b\",\"state\":\"on\"}]]", -EPROTO, 0},
    {"[{\"entity_id\":\"a.b\",\"state\":\"on\"}] []", -EPROTO, 0},
    {"[{\"entity_id\":\"a.b\" \"state\":\"on\"}]", -EPROTO, 0},
    {"[{'entity_id':'a.b'}]", -EPROTO, 0},
    {"[{\"entity_id\":\"a.b\",\"state\":\"\xff\xfe\"}]", -EPROTO, 0},
    {"<html>401</html>", -EPROTO, 0},
    {"401: Unauthorized", -EPROTO, 0},
    {"[{\"entity_id\":\"a.b\",\"state\":\"1\",\"attributes\":{\"x\":"
     "1e999999}}]",
     0, 1},
    {"[{\"entity_id\":\"a\\u0000b\",\"state\":\"on\"}]", 0, 0},
};

START_TEST(test_states_inline) {
  const struct inline_case *ic = &states_inline[_i];
  size_t len = strlen(ic->body);
  char *json = hl_test_dup_exact(ic->body, len);
  struct hl_ha_states s;
  char err[64] = "";
  int rc = hl_ha_parse_states(json, len, NULL, &s, err, sizeof(err));
  ck_assert_msg(rc == ic->rc, "case %d: rc %d", _i, rc);
  ck_assert_uint_eq(s.n, ic->n);
  if (rc != 0) {
    ck_assert_ptr_null(s.e);
    ck_assert_str_ne(err, "");
  }
  hl_ha_states_free(&s);
  free(json);
}
END_TEST

/* Depth: 31 nested arrays inside attributes is fine, 40 is refused. */
START_TEST(test_depth) {
  for (int deep = 0; deep < 2; deep++) {
    int levels = deep ? 40 : HL_HA_MAX_DEPTH - 3;
    struct hl_buf b;
    hl_buf_init(&b, 1u << 16);
    const char *head = "[{\"entity_id\":\"a.b\",\"state\":\"1\",\"x\":";
    ck_assert_int_eq(hl_buf_append(&b, head, strlen(head)), 0);
    for (int i = 0; i < levels; i++)
      ck_assert_int_eq(hl_buf_append(&b, "[", 1), 0);
    for (int i = 0; i < levels; i++)
      ck_assert_int_eq(hl_buf_append(&b, "]", 1), 0);
    ck_assert_int_eq(hl_buf_append(&b, "}]", 2), 0);
    char *json = hl_test_dup_exact(b.data, b.len);
    struct hl_ha_states s;
    char err[64] = "";
    int rc = hl_ha_parse_states(json, b.len, NULL, &s, err, sizeof(err));
    ck_assert_int_eq(rc, deep ? -EPROTO : 0);
    if (deep)
      ck_assert_str_eq(err, "nested too deeply");
    hl_ha_states_free(&s);
    free(json);
    hl_buf_free(&b);
  }
}
END_TEST

static const char *const all_fixtures[] = {
    "api.json",   "config.json", "core_state.json", "core_state_migrating.json",
    "state.json", "states.json", "error_404.json",
};

/* Every prefix of every fixture, through every parser: no crash, and a
 * failure always leaves empty outputs. */
START_TEST(test_truncated) {
  size_t len = 0;
  char *full = load_ha(all_fixtures[_i], &len);
  for (size_t cut = 0; cut < len; cut++) {
    char *json = hl_test_dup_exact(full, cut);
    char err[64] = "";
    struct hl_ha_states s;
    if (hl_ha_parse_states(json, cut, NULL, &s, err, 64) != 0)
      ck_assert_ptr_null(s.e);
    hl_ha_states_free(&s);
    struct hl_ha_entity e;
    if (hl_ha_parse_state(json, cut, "battery_level", &e, err, 64) != 0)
      ck_assert_ptr_null(e.entity_id);
    hl_ha_entity_free(&e);
    struct hl_ha_core c;
    hl_ha_parse_core(json, cut, &c, err, 64);
    struct hl_ha_config cf;
    hl_ha_parse_config(json, cut, &cf, err, 64);
    bool running = false;
    hl_ha_parse_api(json, cut, &running, err, 64);
    char msg[16];
    hl_ha_parse_message(json, cut, msg, sizeof(msg), err, 64);
    free(json);
  }
  free(full);
}
END_TEST

START_TEST(test_args) {
  struct hl_ha_states s;
  struct hl_ha_entity e;
  ck_assert_int_eq(hl_ha_parse_states(NULL, 1, NULL, &s, NULL, 0), -EINVAL);
  ck_assert_int_eq(hl_ha_parse_states("[]", 2, NULL, NULL, NULL, 0), -EINVAL);
  ck_assert_int_eq(hl_ha_parse_state(NULL, 1, NULL, &e, NULL, 0), -EINVAL);
  ck_assert_int_eq(hl_ha_parse_states(NULL, 0, NULL, &s, NULL, 0), -EPROTO);
  ck_assert_int_eq(hl_ha_parse_core("{}", 2, NULL, NULL, 0), -EINVAL);
  ck_assert_int_eq(hl_ha_parse_api("{}", 2, NULL, NULL, 0), -EINVAL);
  static const char one[] = "{\"state\":\"on\"}";
  ck_assert_int_eq(hl_ha_parse_state(one, strlen(one), NULL, &e, NULL, 0),
                   -EPROTO);
  hl_ha_entity_free(NULL);
  hl_ha_states_free(NULL);
}
END_TEST

/* ---- value helpers ---- */

static const struct num_case {
  const char *s;
  int rc;
  double v;
} num_cases[] = {
    {"21.5", 0, 21.5},
    {"-3.25", 0, -3.25},
    {"+4", 0, 4},
    {"0", 0, 0},
    {"1e3", 0, 1000},
    {"2.5E-1", 0, 0.25},
    {".5", 0, 0.5},
    {"5.", 0, 5},
    {"", -EINVAL, 0},
    {" 1", -EINVAL, 0},
    {"1 ", -EINVAL, 0},
    {"0x10", -EINVAL, 0},
    {"nan", -EINVAL, 0},
    {"inf", -EINVAL, 0},
    {"-", -EINVAL, 0},
    {"1e", -EINVAL, 0},
    {"1,5", -EINVAL, 0},
    {"on", -EINVAL, 0},
    {"1e999", -ERANGE, 0},
    {"-1e400", -ERANGE, 0},
    {"12abc", -EINVAL, 0},
    {"1.7976931348623157e308", 0, 1.7976931348623157e308},
};

START_TEST(test_number) {
  const struct num_case *nc = &num_cases[_i];
  size_t n = strlen(nc->s);
  char *s = hl_test_dup_exact(nc->s, n);
  double v = -1;
  ck_assert_msg(hl_ha_parse_number(s, n, &v) == nc->rc, "%s", nc->s);
  if (nc->rc == 0)
    ck_assert_double_eq(v, nc->v);
  free(s);
}
END_TEST

START_TEST(test_number_huge) {
  char big[600];
  memset(big, '9', sizeof(big));
  double v = 0;
  ck_assert_int_eq(hl_ha_parse_number(big, 400, &v), -ERANGE);
  ck_assert_int_eq(hl_ha_parse_number(big, sizeof(big), &v), -ERANGE);
  ck_assert_int_eq(hl_ha_parse_number(big, 300, &v), 0);
  ck_assert(isfinite(v));
}
END_TEST

static const struct time_case {
  const char *s;
  int rc;
  double t;
} time_cases[] = {
    {"2016-05-30T21:43:32.418320+00:00", 0, 1464644612.41832},
    {"2025-08-21T19:10:00.5+02:00", 0, 1755796200.5},
    {"2025-08-21T17:00:00Z", 0, 1755795600},
    {"2025-08-21T14:20:00-05:00", 0, 1755804000},
    {"2025-08-21T19:00:00.123+00:00", 0, 1755802800.123},
    {"2000-02-29T00:00:00+0530", 0, 951762600},
    {"1970-01-01T00:00:00Z", 0, 0},
    {"1970-01-01 00:00:00.000000001Z", 0, 1e-9},
    {"2025-08-21T19:00:00.1234567890123+00:00", 0, 1755802800.123456789},
    {"2025-08-21T19:00:00", -EINVAL, 0},
    {"2025-08-21T19:00:00.Z", -EINVAL, 0},
    {"2025-02-29T00:00:00Z", -EINVAL, 0},
    {"2025-13-01T00:00:00Z", -EINVAL, 0},
    {"2025-08-21T24:00:00Z", -EINVAL, 0},
    {"2025-08-21T19:00:00+25:00", -EINVAL, 0},
    {"2025-08-21T19:00:00+00:00x", -EINVAL, 0},
    {"2025-08-21T19:00:00+00", -EINVAL, 0},
    {"2025-8-21T19:00:00Z", -EINVAL, 0},
    {"", -EINVAL, 0},
    {"not a time at all....", -EINVAL, 0},
};

START_TEST(test_time) {
  const struct time_case *tc = &time_cases[_i];
  size_t n = strlen(tc->s);
  char *s = hl_test_dup_exact(tc->s, n);
  double t = -1;
  ck_assert_msg(hl_ha_parse_time(s, n, &t) == tc->rc, "%s", tc->s);
  if (tc->rc == 0)
    ck_assert_double_eq_tol(t, tc->t, 1e-6);
  free(s);
}
END_TEST

static const struct value_case {
  const char *s;
  enum hl_ha_value_kind k;
  double v;
} value_cases[] = {
    {"21.5", HL_HA_VALUE_NUMBER, 21.5},
    {"-0.5", HL_HA_VALUE_NUMBER, -0.5},
    {"on", HL_HA_VALUE_BINARY, 1},
    {"off", HL_HA_VALUE_BINARY, 0},
    {"ON", HL_HA_VALUE_BINARY, 1},
    {"open", HL_HA_VALUE_BINARY, 1},
    {"closed", HL_HA_VALUE_BINARY, 0},
    {"home", HL_HA_VALUE_BINARY, 1},
    {"not_home", HL_HA_VALUE_BINARY, 0},
    {"locked", HL_HA_VALUE_BINARY, 1},
    {"unlocked", HL_HA_VALUE_BINARY, 0},
    {"true", HL_HA_VALUE_BINARY, 1},
    {"false", HL_HA_VALUE_BINARY, 0},
    {"detected", HL_HA_VALUE_BINARY, 1},
    {"clear", HL_HA_VALUE_BINARY, 0},
    {"unavailable", HL_HA_VALUE_UNAVAILABLE, 0},
    {"unknown", HL_HA_VALUE_UNAVAILABLE, 0},
    {"", HL_HA_VALUE_UNAVAILABLE, 0},
    {NULL, HL_HA_VALUE_UNAVAILABLE, 0},
    {"heat", HL_HA_VALUE_TEXT, 0},
    {"nan", HL_HA_VALUE_TEXT, 0},
    {"1e999", HL_HA_VALUE_TEXT, 0},
    {"21,5", HL_HA_VALUE_TEXT, 0},
};

START_TEST(test_value) {
  const struct value_case *vc = &value_cases[_i];
  double v = -42;
  ck_assert_int_eq(hl_ha_state_value(vc->s, &v), vc->k);
  if (vc->k == HL_HA_VALUE_NUMBER || vc->k == HL_HA_VALUE_BINARY)
    ck_assert_double_eq(v, vc->v);
  else
    ck_assert_double_eq(v, -42);
}
END_TEST

static const struct type_case {
  const char *unit, *dclass, *type;
  double scale, offset;
} type_cases[] = {
    {"\xc2\xb0"
     "C",
     "temperature", "temperature", 1, 0},
    {"\xc2\xb0"
     "F",
     NULL, "temperature", 5.0 / 9.0, -32},
    {"%", "humidity", "humidity", 1, 0},
    {"%", "battery", "percent", 1, 0},
    {"%", NULL, "percent", 1, 0},
    {"W", "power", "power", 1, 0},
    {"kW", NULL, "power", 1000, 0},
    {"kWh", "energy", "energy_wh", 1000, 0},
    {"Wh", NULL, "energy_wh", 1, 0},
    {"V", NULL, "voltage", 1, 0},
    {"A", NULL, "current", 1, 0},
    {"Hz", NULL, "frequency", 1, 0},
    {"hPa", "pressure", "pressure", 1, 0},
    {"dBm", "signal_strength", "signal_power", 1, 0},
    {"lx", "illuminance", "gauge", 1, 0},
    {"ppm", "carbon_dioxide", "gauge", 1, 0},
    {"w", NULL, "gauge", 1, 0},
    {"mbar", "pressure", "gauge", 1, 0},
    {NULL, "temperature", "temperature", 1, 0},
    {"", "battery", "percent", 1, 0},
    {NULL, "energy", "gauge", 1, 0},
    {NULL, NULL, "gauge", 1, 0},
};

START_TEST(test_type) {
  const struct type_case *tc = &type_cases[_i];
  struct hl_ha_type t = hl_ha_type_for(tc->unit, tc->dclass);
  ck_assert_str_eq(t.type, tc->type);
  ck_assert_double_eq(t.scale, tc->scale);
  ck_assert_double_eq(t.offset, tc->offset);
  if (tc->offset != 0) /* 212 °F is 100 °C */
    ck_assert_double_eq_tol((212 + t.offset) * t.scale, 100, 1e-9);
}
END_TEST

static const struct glob_case {
  const char *pat, *s;
  bool match;
} glob_cases[] = {
    {"sensor.*_temperature", "sensor.living_room_temperature", true},
    {"sensor.*_temperature", "sensor._temperature", true},
    {"sensor.*_temperature", "sensor.living_room_humidity", false},
    {"sensor.*_temperature", "binary_sensor.x_temperature", false},
    {"*", "", true},
    {"*", "anything.at_all", true},
    {"", "", true},
    {"", "a", false},
    {"sensor.?", "sensor.a", true},
    {"sensor.?", "sensor.ab", false},
    {"sensor.[abc]*", "sensor.bath", true},
    {"sensor.[abc]*", "sensor.den", false},
    {"sensor.[!abc]*", "sensor.den", true},
    {"sensor.[^abc]*", "sensor.bath", false},
    {"light.room_[0-9]", "light.room_7", true},
    {"light.room_[0-9]", "light.room_x", false},
    {"[]]x", "]x", true},
    {"[!]]x", "ax", true},
    {"a\\*", "a\\bc", true},
    {"a*b*c", "aXbYbZc", true},
    {"a*b*c", "aXbYbZ", false},
    {"**.*", "x.y", true},
    {"sensor.[abc", "sensor.a", false},
    {"sensor.[abc", "sensor.[abc", false},
    {"*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
    {"sensor.caf\xc3\xa9_*", "sensor.caf\xc3\xa9_1", true},
};

START_TEST(test_glob) {
  const struct glob_case *gc = &glob_cases[_i];
  ck_assert_msg(hl_ha_glob_match(gc->pat, gc->s) == gc->match, "%s vs %s",
                gc->pat, gc->s);
}
END_TEST

START_TEST(test_glob_valid) {
  ck_assert_int_eq(hl_ha_glob_valid("sensor.*"), 0);
  ck_assert_int_eq(hl_ha_glob_valid("[]]"), 0);
  ck_assert_int_eq(hl_ha_glob_valid("a[b"), -EINVAL);
  ck_assert_int_eq(hl_ha_glob_valid("[!]"), -EINVAL);
  ck_assert_int_eq(hl_ha_glob_valid(""), -EINVAL);
  ck_assert_int_eq(hl_ha_glob_valid(NULL), -EINVAL);
  ck_assert(!hl_ha_glob_match(NULL, "x"));
  ck_assert(!hl_ha_glob_match("x", NULL));
}
END_TEST

static const struct san_case {
  const char *in, *out;
} san_cases[] = {
    {"sensor.living_room_temperature", "sensor.living_room_temperature"},
    {"sensor/evil/../x", "sensor_evil_.._x"},
    {"Sensor.Kitchen-1", "sensor.kitchen-1"},
    {"sensor.caf\xc3\xa9", "sensor.caf_"},
    {"sensor.\xf0\x9f\x8f\xa0x", "sensor._x"},
    {"a b\tc\"d'e", "a_b_c_d_e"},
    {"", "_"},
    {NULL, "_"},
    {"sensor.a_very_long_entity_id_that_goes_on_and_on_and_on_beyond_the_limit",
     "sensor.a_very_long_entity_id_that_goes_on_and_on_and_on_beyond_"},
};

START_TEST(test_sanitize) {
  const struct san_case *sc = &san_cases[_i];
  char out[128];
  size_t n = hl_ha_sanitize_id(sc->in, out, sizeof(out));
  ck_assert_str_eq(out, sc->out);
  ck_assert_uint_eq(n, strlen(sc->out));
  ck_assert_uint_le(n, HL_HA_INSTANCE_MAX);
  ck_assert(strchr(out, '/') == NULL);
}
END_TEST

START_TEST(test_sanitize_small) {
  char out[8];
  ck_assert_uint_eq(hl_ha_sanitize_id("sensor.x", out, 5), 4);
  ck_assert_str_eq(out, "sens");
  ck_assert_uint_eq(hl_ha_sanitize_id("x", out, 1), 0);
}
END_TEST

Suite *hl_ha_suite(void) {
  Suite *s = suite_create("hl_ha");
  TCase *tc = tcase_create("parse");
  tcase_add_test(tc, test_api);
  tcase_add_test(tc, test_config);
  tcase_add_loop_test(tc, test_core, 0, ARRAY_SIZE(core_cases));
  tcase_add_test(tc, test_core_names);
  tcase_add_test(tc, test_errors);
  tcase_add_test(tc, test_state_one);
  tcase_add_test(tc, test_states_all);
  tcase_add_test(tc, test_states_filter);
  tcase_add_test(tc, test_states_many);
  tcase_add_loop_test(tc, test_states_inline, 0, ARRAY_SIZE(states_inline));
  tcase_add_test(tc, test_depth);
  tcase_add_loop_test(tc, test_truncated, 0, ARRAY_SIZE(all_fixtures));
  tcase_add_test(tc, test_args);
  tcase_set_timeout(tc, 60);
  suite_add_tcase(s, tc);

  tc = tcase_create("values");
  tcase_add_loop_test(tc, test_number, 0, ARRAY_SIZE(num_cases));
  tcase_add_test(tc, test_number_huge);
  tcase_add_loop_test(tc, test_time, 0, ARRAY_SIZE(time_cases));
  tcase_add_loop_test(tc, test_value, 0, ARRAY_SIZE(value_cases));
  tcase_add_loop_test(tc, test_type, 0, ARRAY_SIZE(type_cases));
  tcase_add_loop_test(tc, test_glob, 0, ARRAY_SIZE(glob_cases));
  tcase_add_test(tc, test_glob_valid);
  tcase_add_loop_test(tc, test_sanitize, 0, ARRAY_SIZE(san_cases));
  tcase_add_test(tc, test_sanitize_small);
  suite_add_tcase(s, tc);
  return s;
}
