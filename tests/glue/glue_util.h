// SPDX-License-Identifier: MIT
/*
 * glue_util: helpers the glue tests (tests/glue/check_homelab_*.c) share.
 *
 * Each glue test includes its plugin source, links mock_collectd and this
 * file, and calls glue_main() from main(): it finds the fixtures
 * ($HL_FIXTURES, else tests/fixtures) and types.db.d/homelab.db ($HL_SRCDIR,
 * else the source tree the fixtures are in), makes one mkdtemp() directory
 * for the run that holds all per-test copies and is removed at the end (also
 * when a forked test failed before its teardown), and runs the suite.
 *
 * The rest are the pieces the tests' setup, teardown and assertions are made
 * of: path joining, copying and removing fixture trees, loading fixture
 * files, turning config text with "@name" placeholders into a config
 * callback, and looking up dispatched values and notifications in the mock's
 * records. Helpers that take no path for granted fail the current test with
 * ck_assert*() when something goes wrong, so call them from tests (or
 * checked fixtures) only.
 */
#ifndef HOMELAB_TESTS_GLUE_GLUE_UTIL_H
#define HOMELAB_TESTS_GLUE_GLUE_UTIL_H

#include "mock_collectd.h"

#include "hl_str.h"

#include <check.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/** GLUE_TYPES_DB - collectd's own types.db, loaded by glue_types_load(). */
#define GLUE_TYPES_DB "/usr/share/collectd/types.db"

/** GLUE_FILE_MAX - size limit for glue_copy_file() and test reads. */
#define GLUE_FILE_MAX (16u * 1024u * 1024u)

/** glue_fx_root - absolute fixture directory (set by glue_main()). */
extern char glue_fx_root[PATH_MAX];

/** glue_homelab_db - path of types.db.d/homelab.db (set by glue_main()). */
extern char glue_homelab_db[PATH_MAX];

/** glue_run_root - mkdtemp() directory of this run (set by glue_main()). */
extern char glue_run_root[PATH_MAX];

/* ---- running ------------------------------------------------------------- */

/**
 * glue_main() - the main() of a glue test.
 * @prog: program name for error messages, e.g. "check_homelab_host".
 * @fx_sub: subdirectory of the fixtures that glue_fx_root names, or NULL for
 *          the fixture directory itself.
 * @tmp_tag: name stem of the run directory under $TMPDIR (or /tmp).
 * @suite: builds the suite to run.
 * @prepare: called after the run directory exists and before the suite runs
 *           (NULL = nothing); a non-zero return aborts with 99. Must not use
 *           ck_assert*().
 *
 * Runs the suite with CK_ENV and removes the run directory afterwards.
 *
 * Return: EXIT_SUCCESS if all tests passed, EXIT_FAILURE if some failed, 99
 * (automake: hard error) if the fixtures or the run directory are missing.
 */
int glue_main(const char *prog, const char *fx_sub, const char *tmp_tag,
              Suite *(*suite)(void), int (*prepare)(void));

/**
 * glue_types_load() - load types.db files into the mock like the daemon
 * would, so identifiers and value counts are checked; for a checked fixture.
 * @homelab: also load glue_homelab_db (which must then load).
 *
 * A missing GLUE_TYPES_DB is only noted on stderr; types are not checked then.
 */
void glue_types_load(bool homelab);

/* ---- files --------------------------------------------------------------- */

/**
 * glue_path_join() - @buf = @dir/@name; fails the test if it does not fit.
 * @buf: output.
 * @size: size of @buf.
 * @dir: directory.
 * @name: name inside it.
 *
 * Return: @buf.
 */
const char *glue_path_join(char *buf, size_t size, const char *dir,
                           const char *name);

/**
 * glue_fx_path() - @buf = <glue_fx_root>/@rel; fails the test if it does not
 * fit.
 * @buf: output.
 * @size: size of @buf.
 * @rel: path relative to the fixtures.
 *
 * Return: @buf.
 */
const char *glue_fx_path(char *buf, size_t size, const char *rel);

/**
 * glue_write_file() - create or replace a file; fails the test if it cannot.
 * @path: file.
 * @data: contents.
 * @len: bytes of @data.
 */
void glue_write_file(const char *path, const char *data, size_t len);

/**
 * glue_read_file() - read a whole file (NUL-terminated); fails the test if
 * it cannot.
 * @path: file.
 * @b: uninitialised buffer; release with hl_buf_free().
 * @max: size limit of @b.
 */
void glue_read_file(const char *path, struct hl_buf *b, size_t max);

/**
 * glue_load() - read the start of the fixture <glue_fx_root>/@rel; fails the
 * test if it cannot be opened.
 * @rel: path relative to the fixtures.
 * @buf: output.
 * @len: at most that many bytes.
 *
 * Return: the number of bytes read.
 */
size_t glue_load(const char *rel, void *buf, size_t len);

/**
 * glue_copy_file() - copy a regular file of at most GLUE_FILE_MAX bytes.
 * @src: source.
 * @dst: destination, created or replaced.
 */
void glue_copy_file(const char *src, const char *dst);

/**
 * glue_copy_tree() - copy a tree of directories, regular files and symlinks
 * (kept as links) into an existing directory; other entries are skipped.
 * @src: source directory.
 * @dst: destination directory.
 */
void glue_copy_tree(const char *src, const char *dst);

/**
 * glue_mk_tmpdir() - a fresh empty directory under glue_run_root.
 * @buf: output path.
 * @size: size of @buf.
 *
 * Return: @buf.
 */
const char *glue_mk_tmpdir(char *buf, size_t size);

/**
 * glue_remove_tree() - remove the tree @dir names (nothing if "") and set
 * @dir to "".
 * @dir: path buffer.
 */
void glue_remove_tree(char *dir);

/* ---- config text --------------------------------------------------------- */

/**
 * struct glue_subst - a placeholder of config text.
 * @token: what stands in the text, e.g. "@tmp".
 * @val: what replaces it.
 */
struct glue_subst {
  const char *token;
  const char *val;
};

/**
 * glue_expand() - replace the placeholders of @text; the first matching
 * token of @subst wins at each position. Fails the test if it does not fit.
 * @buf: output.
 * @size: size of @buf.
 * @text: config text.
 * @subst: placeholders.
 * @nsubst: number of @subst.
 */
void glue_expand(char *buf, size_t size, const char *text,
                 const struct glue_subst *subst, size_t nsubst);

/**
 * glue_config_text() - config text -> <Plugin> tree -> config callback (which
 * defers errors to init); frees the tree as the daemon does after the config
 * phase. Fails the test if the text does not parse or the callback fails.
 * @plugin: plugin name the callback is registered for.
 * @text: config text with placeholders.
 * @subst: placeholders, see glue_expand().
 * @nsubst: number of @subst.
 */
void glue_config_text(const char *plugin, const char *text,
                      const struct glue_subst *subst, size_t nsubst);

/* ---- records ------------------------------------------------------------- */

/**
 * glue_read_once() - one read of callback 0 with fresh records.
 *
 * Return: what the read callback returned.
 */
int glue_read_once(void);

/**
 * glue_value() - the dispatched value list with one value; fails the test if
 * there is none or it has more values.
 * @pi: plugin instance.
 * @type: type.
 * @ti: type instance.
 *
 * Return: the value list.
 */
const value_list_t *glue_value(const char *pi, const char *type,
                               const char *ti);

/**
 * glue_gauge() - the gauge of glue_value().
 * @pi: plugin instance.
 * @type: type.
 * @ti: type instance.
 *
 * Return: the value.
 */
double glue_gauge(const char *pi, const char *type, const char *ti);

/**
 * glue_has() - whether such a value list was dispatched.
 * @pi: plugin instance.
 * @type: type.
 * @ti: type instance.
 *
 * Return: true if it was.
 */
bool glue_has(const char *pi, const char *type, const char *ti);

/** glue_assert_clean_log() - fails the test on any error or warning logged. */
void glue_assert_clean_log(void);

/**
 * glue_notif_match() - whether notification @i matches.
 * @i: index into the recorded notifications.
 * @severity: NOTIF_* or 0 for any.
 * @pi: plugin instance or NULL for any.
 * @ti: type instance or NULL for any.
 * @text: substring of the message or NULL for any.
 *
 * Return: true if it matches.
 */
bool glue_notif_match(size_t i, int severity, const char *pi, const char *ti,
                      const char *text);

/**
 * glue_notif_count() - notifications since the last clear that match, see
 * glue_notif_match().
 * @severity: NOTIF_* or 0 for any.
 * @pi: plugin instance or NULL for any.
 * @ti: type instance or NULL for any.
 * @text: substring of the message or NULL for any.
 *
 * Return: their number.
 */
size_t glue_notif_count(int severity, const char *pi, const char *ti,
                        const char *text);

/**
 * glue_notif_one() - the only notification that matches, see
 * glue_notif_match(); fails the test unless there is exactly one and it
 * comes from @plugin.
 * @severity: NOTIF_* or 0 for any.
 * @pi: plugin instance or NULL for any.
 * @ti: type instance or NULL for any.
 * @plugin: expected plugin name.
 *
 * Return: its index.
 */
size_t glue_notif_one(int severity, const char *pi, const char *ti,
                      const char *plugin);

#endif /* HOMELAB_TESTS_GLUE_GLUE_UTIL_H */
