// SPDX-License-Identifier: MIT
/*
 * hl_str: strict number parsing with range limits, bounded string copies and
 * a capped growable buffer for untrusted input. Plain C, no collectd headers.
 * Every function returns 0 or a negative errno; none of them logs.
 */
#ifndef HOMELAB_SHARED_HL_STR_H
#define HOMELAB_SHARED_HL_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * hl_str_to_u64() - parse a whole string as an unsigned decimal integer.
 * @s:   NUL-terminated text; leading/trailing blanks are not accepted.
 * @min: smallest accepted value.
 * @max: largest accepted value.
 * @out: result, written only on success.
 *
 * Return: 0; -EINVAL if @s is empty, has a sign or trailing garbage;
 * -ERANGE if the value overflows or lies outside [@min, @max].
 */
int hl_str_to_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/**
 * hl_str_to_i64() - parse a whole string as a signed decimal integer.
 * @s: NUL-terminated text. @min, @max: accepted range. @out: result.
 *
 * Return: 0, -EINVAL (not a number) or -ERANGE (outside [@min, @max]).
 */
int hl_str_to_i64(const char *s, int64_t min, int64_t max, int64_t *out);

/**
 * hl_str_to_double() - parse a whole string as a finite floating point number.
 * @s: NUL-terminated text. @min, @max: accepted range. @out: result.
 *
 * Return: 0, -EINVAL (not a number, NaN or infinite) or -ERANGE.
 */
int hl_str_to_double(const char *s, double min, double max, double *out);

/**
 * hl_str_next_u64() - parse the next blank-separated unsigned integer.
 * @p:   cursor; blanks (space, tab) are skipped, then digits are consumed.
 *       On success it points just past the last digit.
 * @end: end of the readable input (the parser never reads at or past it).
 * @out: result.
 *
 * The token must end at @end, a blank or a newline.
 * Return: 0; -ENODATA if only blanks remain before @end or a newline;
 * -EINVAL if the token is not all digits; -ERANGE on overflow.
 */
int hl_str_next_u64(const char **p, const char *end, uint64_t *out);

/**
 * hl_str_next_double() - parse the next blank-separated non-negative decimal
 * number of the form digits[.digits] (as /proc/uptime and /proc/loadavg use).
 * @p, @end, @out: as for hl_str_next_u64().
 *
 * Return: 0, -ENODATA, -EINVAL or -ERANGE as for hl_str_next_u64().
 */
int hl_str_next_double(const char **p, const char *end, double *out);

/**
 * hl_str_copy() - copy a string into a fixed buffer, always terminating it.
 * @dst: destination. @size: its size (may be 0). @src: NUL-terminated source.
 *
 * Return: strlen(@src); a value >= @size means the copy was truncated.
 */
size_t hl_str_copy(char *dst, size_t size, const char *src);

/**
 * struct hl_buf - growable byte buffer with a hard cap.
 * @data: bytes, always NUL-terminated after a successful append (the NUL is
 *        not counted in @len), or NULL while empty.
 * @len:  bytes held.
 * @cap:  bytes allocated.
 * @max:  largest @len ever allowed; appends beyond it fail with -E2BIG.
 */
struct hl_buf {
  char *data;
  size_t len;
  size_t cap;
  size_t max;
};

/**
 * hl_buf_init() - make an empty buffer that will hold at most @max bytes.
 * @b: buffer. @max: cap on its length.
 */
void hl_buf_init(struct hl_buf *b, size_t max);

/**
 * hl_buf_append() - append bytes, growing the allocation geometrically.
 * @b: buffer. @p: bytes. @n: how many.
 *
 * Return: 0; -E2BIG if the result would exceed @b->max (nothing appended);
 * -ENOMEM.
 */
int hl_buf_append(struct hl_buf *b, const void *p, size_t n);

/**
 * hl_buf_reset() - forget the contents, keep the allocation for reuse.
 * @b: buffer.
 */
void hl_buf_reset(struct hl_buf *b);

/**
 * hl_buf_free() - release the allocation; the buffer is empty afterwards and
 * may be reused. Accepts a zeroed buffer.
 * @b: buffer.
 */
void hl_buf_free(struct hl_buf *b);

/**
 * hl_buf_read_file() - replace the contents with a whole file.
 * @b:    buffer; its @max limits the file size accepted.
 * @path: file to read (procfs files report size 0, so this reads to EOF).
 *
 * Return: 0; -errno from open/read; -E2BIG if the file exceeds @b->max.
 */
int hl_buf_read_file(struct hl_buf *b, const char *path);

/**
 * hl_utf8_seq_len() - length of the well-formed UTF-8 sequence at @p
 * (Unicode table 3-7: no overlong forms, no surrogates, at most U+10FFFF).
 * @avail: bytes available at @p (at least 1).
 * Return: 1-4, or 0 when the bytes there are not a well-formed sequence.
 */
size_t hl_utf8_seq_len(const unsigned char *p, size_t avail);

/**
 * hl_utf8_fix() - make [@s, @s + @n) well-formed UTF-8 in place: every byte
 * that does not start a well-formed sequence becomes '?'. The length is
 * kept, so a NUL-terminated string stays terminated where it was.
 * Return: the number of bytes replaced.
 */
size_t hl_utf8_fix(char *s, size_t n);

#endif
