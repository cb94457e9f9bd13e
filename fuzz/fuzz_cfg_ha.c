// SPDX-License-Identifier: MIT
/*
 * fuzz_cfg_ha: the configuration of the homelab_ha plugin, driven like the
 * daemon does it, from config text.
 *
 * The plugin source is included (as in tests/glue) and linked against
 * tests/glue/mock_collectd.c. The input is the text inside <Plugin
 * homelab_ha>, read by the mock's ci_parse() into an oconfig tree; then
 * module_register() -> config callback -> init (which validates, creates
 * one HTTP client per instance and registers the reads) -> shutdown (every
 * free_func). No read runs: that would be network I/O. Every registered
 * read must be named "homelab_ha/<instance>" and carry its instance. The
 * plugin's statics are reset per input, as the glue tests' setup does.
 * Run it with -close_fd_mask=2: the mock logs every message to stderr.
 * Seeds: fuzz/seeds/cfg_ha.
 */
#include "../plugins/homelab_ha.c"

#include "fuzz.h"
#include "mock_collectd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fz_str(data, size);
  mock_reset();
  ha_single = (struct hl_single){0};
  ha_cfg_clear();
  module_register();
  oconfig_item_t *ci = ci_parse(text);
  if (ci != NULL) {
    FZ_CHECK(mock_config(HL_PLUGIN, ci) == 0); /* errors are init's */
    ci_free(ci);
  }
  int rc = mock_init_all();
  FZ_CHECK(rc == 0 || mock_read_count() == 0);
  FZ_CHECK(ha_cfg.n == 0); /* handed to the daemon or freed */
  for (size_t i = 0; i < mock_read_count(); i++) {
    const struct ha_inst *h = mock_read_data(i);
    const char *name = mock_read_name(i);
    FZ_CHECK(h != NULL && name != NULL);
    FZ_CHECK(strncmp(name, HL_PLUGIN "/", sizeof(HL_PLUGIN)) == 0);
    FZ_CHECK(strcmp(name + sizeof(HL_PLUGIN), h->name) == 0);
    FZ_CHECK(h->url != NULL && h->http != NULL && h->token == NULL);
    FZ_CHECK(strchr(h->name, '/') == NULL && h->name[0] != '\0');
  }
  mock_reset(); /* the daemon's shutdown: every free_func */
  free(text);
  return 0;
}
