#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""ICMP echo responder with a configured delay and a deterministic loss
pattern, for network namespaces where the kernel's own echo replies are off
(sysctl net.ipv4.icmp_echo_ignore_all=1). The kernel has no netem here, so
this stands in for "a link with 50 ms delay and 20 % loss".

It reads echo requests on an IPv4 raw socket, counts them per (source,
identifier), i.e. per prober (1, 2, 3, ...), drops every Nth one (--drop-every N: requests N, 2N, ... get no answer) and
answers the others after --delay-ms with an echo reply carrying the same
identifier, sequence and payload. --dup K additionally sends every Kth
reply twice (to exercise duplicate handling). Writes "ready" to --ready
(a file) once the socket is open; runs until killed. Needs CAP_NET_RAW.
"""
import argparse
import heapq
import select
import socket
import struct
import time


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def make_reply(icmp: bytes) -> bytes:
    body = bytes([0, 0, 0, 0]) + icmp[4:]
    c = checksum(body)
    return bytes([0, 0]) + struct.pack("!H", c) + icmp[4:]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--delay-ms", type=float, default=50.0)
    ap.add_argument("--drop-every", type=int, default=0)
    ap.add_argument("--dup", type=int, default=0)
    ap.add_argument("--ready", default="")
    a = ap.parse_args()

    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    if a.ready:
        with open(a.ready, "w", encoding="ascii") as f:
            f.write("ready\n")
    pending = []  # (due, n, src, reply)
    counts = {}  # (src, identifier) -> requests seen
    answered = 0
    while True:
        now = time.monotonic()
        while pending and pending[0][0] <= now:
            _, _, src, reply = heapq.heappop(pending)
            s.sendto(reply, (src, 0))
        wait = max(0.0, pending[0][0] - now) if pending else None
        r, _, _ = select.select([s], [], [], wait)
        if not r:
            continue
        pkt, (src, _) = s.recvfrom(65535)
        ihl = (pkt[0] & 0x0F) * 4
        icmp = pkt[ihl:]
        if len(icmp) < 8 or icmp[0] != 8 or icmp[1] != 0:
            continue
        key = (src, icmp[4:6])
        n = counts[key] = counts.get(key, 0) + 1
        if a.drop_every and n % a.drop_every == 0:
            continue
        answered += 1
        due = time.monotonic() + a.delay_ms / 1000.0
        reply = make_reply(icmp)
        heapq.heappush(pending, (due, answered, src, reply))
        if a.dup and answered % a.dup == 0:
            heapq.heappush(pending, (due + 0.001, -answered, src, reply))


if __name__ == "__main__":
    main()
