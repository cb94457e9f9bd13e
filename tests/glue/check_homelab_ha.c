// SPDX-License-Identifier: MIT
/*
 * Glue tests for the homelab_ha plugin. The plugin source is included so
 * its statics are reachable; it is linked against mock_collectd and driven
 * like the daemon would: module_register() -> config -> init -> read... ->
 * free_func (in teardown, via mock_reset()).
 *
 * No Home Assistant and no network here. Config runs end to end (ci_parse
 * text -> mock_config -> mock_init_all). The read path is fetch -> parse ->
 * submit, so the submit and notification side is driven with state objects
 * (tests/fixtures/ha, read-only, and tests/fixtures/glue_ha) parsed by the
 * shared hl_ha decoders and handed to ha_entity_report() /
 * ha_entity_missing() with a fixed wall clock; instance-level state goes
 * through ha_core_state(), ha_auth_state() (back-off on a clock in
 * milliseconds) and ha_api_state(). The only reads that run are those that
 * make no request: a pending back-off, and a read whose deadline has
 * passed. The real HTTP path is covered by the integration test against
 * ha_sim.py.
 *
 * The token is SECRET throughout; no log line or notification may show it.
 * In config text "@tok" is a token file of mode 0600, "@tokw" one of mode
 * 0644, "@tokg" one of mode 0640 in our own group, "@toke" an empty one,
 * "@tokd" a directory, "@ca" a readable file and "@none" a path that does not
 * exist. Runs forked or, for valgrind, with CK_FORK=no (setup resets the
 * plugin's config statics).
 */
#include "../../plugins/homelab_ha.c"

#include "glue_util.h"

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#define NCASES(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define SECRET "eyJhbGciOiJIUzI1NiJ9.s3cr3t-T0ken"
#define TOKEN_ENV "HL_HA_TEST_TOKEN"
#define WALL 1755804030.0 /* 2025-08-21T19:20:30Z */
#define LONG_ID                                                                \
  "sensor.an_unusually_long_entity_id_from_a_zigbee_bridge_that_keeps_going_"  \
  "on_and_on"
#define LONG_TI                                                                \
  "sensor.an_unusually_long_entity_id_from_a_zigbee_bridge_that_ke"
#define LONG_ATTR_TI                                                           \
  "sensor.an_unusually_long_entity_id_from_a_zigbee_.battery_level"

static char tok_ok[PATH_MAX + 16];    /* mode 0600 */
static char tok_world[PATH_MAX + 16]; /* mode 0644 */
static char tok_group[PATH_MAX + 16]; /* mode 0640, our own group */
static char tok_empty[PATH_MAX + 16]; /* mode 0600, empty */
static char tok_dir[PATH_MAX + 16];   /* a directory */
static char ca_file[PATH_MAX + 16];   /* readable */
static char no_file[PATH_MAX + 16];   /* missing */
static double cur_wall = WALL;        /* of the reads report_state() makes */

/* ---- helpers ------------------------------------------------------------- */

/* Called from main(), outside tests: no ck_assert here. */
static int write_file(const char *path, const char *text, mode_t mode) {
  FILE *f = fopen(path, "w");
  if (f == NULL)
    return -1;
  fputs(text, f);
  return fclose(f) == 0 && chmod(path, mode) == 0 ? 0 : -1;
}

static void config_text(const char *text) {
  const struct glue_subst subst[] = {{"@tokw", tok_world}, {"@tokg", tok_group},
                                     {"@toke", tok_empty}, {"@tokd", tok_dir},
                                     {"@tok", tok_ok},     {"@ca", ca_file},
                                     {"@none", no_file}};
  glue_config_text(HL_PLUGIN, text, subst, NCASES(subst));
}

#define INST(extra)                                                            \
  "<Instance \"home\">\nURL \"http://127.0.0.1:8123\"\nTokenFile "             \
  "\"@tok\"\n" extra "</Instance>\n"

/* One configured and started instance "home" (read callback 0), records
 * cleared. */
static struct ha_inst *one_inst(const char *extra) {
  char text[4096];
  snprintf(text, sizeof(text), INST("%s"), extra);
  config_text(text);
  ck_assert_int_eq(mock_init_all(), 0);
  ck_assert_uint_eq(mock_read_count(), 1);
  ck_assert_str_eq(mock_read_name(0), "homelab_ha/home");
  struct ha_inst *h = mock_read_data(0);
  ck_assert_ptr_nonnull(h);
  mock_clear_records();
  return h;
}

/* A read at the wall clock cur_wall that never makes a request. */
static struct ha_rd rd_fixed(void) {
  return (struct ha_rd){.deadline_ms = INT64_MAX,
                        .now = TIME_T_TO_CDTIME_T(1755804030),
                        .wall = cur_wall};
}

/* GET /api/states fixture @rel, filtered like ha_read_bulk() does. */
static void load_states(const struct ha_inst *h, const char *rel,
                        struct hl_ha_states *s) {
  char p[PATH_MAX], err[128] = "";
  struct hl_buf b;
  glue_read_file(glue_fx_path(p, sizeof(p), rel), &b, GLUE_FILE_MAX);
  const struct hl_ha_filter f = {.ids = h->ids,
                                 .nids = h->nents,
                                 .patterns = (const char *const *)h->patterns,
                                 .npatterns = h->npatterns,
                                 .attribute = h->attr,
                                 .ids_sorted = true};
  int rc = hl_ha_parse_states(b.data, b.len, &f, s, err, sizeof(err));
  ck_assert_msg(rc == 0, "%s: %s", rel, err);
  hl_buf_free(&b);
}

/* Reports one state object built from its parts (NULL @unit: none). */
static void report_state(struct ha_inst *h, const char *id, const char *state,
                         const char *unit, struct ha_counts *n) {
  char json[1024], err[128] = "";
  int len = snprintf(json, sizeof(json),
                     "{\"entity_id\": \"%s\", \"state\": \"%s\", "
                     "\"attributes\": {%s%s%s\"friendly_name\": \"F\", "
                     "\"battery_level\": 50}, "
                     "\"last_updated\": \"2025-08-21T19:20:00+00:00\"}",
                     id, state, unit ? "\"unit_of_measurement\": \"" : "",
                     unit ? unit : "", unit ? "\", " : "");
  ck_assert(len > 0 && (size_t)len < sizeof(json));
  struct hl_ha_entity e = {0};
  ck_assert_msg(
      hl_ha_parse_state(json, (size_t)len, h->attr, &e, err, sizeof(err)) == 0,
      "%s", err);
  struct ha_rd rd = rd_fixed();
  struct ha_counts dummy = {0};
  ha_entity_report(h, &rd, &e, n ? n : &dummy);
  hl_ha_entity_free(&e);
}

static double gauge(const char *type, const char *ti) {
  return glue_gauge("home", type, ti);
}

static size_t notes(int sev, const char *ti, const char *text) {
  return glue_notif_count(sev, "home", ti, text);
}

/* No secret in any log message or notification (message and meta). */
static void assert_no_secret(void) {
  static const int levels[] = {LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO,
                               LOG_DEBUG};
  for (int i = 0; i < NCASES(levels); i++)
    ck_assert_msg(mock_log_count(levels[i], SECRET) == 0,
                  "token in a log message of level %d", levels[i]);
  static const char *const keys[] = {"instance", "url", "version",
                                     "location_name"};
  for (size_t i = 0; i < mock_count_notifications(); i++) {
    ck_assert_ptr_null(strstr(mock_notification(i)->message, SECRET));
    for (int k = 0; k < NCASES(keys); k++) {
      const char *v = mock_notification_meta(i, keys[k]);
      ck_assert(v == NULL || strstr(v, SECRET) == NULL);
    }
  }
}

/* ---- fixture ------------------------------------------------------------- */

static void setup(void) {
  ha_single = (struct hl_single){0}; /* statics persist with CK_FORK=no */
  ha_cfg_clear();
  cur_wall = WALL;
  mock_reset();
  glue_types_load(true);
  module_register();
}

static void teardown(void) {
  mock_reset();
  ha_cfg_clear();
  unsetenv(TOKEN_ENV);
}

/* ---- config -------------------------------------------------------------- */

START_TEST(test_config_all) {
  setenv(TOKEN_ENV, SECRET, 1);
  config_text("<Instance \"nuc\">\n"
              "  URL \"https://ha.lan:8443/\"\n"
              "  TokenFile \"@tok\"\n"
              "  CACert \"@ca\"\n"
              "  VerifyPeer true\n  VerifyHost false\n"
              "  Timeout 2.5\n  MaxResponseSize 65536\n"
              "  ConfigInterval 600\n  Interval 30\n"
              "  FetchMode \"bulk\"\n  MaxEntities 50\n"
              "  Entity \"sensor.living_room_temperature\"\n"
              "  <Entity \"sensor.freezer_temperature\">\n"
              "    WarningMax -15\n    FailureMax -10\n"
              "    WarningMin -40\n    FailureMin -50\n"
              "    Attribute \"battery_level\"\n"
              "  </Entity>\n"
              "  EntityPattern \"sensor.*_temperature\"\n"
              "  EntityPattern \"binary_sensor.door_[a-z]\"\n"
              "  Attribute \"battery_level\"\n"
              "</Instance>\n"
              "<Instance \"cabin-2\">\n"
              "  URL \"http://10.0.0.5:8123\"\n"
              "  TokenEnv \"" TOKEN_ENV "\"\n"
              "  FetchMode \"EACH\"\n"
              "  Entity \"switch.pump\"\n"
              "</Instance>\n");
  /* Parsed, not started yet. */
  ck_assert_uint_eq(ha_cfg.n, 2);
  struct ha_inst *h = ha_cfg.inst[0];
  ck_assert_str_eq(h->name, "nuc");
  ck_assert_str_eq(h->url, "https://ha.lan:8443"); /* trailing '/' gone */
  ck_assert_str_eq(h->token, SECRET);
  ck_assert_str_eq(h->ca_cert, ca_file);
  ck_assert(h->verify_peer && !h->verify_host);
  ck_assert_double_eq(h->timeout, 2.5);
  ck_assert_uint_eq(h->max_body, 65536);
  ck_assert_double_eq(h->config_interval, 600);
  ck_assert(h->interval == TIME_T_TO_CDTIME_T(30));
  ck_assert_int_eq(h->fetch, HA_FETCH_BULK);
  ck_assert_uint_eq(h->max_entities, 50);
  ck_assert_uint_eq(h->nents, 2);
  ck_assert_str_eq(h->ents[0].id, "sensor.living_room_temperature");
  ck_assert(!h->ents[0].limits && !h->ents[0].want_attr);
  const struct ha_entity_cfg *e = &h->ents[1];
  ck_assert_str_eq(e->id, "sensor.freezer_temperature");
  ck_assert(e->limits && e->want_attr);
  ck_assert_double_eq(e->hi.limits.warning, -15);
  ck_assert_double_eq(e->hi.limits.failure, -10);
  ck_assert_double_eq(e->lo.limits.warning, 40); /* negated */
  ck_assert_double_eq(e->lo.limits.failure, 50);
  ck_assert_uint_eq(h->npatterns, 2);
  ck_assert_str_eq(h->patterns[0], "sensor.*_temperature");
  ck_assert_str_eq(h->patterns[1], "binary_sensor.door_[a-z]");
  ck_assert_str_eq(h->attr, "battery_level");
  ck_assert(h->attr_all);
  ck_assert_ptr_nonnull(h->ids);
  /* the filter's ids: the Entity ids, sorted for bisection */
  ck_assert_str_eq(h->ids[0], h->ents[1].id);
  ck_assert_str_eq(h->ids[1], h->ents[0].id);
  ck_assert_int_lt(strcmp(h->ids[0], h->ids[1]), 0);
  struct ha_inst *c = ha_cfg.inst[1];
  ck_assert_str_eq(c->token, SECRET);
  ck_assert_int_eq(c->fetch, HA_FETCH_EACH);
  ck_assert(c->interval == 0);
  /* Started: one read callback each, the token moved into the client. */
  ck_assert_int_eq(mock_init_all(), 0);
  ck_assert_uint_eq(mock_read_count(), 2);
  ck_assert_str_eq(mock_read_name(0), "homelab_ha/nuc");
  ck_assert_str_eq(mock_read_name(1), "homelab_ha/cabin-2");
  ck_assert(mock_read_interval(0) == TIME_T_TO_CDTIME_T(30));
  ck_assert(mock_read_interval(1) == 0);
  ck_assert_ptr_eq(mock_read_data(0), h);
  ck_assert_ptr_null(h->token);
  ck_assert_ptr_nonnull(h->http);
  ck_assert_int_eq(h->bo.interval_ms, 30000);
  ck_assert_int_eq(c->bo.interval_ms, 10000); /* the global interval */
  ck_assert_int_eq(h->core, HL_HA_CORE_UNKNOWN);
  ck_assert(!h->core_known && !h->api.known && !h->auth_bad);
  ck_assert_uint_eq(ha_cfg.n, 0); /* owned by the daemon now */
  ck_assert_uint_eq(mock_log_count(LOG_WARNING, "VerifyHost false"), 1);
  ck_assert_uint_eq(mock_log_count(LOG_INFO, "plain HTTP"), 1);
  ck_assert_uint_eq(mock_log_count(LOG_ERR, NULL), 0);
  assert_no_secret();
}
END_TEST

START_TEST(test_config_defaults) {
  config_text(INST(""));
  struct ha_inst *h = ha_cfg.inst[0];
  ck_assert_str_eq(h->url, "http://127.0.0.1:8123");
  ck_assert(h->verify_peer && h->verify_host);
  ck_assert_double_eq(h->timeout, 5);
  ck_assert_uint_eq(h->max_body, 4u * 1024 * 1024);
  ck_assert_double_eq(h->config_interval, 3600);
  ck_assert(h->interval == 0);
  ck_assert_int_eq(h->fetch, HA_FETCH_AUTO);
  ck_assert_uint_eq(h->max_entities, 1000);
  ck_assert(h->nents == 0 && h->npatterns == 0 && h->attr == NULL);
  ck_assert_int_eq(mock_init_all(), 0);
  ck_assert_uint_eq(mock_read_count(), 1);
  ck_assert_str_eq(mock_read_name(0), "homelab_ha/home");
  ck_assert(mock_read_interval(0) == 0);
  ck_assert_uint_eq(mock_log_count(LOG_WARNING, NULL), 0);
  ck_assert_uint_eq(mock_log_count(LOG_ERR, NULL), 0);
}
END_TEST

START_TEST(test_config_no_block) {
  ck_assert_int_eq(mock_init_all(), 0);
  ck_assert_uint_eq(mock_read_count(), 0);
  ck_assert(mock_log_contains(LOG_INFO, "no Instance block"));
}
END_TEST

START_TEST(test_config_empty_block) {
  config_text("");
  ck_assert_int_eq(mock_init_all(), 0);
  ck_assert_uint_eq(mock_read_count(), 0);
}
END_TEST

/* An inline token works but is warned about, without showing it. */
START_TEST(test_token_inline) {
  config_text("<Instance \"home\">\nURL \"http://127.0.0.1:8123\"\n"
              "Token \"" SECRET "\"\n</Instance>\n");
  ck_assert_str_eq(ha_cfg.inst[0]->token, SECRET);
  ck_assert_uint_eq(mock_log_count(LOG_WARNING, "Token"), 1);
  ck_assert_uint_eq(mock_log_count(LOG_WARNING, "prefer TokenFile"), 1);
  ck_assert_int_eq(mock_init_all(), 0);
  ck_assert_uint_eq(mock_read_count(), 1);
  ck_assert_uint_eq(mock_log_count(LOG_ERR, NULL), 0);
  assert_no_secret();
}
END_TEST

START_TEST(test_token_env) {
  setenv(TOKEN_ENV, SECRET, 1);
  config_text("<Instance \"home\">\nURL \"http://127.0.0.1:8123\"\n"
              "TokenEnv \"" TOKEN_ENV "\"\n</Instance>\n");
  ck_assert_str_eq(ha_cfg.inst[0]->token, SECRET);
  ck_assert_int_eq(mock_init_all(), 0);
  ck_assert_uint_eq(mock_log_count(LOG_WARNING, NULL), 0);
  assert_no_secret();
}
END_TEST

/* Group-readable is fine when the group is collectd's own. */
START_TEST(test_token_file_group) {
  config_text("<Instance \"home\">\nURL \"http://127.0.0.1:8123\"\n"
              "TokenFile \"@tokg\"\n</Instance>\n");
  ck_assert_uint_eq(ha_cfg.n, 1);
  ck_assert_str_eq(ha_cfg.inst[0]->token, SECRET);
  ck_assert_int_eq(mock_init_all(), 0);
  assert_no_secret();
}
END_TEST

START_TEST(test_verify_peer_warned) {
  config_text("<Instance \"home\">\nURL \"https://ha.lan\"\n"
              "TokenFile \"@tok\"\nVerifyPeer false\n</Instance>\n");
  ck_assert_int_eq(mock_init_all(), 0);
  ck_assert_uint_eq(mock_log_count(LOG_WARNING, "VerifyPeer false"), 1);
  ck_assert_uint_eq(mock_log_count(LOG_INFO, "plain HTTP"), 0);
}
END_TEST

/* Each must fail init with exactly one error of its own, naming @opt (in
 * exactly one message) and giving @why, plus the two generic ones:
 * "configuration rejected" and the daemon's "Initialization ... failed". */
static const struct {
  const char *text, *opt, *why;
} bad_cases[] = {
    {"<Instance \"home\">\nTokenFile \"@tok\"\n</Instance>\n", "URL",
     "missing"},
    {"<Instance \"home\">\nURL \"ftp://ha.lan\"\nTokenFile \"@tok\"\n"
     "</Instance>\n",
     "URL", "expects http://"},
    {"<Instance \"home\">\nURL \"ha.lan:8123\"\nTokenFile \"@tok\"\n"
     "</Instance>\n",
     "URL", "expects http://"},
    {"<Instance \"home\">\nURL \"http://\"\nTokenFile \"@tok\"\n</Instance>\n",
     "URL", "no host"},
    {"<Instance \"home\">\nURL \"https://:8123\"\nTokenFile \"@tok\"\n"
     "</Instance>\n",
     "URL", "no host"},
    {"<Instance \"home\">\nURL \"http://ha.lan:8123/x\"\nTokenFile \"@tok\"\n"
     "</Instance>\n",
     "URL", "no path"},
    {"<Instance \"home\">\nURL \"http://ha.lan/api/\"\nTokenFile \"@tok\"\n"
     "</Instance>\n",
     "URL", "no path"},
    /* the token as the URL's password: must not be echoed */
    {"<Instance \"home\">\nURL \"http://user:" SECRET "@ha.lan:8123\"\n"
     "TokenFile \"@tok\"\n</Instance>\n",
     "URL", "credentials"},
    {"<Instance \"home\">\nURL \"http://ha.lan:8123/?token=" SECRET "\"\n"
     "TokenFile \"@tok\"\n</Instance>\n",
     "URL", "query"},
    {"<Instance \"home\">\nURL \"http://ha.lan:8123\"\n</Instance>\n", "Token",
     "required"},
    {INST("Token \"" SECRET "\"\n"), "TokenFile", "only one of"},
    {"<Instance \"home\">\nURL \"http://ha.lan:8123\"\nTokenFile \"@tok\"\n"
     "TokenFile \"@tok\"\n</Instance>\n",
     "TokenFile", "only one of"},
    {"<Instance \"home\">\nURL \"http://ha.lan:8123\"\nTokenFile \"@tokw\"\n"
     "</Instance>\n",
     "TokenFile", "readable by every user"},
    {"<Instance \"home\">\nURL \"http://ha.lan:8123\"\nTokenFile \"@none\"\n"
     "</Instance>\n",
     "TokenFile", "No such file"},
    {"<Instance \"home\">\nURL \"http://ha.lan:8123\"\nTokenFile \"@toke\"\n"
     "</Instance>\n",
     "TokenFile", "empty"},
    {"<Instance \"home\">\nURL \"http://ha.lan:8123\"\nTokenFile \"@tokd\"\n"
     "</Instance>\n",
     "TokenFile", "not a regular file"},
    {"<Instance \"home\">\nURL \"http://ha.lan:8123\"\n"
     "TokenEnv \"HL_HA_UNSET_VARIABLE\"\n</Instance>\n",
     "TokenEnv", "not set"},
    {"<Instance \"home\">\nURL \"http://ha.lan:8123\"\nToken \"\"\n"
     "</Instance>\n",
     "Token", "empty"},
    {"Bogus 1\n" INST(""), "\"Bogus\"", "unknown option"},
    {INST("Foo 1\n"), "\"Foo\"", "unknown option"},
    {INST("<Entity \"sensor.x\">\nWarningMax 1\nFoo 1\n</Entity>\n"),
     "Entity \"sensor.x\"", "unknown option \"Foo\""},
    {INST("<Timeout 5>\nFoo 1\n</Timeout>\n"), "Timeout", "not a block"},
    {INST("Entity \"Sensor.Living_Room\"\n"), "Entity \"Sensor.Living_Room\"",
     "not an entity id"},
    {INST("Entity \"sensor_living_room\"\n"), "Entity \"sensor_living_room\"",
     "not an entity id"},
    {INST("Entity \"../x\"\n"), "Entity \"../x\"", "not an entity id"},
    {INST("Entity \"sensor.living room\"\n"), "Entity \"sensor.living room\"",
     "not an entity id"},
    {INST("Entity \"sensor.\"\n"), "Entity \"sensor.\"", "not an entity id"},
    {INST("Entity \"sensor.a.b\"\n"), "Entity \"sensor.a.b\"",
     "not an entity id"},
    {INST("Entity 5\n"), "Entity", "expects one entity id"},
    {INST("Entity \"sensor.x\"\n<Entity \"sensor.x\">\nWarningMax 1\n"
          "</Entity>\n"),
     "Entity \"sensor.x\"", "twice"},
    {INST("EntityPattern \"sensor.[abc\"\n"), "EntityPattern", "glob"},
    {INST("EntityPattern \"\"\n"), "EntityPattern", "glob"},
    {INST("Attribute \"battery_level\"\nAttribute \"voltage\"\n"), "Attribute",
     "only one attribute name"},
    {INST("Attribute \"battery_level\"\n<Entity \"sensor.x\">\n"
          "Attribute \"voltage\"\n</Entity>\n"),
     "Attribute", "only one attribute name"},
    {INST("Attribute \"battery-level\"\n"), "Attribute", "attribute name"},
    {INST("<Entity \"sensor.x\">\nWarningMax 10\nFailureMax 5\n</Entity>\n"),
     "WarningMax", "FailureMax"},
    {INST("<Entity \"sensor.x\">\nWarningMin -50\nFailureMin -40\n"
          "</Entity>\n"),
     "WarningMin", "FailureMin"},
    {INST("<Entity \"sensor.x\">\nWarningMax \"high\"\n</Entity>\n"),
     "WarningMax", "number"},
    {INST("FetchMode \"bogus\"\n"), "FetchMode", "auto, bulk or each"},
    {INST("FetchMode \"each\"\nEntityPattern \"sensor.*\"\n"), "FetchMode",
     "EntityPattern"},
    {INST("CACert \"@ca\"\n"), "CACert", "https"},
    {"<Instance \"home\">\nURL \"https://ha.lan\"\nTokenFile \"@tok\"\n"
     "CACert \"@none\"\n</Instance>\n",
     "CACert", "No such file"},
    {INST("Timeout 0\n"), "Timeout", "out of range"},
    {INST("Timeout 61\n"), "Timeout", "out of range"},
    {INST("Timeout \"5\"\n"), "Timeout", "number"},
    {INST("MaxResponseSize 100\n"), "MaxResponseSize", "out of range"},
    {INST("MaxEntities 0\n"), "MaxEntities", "out of range"},
    {INST("MaxEntities 2.5\n"), "MaxEntities", "whole number"},
    {INST("ConfigInterval 0\n"), "ConfigInterval", "out of range"},
    {INST("Interval 0\n"), "Interval", "out of range"},
    {INST("") INST(""), "Instance \"home\"", "already used"},
    {"<Instance \"a/b\">\nURL \"http://h\"\nTokenFile \"@tok\"\n</Instance>\n",
     "Instance \"a/b\"", "without '/'"},
    {"<Instance \"\">\nURL \"http://h\"\nTokenFile \"@tok\"\n</Instance>\n",
     "Instance \"\"", "non-empty"},
    {"<Instance>\nURL \"http://h\"\nTokenFile \"@tok\"\n</Instance>\n",
     "Instance", "expects one name"},
};

START_TEST(test_bad_config) {
  config_text(bad_cases[_i].text);
  ck_assert_int_eq(mock_init_all(), -1);
  ck_assert_uint_eq(mock_read_count(), 0);
  ck_assert_uint_eq(ha_cfg.n, 0);
  ck_assert_msg(mock_log_count(LOG_ERR, bad_cases[_i].opt) == 1,
                "not one error naming \"%s\"", bad_cases[_i].opt);
  ck_assert_msg(mock_log_contains(LOG_ERR, bad_cases[_i].why),
                "no error saying \"%s\"", bad_cases[_i].why);
  ck_assert_uint_eq(mock_log_count(LOG_ERR, "configuration rejected"), 1);
  ck_assert_uint_eq(mock_log_count(LOG_ERR, "Initialization of plugin"), 1);
  ck_assert_msg(mock_log_count(LOG_ERR, NULL) == 3, "%zu errors, want 3",
                mock_log_count(LOG_ERR, NULL));
  assert_no_secret();
}
END_TEST

START_TEST(test_two_blocks) {
  config_text(INST(""));
  config_text("<Instance \"other\">\nURL \"http://h\"\nToken \"" SECRET "\"\n"
              "</Instance>\n");
  ck_assert_int_eq(mock_init_all(), -1);
  ck_assert_uint_eq(mock_read_count(), 0);
  ck_assert_uint_eq(mock_log_count(LOG_ERR, "only one <Plugin"), 1);
  assert_no_secret();
}
END_TEST

/* Attribute names: at most 32 bytes (HA_ATTR_MAX), and "<id>.<attr>" stays
 * within 63 bytes by cutting the id part to 62 - length bytes. */
static const struct {
  size_t len;
  bool ok;
} attr_cases[] = {{1, true}, {13, true}, {32, true}, {33, false}, {64, false}};

START_TEST(test_attribute_length) {
  size_t alen = attr_cases[_i].len;
  char attr[65];
  memset(attr, 'a', alen);
  attr[alen] = '\0';
  char text[512];
  snprintf(text, sizeof(text),
           INST("EntityPattern \"sensor.an_*\"\nAttribute \"%s\"\n"), attr);
  config_text(text);
  if (!attr_cases[_i].ok) {
    ck_assert_int_eq(mock_init_all(), -1);
    ck_assert_uint_eq(mock_log_count(LOG_ERR, "Attribute"), 1);
    ck_assert(mock_log_contains(LOG_ERR, "at most 32 bytes"));
    return;
  }
  ck_assert_int_eq(mock_init_all(), 0);
  struct ha_inst *h = mock_read_data(0);
  mock_clear_records();
  char json[512];
  int len = snprintf(json, sizeof(json),
                     "{\"entity_id\": \"" LONG_ID "\", \"state\": \"230\", "
                     "\"attributes\": {\"unit_of_measurement\": \"V\", "
                     "\"%s\": 3}}",
                     attr);
  struct hl_ha_entity e = {0};
  ck_assert_int_eq(hl_ha_parse_state(json, (size_t)len, h->attr, &e, NULL, 0),
                   0);
  ck_assert(e.has_attr);
  struct ha_rd rd = rd_fixed();
  struct ha_counts n = {0};
  ha_entity_report(h, &rd, &e, &n);
  hl_ha_entity_free(&e);
  char want[DATA_MAX_NAME_LEN + 128];
  snprintf(want, sizeof(want), "%.*s.%s", (int)(62 - alen), LONG_ID, attr);
  ck_assert_uint_eq(strlen(want), HL_HA_INSTANCE_MAX);
  ck_assert_double_eq(gauge("gauge", want), 3);
  ck_assert_double_eq(gauge("voltage", LONG_TI), 230);
}
END_TEST

/* ---- entities ------------------------------------------------------------ */

static const struct {
  const char *type, *ti;
  double value; /* NAN: not dispatched */
} fx_expect[] = {
    {"temperature", "sensor.living_room_temperature", 21.5},
    {"homelab_available", "sensor.living_room_temperature", 1},
    {"homelab_age", "sensor.living_room_temperature", 7829.5},
    {"percent", "sensor.living_room_temperature.battery_level", 87},
    {"homelab_available", "sensor.bedroom_temperature", 0},
    {"temperature", "sensor.bedroom_temperature", NAN},
    {"homelab_age", "sensor.bedroom_temperature", 8430},
    {"homelab_available", "sensor.kitchen_humidity", 0},
    {"humidity", "sensor.kitchen_humidity", NAN},
    {"homelab_available", "climate.hallway", 1},
    {"temperature", "climate.hallway", NAN}, /* "heat": text */
    {"gauge", "climate.hallway", NAN},
    {"percent", "climate.hallway.battery_level", 55.5},
    {"homelab_binary", "binary_sensor.front_door", 0},
    {"homelab_available", "binary_sensor.front_door", 1},
    {"homelab_age", "binary_sensor.front_door", 30.000001},
    {"energy_wh", "sensor.grid_energy", 12345678},
    {"homelab_age", "sensor.grid_energy", 30},
    {"temperature", "sensor.outdoor_temperature",
     (-3.25 - 32) * 5 / 9}, /* °F */
    {"homelab_age", "sensor.outdoor_temperature", 30},
    {"percent", "sensor.outdoor_temperature.battery_level", NAN}, /* null */
    {"homelab_available", "sun.sun", 1},
    {"gauge", "sun.sun", NAN},
};

/* tests/fixtures/ha/states.json, every entity (EntityPattern "*"). */
/* ReportAvailability false / ReportAge false: one value list per numeric
 * entity (the state); availability is still tracked and notified. */
START_TEST(test_entity_values_off) {
  struct ha_inst *h = one_inst("Entity \"sensor.t\"\nReportAvailability false\n"
                               "ReportAge false\n");
  ck_assert(!h->report_available);
  ck_assert(!h->report_age);
  report_state(h, "sensor.t", "21.5",
               "\xc2\xb0"
               "C",
               NULL);
  ck_assert_uint_eq(mock_count_values(), 1);
  ck_assert_double_eq(gauge("temperature", "sensor.t"), 21.5);
  report_state(h, "sensor.t", "unavailable", NULL, NULL);
  ck_assert_uint_eq(mock_count_values(), 1);
  ck_assert_uint_eq(notes(NOTIF_WARNING, "sensor.t", "unavailable"), 1);
  struct ha_rd rd = rd_fixed();
  struct ha_counts n = {0};
  ha_entity_missing(h, &rd, "sensor.t", &n);
  ck_assert_uint_eq(mock_count_values(), 1);
  ck_assert_double_eq(n.unavailable, 1);
}
END_TEST

START_TEST(test_entity_types) {
  struct ha_inst *h =
      one_inst("EntityPattern \"*\"\nAttribute \"battery_level\"\n");
  struct hl_ha_states s;
  load_states(h, "ha/states.json", &s);
  ck_assert_uint_eq(s.n, 8);
  struct ha_rd rd = rd_fixed();
  struct ha_counts n = {0};
  for (size_t i = 0; i < s.n; i++)
    ha_entity_report(h, &rd, &s.e[i], &n);
  ck_assert_double_eq(n.reported, 8);
  ck_assert_double_eq(n.unavailable, 2);
  for (int i = 0; i < NCASES(fx_expect); i++) {
    const char *type = fx_expect[i].type, *ti = fx_expect[i].ti;
    if (isnan(fx_expect[i].value)) {
      ck_assert_msg(!glue_has("home", type, ti), "%s-%s dispatched", type, ti);
      continue;
    }
    const value_list_t *vl = glue_value("home", type, ti);
    ck_assert_str_eq(vl->plugin, "homelab_ha");
    ck_assert_double_eq_tol(vl->values[0].gauge, fx_expect[i].value, 1e-6);
    ck_assert(vl->time == rd.now);
  }
  /* Entity meta data, also on the attribute's value. */
  const value_list_t *vl =
      glue_value("home", "temperature", "sensor.living_room_temperature");
  ck_assert_str_eq(mock_value_meta(vl, "entity_id"),
                   "sensor.living_room_temperature");
  ck_assert_str_eq(mock_value_meta(vl, "friendly_name"),
                   "Wohnzimmer Temperatur – Süd 🌡️");
  vl = glue_value("home", "percent", "climate.hallway.battery_level");
  ck_assert_str_eq(mock_value_meta(vl, "entity_id"), "climate.hallway");
  ck_assert_str_eq(mock_value_meta(vl, "friendly_name"), "Hallway");
  vl = glue_value("home", "homelab_available", "sensor.bedroom_temperature");
  ck_assert_str_eq(mock_value_meta(vl, "friendly_name"), "寝室の温度");
  /* Only the two unavailable ones are news; no type was out of range. */
  ck_assert_uint_eq(mock_count_notifications(), 2);
  size_t i = glue_notif_one(NOTIF_WARNING, "home", "sensor.bedroom_temperature",
                            "homelab_ha");
  ck_assert_str_eq(mock_notification(i)->type, "homelab_available");
  ck_assert(glue_notif_match(i, 0, NULL, NULL,
                             "home: sensor.bedroom_temperature unavailable"));
  ck_assert_str_eq(mock_notification_meta(i, "instance"), "home");
  ck_assert_str_eq(mock_notification_meta(i, "url"), "http://127.0.0.1:8123");
  glue_notif_one(NOTIF_WARNING, "home", "sensor.kitchen_humidity",
                 "homelab_ha");
  ck_assert_uint_eq(mock_log_count(LOG_WARNING, NULL), 0);
  ck_assert_uint_eq(mock_log_count(LOG_ERR, NULL), 0);
  /* The same answer again: values, no news. */
  mock_clear_records();
  for (size_t k = 0; k < s.n; k++)
    ha_entity_report(h, &rd, &s.e[k], &n);
  ck_assert_uint_eq(mock_count_notifications(), 0);
  ck_assert_double_eq(gauge("temperature", "sensor.living_room_temperature"),
                      21.5);
  hl_ha_states_free(&s);
}
END_TEST

/* tests/fixtures/ha/state.json, as GET /api/states/<id> returns it. */
START_TEST(test_entity_single) {
  struct ha_inst *h = one_inst("<Entity \"sensor.living_room_temperature\">\n"
                               "Attribute \"battery_level\"\n</Entity>\n");
  char p[PATH_MAX], err[128] = "";
  struct hl_buf b;
  glue_read_file(glue_fx_path(p, sizeof(p), "ha/state.json"), &b,
                 GLUE_FILE_MAX);
  struct hl_ha_entity e = {0};
  ck_assert_msg(
      hl_ha_parse_state(b.data, b.len, h->attr, &e, err, sizeof(err)) == 0,
      "%s", err);
  hl_buf_free(&b);
  struct ha_rd rd = rd_fixed();
  struct ha_counts n = {0};
  ha_entity_report(h, &rd, &e, &n);
  hl_ha_entity_free(&e);
  ck_assert_double_eq(n.reported, 1);
  ck_assert_double_eq(n.unavailable, 0);
  const char *id = "sensor.living_room_temperature";
  ck_assert_double_eq(gauge("temperature", id), 21.5);
  ck_assert_double_eq(gauge("homelab_available", id), 1);
  ck_assert_double_eq_tol(gauge("homelab_age", id), WALL - 1464644612.41832,
                          1e-3); /* 2016-05-30T21:43:32.418320Z */
  ck_assert_double_eq(
      gauge("percent", "sensor.living_room_temperature.battery_level"), 87);
  ck_assert_uint_eq(mock_count_values(), 4);
  ck_assert_uint_eq(mock_count_notifications(), 0);
  /* A wall clock before last_updated: age 0, not negative. */
  mock_clear_records();
  cur_wall = 1000;
  report_state(h, id, "21.5",
               "\xc2\xb0"
               "C",
               NULL);
  ck_assert_double_eq(gauge("homelab_age", id), 0);
}
END_TEST

/* tests/fixtures/glue_ha/states.json: filter, sanitising, caps, missing. */
START_TEST(test_entity_bulk) {
  struct ha_inst *h = one_inst("<Entity \"sensor.freezer_temperature\">\n"
                               "WarningMax -15\nWarningMin -40\n</Entity>\n"
                               "Entity \"sensor.living_room_temperature\"\n"
                               "Entity \"sensor.gone\"\n"
                               "EntityPattern \"sensor.an_*\"\n"
                               "EntityPattern \"sensor.K*\"\n"
                               "EntityPattern \"switch.*\"\n"
                               "EntityPattern \"lock.*\"\n"
                               "Attribute \"battery_level\"\n");
  ck_assert(!ha_use_each(h));
  struct hl_ha_states s;
  load_states(h, "glue_ha/states.json", &s);
  ck_assert_uint_eq(s.seen, 7);
  ck_assert_uint_eq(s.n, 6); /* not light.hall */
  struct ha_rd rd = rd_fixed();
  struct ha_counts n = {0};
  for (size_t i = 0; i < s.n; i++)
    ha_entity_report(h, &rd, &s.e[i], &n);
  hl_ha_states_free(&s);
  for (size_t i = 0; i < h->nents; i++) { /* as ha_read_bulk() */
    struct ha_ent *st = ha_ent_get(h, h->ents[i].id);
    if (!st->seen)
      ha_entity_missing(h, &rd, h->ents[i].id, &n);
  }
  ck_assert_double_eq(n.reported, 7);
  ck_assert_double_eq(n.unavailable, 1);
  ck_assert_double_eq(gauge("temperature", "sensor.freezer_temperature"),
                      -18.5);
  ck_assert_double_eq(gauge("homelab_age", "sensor.freezer_temperature"), 30);
  ck_assert_double_eq(
      gauge("percent", "sensor.freezer_temperature.battery_level"), 64);
  ck_assert_double_eq(gauge("homelab_age", "sensor.living_room_temperature"),
                      10);
  /* 82-byte id: cut to 63 bytes, its attribute's id part to 49 */
  ck_assert_double_eq(gauge("voltage", LONG_TI), 230.4);
  ck_assert_double_eq(gauge("homelab_age", LONG_TI), 0);
  ck_assert_double_eq(gauge("percent", LONG_ATTR_TI), 12);
  ck_assert_uint_eq(strlen(LONG_TI), HL_HA_INSTANCE_MAX);
  ck_assert_uint_eq(strlen(LONG_ATTR_TI), HL_HA_INSTANCE_MAX);
  const value_list_t *vl = glue_value("home", "voltage", LONG_TI);
  ck_assert_str_eq(mock_value_meta(vl, "entity_id"), LONG_ID);
  /* lower case, [a-z0-9._-], one '_' per other character; kW -> W */
  ck_assert_double_eq(gauge("power", "sensor.k_che-temp_2"), 1500);
  ck_assert_double_eq(gauge("homelab_age", "sensor.k_che-temp_2"), 0);
  vl = glue_value("home", "power", "sensor.k_che-temp_2");
  ck_assert_str_eq(mock_value_meta(vl, "entity_id"), "sensor.Küche-Temp 2");
  ck_assert_str_eq(mock_value_meta(vl, "friendly_name"), "Küche");
  ck_assert_double_eq(gauge("homelab_binary", "switch.pump"), 1);
  ck_assert(!glue_has("home", "homelab_age", "switch.pump"));
  ck_assert_double_eq(gauge("homelab_binary", "lock.front_door"), 0);
  ck_assert_double_eq(gauge("homelab_age", "lock.front_door"), 3600);
  ck_assert_uint_eq(mock_count_matching("home", NULL, "light.hall"), 0);
  ck_assert_uint_eq(
      mock_count_matching("home", NULL, "lock.front_door.battery_level"), 0);
  /* the configured entity Home Assistant does not have */
  vl = glue_value("home", "homelab_available", "sensor.gone");
  ck_assert_double_eq(vl->values[0].gauge, 0);
  ck_assert_pstr_eq(mock_value_meta(vl, "entity_id"), "sensor.gone");
  ck_assert_uint_eq(mock_log_count(LOG_WARNING, "sensor.gone: not found"), 1);
  ck_assert_uint_eq(mock_count_notifications(), 1);
  glue_notif_one(NOTIF_WARNING, "home", "sensor.gone", "homelab_ha");
  ck_assert(glue_notif_match(0, 0, NULL, NULL, "sensor.gone not found"));
  ck_assert_uint_eq(mock_log_count(LOG_ERR, NULL), 0);
}
END_TEST

/* An Attribute inside an Entity block is reported for that entity only. */
START_TEST(test_entity_attribute_scope) {
  struct ha_inst *h = one_inst("<Entity \"sensor.freezer_temperature\">\n"
                               "Attribute \"battery_level\"\n</Entity>\n"
                               "EntityPattern \"sensor.an_*\"\n");
  ck_assert(!h->attr_all);
  struct hl_ha_states s;
  load_states(h, "glue_ha/states.json", &s);
  ck_assert_uint_eq(s.n, 2);
  struct ha_rd rd = rd_fixed();
  struct ha_counts n = {0};
  for (size_t i = 0; i < s.n; i++)
    ha_entity_report(h, &rd, &s.e[i], &n);
  hl_ha_states_free(&s);
  ck_assert_double_eq(
      gauge("percent", "sensor.freezer_temperature.battery_level"), 64);
  ck_assert(!glue_has("home", "percent", LONG_ATTR_TI));
  ck_assert_double_eq(gauge("voltage", LONG_TI), 230.4);
}
END_TEST

static const struct {
  const char *state;
  int sev; /* 0: no notification */
  const char *text;
  double avail;
} avail_steps[] = {
    {"21.5", 0, NULL, 1},
    {"unavailable", NOTIF_WARNING, "sensor.living_room_temperature unavailable",
     0},
    {"unavailable", 0, NULL, 0},
    {"unknown", 0, NULL, 0},
    {"22", NOTIF_OKAY, "sensor.living_room_temperature available again", 1},
    {"22.5", 0, NULL, 1},
    {"", NOTIF_WARNING, "unavailable", 0},
    {"on", NOTIF_OKAY, "available again", 1},
};

START_TEST(test_entity_availability) {
  struct ha_inst *h = one_inst("Entity \"sensor.living_room_temperature\"\n");
  const char *id = "sensor.living_room_temperature";
  for (int i = 0; i < NCASES(avail_steps); i++) {
    mock_clear_records();
    struct ha_counts n = {0};
    report_state(h, id, avail_steps[i].state,
                 "\xc2\xb0"
                 "C",
                 &n);
    ck_assert_double_eq(gauge("homelab_available", id), avail_steps[i].avail);
    ck_assert_double_eq(n.unavailable, avail_steps[i].avail == 0);
    bool number =
        avail_steps[i].avail && strcmp(avail_steps[i].state, "on") != 0;
    ck_assert_msg(glue_has("home", "temperature", id) == number, "step %d", i);
    ck_assert(glue_has("home", "homelab_age", id));
    ck_assert_uint_eq(mock_count_notifications(), avail_steps[i].sev != 0);
    if (avail_steps[i].sev != 0) {
      size_t k = glue_notif_one(avail_steps[i].sev, "home", id, "homelab_ha");
      ck_assert_str_eq(mock_notification(k)->type, "homelab_available");
      ck_assert_msg(glue_notif_match(k, 0, NULL, NULL, avail_steps[i].text),
                    "step %d: \"%s\"", i, mock_notification(k)->message);
    }
  }
}
END_TEST

/* Unavailable on the very first read: news. */
START_TEST(test_entity_first_unavailable) {
  struct ha_inst *h = one_inst("Entity \"switch.pump\"\n");
  report_state(h, "switch.pump", "unavailable", NULL, NULL);
  report_state(h, "switch.pump", "unavailable", NULL, NULL);
  ck_assert_uint_eq(notes(NOTIF_WARNING, "switch.pump", "unavailable"), 1);
  ck_assert_uint_eq(mock_count_notifications(), 1);
  ck_assert(!glue_has("home", "homelab_binary", "switch.pump"));
}
END_TEST

static const struct {
  const char *state;
  int sev;
  const char *text;
} thresh_steps[] = {
    {"-18", 0, NULL},
    {"-15", NOTIF_WARNING, "is -15, at or above its WARNING limit -15"},
    {"-12", 0, NULL},
    {"-10", NOTIF_FAILURE, "is -10, at or above its FAILURE limit -10"},
    {"-9", 0, NULL},
    {"unavailable", 0, NULL}, /* no value: level kept (and no news) */
    {"-9.5", 0, NULL},
    {"-11", NOTIF_WARNING, "at or above its WARNING limit -15"},
    {"-20", NOTIF_OKAY, "is -20, within its limits again"},
    {"-40", NOTIF_WARNING, "is -40, at or below its WARNING limit -40"},
    {"-55", NOTIF_FAILURE, "is -55, at or below its FAILURE limit -50"},
    {"-51", 0, NULL},
    {"-45", NOTIF_WARNING, "at or below its WARNING limit -40"},
    {"-39", NOTIF_OKAY, "within its limits again"},
    {"-39", 0, NULL},
};

START_TEST(test_entity_thresholds) {
  struct ha_inst *h = one_inst("<Entity \"sensor.freezer_temperature\">\n"
                               "WarningMax -15\nFailureMax -10\n"
                               "WarningMin -40\nFailureMin -50\n</Entity>\n");
  const char *id = "sensor.freezer_temperature";
  for (int i = 0; i < NCASES(thresh_steps); i++) {
    mock_clear_records();
    report_state(h, id, thresh_steps[i].state,
                 "\xc2\xb0"
                 "C",
                 NULL);
    bool avail = strcmp(thresh_steps[i].state, "unavailable") != 0;
    size_t want = (thresh_steps[i].sev != 0) + (i == 5) + (i == 6);
    ck_assert_msg(mock_count_notifications() == want,
                  "step %d (%s): %zu notifications", i, thresh_steps[i].state,
                  mock_count_notifications());
    if (avail)
      ck_assert_double_eq(gauge("temperature", id),
                          strtod(thresh_steps[i].state, NULL));
    if (thresh_steps[i].sev == 0)
      continue;
    size_t k = SIZE_MAX;
    for (size_t j = 0; j < mock_count_notifications(); j++)
      if (strcmp(mock_notification(j)->type, "temperature") == 0)
        k = j;
    ck_assert_msg(k != SIZE_MAX, "step %d: no threshold notification", i);
    const notification_t *nt = mock_notification(k);
    ck_assert_int_eq(nt->severity, thresh_steps[i].sev);
    ck_assert_str_eq(nt->plugin, "homelab_ha");
    ck_assert_str_eq(nt->plugin_instance, "home");
    ck_assert_str_eq(nt->type_instance, id);
    ck_assert_msg(strstr(nt->message, thresh_steps[i].text) != NULL,
                  "step %d: \"%s\"", i, nt->message);
    ck_assert_msg(strncmp(nt->message, "home: ", 6) == 0, "\"%s\"",
                  nt->message);
  }
}
END_TEST

/* A value already beyond a limit on the first read is news; limits apply
 * to the state as Home Assistant has it (kW here), one side only. */
START_TEST(test_entity_threshold_first) {
  struct ha_inst *h = one_inst("<Entity \"sensor.boiler_power\">\n"
                               "WarningMax 2\n</Entity>\n"
                               "<Entity \"sensor.battery\">\n"
                               "FailureMin 10\n</Entity>\n");
  report_state(h, "sensor.boiler_power", "2.5", "kW", NULL);
  report_state(h, "sensor.battery", "50", "%", NULL);
  ck_assert_double_eq(gauge("power", "sensor.boiler_power"), 2500);
  ck_assert_uint_eq(mock_count_notifications(), 1);
  size_t k = glue_notif_one(NOTIF_WARNING, "home", "sensor.boiler_power",
                            "homelab_ha");
  ck_assert_str_eq(mock_notification(k)->type, "power");
  mock_clear_records();
  report_state(h, "sensor.boiler_power", "1.5", "kW", NULL);
  report_state(h, "sensor.battery", "10", "%", NULL);
  report_state(h, "sensor.battery", "9", "%", NULL);
  ck_assert_uint_eq(notes(NOTIF_OKAY, "sensor.boiler_power", NULL), 1);
  k = glue_notif_one(NOTIF_FAILURE, "home", "sensor.battery", "homelab_ha");
  ck_assert_str_eq(mock_notification(k)->type, "percent");
  ck_assert(glue_notif_match(k, 0, NULL, NULL, "at or below its FAILURE"));
  ck_assert_uint_eq(mock_count_notifications(), 2);
}
END_TEST

START_TEST(test_entity_missing) {
  struct ha_inst *h = one_inst("Entity \"sensor.gone\"\n");
  struct ha_rd rd = rd_fixed();
  for (int i = 0; i < 3; i++) {
    struct ha_counts n = {0};
    ha_entity_missing(h, &rd, "sensor.gone", &n);
    ck_assert_double_eq(n.reported, 1);
    ck_assert_double_eq(n.unavailable, 1);
  }
  ck_assert_uint_eq(
      mock_count_matching("home", "homelab_available", "sensor.gone"), 3);
  ck_assert_double_eq(gauge("homelab_available", "sensor.gone"), 0);
  ck_assert_uint_eq(mock_count_values(), 3);
  ck_assert_uint_eq(mock_log_count(LOG_WARNING, "not found"), 1);
  ck_assert_uint_eq(mock_count_notifications(), 1);
  size_t k = glue_notif_one(NOTIF_WARNING, "home", "sensor.gone", "homelab_ha");
  ck_assert_str_eq(mock_notification(k)->type, "homelab_available");
  ck_assert(glue_notif_match(k, 0, NULL, NULL, "sensor.gone not found"));
  /* Created in Home Assistant: available again, once. */
  mock_clear_records();
  report_state(h, "sensor.gone", "on", NULL, NULL);
  report_state(h, "sensor.gone", "on", NULL, NULL);
  ck_assert_uint_eq(notes(NOTIF_OKAY, "sensor.gone", "available again"), 1);
  ck_assert_uint_eq(mock_count_notifications(), 1);
  /* Deleted again: logged and notified again. */
  mock_clear_records();
  struct ha_counts n = {0};
  ha_entity_missing(h, &rd, "sensor.gone", &n);
  ck_assert_uint_eq(mock_log_count(LOG_WARNING, "not found"), 1);
  ck_assert_uint_eq(notes(NOTIF_WARNING, "sensor.gone", "not found"), 1);
}
END_TEST

/* ha_read_entities() when the read ran out of time: nothing reported,
 * nothing logged (ha_read() complains once about the cut-short read). */
START_TEST(test_read_entities_deadline) {
  struct ha_inst *h = one_inst("Entity \"sensor.a\"\nEntity \"sensor.b\"\n");
  for (int mode = 0; mode < 2; mode++) {
    h->total = mode == 0 ? 0 : 1000; /* bulk, then one request each */
    ck_assert(ha_use_each(h) == (mode == 1));
    mock_clear_records();
    struct ha_rd rd = rd_fixed();
    rd.deadline_ms = 0;
    ha_read_entities(h, &rd);
    ck_assert_int_eq(rd.fatal, -ETIMEDOUT);
    ck_assert_ptr_nonnull(strstr(rd.err, "deadline"));
    ck_assert_uint_eq(mock_count_values(), 0);
    ck_assert_uint_eq(mock_count_notifications(), 0);
    ck_assert_uint_eq(mock_log_count(LOG_ERR, NULL), 0);
  }
  ck_assert_uint_eq(h->nst, 0);
}
END_TEST

/* No Entity and no EntityPattern: no entity request at all. */
START_TEST(test_read_entities_none) {
  struct ha_inst *h = one_inst("");
  struct ha_rd rd = rd_fixed();
  rd.deadline_ms = 0;
  ha_read_entities(h, &rd);
  ck_assert_int_eq(rd.fatal, 0);
  ck_assert_uint_eq(mock_count_values(), 0);
}
END_TEST

/* ---- instance state ------------------------------------------------------ */

static const struct {
  const char *name;
  int sev;
  const char *text;
  enum hl_ha_core_state st;
} core_steps[] = {
    {"RUNNING", 0, NULL, HL_HA_CORE_RUNNING}, /* first: no news */
    {"RUNNING", 0, NULL, HL_HA_CORE_RUNNING},
    {"STARTING", NOTIF_WARNING, "home: core state STARTING",
     HL_HA_CORE_STARTING},
    {"STARTING", 0, NULL, HL_HA_CORE_STARTING},
    {"RUNNING", NOTIF_OKAY, "core state RUNNING again", HL_HA_CORE_RUNNING},
    {"STOPPED", NOTIF_FAILURE, "core state STOPPED", HL_HA_CORE_STOPPED},
    {"STOPPED", 0, NULL, HL_HA_CORE_STOPPED},
    {"NOT_RUNNING", NOTIF_FAILURE, "core state NOT_RUNNING",
     HL_HA_CORE_NOT_RUNNING},
    {"STOPPING", NOTIF_FAILURE, "core state STOPPING", HL_HA_CORE_STOPPING},
    {"FINAL_WRITE", NOTIF_FAILURE, "core state FINAL_WRITE",
     HL_HA_CORE_FINAL_WRITE},
    {"STARTING", NOTIF_WARNING, "core state STARTING", HL_HA_CORE_STARTING},
    {"RUNNING", NOTIF_OKAY, "RUNNING again", HL_HA_CORE_RUNNING},
    {"MIGRATING_DB", NOTIF_WARNING, "core state MIGRATING_DB",
     HL_HA_CORE_UNKNOWN},
    {"running", 0, NULL, HL_HA_CORE_UNKNOWN}, /* exact case only */
    {"RUNNING", NOTIF_OKAY, "RUNNING again", HL_HA_CORE_RUNNING},
};

START_TEST(test_core_states) {
  struct ha_inst *h = one_inst("");
  /* The first state comes from a fixture, as GET /api/core/state. */
  char p[PATH_MAX];
  struct hl_buf b;
  glue_read_file(glue_fx_path(p, sizeof(p), "ha/core_state.json"), &b,
                 GLUE_FILE_MAX);
  struct hl_ha_core core;
  ck_assert_int_eq(hl_ha_parse_core(b.data, b.len, &core, NULL, 0), 0);
  hl_buf_free(&b);
  ck_assert_str_eq(core.state_name, core_steps[0].name);
  for (int i = 0; i < NCASES(core_steps); i++) {
    mock_clear_records();
    const char *name = i == 0 ? core.state_name : core_steps[i].name;
    ha_core_state(h, hl_ha_core_state_from(name, strlen(name)), name);
    ck_assert(h->core_known);
    ck_assert_int_eq(h->core, core_steps[i].st);
    ck_assert_msg(mock_count_notifications() == (core_steps[i].sev != 0),
                  "step %d (%s)", i, name);
    if (core_steps[i].sev == 0)
      continue;
    size_t k = glue_notif_one(core_steps[i].sev, "home", "core", "homelab_ha");
    ck_assert_str_eq(mock_notification(k)->type, "homelab_core_state");
    ck_assert_msg(glue_notif_match(k, 0, NULL, NULL, core_steps[i].text),
                  "step %d: \"%s\"", i, mock_notification(k)->message);
  }
}
END_TEST

/* Not running on the first read: news. */
START_TEST(test_core_first_starting) {
  struct ha_inst *h = one_inst("");
  ha_core_state(h, HL_HA_CORE_STARTING, "STARTING");
  glue_notif_one(NOTIF_WARNING, "home", "core", "homelab_ha");
  mock_clear_records();
  ha_core_state(h, HL_HA_CORE_STOPPED, ""); /* no name: the enum's */
  size_t k = glue_notif_one(NOTIF_FAILURE, "home", "core", "homelab_ha");
  ck_assert(glue_notif_match(k, 0, NULL, NULL, "core state STOPPED"));
}
END_TEST

START_TEST(test_auth_backoff) {
  struct ha_inst *h = one_inst("Interval 10\n");
  int64_t t = 5000000;
  ck_assert_int_eq(h->bo.interval_ms, 10000);
  ha_auth_state(h, true, 200, t); /* fine from the start: no news */
  ck_assert_uint_eq(mock_count_notifications(), 0);
  ck_assert_uint_eq(mock_log_count(LOG_INFO, NULL), 0);
  ha_auth_state(h, false, 401, t);
  ck_assert(h->auth_bad);
  ck_assert_uint_eq(h->bo.failures, 1);
  ck_assert_int_eq(h->bo.next_ms, t + 20000); /* interval * 2^1 */
  ck_assert(!hl_http_backoff_due(&h->bo, t + 19999));
  ck_assert(hl_http_backoff_due(&h->bo, t + 20000));
  size_t k = glue_notif_one(NOTIF_FAILURE, "home", "auth", "homelab_ha");
  ck_assert_str_eq(mock_notification(k)->type, "homelab_up");
  ck_assert(glue_notif_match(k, 0, NULL, NULL, "token rejected (HTTP 401)"));
  ck_assert(glue_notif_match(k, 0, NULL, NULL, "backing off"));
  ck_assert_uint_eq(mock_log_count(LOG_ERR, "token rejected (HTTP 401)"), 1);
  /* Still rejected: the wait doubles, nothing more is said. */
  int64_t now = t + 20000, want = 40000;
  for (int i = 0; i < 5; i++, want *= 2) {
    ha_auth_state(h, false, i % 2 ? 403 : 401, now);
    ck_assert_uint_eq(h->bo.failures, (unsigned)i + 2);
    ck_assert_int_eq(h->bo.next_ms - now, want);
    now = h->bo.next_ms;
  }
  for (int i = 0; i < 20; i++) /* capped at an hour */
    ha_auth_state(h, false, 401, now);
  ck_assert_int_eq(h->bo.next_ms - now, HL_BACKOFF_MAX_MS);
  ck_assert_uint_eq(mock_count_notifications(), 1);
  ck_assert_uint_eq(mock_log_count(LOG_ERR, NULL), 1);
  /* Accepted again: one OKAY, one log line, back-off cleared. */
  mock_clear_records();
  ha_auth_state(h, true, 200, now + HL_BACKOFF_MAX_MS);
  ha_auth_state(h, true, 200, now + HL_BACKOFF_MAX_MS + 10000);
  ck_assert(!h->auth_bad);
  ck_assert_uint_eq(h->bo.failures, 0);
  ck_assert(hl_http_backoff_due(&h->bo, 0));
  k = glue_notif_one(NOTIF_OKAY, "home", "auth", "homelab_ha");
  ck_assert(glue_notif_match(k, 0, NULL, NULL, "token accepted again"));
  ck_assert_uint_eq(mock_log_count(LOG_INFO, "token accepted again"), 1);
  /* Rejected once more: news again, and the wait starts over. */
  mock_clear_records();
  ha_auth_state(h, false, 401, now);
  ck_assert_int_eq(h->bo.next_ms, now + 20000);
  ck_assert_uint_eq(notes(NOTIF_FAILURE, "auth", NULL), 1);
  ck_assert_uint_eq(mock_log_count(LOG_ERR, "token rejected"), 1);
}
END_TEST

/* While backing off a read makes no request: homelab_up-auth 0 only, with
 * the instance meta data. */
START_TEST(test_read_backing_off) {
  struct ha_inst *h = one_inst("Interval 60\n");
  char p[PATH_MAX];
  struct hl_buf b;
  glue_read_file(glue_fx_path(p, sizeof(p), "ha/config.json"), &b,
                 GLUE_FILE_MAX);
  ck_assert_int_eq(hl_ha_parse_config(b.data, b.len, &h->cfg, NULL, 0), 0);
  hl_buf_free(&b);
  h->cfg_known = true;
  ha_meta(h);
  ha_auth_state(h, false, 401, ha_now_ms());
  mock_clear_records();
  for (int i = 0; i < 3; i++)
    ck_assert_int_eq(mock_read(0), 0);
  ck_assert_uint_eq(mock_count_values(), 3);
  ck_assert_uint_eq(mock_count_matching("home", "homelab_up", "auth"), 3);
  const value_list_t *vl = glue_value("home", "homelab_up", "auth");
  ck_assert_double_eq(vl->values[0].gauge, 0);
  ck_assert_str_eq(mock_value_meta(vl, "version"), "2025.8.3");
  ck_assert_str_eq(mock_value_meta(vl, "location_name"), "Zuhause Köln 🏠");
  ck_assert_uint_eq(mock_count_notifications(), 0);
  ck_assert_uint_eq(mock_log_count(LOG_ERR, NULL), 0);
  ck_assert_uint_eq(h->bo.failures, 1);
}
END_TEST

START_TEST(test_api_state) {
  struct ha_inst *h = one_inst("");
  h->cfg =
      (struct hl_ha_config){.version = "2025.8.3", .location_name = "Home"};
  ha_api_state(h, true, NULL); /* up from the start: no news */
  ck_assert_uint_eq(mock_count_notifications(), 0);
  ck_assert_uint_eq(mock_log_count(LOG_INFO, NULL), 0);
  for (int i = 0; i < 3; i++)
    ha_api_state(h, false, "connection refused");
  size_t k = glue_notif_one(NOTIF_FAILURE, "home", "api", "homelab_ha");
  ck_assert_str_eq(mock_notification(k)->type, "homelab_up");
  ck_assert(glue_notif_match(k, 0, NULL, NULL,
                             "home: Home Assistant unreachable: connection "
                             "refused"));
  ck_assert_str_eq(mock_notification_meta(k, "instance"), "home");
  ck_assert_str_eq(mock_notification_meta(k, "url"), "http://127.0.0.1:8123");
  ck_assert_str_eq(mock_notification_meta(k, "version"), "2025.8.3");
  ck_assert_str_eq(mock_notification_meta(k, "location_name"), "Home");
  ck_assert_uint_eq(mock_log_count(LOG_ERR, "connection refused"), 1);
  ck_assert_uint_eq(mock_log_count(LOG_ERR, NULL), 1);
  mock_clear_records();
  ha_api_state(h, true, NULL);
  ha_api_state(h, true, NULL);
  k = glue_notif_one(NOTIF_OKAY, "home", "api", "homelab_ha");
  ck_assert(glue_notif_match(k, 0, NULL, NULL, "reachable again"));
  ck_assert_uint_eq(mock_count_notifications(), 1);
  ck_assert_uint_eq(mock_log_count(LOG_INFO, "answers again"), 1);
  /* down on the first read of another instance state: news */
  mock_clear_records();
  h->api = (struct ha_flag){0};
  ha_api_state(h, false, "timed out");
  ck_assert_uint_eq(notes(NOTIF_FAILURE, "api", "timed out"), 1);
}
END_TEST

static const struct {
  enum ha_fetch fetch;
  size_t npatterns, nents, total;
  bool each;
} each_cases[] = {
    {HA_FETCH_AUTO, 0, 0, 0, true},
    {HA_FETCH_AUTO, 0, 1, 0, true},
    {HA_FETCH_AUTO, 0, 1, 5000, true},
    {HA_FETCH_AUTO, 1, 0, 0, false},
    {HA_FETCH_AUTO, 1, 1, 0, false},
    {HA_FETCH_AUTO, 2, 1, 5000, false},
    {HA_FETCH_AUTO, 0, 2, 0, false}, /* total unknown: one bulk read */
    {HA_FETCH_AUTO, 0, 2, 39, false},
    {HA_FETCH_AUTO, 0, 2, 40, true}, /* at most 1/20 of all entities */
    {HA_FETCH_AUTO, 0, 50, 1000, true},
    {HA_FETCH_AUTO, 0, 51, 1000, false},
    {HA_FETCH_BULK, 0, 1, 0, false},
    {HA_FETCH_BULK, 0, 2, 5000, false},
    {HA_FETCH_EACH, 0, 2, 0, true},
    {HA_FETCH_EACH, 0, 100, 100, true},
};

START_TEST(test_use_each) {
  struct ha_inst h = {.fetch = each_cases[_i].fetch,
                      .npatterns = each_cases[_i].npatterns,
                      .nents = each_cases[_i].nents,
                      .total = each_cases[_i].total};
  ck_assert_msg(ha_use_each(&h) == each_cases[_i].each, "case %d", _i);
}
END_TEST

/* ---- free ---------------------------------------------------------------- */

/* Every owned member set (config, client, entity states, meta, ids), freed
 * directly; valgrind (CK_FORK=no) checks nothing leaks. */
START_TEST(test_free_full) {
  ha_inst_free(NULL);
  config_text("<Instance \"home\">\nURL \"https://ha.lan\"\n"
              "Token \"" SECRET "\"\nCACert \"@ca\"\n"
              "Entity \"sensor.living_room_temperature\"\n"
              "<Entity \"sensor.freezer_temperature\">\nWarningMax -15\n"
              "Attribute \"battery_level\"\n</Entity>\n"
              "EntityPattern \"sensor.*\"\nEntityPattern \"switch.*\"\n"
              "</Instance>\n");
  ck_assert_uint_eq(ha_cfg.n, 1);
  struct ha_inst *h = ha_cfg.inst[0];
  ha_cfg.n = 0; /* ours now */
  ck_assert_int_eq(ha_start(h), 0);
  ck_assert_ptr_null(h->token);
  h->cfg = (struct hl_ha_config){.version = "1", .location_name = "x"};
  ha_meta(h);
  struct hl_ha_states s;
  load_states(h, "glue_ha/states.json", &s);
  struct ha_rd rd = rd_fixed();
  struct ha_counts n = {0};
  for (size_t i = 0; i < s.n; i++)
    ha_entity_report(h, &rd, &s.e[i], &n);
  hl_ha_states_free(&s);
  ha_entity_missing(h, &rd, "sensor.living_room_temperature", &n);
  ck_assert_uint_eq(h->nst, 5);
  ha_inst_free(h);
}
END_TEST

/* Rejected after part of it was built; and parsed but never started. */
START_TEST(test_free_partial) {
  config_text(INST("<Entity \"sensor.x\">\nWarningMax 1\n</Entity>\n"
                   "EntityPattern \"a.*\"\nAttribute \"b\"\nFoo 1\n"));
  ck_assert_uint_eq(ha_cfg.n, 0);
  ha_single = (struct hl_single){0};
  config_text(INST("") "<Instance \"b\">\nURL \"http://h\"\n"
                       "Token \"x\"\nEntity \"sensor.x\"\n</Instance>\n");
  ck_assert_uint_eq(ha_cfg.n, 2);
  ha_cfg_clear(); /* as a failing init does */
  ck_assert_uint_eq(ha_cfg.n, 0);
}
END_TEST

static Suite *homelab_ha_suite(void) {
  Suite *s = suite_create("homelab_ha");
  TCase *tc = tcase_create("config");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_config_all);
  tcase_add_test(tc, test_config_defaults);
  tcase_add_test(tc, test_config_no_block);
  tcase_add_test(tc, test_config_empty_block);
  tcase_add_test(tc, test_token_inline);
  tcase_add_test(tc, test_token_env);
  tcase_add_test(tc, test_token_file_group);
  tcase_add_test(tc, test_verify_peer_warned);
  tcase_add_loop_test(tc, test_bad_config, 0, NCASES(bad_cases));
  tcase_add_test(tc, test_two_blocks);
  tcase_add_loop_test(tc, test_attribute_length, 0, NCASES(attr_cases));
  suite_add_tcase(s, tc);
  tc = tcase_create("entities");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_entity_types);
  tcase_add_test(tc, test_entity_values_off);
  tcase_add_test(tc, test_entity_single);
  tcase_add_test(tc, test_entity_bulk);
  tcase_add_test(tc, test_entity_attribute_scope);
  tcase_add_test(tc, test_entity_availability);
  tcase_add_test(tc, test_entity_first_unavailable);
  tcase_add_test(tc, test_entity_thresholds);
  tcase_add_test(tc, test_entity_threshold_first);
  tcase_add_test(tc, test_entity_missing);
  tcase_add_test(tc, test_read_entities_deadline);
  tcase_add_test(tc, test_read_entities_none);
  suite_add_tcase(s, tc);
  tc = tcase_create("instance");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_core_states);
  tcase_add_test(tc, test_core_first_starting);
  tcase_add_test(tc, test_auth_backoff);
  tcase_add_test(tc, test_read_backing_off);
  tcase_add_test(tc, test_api_state);
  tcase_add_loop_test(tc, test_use_each, 0, NCASES(each_cases));
  tcase_add_test(tc, test_free_full);
  tcase_add_test(tc, test_free_partial);
  suite_add_tcase(s, tc);
  return s;
}

/* The files behind "@tok", "@tokw", "@tokg", "@toke", "@tokd", "@ca" and
 * "@none", in the run directory. */
static int write_token_files(void) {
  const char *r = glue_run_root;
  snprintf(tok_ok, sizeof(tok_ok), "%s/token", r);
  snprintf(tok_world, sizeof(tok_world), "%s/token-world", r);
  snprintf(tok_group, sizeof(tok_group), "%s/token-group", r);
  snprintf(tok_empty, sizeof(tok_empty), "%s/token-empty", r);
  snprintf(tok_dir, sizeof(tok_dir), "%s/token-dir", r);
  snprintf(ca_file, sizeof(ca_file), "%s/ca.pem", r);
  snprintf(no_file, sizeof(no_file), "%s/missing", r);
  if (write_file(tok_ok, SECRET "\n", 0600) != 0 ||
      write_file(tok_world, SECRET "\n", 0644) != 0 ||
      write_file(tok_group, SECRET "\n", 0640) != 0 ||
      write_file(tok_empty, "", 0600) != 0 || mkdir(tok_dir, 0700) != 0 ||
      write_file(ca_file, "-----BEGIN CERTIFICATE-----\n", 0644) != 0) {
    perror("check_homelab_ha: token files");
    return -1;
  }
  return 0;
}

int main(void) {
  return glue_main("check_homelab_ha", NULL, "hl_gha", homelab_ha_suite,
                   write_token_files);
}
