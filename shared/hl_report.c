// SPDX-License-Identifier: MIT
/*
 * hl_report: implementation pending; see hl_report.h for the contract.
 */
#include "hl_report.h"
