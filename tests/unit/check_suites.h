// SPDX-License-Identifier: MIT
/*
 * Shared declarations for the unit tests of shared/: one Suite constructor
 * per module (collected by check_main.c) and the helpers every suite uses to
 * find its fixture files, which live under $HL_FIXTURES (set by `make check`
 * to <srcdir>/tests/fixtures) or, when run by hand, "tests/fixtures".
 */
#ifndef HOMELAB_TESTS_UNIT_CHECK_SUITES_H
#define HOMELAB_TESTS_UNIT_CHECK_SUITES_H

#include <stddef.h>

#include <check.h>

/** ARRAY_SIZE() - number of elements of a true array, as an int for Check. */
#define ARRAY_SIZE(a) ((int)(sizeof(a) / sizeof((a)[0])))

Suite *hl_str_suite(void);
Suite *hl_proc_suite(void);
Suite *hl_thresh_suite(void);
Suite *hl_sockdiag_suite(void);
Suite *hl_owners_suite(void);
Suite *hl_docker_suite(void);
Suite *hl_ports_suite(void);
Suite *hl_report_suite(void);
Suite *hl_nvme_suite(void);
Suite *hl_http_suite(void);
Suite *hl_icmp_suite(void);
Suite *hl_tr064_suite(void);
Suite *hl_ha_suite(void);

/**
 * hl_test_fixtures_dir() - the fixtures directory.
 * Return: $HL_FIXTURES if set and non-empty, else "tests/fixtures".
 */
const char *hl_test_fixtures_dir(void);

/**
 * hl_test_fixture_path() - "<fixtures dir>/<rel>" into @out.
 * @out: destination. @size: its size. @rel: path below the fixtures dir.
 *
 * Fails the running test if the result does not fit.
 * Return: @out.
 */
const char *hl_test_fixture_path(char *out, size_t size, const char *rel);

/**
 * hl_test_dup_exact() - copy @len bytes into a malloc'd block of exactly
 * @len bytes (no terminating NUL), so that AddressSanitizer reports any
 * read past the end by a parser.
 * @p: bytes. @len: their count (0 gives a 1-byte block, still unterminated
 * from the parser's point of view because it is passed with length 0).
 * Return: the copy; the caller frees it. Fails the test if out of memory.
 */
char *hl_test_dup_exact(const void *p, size_t len);

#endif
