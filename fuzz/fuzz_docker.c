// SPDX-License-Identifier: MIT
/*
 * fuzz_docker: the Docker Engine API decoder (hl_docker_parse) and what
 * the port inventory does with its result.
 *
 * The input is a GET /containers/json body. A failure must leave no
 * containers and say why; a success must hold only entries hl_docker.h
 * promises (strings never NULL, ports 1..65535 / 0..65535, known protocol,
 * an empty or literal IP). The containers are then merged with listening
 * sockets as homelab-port-report does (hl_ports_merge: half the published
 * ports get a matching socket, the others stay published-only, plus a few
 * fixed host sockets), policy findings are added, and the inventory is
 * rendered as JSON and HTML and checked (report_check.h): container names
 * and images are attacker-chosen text in a report. (Bodies that do not
 * parse are not rendered: that is slow and adds nothing.) Seeds: the JSON files
 * of tests/fixtures/docker, cli/docker and glue_ports.
 */
#include "fuzz.h"
#include "report_check.h"

#include "hl_docker.h"
#include "hl_ports.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>

static void check_parsed(const struct hl_docker *d) {
  FZ_CHECK(d->available);
  FZ_CHECK(d->n == 0 || d->c != NULL);
  for (size_t i = 0; i < d->n; i++) {
    const struct hl_docker_container *c = &d->c[i];
    FZ_CHECK(c->id != NULL && c->name != NULL && c->image != NULL);
    FZ_CHECK(c->nports == 0 || c->ports != NULL);
    char sid[13];
    hl_docker_short_id(c->id, sid);
    FZ_CHECK(strlen(sid) <= 12 && strncmp(sid, c->id, strlen(sid)) == 0);
    for (size_t k = 0; k < c->nports; k++) {
      const struct hl_docker_port *p = &c->ports[k];
      FZ_CHECK(p->private_port >= 1);
      FZ_CHECK(p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP ||
               p->proto == IPPROTO_SCTP);
      FZ_CHECK(fz_terminated(p->ip, sizeof(p->ip)));
      uint8_t a[16];
      FZ_CHECK(p->ip[0] == '\0' || inet_pton(AF_INET, p->ip, a) == 1 ||
               inet_pton(AF_INET6, p->ip, a) == 1);
    }
  }
}

static void push_sock(struct hl_socks *l, uint8_t proto, const char *ip,
                      uint16_t port) {
  struct hl_sock s = {.proto = proto, .port = port, .inode = 1000 + l->n};
  s.family = strchr(ip, ':') != NULL ? AF_INET6 : AF_INET;
  FZ_CHECK(inet_pton(s.family, ip, s.addr) == 1);
  FZ_CHECK(hl_socks_push(l, &s) == 0);
}

/* Host sockets: a few fixed ones, and one for every other published port. */
static void make_socks(const struct hl_docker *d, struct hl_socks *l) {
  push_sock(l, IPPROTO_TCP, "0.0.0.0", 22);
  push_sock(l, IPPROTO_TCP, "::", 8080);
  push_sock(l, IPPROTO_UDP, "127.0.0.53", 53);
  size_t k = 0;
  for (size_t i = 0; i < d->n; i++)
    for (size_t j = 0; j < d->c[i].nports; j++) {
      const struct hl_docker_port *p = &d->c[i].ports[j];
      if (p->public_port == 0 || p->proto == IPPROTO_SCTP || k++ % 2 != 0)
        continue;
      push_sock(l, p->proto, p->ip[0] != '\0' ? p->ip : "0.0.0.0",
                p->public_port);
    }
}

static void init_policy(struct hl_policy *pol) {
  static const char text[] = "AllowPort tcp 22\n"
                             "AllowRange any 8000 8100\n"
                             "AllowProcess nginx\n"
                             "LocalOnly tcp 8080\n"
                             "Port tcp 443\n"
                             "Port udp 53 127.0.0.53\n";
  char err[128];
  hl_policy_init(pol);
  FZ_CHECK(hl_policy_parse(text, sizeof(text) - 1, pol, err, sizeof(err)) == 0);
}

static void check_merged(const struct hl_port_report *rep, size_t nsocks,
                         size_t npub) {
  size_t with_socket = 0, with_ctr = 0;
  for (size_t i = 0; i < rep->n; i++) {
    const struct hl_port_rec *r = &rep->r[i];
    with_socket += r->has_socket;
    with_ctr += r->ctr_name != NULL;
    FZ_CHECK(fz_terminated(r->ctr_spec, sizeof(r->ctr_spec)));
    FZ_CHECK(r->has_socket || r->ctr_name != NULL);
    if (i > 0) {
      const struct hl_port_rec *q = &rep->r[i - 1];
      FZ_CHECK(q->s.proto == r->s.proto || q->s.proto == IPPROTO_TCP);
      FZ_CHECK(q->s.proto != r->s.proto || q->s.port <= r->s.port);
    }
  }
  FZ_CHECK(with_socket == nsocks);
  FZ_CHECK(with_ctr <= npub);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct hl_port_report rep = {.generated_at = 1795788300,
                               .eph_low = 32768,
                               .eph_high = 60999,
                               .method = HL_SD_NETLINK,
                               .docker_checked = true};
  hl_str_copy(rep.host, sizeof(rep.host), "fuzzhost");
  int rc = hl_docker_parse((const char *)data, size, &rep.docker);
  FZ_CHECK(rc == 0 || rc == -EPROTO);
  if (rc != 0) {
    FZ_CHECK(!rep.docker.available && rep.docker.n == 0);
    FZ_CHECK(rep.docker.c == NULL);
    FZ_CHECK(fz_terminated(rep.docker.error, sizeof(rep.docker.error)) &&
             rep.docker.error[0] != '\0');
    hl_port_report_free(&rep);
    return 0;
  }
  check_parsed(&rep.docker);

  struct hl_socks socks = {0};
  make_socks(&rep.docker, &socks);
  size_t npub = 0;
  for (size_t i = 0; i < rep.docker.n; i++)
    for (size_t j = 0; j < rep.docker.c[i].nports; j++)
      npub += rep.docker.c[i].ports[j].public_port != 0;
  FZ_CHECK(hl_ports_merge(&socks, NULL, &rep.docker, &rep) == 0);
  check_merged(&rep, socks.n, npub);

  struct hl_policy pol;
  init_policy(&pol);
  for (size_t i = 0; i < rep.n; i++)
    rep.r[i].findings = hl_policy_eval(&pol, &rep.r[i]);
  rc_check_report(&rep, &pol, HL_DOCKER_SOCKET, size % 2 == 0);

  hl_policy_free(&pol);
  hl_socks_free(&socks);
  hl_port_report_free(&rep);
  return 0;
}
