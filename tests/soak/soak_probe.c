// SPDX-License-Identifier: MIT
/*
 * soak_probe: the test plugin of the soak test (tests/soak/run); not part
 * of the product. Three jobs:
 *
 *  - Counting reads. A write callback compares every value list with the
 *    configured Count identifiers (one per read callback under test, one
 *    that the callback dispatches once on every successful read) and
 *    counts the matches; a read callback writes the counts to File every
 *    0.2 s (written to File.tmp, then renamed) and once more at shutdown.
 *    Plain string compares and atomic counters, no allocation after
 *    config: the probe adds nothing to collectd's RSS while it is
 *    measured, and no regular expressions (match_regex's DFA caches grow
 *    for minutes, which looked like a leak in the RSS mode).
 *  - Memory samples. With "SampleRequest FILE", every dump also records
 *    the bytes the C library's malloc has handed out and not got back
 *    (mallinfo2: uordblks + hblkhd, all arenas) in a ring of the last
 *    SOAK_RING dumps (10 s). When FILE exists, the next dump removes it
 *    and adds the line "mem <number of samples> <VmRSS kB> <heap in use,
 *    bytes, averaged over the ring>". VmRSS also grows with the
 *    allocator's fragmentation (glibc keeps up to 8 arenas per core and
 *    the pages live objects are spread over); the heap in use does not,
 *    only with memory that is really held. The average smooths out the
 *    buffers of reads in flight at the moment of the sample.
 *  - Leak canary. With "Canary true" its init callback allocates
 *    SOAK_CANARY_BYTES bytes, writes to them and drops the only pointer.
 *    run expects exactly that one leak report, in soak_canary_leak, so a
 *    leak check that never ran (LeakSanitizer stops all threads with
 *    ptrace at exit) cannot pass for a clean one.
 *
 *   <Plugin soak_probe>
 *     File "/tmp/hl-soak.X/asan/counts"     # "label count" per line
 *     Count "homelab_ha/home" "homelab_ha" "home" "homelab_up" "api"
 *     Canary true
 *     SampleRequest "/tmp/hl-soak.X/rss/sample"
 *   </Plugin>
 *
 * Built by run with the system compiler and no sanitizer (malloc is
 * intercepted by the preloaded ASan runtime or by valgrind anyway):
 *   cc -std=gnu11 -shared -fPIC -O1 -g -fno-omit-frame-pointer \
 *      -DHAVE_CONFIG_H -I/usr/include/collectd -o soak_probe.so soak_probe.c
 */
#include "collectd/core/daemon/collectd.h"

#include "collectd/core/daemon/plugin.h"
#include "collectd/core/utils/common/common.h"

#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <unistd.h>

#define SOAK_MAX 32
#define SOAK_CANARY_BYTES 4711
#define SOAK_RING 50 /* dumps, 0.2 s apart */

struct soak_count {
  char label[64];
  char id[4][DATA_MAX_NAME_LEN]; /* plugin, plugin_instance, type, type_i. */
  unsigned long n;               /* atomic */
};

/* Set while parsing the config, read-only afterwards (except n). */
static struct soak_count soak_counts[SOAK_MAX];
static size_t soak_ncounts;
static char soak_file[4096];
static char soak_sample_request[4096];
static bool soak_canary;
/* used by the dump callback only (never runs concurrently with itself) */
static size_t soak_ring[SOAK_RING];
static size_t soak_ring_n;
static unsigned long soak_samples, soak_rss, soak_heap;

static int soak_config_count(const oconfig_item_t *ci) {
  if (ci->values_num != 5 || soak_ncounts == SOAK_MAX) {
    ERROR("soak_probe: Count needs 5 strings (at most %d)", SOAK_MAX);
    return -1;
  }
  for (int i = 0; i < 5; i++)
    if (ci->values[i].type != OCONFIG_TYPE_STRING) {
      ERROR("soak_probe: Count needs 5 strings");
      return -1;
    }
  struct soak_count *c = &soak_counts[soak_ncounts++];
  sstrncpy(c->label, ci->values[0].value.string, sizeof(c->label));
  for (int i = 0; i < 4; i++)
    sstrncpy(c->id[i], ci->values[i + 1].value.string, sizeof(c->id[i]));
  return 0;
}

static int soak_config(oconfig_item_t *ci) {
  for (int i = 0; i < ci->children_num; i++) {
    oconfig_item_t *child = &ci->children[i];
    int status = -1;
    if (strcasecmp(child->key, "Count") == 0)
      status = soak_config_count(child);
    else if (strcasecmp(child->key, "File") == 0)
      status = cf_util_get_string_buffer(child, soak_file, sizeof(soak_file));
    else if (strcasecmp(child->key, "Canary") == 0)
      status = cf_util_get_boolean(child, &soak_canary);
    else if (strcasecmp(child->key, "SampleRequest") == 0)
      status = cf_util_get_string_buffer(child, soak_sample_request,
                                         sizeof(soak_sample_request));
    else
      ERROR("soak_probe: unknown option %s", child->key);
    if (status != 0)
      return -1;
  }
  return 0;
}

static int soak_write(const data_set_t *ds, const value_list_t *vl,
                      user_data_t *ud) {
  for (size_t i = 0; i < soak_ncounts; i++) {
    struct soak_count *c = &soak_counts[i];
    if (strcmp(vl->plugin, c->id[0]) == 0 &&
        strcmp(vl->plugin_instance, c->id[1]) == 0 &&
        strcmp(vl->type, c->id[2]) == 0 &&
        strcmp(vl->type_instance, c->id[3]) == 0)
      __atomic_fetch_add(&c->n, 1, __ATOMIC_RELAXED);
  }
  return 0;
}

/* VmRSS of this process in kB, 0 if unknown; no allocation. */
static unsigned long soak_vmrss(void) {
  char buf[4096];
  int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  const char *p = strstr(buf, "\nVmRSS:");
  if (p == NULL)
    return 0;
  p += strlen("\nVmRSS:");
  while (*p == ' ' || *p == '\t')
    p++;
  char *end = NULL;
  unsigned long kb = strtoul(p, &end, 10);
  return end != p ? kb : 0;
}

/* Records the heap in use; takes a sample if one was requested. */
static void soak_memory(void) {
  struct mallinfo2 mi = mallinfo2();
  soak_ring[soak_ring_n++ % SOAK_RING] = mi.uordblks + mi.hblkhd;
  if (unlink(soak_sample_request) != 0)
    return;
  size_t n = soak_ring_n < SOAK_RING ? soak_ring_n : SOAK_RING;
  unsigned long long sum = 0;
  for (size_t i = 0; i < n; i++)
    sum += soak_ring[i];
  soak_heap = (unsigned long)(sum / n);
  soak_rss = soak_vmrss();
  soak_samples++;
}

/* Writes "label count" lines (and the last memory sample) to soak_file,
 * atomically by rename. */
static int soak_dump(user_data_t *ud) {
  if (soak_sample_request[0] != '\0')
    soak_memory();
  char buf[SOAK_MAX * 96 + 96];
  size_t len = 0;
  for (size_t i = 0; i < soak_ncounts && len < sizeof(buf); i++) {
    unsigned long n = __atomic_load_n(&soak_counts[i].n, __ATOMIC_RELAXED);
    int r = snprintf(buf + len, sizeof(buf) - len, "%s %lu\n",
                     soak_counts[i].label, n);
    if (r < 0)
      return -1;
    len += (size_t)r;
  }
  if (len < sizeof(buf)) {
    int r = snprintf(buf + len, sizeof(buf) - len, "mem %lu %lu %lu\n",
                     soak_samples, soak_rss, soak_heap);
    if (r < 0)
      return -1;
    len += (size_t)r;
  }
  if (len > sizeof(buf))
    len = sizeof(buf);
  char tmp[sizeof(soak_file) + 8];
  snprintf(tmp, sizeof(tmp), "%s.tmp", soak_file);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return -1;
  ssize_t w = write(fd, buf, len);
  close(fd);
  if (w != (ssize_t)len)
    return -1;
  return rename(tmp, soak_file) == 0 ? 0 : -1;
}

/* Not static and not inlined, so the frame is in every leak report. */
void soak_canary_leak(void);

void soak_canary_leak(void) {
  char *volatile p = malloc(SOAK_CANARY_BYTES);
  if (p != NULL)
    memset(p, 0x5a, SOAK_CANARY_BYTES);
  p = NULL; /* the only reference is gone: a definite leak */
}

static int soak_init(void) {
  if (soak_canary)
    soak_canary_leak();
  if (soak_file[0] == '\0') {
    ERROR("soak_probe: File is missing");
    return -1;
  }
  plugin_register_complex_read(NULL, "soak_probe", soak_dump,
                               DOUBLE_TO_CDTIME_T(0.2), NULL);
  return 0;
}

static int soak_shutdown(void) { return soak_ncounts ? soak_dump(NULL) : 0; }

void module_register(void) {
  plugin_register_complex_config("soak_probe", soak_config);
  plugin_register_init("soak_probe", soak_init);
  plugin_register_write("soak_probe", soak_write, NULL);
  plugin_register_shutdown("soak_probe", soak_shutdown);
}
