// SPDX-License-Identifier: MIT
/*
 * hl_report: the port inventory as JSON (yajl's generator, so any byte in
 * a process name or command line is escaped correctly) and as one
 * self-contained HTML page (inline CSS and script, every value escaped).
 * The JSON keeps the reference tool's schema 1.1.0 field names and adds
 * fields only (schema 1.2.0).
 */
#ifndef HOMELAB_SHARED_HL_REPORT_H
#define HOMELAB_SHARED_HL_REPORT_H

#include <stdio.h>

#include "hl_ports.h"
#include "hl_str.h"

#define HL_REPORT_SCHEMA "1.2.0"

/**
 * hl_report_json() - append the JSON report to @out.
 * @rep: inventory. @version: tool version for "script_version".
 * @pretty: indent. @out: buffer (its max caps the size).
 * Return: 0, -E2BIG or -ENOMEM.
 */
int hl_report_json(const struct hl_port_report *rep, const char *version,
                   bool pretty, struct hl_buf *out);

/**
 * hl_report_html() - append the HTML page to @out.
 * Return: 0, -E2BIG or -ENOMEM.
 */
int hl_report_html(const struct hl_port_report *rep, const char *version,
                   struct hl_buf *out);

/**
 * hl_html_escape() - append @s with &, <, >, " and ' escaped; bytes that are
 * not valid UTF-8 become U+FFFD.
 * Return: 0, -E2BIG or -ENOMEM.
 */
int hl_html_escape(struct hl_buf *out, const char *s);

/**
 * hl_write_atomic() - write @len bytes to @path via a temporary file in the
 * same directory and rename(2), so readers never see a partial file.
 * Return: 0 or a negative errno.
 */
int hl_write_atomic(const char *path, const void *data, size_t len);

#endif
