// SPDX-License-Identifier: MIT
/*
 * portload: the load generator and run timer of bench/ports.sh.
 *
 * Generator mode (default) opens N TCP listeners and U bound UDP sockets on
 * loopback, spread over P worker processes (fork), each worker also holding
 * F other fds (/dev/null, pipe ends, AF_UNIX socketpair ends: what real
 * processes hold). TCP socket j listens on port TCPBASE + j, UDP socket k is
 * bound to UDPBASE + k; even indexes use 127.0.0.1 and odd ones ::1; socket j
 * belongs to worker j % P. Every worker reports "ok" or its error over one
 * pipe (one short write, atomic); when all P are ready the leader writes the
 * expected table "proto address port pid" (one line per socket) to EXPECTED
 * and then creates READY (written to a temporary name and renamed). It then
 * waits for SIGTERM/SIGINT or MAXSEC seconds, kills the workers and exits.
 * Workers die with the leader (PR_SET_PDEATHSIG) and on their own alarm, so
 * nothing outlives a bounded run. Run it in a private network namespace:
 * its binds must not clash with anything.
 *
 *   portload [-n N] [-u U] [-p P] [-f F] [-T TCPBASE] [-U UDPBASE]
 *            [-t MAXSEC] -o EXPECTED -r READY
 *
 * Timer mode runs one command and prints what it cost, measured around
 * fork/exec/wait4 so no shell or wrapper is inside the figure:
 *
 *   portload time OUT CMD [ARG...]
 *
 * CMD's stdout goes to OUT ("/dev/null" to discard), stderr is inherited.
 * It prints "wall_us=W cpu_us=C maxrss_kb=K status=S": CLOCK_MONOTONIC
 * wall time, user+system CPU time and ru_maxrss of the child (the figures
 * `/usr/bin/time -f "%U %S %M"` prints, taken from the same wait4(2)) and
 * the exit status (128+signal if killed).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct load_opts {
  long ntcp;
  long nudp;
  long nproc;
  long nfds;
  long tcp_base;
  long udp_base;
  long max_sec;
  const char *expected;
  const char *ready;
};

static int parse_long(const char *s, long lo, long hi, long *out) {
  char *end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
    return -1;
  *out = v;
  return 0;
}

/* ---- timer mode ---------------------------------------------------------- */

static int time_one(int argc, char **argv) {
  if (argc < 4) {
    fputs("usage: portload time OUT CMD [ARG...]\n", stderr);
    return 2;
  }
  struct timespec t0 = {0};
  clock_gettime(CLOCK_MONOTONIC, &t0);
  pid_t pid = fork();
  if (pid < 0) {
    perror("portload: fork");
    return 2;
  }
  if (pid == 0) {
    int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0) {
      perror("portload: time: output");
      _exit(127);
    }
    execvp(argv[3], argv + 3);
    perror("portload: time: exec");
    _exit(127);
  }
  int status = 0;
  struct rusage ru = {0};
  while (wait4(pid, &status, 0, &ru) < 0) {
    if (errno != EINTR) {
      perror("portload: wait4");
      return 2;
    }
  }
  struct timespec t1 = {0};
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double us = (double)(t1.tv_sec - t0.tv_sec) * 1e6 +
              (double)(t1.tv_nsec - t0.tv_nsec) / 1e3;
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  double cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
               (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
  printf("wall_us=%.1f cpu_us=%.0f maxrss_kb=%ld status=%d\n", us, cpu,
         ru.ru_maxrss, code);
  return 0;
}

/* ---- generator: one worker ----------------------------------------------- */

/* Fills @ss with the loopback address of socket index @i and @port. */
static socklen_t load_addr(long i, long port, struct sockaddr_storage *ss) {
  memset(ss, 0, sizeof(*ss));
  if (i % 2 == 0) {
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return sizeof(*a);
  }
  struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
  a->sin6_family = AF_INET6;
  a->sin6_port = htons((uint16_t)port);
  a->sin6_addr = in6addr_loopback;
  return sizeof(*a);
}

/* Opens and binds socket @i of @type on @port; TCP also listens. */
static int load_bind(int type, long i, long port, char *err, size_t errlen) {
  struct sockaddr_storage ss;
  socklen_t len = load_addr(i, port, &ss);
  int fd = socket(ss.ss_family, type, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) != 0 ||
      (type == SOCK_STREAM && listen(fd, 8) != 0)) {
    snprintf(err, errlen, "%s port %ld: %s",
             type == SOCK_STREAM ? "tcp" : "udp", port, strerror(errno));
    return -1;
  }
  return 0;
}

/* Opens @n fds that are not inet sockets, cycling through kinds. */
static int load_other_fds(long n, char *err, size_t errlen) {
  long k = 0;
  for (long opened = 0; opened < n; k++) {
    int pair[2] = {-1, -1};
    int rc = 0;
    long kind = n - opened >= 2 ? k % 3 : 0;
    if (kind == 0)
      rc = open("/dev/null", O_RDONLY) < 0 ? -1 : 0;
    else if (kind == 1)
      rc = pipe(pair);
    else
      rc = socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
    if (rc != 0) {
      snprintf(err, errlen, "other fd %ld: %s", opened, strerror(errno));
      return -1;
    }
    opened += kind == 0 ? 1 : 2;
  }
  return 0;
}

/* Worker @w: binds its share, reports on @wfd, then sleeps until killed. */
static void worker(const struct load_opts *o, long w, int wfd, pid_t leader) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != leader)
    _exit(1);
  alarm((unsigned)o->max_sec + 30); /* backstop if the leader hangs */
  char err[200] = "";
  int rc = 0;
  for (long j = w; rc == 0 && j < o->ntcp; j += o->nproc)
    rc = load_bind(SOCK_STREAM, j, o->tcp_base + j, err, sizeof(err));
  for (long k = w; rc == 0 && k < o->nudp; k += o->nproc)
    rc = load_bind(SOCK_DGRAM, k, o->udp_base + k, err, sizeof(err));
  if (rc == 0)
    rc = load_other_fds(o->nfds, err, sizeof(err));
  char msg[256];
  int len = snprintf(msg, sizeof(msg), "%ld %s\n", w, rc == 0 ? "ok" : err);
  if (write(wfd, msg, (size_t)len) != len)
    _exit(1);
  close(wfd);
  if (rc != 0)
    _exit(1);
  for (;;)
    pause();
}

/* ---- generator: the leader ---------------------------------------------- */

static void kill_all(const pid_t *pids, long n) {
  for (long i = 0; i < n; i++)
    if (pids[i] > 0)
      kill(pids[i], SIGKILL);
  for (long i = 0; i < n; i++)
    if (pids[i] > 0)
      waitpid(pids[i], NULL, 0);
}

/* Reads one "W ok" line per worker; returns 0 when all are ready. */
static int await_workers(int rfd, long n) {
  char buf[8192];
  size_t have = 0;
  long ok = 0;
  struct timespec t0 = {0};
  clock_gettime(CLOCK_MONOTONIC, &t0);
  while (ok < n) {
    struct timespec now = {0};
    clock_gettime(CLOCK_MONOTONIC, &now);
    long left_ms = 120000 - ((now.tv_sec - t0.tv_sec) * 1000 +
                             (now.tv_nsec - t0.tv_nsec) / 1000000);
    struct pollfd p = {.fd = rfd, .events = POLLIN};
    if (left_ms <= 0 || poll(&p, 1, (int)left_ms) <= 0) {
      fprintf(stderr, "portload: %ld of %ld workers ready in time\n", ok, n);
      return -1;
    }
    ssize_t r = read(rfd, buf + have, sizeof(buf) - 1 - have);
    if (r <= 0) {
      fprintf(stderr, "portload: workers gone (%ld of %ld ready)\n", ok, n);
      return -1;
    }
    have += (size_t)r;
    buf[have] = '\0';
    char *line = buf;
    char *nl = NULL;
    while ((nl = strchr(line, '\n')) != NULL) {
      *nl = '\0';
      const char *sp = strchr(line, ' ');
      if (sp == NULL || strcmp(sp + 1, "ok") != 0) {
        fprintf(stderr, "portload: worker %s\n", line);
        return -1;
      }
      ok++;
      line = nl + 1;
    }
    have = strlen(line);
    memmove(buf, line, have);
  }
  return 0;
}

static int write_expected(const struct load_opts *o, const pid_t *pids) {
  FILE *f = fopen(o->expected, "w");
  if (f == NULL) {
    perror(o->expected);
    return -1;
  }
  for (long j = 0; j < o->ntcp; j++)
    fprintf(f, "tcp %s %ld %d\n", j % 2 ? "::1" : "127.0.0.1", o->tcp_base + j,
            (int)pids[j % o->nproc]);
  for (long k = 0; k < o->nudp; k++)
    fprintf(f, "udp %s %ld %d\n", k % 2 ? "::1" : "127.0.0.1", o->udp_base + k,
            (int)pids[k % o->nproc]);
  if (fclose(f) != 0) {
    perror(o->expected);
    return -1;
  }
  return 0;
}

static int write_ready(const char *path) {
  char tmp[PATH_MAX];
  if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
    return -1;
  FILE *f = fopen(tmp, "w");
  if (f == NULL || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) != 0 ||
      rename(tmp, path) != 0) {
    perror(path);
    return -1;
  }
  return 0;
}

/* Raises RLIMIT_NOFILE so one worker can hold its share. */
static int raise_nofile(const struct load_opts *o) {
  long per = (o->ntcp + o->nproc - 1) / o->nproc +
             (o->nudp + o->nproc - 1) / o->nproc + o->nfds + 16;
  struct rlimit rl = {0};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
    return -1;
  if (rl.rlim_cur != RLIM_INFINITY && (long)rl.rlim_cur < per) {
    if (rl.rlim_max != RLIM_INFINITY && (long)rl.rlim_max < per) {
      fprintf(stderr, "portload: need %ld fds per worker, hard limit %ld\n",
              per, (long)rl.rlim_max);
      return -1;
    }
    rl.rlim_cur = (rlim_t)per;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
      perror("portload: setrlimit");
      return -1;
    }
  }
  return 0;
}

static int generate(const struct load_opts *o) {
  if (raise_nofile(o) != 0)
    return 1;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGALRM);
  sigaddset(&set, SIGHUP);
  sigprocmask(SIG_BLOCK, &set, NULL); /* workers unblock below */
  int pfd[2] = {-1, -1};
  pid_t *pids = calloc((size_t)o->nproc, sizeof(*pids));
  if (pids == NULL || pipe(pfd) != 0) {
    perror("portload");
    return 1;
  }
  pid_t leader = getpid();
  for (long w = 0; w < o->nproc; w++) {
    pids[w] = fork();
    if (pids[w] < 0) {
      perror("portload: fork");
      kill_all(pids, w);
      return 1;
    }
    if (pids[w] == 0) {
      sigprocmask(SIG_UNBLOCK, &set, NULL);
      close(pfd[0]);
      worker(o, w, pfd[1], leader);
    }
  }
  close(pfd[1]);
  int status = 1;
  if (await_workers(pfd[0], o->nproc) == 0 && write_expected(o, pids) == 0 &&
      write_ready(o->ready) == 0) {
    status = 0;
    alarm((unsigned)o->max_sec);
    int sig = 0;
    sigwait(&set, &sig);
  }
  kill_all(pids, o->nproc);
  free(pids);
  return status;
}

/* Sets the numeric option @c from @arg; -1 for unknown options or values. */
static int load_opt(struct load_opts *o, int c, const char *arg) {
  static const struct {
    int c;
    size_t off;
    long lo;
    long hi;
  } spec[] = {
      {'n', offsetof(struct load_opts, ntcp), 0, 65535},
      {'u', offsetof(struct load_opts, nudp), 0, 65535},
      {'p', offsetof(struct load_opts, nproc), 1, 10000},
      {'f', offsetof(struct load_opts, nfds), 0, 100000},
      {'T', offsetof(struct load_opts, tcp_base), 1, 65535},
      {'U', offsetof(struct load_opts, udp_base), 1, 65535},
      {'t', offsetof(struct load_opts, max_sec), 1, 86400},
  };
  for (size_t i = 0; i < sizeof(spec) / sizeof(spec[0]); i++) {
    if (spec[i].c != c)
      continue;
    long *dst = (long *)((char *)o + spec[i].off);
    if (parse_long(arg, spec[i].lo, spec[i].hi, dst) == 0)
      return 0;
    fprintf(stderr, "portload: -%c: bad value \"%s\"\n", c, arg);
    return -1;
  }
  return -1;
}

static int usage(void) {
  fputs("usage: portload [-n TCP] [-u UDP] [-p PROCS] [-f FDS] [-T TCPBASE]\n"
        "                [-U UDPBASE] [-t MAXSEC] -o EXPECTED -r READY\n"
        "       portload time OUT CMD [ARG...]\n",
        stderr);
  return 2;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "time") == 0)
    return time_one(argc, argv);
  struct load_opts o = {.ntcp = 50,
                        .nudp = 20,
                        .nproc = 10,
                        .nfds = 20,
                        .tcp_base = 10000,
                        .udp_base = 30000,
                        .max_sec = 300};
  int c = 0;
  while ((c = getopt(argc, argv, "n:u:p:f:T:U:t:o:r:")) != -1) {
    if (c == 'o')
      o.expected = optarg;
    else if (c == 'r')
      o.ready = optarg;
    else if (load_opt(&o, c, optarg) != 0)
      return usage();
  }
  if (optind != argc || o.expected == NULL || o.ready == NULL)
    return usage();
  if (o.tcp_base + o.ntcp - 1 > 65535 || o.udp_base + o.nudp - 1 > 65535) {
    fputs("portload: port range exceeds 65535\n", stderr);
    return 2;
  }
  return generate(&o);
}
