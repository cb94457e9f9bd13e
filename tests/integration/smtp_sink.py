#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# Minimal SMTP sink for the integration tests (collectd's notify_email):
# listens on 127.0.0.1:PORT, speaks just enough SMTP (EHLO/HELO, MAIL,
# RCPT, DATA, RSET, NOOP, QUIT; no extensions, no TLS, no AUTH) and appends
# every message to OUTFILE as one JSON line {"from": ..., "to": [...],
# "data": "<headers and body, CRLF as \n>"}. When READYFILE is given it is
# created once the socket listens. Runs until SIGTERM/SIGINT. Python 3
# standard library only (smtpd is gone from 3.12).
# Usage: smtp_sink.py PORT OUTFILE [READYFILE]

import json
import signal
import socketserver
import sys
import threading

LOCK = threading.Lock()
OUTFILE = ""


class Handler(socketserver.StreamRequestHandler):
    def reply(self, text):
        self.wfile.write((text + "\r\n").encode("ascii"))
        self.wfile.flush()

    def read_data(self):
        lines = []
        while True:
            raw = self.rfile.readline(65536)
            if not raw:
                return None
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if line == ".":
                return "\n".join(lines) + "\n"
            lines.append(line[1:] if line.startswith("..") else line)

    def handle(self):
        sender, rcpts = None, []
        self.reply("220 smtp_sink ready")
        while True:
            raw = self.rfile.readline(65536)
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb = line[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 smtp_sink")
            elif verb == "MAIL":
                sender, rcpts = line[10:].strip(), []
                self.reply("250 OK")
            elif verb == "RCPT":
                rcpts.append(line[8:].strip())
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                data = self.read_data()
                if data is None:
                    return
                with LOCK, open(OUTFILE, "a", encoding="utf-8") as out:
                    out.write(json.dumps({"from": sender, "to": rcpts, "data": data}) + "\n")
                self.reply("250 OK queued")
            elif verb in ("RSET", "NOOP"):
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main(argv):
    global OUTFILE
    if len(argv) not in (3, 4):
        print("usage: smtp_sink.py PORT OUTFILE [READYFILE]", file=sys.stderr)
        return 2
    OUTFILE = argv[2]
    server = Server(("127.0.0.1", int(argv[1])), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if len(argv) == 4:
        open(argv[3], "w", encoding="ascii").close()
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
