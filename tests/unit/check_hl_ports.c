// SPDX-License-Identifier: MIT
/*
 * Unit tests of shared/hl_ports: placeholder suite, filled in with the module.
 */
#include "check_suites.h"

Suite *hl_ports_suite(void) { return suite_create("hl_ports"); }
