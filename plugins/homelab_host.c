// SPDX-License-Identifier: MIT
/*
 * homelab_host: the host card. Per read it reports uptime, CPU utilisation
 * (overall and optionally per CPU, from /proc/stat deltas), load, memory and
 * swap, usage of the configured mount points, and process/thread counts.
 * Disk, inode, memory and swap usage can raise collectd notifications
 * (WARNING/FAILURE once per change, OKAY on recovery).
 *
 * Flow per read: fetch (/proc files, statvfs) -> parse (shared/hl_proc,
 * pure) -> submit (metric tables). One struct host_target holds the
 * configuration and the state between reads; the daemon owns it.
 *
 *   <Plugin homelab_host>
 *     MountPoint "/"            # repeatable; "all" = every real filesystem
 *     ReportPerCPU false
 *     ReportProcesses true
 *     ValuesPercentage true
 *     ValuesAbsolute true
 *     WarningDiskPercent 85     # 0 turns a limit off
 *     FailureDiskPercent 95
 *     WarningInodePercent 0
 *     FailureInodePercent 0
 *     WarningMemoryPercent 0
 *     FailureMemoryPercent 0
 *     WarningSwapPercent 0
 *     FailureSwapPercent 0
 *     Hysteresis 2              # percentage points
 *     ProcRoot "/proc"
 *     Interval 10
 *   </Plugin>
 */
#define HL_PLUGIN "homelab_host"
#include "hl_plugin.h"

#include "hl_proc.h"

#include <math.h>
#include <sys/stat.h>

enum { G_ABS = 1, G_PCT = 2 };

/* Set while parsing the config, read-only from init on. */
static struct hl_single host_cfg;

struct host_mount {
  char *dir;
  char instance[DATA_MAX_NAME_LEN]; /* "df-root" */
  struct hl_watch disk;
  struct hl_watch inodes;
  c_complain_t complaint;
  bool pinned; /* named by MountPoint, so kept and read in "all" mode too */
};

struct host_target {
  char *proc_root;
  bool all_mounts;
  bool per_cpu;
  bool processes;
  bool pct;
  bool abs;
  double hysteresis;
  struct hl_thresh disk_limits;
  struct hl_thresh inode_limits;
  struct hl_watch memory;
  struct hl_watch swap;
  cdtime_t interval;
  struct host_mount *mounts;
  size_t nmounts;
  /* state between reads */
  struct hl_stat stat[2];
  int cur;
  bool primed;
  struct hl_buf buf;
  struct hl_mounts mtab;
  c_complain_t c_stat, c_mem, c_load, c_uptime, c_mtab, c_procs;
  cdtime_t now; /* time stamp of the read in progress */
};

/* What one read gathered besides CPU and mounts; the metric tables point
 * into it. */
struct host_sample {
  double uptime;
  uint64_t processes;
  double threads; /* NAN when /proc/loadavg could not be read */
  struct hl_meminfo mem;
  double mem_pct;
  double swap_pct;
};

static void host_target_free(void *arg) {
  struct host_target *t = arg;
  if (t == NULL)
    return;
  for (size_t i = 0; i < t->nmounts; i++)
    sfree(t->mounts[i].dir);
  sfree(t->mounts);
  sfree(t->proc_root);
  hl_stat_free(&t->stat[0]);
  hl_stat_free(&t->stat[1]);
  hl_buf_free(&t->buf);
  hl_mounts_free(&t->mtab);
  sfree(t);
}

static struct host_target *host_target_new(void) {
  struct host_target *t = calloc(1, sizeof(*t));
  if (t == NULL)
    return NULL;
  t->proc_root = strdup("/proc");
  t->per_cpu = false;
  t->processes = true;
  t->pct = true;
  t->abs = true;
  t->hysteresis = 2;
  t->disk_limits = (struct hl_thresh){.warning = 85, .failure = 95};
  t->inode_limits = (struct hl_thresh){.warning = NAN, .failure = NAN};
  hl_watch_init(&t->memory, 0);
  hl_watch_init(&t->swap, 0);
  hl_buf_init(&t->buf, HL_PROC_FILE_MAX);
  C_COMPLAIN_INIT(&t->c_stat);
  C_COMPLAIN_INIT(&t->c_mem);
  C_COMPLAIN_INIT(&t->c_load);
  C_COMPLAIN_INIT(&t->c_uptime);
  C_COMPLAIN_INIT(&t->c_mtab);
  C_COMPLAIN_INIT(&t->c_procs);
  if (t->proc_root == NULL) {
    host_target_free(t);
    return NULL;
  }
  return t;
}

/* Adds a mount to watch; limits are applied in host_target_validate(). */
static struct host_mount *host_mount_add(struct host_target *t,
                                         const char *dir) {
  struct host_mount *m =
      realloc(t->mounts, (t->nmounts + 1) * sizeof(*t->mounts));
  if (m == NULL)
    return NULL;
  t->mounts = m;
  m = &t->mounts[t->nmounts];
  *m = (struct host_mount){.dir = strdup(dir)};
  if (m->dir == NULL)
    return NULL;
  char name[DATA_MAX_NAME_LEN - 3];
  if (hl_mount_name(dir, name, sizeof(name)) == 0) {
    snprintf(m->instance, sizeof(m->instance), "df-%s", name);
  } else { /* keep long names apart: a prefix plus a hash of the path */
    uint32_t h = 2166136261u;
    for (const char *p = dir; *p; p++)
      h = (h ^ (unsigned char)*p) * 16777619u;
    char head[DATA_MAX_NAME_LEN];
    hl_mount_name(dir, head, 64);
    head[63] = '\0';
    snprintf(m->instance, sizeof(m->instance), "df-%.60s-%08x", head, h);
  }
  m->disk.limits = t->disk_limits;
  m->inodes.limits = t->inode_limits;
  C_COMPLAIN_INIT(&m->complaint);
  t->nmounts++;
  return m;
}

static int host_config_mount(struct host_target *t, oconfig_item_t *ci) {
  char *dir = NULL;
  if (hl_cf_string(HL_PLUGIN, ci, &dir) != 0)
    return -1;
  int rc = 0;
  if (strcasecmp(dir, "all") == 0)
    t->all_mounts = true;
  else if (dir[0] != '/') {
    hl_err("MountPoint \"%s\": must be an absolute path or \"all\"", dir);
    rc = -1;
  } else {
    size_t n = strlen(dir); /* "/boot/" and "//" mean "/boot" and "/" */
    while (n > 1 && dir[n - 1] == '/')
      dir[--n] = '\0';
    struct host_mount *m = NULL;
    for (size_t i = 0; i < t->nmounts; i++)
      if (strcmp(t->mounts[i].dir, dir) == 0) {
        hl_err("MountPoint \"%s\": listed twice", dir);
        sfree(dir);
        return -1;
      }
    m = host_mount_add(t, dir);
    if (m == NULL) {
      hl_err("MountPoint: out of memory");
      rc = -1;
    } else {
      m->pinned = true;
    }
  }
  sfree(dir);
  return rc;
}

/* One option of the <Plugin> block. */
static int host_config_option(struct host_target *t, oconfig_item_t *c) {
  const char *k = c->key;
  if (strcasecmp(k, "MountPoint") == 0)
    return host_config_mount(t, c);
  if (strcasecmp(k, "ReportPerCPU") == 0)
    return hl_cf_bool(HL_PLUGIN, c, &t->per_cpu);
  if (strcasecmp(k, "ReportProcesses") == 0)
    return hl_cf_bool(HL_PLUGIN, c, &t->processes);
  if (strcasecmp(k, "ValuesPercentage") == 0)
    return hl_cf_bool(HL_PLUGIN, c, &t->pct);
  if (strcasecmp(k, "ValuesAbsolute") == 0)
    return hl_cf_bool(HL_PLUGIN, c, &t->abs);
  if (strcasecmp(k, "WarningDiskPercent") == 0)
    return hl_cf_percent(HL_PLUGIN, c, &t->disk_limits.warning);
  if (strcasecmp(k, "FailureDiskPercent") == 0)
    return hl_cf_percent(HL_PLUGIN, c, &t->disk_limits.failure);
  if (strcasecmp(k, "WarningInodePercent") == 0)
    return hl_cf_percent(HL_PLUGIN, c, &t->inode_limits.warning);
  if (strcasecmp(k, "FailureInodePercent") == 0)
    return hl_cf_percent(HL_PLUGIN, c, &t->inode_limits.failure);
  if (strcasecmp(k, "WarningMemoryPercent") == 0)
    return hl_cf_percent(HL_PLUGIN, c, &t->memory.limits.warning);
  if (strcasecmp(k, "FailureMemoryPercent") == 0)
    return hl_cf_percent(HL_PLUGIN, c, &t->memory.limits.failure);
  if (strcasecmp(k, "WarningSwapPercent") == 0)
    return hl_cf_percent(HL_PLUGIN, c, &t->swap.limits.warning);
  if (strcasecmp(k, "FailureSwapPercent") == 0)
    return hl_cf_percent(HL_PLUGIN, c, &t->swap.limits.failure);
  if (strcasecmp(k, "Hysteresis") == 0)
    return hl_cf_double_range(HL_PLUGIN, c, 0, 50, &t->hysteresis);
  if (strcasecmp(k, "ProcRoot") == 0) {
    if (hl_cf_string(HL_PLUGIN, c, &t->proc_root) != 0)
      return -1;
    if (t->proc_root[0] != '/') {
      hl_err("ProcRoot \"%s\": must be an absolute path", t->proc_root);
      return -1;
    }
    return 0;
  }
  if (strcasecmp(k, "Interval") == 0) {
    double sec = 0;
    if (hl_cf_double_range(HL_PLUGIN, c, 0.001, 86400, &sec) != 0)
      return -1;
    t->interval = DOUBLE_TO_CDTIME_T(sec);
    return 0;
  }
  return hl_cf_unknown(HL_PLUGIN, c);
}

static int host_read_mtab(struct host_target *t) {
  int rc = hl_proc_read(t->proc_root, "self/mounts", &t->buf);
  if (rc == 0)
    rc = hl_proc_parse_mounts(t->buf.data, t->buf.len, &t->mtab);
  return rc;
}

/* Checks the finished configuration against the system. */
static int host_target_validate(struct host_target *t) {
  int bad = 0;
  struct stat st;
  if (stat(t->proc_root, &st) != 0 || !S_ISDIR(st.st_mode)) {
    hl_err("ProcRoot \"%s\": not a directory", t->proc_root);
    return -1;
  }
  bad |= hl_cf_check_limits(HL_PLUGIN, "Disk", &t->disk_limits);
  bad |= hl_cf_check_limits(HL_PLUGIN, "Inode", &t->inode_limits);
  bad |= hl_cf_check_limits(HL_PLUGIN, "Memory", &t->memory.limits);
  bad |= hl_cf_check_limits(HL_PLUGIN, "Swap", &t->swap.limits);
  t->memory.limits.hysteresis = t->hysteresis;
  t->swap.limits.hysteresis = t->hysteresis;
  t->disk_limits.hysteresis = t->hysteresis;
  t->inode_limits.hysteresis = t->hysteresis;
  if (t->nmounts == 0 && !t->all_mounts) {
    struct host_mount *root = host_mount_add(t, "/");
    if (root == NULL)
      return -1;
    root->pinned = true;
  }
  int rc = host_read_mtab(t);
  if (rc != 0) {
    hl_err("ProcRoot \"%s\": cannot read self/mounts: %s", t->proc_root,
           STRERROR(-rc));
    return -1;
  }
  for (size_t i = 0; i < t->nmounts; i++) {
    struct host_mount *m = &t->mounts[i];
    m->disk.limits = t->disk_limits;
    m->inodes.limits = t->inode_limits;
    if (stat(m->dir, &st) != 0) {
      hl_err("MountPoint \"%s\": %s", m->dir, STRERRNO);
      bad = -1;
    } else if (hl_mounts_find(&t->mtab, m->dir) == NULL) {
      hl_err("MountPoint \"%s\": not a mount point (see %s/self/mounts)",
             m->dir, t->proc_root);
      bad = -1;
    }
  }
  return bad ? -1 : 0;
}

static int host_register(struct host_target *t);

/* Always returns 0: a rejected config is reported by init (see struct
 * hl_single), so the daemon keeps running with its other plugins. */
static int host_config(oconfig_item_t *ci) {
  if (!hl_single_begin(HL_PLUGIN, &host_cfg))
    return 0;
  struct host_target *t = host_target_new();
  if (t == NULL) {
    hl_err("out of memory");
    host_cfg.bad = true;
    return 0;
  }
  int rc = 0;
  for (int i = 0; i < ci->children_num && rc == 0; i++)
    rc = host_config_option(t, &ci->children[i]);
  if (rc == 0)
    rc = host_target_validate(t);
  if (rc == 0)
    rc = host_register(t);
  else
    host_target_free(t);
  if (rc != 0)
    host_cfg.bad = true;
  return 0;
}

/* ---- submit ---------------------------------------------------------------
 */

static const struct hl_metric host_sys_metrics[] = {
    {"uptime", "", offsetof(struct host_sample, uptime), HL_KIND_DOUBLE, 0},
};

static const struct hl_metric host_proc_metrics[] = {
    {"count", "processes", offsetof(struct host_sample, processes), HL_KIND_U64,
     0},
    {"count", "threads", offsetof(struct host_sample, threads), HL_KIND_DOUBLE,
     0},
};

static const struct hl_metric host_mem_metrics[] = {
    {"memory", "used", offsetof(struct host_sample, mem.used), HL_KIND_U64,
     G_ABS},
    {"memory", "available", offsetof(struct host_sample, mem.available),
     HL_KIND_U64, G_ABS},
    {"memory", "total", offsetof(struct host_sample, mem.total), HL_KIND_U64,
     G_ABS},
    {"percent", "used", offsetof(struct host_sample, mem_pct), HL_KIND_DOUBLE,
     G_PCT},
};

static const struct hl_metric host_swap_metrics[] = {
    {"swap", "used", offsetof(struct host_sample, mem.swap_used), HL_KIND_U64,
     G_ABS},
    {"swap", "free", offsetof(struct host_sample, mem.swap_free), HL_KIND_U64,
     G_ABS},
    {"percent", "used", offsetof(struct host_sample, swap_pct), HL_KIND_DOUBLE,
     G_PCT},
};

static const struct hl_metric host_df_metrics[] = {
    {"df_complex", "used", offsetof(struct hl_fsstat, used), HL_KIND_U64,
     G_ABS},
    {"df_complex", "free", offsetof(struct hl_fsstat, free), HL_KIND_U64,
     G_ABS},
    {"df_complex", "reserved", offsetof(struct hl_fsstat, reserved),
     HL_KIND_U64, G_ABS},
    {"bytes", "total", offsetof(struct hl_fsstat, total), HL_KIND_U64, G_ABS},
    {"percent_bytes", "used", offsetof(struct hl_fsstat, used_pct),
     HL_KIND_DOUBLE, G_PCT},
    {"df_inodes", "used", offsetof(struct hl_fsstat, inodes_used), HL_KIND_U64,
     G_ABS},
    {"df_inodes", "free", offsetof(struct hl_fsstat, inodes_free), HL_KIND_U64,
     G_ABS},
    {"percent_inodes", "used", offsetof(struct hl_fsstat, inodes_pct),
     HL_KIND_DOUBLE, G_PCT},
};

static unsigned host_mask(const struct host_target *t) {
  return (t->abs ? G_ABS : 0) | (t->pct ? G_PCT : 0);
}

static void host_submit_cpu(cdtime_t ts, const char *instance,
                            const struct hl_cpu_pct *p) {
  for (int s = HL_CPU_USER; s <= HL_CPU_STEAL; s++)
    hl_submit(ts, HL_PLUGIN, instance, "percent", hl_cpu_state_name(s),
              &(value_t){.gauge = p->state[s]}, 1);
  hl_submit(ts, HL_PLUGIN, instance, "percent", "active",
            &(value_t){.gauge = p->active}, 1);
}

/* Feeds a watch and sends one notification when its level changes. The
 * subject is "<what>" or "<what> <dir>", formatted only when notifying. */
static void host_watch(struct hl_watch *w, double value, const char *instance,
                       const char *type, const char *what, const char *dir) {
  if (!hl_thresh_enabled(&w->limits) ||
      !hl_thresh_update(&w->limits, value, &w->state))
    return;
  enum hl_level lv = w->state.level;
  double limit = lv == HL_LEVEL_FAILURE ? w->limits.failure : w->limits.warning;
  const char *sep = dir ? " " : "";
  dir = dir ? dir : "";
  if (lv == HL_LEVEL_OKAY)
    hl_notify(NOTIF_OKAY, HL_PLUGIN, instance, type, "used",
              "Host %s: %s%s%s is %.1f%% used, back below the limit",
              hostname_g, what, sep, dir, value);
  else
    hl_notify(hl_severity(lv), HL_PLUGIN, instance, type, "used",
              "Host %s: %s%s%s is %.1f%% used (%s limit %g%%)", hostname_g,
              what, sep, dir, value,
              lv == HL_LEVEL_FAILURE ? "failure" : "warning", limit);
}

/* ---- read -----------------------------------------------------------------
 */

/* Reads <proc_root>/<name> into t->buf, complaining once on failure. */
static int host_fetch(struct host_target *t, const char *name,
                      c_complain_t *c) {
  int rc = hl_proc_read(t->proc_root, name, &t->buf);
  if (rc != 0)
    hl_complain(c, "reading %s/%s failed: %s", t->proc_root, name,
                STRERROR(-rc));
  return rc;
}

static int host_parsed(struct host_target *t, const char *name, c_complain_t *c,
                       int rc) {
  if (rc != 0)
    hl_complain(c, "%s/%s: unexpected content (%s)", t->proc_root, name,
                STRERROR(-rc));
  else
    hl_release(c, "%s/%s can be read again", t->proc_root, name);
  return rc;
}

static const struct hl_cpu_times *host_find_cpu(const struct hl_stat *st,
                                                size_t hint, int id) {
  if (hint < st->ncpu && st->cpu[hint].id == id)
    return &st->cpu[hint];
  for (size_t i = 0; i < st->ncpu; i++)
    if (st->cpu[i].id == id)
      return &st->cpu[i];
  return NULL; /* the CPU was offline in the other sample */
}

static int host_read_cpu(struct host_target *t) {
  if (host_fetch(t, "stat", &t->c_stat) != 0)
    return -1;
  struct hl_stat *cur = &t->stat[t->cur ^ 1];
  int rc = hl_proc_parse_stat(t->buf.data, t->buf.len, cur);
  if (host_parsed(t, "stat", &t->c_stat, rc) != 0)
    return -1;
  const struct hl_stat *prev = &t->stat[t->cur];
  t->cur ^= 1;
  if (!t->primed) { /* the first read only primes the counters */
    t->primed = true;
    return 0;
  }
  struct hl_cpu_pct p;
  if (hl_cpu_percent(&prev->all, &cur->all, &p) == 0)
    host_submit_cpu(t->now, "cpu", &p);
  for (size_t i = 0; t->per_cpu && i < cur->ncpu; i++) {
    const struct hl_cpu_times *old = host_find_cpu(prev, i, cur->cpu[i].id);
    if (old == NULL || hl_cpu_percent(old, &cur->cpu[i], &p) != 0)
      continue;
    char instance[DATA_MAX_NAME_LEN];
    snprintf(instance, sizeof(instance), "cpu%d", cur->cpu[i].id);
    host_submit_cpu(t->now, instance, &p);
  }
  return 0;
}

static int host_read_uptime(struct host_target *t, struct host_sample *s) {
  if (host_fetch(t, "uptime", &t->c_uptime) != 0)
    return -1;
  int rc = hl_proc_parse_uptime(t->buf.data, t->buf.len, &s->uptime);
  return host_parsed(t, "uptime", &t->c_uptime, rc);
}

static int host_read_load(struct host_target *t, struct host_sample *s) {
  if (host_fetch(t, "loadavg", &t->c_load) != 0)
    return -1;
  struct hl_loadavg la;
  int rc = hl_proc_parse_loadavg(t->buf.data, t->buf.len, &la);
  if (host_parsed(t, "loadavg", &t->c_load, rc) != 0)
    return -1;
  value_t v[3] = {
      {.gauge = la.load[0]}, {.gauge = la.load[1]}, {.gauge = la.load[2]}};
  hl_submit(t->now, HL_PLUGIN, "", "load", "", v, 3);
  s->threads = (double)la.tasks;
  return 0;
}

static int host_read_memory(struct host_target *t, struct host_sample *s) {
  if (host_fetch(t, "meminfo", &t->c_mem) != 0)
    return -1;
  int rc = hl_proc_parse_meminfo(t->buf.data, t->buf.len, &s->mem);
  if (host_parsed(t, "meminfo", &t->c_mem, rc) != 0)
    return -1;
  s->mem_pct = hl_pct(s->mem.used, s->mem.total);
  /* No swap configured: 0 % used, so dashboards and thresholds stay quiet. */
  s->swap_pct =
      s->mem.swap_total ? hl_pct(s->mem.swap_used, s->mem.swap_total) : 0;
  hl_submit_table(t->now, HL_PLUGIN, "memory", host_mem_metrics,
                  STATIC_ARRAY_SIZE(host_mem_metrics), s, host_mask(t));
  hl_submit_table(t->now, HL_PLUGIN, "swap", host_swap_metrics,
                  STATIC_ARRAY_SIZE(host_swap_metrics), s, host_mask(t));
  host_watch(&t->memory, s->mem_pct, "memory", "percent", "memory", NULL);
  host_watch(&t->swap, s->swap_pct, "swap", "percent", "swap", NULL);
  return 0;
}

static int host_read_procs(struct host_target *t, struct host_sample *s) {
  int rc = hl_proc_count_pids(t->proc_root, &s->processes);
  if (rc == 0 && s->processes == 0)
    rc = -ENOENT; /* a real proc always has pid 1 */
  if (rc != 0) {
    hl_complain(&t->c_procs, "listing %s failed: %s", t->proc_root,
                STRERROR(-rc));
    return -1;
  }
  hl_release(&t->c_procs, "listing %s works again", t->proc_root);
  hl_submit_table(t->now, HL_PLUGIN, "", host_proc_metrics,
                  STATIC_ARRAY_SIZE(host_proc_metrics), s, 0);
  return 0;
}

/* statvfs one mounted filesystem, submit it and feed its watches. */
static int host_read_one_mount(struct host_target *t, struct host_mount *m) {
  struct hl_fsstat fs;
  int rc = hl_fs_stat(m->dir, &fs);
  if (rc != 0) {
    hl_complain(&m->complaint, "statvfs(%s) failed: %s", m->dir, STRERROR(-rc));
    return -1;
  }
  hl_release(&m->complaint, "mount point %s can be read again", m->dir);
  hl_submit_table(t->now, HL_PLUGIN, m->instance, host_df_metrics,
                  STATIC_ARRAY_SIZE(host_df_metrics), &fs, host_mask(t));
  host_watch(&m->disk, fs.used_pct, m->instance, "percent_bytes", "disk",
             m->dir);
  host_watch(&m->inodes, fs.inodes_pct, m->instance, "percent_inodes",
             "inodes of", m->dir);
  return 0;
}

/* A configured mount point: complain once while it is not mounted. */
static int host_read_pinned(struct host_target *t, struct host_mount *m) {
  if (hl_mounts_find(&t->mtab, m->dir) == NULL) {
    hl_complain(&m->complaint, "mount point %s is not mounted", m->dir);
    return -1;
  }
  return host_read_one_mount(t, m);
}

static struct host_mount *host_mount_get(struct host_target *t,
                                         const char *dir) {
  for (size_t i = 0; i < t->nmounts; i++)
    if (strcmp(t->mounts[i].dir, dir) == 0)
      return &t->mounts[i];
  return host_mount_add(t, dir);
}

/* "all": mounts are added as they appear and dropped when they go. */
static int host_read_all_mounts(struct host_target *t) {
  bool *want = calloc(t->mtab.n + 1, sizeof(*want));
  bool *seen = calloc(t->nmounts + t->mtab.n + 1, sizeof(*seen));
  if (want == NULL || seen == NULL) {
    free(want);
    free(seen);
    return -1;
  }
  hl_mounts_select(&t->mtab, want);
  int ok = 0;
  for (size_t i = 0; i < t->mtab.n; i++) {
    if (!want[i])
      continue;
    struct host_mount *m = host_mount_get(t, t->mtab.m[i].dir);
    if (m == NULL)
      continue;
    seen[m - t->mounts] = true;
    ok += host_read_one_mount(t, m) == 0;
  }
  for (size_t i = 0; i < t->nmounts; i++) /* MountPoint next to "all" */
    if (t->mounts[i].pinned && !seen[i]) {
      seen[i] = true;
      ok += host_read_pinned(t, &t->mounts[i]) == 0;
    }
  size_t keep = 0; /* forget unmounted filesystems */
  for (size_t i = 0; i < t->nmounts; i++) {
    if (seen[i])
      t->mounts[keep++] = t->mounts[i];
    else
      sfree(t->mounts[i].dir);
  }
  t->nmounts = keep;
  free(want);
  free(seen);
  return ok > 0 ? 0 : -1;
}

static int host_read_mounts(struct host_target *t) {
  int rc = host_read_mtab(t);
  if (rc != 0) {
    hl_complain(&t->c_mtab, "reading %s/self/mounts failed: %s", t->proc_root,
                STRERROR(-rc));
    return -1;
  }
  hl_release(&t->c_mtab, "%s/self/mounts can be read again", t->proc_root);
  if (t->all_mounts)
    return host_read_all_mounts(t);
  int ok = 0;
  for (size_t i = 0; i < t->nmounts; i++)
    ok += host_read_pinned(t, &t->mounts[i]) == 0;
  return ok > 0 || t->nmounts == 0 ? 0 : -1;
}

static int host_read(user_data_t *ud) {
  struct host_target *t = ud->data;
  t->now = cdtime();
  struct host_sample s = {
      .uptime = NAN, .threads = NAN, .mem_pct = NAN, .swap_pct = NAN};
  int ok = 0;
  ok += host_read_cpu(t) == 0;
  ok += host_read_uptime(t, &s) == 0;
  ok += host_read_load(t, &s) == 0;
  ok += host_read_memory(t, &s) == 0;
  ok += host_read_mounts(t) == 0;
  if (!isnan(s.uptime))
    hl_submit_table(t->now, HL_PLUGIN, "", host_sys_metrics,
                    STATIC_ARRAY_SIZE(host_sys_metrics), &s, 0);
  if (t->processes)
    ok += host_read_procs(t, &s) == 0;
  return ok > 0 ? 0 : -1;
}

static int host_register(struct host_target *t) {
  return plugin_register_complex_read(
      NULL, HL_PLUGIN, host_read, t->interval,
      &(user_data_t){.data = t, .free_func = host_target_free});
}

/* Without a <Plugin homelab_host> block the defaults apply. */
static int host_init(void) {
  return hl_single_init(HL_PLUGIN, &host_cfg, host_config);
}

void module_register(void) {
  plugin_register_complex_config(HL_PLUGIN, host_config);
  plugin_register_init(HL_PLUGIN, host_init);
}
