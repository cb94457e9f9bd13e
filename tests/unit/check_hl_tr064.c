// SPDX-License-Identifier: MIT
/*
 * Unit tests for shared/hl_tr064 (pure TR-064 / IGD protocol code).
 *
 * Fixtures under tests/fixtures/tr064/ are SOAP responses, faults and
 * description files written after PROTOCOLS.md §2.1 (7590 layout, the TG
 * GetAddonInfos sample, UPnPError faults 401..820), plus hostile bodies: an
 * HTML 500 page carrying a fake password, a billion-laughs DTD, an external
 * entity, odd namespace prefixes with CRLF/CDATA/entities. Every body is
 * copied into an exact-size heap block (hl_test_dup_exact) so
 * AddressSanitizer sees reads past the end, and every fixture is also parsed
 * cut at each byte: the result must be one of the documented codes with a
 * printable reason, never a crash. Area tables, conversions and the 32-bit
 * counter helper are checked with case tables.
 */
#include "check_suites.h"
#include "hl_str.h"
#include "hl_tr064.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TR "urn:dslforum-org:service:"
#define IGD "urn:schemas-upnp-org:service:"

/* ---- helpers ---- */

static char *load(const char *name, size_t *len) {
  char rel[256];
  int n = snprintf(rel, sizeof(rel), "tr064/%s", name);
  ck_assert(n > 0 && (size_t)n < sizeof(rel));
  char path[4096];
  hl_test_fixture_path(path, sizeof(path), rel);
  struct hl_buf b;
  hl_buf_init(&b, HL_TR064_MAX_BODY);
  int rc = hl_buf_read_file(&b, path);
  ck_assert_msg(rc == 0, "%s: %s", path, strerror(-rc));
  *len = b.len;
  char *copy = hl_test_dup_exact(b.data, b.len);
  hl_buf_free(&b);
  return copy;
}

static void assert_printable(const char *s) {
  for (const char *p = s; *p != '\0'; p++)
    ck_assert_msg(*p >= 0x20 && *p < 0x7f, "unprintable byte in \"%s\"", s);
}

/* Parses fixture @name; checks the invariants of every outcome. */
static int parse_file(const char *name, const char *action,
                      struct hl_tr064_response *r) {
  size_t len = 0;
  char *body = load(name, &len);
  int rc = hl_tr064_parse_response(body, len, action, r);
  free(body);
  assert_printable(r->error);
  assert_printable(r->fault_desc);
  if (rc == 0 || rc == -EREMOTEIO)
    ck_assert_str_eq(r->error, "");
  else
    ck_assert_str_ne(r->error, "");
  if (rc != 0)
    ck_assert_uint_eq(r->npairs, 0);
  return rc;
}

/* ---- envelope ---- */

static const struct hl_tr064_arg esc_args[] = {
    {"NewIndex", "3"},
    {"NewX_AVM-DE_Name", "a&b<c>d\"e'f\r\tg"},
};

static const struct envelope_case {
  const char *type;
  const char *action;
  const struct hl_tr064_arg *args;
  size_t nargs;
  int rc;
  const char *want; /* the part between <s:Body> and </s:Body> */
} envelope_cases[] = {
    {IGD "WANCommonInterfaceConfig:1", "GetAddonInfos", NULL, 0, 0,
     "<u:GetAddonInfos xmlns:u=\"" IGD "WANCommonInterfaceConfig:1\">"
     "</u:GetAddonInfos>"},
    {TR "Hosts:1", "GetGenericHostEntry", esc_args, 1, 0,
     "<u:GetGenericHostEntry xmlns:u=\"" TR "Hosts:1\"><NewIndex>3</NewIndex>"
     "</u:GetGenericHostEntry>"},
    {TR "Hosts:1", "X_AVM-DE_SetName", esc_args, 2, 0,
     "<u:X_AVM-DE_SetName xmlns:u=\"" TR "Hosts:1\"><NewIndex>3</NewIndex>"
     "<NewX_AVM-DE_Name>a&amp;b&lt;c&gt;d&quot;e&apos;f&#13;\tg"
     "</NewX_AVM-DE_Name></u:X_AVM-DE_SetName>"},
    {TR "Hosts:1\"><x", "GetInfo", NULL, 0, -EINVAL, NULL},
    {TR "Hosts:1", "Get Info", NULL, 0, -EINVAL, NULL},
    {TR "Hosts:1", "", NULL, 0, -EINVAL, NULL},
    {"", "GetInfo", NULL, 0, -EINVAL, NULL},
    {NULL, "GetInfo", NULL, 0, -EINVAL, NULL},
    {TR "Hosts:1", "1GetInfo", NULL, 0, -EINVAL, NULL},
    {TR "Hosts:1", "GetInfo", NULL, 1, -EINVAL, NULL},
    {TR "Hosts:1", "GetInfo", (const struct hl_tr064_arg[]){{"New<x", "1"}}, 1,
     -EINVAL, NULL},
    {TR "Hosts:1", "GetInfo", (const struct hl_tr064_arg[]){{"NewX", NULL}}, 1,
     -EINVAL, NULL},
    {TR "Hosts:1", "GetInfo", (const struct hl_tr064_arg[]){{"NewX", "a\x01"}},
     1, -EINVAL, NULL},
};

START_TEST(test_envelope) {
  const struct envelope_case *c = &envelope_cases[_i];
  struct hl_buf b;
  hl_buf_init(&b, 4096);
  int rc = hl_tr064_envelope(c->type, c->action, c->args, c->nargs, &b);
  ck_assert_int_eq(rc, c->rc);
  if (rc == 0) {
    static const char head[] =
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
        "<s:Envelope "
        "s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\" "
        "xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>";
    static const char tail[] = "</s:Body></s:Envelope>";
    char want[2048];
    int n = snprintf(want, sizeof(want), "%s%s%s", head, c->want, tail);
    ck_assert(n > 0 && (size_t)n < sizeof(want));
    ck_assert_str_eq(b.data, want);
  }
  hl_buf_free(&b);
}
END_TEST

START_TEST(test_envelope_cap) {
  struct hl_buf b;
  hl_buf_init(&b, 64);
  ck_assert_int_eq(hl_tr064_envelope(TR "DeviceInfo:1", "GetInfo", NULL, 0, &b),
                   -E2BIG);
  hl_buf_free(&b);
  ck_assert_int_eq(
      hl_tr064_envelope(TR "DeviceInfo:1", "GetInfo", NULL, 0, NULL), -EINVAL);
}
END_TEST

static const struct soapaction_case {
  const char *type;
  const char *action;
  size_t size;
  int rc;
  const char *want;
} soapaction_cases[] = {
    {IGD "WANCommonInterfaceConfig:1", "GetAddonInfos", 128, 0,
     IGD "WANCommonInterfaceConfig:1#GetAddonInfos"},
    {TR "Hosts:1", "X_AVM-DE_GetHostListPath", 128, 0,
     TR "Hosts:1#X_AVM-DE_GetHostListPath"},
    {TR "Hosts:1", "GetInfo", 10, -ENAMETOOLONG, NULL},
    {TR "Hosts:1", "Get#Info", 128, -EINVAL, ""},
    {TR "Hosts 1", "GetInfo", 128, -EINVAL, ""},
};

START_TEST(test_soapaction) {
  const struct soapaction_case *c = &soapaction_cases[_i];
  char buf[128];
  ck_assert_int_eq(hl_tr064_soapaction(c->type, c->action, buf, c->size),
                   c->rc);
  if (c->want != NULL)
    ck_assert_str_eq(buf, c->want);
  ck_assert_uint_lt(strlen(buf), c->size);
}
END_TEST

/* ---- responses ---- */

static const struct response_case {
  const char *file;
  const char *action;
  int rc;
  size_t npairs;
  const char *checks[6]; /* "Name=value" */
} response_cases[] = {
    {"igd_addoninfos.xml",
     "GetAddonInfos",
     0,
     17,
     {"NewByteSendRate=178", "NewX_AVM_DE_TotalBytesSent64=129497283207",
      "NewX_AVM_DE_TotalBytesReceived64=554484531337",
      "NewX_AVM_DE_WANAccessType=DSL", "NewDNSServer2=192.0.2.54"}},
    {"igd_addoninfos.xml", NULL, 0, 17, {"NewByteReceiveRate=10893"}},
    {"igd_addoninfos.xml", "GetAddon", -EPROTO, 0, {NULL}},
    {"igd_addoninfos.xml", "GetStatusInfo", -EPROTO, 0, {NULL}},
    {"tr064_commonlinkproperties.xml",
     "GetCommonLinkProperties",
     0,
     8,
     {"NewWANAccessType=DSL", "NewLayer1DownstreamMaxBitRate=116796000",
      "NewX_AVM-DE_UpstreamCurrentMaxSpeed=5840000"}},
    {"tr064_ppp_info.xml",
     "GetInfo",
     0,
     31,
     {"NewAllowedCharsUsername=0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijk"
      "lmnopqrstuvwxyz!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
      "NewLastAuthErrorInfo=", "NewDNSServers=192.0.2.53, 192.0.2.54"}},
    {"tr064_deviceinfo.xml",
     "GetInfo",
     0,
     12,
     {"NewDescription=FRITZ!Box 7590 Release 164.07.57 & more",
      "NewDeviceLog=07.08.24 10:00:01 Internet connection established "
      "<PPPoE>.",
      "NewProvisioningCode="}},
    {"odd_prefix.xml",
     "GetInfo",
     0,
     5,
     {"NewModelName=FRITZ!Box 7530 AX", "NewSoftwareVersion=256.07.80",
      "NewDescription=Tom & Jerry's <box> \xe2\x98\xba",
      "NewHardwareVersion=", "NewUpTime=4294967295"}},
    {"tr064_empty_response.xml", "GetSecurityPort", 0, 0, {NULL}},
    {"tr064_hostlistpath.xml",
     "X_AVM-DE_GetHostListPath",
     0,
     1,
     {"NewX_AVM-DE_HostListPath=/devicehostlist.lua?sid=0123456789abcdef"}},
    {"html_500.html", "GetInfo", -EPROTO, 0, {NULL}},
    {"html_401.html", "GetInfo", -EPROTO, 0, {NULL}},
    {"bomb.xml", "GetInfo", -EPROTO, 0, {NULL}},
    {"xxe.xml", "GetInfo", -EPROTO, 0, {NULL}},
    {"not_soap.xml", "GetInfo", -EPROTO, 0, {NULL}},
    {"tr64desc.xml", NULL, -EPROTO, 0, {NULL}},
};

START_TEST(test_response) {
  const struct response_case *c = &response_cases[_i];
  struct hl_tr064_response r;
  int rc = parse_file(c->file, c->action, &r);
  ck_assert_msg(rc == c->rc, "%s: rc %d (%s)", c->file, rc, r.error);
  ck_assert_uint_eq(r.npairs, c->npairs);
  for (size_t i = 0; i < 6 && c->checks[i] != NULL; i++) {
    const char *eq = strchr(c->checks[i], '=');
    char name[64];
    ck_assert_uint_lt((size_t)(eq - c->checks[i]), sizeof(name));
    memcpy(name, c->checks[i], (size_t)(eq - c->checks[i]));
    name[eq - c->checks[i]] = '\0';
    const char *v = hl_tr064_get(&r, name);
    ck_assert_msg(v != NULL, "%s: %s missing", c->file, name);
    ck_assert_str_eq(v, eq + 1);
  }
  ck_assert_int_eq(r.fault_code, 0);
  hl_tr064_response_free(&r);
  ck_assert_ptr_null(r.pairs);
}
END_TEST

static const struct fault_case {
  const char *file;
  int code;
  const char *desc;
} fault_cases[] = {
    {"fault_401.xml", HL_TR064_FAULT_INVALID_ACTION, "Invalid Action"},
    {"fault_402.xml", HL_TR064_FAULT_INVALID_ARGS, "Invalid Args"},
    {"fault_501.xml", HL_TR064_FAULT_ACTION_FAILED, "Action Failed"},
    {"fault_606.xml", HL_TR064_FAULT_NOT_AUTHORIZED, "Action not authorized"},
    {"fault_713.xml", HL_TR064_FAULT_ARRAY_INDEX, "SpecifiedArrayIndexInvalid"},
    {"fault_714.xml", HL_TR064_FAULT_NO_SUCH_ENTRY, "NoSuchEntryInArray"},
    {"fault_820.xml", HL_TR064_FAULT_INTERNAL, "Internal Error"},
};

START_TEST(test_fault) {
  const struct fault_case *c = &fault_cases[_i];
  struct hl_tr064_response r;
  /* A fault answers any action. */
  ck_assert_int_eq(parse_file(c->file, "GetGenericHostEntry", &r), -EREMOTEIO);
  ck_assert_int_eq(r.fault_code, c->code);
  ck_assert_str_eq(r.fault_desc, c->desc);
  ck_assert_str_eq(hl_tr064_fault_name(c->code), c->desc);
  hl_tr064_response_free(&r);
}
END_TEST

#define ENV_OPEN                                                               \
  "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>"
#define ENV_CLOSE "</s:Body></s:Envelope>"

static const struct inline_case {
  const char *body;
  int rc;
  int fault;
  const char *error; /* expected reason or fault_desc (prefix) */
} inline_cases[] = {
    {"", -EPROTO, 0, "empty body"},
    {" \r\n\t", -EPROTO, 0, "empty body"},
    {"Unauthorized", -EPROTO, 0, "not XML"},
    {"{\"error\": \"json\"}", -EPROTO, 0, "not XML"},
    {"\xef\xbb\xbf  <html><body>password=hunter2</body></html>", -EPROTO, 0,
     "HTML page instead of XML"},
    {"<!doctype html><p>sid=abc", -EPROTO, 0, "HTML page instead of XML"},
    {"<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY a \"b\">]><x/>", -EPROTO,
     0, "DOCTYPE not allowed"},
    {"<?xml version=\"1.0\"?><x>&nope;</x>", -EPROTO, 0,
     "malformed XML near line 1"},
    {"<a><b></a>", -EPROTO, 0, "malformed XML near line 1"},
    {"<s:Envelope xmlns:s=\"x\"><s:Body></s:Body></s:Envelope>", -EPROTO, 0,
     "no SOAP Body content"},
    {"<Envelope><Header/></Envelope>", -EPROTO, 0, "no SOAP Body content"},
    {"<Body><GetInfoResponse/></Body>", -EPROTO, 0, "no SOAP Envelope"},
    {ENV_OPEN "<u:GetInfo xmlns:u=\"urn:x\"/>" ENV_CLOSE, -EPROTO, 0,
     "unexpected response element"},
    {ENV_OPEN "<u:GetInfoResponse xmlns:u=\"urn:x\">\n  <NewA>1</NewA>\n"
              "  <NewB>  two words  </NewB><NewA>2</NewA>"
              "<NewC><x>nested</x>t</NewC></u:GetInfoResponse>" ENV_CLOSE,
     0, 0, ""},
    /* Unbound prefix: a namespace error only; names still match. */
    {"<soap:Envelope><soap:Body><m:GetInfoResponse><NewA>1</NewA>"
     "</m:GetInfoResponse></soap:Body></soap:Envelope>",
     0, 0, ""},
    /* Fault without UPnPError: code 0, faultstring kept. */
    {ENV_OPEN "<s:Fault><faultcode>s:Server</faultcode><faultstring>Bad "
              "\x7fthing\xc3\xa4</faultstring></s:Fault>" ENV_CLOSE,
     -EREMOTEIO, 0, "Bad ?thing??"},
    /* Non-numeric code, empty description. */
    {ENV_OPEN "<s:Fault><detail><UPnPError><errorCode>4x1</errorCode>"
              "<errorDescription/></UPnPError></detail></s:Fault>" ENV_CLOSE,
     -EREMOTEIO, 0, "Unknown"},
    /* IGD namespace, code with blanks, over-long description cut. */
    {ENV_OPEN "<s:Fault><detail><e:UPnPError "
              "xmlns:e=\"urn:schemas-upnp-org:control-1-0\"><errorCode> 714 "
              "</errorCode><errorDescription>NoSuchEntryInArray "
              "0123456789012345678901234567890123456789012345678901234567890"
              "123456789012345678901234567890123456789</errorDescription>"
              "</e:UPnPError></detail></s:Fault>" ENV_CLOSE,
     -EREMOTEIO, 714, "NoSuchEntryInArray 0123"},
};

START_TEST(test_inline) {
  const struct inline_case *c = &inline_cases[_i];
  size_t len = strlen(c->body);
  char *body = hl_test_dup_exact(c->body, len);
  struct hl_tr064_response r;
  int rc = hl_tr064_parse_response(body, len, "GetInfo", &r);
  free(body);
  ck_assert_msg(rc == c->rc, "case %d: rc %d (%s)", _i, rc, r.error);
  const char *why = rc == -EREMOTEIO ? r.fault_desc : r.error;
  assert_printable(why);
  ck_assert_msg(strncmp(why, c->error, strlen(c->error)) == 0,
                "case %d: \"%s\"", _i, why);
  ck_assert_int_eq(r.fault_code, c->fault);
  ck_assert(strstr(r.error, "hunter2") == NULL);
  if (rc == 0 && _i == 13) {
    ck_assert_uint_eq(r.npairs, 4);
    ck_assert_str_eq(hl_tr064_get(&r, "NewA"), "1");
    ck_assert_str_eq(hl_tr064_get(&r, "NewB"), "two words");
    ck_assert_str_eq(hl_tr064_get(&r, "NewC"), "t");
  }
  hl_tr064_response_free(&r);
}
END_TEST

START_TEST(test_html_no_echo) {
  struct hl_tr064_response r;
  ck_assert_int_eq(parse_file("html_500.html", "GetInfo", &r), -EPROTO);
  ck_assert_str_eq(r.error, "HTML page instead of XML");
  ck_assert(strstr(r.error, "hunter2") == NULL);
  hl_tr064_response_free(&r);
}
END_TEST

START_TEST(test_huge_and_many) {
  /* Over the cap: refused before parsing. */
  size_t len = HL_TR064_MAX_BODY + 1;
  char *big = malloc(len);
  ck_assert_ptr_nonnull(big);
  memset(big, ' ', len);
  memcpy(big, "<a>", 3);
  struct hl_tr064_response r;
  ck_assert_int_eq(hl_tr064_parse_response(big, len, NULL, &r), -E2BIG);
  ck_assert_str_eq(r.error, "body larger than 1 MiB");
  free(big);

  /* Too many arguments. */
  struct hl_buf b;
  hl_buf_init(&b, HL_TR064_MAX_BODY);
  ck_assert_int_eq(hl_buf_append(&b, ENV_OPEN "<u:GetInfoResponse>",
                                 strlen(ENV_OPEN "<u:GetInfoResponse>")),
                   0);
  for (int i = 0; i <= HL_TR064_MAX_PAIRS; i++)
    ck_assert_int_eq(hl_buf_append(&b, "<NewX>1</NewX>", 14), 0);
  const char *end = "</u:GetInfoResponse>" ENV_CLOSE;
  ck_assert_int_eq(hl_buf_append(&b, end, strlen(end)), 0);
  ck_assert_int_eq(hl_tr064_parse_response(b.data, b.len, "GetInfo", &r),
                   -EPROTO);
  ck_assert_str_eq(r.error, "too many arguments");
  hl_buf_free(&b);

  /* Deep nesting: libxml2's own depth limit, no crash. */
  hl_buf_init(&b, HL_TR064_MAX_BODY);
  for (int i = 0; i < 5000; i++)
    ck_assert_int_eq(hl_buf_append(&b, "<a>", 3), 0);
  ck_assert_int_eq(hl_tr064_parse_response(b.data, b.len, NULL, &r), -EPROTO);
  hl_buf_free(&b);

  ck_assert_int_eq(hl_tr064_parse_response(NULL, 1, NULL, &r), -EINVAL);
  ck_assert_int_eq(hl_tr064_parse_response(NULL, 0, NULL, &r), -EPROTO);
  ck_assert_int_eq(hl_tr064_parse_response("", 0, NULL, NULL), -EINVAL);
}
END_TEST

static const char *const all_files[] = {
    "igd_addoninfos.xml", "tr064_ppp_info.xml", "odd_prefix.xml",
    "fault_714.xml",      "html_500.html",      "bomb.xml",
    "tr64desc.xml",       "igddesc.xml",        "deviceinfo_scpd.xml",
    "devicehostlist.xml", "tr064_dsl_info.xml", "tr064_deviceinfo.xml",
};

/* Every prefix of every fixture through every parser. */
START_TEST(test_truncated) {
  size_t len = 0;
  char *full = load(all_files[_i], &len);
  for (size_t cut = 0; cut < len; cut++) {
    char *body = hl_test_dup_exact(full, cut);
    struct hl_tr064_response r;
    int rc = hl_tr064_parse_response(body, cut, NULL, &r);
    ck_assert_msg(rc == 0 || rc == -EPROTO || rc == -EREMOTEIO, "cut %zu: %d",
                  cut, rc);
    assert_printable(r.error);
    assert_printable(r.fault_desc);
    hl_tr064_response_free(&r);
    struct hl_tr064_desc d;
    rc = hl_tr064_parse_desc(body, cut, &d);
    ck_assert(rc == 0 || rc == -EPROTO);
    assert_printable(d.error);
    hl_tr064_desc_free(&d);
    struct hl_tr064_service s = {0};
    char err[96];
    rc = hl_tr064_parse_scpd(body, cut, &s, err, sizeof(err));
    ck_assert(rc == 0 || rc == -EPROTO);
    for (size_t i = 0; i < s.nactions; i++)
      free(s.actions[i]);
    free(s.actions);
    struct hl_tr064_hosts h = {0};
    rc = hl_tr064_parse_host_list(body, cut, &h, err, sizeof(err));
    ck_assert(rc == 0 || rc == -EPROTO);
    free(body);
  }
  free(full);
}
END_TEST

/* ---- description files ---- */

static const struct svc_expect {
  const char *type;
  const char *control;
  const char *scpd;
} tr64_services[] = {
    {TR "DeviceInfo:1", "/upnp/control/deviceinfo", "/deviceinfoSCPD.xml"},
    {TR "Hosts:1", "/upnp/control/hosts", "/hostsSCPD.xml"},
    {TR "WLANConfiguration:1", "/upnp/control/wlanconfig1",
     "/wlanconfigSCPD.xml"},
    {TR "WLANConfiguration:2", "/upnp/control/wlanconfig2",
     "/wlanconfigSCPD.xml"},
    {TR "WLANConfiguration:3", "/upnp/control/wlanconfig3",
     "/wlanconfigSCPD.xml"},
    {TR "LANEthernetInterfaceConfig:1", "/upnp/control/lanethernetifcfg",
     "/ethifconfigSCPD.xml"},
    {TR "WANCommonInterfaceConfig:1", "/upnp/control/wancommonifconfig1",
     "/wancommonifconfigSCPD.xml"},
    {TR "WANDSLInterfaceConfig:1", "/upnp/control/wandslifconfig1",
     "/wandslifconfigSCPD.xml"},
    {TR "WANPPPConnection:1", "/upnp/control/wanpppconn1",
     "/wanpppconnSCPD.xml"},
    {TR "WANIPConnection:1", "/upnp/control/wanipconnection1",
     "/wanipconnSCPD.xml"},
    {IGD "WANCommonInterfaceConfig:1", "/igdupnp/control/WANCommonIFC1",
     "/igdicfgSCPD.xml"},
    {IGD "WANIPConnection:1", "/igdupnp/control/WANIPConn1",
     "/igdconnSCPD.xml"},
    {IGD "WANDSLLinkConfig:1", "/igdupnp/control/WANDSLLinkC1",
     "/igddslSCPD.xml"},
};

START_TEST(test_desc_files) {
  size_t len = 0;
  char *body = load("tr64desc.xml", &len);
  struct hl_tr064_desc tr;
  ck_assert_int_eq(hl_tr064_parse_desc(body, len, &tr), 0);
  free(body);
  ck_assert_str_eq(tr.model_name, "FRITZ!Box 7590");
  ck_assert_str_eq(tr.friendly_name, "FRITZ!Box 7590 & Mesh");
  ck_assert_str_eq(tr.firmware, "154.07.57");
  ck_assert_uint_eq(tr.nservices, 17);
  ck_assert_str_eq(tr.services[0].type, TR "DeviceInfo:1");
  ck_assert_str_eq(tr.services[0].id,
                   "urn:DeviceInfo-com:serviceId:DeviceInfo1");

  body = load("igddesc.xml", &len);
  struct hl_tr064_desc igd;
  ck_assert_int_eq(hl_tr064_parse_desc(body, len, &igd), 0);
  free(body);
  ck_assert_str_eq(igd.firmware, "");
  ck_assert_str_eq(igd.model_name, "FRITZ!Box 7590");
  ck_assert_uint_eq(igd.nservices, 5);

  for (int i = 0; i < ARRAY_SIZE(tr64_services); i++) {
    const struct svc_expect *e = &tr64_services[i];
    const struct hl_tr064_service *s = hl_tr064_desc_find(&tr, e->type);
    if (s == NULL)
      s = hl_tr064_desc_find(&igd, e->type);
    ck_assert_msg(s != NULL, "%s missing", e->type);
    ck_assert_str_eq(s->control_url, e->control);
    ck_assert_str_eq(s->scpd_url, e->scpd);
    ck_assert(!s->have_actions);
  }
  ck_assert_ptr_null(hl_tr064_desc_find(&tr, TR "X_AVM-DE_WANFiber:1"));
  ck_assert_ptr_null(hl_tr064_desc_find(&igd, TR "DeviceInfo:1"));
  hl_tr064_desc_free(&tr);
  hl_tr064_desc_free(&igd);
  hl_tr064_desc_free(&igd);
  hl_tr064_desc_free(NULL);
}
END_TEST

#define SVC(type, ctl)                                                         \
  "<service><serviceType>" type "</serviceType><controlURL>" ctl               \
  "</controlURL></service>"

static const struct desc_case {
  const char *body;
  int rc;
  size_t nservices;
} desc_cases[] = {
    {"<root><device><modelName>M</modelName><serviceList>" SVC("urn:a:1", "/ok")
         SVC("urn:b:1", "http://evil.example/x") SVC("urn:c:1",
                                                     "//evil.example/x")
             SVC("urn:d:1", "/a b") SVC("", "/noType") SVC("urn:e:1", "")
                 SVC("urn:f:1", " /trimmed ") "</serviceList></device></root>",
     0, 2},
    {"<root><device/></root>", 0, 0},
    {"<root/>", -EPROTO, 0},
    {"<scpd/>", -EPROTO, 0},
    {"<x:root xmlns:x=\"urn:dslforum-org:device-1-0\"><x:device><x:serviceList>"
     "<x:service><x:serviceType>urn:p:1</x:serviceType><x:controlURL>/p"
     "</x:controlURL></x:service></x:serviceList></x:device></x:root>",
     0, 1},
};

START_TEST(test_desc_inline) {
  const struct desc_case *c = &desc_cases[_i];
  size_t len = strlen(c->body);
  char *body = hl_test_dup_exact(c->body, len);
  struct hl_tr064_desc d;
  int rc = hl_tr064_parse_desc(body, len, &d);
  free(body);
  ck_assert_msg(rc == c->rc, "case %d: %d (%s)", _i, rc, d.error);
  ck_assert_uint_eq(d.nservices, c->nservices);
  if (_i == 0) {
    ck_assert_str_eq(d.services[0].control_url, "/ok");
    ck_assert_str_eq(d.services[1].control_url, "/trimmed");
    ck_assert_str_eq(d.services[0].scpd_url, "");
    ck_assert_str_eq(d.services[0].id, "");
  }
  hl_tr064_desc_free(&d);
}
END_TEST

/* Services nested deeper than 16 device levels are not reached. */
START_TEST(test_desc_deep) {
  struct hl_buf b;
  hl_buf_init(&b, HL_TR064_MAX_BODY);
  ck_assert_int_eq(hl_buf_append(&b, "<root>", 6), 0);
  const char *open =
      "<device><serviceList>" SVC("urn:x:1", "/x") "</serviceList><deviceList>";
  const char *close = "</deviceList></device>";
  for (int i = 0; i < 40; i++)
    ck_assert_int_eq(hl_buf_append(&b, open, strlen(open)), 0);
  for (int i = 0; i < 40; i++)
    ck_assert_int_eq(hl_buf_append(&b, close, strlen(close)), 0);
  ck_assert_int_eq(hl_buf_append(&b, "</root>", 7), 0);
  struct hl_tr064_desc d;
  ck_assert_int_eq(hl_tr064_parse_desc(b.data, b.len, &d), 0);
  ck_assert_uint_eq(d.nservices, 17);
  hl_tr064_desc_free(&d);
  hl_buf_free(&b);
}
END_TEST

START_TEST(test_scpd) {
  size_t len = 0;
  char *body = load("deviceinfo_scpd.xml", &len);
  struct hl_tr064_service s = {0};
  ck_assert(hl_tr064_service_has_action(&s, "GetInfo")); /* unknown: try */
  char err[96];
  ck_assert_int_eq(hl_tr064_parse_scpd(body, len, &s, err, sizeof(err)), 0);
  ck_assert_str_eq(err, "");
  ck_assert(s.have_actions);
  ck_assert_uint_eq(s.nactions, 4);
  ck_assert(hl_tr064_service_has_action(&s, "GetInfo"));
  ck_assert(hl_tr064_service_has_action(&s, "GetSecurityPort"));
  ck_assert(!hl_tr064_service_has_action(&s, "X_AVM-DE_GetHostListPath"));
  ck_assert(!hl_tr064_service_has_action(&s, "ModelName"));
  ck_assert(!hl_tr064_service_has_action(NULL, "GetInfo"));
  /* A second parse replaces the list; a failed one keeps it. */
  ck_assert_int_eq(hl_tr064_parse_scpd(body, len, &s, err, sizeof(err)), 0);
  ck_assert_uint_eq(s.nactions, 4);
  ck_assert_int_eq(hl_tr064_parse_scpd("<root/>", 7, &s, err, sizeof(err)),
                   -EPROTO);
  ck_assert_str_eq(err, "no scpd root");
  ck_assert_uint_eq(s.nactions, 4);
  free(body);
  body = load("bomb.xml", &len);
  ck_assert_int_eq(hl_tr064_parse_scpd(body, len, &s, err, sizeof(err)),
                   -EPROTO);
  ck_assert_str_eq(err, "DOCTYPE not allowed");
  free(body);
  for (size_t i = 0; i < s.nactions; i++)
    free(s.actions[i]);
  free(s.actions);
}
END_TEST

/* ---- accessors ---- */

START_TEST(test_accessors) {
  struct hl_tr064_response r;
  ck_assert_int_eq(parse_file("igd_addoninfos_big64.xml", "GetAddonInfos", &r),
                   0);
  uint64_t u64 = 7;
  ck_assert_int_eq(hl_tr064_get_u64(&r, "NewX_AVM_DE_TotalBytesSent64", &u64),
                   0);
  ck_assert_uint_eq(u64, UINT64_MAX);
  u64 = 7;
  ck_assert_int_eq(
      hl_tr064_get_u64(&r, "NewX_AVM_DE_TotalBytesReceived64", &u64), -ERANGE);
  ck_assert_uint_eq(u64, 7);
  ck_assert_int_eq(hl_tr064_get_u64(&r, "NewX_AVM_DE_WANAccessType", &u64),
                   -EINVAL);
  ck_assert_int_eq(hl_tr064_get_u64(&r, "NewMissing", &u64), -ENOENT);
  uint32_t u32 = 0;
  ck_assert_int_eq(hl_tr064_get_u32(&r, "NewTotalBytesSent", &u32), 0);
  ck_assert_uint_eq(u32, UINT32_MAX);
  ck_assert_int_eq(hl_tr064_get_u32(&r, "NewTotalBytesReceived", &u32),
                   -ERANGE);
  bool b = false;
  ck_assert_int_eq(hl_tr064_get_bool(&r, "NewByteSendRate", &b), 0);
  ck_assert(!b);
  ck_assert_int_eq(hl_tr064_get_bool(&r, "NewTotalBytesSent", &b), -EINVAL);
  char s[4];
  ck_assert_int_eq(hl_tr064_get_str(&r, "NewX_AVM_DE_WANAccessType", s, 4), 0);
  ck_assert_str_eq(s, "DSL");
  ck_assert_int_eq(hl_tr064_get_str(&r, "NewTotalBytesSent", s, 4),
                   -ENAMETOOLONG);
  ck_assert_str_eq(s, "429");
  ck_assert_int_eq(hl_tr064_get_str(&r, "NewMissing", s, 4), -ENOENT);
  ck_assert_str_eq(s, "");
  ck_assert_int_eq(hl_tr064_get_str(&r, "NewMissing", NULL, 4), -EINVAL);
  int32_t i32 = 0;
  ck_assert_int_eq(hl_tr064_get_i32(&r, "NewTotalBytesSent", &i32), -ERANGE);
  hl_tr064_response_free(&r);
  ck_assert_ptr_null(hl_tr064_get(NULL, "x"));
}
END_TEST

static const struct bool_case {
  const char *text;
  int rc;
  bool value;
} bool_cases[] = {
    {"1", 0, true},        {"0", 0, false},      {"true", 0, true},
    {"False", 0, false},   {"yes", 0, true},     {"no", 0, false},
    {"2", -EINVAL, false}, {"", -EINVAL, false}, {"10", -EINVAL, false},
};

START_TEST(test_bool) {
  const struct bool_case *c = &bool_cases[_i];
  char name[] = "NewActive";
  char *value = (char *)c->text;
  struct hl_tr064_pair p = {name, value};
  struct hl_tr064_response r = {.pairs = &p, .npairs = 1};
  bool v = !c->value;
  ck_assert_int_eq(hl_tr064_get_bool(&r, "NewActive", &v), c->rc);
  if (c->rc == 0)
    ck_assert(v == c->value);
}
END_TEST

/* ---- areas ---- */

static void parse_into(const char *file, const char *action,
                       struct hl_tr064_response *r) {
  ck_assert_int_eq(parse_file(file, action, r), 0);
}

START_TEST(test_wan_common) {
  struct hl_tr064_wan_common w = {0};
  struct hl_tr064_response r;
  parse_into("igd_addoninfos.xml", "GetAddonInfos", &r);
  hl_tr064_wan_common_from(&r, &w);
  hl_tr064_response_free(&r);
  ck_assert_uint_eq(w.send_rate, 178);
  ck_assert_uint_eq(w.recv_rate, 10893);
  ck_assert_uint_eq(w.sent32, 648264327u);
  ck_assert_uint_eq(w.recv32, 433750153u);
  ck_assert_uint_eq(w.sent64, 129497283207ull);
  ck_assert_uint_eq(w.recv64, 554484531337ull);
  ck_assert_str_eq(w.access_type, "DSL");
  ck_assert(!(w.have & HL_TR064_WAN_LINK));
  parse_into("tr064_commonlinkproperties.xml", "GetCommonLinkProperties", &r);
  hl_tr064_wan_common_from(&r, &w);
  hl_tr064_response_free(&r);
  ck_assert_uint_eq(w.up_max_bps, 46720000);
  ck_assert_uint_eq(w.down_max_bps, 116796000);
  ck_assert(w.link_up);
  ck_assert_uint_eq(w.have, 0x3ff);
  parse_into("tr064_totalbytessent.xml", "GetTotalBytesSent", &r);
  hl_tr064_wan_common_from(&r, &w);
  hl_tr064_response_free(&r);
  ck_assert_uint_eq(w.sent32, 3809234512u);

  struct hl_tr064_wan_common c = {0};
  parse_into("igd_commonlinkproperties_cable.xml", "GetCommonLinkProperties",
             &r);
  hl_tr064_wan_common_from(&r, &c);
  hl_tr064_response_free(&r);
  ck_assert_str_eq(c.access_type, "Cable");
  ck_assert(!c.link_up);
  ck_assert_uint_eq(c.down_max_bps, 1100000000);
  ck_assert_uint_eq(c.have, HL_TR064_WAN_ACCESS_TYPE | HL_TR064_WAN_UP_MAX |
                                HL_TR064_WAN_DOWN_MAX | HL_TR064_WAN_LINK);

  /* Near 2^64: the good 64-bit value is kept, the overflowing one is not. */
  struct hl_tr064_wan_common big = {0};
  parse_into("igd_addoninfos_big64.xml", "GetAddonInfos", &r);
  hl_tr064_wan_common_from(&r, &big);
  hl_tr064_response_free(&r);
  ck_assert_uint_eq(big.sent64, UINT64_MAX);
  ck_assert(big.have & HL_TR064_WAN_SENT64);
  ck_assert(!(big.have & HL_TR064_WAN_RECV64));
  ck_assert(!(big.have & HL_TR064_WAN_RECV32));
}
END_TEST

START_TEST(test_wan_conn) {
  struct hl_tr064_wan_conn c = {0};
  struct hl_tr064_response r;
  parse_into("igd_statusinfo.xml", "GetStatusInfo", &r);
  hl_tr064_wan_conn_from(&r, &c);
  hl_tr064_response_free(&r);
  parse_into("igd_externalip.xml", "GetExternalIPAddress", &r);
  hl_tr064_wan_conn_from(&r, &c);
  hl_tr064_response_free(&r);
  ck_assert(c.connected);
  ck_assert_uint_eq(c.uptime, 412837);
  ck_assert_str_eq(c.external_ip, "203.0.113.77");
  ck_assert_str_eq(c.last_error, "ERROR_NONE");
  ck_assert_uint_eq(c.have, 0xf);

  struct hl_tr064_wan_conn p = {0};
  parse_into("tr064_ppp_info.xml", "GetInfo", &r);
  hl_tr064_wan_conn_from(&r, &p);
  hl_tr064_response_free(&r);
  ck_assert(!p.connected);
  ck_assert_str_eq(p.status, "Connecting");
  ck_assert_uint_eq(p.uptime, 0);
  ck_assert_str_eq(p.external_ip, "0.0.0.0");

  /* Not an address: ignored. */
  char name[] = "NewExternalIPAddress";
  char value[] = "203.0.113.77<script>";
  struct hl_tr064_pair pair = {name, value};
  struct hl_tr064_response bad = {.pairs = &pair, .npairs = 1};
  hl_tr064_wan_conn_from(&bad, &c);
  ck_assert_str_eq(c.external_ip, "203.0.113.77");
}
END_TEST

START_TEST(test_dsl) {
  struct hl_tr064_dsl_info d = {0};
  struct hl_tr064_response r;
  parse_into("tr064_dsl_info.xml", "GetInfo", &r);
  hl_tr064_dsl_info_from(&r, &d);
  hl_tr064_response_free(&r);
  ck_assert_uint_eq(d.have, 0x1ff);
  ck_assert_uint_eq(d.up_curr_bps, 46720000);
  ck_assert_uint_eq(d.down_curr_bps, 116796000);
  ck_assert_uint_eq(d.up_max_bps, 50413000);
  ck_assert_uint_eq(d.down_max_bps, 135112000);
  ck_assert_double_eq_tol(d.up_margin_db, 8.0, 1e-9);
  ck_assert_double_eq_tol(d.down_margin_db, 9.5, 1e-9);
  ck_assert_double_eq_tol(d.up_atten_db, 7.0, 1e-9);
  ck_assert_double_eq_tol(d.down_atten_db, 14.3, 1e-9);
  ck_assert_str_eq(d.status, "Up");

  struct hl_tr064_dsl_info n = {0};
  parse_into("tr064_dsl_info_negative.xml", "GetInfo", &r);
  hl_tr064_dsl_info_from(&r, &n);
  hl_tr064_response_free(&r);
  ck_assert_double_eq_tol(n.up_margin_db, -1.5, 1e-9);
  ck_assert_uint_eq(n.have, HL_TR064_DSL_UP_CURR | HL_TR064_DSL_DOWN_CURR |
                                HL_TR064_DSL_UP_MARGIN | HL_TR064_DSL_STATUS);
  ck_assert_str_eq(n.status, "Initializing");

  struct hl_tr064_dsl_stats s = {0};
  parse_into("tr064_dsl_stats.xml", "GetStatisticsTotal", &r);
  hl_tr064_dsl_stats_from(&r, &s);
  hl_tr064_response_free(&r);
  ck_assert_uint_eq(s.have, 0x3ff);
  ck_assert_uint_eq(s.crc, 42);
  ck_assert_uint_eq(s.atuc_crc, 5);
  ck_assert_uint_eq(s.fec, 1829);
  ck_assert_uint_eq(s.hec, 0);
  ck_assert_uint_eq(s.errored_secs, 17);
  ck_assert_uint_eq(s.severely_errored_secs, 3);
  ck_assert_uint_eq(s.link_retrain, 2);
}
END_TEST

static const struct conv_case {
  int32_t tenths;
  double db;
} conv_cases[] = {{80, 8.0}, {0, 0.0}, {-15, -1.5}, {143, 14.3}, {1, 0.1}};

START_TEST(test_conversions) {
  const struct conv_case *c = &conv_cases[_i];
  ck_assert_double_eq_tol(hl_tr064_tenth_db(c->tenths), c->db, 1e-9);
  ck_assert_uint_eq(hl_tr064_kbit_to_bit(UINT32_MAX), 4294967295000ull);
  ck_assert_uint_eq(hl_tr064_kbit_to_bit(116796), 116796000);
}
END_TEST

START_TEST(test_device_info) {
  struct hl_tr064_device_info d = {0};
  struct hl_tr064_response r;
  parse_into("tr064_deviceinfo.xml", "GetInfo", &r);
  hl_tr064_device_info_from(&r, &d);
  hl_tr064_response_free(&r);
  ck_assert_uint_eq(d.have, 0xf);
  ck_assert_str_eq(d.model, "FRITZ!Box 7590");
  ck_assert_str_eq(d.software, "164.07.57");
  ck_assert_uint_eq(d.uptime, 1209637);

  struct hl_tr064_device_info o = {0};
  parse_into("odd_prefix.xml", "GetInfo", &r);
  hl_tr064_device_info_from(&r, &o);
  hl_tr064_response_free(&r);
  ck_assert_str_eq(o.model, "FRITZ!Box 7530 AX");
  ck_assert_str_eq(o.software, "256.07.80");
  ck_assert_str_eq(o.hardware, "");
  ck_assert_uint_eq(o.uptime, UINT32_MAX);
}
END_TEST

START_TEST(test_hosts) {
  struct hl_tr064_hosts h = {0};
  struct hl_tr064_response r;
  parse_into("tr064_hostnumberofentries.xml", "GetHostNumberOfEntries", &r);
  hl_tr064_hosts_from(&r, &h);
  hl_tr064_response_free(&r);
  ck_assert_uint_eq(h.known, 23);
  ck_assert_uint_eq(h.have, HL_TR064_HOSTS_KNOWN);
  static const char *const entries[] = {"tr064_genericentry_active.xml",
                                        "tr064_genericentry_inactive.xml",
                                        "tr064_genericentry_active.xml"};
  for (size_t i = 0; i < 3; i++) {
    parse_into(entries[i], "GetGenericHostEntry", &r);
    ck_assert_int_eq(hl_tr064_hosts_add_entry(&r, &h), 0);
    hl_tr064_response_free(&r);
  }
  ck_assert_uint_eq(h.active, 2);
  ck_assert_uint_eq(h.have, HL_TR064_HOSTS_KNOWN | HL_TR064_HOSTS_ACTIVE);
  ck_assert_int_eq(hl_tr064_hosts_add_entry(&r, &h), -ENOENT);

  char path[128];
  parse_into("tr064_hostlistpath.xml", "X_AVM-DE_GetHostListPath", &r);
  ck_assert_int_eq(hl_tr064_host_list_path(&r, path, sizeof(path)), 0);
  ck_assert_str_eq(path, "/devicehostlist.lua?sid=0123456789abcdef");
  ck_assert_int_eq(hl_tr064_host_list_path(&r, path, 10), -ENAMETOOLONG);
  ck_assert_str_eq(path, "");
  hl_tr064_response_free(&r);
  char name[] = "NewX_AVM-DE_HostListPath";
  char value[] = "http://evil.example/list";
  struct hl_tr064_pair p = {name, value};
  struct hl_tr064_response bad = {.pairs = &p, .npairs = 1};
  ck_assert_int_eq(hl_tr064_host_list_path(&bad, path, sizeof(path)), -EPROTO);

  size_t len = 0;
  char *body = load("devicehostlist.xml", &len);
  struct hl_tr064_hosts l = {0};
  char err[96];
  ck_assert_int_eq(hl_tr064_parse_host_list(body, len, &l, err, sizeof(err)),
                   0);
  free(body);
  ck_assert_uint_eq(l.known, 5);
  ck_assert_uint_eq(l.active, 3);
  ck_assert_int_eq(hl_tr064_parse_host_list("<Lost/>", 7, &l, err, 96),
                   -EPROTO);
  ck_assert_str_eq(err, "no List root");
  ck_assert_uint_eq(l.known, 5);
}
END_TEST

static const struct wlan_case {
  const char *type;
  unsigned index;
} wlan_cases[] = {
    {TR "WLANConfiguration:1", 1},
    {TR "WLANConfiguration:2", 2},
    {TR "WLANConfiguration:3", 3},
    {TR "WLANConfiguration:4", 0},
    {TR "WLANConfiguration:0", 0},
    {TR "WLANConfiguration:12", 0},
    {TR "WLANConfiguration:", 0},
    {IGD "WLANConfiguration:1", 0},
    {NULL, 0},
};

START_TEST(test_wlan_index) {
  ck_assert_uint_eq(hl_tr064_wlan_index(wlan_cases[_i].type),
                    wlan_cases[_i].index);
}
END_TEST

START_TEST(test_wlan) {
  struct hl_tr064_wlan w = {0};
  struct hl_tr064_response r;
  parse_into("tr064_wlan1_assoc.xml", "GetTotalAssociations", &r);
  ck_assert_int_eq(hl_tr064_wlan_from(&r, 1, &w), 0);
  ck_assert_int_eq(hl_tr064_wlan_from(&r, 4, &w), -EINVAL);
  ck_assert_int_eq(hl_tr064_wlan_from(&r, 0, &w), -EINVAL);
  hl_tr064_response_free(&r);
  parse_into("tr064_wlan3_assoc.xml", "GetTotalAssociations", &r);
  ck_assert_int_eq(hl_tr064_wlan_from(&r, 3, &w), 0);
  hl_tr064_response_free(&r);
  ck_assert_uint_eq(w.assoc[0], 7);
  ck_assert_uint_eq(w.assoc[2], 0);
  ck_assert_uint_eq(w.have, 0x5);
  ck_assert_int_eq(hl_tr064_wlan_from(&r, 2, &w), -ENOENT);
}
END_TEST

/* ---- counters ---- */

static const struct counter_case {
  uint32_t readings[4];
  size_t n;
  uint64_t max_delta;
  uint64_t total;
  unsigned resets;
} counter_cases[] = {
    {{100, 200, 350}, 3, 0, 250, 0},
    {{UINT32_MAX - 9, 20}, 2, 1000, 30, 0},        /* wrap */
    {{UINT32_MAX - 9, 20}, 2, 0, 30, 0},           /* wrap, no check */
    {{3000000000u, 5000}, 2, 1000000, 5000, 1},    /* reboot: reset */
    {{3000000000u, 5000}, 2, 0, 1294972296ull, 0}, /* taken as wrap */
    {{7, 7, 7}, 3, 10, 0, 0},                      /* idle */
    {{0, UINT32_MAX, 10, 20}, 4, UINT64_MAX, UINT32_MAX + 21ull, 0},
};

START_TEST(test_counter32) {
  const struct counter_case *c = &counter_cases[_i];
  struct hl_tr064_counter32 k = {0};
  unsigned resets = 0;
  for (size_t i = 0; i < c->n; i++)
    resets += hl_tr064_counter32_update(&k, c->readings[i], c->max_delta);
  ck_assert_uint_eq(k.total, c->total);
  ck_assert_uint_eq(resets, c->resets);
  ck_assert_uint_eq(hl_tr064_delta32(UINT32_MAX, 0), 1);
  ck_assert_uint_eq(hl_tr064_delta32(5, 3), UINT32_MAX - 1);
}
END_TEST

Suite *hl_tr064_suite(void) {
  Suite *s = suite_create("hl_tr064");
  TCase *tc = tcase_create("soap");
  tcase_add_loop_test(tc, test_envelope, 0, ARRAY_SIZE(envelope_cases));
  tcase_add_test(tc, test_envelope_cap);
  tcase_add_loop_test(tc, test_soapaction, 0, ARRAY_SIZE(soapaction_cases));
  tcase_add_loop_test(tc, test_response, 0, ARRAY_SIZE(response_cases));
  tcase_add_loop_test(tc, test_fault, 0, ARRAY_SIZE(fault_cases));
  tcase_add_loop_test(tc, test_inline, 0, ARRAY_SIZE(inline_cases));
  tcase_add_test(tc, test_html_no_echo);
  tcase_add_test(tc, test_huge_and_many);
  tcase_add_loop_test(tc, test_truncated, 0, ARRAY_SIZE(all_files));
  tcase_set_timeout(tc, 120);
  suite_add_tcase(s, tc);

  tc = tcase_create("desc");
  tcase_add_test(tc, test_desc_files);
  tcase_add_loop_test(tc, test_desc_inline, 0, ARRAY_SIZE(desc_cases));
  tcase_add_test(tc, test_desc_deep);
  tcase_add_test(tc, test_scpd);
  suite_add_tcase(s, tc);

  tc = tcase_create("values");
  tcase_add_test(tc, test_accessors);
  tcase_add_loop_test(tc, test_bool, 0, ARRAY_SIZE(bool_cases));
  tcase_add_test(tc, test_wan_common);
  tcase_add_test(tc, test_wan_conn);
  tcase_add_test(tc, test_dsl);
  tcase_add_loop_test(tc, test_conversions, 0, ARRAY_SIZE(conv_cases));
  tcase_add_test(tc, test_device_info);
  tcase_add_test(tc, test_hosts);
  tcase_add_loop_test(tc, test_wlan_index, 0, ARRAY_SIZE(wlan_cases));
  tcase_add_test(tc, test_wlan);
  tcase_add_loop_test(tc, test_counter32, 0, ARRAY_SIZE(counter_cases));
  suite_add_tcase(s, tc);
  return s;
}
