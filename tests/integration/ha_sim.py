#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# ha_sim.py: a Home Assistant stand-in for the homelab_ha tests and
# bench/ha.sh. It speaks the REST API the way ../shared/docs/PROTOCOLS.md
# §2.3 describes it, over HTTP/1.1 (and HTTPS), and can misbehave the way a
# real installation does (restarts, hangs, slow answers, HTML error pages,
# bytes that are not HTTP, rotated tokens). Python 3 standard library only;
# binds 127.0.0.1 only.
#
#   GET  /api/                 {"message": "API running."} (trailing slash
#                              required: /api is a 404)
#   GET  /api/config           Config.as_dict(): version, location_name,
#                              unit_system, time_zone, components, state, ...
#   GET  /api/core/state       {"state": "RUNNING", "recorder_state":
#                              {"migration_in_progress": false,
#                               "migration_is_live": false}}
#   GET  /api/states           array of state objects
#   GET  /api/states/<id>      one state object; unknown entity: 404
#                              {"message": "Entity not found."}
#   GET  /_sim/stats           JSON counters (see below); never affected by
#                              the mode, never counted as HA traffic
#   POST /_sim/control         JSON object of changes (see below)
#
# Auth: every /api/ route needs "Authorization: Bearer <token>"; a missing
# or wrong token gets 401 with the plain-text body "401: Unauthorized"
# (text/plain; charset=utf-8), as aiohttp answers for Home Assistant. Unknown
# routes get 404 "404: Not Found" (text/plain) before auth, other methods on
# a known route 405. JSON answers are application/json.
#
# State objects: {"entity_id", "state" (always a string), "attributes"
# {"unit_of_measurement", "device_class", "state_class", "friendly_name"
# (some with non-ASCII text), "battery_level" on some, nested objects on
# some}, "last_changed", "last_reported", "last_updated" (ISO-8601 with
# microseconds and +00:00), "context" {"id", "parent_id", "user_id"}}.
# Default entities: temperatures in °C (they drift deterministically with
# the time since start: base + 1.5 * sin(2 pi t / 60 s), one decimal), a
# humidity in %, power in W (varies), energy in kWh (grows), binary sensors
# on/off, a lock locked, a person home, a sensor that is "unavailable", one
# that is "unknown", a battery sensor whose state is a numeric string with a
# battery_level attribute, an illuminance in lx, a CO2 in ppm, a
# temperature in °F. --entities N adds sensor.gen_0001_temperature ... (°C,
# drifting) for benchmarks. last_changed moves only when the state string
# changes; last_updated and last_reported move with it.
#
# POST /_sim/control keys (all optional, applied in this order):
#   "reset_stats": true        zero all counters
#   "core_state": "STARTING"   NOT_RUNNING, STARTING, RUNNING, STOPPING,
#                              FINAL_WRITE, STOPPED (also in /api/config)
#   "restart": true            core STARTING for --restart-seconds (3 s),
#                              then RUNNING by itself
#   "migration": true|false    recorder migration_in_progress (and
#                              migration_is_live)
#   "version": "2026.12.0"     /api/config version
#   "location_name": "..."
#   "unavailable": ["sensor.x"] these entities now report "unavailable"
#   "available": ["sensor.x"]  back to their normal state
#   "set": {"sensor.x": "12.5"} fixed state string ("" or null: back to
#                              the simulated value); an unknown entity id is
#                              created as a plain sensor
#   "remove": ["sensor.x"]     entity disappears (404)
#   "mode": "normal"|"hung"|"slow"|"html500"|"garbage"|"truncated"
#       hung      read the request, never answer (until the client goes
#                 away or the mode changes; then close without answer)
#       slow      normal headers, then the body in 64-byte pieces every
#                 delay_ms (default 100 ms)
#       html500   500 with an HTML page (a reverse proxy's error page)
#       garbage   bytes that are not HTTP, then close
#       truncated Content-Length larger than the body, then close
#   "delay_ms": N              every API answer waits N ms first (normal
#                              mode) / drip interval (slow mode)
#   "token": "new token"       the accepted token changes (rotation)
# The answer is the new state as JSON; a bad key or value gives 400 and
# changes nothing.
#
# GET /_sim/stats: {"accepted" (all TCP accepts), "connections" (those that
# carried at least one non-/_sim request), "connections_tls",
# "tls_handshake_failures", "requests", "max_requests_per_connection",
# "paths": {path: n}, "status": {"200": n, ...}, "auth": {"ok", "failures",
# "missing", "wrong"}, "state": {...}}.
#
# Usage:
#   ha_sim.py --port P [--tls-port P2 --cert F --key F] --token-file F
#             [--entities N] [--version 2026.11.1] [--log F] [--pid-file F]
#             [--restart-seconds S] [--idle-timeout S]
#
#   --token-file F   first line is the token (trailing newline cut)
#   --log F          one line per request: time, connection number,
#                    http|tls, method, path, status (never the token)
#   --pid-file F     written (atomically) once the ports accept
#
# Readiness: once the ports are bound the pid file is written and one line
# "ready port=P tls_port=P2 pid=N" goes to stdout (tls_port=0 without TLS).
# SIGTERM or SIGINT: stop, remove the pid file, exit 0. Exit 2: bad
# arguments, unreadable token/cert file, port in use.
#
# Example:
#   tests/integration/ha_sim.py --port 8123 --token-file tok --entities 500 &
#   curl -H "Authorization: Bearer $(cat tok)" http://127.0.0.1:8123/api/states

import argparse
import datetime
import http.server
import itertools
import json
import math
import secrets
import select
import sys
import threading
import time
import urllib.parse

import simlib

MAX_BODY = 65536
CONN_NO = itertools.count(1)
CORE_STATES = ("NOT_RUNNING", "STARTING", "RUNNING", "STOPPING",
               "FINAL_WRITE", "STOPPED")
MODES = ("normal", "hung", "slow", "html500", "garbage", "truncated")
ULID_CHARS = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

# (entity_id, kind, base, attributes). kind: temp (drifts), power (varies),
# energy (grows), const (base is the state string).
DEFAULT_ENTITIES = [
    ("sensor.living_room_temperature", "temp", 21.5,
     {"unit_of_measurement": "°C", "device_class": "temperature",
      "state_class": "measurement",
      "friendly_name": "Wohnzimmer Temperatur"}),
    ("sensor.freezer_temperature", "temp", -18.0,
     {"unit_of_measurement": "°C", "device_class": "temperature",
      "state_class": "measurement", "friendly_name": "Gefrierschrank ❄",
      "battery_level": 87}),
    ("sensor.outdoor_temperature_f", "temp", 68.0,
     {"unit_of_measurement": "°F", "device_class": "temperature",
      "state_class": "measurement", "friendly_name": "Outdoor (°F)"}),
    ("sensor.bathroom_humidity", "const", "56.3",
     {"unit_of_measurement": "%", "device_class": "humidity",
      "state_class": "measurement", "friendly_name": "Salle de bain humidité"}),
    ("sensor.washing_machine_power", "power", 1850.0,
     {"unit_of_measurement": "W", "device_class": "power",
      "state_class": "measurement", "friendly_name": "Waschmaschine Leistung"}),
    ("sensor.house_energy", "energy", 12345.678,
     {"unit_of_measurement": "kWh", "device_class": "energy",
      "state_class": "total_increasing", "friendly_name": "Hausverbrauch",
      "last_reset": None}),
    ("sensor.office_illuminance", "const", "312",
     {"unit_of_measurement": "lx", "device_class": "illuminance",
      "friendly_name": "Office illuminance"}),
    ("sensor.bedroom_co2", "const", "742",
     {"unit_of_measurement": "ppm", "device_class": "carbon_dioxide",
      "friendly_name": "Schlafzimmer CO₂"}),
    ("sensor.phone_battery", "const", "73",
     {"unit_of_measurement": "%", "device_class": "battery",
      "friendly_name": "Phone battery", "battery_level": 73,
      "charging": {"state": "discharging", "rate_w": 4.5,
                   "history": [75, 74, 73]}}),
    ("sensor.garage_temperature", "const", "unavailable",
     {"unit_of_measurement": "°C", "device_class": "temperature",
      "friendly_name": "Garage temperature", "restored": True}),
    ("sensor.attic_humidity", "const", "unknown",
     {"unit_of_measurement": "%", "device_class": "humidity",
      "friendly_name": "Dachboden Feuchte"}),
    ("binary_sensor.front_door", "const", "off",
     {"device_class": "door", "friendly_name": "Haustür 🚪"}),
    ("binary_sensor.hallway_motion", "const", "on",
     {"device_class": "motion", "friendly_name": "Flur Bewegung",
      "battery_level": 42}),
    ("lock.front_door", "const", "locked",
     {"friendly_name": "Haustür Schloss", "supported_features": 0}),
    ("person.alice", "const", "home",
     {"friendly_name": "Alice", "source": "device_tracker.alice_phone",
      "latitude": 52.3731, "longitude": 4.8922, "gps_accuracy": 12,
      "user_id": "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
      "device_trackers": ["device_tracker.alice_phone"]}),
    ("person.bob", "const", "not_home",
     {"friendly_name": "Bob Øster", "device_trackers": []}),
    ("sun.sun", "const", "above_horizon",
     {"friendly_name": "Sun", "elevation": 31.2, "azimuth": 160.5,
      "next_rising": "2026-11-21T07:12:44.123456+00:00", "rising": False}),
]


def iso(ts):
    return datetime.datetime.fromtimestamp(
        ts, datetime.timezone.utc).isoformat(timespec="microseconds")


def ulid():
    return "".join(secrets.choice(ULID_CHARS) for _ in range(26))


class Entity:
    def __init__(self, eid, kind, base, attrs, phase, t0):
        self.eid, self.kind, self.base, self.attrs = eid, kind, base, attrs
        self.phase = phase
        self.fixed = None        # "set" control
        self.unavailable = False
        self.last_state = None
        self.last_changed = t0
        self.last_updated = t0
        self.context = ulid()

    def simulated(self, elapsed):
        if self.kind == "temp":
            v = self.base + 1.5 * math.sin(
                2 * math.pi * elapsed / 60.0 + self.phase)
            return f"{v:.1f}"
        if self.kind == "power":
            v = self.base + 400 * math.sin(2 * math.pi * elapsed / 20.0)
            return f"{v:.1f}"
        if self.kind == "energy":
            return f"{self.base + elapsed * 0.0005:.3f}"
        return str(self.base)

    def as_dict(self, elapsed, now):
        if self.unavailable:
            st = "unavailable"
        elif self.fixed is not None:
            st = self.fixed
        else:
            st = self.simulated(elapsed)
        if st != self.last_state:
            if self.last_state is not None:
                self.last_changed = self.last_updated = now
                self.context = ulid()
            self.last_state = st
        attrs = self.attrs
        if st == "unavailable":
            attrs = {k: v for k, v in attrs.items()
                     if k in ("friendly_name", "device_class",
                              "unit_of_measurement", "restored")}
        return {"entity_id": self.eid, "state": st, "attributes": attrs,
                "last_changed": iso(self.last_changed),
                "last_reported": iso(self.last_updated),
                "last_updated": iso(self.last_updated),
                "context": {"id": self.context, "parent_id": None,
                            "user_id": None}}


class HA:
    """Everything the handlers share; guarded by lock."""

    def __init__(self, o):
        self.o = o
        self.lock = threading.Lock()
        self.t0 = time.time()
        self.token = o.token
        self.version = o.version
        self.location_name = "Heim 🏠"
        self.core = "RUNNING"
        self.restart_until = 0.0
        self.migration = False
        self.mode = "normal"
        self.delay_ms = 0
        self.entities = {}
        for i, (eid, kind, base, attrs) in enumerate(DEFAULT_ENTITIES):
            self.entities[eid] = Entity(eid, kind, base, attrs, i * 0.7,
                                        self.t0 - 3600 + i)
        for n in range(1, o.entities + 1):
            eid = f"sensor.gen_{n:04d}_temperature"
            self.entities[eid] = Entity(
                eid, "temp", 15.0 + (n % 100) / 10.0,
                {"unit_of_measurement": "°C", "device_class": "temperature",
                 "state_class": "measurement",
                 "friendly_name": f"Generated temperature {n:04d}"},
                n * 0.37, self.t0 - 600)
        self.reset_stats()

    def reset_stats(self):
        self.stats = {"accepted": 0, "connections": 0, "connections_tls": 0,
                      "tls_handshake_failures": 0, "requests": 0,
                      "max_requests_per_connection": 0, "paths": {},
                      "status": {},
                      "auth": {"ok": 0, "failures": 0, "missing": 0,
                               "wrong": 0}}

    def bump(self, group, key):
        g = self.stats[group]
        g[key] = g.get(key, 0) + 1

    def core_state(self):
        if self.restart_until and time.time() >= self.restart_until:
            self.restart_until = 0.0
            self.core = "RUNNING"
        return self.core

    def state(self):
        return {"core_state": self.core_state(), "version": self.version,
                "location_name": self.location_name, "mode": self.mode,
                "delay_ms": self.delay_ms, "migration": self.migration,
                "entities": len(self.entities),
                "unavailable": sorted(e.eid for e in self.entities.values()
                                      if e.unavailable),
                "set": {e.eid: e.fixed for e in self.entities.values()
                        if e.fixed is not None}}

    def _ids(self, v, key):
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise ValueError(f"{key}: want a list of entity ids")
        for x in v:
            if x not in self.entities:
                raise ValueError(f"{key}: unknown entity {x}")
        return v

    def control(self, req):
        """Validates everything first, then applies; raises ValueError."""
        if not isinstance(req, dict):
            raise ValueError("want a JSON object")
        known = ("reset_stats", "core_state", "restart", "migration",
                 "version", "location_name", "unavailable", "available",
                 "set", "remove", "mode", "delay_ms", "token")
        for k in req:
            if k not in known:
                raise ValueError(f"unknown key {k}")
        if "core_state" in req and req["core_state"] not in CORE_STATES:
            raise ValueError("core_state: one of " + ", ".join(CORE_STATES))
        if "mode" in req and req["mode"] not in MODES:
            raise ValueError("mode: one of " + ", ".join(MODES))
        if "delay_ms" in req and (not isinstance(req["delay_ms"], int)
                                  or isinstance(req["delay_ms"], bool)
                                  or not 0 <= req["delay_ms"] <= 600000):
            raise ValueError("delay_ms: 0..600000")
        for k in ("version", "location_name", "token"):
            if k in req and not (isinstance(req[k], str) and req[k]):
                raise ValueError(f"{k}: want a non-empty string")
        for k in ("reset_stats", "restart", "migration"):
            if k in req and not isinstance(req[k], bool):
                raise ValueError(f"{k}: want true or false")
        for k in ("unavailable", "available", "remove"):
            if k in req:
                self._ids(req[k], k)
        sets = req.get("set", {})
        if not isinstance(sets, dict) or not all(
                isinstance(v, str) or v is None for v in sets.values()):
            raise ValueError("set: want {entity_id: state string}")
        for eid in sets:
            if "." not in eid or "/" in eid:
                raise ValueError(f"set: bad entity id {eid}")
        # apply
        if req.get("reset_stats"):
            self.reset_stats()
        if "core_state" in req:
            self.core, self.restart_until = req["core_state"], 0.0
        if req.get("restart"):
            self.core = "STARTING"
            self.restart_until = time.time() + self.o.restart_seconds
        if "migration" in req:
            self.migration = req["migration"]
        for k in ("version", "location_name", "token", "mode", "delay_ms"):
            if k in req:
                setattr(self, k, req[k])
        for eid in req.get("unavailable", []):
            self.entities[eid].unavailable = True
        for eid in req.get("available", []):
            self.entities[eid].unavailable = False
        for eid, v in sets.items():
            if eid not in self.entities:
                self.entities[eid] = Entity(
                    eid, "const", "", {"friendly_name": eid}, 0.0,
                    time.time())
            self.entities[eid].fixed = v if v else None
        for eid in req.get("remove", []):
            del self.entities[eid]

    def config(self):
        return {
            "allowlist_external_dirs": ["/config/www", "/media"],
            "allowlist_external_urls": [],
            "components": sorted({"api", "http", "homeassistant", "recorder",
                                  "sensor", "binary_sensor", "lock", "person",
                                  "sun", "zone", "prometheus"}),
            "config_dir": "/config", "config_source": "storage",
            "country": "DE", "currency": "EUR", "debug": False,
            "elevation": 12, "external_url": None,
            "internal_url": "http://homeassistant.local:8123",
            "language": "de", "latitude": 52.3731,
            "location_name": self.location_name, "longitude": 4.8922,
            "radius": 100, "recovery_mode": False, "safe_mode": False,
            "state": self.core_state(), "time_zone": "Europe/Berlin",
            "unit_system": {"length": "km", "accumulated_precipitation": "mm",
                            "area": "m²", "mass": "g", "pressure": "Pa",
                            "temperature": "°C", "volume": "L",
                            "wind_speed": "m/s"},
            "version": self.version,
            "whitelist_external_dirs": ["/config/www", "/media"]}


def html_page(code, text):
    return (f"<html>\r\n<head><title>{code} {text}</title></head>\r\n<body>\r\n"
            f"<center><h1>{code} {text}</h1></center>\r\n<hr><center>nginx"
            "</center>\r\n</body>\r\n</html>\r\n")


class Handler(simlib.HandlerMixin, http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without TCP_NODELAY the
    # body waits ~40 ms for the client's delayed ACK on every reply.
    disable_nagle_algorithm = True
    sys_version = ""
    ha = None       # HA, set in main()
    opts = None
    stop = None     # threading.Event
    conn_numbers = CONN_NO

    @property
    def state(self):  # what simlib.HandlerMixin counts in
        return self.ha

    def version_string(self):
        return "Python/3.13 aiohttp/3.11.11"

    def log_message(self, format, *args):
        pass

    def setup(self):
        self.sim_setup()
        super().setup()

    def _log(self, code):
        self.sim_log(f"{self.command} {self.path} {code}")

    def _send(self, code, body, ctype="application/json", sim=False):
        if isinstance(body, str):
            body = body.encode()
        h = self.ha
        with h.lock:
            if not sim:
                h.bump("status", str(code))
            mode, delay = h.mode, h.delay_ms / 1000.0
        if sim:
            mode, delay = "normal", 0
        if mode == "normal" and delay:
            self.stop.wait(delay)
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        length = len(body) + (100 if mode == "truncated" else 0)
        self.send_header("Content-Length", str(length))
        if mode == "truncated":
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self._log(code)
        if self.command == "HEAD":
            return
        if mode == "slow":
            self.wfile.flush()
            step = delay or 0.1
            for i in range(0, len(body), 64):
                if self.stop.is_set():
                    break
                self.wfile.write(body[i:i + 64])
                self.wfile.flush()
                time.sleep(step)
        else:
            self.wfile.write(body)

    def _json(self, code, obj, sim=False):
        self._send(code, json.dumps(obj, ensure_ascii=False,
                                    separators=(",", ":")), sim=sim)

    def _text(self, code, text):
        self._send(code, text, "text/plain; charset=utf-8")

    def _read_body(self):
        try:
            n = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            n = -1
        if n < 0 or n > MAX_BODY or self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            return None
        return self.rfile.read(n) if n else b""

    def _begin(self, path):
        """Counts an API request and applies delay/hung/garbage/html500;
        returns False if the request is already dealt with."""
        h = self.ha
        with h.lock:
            self.nreq += 1
            st = h.stats
            st["requests"] += 1
            if not self.counted:
                self.counted = True
                st["connections"] += 1
                if self.tls_ctx is not None:
                    st["connections_tls"] += 1
            st["max_requests_per_connection"] = max(
                st["max_requests_per_connection"], self.nreq)
            h.bump("paths", path)
            mode = h.mode
        if mode == "garbage":
            self.wfile.write(b"\x00\xff\xfeNOT HTTP \x1b[0m<<<garbage>>>\r\n\r\n")
            self._log("garbage")
            self.close_connection = True
            return False
        if mode == "hung":
            self._log("hung")
            self._hang()
            self.close_connection = True
            return False
        if mode == "html500":
            self._send(500, html_page(500, "Internal Server Error"),
                       "text/html")
            return False
        return True

    def _hang(self):
        sock = self.connection
        while not self.stop.is_set():
            with self.ha.lock:
                if self.ha.mode != "hung":
                    return
            try:
                r, _, _ = select.select([sock], [], [], 0.2)
            except (OSError, ValueError):
                return
            if r:
                return

    def _authorized(self):
        h = self.ha
        auth = self.headers.get("Authorization")
        with h.lock:
            if auth is None:
                h.stats["auth"]["missing"] += 1
            elif auth.startswith("Bearer ") and secrets.compare_digest(
                    auth[7:].strip().encode(), h.token.encode()):
                h.stats["auth"]["ok"] += 1
                return True
            else:
                h.stats["auth"]["wrong"] += 1
            h.stats["auth"]["failures"] += 1
        self._text(401, "401: Unauthorized")
        return False

    def _route(self, path):
        """(route name, entity id) or None."""
        if path in ("/api/", "/api/config", "/api/core/state", "/api/states"):
            return path, None
        if path.startswith("/api/states/") and len(path) > len("/api/states/"):
            return "/api/states/", urllib.parse.unquote(path[12:])
        return None

    def _sim(self, path):
        if path == "/_sim/stats" and self.command == "GET":
            with self.ha.lock:
                stats = json.loads(json.dumps(self.ha.stats))
                stats["state"] = self.ha.state()
            self._json(200, stats, sim=True)
            return
        if path == "/_sim/control" and self.command == "POST":
            body = self._read_body()
            try:
                req = json.loads(body or b"{}")
                with self.ha.lock:
                    self.ha.control(req)
                    state = self.ha.state()
            except ValueError as e:
                self._json(400, {"error": str(e)}, sim=True)
                return
            self._json(200, state, sim=True)
            return
        self._json(404, {"error": "no such /_sim endpoint"}, sim=True)

    def _api(self):
        path = urllib.parse.urlsplit(self.path).path
        if path.startswith("/_sim/"):
            self._sim(path)
            return
        if self.command == "POST":
            self._read_body()
        if not self._begin(path):
            return
        route = self._route(path)
        if route is None:
            self._text(404, "404: Not Found")
            return
        if self.command != "GET":
            self._text(405, "405: Method Not Allowed")
            return
        if not self._authorized():
            return
        name, eid = route
        h = self.ha
        now = time.time()
        with h.lock:
            elapsed = now - h.t0
            if name == "/api/":
                obj = {"message": "API running."}
            elif name == "/api/config":
                obj = h.config()
            elif name == "/api/core/state":
                obj = {"state": h.core_state(),
                       "recorder_state": {"migration_in_progress": h.migration,
                                          "migration_is_live": h.migration}}
            elif name == "/api/states":
                obj = [e.as_dict(elapsed, now) for e in h.entities.values()]
            elif eid in h.entities:
                obj = h.entities[eid].as_dict(elapsed, now)
            else:
                obj = None
        if obj is None:
            self._json(404, {"message": "Entity not found."})
        else:
            self._json(200, obj)

    do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = _api


def parse_args(argv):
    p = argparse.ArgumentParser(description="Home Assistant REST API simulator.")
    p.add_argument("--port", type=int, required=True, help="HTTP port")
    p.add_argument("--tls-port", type=int, default=0, help="HTTPS port")
    p.add_argument("--cert", help="PEM certificate for --tls-port")
    p.add_argument("--key", help="PEM key for --tls-port")
    p.add_argument("--token-file", required=True,
                   help="file whose first line is the long-lived token")
    p.add_argument("--entities", type=int, default=0,
                   help="generated sensor.gen_NNNN_temperature entities")
    p.add_argument("--version", default="2026.11.1", help="HA version")
    p.add_argument("--log", help="append one line per request here")
    p.add_argument("--pid-file", help="written once the ports accept")
    p.add_argument("--restart-seconds", type=float, default=3.0)
    p.add_argument("--idle-timeout", type=float, default=30.0)
    o = p.parse_args(argv)
    if o.tls_port and not (o.cert and o.key):
        p.error("--tls-port needs --cert and --key")
    for v in ("port", "tls_port"):
        if not 0 <= getattr(o, v) <= 65535:
            p.error(f"--{v.replace('_', '-')} out of range")
    if not 0 <= o.entities <= 9999:
        p.error("--entities: 0..9999")
    if o.restart_seconds < 0 or o.idle_timeout <= 0:
        p.error("times must be positive")
    return o


def main(argv):
    o = parse_args(argv)
    try:
        with open(o.token_file, encoding="utf-8") as f:
            o.token = f.readline().rstrip("\r\n")
    except OSError as e:
        print(f"ha_sim: {e}", file=sys.stderr)
        return 2
    if not o.token:
        print(f"ha_sim: {o.token_file}: empty token", file=sys.stderr)
        return 2
    ha = HA(o)
    return simlib.serve("ha_sim", Handler, {"ha": ha, "opts": o}, o)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
