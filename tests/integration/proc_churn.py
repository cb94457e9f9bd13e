#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""proc_churn.py: many short-lived processes holding sockets, so that
/proc/<pid> entries (and their fd directories) vanish while a scanner walks
them (tests/integration/test_faults.sh, homelab_ports).

For --seconds, keeps --alive child processes running. Each child opens a
listening TCP socket and a bound UDP socket on 127.0.0.1, on ports from the
range --ports LO-HI (another port of the range when one is taken), plus
--fds extra pipe descriptors (a longer fd directory to walk), lives a random
5..150 ms and exits; the parent starts a new one as soon as one is gone.
Prints "forked N" at the end; exit 0.

  proc_churn.py --seconds S --ports LO-HI [--alive N] [--fds N]
"""
import argparse
import os
import random
import socket
import sys
import time


def child(lo, hi, fds):
    held = []
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        for _ in range(20):
            s = socket.socket(socket.AF_INET, kind)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", random.randint(lo, hi)))
            except OSError:
                s.close()
                continue
            if kind == socket.SOCK_STREAM:
                s.listen(1)
            held.append(s)
            break
    for _ in range(fds):
        held.extend(os.pipe())
    time.sleep(random.uniform(0.005, 0.15))
    os._exit(0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, required=True)
    ap.add_argument("--ports", required=True)
    ap.add_argument("--alive", type=int, default=40)
    ap.add_argument("--fds", type=int, default=16)
    o = ap.parse_args()
    lo, _, hi = o.ports.partition("-")
    lo, hi = int(lo), int(hi)
    end = time.monotonic() + o.seconds
    alive = forked = 0
    while time.monotonic() < end:
        while alive < o.alive:
            pid = os.fork()
            if pid == 0:
                random.seed()
                child(lo, hi, o.fds)
            alive += 1
            forked += 1
        try:
            pid, _ = os.waitpid(-1, 0)
            if pid > 0:
                alive -= 1
        except ChildProcessError:
            alive = 0
    while alive > 0:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            break
        alive -= 1
    print(f"forked {forked}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
