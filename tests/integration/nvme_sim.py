#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""nvme_sim.py: the data behind nvme_shim.c, a simulated NVMe controller
for the real homelab_nvme plugin (tests/integration/suite_sim.sh,
scripts/demo --simulate).

Writes, for controller CTRL below DIR:
  DIR/dev/CTRL                 a character device node (mknod 1:3, the
                               same numbers as /dev/null; the plugin only
                               checks that it is one, the shim answers)
  DIR/CTRL/id-ctrl.bin         Identify Controller (4096 bytes): model
                               "homelab sim NVMe 1TB", serial "HLSIM0001",
                               firmware "HLSIM1.0", WCTEMP 343 K (70 °C),
                               CCTEMP 358 K (85 °C), 1 TB capacity, 1 ns
  DIR/CTRL/ns-list.bin         active namespace list: NSID 1
  DIR/CTRL/id-ns-1.bin         Identify Namespace 1: 1 TB, 512-byte blocks,
                               38 % in use
  DIR/CTRL/smart.bin           SMART / Health log (512 bytes), rewritten
                               atomically every --tick seconds with
                               --follow: the composite temperature drifts
                               around 38 °C (+-3 °C over a minute), the data
                               unit, command and busy counters grow
Field offsets as in NVMe base spec 2.0, figure 207 (the same layout as
tests/fixtures/nvme/gen_fixtures.py).

With --follow it runs until SIGTERM/SIGINT (exit 0) and, on every tick,
applies DIR/CTRL/override.json if it exists: a JSON object with any of
"crit" (critical warning byte, e.g. 4 = reliability degraded), "temp_c",
"spare", "used", "media_errors", "error_log_entries". Deleting the file
returns to the simulated values. Writes "ready" to --ready once the files
exist.

  nvme_sim.py --dir D [--ctrl nvme0] [--follow] [--tick 1] [--ready F]
"""
import argparse
import json
import math
import os
import signal
import stat
import struct
import sys
import time


def u128(v):
    return (v & ((1 << 128) - 1)).to_bytes(16, "little")


def pad(s, n):
    return s.encode().ljust(n, b" ")[:n]


def id_ctrl():
    b = bytearray(4096)
    struct.pack_into("<HH", b, 0, 0x1B36, 0x1AF4)
    b[4:24], b[24:64], b[64:72] = (pad("HLSIM0001", 20),
                                   pad("homelab sim NVMe 1TB", 40),
                                   pad("HLSIM1.0", 8))
    b[261] = 0x07                                  # LPA
    struct.pack_into("<HH", b, 266, 343, 358)      # WCTEMP, CCTEMP (K)
    b[280:296] = u128(1000204886016)               # TNVMCAP
    struct.pack_into("<I", b, 516, 1)              # NN
    return bytes(b)


def id_ns():
    b = bytearray(4096)
    blocks = 1953525168
    struct.pack_into("<QQQ", b, 0, blocks, blocks, int(blocks * 0.38))
    b[25], b[26] = 0, 0                            # NLBAF 0, FLBAS 0
    struct.pack_into("<HBB", b, 128, 0, 9, 0)      # LBAF0: 512 bytes
    return bytes(b)


def ns_list():
    b = bytearray(4096)
    struct.pack_into("<I", b, 0, 1)
    return bytes(b)


def smart(elapsed, ov):
    temp_c = ov.get("temp_c",
                    38.0 + 3.0 * math.sin(2 * math.pi * elapsed / 60.0))
    temp_k = int(round(temp_c + 273.15))
    b = bytearray(512)
    b[0] = int(ov.get("crit", 0)) & 0xFF
    struct.pack_into("<H", b, 1, temp_k)
    b[3] = int(ov.get("spare", 100))
    b[4] = 10                                      # spare threshold
    b[5] = int(ov.get("used", 4))
    t = int(elapsed)
    counters = (61234567 + 40 * t,                 # data units read
                48765432 + 25 * t,                 # data units written
                987654321 + 900 * t,               # host reads
                876543210 + 600 * t,               # host writes
                4321 + t // 60,                    # busy minutes
                812, 9123 + t // 3600, 14,         # cycles, POH, unsafe
                int(ov.get("media_errors", 0)),
                int(ov.get("error_log_entries", 3)))
    for off, v in zip(range(32, 192, 16), counters):
        b[off:off + 16] = u128(v)
    struct.pack_into("<II", b, 192, 0, 0)          # warn/crit temp minutes
    struct.pack_into("<8H", b, 200, temp_k + 2, temp_k - 3, 0, 0, 0, 0, 0, 0)
    return bytes(b)


def write(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--ctrl", default="nvme0")
    ap.add_argument("--follow", action="store_true")
    ap.add_argument("--tick", type=float, default=1.0)
    ap.add_argument("--ready")
    o = ap.parse_args()
    if not o.ctrl.startswith("nvme") or not o.ctrl[4:].isdigit():
        ap.error("--ctrl must be nvmeN")
    dev = os.path.join(o.dir, "dev")
    data = os.path.join(o.dir, o.ctrl)
    os.makedirs(dev, exist_ok=True)
    os.makedirs(data, exist_ok=True)
    node = os.path.join(dev, o.ctrl)
    if not os.path.exists(node):
        try:
            os.mknod(node, 0o600 | stat.S_IFCHR, os.makedev(1, 3))
        except OSError as e:
            print(f"nvme_sim: mknod {node}: {e.strerror}", file=sys.stderr)
            return 2
    write(os.path.join(data, "id-ctrl.bin"), id_ctrl())
    write(os.path.join(data, "id-ns-1.bin"), id_ns())
    write(os.path.join(data, "ns-list.bin"), ns_list())
    t0 = time.time()
    override = os.path.join(data, "override.json")

    def tick():
        ov = {}
        try:
            with open(override) as f:
                ov = json.load(f)
        except (OSError, ValueError):
            ov = {}
        if not isinstance(ov, dict):
            ov = {}
        write(os.path.join(data, "smart.bin"), smart(time.time() - t0, ov))

    tick()
    if o.ready:
        with open(o.ready, "w") as f:
            f.write("ready\n")
    if not o.follow:
        return 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while True:
            time.sleep(o.tick)
            tick()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
