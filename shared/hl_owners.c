// SPDX-License-Identifier: MIT
/*
 * hl_owners: implementation pending; see hl_owners.h for the contract.
 */
#include "hl_owners.h"
