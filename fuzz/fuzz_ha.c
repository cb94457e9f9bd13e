// SPDX-License-Identifier: MIT
/*
 * fuzz_ha: the Home Assistant REST API decoders of hl_ha.
 *
 * Input: a response body, optionally followed by a NUL and parameter lines
 * "i:<entity id>", "p:<glob>" and "a:<attribute>" that make up a filter
 * (without them a fixed filter is used). The body goes through every
 * parser: GET /api/, the error "message", /api/config, /api/core/state,
 * /api/states/<id> with the attribute, and /api/states without a filter and
 * with the filter. Checked: failures leave nothing behind and say why;
 * strings are terminated, valid UTF-8 and within HL_HA_MAX_FIELD; the
 * filtered listing is exactly the unfiltered one restricted to the
 * entities an id or hl_ha_glob_match() selects; and each entity passes
 * through what the plugin does with it (state classification, unit to type,
 * id sanitising). Seeds: tests/fixtures/ha, plus fuzz/seeds/ha with
 * parameter sections.
 */
#include "fuzz.h"

#include "hl_ha.h"

#include <errno.h>
#include <math.h>

#define MAX_PARAMS 16

/*
 * Strings must be UTF-8 and never cut inside a character. Without
 * FUZZ_STRICT only UTF-8's byte structure is checked: yajl validates no
 * more than that, so overlong forms and surrogates (C1 B6, ED A0 80) reach
 * the structs (reported; inputs in tests/fixtures/fuzz/ha).
 */
static bool utf8_ok(const char *s, size_t n) {
  return fz_strict() ? fz_utf8_valid(s, n) : fz_utf8_shaped(s, n);
}

struct params {
  char *ids[MAX_PARAMS];
  size_t nids;
  char *pats[MAX_PARAMS];
  size_t npats;
  char *attr;
};

static void params_parse(struct fz_span rest, struct params *p) {
  struct fz_span line;
  while (fz_next_line(&rest, &line)) {
    if (line.n < 2 || line.p[1] != ':')
      continue;
    char *v = fz_str(line.p + 2, line.n - 2);
    if (line.p[0] == 'i' && p->nids < MAX_PARAMS)
      p->ids[p->nids++] = v;
    else if (line.p[0] == 'p' && p->npats < MAX_PARAMS)
      p->pats[p->npats++] = v;
    else if (line.p[0] == 'a' && p->attr == NULL)
      p->attr = v;
    else
      free(v);
  }
}

static void params_free(struct params *p) {
  for (size_t i = 0; i < p->nids; i++)
    free(p->ids[i]);
  for (size_t i = 0; i < p->npats; i++)
    free(p->pats[i]);
  free(p->attr);
}

static void check_err(int rc, const char *err, size_t size) {
  FZ_CHECK(fz_terminated(err, size));
  FZ_CHECK(rc == 0 || err[0] != '\0');
}

static void check_field(const char *s, bool may_be_null) {
  if (s == NULL) {
    FZ_CHECK(may_be_null);
    return;
  }
  size_t n = strlen(s);
  FZ_CHECK(n <= HL_HA_MAX_FIELD);
  FZ_CHECK(utf8_ok(s, n));
}

/* What the plugin does with one entity. */
static void check_entity(const struct hl_ha_entity *e) {
  check_field(e->entity_id, false);
  check_field(e->state, false);
  check_field(e->unit, true);
  check_field(e->device_class, true);
  check_field(e->friendly_name, true);
  FZ_CHECK(!e->has_attr || isfinite(e->attr));
  FZ_CHECK(!e->has_last_updated || isfinite(e->last_updated));
  double v = NAN;
  enum hl_ha_value_kind k = hl_ha_state_value(e->state, &v);
  if (k == HL_HA_VALUE_NUMBER)
    FZ_CHECK(isfinite(v));
  else if (k == HL_HA_VALUE_BINARY)
    FZ_CHECK(v == 0 || v == 1);
  struct hl_ha_type t = hl_ha_type_for(e->unit, e->device_class);
  FZ_CHECK(t.type != NULL && t.type[0] != '\0');
  FZ_CHECK(isfinite(t.scale) && t.scale > 0 && isfinite(t.offset));
  char id[HL_HA_INSTANCE_MAX + 1];
  size_t n = hl_ha_sanitize_id(e->entity_id, id, sizeof(id));
  FZ_CHECK(n >= 1 && n == strlen(id) && n <= HL_HA_INSTANCE_MAX);
}

static bool selected(const struct hl_ha_filter *f, const char *id) {
  if (f->nids == 0 && f->npatterns == 0)
    return true;
  for (size_t i = 0; i < f->nids; i++)
    if (strcmp(f->ids[i], id) == 0)
      return true;
  for (size_t i = 0; i < f->npatterns; i++)
    if (hl_ha_glob_match(f->patterns[i], id))
      return true;
  return false;
}

static void fuzz_states(const char *json, size_t len,
                        const struct hl_ha_filter *f) {
  char err[128];
  struct hl_ha_states all, some;
  int rc = hl_ha_parse_states(json, len, NULL, &all, err, sizeof(err));
  FZ_CHECK(rc == 0 || rc == -EPROTO);
  check_err(rc, err, sizeof(err));
  if (rc != 0)
    FZ_CHECK(all.n == 0 && all.e == NULL);
  FZ_CHECK(all.n <= all.seen);
  for (size_t i = 0; i < all.n; i++)
    check_entity(&all.e[i]);

  int rc2 = hl_ha_parse_states(json, len, f, &some, err, sizeof(err));
  FZ_CHECK(rc2 == rc);
  FZ_CHECK(some.seen == all.seen);
  size_t k = 0;
  for (size_t i = 0; i < all.n; i++) {
    if (!selected(f, all.e[i].entity_id))
      continue;
    FZ_CHECK(k < some.n);
    FZ_CHECK(strcmp(some.e[k].entity_id, all.e[i].entity_id) == 0);
    FZ_CHECK(strcmp(some.e[k].state, all.e[i].state) == 0);
    FZ_CHECK(!some.e[k].has_attr || f->attribute != NULL);
    k++;
  }
  FZ_CHECK(k == some.n);
  hl_ha_states_free(&some);
  hl_ha_states_free(&all);
  FZ_CHECK(all.n == 0 && all.e == NULL);
}

static void fuzz_flat(const char *json, size_t len) {
  char err[128];
  bool running = true;
  int rc = hl_ha_parse_api(json, len, &running, err, sizeof(err));
  FZ_CHECK(rc == 0 || rc == -EPROTO);
  check_err(rc, err, sizeof(err));
  FZ_CHECK(rc == 0 || !running);

  char msg[64];
  rc = hl_ha_parse_message(json, len, msg, sizeof(msg), err, sizeof(err));
  FZ_CHECK(rc == 0 || rc == -EPROTO || rc == -ENOENT);
  FZ_CHECK(fz_terminated(msg, sizeof(msg)) && utf8_ok(msg, strlen(msg)));
  if (running)
    FZ_CHECK(rc == 0 && strcmp(msg, "API running.") == 0);
  char tiny[1];
  rc = hl_ha_parse_message(json, len, tiny, sizeof(tiny), err, sizeof(err));
  FZ_CHECK(tiny[0] == '\0');

  struct hl_ha_config cfg;
  rc = hl_ha_parse_config(json, len, &cfg, err, sizeof(err));
  FZ_CHECK(rc == 0 || rc == -EPROTO);
  check_err(rc, err, sizeof(err));
  const char *cs[] = {cfg.version, cfg.location_name, cfg.state};
  const size_t sz[] = {sizeof(cfg.version), sizeof(cfg.location_name),
                       sizeof(cfg.state)};
  for (int i = 0; i < 3; i++) {
    FZ_CHECK(fz_terminated(cs[i], sz[i]));
    FZ_CHECK(utf8_ok(cs[i], strlen(cs[i])));
    FZ_CHECK(rc == 0 || cs[i][0] == '\0');
  }

  struct hl_ha_core core;
  rc = hl_ha_parse_core(json, len, &core, err, sizeof(err));
  FZ_CHECK(rc == 0 || rc == -EPROTO);
  check_err(rc, err, sizeof(err));
  FZ_CHECK(fz_terminated(core.state_name, sizeof(core.state_name)));
  FZ_CHECK(core.state >= HL_HA_CORE_UNKNOWN &&
           core.state <= HL_HA_CORE_STOPPED);
  if (core.state != HL_HA_CORE_UNKNOWN)
    FZ_CHECK(strcmp(hl_ha_core_state_name(core.state), core.state_name) == 0);
}

static void fuzz_state(const char *json, size_t len, const char *attr) {
  char err[128];
  struct hl_ha_entity e;
  int rc = hl_ha_parse_state(json, len, attr, &e, err, sizeof(err));
  FZ_CHECK(rc == 0 || rc == -EPROTO);
  check_err(rc, err, sizeof(err));
  if (rc == 0)
    check_entity(&e);
  else
    FZ_CHECK(e.entity_id == NULL && e.state == NULL && e.unit == NULL);
  FZ_CHECK(rc != 0 || attr != NULL || !e.has_attr);
  hl_ha_entity_free(&e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct fz_span doc, rest;
  bool has_params = fz_split(data, size, &doc, &rest);
  /* The body in its own block, so a read past its end is caught. */
  char *json = fz_dup(doc.p, doc.n);
  struct params p = {.nids = 0};
  static const char *const def_ids[] = {"sensor.living_room_temperature",
                                        "light.kitchen"};
  static const char *const def_pats[] = {"sensor.*_temperature",
                                         "binary_sensor.[a-m]*", "*.[!s]?*"};
  struct hl_ha_filter f = {.ids = def_ids,
                           .nids = 2,
                           .patterns = def_pats,
                           .npatterns = 3,
                           .attribute = "battery_level"};
  if (has_params) {
    params_parse(rest, &p);
    f = (struct hl_ha_filter){.ids = (const char *const *)p.ids,
                              .nids = p.nids,
                              .patterns = (const char *const *)p.pats,
                              .npatterns = p.npats,
                              .attribute = p.attr};
  }
  fuzz_flat(json, doc.n);
  fuzz_state(json, doc.n, f.attribute);
  fuzz_states(json, doc.n, &f);
  params_free(&p);
  free(json);
  return 0;
}
