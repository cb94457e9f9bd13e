// SPDX-License-Identifier: MIT
/*
 * hl_sockdiag: implementation pending; see hl_sockdiag.h for the contract.
 */
#include "hl_sockdiag.h"
