// SPDX-License-Identifier: MIT
/*
 * fuzz_cfg_host: the configuration of the homelab_host plugin, driven like
 * the daemon does it, from config text.
 *
 * The plugin source is included (as in tests/glue) and linked against
 * tests/glue/mock_collectd.c. The input is the text inside <Plugin
 * homelab_host>, read by the mock's ci_parse() into an oconfig tree; then
 * module_register() -> config callback (which validates against the
 * system: ProcRoot, its self/mounts, the mount points) -> init -> two
 * reads of this machine's /proc when a target was registered (the second
 * one has CPU deltas) -> shutdown (every free_func). The plugin's statics
 * are reset per input, as the glue tests' setup does. Run it with
 * -close_fd_mask=2: the mock logs every message to stderr. Seeds:
 * fuzz/seeds/cfg_host and examples/homelab_host.conf's block.
 */
#include "../plugins/homelab_host.c"

#include "fuzz.h"
#include "mock_collectd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fz_str(data, size);
  mock_reset();
  host_cfg = (struct hl_single){0};
  module_register();
  oconfig_item_t *ci = ci_parse(text);
  if (ci != NULL) {
    FZ_CHECK(mock_config(HL_PLUGIN, ci) == 0); /* errors are init's */
    ci_free(ci);
  }
  int rc = mock_init_all();
  FZ_CHECK(rc == 0 || mock_read_count() == 0);
  FZ_CHECK(mock_read_count() <= 1);
  if (mock_read_count() == 1) {
    const struct host_target *t = mock_read_data(0);
    FZ_CHECK(t != NULL && t->proc_root != NULL && t->proc_root[0] == '/');
    FZ_CHECK(t->nmounts > 0 || t->all_mounts);
    for (size_t i = 0; i < t->nmounts; i++)
      FZ_CHECK(strchr(t->mounts[i].instance, '/') == NULL &&
               strncmp(t->mounts[i].instance, "df-", 3) == 0);
    mock_read(0);
    mock_advance_time(TIME_T_TO_CDTIME_T(10));
    mock_read(0);
    for (size_t i = 0; i < mock_count_values(); i++) {
      const value_list_t *vl = mock_value(i);
      FZ_CHECK(strcmp(vl->plugin, HL_PLUGIN) == 0);
      FZ_CHECK(strchr(vl->type_instance, '/') == NULL);
      FZ_CHECK(strchr(vl->plugin_instance, '/') == NULL);
    }
  }
  mock_reset(); /* the daemon's shutdown: every free_func */
  free(text);
  return 0;
}
