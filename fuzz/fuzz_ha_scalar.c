// SPDX-License-Identifier: MIT
/*
 * fuzz_ha_scalar: the string helpers of hl_ha, each against a reference.
 *
 * Input: "A" or "A\0B". A is parsed as an ISO-8601 time (checked against
 * timegm(3)), as a strict number (checked against strtod(3) and the
 * documented syntax), classified as an entity state, sanitised as an
 * entity id (every output buffer size), mapped to a core state and, with
 * B, to a collectd type by unit and device class. A is also a glob pattern
 * for hl_ha_glob_valid() and hl_ha_glob_match() against B, compared with
 * fnmatch(3) (FNM_NOESCAPE, C locale) for the patterns both understand the
 * same way. Seeds: fuzz/seeds/ha_scalar.
 */
#include "fuzz.h"

#include "hl_ha.h"

#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <time.h>

static int num(const char *s, size_t at, size_t k) {
  int v = 0;
  for (size_t i = at; i < at + k; i++)
    v = v * 10 + (s[i] - '0');
  return v;
}

/* A parsed time must be timegm() of its fields, minus the zone offset, plus
 * a fraction below one second. */
static void check_time(const char *s, size_t n) {
  double t = 0;
  int rc = hl_ha_parse_time(s, n, &t);
  FZ_CHECK(rc == 0 || rc == -EINVAL);
  if (rc != 0)
    return;
  FZ_CHECK(isfinite(t));
  struct tm tm = {.tm_year = num(s, 0, 4) - 1900,
                  .tm_mon = num(s, 5, 2) - 1,
                  .tm_mday = num(s, 8, 2),
                  .tm_hour = num(s, 11, 2),
                  .tm_min = num(s, 14, 2),
                  .tm_sec = num(s, 17, 2)};
  FZ_CHECK(tm.tm_mon >= 0 && tm.tm_mon < 12 && tm.tm_mday >= 1 &&
           tm.tm_mday <= 31 && tm.tm_hour < 24 && tm.tm_min < 60 &&
           tm.tm_sec <= 60);
  double ref = (double)timegm(&tm);
  FZ_CHECK(tm.tm_mday == num(s, 8, 2) || num(s, 17, 2) == 60);
  /* Zone: 'Z', or [+-]HH[:]MM at the end. */
  long off = 0;
  char z = s[n - 1] == 'Z' || s[n - 1] == 'z' ? 'Z' : 0;
  if (!z) {
    size_t at = n >= 6 && s[n - 3] == ':' ? n - 6 : n - 5;
    FZ_CHECK(s[at] == '+' || s[at] == '-');
    long hh = num(s, at + 1, 2);
    long mm = num(s, n - 2, 2);
    off = (s[at] == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
  }
  ref -= (double)off;
  FZ_CHECK(t >= ref - 1e-3 && t < ref + 1 + 1e-3);
}

/* [-+]?(digits[.digits?]|.digits)([eE][-+]?digits)? */
static bool ref_syntax(const char *s, size_t n) {
  size_t i = 0, d = 0;
  if (i < n && (s[i] == '-' || s[i] == '+'))
    i++;
  while (i < n && s[i] >= '0' && s[i] <= '9')
    i++, d++;
  if (i < n && s[i] == '.')
    for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
      d++;
  if (d == 0)
    return false;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    size_t e = 0;
    if (++i < n && (s[i] == '-' || s[i] == '+'))
      i++;
    while (i < n && s[i] >= '0' && s[i] <= '9')
      i++, e++;
    if (e == 0)
      return false;
  }
  return i == n;
}

static void check_number(const char *s, size_t n) {
  double v = 0;
  int rc = hl_ha_parse_number(s, n, &v);
  FZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ERANGE);
  bool syn = ref_syntax(s, n) && memchr(s, '\0', n) == NULL;
  FZ_CHECK(syn || rc == -EINVAL);
  if (rc != 0)
    return;
  FZ_CHECK(n < 512 && isfinite(v));
  char *c = fz_str(s, n);
  FZ_CHECK(strtod(c, NULL) == v);
  free(c);
}

/* Patterns whose sets fnmatch(3) reads differently ([:class:], [=e=],
 * [.c.]) or that hl_ha calls invalid are not compared. */
static bool fnmatch_comparable(const char *pat) {
  if (hl_ha_glob_valid(pat) != 0)
    return false;
  for (const char *p = pat; *p; p++)
    if (*p == '[' && (p[1] == ':' || p[1] == '=' || p[1] == '.'))
      return false;
  return strstr(pat, "[:") == NULL && strstr(pat, "[=") == NULL &&
         strstr(pat, "[.") == NULL;
}

static void check_glob(const char *pat, const char *s) {
  int valid = hl_ha_glob_valid(pat);
  FZ_CHECK(valid == 0 || valid == -EINVAL);
  bool m = hl_ha_glob_match(pat, s);
  if (valid != 0 && pat[0] != '\0')
    FZ_CHECK(!m);
  FZ_CHECK(hl_ha_glob_match("*", s));
  FZ_CHECK(hl_ha_glob_match(s, s) || strpbrk(s, "*?[") != NULL);
  if (fnmatch_comparable(pat)) {
    bool ref = fnmatch(pat, s, FNM_NOESCAPE) == 0;
    if (m != ref)
      fprintf(stderr, "glob \"%s\" on \"%s\": hl_ha %d, fnmatch %d\n", pat, s,
              m, ref);
    FZ_CHECK(m == ref);
  }
}

static void check_sanitize(const char *s) {
  size_t prev = 0;
  for (size_t size = 0; size <= 80; size++) {
    char *buf = malloc(size > 0 ? size : 1); /* exactly @size bytes */
    FZ_CHECK(buf != NULL);
    size_t n = hl_ha_sanitize_id(s, buf, size);
    if (size < 2) {
      FZ_CHECK(n == 0);
      free(buf);
      continue;
    }
    size_t max = size - 1 < HL_HA_INSTANCE_MAX ? size - 1 : HL_HA_INSTANCE_MAX;
    FZ_CHECK(n >= 1 && n <= max && buf[n] == '\0' && strlen(buf) == n);
    for (size_t i = 0; i < n; i++)
      FZ_CHECK((buf[i] >= 'a' && buf[i] <= 'z') ||
               (buf[i] >= '0' && buf[i] <= '9') || buf[i] == '.' ||
               buf[i] == '_' || buf[i] == '-');
    FZ_CHECK(n >= prev); /* a larger buffer never gives less */
    prev = n;
    free(buf);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct fz_span a, b;
  fz_split(data, size, &a, &b);
  char *as = fz_str(a.p, a.n);
  char *bs = fz_str(b.p, strnlen(b.p, b.n));
  char *ab = fz_dup(a.p, a.n); /* exact block for the (s, n) parsers */

  check_time(ab, a.n);
  check_number(ab, a.n);
  check_glob(as, bs);
  check_sanitize(as);
  double v = NAN;
  enum hl_ha_value_kind k = hl_ha_state_value(as, &v);
  double w = 0;
  if (k == HL_HA_VALUE_NUMBER)
    FZ_CHECK(hl_ha_parse_number(as, strlen(as), &w) == 0 && w == v);
  FZ_CHECK(k != HL_HA_VALUE_BINARY || v == 0 || v == 1);
  FZ_CHECK((k == HL_HA_VALUE_UNAVAILABLE) ==
           (as[0] == '\0' || strcasecmp(as, "unavailable") == 0 ||
            strcasecmp(as, "unknown") == 0));
  struct hl_ha_type t = hl_ha_type_for(as, bs);
  FZ_CHECK(t.type != NULL && t.type[0] != '\0');
  FZ_CHECK(isfinite(t.scale) && t.scale > 0 && isfinite(t.offset));
  enum hl_ha_core_state st = hl_ha_core_state_from(ab, a.n);
  FZ_CHECK(st >= HL_HA_CORE_UNKNOWN && st <= HL_HA_CORE_STOPPED);
  if (st != HL_HA_CORE_UNKNOWN)
    FZ_CHECK(a.n == strlen(hl_ha_core_state_name(st)) &&
             memcmp(ab, hl_ha_core_state_name(st), a.n) == 0);

  free(ab);
  free(bs);
  free(as);
  return 0;
}
