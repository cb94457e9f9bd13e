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

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "hl_ports.h"
#include "hl_str.h"

#define HL_REPORT_SCHEMA "1.2.0"

/**
 * struct hl_report_meta - what a report says beyond the inventory itself.
 * @version:       tool version for "script_version" (NULL: null).
 * @docker_socket: engine socket asked, for "docker.socket" (NULL: null).
 * @policy:        the policy the findings come from, or NULL; when set,
 *                 the report has a "policy" section (violations, watched
 *                 ports not listening).
 * @pretty:        JSON only: indent by two spaces.
 * All pointers are borrowed for the duration of the call.
 */
struct hl_report_meta {
  const char *version;
  const char *docker_socket;
  const struct hl_policy *policy;
  bool pretty;
};

/**
 * hl_report_json() - append the JSON report to @out; it ends with a newline.
 * @rep: inventory. @version: tool version for "script_version".
 * @pretty: indent. @out: buffer (its max caps the size).
 * Same as hl_report_json_meta() with only @version and @pretty set.
 * Return: 0, -E2BIG or -ENOMEM.
 */
int hl_report_json(const struct hl_port_report *rep, const char *version,
                   bool pretty, struct hl_buf *out);

/**
 * hl_report_json_meta() - append the JSON report (schema HL_REPORT_SCHEMA)
 * to @out; it ends with a newline.
 * @rep: inventory. @meta: version, socket, policy, indentation (NULL: none).
 * @out: buffer (its max caps the size; on error it may hold a partial
 * report).
 *
 * Strings that are not valid UTF-8 are written with U+FFFD in place of
 * each invalid byte, so the output is always valid JSON. Fields that are
 * unknown are null, never missing; docker_* fields appear only on records
 * matched to a container.
 * Return: 0, -E2BIG, -ENOMEM, or -EINVAL if the generator failed.
 */
int hl_report_json_meta(const struct hl_port_report *rep,
                        const struct hl_report_meta *meta, struct hl_buf *out);

/**
 * hl_report_html() - append the HTML page to @out.
 * Same as hl_report_html_meta() with only @version set.
 * Return: 0, -E2BIG or -ENOMEM.
 */
int hl_report_html(const struct hl_port_report *rep, const char *version,
                   struct hl_buf *out);

/**
 * hl_report_html_meta() - append the HTML page to @out: one self-contained
 * file (inline CSS and script, no external resources; a Content Security
 * Policy allows only the page's own script), with a summary header and a
 * sortable, filterable table. Every value goes through hl_html_escape().
 * @rep: inventory. @meta: as for hl_report_json_meta() (@pretty unused;
 * NULL: none).
 * @out: buffer.
 * Return: 0, -E2BIG or -ENOMEM.
 */
int hl_report_html_meta(const struct hl_port_report *rep,
                        const struct hl_report_meta *meta, struct hl_buf *out);

/**
 * hl_report_violations() - how many policy violations @rep holds: records
 * with findings plus Port (watch) rules of @policy that are not listening.
 * @rep: inventory with findings. @policy: the policy, or NULL (then 0).
 * Return: the count.
 */
size_t hl_report_violations(const struct hl_port_report *rep,
                            const struct hl_policy *policy);

/**
 * hl_html_escape() - append @s with &, <, >, " and ' escaped; bytes that are
 * not valid UTF-8 become U+FFFD, and control characters are shown C-style
 * ("\n", "\t", "\r", "\x1b"; DEL is "\x7f"), so a newline inside a
 * process name shows in any font. Safe in text and in quoted attribute
 * values. @s may be NULL (nothing is appended).
 * Return: 0, -E2BIG or -ENOMEM.
 */
int hl_html_escape(struct hl_buf *out, const char *s);

/**
 * hl_report_sanitize_utf8() - append @len bytes of @s as valid UTF-8: each
 * byte that does not start a well-formed sequence (stray continuation
 * byte, overlong form, surrogate, above U+10FFFF, cut short) becomes
 * U+FFFD; everything else is copied unchanged.
 * @out: buffer. @s: bytes (need not be NUL-terminated). @len: their count.
 * Return: 0, -E2BIG or -ENOMEM.
 */
int hl_report_sanitize_utf8(struct hl_buf *out, const char *s, size_t len);

/**
 * hl_write_atomic() - write @len bytes to @path via a temporary file in the
 * same directory and rename(2), so readers never see a partial file. An
 * existing non-regular file (/dev/null, a FIFO) is written in place instead,
 * never replaced.
 * The data is fsync()ed before the rename. The new file keeps the mode of
 * the file it replaces, or gets 0644 (readable by a web server). A symbolic
 * link in a directory every user can write to (/tmp) is not followed: the
 * link itself is replaced, so nobody can redirect the write. On failure
 * the temporary file is removed and @path is untouched.
 * Return: 0 or a negative errno (-ENOENT for a missing directory, -EINVAL
 * for an empty @path).
 */
int hl_write_atomic(const char *path, const void *data, size_t len);

#endif
