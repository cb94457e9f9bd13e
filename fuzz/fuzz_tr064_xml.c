// SPDX-License-Identifier: MIT
/*
 * fuzz_tr064_xml: the XML documents a FRITZ!Box serves besides SOAP
 * answers (hl_tr064): device descriptions (tr64desc.xml, igddesc.xml),
 * SCPD files and the host list behind X_AVM-DE_GetHostListPath.
 *
 * Every input is parsed as all three. A description may only hold services
 * the client can use safely (a serviceType, an absolute printable
 * controlURL, an SCPDURL that is such a path or empty, at most 256) and
 * terminated identity strings; a failure leaves no services. An SCPD parse
 * must replace a service's actions on success (non-empty names, at most
 * 512) and leave them alone on failure; lookups by type and action must
 * agree with the lists. A host list must count at least as many hosts as
 * active ones. Seeds: the .xml files of tests/fixtures/tr064.
 */
#include "fuzz.h"

#include "hl_tr064.h"

#include <errno.h>

static void check_path(const char *s, bool may_be_empty) {
  FZ_CHECK(s != NULL);
  if (s[0] == '\0') {
    FZ_CHECK(may_be_empty);
    return;
  }
  FZ_CHECK(s[0] == '/' && s[1] != '/');
  for (const char *p = s; *p; p++)
    FZ_CHECK(*p > 0x20 && *p < 0x7f && *p != '"' && *p != '\\' && *p != '<' &&
             *p != '>');
}

static void fuzz_desc(const uint8_t *data, size_t size) {
  struct hl_tr064_desc d;
  int rc = hl_tr064_parse_desc((const char *)data, size, &d);
  FZ_CHECK(rc == 0 || rc == -EPROTO || rc == -E2BIG);
  FZ_CHECK(fz_terminated(d.error, sizeof(d.error)));
  FZ_CHECK(fz_terminated(d.model_name, sizeof(d.model_name)));
  FZ_CHECK(fz_terminated(d.friendly_name, sizeof(d.friendly_name)));
  FZ_CHECK(fz_terminated(d.firmware, sizeof(d.firmware)));
  if (rc != 0) {
    FZ_CHECK(d.nservices == 0 && d.services == NULL && d.error[0] != '\0');
    hl_tr064_desc_free(&d);
    return;
  }
  FZ_CHECK(d.nservices <= 256);
  for (size_t i = 0; i < d.nservices; i++) {
    const struct hl_tr064_service *s = &d.services[i];
    FZ_CHECK(s->type != NULL && s->type[0] != '\0' && s->id != NULL);
    check_path(s->control_url, false);
    check_path(s->scpd_url, true);
    FZ_CHECK(!s->have_actions && s->nactions == 0);
    const struct hl_tr064_service *f = hl_tr064_desc_find(&d, s->type);
    FZ_CHECK(f != NULL && f <= s && strcmp(f->type, s->type) == 0);
    FZ_CHECK(hl_tr064_service_has_action(s, "GetInfo"));
    unsigned w = hl_tr064_wlan_index(s->type);
    FZ_CHECK(w <= 3);
  }
  /* An SCPD of the same bytes into the first service (it has none yet). */
  if (d.nservices > 0) {
    char err[96];
    struct hl_tr064_service *s = &d.services[0];
    if (hl_tr064_parse_scpd((const char *)data, size, s, err, sizeof(err)) == 0)
      for (size_t i = 0; i < s->nactions; i++)
        FZ_CHECK(hl_tr064_service_has_action(s, s->actions[i]));
  }
  hl_tr064_desc_free(&d);
  FZ_CHECK(d.services == NULL && d.nservices == 0);
}

static void fuzz_scpd(const uint8_t *data, size_t size) {
  char *old = fz_str("Old", 3);
  struct hl_tr064_service svc = {.actions = fz_dup(&old, sizeof(old)),
                                 .nactions = 1};
  char err[96] = "x";
  int rc =
      hl_tr064_parse_scpd((const char *)data, size, &svc, err, sizeof(err));
  FZ_CHECK(rc == 0 || rc == -EPROTO || rc == -E2BIG);
  FZ_CHECK(fz_terminated(err, sizeof(err)));
  if (rc != 0) {
    FZ_CHECK(err[0] != '\0');
    FZ_CHECK(!svc.have_actions && svc.nactions == 1 &&
             strcmp(svc.actions[0], "Old") == 0);
    FZ_CHECK(hl_tr064_service_has_action(&svc, "Old")); /* unknown: try */
  } else {
    FZ_CHECK(err[0] == '\0' && svc.have_actions && svc.nactions <= 512);
    for (size_t i = 0; i < svc.nactions; i++) {
      FZ_CHECK(svc.actions[i] != NULL && svc.actions[i][0] != '\0');
      FZ_CHECK(hl_tr064_service_has_action(&svc, svc.actions[i]));
    }
    bool old_listed = false;
    for (size_t i = 0; i < svc.nactions; i++)
      old_listed |= strcmp(svc.actions[i], "Old") == 0;
    FZ_CHECK(hl_tr064_service_has_action(&svc, "Old") == old_listed);
  }
  for (size_t i = 0; i < svc.nactions; i++)
    free(svc.actions[i]);
  free(svc.actions);
}

static void fuzz_host_list(const uint8_t *data, size_t size) {
  struct hl_tr064_hosts h = {.have = 0, .known = 7, .active = 3};
  char err[96];
  int rc =
      hl_tr064_parse_host_list((const char *)data, size, &h, err, sizeof(err));
  FZ_CHECK(rc == 0 || rc == -EPROTO || rc == -E2BIG);
  FZ_CHECK(fz_terminated(err, sizeof(err)));
  if (rc == 0)
    FZ_CHECK(h.active <= h.known &&
             h.have == (HL_TR064_HOSTS_KNOWN | HL_TR064_HOSTS_ACTIVE));
  else
    FZ_CHECK(h.have == 0 && h.known == 7 && h.active == 3 && err[0] != '\0');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_desc(data, size);
  fuzz_scpd(data, size);
  fuzz_host_list(data, size);
  return 0;
}
