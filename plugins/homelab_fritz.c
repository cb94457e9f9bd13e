// SPDX-License-Identifier: MIT
/*
 * homelab_fritz: ICMP reachability and latency of routers and hosts (any
 * device), and the TR-064 / UPnP IGD status of FRITZ!Box devices: WAN link
 * and connection, uptimes, rates and byte counters, DSL line values, hosts,
 * WLAN associations, fiber optical levels (../shared/docs/PROTOCOLS.md §2.1).
 *
 * Two kinds of read callbacks:
 *  - "homelab_fritz/ping": one for all ping targets (every <Ping> block and
 *    every box's Host unless "Ping false"). Per read: resolve each name
 *    (hl_icmp_resolve, bounded; the last address is kept when DNS fails) ->
 *    probe all targets concurrently (hl_icmp_run, PingCount echoes spaced
 *    PingSpacing, Timeout) -> submit and notify reachability changes.
 *  - "homelab_fritz/box/<name>": one per <Box>, with its own struct hl_http
 *    (one persistent connection). Per read: fetch (tr64desc.xml/igddesc.xml
 *    and the SCPDs of the services used, on the first read and after
 *    errors; then SOAP calls at the control URLs found there) -> parse
 *    (hl_tr064 accessors into struct fritz_snap) -> submit (one loop over
 *    fritz_metrics) and notify once per change. Actions the box lacks are
 *    skipped (logged once); WANAccessType decides between DSL and fiber
 *    calls; TR-064 calls use digest auth, IGD calls none. An authentication
 *    failure raises one FAILURE and backs off exponentially (hl_http_backoff)
 *    so the box does not lock us out; IGD values are still read meanwhile.
 *
 * Identifiers, plugin "homelab_fritz", plugin_instance = target or box name:
 *   ping targets: homelab_up-reachable, ping-avg, ping-min, ping-max,
 *     ping_stddev, percent-loss, derive-dns_failures
 *   boxes: homelab_up-link, homelab_up-connection, uptime-wan, uptime-box,
 *     homelab_bitrate-max_up/-max_down, homelab_byterate-send/-receive,
 *     if_octets-wan (64-bit IGD counters, else 32-bit TR-064 ones extended
 *     across wraps), DSL: homelab_bitrate-dsl_up/-dsl_down/-dsl_max_up/
 *     -dsl_max_down, homelab_db-noise_margin_up/_down, -attenuation_up/_down,
 *     derive-crc_errors/-fec_errors/-hec_errors/-errored_seconds/
 *     -severely_errored_seconds; count-hosts_known/-hosts_active,
 *     count-wlan_2_4ghz/-wlan_5ghz/-wlan_guest (WLAN services 1/2/3),
 *     fiber: homelab_dbm-optical_rx/-optical_tx.
 *   Box values carry meta data model, software_version, external_ip.
 *
 *   <Plugin homelab_fritz>
 *     <Box "main">
 *       Host "192.168.178.1"
 *       Port 49000                 # default 49000, 49443 with UseTLS
 *       Username "monitor"
 *       PasswordFile "/etc/collectd/fritz-main.pw"  # or Password/PasswordEnv
 *       UseTLS true
 *       CACert "/etc/collectd/fritz.pem"
 *       PinnedPublicKey "sha256//..."
 *       VerifyPeer true
 *       Timeout 2                  # per request (default: plugin Timeout)
 *       Ping true                  # also ping Host (default true)
 *       Interval 30
 *     </Box>
 *     <Ping "nas">
 *       Host "nas.lan"
 *     </Ping>
 *     PingCount 3
 *     PingSpacing 0.2
 *     Timeout 2
 *     Interval 30
 *   </Plugin>
 * Without credentials only the IGD (no-auth) values are read.
 */
#define HL_PLUGIN "homelab_fritz"
#include "hl_plugin.h"

#include "hl_http.h"
#include "hl_icmp.h"
#include "hl_str.h"
#include "hl_tr064.h"

#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FRITZ_MAX 64        /* Box plus Ping blocks */
#define FRITZ_PW_MAX 256    /* password bytes */
#define FRITZ_READ_BUDGET 5 /* a box read may take this many Timeouts */
#define TR64 "urn:dslforum-org:service:"
#define IGD "urn:schemas-upnp-org:service:"

/* A 0/1 state notified once per change (FAILURE when it drops, OKAY when it
 * comes back; a first reading "up" is not news). */
struct fritz_flag {
  bool known;
  bool up;
};

struct fritz_ping_target {
  char name[DATA_MAX_NAME_LEN];
  char *host;
  struct sockaddr_storage addr; /* last address resolved */
  socklen_t addrlen;
  uint64_t dns_failures;
  struct fritz_flag reach;
  c_complain_t c_dns;
  c_complain_t c_send; /* echoes could not be sent (route, firewall) */
};

/* The one ping read callback's data: every target, probed together. */
struct fritz_pinger {
  struct fritz_ping_target *t;
  size_t n;
  unsigned count, spacing_ms, timeout_ms;
  c_complain_t c_icmp;
};

struct fritz_box {
  char ctx[DATA_MAX_NAME_LEN + 40]; /* "homelab_fritz: Box \"name\"" */
  char name[DATA_MAX_NAME_LEN];
  char *host, *username, *password, *ca_cert, *pinned;
  int port;
  bool tls, verify_peer, verify_set, ping;
  double timeout; /* s; NAN = plugin Timeout */
  cdtime_t interval;
  /* state */
  struct hl_http *http;
  struct hl_tr064_desc tr, igd;
  bool have_desc;
  uint32_t skip; /* fritz_calls bits not to ask again */
  struct hl_backoff bo;
  bool auth_bad, verify_warned;
  struct fritz_flag api, link, conn;
  char model[64], software[32], ext_ip[46];
  uint64_t dsl_up, dsl_down; /* rates last seen while the line was up */
  uint32_t retrains;
  bool dsl_known, retrain_known;
  struct hl_tr064_counter32 sent32, recv32;
  meta_data_t *md;
  c_complain_t c_api, c_part, c_auth;
};

/* Set while parsing the config, read-only from init on (targets move to
 * the daemon at init). */
static struct hl_single fritz_single;
static struct fritz_conf {
  unsigned ping_count;
  double ping_spacing, timeout;
  cdtime_t interval;
  struct fritz_box *box[FRITZ_MAX];
  size_t nbox;
  struct fritz_ping_target *ping[FRITZ_MAX];
  size_t nping;
} fritz_cfg;

/* The SOAP calls made, in order; bits of fritz_box.skip. */
enum fritz_call_id {
  FC_DEVINFO,
  FC_IGD_LINK,
  FC_TR_LINK,
  FC_IGD_ADDON,
  FC_TR_SENT,
  FC_TR_RECV,
  FC_IGD_STATUS,
  FC_IGD_EXTIP,
  FC_PPP_STATUS,
  FC_PPP_EXTIP,
  FC_IP_STATUS,
  FC_IP_EXTIP,
  FC_DSL_INFO,
  FC_DSL_STATS,
  FC_FIBER,
  FC_HOSTS_PATH,
  FC_HOSTS_NUM,
  FC_WLAN1,
  FC_WLAN2,
  FC_WLAN3,
  FC_N
};

static const struct fritz_call {
  bool igd;
  const char *stype, *action;
} fritz_calls[FC_N] = {
    [FC_DEVINFO] = {false, TR64 "DeviceInfo:1", "GetInfo"},
    [FC_IGD_LINK] = {true, IGD "WANCommonInterfaceConfig:1",
                     "GetCommonLinkProperties"},
    [FC_TR_LINK] = {false, TR64 "WANCommonInterfaceConfig:1",
                    "GetCommonLinkProperties"},
    [FC_IGD_ADDON] = {true, IGD "WANCommonInterfaceConfig:1", "GetAddonInfos"},
    [FC_TR_SENT] = {false, TR64 "WANCommonInterfaceConfig:1",
                    "GetTotalBytesSent"},
    [FC_TR_RECV] = {false, TR64 "WANCommonInterfaceConfig:1",
                    "GetTotalBytesReceived"},
    [FC_IGD_STATUS] = {true, IGD "WANIPConnection:1", "GetStatusInfo"},
    [FC_IGD_EXTIP] = {true, IGD "WANIPConnection:1", "GetExternalIPAddress"},
    [FC_PPP_STATUS] = {false, TR64 "WANPPPConnection:1", "GetStatusInfo"},
    [FC_PPP_EXTIP] = {false, TR64 "WANPPPConnection:1", "GetExternalIPAddress"},
    [FC_IP_STATUS] = {false, TR64 "WANIPConnection:1", "GetStatusInfo"},
    [FC_IP_EXTIP] = {false, TR64 "WANIPConnection:1", "GetExternalIPAddress"},
    [FC_DSL_INFO] = {false, TR64 "WANDSLInterfaceConfig:1", "GetInfo"},
    [FC_DSL_STATS] = {false, TR64 "WANDSLInterfaceConfig:1",
                      "GetStatisticsTotal"},
    [FC_FIBER] = {false, TR64 "X_AVM-DE_WANFiber:1", "GetInfo"},
    [FC_HOSTS_PATH] = {false, TR64 "Hosts:1", "X_AVM-DE_GetHostListPath"},
    [FC_HOSTS_NUM] = {false, TR64 "Hosts:1", "GetHostNumberOfEntries"},
    [FC_WLAN1] = {false, TR64 "WLANConfiguration:1", "GetTotalAssociations"},
    [FC_WLAN2] = {false, TR64 "WLANConfiguration:2", "GetTotalAssociations"},
    [FC_WLAN3] = {false, TR64 "WLANConfiguration:3", "GetTotalAssociations"},
};

/* What one box read learned. */
struct fritz_snap {
  struct hl_tr064_device_info dev;
  struct hl_tr064_wan_common wan;
  struct hl_tr064_wan_conn conn;
  struct hl_tr064_dsl_info dsl;
  struct hl_tr064_dsl_stats dsls;
  struct hl_tr064_hosts hosts;
  struct hl_tr064_wlan wlan;
  uint32_t fiber_have; /* bit 0 rx, bit 1 tx */
  double optical_rx, optical_tx;
  bool have_octets;
  uint64_t octets_rx, octets_tx;
};

enum fritz_kind { FK_BOOL, FK_U32, FK_U64, FK_DBL, FK_D32 };

#define FS(area, field)                                                        \
  offsetof(struct fritz_snap, area.have), offsetof(struct fritz_snap, field)

static const struct fritz_metric {
  const char *type, *ti;
  size_t have, off;
  uint32_t bit;
  enum fritz_kind kind;
} fritz_metrics[] = {
    {"homelab_up", "link", FS(wan, wan.link_up), HL_TR064_WAN_LINK, FK_BOOL},
    {"homelab_up", "connection", FS(conn, conn.connected), HL_TR064_CONN_STATUS,
     FK_BOOL},
    {"uptime", "wan", FS(conn, conn.uptime), HL_TR064_CONN_UPTIME, FK_U32},
    {"uptime", "box", FS(dev, dev.uptime), HL_TR064_DEV_UPTIME, FK_U32},
    {"homelab_bitrate", "max_up", FS(wan, wan.up_max_bps), HL_TR064_WAN_UP_MAX,
     FK_U64},
    {"homelab_bitrate", "max_down", FS(wan, wan.down_max_bps),
     HL_TR064_WAN_DOWN_MAX, FK_U64},
    {"homelab_byterate", "send", FS(wan, wan.send_rate), HL_TR064_WAN_SEND_RATE,
     FK_U64},
    {"homelab_byterate", "receive", FS(wan, wan.recv_rate),
     HL_TR064_WAN_RECV_RATE, FK_U64},
    {"homelab_bitrate", "dsl_up", FS(dsl, dsl.up_curr_bps),
     HL_TR064_DSL_UP_CURR, FK_U64},
    {"homelab_bitrate", "dsl_down", FS(dsl, dsl.down_curr_bps),
     HL_TR064_DSL_DOWN_CURR, FK_U64},
    {"homelab_bitrate", "dsl_max_up", FS(dsl, dsl.up_max_bps),
     HL_TR064_DSL_UP_MAX, FK_U64},
    {"homelab_bitrate", "dsl_max_down", FS(dsl, dsl.down_max_bps),
     HL_TR064_DSL_DOWN_MAX, FK_U64},
    {"homelab_db", "noise_margin_up", FS(dsl, dsl.up_margin_db),
     HL_TR064_DSL_UP_MARGIN, FK_DBL},
    {"homelab_db", "noise_margin_down", FS(dsl, dsl.down_margin_db),
     HL_TR064_DSL_DOWN_MARGIN, FK_DBL},
    {"homelab_db", "attenuation_up", FS(dsl, dsl.up_atten_db),
     HL_TR064_DSL_UP_ATTEN, FK_DBL},
    {"homelab_db", "attenuation_down", FS(dsl, dsl.down_atten_db),
     HL_TR064_DSL_DOWN_ATTEN, FK_DBL},
    {"derive", "crc_errors", FS(dsls, dsls.crc), HL_TR064_DSLS_CRC, FK_D32},
    {"derive", "fec_errors", FS(dsls, dsls.fec), HL_TR064_DSLS_FEC, FK_D32},
    {"derive", "hec_errors", FS(dsls, dsls.hec), HL_TR064_DSLS_HEC, FK_D32},
    {"derive", "errored_seconds", FS(dsls, dsls.errored_secs), HL_TR064_DSLS_ES,
     FK_D32},
    {"derive", "severely_errored_seconds", FS(dsls, dsls.severely_errored_secs),
     HL_TR064_DSLS_SES, FK_D32},
    {"count", "hosts_known", FS(hosts, hosts.known), HL_TR064_HOSTS_KNOWN,
     FK_U32},
    {"count", "hosts_active", FS(hosts, hosts.active), HL_TR064_HOSTS_ACTIVE,
     FK_U32},
    {"count", "wlan_2_4ghz", FS(wlan, wlan.assoc[0]), 1u << 0, FK_U32},
    {"count", "wlan_5ghz", FS(wlan, wlan.assoc[1]), 1u << 1, FK_U32},
    {"count", "wlan_guest", FS(wlan, wlan.assoc[2]), 1u << 2, FK_U32},
    {"homelab_dbm", "optical_rx", offsetof(struct fritz_snap, fiber_have),
     offsetof(struct fritz_snap, optical_rx), 1u << 0, FK_DBL},
    {"homelab_dbm", "optical_tx", offsetof(struct fritz_snap, fiber_have),
     offsetof(struct fritz_snap, optical_tx), 1u << 1, FK_DBL},
};

static void fritz_box_free(void *arg) {
  struct fritz_box *b = arg;
  if (b == NULL)
    return;
  sfree(b->host);
  sfree(b->username);
  hl_secret_free(&b->password);
  sfree(b->ca_cert);
  sfree(b->pinned);
  hl_http_free(b->http);
  hl_tr064_desc_free(&b->tr);
  hl_tr064_desc_free(&b->igd);
  if (b->md != NULL)
    meta_data_destroy(b->md);
  sfree(b);
}

static void fritz_ping_target_free(struct fritz_ping_target *t) {
  if (t != NULL)
    sfree(t->host);
  sfree(t);
}

static void fritz_pinger_free(void *arg) {
  struct fritz_pinger *p = arg;
  if (p == NULL)
    return;
  for (size_t i = 0; i < p->n; i++)
    sfree(p->t[i].host);
  sfree(p->t);
  sfree(p);
}

/* Drops what config parsed but init did not hand to the daemon. */
static void fritz_cfg_clear(void) {
  for (size_t i = 0; i < fritz_cfg.nbox; i++)
    fritz_box_free(fritz_cfg.box[i]);
  for (size_t i = 0; i < fritz_cfg.nping; i++)
    fritz_ping_target_free(fritz_cfg.ping[i]);
  fritz_cfg.nbox = fritz_cfg.nping = 0;
}

/* ---- config ---------------------------------------------------------------
 */

static int fritz_cf_seconds(oconfig_item_t *c, double min, double max,
                            double *out) {
  return hl_cf_double_range(HL_PLUGIN, c, min, max, out);
}

static int fritz_config_secret(struct fritz_box *b, oconfig_item_t *c,
                               int *nsecret) {
  char *s = NULL;
  if (++*nsecret > 1) {
    ERROR("%s: %s: only one of Password, PasswordFile and PasswordEnv", b->ctx,
          c->key);
    return -1;
  }
  if (strcasecmp(c->key, "Password") == 0) {
    hl_secret_free(&b->password);
    return hl_cf_string(b->ctx, c, &b->password);
  }
  if (hl_cf_string(b->ctx, c, &s) != 0)
    return -1;
  int rc =
      strcasecmp(c->key, "PasswordFile") == 0
          ? hl_cf_secret_file(b->ctx, c->key, s, FRITZ_PW_MAX - 1, &b->password)
          : hl_cf_secret_env(b->ctx, c->key, s, &b->password);
  sfree(s);
  return rc;
}

static int fritz_config_box_option(struct fritz_box *b, oconfig_item_t *c,
                                   int *nsecret) {
  const char *k = c->key;
  if (strcasecmp(k, "Host") == 0)
    return hl_cf_string(b->ctx, c, &b->host);
  if (strcasecmp(k, "Port") == 0) {
    /* A number, not cf_util_get_port_number(): that also takes service
     * names, and the glue tests' mock daemon does not provide it. */
    double d = 0;
    if (hl_cf_double_range(b->ctx, c, 1, 65535, &d) != 0)
      return -1;
    if (d != floor(d)) {
      ERROR("%s: Port: %g is not a whole number", b->ctx, d);
      return -1;
    }
    b->port = (int)d;
    return 0;
  }
  if (strcasecmp(k, "Username") == 0)
    return hl_cf_string(b->ctx, c, &b->username);
  if (strcasecmp(k, "Password") == 0 || strcasecmp(k, "PasswordFile") == 0 ||
      strcasecmp(k, "PasswordEnv") == 0)
    return fritz_config_secret(b, c, nsecret);
  if (strcasecmp(k, "UseTLS") == 0)
    return hl_cf_bool(b->ctx, c, &b->tls);
  if (strcasecmp(k, "CACert") == 0)
    return hl_cf_string(b->ctx, c, &b->ca_cert);
  if (strcasecmp(k, "PinnedPublicKey") == 0) {
    if (hl_cf_string(b->ctx, c, &b->pinned) != 0)
      return -1;
    if (strncmp(b->pinned, "sha256//", 8) != 0) {
      ERROR("%s: PinnedPublicKey: expects \"sha256//BASE64\"", b->ctx);
      return -1;
    }
    return 0;
  }
  if (strcasecmp(k, "VerifyPeer") == 0) {
    b->verify_set = true;
    return hl_cf_bool(b->ctx, c, &b->verify_peer);
  }
  if (strcasecmp(k, "Timeout") == 0)
    return hl_cf_double_range(b->ctx, c, 0.1, 60, &b->timeout);
  if (strcasecmp(k, "Ping") == 0)
    return hl_cf_bool(b->ctx, c, &b->ping);
  if (strcasecmp(k, "Interval") == 0) {
    double s = 0;
    if (hl_cf_double_range(b->ctx, c, 1, 86400, &s) != 0)
      return -1;
    b->interval = DOUBLE_TO_CDTIME_T(s);
    return 0;
  }
  return hl_cf_unknown(b->ctx, c);
}

static int fritz_box_validate(const struct fritz_box *b) {
  const char *n = b->name;
  if (b->host == NULL || b->host[0] == '\0') {
    hl_err("Box \"%s\": Host: missing", n);
    return -1;
  }
  if (b->password != NULL && b->username == NULL) {
    hl_err("Box \"%s\": Username: required with a password", n);
    return -1;
  }
  if (b->username != NULL && b->password == NULL) {
    hl_err("Box \"%s\": Username given without Password, PasswordFile or "
           "PasswordEnv",
           n);
    return -1;
  }
  if (!b->tls && (b->ca_cert != NULL || b->pinned != NULL)) {
    hl_err("Box \"%s\": %s: needs UseTLS true", n,
           b->ca_cert ? "CACert" : "PinnedPublicKey");
    return -1;
  }
  return 0;
}

/* Block name -> plugin_instance: non-empty, no '/', unique. */
static int fritz_config_name(oconfig_item_t *ci, char *out, size_t len) {
  if (ci->values_num != 1 || ci->values[0].type != OCONFIG_TYPE_STRING) {
    hl_err("%s: expects one name, as in <%s \"main\">", ci->key, ci->key);
    return -1;
  }
  const char *v = ci->values[0].value.string;
  if (v[0] == '\0' || strchr(v, '/') != NULL ||
      hl_str_copy(out, len, v) >= len) {
    hl_err("%s \"%s\": name must be non-empty, without '/', at most %zu bytes",
           ci->key, v, len - 1);
    return -1;
  }
  for (size_t i = 0; i < fritz_cfg.nbox; i++)
    if (strcmp(fritz_cfg.box[i]->name, out) == 0)
      goto dup;
  for (size_t i = 0; i < fritz_cfg.nping; i++)
    if (strcmp(fritz_cfg.ping[i]->name, out) == 0)
      goto dup;
  if (fritz_cfg.nbox + fritz_cfg.nping < FRITZ_MAX)
    return 0;
  hl_err("%s \"%s\": at most %d Box and Ping blocks", ci->key, v, FRITZ_MAX);
  return -1;
dup:
  hl_err("%s \"%s\": name already used by another Box or Ping", ci->key, v);
  return -1;
}

static int fritz_config_box(oconfig_item_t *ci) {
  struct fritz_box *b = calloc(1, sizeof(*b));
  if (b == NULL)
    return -1;
  *b = (struct fritz_box){.verify_peer = true, .ping = true, .timeout = NAN};
  int rc = fritz_config_name(ci, b->name, sizeof(b->name));
  snprintf(b->ctx, sizeof(b->ctx), HL_PLUGIN ": Box \"%s\"", b->name);
  int nsecret = 0;
  for (int i = 0; rc == 0 && i < ci->children_num; i++)
    rc = fritz_config_box_option(b, &ci->children[i], &nsecret);
  if (rc == 0)
    rc = fritz_box_validate(b);
  if (rc != 0) {
    fritz_box_free(b);
    return -1;
  }
  if (b->port == 0)
    b->port = b->tls ? 49443 : 49000;
  fritz_cfg.box[fritz_cfg.nbox++] = b;
  return 0;
}

static int fritz_config_ping(oconfig_item_t *ci) {
  struct fritz_ping_target *t = calloc(1, sizeof(*t));
  if (t == NULL)
    return -1;
  int rc = fritz_config_name(ci, t->name, sizeof(t->name));
  char ctx[DATA_MAX_NAME_LEN + 40];
  snprintf(ctx, sizeof(ctx), HL_PLUGIN ": Ping \"%s\"", t->name);
  for (int i = 0; rc == 0 && i < ci->children_num; i++) {
    oconfig_item_t *c = &ci->children[i];
    rc = strcasecmp(c->key, "Host") == 0 ? hl_cf_string(ctx, c, &t->host)
                                         : hl_cf_unknown(ctx, c);
  }
  if (rc == 0 && (t->host == NULL || t->host[0] == '\0')) {
    hl_err("Ping \"%s\": Host: missing", t->name);
    rc = -1;
  }
  if (rc != 0) {
    fritz_ping_target_free(t);
    return -1;
  }
  fritz_cfg.ping[fritz_cfg.nping++] = t;
  return 0;
}

static int fritz_config_option(oconfig_item_t *c) {
  const char *k = c->key;
  if (strcasecmp(k, "Box") == 0)
    return fritz_config_box(c);
  if (strcasecmp(k, "Ping") == 0)
    return fritz_config_ping(c);
  if (c->children_num > 0) {
    hl_err("%s: not a block", k);
    return -1;
  }
  if (strcasecmp(k, "PingCount") == 0) {
    double d = 0;
    if (hl_cf_double_range(HL_PLUGIN, c, 1, 100, &d) != 0)
      return -1;
    if (d != floor(d)) {
      hl_err("PingCount: %g is not a whole number", d);
      return -1;
    }
    fritz_cfg.ping_count = (unsigned)d;
    return 0;
  }
  if (strcasecmp(k, "PingSpacing") == 0)
    return fritz_cf_seconds(c, 0.01, 10, &fritz_cfg.ping_spacing);
  if (strcasecmp(k, "Timeout") == 0)
    return fritz_cf_seconds(c, 0.1, 60, &fritz_cfg.timeout);
  if (strcasecmp(k, "Interval") == 0) {
    double s = 0;
    if (fritz_cf_seconds(c, 1, 86400, &s) != 0)
      return -1;
    fritz_cfg.interval = DOUBLE_TO_CDTIME_T(s);
    return 0;
  }
  return hl_cf_unknown(HL_PLUGIN, c);
}

/* Parses into fritz_cfg; targets are registered by init. Always returns 0:
 * a rejected config is reported by init (struct hl_single), so the daemon
 * keeps running with its other plugins. */
static int fritz_config(oconfig_item_t *ci) {
  if (!hl_single_begin(HL_PLUGIN, &fritz_single))
    return 0;
  fritz_cfg_clear();
  fritz_cfg =
      (struct fritz_conf){.ping_count = 3, .ping_spacing = 0.2, .timeout = 2};
  for (int i = 0; i < ci->children_num; i++)
    if (fritz_config_option(&ci->children[i]) != 0)
      fritz_single.bad = true;
  return 0;
}

/* ---- helpers ----------------------------------------------------------------
 */

static int64_t fritz_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Records a 0/1 state; returns +1 (came up), -1 (went down) or 0 when the
 * change is not news (no change, or a first reading that is up). */
static int fritz_flag_set(struct fritz_flag *f, bool up) {
  bool news = f->known ? f->up != up : !up;
  f->known = true;
  f->up = up;
  return news ? (up ? 1 : -1) : 0;
}

__attribute__((format(printf, 5, 6))) static void
fritz_box_notify(const struct fritz_box *b, int sev, const char *type,
                 const char *ti, const char *fmt, ...) {
  struct hl_kv kv[] = {
      {"box", b->name},
      {"host", b->host},
      {"model", b->model[0] ? b->model : NULL},
      {"software_version", b->software[0] ? b->software : NULL},
      {"external_ip", b->ext_ip[0] ? b->ext_ip : NULL}};
  char what[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof(what), fmt, ap);
  va_end(ap);
  hl_notify_kv(sev, HL_PLUGIN, b->name, type, ti, kv, STATIC_ARRAY_SIZE(kv),
               "%s: %s", b->name, what);
}

static void fritz_box_meta(struct fritz_box *b) {
  if (b->md != NULL)
    meta_data_destroy(b->md);
  b->md = meta_data_create();
  const struct hl_kv kv[] = {{"model", b->model},
                             {"software_version", b->software},
                             {"external_ip", b->ext_ip}};
  for (size_t i = 0; b->md != NULL && i < STATIC_ARRAY_SIZE(kv); i++)
    if (kv[i].value[0] != '\0')
      meta_data_add_string(b->md, kv[i].key, kv[i].value);
}

/* ---- ping -------------------------------------------------------------------
 */

/* Resolves @t's name within what is left of @end_ms; on failure the last
 * address (if any) is kept and the failure counted. Return: address known. */
static bool fritz_ping_resolve(struct fritz_ping_target *t, int64_t end_ms) {
  int64_t left = end_ms - fritz_now_ms();
  struct sockaddr_storage ss;
  socklen_t len = 0;
  int rc = hl_icmp_resolve(t->host, AF_UNSPEC, (unsigned)(left < 1 ? 1 : left),
                           &ss, &len);
  if (rc == 0) {
    t->addr = ss;
    t->addrlen = len;
    hl_release(&t->c_dns, "%s: resolving %s works again", t->name, t->host);
    return true;
  }
  t->dns_failures++;
  const char *why = rc == -ENOENT      ? "name not found"
                    : rc == -EAGAIN    ? "DNS server did not answer"
                    : rc == -ETIMEDOUT ? "no answer within the timeout"
                                       : NULL;
  hl_complain(&t->c_dns, "%s: resolving %s failed: %s%s", t->name, t->host,
              why ? why : STRERROR(-rc),
              t->addrlen ? "; pinging the last address" : "");
  return t->addrlen > 0;
}

static void fritz_ping_submit(struct fritz_ping_target *t,
                              const struct hl_icmp_result *r, cdtime_t now) {
  const char *pi = t->name;
  if (r->error == 0) {
    hl_submit(now, HL_PLUGIN, pi, "homelab_up", "reachable",
              &(value_t){.gauge = r->reachable}, 1);
    const struct {
      const char *type, *ti;
      double v;
    } m[] = {{"ping", "avg", r->rtt_avg},
             {"ping", "min", r->rtt_min},
             {"ping", "max", r->rtt_max},
             {"ping_stddev", "", r->rtt_stddev},
             {"percent", "loss", r->loss_pct}};
    for (size_t i = 0; i < STATIC_ARRAY_SIZE(m); i++)
      if (!isnan(m[i].v))
        hl_submit(now, HL_PLUGIN, pi, m[i].type, m[i].ti,
                  &(value_t){.gauge = m[i].v}, 1);
  }
  hl_submit(now, HL_PLUGIN, pi, "derive", "dns_failures",
            &(value_t){.derive = (derive_t)t->dns_failures}, 1);
}

/* Reachability change -> one notification. @r->error (no socket for the
 * family, complained about per read): not judged. Echoes that could not be
 * sent (no route, blackhole, firewall) make the target unreachable. */
static void fritz_ping_notify(struct fritz_ping_target *t,
                              const struct hl_icmp_result *r) {
  if (r->error != 0)
    return;
  if (r->send_error != 0)
    hl_complain(&t->c_send, "%s: cannot send echoes to %s: %s", t->name,
                t->host, STRERROR(-r->send_error));
  else
    hl_release(&t->c_send, "%s: echoes to %s leave again", t->name, t->host);
  int news = fritz_flag_set(&t->reach, r->reachable);
  if (news == 0)
    return;
  char what[DATA_MAX_NAME_LEN + 512];
  if (news > 0)
    snprintf(what, sizeof(what), "%s (%s) is reachable again: rtt %.1f ms",
             t->name, t->host, r->rtt_avg);
  else if (r->send_error != 0)
    snprintf(what, sizeof(what),
             "%s (%s) is unreachable: echoes cannot be sent (%s)", t->name,
             t->host, STRERROR(-r->send_error));
  else
    snprintf(what, sizeof(what),
             "%s (%s) is unreachable: %u of %u echoes lost%s", t->name, t->host,
             r->sent - r->received, r->sent,
             t->addrlen ? "" : " (name not resolved)");
  struct hl_kv kv[] = {{"target", t->name}, {"host", t->host}};
  hl_notify_kv(news > 0 ? NOTIF_OKAY : NOTIF_FAILURE, HL_PLUGIN, t->name,
               "homelab_up", "reachable", kv, STATIC_ARRAY_SIZE(kv), "%s",
               what);
}

/* Result of a target that could not be probed because its name never
 * resolved: unreachable, everything lost. */
static void fritz_ping_unresolved(unsigned count, struct hl_icmp_result *r) {
  *r = (struct hl_icmp_result){.sent = count,
                               .loss_pct = 100,
                               .rtt_avg = NAN,
                               .rtt_min = NAN,
                               .rtt_max = NAN,
                               .rtt_stddev = NAN};
}

/* Probes every target (@idx[i]: index in @ctx or -1) and reports. */
static int fritz_ping_probe(struct fritz_pinger *p, struct hl_icmp *ctx,
                            const int *idx) {
  size_t n = hl_icmp_target_count(ctx);
  struct hl_icmp_result *res = calloc(n ? n : 1, sizeof(*res));
  if (res == NULL)
    return -ENOMEM;
  char err[256] = "";
  int rc = n ? hl_icmp_run(ctx, p->count, p->spacing_ms, p->timeout_ms, res,
                           err, sizeof(err))
             : 0;
  if (rc != 0 || err[0] != '\0')
    hl_complain(&p->c_icmp, "cannot send ICMP echoes: %s",
                err[0] ? err : STRERROR(-rc));
  else
    hl_release(&p->c_icmp, "ICMP echoes work again");
  cdtime_t now = cdtime();
  for (size_t i = 0; rc == 0 && i < p->n; i++) {
    struct hl_icmp_result r;
    if (idx[i] >= 0)
      r = res[idx[i]];
    else
      fritz_ping_unresolved(p->count, &r);
    fritz_ping_submit(&p->t[i], &r, now);
    fritz_ping_notify(&p->t[i], &r);
  }
  sfree(res);
  return rc;
}

static int fritz_ping_read(user_data_t *ud) {
  struct fritz_pinger *p = ud->data;
  struct hl_icmp *ctx = hl_icmp_new();
  int *idx = calloc(p->n, sizeof(*idx));
  int rc = ctx && idx ? 0 : -ENOMEM;
  int64_t end = fritz_now_ms() + p->timeout_ms; /* DNS budget of the read */
  for (size_t i = 0; rc == 0 && i < p->n; i++) {
    struct fritz_ping_target *t = &p->t[i];
    idx[i] =
        fritz_ping_resolve(t, end)
            ? hl_icmp_add_target(ctx, (struct sockaddr *)&t->addr, t->addrlen)
            : -1;
    rc = idx[i] == -ENOMEM ? -ENOMEM : 0;
  }
  if (rc == 0)
    rc = fritz_ping_probe(p, ctx, idx);
  hl_icmp_free(ctx);
  sfree(idx);
  /* Failures are logged once (c_icmp). Returning 0 keeps the interval: a
   * failing read makes collectd double it up to a day, and a fixed
   * capability or sysctl would go unnoticed that long. */
  return rc == -ENOMEM ? -1 : 0;
}

/* ---- box: requests ----------------------------------------------------------
 */

/* Per-read state of a box read. */
struct fritz_rd {
  int64_t deadline_ms;
  bool deadline_hit; /* the box answered, but the read ran out of time */
  bool auth_try;     /* TR-064 (authenticated) calls allowed */
  int auth;          /* 0 untried, 1 worked, -1 rejected */
  int fatal;         /* transport failure: the rest of the read is skipped */
  unsigned ok;       /* SOAP calls answered and parsed */
  char err[256];
  char part[200]; /* first partial failure */
};

static void fritz_skip(struct fritz_box *b, enum fritz_call_id id,
                       const char *why) {
  b->skip |= 1u << id;
  hl_info("%s: %s#%s %s; not asked again", b->name, fritz_calls[id].stype,
          fritz_calls[id].action, why);
}

static void fritz_part(struct fritz_rd *rd, enum fritz_call_id id,
                       const char *why) {
  if (rd->part[0] == '\0')
    snprintf(rd->part, sizeof(rd->part), "%s: %s", fritz_calls[id].action, why);
}

/* An HTTP status/transport outcome for the read: 0 to go on (parse), else
 * the error to return. */
static int fritz_http_outcome(struct fritz_rd *rd, bool igd, int rc,
                              const struct hl_http_resp *r) {
  if (rc == -EACCES) {
    rd->auth = -1;
    rd->auth_try = false;
    return rc;
  }
  if (rc == -E2BIG)
    return rc;
  if (rc < 0) {
    rd->fatal = rc;
    hl_str_copy(rd->err, sizeof(rd->err), r->error);
    return rc;
  }
  if (!igd && r->status >= 200 && r->status < 300)
    rd->auth = 1;
  return 0;
}

/* One SOAP call. Return: 0 (@out filled; free it), -ENOENT (not offered,
 * skipped), -EAGAIN (no credentials or backing off), or an error. @out is
 * always safe to free. */
static int fritz_call(struct fritz_box *b, struct fritz_rd *rd,
                      enum fritz_call_id id, const struct hl_tr064_arg *args,
                      size_t nargs, struct hl_tr064_response *out) {
  const struct fritz_call *c = &fritz_calls[id];
  *out = (struct hl_tr064_response){0};
  if (rd->fatal != 0)
    return rd->fatal;
  const struct hl_tr064_service *s =
      hl_tr064_desc_find(c->igd ? &b->igd : &b->tr, c->stype);
  if (s == NULL || (b->skip & (1u << id)))
    return -ENOENT;
  if (!hl_tr064_service_has_action(s, c->action)) {
    fritz_skip(b, id, "is not offered by the box");
    return -ENOENT;
  }
  if (!c->igd && (b->password == NULL || !rd->auth_try))
    return -EAGAIN;
  if (fritz_now_ms() >= rd->deadline_ms) {
    rd->fatal = -ETIMEDOUT;
    rd->deadline_hit = true;
    hl_str_copy(rd->err, sizeof(rd->err), "read deadline passed");
    return rd->fatal;
  }
  char sa[256];
  struct hl_buf env;
  hl_buf_init(&env, 64 * 1024);
  int rc = hl_tr064_soapaction(c->stype, c->action, sa, sizeof(sa));
  if (rc == 0)
    rc = hl_tr064_envelope(c->stype, c->action, args, nargs, &env);
  struct hl_http_resp r = {0};
  if (rc == 0)
    rc = hl_http_post(b->http, s->control_url, "text/xml; charset=\"utf-8\"",
                      sa, env.data, env.len, &r);
  hl_buf_free(&env);
  rc = fritz_http_outcome(rd, c->igd, rc, &r);
  if (rc == 0) {
    rc = hl_tr064_parse_response(r.body.data, r.body.len, c->action, out);
    rd->ok += rc == 0;
    if (rc == -EREMOTEIO &&
        (out->fault_code == HL_TR064_FAULT_INVALID_ACTION ||
         out->fault_code == HL_TR064_FAULT_NOT_AUTHORIZED)) {
      fritz_skip(b, id,
                 out->fault_code == HL_TR064_FAULT_INVALID_ACTION
                     ? "is not offered by the box (UPnPError 401)"
                     : "is not allowed for this user (UPnPError 606)");
      rc = -ENOENT;
    } else if (rc == -EREMOTEIO) {
      char why[140];
      snprintf(why, sizeof(why), "UPnPError %d %s", out->fault_code,
               out->fault_desc);
      fritz_part(rd, id, why);
    } else if (rc != 0) {
      fritz_part(rd, id, out->error[0] ? out->error : STRERROR(-rc));
    }
  } else if (rc == -E2BIG) {
    fritz_part(rd, id, "response too large");
  }
  hl_http_resp_free(&r);
  return rc;
}

/* GETs @path and parses it as a description file into @d. Return: 0,
 * -ENOENT (HTTP 404), or an error (transport errors set rd->fatal). */
static int fritz_get_desc(struct fritz_box *b, struct fritz_rd *rd,
                          const char *path, struct hl_tr064_desc *d,
                          bool required) {
  struct hl_http_resp r = {0};
  int rc = fritz_http_outcome(rd, true, hl_http_get(b->http, path, &r), &r);
  if (rc == 0 && r.status == 404)
    rc = -ENOENT;
  else if (rc == 0 && r.status != 200) {
    snprintf(rd->err, sizeof(rd->err), "GET %s: HTTP %ld", path, r.status);
    rc = -EPROTO;
    rd->fatal = required ? rc : 0;
  } else if (rc == 0) {
    rc = hl_tr064_parse_desc(r.body.data, r.body.len, d);
    if (rc == 0 && d->nservices == 0) {
      hl_tr064_desc_free(d);
      hl_str_copy(d->error, sizeof(d->error), "no services described");
      rc = -EPROTO;
    }
    if (rc != 0) {
      snprintf(rd->err, sizeof(rd->err), "%s: %s", path, d->error);
      rd->fatal = required ? rc : 0;
    }
  } else if (rd->fatal == 0 && required) {
    /* Not a transport failure, but no description either (an oversized
     * answer, a 401): the box cannot be read without it. */
    snprintf(rd->err, sizeof(rd->err), "GET %s: %s", path,
             rc == -E2BIG ? "answer too large" : STRERROR(-rc));
    rd->fatal = rc;
  }
  hl_http_resp_free(&r);
  return rc;
}

/* Reads the SCPDs of the services the calls use, so that actions the box
 * lacks are skipped without asking. A missing SCPD only means "try once". */
static void fritz_get_scpds(struct fritz_box *b, struct fritz_rd *rd,
                            struct hl_tr064_desc *d, bool igd) {
  for (size_t i = 0; rd->fatal == 0 && i < d->nservices; i++) {
    struct hl_tr064_service *s = &d->services[i];
    bool used = false;
    for (size_t c = 0; c < FC_N; c++)
      used |= fritz_calls[c].igd == igd &&
              strcmp(fritz_calls[c].stype, s->type) == 0;
    if (!used || s->scpd_url[0] == '\0')
      continue;
    struct hl_http_resp r = {0};
    int rc = hl_http_get(b->http, s->scpd_url, &r);
    if (fritz_http_outcome(rd, true, rc, &r) == 0 && r.status == 200)
      hl_tr064_parse_scpd(r.body.data, r.body.len, s, NULL, 0);
    hl_http_resp_free(&r);
  }
}

static int fritz_descriptions(struct fritz_box *b, struct fritz_rd *rd) {
  hl_tr064_desc_free(&b->tr);
  hl_tr064_desc_free(&b->igd);
  int rc = fritz_get_desc(b, rd, "/tr64desc.xml", &b->tr, true);
  if (rc == -ENOENT) {
    hl_str_copy(rd->err, sizeof(rd->err), "GET /tr64desc.xml: HTTP 404");
    rd->fatal = rc = -EPROTO;
  }
  int irc = rc == 0 ? fritz_get_desc(b, rd, "/igddesc.xml", &b->igd, false) : 0;
  if (irc != 0) /* repeater, or "status over UPnP" off: no IGD values */
    hl_tr064_desc_free(&b->igd);
  fritz_get_scpds(b, rd, &b->tr, false);
  fritz_get_scpds(b, rd, &b->igd, true);
  b->have_desc = rd->fatal == 0;
  if (b->have_desc)
    hl_info("%s: %s, firmware %s: %zu TR-064 and %zu IGD services", b->name,
            b->tr.model_name[0] ? b->tr.model_name : "unknown model",
            b->tr.firmware[0] ? b->tr.firmware : "unknown", b->tr.nservices,
            b->igd.nservices);
  return rd->fatal;
}

/* ---- box: collect -----------------------------------------------------------
 */

#define FRITZ_GET(b, rd, id, fill, dst)                                        \
  do {                                                                         \
    struct hl_tr064_response r_;                                               \
    if (fritz_call((b), (rd), (id), NULL, 0, &r_) == 0)                        \
      fill(&r_, (dst));                                                        \
    hl_tr064_response_free(&r_);                                               \
  } while (0)

static void fritz_fiber_from(const struct hl_tr064_response *r,
                             struct fritz_snap *s) {
  int32_t v = 0;
  if (hl_tr064_get_i32(r, "NewOpticalSignalLevel", &v) == 0) {
    s->optical_rx = v / 1000.0; /* mdBm */
    s->fiber_have |= 1u << 0;
  }
  if (hl_tr064_get_i32(r, "NewTransmitOpticalLevel", &v) == 0) {
    s->optical_tx = v / 1000.0;
    s->fiber_have |= 1u << 1;
  }
}

/* Total bytes: 64-bit IGD counters, else the 32-bit TR-064 ones extended
 * across wraps (a drop larger than the link can carry is a restart). */
static void fritz_octets(struct fritz_box *b, struct fritz_snap *s) {
  const struct hl_tr064_wan_common *w = &s->wan;
  uint32_t both64 = HL_TR064_WAN_SENT64 | HL_TR064_WAN_RECV64;
  uint32_t both32 = HL_TR064_WAN_SENT32 | HL_TR064_WAN_RECV32;
  if ((w->have & both64) == both64) {
    s->octets_rx = w->recv64;
    s->octets_tx = w->sent64;
    s->have_octets = true;
    return;
  }
  if ((w->have & both32) != both32)
    return;
  cdtime_t iv = b->interval ? b->interval : plugin_get_interval();
  uint64_t rate =
      (w->up_max_bps > w->down_max_bps ? w->up_max_bps : w->down_max_bps) / 8;
  uint64_t max = rate * (uint64_t)(CDTIME_T_TO_DOUBLE(iv) * 2 + 1);
  hl_tr064_counter32_update(&b->recv32, w->recv32, max);
  hl_tr064_counter32_update(&b->sent32, w->sent32, max);
  s->octets_rx = b->recv32.total;
  s->octets_tx = b->sent32.total;
  s->have_octets = true;
}

static void fritz_collect_wan(struct fritz_box *b, struct fritz_rd *rd,
                              struct fritz_snap *s) {
  FRITZ_GET(b, rd, FC_IGD_LINK, hl_tr064_wan_common_from, &s->wan);
  if (!(s->wan.have & HL_TR064_WAN_LINK))
    FRITZ_GET(b, rd, FC_TR_LINK, hl_tr064_wan_common_from, &s->wan);
  FRITZ_GET(b, rd, FC_IGD_ADDON, hl_tr064_wan_common_from, &s->wan);
  if (!(s->wan.have & HL_TR064_WAN_SENT64)) {
    FRITZ_GET(b, rd, FC_TR_SENT, hl_tr064_wan_common_from, &s->wan);
    FRITZ_GET(b, rd, FC_TR_RECV, hl_tr064_wan_common_from, &s->wan);
  }
  fritz_octets(b, s);
  /* Connection: IGD WANIPConn (no auth; reports PPP links too), else the
   * TR-064 PPP service, else the TR-064 IP one. */
  static const enum fritz_call_id conn[][2] = {{FC_IGD_STATUS, FC_IGD_EXTIP},
                                               {FC_PPP_STATUS, FC_PPP_EXTIP},
                                               {FC_IP_STATUS, FC_IP_EXTIP}};
  for (size_t i = 0; i < STATIC_ARRAY_SIZE(conn); i++) {
    struct hl_tr064_wan_conn c = {0};
    FRITZ_GET(b, rd, conn[i][0], hl_tr064_wan_conn_from, &c);
    if (!(c.have & HL_TR064_CONN_STATUS) ||
        strcmp(c.status, "Unconfigured") == 0)
      continue;
    FRITZ_GET(b, rd, conn[i][1], hl_tr064_wan_conn_from, &c);
    s->conn = c;
    break;
  }
  const char *at = s->wan.access_type;
  if (strcmp(at, "DSL") == 0) {
    FRITZ_GET(b, rd, FC_DSL_INFO, hl_tr064_dsl_info_from, &s->dsl);
    FRITZ_GET(b, rd, FC_DSL_STATS, hl_tr064_dsl_stats_from, &s->dsls);
  } else if (at[0] != '\0' && strcmp(at, "Cable") != 0) {
    FRITZ_GET(b, rd, FC_FIBER, fritz_fiber_from, s);
  }
}

/* Hosts from the host list (one GET; its path carries a session id, so it
 * is never logged), else only the number of entries. */
static void fritz_collect_hosts(struct fritz_box *b, struct fritz_rd *rd,
                                struct fritz_snap *s) {
  struct hl_tr064_response r;
  char path[512];
  if (fritz_call(b, rd, FC_HOSTS_PATH, NULL, 0, &r) == 0 &&
      hl_tr064_host_list_path(&r, path, sizeof(path)) == 0) {
    struct hl_http_resp h = {0};
    int rc = hl_http_get(b->http, path, &h);
    if (rc == 0 && h.status == 200)
      rc =
          hl_tr064_parse_host_list(h.body.data, h.body.len, &s->hosts, NULL, 0);
    else if (rc == -EACCES || rc == 0)
      rc = -EPROTO; /* the path's session id expired: try next read */
    if (rc != 0) {
      s->hosts = (struct hl_tr064_hosts){0};
      fritz_part(rd, FC_HOSTS_PATH, "host list not readable");
    }
    hl_http_resp_free(&h);
    explicit_bzero(path, sizeof(path));
  }
  hl_tr064_response_free(&r);
  if (!(s->hosts.have & HL_TR064_HOSTS_KNOWN))
    FRITZ_GET(b, rd, FC_HOSTS_NUM, hl_tr064_hosts_from, &s->hosts);
}

static void fritz_collect(struct fritz_box *b, struct fritz_rd *rd,
                          struct fritz_snap *s) {
  FRITZ_GET(b, rd, FC_DEVINFO, hl_tr064_device_info_from, &s->dev);
  fritz_collect_wan(b, rd, s);
  fritz_collect_hosts(b, rd, s);
  for (unsigned i = 0; i < 3; i++) {
    struct hl_tr064_response r;
    if (fritz_call(b, rd, FC_WLAN1 + i, NULL, 0, &r) == 0)
      hl_tr064_wlan_from(&r, i + 1, &s->wlan);
    hl_tr064_response_free(&r);
  }
}

/* ---- box: submit and notify -------------------------------------------------
 */

static int fritz_box_submit(const struct fritz_box *b,
                            const struct fritz_snap *s, cdtime_t now) {
  const char *base = (const char *)s;
  int sent = 0;
  for (size_t i = 0; i < STATIC_ARRAY_SIZE(fritz_metrics); i++) {
    const struct fritz_metric *m = &fritz_metrics[i];
    uint32_t have = 0;
    memcpy(&have, base + m->have, sizeof(have));
    if (!(have & m->bit))
      continue;
    const void *p = base + m->off;
    value_t v = {.gauge = 0};
    if (m->kind == FK_BOOL)
      v.gauge = *(const bool *)p ? 1 : 0;
    else if (m->kind == FK_U32)
      v.gauge = *(const uint32_t *)p;
    else if (m->kind == FK_U64)
      v.gauge = (gauge_t) * (const uint64_t *)p;
    else if (m->kind == FK_DBL)
      v.gauge = *(const double *)p;
    else
      v.derive = *(const uint32_t *)p;
    sent += hl_submit_md(now, HL_PLUGIN, b->name, m->type, m->ti, &v, 1,
                         b->md) == 0;
  }
  if (s->have_octets) {
    value_t v[2] = {
        {.derive = (derive_t)(s->octets_rx & INT64_MAX)},
        {.derive = (derive_t)(s->octets_tx & INT64_MAX)},
    };
    sent += hl_submit_md(now, HL_PLUGIN, b->name, "if_octets", "wan", v, 2,
                         b->md) == 0;
  }
  return sent;
}

static bool fritz_ip_known(const char *ip) {
  return ip[0] != '\0' && strcmp(ip, "0.0.0.0") != 0 && strcmp(ip, "::") != 0;
}

/* Identity: firmware and external IP changes (notified), meta data. */
static void fritz_box_identity(struct fritz_box *b,
                               const struct fritz_snap *s) {
  bool changed = false;
  if (s->dev.have & HL_TR064_DEV_MODEL && strcmp(b->model, s->dev.model) != 0) {
    hl_str_copy(b->model, sizeof(b->model), s->dev.model);
    changed = true;
  }
  if (s->dev.have & HL_TR064_DEV_SOFTWARE &&
      strcmp(b->software, s->dev.software) != 0) {
    char old[sizeof(b->software)];
    hl_str_copy(old, sizeof(old), b->software);
    hl_str_copy(b->software, sizeof(b->software), s->dev.software);
    if (old[0] != '\0') { /* notified with the new value in the meta data */
      fritz_box_notify(b, NOTIF_WARNING, "homelab_up", "box",
                       "firmware changed from %s to %s", old, b->software);
      b->have_desc = false; /* services and actions may have changed */
      b->skip = 0;
    }
    changed = true;
  }
  const char *ip = s->conn.external_ip;
  if (s->conn.have & HL_TR064_CONN_EXT_IP && fritz_ip_known(ip) &&
      strcmp(b->ext_ip, ip) != 0) {
    char old[sizeof(b->ext_ip)];
    hl_str_copy(old, sizeof(old), b->ext_ip);
    hl_str_copy(b->ext_ip, sizeof(b->ext_ip), ip);
    if (old[0] != '\0')
      fritz_box_notify(b, NOTIF_WARNING, "homelab_up", "connection",
                       "external IP changed from %s to %s", old, b->ext_ip);
    changed = true;
  }
  if (changed || b->md == NULL)
    fritz_box_meta(b);
}

/* A retrain (LinkRetrain grew) or new line rates after the link was down. */
static void fritz_dsl_resync(struct fritz_box *b, const struct fritz_snap *s) {
  uint32_t rates = HL_TR064_DSL_UP_CURR | HL_TR064_DSL_DOWN_CURR;
  bool resync = false;
  if (s->dsls.have & HL_TR064_DSLS_RETRAIN) {
    resync = b->retrain_known && s->dsls.link_retrain > b->retrains;
    b->retrains = s->dsls.link_retrain;
    b->retrain_known = true;
  }
  bool up = (s->dsl.have & rates) == rates && s->dsl.up_curr_bps > 0 &&
            s->dsl.down_curr_bps > 0;
  if (up) {
    resync |= b->dsl_known && (s->dsl.up_curr_bps != b->dsl_up ||
                               s->dsl.down_curr_bps != b->dsl_down);
    if (resync) {
      char was[64], now[64];
      snprintf(was, sizeof(was), "%" PRIu64 "/%" PRIu64, b->dsl_down / 1000,
               b->dsl_up / 1000);
      snprintf(now, sizeof(now), "%" PRIu64 "/%" PRIu64,
               s->dsl.down_curr_bps / 1000, s->dsl.up_curr_bps / 1000);
      fritz_box_notify(b, NOTIF_WARNING, "homelab_bitrate", "dsl_down",
                       "DSL resync: down/up %s -> %s kbit/s", was, now);
    }
    b->dsl_up = s->dsl.up_curr_bps;
    b->dsl_down = s->dsl.down_curr_bps;
    b->dsl_known = true;
  } else if (resync) {
    fritz_box_notify(b, NOTIF_WARNING, "homelab_bitrate", "dsl_down",
                     "DSL resync (line retrained)");
  }
}

static void fritz_box_changes(struct fritz_box *b, const struct fritz_snap *s) {
  fritz_box_identity(b, s);
  if (s->wan.have & HL_TR064_WAN_LINK) {
    int n = fritz_flag_set(&b->link, s->wan.link_up);
    if (n != 0)
      fritz_box_notify(b, n > 0 ? NOTIF_OKAY : NOTIF_FAILURE, "homelab_up",
                       "link", "WAN link %s (%s)", n > 0 ? "up" : "down",
                       s->wan.link_status);
  }
  if (s->conn.have & HL_TR064_CONN_STATUS) {
    int n = fritz_flag_set(&b->conn, s->conn.connected);
    if (n != 0)
      fritz_box_notify(b, n > 0 ? NOTIF_OKAY : NOTIF_FAILURE, "homelab_up",
                       "connection", "internet connection %s (%s)",
                       n > 0 ? "restored" : "lost", s->conn.status);
  }
  fritz_dsl_resync(b, s);
}

/* ---- box: read --------------------------------------------------------------
 */

static void fritz_box_auth(struct fritz_box *b, const struct fritz_rd *rd,
                           int64_t now_ms) {
  if (rd->auth < 0) {
    int64_t delay = hl_http_backoff(&b->bo, true, now_ms);
    hl_complain(&b->c_auth,
                "%s: authentication failed for user \"%s\"; TR-064 calls "
                "paused for %" PRId64 " s (doubling, at most %" PRId64 " s)",
                b->name, b->username, delay / 1000,
                (int64_t)(b->bo.max_ms ? b->bo.max_ms : HL_BACKOFF_MAX_MS) /
                    1000);
    if (!b->auth_bad)
      fritz_box_notify(b, NOTIF_FAILURE, "homelab_up", "auth",
                       "authentication failed (user \"%s\"); backing off",
                       b->username);
    b->auth_bad = true;
  } else if (rd->auth > 0) {
    hl_http_backoff(&b->bo, false, now_ms);
    hl_release(&b->c_auth, "%s: authentication works again", b->name);
    if (b->auth_bad)
      fritz_box_notify(b, NOTIF_OKAY, "homelab_up", "auth",
                       "authentication works again");
    b->auth_bad = false;
  }
}

/* The box as a whole answers or not (notified once per change). */
static void fritz_box_api(struct fritz_box *b, const struct fritz_rd *rd) {
  int n = fritz_flag_set(&b->api, rd->fatal == 0);
  if (rd->fatal != 0) {
    /* Learn the services again when it is back, but not after a read that
     * only ran out of time: fetching the descriptions again would make the
     * next read slower still, and it would never finish. */
    if (!rd->deadline_hit)
      b->have_desc = false;
    hl_complain(&b->c_api, "%s: %s: %s", b->name, b->host, rd->err);
  } else {
    hl_release(&b->c_api, "%s: %s answers again", b->name, b->host);
  }
  if (n != 0)
    fritz_box_notify(b, n > 0 ? NOTIF_OKAY : NOTIF_FAILURE, "homelab_up", "api",
                     "TR-064/IGD %s%s", n > 0 ? "answers again" : "failed: ",
                     n > 0 ? "" : rd->err);
}

static int fritz_box_read(user_data_t *ud) {
  struct fritz_box *b = ud->data;
  int64_t now_ms = fritz_now_ms();
  double iv =
      CDTIME_T_TO_DOUBLE(b->interval ? b->interval : plugin_get_interval());
  double budget = FRITZ_READ_BUDGET * b->timeout;
  if (budget > iv * 0.9)
    budget = iv * 0.9;
  struct fritz_rd rd = {.deadline_ms = now_ms + (int64_t)(budget * 1000),
                        .auth_try = hl_http_backoff_due(&b->bo, now_ms)};
  if (!b->have_desc)
    fritz_descriptions(b, &rd);
  struct fritz_snap s = {0};
  if (rd.fatal == 0)
    fritz_collect(b, &rd, &s);
  if (rd.fatal == 0 && rd.ok == 0 && rd.part[0] != '\0') {
    /* Answers, but not one usable (garbage, oversized, not SOAP): the box
     * as a whole does not work, not just "some values missing". */
    rd.fatal = -EPROTO;
    snprintf(rd.err, sizeof(rd.err), "no usable answer (%s)", rd.part);
  }
  fritz_box_api(b, &rd);
  fritz_box_auth(b, &rd, now_ms);
  if (rd.fatal != 0)
    /* Reported once (complaint + FAILURE). Returning 0 keeps the interval:
     * a failing read makes collectd double it, up to MaxReadInterval (a day
     * by default), and a box that is back would go unnoticed that long. The
     * request timeout and the read deadline already bound each attempt. */
    return 0;
  if (rd.part[0] != '\0')
    hl_complain(&b->c_part, "%s: some values missing: %s", b->name, rd.part);
  else
    hl_release(&b->c_part, "%s: all values read again", b->name);
  fritz_box_changes(b, &s);
  fritz_box_submit(b, &s, cdtime());
  return 0;
}

/* ---- registration -----------------------------------------------------------
 */

static int fritz_box_start(struct fritz_box *b) {
  char url[512];
  bool v6 = strchr(b->host, ':') != NULL;
  snprintf(url, sizeof(url), "%s://%s%s%s:%d", b->tls ? "https" : "http",
           v6 ? "[" : "", b->host, v6 ? "]" : "", b->port);
  if (isnan(b->timeout))
    b->timeout = fritz_cfg.timeout;
  /* A pin without a CA file is the usual way to trust a box's self-signed
   * certificate: the pinned key then stands in for the CA chain. */
  bool pin_only = b->pinned != NULL && b->ca_cert == NULL && !b->verify_set;
  struct hl_http_opts o = {
      .base_url = url,
      .timeout_ms = (long)(b->timeout * 1000),
      .auth = b->password ? HL_HTTP_AUTH_DIGEST : HL_HTTP_AUTH_NONE,
      .username = b->username,
      .password = b->password,
      .skip_verify_peer = !b->verify_peer || pin_only,
      .skip_verify_host = !b->verify_peer || pin_only,
      .ca_file = b->ca_cert,
      .pinned_pubkey = b->pinned,
  };
  char err[256] = "";
  int rc = hl_http_new(&o, &b->http, err, sizeof(err));
  if (rc != 0) {
    hl_err("Box \"%s\": %s", b->name, err[0] ? err : STRERROR(-rc));
    return -1;
  }
  if (b->interval == 0)
    b->interval = fritz_cfg.interval;
  cdtime_t iv = b->interval ? b->interval : plugin_get_interval();
  b->bo = (struct hl_backoff){.interval_ms = (int64_t)CDTIME_T_TO_MS(iv)};
  C_COMPLAIN_INIT(&b->c_api);
  C_COMPLAIN_INIT(&b->c_part);
  C_COMPLAIN_INIT(&b->c_auth);
  if (b->tls && pin_only)
    hl_info("Box \"%s\": the certificate is trusted by its pinned key",
            b->name);
  if (b->tls && !b->verify_peer)
    hl_warn("Box \"%s\": VerifyPeer false: the box's certificate is not "
            "checked%s",
            b->name, b->pinned ? " (the pinned key still is)" : "");
  if (b->password == NULL)
    hl_info("Box \"%s\": no credentials; reading only the IGD values", b->name);
  return 0;
}

/* All ping targets (Ping blocks, then boxes with Ping true) in one struct. */
static struct fritz_pinger *fritz_pinger_new(void) {
  size_t n = fritz_cfg.nping;
  for (size_t i = 0; i < fritz_cfg.nbox; i++)
    n += fritz_cfg.box[i]->ping;
  struct fritz_pinger *p = calloc(1, sizeof(*p));
  if (p == NULL || (n > 0 && (p->t = calloc(n, sizeof(*p->t))) == NULL)) {
    sfree(p);
    return NULL;
  }
  for (size_t i = 0; i < fritz_cfg.nping; i++) {
    struct fritz_ping_target *t = &p->t[p->n++];
    *t = *fritz_cfg.ping[i];
    fritz_cfg.ping[i]->host = NULL; /* moved */
    C_COMPLAIN_INIT(&t->c_dns);     /* a macro: no side effects in it */
    C_COMPLAIN_INIT(&t->c_send);
  }
  for (size_t i = 0; i < fritz_cfg.nbox; i++) {
    const struct fritz_box *b = fritz_cfg.box[i];
    if (!b->ping)
      continue;
    struct fritz_ping_target *t = &p->t[p->n++];
    hl_str_copy(t->name, sizeof(t->name), b->name);
    t->host = strdup(b->host);
    C_COMPLAIN_INIT(&t->c_dns);
    C_COMPLAIN_INIT(&t->c_send);
  }
  p->count = fritz_cfg.ping_count;
  p->spacing_ms = (unsigned)(fritz_cfg.ping_spacing * 1000);
  p->timeout_ms = (unsigned)(fritz_cfg.timeout * 1000);
  C_COMPLAIN_INIT(&p->c_icmp);
  for (size_t i = 0; i < p->n; i++)
    if (p->t[i].host == NULL) {
      fritz_pinger_free(p);
      return NULL;
    }
  return p;
}

static int fritz_init(void) {
  if (hl_single_init(HL_PLUGIN, &fritz_single, fritz_config) != 0) {
    fritz_cfg_clear();
    return -1;
  }
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < fritz_cfg.nbox; i++)
    rc = fritz_box_start(fritz_cfg.box[i]);
  struct fritz_pinger *p = rc == 0 ? fritz_pinger_new() : NULL;
  if (rc != 0 || p == NULL) {
    hl_err("configuration rejected; plugin disabled (see errors above)");
    fritz_cfg_clear();
    return -1;
  }
  if (p->n > 0)
    plugin_register_complex_read(
        NULL, HL_PLUGIN "/ping", fritz_ping_read, fritz_cfg.interval,
        &(user_data_t){.data = p, .free_func = fritz_pinger_free});
  else
    fritz_pinger_free(p);
  for (size_t i = 0; i < fritz_cfg.nbox; i++) {
    struct fritz_box *b = fritz_cfg.box[i];
    char cb[64 + DATA_MAX_NAME_LEN];
    snprintf(cb, sizeof(cb), HL_PLUGIN "/box/%s", b->name);
    plugin_register_complex_read(
        NULL, cb, fritz_box_read, b->interval,
        &(user_data_t){.data = b, .free_func = fritz_box_free});
  }
  if (fritz_cfg.nbox == 0 && fritz_cfg.nping == 0)
    hl_info("no Box and no Ping block; nothing to read");
  fritz_cfg.nbox = 0; /* owned by the daemon now */
  for (size_t i = 0; i < fritz_cfg.nping; i++)
    fritz_ping_target_free(fritz_cfg.ping[i]);
  fritz_cfg.nping = 0;
  return 0;
}

void module_register(void) {
  plugin_register_complex_config(HL_PLUGIN, fritz_config);
  plugin_register_init(HL_PLUGIN, fritz_init);
}
