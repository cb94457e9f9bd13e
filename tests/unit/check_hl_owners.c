// SPDX-License-Identifier: MIT
/*
 * Unit tests of shared/hl_owners: placeholder suite, filled in with the module.
 */
#include "check_suites.h"

Suite *hl_owners_suite(void) { return suite_create("hl_owners"); }
