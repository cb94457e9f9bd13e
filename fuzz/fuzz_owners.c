// SPDX-License-Identifier: MIT
/*
 * fuzz_owners: the /proc/<pid> parsers of hl_owners and the escaping that
 * process data gets on its way into the port report (hl_report).
 *
 * The input is parsed as a readlink() result ("socket:[12345]"), as
 * /proc/<pid>/status (the real uid) and as /proc/<pid>/cmdline. The link
 * parser is compared with a reference decoder; the joined command line must
 * keep every byte but turn NULs into spaces. That command line then goes
 * through hl_report_sanitize_utf8() (output valid UTF-8, input kept where
 * it was valid) and hl_html_escape() (output valid UTF-8 without raw markup
 * characters, controls or bare '&'), as a hostile process name would.
 * Seeds: tests/fixtures/owners (status, cmdline, comm) and hand-made links.
 */
#include "fuzz.h"

#include "hl_owners.h"
#include "hl_report.h"

#include <errno.h>

/* "socket:[" digits "]" with a value that fits in 64 bits. */
static bool ref_link(const char *s, size_t n, uint64_t *out) {
  static const char pre[] = "socket:[";
  size_t k = sizeof(pre) - 1;
  if (n < k + 2 || memcmp(s, pre, k) != 0 || s[n - 1] != ']')
    return false;
  unsigned __int128 v = 0;
  for (size_t i = k; i < n - 1; i++) {
    if (s[i] < '0' || s[i] > '9')
      return false;
    v = v * 10 + (unsigned)(s[i] - '0');
    if (v > UINT64_MAX)
      return false;
  }
  *out = (uint64_t)v;
  return true;
}

static void fuzz_link(const char *s, size_t n) {
  uint64_t a = 0, b = 0;
  int rc = hl_owners_parse_link(s, n, &a);
  bool ok = ref_link(s, n, &b);
  FZ_CHECK((rc == 0) == ok);
  FZ_CHECK(rc == 0 || rc == -EINVAL);
  FZ_CHECK(rc != 0 || a == b);
}

static void fuzz_status(const char *s, size_t n) {
  uint32_t uid = 12345;
  int rc = hl_owners_parse_status_uid(s, n, &uid);
  FZ_CHECK(rc == 0 || rc == -EPROTO);
  FZ_CHECK(rc == 0 || uid == 12345);
}

/* Checks the escaped text: valid UTF-8, no markup, no controls, and every
 * '&' starting one of the five entities. */
static void check_html(const struct hl_buf *b) {
  FZ_CHECK(fz_utf8_valid(b->data, b->len));
  static const char *const ent[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"};
  for (size_t i = 0; i < b->len; i++) {
    unsigned char c = (unsigned char)b->data[i];
    FZ_CHECK(c >= 0x20 && c != 0x7f);
    FZ_CHECK(c != '<' && c != '>' && c != '"' && c != '\'');
    if (c != '&')
      continue;
    bool known = false;
    for (size_t e = 0; e < sizeof(ent) / sizeof(ent[0]); e++)
      known |= strncmp(b->data + i, ent[e], strlen(ent[e])) == 0;
    FZ_CHECK(known);
  }
}

static void fuzz_cmdline(const char *s, size_t n) {
  char *cmd = hl_owners_join_cmdline(s, n);
  FZ_CHECK(cmd != NULL);
  size_t len = n;
  while (len > 0 && s[len - 1] == '\0')
    len--;
  FZ_CHECK(strlen(cmd) == len);
  for (size_t i = 0; i < len; i++)
    FZ_CHECK(cmd[i] == (s[i] == '\0' ? ' ' : s[i]));

  struct hl_buf u;
  hl_buf_init(&u, 4 * len + 16);
  FZ_CHECK(hl_report_sanitize_utf8(&u, cmd, len) == 0);
  FZ_CHECK(fz_utf8_valid(u.data, u.len));
  FZ_CHECK(u.len >= len && u.len <= 3 * len);
  if (fz_utf8_valid(cmd, len))
    FZ_CHECK(u.len == len && (len == 0 || memcmp(u.data, cmd, len) == 0));

  struct hl_buf h;
  hl_buf_init(&h, 8 * len + 16);
  FZ_CHECK(hl_html_escape(&h, cmd) == 0);
  FZ_CHECK(h.len >= len);
  if (h.data != NULL)
    check_html(&h);
  /* A cap too small must fail cleanly with -E2BIG. */
  if (h.len > 0) {
    struct hl_buf small;
    hl_buf_init(&small, h.len - 1);
    FZ_CHECK(hl_html_escape(&small, cmd) == -E2BIG);
    hl_buf_free(&small);
  }
  hl_buf_free(&h);
  hl_buf_free(&u);
  free(cmd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *s = (const char *)data;
  fuzz_link(s, size);
  fuzz_status(s, size);
  fuzz_cmdline(s, size);
  return 0;
}
