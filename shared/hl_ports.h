// SPDX-License-Identifier: MIT
/*
 * hl_ports: the port inventory shared by the homelab_ports plugin and the
 * homelab-port-report CLI, and the port policy both enforce.
 *
 * Data flow: hl_socks_collect() (hl_sockdiag) lists sockets ->
 * hl_owners_resolve() maps inodes to processes -> hl_docker_collect() lists
 * published container ports -> hl_ports_merge() (pure) joins the three into
 * sorted records, adds the ephemeral-range and wildcard flags, and
 * hl_policy_eval() (pure) adds policy findings. struct hl_ports_ctx keeps
 * the owner cache between collections (the plugin's steady state).
 */
#ifndef HOMELAB_SHARED_HL_PORTS_H
#define HOMELAB_SHARED_HL_PORTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "hl_docker.h"
#include "hl_owners.h"
#include "hl_sockdiag.h"

/* ---- policy ------------------------------------------------------------ */

/** Findings of hl_policy_eval() (bits). */
enum {
  HL_FIND_UNEXPECTED = 1 << 0, /* no AllowPort/AllowRange/AllowProcess */
  HL_FIND_EPHEMERAL = 1 << 1,  /* TCP listener inside ip_local_port_range,
                                  not named by an AllowPort/AllowRange rule */
  HL_FIND_WILDCARD = 1 << 2,   /* LocalOnly port bound to 0.0.0.0 or :: */
};

/**
 * struct hl_policy_rule - a port or range rule.
 * @proto: IPPROTO_TCP, IPPROTO_UDP, or 0 for both.
 * @lo, @hi: port range (equal for one port).
 * @addr: for Port (watch) rules, the address that must listen ("" = any).
 */
struct hl_policy_rule {
  uint8_t proto;
  uint16_t lo;
  uint16_t hi;
  char addr[46];
};

/**
 * struct hl_policy - what is allowed and what must be there.
 * @allow: AllowPort / AllowRange rules. @allow_proc: AllowProcess names
 * (compared with the owner's comm). @local_only: LocalOnly rules (must not
 * bind a wildcard address). @watch: Port rules (must be listening).
 * @check_ephemeral: report services inside the ephemeral range
 * (CheckEphemeral, default true). Unexpected listeners are only reported
 * when at least one Allow* rule exists. An AllowProcess name longer than
 * the 15 bytes the kernel keeps of a process name also matches its
 * truncation ("systemd-resolved" matches comm "systemd-resolve").
 */
struct hl_policy {
  struct hl_policy_rule *allow;
  size_t nallow;
  char **allow_proc;
  size_t nallow_proc;
  struct hl_policy_rule *local_only;
  size_t nlocal_only;
  struct hl_policy_rule *watch;
  size_t nwatch;
  bool check_ephemeral;
};

/** hl_policy_init() - an empty policy (nothing allowed-listed). */
void hl_policy_init(struct hl_policy *p);

/** hl_policy_free() - release the rules; accepts an initialised policy. */
void hl_policy_free(struct hl_policy *p);

/**
 * hl_policy_add() - add one rule given as words (pure). The keywords are
 * the plugin's config options, so a policy file and a <Plugin> block read
 * the same:
 *   AllowPort tcp|udp|any PORT
 *   AllowRange tcp|udp|any LOW HIGH
 *   AllowProcess NAME
 *   LocalOnly tcp|udp|any PORT
 *   Port tcp|udp PORT [ADDRESS]
 *   CheckEphemeral true|false
 * @p: policy. @key: keyword (case-insensitive). @argv, @argc: its words.
 * The protocol words and true/false are case-insensitive too; a Port
 * address is stored in inet_ntop's canonical form ("0:0::1" -> "::1").
 * @err, @errlen: reason on failure, naming the keyword (in its canonical
 * spelling) and the bad word, e.g. "AllowRange: low port 900 is above high
 * port 800" or "AllowPort: protocol \"sctp\" is not tcp, udp or any".
 * Return: 0, -EINVAL (bad words) or -ENOMEM.
 */
int hl_policy_add(struct hl_policy *p, const char *key, const char *const *argv,
                  int argc, char *err, size_t errlen);

/**
 * hl_policy_parse() - read a policy file's text (pure): one rule per line,
 * words separated by blanks, optional double quotes around words (inside
 * them \" and \\ stand for " and \), '#' outside quotes starts a comment.
 * CRLF line ends are accepted. Rules of the lines before a failing line
 * stay in @p; free it on error.
 * @text, @len: contents. @p: policy (rules are added).
 * @err, @errlen: "line N: reason" on failure.
 * Return: 0, -EINVAL or -ENOMEM.
 */
int hl_policy_parse(const char *text, size_t len, struct hl_policy *p,
                    char *err, size_t errlen);

/**
 * hl_policy_load() - hl_policy_parse() of a file (I/O).
 * @err, @errlen: "line N: reason", or the read error ("No such file or
 * directory", "larger than 1048576 bytes"); the path is not included, the
 * caller prefixes it.
 * Return: 0, a negative errno from reading (-E2BIG above 1 MiB), -EINVAL or
 * -ENOMEM.
 */
int hl_policy_load(const char *path, struct hl_policy *p, char *err,
                   size_t errlen);

/* ---- records ----------------------------------------------------------- */

/**
 * struct hl_port_rec - one row of the inventory.
 * @s:          the socket; for a published container port without any host
 *              socket: proto, family, addr and port from the API, inode 0.
 * @has_socket: false for such a published-only port.
 * @pid:        owning process, 0 when it cannot be seen.
 * @fd:         the fd in that process, -1 when unknown.
 * @uid:        process uid (when @pid != 0; HL_OWNERS_NO_UID if unread).
 * @process, @user, @cmdline: owner details (owned; NULL when unknown, also
 *              when the owner's pid is known but its files were unreadable;
 *              @cmdline is "" for a kernel thread).
 * @ctr_name, @ctr_id, @ctr_image: matched container (owned; NULL if none);
 *              @ctr_id is the 12-character short id.
 * @ctr_spec:   mapping as docker ps writes it: "0.0.0.0:8080->80/tcp".
 * @ctr_port:   port inside the container (0 if none).
 * @ephemeral:  the port lies inside ip_local_port_range.
 * @wildcard:   bound to 0.0.0.0 or ::.
 *              Both flags are also set on published-only records (they
 *              describe the port and address); count listeners with
 *              @has_socket.
 * @findings:   HL_FIND_* bits from the policy.
 */
struct hl_port_rec {
  struct hl_sock s;
  bool has_socket;
  int pid;
  int fd;
  uint32_t uid;
  char *process;
  char *user;
  char *cmdline;
  char *ctr_name;
  char *ctr_id;
  char *ctr_image;
  char ctr_spec[128];
  uint16_t ctr_port;
  bool ephemeral;
  bool wildcard;
  unsigned findings;
};

/**
 * struct hl_port_report - a whole inventory.
 * @host: host name. @generated_at: collection time (UTC seconds).
 * @eph_low, @eph_high: ip_local_port_range (0, 0 if unknown).
 * @method: how sockets were listed.
 * @docker: the engine's answer (owned), @docker_checked false with
 *          --no-docker / Docker disabled.
 * @r, @n: records sorted by proto, port, address.
 */
struct hl_port_report {
  char host[256];
  time_t generated_at;
  uint32_t eph_low;
  uint32_t eph_high;
  enum hl_sd_method method;
  bool docker_checked;
  struct hl_docker docker;
  struct hl_port_rec *r;
  size_t n;
};

/** hl_port_report_free() - release records and docker data; zeroes it. */
void hl_port_report_free(struct hl_port_report *rep);

/**
 * hl_ports_parse_range() - parse ip_local_port_range "32768\t60999" (pure).
 * Return: 0 or -EPROTO.
 */
int hl_ports_parse_range(const char *buf, size_t len, uint32_t *lo,
                         uint32_t *hi);

/**
 * hl_ports_merge() - join sockets, owners and containers (pure).
 * @socks: listening sockets. @owners: resolved cache, or NULL (no process
 * details). @docker: container list, or NULL. @rep: its eph_* fields are
 * used; records replace @rep->r.
 *
 * A published container port matches a socket with the same proto and
 * port whose address equals the published host IP, or when either side is
 * a wildcard (0.0.0.0 or ::, for either family); exact address matches win
 * (all of them are made before any wildcard match). A socket carries at
 * most one container and a Ports entry is used at most once. Published
 * ports that match no socket become records with has_socket false; an
 * entry whose only matching sockets already carry another entry (the
 * "0.0.0.0" and "::" entries of one port served by one docker-proxy on ::)
 * does not. Exposed-only entries (public_port 0), SCTP entries and host IPs
 * that do not parse are ignored; an empty host IP counts as 0.0.0.0.
 * Records are sorted like hl_socks_sort(): tcp first, port, family,
 * address (then sockets before published-only records, then inode).
 * Return: 0 or -ENOMEM (then @rep is unchanged).
 */
int hl_ports_merge(const struct hl_socks *socks, const struct hl_owners *owners,
                   const struct hl_docker *docker, struct hl_port_report *rep);

/**
 * hl_policy_eval() - findings for one record (pure).
 * @p: policy. @r: record (its ephemeral/wildcard flags must be set).
 * Return: HL_FIND_* bits.
 */
unsigned hl_policy_eval(const struct hl_policy *p, const struct hl_port_rec *r);

/**
 * hl_policy_watch_listening() - whether watch rule @w is satisfied (pure).
 * @w: a Port rule. @rep: inventory. @pid: if not NULL, set to the owner's
 * pid (0 when unknown or not listening; of several matching sockets, the
 * first with a known owner).
 * Return: true if a socket with that proto and port (and address, if the
 * rule names one) is in @rep. The address must be the bound one: a
 * wildcard listener does not satisfy "Port tcp 22 127.0.0.1"; 10.0.0.1 and
 * ::ffff:10.0.0.1 are the same address. Published-only records never count.
 */
bool hl_policy_watch_listening(const struct hl_policy_rule *w,
                               const struct hl_port_report *rep, int *pid);

/* ---- collection -------------------------------------------------------- */

/**
 * struct hl_ports_opts - what to collect.
 * @proc_root: "/proc" or a fixture tree (NULL means "/proc").
 * @docker_socket: engine socket, or NULL to skip Docker.
 * @docker_timeout_ms: limit for the API call.
 * @processes: resolve owners (pid, process, user, cmdline).
 * @retry_every: see hl_owners_new().
 * @what: HL_SD_* bits (0 means HL_SD_ALL). When it leaves out a protocol
 *        or a family, published-only records that the narrowed listing
 *        cannot vouch for (their protocol, or any when a family is left
 *        out, since docker-proxy may listen on either) are dropped.
 */
struct hl_ports_opts {
  const char *proc_root;
  const char *docker_socket;
  long docker_timeout_ms;
  bool processes;
  unsigned retry_every;
  unsigned what;
};

struct hl_ports_ctx;

/**
 * hl_ports_ctx_new() - a collector with its owner cache; @opts strings are
 * copied. Return: the context or NULL on ENOMEM.
 */
struct hl_ports_ctx *hl_ports_ctx_new(const struct hl_ports_opts *opts);

/** hl_ports_ctx_free() - release; accepts NULL. */
void hl_ports_ctx_free(struct hl_ports_ctx *ctx);

/**
 * hl_ports_collect() - one full collection (I/O): sockets, owners, Docker,
 * ephemeral range, merge, policy findings (if @policy is not NULL).
 * @ctx: collector. @policy: or NULL. @rep: filled (freed first; zeroed
 * again on failure). @rep->host is gethostname(); ip_local_port_range is
 * read from <proc_root>/sys/net/ipv4 (0, 0 when missing or malformed).
 * Docker failures leave @rep->docker.available false with its error text.
 * @err, @errlen: reason when the socket listing itself failed
 * ("listing sockets: No such file or directory").
 * Return: 0, or a negative errno when no socket list could be had (Docker
 * or owner problems are not errors: they show in @rep).
 */
int hl_ports_collect(struct hl_ports_ctx *ctx, const struct hl_policy *policy,
                     struct hl_port_report *rep, char *err, size_t errlen);

/** hl_ports_owner_stats() - owner-cache counters of the last collection. */
struct hl_owners_stats hl_ports_owner_stats(const struct hl_ports_ctx *ctx);

#endif
