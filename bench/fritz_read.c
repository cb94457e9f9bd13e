// SPDX-License-Identifier: MIT
/*
 * fritz_read: one FRITZ!Box's full TR-064/IGD read over the plugin's client
 * stack (shared/hl_http + shared/hl_tr064), for bench/fritz.sh while
 * plugins/homelab_fritz.c does not exist yet. One struct hl_http (one
 * persistent libcurl easy handle, digest auth) serves the whole box, as the
 * issue asks of the plugin.
 *
 *   fritz_read -b http://127.0.0.1:PORT -u USER -p PASSWORD_FILE
 *              [-n READS] [-o PLAN_FILE]
 *
 * Discovery (what the plugin does at start): GET tr64desc.xml and
 * igddesc.xml, then every distinct SCPD of the services used, so actions the
 * box lacks are skipped. Then READS reads; each read calls, where the box
 * has them:
 *   DeviceInfo:1 GetInfo; WANCommonInterfaceConfig:1 GetCommonLinkProperties;
 *   WANPPPConnection:1 (or WANIPConnection:1) GetInfo/GetStatusInfo and
 *   GetExternalIPAddress; WANDSLInterfaceConfig:1 GetInfo and
 *   GetStatisticsTotal; Hosts:1 GetHostNumberOfEntries and
 *   X_AVM-DE_GetHostListPath + GET of that list; WLANConfiguration:1..3
 *   GetTotalAssociations; IGD WANCommonInterfaceConfig:1 GetAddonInfos
 * and parses every answer into the hl_tr064 structs.
 *
 * Output, one key=value line each: "discovery ...", "read i=N ..." per read
 * (wall_us, cpu_us = CLOCK_PROCESS_CPUTIME_ID, requests and connects =
 * hl_http_stats() deltas, exchanges, ok, failed) and "values ..." from the
 * last read. -o writes the action list of one read for the naive client,
 * one line each: "tr64|igd CONTROL_URL SERVICE_TYPE ACTION" or
 * "hostlist CONTROL_URL SERVICE_TYPE ACTION" (GET the returned path next).
 * Exit 0 when every read answered every exchange, 1 otherwise, 2 on usage.
 */
#include "hl_http.h"
#include "hl_str.h"
#include "hl_tr064.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TR64 "urn:dslforum-org:service:"
#define IGD "urn:schemas-upnp-org:service:"
#define CTYPE "text/xml; charset=\"utf-8\""

enum area {
  A_DEV,
  A_COMMON,
  A_CONN,
  A_DSL,
  A_DSLSTATS,
  A_HOSTS,
  A_HOSTLIST,
  A_WLAN
};

struct step {
  int igd; /* 1: from igddesc.xml (no auth needed) */
  const char *stype;
  const char *action;
  enum area area;
};

static const struct step plan_all[] = {
    {0, TR64 "DeviceInfo:1", "GetInfo", A_DEV},
    {0, TR64 "WANCommonInterfaceConfig:1", "GetCommonLinkProperties", A_COMMON},
    {0, TR64 "WANPPPConnection:1", "GetInfo", A_CONN},
    {0, TR64 "WANPPPConnection:1", "GetExternalIPAddress", A_CONN},
    {0, TR64 "WANDSLInterfaceConfig:1", "GetInfo", A_DSL},
    {0, TR64 "WANDSLInterfaceConfig:1", "GetStatisticsTotal", A_DSLSTATS},
    {0, TR64 "Hosts:1", "GetHostNumberOfEntries", A_HOSTS},
    {0, TR64 "Hosts:1", "X_AVM-DE_GetHostListPath", A_HOSTLIST},
    {0, TR64 "WLANConfiguration:1", "GetTotalAssociations", A_WLAN},
    {0, TR64 "WLANConfiguration:2", "GetTotalAssociations", A_WLAN},
    {0, TR64 "WLANConfiguration:3", "GetTotalAssociations", A_WLAN},
    {1, IGD "WANCommonInterfaceConfig:1", "GetAddonInfos", A_COMMON},
};
#define NSTEPS (sizeof(plan_all) / sizeof(plan_all[0]))

struct values {
  struct hl_tr064_device_info dev;
  struct hl_tr064_wan_common common;
  struct hl_tr064_wan_conn conn;
  struct hl_tr064_dsl_info dsl;
  struct hl_tr064_dsl_stats dsls;
  struct hl_tr064_hosts hosts;
  struct hl_tr064_wlan wlan;
};

struct counts {
  unsigned exchanges, ok, failed;
};

static int64_t now_us(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int fetch(struct hl_http *h, const char *path, struct hl_buf *out,
                 struct counts *c) {
  struct hl_http_resp r;
  c->exchanges++;
  int rc = hl_http_get(h, path, &r);
  if (rc == 0 && r.status == 200) {
    hl_buf_reset(out);
    rc = r.body.len ? hl_buf_append(out, r.body.data, r.body.len) : 0;
  } else {
    fprintf(stderr, "fritz_read: GET failed: %s\n", r.error);
    rc = rc ? rc : -EPROTO;
  }
  hl_http_resp_free(&r);
  if (rc == 0)
    c->ok++;
  else
    c->failed++;
  return rc;
}

/* Resolved steps of one read. */
struct rstep {
  const struct step *s;
  const char *control_url;
};

static size_t resolve(const struct hl_tr064_desc *tr,
                      const struct hl_tr064_desc *igd, struct rstep *out) {
  size_t n = 0;
  for (size_t i = 0; i < NSTEPS; i++) {
    const struct step *s = &plan_all[i];
    const struct hl_tr064_service *svc =
        hl_tr064_desc_find(s->igd ? igd : tr, s->stype);
    /* PPP boxes: WANPPPConnection; others: WANIPConnection GetStatusInfo. */
    if (!svc && s->area == A_CONN)
      continue;
    if (!hl_tr064_service_has_action(svc, s->action))
      continue;
    out[n].s = s;
    out[n].control_url = svc->control_url;
    n++;
  }
  return n;
}

static int discover(struct hl_http *h, struct hl_tr064_desc *tr,
                    struct hl_tr064_desc *igd, struct counts *c) {
  struct hl_buf b;
  hl_buf_init(&b, HL_TR064_MAX_BODY);
  int rc = fetch(h, "/tr64desc.xml", &b, c);
  if (rc == 0)
    rc = hl_tr064_parse_desc(b.data, b.len, tr);
  if (rc == 0 && fetch(h, "/igddesc.xml", &b, c) == 0 &&
      hl_tr064_parse_desc(b.data, b.len, igd) != 0)
    hl_tr064_desc_free(igd); /* a box without IGD: TR-064 only */
  if (rc != 0) {
    hl_buf_free(&b);
    return rc;
  }
  /* SCPDs of the services in the plan; a file shared by several services
   * (WLANConfiguration:1..3) is fetched once and parsed for each. */
  const char *done[NSTEPS];
  struct hl_buf bodies[NSTEPS];
  size_t ndone = 0;
  for (size_t i = 0; i < NSTEPS; i++) {
    const struct step *s = &plan_all[i];
    struct hl_tr064_service *svc =
        (struct hl_tr064_service *)hl_tr064_desc_find(s->igd ? igd : tr,
                                                      s->stype);
    if (!svc || !svc->scpd_url[0] || svc->have_actions)
      continue;
    size_t k = 0;
    while (k < ndone && strcmp(done[k], svc->scpd_url) != 0)
      k++;
    if (k == ndone) {
      done[k] = svc->scpd_url;
      hl_buf_init(&bodies[k], HL_TR064_MAX_BODY);
      ndone++;
      if (fetch(h, svc->scpd_url, &bodies[k], c) != 0)
        continue;
    }
    if (bodies[k].len)
      (void)hl_tr064_parse_scpd(bodies[k].data, bodies[k].len, svc, NULL, 0);
  }
  for (size_t k = 0; k < ndone; k++)
    hl_buf_free(&bodies[k]);
  hl_buf_free(&b);
  return 0;
}

static int call(struct hl_http *h, const struct rstep *st, struct hl_buf *env,
                struct values *v, struct counts *c) {
  char sa[256];
  struct hl_http_resp r;
  struct hl_tr064_response resp = {0};
  hl_buf_reset(env);
  c->exchanges++;
  int rc = hl_tr064_envelope(st->s->stype, st->s->action, NULL, 0, env);
  if (rc == 0)
    rc = hl_tr064_soapaction(st->s->stype, st->s->action, sa, sizeof(sa));
  if (rc != 0) {
    c->failed++;
    return rc;
  }
  rc = hl_http_post(h, st->control_url, CTYPE, sa, env->data, env->len, &r);
  if (rc == 0)
    rc = hl_tr064_parse_response(r.body.data, r.body.len, st->s->action, &resp);
  if (rc != 0)
    fprintf(stderr, "fritz_read: %s#%s: %d %s %s\n", st->s->stype,
            st->s->action, rc, r.error, resp.error);
  if (rc == 0) {
    switch (st->s->area) {
    case A_DEV:
      hl_tr064_device_info_from(&resp, &v->dev);
      break;
    case A_COMMON:
      hl_tr064_wan_common_from(&resp, &v->common);
      break;
    case A_CONN:
      hl_tr064_wan_conn_from(&resp, &v->conn);
      break;
    case A_DSL:
      hl_tr064_dsl_info_from(&resp, &v->dsl);
      break;
    case A_DSLSTATS:
      hl_tr064_dsl_stats_from(&resp, &v->dsls);
      break;
    case A_HOSTS:
      hl_tr064_hosts_from(&resp, &v->hosts);
      break;
    case A_WLAN:
      (void)hl_tr064_wlan_from(&resp, hl_tr064_wlan_index(st->s->stype),
                               &v->wlan);
      break;
    case A_HOSTLIST: {
      char path[512];
      rc = hl_tr064_host_list_path(&resp, path, sizeof(path));
      struct hl_buf lb;
      hl_buf_init(&lb, HL_TR064_MAX_BODY);
      if (rc == 0 && (rc = fetch(h, path, &lb, c)) == 0)
        rc = hl_tr064_parse_host_list(lb.data, lb.len, &v->hosts, NULL, 0);
      hl_buf_free(&lb);
      break;
    }
    }
  }
  hl_tr064_response_free(&resp);
  hl_http_resp_free(&r);
  if (rc == 0)
    c->ok++;
  else
    c->failed++;
  return rc;
}

static int usage(void) {
  fprintf(stderr, "usage: fritz_read -b BASE_URL -u USER -p PASSWORD_FILE "
                  "[-n READS] [-o PLAN_FILE]\n");
  return 2;
}

int main(int argc, char **argv) {
  const char *base = NULL, *user = NULL, *pwfile = NULL, *planfile = NULL;
  uint64_t reads = 1;
  int opt;
  while ((opt = getopt(argc, argv, "b:u:p:n:o:")) != -1) {
    switch (opt) {
    case 'b':
      base = optarg;
      break;
    case 'u':
      user = optarg;
      break;
    case 'p':
      pwfile = optarg;
      break;
    case 'o':
      planfile = optarg;
      break;
    case 'n':
      if (hl_str_to_u64(optarg, 1, 10000, &reads) < 0)
        return usage();
      break;
    default:
      return usage();
    }
  }
  if (!base || !user || !pwfile || optind != argc)
    return usage();

  struct hl_buf pw;
  hl_buf_init(&pw, 4096);
  if (hl_buf_read_file(&pw, pwfile) < 0 || !pw.data) {
    fprintf(stderr, "fritz_read: cannot read the password file\n");
    return 2;
  }
  pw.data[strcspn(pw.data, "\r\n")] = '\0';

  char err[256] = "";
  struct hl_http *h = NULL;
  struct hl_http_opts o = {.base_url = base,
                           .timeout_ms = 5000,
                           .auth = HL_HTTP_AUTH_DIGEST,
                           .username = user,
                           .password = pw.data};
  int rc = hl_http_new(&o, &h, err, sizeof(err));
  memset(pw.data, 0, pw.len);
  hl_buf_free(&pw);
  if (rc < 0) {
    fprintf(stderr, "fritz_read: %s\n", err);
    return 2;
  }

  struct hl_tr064_desc tr = {0}, igd = {0};
  struct counts c = {0};
  struct hl_http_stats s0, s1;
  int64_t w0 = now_us(CLOCK_MONOTONIC), c0 = now_us(CLOCK_PROCESS_CPUTIME_ID);
  rc = discover(h, &tr, &igd, &c);
  hl_http_stats(h, &s1);
  printf("discovery wall_us=%" PRId64 " cpu_us=%" PRId64 " requests=%" PRIu64
         " connects=%" PRIu64
         " exchanges=%u ok=%u failed=%u services=%zu+%zu\n",
         now_us(CLOCK_MONOTONIC) - w0, now_us(CLOCK_PROCESS_CPUTIME_ID) - c0,
         s1.requests, s1.connects, c.exchanges, c.ok, c.failed, tr.nservices,
         igd.nservices);
  if (rc != 0) {
    hl_http_free(h);
    return 1;
  }

  struct rstep steps[NSTEPS];
  size_t nsteps = resolve(&tr, &igd, steps);
  if (planfile) {
    FILE *f = fopen(planfile, "w");
    if (!f) {
      perror(planfile);
      return 2;
    }
    for (size_t i = 0; i < nsteps; i++)
      fprintf(f, "%s %s %s %s\n",
              steps[i].s->area == A_HOSTLIST
                  ? "hostlist"
                  : (steps[i].s->igd ? "igd" : "tr64"),
              steps[i].control_url, steps[i].s->stype, steps[i].s->action);
    if (fclose(f) != 0) {
      perror(planfile);
      return 2;
    }
  }

  struct hl_buf env;
  hl_buf_init(&env, 64 * 1024);
  struct values v = {0};
  int bad = 0;
  for (uint64_t i = 1; i <= reads; i++) {
    memset(&v, 0, sizeof(v));
    c = (struct counts){0};
    s0 = s1;
    w0 = now_us(CLOCK_MONOTONIC);
    c0 = now_us(CLOCK_PROCESS_CPUTIME_ID);
    for (size_t k = 0; k < nsteps; k++)
      (void)call(h, &steps[k], &env, &v, &c);
    int64_t w = now_us(CLOCK_MONOTONIC) - w0;
    int64_t cpu = now_us(CLOCK_PROCESS_CPUTIME_ID) - c0;
    hl_http_stats(h, &s1);
    printf("read i=%" PRIu64 " wall_us=%" PRId64 " cpu_us=%" PRId64
           " requests=%" PRIu64 " connects=%" PRIu64
           " exchanges=%u ok=%u failed=%u\n",
           i, w, cpu, s1.requests - s0.requests, s1.connects - s0.connects,
           c.exchanges, c.ok, c.failed);
    bad |= c.failed != 0;
  }
  printf("values model=\"%s\" software=%s access=%s link_up=%d connected=%d "
         "uptime=%" PRIu32 " dsl_down_bps=%" PRIu64 " dsl_down_margin_db=%.1f "
         "crc=%" PRIu32 " hosts=%" PRIu32 "/%" PRIu32 " wlan=%" PRIu32
         ",%" PRIu32 ",%" PRIu32 " recv64=%" PRIu64 "\n",
         v.dev.model, v.dev.software, v.common.access_type, v.common.link_up,
         v.conn.connected, v.conn.uptime, v.dsl.down_curr_bps,
         v.dsl.down_margin_db, v.dsls.crc, v.hosts.active, v.hosts.known,
         v.wlan.assoc[0], v.wlan.assoc[1], v.wlan.assoc[2], v.common.recv64);
  hl_buf_free(&env);
  hl_tr064_desc_free(&tr);
  hl_tr064_desc_free(&igd);
  hl_http_free(h);
  return bad ? 1 : 0;
}
