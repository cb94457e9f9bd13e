#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The psutil approach of the reference tool, as a timed side of bench/ports.sh.

It does what the Python port report that homelab-port-report replaces did to
list ports: psutil.net_connections(kind="inet") (which parses
/proc/net/{tcp,tcp6,udp,udp6} and maps every socket inode to its pid by
reading every /proc/<pid>/fd link on the machine), keeps the connections in
LISTEN state, and asks psutil.Process(pid).name() for each of them. UDP
sockets never have the LISTEN status in psutil (their status is NONE), so,
like the reference tool, this misses every bound UDP socket; bench/ports.sh
records that. By default only the name is asked for (the lower bound of the
reference tool's cost); --details also asks username() and cmdline() per
connection, as the reference tool had to for its user and cmdline fields.

usage: ports_psutil.py [--details] OUT
  OUT: JSON list of [proto, ip, port, pid, name(, user, cmdline)];
       "/dev/null" for timed runs.
Run it with Debian's /usr/bin/python3 and python3-psutil.
"""
import json
import socket
import sys

import psutil


def main():
    args = sys.argv[1:]
    details = bool(args) and args[0] == "--details"
    if details:
        args = args[1:]
    if len(args) != 1:
        sys.stderr.write(__doc__)
        return 2
    rows = []
    for c in psutil.net_connections(kind="inet"):
        if c.status != psutil.CONN_LISTEN:
            continue
        owner = [None, None, None] if details else [None]
        if c.pid is not None:
            try:
                p = psutil.Process(c.pid)
                owner[0] = p.name()
                if details:
                    owner[1] = p.username()
                    owner[2] = " ".join(p.cmdline())
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                pass
        proto = "tcp" if c.type == socket.SOCK_STREAM else "udp"
        rows.append([proto, c.laddr.ip, c.laddr.port, c.pid] + owner)
    rows.sort(key=lambda r: (r[0], r[2], r[1]))
    with open(args[0], "w", encoding="utf-8") as f:
        json.dump(rows, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
