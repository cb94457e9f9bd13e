// SPDX-License-Identifier: MIT
/*
 * hl_ports: implementation pending; see hl_ports.h for the contract.
 */
#include "hl_ports.h"
