#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# Minimal HTTP sink for the integration tests: listens on 127.0.0.1:PORT and
# answers every POST/PUT with 200, appending one line "<path> <body>" to
# OUTFILE (the body with newlines replaced by spaces, so a write_http JSON
# batch stays on one line). GET answers 200 "ok" (health check). When
# READYFILE is given it is created once the socket is listening, so the test
# can wait for it. Runs until SIGTERM/SIGINT.
# Usage: http_sink.py PORT OUTFILE [READYFILE]

import http.server
import signal
import sys
import threading


class Handler(http.server.BaseHTTPRequestHandler):
    lock = threading.Lock()
    outfile = ""

    def _store(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        text = body.decode("utf-8", "replace").replace("\r", " ").replace("\n", " ")
        with self.lock, open(self.outfile, "a", encoding="utf-8") as out:
            out.write(f"{self.path} {text}\n")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_POST = _store
    do_PUT = _store

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, fmt, *args):
        sys.stderr.write("http_sink: " + (fmt % args) + "\n")


def main():
    if len(sys.argv) not in (3, 4):
        sys.stderr.write("usage: http_sink.py PORT OUTFILE [READYFILE]\n")
        return 2
    Handler.outfile = sys.argv[2]
    open(Handler.outfile, "a", encoding="utf-8").close()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if len(sys.argv) == 4:
        open(sys.argv[3], "w", encoding="utf-8").close()
    try:
        server.serve_forever(poll_interval=0.2)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
