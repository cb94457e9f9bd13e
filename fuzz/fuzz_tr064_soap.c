// SPDX-License-Identifier: MIT
/*
 * fuzz_tr064_soap: SOAP responses and faults of a FRITZ!Box (hl_tr064).
 *
 * The input is an HTTP body as a box might answer a TR-064 or IGD action.
 * It is parsed for any action and for "GetInfo"; the result must be what
 * hl_tr064.h promises (a fault has no pairs and a printable description,
 * an error leaves a reason and no pairs, names and values are never NULL,
 * at most HL_TR064_MAX_PAIRS). Every typed accessor runs on every pair and
 * is compared with hl_str's strict parsers; every per-area table, the host
 * list path, the WLAN slots and the host entry counter run on the result.
 * Then the pairs go back out through hl_tr064_envelope() as the arguments
 * of a "<X>Response" element, and parsing that envelope must give the same
 * pairs again: what the parser yields, the builder must carry unchanged.
 * Seeds: the .xml files of tests/fixtures/tr064.
 */
#include "fuzz.h"

#include "hl_tr064.h"

#include <errno.h>

static void check_printable(const char *s, size_t size) {
  FZ_CHECK(fz_terminated(s, size));
  for (; *s; s++)
    FZ_CHECK(*s >= 0x20 && *s < 0x7f);
}

/* The typed accessors against hl_str's parsers, for one argument. */
static void check_accessors(const struct hl_tr064_response *r,
                            const char *name) {
  const char *v = hl_tr064_get(r, name);
  FZ_CHECK(v != NULL);
  uint64_t u64 = 0, ref = 0;
  int rc = hl_tr064_get_u64(r, name, &u64);
  int want = hl_str_to_u64(v, 0, UINT64_MAX, &ref);
  FZ_CHECK(rc == want && (rc != 0 || u64 == ref));
  uint32_t u32 = 0;
  rc = hl_tr064_get_u32(r, name, &u32);
  want = hl_str_to_u64(v, 0, UINT32_MAX, &ref);
  FZ_CHECK(rc == want && (rc != 0 || u32 == ref));
  int32_t i32 = 0;
  int64_t iref = 0;
  rc = hl_tr064_get_i32(r, name, &i32);
  want = hl_str_to_i64(v, INT32_MIN, INT32_MAX, &iref);
  FZ_CHECK(rc == want && (rc != 0 || i32 == iref));
  bool b = false;
  rc = hl_tr064_get_bool(r, name, &b);
  FZ_CHECK(rc == 0 || rc == -EINVAL);
  if (rc == 0)
    FZ_CHECK(b == (strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0 ||
                   strcasecmp(v, "yes") == 0));
  char small[8];
  rc = hl_tr064_get_str(r, name, small, sizeof(small));
  FZ_CHECK(fz_terminated(small, sizeof(small)));
  FZ_CHECK(rc == (strlen(v) < sizeof(small) ? 0 : -ENAMETOOLONG));
  FZ_CHECK(strncmp(small, v, strlen(small)) == 0);
}

static void check_tables(const struct hl_tr064_response *r) {
  struct hl_tr064_wan_common w = {0};
  hl_tr064_wan_common_from(r, &w);
  FZ_CHECK(fz_terminated(w.access_type, sizeof(w.access_type)));
  FZ_CHECK(fz_terminated(w.link_status, sizeof(w.link_status)));
  struct hl_tr064_wan_conn c = {0};
  hl_tr064_wan_conn_from(r, &c);
  FZ_CHECK(fz_terminated(c.external_ip, sizeof(c.external_ip)));
  FZ_CHECK(fz_terminated(c.last_error, sizeof(c.last_error)));
  struct hl_tr064_dsl_info di = {0};
  hl_tr064_dsl_info_from(r, &di);
  FZ_CHECK(fz_terminated(di.status, sizeof(di.status)));
  struct hl_tr064_dsl_stats ds = {0};
  hl_tr064_dsl_stats_from(r, &ds);
  struct hl_tr064_device_info dev = {0};
  hl_tr064_device_info_from(r, &dev);
  FZ_CHECK(fz_terminated(dev.model, sizeof(dev.model)));
  struct hl_tr064_hosts h = {0};
  hl_tr064_hosts_from(r, &h);
  FZ_CHECK(h.active == 0);
  int rc = hl_tr064_hosts_add_entry(r, &h);
  FZ_CHECK(rc == 0 || rc == -ENOENT || rc == -EINVAL);
  FZ_CHECK(h.active <= 1);
  struct hl_tr064_wlan wl = {0};
  for (unsigned i = 0; i <= 4; i++) {
    rc = hl_tr064_wlan_from(r, i, &wl);
    if (i < 1 || i > 3)
      FZ_CHECK(rc == -EINVAL);
    else
      FZ_CHECK(rc == 0 || rc == -ENOENT || rc == -EINVAL || rc == -ERANGE);
  }
  FZ_CHECK((wl.have & ~7u) == 0);
  char path[256];
  rc = hl_tr064_host_list_path(r, path, sizeof(path));
  FZ_CHECK(fz_terminated(path, sizeof(path)));
  FZ_CHECK(rc == 0 || path[0] == '\0');
  if (rc == 0) {
    FZ_CHECK(path[0] == '/');
    check_printable(path, sizeof(path));
  }
}

static bool arg_name_ok(const char *s) {
  if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
    return false;
  for (; *s; s++)
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
          (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
      return false;
  return true;
}

/* Builds an envelope carrying @r's pairs and parses it back. */
static void round_trip(const struct hl_tr064_response *r) {
  struct hl_tr064_arg *args = fz_dup("", r->npairs * sizeof(*args));
  for (size_t i = 0; i < r->npairs; i++) {
    if (!arg_name_ok(r->pairs[i].name)) {
      free(args);
      return;
    }
    args[i] = (struct hl_tr064_arg){r->pairs[i].name, r->pairs[i].value};
  }
  struct hl_buf env;
  hl_buf_init(&env, 4 * HL_TR064_MAX_BODY);
  int rc = hl_tr064_envelope("urn:dslforum-org:service:DeviceInfo:1",
                             "GetInfoResponse", args, r->npairs, &env);
  free(args);
  FZ_CHECK(rc == 0 || rc == -EINVAL);
  if (rc == 0 && env.len <= HL_TR064_MAX_BODY) {
    struct hl_tr064_response back;
    rc = hl_tr064_parse_response(env.data, env.len, "GetInfo", &back);
    if (rc != 0)
      fprintf(stderr, "envelope does not parse back: %s\n", back.error);
    FZ_CHECK(rc == 0);
    FZ_CHECK(back.npairs == r->npairs);
    for (size_t i = 0; i < r->npairs; i++) {
      FZ_CHECK(strcmp(back.pairs[i].name, r->pairs[i].name) == 0);
      FZ_CHECK(strcmp(back.pairs[i].value, r->pairs[i].value) == 0);
    }
    hl_tr064_response_free(&back);
  }
  hl_buf_free(&env);
}

static void fuzz_action(const uint8_t *data, size_t size, const char *action) {
  struct hl_tr064_response r;
  int rc = hl_tr064_parse_response((const char *)data, size, action, &r);
  FZ_CHECK(rc == 0 || rc == -EREMOTEIO || rc == -EPROTO || rc == -E2BIG);
  check_printable(r.error, sizeof(r.error));
  check_printable(r.fault_desc, sizeof(r.fault_desc));
  if (rc != 0)
    FZ_CHECK(r.npairs == 0 && r.pairs == NULL);
  if (rc == -EREMOTEIO)
    FZ_CHECK(r.fault_desc[0] != '\0');
  else
    FZ_CHECK(r.fault_code == 0);
  if (rc == -EPROTO || rc == -E2BIG)
    FZ_CHECK(r.error[0] != '\0');
  if (rc == 0) {
    FZ_CHECK(r.error[0] == '\0');
    FZ_CHECK(r.npairs <= HL_TR064_MAX_PAIRS);
    for (size_t i = 0; i < r.npairs; i++) {
      FZ_CHECK(r.pairs[i].name != NULL && r.pairs[i].value != NULL);
      check_accessors(&r, r.pairs[i].name);
    }
    FZ_CHECK(hl_tr064_get(&r, "") == NULL || r.npairs > 0);
    round_trip(&r);
  }
  check_tables(&r);
  hl_tr064_response_free(&r);
  FZ_CHECK(r.pairs == NULL && r.npairs == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_action(data, size, NULL);
  fuzz_action(data, size, "GetInfo");
  return 0;
}
