// SPDX-License-Identifier: MIT
/*
 * Unit tests of shared/hl_docker: placeholder suite, filled in with the module.
 */
#include "check_suites.h"

Suite *hl_docker_suite(void) { return suite_create("hl_docker"); }
