// SPDX-License-Identifier: MIT
/*
 * hl_thresh: the pure state machine behind threshold notifications.
 * A value is compared against an upper warning and failure limit; the state
 * only changes when the level changes, and leaving a level needs the value
 * to drop below its limit by the hysteresis, so a value hovering at the limit
 * does not flap. Plugins turn a change into one collectd notification.
 */
#ifndef HOMELAB_SHARED_HL_THRESH_H
#define HOMELAB_SHARED_HL_THRESH_H

#include <stdbool.h>

/** enum hl_level - severity of a watched value, ordered by badness. */
enum hl_level {
  HL_LEVEL_OKAY = 0,
  HL_LEVEL_WARNING = 1,
  HL_LEVEL_FAILURE = 2,
};

/**
 * struct hl_thresh - upper limits for one watched value.
 * @warning:    value at or above which the level is WARNING; NAN disables.
 * @failure:    value at or above which the level is FAILURE; NAN disables.
 * @hysteresis: how far below a limit the value must fall to leave its level.
 */
struct hl_thresh {
  double warning;
  double failure;
  double hysteresis;
};

/**
 * struct hl_thresh_state - what was last reported for one value.
 * @level: last level.
 * @known: false until the first value has been evaluated.
 */
struct hl_thresh_state {
  enum hl_level level;
  bool known;
};

/**
 * hl_thresh_enabled() - whether any limit of @t is set.
 * @t: limits.
 * Return: true if warning or failure is a number.
 */
bool hl_thresh_enabled(const struct hl_thresh *t);

/**
 * hl_thresh_level() - the level @value has given the current level.
 * @t: limits. @value: new value (NAN keeps @current). @current: last level.
 * Return: the new level.
 */
enum hl_level hl_thresh_level(const struct hl_thresh *t, double value,
                              enum hl_level current);

/**
 * hl_thresh_update() - feed a value and say whether to notify.
 * @t: limits. @value: new value. @st: state, updated in place.
 *
 * The first value notifies only if it is not OKAY (there is nothing to
 * recover from at start-up); later values notify on every level change,
 * so a recovery yields exactly one OKAY.
 * Return: true if a notification for @st->level should be sent.
 */
bool hl_thresh_update(const struct hl_thresh *t, double value,
                      struct hl_thresh_state *st);

/**
 * hl_level_name() - "OKAY", "WARNING" or "FAILURE".
 * @l: level.
 * Return: a static string.
 */
const char *hl_level_name(enum hl_level l);

#endif
