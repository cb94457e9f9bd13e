// SPDX-License-Identifier: MIT
/*
 * homelab-port-report: every listening TCP socket and bound UDP socket on
 * this host, with its process and container, as JSON and/or one HTML page;
 * or a yes/no answer on whether one port is free; or a port-policy check
 * for deploy scripts.
 *
 * Data flow: argv -> struct cli -> hl_ports_collect() (shared/: sockets over
 * netlink or from <proc-root>/net, owners from <proc-root>/<pid>/fd, Docker
 * over its unix socket, policy findings) -> hl_report_*() into a buffer ->
 * stdout or hl_write_atomic(). This file is argv and output only: all
 * collection and formatting lives in shared/. Exit codes: 0 ok (or port
 * free), 1 port in use, 2 error, 3 policy violated.
 */
#include "hl_ports.h"
#include "hl_report.h"
#include "hl_str.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef HOMELAB_VERSION
#define HOMELAB_VERSION "unknown"
#endif

#define PROG "homelab-port-report"

enum {
  EXIT_FREE_OK = 0,
  EXIT_IN_USE = 1,
  EXIT_ERROR = 2,
  EXIT_POLICY = 3,
};

/* Largest report accepted in memory (a 20k-socket report is ~10 MiB). */
#define REPORT_MAX (256u * 1024u * 1024u)

#define DOCKER_TIMEOUT_MS 3000L

/**
 * struct cli - the parsed command line.
 * @json_path, @html_path: outputs ("-" = stdout), NULL when not asked.
 * @check: --check-port given; @port, @proto, @host_*: what to check.
 */
struct cli {
  const char *json_path;
  const char *html_path;
  const char *proc_root;
  const char *docker_socket;
  const char *policy_path;
  bool pretty;
  bool quiet;
  bool no_docker;
  bool no_process;
  bool check;
  uint16_t port;
  uint8_t proto;
  bool proto_set;
  bool host_set;
  uint8_t host_family;
  uint8_t host_addr[16];
  const char *host_text;
};

__attribute__((format(printf, 1, 2))) static void errmsg(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs(PROG ": ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

static void usage(FILE *f) {
  fputs("Usage: " PROG " [OPTION]...\n"
        "List listening TCP and bound UDP sockets with their processes and\n"
        "containers, as JSON and/or HTML; check whether a port is free; check\n"
        "a port policy.\n"
        "\n"
        "Output:\n"
        "  -j, --json PATH|-      write the JSON report to PATH (- = stdout);\n"
        "                         the default when no other output is asked\n"
        "      --html[=PATH]      write the HTML page (default "
        "port-report.html)\n"
        "      --pretty           indent the JSON\n"
        "  -q, --quiet            print no findings and no check-port lines\n"
        "Collection:\n"
        "      --proc-root DIR    proc file system to read (default /proc,\n"
        "                         or $HL_PROC_ROOT)\n"
        "      --docker-socket PATH  Docker/Podman API socket\n"
        "                         (default " HL_DOCKER_SOCKET ")\n"
        "      --no-docker        do not ask the container engine\n"
        "      --no-process       do not look up owning processes\n"
        "Checks:\n"
        "      --check-port PORT  exit 0 if PORT is free, 1 if it is in use\n"
        "      --host ADDR        with --check-port: IP address to check\n"
        "                         (default: any address)\n"
        "      --proto tcp|udp    with --check-port: protocol (default tcp)\n"
        "      --policy FILE      check the port policy in FILE\n"
        "  -V, --version          print the version and exit\n"
        "  -h, --help             print this help and exit\n"
        "\n"
        "Exit status: 0 ok (port free), 1 port in use, 2 error,\n"
        "3 policy violated. See homelab-port-report(1).\n",
        f);
}

enum {
  OPT_HTML = 256,
  OPT_PRETTY,
  OPT_PROC_ROOT,
  OPT_DOCKER_SOCKET,
  OPT_NO_DOCKER,
  OPT_NO_PROCESS,
  OPT_CHECK_PORT,
  OPT_HOST,
  OPT_PROTO,
  OPT_POLICY,
};

static const struct option long_opts[] = {
    {"json", required_argument, NULL, 'j'},
    {"html", optional_argument, NULL, OPT_HTML},
    {"pretty", no_argument, NULL, OPT_PRETTY},
    {"quiet", no_argument, NULL, 'q'},
    {"proc-root", required_argument, NULL, OPT_PROC_ROOT},
    {"docker-socket", required_argument, NULL, OPT_DOCKER_SOCKET},
    {"no-docker", no_argument, NULL, OPT_NO_DOCKER},
    {"no-process", no_argument, NULL, OPT_NO_PROCESS},
    {"check-port", required_argument, NULL, OPT_CHECK_PORT},
    {"host", required_argument, NULL, OPT_HOST},
    {"proto", required_argument, NULL, OPT_PROTO},
    {"policy", required_argument, NULL, OPT_POLICY},
    {"version", no_argument, NULL, 'V'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int parse_port(struct cli *c, const char *arg) {
  uint64_t v = 0;
  if (hl_str_to_u64(arg, 1, UINT16_MAX, &v) != 0) {
    errmsg("--check-port: not a port number (1-65535): '%s'", arg);
    return -1;
  }
  c->check = true;
  c->port = (uint16_t)v;
  return 0;
}

static int parse_host(struct cli *c, const char *arg) {
  c->host_text = arg;
  c->host_set = true;
  if (inet_pton(AF_INET, arg, c->host_addr) == 1) {
    c->host_family = AF_INET;
    return 0;
  }
  if (inet_pton(AF_INET6, arg, c->host_addr) == 1) {
    c->host_family = AF_INET6;
    return 0;
  }
  errmsg("--host: not an IPv4 or IPv6 address: '%s'", arg);
  return -1;
}

static int parse_proto(struct cli *c, const char *arg) {
  c->proto_set = true;
  if (strcmp(arg, "tcp") == 0) {
    c->proto = IPPROTO_TCP;
    return 0;
  }
  if (strcmp(arg, "udp") == 0) {
    c->proto = IPPROTO_UDP;
    return 0;
  }
  errmsg("--proto: expected tcp or udp, not '%s'", arg);
  return -1;
}

/* --html takes its path as --html=PATH or as the next word (--html PATH). */
static const char *html_arg(int argc, char **argv) {
  if (optarg != NULL)
    return optarg;
  if (optind < argc &&
      (argv[optind][0] != '-' || strcmp(argv[optind], "-") == 0))
    return argv[optind++];
  return "port-report.html";
}

/* getopt's own messages name argv[0] (a path); ours name the program. */
static void bad_option(int opt, char **argv) {
  const char *word = argv[optind - 1];
  if (strncmp(word, "--", 2) == 0) {
    size_t n = strcspn(word, "=");
    if (opt == ':')
      errmsg("option '%.*s' needs an argument", (int)n, word);
    else
      errmsg("unknown option or unexpected argument: '%s'", word);
  } else if (opt == ':') {
    errmsg("option '-%c' needs an argument", optopt);
  } else {
    errmsg("unknown option '-%c'", optopt);
  }
  fputs("Try '" PROG " --help' for more information.\n", stderr);
}

/* One option; returns 0, -1 on a bad value, 1 after --help/--version. */
static int parse_opt(struct cli *c, int opt, int argc, char **argv) {
  switch (opt) {
  case 'j':
    c->json_path = optarg;
    return 0;
  case OPT_HTML:
    c->html_path = html_arg(argc, argv);
    return 0;
  case OPT_PRETTY:
    c->pretty = true;
    return 0;
  case 'q':
    c->quiet = true;
    return 0;
  case OPT_PROC_ROOT:
    c->proc_root = optarg;
    return 0;
  case OPT_DOCKER_SOCKET:
    c->docker_socket = optarg;
    return 0;
  case OPT_NO_DOCKER:
    c->no_docker = true;
    return 0;
  case OPT_NO_PROCESS:
    c->no_process = true;
    return 0;
  case OPT_CHECK_PORT:
    return parse_port(c, optarg);
  case OPT_HOST:
    return parse_host(c, optarg);
  case OPT_PROTO:
    return parse_proto(c, optarg);
  case OPT_POLICY:
    c->policy_path = optarg;
    return 0;
  case 'V':
    printf("%s %s\n", PROG, HOMELAB_VERSION);
    return 1;
  case 'h':
    usage(stdout);
    return 1;
  }
  bad_option(opt, argv);
  return -1;
}

/* Options that only make sense together. */
static int check_combinations(const struct cli *c) {
  if (!c->check && (c->host_set || c->proto_set)) {
    errmsg("--host and --proto need --check-port");
    return -1;
  }
  if (c->check && (c->json_path || c->html_path || c->policy_path)) {
    errmsg("--check-port cannot be combined with --json, --html or --policy");
    return -1;
  }
  if (c->proc_root[0] == '\0' || c->docker_socket[0] == '\0' ||
      (c->json_path != NULL && c->json_path[0] == '\0') ||
      (c->html_path != NULL && c->html_path[0] == '\0')) {
    errmsg("empty path given");
    return -1;
  }
  return 0;
}

/* Return: 0 to run, 1 to exit 0 (help, version), -1 to exit 2. */
static int parse_args(int argc, char **argv, struct cli *c) {
  opterr = 0;
  for (;;) {
    int opt = getopt_long(argc, argv, ":j:qVh", long_opts, NULL);
    if (opt == -1)
      break;
    int rc = parse_opt(c, opt, argc, argv);
    if (rc != 0)
      return rc;
  }
  if (optind < argc) {
    errmsg("unexpected argument '%s'", argv[optind]);
    return -1;
  }
  return check_combinations(c);
}

/* ---- output helpers ---- */

/* Bytes in a UTF-8 sequence that starts with @lead (input is valid). */
static size_t utf8_len(unsigned char lead) {
  return lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
}

/*
 * @s for a terminal: valid UTF-8 (U+FFFD for bad bytes), and control
 * characters (C0, DEL and the C1 range U+0080-U+009F, which some terminals
 * obey) as '?'. Cut to fit @len at a character boundary.
 */
static const char *term_safe(const char *s, char *buf, size_t len) {
  struct hl_buf b;
  hl_buf_init(&b, 4 * len);
  size_t o = 0;
  /* Only what can be shown: U+FFFD takes 3 bytes for 1. */
  if (s != NULL && hl_report_sanitize_utf8(&b, s, strnlen(s, len)) == 0) {
    for (size_t i = 0; i < b.len;) {
      unsigned char ch = (unsigned char)b.data[i];
      size_t n = utf8_len(ch);
      bool c1 = ch == 0xc2 && (unsigned char)b.data[i + 1] < 0xa0;
      bool ctl = ch < 0x20 || ch == 0x7f || c1;
      if (o + (ctl ? 1 : n) >= len)
        break;
      if (ctl)
        buf[o++] = '?';
      else
        memcpy(buf + o, b.data + i, n);
      o += ctl ? 0 : n;
      i += n;
    }
  }
  buf[o] = '\0';
  hl_buf_free(&b);
  return s != NULL ? buf : "?";
}

static const char *proto_str(uint8_t proto) {
  return proto == IPPROTO_UDP ? "udp" : "tcp";
}

/* "tcp 0.0.0.0:22" or "tcp [::]:22". */
static const char *endpoint(const struct hl_port_rec *r, char *buf,
                            size_t len) {
  char ip[64];
  hl_sock_addr_str(&r->s, ip, sizeof(ip));
  bool v6 = strchr(ip, ':') != NULL;
  snprintf(buf, len, "%s %s%s%s:%u", proto_str(r->s.proto), v6 ? "[" : "", ip,
           v6 ? "]" : "", (unsigned)r->s.port);
  return buf;
}

/* "sshd (pid 812, user root)", with the container when there is one. */
static const char *owner_desc(const struct hl_port_rec *r, char *buf,
                              size_t len) {
  char ctr[160];
  ctr[0] = '\0';
  if (r->ctr_name != NULL || r->ctr_id != NULL) {
    char name[128];
    snprintf(
        ctr, sizeof(ctr), "container %s",
        term_safe(r->ctr_name ? r->ctr_name : r->ctr_id, name, sizeof(name)));
  }
  if (r->pid > 0) {
    char proc[128];
    char user[128];
    snprintf(buf, len, "%s (pid %d, user %s%s%s)",
             term_safe(r->process, proc, sizeof(proc)), r->pid,
             term_safe(r->user, user, sizeof(user)), ctr[0] ? "; " : "", ctr);
  } else if (!r->has_socket) {
    snprintf(buf, len, "%s (published, no host socket)", ctr);
  } else {
    snprintf(buf, len, "an unknown process%s%s%s", ctr[0] ? " (" : "", ctr,
             ctr[0] ? ")" : "");
  }
  return buf;
}

static int write_stdout(const char *data, size_t len) {
  if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0) {
    errmsg("writing to standard output: %s", strerror(errno));
    return EXIT_ERROR;
  }
  return 0;
}

/* One report to @path ("-" = stdout); returns 0 or EXIT_ERROR. */
static int emit(const char *path, bool html, const struct hl_port_report *rep,
                const struct hl_report_meta *m) {
  struct hl_buf b;
  hl_buf_init(&b, REPORT_MAX);
  int rc =
      html ? hl_report_html_meta(rep, m, &b) : hl_report_json_meta(rep, m, &b);
  if (rc != 0) {
    errmsg("building the %s report: %s", html ? "HTML" : "JSON", strerror(-rc));
    hl_buf_free(&b);
    return EXIT_ERROR;
  }
  if (strcmp(path, "-") == 0) {
    rc = write_stdout(b.data, b.len);
  } else {
    rc = hl_write_atomic(path, b.data, b.len);
    if (rc != 0)
      errmsg("writing %s: %s", path, strerror(-rc));
    rc = rc != 0 ? EXIT_ERROR : 0;
  }
  hl_buf_free(&b);
  return rc;
}

/* ---- collection and report mode ---- */

static int collect(const struct cli *c, const struct hl_policy *pol,
                   struct hl_port_report *rep, char *err, size_t errlen) {
  struct hl_ports_opts o = {
      .proc_root = c->proc_root,
      .docker_socket = c->no_docker ? NULL : c->docker_socket,
      .docker_timeout_ms = DOCKER_TIMEOUT_MS,
      .processes = !c->no_process,
      .retry_every = 1,
      .what = HL_SD_ALL,
  };
  struct hl_ports_ctx *ctx = hl_ports_ctx_new(&o);
  if (ctx == NULL) {
    snprintf(err, errlen, "listing sockets: %s", strerror(ENOMEM));
    return -ENOMEM;
  }
  err[0] = '\0';
  int rc = hl_ports_collect(ctx, pol, rep, err, errlen);
  if (rc != 0 && err[0] == '\0')
    snprintf(err, errlen, "listing sockets: %s", strerror(-rc));
  hl_ports_ctx_free(ctx);
  return rc;
}

static const char *finding_text(unsigned bit) {
  switch (bit) {
  case HL_FIND_UNEXPECTED:
    return "not allowed by the policy";
  case HL_FIND_EPHEMERAL:
    return "bound inside the ephemeral port range";
  case HL_FIND_WILDCARD:
    return "local-only port bound to a wildcard address";
  }
  return "policy finding";
}

static void print_record_findings(FILE *f, const struct hl_port_rec *r) {
  char ep[96];
  char who[512];
  fprintf(f, "policy: %s held by %s:", endpoint(r, ep, sizeof(ep)),
          owner_desc(r, who, sizeof(who)));
  const char *sep = " ";
  for (unsigned bit = 1; bit <= HL_FIND_WILDCARD; bit <<= 1) {
    if (r->findings & bit) {
      fprintf(f, "%s%s", sep, finding_text(bit));
      sep = "; ";
    }
  }
  fputc('\n', f);
}

/* Findings as text; stdout unless it carries a report. Returns EXIT_*. */
static int report_policy(const struct cli *c, const struct hl_port_report *rep,
                         const struct hl_policy *p, bool stdout_busy) {
  size_t v = hl_report_violations(rep, p);
  FILE *f = stdout_busy ? stderr : stdout;
  if (!c->quiet) {
    for (size_t i = 0; i < rep->n; i++)
      if (rep->r[i].findings != 0)
        print_record_findings(f, &rep->r[i]);
    for (size_t i = 0; i < p->nwatch; i++) {
      const struct hl_policy_rule *w = &p->watch[i];
      if (hl_policy_watch_listening(w, rep, NULL))
        continue;
      bool v6 = strchr(w->addr, ':') != NULL;
      fprintf(f, "policy: %s %s%s%s%s%u: watched port not listening\n",
              proto_str(w->proto), v6 ? "[" : "", w->addr, v6 ? "]" : "",
              w->addr[0] ? ":" : "", (unsigned)w->lo);
    }
    fprintf(f, "policy: %zu violation%s, %zu port%s checked\n", v,
            v == 1 ? "" : "s", rep->n, rep->n == 1 ? "" : "s");
  }
  return v != 0 ? EXIT_POLICY : EXIT_FREE_OK;
}

static int load_policy(const struct cli *c, struct hl_policy *p) {
  char err[256] = "";
  int rc = hl_policy_load(c->policy_path, p, err, sizeof(err));
  if (rc != 0) {
    errmsg("policy %s: %s", c->policy_path, err[0] ? err : strerror(-rc));
    return EXIT_ERROR;
  }
  return 0;
}

static int write_outputs(const struct cli *c, const struct hl_port_report *rep,
                         const struct hl_policy *pol) {
  struct hl_report_meta m = {
      .version = HOMELAB_VERSION,
      .docker_socket = c->no_docker ? NULL : c->docker_socket,
      .policy = pol,
      .pretty = c->pretty,
  };
  const char *json = c->json_path;
  if (json == NULL && c->html_path == NULL && pol == NULL)
    json = "-";
  int rc = json != NULL ? emit(json, false, rep, &m) : 0;
  if (rc == 0 && c->html_path != NULL)
    rc = emit(c->html_path, true, rep, &m);
  return rc;
}

static bool stdout_carries_report(const struct cli *c) {
  bool json_out = c->json_path != NULL && strcmp(c->json_path, "-") == 0;
  bool html_out = c->html_path != NULL && strcmp(c->html_path, "-") == 0;
  return json_out || html_out;
}

static int run_report(const struct cli *c) {
  struct hl_policy pol;
  hl_policy_init(&pol);
  const struct hl_policy *pp = c->policy_path != NULL ? &pol : NULL;
  int rc = pp != NULL ? load_policy(c, &pol) : 0;
  struct hl_port_report rep = {0};
  if (rc == 0) {
    char err[256];
    if (collect(c, pp, &rep, err, sizeof(err)) != 0) {
      errmsg("%s", err);
      rc = EXIT_ERROR;
    }
  }
  if (rc == 0)
    rc = write_outputs(c, &rep, pp);
  if (rc == 0 && pp != NULL)
    rc = report_policy(c, &rep, pp, stdout_carries_report(c));
  hl_port_report_free(&rep);
  hl_policy_free(&pol);
  return rc;
}

/* ---- check-port mode ---- */

/* IPv4-mapped IPv6 addresses compare as IPv4. Returns the family. */
static int addr_norm(int family, const uint8_t *addr, uint8_t out[16]) {
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  memset(out, 0, 16);
  if (family == AF_INET6 && memcmp(addr, mapped, sizeof(mapped)) == 0) {
    memcpy(out, addr + 12, 4);
    return AF_INET;
  }
  memcpy(out, addr, family == AF_INET6 ? 16 : 4);
  return family;
}

static bool host_is_wildcard(const struct cli *c) {
  static const uint8_t zero[16] = {0};
  return memcmp(c->host_addr, zero, c->host_family == AF_INET6 ? 16 : 4) == 0;
}

/* In use: same proto and port, and same address or either is a wildcard. */
static bool check_matches(const struct cli *c, const struct hl_port_rec *r) {
  if (r->s.proto != c->proto || r->s.port != c->port)
    return false;
  if (!c->host_set || host_is_wildcard(c) || hl_sock_is_wildcard(&r->s))
    return true;
  uint8_t a[16];
  uint8_t b[16];
  int fa = addr_norm(r->s.family, r->s.addr, a);
  int fb = addr_norm(c->host_family, c->host_addr, b);
  return fa == fb && memcmp(a, b, sizeof(a)) == 0;
}

/* "tcp 127.0.0.1:22", "tcp [::1]:22" or "tcp port 22" (any address). */
static const char *check_target(const struct cli *c, char *buf, size_t len) {
  if (!c->host_set)
    snprintf(buf, len, "%s port %u", proto_str(c->proto), (unsigned)c->port);
  else if (c->host_family == AF_INET6)
    snprintf(buf, len, "%s [%s]:%u", proto_str(c->proto), c->host_text,
             (unsigned)c->port);
  else
    snprintf(buf, len, "%s %s:%u", proto_str(c->proto), c->host_text,
             (unsigned)c->port);
  return buf;
}

/* Fill @ss with @c's address (or a wildcard of @family) and the port. */
static socklen_t probe_addr(const struct cli *c, int family,
                            struct sockaddr_storage *ss) {
  memset(ss, 0, sizeof(*ss));
  if (family == AF_INET) {
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    in->sin_family = AF_INET;
    in->sin_port = htons(c->port);
    if (c->host_set)
      memcpy(&in->sin_addr, c->host_addr, 4);
    return sizeof(*in);
  }
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
  in6->sin6_family = AF_INET6;
  in6->sin6_port = htons(c->port);
  if (c->host_set)
    memcpy(&in6->sin6_addr, c->host_addr, 16);
  return sizeof(*in6);
}

/* bind() probe: 0 free, 1 in use, or a negative errno. */
static int probe_bind(const struct cli *c, int family) {
  int type = c->proto == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM;
  int fd = socket(family, type | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -errno;
  int one = 1;
  /* TCP: TIME_WAIT leftovers do not make a port busy; a listener does. */
  if (type == SOCK_STREAM)
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (family == AF_INET6)
    (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  struct sockaddr_storage ss;
  socklen_t sl = probe_addr(c, family, &ss);
  int rc = bind(fd, (struct sockaddr *)&ss, sl) == 0 ? 0 : -errno;
  close(fd);
  return rc == -EADDRINUSE ? 1 : rc;
}

/* connect() probe for TCP ports we may not bind: 0 free, 1 in use, -errno. */
static int probe_connect(const struct cli *c, int family) {
  struct sockaddr_storage ss;
  socklen_t sl = probe_addr(c, family, &ss);
  if (!c->host_set || host_is_wildcard(c)) {
    if (family == AF_INET)
      ((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    else
      ((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
  }
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -errno;
  int rc = connect(fd, (struct sockaddr *)&ss, sl) == 0 ? 0 : errno;
  if (rc == EINPROGRESS) {
    struct pollfd pfd = {.fd = fd, .events = POLLOUT};
    int n = poll(&pfd, 1, 2000);
    socklen_t el = sizeof(rc);
    if (n <= 0)
      rc = n == 0 ? ETIMEDOUT : errno;
    else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &rc, &el) != 0)
      rc = errno;
  }
  close(fd);
  if (rc == 0)
    return 1;
  return rc == ECONNREFUSED ? 0 : -rc;
}

/* Fallback when the socket table cannot be read. Returns EXIT_*. */
static int probe_port(const struct cli *c) {
  int family = c->host_set ? c->host_family : AF_INET;
  int rc = probe_bind(c, family);
  if (rc == 0 && !c->host_set)
    rc = probe_bind(c, AF_INET6);
  if (rc == -EAFNOSUPPORT)
    rc = 0;
  const char *how = "bind";
  if (rc == -EACCES && c->proto == IPPROTO_TCP) {
    rc = probe_connect(c, family);
    how = "connect";
  }
  char what[96];
  check_target(c, what, sizeof(what));
  if (rc < 0) {
    errmsg("%s: %s probe failed: %s", what, how, strerror(-rc));
    return EXIT_ERROR;
  }
  if (!c->quiet && rc == 1)
    printf("%s in use (%s probe; owner unknown)\n", what, how);
  else if (!c->quiet)
    printf("%s is free (%s probe)\n", what, how);
  return rc == 1 ? EXIT_IN_USE : EXIT_FREE_OK;
}

/* The socket table holds listening TCP and unconnected UDP sockets only; a
 * connected UDP socket or a TCP socket bound but not (yet) listening still
 * holds the port. On the live system a bind probe finds those. */
static bool bound_elsewhere(const struct cli *c) {
  if (strcmp(c->proc_root, "/proc") != 0)
    return false; /* a fixture tree says nothing about this machine */
  int rc = probe_bind(c, c->host_set ? c->host_family : AF_INET);
  if (rc == 0 && !c->host_set)
    rc = probe_bind(c, AF_INET6);
  return rc == 1;
}

static int run_check(const struct cli *c) {
  struct hl_port_report rep = {0};
  char err[256];
  if (collect(c, NULL, &rep, err, sizeof(err)) != 0) {
    if (!c->quiet)
      errmsg("%s; probing the port instead", err);
    hl_port_report_free(&rep);
    return probe_port(c);
  }
  size_t hits = 0;
  for (size_t i = 0; i < rep.n; i++) {
    const struct hl_port_rec *r = &rep.r[i];
    if (!check_matches(c, r))
      continue;
    hits++;
    if (!c->quiet) {
      char ep[96];
      char who[512];
      printf("%s in use by %s\n", endpoint(r, ep, sizeof(ep)),
             owner_desc(r, who, sizeof(who)));
    }
  }
  hl_port_report_free(&rep);
  char what[96];
  check_target(c, what, sizeof(what));
  if (hits == 0 && bound_elsewhere(c)) {
    if (!c->quiet)
      printf("%s in use by a bound socket that is not listening "
             "(owner unknown)\n",
             what);
    return EXIT_IN_USE;
  }
  if (hits == 0 && !c->quiet)
    printf("%s is free\n", what);
  return hits != 0 ? EXIT_IN_USE : EXIT_FREE_OK;
}

int main(int argc, char **argv) {
  struct cli c = {
      .proc_root = "/proc",
      .docker_socket = HL_DOCKER_SOCKET,
      .proto = IPPROTO_TCP,
  };
  const char *env = getenv("HL_PROC_ROOT");
  if (env != NULL && env[0] != '\0')
    c.proc_root = env;
  int rc = parse_args(argc, argv, &c);
  if (rc != 0)
    return rc > 0 ? EXIT_FREE_OK : EXIT_ERROR;
  rc = c.check ? run_check(&c) : run_report(&c);
  if (fflush(stdout) != 0 && rc != EXIT_ERROR) {
    errmsg("writing to standard output: %s", strerror(errno));
    rc = EXIT_ERROR;
  }
  return rc;
}
