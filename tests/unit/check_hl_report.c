// SPDX-License-Identifier: MIT
/*
 * Unit tests of shared/hl_report: placeholder suite, filled in with the module.
 */
#include "check_suites.h"

Suite *hl_report_suite(void) { return suite_create("hl_report"); }
