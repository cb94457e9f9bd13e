// SPDX-License-Identifier: MIT
/*
 * hl_proc: readers for /proc/stat, /proc/meminfo, /proc/uptime,
 * /proc/loadavg, /proc/self/mounts and statvfs(3).
 *
 * Each source has a pure parser (bytes in, struct out) and the I/O lives in
 * hl_proc_read(), which takes the proc root as a parameter so tests point it
 * at fixture trees. Derived numbers (CPU percentages from two samples, used
 * percentages) are pure functions too. No globals, no logging.
 */
#ifndef HOMELAB_SHARED_HL_PROC_H
#define HOMELAB_SHARED_HL_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/statvfs.h>

#include "hl_str.h"

/** Largest /proc file accepted (the stat file of a 4096-CPU box fits). */
#define HL_PROC_FILE_MAX (4u * 1024u * 1024u)

/**
 * hl_proc_read() - read <@proc_root>/<@name> into @buf.
 * @proc_root: e.g. "/proc" or a fixture directory.
 * @name:      relative name, e.g. "stat" or "self/mounts".
 * @buf:       buffer (its max caps the size); contents replaced.
 *
 * Return: 0 or a negative errno (-ENAMETOOLONG, open/read errors, -E2BIG).
 */
int hl_proc_read(const char *proc_root, const char *name, struct hl_buf *buf);

/* ---- /proc/stat ---------------------------------------------------------- */

/** enum hl_cpu_state - columns of a "cpu" line in /proc/stat, in order. */
enum hl_cpu_state {
  HL_CPU_USER,
  HL_CPU_NICE,
  HL_CPU_SYSTEM,
  HL_CPU_IDLE,
  HL_CPU_IOWAIT,
  HL_CPU_IRQ,
  HL_CPU_SOFTIRQ,
  HL_CPU_STEAL,
  HL_CPU_GUEST,
  HL_CPU_GUEST_NICE,
  HL_CPU_STATES
};

/**
 * struct hl_cpu_times - one cpu line, in clock ticks.
 * @id:     CPU number, or -1 for the aggregate "cpu" line.
 * @t:      counters by enum hl_cpu_state; columns an old kernel lacks are 0.
 */
struct hl_cpu_times {
  int id;
  uint64_t t[HL_CPU_STATES];
};

/**
 * struct hl_stat - parsed /proc/stat.
 * @all:         the aggregate line.
 * @cpu:         per-CPU lines in file order (online CPUs only; a hot-unplugged
 *               CPU is simply absent). Owned; grown as needed.
 * @ncpu:        entries used in @cpu.
 * @cpu_cap:     entries allocated.
 * @forks:       "processes" line (forks since boot).
 * @procs_running, @procs_blocked: the like-named lines.
 * @btime:       boot time, seconds since the epoch.
 */
struct hl_stat {
  struct hl_cpu_times all;
  struct hl_cpu_times *cpu;
  size_t ncpu;
  size_t cpu_cap;
  uint64_t forks;
  uint64_t procs_running;
  uint64_t procs_blocked;
  uint64_t btime;
};

/**
 * hl_proc_parse_stat() - parse /proc/stat bytes.
 * @buf: bytes (need not be NUL-terminated). @len: their count.
 * @out: result; its @cpu array is reused and grown; free with hl_stat_free().
 *
 * Return: 0; -EPROTO if the aggregate cpu line is missing or malformed;
 * -ENOMEM.
 */
int hl_proc_parse_stat(const char *buf, size_t len, struct hl_stat *out);

/**
 * hl_stat_free() - release @st->cpu and zero @st. Accepts a zeroed struct.
 * @st: parsed stat.
 */
void hl_stat_free(struct hl_stat *st);

/**
 * struct hl_cpu_pct - CPU time shares between two samples, in percent.
 * @state:  share of each state (guest time is already part of user/nice in
 *          the kernel's accounting, so guest columns are reported but not
 *          added to the total).
 * @active: 100 minus idle minus iowait: the "CPU busy" figure.
 */
struct hl_cpu_pct {
  double state[HL_CPU_STATES];
  double active;
};

/**
 * hl_cpu_percent() - percentages from two samples of the same CPU.
 * @prev: older sample. @cur: newer sample. @out: result.
 *
 * A counter that went backwards (iowait on some NO_HZ kernels, a CPU that
 * was unplugged and came back) contributes 0 instead of a huge delta.
 * Return: 0; -EAGAIN if no tick elapsed (nothing to report yet).
 */
int hl_cpu_percent(const struct hl_cpu_times *prev,
                   const struct hl_cpu_times *cur, struct hl_cpu_pct *out);

/**
 * hl_cpu_state_name() - collectd-style name of a CPU state ("user", "wait",
 * "interrupt", ...), matching collectd's cpu plugin.
 * @s: state.
 * Return: a static string.
 */
const char *hl_cpu_state_name(enum hl_cpu_state s);

/* ---- /proc/meminfo --------------------------------------------------------
 */

/**
 * struct hl_meminfo - parsed /proc/meminfo, in bytes.
 * @available:     MemAvailable, or an estimate when the kernel lacks it
 *                 (before 3.14): free + buffers + cached + sreclaimable -
 * shmem.
 * @has_available: false when @available is the estimate.
 * @used:          total - available.
 * @swap_used:     swap_total - swap_free.
 */
struct hl_meminfo {
  uint64_t total;
  uint64_t free;
  uint64_t available;
  uint64_t buffers;
  uint64_t cached;
  uint64_t sreclaimable;
  uint64_t shmem;
  uint64_t used;
  uint64_t swap_total;
  uint64_t swap_free;
  uint64_t swap_cached;
  uint64_t swap_used;
  bool has_available;
};

/**
 * hl_proc_parse_meminfo() - parse /proc/meminfo bytes.
 * @buf, @len: bytes. @out: result.
 *
 * Return: 0; -EPROTO if MemTotal or MemFree is missing or a value is
 * malformed or overflows when scaled to bytes.
 */
int hl_proc_parse_meminfo(const char *buf, size_t len, struct hl_meminfo *out);

/**
 * hl_pct() - @part as a percentage of @whole.
 * @part, @whole: amounts.
 * Return: the percentage, or NAN when @whole is 0.
 */
double hl_pct(uint64_t part, uint64_t whole);

/* ---- /proc/uptime, /proc/loadavg ----------------------------------------- */

/**
 * hl_proc_parse_uptime() - first field of /proc/uptime.
 * @buf, @len: bytes. @uptime: seconds since boot.
 * Return: 0 or -EPROTO.
 */
int hl_proc_parse_uptime(const char *buf, size_t len, double *uptime);

/**
 * struct hl_loadavg - parsed /proc/loadavg.
 * @load:     1, 5 and 15 minute load averages.
 * @running:  runnable scheduling entities.
 * @tasks:    existing scheduling entities (threads, kernel threads included).
 * @last_pid: most recently assigned pid.
 */
struct hl_loadavg {
  double load[3];
  uint64_t running;
  uint64_t tasks;
  uint64_t last_pid;
};

/**
 * hl_proc_parse_loadavg() - parse "0.00 0.01 0.05 1/123 4567".
 * @buf, @len: bytes. @out: result.
 * Return: 0 or -EPROTO.
 */
int hl_proc_parse_loadavg(const char *buf, size_t len, struct hl_loadavg *out);

/**
 * hl_proc_count_pids() - count processes (numeric entries of @proc_root).
 * @proc_root: e.g. "/proc". @count: result.
 * Return: 0 or a negative errno from opendir.
 */
int hl_proc_count_pids(const char *proc_root, uint64_t *count);

/* ---- mounts ---------------------------------------------------------------
 */

/**
 * struct hl_mount - one line of /proc/self/mounts, octal escapes decoded.
 * Strings point into the owning struct hl_mounts' storage.
 */
struct hl_mount {
  const char *device;
  const char *dir;
  const char *fstype;
};

/**
 * struct hl_mounts - a parsed mount table.
 * @m:     entries in file order (later entries shadow earlier ones on the
 *         same directory). @n: entries used. @cap: entries allocated.
 * @store: decoded strings, owned.
 */
struct hl_mounts {
  struct hl_mount *m;
  size_t n;
  size_t cap;
  char *store;
};

/**
 * hl_proc_parse_mounts() - parse /proc/self/mounts bytes.
 * @buf, @len: bytes. @out: result, replaced; free with hl_mounts_free().
 *
 * Lines with fewer than three fields are skipped.
 * Return: 0 or -ENOMEM.
 */
int hl_proc_parse_mounts(const char *buf, size_t len, struct hl_mounts *out);

/**
 * hl_mounts_free() - release a mount table; accepts a zeroed struct.
 * @ms: table.
 */
void hl_mounts_free(struct hl_mounts *ms);

/**
 * hl_mounts_find() - the mount currently on @dir (the last entry for it).
 * @ms: table. @dir: absolute path without trailing slash ("/" for root).
 * Return: the entry (borrowed, valid until @ms changes) or NULL.
 */
const struct hl_mount *hl_mounts_find(const struct hl_mounts *ms,
                                      const char *dir);

/**
 * hl_mounts_select() - the entries a "report every filesystem" mode wants
 * (pure): real filesystems (and "/" even when it is an overlay, as in a
 * container), only the entry currently on each directory (the last one),
 * and only the first mount of each block device (bind mounts skipped).
 * @ms: table. @want: array of @ms->n flags, filled.
 * Return: the number of selected entries.
 */
size_t hl_mounts_select(const struct hl_mounts *ms, bool *want);

/**
 * hl_fs_is_pseudo() - whether a filesystem type holds no user data worth
 * watching (proc, sysfs, cgroup, tmpfs, overlay, squashfs, ...).
 * @fstype: type name from the mount table.
 * Return: true for pseudo filesystems.
 */
bool hl_fs_is_pseudo(const char *fstype);

/**
 * hl_mount_name() - collectd instance name of a mount point, as collectd's
 * df plugin builds it: "/" is "root", "/var/lib" is "var-lib".
 * @dir: mount point. @out: result. @size: its size.
 * Return: 0 or -ENAMETOOLONG.
 */
int hl_mount_name(const char *dir, char *out, size_t size);

/* ---- statvfs ------------------------------------------------------------- */

/**
 * struct hl_fsstat - usage of one filesystem, in bytes and inodes.
 * @total:    size of the filesystem.
 * @used:     total - f_bfree: blocks in use, including none of the reserve.
 * @free:     available to unprivileged users (statvfs f_bavail).
 * @reserved: free only for root (f_bfree - f_bavail).
 * @used_pct: used / (used + free), the figure df(1) prints as Use%.
 * @inodes_total, @inodes_used, @inodes_free: inode counts.
 * @inodes_pct: inodes used / total, NAN when the fs has no inode limit.
 */
struct hl_fsstat {
  uint64_t total;
  uint64_t used;
  uint64_t free;
  uint64_t reserved;
  double used_pct;
  uint64_t inodes_total;
  uint64_t inodes_used;
  uint64_t inodes_free;
  double inodes_pct;
};

/**
 * hl_fs_from_statvfs() - derive usage from a statvfs result.
 * @sv: statvfs(3) output. @out: result.
 * Return: 0; -ERANGE if the numbers are inconsistent (free above total) or
 * overflow when scaled by the fragment size.
 */
int hl_fs_from_statvfs(const struct statvfs *sv, struct hl_fsstat *out);

/**
 * hl_fs_stat() - statvfs(@path) and derive usage.
 * @path: mount point. @out: result.
 * Return: 0, -errno from statvfs, or -ERANGE.
 */
int hl_fs_stat(const char *path, struct hl_fsstat *out);

#endif
