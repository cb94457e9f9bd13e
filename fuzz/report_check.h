// SPDX-License-Identifier: MIT
/*
 * report_check.h: renders a port inventory the way homelab-port-report
 * does (JSON and HTML, with or without a policy) and checks the output, for
 * the targets whose input ends up in a report (fuzz_docker: container
 * names and images; fuzz_policy: rules). The JSON must parse back with
 * yajl and hold one "ports" element per record; the HTML must be valid
 * UTF-8, and no value may add markup to it (see rc_check_html()).
 */
#ifndef HOMELAB_FUZZ_REPORT_CHECK_H
#define HOMELAB_FUZZ_REPORT_CHECK_H

#include "fuzz.h"

#include "hl_report.h"

#include <yajl/yajl_tree.h>

/* Largest rendering accepted (reports of fuzz inputs stay far below). */
#define RC_MAX_OUT (64u * 1024u * 1024u)

static void rc_check_json(const struct hl_port_report *rep,
                          const struct hl_report_meta *m) {
  struct hl_buf b;
  hl_buf_init(&b, RC_MAX_OUT);
  FZ_CHECK(hl_report_json_meta(rep, m, &b) == 0);
  FZ_CHECK(b.len > 0 && b.data[b.len - 1] == '\n');
  FZ_CHECK(fz_utf8_valid(b.data, b.len));
  char err[256];
  yajl_val root = yajl_tree_parse(b.data, err, sizeof(err));
  if (root == NULL)
    fprintf(stderr, "report JSON does not parse: %s\n", err);
  FZ_CHECK(root != NULL && YAJL_IS_OBJECT(root));
  const char *path[] = {"ports", NULL};
  yajl_val ports = yajl_tree_get(root, path, yajl_t_array);
  FZ_CHECK(ports != NULL && YAJL_GET_ARRAY(ports)->len == rep->n);
  yajl_tree_free(root);
  hl_buf_free(&b);
}

/* A copy of @s with the markup characters <>&"' replaced by 'x' (same
 * length, so the page layout does not change); NULL stays NULL. */
static char *rc_defang(const char *s) {
  if (s == NULL)
    return NULL;
  char *d = fz_str(s, strlen(s));
  for (char *p = d; *p; p++)
    if (strchr("<>&\"'", *p) != NULL)
      *p = 'x';
  return d;
}

/* Renders @rep as HTML and counts the markup characters. */
static void rc_html_counts(const struct hl_port_report *rep,
                           const struct hl_report_meta *m, size_t count[4]) {
  struct hl_buf b;
  hl_buf_init(&b, RC_MAX_OUT);
  FZ_CHECK(hl_report_html_meta(rep, m, &b) == 0);
  FZ_CHECK(b.len > 0 && fz_utf8_valid(b.data, b.len));
  static const char marks[] = "<>\"'";
  memset(count, 0, 4 * sizeof(*count));
  for (size_t i = 0; i < b.len; i++) {
    const char *k = b.data[i] != '\0' ? strchr(marks, b.data[i]) : NULL;
    if (k != NULL)
      count[k - marks]++;
  }
  hl_buf_free(&b);
}

/* No value may add markup to the page: the page of @rep must hold as many
 * < > " ' as the page of the same report with those characters taken out
 * of every value. */
static void rc_check_html(const struct hl_port_report *rep,
                          const struct hl_report_meta *m) {
  size_t got[4], want[4];
  rc_html_counts(rep, m, got);
  struct hl_port_report tame = *rep;
  tame.r = fz_dup(rep->r, rep->n * sizeof(*rep->r));
  for (size_t i = 0; i < rep->n; i++) {
    struct hl_port_rec *r = &tame.r[i];
    r->process = rc_defang(r->process);
    r->user = rc_defang(r->user);
    r->cmdline = rc_defang(r->cmdline);
    r->ctr_name = rc_defang(r->ctr_name);
    r->ctr_id = rc_defang(r->ctr_id);
    r->ctr_image = rc_defang(r->ctr_image);
    for (char *p = r->ctr_spec; *p; p++)
      if (strchr("<>&\"'", *p) != NULL)
        *p = 'x';
  }
  char *host = rc_defang(rep->host);
  hl_str_copy(tame.host, sizeof(tame.host), host);
  free(host);
  rc_html_counts(&tame, m, want);
  for (int k = 0; k < 4; k++)
    FZ_CHECK(got[k] == want[k]);
  for (size_t i = 0; i < rep->n; i++) {
    struct hl_port_rec *r = &tame.r[i];
    free(r->process);
    free(r->user);
    free(r->cmdline);
    free(r->ctr_name);
    free(r->ctr_id);
    free(r->ctr_image);
  }
  free(tame.r);
}

/* JSON (indented if @pretty) and HTML of @rep with @policy (may be NULL). */
static void rc_check_report(const struct hl_port_report *rep,
                            const struct hl_policy *policy,
                            const char *docker_socket, bool pretty) {
  struct hl_report_meta m = {.version = "fuzz",
                             .docker_socket = docker_socket,
                             .policy = policy,
                             .pretty = pretty};
  rc_check_json(rep, &m);
  rc_check_html(rep, &m);
  size_t v = hl_report_violations(rep, policy);
  FZ_CHECK(policy != NULL || v == 0);
}

#endif
