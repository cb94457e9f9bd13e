// SPDX-License-Identifier: MIT
/*
 * homelab-port-report: placeholder until the CLI lands.
 */
#include <stdio.h>

int main(void) {
  fputs("homelab-port-report: not implemented yet\n", stderr);
  return 2;
}
