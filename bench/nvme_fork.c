// SPDX-License-Identifier: MIT
/*
 * nvme_fork: the "fork a tool per read" side of bench/nvme.sh.
 *
 * It runs one command N times, one after the other, the way a poller that
 * shells out per read does (Telegraf's and Netdata's NVMe collectors, the
 * reference tool): fork, exec, wait4. Each run is measured around exactly
 * that, so no shell or wrapper is inside the figures:
 *   - the child's CPU time: ru_utime + ru_stime from wait4(2), i.e. exec,
 *     the dynamic loader, the tool's own work and its system calls (what
 *     `/usr/bin/time -f "%U %S"` prints);
 *   - the parent's CPU time for fork + wait4 (CLOCK_PROCESS_CPUTIME_ID of
 *     this process around them): what the poller itself pays to spawn;
 *   - wall time (CLOCK_MONOTONIC) from fork to the end of wait4.
 * The child's stdout goes to OUT ("/dev/null" to discard), stderr is
 * inherited. A pause of PAUSE_US microseconds separates the runs (outside
 * the measurement).
 *
 *   nvme_fork [-n N] [-p PAUSE_US] OUT CMD [ARG...]
 *
 * Output: one line of key=value pairs: runs, failures (runs whose exit
 * status was not 0), child_cpu_us_{min,median,p90,max,mean},
 * child_sys_us_{median,mean} (the system part of the child's CPU time:
 * Linux splits the precise total by sampled ticks, so it is approximate),
 * parent_cpu_us_{median,mean}, wall_us_{min,median,p90,mean} and
 * maxrss_kb_median (the child's peak RSS).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct run {
  double child_cpu, child_sys, parent_cpu, wall, maxrss;
};

static double clock_us(clockid_t clock) {
  struct timespec ts = {0};
  clock_gettime(clock, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int parse_long(const char *s, long min, long max, long *out) {
  char *end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
    return -1;
  *out = v;
  return 0;
}

static void pause_us(long usec) {
  struct timespec ts = {.tv_sec = usec / 1000000,
                        .tv_nsec = (usec % 1000000) * 1000};
  while (usec > 0 && nanosleep(&ts, &ts) != 0 && errno == EINTR)
    ;
}

/* One fork/exec/wait4 of argv; the exit status (128 + signal if killed),
 * or -1 if the fork failed. */
static int run_once(const char *out, char **argv, struct run *r) {
  double c0 = clock_us(CLOCK_PROCESS_CPUTIME_ID);
  double t0 = clock_us(CLOCK_MONOTONIC);
  pid_t pid = fork();
  if (pid < 0) {
    perror("nvme_fork: fork");
    return -1;
  }
  if (pid == 0) {
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0) {
      perror("nvme_fork: output");
      _exit(126);
    }
    execvp(argv[0], argv);
    perror("nvme_fork: exec");
    _exit(127);
  }
  int status = 0;
  struct rusage ru;
  memset(&ru, 0, sizeof(ru));
  while (wait4(pid, &status, 0, &ru) < 0) {
    if (errno != EINTR) {
      perror("nvme_fork: wait4");
      return -1;
    }
  }
  r->wall = clock_us(CLOCK_MONOTONIC) - t0;
  r->parent_cpu = clock_us(CLOCK_PROCESS_CPUTIME_ID) - c0;
  r->child_cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
                 (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
  r->child_sys = (double)ru.ru_stime.tv_sec * 1e6 + (double)ru.ru_stime.tv_usec;
  r->maxrss = (double)ru.ru_maxrss;
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Sorts v[0..n) and prints " NAME_min=.. NAME_median=.. ..." as chosen. */
static void stats(const char *name, double *v, long n, int full) {
  double sum = 0;
  for (long i = 0; i < n; i++)
    sum += v[i];
  qsort(v, (size_t)n, sizeof(*v), cmp_double);
  if (full)
    printf(" %s_min=%.1f", name, v[0]);
  printf(" %s_median=%.1f", name, v[n / 2]);
  if (full)
    printf(" %s_p90=%.1f %s_max=%.1f", name, v[(n * 9) / 10], name, v[n - 1]);
  printf(" %s_mean=%.1f", name, sum / (double)n);
}

int main(int argc, char **argv) {
  long n = 10, pause = 0;
  int c;
  while ((c = getopt(argc, argv, "+n:p:")) != -1) {
    switch (c) {
    case 'n':
      if (parse_long(optarg, 1, 100000, &n) != 0)
        goto usage;
      break;
    case 'p':
      if (parse_long(optarg, 0, 10000000, &pause) != 0)
        goto usage;
      break;
    default:
      goto usage;
    }
  }
  if (argc - optind < 2)
    goto usage;
  const char *out = argv[optind];
  char **cmd = argv + optind + 1;

  double *v = calloc((size_t)n * 5, sizeof(*v));
  if (v == NULL)
    return 3;
  double *child = v, *parent = v + n, *wall = v + 2 * n, *rss = v + 3 * n;
  double *sys = v + 4 * n;
  long failures = 0;
  for (long i = 0; i < n; i++) {
    struct run r = {0};
    int rc = run_once(out, cmd, &r);
    if (rc < 0) {
      free(v);
      return 1;
    }
    if (rc != 0)
      failures++;
    child[i] = r.child_cpu;
    sys[i] = r.child_sys;
    parent[i] = r.parent_cpu;
    wall[i] = r.wall;
    rss[i] = r.maxrss;
    pause_us(pause);
  }
  printf("runs=%ld failures=%ld", n, failures);
  stats("child_cpu_us", child, n, 1);
  stats("child_sys_us", sys, n, 0);
  stats("parent_cpu_us", parent, n, 0);
  stats("wall_us", wall, n, 1);
  qsort(rss, (size_t)n, sizeof(*rss), cmp_double);
  printf(" maxrss_kb_median=%.0f\n", rss[n / 2]);
  free(v);
  return failures == 0 ? 0 : 1;

usage:
  fputs("usage: nvme_fork [-n N] [-p PAUSE_US] OUT CMD [ARG...]\n", stderr);
  return 2;
}
