#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""fault_server.py: endpoints that misbehave on demand, for the fault matrix
(tests/integration/test_faults.sh).

Each endpoint sits in front of a working backend (a simulator) and passes
traffic through until it is told to misbehave; the plugin under test is
pointed at the endpoint, so the same target fails and recovers. Endpoints:

  --tcp NAME=PORT:BHOST:BPORT     plain TCP on 127.0.0.1:PORT, backend
                                  BHOST:BPORT
  --tls NAME=PORT:BHOST:BPORT     TLS on 127.0.0.1:PORT (terminated here with
                                  --cert/--key, or --bad-cert/--bad-key in
                                  mode badcert), backend in plain TCP
  --unix NAME=PATH:BPATH          unix socket PATH, backend unix socket BPATH
  --dns PORT                      UDP 127.0.0.1:PORT answering every query
                                  with NXDOMAIN (what a name under .invalid
                                  gets from a real resolver)

Modes (an endpoint starts in "pass"):
  pass       relay bytes both ways
  refuse     nothing listens: TCP connects are refused by the kernel; a unix
             socket's file stays, connects get ECONNREFUSED
  missing    (unix) the socket file is removed: ENOENT
  hang       accept, read the request, never answer (until the peer leaves)
  drip       accept, read the request, answer a valid response 1 byte per
             second
  garbage    valid status line and headers (Content-Length 10 MiB), then
             10 MiB of random bytes, then close
  truncated  the backend's real answer to the request, with its headers but
             only the first half of its body, then close
  badcert    (tls) the handshake presents --bad-cert, a certificate no CA
             of the client signed; then as "pass"
Changing the mode closes every open connection of the endpoint, so a
client's kept-alive connection meets the new mode on its next request.

Every connection is recorded (mode, accept and close time, bytes each way,
how it ended) and returned by "stats".

Control, over the unix socket --ctl (any network namespace can reach it):
  fault_server.py ctl CTL set NAME[,NAME...] MODE    prints "ok"
  fault_server.py ctl CTL stats NAME                 prints JSON records

  fault_server.py --ctl PATH --ready FILE [--cert C --key K]
                  [--bad-cert C --bad-key K] ENDPOINTS...
Runs until SIGTERM/SIGINT; exit 2 on bad arguments or a port in use.
"""
import argparse
import json
import os
import select
import signal
import socket
import ssl
import sys
import threading
import time

GARBAGE_LEN = 10 * 1024 * 1024
MODES = ("pass", "refuse", "missing", "hang", "drip", "garbage", "truncated",
         "badcert")
DRIP_BODY = b"<?xml version=\"1.0\"?>\n<root>drip</root>\n"


def read_request(conn, limit=1 << 20):
    """Reads one HTTP request (headers and a Content-Length body); returns
    the bytes, or b"" when the peer left first."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return b""
        data += chunk
        if len(data) > limit:
            return data
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            try:
                length = int(v.strip())
            except ValueError:
                length = 0
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def read_response(sock):
    """Reads one HTTP response from @sock: (head, body). Without a
    Content-Length the body is what arrives until close or 2 s of quiet."""
    data = b""
    sock.settimeout(5)
    try:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = None
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v.strip())
        if length is None:
            sock.settimeout(2)
        while length is None or len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
    except (OSError, ValueError):
        head, _, body = data.partition(b"\r\n\r\n")
    return head, body


def wait_gone(conn, seconds):
    """Waits up to @seconds for the peer to close; True if it did."""
    end = time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return False
        r, _, _ = select.select([conn], [], [], left)
        if r:
            try:
                if not conn.recv(65536):
                    return True
            except (OSError, ssl.SSLError):
                return True


class Endpoint:
    def __init__(self, server, name, kind, addr, backend):
        self.server = server
        self.name = name
        self.kind = kind          # tcp, tls, unix
        self.addr = addr          # port or path
        self.backend = backend    # (host, port) or path
        self.mode = "pass"
        self.lock = threading.Lock()
        self.conns = set()
        self.records = []
        self.listener = None

    # -- listening --------------------------------------------------------

    def listen(self):
        if self.kind == "unix":
            try:
                os.unlink(self.addr)
            except FileNotFoundError:
                pass
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            tmp = f"{self.addr}.{os.getpid()}.tmp"
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            s.bind(tmp)
            os.chmod(tmp, 0o660)
            s.listen(64)
            os.rename(tmp, self.addr)
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", self.addr))
            s.listen(64)
        self.listener = s
        threading.Thread(target=self.accept_loop, args=(s,),
                         daemon=True).start()

    def unlisten(self, remove):
        s, self.listener = self.listener, None
        if s is not None:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        if self.kind == "unix":
            if remove:
                try:
                    os.unlink(self.addr)
                except FileNotFoundError:
                    pass
            elif not os.path.exists(self.addr):
                # a file nobody listens on: bind and close at once
                d = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                d.bind(self.addr)
                d.close()

    def set_mode(self, mode):
        with self.lock:
            self.mode = mode
            conns = list(self.conns)
            self.conns.clear()
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                c.close()
            except OSError:
                pass
        if mode in ("refuse", "missing"):
            self.unlisten(remove=mode == "missing")
        elif self.listener is None:
            if self.kind == "unix" and os.path.exists(self.addr):
                os.unlink(self.addr)
            self.listen()

    def accept_loop(self, s):
        while True:
            try:
                conn, _ = s.accept()
            except OSError:
                return
            with self.lock:
                mode = self.mode
                self.conns.add(conn)
            threading.Thread(target=self.handle, args=(conn, mode),
                             daemon=True).start()

    # -- one connection ---------------------------------------------------

    def handle(self, conn, mode):
        rec = {"mode": mode, "accept": time.time(), "in": 0, "out": 0,
               "end": ""}
        t0 = time.monotonic()
        sock = conn
        try:
            if self.kind == "tls":
                ctx = self.server.bad_ctx if mode == "badcert" \
                    else self.server.good_ctx
                conn.settimeout(5)
                sock = ctx.wrap_socket(conn, server_side=True)
                sock.settimeout(None)
                # wrap_socket() detached @conn: track the TLS socket instead
                with self.lock:
                    live = conn in self.conns
                    self.conns.discard(conn)
                    if live:
                        self.conns.add(sock)
                if not live:
                    rec["end"] = "mode changed during the handshake"
                    return
            rec["end"] = getattr(self, "do_" + mode.replace("badcert",
                                                            "pass"))(sock, rec)
        except (OSError, ssl.SSLError, ValueError) as e:
            rec["end"] = f"error: {e.__class__.__name__}: {e}"[:200]
        finally:
            rec["held"] = round(time.monotonic() - t0, 3)
            rec["close"] = time.time()
            with self.lock:
                self.conns.discard(conn)
                self.conns.discard(sock)
                self.records.append(rec)
            for c in (sock, conn):
                try:
                    c.close()
                except OSError:
                    pass

    def backend_connect(self):
        if self.kind == "unix":
            b = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            b.connect(self.backend)
        else:
            b = socket.create_connection(self.backend, timeout=5)
            b.settimeout(None)
        return b

    def do_pass(self, sock, rec):
        b = self.backend_connect()
        try:
            while True:
                pending = isinstance(sock, ssl.SSLSocket) and sock.pending()
                r = [sock] if pending else \
                    select.select([sock, b], [], [], 60)[0]
                if not r:
                    continue
                for s in r:
                    data = s.recv(65536)
                    if not data:
                        return "peer closed" if s is sock else "backend closed"
                    if s is sock:
                        rec["in"] += len(data)
                        b.sendall(data)
                    else:
                        rec["out"] += len(data)
                        sock.sendall(data)
        finally:
            b.close()

    def do_hang(self, sock, rec):
        while True:
            data = sock.recv(65536)
            if not data:
                return "peer closed"
            rec["in"] += len(data)

    def do_drip(self, sock, rec):
        req = read_request(sock)
        if not req:
            return "peer closed"
        rec["in"] += len(req)
        resp = (b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n"
                b"Content-Length: %d\r\n\r\n" % len(DRIP_BODY)) + DRIP_BODY
        for i in range(len(resp)):
            sock.sendall(resp[i:i + 1])
            rec["out"] += 1
            if wait_gone(sock, 1.0):
                return "peer closed"
        return "sent all"

    def do_garbage(self, sock, rec):
        req = read_request(sock)
        if not req:
            return "peer closed"
        rec["in"] += len(req)
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n" % GARBAGE_LEN)
        g = self.server.garbage
        for off in range(0, len(g), 65536):
            sock.sendall(g[off:off + 65536])
            rec["out"] += min(65536, len(g) - off)
        return "sent all"

    def do_truncated(self, sock, rec):
        req = read_request(sock)
        if not req:
            return "peer closed"
        rec["in"] += len(req)
        b = self.backend_connect()
        try:
            b.sendall(req)
            head, body = read_response(b)
        finally:
            b.close()
        cut = head + b"\r\n\r\n" + body[:len(body) // 2]
        sock.sendall(cut)
        rec["out"] += len(cut)
        return f"sent {len(body) // 2} of {len(body)} body bytes"

    def do_refuse(self, sock, rec):  # raced with a mode change
        return "closed"

    do_missing = do_refuse


class Server:
    def __init__(self, o):
        self.endpoints = {}
        self.garbage = os.urandom(GARBAGE_LEN)
        self.good_ctx = self.bad_ctx = None
        if o.cert:
            self.good_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.good_ctx.load_cert_chain(o.cert, o.key)
        if o.bad_cert:
            self.bad_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.bad_ctx.load_cert_chain(o.bad_cert, o.bad_key)

    def add(self, kind, spec):
        name, _, rest = spec.partition("=")
        if kind == "unix":
            path, _, bpath = rest.partition(":")
            ep = Endpoint(self, name, kind, path, bpath)
        else:
            port, host, bport = rest.split(":")
            ep = Endpoint(self, name, kind, int(port), (host, int(bport)))
        if kind == "tls" and (self.good_ctx is None or self.bad_ctx is None):
            raise ValueError("--tls needs --cert/--key and --bad-cert/--bad-key")
        self.endpoints[name] = ep
        ep.listen()

    def command(self, line):
        words = line.split()
        if len(words) == 3 and words[0] == "set" and words[2] in MODES:
            names = words[1].split(",")
            if not all(n in self.endpoints for n in names):
                return "error: unknown endpoint"
            for n in names:
                self.endpoints[n].set_mode(words[2])
            return "ok"
        if len(words) == 2 and words[0] == "stats" and \
                words[1] in self.endpoints:
            ep = self.endpoints[words[1]]
            with ep.lock:
                return json.dumps({"mode": ep.mode, "records": ep.records})
        return "error: expected 'set NAME MODE' or 'stats NAME'"

    def control_loop(self, s):
        while True:
            try:
                c, _ = s.accept()
            except OSError:
                return
            with c:
                data = b""
                while not data.endswith(b"\n"):
                    chunk = c.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                try:
                    out = self.command(data.decode("utf-8", "replace"))
                except OSError as e:
                    out = f"error: {e}"
                c.sendall(out.encode() + b"\n")


def dns_loop(s):
    """NXDOMAIN for every query: id, flags QR|RD (copied)|RA|rcode 3, the
    question echoed, no records."""
    while True:
        try:
            q, peer = s.recvfrom(4096)
        except OSError:
            return
        if len(q) < 12:
            continue
        end = 12
        while end < len(q) and q[end] != 0:
            end += q[end] + 1
        end += 5  # the root label, QTYPE, QCLASS
        if end > len(q):
            continue
        flags = 0x8183 | (q[2] & 0x01) << 8
        resp = q[:2] + flags.to_bytes(2, "big") + b"\x00\x01" + \
            b"\x00\x00" * 3 + q[12:end]
        try:
            s.sendto(resp, peer)
        except OSError:
            pass


def ctl_main(argv):
    if len(argv) < 3:
        print("usage: fault_server.py ctl CTL set NAME MODE | stats NAME",
              file=sys.stderr)
        return 2
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(argv[0])
    s.sendall((" ".join(argv[1:]) + "\n").encode())
    out = b""
    while not out.endswith(b"\n"):
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        out += chunk
    text = out.decode().strip()
    print(text)
    return 0 if not text.startswith("error") else 1


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "ctl":
        return ctl_main(sys.argv[2:])
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ctl", required=True)
    ap.add_argument("--ready", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--bad-cert")
    ap.add_argument("--bad-key")
    ap.add_argument("--tcp", action="append", default=[])
    ap.add_argument("--tls", action="append", default=[])
    ap.add_argument("--unix", action="append", default=[])
    ap.add_argument("--dns", type=int)
    o = ap.parse_args()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        srv = Server(o)
        for kind in ("tcp", "tls", "unix"):
            for spec in getattr(o, kind):
                srv.add(kind, spec)
        if o.dns:
            d = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            d.bind(("127.0.0.1", o.dns))
            threading.Thread(target=dns_loop, args=(d,), daemon=True).start()
        try:
            os.unlink(o.ctl)
        except FileNotFoundError:
            pass
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.bind(o.ctl)
        c.listen(8)
    except (OSError, ValueError, ssl.SSLError) as e:
        print(f"fault_server: {e}", file=sys.stderr)
        return 2
    threading.Thread(target=srv.control_loop, args=(c,), daemon=True).start()
    with open(o.ready + ".tmp", "w", encoding="utf-8") as f:
        f.write(f"ready pid={os.getpid()}\n")
    os.rename(o.ready + ".tmp", o.ready)
    while not stop.wait(1.0):
        pass
    c.close()
    for ep in srv.endpoints.values():
        if ep.kind == "unix":
            try:
                os.unlink(ep.addr)
            except FileNotFoundError:
                pass
    try:
        os.unlink(o.ctl)
    except FileNotFoundError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
