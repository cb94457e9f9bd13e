#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# listeners.py: one process holding real sockets for test_ports.sh. Every
# SPEC opens one socket, on PORT if the SPEC ends in /PORT, else on a port
# the kernel picks (bind to port 0):
#
#   tcp/ADDR       TCP socket listening on ADDR (IPv4 or IPv6 literal)
#   tcpdual/ADDR   TCP listener on an IPv6 ADDR without IPV6_V6ONLY ("::"
#                  then takes IPv4 too, ss shows it as "*"; an IPv4-mapped
#                  ADDR such as ::ffff:127.0.0.1 needs it)
#   udp/ADDR       UDP socket bound to ADDR, not connected (ss: UNCONN)
#   udpconn/ADDR   UDP socket bound to ADDR and connected to ADDR:9, which
#                  is not a bound-but-unconnected socket and must not be
#                  listed as one
#
# Other IPv6 sockets are IPV6_V6ONLY. --comm sets the process name (prctl
# PR_SET_NAME, at most 15 bytes kept by the kernel) before anything is
# bound. --share forks a child that holds the same sockets (like a
# pre-forked worker; it dies with its parent through PR_SET_PDEATHSIG).
# --note TEXT is ignored: it only puts TEXT into /proc/<pid>/cmdline.
#
# When every socket is open, OUT is written atomically (temp + rename) as
# JSON: {"pid": N, "children": [N...], "comm": "...", "sockets": [{"proto":
# "tcp"|"udp", "addr": "...", "port": N, "connected": bool}]}. Then the
# process waits until it is killed (SIGTERM/SIGINT end it at once).
#
# Usage: listeners.py --out OUT [--comm NAME] [--share] [--note TEXT]...
#                     SPEC...
# (every kind takes the optional /PORT, e.g. udp/::1/5353)
# Exit status 2: bad arguments or a socket could not be opened.

import argparse
import ctypes
import json
import os
import signal
import socket
import sys
import time

PR_SET_NAME = 15
PR_SET_PDEATHSIG = 1


def prctl(option, arg):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(option, arg, 0, 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def open_socket(spec):
    kind, _, addr = spec.partition("/")
    addr, _, port = addr.partition("/")
    if kind not in ("tcp", "tcpdual", "udp", "udpconn") or not addr or \
            not (port == "" or port.isdigit() and int(port) < 65536):
        raise ValueError(f"bad SPEC {spec!r}")
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    if kind == "tcpdual" and family != socket.AF_INET6:
        raise ValueError(f"bad SPEC {spec!r}: tcpdual needs an IPv6 address")
    stream = kind in ("tcp", "tcpdual")
    s = socket.socket(family, socket.SOCK_STREAM if stream else socket.SOCK_DGRAM)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, kind != "tcpdual")
    s.bind((addr, int(port or 0)))
    if stream:
        s.listen(16)
    elif kind == "udpconn":
        s.connect((addr, 9))
    port = s.getsockname()[1]
    return s, {"proto": "tcp" if stream else "udp", "addr": addr,
               "port": port, "connected": kind == "udpconn"}


def main(argv):
    p = argparse.ArgumentParser(description="Hold test sockets open.")
    p.add_argument("--out", required=True)
    p.add_argument("--comm")
    p.add_argument("--share", action="store_true")
    p.add_argument("--note", action="append", default=[])
    p.add_argument("specs", nargs="+", metavar="SPEC")
    o = p.parse_args(argv)

    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGINT, lambda *_: os._exit(0))
    try:
        if o.comm is not None:
            name = os.fsencode(o.comm)
            if len(name) > 15:
                raise ValueError("--comm: more than 15 bytes")
            prctl(PR_SET_NAME, ctypes.c_char_p(name))
        socks, info = [], []
        for spec in o.specs:
            s, d = open_socket(spec)
            socks.append(s)
            info.append(d)
    except (OSError, ValueError) as e:
        print(f"listeners.py: {e}", file=sys.stderr)
        return 2

    parent = os.getpid()
    children = []
    if o.share:
        child = os.fork()
        if child == 0:
            try:
                prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
                if os.getppid() != parent:  # parent died before prctl
                    os._exit(0)
                while True:
                    time.sleep(3600)
            finally:
                os._exit(0)
        children.append(child)

    with open("/proc/self/comm", encoding="utf-8", errors="replace") as f:
        comm = f.read().rstrip("\n")
    tmp = f"{o.out}.{parent}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump({"pid": parent, "children": children, "comm": comm,
                   "sockets": info}, f)
    os.rename(tmp, o.out)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
