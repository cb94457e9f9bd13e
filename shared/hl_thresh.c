// SPDX-License-Identifier: MIT
/*
 * hl_thresh: level evaluation with hysteresis. Going up a level happens as
 * soon as the value reaches the limit; going down needs the value to be
 * below the limit minus the hysteresis.
 */
#include "hl_thresh.h"

#include <math.h>

bool hl_thresh_enabled(const struct hl_thresh *t) {
  return !isnan(t->warning) || !isnan(t->failure);
}

static bool at_or_above(double limit, double value, double hysteresis,
                        bool currently_at) {
  if (isnan(limit))
    return false;
  if (currently_at)
    return value >= limit - hysteresis;
  return value >= limit;
}

enum hl_level hl_thresh_level(const struct hl_thresh *t, double value,
                              enum hl_level current) {
  if (isnan(value))
    return current;
  double hyst = isnan(t->hysteresis) || t->hysteresis < 0 ? 0 : t->hysteresis;
  if (at_or_above(t->failure, value, hyst, current >= HL_LEVEL_FAILURE))
    return HL_LEVEL_FAILURE;
  if (at_or_above(t->warning, value, hyst, current >= HL_LEVEL_WARNING))
    return HL_LEVEL_WARNING;
  return HL_LEVEL_OKAY;
}

bool hl_thresh_update(const struct hl_thresh *t, double value,
                      struct hl_thresh_state *st) {
  if (isnan(value))
    return false;
  enum hl_level next = hl_thresh_level(t, value, st->level);
  bool was_known = st->known;
  bool changed = next != st->level;
  st->level = next;
  st->known = true;
  if (!was_known)
    return next != HL_LEVEL_OKAY;
  return changed;
}

const char *hl_level_name(enum hl_level l) {
  switch (l) {
  case HL_LEVEL_OKAY:
    return "OKAY";
  case HL_LEVEL_WARNING:
    return "WARNING";
  case HL_LEVEL_FAILURE:
    return "FAILURE";
  }
  return "UNKNOWN";
}
