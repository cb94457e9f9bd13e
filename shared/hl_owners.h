// SPDX-License-Identifier: MIT
/*
 * hl_owners: which process holds a socket inode.
 *
 * Scans <proc_root>/<pid>/fd/ and readlink()s each fd looking for
 * "socket:[<inode>]", like ss -p and netstat -p, but only as far as needed:
 * the scan stops as soon as every wanted inode is found. Between calls a
 * cache keeps inode -> (pid, fd); a cached owner is re-validated with one
 * readlink of that fd, so a steady-state call with unchanged listeners costs
 * one readlink per socket. Inodes whose owner cannot be seen (no privilege,
 * another pid namespace) are remembered and only looked for again every
 * `retry_every` calls; they keep pid 0, never a wrong pid.
 *
 * Process details (comm, cmdline, uid and user name) are read for the pids
 * that own sockets only. The pure helpers parse the /proc bytes.
 */
#ifndef HOMELAB_SHARED_HL_OWNERS_H
#define HOMELAB_SHARED_HL_OWNERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * struct hl_proc_info - a process that holds a listening socket.
 * @pid:     process id.
 * @uid:     real uid of the process (first field of "Uid:" in status), or
 *           HL_OWNERS_NO_UID when it was not read or could not be parsed.
 * @comm:    process name from <pid>/comm (may contain any byte but NUL;
 *           newlines inside are kept, only the final one is dropped).
 * @user:    user name of @uid, or the number as text when it has no name.
 * @cmdline: arguments joined by single spaces (NUL bytes become spaces, the
 *           final NUL is dropped); "" for kernel threads. At most the first
 *           64 KiB of the file are used. Never NULL. Owned.
 *
 * When a file cannot be read (the process just exited), or without
 * want_details for a process whose details were never read, @comm, @user
 * and @cmdline are "" and @uid is HL_OWNERS_NO_UID.
 */
/** HL_OWNERS_NO_UID - struct hl_proc_info.uid when the uid is unknown. */
#define HL_OWNERS_NO_UID UINT32_MAX

struct hl_proc_info {
  int pid;
  uint32_t uid;
  char comm[64];
  char user[64];
  char *cmdline;
};

/**
 * struct hl_owners_stats - work done by the last hl_owners_resolve().
 * @validated: cached owners confirmed with one readlink.
 * @scanned_pids: /proc/<pid>/fd directories listed.
 * @readlinks: readlink() calls in total.
 * @unresolved: inodes left without an owner.
 */
struct hl_owners_stats {
  unsigned validated;
  unsigned scanned_pids;
  unsigned long readlinks;
  unsigned unresolved;
};

struct hl_owners;

/**
 * hl_owners_new() - make an owner cache.
 * @proc_root: "/proc" or a fixture tree (copied).
 * @retry_every: look for owners that could not be found again only on every
 *               Nth call (1 = every call; 0 is taken as 1). Also how many
 *               calls the details of a process are kept while one of its
 *               cached fds keeps confirming it is the same process (a
 *               process found by a scan always has its details read).
 * Return: the cache or NULL on ENOMEM. Free with hl_owners_free().
 */
struct hl_owners *hl_owners_new(const char *proc_root, unsigned retry_every);

/**
 * hl_owners_set_threads() - how many threads validate and scan.
 * @o: cache. @threads: 0 (the default) for one per CPU the process may run
 * on, used only when there are enough processes to share (64 a thread);
 * 1 for no threads; more to force that many (at most 16).
 */
void hl_owners_set_threads(struct hl_owners *o, unsigned threads);

/** hl_owners_free() - release the cache; accepts NULL. */
void hl_owners_free(struct hl_owners *o);

/**
 * hl_owners_resolve() - find the owners of @inodes.
 * @o: cache. @inodes: socket inodes (0 entries are ignored). @n: count.
 * @want_details: also read comm, cmdline, uid and user of each owner
 * (without it, details already known from an earlier call are kept).
 *
 * Cache entries of inodes no longer passed are dropped. Of several
 * processes holding the same socket (forked workers) the lowest pid is
 * reported; a cached owner that still holds it is kept.
 * Return: 0, or a negative errno: from opendir/readdir when <proc_root>
 * cannot be listed (no owner is reported then); -EMFILE, -ENFILE or
 * -ENOMEM when the scan or the details ran out of resources (owners found
 * so far are reported; the rest is searched again on the next call).
 */
int hl_owners_resolve(struct hl_owners *o, const uint64_t *inodes, size_t n,
                      bool want_details);

/**
 * hl_owners_get() - the owner found for @inode by the last resolve.
 * @o: cache. @inode: socket inode. @fd: if not NULL, set to the fd number.
 * Return: borrowed info (valid until the next resolve or free), or NULL
 * when the owner is unknown (then *@fd is set to -1).
 */
const struct hl_proc_info *hl_owners_get(const struct hl_owners *o,
                                         uint64_t inode, int *fd);

/** hl_owners_last_stats() - counters of the last resolve. */
struct hl_owners_stats hl_owners_last_stats(const struct hl_owners *o);

/**
 * hl_owners_parse_link() - parse a readlink result "socket:[12345]" (pure).
 * @link: bytes (not NUL-terminated). @len: their count. @inode: result.
 * Return: 0, or -EINVAL for anything else (pipes, files, anon inodes).
 */
int hl_owners_parse_link(const char *link, size_t len, uint64_t *inode);

/**
 * hl_owners_join_cmdline() - join /proc/<pid>/cmdline arguments (pure).
 * @buf, @len: raw bytes, NUL-separated. Return: a malloc'd string with
 * NULs replaced by spaces and the trailing NUL(s) dropped ("" for an empty
 * file), or NULL on ENOMEM.
 */
char *hl_owners_join_cmdline(const char *buf, size_t len);

/**
 * hl_owners_parse_status_uid() - real uid from /proc/<pid>/status (pure).
 * @buf, @len: file contents. @uid: result.
 * Return: 0 or -EPROTO.
 */
int hl_owners_parse_status_uid(const char *buf, size_t len, uint32_t *uid);

#endif
