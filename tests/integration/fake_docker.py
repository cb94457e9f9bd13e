#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# fake_docker.py: a stand-in Docker Engine for the tests. It serves the part
# of the documented Engine API that homelab uses over a unix socket, HTTP/1.1
# with Content-Type: application/json, Content-Length and the Api-Version
# header a real engine sends:
#
#   GET /containers/json   the JSON list in FILE (re-read on every request,
#                          so a test may rewrite it while the server runs);
#                          like the engine, only entries whose "State" is
#                          "running" (or that have no State) unless the query
#                          has all=1 or all=true
#   GET|HEAD /_ping        "OK" (text/plain)
#   GET /version           a small JSON object (ApiVersion, Version, Os, ...)
#   anything else          404 {"message": "page not found"}
#
# A /vX.Y prefix is accepted as the engine does (/v1.41/containers/json);
# a version newer than --api-version gets the engine's 400 answer.
#
# Usage:
#   fake_docker.py --socket PATH --containers FILE.json
#                  [--delay S] [--status CODE] [--garbage]
#                  [--api-version V] [--log FILE]
#
#   --socket PATH      unix socket to serve; a stale socket there is replaced.
#                      The socket appears only once it accepts connections
#                      (bound under a temporary name, then renamed), so a
#                      test can wait for the path to exist.
#   --containers FILE  the container list, in the Engine API shape: Id, Names,
#                      Image, ImageID, Command, Created, State, Status,
#                      Ports [{IP, PrivatePort, PublicPort, Type}], Labels, ...
#                      (see tests/fixtures/docker/containers.json).
#   --delay S          wait S seconds (float) before answering
#                      /containers/json (timeout tests).
#   --status CODE      answer /containers/json with CODE and a JSON body
#                      {"message": "..."} instead of the list.
#   --garbage          answer /containers/json with bytes that are not HTTP
#                      and close the connection.
#   --api-version V    API version announced (default 1.43).
#   --log FILE         append "METHOD PATH" of every request to FILE.
#
# /_ping and /version always answer normally, so a test can tell the server
# is up whatever mode /containers/json is in. The server runs until SIGTERM
# or SIGINT, then removes its socket and exits 0. Exit status 2: bad
# arguments or an unreadable containers file at start-up.
#
# Example:
#   tests/integration/fake_docker.py --socket /tmp/d/docker.sock \
#       --containers tests/fixtures/docker/containers.json &
#   curl --unix-socket /tmp/d/docker.sock http://localhost/containers/json

import argparse
import http.server
import json
import os
import platform
import re
import signal
import socketserver
import stat
import sys
import threading
import time
import urllib.parse

VERSION_PREFIX = re.compile(r"^/v(\d+)\.(\d+)(/.*)$")


def load_containers(path):
    """The list in @path; raises ValueError when it is not a JSON list."""
    with open(path, encoding="utf-8") as f:
        try:
            data = json.load(f)
        except ValueError as e:
            raise ValueError(f"{path}: {e}") from None
    if not isinstance(data, list):
        raise ValueError(f"{path}: not a JSON list")
    return data


def version_tuple(text):
    return tuple(int(x) for x in text.split("."))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake_docker/1.0"
    sys_version = ""
    opts = None  # argparse.Namespace, set in main()
    log_lock = threading.Lock()

    def version_string(self):
        return self.server_version

    def log_message(self, format, *args):
        pass  # quiet: the tests read --log instead

    def _log_request(self):
        if self.opts.log:
            with self.log_lock, open(self.opts.log, "a", encoding="utf-8") as f:
                f.write(f"{self.command} {self.path}\n")

    def _send(self, code, body, ctype="application/json"):
        if isinstance(body, (dict, list)):
            body = (json.dumps(body) + "\n").encode()
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Api-Version", self.opts.api_version)
        self.send_header("Docker-Experimental", "false")
        self.send_header("Ostype", "linux")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _route(self):
        """(path, query) with a supported /vX.Y prefix removed, or None
        after answering 400 for a too new version."""
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        m = VERSION_PREFIX.match(path)
        if m:
            asked = (int(m.group(1)), int(m.group(2)))
            if asked > version_tuple(self.opts.api_version):
                self._send(400, {"message": (
                    f"client version {m.group(1)}.{m.group(2)} is too new. "
                    f"Maximum supported API version is {self.opts.api_version}")})
                return None
            path = m.group(3)
        return path, urllib.parse.parse_qs(url.query)

    def _containers(self, query):
        o = self.opts
        if o.delay > 0:
            time.sleep(o.delay)
        if o.garbage:
            self.wfile.write(b"\x00\xffthis is not HTTP\r\n\r\n")
            self.close_connection = True
            return
        if o.status:
            self._send(o.status, {"message": f"fake_docker: forced status {o.status}"})
            return
        try:
            items = load_containers(o.containers)
        except (OSError, ValueError) as e:
            self._send(500, {"message": f"fake_docker: {e}"})
            return
        show_all = query.get("all", ["0"])[-1] in ("1", "true", "True")
        if not show_all:
            items = [c for c in items
                     if not isinstance(c, dict) or c.get("State", "running") == "running"]
        self._send(200, items)

    def _version(self):
        self._send(200, {
            "Version": "24.0.7-fake",
            "ApiVersion": self.opts.api_version,
            "MinAPIVersion": "1.12",
            "Os": "linux",
            "Arch": "amd64",
            "KernelVersion": platform.release(),
            "GitCommit": "fake",
        })

    def do_GET(self):
        self._log_request()
        route = self._route()
        if route is None:
            return
        path, query = route
        if path == "/containers/json":
            self._containers(query)
        elif path == "/_ping":
            self._send(200, "OK", "text/plain; charset=utf-8")
        elif path == "/version":
            self._version()
        else:
            self._send(404, {"message": "page not found"})

    def do_HEAD(self):
        self._log_request()
        route = self._route()
        if route is not None and route[0] == "/_ping":
            self._send(200, "OK", "text/plain; charset=utf-8")
        elif route is not None:
            self._send(404, {"message": "page not found"})

    def _not_found(self):
        self._log_request()
        length = int(self.headers.get("Content-Length") or 0)
        if length > 0:
            self.rfile.read(length)
        self._send(404, {"message": "page not found"})

    do_POST = _not_found
    do_PUT = _not_found
    do_DELETE = _not_found


class Server(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True
    block_on_close = False


def parse_args(argv):
    p = argparse.ArgumentParser(description="Fake Docker Engine API on a unix socket.")
    p.add_argument("--socket", required=True, help="unix socket path to serve")
    p.add_argument("--containers", required=True, help="JSON list of containers")
    p.add_argument("--delay", type=float, default=0.0,
                   help="seconds to wait before answering /containers/json")
    p.add_argument("--status", type=int, default=0,
                   help="HTTP status for /containers/json instead of the list")
    p.add_argument("--garbage", action="store_true",
                   help="answer /containers/json with non-HTTP bytes")
    p.add_argument("--api-version", default="1.43", help="API version announced")
    p.add_argument("--log", help="append 'METHOD PATH' of each request here")
    o = p.parse_args(argv)
    if o.status and not 100 <= o.status <= 599:
        p.error("--status must be an HTTP status code (100-599)")
    if o.delay < 0:
        p.error("--delay must not be negative")
    try:
        version_tuple(o.api_version)
    except ValueError:
        p.error("--api-version must look like 1.43")
    return o


def remove_stale(path):
    """Removes an old socket at @path; refuses to delete anything else."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(st.st_mode):
        print(f"fake_docker: {path} exists and is not a socket", file=sys.stderr)
        sys.exit(2)
    os.unlink(path)


def serve(o):
    remove_stale(o.socket)
    tmp = f"{o.socket}.{os.getpid()}.tmp"
    server = Server(tmp, Handler, bind_and_activate=False)
    try:
        server.server_bind()
        server.server_activate()
        os.rename(tmp, o.socket)  # appears only once it accepts connections
    except OSError as e:
        server.server_close()
        for p in (tmp, o.socket):
            try:
                os.unlink(p)
            except OSError:
                pass
        print(f"fake_docker: {o.socket}: {e}", file=sys.stderr)
        sys.exit(2)

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    worker = threading.Thread(target=server.serve_forever, daemon=True)
    worker.start()
    try:
        while not stop.wait(1.0):
            pass
    finally:
        server.shutdown()
        server.server_close()
        try:
            os.unlink(o.socket)
        except OSError:
            pass


def main(argv):
    o = parse_args(argv)
    try:
        load_containers(o.containers)
    except (OSError, ValueError) as e:
        print(f"fake_docker: {e}", file=sys.stderr)
        return 2
    Handler.opts = o
    serve(o)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
