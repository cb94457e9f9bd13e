// SPDX-License-Identifier: MIT
/*
 * fuzz_str: hl_str's strict number parsers, cursor parsers and the capped
 * buffer, each against a reference.
 *
 * The whole input is parsed with hl_str_to_u64/i64/double (compared with
 * strtoull/strtoll/strtod plus the documented strictness: no blanks, no
 * sign for u64, the whole string, range limits taken from the input's
 * first bytes). Then the input is walked as /proc text with
 * hl_str_next_u64() and hl_str_next_double(): the cursor must only move
 * forward, stay inside the input and stop at a token end, and every token
 * must equal the whole-string parse of its bytes. Finally the bytes are
 * appended to a struct hl_buf in chunks whose sizes come from the input,
 * under a cap, and the result must equal the input cut at the cap.
 * hl_str_copy() is checked on every prefix size. Seeds: fuzz/seeds/str and
 * tests/fixtures/proc.
 */
#include "fuzz.h"

#include "hl_str.h"

#include <errno.h>
#include <math.h>

static uint64_t bytes_u64(const uint8_t *d, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n && i < 8; i++)
    v = v << 8 | d[i];
  return v;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static void check_whole(const char *s, uint64_t lo, uint64_t hi) {
  uint64_t u = 0;
  int rc = hl_str_to_u64(s, lo, hi, &u);
  FZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ERANGE);
  bool digits = s[0] != '\0';
  for (const char *p = s; *p; p++)
    digits &= is_digit(*p);
  FZ_CHECK(digits || rc == -EINVAL);
  if (digits) {
    errno = 0;
    unsigned long long ref = strtoull(s, NULL, 10);
    bool in = errno != ERANGE && ref >= lo && ref <= hi;
    FZ_CHECK(in ? rc == 0 && u == ref : rc == -ERANGE);
  }

  int64_t i = 0;
  int64_t ilo = (int64_t)lo, ihi = (int64_t)hi;
  rc = hl_str_to_i64(s, ilo, ihi, &i);
  FZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ERANGE);
  const char *d = s[0] == '-' || s[0] == '+' ? s + 1 : s;
  bool idigits = d[0] != '\0';
  for (const char *p = d; *p; p++)
    idigits &= is_digit(*p);
  FZ_CHECK(idigits || rc == -EINVAL);
  if (idigits) {
    errno = 0;
    long long ref = strtoll(s, NULL, 10);
    bool in = errno != ERANGE && ref >= ilo && ref <= ihi;
    FZ_CHECK(in ? rc == 0 && i == ref : rc == -ERANGE);
  }

  double x = 0;
  rc = hl_str_to_double(s, -1e300, 1e300, &x);
  FZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ERANGE);
  if (rc == 0) {
    char *end = NULL;
    double ref = strtod(s, &end);
    FZ_CHECK(*end == '\0' && ref == x && isfinite(x));
    FZ_CHECK(s[0] != ' ' && s[0] != '\t' && s[0] != '\n');
  }
}

/* The token [from, to) as a NUL-terminated string. */
static char *token(const char *from, const char *to) {
  return fz_str(from, (size_t)(to - from));
}

static bool token_end(const char *p, const char *end) {
  return p == end || *p == ' ' || *p == '\t' || *p == '\n';
}

static void walk_u64(const char *buf, size_t len) {
  const char *p = buf, *end = buf + len;
  while (p < end) {
    const char *before = p;
    uint64_t v = 0;
    int rc = hl_str_next_u64(&p, end, &v);
    FZ_CHECK(rc == 0 || rc == -ENODATA || rc == -EINVAL || rc == -ERANGE);
    FZ_CHECK(p >= before && p <= end);
    if (rc == 0) {
      FZ_CHECK(p > before && token_end(p, end));
      const char *start = p;
      while (start > before && is_digit(start[-1]))
        start--;
      char *t = token(start, p);
      uint64_t ref = 0;
      FZ_CHECK(hl_str_to_u64(t, 0, UINT64_MAX, &ref) == 0 && ref == v);
      free(t);
      continue;
    }
    /* Skip the rest of the bad token or the newline and go on. */
    while (p < end && !token_end(p, end))
      p++;
    if (p < end)
      p++;
  }
}

static void walk_double(const char *buf, size_t len) {
  const char *p = buf, *end = buf + len;
  while (p < end) {
    const char *before = p;
    double v = 0;
    int rc = hl_str_next_double(&p, end, &v);
    FZ_CHECK(rc == 0 || rc == -ENODATA || rc == -EINVAL || rc == -ERANGE);
    FZ_CHECK(p >= before && p <= end);
    if (rc == 0) {
      FZ_CHECK(p > before && token_end(p, end) && isfinite(v) && v >= 0);
      continue;
    }
    while (p < end && !token_end(p, end))
      p++;
    if (p < end)
      p++;
  }
}

static void check_buf(const uint8_t *data, size_t size) {
  size_t max = size > 0 ? data[0] * 4u : 0;
  struct hl_buf b;
  hl_buf_init(&b, max);
  size_t off = 0, want = 0, k = 1;
  while (off < size) {
    size_t n = (size_t)data[k++ % size] % 64;
    if (n > size - off)
      n = size - off;
    int rc = hl_buf_append(&b, data + off, n);
    if (want + n <= max) {
      FZ_CHECK(rc == 0);
      want += n;
    } else {
      FZ_CHECK(rc == -E2BIG);
    }
    FZ_CHECK(b.len == want && b.len <= b.max);
    FZ_CHECK(b.data == NULL || (b.len < b.cap && b.data[b.len] == '\0'));
    off += n > 0 ? n : 1;
    if (k > 64) {
      hl_buf_reset(&b);
      FZ_CHECK(b.len == 0 && (b.data == NULL || b.data[0] == '\0'));
      want = 0;
      k = 1;
    }
  }
  hl_buf_free(&b);
  FZ_CHECK(b.data == NULL && b.len == 0 && b.cap == 0);
}

static void check_copy(const char *s) {
  size_t n = strlen(s);
  for (size_t size = 0; size <= n + 1 && size < 40; size++) {
    char *dst = malloc(size > 0 ? size : 1);
    FZ_CHECK(dst != NULL);
    FZ_CHECK(hl_str_copy(dst, size, s) == n);
    if (size > 0) {
      size_t k = n < size - 1 ? n : size - 1;
      FZ_CHECK(memcmp(dst, s, k) == 0 && dst[k] == '\0');
    }
    free(dst);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = fz_str(data, size);
  uint64_t a = bytes_u64(data, size);
  uint64_t b = size > 8 ? bytes_u64(data + 8, size - 8) : 0;
  check_whole(s, 0, UINT64_MAX);
  check_whole(s, a < b ? a : b, a < b ? b : a);
  char *exact = fz_dup(data, size);
  walk_u64(exact, size);
  walk_double(exact, size);
  free(exact);
  check_buf(data, size);
  check_copy(s);
  free(s);
  return 0;
}
