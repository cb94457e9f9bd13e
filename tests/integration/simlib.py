#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""What the protocol simulators of the integration tests share.

The FRITZ!Box (fritz_sim.py) and Home Assistant (ha_sim.py) simulators
differ in what they answer but start, serve and stop the same way: a
threading HTTP server on 127.0.0.1 for plain HTTP and one for TLS, each with
a subclass of the simulator's request handler; SIGTERM/SIGINT set a stop
event; a pid file written atomically once the ports accept; the readiness
line "ready port=P tls_port=P2 pid=N..." that the test scripts wait for.
"""
import http.server
import os
import signal
import socketserver
import ssl
import sys
import threading
import time


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass  # resets, TLS handshake failures, clients that time out


class HandlerMixin:
    """Request-handler parts both simulators share. The handler class sets
    `state` (an object with `lock` and a `stats` dict), `opts` (with
    `idle_timeout` and `log`) and, on the TLS server's subclass, `tls_ctx`."""

    tls_ctx = None
    log_lock = threading.Lock()
    conn_numbers = None  # itertools.count of the simulator module

    def sim_setup(self):
        """Counts the accept, numbers the connection, wraps TLS (a failed
        handshake is counted and closes the connection)."""
        with self.state.lock:
            self.state.stats["accepted"] += 1
            self.conn_no = next(self.conn_numbers)
        self.counted = False
        self.nreq = 0
        if self.tls_ctx is not None:
            self.request.settimeout(10)
            try:
                self.request = self.tls_ctx.wrap_socket(self.request,
                                                        server_side=True)
            except (OSError, ssl.SSLError):
                with self.state.lock:
                    self.state.stats["tls_handshake_failures"] += 1
                raise
        self.timeout = self.opts.idle_timeout

    def sim_log(self, what):
        """One line per request in --log: time, connection, scheme, what."""
        if not self.opts.log:
            return
        line = (f"{time.time():.3f} c{self.conn_no} "
                f"{'tls' if self.tls_ctx else 'http'} {what}\n")
        with self.log_lock, open(self.opts.log, "a", encoding="utf-8") as f:
            f.write(line)


def write_pid_file(path):
    """Writes our pid to @path through a temporary file and rename()."""
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(f"{os.getpid()}\n")
    os.rename(tmp, path)


def serve(name, handler, attrs, o, ready_extra=None, on_exit=None):
    """Serves until SIGTERM/SIGINT; returns the process exit status.

    @handler gets @attrs (plus "stop", the stop event) as class attributes;
    the TLS server's subclass also gets tls_ctx. @o needs port, tls_port,
    cert, key and pid_file. @ready_extra() may return text appended to the
    readiness line; @on_exit() runs after the servers stopped.
    """
    stop = threading.Event()
    attrs = dict(attrs, stop=stop)
    servers = []
    try:
        plain = type("PlainHandler", (handler,), dict(attrs))
        servers.append(Server(("127.0.0.1", o.port), plain))
        if o.tls_port:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(o.cert, o.key)
            tls = type("TLSHandler", (handler,), dict(attrs, tls_ctx=ctx))
            servers.append(Server(("127.0.0.1", o.tls_port), tls))
    except (OSError, ssl.SSLError) as e:
        for s in servers:
            s.server_close()
        print(f"{name}: {e}", file=sys.stderr)
        return 2
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    if o.pid_file:
        write_pid_file(o.pid_file)
    extra = ready_extra() if ready_extra else ""
    print(f"ready port={servers[0].server_address[1]} tls_port="
          f"{servers[1].server_address[1] if o.tls_port else 0} "
          f"pid={os.getpid()}{extra}", flush=True)
    try:
        while not stop.wait(1.0):
            pass
    finally:
        for s in servers:
            s.shutdown()
            s.server_close()
        if on_exit:
            on_exit()
        if o.pid_file:
            try:
                os.unlink(o.pid_file)
            except OSError:
                pass
    return 0
