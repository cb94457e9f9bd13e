// SPDX-License-Identifier: MIT
/*
 * hl_str: strict number parsing, bounded copies and the capped buffer.
 *
 * The parsers wrap strtoull/strtoll/strtod and insist on the whole string
 * being consumed, so "12abc", " 12" and "" are errors rather than 12 or 0.
 * The cursor parsers (hl_str_next_*) work on length-delimited bytes as read
 * from /proc and never look at or past the end pointer.
 */
#include "hl_str.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_blank(char c) { return c == ' ' || c == '\t'; }

int hl_str_to_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out) {
  if (s == NULL || !is_digit(s[0]))
    return -EINVAL;
  char *end = NULL;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (*end != '\0')
    return -EINVAL;
  if (errno == ERANGE || v < min || v > max)
    return -ERANGE;
  *out = (uint64_t)v;
  return 0;
}

int hl_str_to_i64(const char *s, int64_t min, int64_t max, int64_t *out) {
  if (s == NULL)
    return -EINVAL;
  const char *d = (s[0] == '-' || s[0] == '+') ? s + 1 : s;
  if (!is_digit(d[0]))
    return -EINVAL;
  char *end = NULL;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (*end != '\0')
    return -EINVAL;
  if (errno == ERANGE || v < min || v > max)
    return -ERANGE;
  *out = (int64_t)v;
  return 0;
}

int hl_str_to_double(const char *s, double min, double max, double *out) {
  if (s == NULL || s[0] == '\0' || isspace((unsigned char)s[0]))
    return -EINVAL;
  char *end = NULL;
  errno = 0;
  double v = strtod(s, &end);
  if (*end != '\0')
    return -EINVAL;
  if (errno == ERANGE && isinf(v))
    return -ERANGE; /* "1e999": a number, but too big for a double */
  if (!isfinite(v))
    return -EINVAL;
  if (errno == ERANGE || v < min || v > max)
    return -ERANGE;
  *out = v;
  return 0;
}

/* Skips blanks; returns -ENODATA at the end of the input or of the line. */
static int skip_to_token(const char **p, const char *end) {
  const char *c = *p;
  while (c < end && is_blank(*c))
    c++;
  *p = c;
  if (c >= end || *c == '\n')
    return -ENODATA;
  return 0;
}

static bool token_ends(const char *c, const char *end) {
  return c >= end || is_blank(*c) || *c == '\n';
}

int hl_str_next_u64(const char **p, const char *end, uint64_t *out) {
  int rc = skip_to_token(p, end);
  if (rc != 0)
    return rc;
  const char *c = *p;
  uint64_t v = 0;
  if (!is_digit(*c))
    return -EINVAL;
  while (c < end && is_digit(*c)) {
    uint64_t d = (uint64_t)(*c - '0');
    if (v > (UINT64_MAX - d) / 10)
      return -ERANGE;
    v = v * 10 + d;
    c++;
  }
  if (!token_ends(c, end))
    return -EINVAL;
  *p = c;
  *out = v;
  return 0;
}

int hl_str_next_double(const char **p, const char *end, double *out) {
  int rc = skip_to_token(p, end);
  if (rc != 0)
    return rc;
  const char *c = *p;
  if (!is_digit(*c))
    return -EINVAL;
  double v = 0;
  while (c < end && is_digit(*c))
    v = v * 10 + (*c++ - '0');
  if (c < end && *c == '.') {
    c++;
    double scale = 0.1;
    while (c < end && is_digit(*c)) {
      v += (*c++ - '0') * scale;
      scale /= 10;
    }
  }
  if (!token_ends(c, end))
    return -EINVAL;
  if (!isfinite(v))
    return -ERANGE;
  *p = c;
  *out = v;
  return 0;
}

size_t hl_str_copy(char *dst, size_t size, const char *src) {
  size_t n = strlen(src);
  if (size == 0)
    return n;
  size_t k = n < size - 1 ? n : size - 1;
  memcpy(dst, src, k);
  dst[k] = '\0';
  return n;
}

void hl_buf_init(struct hl_buf *b, size_t max) {
  *b = (struct hl_buf){.max = max};
}

static int buf_reserve(struct hl_buf *b, size_t need) {
  if (need <= b->cap)
    return 0;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < need)
    cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  char *d = realloc(b->data, cap);
  if (d == NULL)
    return -ENOMEM;
  b->data = d;
  b->cap = cap;
  return 0;
}

int hl_buf_append(struct hl_buf *b, const void *p, size_t n) {
  if (n > b->max || b->len > b->max - n)
    return -E2BIG;
  int rc = buf_reserve(b, b->len + n + 1);
  if (rc != 0)
    return rc;
  if (n > 0)
    memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 0;
}

void hl_buf_reset(struct hl_buf *b) {
  b->len = 0;
  if (b->data != NULL)
    b->data[0] = '\0';
}

void hl_buf_free(struct hl_buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
}

int hl_buf_read_file(struct hl_buf *b, const char *path) {
  hl_buf_reset(b);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  int rc = 0;
  for (;;) {
    /* Read straight into the buffer; grow it when full. */
    if (b->len + 1 >= b->cap) {
      size_t want = b->cap ? b->cap * 2 : 4096;
      if (want > b->max + 1)
        want = b->max + 1;
      if (want <= b->len + 1) {
        char probe;
        ssize_t extra = read(fd, &probe, 1);
        rc = extra > 0 ? -E2BIG : (extra < 0 ? -errno : 0);
        break;
      }
      rc = buf_reserve(b, want);
      if (rc != 0)
        break;
    }
    /* The allocation may exceed max + 1 (it is rounded up, or reused), so
     * never take more than one byte past max: that byte proves -E2BIG. */
    size_t room = b->cap - 1 - b->len;
    if (room > b->max + 1 - b->len)
      room = b->max + 1 - b->len;
    ssize_t got = read(fd, b->data + b->len, room);
    if (got < 0) {
      if (errno == EINTR)
        continue;
      rc = -errno;
      break;
    }
    if (got == 0)
      break;
    b->len += (size_t)got;
    if (b->len > b->max) {
      rc = -E2BIG;
      break;
    }
  }
  close(fd);
  if (b->data != NULL)
    b->data[b->len] = '\0';
  if (rc != 0)
    hl_buf_reset(b);
  return rc;
}

size_t hl_utf8_seq_len(const unsigned char *p, size_t avail) {
  unsigned char c = p[0];
  if (c < 0x80)
    return 1;
  size_t n = c >= 0xc2 && c <= 0xdf   ? 2
             : c >= 0xe0 && c <= 0xef ? 3
             : c >= 0xf0 && c <= 0xf4 ? 4
                                      : 0;
  if (n == 0 || n > avail)
    return 0;
  /* The second byte's range depends on the lead (Unicode table 3-7). */
  unsigned char lo = 0x80;
  unsigned char hi = 0xbf;
  if (c == 0xe0)
    lo = 0xa0;
  else if (c == 0xed)
    hi = 0x9f;
  else if (c == 0xf0)
    lo = 0x90;
  else if (c == 0xf4)
    hi = 0x8f;
  if (p[1] < lo || p[1] > hi)
    return 0;
  for (size_t i = 2; i < n; i++)
    if ((p[i] & 0xc0) != 0x80)
      return 0;
  return n;
}

size_t hl_utf8_fix(char *s, size_t n) {
  unsigned char *p = (unsigned char *)s;
  size_t fixed = 0;
  for (size_t i = 0; i < n;) {
    size_t k = hl_utf8_seq_len(p + i, n - i);
    if (k == 0) {
      p[i++] = '?';
      fixed++;
    } else {
      i += k;
    }
  }
  return fixed;
}
