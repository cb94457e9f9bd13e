// SPDX-License-Identifier: MIT
/*
 * Test runner for the shared/ helper library: gathers the hl_str, hl_proc and
 * hl_thresh suites into one SRunner, runs them (forking per test unless
 * CK_FORK=no) and exits non-zero if any check failed. Also hosts the small
 * fixture helpers declared in check_suites.h.
 */
#include "check_suites.h"

#include <stdlib.h>
#include <string.h>

const char *hl_test_fixtures_dir(void) {
  const char *dir = getenv("HL_FIXTURES");
  if (dir == NULL || dir[0] == '\0')
    return "tests/fixtures";
  return dir;
}

const char *hl_test_fixture_path(char *out, size_t size, const char *rel) {
  const char *dir = hl_test_fixtures_dir();
  size_t dlen = strlen(dir);
  size_t rlen = strlen(rel);
  ck_assert_msg(dlen + 1 + rlen < size, "fixture path too long: %s/%s", dir,
                rel);
  memcpy(out, dir, dlen);
  out[dlen] = '/';
  memcpy(out + dlen + 1, rel, rlen + 1);
  return out;
}

char *hl_test_dup_exact(const void *p, size_t len) {
  char *copy = malloc(len > 0 ? len : 1);
  ck_assert_ptr_nonnull(copy);
  if (len > 0)
    memcpy(copy, p, len);
  return copy;
}

int main(void) {
  SRunner *sr = srunner_create(hl_str_suite());
  srunner_add_suite(sr, hl_proc_suite());
  srunner_add_suite(sr, hl_thresh_suite());
  srunner_add_suite(sr, hl_sockdiag_suite());
  srunner_add_suite(sr, hl_owners_suite());
  srunner_add_suite(sr, hl_docker_suite());
  srunner_add_suite(sr, hl_ports_suite());
  srunner_add_suite(sr, hl_report_suite());
  srunner_add_suite(sr, hl_nvme_suite());
  srunner_add_suite(sr, hl_http_suite());
  srunner_add_suite(sr, hl_icmp_suite());
  srunner_add_suite(sr, hl_tr064_suite());
  srunner_add_suite(sr, hl_ha_suite());

  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
