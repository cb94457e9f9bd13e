// SPDX-License-Identifier: MIT
/*
 * Unit tests of shared/hl_sockdiag: placeholder suite, filled in with the
 * module.
 */
#include "check_suites.h"

Suite *hl_sockdiag_suite(void) { return suite_create("hl_sockdiag"); }
