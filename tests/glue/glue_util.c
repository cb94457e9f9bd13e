// SPDX-License-Identifier: MIT
/*
 * glue_util: helpers the glue tests share (see glue_util.h): their main(),
 * fixture paths, copies of fixture trees under one run directory, config
 * text with placeholders and lookups in mock_collectd's records.
 */
#include "glue_util.h"

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char glue_fx_root[PATH_MAX];
char glue_homelab_db[PATH_MAX];
char glue_run_root[PATH_MAX];

/* ---- running ------------------------------------------------------------- */

static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

void glue_remove_tree(char *dir) {
  if (dir[0] != '\0')
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  dir[0] = '\0';
}

int glue_main(const char *prog, const char *fx_sub, const char *tmp_tag,
              Suite *(*suite)(void), int (*prepare)(void)) {
  const char *env = getenv("HL_FIXTURES");
  char abs[PATH_MAX];
  if (realpath(env && *env ? env : "tests/fixtures", abs) == NULL) {
    fprintf(stderr, "%s: fixtures not found; set HL_FIXTURES\n", prog);
    return 99; /* automake: hard error */
  }
  int n =
      fx_sub != NULL
          ? snprintf(glue_fx_root, sizeof(glue_fx_root), "%s/%s", abs, fx_sub)
          : snprintf(glue_fx_root, sizeof(glue_fx_root), "%s", abs);
  if (n < 0 || (size_t)n >= sizeof(glue_fx_root))
    return 99;
  /* homelab.db: $HL_SRCDIR, else the source tree the fixtures are in. */
  const char *src = getenv("HL_SRCDIR");
  n = src && *src ? snprintf(glue_homelab_db, sizeof(glue_homelab_db),
                             "%s/types.db.d/homelab.db", src)
                  : snprintf(glue_homelab_db, sizeof(glue_homelab_db),
                             "%s/../../types.db.d/homelab.db", abs);
  if (n < 0 || (size_t)n >= sizeof(glue_homelab_db))
    return 99;
  /* Per-test copies live under one directory that is removed at the end,
   * also when a forked test failed before its teardown. */
  const char *tmp = getenv("TMPDIR");
  n = snprintf(glue_run_root, sizeof(glue_run_root), "%s/%s.XXXXXX",
               tmp && *tmp ? tmp : "/tmp", tmp_tag);
  if (n < 0 || (size_t)n >= sizeof(glue_run_root) ||
      mkdtemp(glue_run_root) == NULL) {
    fprintf(stderr, "%s: ", prog);
    perror("mkdtemp");
    return 99;
  }
  if (prepare != NULL && prepare() != 0) {
    glue_remove_tree(glue_run_root);
    return 99;
  }
  SRunner *sr = srunner_create(suite());
  srunner_run_all(sr, CK_ENV);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  glue_remove_tree(glue_run_root);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

void glue_types_load(bool homelab) {
  if (mock_types_load(GLUE_TYPES_DB) != 0)
    fprintf(stderr, "note: %s missing, types are not checked\n", GLUE_TYPES_DB);
  else if (homelab)
    ck_assert_msg(mock_types_load(glue_homelab_db) == 0, "cannot load %s",
                  glue_homelab_db);
}

/* ---- files --------------------------------------------------------------- */

const char *glue_path_join(char *buf, size_t size, const char *dir,
                           const char *name) {
  int n = snprintf(buf, size, "%s/%s", dir, name);
  ck_assert_msg(n > 0 && (size_t)n < size, "path too long: %s", name);
  return buf;
}

const char *glue_fx_path(char *buf, size_t size, const char *rel) {
  return glue_path_join(buf, size, glue_fx_root, rel);
}

void glue_write_file(const char *path, const char *data, size_t len) {
  FILE *f = fopen(path, "w");
  ck_assert_msg(f != NULL, "cannot create %s", path);
  ck_assert_uint_eq(fwrite(data, 1, len, f), len);
  ck_assert_int_eq(fclose(f), 0);
}

void glue_read_file(const char *path, struct hl_buf *b, size_t max) {
  hl_buf_init(b, max);
  ck_assert_msg(hl_buf_read_file(b, path) == 0, "cannot read %s", path);
}

size_t glue_load(const char *rel, void *buf, size_t len) {
  char p[PATH_MAX];
  FILE *f = fopen(glue_fx_path(p, sizeof(p), rel), "rb");
  ck_assert_msg(f != NULL, "cannot open %s", p);
  size_t n = fread(buf, 1, len, f);
  fclose(f);
  return n;
}

void glue_copy_file(const char *src, const char *dst) {
  struct hl_buf b;
  glue_read_file(src, &b, GLUE_FILE_MAX);
  glue_write_file(dst, b.data ? b.data : "", b.len);
  hl_buf_free(&b);
}

void glue_copy_tree(const char *src, const char *dst) {
  DIR *d = opendir(src);
  ck_assert_msg(d != NULL, "cannot open %s", src);
  for (struct dirent *e = readdir(d); e != NULL; e = readdir(d)) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    char s[PATH_MAX], t[PATH_MAX];
    glue_path_join(s, sizeof(s), src, e->d_name);
    glue_path_join(t, sizeof(t), dst, e->d_name);
    struct stat st;
    ck_assert_int_eq(lstat(s, &st), 0);
    if (S_ISDIR(st.st_mode)) {
      ck_assert_int_eq(mkdir(t, 0755), 0);
      glue_copy_tree(s, t);
    } else if (S_ISREG(st.st_mode)) {
      glue_copy_file(s, t);
    } else if (S_ISLNK(st.st_mode)) {
      char target[PATH_MAX];
      ssize_t n = readlink(s, target, sizeof(target) - 1);
      ck_assert(n > 0);
      target[n] = '\0';
      ck_assert_int_eq(symlink(target, t), 0);
    }
  }
  closedir(d);
}

const char *glue_mk_tmpdir(char *buf, size_t size) {
  glue_path_join(buf, size, glue_run_root, "t.XXXXXX");
  ck_assert_msg(mkdtemp(buf) != NULL, "mkdtemp failed");
  return buf;
}

/* ---- config text --------------------------------------------------------- */

void glue_expand(char *buf, size_t size, const char *text,
                 const struct glue_subst *subst, size_t nsubst) {
  size_t n = 0;
  while (*text != '\0') {
    const char *val = text;
    size_t tlen = 1, vlen = 1;
    for (size_t i = 0; i < nsubst; i++) {
      size_t len = strlen(subst[i].token);
      if (strncmp(text, subst[i].token, len) == 0) {
        val = subst[i].val;
        tlen = len;
        vlen = strlen(val);
        break;
      }
    }
    ck_assert_msg(n + vlen < size, "config text too long");
    memcpy(buf + n, val, vlen);
    n += vlen;
    text += tlen;
  }
  buf[n] = '\0';
}

void glue_config_text(const char *plugin, const char *text,
                      const struct glue_subst *subst, size_t nsubst) {
  char buf[8192];
  glue_expand(buf, sizeof(buf), text, subst, nsubst);
  oconfig_item_t *ci = ci_parse(buf);
  ck_assert_msg(ci != NULL, "bad config text: %s", buf);
  ck_assert_int_eq(mock_config(plugin, ci), 0);
  ci_free(ci);
}

/* ---- records ------------------------------------------------------------- */

int glue_read_once(void) {
  mock_clear_records();
  return mock_read(0);
}

const value_list_t *glue_value(const char *pi, const char *type,
                               const char *ti) {
  const value_list_t *vl = mock_find(pi, type, ti);
  ck_assert_msg(vl != NULL, "no value %s/%s-%s", pi, type, ti);
  ck_assert_msg(vl->values_len == 1, "%s/%s-%s has %zu values", pi, type, ti,
                vl->values_len);
  return vl;
}

double glue_gauge(const char *pi, const char *type, const char *ti) {
  return glue_value(pi, type, ti)->values[0].gauge;
}

bool glue_has(const char *pi, const char *type, const char *ti) {
  return mock_find(pi, type, ti) != NULL;
}

void glue_assert_clean_log(void) {
  ck_assert_uint_eq(mock_log_count(LOG_ERR, NULL), 0);
  ck_assert_uint_eq(mock_log_count(LOG_WARNING, NULL), 0);
}

bool glue_notif_match(size_t i, int severity, const char *pi, const char *ti,
                      const char *text) {
  const notification_t *n = mock_notification(i);
  return (severity == 0 || n->severity == severity) &&
         (pi == NULL || strcmp(n->plugin_instance, pi) == 0) &&
         (ti == NULL || strcmp(n->type_instance, ti) == 0) &&
         (text == NULL || strstr(n->message, text) != NULL);
}

size_t glue_notif_count(int severity, const char *pi, const char *ti,
                        const char *text) {
  size_t n = 0;
  for (size_t i = 0; i < mock_count_notifications(); i++)
    n += glue_notif_match(i, severity, pi, ti, text);
  return n;
}

size_t glue_notif_one(int severity, const char *pi, const char *ti,
                      const char *plugin) {
  size_t found = SIZE_MAX, n = 0;
  for (size_t i = 0; i < mock_count_notifications(); i++)
    if (glue_notif_match(i, severity, pi, ti, NULL)) {
      found = i;
      n++;
    }
  ck_assert_msg(n == 1, "%zu notifications %d %s/%s, want 1 (of %zu)", n,
                severity, pi ? pi : "*", ti ? ti : "*",
                mock_count_notifications());
  ck_assert_str_eq(mock_notification(found)->plugin, plugin);
  return found;
}
