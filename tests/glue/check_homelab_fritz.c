// SPDX-License-Identifier: MIT
/*
 * Glue tests for the homelab_fritz plugin. The plugin source is included so
 * its statics are reachable; it is linked against mock_collectd and driven
 * like the daemon would: module_register() -> config -> init -> read... ->
 * free_func (in teardown, via mock_reset()).
 *
 * No box and no network here. The box read path is fetch -> parse -> submit,
 * so the submit and notification side is driven with SOAP response fixtures
 * (tests/fixtures/tr064, read-only) parsed by the shared hl_tr064 accessors
 * into a struct fritz_snap and handed to fritz_box_submit() /
 * fritz_box_changes(). Back-off decisions go through fritz_box_auth() with
 * a mock clock in milliseconds, and the ping side through fritz_ping_submit()
 * / fritz_ping_notify() with a table of hl_icmp results. Config runs end to
 * end (ci_parse text -> mock_config -> mock_init_all). The real HTTP and
 * ICMP paths are covered by the integration tests against fritz_sim.py.
 *
 * In config text "@pw" is a password file of mode 0600, "@pwr" one of mode
 * 0644. Runs forked or, for valgrind, with CK_FORK=no (setup resets the
 * plugin's config statics).
 */
#include "../../plugins/homelab_fritz.c"

#include "glue_util.h"

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#define NCASES(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define SECRET "s3cr3t-Pw!"

static char pw_ok[PATH_MAX + 16];    /* mode 0600 */
static char pw_world[PATH_MAX + 16]; /* mode 0644 */

/* ---- helpers ------------------------------------------------------------- */

/* Called from main(), outside tests: no ck_assert here. */
static int write_file(const char *path, const char *text, mode_t mode) {
  FILE *f = fopen(path, "w");
  if (f == NULL)
    return -1;
  fputs(text, f);
  return fclose(f) == 0 && chmod(path, mode) == 0 ? 0 : -1;
}

/* Parses <fixtures>/tr064/@name as a SOAP response (any action). */
static void response(const char *name, struct hl_tr064_response *r) {
  char rel[PATH_MAX], p[PATH_MAX];
  glue_path_join(rel, sizeof(rel), "tr064", name);
  struct hl_buf b;
  glue_read_file(glue_fx_path(p, sizeof(p), rel), &b, HL_TR064_MAX_BODY);
  ck_assert_int_eq(hl_tr064_parse_response(b.data, b.len, NULL, r), 0);
  hl_buf_free(&b);
}

#define FILL(name, fn, dst)                                                    \
  do {                                                                         \
    struct hl_tr064_response r_;                                               \
    response((name), &r_);                                                     \
    fn(&r_, (dst));                                                            \
    hl_tr064_response_free(&r_);                                               \
  } while (0)

static void wlan_fill(const struct hl_tr064_response *r, struct fritz_snap *s) {
  hl_tr064_wlan_from(r, 1, &s->wlan);
  hl_tr064_wlan_from(r, 2, &s->wlan);
  hl_tr064_wlan_from(r, 3, &s->wlan);
}

/* A DSL box's snapshot from the fixtures, as a read would build it. */
static void dsl_snap(struct fritz_box *b, struct fritz_snap *s) {
  *s = (struct fritz_snap){0};
  FILL("tr064_deviceinfo.xml", hl_tr064_device_info_from, &s->dev);
  FILL("tr064_commonlinkproperties.xml", hl_tr064_wan_common_from, &s->wan);
  FILL("igd_addoninfos.xml", hl_tr064_wan_common_from, &s->wan);
  FILL("igd_statusinfo.xml", hl_tr064_wan_conn_from, &s->conn);
  FILL("igd_externalip.xml", hl_tr064_wan_conn_from, &s->conn);
  FILL("tr064_dsl_info.xml", hl_tr064_dsl_info_from, &s->dsl);
  FILL("tr064_dsl_stats.xml", hl_tr064_dsl_stats_from, &s->dsls);
  FILL("tr064_hostnumberofentries.xml", hl_tr064_hosts_from, &s->hosts);
  FILL("tr064_wlan1_assoc.xml", wlan_fill, s);
  s->hosts.active = 4;
  s->hosts.have |= HL_TR064_HOSTS_ACTIVE;
  fritz_octets(b, s);
}

static void config_text(const char *text) {
  const struct glue_subst subst[] = {{"@pwr", pw_world}, {"@pw", pw_ok}};
  glue_config_text(HL_PLUGIN, text, subst, NCASES(subst));
}

#define BOX(extra)                                                             \
  "<Box \"main\">\nHost \"127.0.0.1\"\nUsername \"monitor\"\n"                 \
  "Password \"" SECRET "\"\n" extra "</Box>\n"

/* A configured box (read callback @i) without having read anything. */
static struct fritz_box *box_at(size_t i) {
  ck_assert_str_eq(mock_read_name(i), "homelab_fritz/box/main");
  struct fritz_box *b = mock_read_data(i);
  ck_assert_ptr_nonnull(b);
  return b;
}

static struct fritz_box *one_box(const char *extra) {
  char text[1024];
  snprintf(text, sizeof(text), "%sPingCount 2\n", extra);
  config_text(text);
  ck_assert_int_eq(mock_init_all(), 0);
  ck_assert_uint_eq(mock_read_count(), 2);
  ck_assert_str_eq(mock_read_name(0), "homelab_fritz/ping");
  return box_at(1);
}

static size_t notes(int sev, const char *ti, const char *text) {
  return glue_notif_count(sev, NULL, ti, text);
}

/* No secret in any log message or notification. */
static void assert_no_secret(void) {
  ck_assert_uint_eq(mock_log_count(LOG_ERR, SECRET), 0);
  ck_assert_uint_eq(mock_log_count(LOG_WARNING, SECRET), 0);
  ck_assert_uint_eq(mock_log_count(LOG_INFO, SECRET), 0);
  for (size_t i = 0; i < mock_count_notifications(); i++)
    ck_assert_ptr_null(strstr(mock_notification(i)->message, SECRET));
}

/* ---- fixture ------------------------------------------------------------- */

static void setup(void) {
  fritz_single = (struct hl_single){0}; /* statics persist with CK_FORK=no */
  fritz_cfg_clear();
  mock_reset();
  glue_types_load(true);
  module_register();
}

static void teardown(void) {
  mock_reset();
  fritz_cfg_clear();
  unsetenv("HL_FRITZ_TEST_PW");
}

/* ---- config -------------------------------------------------------------- */

START_TEST(test_config_all) {
  config_text("<Box \"main\">\n"
              "  Host \"192.168.178.1\"\n  Port 49443\n"
              "  Username \"monitor\"\n  PasswordFile \"@pw\"\n"
              "  UseTLS true\n  CACert \"/etc/ssl/certs/ca-certificates.crt\"\n"
              "  PinnedPublicKey \"sha256//AAAA\"\n  VerifyPeer true\n"
              "  Timeout 1.5\n  Ping true\n  Interval 60\n"
              "</Box>\n"
              "<Box \"rep\">\n  Host \"fd00::2\"\n  Ping false\n</Box>\n"
              "<Ping \"nas\">\n  Host \"nas.lan\"\n</Ping>\n"
              "PingCount 5\nPingSpacing 0.05\nTimeout 3\nInterval 30\n");
  ck_assert_int_eq(mock_init_all(), 0);
  ck_assert_uint_eq(mock_read_count(), 3);
  ck_assert_str_eq(mock_read_name(0), "homelab_fritz/ping");
  ck_assert_str_eq(mock_read_name(1), "homelab_fritz/box/main");
  ck_assert_str_eq(mock_read_name(2), "homelab_fritz/box/rep");
  ck_assert(mock_read_interval(0) == TIME_T_TO_CDTIME_T(30));
  ck_assert(mock_read_interval(1) == TIME_T_TO_CDTIME_T(60));
  ck_assert(mock_read_interval(2) == TIME_T_TO_CDTIME_T(30));
  struct fritz_pinger *p = mock_read_data(0);
  ck_assert_uint_eq(p->n, 2); /* nas, main; not rep (Ping false) */
  ck_assert_str_eq(p->t[0].name, "nas");
  ck_assert_str_eq(p->t[1].host, "192.168.178.1");
  ck_assert_uint_eq(p->count, 5);
  ck_assert_uint_eq(p->spacing_ms, 50);
  ck_assert_uint_eq(p->timeout_ms, 3000);
  struct fritz_box *b = mock_read_data(1);
  ck_assert_str_eq(b->password, SECRET);
  ck_assert(b->tls && b->port == 49443 && b->timeout == 1.5);
  struct fritz_box *r = mock_read_data(2);
  ck_assert(r->port == 49000 && r->timeout == 3 && r->password == NULL);
  ck_assert(mock_log_contains(LOG_INFO, "no credentials"));
  assert_no_secret();
}
END_TEST

START_TEST(test_config_defaults) {
  struct fritz_box *b = one_box(BOX(""));
  ck_assert_int_eq(b->port, 49000);
  ck_assert(b->verify_peer && b->ping && !b->tls && b->timeout == 2);
  struct fritz_pinger *p = mock_read_data(0);
  ck_assert_uint_eq(p->count, 2);
  ck_assert_uint_eq(p->spacing_ms, 200);
}
END_TEST

START_TEST(test_config_no_block) {
  ck_assert_int_eq(mock_init_all(), 0);
  ck_assert_uint_eq(mock_read_count(), 0);
}
END_TEST

START_TEST(test_password_env) {
  setenv("HL_FRITZ_TEST_PW", SECRET, 1);
  struct fritz_box *b = one_box("<Box \"main\">\nHost \"h\"\nUsername \"u\"\n"
                                "PasswordEnv \"HL_FRITZ_TEST_PW\"\n</Box>\n");
  ck_assert_str_eq(b->password, SECRET);
  assert_no_secret();
}
END_TEST

START_TEST(test_verify_peer_warned) {
  one_box(BOX("UseTLS true\nVerifyPeer false\n"));
  ck_assert_uint_eq(mock_log_count(LOG_WARNING, "VerifyPeer false"), 1);
}
END_TEST

static const struct {
  const char *text, *expect;
} bad_cases[] = {
    {"Bogus 1\n", "Bogus"},
    {"<Box \"main\">\nUsername \"u\"\nPassword \"" SECRET "\"\n</Box>\n",
     "Host: missing"},
    {"<Box \"main\">\nHost \"h\"\nFoo 1\n</Box>\n", "Foo"},
    {"<Box \"main\">\nHost \"h\"\nPort 70000\n</Box>\n", "Port"},
    {"<Box \"main\">\nHost \"h\"\nTimeout 0\n</Box>\n", "Timeout"},
    {"<Box \"main\">\nHost \"h\"\nUseTLS \"maybe\"\n</Box>\n", "UseTLS"},
    {"<Box \"main\">\nHost \"h\"\nPassword \"" SECRET "\"\n</Box>\n",
     "Username: required"},
    {"<Box \"main\">\nHost \"h\"\nUsername \"u\"\n</Box>\n", "Username given"},
    {"<Box \"main\">\nHost \"h\"\nUsername \"u\"\nPassword \"" SECRET
     "\"\nPasswordFile \"@pw\"\n</Box>\n",
     "PasswordFile: only one of"},
    {"<Box \"main\">\nHost \"h\"\nUsername \"u\"\nPasswordFile \"@pwr\"\n"
     "</Box>\n",
     "readable by every user"},
    {"<Box \"main\">\nHost \"h\"\nUsername \"u\"\nPasswordFile "
     "\"/nonexistent/pw\"\n</Box>\n",
     "PasswordFile \"/nonexistent/pw\""},
    {"<Box \"main\">\nHost \"h\"\nUsername \"u\"\nPasswordEnv "
     "\"HL_FRITZ_UNSET_VAR\"\n</Box>\n",
     "PasswordEnv \"HL_FRITZ_UNSET_VAR\": not set"},
    {"<Box \"main\">\nHost \"h\"\nCACert \"/x.pem\"\n</Box>\n",
     "CACert: needs UseTLS"},
    {"<Box \"main\">\nHost \"h\"\nUseTLS true\nPinnedPublicKey \"md5//x\"\n"
     "</Box>\n",
     "PinnedPublicKey"},
    {"<Box \"a/b\">\nHost \"h\"\n</Box>\n", "without '/'"},
    {"<Box \"x\">\nHost \"h\"\n</Box>\n<Ping \"x\">\nHost \"h\"\n</Ping>\n",
     "already used"},
    {"<Ping \"nas\">\n</Ping>\n", "Host: missing"},
    {"<Ping \"nas\">\nHost \"h\"\nCount 3\n</Ping>\n", "Count"},
    {"PingCount 0\n", "PingCount"},
    {"PingCount 2.5\n", "PingCount"},
    {"PingSpacing 20\n", "PingSpacing"},
    {"Timeout 100\n", "Timeout"},
    {"Interval 0\n", "Interval"},
};

START_TEST(test_bad_config) {
  config_text(bad_cases[_i].text);
  ck_assert_int_eq(mock_init_all(), -1);
  ck_assert_uint_eq(mock_read_count(), 0);
  ck_assert_msg(mock_log_contains(LOG_ERR, bad_cases[_i].expect),
                "no error naming \"%s\"", bad_cases[_i].expect);
  ck_assert(mock_log_contains(LOG_ERR, "configuration rejected"));
  assert_no_secret();
}
END_TEST

START_TEST(test_two_blocks) {
  config_text(BOX(""));
  config_text(BOX(""));
  ck_assert_int_eq(mock_init_all(), -1);
  ck_assert_uint_eq(mock_read_count(), 0);
}
END_TEST

/* ---- box values ---------------------------------------------------------- */

static const struct {
  const char *type, *ti;
  double value; /* NAN: only presence */
} dsl_expect[] = {
    {"homelab_up", "link", 1},
    {"homelab_up", "connection", 1},
    {"uptime", "wan", 412837},
    {"uptime", "box", NAN},
    {"homelab_bitrate", "max_up", NAN},
    {"homelab_bitrate", "max_down", NAN},
    {"homelab_byterate", "send", 178},
    {"homelab_byterate", "receive", 10893},
    {"homelab_bitrate", "dsl_up", NAN},
    {"homelab_bitrate", "dsl_down", NAN},
    {"homelab_bitrate", "dsl_max_up", NAN},
    {"homelab_bitrate", "dsl_max_down", NAN},
    {"homelab_db", "noise_margin_up", NAN},
    {"homelab_db", "noise_margin_down", NAN},
    {"homelab_db", "attenuation_up", NAN},
    {"homelab_db", "attenuation_down", NAN},
    {"derive", "crc_errors", 42},
    {"derive", "fec_errors", 1829},
    {"derive", "hec_errors", 0},
    {"derive", "errored_seconds", 17},
    {"derive", "severely_errored_seconds", 3},
    {"count", "hosts_known", NAN},
    {"count", "hosts_active", 4},
    {"count", "wlan_2_4ghz", NAN},
    {"count", "wlan_5ghz", NAN},
    {"count", "wlan_guest", NAN},
};

START_TEST(test_dsl_values) {
  struct fritz_box *b = one_box(BOX(""));
  struct fritz_snap s;
  dsl_snap(b, &s);
  fritz_box_changes(b, &s);
  int sent = fritz_box_submit(b, &s, TIME_T_TO_CDTIME_T(100));
  ck_assert_int_eq(sent, NCASES(dsl_expect) + 1); /* + if_octets */
  ck_assert_uint_eq(mock_count_values(), (size_t)sent);
  for (int i = 0; i < NCASES(dsl_expect); i++) {
    const value_list_t *vl =
        mock_find("main", dsl_expect[i].type, dsl_expect[i].ti);
    ck_assert_msg(vl != NULL, "missing %s-%s", dsl_expect[i].type,
                  dsl_expect[i].ti);
    ck_assert_str_eq(vl->plugin, "homelab_fritz");
    ck_assert_uint_eq(vl->values_len, 1);
    if (strcmp(dsl_expect[i].type, "derive") == 0) {
      ck_assert_int_eq(vl->values[0].derive, (derive_t)dsl_expect[i].value);
      continue;
    }
    if (!isnan(dsl_expect[i].value))
      ck_assert_double_eq_tol(vl->values[0].gauge, dsl_expect[i].value, 1e-9);
    ck_assert_str_eq(mock_value_meta(vl, "model"), s.dev.model);
    ck_assert_str_eq(mock_value_meta(vl, "software_version"), s.dev.software);
    ck_assert_str_eq(mock_value_meta(vl, "external_ip"), s.conn.external_ip);
  }
  /* DSL: kbit/s -> bit/s, tenths of dB -> dB */
  const value_list_t *vl = mock_find("main", "homelab_bitrate", "dsl_down");
  ck_assert_double_eq(vl->values[0].gauge, (double)s.dsl.down_curr_bps);
  ck_assert(s.dsl.down_curr_bps % 1000 == 0);
  vl = mock_find("main", "homelab_db", "noise_margin_down");
  ck_assert_double_eq_tol(vl->values[0].gauge, s.dsl.down_margin_db, 1e-9);
  /* 64-bit IGD counters */
  vl = mock_find("main", "if_octets", "wan");
  ck_assert_uint_eq(vl->values_len, 2);
  ck_assert_int_eq(vl->values[0].derive, 554484531337);
  ck_assert_int_eq(vl->values[1].derive, 129497283207);
  ck_assert_uint_eq(mock_count_matching("main", "homelab_dbm", NULL), 0);
  ck_assert_uint_eq(mock_log_count(LOG_WARNING, NULL), 0); /* types ok */
  ck_assert_uint_eq(mock_log_count(LOG_ERR, NULL), 0);
  ck_assert_uint_eq(mock_count_notifications(), 0); /* first read, all up */
}
END_TEST

/* 32-bit TR-064 counters: baseline, growth, a wrap, a restart. */
START_TEST(test_octets32) {
  struct fritz_box *b = one_box(BOX(""));
  struct fritz_snap s = {.wan = {.have = HL_TR064_WAN_SENT32 |
                                         HL_TR064_WAN_RECV32 |
                                         HL_TR064_WAN_DOWN_MAX,
                                 .down_max_bps = 8000000}};
  const struct {
    uint32_t recv;
    uint64_t total;
  } steps[] = {{4294000000u, 0},
               {4294900000u, 900000},
               {1000u, 900000 + 67296 + 1000},   /* wrapped */
               {5u, 900000 + 67296 + 1000 + 5}}; /* restart: too far back */
  for (int i = 0; i < NCASES(steps); i++) {
    s.wan.recv32 = steps[i].recv;
    s.have_octets = false;
    fritz_octets(b, &s);
    ck_assert(s.have_octets);
    ck_assert_uint_eq(s.octets_rx, steps[i].total);
  }
}
END_TEST

/* A repeater: DeviceInfo, hosts, WLAN only; no WAN identifiers. */
START_TEST(test_repeater) {
  struct fritz_box *b = one_box(BOX(""));
  struct fritz_snap s = {0};
  FILL("tr064_deviceinfo.xml", hl_tr064_device_info_from, &s.dev);
  FILL("tr064_wlan3_assoc.xml", wlan_fill, &s);
  fritz_box_changes(b, &s);
  fritz_box_submit(b, &s, 0);
  ck_assert_ptr_nonnull(mock_find("main", "uptime", "box"));
  ck_assert_ptr_nonnull(mock_find("main", "count", "wlan_guest"));
  ck_assert_uint_eq(mock_count_matching("main", "homelab_up", NULL), 0);
  ck_assert_uint_eq(mock_count_matching("main", "if_octets", NULL), 0);
  ck_assert_uint_eq(mock_count_notifications(), 0);
}
END_TEST

START_TEST(test_fiber) {
  struct fritz_box *b = one_box(BOX(""));
  struct fritz_snap s = {0};
  struct hl_tr064_response r = {0};
  r.npairs = 2;
  struct hl_tr064_pair pairs[2] = {{"NewOpticalSignalLevel", "-18450"},
                                   {"NewTransmitOpticalLevel", "2310"}};
  r.pairs = pairs;
  fritz_fiber_from(&r, &s);
  fritz_box_submit(b, &s, 0);
  const value_list_t *vl = mock_find("main", "homelab_dbm", "optical_rx");
  ck_assert_ptr_nonnull(vl);
  ck_assert_double_eq_tol(vl->values[0].gauge, -18.45, 1e-9);
  vl = mock_find("main", "homelab_dbm", "optical_tx");
  ck_assert_double_eq_tol(vl->values[0].gauge, 2.31, 1e-9);
}
END_TEST

/* ---- box notifications --------------------------------------------------- */

START_TEST(test_link_and_connection) {
  struct fritz_box *b = one_box(BOX(""));
  struct fritz_snap s;
  dsl_snap(b, &s);
  fritz_box_changes(b, &s);
  ck_assert_uint_eq(mock_count_notifications(), 0);
  s.wan.link_up = false;
  hl_str_copy(s.wan.link_status, sizeof(s.wan.link_status), "Down");
  s.conn.connected = false;
  hl_str_copy(s.conn.status, sizeof(s.conn.status), "Disconnected");
  for (int i = 0; i < 3; i++) /* down for three reads: notified once */
    fritz_box_changes(b, &s);
  ck_assert_uint_eq(notes(NOTIF_FAILURE, "link", "WAN link down"), 1);
  ck_assert_uint_eq(notes(NOTIF_FAILURE, "connection", "lost"), 1);
  ck_assert_uint_eq(mock_count_notifications(), 2);
  ck_assert_str_eq(mock_notification_meta(0, "box"), "main");
  ck_assert_str_eq(mock_notification_meta(0, "model"), s.dev.model);
  mock_clear_records();
  dsl_snap(b, &s);
  fritz_box_changes(b, &s);
  fritz_box_changes(b, &s);
  ck_assert_uint_eq(notes(NOTIF_OKAY, "link", "WAN link up"), 1);
  ck_assert_uint_eq(notes(NOTIF_OKAY, "connection", "restored"), 1);
  ck_assert_uint_eq(mock_count_notifications(), 2);
}
END_TEST

START_TEST(test_first_read_down) {
  struct fritz_box *b = one_box(BOX(""));
  struct fritz_snap s = {.wan = {.have = HL_TR064_WAN_LINK, .link_up = false}};
  fritz_box_changes(b, &s);
  ck_assert_uint_eq(notes(NOTIF_FAILURE, "link", NULL), 1);
}
END_TEST

START_TEST(test_identity_changes) {
  struct fritz_box *b = one_box(BOX(""));
  struct fritz_snap s;
  dsl_snap(b, &s);
  fritz_box_changes(b, &s);
  b->have_desc = true;
  b->skip = 1u << FC_FIBER;
  char old_ip[46];
  hl_str_copy(old_ip, sizeof(old_ip), s.conn.external_ip);
  hl_str_copy(s.conn.external_ip, sizeof(s.conn.external_ip), "0.0.0.0");
  fritz_box_changes(b, &s); /* disconnected: no address, no news */
  ck_assert_uint_eq(mock_count_notifications(), 0);
  hl_str_copy(s.conn.external_ip, sizeof(s.conn.external_ip), "203.0.113.9");
  hl_str_copy(s.dev.software, sizeof(s.dev.software), "154.08.00");
  fritz_box_changes(b, &s);
  fritz_box_changes(b, &s);
  ck_assert_uint_eq(notes(NOTIF_WARNING, NULL, "external IP changed"), 1);
  ck_assert_uint_eq(notes(NOTIF_WARNING, NULL, "to 154.08.00"), 1);
  ck_assert_uint_eq(mock_count_notifications(), 2);
  ck_assert(!b->have_desc && b->skip == 0); /* services learned again */
  fritz_box_submit(b, &s, 0);
  const value_list_t *vl = mock_find("main", "uptime", "box");
  ck_assert_str_eq(mock_value_meta(vl, "external_ip"), "203.0.113.9");
  ck_assert_str_eq(mock_value_meta(vl, "software_version"), "154.08.00");
  ck_assert_str_ne(old_ip, "203.0.113.9");
}
END_TEST

START_TEST(test_dsl_resync) {
  struct fritz_box *b = one_box(BOX(""));
  struct fritz_snap s;
  dsl_snap(b, &s);
  fritz_box_changes(b, &s);
  fritz_box_changes(b, &s);
  ck_assert_uint_eq(mock_count_notifications(), 0);
  /* link drop: rates 0, not a resync yet */
  struct fritz_snap down = s;
  down.dsl.up_curr_bps = down.dsl.down_curr_bps = 0;
  fritz_box_changes(b, &down);
  ck_assert_uint_eq(notes(NOTIF_WARNING, NULL, "DSL resync"), 0);
  /* back with other rates: one resync */
  s.dsl.down_curr_bps -= 1000000;
  fritz_box_changes(b, &s);
  fritz_box_changes(b, &s);
  ck_assert_uint_eq(notes(NOTIF_WARNING, NULL, "DSL resync"), 1);
  /* a retrain with the same rates */
  s.dsls.link_retrain++;
  fritz_box_changes(b, &s);
  ck_assert_uint_eq(notes(NOTIF_WARNING, NULL, "DSL resync"), 2);
}
END_TEST

/* ---- authentication back-off -------------------------------------------- */

START_TEST(test_auth_backoff) {
  struct fritz_box *b = one_box(BOX("Interval 10\n"));
  int64_t t = 1000000;
  struct fritz_rd bad = {.auth = -1}, good = {.auth = 1}, none = {0};
  ck_assert(hl_http_backoff_due(&b->bo, t));
  fritz_box_auth(b, &bad, t);
  ck_assert_uint_eq(notes(NOTIF_FAILURE, "auth", "authentication failed"), 1);
  ck_assert(!hl_http_backoff_due(&b->bo, t + 10000)); /* not next interval */
  ck_assert(hl_http_backoff_due(&b->bo, t + 20000));
  fritz_box_auth(b, &bad, t + 20000); /* still wrong: wait doubles */
  ck_assert(!hl_http_backoff_due(&b->bo, t + 20000 + 30000));
  ck_assert(hl_http_backoff_due(&b->bo, t + 20000 + 40000));
  for (int i = 0; i < 20; i++) /* capped at an hour */
    fritz_box_auth(b, &bad, t);
  ck_assert(hl_http_backoff_due(&b->bo, t + HL_BACKOFF_MAX_MS));
  ck_assert_uint_eq(notes(NOTIF_FAILURE, "auth", NULL), 1); /* once */
  fritz_box_auth(b, &none, t); /* no TR-064 call made: nothing changes */
  ck_assert_uint_eq(mock_count_notifications(), 1);
  fritz_box_auth(b, &good, t + HL_BACKOFF_MAX_MS);
  fritz_box_auth(b, &good, t + HL_BACKOFF_MAX_MS);
  ck_assert_uint_eq(notes(NOTIF_OKAY, "auth", "works again"), 1);
  ck_assert(hl_http_backoff_due(&b->bo, t + HL_BACKOFF_MAX_MS));
  ck_assert_uint_eq(b->bo.failures, 0);
  assert_no_secret();
}
END_TEST

/* During back-off no authenticated call is made; IGD ones still are. */
START_TEST(test_backoff_skips_tr064) {
  struct fritz_box *b = one_box(BOX(""));
  b->tr.services = calloc(1, sizeof(*b->tr.services));
  b->tr.nservices = 1;
  b->tr.services[0] = (struct hl_tr064_service){
      .type = strdup(TR64 "DeviceInfo:1"),
      .id = strdup(""),
      .control_url = strdup("/upnp/control/deviceinfo"),
      .scpd_url = strdup("")};
  struct fritz_rd rd = {.deadline_ms = INT64_MAX, .auth_try = false};
  struct hl_tr064_response r;
  ck_assert_int_eq(fritz_call(b, &rd, FC_DEVINFO, NULL, 0, &r), -EAGAIN);
  ck_assert_int_eq(fritz_call(b, &rd, FC_IGD_LINK, NULL, 0, &r), -ENOENT);
  ck_assert_int_eq(rd.fatal, 0);
  /* an action the SCPD does not list: skipped, logged once */
  b->tr.services[0].have_actions = true;
  rd.auth_try = true;
  ck_assert_int_eq(fritz_call(b, &rd, FC_DEVINFO, NULL, 0, &r), -ENOENT);
  ck_assert_int_eq(fritz_call(b, &rd, FC_DEVINFO, NULL, 0, &r), -ENOENT);
  ck_assert_uint_eq(mock_log_count(LOG_INFO, "not asked again"), 1);
}
END_TEST

/* ---- ping ---------------------------------------------------------------- */

static struct hl_icmp_result ping_res(unsigned sent, unsigned recv,
                                      double avg) {
  struct hl_icmp_result r = {.sent = sent,
                             .received = recv,
                             .reachable = recv > 0,
                             .loss_pct = 100.0 * (sent - recv) / sent,
                             .rtt_avg = recv ? avg : NAN,
                             .rtt_min = recv ? avg / 2 : NAN,
                             .rtt_max = recv ? avg * 2 : NAN,
                             .rtt_stddev = recv ? avg / 4 : NAN};
  return r;
}

static const struct {
  unsigned sent, recv;
  double avg;
  int error;
  int note; /* 0 none, -1 FAILURE, 1 OKAY */
} ping_steps[] = {
    {3, 3, 1.5, 0, 0},    /* first read, up: no news */
    {3, 2, 2.5, 0, 0},    /* some loss, still reachable */
    {3, 0, 0, 0, -1},     /* unreachable */
    {3, 0, 0, 0, 0},      /* still: once */
    {3, 0, 0, -EPERM, 0}, /* not probed: not judged, no values */
    {3, 1, 9.0, 0, 1},    /* back */
};

START_TEST(test_ping_table) {
  config_text("<Ping \"nas\">\nHost \"nas.lan\"\n</Ping>\n");
  ck_assert_int_eq(mock_init_all(), 0);
  struct fritz_pinger *p = mock_read_data(0);
  struct fritz_ping_target *t = &p->t[0];
  for (int i = 0; i < NCASES(ping_steps); i++) {
    mock_clear_records();
    struct hl_icmp_result r =
        ping_res(ping_steps[i].sent, ping_steps[i].recv, ping_steps[i].avg);
    r.error = ping_steps[i].error;
    t->dns_failures = (uint64_t)i;
    fritz_ping_submit(t, &r, TIME_T_TO_CDTIME_T(10 + i));
    fritz_ping_notify(t, &r);
    const value_list_t *vl = mock_find("nas", "derive", "dns_failures");
    ck_assert_ptr_nonnull(vl);
    ck_assert_int_eq(vl->values[0].derive, i);
    if (r.error != 0) {
      ck_assert_uint_eq(mock_count_values(), 1);
    } else {
      vl = mock_find("nas", "homelab_up", "reachable");
      ck_assert_double_eq(vl->values[0].gauge, r.reachable);
      vl = mock_find("nas", "percent", "loss");
      ck_assert_double_eq_tol(vl->values[0].gauge, r.loss_pct, 1e-9);
      size_t rtts = mock_count_matching("nas", "ping", NULL) +
                    mock_count_matching("nas", "ping_stddev", "");
      ck_assert_uint_eq(rtts, r.reachable ? 4 : 0);
      if (r.reachable) {
        ck_assert_double_eq(mock_find("nas", "ping", "avg")->values[0].gauge,
                            r.rtt_avg);
        ck_assert_double_eq(mock_find("nas", "ping", "max")->values[0].gauge,
                            r.rtt_max);
      }
    }
    int want = ping_steps[i].note;
    ck_assert_uint_eq(mock_count_notifications(), want != 0);
    if (want != 0) {
      const notification_t *n = mock_notification(0);
      ck_assert_int_eq(n->severity, want > 0 ? NOTIF_OKAY : NOTIF_FAILURE);
      ck_assert_str_eq(n->plugin_instance, "nas");
      ck_assert_str_eq(n->type, "homelab_up");
      ck_assert_str_eq(mock_notification_meta(0, "host"), "nas.lan");
    }
    ck_assert_uint_eq(mock_log_count(LOG_WARNING, NULL), 0); /* types ok */
  }
}
END_TEST

/* A name that never resolved: unreachable, everything lost. */
START_TEST(test_ping_unresolved) {
  config_text("<Ping \"x\">\nHost \"x.invalid\"\n</Ping>\n");
  ck_assert_int_eq(mock_init_all(), 0);
  struct fritz_pinger *p = mock_read_data(0);
  struct hl_icmp_result r;
  fritz_ping_unresolved(3, &r);
  fritz_ping_submit(&p->t[0], &r, 0);
  fritz_ping_notify(&p->t[0], &r);
  ck_assert_double_eq(mock_find("x", "percent", "loss")->values[0].gauge, 100);
  ck_assert_uint_eq(notes(NOTIF_FAILURE, "reachable", "not resolved"), 1);
}
END_TEST

static Suite *homelab_fritz_suite(void) {
  Suite *s = suite_create("homelab_fritz");
  TCase *tc = tcase_create("config");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_config_all);
  tcase_add_test(tc, test_config_defaults);
  tcase_add_test(tc, test_config_no_block);
  tcase_add_test(tc, test_password_env);
  tcase_add_test(tc, test_verify_peer_warned);
  tcase_add_loop_test(tc, test_bad_config, 0, NCASES(bad_cases));
  tcase_add_test(tc, test_two_blocks);
  suite_add_tcase(s, tc);
  tc = tcase_create("box");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_dsl_values);
  tcase_add_test(tc, test_octets32);
  tcase_add_test(tc, test_repeater);
  tcase_add_test(tc, test_fiber);
  tcase_add_test(tc, test_link_and_connection);
  tcase_add_test(tc, test_first_read_down);
  tcase_add_test(tc, test_identity_changes);
  tcase_add_test(tc, test_dsl_resync);
  tcase_add_test(tc, test_auth_backoff);
  tcase_add_test(tc, test_backoff_skips_tr064);
  suite_add_tcase(s, tc);
  tc = tcase_create("ping");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_ping_table);
  tcase_add_test(tc, test_ping_unresolved);
  suite_add_tcase(s, tc);
  return s;
}

/* The password files of "@pw" and "@pwr", in the run directory. */
static int write_pw_files(void) {
  snprintf(pw_ok, sizeof(pw_ok), "%s/pw", glue_run_root);
  snprintf(pw_world, sizeof(pw_world), "%s/pw-world", glue_run_root);
  if (write_file(pw_ok, SECRET "\n", 0600) != 0 ||
      write_file(pw_world, SECRET "\n", 0644) != 0) {
    perror("check_homelab_fritz: password files");
    return -1;
  }
  return 0;
}

int main(void) {
  return glue_main("check_homelab_fritz", NULL, "hl_gfritz",
                   homelab_fritz_suite, write_pw_files);
}
