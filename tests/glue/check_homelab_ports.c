// SPDX-License-Identifier: MIT
/*
 * Glue tests for the homelab_ports plugin: the plugin source is included so
 * its statics are reachable, linked against mock_collectd instead of the
 * daemon, and driven like the daemon would: module_register() -> config ->
 * init -> read... -> free_func (in teardown, via mock_reset()).
 *
 * Config blocks are written as collectd config text and turned into
 * oconfig trees by ci_parse(); "@proc", "@tmp" and "@out" in that text stand
 * for the fixture proc tree, the current copy of it and a report directory.
 * ProcRoot points at $HL_FIXTURES/ports/proc (four processes owning six
 * listeners through fd symlinks "socket:[N]"; the numbers are derived in
 * tests/fixtures/glue_ports/README), so the collector parses /proc/net and
 * needs no real sockets. Tests that change the tree between reads work on a
 * copy and drop in files from glue_ports/samples. Two tests use the real
 * /proc (netlink) with listeners of their own, one a fake Docker Engine on
 * a unix socket; the rest have Docker off or its socket missing.
 *
 * Runs forked (CK_FORK default) or, for valgrind, with CK_FORK=no: the setup
 * fixture then resets the plugin's config statics between tests. The
 * "fixed_bugs" tcase holds regression tests for plugin bugs these tests
 * found.
 */
#include "../../plugins/homelab_ports.c"

#include "glue_util.h"

#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#define NCASES(a) ((int)(sizeof(a) / sizeof((a)[0])))

static char tmp_root[PATH_MAX]; /* copy of the proc tree, "" if none */
static char out_root[PATH_MAX]; /* report directory, "" if none */

/* ---- files --------------------------------------------------------------- */

/* Copies ports/proc to tmp_root. */
static void tmp_copy(void) {
  char src[PATH_MAX];
  glue_mk_tmpdir(tmp_root, sizeof(tmp_root));
  glue_copy_tree(glue_fx_path(src, sizeof(src), "ports/proc"), tmp_root);
}

/* Replaces <tmp>/@name with glue_ports/samples/@sample. */
static void tmp_put(const char *name, const char *sample) {
  char src[PATH_MAX], dst[PATH_MAX], rel[PATH_MAX];
  glue_path_join(rel, sizeof(rel), "glue_ports/samples", sample);
  glue_path_join(dst, sizeof(dst), tmp_root, name);
  glue_copy_file(glue_fx_path(src, sizeof(src), rel), dst);
}

/* Puts the fixture's original <proc>/@name back into the copy. */
static void tmp_restore(const char *name) {
  char src[PATH_MAX], dst[PATH_MAX], rel[PATH_MAX];
  glue_path_join(rel, sizeof(rel), "ports/proc", name);
  glue_path_join(dst, sizeof(dst), tmp_root, name);
  glue_copy_file(glue_fx_path(src, sizeof(src), rel), dst);
}

/* Gives the copy's process a new fd: <tmp>/@pid/fd/@fd -> socket:[@inode]. */
static void tmp_fd(int pid, int fd, unsigned inode) {
  char rel[64], p[PATH_MAX], sockname[64];
  snprintf(rel, sizeof(rel), "%d/fd/%d", pid, fd);
  snprintf(sockname, sizeof(sockname), "socket:[%u]", inode);
  ck_assert_int_eq(
      symlink(sockname, glue_path_join(p, sizeof(p), tmp_root, rel)), 0);
}

static void tmp_rm(const char *name) {
  char p[PATH_MAX];
  ck_assert_msg(unlink(glue_path_join(p, sizeof(p), tmp_root, name)) == 0,
                "cannot remove %s", p);
}

static bool file_exists(const char *path) {
  struct stat st;
  return lstat(path, &st) == 0;
}

/* ---- config text --------------------------------------------------------- */

/* Config text -> <Plugin> tree -> config callback (which defers errors to
 * init); frees the tree as the daemon does after the config phase.
 * Placeholders: "@proc" (fixture tree), "@tmp" (its copy) and "@out" (report
 * directory). */
static void config_text(const char *text) {
  char proc[PATH_MAX];
  const struct glue_subst subst[] = {
      {"@proc", glue_fx_path(proc, sizeof(proc), "ports/proc")},
      {"@tmp", tmp_root},
      {"@out", out_root},
  };
  glue_config_text(HL_PLUGIN, text, subst, NCASES(subst));
}

/* config_text() + init, which must succeed and leave one read. */
static void configure_ok(const char *text) {
  config_text(text);
  ck_assert_int_eq(mock_init_all(), 0);
  ck_assert_uint_eq(mock_read_count(), 1);
  ck_assert_str_eq(mock_read_name(0), "homelab_ports");
}

/* Config heads: the fixture tree or its copy, with Docker off. */
#define FX "ProcRoot \"@proc\"\nDocker false\n"
#define TMP "ProcRoot \"@tmp\"\nDocker false\n"
#define QUIET "CheckEphemeral false\n" /* no finding for tcp 40000 */

/* ---- reading ------------------------------------------------------------- */

static void assert_gauge(const char *pi, const char *type, const char *ti,
                         double want) {
  double v = glue_gauge(pi, type, ti);
  ck_assert_msg(v == want, "%s/%s-%s = %g, want %g", pi, type, ti, v, want);
}

/* Index of the only such notification; fails unless there is exactly one. */
static size_t notif_one(int severity, const char *pi, const char *ti) {
  size_t found = glue_notif_one(severity, pi, ti, "homelab_ports");
  ck_assert_str_eq(mock_notification(found)->host, MOCK_HOSTNAME);
  return found;
}

static void assert_meta(size_t i, const char *key, const char *want) {
  const char *v = mock_notification_meta(i, key);
  if (want == NULL) {
    ck_assert_msg(v == NULL, "meta %s = \"%s\", want none", key, v);
    return;
  }
  ck_assert_msg(v != NULL, "meta %s missing", key);
  ck_assert_str_eq(v, want);
}

static const struct ports_target *target(void) {
  const struct ports_target *t = mock_read_data(0);
  ck_assert_ptr_nonnull(t);
  return t;
}

/* ---- fixture ------------------------------------------------------------- */

static void setup(void) {
  ports_cfg = (struct hl_single){0}; /* statics persist with CK_FORK=no */
  tmp_root[0] = '\0';
  out_root[0] = '\0';
  mock_reset();
  /* Check identifiers and value counts like the daemon would. */
  glue_types_load(true);
  module_register();
}

static void engine_stop(void);

static void teardown(void) {
  mock_reset(); /* runs the free_func of registered reads */
  engine_stop();
  glue_remove_tree(tmp_root);
  glue_remove_tree(out_root);
}

/* ---- config -------------------------------------------------------------- */

/* Counts on a real /proc: only their presence and consistency. */
static void assert_counts_present(void) {
  static const char *const listeners[] = {
      "tcp_ipv4",  "tcp_ipv6", "udp_ipv4",       "udp_ipv6",
      "ephemeral", "wildcard", "distinct_ports", "published_only",
  };
  double sum = 0;
  for (size_t i = 0; i < sizeof(listeners) / sizeof(listeners[0]); i++) {
    double v = glue_gauge("listeners", "count", listeners[i]);
    ck_assert(v >= 0);
    sum += i < 4 ? v : 0;
  }
  ck_assert(glue_gauge("listeners", "count", "distinct_ports") <= sum);
  ck_assert(glue_gauge("listeners", "count", "wildcard") <= sum);
  ck_assert(glue_has("policy", "count", "unexpected"));
  ck_assert(glue_has("policy", "count", "ephemeral"));
  ck_assert(glue_has("policy", "count", "wildcard"));
  for (size_t i = 0; i < mock_count_values(); i++) {
    const value_list_t *vl = mock_value(i);
    ck_assert_str_eq(vl->plugin, "homelab_ports");
    ck_assert_str_eq(vl->host, ""); /* the daemon fills host and interval */
  }
}

START_TEST(test_defaults_real_proc) {
  /* _i 0: no <Plugin homelab_ports> block (init applies the defaults);
   * _i 1: an empty block. The real /proc, Docker only if its socket is
   * there. */
  if (_i == 1)
    config_text("");
  ck_assert_int_eq(mock_init_all(), 0);
  ck_assert_uint_eq(mock_read_count(), 1);
  ck_assert_str_eq(mock_read_name(0), "homelab_ports");
  ck_assert_uint_eq(mock_read_interval(0), 0); /* daemon's interval */
  const struct ports_target *t = target();
  ck_assert_str_eq(t->proc_root, "/proc");
  ck_assert_str_eq(t->docker_socket, "/var/run/docker.sock");
  ck_assert_int_eq(t->docker, file_exists("/var/run/docker.sock"));
  ck_assert(t->processes);
  ck_assert_uint_eq(t->retry_every, 10);
  ck_assert_uint_eq(t->report_every, 1);
  ck_assert(t->policy.check_ephemeral);
  ck_assert_uint_eq(t->policy.nallow + t->policy.nwatch, 0);
  ck_assert_ptr_null(t->report_json);
  ck_assert_int_eq(glue_read_once(), 0);
  assert_counts_present();
  ck_assert_double_eq(glue_gauge("policy", "count", "unexpected"), 0);
  ck_assert_double_eq(glue_gauge("policy", "count", "wildcard"), 0);
  ck_assert_int_eq(glue_has("docker", "homelab_available", ""), t->docker);
  /* An engine socket this user may not open is the only excuse. */
  ck_assert_uint_eq(mock_log_count(LOG_ERR, NULL),
                    mock_log_count(LOG_ERR, "Docker API unavailable"));
  ck_assert_int_eq(glue_read_once(), 0);
  assert_counts_present();
}
END_TEST

START_TEST(test_own_listeners_real_proc) {
  /* Sockets of this process, found over netlink and mapped to our pid. */
  int tfd = socket(AF_INET, SOCK_STREAM, 0);
  int ufd = socket(AF_INET6, SOCK_DGRAM, 0);
  ck_assert(tfd >= 0);
  struct sockaddr_in a4 = {.sin_family = AF_INET,
                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  struct sockaddr_in6 a6 = {.sin6_family = AF_INET6,
                            .sin6_addr = IN6ADDR_LOOPBACK_INIT};
  socklen_t l4 = sizeof(a4), l6 = sizeof(a6);
  ck_assert_int_eq(bind(tfd, (struct sockaddr *)&a4, sizeof(a4)), 0);
  ck_assert_int_eq(listen(tfd, 8), 0);
  ck_assert_int_eq(getsockname(tfd, (struct sockaddr *)&a4, &l4), 0);
  if (ufd < 0 || bind(ufd, (struct sockaddr *)&a6, sizeof(a6)) != 0) {
    fprintf(stderr, "note: no IPv6 loopback, UDP watch not tested\n");
    if (ufd >= 0)
      close(ufd);
    ufd = -1;
  } else {
    ck_assert_int_eq(getsockname(ufd, (struct sockaddr *)&a6, &l6), 0);
  }
  char text[512], udp[64] = "";
  if (ufd >= 0)
    snprintf(udp, sizeof(udp), "Port \"udp\" %u \"::1\"\n",
             ntohs(a6.sin6_port));
  snprintf(text, sizeof(text),
           "Docker false\n<Port \"tcp\" %u>\n Address \"127.0.0.1\"\n</Port>\n"
           "%s",
           ntohs(a4.sin_port), udp);
  configure_ok(text);
  ck_assert_int_eq(glue_read_once(), 0);
  char pi[32];
  snprintf(pi, sizeof(pi), "tcp-%u", ntohs(a4.sin_port));
  assert_gauge(pi, "homelab_listening", "127.0.0.1", 1);
  assert_gauge(pi, "homelab_pid", "127.0.0.1", getpid());
  ck_assert(glue_gauge("listeners", "count", "tcp_ipv4") >= 1);
  if (ufd >= 0) {
    snprintf(pi, sizeof(pi), "udp-%u", ntohs(a6.sin6_port));
    assert_gauge(pi, "homelab_listening", "::1", 1);
    assert_gauge(pi, "homelab_pid", "::1", getpid());
    ck_assert(glue_gauge("listeners", "count", "udp_ipv6") >= 1);
  }
  ck_assert_uint_eq(glue_notif_count(NOTIF_FAILURE, NULL, NULL, NULL), 0);
  /* Closed: FAILURE once. */
  close(tfd);
  ck_assert_int_eq(glue_read_once(), 0);
  snprintf(pi, sizeof(pi), "tcp-%u", ntohs(a4.sin_port));
  assert_gauge(pi, "homelab_listening", "127.0.0.1", 0);
  ck_assert(!glue_has(pi, "homelab_pid", NULL));
  notif_one(NOTIF_FAILURE, pi, "127.0.0.1");
  if (ufd >= 0)
    close(ufd);
}
END_TEST

START_TEST(test_options_applied) {
  glue_mk_tmpdir(out_root, sizeof(out_root));
  configure_ok("ProcRoot \"@proc\"\n"
               "Processes false\n"
               "RetryEvery 3\n"
               "DockerSocket \"/nonexistent/docker.sock\"\n"
               "Docker false\n"
               "DockerTimeout 0.5\n"
               "Port \"tcp\" \"22\"\n" /* a port as a string works too */
               "<Port \"TCP\" 8443>\n  Address \"0:0::1\"\n</Port>\n"
               "allowport \"any\" 22\n" /* keys are case-insensitive */
               "AllowRange \"udp\" 50 60\n"
               "AllowProcess \"systemd-resolved\"\n"
               "LocalOnly \"tcp\" 6379\n"
               "CheckEphemeral false\n"
               "ReportFile \"@out/p.json\"\n"
               "ReportHTML \"@out/p.html\"\n"
               "ReportEvery 2\n"
               "Interval 2.5\n");
  ck_assert_uint_eq(mock_read_interval(0), DOUBLE_TO_CDTIME_T(2.5));
  const struct ports_target *t = target();
  ck_assert(!t->processes);
  ck_assert_uint_eq(t->retry_every, 3);
  ck_assert_int_eq(t->docker, 0);
  ck_assert_str_eq(t->docker_socket, "/nonexistent/docker.sock");
  ck_assert_double_eq(t->docker_timeout, 0.5);
  ck_assert_uint_eq(t->report_every, 2);
  ck_assert_ptr_nonnull(strstr(t->report_json, "/p.json"));
  ck_assert_ptr_nonnull(strstr(t->report_html, "/p.html"));
  const struct hl_policy *p = &t->policy;
  ck_assert_uint_eq(p->nwatch, 2);
  ck_assert_uint_eq(p->watch[0].proto, IPPROTO_TCP);
  ck_assert_uint_eq(p->watch[0].lo, 22);
  ck_assert_str_eq(p->watch[0].addr, "");
  ck_assert_uint_eq(p->watch[1].lo, 8443);
  ck_assert_str_eq(p->watch[1].addr, "::1"); /* canonical form */
  ck_assert_uint_eq(p->nallow, 2);
  ck_assert_uint_eq(p->allow[0].proto, 0);
  ck_assert_uint_eq(p->allow[1].lo, 50);
  ck_assert_uint_eq(p->allow[1].hi, 60);
  ck_assert_uint_eq(p->nallow_proc, 1);
  ck_assert_str_eq(p->allow_proc[0], "systemd-resolved");
  ck_assert_uint_eq(p->nlocal_only, 1);
  ck_assert(!p->check_ephemeral);
  glue_assert_clean_log();
}
END_TEST

struct docker_case {
  const char *text;
  int docker; /* -1: whether /var/run/docker.sock exists */
};

static const struct docker_case docker_cases[] = {
    {"", -1},
    {"Docker true\n", 1},
    {"Docker false\n", 0},
    {"DockerSocket \"/nonexistent/d.sock\"\n", 1}, /* naming one turns it on */
    {"Docker false\nDockerSocket \"/nonexistent/d.sock\"\n", 0},
    {"DockerSocket \"/nonexistent/d.sock\"\nDocker false\n", 0},
};

START_TEST(test_docker_switch) {
  char text[256];
  snprintf(text, sizeof(text), "ProcRoot \"@proc\"\n%s", docker_cases[_i].text);
  configure_ok(text);
  int want = docker_cases[_i].docker;
  ck_assert_int_eq(target()->docker,
                   want >= 0 ? want : file_exists("/var/run/docker.sock"));
}
END_TEST

struct bad_case {
  const char *text;   /* after FX, so a ProcRoot here replaces the fixture */
  const char *expect; /* in an ERROR message */
};

static const struct bad_case bad_cases[] = {
    {"Bogus true", "unknown option \"Bogus\""},
    {"AllowPort \"tcp\" 70000", "AllowPort: port 70000 is outside 1-65535"},
    {"AllowPort \"tcp\" 0", "AllowPort: port 0 is outside 1-65535"},
    {"AllowPort \"tcp\" -1", "AllowPort: port \"-1\" is not a number"},
    {"AllowPort \"tcp\" 22.5", "AllowPort: argument 2 is not a whole number"},
    {"AllowPort \"icmp\" 22",
     "AllowPort: protocol \"icmp\" is not tcp, udp or any"},
    {"AllowPort \"tcp\"", "AllowPort: expected tcp|udp|any PORT, got 1 arg"},
    {"AllowPort \"tcp\" 22 23", "AllowPort: expected tcp|udp|any PORT, got 3"},
    {"AllowRange \"tcp\" 900 800",
     "AllowRange: low port 900 is above high port 800"},
    {"AllowRange \"udp\" 1 70000",
     "AllowRange: high port 70000 is outside 1-65535"},
    {"AllowProcess \"\"", "AllowProcess: empty process name"},
    {"AllowProcess", "AllowProcess: expected NAME, got 0 arguments"},
    {"LocalOnly \"sctp\" 22",
     "LocalOnly: protocol \"sctp\" is not tcp, udp or any"},
    {"Port \"tcp\" \"ssh\"", "Port: port \"ssh\" is not a number"},
    {"Port \"any\" 22", "Port: protocol \"any\" is not tcp or udp"},
    {"Port \"tcp\" 22 \"localhost\"",
     "Port: address \"localhost\" is not an IPv4 or IPv6 address"},
    {"<Port \"udp\" 53>\n Address \"not-an-ip\"\n</Port>",
     "Port: address \"not-an-ip\" is not an IPv4 or IPv6 address"},
    {"<Port \"udp\" 53>\n Adress \"127.0.0.1\"\n</Port>",
     "Port: only a <Port> block may have a child"},
    {"<Port \"udp\" 53>\n Address 127\n</Port>",
     "Port: only a <Port> block may have a child"},
    {"<Port \"udp\" 53>\n Address \"::1\"\n Address \"::2\"\n</Port>",
     "Port: expected tcp|udp PORT [ADDRESS], got 4 arguments"},
    {"CheckEphemeral \"maybe\"", "CheckEphemeral: \"maybe\" is not true or"},
    {"ReportFile \"relative.json\"",
     "ReportFile \"relative.json\": must be an absolute file path"},
    {"ReportFile \"/nonexistent-dir/x.json\"",
     "ReportFile \"/nonexistent-dir/x.json\": directory /nonexistent-dir "
     "does not exist"},
    {"ReportHTML \"/nonexistent-dir/x.html\"",
     "ReportHTML \"/nonexistent-dir/x.html\": directory /nonexistent-dir"},
    {"ReportHTML \"/tmp/\"", "ReportHTML \"/tmp/\": must be an absolute file"},
    {"ReportFile 1", "ReportFile: expects exactly one string"},
    {"ReportEvery 0", "ReportEvery: 0 is out of range"},
    {"RetryEvery 0", "RetryEvery: 0 is out of range"},
    {"RetryEvery \"10\"", "RetryEvery: expects exactly one number"},
    {"DockerTimeout 0", "DockerTimeout: 0 is out of range"},
    {"DockerTimeout 61", "DockerTimeout: 61 is out of range"},
    {"Docker \"maybe\"", "Docker: expects true or false"},
    {"Processes 1", "Processes: expects true or false"},
    {"DockerSocket true", "DockerSocket: expects exactly one string"},
    {"Interval 0", "Interval: 0 is out of range"},
    {"Interval -10", "Interval: -10 is out of range"},
    {"ProcRoot \"/nonexistent\"",
     "ProcRoot \"/nonexistent\": not an existing absolute directory"},
    {"ProcRoot \"proc\"", "ProcRoot \"proc\": not an existing absolute dir"},
    {"ProcRoot \"@proc/net/tcp\"", "/net/tcp\": not an existing absolute dir"},
};

START_TEST(test_bad_config) {
  const struct bad_case *bc = &bad_cases[_i];
  char text[1024];
  snprintf(text, sizeof(text), FX "%s\n", bc->text);
  config_text(text);
  ck_assert_uint_eq(mock_read_count(), 0);
  ck_assert_int_ne(mock_init_all(), 0);
  ck_assert_uint_eq(mock_read_count(), 0);
  ck_assert_msg(mock_log_contains(LOG_ERR, bc->expect),
                "no ERROR containing '%s'", bc->expect);
  ck_assert(
      mock_log_contains(LOG_ERR, "homelab_ports: configuration rejected"));
}
END_TEST

START_TEST(test_two_blocks_rejected) {
  config_text(FX);
  ck_assert_uint_eq(mock_read_count(), 1);
  config_text(FX);
  /* The first block's read is unregistered by the daemon when init fails
   * (plugin_init_all unregisters the read named like the plugin). */
  ck_assert_int_ne(mock_init_all(), 0);
  ck_assert_uint_eq(mock_read_count(), 0);
  ck_assert(
      mock_log_contains(LOG_ERR, "only one <Plugin homelab_ports> block"));
}
END_TEST

/* ---- counts (tests/fixtures/glue_ports/README) --------------------------- */

struct want {
  const char *pi, *type, *ti;
  double v;
};

static const struct want fixture_counts[] = {
    {"listeners", "count", "tcp_ipv4",
     3}, /* 0.0.0.0:22 127.0.0.1:5432 :40000 */
    {"listeners", "count", "tcp_ipv6", 2}, /* [::]:22 [::1]:8443 */
    {"listeners", "count", "udp_ipv4", 1}, /* 0.0.0.0:53 */
    {"listeners", "count", "udp_ipv6", 0},
    {"listeners", "count", "distinct_ports", 5}, /* tcp 22 5432 8443 40000,
                                                    udp 53 */
    {"listeners", "count", "ephemeral", 1},      /* 40000 */
    {"listeners", "count", "wildcard", 4},
    {"listeners", "count", "published_only", 0},
    {"policy", "count", "unexpected", 0},
    {"policy", "count", "ephemeral", 1}, /* CheckEphemeral is on by default */
    {"policy", "count", "wildcard", 0},
};

static void assert_wants(const struct want *w, size_t n) {
  for (size_t i = 0; i < n; i++)
    assert_gauge(w[i].pi, w[i].type, w[i].ti, w[i].v);
}

START_TEST(test_fixture_counts) {
  configure_ok(FX);
  for (int r = 0; r < 2; r++) {
    ck_assert_int_eq(glue_read_once(), 0);
    assert_wants(fixture_counts,
                 sizeof(fixture_counts) / sizeof(*fixture_counts));
    ck_assert_uint_eq(mock_count_values(), 11); /* no Port, no Docker */
    ck_assert(!glue_has("docker", NULL, NULL));
    glue_assert_clean_log(); /* every type is in types.db or homelab.db */
    /* The only finding, notified on the first read only. */
    ck_assert_uint_eq(mock_count_notifications(), r == 0 ? 1 : 0);
    if (r == 0)
      notif_one(NOTIF_WARNING, "tcp-40000", "ephemeral");
  }
}
END_TEST

START_TEST(test_distinct_ports) {
  /* A second socket on udp 53 adds no port; tcp 53 next to udp 53 does,
   * and tcp 22 on v4 and v6 counted once all along. */
  tmp_copy();
  configure_ok(TMP);
  ck_assert_int_eq(glue_read_once(), 0);
  assert_gauge("listeners", "count", "distinct_ports", 5);
  tmp_put("net/udp", "udp.loopback53");
  ck_assert_int_eq(glue_read_once(), 0);
  assert_gauge("listeners", "count", "udp_ipv4", 2);
  assert_gauge("listeners", "count", "distinct_ports", 5);
  tmp_put("net/tcp6", "tcp6.plus_53");
  ck_assert_int_eq(glue_read_once(), 0);
  assert_gauge("listeners", "count", "tcp_ipv6", 3);
  assert_gauge("listeners", "count", "distinct_ports", 6);
  tmp_put("net/tcp", "tcp.plus_9090");
  ck_assert_int_eq(glue_read_once(), 0);
  assert_gauge("listeners", "count", "tcp_ipv4", 4);
  assert_gauge("listeners", "count", "distinct_ports", 7);
  assert_gauge("listeners", "count", "wildcard", 6); /* + [::]:53, :9090 */
}
END_TEST

START_TEST(test_v6_files_missing) {
  /* A kernel without IPv6 has no tcp6/udp6: not an error. */
  tmp_copy();
  tmp_rm("net/tcp6");
  tmp_rm("net/udp6");
  configure_ok(TMP);
  ck_assert_int_eq(glue_read_once(), 0);
  assert_gauge("listeners", "count", "tcp_ipv4", 3);
  assert_gauge("listeners", "count", "tcp_ipv6", 0);
  assert_gauge("listeners", "count", "udp_ipv6", 0);
  assert_gauge("listeners", "count", "distinct_ports", 4); /* 8443 was v6 */
  assert_gauge("listeners", "count", "wildcard", 3); /* 22, 40000, udp 53 */
  glue_assert_clean_log();
}
END_TEST

START_TEST(test_processes_off) {
  /* Processes false: listeners are counted, owners stay unknown. */
  configure_ok(FX "Processes false\nPort \"tcp\" 22\n");
  ck_assert_int_eq(glue_read_once(), 0);
  assert_gauge("tcp-22", "homelab_listening", "", 1);
  ck_assert(!glue_has("tcp-22", "homelab_pid", NULL));
  assert_gauge("listeners", "count", "tcp_ipv4", 3);
  size_t i = notif_one(NOTIF_WARNING, "tcp-40000", "ephemeral");
  assert_meta(i, "process", NULL);
  assert_meta(i, "pid", NULL);
}
END_TEST

/* ---- watched ports ------------------------------------------------------- */

struct watch_case {
  const char *rule; /* config lines */
  const char *pi, *ti;
  int up;
  int pid;         /* homelab_pid, 0: not sent */
  const char *msg; /* FAILURE text when !up */
};

static const struct watch_case watch_cases[] = {
    {"Port \"tcp\" 22", "tcp-22", "", 1, 100, NULL},
    {"Port \"tcp\" 5432", "tcp-5432", "", 1, 200, NULL},
    {"Port \"tcp\" 40000", "tcp-40000", "", 1, 0, NULL}, /* owner hidden */
    {"Port \"udp\" 53", "udp-53", "", 1, 300, NULL},
    {"<Port \"udp\" 53>\n Address \"0.0.0.0\"\n</Port>", "udp-53", "0.0.0.0", 1,
     300, NULL},
    {"<Port \"udp\" 53>\n Address \"127.0.0.1\"\n</Port>", "udp-53",
     "127.0.0.1", 0, 0, /* bound to 0.0.0.0, not to 127.0.0.1 */
     "Host mockhost: port udp/53 on 127.0.0.1 is not listening"},
    {"<Port \"tcp\" 8443>\n Address \"0:0::1\"\n</Port>", "tcp-8443", "::1", 1,
     400, NULL},
    {"Port \"tcp\" 8443 \"127.0.0.1\"", "tcp-8443", "127.0.0.1", 0, 0,
     "Host mockhost: port tcp/8443 on 127.0.0.1 is not listening"},
    {"<Port \"tcp\" 22>\n Address \"::\"\n</Port>", "tcp-22", "::", 1, 100,
     NULL},
    {"<Port \"tcp\" 22>\n Address \"::ffff:0.0.0.0\"\n</Port>", "tcp-22",
     "::ffff:0.0.0.0", 1, 100, NULL}, /* same as the IPv4 socket */
    {"<Port \"tcp\" 22>\n Address \"192.168.1.10\"\n</Port>", "tcp-22",
     "192.168.1.10", 0, 0, /* only an established connection */
     "Host mockhost: port tcp/22 on 192.168.1.10 is not listening"},
    {"Port \"udp\" 5353", "udp-5353", "", 0, 0, /* connected, not bound */
     "Host mockhost: port udp/5353 is not listening"},
    {"Port \"udp\" 22", "udp-22", "", 0, 0,
     "Host mockhost: port udp/22 is not listening"},
    {"Port \"TCP\" 9090", "tcp-9090", "", 0, 0,
     "Host mockhost: port tcp/9090 is not listening"},
};

START_TEST(test_watch) {
  const struct watch_case *wc = &watch_cases[_i];
  char text[512];
  snprintf(text, sizeof(text), FX QUIET "%s\n", wc->rule);
  configure_ok(text);
  for (int r = 0; r < 2; r++) {
    ck_assert_int_eq(glue_read_once(), 0);
    assert_gauge(wc->pi, "homelab_listening", wc->ti, wc->up);
    ck_assert_uint_eq(mock_count_matching(wc->pi, NULL, NULL),
                      1 + (wc->pid > 0));
    if (wc->pid > 0)
      assert_gauge(wc->pi, "homelab_pid", wc->ti, wc->pid);
    if (wc->up || r == 1) {
      ck_assert_uint_eq(mock_count_notifications(), 0);
      continue;
    }
    /* Not listening at start: FAILURE on the first read only. */
    ck_assert_uint_eq(mock_count_notifications(), 1);
    size_t i = notif_one(NOTIF_FAILURE, wc->pi, wc->ti);
    ck_assert_str_eq(mock_notification(i)->type, "homelab_listening");
    ck_assert_str_eq(mock_notification(i)->message, wc->msg);
    assert_meta(i, "proto", wc->pi[0] == 't' ? "tcp" : "udp");
    assert_meta(i, "address", wc->ti[0] ? wc->ti : NULL);
    assert_meta(i, "pid", NULL);
  }
  glue_assert_clean_log();
}
END_TEST

START_TEST(test_watch_comes_and_goes) {
  tmp_copy();
  configure_ok(TMP QUIET "Port \"tcp\" 9090\n");
  ck_assert_int_eq(glue_read_once(), 0);
  assert_gauge("tcp-9090", "homelab_listening", "", 0);
  notif_one(NOTIF_FAILURE, "tcp-9090", "");
  ck_assert_int_eq(glue_read_once(), 0);
  ck_assert_uint_eq(mock_count_notifications(), 0);
  /* caddy (pid 400) starts listening on 9090. */
  tmp_put("net/tcp", "tcp.plus_9090");
  tmp_fd(400, 12, 21010);
  ck_assert_int_eq(glue_read_once(), 0);
  assert_gauge("tcp-9090", "homelab_listening", "", 1);
  assert_gauge("tcp-9090", "homelab_pid", "", 400);
  ck_assert_uint_eq(mock_count_notifications(), 1);
  size_t i = notif_one(NOTIF_OKAY, "tcp-9090", "");
  ck_assert_str_eq(mock_notification(i)->message,
                   "Host mockhost: port tcp/9090 is listening again");
  assert_meta(i, "proto", "tcp");
  assert_meta(i, "pid", "400");
  ck_assert_int_eq(glue_read_once(), 0);
  ck_assert_uint_eq(mock_count_notifications(), 0);
  /* And stops again. */
  tmp_restore("net/tcp");
  ck_assert_int_eq(glue_read_once(), 0);
  assert_gauge("tcp-9090", "homelab_listening", "", 0);
  notif_one(NOTIF_FAILURE, "tcp-9090", "");
  ck_assert_uint_eq(mock_count_notifications(), 1);
}
END_TEST

START_TEST(test_watch_address_appears) {
  /* <Port "udp" 53> Address "127.0.0.1": the wildcard socket does not
   * count; a socket bound to 127.0.0.1 does. */
  tmp_copy();
  configure_ok(TMP QUIET "<Port \"udp\" 53>\n Address \"127.0.0.1\"\n</Port>\n"
                         "Port \"udp\" 53\n");
  ck_assert_int_eq(glue_read_once(), 0);
  assert_gauge("udp-53", "homelab_listening", "127.0.0.1", 0);
  assert_gauge("udp-53", "homelab_listening", "", 1);
  size_t i = notif_one(NOTIF_FAILURE, "udp-53", "127.0.0.1");
  assert_meta(i, "address", "127.0.0.1");
  ck_assert_uint_eq(mock_count_notifications(), 1);
  tmp_put("net/udp", "udp.loopback53");
  tmp_fd(300, 10, 21011);
  ck_assert_int_eq(glue_read_once(), 0);
  assert_gauge("udp-53", "homelab_listening", "127.0.0.1", 1);
  assert_gauge("udp-53", "homelab_pid", "127.0.0.1", 300);
  i = notif_one(NOTIF_OKAY, "udp-53", "127.0.0.1");
  ck_assert_str_eq(
      mock_notification(i)->message,
      "Host mockhost: port udp/53 on 127.0.0.1 is listening again");
  ck_assert_uint_eq(mock_count_notifications(), 1);
}
END_TEST

/* ---- policy findings ----------------------------------------------------- */

struct finding_case {
  const char *rules;
  const char *found[8]; /* "plugin_instance/type_instance", NULL-terminated */
};

static const struct finding_case finding_cases[] = {
    {"AllowPort \"tcp\" 22\nAllowPort \"udp\" 53\n" QUIET,
     {"tcp-5432/unexpected", "tcp-8443/unexpected", "tcp-40000/unexpected"}},
    {"AllowPort \"any\" 22\nAllowPort \"any\" 53\n"
     "AllowRange \"tcp\" 5000 9000\n" QUIET,
     {"tcp-40000/unexpected"}},
    {"AllowProcess \"postgres\"\nAllowProcess \"caddy\"\n"
     "AllowProcess \"sshd\"\n" QUIET,
     {"udp-53/unexpected", "tcp-40000/unexpected"}},
    {"AllowProcess \"dnsmasq\"\nAllowRange \"tcp\" 1 1024\n" QUIET,
     {"tcp-5432/unexpected", "tcp-8443/unexpected", "tcp-40000/unexpected"}},
    {"AllowPort \"udp\" 22\nAllowPort \"tcp\" 53\n" QUIET, /* wrong protos */
     {"tcp-22/unexpected", "tcp-22/unexpected", "tcp-5432/unexpected",
      "tcp-8443/unexpected", "tcp-40000/unexpected", "udp-53/unexpected"}},
    {"AllowRange \"any\" 1 65535\n" QUIET, {NULL}},
    {QUIET, {NULL}}, /* no Allow* rule: nothing is unexpected */
    {"LocalOnly \"tcp\" 22\n" QUIET,
     {"tcp-22/wildcard", "tcp-22/wildcard"}}, /* 0.0.0.0 and :: */
    {"LocalOnly \"any\" 53\nLocalOnly \"tcp\" 5432\nLocalOnly \"tcp\" 8443\n"
     "LocalOnly \"udp\" 22\n" QUIET,
     {"udp-53/wildcard"}}, /* 5432 and 8443 are loopback-bound */
    {"", {"tcp-40000/ephemeral"}},
    {"CheckEphemeral true\n", {"tcp-40000/ephemeral"}},
    {"CheckEphemeral false\n", {NULL}},
    {"AllowPort \"any\" 22\nAllowPort \"any\" 53\n"
     "AllowRange \"tcp\" 5000 9000\nLocalOnly \"any\" 40000\n",
     {"tcp-40000/unexpected", "tcp-40000/ephemeral", "tcp-40000/wildcard"}},
};

static size_t found_count(const char *const *found, const char *key) {
  size_t n = 0;
  for (size_t k = 0; k < 8 && found[k] != NULL; k++)
    n += strcmp(found[k], key) == 0;
  return n;
}

START_TEST(test_findings) {
  const struct finding_case *fc = &finding_cases[_i];
  char text[1024];
  snprintf(text, sizeof(text), FX "%s", fc->rules);
  configure_ok(text);
  ck_assert_int_eq(glue_read_once(), 0);
  size_t want = 0, per_ti[3] = {0};
  for (size_t k = 0; k < 8 && fc->found[k] != NULL; k++) {
    want++;
    for (size_t f = 0; f < 3; f++)
      per_ti[f] += strstr(fc->found[k], ports_findings[f].name) != NULL;
  }
  ck_assert_uint_eq(mock_count_notifications(), want);
  for (size_t i = 0; i < mock_count_notifications(); i++) {
    const notification_t *n = mock_notification(i);
    char key[2 * DATA_MAX_NAME_LEN + 2];
    snprintf(key, sizeof(key), "%s/%s", n->plugin_instance, n->type_instance);
    ck_assert_msg(n->severity == NOTIF_WARNING, "%s: severity %d", key,
                  n->severity);
    ck_assert_str_eq(n->type, "homelab_policy");
    ck_assert_msg(
        glue_notif_count(0, n->plugin_instance, n->type_instance, NULL) ==
            found_count(fc->found, key),
        "%s notified %zu times", key,
        glue_notif_count(0, n->plugin_instance, n->type_instance, NULL));
  }
  assert_gauge("policy", "count", "unexpected", per_ti[0]);
  assert_gauge("policy", "count", "ephemeral", per_ti[1]);
  assert_gauge("policy", "count", "wildcard", per_ti[2]);
  /* Each change once: nothing on the next reads. */
  for (int r = 0; r < 2; r++) {
    ck_assert_int_eq(glue_read_once(), 0);
    ck_assert_uint_eq(mock_count_notifications(), 0);
    assert_gauge("policy", "count", "unexpected", per_ti[0]);
  }
  glue_assert_clean_log();
}
END_TEST

/* User name of a fixture uid, as the owner lookup gives it. */
static void user_of(uid_t uid, char *buf, size_t size) {
  struct passwd *pw = getpwuid(uid);
  if (pw != NULL)
    snprintf(buf, size, "%s", pw->pw_name);
  else
    snprintf(buf, size, "%u", (unsigned)uid);
}

START_TEST(test_unexpected_text_and_meta) {
  configure_ok(FX QUIET "AllowPort \"tcp\" 22\nAllowPort \"udp\" 53\n");
  ck_assert_int_eq(glue_read_once(), 0);
  size_t i = notif_one(NOTIF_WARNING, "tcp-5432", "unexpected");
  ck_assert_str_eq(mock_notification(i)->message,
                   "Host mockhost: tcp 127.0.0.1:5432 (postgres, pid 200) is "
                   "not allowed by the port policy");
  char user[64];
  user_of(65534, user, sizeof(user));
  assert_meta(i, "proto", "tcp");
  assert_meta(i, "address", "127.0.0.1");
  assert_meta(i, "port", "5432");
  assert_meta(i, "process", "postgres");
  assert_meta(i, "pid", "200");
  assert_meta(i, "user", user);
  assert_meta(i, "container", NULL);
  i = notif_one(NOTIF_WARNING, "tcp-8443", "unexpected");
  ck_assert_str_eq(mock_notification(i)->message,
                   "Host mockhost: tcp [::1]:8443 (caddy, pid 400) is not "
                   "allowed by the port policy");
  assert_meta(i, "address", "::1");
  assert_meta(i, "process", "caddy");
  assert_meta(i, "pid", "400");
  i = notif_one(NOTIF_WARNING, "tcp-40000", "unexpected");
  ck_assert_str_eq(mock_notification(i)->message,
                   "Host mockhost: tcp 0.0.0.0:40000 (unknown process) is not "
                   "allowed by the port policy");
  assert_meta(i, "port", "40000");
  assert_meta(i, "process", NULL);
  assert_meta(i, "pid", NULL);
}
END_TEST

START_TEST(test_listener_closes) {
  tmp_copy();
  configure_ok(TMP QUIET "AllowPort \"tcp\" 22\nAllowPort \"udp\" 53\n");
  ck_assert_int_eq(glue_read_once(), 0);
  ck_assert_uint_eq(mock_count_notifications(), 3);
  /* postgres stops. */
  tmp_put("net/tcp", "tcp.no_postgres");
  ck_assert_int_eq(glue_read_once(), 0);
  ck_assert_uint_eq(mock_count_notifications(), 1);
  size_t i = notif_one(NOTIF_OKAY, "tcp-5432", "unexpected");
  ck_assert_str_eq(mock_notification(i)->message,
                   "Host mockhost: tcp 127.0.0.1:5432 is closed");
  assert_meta(i, "proto", "tcp");
  assert_meta(i, "address", "127.0.0.1");
  assert_meta(i, "port", "5432");
  assert_gauge("policy", "count", "unexpected", 2);
  ck_assert_int_eq(glue_read_once(), 0);
  ck_assert_uint_eq(mock_count_notifications(), 0);
  /* Back: reported again, once. */
  tmp_restore("net/tcp");
  ck_assert_int_eq(glue_read_once(), 0);
  ck_assert_uint_eq(mock_count_notifications(), 1);
  notif_one(NOTIF_WARNING, "tcp-5432", "unexpected");
}
END_TEST

START_TEST(test_finding_clears) {
  /* The ephemeral range moves above 40000: "no longer flagged", once. */
  tmp_copy();
  configure_ok(TMP);
  ck_assert_int_eq(glue_read_once(), 0);
  size_t i = notif_one(NOTIF_WARNING, "tcp-40000", "ephemeral");
  ck_assert_str_eq(mock_notification(i)->message,
                   "Host mockhost: tcp 0.0.0.0:40000 (unknown process) is "
                   "bound inside the ephemeral range");
  tmp_put("sys/net/ipv4/ip_local_port_range", "ip_local_port_range.50000");
  ck_assert_int_eq(glue_read_once(), 0);
  ck_assert_uint_eq(mock_count_notifications(), 1);
  i = notif_one(NOTIF_OKAY, "tcp-40000", "ephemeral");
  assert_meta(i, "port", "40000"); /* text: see test_bug_cleared_is_closed */
  assert_gauge("listeners", "count", "ephemeral", 0);
  assert_gauge("policy", "count", "ephemeral", 0);
  ck_assert_int_eq(glue_read_once(), 0);
  ck_assert_uint_eq(mock_count_notifications(), 0);
}
END_TEST

START_TEST(test_wildcard_text) {
  configure_ok(FX QUIET "LocalOnly \"tcp\" 22\n");
  ck_assert_int_eq(glue_read_once(), 0);
  ck_assert_uint_eq(glue_notif_count(NOTIF_WARNING, "tcp-22", "wildcard", NULL),
                    2);
  const char *v4 = "Host mockhost: tcp 0.0.0.0:22 (sshd, pid 100) listens on "
                   "every address, not local-only";
  const char *v6 = "Host mockhost: tcp [::]:22 (sshd, pid 100) listens on "
                   "every address, not local-only";
  bool seen4 = false, seen6 = false;
  for (size_t i = 0; i < mock_count_notifications(); i++) {
    const char *msg = mock_notification(i)->message;
    seen4 |= strcmp(msg, v4) == 0;
    seen6 |= strcmp(msg, v6) == 0;
    ck_assert_str_eq(mock_notification_meta(i, "process"), "sshd");
    ck_assert_str_eq(mock_notification_meta(i, "port"), "22");
  }
  ck_assert(seen4 && seen6);
}
END_TEST

/* ---- reports ------------------------------------------------------------- */

/* The value of @path in the JSON object @obj (NULL if missing). */
static yajl_val jget(yajl_val obj, const char *a, const char *b) {
  const char *path[] = {a, b, NULL};
  return yajl_tree_get(obj, path, yajl_t_any);
}

/* The ports[] entry with @proto, @ip and @port, or NULL. */
static yajl_val json_port(yajl_val root, const char *proto, const char *ip,
                          long port) {
  yajl_val ports = jget(root, "ports", NULL);
  ck_assert(YAJL_IS_ARRAY(ports));
  for (size_t i = 0; i < ports->u.array.len; i++) {
    yajl_val e = ports->u.array.values[i];
    yajl_val pr = jget(e, "proto", NULL), a = jget(e, "ip", NULL);
    yajl_val po = jget(e, "port", NULL);
    if (YAJL_IS_STRING(pr) && strcmp(pr->u.string, proto) == 0 &&
        YAJL_IS_STRING(a) && strcmp(a->u.string, ip) == 0 &&
        YAJL_IS_INTEGER(po) && YAJL_GET_INTEGER(po) == port)
      return e;
  }
  return NULL;
}

static void assert_jstr(yajl_val obj, const char *key, const char *want) {
  yajl_val v = jget(obj, key, NULL);
  ck_assert_msg(YAJL_IS_STRING(v), "%s is not a string", key);
  ck_assert_str_eq(v->u.string, want);
}

static void assert_jint(yajl_val obj, const char *a, const char *b,
                        long long want) {
  yajl_val v = jget(obj, a, b);
  ck_assert_msg(YAJL_IS_INTEGER(v), "%s.%s is not an integer", a, b ? b : "");
  ck_assert_int_eq(YAJL_GET_INTEGER(v), want);
}

/* Parses the JSON report at @path; free with yajl_tree_free(). */
static yajl_val json_load(const char *path) {
  struct hl_buf b;
  glue_read_file(path, &b, GLUE_FILE_MAX);
  char err[256] = "";
  yajl_val root = yajl_tree_parse(b.data, err, sizeof(err));
  hl_buf_free(&b);
  ck_assert_msg(root != NULL, "%s: invalid JSON: %s", path, err);
  return root;
}

/* Entries of @dir besides . and .. */
static size_t dir_entries(const char *dir) {
  DIR *d = opendir(dir);
  ck_assert_ptr_nonnull(d);
  size_t n = 0;
  for (struct dirent *e = readdir(d); e != NULL; e = readdir(d))
    n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
  closedir(d);
  return n;
}

START_TEST(test_report_files) {
  glue_mk_tmpdir(out_root, sizeof(out_root));
  configure_ok(FX "ReportFile \"@out/ports.json\"\n"
                  "ReportHTML \"@out/ports.html\"\n");
  ck_assert_int_eq(glue_read_once(), 0);
  char jpath[PATH_MAX], hpath[PATH_MAX];
  glue_path_join(jpath, sizeof(jpath), out_root, "ports.json");
  glue_path_join(hpath, sizeof(hpath), out_root, "ports.html");
  /* Written through a temporary file and rename(): nothing else is left. */
  ck_assert_uint_eq(dir_entries(out_root), 2);
  struct stat st;
  ck_assert_int_eq(stat(jpath, &st), 0);
  ck_assert_uint_eq(st.st_mode & 0777, 0644);
  yajl_val root = json_load(jpath);
  ck_assert(YAJL_IS_STRING(jget(root, "schema_version", NULL)));
  assert_jstr(root, "host", hostname_g); /* collectd's Hostname */
  assert_jint(root, "ip_local_port_range", "low", 32768);
  assert_jint(root, "ip_local_port_range", "high", 60999);
  yajl_val ports = jget(root, "ports", NULL);
  ck_assert(YAJL_IS_ARRAY(ports));
  ck_assert_uint_eq(ports->u.array.len, 6);
  yajl_val e = json_port(root, "tcp", "0.0.0.0", 22);
  ck_assert_ptr_nonnull(e);
  assert_jint(e, "pid", NULL, 100);
  assert_jstr(e, "process", "sshd");
  assert_jstr(e, "status", "LISTEN");
  e = json_port(root, "udp", "0.0.0.0", 53);
  ck_assert_ptr_nonnull(e);
  assert_jstr(e, "status", "UNCONN");
  assert_jstr(e, "process", "dnsmasq");
  ck_assert_ptr_nonnull(json_port(root, "tcp", "::1", 8443));
  yajl_tree_free(root);
  struct hl_buf html;
  glue_read_file(hpath, &html, GLUE_FILE_MAX);
  ck_assert_ptr_nonnull(strstr(html.data, "<html"));
  ck_assert_ptr_nonnull(strstr(html.data, hostname_g));
  ck_assert_ptr_nonnull(strstr(html.data, "5432"));
  ck_assert_ptr_nonnull(strstr(html.data, "postgres"));
  hl_buf_free(&html);
  glue_assert_clean_log();
}
END_TEST

struct every_case {
  unsigned every;
  const char *written; /* '1' for each of six reads that writes */
};

static const struct every_case every_cases[] = {
    {1, "111111"},
    {2, "101010"},
    {3, "100100"},
    {7, "100000"},
};

START_TEST(test_report_every) {
  const struct every_case *ec = &every_cases[_i];
  glue_mk_tmpdir(out_root, sizeof(out_root));
  char text[256];
  snprintf(text, sizeof(text),
           FX "ReportFile \"@out/p.json\"\nReportHTML \"@out/p.html\"\n"
              "ReportEvery %u\n",
           ec->every);
  configure_ok(text);
  char jpath[PATH_MAX], hpath[PATH_MAX];
  glue_path_join(jpath, sizeof(jpath), out_root, "p.json");
  glue_path_join(hpath, sizeof(hpath), out_root, "p.html");
  for (int r = 0; r < 6; r++) {
    unlink(jpath);
    unlink(hpath);
    ck_assert_int_eq(glue_read_once(), 0);
    bool want = ec->written[r] == '1';
    ck_assert_msg(file_exists(jpath) == want, "read %d: json %s", r + 1,
                  want ? "missing" : "written");
    ck_assert_msg(file_exists(hpath) == want, "read %d: html %s", r + 1,
                  want ? "missing" : "written");
  }
}
END_TEST

START_TEST(test_report_dir_gone) {
  glue_mk_tmpdir(out_root, sizeof(out_root));
  configure_ok(FX "ReportFile \"@out/p.json\"\n");
  char jpath[PATH_MAX];
  glue_path_join(jpath, sizeof(jpath), out_root, "p.json");
  ck_assert_int_eq(glue_read_once(), 0);
  ck_assert_int_eq(unlink(jpath), 0);
  ck_assert_int_eq(rmdir(out_root), 0);
  mock_clear_records();
  for (int r = 0; r < 3; r++) {
    ck_assert_int_eq(mock_read(0), 0); /* the metrics still go out */
    mock_advance_time(TIME_T_TO_CDTIME_T(3600));
  }
  ck_assert_uint_eq(mock_log_count(LOG_ERR, "failed: No such file"), 1);
  ck_assert_uint_eq(mock_log_count(LOG_ERR, jpath), 1);
  ck_assert_uint_eq(mock_count_matching("listeners", "count", "tcp_ipv4"), 3);
  ck_assert_int_eq(mkdir(out_root, 0755), 0);
  ck_assert_int_eq(glue_read_once(), 0);
  ck_assert(file_exists(jpath));
  ck_assert_uint_eq(mock_log_count(LOG_INFO, "works again"), 1);
  ck_assert_uint_eq(mock_log_count(LOG_ERR, NULL), 0);
}
END_TEST

/* ---- failing sources ----------------------------------------------------- */

static const char *const net_files[] = {"net/tcp", "net/tcp6", "net/udp",
                                        "net/udp6"};

struct vanish_case {
  const char *gone; /* "1" per net_files entry removed */
  bool fails;
};

static const struct vanish_case vanish_cases[] = {
    {"1111", true},  /* nothing to list */
    {"1000", true},  /* no IPv4 TCP table: /proc is not what it seems */
    {"0010", true},  /* no IPv4 UDP table */
    {"0101", false}, /* no IPv6: fine */
};

START_TEST(test_net_files_vanish) {
  const struct vanish_case *vc = &vanish_cases[_i];
  tmp_copy();
  configure_ok(TMP);
  ck_assert_int_eq(glue_read_once(), 0);
  for (size_t k = 0; k < 4; k++)
    if (vc->gone[k] == '1')
      tmp_rm(net_files[k]);
  mock_clear_records();
  for (int r = 0; r < 3; r++) {
    int rc = mock_read(0);
    ck_assert_int_eq(rc != 0, vc->fails);
    mock_advance_time(TIME_T_TO_CDTIME_T(3600));
  }
  if (!vc->fails) {
    glue_assert_clean_log();
    ck_assert_uint_eq(mock_count_notifications(), 0);
    return;
  }
  /* The whole read failed: nothing sent, said once. */
  ck_assert_uint_eq(mock_count_values(), 0);
  ck_assert_uint_eq(mock_count_notifications(), 0);
  ck_assert_uint_eq(mock_log_count(LOG_ERR, NULL), 1);
  ck_assert_uint_eq(mock_log_count(LOG_ERR, "listing sockets"), 1);
  ck_assert_uint_eq(mock_log_count(LOG_ERR, "No such file or directory"), 1);
  /* Back: recovery logged once; the finding state survived the gap, so the
   * ephemeral listener is not reported again. */
  for (size_t k = 0; k < 4; k++)
    if (vc->gone[k] == '1')
      tmp_restore(net_files[k]);
  ck_assert_int_eq(glue_read_once(), 0);
  ck_assert_uint_eq(mock_log_count(LOG_INFO, "listing sockets works again"), 1);
  ck_assert_uint_eq(mock_log_count(LOG_ERR, NULL), 0);
  ck_assert_uint_eq(mock_count_notifications(), 0);
  assert_wants(fixture_counts,
               sizeof(fixture_counts) / sizeof(*fixture_counts));
}
END_TEST

START_TEST(test_proc_root_gone) {
  tmp_copy();
  configure_ok(TMP "Port \"tcp\" 22\n");
  ck_assert_int_eq(glue_read_once(), 0);
  glue_remove_tree(tmp_root);
  ck_assert_int_ne(glue_read_once(), 0);
  ck_assert_uint_eq(mock_count_values(), 0);
  ck_assert_uint_eq(mock_count_notifications(), 0); /* no "port down" */
  ck_assert_uint_eq(mock_log_count(LOG_ERR, "listing sockets"), 1);
  ck_assert_int_ne(glue_read_once(), 0);
  ck_assert_uint_eq(mock_log_count(LOG_ERR, NULL), 0);
}
END_TEST

START_TEST(test_docker_unavailable) {
  configure_ok("ProcRoot \"@proc\"\n" QUIET
               "DockerSocket \"/nonexistent/docker.sock\"\n");
  ck_assert_int_eq(glue_read_once(), 0);
  assert_gauge("docker", "homelab_available", "", 0);
  assert_wants(fixture_counts, 8); /* everything else works */
  ck_assert_uint_eq(mock_log_count(LOG_ERR, "Docker API unavailable"), 1);
  ck_assert_uint_eq(mock_log_count(LOG_ERR, "/nonexistent/docker.sock"), 1);
  mock_advance_time(TIME_T_TO_CDTIME_T(3600));
  ck_assert_int_eq(glue_read_once(), 0);
  assert_gauge("docker", "homelab_available", "", 0);
  ck_assert_uint_eq(mock_log_count(LOG_ERR, NULL), 0); /* said once */
}
END_TEST

/* ---- a fake Docker Engine ------------------------------------------------ */

/* Answers every connection on a unix socket with one canned HTTP response
 * (glue_ports/containers.json), like GET /containers/json would. */
static struct {
  bool running;
  int fd;
  pthread_t tid;
  char path[108];
  struct hl_buf body;
} engine;

static void send_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0)
      return;
    p += w;
    n -= (size_t)w;
  }
}

static void *engine_main(void *arg) {
  (void)arg;
  for (;;) {
    int c = accept(engine.fd, NULL, NULL);
    if (c < 0)
      return NULL; /* shut down */
    char req[4096];
    size_t got = 0;
    while (got < sizeof(req) - 1) { /* up to the end of the headers */
      ssize_t r = recv(c, req + got, sizeof(req) - 1 - got, 0);
      if (r <= 0)
        break;
      got += (size_t)r;
      req[got] = '\0';
      if (strstr(req, "\r\n\r\n") != NULL)
        break;
    }
    char head[256];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                     engine.body.len);
    send_all(c, head, (size_t)n);
    send_all(c, engine.body.data, engine.body.len);
    close(c);
  }
}

/* (Re)starts the fake engine; a restart keeps the socket path. */
static void engine_listen(bool again) {
  char body[PATH_MAX];
  glue_read_file(glue_fx_path(body, sizeof(body), "glue_ports/containers.json"),
                 &engine.body, GLUE_FILE_MAX);
  if (!again)
    glue_mk_tmpdir(out_root, sizeof(out_root));
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  int n =
      snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/docker.sock", out_root);
  ck_assert(n > 0 && (size_t)n < sizeof(sa.sun_path));
  memcpy(engine.path, sa.sun_path, sizeof(engine.path));
  unlink(engine.path);
  engine.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ck_assert(engine.fd >= 0);
  ck_assert_int_eq(bind(engine.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
  ck_assert_int_eq(listen(engine.fd, 8), 0);
  ck_assert_int_eq(pthread_create(&engine.tid, NULL, engine_main, NULL), 0);
  engine.running = true;
}

static void engine_start(void) { engine_listen(false); }

static void engine_stop(void) {
  if (!engine.running)
    return;
  shutdown(engine.fd, SHUT_RDWR); /* accept() returns */
  pthread_join(engine.tid, NULL);
  close(engine.fd);
  hl_buf_free(&engine.body);
  engine.running = false;
}

START_TEST(test_docker_containers) {
  /* web publishes 0.0.0.0:40000->80/tcp (the socket without a visible
   * owner), dns publishes 0.0.0.0:5300->53/udp with no host socket. */
  engine_start();
  char text[512];
  snprintf(text, sizeof(text),
           "ProcRoot \"@proc\"\nDockerSocket \"%s\"\n" QUIET
           "AllowPort \"any\" 22\nAllowPort \"any\" 53\n"
           "AllowRange \"tcp\" 5000 9000\nReportFile \"@out/p.json\"\n",
           engine.path);
  configure_ok(text);
  ck_assert_int_eq(glue_read_once(), 0);
  assert_gauge("docker", "homelab_available", "", 1);
  assert_gauge("listeners", "count", "published_only", 1);
  assert_gauge("listeners", "count", "udp_ipv4", 1); /* not the published */
  assert_gauge("listeners", "count", "distinct_ports", 5);
  assert_gauge("policy", "count", "unexpected", 2);
  size_t i = notif_one(NOTIF_WARNING, "tcp-40000", "unexpected");
  ck_assert_str_eq(mock_notification(i)->message,
                   "Host mockhost: tcp 0.0.0.0:40000 (unknown process, "
                   "container web) is not allowed by the port policy");
  assert_meta(i, "container", "web");
  i = notif_one(NOTIF_WARNING, "udp-5300", "unexpected");
  ck_assert_str_eq(mock_notification(i)->message,
                   "Host mockhost: udp 0.0.0.0:5300 (published, no host "
                   "socket, container dns) is not allowed by the port policy");
  assert_meta(i, "container", "dns");
  char jpath[PATH_MAX];
  yajl_val root =
      json_load(glue_path_join(jpath, sizeof(jpath), out_root, "p.json"));
  yajl_val e = json_port(root, "tcp", "0.0.0.0", 40000);
  ck_assert_ptr_nonnull(e);
  assert_jstr(e, "docker_container_name", "web");
  assert_jstr(e, "docker_image", "nginx:1.25");
  assert_jstr(e, "docker_port_spec", "0.0.0.0:40000->80/tcp");
  yajl_tree_free(root);
  glue_assert_clean_log();
  ck_assert_int_eq(glue_read_once(), 0);
  ck_assert_uint_eq(mock_count_notifications(), 0);
}
END_TEST

/* A Docker outage (engine stopped or restarted) is not a change of the port
 * policy findings: the published-only port keeps its finding and counts
 * while the API does not answer, and nothing is notified when it is back
 * (found by tests/integration/test_faults.sh: an OKAY "is closed" and the
 * WARNING again per dockerd restart). */
START_TEST(test_docker_outage_keeps_findings) {
  engine_start();
  char text[512];
  snprintf(text, sizeof(text),
           "ProcRoot \"@proc\"\nDockerSocket \"%s\"\n" QUIET
           "AllowPort \"any\" 22\nAllowPort \"any\" 53\n"
           "AllowRange \"tcp\" 5000 9000\n",
           engine.path);
  configure_ok(text);
  ck_assert_int_eq(glue_read_once(), 0);
  notif_one(NOTIF_WARNING, "udp-5300", "unexpected");
  mock_clear_records();
  engine_stop(); /* the socket file stays: connections are refused */
  ck_assert_int_eq(glue_read_once(), 0);
  assert_gauge("docker", "homelab_available", "", 0);
  ck_assert_uint_eq(mock_count_notifications(), 0);
  assert_gauge("listeners", "count", "published_only", 1);
  assert_gauge("policy", "count", "unexpected", 2);
  ck_assert_int_eq(glue_read_once(), 0);
  ck_assert_uint_eq(mock_count_notifications(), 0);
  mock_clear_records();
  engine_listen(true);
  ck_assert_int_eq(glue_read_once(), 0);
  assert_gauge("docker", "homelab_available", "", 1);
  ck_assert_uint_eq(mock_count_notifications(), 0);
  assert_gauge("listeners", "count", "published_only", 1);
}
END_TEST

/* ---- known plugin bugs --------------------------------------------------- */

/* Regression tests for bugs these glue tests found in homelab_ports.c. */

START_TEST(test_bug_reuseport_twins) {
  /* Two SO_REUSEPORT sockets on udp 127.0.0.1:8009 share one finding state:
   * one WARNING while any is open, none when one of them closes, one OKAY
   * when the last closes. */
  tmp_copy();
  tmp_put("net/udp", "udp.reuseport_twins");
  configure_ok(TMP QUIET "AllowPort \"udp\" 53\nAllowPort \"tcp\" 1 \n");
  ck_assert_int_eq(glue_read_once(), 0);
  notif_one(NOTIF_WARNING, "udp-8009", "unexpected");
  tmp_put("net/udp", "udp.reuseport_one");
  ck_assert_int_eq(glue_read_once(), 0);
  ck_assert_uint_eq(glue_notif_count(0, "udp-8009", NULL, NULL), 0);
  tmp_restore("net/udp");
  ck_assert_int_eq(glue_read_once(), 0);
  size_t i = notif_one(NOTIF_OKAY, "udp-8009", "unexpected");
  ck_assert_ptr_nonnull(strstr(mock_notification(i)->message, "is closed"));
}
END_TEST

START_TEST(test_bug_cleared_is_closed) {
  /* A finding that clears while the listener stays open is announced as
   * "is closed": ports_findings_update() only keeps flagged records, so the
   * old entry finds no record (rec NULL) in ports_notify_diff(). */
  tmp_copy();
  configure_ok(TMP);
  ck_assert_int_eq(glue_read_once(), 0);
  tmp_put("sys/net/ipv4/ip_local_port_range", "ip_local_port_range.50000");
  ck_assert_int_eq(glue_read_once(), 0);
  size_t i = notif_one(NOTIF_OKAY, "tcp-40000", "ephemeral");
  ck_assert_str_eq(mock_notification(i)->message,
                   "Host mockhost: tcp 0.0.0.0:40000 is no longer flagged as "
                   "such");
}
END_TEST

START_TEST(test_bug_owner_found_later_is_closed) {
  /* The same through the owner: tcp 40000 has no visible owner (so
   * AllowProcess cannot allow it) until its process shows up; it is still
   * listening, not closed. */
  tmp_copy();
  configure_ok(TMP QUIET "RetryEvery 1\nAllowProcess \"sshd\"\n"
                         "AllowProcess \"postgres\"\nAllowProcess \"caddy\"\n"
                         "AllowProcess \"dnsmasq\"\n");
  ck_assert_int_eq(glue_read_once(), 0);
  notif_one(NOTIF_WARNING, "tcp-40000", "unexpected");
  tmp_fd(400, 13, 21003); /* caddy holds it after all */
  ck_assert_int_eq(glue_read_once(), 0);
  size_t i = notif_one(NOTIF_OKAY, "tcp-40000", "unexpected");
  ck_assert_ptr_null(strstr(mock_notification(i)->message, "is closed"));
  assert_meta(i, "process", "caddy");
}
END_TEST

START_TEST(test_bug_listing_message) {
  /* "listing sockets failed: listing sockets: No such file or directory":
   * hl_ports_collect()'s err already starts with "listing sockets: ", and
   * the proc root is not named. */
  tmp_copy();
  configure_ok(TMP);
  for (size_t k = 0; k < 4; k++)
    tmp_rm(net_files[k]);
  ck_assert_int_ne(glue_read_once(), 0);
  ck_assert_uint_eq(mock_log_count(LOG_ERR, "failed: listing sockets:"), 0);
  ck_assert_uint_eq(mock_log_count(LOG_ERR, tmp_root), 1);
}
END_TEST

static const char *const bug_bad_configs[] = {
    /* ports_cf_unsigned() truncates: RetryEvery 2.5 becomes 2. */
    "RetryEvery 2.5",
    "ReportEvery 1.5",
    /* ports_config_policy() takes an Address child in any policy block:
     * this is read as AllowRange tcp 8000 8099. */
    "<AllowRange \"tcp\" 8000>\n Address \"8099\"\n</AllowRange>",
    "<AllowProcess>\n Address \"sshd\"\n</AllowProcess>",
    /* The same watch twice dispatches the same identifier twice per read
     * (the daemon's cache rejects the second: "Value too old"). */
    "Port \"tcp\" 22\nPort \"tcp\" 22",
    "Port \"tcp\" 8443 \"::1\"\nPort \"tcp\" 8443 \"0:0::1\"",
};

START_TEST(test_bug_accepted_config) {
  char text[512];
  snprintf(text, sizeof(text), FX "%s\n", bug_bad_configs[_i]);
  config_text(text);
  ck_assert_msg(mock_init_all() != 0, "accepted: %s", bug_bad_configs[_i]);
  ck_assert_uint_eq(mock_read_count(), 0);
}
END_TEST

/* ---- suite --------------------------------------------------------------- */

static Suite *homelab_ports_suite(void) {
  Suite *s = suite_create("homelab_ports");
  TCase *tc = tcase_create("config");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_loop_test(tc, test_defaults_real_proc, 0, 2);
  tcase_add_test(tc, test_own_listeners_real_proc);
  tcase_add_test(tc, test_options_applied);
  tcase_add_loop_test(tc, test_docker_switch, 0, NCASES(docker_cases));
  tcase_add_loop_test(tc, test_bad_config, 0, NCASES(bad_cases));
  tcase_add_test(tc, test_two_blocks_rejected);
  tcase_set_timeout(tc, 60); /* valgrind on a real /proc */
  suite_add_tcase(s, tc);

  tc = tcase_create("counts");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_fixture_counts);
  tcase_add_test(tc, test_distinct_ports);
  tcase_add_test(tc, test_v6_files_missing);
  tcase_add_test(tc, test_processes_off);
  suite_add_tcase(s, tc);

  tc = tcase_create("watch");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_loop_test(tc, test_watch, 0, NCASES(watch_cases));
  tcase_add_test(tc, test_watch_comes_and_goes);
  tcase_add_test(tc, test_watch_address_appears);
  suite_add_tcase(s, tc);

  tc = tcase_create("policy");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_loop_test(tc, test_findings, 0, NCASES(finding_cases));
  tcase_add_test(tc, test_unexpected_text_and_meta);
  tcase_add_test(tc, test_listener_closes);
  tcase_add_test(tc, test_finding_clears);
  tcase_add_test(tc, test_wildcard_text);
  suite_add_tcase(s, tc);

  tc = tcase_create("report");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_report_files);
  tcase_add_loop_test(tc, test_report_every, 0, NCASES(every_cases));
  tcase_add_test(tc, test_report_dir_gone);
  suite_add_tcase(s, tc);

  tc = tcase_create("failures");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_loop_test(tc, test_net_files_vanish, 0, NCASES(vanish_cases));
  tcase_add_test(tc, test_proc_root_gone);
  tcase_add_test(tc, test_docker_unavailable);
  tcase_add_test(tc, test_docker_containers);
  tcase_add_test(tc, test_docker_outage_keeps_findings);
  tcase_set_timeout(tc, 30);
  suite_add_tcase(s, tc);

  tc = tcase_create("fixed_bugs");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_bug_cleared_is_closed);
  tcase_add_test(tc, test_bug_reuseport_twins);
  tcase_add_test(tc, test_bug_owner_found_later_is_closed);
  tcase_add_test(tc, test_bug_listing_message);
  tcase_add_loop_test(tc, test_bug_accepted_config, 0, NCASES(bug_bad_configs));
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  return glue_main("check_homelab_ports", NULL, "hl_gports",
                   homelab_ports_suite, NULL);
}
