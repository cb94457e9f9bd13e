// SPDX-License-Identifier: MIT
/*
 * fuzz.h: what the libFuzzer targets in fuzz/fuzz_*.c share.
 *
 * Each target feeds one parser family of shared/ (or a plugin's config
 * callback) with the fuzzer's bytes and checks the documented contract of
 * the result with FZ_CHECK(): a violated contract aborts, so libFuzzer
 * keeps the input as a crash like any sanitizer report. libFuzzer hands the
 * input in a heap block of exactly @size bytes, so parsers that take a
 * length are called on it directly (AddressSanitizer catches a read past
 * the end); fz_str() makes the NUL-terminated copies the string APIs need.
 *
 * Inputs that carry parameters besides the document use fz_split(): the
 * bytes up to the first NUL are the document, the rest is a list of lines
 * (fz_next_line()). Seeds taken from tests/fixtures hold no NUL, so they
 * run with the target's default parameters.
 */
#ifndef HOMELAB_FUZZ_FUZZ_H
#define HOMELAB_FUZZ_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Findings that were reported but are not fixed yet are tolerated by the
 * checks, so fuzzing goes on past them (each target says which). With
 * FUZZ_STRICT=1 in the environment (scripts/fuzz -S) they are checked
 * strictly: their regression inputs in tests/fixtures/fuzz then fail until
 * the code is fixed.
 */
static inline bool fz_strict(void) {
  static int strict = -1;
  if (strict < 0) {
    const char *v = getenv("FUZZ_STRICT");
    strict = v != NULL && v[0] != '\0' && strcmp(v, "0") != 0;
  }
  return strict != 0;
}

/* Aborts with the failed condition when a documented contract is broken. */
#define FZ_CHECK(cond)                                                         \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: contract broken: %s\n", __FILE__, __LINE__,      \
              #cond);                                                          \
      abort();                                                                 \
    }                                                                          \
  } while (0)

/* A NUL-terminated malloc'd copy of @size bytes (which may hold NULs). */
static inline char *fz_str(const void *data, size_t size) {
  char *s = malloc(size + 1);
  if (s == NULL)
    abort();
  if (size > 0)
    memcpy(s, data, size);
  s[size] = '\0';
  return s;
}

/* A malloc'd copy of exactly @size bytes (at least one byte allocated), so
 * a read past the end of a sub-range is caught too. */
static inline void *fz_dup(const void *data, size_t size) {
  void *p = malloc(size > 0 ? size : 1);
  if (p == NULL)
    abort();
  if (size > 0)
    memcpy(p, data, size);
  return p;
}

/**
 * struct fz_span - a range of the input.
 * @p: first byte. @n: byte count.
 */
struct fz_span {
  const char *p;
  size_t n;
};

/* Splits at the first NUL: @doc before it, @params after it (n 0 if none). */
static inline bool fz_split(const uint8_t *data, size_t size,
                            struct fz_span *doc, struct fz_span *params) {
  const uint8_t *nul = memchr(data, '\0', size);
  *doc =
      (struct fz_span){(const char *)data, nul ? (size_t)(nul - data) : size};
  *params = nul ? (struct fz_span){(const char *)nul + 1,
                                   size - (size_t)(nul - data) - 1}
                : (struct fz_span){(const char *)data + size, 0};
  return nul != NULL;
}

/* The next '\n'-terminated line of @rest into @line; false at the end. */
static inline bool fz_next_line(struct fz_span *rest, struct fz_span *line) {
  if (rest->n == 0)
    return false;
  const char *nl = memchr(rest->p, '\n', rest->n);
  size_t len = nl ? (size_t)(nl - rest->p) : rest->n;
  *line = (struct fz_span){rest->p, len};
  rest->p += nl ? len + 1 : len;
  rest->n -= nl ? len + 1 : len;
  return true;
}

/* Whether [@s, @s + @n) is well-formed UTF-8 (no overlong forms,
 * surrogates or code points above U+10FFFF). */
static inline bool fz_utf8_valid(const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  while (i < n) {
    unsigned c = p[i];
    size_t len = c < 0x80                 ? 1
                 : c >= 0xc2 && c <= 0xdf ? 2
                 : c >= 0xe0 && c <= 0xef ? 3
                 : c >= 0xf0 && c <= 0xf4 ? 4
                                          : 0;
    if (len == 0 || i + len > n)
      return false;
    for (size_t k = 1; k < len; k++)
      if ((p[i + k] & 0xc0) != 0x80)
        return false;
    if ((c == 0xe0 && p[i + 1] < 0xa0) || (c == 0xed && p[i + 1] > 0x9f) ||
        (c == 0xf0 && p[i + 1] < 0x90) || (c == 0xf4 && p[i + 1] > 0x8f))
      return false;
    i += len;
  }
  return true;
}

/* Whether [@s, @s + @n) has UTF-8's byte structure: every lead byte is
 * followed by its continuation bytes and no character is cut. This is what
 * yajl checks; it lets overlong forms and surrogates through. */
static inline bool fz_utf8_shaped(const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  while (i < n) {
    unsigned c = p[i];
    size_t len = c < 0x80                 ? 1
                 : c >= 0xc0 && c <= 0xdf ? 2
                 : c >= 0xe0 && c <= 0xef ? 3
                 : c >= 0xf0 && c <= 0xf7 ? 4
                                          : 0;
    if (len == 0 || i + len > n)
      return false;
    for (size_t k = 1; k < len; k++)
      if ((p[i + k] & 0xc0) != 0x80)
        return false;
    i += len;
  }
  return true;
}

/* Whether the C string @s fits in a buffer of @size bytes (is terminated
 * inside it). */
static inline bool fz_terminated(const char *s, size_t size) {
  return memchr(s, '\0', size) != NULL;
}

#endif
