// SPDX-License-Identifier: MIT
/*
 * fuzz_policy: the port policy file parser of hl_ports (hl_policy_parse,
 * and through it hl_policy_add) and the policy evaluation.
 *
 * The input is a policy file. Whatever parses must be a rule hl_ports.h
 * can hold (low <= high, a known protocol, a canonical watch address,
 * non-empty process names); a failure must name its line. The rules are
 * then evaluated against a fixed inventory (TCP and UDP listeners on
 * wildcard, loopback and other addresses, inside and outside the ephemeral
 * range, with process names, and a published-only container port), watch
 * rules are checked, and for a policy that parsed the report is rendered
 * with the policy section (report_check.h). Seeds: tests/fixtures/ports/
 * policy and tests/fixtures/cli/policy.
 */
#include "fuzz.h"
#include "report_check.h"

#include "hl_ports.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>

static void check_rule(const struct hl_policy_rule *r, bool watch) {
  FZ_CHECK(r->lo <= r->hi);
  if (watch)
    FZ_CHECK(r->proto == IPPROTO_TCP || r->proto == IPPROTO_UDP);
  else
    FZ_CHECK(r->proto == 0 || r->proto == IPPROTO_TCP ||
             r->proto == IPPROTO_UDP);
  FZ_CHECK(fz_terminated(r->addr, sizeof(r->addr)));
  if (r->addr[0] == '\0')
    return;
  /* Stored in inet_ntop's canonical form. */
  uint8_t a[16];
  char back[46];
  int fam = strchr(r->addr, ':') != NULL ? AF_INET6 : AF_INET;
  FZ_CHECK(inet_pton(fam, r->addr, a) == 1);
  FZ_CHECK(inet_ntop(fam, a, back, sizeof(back)) != NULL);
  FZ_CHECK(strcmp(back, r->addr) == 0);
}

static void check_policy(const struct hl_policy *p) {
  for (size_t i = 0; i < p->nallow; i++)
    check_rule(&p->allow[i], false);
  for (size_t i = 0; i < p->nlocal_only; i++)
    check_rule(&p->local_only[i], false);
  for (size_t i = 0; i < p->nwatch; i++) {
    check_rule(&p->watch[i], true);
    FZ_CHECK(p->watch[i].lo == p->watch[i].hi);
  }
  for (size_t i = 0; i < p->nallow_proc; i++)
    FZ_CHECK(p->allow_proc[i] != NULL && p->allow_proc[i][0] != '\0');
}

static void push_sock(struct hl_socks *l, uint8_t proto, const char *ip,
                      uint16_t port) {
  struct hl_sock s = {.proto = proto, .port = port, .inode = 1000 + l->n};
  s.family = strchr(ip, ':') != NULL ? AF_INET6 : AF_INET;
  FZ_CHECK(inet_pton(s.family, ip, s.addr) == 1);
  FZ_CHECK(hl_socks_push(l, &s) == 0);
}

static char *xstrdup(const char *s) { return fz_str(s, strlen(s)); }

/* The inventory every policy is evaluated against. */
static void make_report(struct hl_port_report *rep, struct hl_socks *socks,
                        struct hl_docker_container *ctr,
                        struct hl_docker_port *port) {
  push_sock(socks, IPPROTO_TCP, "0.0.0.0", 22);
  push_sock(socks, IPPROTO_TCP, "127.0.0.1", 5432);
  push_sock(socks, IPPROTO_TCP, "::", 5432);
  push_sock(socks, IPPROTO_TCP, "::ffff:10.0.0.1", 443);
  push_sock(socks, IPPROTO_TCP, "192.168.1.2", 40000);
  push_sock(socks, IPPROTO_UDP, "127.0.0.53", 53);
  push_sock(socks, IPPROTO_UDP, "0.0.0.0", 50000);
  push_sock(socks, IPPROTO_UDP, "::1", 1);
  push_sock(socks, IPPROTO_TCP, "10.0.0.1", 65535);
  *port = (struct hl_docker_port){.ip = "0.0.0.0",
                                  .private_port = 80,
                                  .public_port = 8080,
                                  .proto = IPPROTO_TCP};
  *ctr = (struct hl_docker_container){.id = "f6560f021d838ecf",
                                      .name = "web",
                                      .image = "nginx:1.25",
                                      .ports = port,
                                      .nports = 1};
  struct hl_docker d = {.available = true, .c = ctr, .n = 1};
  *rep = (struct hl_port_report){.generated_at = 1795788300,
                                 .eph_low = 32768,
                                 .eph_high = 60999,
                                 .method = HL_SD_PROCFS};
  hl_str_copy(rep->host, sizeof(rep->host), "fuzzhost");
  FZ_CHECK(hl_ports_merge(socks, NULL, &d, rep) == 0);
  static const char *const names[] = {"sshd", "systemd-resolve", "nginx",
                                      "postgres"};
  for (size_t i = 0; i < rep->n; i++) {
    if (!rep->r[i].has_socket || i % 5 == 4)
      continue;
    rep->r[i].pid = 100 + (int)i;
    rep->r[i].uid = 0;
    rep->r[i].process = xstrdup(names[i % 4]);
    rep->r[i].user = xstrdup("root");
    rep->r[i].cmdline = xstrdup("/usr/sbin/daemon -f");
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct hl_policy pol;
  hl_policy_init(&pol);
  char err[256] = "";
  int rc = hl_policy_parse((const char *)data, size, &pol, err, sizeof(err));
  FZ_CHECK(rc == 0 || rc == -EINVAL);
  FZ_CHECK(fz_terminated(err, sizeof(err)));
  FZ_CHECK(rc == 0 || strncmp(err, "line ", 5) == 0);
  check_policy(&pol); /* rules of the lines before a failure stay */

  struct hl_port_report rep;
  struct hl_socks socks = {0};
  struct hl_docker_container ctr;
  struct hl_docker_port port;
  make_report(&rep, &socks, &ctr, &port);
  for (size_t i = 0; i < rep.n; i++) {
    unsigned f = hl_policy_eval(&pol, &rep.r[i]);
    FZ_CHECK((f & ~7u) == 0);
    FZ_CHECK(rep.r[i].has_socket || (f & ~(unsigned)HL_FIND_UNEXPECTED) == 0);
    FZ_CHECK(pol.nallow + pol.nallow_proc > 0 || !(f & HL_FIND_UNEXPECTED));
    rep.r[i].findings = f;
  }
  for (size_t i = 0; i < pol.nwatch; i++) {
    int pid = -1;
    bool up = hl_policy_watch_listening(&pol.watch[i], &rep, &pid);
    FZ_CHECK(pid >= 0 && (up || pid == 0));
  }
  if (rc == 0) /* rendering is slow: only for policies that parsed */
    rc_check_report(&rep, &pol, NULL, size % 2 == 0);

  hl_port_report_free(&rep);
  hl_socks_free(&socks);
  hl_policy_free(&pol);
  return 0;
}
