// SPDX-License-Identifier: MIT
/*
 * nvme_shim.c: a simulated NVMe controller for the real homelab_nvme plugin
 * on machines without one (tests/integration/suite_sim.sh, scripts/demo
 * --simulate). Preloaded into collectd (LD_PRELOAD), it answers the NVMe
 * admin ioctls that libnvme sends on a descriptor of a device node below
 * $HL_NVME_SHIM/dev/ with the bytes of files that nvme_sim.py wrote:
 *
 *   Get Log Page, LID 0x02 (SMART / Health)   $HL_NVME_SHIM/<ctrl>/smart.bin
 *   Identify CNS 0x01 (controller)            $HL_NVME_SHIM/<ctrl>/id-ctrl.bin
 *   Identify CNS 0x02 (active namespace list) $HL_NVME_SHIM/<ctrl>/ns-list.bin
 *   Identify CNS 0x00 (namespace N)           $HL_NVME_SHIM/<ctrl>/id-ns-N.bin
 *
 * The files are read again on every command, so a test can change the
 * drive while collectd runs (rewrite smart.bin atomically). Any other
 * command, or a missing file, is answered with the NVMe status "Invalid
 * Field in Command" (0x2), as a drive does. Every other ioctl, and ioctls
 * on any other descriptor, go to the C library untouched. The device nodes
 * themselves are character devices made with mknod (the plugin checks
 * S_ISCHR); what they point to is never read or written.
 *
 * Build: cc -shared -fPIC -O2 -o nvme_shim.so nvme_shim.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/nvme_ioctl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define SHIM_INVALID_FIELD 0x2 /* NVMe generic status: Invalid Field */

typedef int (*ioctl_fn)(int, unsigned long, ...);

/* The controller name ("nvme0") of @fd if it is one of our device nodes. */
static int shim_ctrl(int fd, char *ctrl, size_t len) {
  const char *root = getenv("HL_NVME_SHIM");
  if (root == NULL || root[0] == '\0')
    return -1;
  char link[64], path[4096], prefix[4096];
  int n = snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  if (n < 0 || (size_t)n >= sizeof(link))
    return -1;
  ssize_t r = readlink(link, path, sizeof(path) - 1);
  if (r < 0)
    return -1;
  path[r] = '\0';
  n = snprintf(prefix, sizeof(prefix), "%s/dev/", root);
  if (n < 0 || (size_t)n >= sizeof(prefix) || strncmp(path, prefix, n) != 0)
    return -1;
  const char *name = path + n;
  if (strncmp(name, "nvme", 4) != 0 || strchr(name, '/') != NULL ||
      strlen(name) >= len)
    return -1;
  memcpy(ctrl, name, strlen(name) + 1);
  return 0;
}

/* Copies @file of @ctrl from byte @off into @buf (zero-filled beyond the
 * file). Returns 0, or -1 when the file cannot be read. */
static int shim_fill(const char *ctrl, const char *file, uint64_t off,
                     void *buf, uint32_t len) {
  char path[4096];
  int n = snprintf(path, sizeof(path), "%s/%s/%s", getenv("HL_NVME_SHIM"), ctrl,
                   file);
  if (n < 0 || (size_t)n >= sizeof(path))
    return -1;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  memset(buf, 0, len);
  ssize_t got = pread(fd, buf, len, (off_t)off);
  close(fd);
  return got < 0 ? -1 : 0;
}

/* One admin command; returns the ioctl result (0 or an NVMe status). */
static int shim_admin(const char *ctrl, uint8_t opcode, uint32_t nsid,
                      uint32_t cdw10, uint32_t cdw12, uint32_t cdw13,
                      uint64_t addr, uint32_t len) {
  void *buf = (void *)(uintptr_t)addr;
  if (buf == NULL || len == 0)
    return SHIM_INVALID_FIELD;
  if (opcode == 0x02 && (cdw10 & 0xff) == 0x02) {
    uint64_t off = ((uint64_t)cdw13 << 32) | cdw12;
    return shim_fill(ctrl, "smart.bin", off, buf, len) == 0
               ? 0
               : SHIM_INVALID_FIELD;
  }
  if (opcode == 0x06) {
    char file[64];
    switch (cdw10 & 0xff) {
    case 0x00:
      snprintf(file, sizeof(file), "id-ns-%u.bin", (unsigned)nsid);
      break;
    case 0x01:
      snprintf(file, sizeof(file), "id-ctrl.bin");
      break;
    case 0x02:
      snprintf(file, sizeof(file), "ns-list.bin");
      break;
    default:
      return SHIM_INVALID_FIELD;
    }
    return shim_fill(ctrl, file, 0, buf, len) == 0 ? 0 : SHIM_INVALID_FIELD;
  }
  return SHIM_INVALID_FIELD;
}

int ioctl(int fd, unsigned long req, ...) {
  va_list ap;
  va_start(ap, req);
  void *arg = va_arg(ap, void *);
  va_end(ap);
  char ctrl[64];
  if ((req == NVME_IOCTL_ADMIN_CMD || req == NVME_IOCTL_ADMIN64_CMD) &&
      arg != NULL && shim_ctrl(fd, ctrl, sizeof(ctrl)) == 0) {
    if (req == NVME_IOCTL_ADMIN_CMD) {
      struct nvme_passthru_cmd *c = arg;
      c->result = 0;
      return shim_admin(ctrl, c->opcode, c->nsid, c->cdw10, c->cdw12, c->cdw13,
                        c->addr, c->data_len);
    }
    struct nvme_passthru_cmd64 *c = arg;
    c->result = 0;
    return shim_admin(ctrl, c->opcode, c->nsid, c->cdw10, c->cdw12, c->cdw13,
                      c->addr, c->data_len);
  }
  static ioctl_fn real;
  if (real == NULL)
    real = (ioctl_fn)dlsym(RTLD_NEXT, "ioctl");
  if (real == NULL) {
    errno = ENOSYS;
    return -1;
  }
  return real(fd, req, arg);
}
