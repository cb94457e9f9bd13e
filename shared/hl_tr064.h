// SPDX-License-Identifier: MIT
/*
 * hl_tr064: pure TR-064 / UPnP IGD protocol code for FRITZ!Box devices
 * (../shared/docs/PROTOCOLS.md §2.1). Builds SOAP request envelopes, parses
 * SOAP responses and faults, description files (tr64desc.xml, igddesc.xml)
 * and SCPD files with a hardened libxml2 parser, and turns response
 * arguments into typed per-area structs. No network I/O: the HTTP client
 * (digest auth, TLS, connection reuse) lives elsewhere and hands bodies in.
 */
#ifndef HOMELAB_SHARED_HL_TR064_H
#define HOMELAB_SHARED_HL_TR064_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hl_str.h"

/** Largest body any parser here accepts (checked before parsing). */
#define HL_TR064_MAX_BODY (1024u * 1024u)

/** Most arguments kept from one response (a GetInfo has about 20). */
#define HL_TR064_MAX_PAIRS 256

/** UPnPError codes (PROTOCOLS.md §2.1 "Errors"). */
enum hl_tr064_fault_code {
  HL_TR064_FAULT_INVALID_ACTION = 401,
  HL_TR064_FAULT_INVALID_ARGS = 402,
  HL_TR064_FAULT_ACTION_FAILED = 501,
  HL_TR064_FAULT_NOT_AUTHORIZED = 606,
  HL_TR064_FAULT_ARRAY_INDEX = 713,
  HL_TR064_FAULT_NO_SUCH_ENTRY = 714,
  HL_TR064_FAULT_INTERNAL = 820,
};

/* ---- requests ---------------------------------------------------------- */

/**
 * struct hl_tr064_arg - one in-argument of a request.
 * @name:  argument name as on the wire ("NewIndex"); [A-Za-z0-9_-] only.
 * @value: text; escaped by the builder (& < > " '). Borrowed.
 */
struct hl_tr064_arg {
  const char *name;
  const char *value;
};

/**
 * hl_tr064_envelope() - build a SOAP 1.1 request body (PROTOCOLS.md sample).
 * @service_type: e.g. "urn:dslforum-org:service:WANCommonInterfaceConfig:1";
 *                [A-Za-z0-9:._-] only.
 * @action:       e.g. "GetInfo", "X_AVM-DE_GetHostListPath"; [A-Za-z0-9_-].
 * @args, @nargs: in-arguments (@args may be NULL when @nargs is 0).
 * @out:          appended to (callers usually hl_buf_reset() it first); on
 *                failure it may hold a partial envelope.
 *
 * Return: 0; -EINVAL for a NULL pointer, a name with a character outside its
 * set, or a value holding a control character other than TAB/LF/CR (XML 1.0
 * cannot carry them); -E2BIG if @out's cap is hit; -ENOMEM.
 */
int hl_tr064_envelope(const char *service_type, const char *action,
                      const struct hl_tr064_arg *args, size_t nargs,
                      struct hl_buf *out);

/**
 * hl_tr064_soapaction() - the SOAPACTION header value
 * "<service_type>#<action>".
 * @buf, @size: output, always terminated when @size > 0.
 *
 * Unquoted, as in the PROTOCOLS.md sample and fritzconnection.
 * Return: 0; -EINVAL (bad names as for hl_tr064_envelope()); -ENAMETOOLONG if
 * it does not fit.
 */
int hl_tr064_soapaction(const char *service_type, const char *action, char *buf,
                        size_t size);

/* ---- responses --------------------------------------------------------- */

/**
 * struct hl_tr064_pair - one out-argument: element local name and its text
 * (leading/trailing blanks removed, entities decoded). Both owned.
 */
struct hl_tr064_pair {
  char *name;
  char *value;
};

/**
 * struct hl_tr064_response - a parsed SOAP response.
 * @pairs, @npairs: the children of <*:ActionResponse>, in document order.
 * @fault_code:     UPnPError errorCode when the body is a SOAP fault
 *                  (0 if the fault carried none); 0 otherwise.
 * @fault_desc:     UPnPError errorDescription (or faultstring), printable
 *                  ASCII only, truncated; "" when not a fault.
 * @error:          short reason for -EPROTO/-E2BIG; never contains body
 *                  bytes; "" on success.
 */
struct hl_tr064_response {
  struct hl_tr064_pair *pairs;
  size_t npairs;
  int fault_code;
  char fault_desc[96];
  char error[96];
};

/**
 * hl_tr064_parse_response() - parse a SOAP response or fault body (pure).
 * @body, @len: the HTTP body (need not be NUL-terminated; nothing past @len
 *              is read). Parse it whatever the HTTP status was (faults come
 *              with HTTP 500).
 * @action:     the action called ("GetInfo"): the response element must be
 *              named "<action>Response"; NULL accepts any name.
 * @out:        overwritten (old contents are not freed); free with
 *              hl_tr064_response_free() whatever the result.
 *
 * Elements are matched by local name, so any namespace prefix works; blank
 * text between elements is ignored. Bodies with a DOCTYPE are refused before
 * libxml2 sees them (SOAP forbids DTDs; this also stops entity bombs).
 * Return: 0; -EREMOTEIO for a SOAP fault (@out->fault_code and fault_desc
 * set, no pairs); -EPROTO for an HTML page, non-XML, truncated XML, a
 * DOCTYPE, a missing Envelope/Body/response element or too many arguments
 * (@out->error says which); -E2BIG if @len > HL_TR064_MAX_BODY; -ENOMEM;
 * -EINVAL for NULL @out or NULL @body with @len > 0.
 */
int hl_tr064_parse_response(const char *body, size_t len, const char *action,
                            struct hl_tr064_response *out);

/**
 * hl_tr064_response_free() - release @r's pairs; the struct is zeroed except
 * fault and error fields. Accepts NULL and a zeroed struct.
 */
void hl_tr064_response_free(struct hl_tr064_response *r);

/**
 * hl_tr064_fault_name() - fixed text for a UPnPError code ("Invalid Action",
 * ...; "Unknown" otherwise). Return: a static string.
 */
const char *hl_tr064_fault_name(int code);

/**
 * hl_tr064_get() - the value of argument @name (first one if repeated).
 * Return: borrowed pointer valid until hl_tr064_response_free(), or NULL.
 */
const char *hl_tr064_get(const struct hl_tr064_response *r, const char *name);

/**
 * hl_tr064_get_u64() / hl_tr064_get_u32() - argument as unsigned decimal.
 * Digits only (no sign, blank or suffix); the full range of the type.
 * Return: 0; -ENOENT (absent); -EINVAL (not a number); -ERANGE (too big).
 */
int hl_tr064_get_u64(const struct hl_tr064_response *r, const char *name,
                     uint64_t *out);
int hl_tr064_get_u32(const struct hl_tr064_response *r, const char *name,
                     uint32_t *out);

/**
 * hl_tr064_get_i32() - argument as signed decimal (e.g. DSL tenths of dB).
 * Return: 0, -ENOENT, -EINVAL or -ERANGE.
 */
int hl_tr064_get_i32(const struct hl_tr064_response *r, const char *name,
                     int32_t *out);

/**
 * hl_tr064_get_bool() - UPnP boolean: "1"/"0" (FRITZ!OS sends these); the
 * other UPnP spellings "true"/"false"/"yes"/"no" are accepted too.
 * Return: 0, -ENOENT or -EINVAL.
 */
int hl_tr064_get_bool(const struct hl_tr064_response *r, const char *name,
                      bool *out);

/**
 * hl_tr064_get_str() - copy the argument into @buf (always terminated).
 * Return: 0; -ENOENT; -ENAMETOOLONG if it did not fit (@buf holds a
 * truncated copy); -EINVAL for a NULL @buf or @size 0.
 */
int hl_tr064_get_str(const struct hl_tr064_response *r, const char *name,
                     char *buf, size_t size);

/* ---- description files ------------------------------------------------- */

/**
 * struct hl_tr064_service - one <service> of a description file.
 * @type:        serviceType ("urn:dslforum-org:service:DeviceInfo:1").
 * @id:          serviceId ("" if absent).
 * @control_url: controlURL, an absolute path ("/upnp/control/deviceinfo").
 * @scpd_url:    SCPDURL, an absolute path ("" if absent or unusable).
 * @actions, @nactions: action names from the SCPD (hl_tr064_parse_scpd()).
 * @have_actions: the SCPD was parsed, so @actions is authoritative.
 * All strings owned and never NULL.
 */
struct hl_tr064_service {
  char *type;
  char *id;
  char *control_url;
  char *scpd_url;
  char **actions;
  size_t nactions;
  bool have_actions;
};

/**
 * struct hl_tr064_desc - a parsed tr64desc.xml or igddesc.xml.
 * @model_name, @friendly_name: of the root device ("" if absent).
 * @firmware: <systemVersion><Display> ("164.07.57"; tr64desc only, else "").
 * @services, @nservices: services of the whole device tree, depth first.
 * @error: short reason on failure (no body bytes).
 */
struct hl_tr064_desc {
  char model_name[64];
  char friendly_name[64];
  char firmware[32];
  struct hl_tr064_service *services;
  size_t nservices;
  char error[96];
};

/**
 * hl_tr064_parse_desc() - parse a device description file (pure).
 * @body, @len: the file. @out: overwritten; free with hl_tr064_desc_free().
 *
 * Walks root/device and every deviceList/device below it (at most 16
 * levels). A service without serviceType or with a controlURL that is not a
 * printable absolute path ("/...", no blanks or quotes) is skipped: the
 * client must never build a URL from it.
 * Return: 0; -EPROTO (not XML, DOCTYPE, no root device); -E2BIG; -ENOMEM;
 * -EINVAL.
 */
int hl_tr064_parse_desc(const char *body, size_t len,
                        struct hl_tr064_desc *out);

/**
 * hl_tr064_parse_scpd() - read the action names of an SCPD file into @svc
 * (replacing earlier ones) and set @svc->have_actions.
 * @error, @errlen: short reason on failure (may be NULL/0).
 * Return: 0, -EPROTO, -E2BIG, -ENOMEM or -EINVAL; on failure @svc is
 * unchanged.
 */
int hl_tr064_parse_scpd(const char *body, size_t len,
                        struct hl_tr064_service *svc, char *error,
                        size_t errlen);

/**
 * hl_tr064_desc_find() - the service with exactly this serviceType.
 * Return: borrowed pointer valid until hl_tr064_desc_free(), or NULL.
 */
const struct hl_tr064_service *hl_tr064_desc_find(const struct hl_tr064_desc *d,
                                                  const char *service_type);

/**
 * hl_tr064_service_has_action() - whether to call @action on @svc: false
 * when @svc is NULL or its SCPD was parsed and lacks @action; true when the
 * SCPD lists it or was never read (unknown: try once).
 */
bool hl_tr064_service_has_action(const struct hl_tr064_service *svc,
                                 const char *action);

/** hl_tr064_desc_free() - release services. Accepts NULL / zeroed. */
void hl_tr064_desc_free(struct hl_tr064_desc *d);

/* ---- values per area ---------------------------------------------------
 * Each *_from() call copies the arguments of one response that its table
 * knows into the struct and sets their bits in @have; other fields are left
 * alone, so one struct can collect several actions. Zero it first. A value
 * that does not parse is skipped (its bit stays clear).
 */

/** hl_tr064_tenth_db() - wire tenths of dB (80) to dB (8.0). */
double hl_tr064_tenth_db(int32_t tenths);

/** hl_tr064_kbit_to_bit() - kbit/s (DSL rates) to bit/s (×1000). */
uint64_t hl_tr064_kbit_to_bit(uint32_t kbit);

enum {
  HL_TR064_WAN_ACCESS_TYPE = 1u << 0,
  HL_TR064_WAN_UP_MAX = 1u << 1,
  HL_TR064_WAN_DOWN_MAX = 1u << 2,
  HL_TR064_WAN_LINK = 1u << 3,
  HL_TR064_WAN_SENT32 = 1u << 4,
  HL_TR064_WAN_RECV32 = 1u << 5,
  HL_TR064_WAN_SEND_RATE = 1u << 6,
  HL_TR064_WAN_RECV_RATE = 1u << 7,
  HL_TR064_WAN_SENT64 = 1u << 8,
  HL_TR064_WAN_RECV64 = 1u << 9,
};

/**
 * struct hl_tr064_wan_common - WANCommonInterfaceConfig:1 (IGD or TR-064):
 * GetCommonLinkProperties, GetAddonInfos, GetTotalBytesSent/Received.
 * @access_type: NewWANAccessType or NewX_AVM_DE_WANAccessType ("DSL", ...).
 * @up_max_bps, @down_max_bps: NewLayer1Up/DownstreamMaxBitRate (bit/s).
 * @link_status: NewPhysicalLinkStatus; @link_up: it equals "Up".
 * @sent32, @recv32: NewTotalBytesSent/Received (ui4, wraps at 4 GiB).
 * @send_rate, @recv_rate: NewByteSendRate/NewByteReceiveRate (bytes/s).
 * @sent64, @recv64: NewX_AVM_DE_TotalBytesSent64/Received64 (IGD spelling;
 *                   the TR-064 dash spelling NewX_AVM-DE_... is accepted too).
 */
struct hl_tr064_wan_common {
  uint32_t have;
  char access_type[32];
  uint64_t up_max_bps;
  uint64_t down_max_bps;
  char link_status[32];
  bool link_up;
  uint32_t sent32;
  uint32_t recv32;
  uint64_t send_rate;
  uint64_t recv_rate;
  uint64_t sent64;
  uint64_t recv64;
};
void hl_tr064_wan_common_from(const struct hl_tr064_response *r,
                              struct hl_tr064_wan_common *w);

enum {
  HL_TR064_CONN_STATUS = 1u << 0,
  HL_TR064_CONN_UPTIME = 1u << 1,
  HL_TR064_CONN_EXT_IP = 1u << 2,
  HL_TR064_CONN_LAST_ERROR = 1u << 3,
};

/**
 * struct hl_tr064_wan_conn - WANIPConnection:1 / WANPPPConnection:1:
 * GetStatusInfo, GetExternalIPAddress, (PPP) GetInfo.
 * @status: NewConnectionStatus; @connected: it equals "Connected".
 * @uptime: NewUptime (s). @external_ip: NewExternalIPAddress, only if it is
 * a literal IPv4/IPv6 address. @last_error: NewLastConnectionError.
 */
struct hl_tr064_wan_conn {
  uint32_t have;
  char status[32];
  bool connected;
  uint32_t uptime;
  char external_ip[46];
  char last_error[48];
};
void hl_tr064_wan_conn_from(const struct hl_tr064_response *r,
                            struct hl_tr064_wan_conn *c);

enum {
  HL_TR064_DSL_UP_CURR = 1u << 0,
  HL_TR064_DSL_DOWN_CURR = 1u << 1,
  HL_TR064_DSL_UP_MAX = 1u << 2,
  HL_TR064_DSL_DOWN_MAX = 1u << 3,
  HL_TR064_DSL_UP_MARGIN = 1u << 4,
  HL_TR064_DSL_DOWN_MARGIN = 1u << 5,
  HL_TR064_DSL_UP_ATTEN = 1u << 6,
  HL_TR064_DSL_DOWN_ATTEN = 1u << 7,
  HL_TR064_DSL_STATUS = 1u << 8,
};

/**
 * struct hl_tr064_dsl_info - WANDSLInterfaceConfig:1 GetInfo, converted:
 * rates NewUp/DownstreamCurrRate, NewUp/DownstreamMaxRate in bit/s (wire:
 * kbit/s); NewUp/DownstreamNoiseMargin and NewUp/DownstreamAttenuation in
 * dB (wire: tenths, signed). @status: NewStatus ("Up").
 */
struct hl_tr064_dsl_info {
  uint32_t have;
  uint64_t up_curr_bps;
  uint64_t down_curr_bps;
  uint64_t up_max_bps;
  uint64_t down_max_bps;
  double up_margin_db;
  double down_margin_db;
  double up_atten_db;
  double down_atten_db;
  char status[16];
};
void hl_tr064_dsl_info_from(const struct hl_tr064_response *r,
                            struct hl_tr064_dsl_info *d);

enum {
  HL_TR064_DSLS_CRC = 1u << 0,
  HL_TR064_DSLS_ATUC_CRC = 1u << 1,
  HL_TR064_DSLS_FEC = 1u << 2,
  HL_TR064_DSLS_ATUC_FEC = 1u << 3,
  HL_TR064_DSLS_HEC = 1u << 4,
  HL_TR064_DSLS_ATUC_HEC = 1u << 5,
  HL_TR064_DSLS_ES = 1u << 6,
  HL_TR064_DSLS_SES = 1u << 7,
  HL_TR064_DSLS_RETRAIN = 1u << 8,
  HL_TR064_DSLS_LOF = 1u << 9,
};

/**
 * struct hl_tr064_dsl_stats - WANDSLInterfaceConfig:1 GetStatisticsTotal
 * (ui4 counters): NewCRCErrors, NewATUCCRCErrors, NewFECErrors,
 * NewATUCFECErrors, NewHECErrors, NewATUCHECErrors, NewErroredSecs,
 * NewSeverelyErroredSecs, NewLinkRetrain, NewLossOfFraming.
 */
struct hl_tr064_dsl_stats {
  uint32_t have;
  uint32_t crc;
  uint32_t atuc_crc;
  uint32_t fec;
  uint32_t atuc_fec;
  uint32_t hec;
  uint32_t atuc_hec;
  uint32_t errored_secs;
  uint32_t severely_errored_secs;
  uint32_t link_retrain;
  uint32_t loss_of_framing;
};
void hl_tr064_dsl_stats_from(const struct hl_tr064_response *r,
                             struct hl_tr064_dsl_stats *s);

enum {
  HL_TR064_DEV_MODEL = 1u << 0,
  HL_TR064_DEV_SOFTWARE = 1u << 1,
  HL_TR064_DEV_HARDWARE = 1u << 2,
  HL_TR064_DEV_UPTIME = 1u << 3,
};

/**
 * struct hl_tr064_device_info - DeviceInfo:1 GetInfo: NewModelName,
 * NewSoftwareVersion, NewHardwareVersion, NewUpTime (s). NewSerialNumber and
 * NewDeviceLog are deliberately not kept.
 */
struct hl_tr064_device_info {
  uint32_t have;
  char model[64];
  char software[32];
  char hardware[48];
  uint32_t uptime;
};
void hl_tr064_device_info_from(const struct hl_tr064_response *r,
                               struct hl_tr064_device_info *d);

enum {
  HL_TR064_HOSTS_KNOWN = 1u << 0,
  HL_TR064_HOSTS_ACTIVE = 1u << 1,
};

/**
 * struct hl_tr064_hosts - Hosts:1. @known: NewHostNumberOfEntries (from
 * GetHostNumberOfEntries, or the item count of the host list). @active:
 * hosts with Active 1, from the X_AVM-DE_GetHostListPath list (one HTTP GET
 * instead of one GetGenericHostEntry per host, which PD reports takes 20+ s)
 * or summed with hl_tr064_hosts_add_entry().
 */
struct hl_tr064_hosts {
  uint32_t have;
  uint32_t known;
  uint32_t active;
};
void hl_tr064_hosts_from(const struct hl_tr064_response *r,
                         struct hl_tr064_hosts *h);

/**
 * hl_tr064_hosts_add_entry() - count one GetGenericHostEntry response:
 * active += (NewActive == 1); sets HL_TR064_HOSTS_ACTIVE.
 * Return: 0; -ENOENT/-EINVAL when NewActive is missing or not boolean.
 */
int hl_tr064_hosts_add_entry(const struct hl_tr064_response *r,
                             struct hl_tr064_hosts *h);

/**
 * hl_tr064_host_list_path() - NewX_AVM-DE_HostListPath of a
 * X_AVM-DE_GetHostListPath response, checked to be a printable absolute
 * path. It carries a session id: treat it as a secret, never log it.
 * Return: 0; -ENOENT; -EPROTO (not an absolute path); -ENAMETOOLONG.
 */
int hl_tr064_host_list_path(const struct hl_tr064_response *r, char *buf,
                            size_t size);

/**
 * hl_tr064_parse_host_list() - count the <Item>s of the host list XML
 * (<List><Item><Index/>...<Active>1</Active>...</Item></List>) into
 * @h->known and those with Active 1 into @h->active; sets both bits.
 * @error, @errlen: short reason on failure (may be NULL/0).
 * Return: 0, -EPROTO, -E2BIG, -ENOMEM or -EINVAL.
 */
int hl_tr064_parse_host_list(const char *body, size_t len,
                             struct hl_tr064_hosts *h, char *error,
                             size_t errlen);

/**
 * struct hl_tr064_wlan - WLANConfiguration:N GetTotalAssociations, N = 1..3
 * (2.4 GHz, 5 GHz, guest on a 7590; the band per index is box-specific).
 * @have: bit N-1 set when @assoc[N-1] is valid.
 */
struct hl_tr064_wlan {
  uint32_t have;
  uint32_t assoc[3];
};

/**
 * hl_tr064_wlan_index() - N of "urn:dslforum-org:service:WLANConfiguration:N".
 * Return: 1..3, or 0 for any other service type.
 */
unsigned hl_tr064_wlan_index(const char *service_type);

/**
 * hl_tr064_wlan_from() - NewTotalAssociations into slot @index (1..3).
 * Return: 0; -EINVAL (bad index); -ENOENT/-ERANGE as hl_tr064_get_u32().
 */
int hl_tr064_wlan_from(const struct hl_tr064_response *r, unsigned index,
                       struct hl_tr064_wlan *w);

/*
 * Fiber (X_AVM-DE_WANFiber:1): PROTOCOLS.md names the actions (GetInfo,
 * GetInfoGPON, GetStatistics) and the unit (mdBm) but no argument names, so
 * no table is provided; hl_tr064_get_i32() on the raw response works once
 * the names are confirmed on a real box.
 */

/* ---- counters ---------------------------------------------------------- */

/**
 * struct hl_tr064_counter32 - extends a 32-bit TR-064 byte counter (which
 * wraps at 4 GiB and restarts at 0 on reconnect) into a monotonic 64-bit
 * total for a DERIVE value.
 */
struct hl_tr064_counter32 {
  uint64_t total;
  uint32_t last;
  bool init;
};

/**
 * hl_tr064_delta32() - @cur - @prev modulo 2^32 (one wrap assumed).
 */
uint32_t hl_tr064_delta32(uint32_t prev, uint32_t cur);

/**
 * hl_tr064_counter32_update() - feed a new reading.
 * @max_delta: largest plausible increase since the last reading (e.g. max
 *             link rate × interval × 2); when @cur is below the last
 *             reading and the wrapped delta exceeds @max_delta, the counter
 *             is taken to have restarted (box reboot, reconnect) and @cur
 *             itself is added. 0 disables that check (always a wrap).
 * The first reading only sets the baseline (total stays as it is).
 * Return: true if a reset was assumed.
 */
bool hl_tr064_counter32_update(struct hl_tr064_counter32 *c, uint32_t cur,
                               uint64_t max_delta);

#endif
