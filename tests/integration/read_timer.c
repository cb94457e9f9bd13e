// SPDX-License-Identifier: MIT
/*
 * read_timer.c: times every read callback of the homelab plugins in a real
 * collectd, for tests/integration/test_faults.sh. collectd logs a read's
 * duration only when it exceeds the interval, and its own symbols cannot be
 * interposed with LD_PRELOAD (the executable is searched first), so this is
 * an rtld audit module (LD_AUDIT, see rtld-audit(7)): when a homelab_*.so
 * binds plugin_register_complex_read, the binding is redirected to a wrapper
 * that registers a timing trampoline around the plugin's callback. Each read
 * then appends one line to $HL_READ_TIMER_LOG:
 *
 *   <callback name> <start, Unix seconds> <duration, seconds> <status>
 *
 * with one write(2) per line (O_APPEND), so concurrent read threads never
 * interleave. The plugin's own user data and free function are kept and
 * called exactly as the daemon would. Nothing else is changed.
 *
 * Build: cc -shared -fPIC -O2 -o read_timer.so read_timer.c
 * Use:   LD_AUDIT=/path/read_timer.so HL_READ_TIMER_LOG=/path/reads.log \
 *        collectd -C collectd.conf -f
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* collectd's types (daemon/plugin.h, utils/time.h), same layout */
typedef uint64_t cdtime_t;
struct user_data {
  void *data;
  void (*free_func)(void *);
};
typedef int (*read_cb)(struct user_data *);
typedef int (*register_fn)(const char *, const char *, read_cb, cdtime_t,
                           const struct user_data *);

/*
 * The audit module runs with its own copy of the C library, whose
 * thread-local state (locale, errno) is not set up in the daemon's read
 * threads: snprintf("%f") there crashes. So the trampoline uses no library
 * function but clock_gettime() and syscall(), and fixed slots instead of
 * malloc().
 */
#define SLOTS 256

/* One wrapped callback: the plugin's callback and user data. */
struct timed {
  char name[200];
  read_cb cb;
  struct user_data ud;
};

static struct timed slot[SLOTS];
static unsigned nslot;
static register_fn real_register;
static int log_fd = -1;

static int64_t now_us(clockid_t clk) {
  struct timespec ts;
  clock_gettime(clk, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Appends @s to @p (up to @end); returns the new end of the text. */
static char *put_str(char *p, char *end, const char *s) {
  while (*s != '\0' && p < end)
    *p++ = *s++;
  return p;
}

/* Appends @v (>= 0) with @frac decimals of 10^-frac units. */
static char *put_fixed(char *p, char *end, int64_t v, int frac) {
  char d[32];
  int n = 0;
  if (v < 0)
    v = 0;
  do {
    d[n++] = (char)('0' + v % 10);
    v /= 10;
  } while ((v > 0 || n <= frac) && n < (int)sizeof(d));
  while (n > 0 && p < end) {
    if (n == frac && p < end)
      *p++ = '.';
    *p++ = d[--n];
  }
  return p;
}

static int timed_read(struct user_data *ud) {
  struct timed *t = ud->data;
  int64_t wall = now_us(CLOCK_REALTIME);
  int64_t a = now_us(CLOCK_MONOTONIC);
  int rc = t->cb(&t->ud);
  int64_t b = now_us(CLOCK_MONOTONIC);
  if (log_fd >= 0) {
    char line[320];
    char *p = line, *end = line + sizeof(line) - 1;
    p = put_str(p, end, t->name);
    p = put_str(p, end, " ");
    p = put_fixed(p, end, wall, 6);
    p = put_str(p, end, " ");
    p = put_fixed(p, end, b - a, 6);
    p = put_str(p, end, rc == 0 ? " 0" : " -1");
    *p++ = '\n';
    syscall(SYS_write, log_fd, line, (size_t)(p - line));
  }
  return rc;
}

static void timed_free(void *p) {
  struct timed *t = p;
  if (t != NULL && t->ud.free_func != NULL)
    t->ud.free_func(t->ud.data);
}

/* What a homelab plugin calls instead of the daemon's function (config and
 * init run in the daemon's main thread, one at a time). */
static int timed_register(const char *group, const char *name, read_cb cb,
                          cdtime_t interval, const struct user_data *ud) {
  if (nslot >= SLOTS || name == NULL)
    return real_register(group, name, cb, interval, ud);
  struct timed *t = &slot[nslot++];
  size_t i = 0;
  for (; name[i] != '\0' && i + 1 < sizeof(t->name); i++)
    t->name[i] = name[i] == ' ' ? '_' : name[i];
  t->name[i] = '\0';
  t->cb = cb;
  if (ud != NULL)
    t->ud = *ud;
  struct user_data w = {.data = t, .free_func = timed_free};
  /* on failure the daemon frees @w itself, as it would the plugin's */
  return real_register(group, name, timed_read, interval, &w);
}

unsigned int la_version(unsigned int version) {
  const char *path = getenv("HL_READ_TIMER_LOG");
  if (path != NULL && path[0] != '\0')
    log_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  return version < LAV_CURRENT ? version : LAV_CURRENT;
}

/* Cookie: 1 for homelab_*.so (bindings from it are looked at), else 0. */
unsigned int la_objopen(struct link_map *map, Lmid_t lmid, uintptr_t *cookie) {
  (void)lmid;
  const char *base = strrchr(map->l_name, '/');
  base = base ? base + 1 : map->l_name;
  *cookie = strncmp(base, "homelab_", 8) == 0;
  return LA_FLG_BINDTO | LA_FLG_BINDFROM;
}

uintptr_t la_symbind64(Elf64_Sym *sym, unsigned int ndx, uintptr_t *refcook,
                       uintptr_t *defcook, unsigned int *flags,
                       const char *symname) {
  (void)ndx;
  (void)defcook;
  (void)flags;
  if (*refcook == 1 && strcmp(symname, "plugin_register_complex_read") == 0) {
    if (real_register == NULL)
      real_register = (register_fn)sym->st_value;
    return (uintptr_t)timed_register;
  }
  return sym->st_value;
}
