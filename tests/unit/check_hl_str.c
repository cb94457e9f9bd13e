// SPDX-License-Identifier: MIT
/*
 * Unit tests for shared/hl_str: the strict whole-string number parsers
 * (good values, empty input, signs, blanks, trailing garbage, overflow, range
 * limits, NaN/inf), the cursor tokenizers hl_str_next_u64/_double (blanks,
 * newline stops, never reading at or past @end, checked on exact-size heap
 * copies so ASan sees overreads), hl_str_copy truncation, and struct hl_buf
 * (growth, the -E2BIG cap, reset/free, hl_buf_read_file on fixtures).
 */
#include "check_suites.h"
#include "hl_str.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- hl_str_to_u64 ---- */

static const struct u64_case {
  const char *s;
  uint64_t min;
  uint64_t max;
  int rc;
  uint64_t want;
} u64_cases[] = {
    {"0", 0, UINT64_MAX, 0, 0},
    {"42", 0, UINT64_MAX, 0, 42},
    {"007", 0, UINT64_MAX, 0, 7},
    {"18446744073709551615", 0, UINT64_MAX, 0, UINT64_MAX},
    {"18446744073709551616", 0, UINT64_MAX, -ERANGE, 0},
    {"99999999999999999999999", 0, UINT64_MAX, -ERANGE, 0},
    {"", 0, UINT64_MAX, -EINVAL, 0},
    {"-1", 0, UINT64_MAX, -EINVAL, 0},
    {"-0", 0, UINT64_MAX, -EINVAL, 0},
    {"+5", 0, UINT64_MAX, -EINVAL, 0},
    {" 5", 0, UINT64_MAX, -EINVAL, 0},
    {"5 ", 0, UINT64_MAX, -EINVAL, 0},
    {"\t5", 0, UINT64_MAX, -EINVAL, 0},
    {"5\n", 0, UINT64_MAX, -EINVAL, 0},
    {"12abc", 0, UINT64_MAX, -EINVAL, 0},
    {"abc", 0, UINT64_MAX, -EINVAL, 0},
    {"0x10", 0, UINT64_MAX, -EINVAL, 0},
    {"1.5", 0, UINT64_MAX, -EINVAL, 0},
    {"9", 10, 20, -ERANGE, 0},
    {"10", 10, 20, 0, 10},
    {"20", 10, 20, 0, 20},
    {"21", 10, 20, -ERANGE, 0},
    {"65535", 0, UINT16_MAX, 0, UINT16_MAX},
    {"65536", 0, UINT16_MAX, -ERANGE, 0},
};

START_TEST(test_to_u64) {
  const struct u64_case *c = &u64_cases[_i];
  uint64_t out = 0xdeadbeef;
  int rc = hl_str_to_u64(c->s, c->min, c->max, &out);
  ck_assert_msg(rc == c->rc, "\"%s\": rc %d, want %d", c->s, rc, c->rc);
  if (c->rc == 0)
    ck_assert_msg(out == c->want, "\"%s\": got %llu", c->s,
                  (unsigned long long)out);
  else
    ck_assert_msg(out == 0xdeadbeef, "\"%s\": output written on error", c->s);
}
END_TEST

/* ---- hl_str_to_i64 ---- */

static const struct i64_case {
  const char *s;
  int64_t min;
  int64_t max;
  int rc;
  int64_t want;
} i64_cases[] = {
    {"0", INT64_MIN, INT64_MAX, 0, 0},
    {"-5", INT64_MIN, INT64_MAX, 0, -5},
    {"123456789", INT64_MIN, INT64_MAX, 0, 123456789},
    {"9223372036854775807", INT64_MIN, INT64_MAX, 0, INT64_MAX},
    {"-9223372036854775808", INT64_MIN, INT64_MAX, 0, INT64_MIN},
    {"9223372036854775808", INT64_MIN, INT64_MAX, -ERANGE, 0},
    {"-9223372036854775809", INT64_MIN, INT64_MAX, -ERANGE, 0},
    {"18446744073709551616", INT64_MIN, INT64_MAX, -ERANGE, 0},
    {"", INT64_MIN, INT64_MAX, -EINVAL, 0},
    {"-", INT64_MIN, INT64_MAX, -EINVAL, 0},
    {"--5", INT64_MIN, INT64_MAX, -EINVAL, 0},
    {" -5", INT64_MIN, INT64_MAX, -EINVAL, 0},
    {"-5 ", INT64_MIN, INT64_MAX, -EINVAL, 0},
    {"- 5", INT64_MIN, INT64_MAX, -EINVAL, 0},
    {"7x", INT64_MIN, INT64_MAX, -EINVAL, 0},
    {"-10", -10, 10, 0, -10},
    {"10", -10, 10, 0, 10},
    {"-11", -10, 10, -ERANGE, 0},
    {"11", -10, 10, -ERANGE, 0},
    {"-1", 0, 100, -ERANGE, 0},
};

START_TEST(test_to_i64) {
  const struct i64_case *c = &i64_cases[_i];
  int64_t out = 0x5a5a;
  int rc = hl_str_to_i64(c->s, c->min, c->max, &out);
  ck_assert_msg(rc == c->rc, "\"%s\": rc %d, want %d", c->s, rc, c->rc);
  if (c->rc == 0)
    ck_assert_msg(out == c->want, "\"%s\": got %lld", c->s, (long long)out);
  else
    ck_assert_msg(out == 0x5a5a, "\"%s\": output written on error", c->s);
}
END_TEST

/* ---- hl_str_to_double ---- */

static const struct dbl_case {
  const char *s;
  double min;
  double max;
  int rc;
  double want;
} dbl_cases[] = {
    {"0", -1e300, 1e300, 0, 0.0},
    {"1.5", -1e300, 1e300, 0, 1.5},
    {"-2.25", -1e300, 1e300, 0, -2.25},
    {"1e3", -1e300, 1e300, 0, 1000.0},
    {"0.1", -1e300, 1e300, 0, 0.1},
    {"100", 0, 100, 0, 100.0},
    {"100.0001", 0, 100, -ERANGE, 0},
    {"-0.5", 0, 100, -ERANGE, 0},
    {"1e999", -INFINITY, INFINITY, -ERANGE, 0},
    {"", -1e300, 1e300, -EINVAL, 0},
    {"1.5 ", -1e300, 1e300, -EINVAL, 0},
    {" 1.5", -1e300, 1e300, -EINVAL, 0},
    {"1.5x", -1e300, 1e300, -EINVAL, 0},
    {"1,5", -1e300, 1e300, -EINVAL, 0},
    {"abc", -1e300, 1e300, -EINVAL, 0},
    {"nan", -INFINITY, INFINITY, -EINVAL, 0},
    {"NaN", -INFINITY, INFINITY, -EINVAL, 0},
    {"-nan", -INFINITY, INFINITY, -EINVAL, 0},
    {"inf", -INFINITY, INFINITY, -EINVAL, 0},
    {"-inf", -INFINITY, INFINITY, -EINVAL, 0},
    {"Infinity", -INFINITY, INFINITY, -EINVAL, 0},
};

START_TEST(test_to_double) {
  const struct dbl_case *c = &dbl_cases[_i];
  double out = 42.0;
  int rc = hl_str_to_double(c->s, c->min, c->max, &out);
  ck_assert_msg(rc == c->rc, "\"%s\": rc %d, want %d", c->s, rc, c->rc);
  if (c->rc == 0)
    ck_assert_double_eq_tol(out, c->want, 1e-12);
  else
    ck_assert_msg(out == 42.0, "\"%s\": output written on error", c->s);
}
END_TEST

/* ---- hl_str_next_u64 / hl_str_next_double ---- */

#define MAX_TOKENS 4

/*
 * Each case is tokenized from an exact-size heap copy of @in (no NUL after
 * it): the values and cursor offsets of the successful calls, then the code
 * of the first failing call.
 */
static const struct next_u64_case {
  const char *in;
  int n;
  uint64_t want[MAX_TOKENS];
  size_t ends[MAX_TOKENS];
  int last_rc;
} next_u64_cases[] = {
    {"1 2 3", 3, {1, 2, 3}, {1, 3, 5}, -ENODATA},
    {"  \t42\t 7  ", 2, {42, 7}, {5, 8}, -ENODATA},
    {"5\n6", 1, {5}, {1}, -ENODATA},
    {"5 \n6", 1, {5}, {1}, -ENODATA},
    {"7", 1, {7}, {1}, -ENODATA},
    {"", 0, {0}, {0}, -ENODATA},
    {"   \t ", 0, {0}, {0}, -ENODATA},
    {"\n12", 0, {0}, {0}, -ENODATA},
    {"12abc", 0, {0}, {0}, -EINVAL},
    {"1 -2", 1, {1}, {1}, -EINVAL},
    {"1 +2", 1, {1}, {1}, -EINVAL},
    {"3.5", 0, {0}, {0}, -EINVAL},
    {"1/84", 0, {0}, {0}, -EINVAL},
    {"18446744073709551615 1", 2, {UINT64_MAX, 1}, {20, 22}, -ENODATA},
    {"18446744073709551616", 0, {0}, {0}, -ERANGE},
    {"0 99999999999999999999999", 1, {0}, {1}, -ERANGE},
};

START_TEST(test_next_u64) {
  const struct next_u64_case *c = &next_u64_cases[_i];
  size_t len = strlen(c->in);
  char *buf = hl_test_dup_exact(c->in, len);
  const char *p = buf;
  const char *end = buf + len;
  for (int k = 0; k < c->n; k++) {
    uint64_t v = 0;
    int rc = hl_str_next_u64(&p, end, &v);
    ck_assert_msg(rc == 0, "\"%s\" token %d: rc %d", c->in, k, rc);
    ck_assert_msg(v == c->want[k], "\"%s\" token %d: got %llu", c->in, k,
                  (unsigned long long)v);
    ck_assert_msg(p == buf + c->ends[k], "\"%s\" token %d: cursor at %td",
                  c->in, k, p - buf);
  }
  uint64_t v = 0;
  int rc = hl_str_next_u64(&p, end, &v);
  ck_assert_msg(rc == c->last_rc, "\"%s\": last rc %d, want %d", c->in, rc,
                c->last_rc);
  ck_assert_msg(p >= buf && p <= end, "\"%s\": cursor out of bounds", c->in);
  free(buf);
}
END_TEST

static const struct next_dbl_case {
  const char *in;
  int n;
  double want[MAX_TOKENS];
  int last_rc;
} next_dbl_cases[] = {
    {"228.14 428.79\n", 2, {228.14, 428.79}, -ENODATA},
    {"0.02 0.05 0.02 2/84 3495", 3, {0.02, 0.05, 0.02}, -EINVAL},
    {"7", 1, {7.0}, -ENODATA},
    {"12.75", 1, {12.75}, -ENODATA},
    {"  1.5\n2.5", 1, {1.5}, -ENODATA},
    {"0.1\t0.25", 2, {0.1, 0.25}, -ENODATA},
    {"18446744073709551616", 1, {18446744073709551616.0}, -ENODATA},
    {"", 0, {0}, -ENODATA},
    {" \t", 0, {0}, -ENODATA},
    {"-1.0", 0, {0}, -EINVAL},
    {"+1", 0, {0}, -EINVAL},
    {"nan", 0, {0}, -EINVAL},
    {"inf", 0, {0}, -EINVAL},
    {"1e5", 0, {0}, -EINVAL},
    {"1.2.3", 0, {0}, -EINVAL},
    {".5", 0, {0}, -EINVAL},
    {"0x10", 0, {0}, -EINVAL},
    {"1.5kB", 0, {0}, -EINVAL},
};

START_TEST(test_next_double) {
  const struct next_dbl_case *c = &next_dbl_cases[_i];
  size_t len = strlen(c->in);
  char *buf = hl_test_dup_exact(c->in, len);
  const char *p = buf;
  const char *end = buf + len;
  for (int k = 0; k < c->n; k++) {
    double v = -1;
    int rc = hl_str_next_double(&p, end, &v);
    ck_assert_msg(rc == 0, "\"%s\" token %d: rc %d", c->in, k, rc);
    ck_assert_msg(fabs(v - c->want[k]) <= 1e-9 * fmax(1.0, c->want[k]),
                  "\"%s\" token %d: got %.17g", c->in, k, v);
  }
  double v = -1;
  int rc = hl_str_next_double(&p, end, &v);
  ck_assert_msg(rc == c->last_rc, "\"%s\": last rc %d, want %d", c->in, rc,
                c->last_rc);
  ck_assert_msg(p >= buf && p <= end, "\"%s\": cursor out of bounds", c->in);
  free(buf);
}
END_TEST

/* @end in the middle of a run of digits: the bytes after it are not looked at.
 */
START_TEST(test_next_stops_at_end) {
  static const char digits[] = {'1', '2', '3', '4', '5', '6'};
  const char *p = digits;
  uint64_t u = 0;
  ck_assert_int_eq(hl_str_next_u64(&p, digits + 3, &u), 0);
  ck_assert_uint_eq(u, 123);
  ck_assert_ptr_eq(p, digits + 3);
  ck_assert_int_eq(hl_str_next_u64(&p, digits + 3, &u), -ENODATA);

  static const char frac[] = {'1', '2', '.', '7', '5', '9'};
  const char *q = frac;
  double d = 0;
  ck_assert_int_eq(hl_str_next_double(&q, frac + 4, &d), 0);
  ck_assert_double_eq_tol(d, 12.7, 1e-12);
  ck_assert_ptr_eq(q, frac + 4);

  /* An empty range is "no data", even when digits follow it in memory. */
  const char *r = digits;
  ck_assert_int_eq(hl_str_next_u64(&r, digits, &u), -ENODATA);
  ck_assert_int_eq(hl_str_next_double(&r, digits, &d), -ENODATA);
}
END_TEST

/* A number far beyond DBL_MAX overflows instead of becoming infinity. */
START_TEST(test_next_double_overflow) {
  size_t len = 400;
  char *buf = malloc(len);
  ck_assert_ptr_nonnull(buf);
  memset(buf, '9', len);
  const char *p = buf;
  double d = 0;
  ck_assert_int_eq(hl_str_next_double(&p, buf + len, &d), -ERANGE);
  free(buf);
}
END_TEST

/* ---- hl_str_copy ---- */

static const struct copy_case {
  const char *src;
  size_t size;
  const char *want;
} copy_cases[] = {
    {"hello", 16, "hello"}, {"hello", 6, "hello"}, {"hello", 5, "hell"},
    {"hello", 2, "h"},      {"hello", 1, ""},      {"", 4, ""},
    {"hello", 0, NULL}, /* size 0: nothing written at all */
};

START_TEST(test_str_copy) {
  const struct copy_case *c = &copy_cases[_i];
  char dst[16];
  memset(dst, 'X', sizeof(dst));
  size_t rc = hl_str_copy(dst, c->size, c->src);
  ck_assert_uint_eq(rc, strlen(c->src));
  ck_assert_msg((rc >= c->size) == (strlen(c->src) >= c->size),
                "truncation not signalled");
  if (c->want != NULL)
    ck_assert_str_eq(dst, c->want);
  for (size_t k = c->size; k < sizeof(dst); k++)
    ck_assert_msg(dst[k] == 'X', "byte %zu written beyond size %zu", k,
                  c->size);
}
END_TEST

/* ---- struct hl_buf ---- */

START_TEST(test_buf_init_and_growth) {
  struct hl_buf b;
  memset(&b, 0xa5, sizeof(b));
  hl_buf_init(&b, 1u << 20);
  ck_assert_ptr_null(b.data);
  ck_assert_uint_eq(b.len, 0);
  ck_assert_uint_eq(b.max, 1u << 20);

  for (int k = 0; k < 1000; k++) {
    ck_assert_int_eq(hl_buf_append(&b, "abc", 3), 0);
    ck_assert_uint_eq(b.len, 3 * (size_t)(k + 1));
    ck_assert_uint_gt(b.cap, b.len);
    ck_assert_int_eq(b.data[b.len], '\0');
  }
  for (size_t k = 0; k < b.len; k++)
    ck_assert_int_eq(b.data[k], "abc"[k % 3]);

  /* Binary bytes, including NUL, are kept as they are. */
  ck_assert_int_eq(hl_buf_append(&b, "x\0y", 3), 0);
  ck_assert_uint_eq(b.len, 3003);
  ck_assert_int_eq(memcmp(b.data + 3000, "x\0y", 3), 0);
  hl_buf_free(&b);
}
END_TEST

/* Appending @second after @first to a buffer capped at @max. */
static const struct cap_case {
  size_t max;
  const char *first;
  const char *second;
  int rc;
  const char *want;
} cap_cases[] = {
    {8, "12345", "678", 0, "12345678"},
    {8, "12345", "6789", -E2BIG, "12345"},
    {8, "12345678", "9", -E2BIG, "12345678"},
    {8, "", "123456789", -E2BIG, ""},
    {1, "a", "b", -E2BIG, "a"},
    {64, "head-", "tail", 0, "head-tail"},
};

START_TEST(test_buf_cap) {
  const struct cap_case *c = &cap_cases[_i];
  struct hl_buf b;
  hl_buf_init(&b, c->max);
  ck_assert_int_eq(hl_buf_append(&b, c->first, strlen(c->first)), 0);
  ck_assert_int_eq(hl_buf_append(&b, c->second, strlen(c->second)), c->rc);
  ck_assert_uint_eq(b.len, strlen(c->want));
  ck_assert_uint_le(b.len, c->max);
  if (b.len > 0) {
    ck_assert_int_eq(memcmp(b.data, c->want, b.len), 0);
    ck_assert_int_eq(b.data[b.len], '\0');
  }
  hl_buf_free(&b);
}
END_TEST

START_TEST(test_buf_reset_free) {
  struct hl_buf b;
  hl_buf_init(&b, 100);
  ck_assert_int_eq(hl_buf_append(&b, "0123456789", 10), 0);
  const char *old = b.data;
  size_t old_cap = b.cap;

  hl_buf_reset(&b);
  ck_assert_uint_eq(b.len, 0);
  ck_assert_ptr_eq(b.data, old);
  ck_assert_uint_eq(b.cap, old_cap);
  ck_assert_uint_eq(b.max, 100);
  ck_assert_int_eq(hl_buf_append(&b, "xy", 2), 0);
  ck_assert_str_eq(b.data, "xy");

  hl_buf_free(&b);
  ck_assert_ptr_null(b.data);
  ck_assert_uint_eq(b.len, 0);
  ck_assert_uint_eq(b.cap, 0);
  hl_buf_free(&b); /* twice is harmless */

  /* The freed buffer may be reused. */
  ck_assert_int_eq(hl_buf_append(&b, "again", 5), 0);
  ck_assert_str_eq(b.data, "again");
  hl_buf_free(&b);

  struct hl_buf zero = {0};
  hl_buf_free(&zero);
  ck_assert_ptr_null(zero.data);
}
END_TEST

/* hl_buf_read_file: fixtures (14 bytes in real/uptime), limits, errors. */
static const struct read_case {
  const char *rel; /* below the fixtures dir; NULL: use abs */
  const char *abs;
  size_t max;
  int rc;
  const char *want; /* NULL: don't compare contents */
} read_cases[] = {
    {"proc/real/uptime", NULL, 1u << 20, 0, "287.21 545.71\n"},
    {"proc/real/loadavg", NULL, 1u << 20, 0, "0.01 0.04 0.01 1/83 3735\n"},
    {"proc/real/uptime", NULL, 14, 0, "287.21 545.71\n"},
    {"proc/real/uptime", NULL, 13, -E2BIG, NULL},
    {"proc/real/meminfo", NULL, 100, -E2BIG, NULL},
    {"proc/real/does-not-exist", NULL, 1u << 20, -ENOENT, NULL},
    {"proc/real", NULL, 1u << 20, -EISDIR, NULL},
    {NULL, "/proc/self/mounts", 1u << 20, 0, NULL}, /* st_size 0 */
};

START_TEST(test_buf_read_file) {
  const struct read_case *c = &read_cases[_i];
  char path[4096];
  if (c->rel != NULL)
    hl_test_fixture_path(path, sizeof(path), c->rel);
  else
    hl_str_copy(path, sizeof(path), c->abs);

  struct hl_buf b;
  hl_buf_init(&b, c->max);
  /* Old contents are replaced, not appended to. */
  ck_assert_int_eq(hl_buf_append(&b, "stale", 5), 0);
  int rc = hl_buf_read_file(&b, path);
  ck_assert_msg(rc == c->rc, "%s: rc %d, want %d", path, rc, c->rc);
  if (rc == 0) {
    ck_assert_uint_le(b.len, c->max);
    ck_assert_uint_gt(b.len, 0);
    ck_assert_int_eq(b.data[b.len], '\0');
  }
  if (c->want != NULL) {
    ck_assert_uint_eq(b.len, strlen(c->want));
    ck_assert_str_eq(b.data, c->want);
  }
  hl_buf_free(&b);
}
END_TEST

/* ---- UTF-8 well-formedness ---- */

static const struct utf8_case {
  const char *in, *out; /* out: after hl_utf8_fix() */
  size_t fixed;
} utf8_cases[] = {
    {"plain ascii", "plain ascii", 0},
    {"K\xc3\xb6ln \xf0\x9f\x8f\xa0", "K\xc3\xb6ln \xf0\x9f\x8f\xa0", 0},
    {"K\xc1\xb6ln", "K??ln", 2},              /* overlong lead C1 */
    {"2025.8.\xed\xa0\x80", "2025.8.???", 3}, /* UTF-16 surrogate */
    {"\xe0\x80\xaf", "???", 3},               /* overlong 3-byte '/' */
    {"\xf4\x90\x80\x80", "????", 4},          /* above U+10FFFF */
    {"cut \xe2\x82", "cut ??", 2},            /* truncated sequence */
    {"\x80lone", "?lone", 1},                 /* continuation byte alone */
    {"", "", 0},
};

START_TEST(test_utf8_fix) {
  const struct utf8_case *c = &utf8_cases[_i];
  char buf[64];
  hl_str_copy(buf, sizeof(buf), c->in);
  ck_assert_uint_eq(hl_utf8_fix(buf, strlen(buf)), c->fixed);
  ck_assert_str_eq(buf, c->out);
  ck_assert_uint_eq(hl_utf8_fix(buf, strlen(buf)), 0); /* idempotent */
}
END_TEST

Suite *hl_str_suite(void) {
  Suite *s = suite_create("hl_str");

  TCase *tc = tcase_create("numbers");
  tcase_add_loop_test(tc, test_to_u64, 0, ARRAY_SIZE(u64_cases));
  tcase_add_loop_test(tc, test_to_i64, 0, ARRAY_SIZE(i64_cases));
  tcase_add_loop_test(tc, test_to_double, 0, ARRAY_SIZE(dbl_cases));
  suite_add_tcase(s, tc);

  tc = tcase_create("tokenize");
  tcase_add_loop_test(tc, test_next_u64, 0, ARRAY_SIZE(next_u64_cases));
  tcase_add_loop_test(tc, test_next_double, 0, ARRAY_SIZE(next_dbl_cases));
  tcase_add_test(tc, test_next_stops_at_end);
  tcase_add_test(tc, test_next_double_overflow);
  suite_add_tcase(s, tc);

  tc = tcase_create("copy");
  tcase_add_loop_test(tc, test_str_copy, 0, ARRAY_SIZE(copy_cases));
  tcase_add_loop_test(tc, test_utf8_fix, 0, ARRAY_SIZE(utf8_cases));
  suite_add_tcase(s, tc);

  tc = tcase_create("buf");
  tcase_add_test(tc, test_buf_init_and_growth);
  tcase_add_loop_test(tc, test_buf_cap, 0, ARRAY_SIZE(cap_cases));
  tcase_add_test(tc, test_buf_reset_free);
  tcase_add_loop_test(tc, test_buf_read_file, 0, ARRAY_SIZE(read_cases));
  suite_add_tcase(s, tc);
  return s;
}
