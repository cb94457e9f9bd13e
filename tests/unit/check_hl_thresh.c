// SPDX-License-Identifier: MIT
/*
 * Unit tests for shared/hl_thresh: each case feeds a sequence of values to
 * hl_thresh_update() from a fresh state and checks, step by step, whether a
 * notification is due and which level results. Covers the silent first OKAY,
 * one notification per level change, hysteresis on the way down, disabled
 * (NAN) limits, NAN values and failure-only limits; plus hl_thresh_level(),
 * hl_thresh_enabled() and hl_level_name().
 */
#include "check_suites.h"
#include "hl_thresh.h"

#include <math.h>
#include <stdbool.h>

#define MAX_STEPS 8

#define OK HL_LEVEL_OKAY
#define WARN HL_LEVEL_WARNING
#define FAIL HL_LEVEL_FAILURE

struct step {
  double value;
  bool notify;
  enum hl_level level;
};

static const struct seq_case {
  const char *name;
  struct hl_thresh t;
  int n;
  struct step steps[MAX_STEPS];
} seq_cases[] = {
    {"first OKAY value is silent",
     {80, 90, 0},
     2,
     {{50, false, OK}, {60, false, OK}}},
    {"first WARNING value notifies",
     {80, 90, 0},
     2,
     {{85, true, WARN}, {85, false, WARN}}},
    {"first FAILURE value notifies", {80, 90, 0}, 1, {{95, true, FAIL}}},
    {"value at the limit counts",
     {80, 90, 0},
     2,
     {{80, true, WARN}, {90, true, FAIL}}},
    {"OKAY -> WARNING -> FAILURE -> OKAY, one notification each",
     {80, 90, 0},
     5,
     {{50, false, OK},
      {85, true, WARN},
      {95, true, FAIL},
      {50, true, OK},
      {50, false, OK}}},
    {"repeated levels notify once",
     {80, 90, 0},
     6,
     {{85, true, WARN},
      {86, false, WARN},
      {87, false, WARN},
      {95, true, FAIL},
      {96, false, FAIL},
      {99, false, FAIL}}},
    {"OKAY -> FAILURE -> WARNING directly",
     {80, 90, 0},
     3,
     {{10, false, OK}, {100, true, FAIL}, {85, true, WARN}}},
    {"hysteresis 2 on warning 85",
     {85, NAN, 2},
     6,
     {{86, true, WARN},
      {84, false, WARN},
      {82.9, true, OK},
      {84.9, false, OK},
      {85, true, WARN},
      {84.5, false, WARN}}},
    {"hysteresis on both limits",
     {80, 90, 5},
     5,
     {{91, true, FAIL},
      {88, false, FAIL},
      {84, true, WARN},
      {76, false, WARN},
      {74, true, OK}}},
    {"no limits: never notifies",
     {NAN, NAN, 0},
     3,
     {{1e9, false, OK}, {-1, false, OK}, {INFINITY, false, OK}}},
    {"NAN value keeps the level",
     {80, 90, 0},
     4,
     {{85, true, WARN},
      {NAN, false, WARN},
      {NAN, false, WARN},
      {50, true, OK}}},
    {"NAN first, then OKAY: still silent",
     {80, 90, 0},
     3,
     {{NAN, false, OK}, {50, false, OK}, {85, true, WARN}}},
    {"failure only (warning NAN)",
     {NAN, 90, 0},
     4,
     {{85, false, OK}, {95, true, FAIL}, {89, true, OK}, {1e6, true, FAIL}}},
    {"warning only (failure NAN)",
     {80, NAN, 0},
     2,
     {{1e12, true, WARN}, {79, true, OK}}},
    {"negative limits",
     {-10, -5, 0},
     3,
     {{-20, false, OK}, {-7, true, WARN}, {-5, true, FAIL}}},
};

START_TEST(test_sequence) {
  const struct seq_case *c = &seq_cases[_i];
  struct hl_thresh_state st = {.level = HL_LEVEL_OKAY, .known = false};
  for (int k = 0; k < c->n; k++) {
    const struct step *s = &c->steps[k];
    bool notify = hl_thresh_update(&c->t, s->value, &st);
    ck_assert_msg(notify == s->notify, "%s: step %d (%g): notify %d", c->name,
                  k, s->value, notify);
    ck_assert_msg(st.level == s->level, "%s: step %d (%g): level %s, want %s",
                  c->name, k, s->value, hl_level_name(st.level),
                  hl_level_name(s->level));
  }
}
END_TEST

/* hl_thresh_level() alone: the new level from a value and the current one. */
static const struct level_case {
  struct hl_thresh t;
  double value;
  enum hl_level current;
  enum hl_level want;
} level_cases[] = {
    {{80, 90, 0}, 79.999, OK, OK},
    {{80, 90, 0}, 80, OK, WARN},
    {{80, 90, 0}, 90, WARN, FAIL},
    {{80, 90, 0}, 89.999, FAIL, WARN},
    {{80, 90, 0}, 0, FAIL, OK},
    {{80, 90, 5}, 86, FAIL, FAIL},
    {{80, 90, 5}, 84.9, FAIL, WARN},
    {{80, 90, 5}, 76, WARN, WARN},
    {{80, 90, 5}, 74.9, WARN, OK},
    {{80, 90, 5}, 79, OK, OK}, /* hysteresis does not lower the way up */
    {{80, 90, 0}, NAN, WARN, WARN},
    {{80, 90, 0}, NAN, FAIL, FAIL},
    {{NAN, NAN, 0}, 1e300, OK, OK},
    {{NAN, 90, 0}, 85, OK, OK},
};

START_TEST(test_level) {
  const struct level_case *c = &level_cases[_i];
  enum hl_level got = hl_thresh_level(&c->t, c->value, c->current);
  ck_assert_msg(got == c->want, "value %g from %s: %s, want %s", c->value,
                hl_level_name(c->current), hl_level_name(got),
                hl_level_name(c->want));
}
END_TEST

static const struct enabled_case {
  struct hl_thresh t;
  bool want;
} enabled_cases[] = {
    {{NAN, NAN, 0}, false}, {{NAN, NAN, 5}, false}, {{80, NAN, 0}, true},
    {{NAN, 90, 0}, true},   {{80, 90, 2}, true},    {{0, NAN, 0}, true},
};

START_TEST(test_enabled) {
  const struct enabled_case *c = &enabled_cases[_i];
  ck_assert_int_eq(hl_thresh_enabled(&c->t), c->want);
}
END_TEST

START_TEST(test_level_name) {
  ck_assert_str_eq(hl_level_name(HL_LEVEL_OKAY), "OKAY");
  ck_assert_str_eq(hl_level_name(HL_LEVEL_WARNING), "WARNING");
  ck_assert_str_eq(hl_level_name(HL_LEVEL_FAILURE), "FAILURE");
}
END_TEST

Suite *hl_thresh_suite(void) {
  Suite *s = suite_create("hl_thresh");
  TCase *tc = tcase_create("thresh");
  tcase_add_loop_test(tc, test_sequence, 0, ARRAY_SIZE(seq_cases));
  tcase_add_loop_test(tc, test_level, 0, ARRAY_SIZE(level_cases));
  tcase_add_loop_test(tc, test_enabled, 0, ARRAY_SIZE(enabled_cases));
  tcase_add_test(tc, test_level_name);
  suite_add_tcase(s, tc);
  return s;
}
