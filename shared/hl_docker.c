// SPDX-License-Identifier: MIT
/*
 * hl_docker: implementation pending; see hl_docker.h for the contract.
 */
#include "hl_docker.h"
