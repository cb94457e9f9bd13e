#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# fritz_sim.py: a FRITZ!Box stand-in for the homelab_fritz tests. It speaks
# TR-064 and UPnP IGD over HTTP/1.1 (and HTTPS) the way
# ../shared/docs/PROTOCOLS.md §2.1 describes a 7590-class box, and can
# misbehave the ways real boxes do (../shared/docs/LANDSCAPE.md §3.1):
# 401 floods, lockouts, SOAP faults, HTML error pages, hangs, slow drips,
# firmware changes that drop actions, restarts and DSL resyncs. Python 3
# standard library only; binds 127.0.0.1 only.
#
#   GET  /tr64desc.xml       TR-064 device description (urn:dslforum-org)
#   GET  /igddesc.xml        IGD description (urn:schemas-upnp-org); 404 on
#                            the repeater personality (no WAN, no IGD)
#   GET  /<name>SCPD.xml     service descriptions (action and argument lists)
#   POST /upnp/control/...   TR-064 SOAP actions: HTTP digest auth (RFC 2617,
#                            MD5, qop=auth, realm "F!Box SOAP-Auth"); only
#                            DeviceInfo:1 GetSecurityPort works without
#   POST /igdupnp/control/.. IGD SOAP actions, no auth
#   GET  /devicehostlist.lua?sid=..  the host list XML named by
#                            Hosts:1 X_AVM-DE_GetHostListPath
#   GET  /_sim/stats         JSON counters (see below); never affected by
#                            the mode, never counted as box traffic
#   POST /_sim/control       JSON object of changes (see below)
#
# Personalities (--personality): dsl (7590, WANAccessType DSL, PPPoE:
# WANPPPConnection is the active connection, TR-064 WANIPConnection exists
# but is Unconfigured, as on real PPP boxes), cable (6591, Cable,
# WANIPConnection, no DSL services), fiber (5530, Ethernet, WANIPConnection
# plus X_AVM-DE_WANFiber:1 with optical levels in 1/1000 dBm), repeater
# (Repeater 2400: DeviceInfo, Hosts, WLAN, LAN only; no WAN services).
#
# Values evolve with time: byte counters grow at a fixed rate while the
# link is up and connected (the 64-bit IGD counters start --wrap-in seconds
# below 2^32 of received bytes, so the 32-bit values wrap soon after start;
# sent bytes wrap at twice that); uptimes count up; DSL error counters grow
# slowly; DSL noise margin and attenuation are in tenths of dB, rates in
# kbit/s, Layer1 rates in bit/s, exactly as on the wire of a real box.
#
# SOAP handling: the SOAPACTION header ("serviceType#Action", quotes
# optional) must name a service at that control URL and match the first
# element of the envelope's Body. Missing header: HTTP 400. Unparsable
# envelope, wrong element or missing in-argument: 500 UPnPError 402.
# Unknown action (or one removed with drop_actions): 500 UPnPError 401.
# Replies: 200 text/xml; charset="utf-8" with
# <s:Envelope><s:Body><u:ActionResponse xmlns:u="serviceType">. A missing
# or wrong digest gives 401 with an HTML body and a fresh challenge; wrong
# credentials are counted as auth failures, an expired nonce gets
# stale=TRUE. HTTP/1.1 keep-alive: one connection serves many requests
# (idle connections close after --idle-timeout s).
#
# POST /_sim/control keys (all optional, applied in this order):
#   "reset_stats": true      zero all counters
#   "restart": true          box reboot: uptimes, counters and DSL line
#                            restart, nonces and host-list sids invalidated
#   "down_for": S            after a restart: for S seconds every box
#                            request is answered by closing the connection
#   "advance": S             move the simulated clock S seconds forward
#   "link": "up"|"down"      physical link (down: connection drops too;
#                            up again after down counts as a DSL resync)
#   "connection": "Connected"|"Disconnected"
#   "external_ip": "a.b.c.d"
#   "resync": true           DSL: line retrains (rates, margins change,
#                            LinkRetrain+1, PPP reconnects: uptime resets);
#                            fiber: Resyncs+1, MinutesInShowtime resets
#   "firmware": "7.57"       NewSoftwareVersion becomes <code>.07.57
#                            (a value with two dots is used as is)
#   "drop_actions": [..]     actions ("GetAddonInfos" or
#                            "serviceType#Action") that now answer 401
#                            Invalid Action and vanish from the SCPDs, as
#                            after a firmware change; [] restores all
#   "associations": [a,b,c]  WLAN 1/2/3 associations
#   "mode": "normal"|"hung"|"slow"|"fault"|"html500"|"html200"|"garbage"|
#           "truncated"      how box requests (not /_sim) are answered:
#       hung      read the request, never answer (until the client goes
#                 away or the mode changes; then close without answer)
#       slow      normal headers, then the body one byte per slow_ms
#       fault     SOAP actions answer 500 UPnPError fault_code
#       html500   500 with an HTML page instead of XML
#       html200   200 text/html page instead of a SOAP reply (the
#                 FRITZ!OS 7 "GetAddonInfos returns HTML" failure)
#       garbage   bytes that are not HTTP, then close
#       truncated Content-Length larger than the body, then close
#   "fault_code": 501        (401, 402, 501, 606, 713, 714, 820, ...)
#   "fault_actions": [..]    limit modes fault/html500/html200 to these
#                            actions ([] = every request)
#   "slow_ms": 200           drip interval of the slow mode
# The answer is the new state as JSON; a bad key or value gives 400 and
# changes nothing.
#
# GET /_sim/stats: {"connections": box connections (those that carried at
# least one non-/_sim request), "connections_tls", "accepted" (all TCP
# accepts), "tls_handshake_failures", "requests", "max_requests_per_connection",
# "paths": {path: n}, "actions": {"serviceType#Action": n}, "status":
# {"200": n, ...}, "faults": {"401": n, ...}, "auth": {"challenges",
# "failures", "stale", "ok", "locked", "consecutive_failures"}, "state":
# {...}}.
#
# Usage:
#   fritz_sim.py --port P [--tls-port P2 --cert F --key F]
#                --user monitor --password-file F
#                --personality dsl|cable|fiber|repeater
#                [--state FILE] [--log FILE] [--pid-file F]
#                [--wrap-in S] [--nonce-lifetime S] [--idle-timeout S]
#                [--lockout-after N] [--lockout-seconds S]
#
#   --password-file F  first line is the password (trailing newline cut)
#   --state FILE       JSON object of control keys applied at start if FILE
#                      exists; rewritten with the persistent part of the
#                      state (link, connection, external_ip, firmware,
#                      mode, ...) after every control request and at exit,
#                      so a restarted simulator resumes it
#   --log FILE         one line per request: time, connection number,
#                      http|tls, method, path, action, status
#   --pid-file F       written (atomically) once both ports accept
#   --lockout-after N  after N consecutive wrong credentials, refuse even
#                      right ones (401) for --lockout-seconds (default off)
#
# Readiness: once the ports are bound the pid file is written and one line
# "ready port=P tls_port=P2 pid=N" goes to stdout; with TLS it ends with
# " pin=sha256//BASE64", the certificate's public-key pin (what
# `openssl x509 -pubkey | openssl pkey -pubin -outform der | openssl dgst
# -sha256 -binary | base64` prints), for curl --pinnedpubkey. SIGTERM or
# SIGINT: stop, write the state file, remove the pid file, exit 0. Exit 2: bad arguments,
# unreadable password/cert/state file, port in use.
#
# Example:
#   tests/integration/fritz_sim.py --port 49000 --user monitor \
#       --password-file pw --personality dsl &
#   curl --digest -u monitor:secret -H 'SOAPACTION: urn:dslforum-org:service:DeviceInfo:1#GetInfo' \
#       -d @envelope.xml http://127.0.0.1:49000/upnp/control/deviceinfo

import argparse
import base64
import hashlib
import http.server
import itertools
import json
import os
import re
import secrets
import select
import ssl
import sys
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

import simlib

REALM = "F!Box SOAP-Auth"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP_ENC = "http://schemas.xmlsoap.org/soap/encoding/"
TR64 = "urn:dslforum-org:service:"
IGD = "urn:schemas-upnp-org:service:"
MAX_BODY = 65536
U32 = 1 << 32
CONN_NO = itertools.count(1)  # connection numbers in --log

FAULTS = {
    401: "Invalid Action",
    402: "Invalid Args",
    501: "Action Failed",
    600: "Argument Value Invalid",
    606: "Action not authorized",
    713: "SpecifiedArrayIndexInvalid",
    714: "NoSuchEntryInArray",
    820: "Internal Error",
}
MODES = ("normal", "hung", "slow", "fault", "html500", "html200", "garbage",
         "truncated")

PERSONALITIES = {
    "dsl": {
        "model": "FRITZ!Box 7590", "code": "154", "access": "DSL",
        "wan": "ppp", "serial": "3C3786A1B2C3", "mac": "3C:37:86:A1:B2:C3",
        # (down kbit/s, up kbit/s, max down, max up, margin dn/up, atten dn/up)
        "dsl": [(116790, 46720, 128000, 48873, 80, 90, 140, 80),
                (105000, 40110, 110500, 42000, 60, 70, 145, 82),
                (249065, 46719, 249065, 48873, 95, 100, 135, 78)],
        "rx_rate": 250000, "tx_rate": 50000,
    },
    "cable": {
        "model": "FRITZ!Box 6591 Cable", "code": "161", "access": "Cable",
        "wan": "ip", "serial": "E0286DA1B2C4", "mac": "E0:28:6D:A1:B2:C4",
        "layer1": (1000000000, 50000000),
        "rx_rate": 400000, "tx_rate": 40000,
    },
    "fiber": {
        "model": "FRITZ!Box 5530 Fiber", "code": "256", "access": "Ethernet",
        "wan": "ip", "serial": "2C91ABA1B2C5", "mac": "2C:91:AB:A1:B2:C5",
        "layer1": (1000000000, 500000000),
        "rx_rate": 500000, "tx_rate": 100000,
    },
    "repeater": {
        "model": "FRITZ!Repeater 2400", "code": "225", "access": None,
        "wan": None, "serial": "DC15C8A1B2C6", "mac": "DC:15:C8:A1:B2:C6",
    },
}

HOSTS = [
    # ip, name, mac, active, interface type, speed
    ("192.168.178.20", "nas", "3C:37:86:00:00:20", 1, "Ethernet", 1000),
    ("192.168.178.21", "tom's & jerry's phone", "3C:37:86:00:00:21", 1,
     "802.11", 866),
    ("192.168.178.22", "printer", "3C:37:86:00:00:22", 0, "802.11", 0),
    ("192.168.178.23", "tv", "3C:37:86:00:00:23", 1, "Ethernet", 100),
    ("192.168.178.24", "laptop", "3C:37:86:00:00:24", 1, "802.11", 1201),
    ("192.168.178.25", "old-tablet", "3C:37:86:00:00:25", 0, "802.11", 0),
    ("192.168.178.26", "<guest>", "3C:37:86:00:00:26", 0, "802.11", 0),
]
WLANS = [("2.4 GHz", "homelab", "n", 6), ("5 GHz", "homelab", "ax", 36),
         ("Guest", "homelab-guest", "n", 6)]


class Fault(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.code = code


def soft_version(code, fw):
    if fw.count(".") >= 2:
        return fw
    major, minor = fw.split(".")
    return f"{code}.{int(major):02d}.{int(minor):02d}"


def samples(rate, n=20):
    return ",".join(str(int(rate * (0.6 + 0.4 * ((i * 7) % 10) / 9)))
                    for i in range(n))


# --- the box ------------------------------------------------------------------

class Box:
    """All simulated state. Every method that reads or changes it is called
    with self.lock held (the handlers do that)."""

    def __init__(self, o):
        self.o = o
        self.name = o.personality
        self.p = PERSONALITIES[o.personality]
        self.lock = threading.RLock()
        self.offset = 0.0
        self.firmware = "7.57"
        self.external_ip = "203.0.113.7"
        self.link_up = True
        self.conn_wanted = True
        self.mode = "normal"
        self.fault_code = 501
        self.fault_actions = set()
        self.slow_ms = 200
        self.dropped = set()
        self.assoc = [5, 3, 1]
        self.host_sids = set()
        self.boots = 0
        self.reset_stats()
        self._boot(initial=True)

    def now(self):
        return time.monotonic() + self.offset

    def _boot(self, initial=False):
        t = self.now()
        self.boot_at = t - (3 * 86400 + 4711 if initial else 0)
        self.conn_since = t - (86400 + 1234 if initial else 0)
        self.line_since = self.conn_since - (600 if initial else 0)
        self.last = t
        rx, tx = self.p.get("rx_rate", 0), self.p.get("tx_rate", 0)
        self.rx = float(U32 - self.o.wrap_in * rx) if rx else 0.0
        self.tx = float(U32 - 2 * self.o.wrap_in * tx) if tx else 0.0
        self.lan_rx = 123456789.0
        self.lan_tx = 987654321.0
        self.errs = {"crc": 53.0, "atuc_crc": 13.0, "fec": 1200.0,
                     "atuc_fec": 300.0, "hec": 0.0, "es": 25.0, "ses": 1.0}
        self.retrains = 2
        self.variant = 0
        self.fiber_resyncs = 0
        self.nonces = {}
        self.host_sids = set()
        self.consecutive_failures = 0
        self.locked_until = 0.0
        self.down_until = 0.0
        self.boots += 1

    def reset_stats(self):
        self.stats = {
            "connections": 0, "connections_tls": 0, "accepted": 0,
            "tls_handshake_failures": 0, "requests": 0,
            "max_requests_per_connection": 0, "paths": {}, "actions": {},
            "status": {}, "faults": {},
            "auth": {"challenges": 0, "failures": 0, "stale": 0, "ok": 0,
                     "locked": 0},
        }

    def bump(self, group, key):
        d = self.stats[group]
        d[key] = d.get(key, 0) + 1

    @property
    def online(self):
        return self.p["wan"] is not None and self.link_up and self.conn_wanted

    def advance(self):
        t = self.now()
        dt = max(0.0, t - self.last)
        self.last = t
        if self.online:
            self.rx += self.p["rx_rate"] * dt
            self.tx += self.p["tx_rate"] * dt
        self.lan_rx += 80000 * dt
        self.lan_tx += 300000 * dt
        if self.p["access"] == "DSL" and self.link_up:
            for k, r in (("crc", 0.05), ("atuc_crc", 0.02), ("fec", 2.0),
                         ("atuc_fec", 0.5), ("es", 0.02), ("ses", 0.001)):
                self.errs[k] += r * dt
        return t

    def _set_online(self, was):
        if not was and self.online:
            self.conn_since = self.now()

    def resync(self):
        t = self.now()
        self.line_since = t
        self.retrains += 1
        self.fiber_resyncs += 1
        if "dsl" in self.p:
            self.variant = (self.variant + 1) % len(self.p["dsl"])
        self.conn_since = t

    def persistent(self):
        return {
            "link": "up" if self.link_up else "down",
            "connection": "Connected" if self.conn_wanted else "Disconnected",
            "external_ip": self.external_ip, "firmware": self.firmware,
            "mode": self.mode, "fault_code": self.fault_code,
            "fault_actions": sorted(self.fault_actions),
            "slow_ms": self.slow_ms, "drop_actions": sorted(self.dropped),
            "associations": list(self.assoc),
        }

    def state(self):
        t = self.advance()
        s = self.persistent()
        s.update({
            "personality": self.name, "boots": self.boots,
            "uptime": int(t - self.boot_at),
            "connection_uptime": int(t - self.conn_since) if self.online else 0,
            "line_uptime": int(t - self.line_since) if self.link_up else 0,
            "effective_connection": self.conn_status(),
            "total_bytes_received": int(self.rx),
            "total_bytes_sent": int(self.tx),
            "locked": self.locked_until > t,
        })
        return s

    def control(self, req):
        """Applies a control object; raises ValueError (nothing changed)."""
        if not isinstance(req, dict):
            raise ValueError("control body must be a JSON object")
        known = {"reset_stats", "restart", "down_for", "advance", "link",
                 "connection", "external_ip", "resync", "firmware",
                 "drop_actions", "associations", "mode", "fault_code",
                 "fault_actions", "slow_ms"}
        bad = sorted(set(req) - known)
        if bad:
            raise ValueError(f"unknown control key(s): {', '.join(bad)}")
        checks = {
            "link": lambda v: v in ("up", "down"),
            "connection": lambda v: v in ("Connected", "Disconnected"),
            "mode": lambda v: v in MODES,
            "external_ip": lambda v: isinstance(v, str)
            and re.fullmatch(r"[0-9a-fA-F.:]{2,45}", v),
            "firmware": lambda v: isinstance(v, str)
            and re.fullmatch(r"\d+\.\d+(\.\d+)?", v),
            "fault_code": lambda v: isinstance(v, int) and 100 <= v <= 999,
            "slow_ms": lambda v: isinstance(v, int) and 1 <= v <= 60000,
            "down_for": lambda v: isinstance(v, (int, float)) and 0 <= v <= 3600,
            "advance": lambda v: isinstance(v, (int, float)) and 0 <= v <= 1e9,
            "drop_actions": lambda v: isinstance(v, list)
            and all(isinstance(x, str) for x in v),
            "fault_actions": lambda v: isinstance(v, list)
            and all(isinstance(x, str) for x in v),
            "associations": lambda v: isinstance(v, list) and len(v) == 3
            and all(isinstance(x, int) and x >= 0 for x in v),
        }
        for k, ok in checks.items():
            if k in req and not ok(req[k]):
                raise ValueError(f"bad value for {k}: {req[k]!r}")
        self.advance()
        if req.get("reset_stats"):
            self.reset_stats()
        if req.get("restart"):
            self._boot()
        if "down_for" in req:
            self.down_until = self.now() + req["down_for"]
        if "advance" in req:
            self.offset += req["advance"]
            self.advance()
        was = self.online
        if "link" in req:
            up = req["link"] == "up"
            if up and not self.link_up:
                self.resync()
            self.link_up = up
        if "connection" in req:
            self.conn_wanted = req["connection"] == "Connected"
        self._set_online(was)
        if "external_ip" in req:
            self.external_ip = req["external_ip"]
        if req.get("resync"):
            self.resync()
        if "firmware" in req:
            self.firmware = req["firmware"]
        if "drop_actions" in req:
            self.dropped = set(req["drop_actions"])
        if "associations" in req:
            self.assoc = list(req["associations"])
        if "mode" in req:
            self.mode = req["mode"]
        if "fault_code" in req:
            self.fault_code = req["fault_code"]
        if "fault_actions" in req:
            self.fault_actions = set(req["fault_actions"])
        if "slow_ms" in req:
            self.slow_ms = req["slow_ms"]

    # --- values ----------------------------------------------------------

    def conn_status(self):
        if self.p["wan"] is None:
            return "Unconfigured"
        return "Connected" if self.online else "Disconnected"

    def conn_uptime(self):
        return int(self.now() - self.conn_since) if self.online else 0

    def ext_ip(self):
        return self.external_ip if self.online else "0.0.0.0"

    def dsl(self):
        v = self.p["dsl"][self.variant]
        if not self.link_up:
            return (0, 0, 0, 0, 0, 0, 0, 0)
        return v

    def layer1(self):
        """(up bit/s, down bit/s)."""
        if "dsl" in self.p:
            d = self.dsl()
            return d[1] * 1000, d[0] * 1000
        if not self.link_up:
            return 0, 0
        return self.p["layer1"][1], self.p["layer1"][0]

    def rates(self):
        """(send B/s, receive B/s) now."""
        if not self.online:
            return 0, 0
        return self.p["tx_rate"], self.p["rx_rate"]


# --- actions ------------------------------------------------------------------
# Each handler gets (box, in-args dict, service) and returns a list of
# (out-argument name, value) pairs in wire order. Handlers raise Fault.

def a_device_info(b, a, s):
    t = b.now()
    return [
        ("NewManufacturerName", "AVM"), ("NewManufacturerOUI", "00040E"),
        ("NewModelName", b.p["model"]),
        ("NewDescription", f"{b.p['model']} "
         f"{soft_version(b.p['code'], b.firmware)}"),
        ("NewProductClass", b.p["model"].split()[0]),
        ("NewSerialNumber", b.p["serial"]),
        ("NewSoftwareVersion", soft_version(b.p["code"], b.firmware)),
        ("NewHardwareVersion", b.p["model"]),
        ("NewSpecVersion", "1.0"), ("NewProvisioningCode", ""),
        ("NewUpTime", int(t - b.boot_at)),
        ("NewDeviceLog", "01.01.24 00:00:01 Internet connection established"
         " successfully. IP address: 203.0.113.7 & DNS ok <ipv4>\n"
         "01.01.24 00:00:00 FRITZ!OS started"),
    ]


def a_security_port(b, a, s):
    return [("NewSecurityPort", b.o.tls_port or 49443)]


def a_default_conn(b, a, s):
    kind = "WANPPPConnection" if b.p["wan"] == "ppp" else "WANIPConnection"
    return [("NewDefaultConnectionService", f"1.{kind}.1")]


def a_common_link(b, a, s):
    up, down = b.layer1()
    out = [("NewWANAccessType", b.p["access"]),
           ("NewLayer1UpstreamMaxBitRate", up),
           ("NewLayer1DownstreamMaxBitRate", down),
           ("NewPhysicalLinkStatus", "Up" if b.link_up else "Down")]
    if s.kind == "tr64":
        tx, rx = b.rates()
        out += [("NewX_AVM-DE_DownstreamCurrentUtilization", samples(rx)),
                ("NewX_AVM-DE_UpstreamCurrentUtilization", samples(tx)),
                ("NewX_AVM-DE_DownstreamCurrentMaxSpeed", down // 8),
                ("NewX_AVM-DE_UpstreamCurrentMaxSpeed", up // 8)]
    return out


def a_bytes_sent(b, a, s):
    return [("NewTotalBytesSent", int(b.tx) % U32)]


def a_bytes_received(b, a, s):
    return [("NewTotalBytesReceived", int(b.rx) % U32)]


def a_packets_sent(b, a, s):
    return [("NewTotalPacketsSent", int(b.tx / 1000) % U32)]


def a_packets_received(b, a, s):
    return [("NewTotalPacketsReceived", int(b.rx / 1400) % U32)]


def a_addon_infos(b, a, s):
    tx, rx = b.rates()
    return [
        ("NewByteSendRate", tx), ("NewByteReceiveRate", rx),
        ("NewPacketSendRate", tx // 1000), ("NewPacketReceiveRate", rx // 1400),
        ("NewTotalBytesSent", int(b.tx) % U32),
        ("NewTotalBytesReceived", int(b.rx) % U32),
        ("NewAutoDisconnectTime", 0), ("NewIdleDisconnectTime", 0),
        ("NewDNSServer1", "198.51.100.53"), ("NewDNSServer2", "198.51.100.54"),
        ("NewVoipDNSServer1", "198.51.100.53"),
        ("NewVoipDNSServer2", "198.51.100.54"),
        ("NewUpnpControlEnabled", 0), ("NewRoutedBridgedModeBoth", 1),
        ("NewX_AVM_DE_TotalBytesSent64", int(b.tx)),
        ("NewX_AVM_DE_TotalBytesReceived64", int(b.rx)),
        ("NewX_AVM_DE_WANAccessType", b.p["access"]),
    ]


def a_online_monitor(b, a, s):
    try:
        idx = int(a.get("NewSyncGroupIndex", ""))
    except ValueError:
        raise Fault(402) from None
    if idx != 0:
        raise Fault(713)
    tx, rx = b.rates()
    up, down = b.layer1()
    return [
        ("NewTotalNumberSyncGroups", 1), ("NewSyncGroupName", "sync_dsl"
                                          if b.p["access"] == "DSL" else "sync_wan"),
        ("NewSyncGroupMode", b.p["access"].upper()),
        ("Newmax_ds", down // 8), ("Newmax_us", up // 8),
        ("Newds_current_bps", samples(rx)), ("Newmc_current_bps", samples(0)),
        ("Newus_current_bps", samples(tx)),
        ("Newprio_realtime_bps", samples(tx // 10)),
        ("Newprio_high_bps", samples(tx // 5)),
        ("Newprio_default_bps", samples(tx // 2)),
        ("Newprio_low_bps", samples(tx // 10)),
    ]


def a_dsl_info(b, a, s):
    dn, up, mdn, mup, ndn, nup, adn, aup = b.dsl()
    return [
        ("NewEnable", 1), ("NewStatus", "Up" if b.link_up else "NoSignal"),
        ("NewDataPath", "Interleaved"),
        ("NewUpstreamCurrRate", up), ("NewDownstreamCurrRate", dn),
        ("NewUpstreamMaxRate", mup), ("NewDownstreamMaxRate", mdn),
        ("NewUpstreamNoiseMargin", nup), ("NewDownstreamNoiseMargin", ndn),
        ("NewUpstreamAttenuation", aup), ("NewDownstreamAttenuation", adn),
        ("NewATURVendor", "41564d00"), ("NewATURCountry", "0400"),
        ("NewUpstreamPower", 498 if b.link_up else 0),
        ("NewDownstreamPower", 513 if b.link_up else 0),
    ]


def a_dsl_stats(b, a, s):
    e = {k: int(v) for k, v in b.errs.items()}
    return [
        ("NewReceiveBlocks", int(b.rx / 100) % U32),
        ("NewTransmitBlocks", int(b.tx / 100) % U32),
        ("NewCellDelin", 0), ("NewLinkRetrain", b.retrains),
        ("NewInitErrors", 0), ("NewInitTimeouts", 0), ("NewLossOfFraming", 0),
        ("NewErroredSecs", e["es"]), ("NewSeverelyErroredSecs", e["ses"]),
        ("NewFECErrors", e["fec"]), ("NewATUCFECErrors", e["atuc_fec"]),
        ("NewHECErrors", e["hec"]), ("NewATUCHECErrors", 0),
        ("NewCRCErrors", e["crc"]), ("NewATUCCRCErrors", e["atuc_crc"]),
    ]


def a_dsl_link_info(b, a, s):
    return [("NewLinkType", "PPPoE"),
            ("NewLinkStatus", "Up" if b.link_up else "Down")]


def _is_active_conn(b, s):
    """TR-064 WANIPConnection on a PPP box is configured but unused."""
    return not (s.kind == "tr64" and s.short == "WANIPConnection:1"
                and b.p["wan"] == "ppp")


def a_status_info(b, a, s):
    if not _is_active_conn(b, s):
        return [("NewConnectionStatus", "Unconfigured"),
                ("NewLastConnectionError", "ERROR_NONE"), ("NewUptime", 0)]
    err = "ERROR_NONE" if b.online else (
        "ERROR_NO_CARRIER" if not b.link_up else "ERROR_USER_DISCONNECT")
    return [("NewConnectionStatus", b.conn_status()),
            ("NewLastConnectionError", err), ("NewUptime", b.conn_uptime())]


def a_external_ip(b, a, s):
    ip = b.ext_ip() if _is_active_conn(b, s) else "0.0.0.0"
    return [("NewExternalIPAddress", ip)]


def a_conn_type(b, a, s):
    return [("NewConnectionType", "IP_Routed"),
            ("NewPossibleConnectionTypes", "IP_Routed, IP_Bridged")]


def a_conn_info(b, a, s):
    active = _is_active_conn(b, s)
    status = a_status_info(b, a, s)
    common = [("NewEnable", 1 if active else 0), status[0],
              ("NewPossibleConnectionTypes", "IP_Routed, IP_Bridged"),
              ("NewConnectionType", "IP_Routed"),
              ("NewName", "internet" if active else ""), status[2]]
    if s.short == "WANPPPConnection:1":
        up, down = b.layer1()
        return common + [
            ("NewUpstreamMaxBitRate", up), ("NewDownstreamMaxBitRate", down),
            status[1], ("NewIdleDisconnectTime", 0), ("NewRSIPAvailable", 0),
            ("NewUserName", "ab1234567890@example.net"), ("NewNATEnabled", 1),
            ("NewExternalIPAddress", b.ext_ip()),
            ("NewRemoteIPAddress", "198.51.100.1" if b.online else "0.0.0.0"),
            ("NewDNSEnabled", 1), ("NewDNSOverrideAllowed", 0),
            ("NewDNSServers", "198.51.100.53, 198.51.100.54"),
            ("NewMACAddress", b.p["mac"]), ("NewConnectionTrigger", "AlwaysOn"),
            ("NewLastAuthErrorInfo", ""), ("NewTransportType", "PPPoE"),
            ("NewPPPoEServiceName", ""), ("NewPPPoEACName", "BRAS01"),
        ]
    return common + [
        status[1], ("NewRSIPAvailable", 0), ("NewNATEnabled", 1),
        ("NewExternalIPAddress", a_external_ip(b, a, s)[0][1]),
        ("NewSubnetMask", "255.255.255.0" if active else "0.0.0.0"),
        ("NewAddressingType", "DHCP"),
        ("NewDefaultGateway", "203.0.113.1" if active and b.online else "0.0.0.0"),
        ("NewMACAddress", b.p["mac"]), ("NewMACAddressOverride", ""),
        ("NewMaxMTUSize", 1500), ("NewDNSServers", "198.51.100.53"),
        ("NewDNSEnabled", 1), ("NewDNSOverrideAllowed", 0),
        ("NewConnectionTrigger", "AlwaysOn"), ("NewRouteProtocolRx", "Off"),
    ]


def a_host_count(b, a, s):
    return [("NewHostNumberOfEntries", len(HOSTS))]


def a_host_entry(b, a, s):
    try:
        idx = int(a.get("NewIndex", ""))
    except ValueError:
        raise Fault(402) from None
    if not 0 <= idx < len(HOSTS):
        raise Fault(713)
    ip, name, mac, active, itype, _ = HOSTS[idx]
    return [("NewIPAddress", ip), ("NewAddressSource", "DHCP"),
            ("NewLeaseTimeRemaining", 86000 if active else 0),
            ("NewMACAddress", mac), ("NewInterfaceType", itype),
            ("NewActive", active), ("NewHostName", name)]


def a_host_list_path(b, a, s):
    sid = secrets.token_hex(8)
    b.host_sids.add(sid)
    return [("NewX_AVM-DE_HostListPath", f"/devicehostlist.lua?sid={sid}")]


def a_wlan_assoc(b, a, s):
    return [("NewTotalAssociations", b.assoc[s.instance - 1])]


def a_wlan_info(b, a, s):
    band, ssid, std, chan = WLANS[s.instance - 1]
    return [("NewEnable", 1), ("NewStatus", "Up"), ("NewMaxBitRate", "Auto"),
            ("NewChannel", chan), ("NewSSID", ssid), ("NewBeaconType", "11i"),
            ("NewMACAddressControlEnabled", 0), ("NewStandard", std),
            ("NewBSSID", f"{b.p['mac'][:-2]}{s.instance:02X}"),
            ("NewBasicEncryptionModes", "None"),
            ("NewBasicAuthenticationMode", "None"),
            ("NewMaxCharsSSID", 32), ("NewMinCharsSSID", 1),
            ("NewAllowedCharsSSID", "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
             "abcdefghijklmnopqrstuvwxyz !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
            ("NewX_AVM-DE_FrequencyBand", band.split()[0].replace(".", ""))]


def a_lan_stats(b, a, s):
    return [("NewBytesSent", int(b.lan_tx) % U32),
            ("NewBytesReceived", int(b.lan_rx) % U32),
            ("NewPacketsSent", int(b.lan_tx / 1000) % U32),
            ("NewPacketsReceived", int(b.lan_rx / 1000) % U32)]


def a_lan_info(b, a, s):
    return [("NewEnable", 1), ("NewStatus", "Up"), ("NewMACAddress", b.p["mac"]),
            ("NewMaxBitRate", "Auto"), ("NewDuplexMode", "Auto")]


def a_fiber_info(b, a, s):
    up = b.link_up
    return [("NewOpticalSignalLevel", -18450 if up else -40000),
            ("NewLowerOpticalThreshold", -28000),
            ("NewUpperOpticalThreshold", -8000),
            ("NewTransmitOpticalLevel", 2310 if up else 0),
            ("NewLowerTransmitPowerThreshold", 500),
            ("NewUpperTransmitPowerThreshold", 5000),
            ("NewSFPVendor", "AVM"), ("NewSFPPartNumber", "SFP-GPON-A"),
            ("NewSFPSerialNumber", "AB12345678901"), ("NewSFPType", 1),
            ("NewTXWaveLength", 1310), ("NewFiberMode", "GPON")]


def a_fiber_stats(b, a, s):
    t = b.now()
    up, down = b.layer1()
    return [("NewBytesSent", int(b.tx) % U32),
            ("NewBytesReceived", int(b.rx) % U32),
            ("NewPacketsSent", int(b.tx / 1000) % U32),
            ("NewPacketsReceived", int(b.rx / 1400) % U32),
            ("NewPacketErrorsSent", 0), ("NewPacketErrorsReceived", 0),
            ("NewPacketsMulticast", 0),
            ("NewConnectionRateDown", down // 1000),
            ("NewConnectionRateUp", up // 1000),
            ("NewBestTrainState", 0), ("NewResyncs", b.fiber_resyncs),
            ("NewMinutesInShowtime",
             int((t - b.line_since) // 60) if b.link_up else 0)]


class Service:
    def __init__(self, kind, short, sid, control, scpd, actions, instance=1):
        self.kind = kind  # "tr64" or "igd"
        self.short = short
        self.type = (TR64 if kind == "tr64" else IGD) + short
        self.sid = sid
        self.control = control
        self.scpd = scpd
        self.actions = actions  # name -> ([in args], handler)
        self.instance = instance


def build_services(p):
    """(tr64 root services, tr64 LAN, tr64 WAN, tr64 WAN connection,
    igd WAN, igd WAN connection) lists for personality dict p."""
    T = "tr64"
    root = [
        Service(T, "DeviceInfo:1", "urn:DeviceInfo-com:serviceId:DeviceInfo1",
                "/upnp/control/deviceinfo", "/deviceinfoSCPD.xml",
                {"GetInfo": ([], a_device_info),
                 "GetSecurityPort": ([], a_security_port)}),
    ]
    if p["wan"]:
        root.append(Service(
            T, "Layer3Forwarding:1",
            "urn:Layer3Forwarding-com:serviceId:Layer3Forwarding1",
            "/upnp/control/layer3forwarding", "/layer3forwardingSCPD.xml",
            {"GetDefaultConnectionService": ([], a_default_conn)}))
    lan = [
        Service(T, "Hosts:1", "urn:LanDeviceHosts-com:serviceId:Hosts1",
                "/upnp/control/hosts", "/hostsSCPD.xml",
                {"GetHostNumberOfEntries": ([], a_host_count),
                 "GetGenericHostEntry": (["NewIndex"], a_host_entry),
                 "X_AVM-DE_GetHostListPath": ([], a_host_list_path)}),
        Service(T, "LANEthernetInterfaceConfig:1",
                "urn:LANEthernetIfCfg-com:serviceId:LANEthernetInterfaceConfig1",
                "/upnp/control/lanethernetifcfg", "/ethifconfigSCPD.xml",
                {"GetInfo": ([], a_lan_info),
                 "GetStatistics": ([], a_lan_stats)}),
    ]
    for i in (1, 2, 3):
        lan.append(Service(
            T, f"WLANConfiguration:{i}",
            f"urn:WLANConfiguration-com:serviceId:WLANConfiguration{i}",
            f"/upnp/control/wlanconfig{i}", "/wlanconfigSCPD.xml",
            {"GetInfo": ([], a_wlan_info),
             "GetTotalAssociations": ([], a_wlan_assoc)}, instance=i))
    wan, wanconn, igd_wan, igd_conn = [], [], [], []
    if p["wan"]:
        wan.append(Service(
            T, "WANCommonInterfaceConfig:1",
            "urn:WANCIfConfig-com:serviceId:WANCommonInterfaceConfig1",
            "/upnp/control/wancommonifconfig1", "/wancommonifconfigSCPD.xml",
            {"GetCommonLinkProperties": ([], a_common_link),
             "GetTotalBytesSent": ([], a_bytes_sent),
             "GetTotalBytesReceived": ([], a_bytes_received),
             "GetTotalPacketsSent": ([], a_packets_sent),
             "GetTotalPacketsReceived": ([], a_packets_received),
             "X_AVM-DE_GetOnlineMonitor": (["NewSyncGroupIndex"],
                                           a_online_monitor)}))
        if p["access"] == "DSL":
            wan.append(Service(
                T, "WANDSLInterfaceConfig:1",
                "urn:WANDSLIfConfig-com:serviceId:WANDSLInterfaceConfig1",
                "/upnp/control/wandslifconfig1", "/wandslifconfigSCPD.xml",
                {"GetInfo": ([], a_dsl_info),
                 "GetStatisticsTotal": ([], a_dsl_stats)}))
        if "layer1" in p and p["access"] == "Ethernet":
            wan.append(Service(
                T, "X_AVM-DE_WANFiber:1",
                "urn:X_AVM-DE_WANFiber-com:serviceId:X_AVM-DE_WANFiber1",
                "/upnp/control/x_wanfiber", "/x_wanfiberSCPD.xml",
                {"GetInfo": ([], a_fiber_info),
                 "GetStatistics": ([], a_fiber_stats)}))
        conn_actions = {"GetInfo": ([], a_conn_info),
                        "GetStatusInfo": ([], a_status_info),
                        "GetExternalIPAddress": ([], a_external_ip)}
        if p["wan"] == "ppp":
            wanconn.append(Service(
                T, "WANPPPConnection:1",
                "urn:WANPPPConnection-com:serviceId:WANPPPConnection1",
                "/upnp/control/wanpppconn1", "/wanpppconnSCPD.xml",
                dict(conn_actions)))
        wanconn.append(Service(
            T, "WANIPConnection:1",
            "urn:WANIPConnection-com:serviceId:WANIPConnection1",
            "/upnp/control/wanipconnection1", "/wanipconnSCPD.xml",
            dict(conn_actions)))
        G = "igd"
        igd_wan.append(Service(
            G, "WANCommonInterfaceConfig:1", "urn:upnp-org:serviceId:WANCommonIFC1",
            "/igdupnp/control/WANCommonIFC1", "/igdicfgSCPD.xml",
            {"GetCommonLinkProperties": ([], a_common_link),
             "GetTotalBytesSent": ([], a_bytes_sent),
             "GetTotalBytesReceived": ([], a_bytes_received),
             "GetTotalPacketsSent": ([], a_packets_sent),
             "GetTotalPacketsReceived": ([], a_packets_received),
             "GetAddonInfos": ([], a_addon_infos)}))
        if p["access"] == "DSL":
            igd_conn.append(Service(
                G, "WANDSLLinkConfig:1", "urn:upnp-org:serviceId:WANDSLLinkC1",
                "/igdupnp/control/WANDSLLinkC1", "/igddslSCPD.xml",
                {"GetDSLLinkInfo": ([], a_dsl_link_info)}))
        igd_conn.append(Service(
            G, "WANIPConnection:1", "urn:upnp-org:serviceId:WANIPConn1",
            "/igdupnp/control/WANIPConn1", "/igdconnSCPD.xml",
            {"GetStatusInfo": ([], a_status_info),
             "GetExternalIPAddress": ([], a_external_ip),
             "GetConnectionTypeInfo": ([], a_conn_type)}))
    return root, lan, wan, wanconn, igd_wan, igd_conn


# --- documents ----------------------------------------------------------------

def service_xml(s):
    return ("<service>"
            f"<serviceType>{s.type}</serviceType>"
            f"<serviceId>{s.sid}</serviceId>"
            f"<controlURL>{s.control}</controlURL>"
            f"<eventSubURL>{s.control.replace('/control/', '/event/')}</eventSubURL>"
            f"<SCPDURL>{s.scpd}</SCPDURL>"
            "</service>\n")


def device_xml(b, dtype, name, services, children=""):
    p = b.p
    return ("<device>\n"
            f"<deviceType>{dtype}</deviceType>\n"
            f"<friendlyName>{escape(name)}</friendlyName>\n"
            "<manufacturer>AVM</manufacturer>\n"
            "<manufacturerURL>http://www.avm.de</manufacturerURL>\n"
            f"<modelDescription>{escape(p['model'])}</modelDescription>\n"
            f"<modelName>{escape(p['model'])}</modelName>\n"
            f"<modelNumber>avm</modelNumber>\n"
            "<modelURL>http://www.avm.de</modelURL>\n"
            f"<UDN>uuid:{hashlib.md5((p['serial'] + dtype).encode()).hexdigest()}</UDN>\n"
            "<serviceList>\n" + "".join(service_xml(s) for s in services) +
            "</serviceList>\n" +
            (f"<deviceList>\n{children}</deviceList>\n" if children else "") +
            "</device>\n")


def tr64desc(b, svc):
    root, lan, wan, wanconn, _, _ = svc
    d = "urn:dslforum-org:device:"
    children = device_xml(b, d + "LANDevice:1", "LANDevice - " + b.p["model"], lan)
    if wan:
        conn = device_xml(b, d + "WANConnectionDevice:1",
                          "WANConnectionDevice - " + b.p["model"], wanconn)
        children += device_xml(b, d + "WANDevice:1", "WANDevice - " + b.p["model"],
                               wan, conn)
    sv = soft_version(b.p["code"], b.firmware)
    return ('<?xml version="1.0"?>\n'
            '<root xmlns="urn:dslforum-org:device-1-0">\n'
            "<specVersion><major>1</major><minor>0</minor></specVersion>\n"
            "<systemVersion><HW>223</HW>"
            f"<Major>{sv.split('.')[0]}</Major><Minor>{sv.split('.')[1]}</Minor>"
            f"<Patch>{sv.split('.')[2]}</Patch><Buildnumber>110000</Buildnumber>"
            f"<Display>{sv}</Display></systemVersion>\n" +
            device_xml(b, d + "InternetGatewayDevice:1", b.p["model"], root,
                       children) +
            "</root>\n")


def igddesc(b, svc):
    _, _, _, _, igd_wan, igd_conn = svc
    d = "urn:schemas-upnp-org:device:"
    conn = device_xml(b, d + "WANConnectionDevice:1", "WANConnectionDevice - "
                      + b.p["model"], igd_conn)
    wan = device_xml(b, d + "WANDevice:1", "WANDevice - " + b.p["model"],
                     igd_wan, conn)
    anysvc = Service("igd", "Any:1", "urn:any-com:serviceId:any1",
                     "/igdupnp/control/any", "/any.xml", {})
    anysvc.type = "urn:schemas-any-com:service:Any:1"
    return ('<?xml version="1.0"?>\n'
            '<root xmlns="urn:schemas-upnp-org:device-1-0">\n'
            "<specVersion><major>1</major><minor>0</minor></specVersion>\n" +
            device_xml(b, d + "InternetGatewayDevice:1", b.p["model"], [anysvc],
                       wan) +
            "</root>\n")


def is_dropped(b, s, action):
    return action in b.dropped or f"{s.type}#{action}" in b.dropped


def scpd(b, services):
    """SCPD document for the services sharing one SCPD URL (the WLAN ones);
    out-argument lists and data types come from calling the handlers on the
    current state. Dropped actions are left out."""
    s = services[0]
    ns = ("urn:dslforum-org:service-1-0" if s.kind == "tr64"
          else "urn:schemas-upnp-org:service-1-0")
    acts, variables = [], {}
    for name, (ins, fn) in s.actions.items():
        if is_dropped(b, s, name):
            continue
        try:
            outs = fn(b, {i: "0" for i in ins}, s)
        except Fault:
            outs = []
        args = ""
        for arg, direction, v in ([(i, "in", 0) for i in ins]
                                  + [(o, "out", v) for o, v in outs]):
            var = arg[3:] if arg.startswith("New") else arg
            variables[var] = ("string" if not isinstance(v, int) else
                              "ui8" if v >= U32 else "ui4")
            args += (f"<argument><name>{arg}</name><direction>{direction}"
                     f"</direction><relatedStateVariable>{var}"
                     "</relatedStateVariable></argument>")
        acts.append(f"<action><name>{name}</name><argumentList>{args}"
                    "</argumentList></action>\n")
    table = "".join(
        f'<stateVariable sendEvents="no"><name>{v}</name>'
        f"<dataType>{t}</dataType></stateVariable>\n"
        for v, t in sorted(variables.items()))
    return ('<?xml version="1.0"?>\n'
            f'<scpd xmlns="{ns}">\n'
            "<specVersion><major>1</major><minor>0</minor></specVersion>\n"
            "<actionList>\n" + "".join(acts) + "</actionList>\n"
            "<serviceStateTable>\n" + table + "</serviceStateTable>\n</scpd>\n")


def soap_response(s, action, outs):
    body = "".join(f"<{n}>{escape(str(v))}</{n}>\n" for n, v in outs)
    return ('<?xml version="1.0"?>\n'
            f'<s:Envelope xmlns:s="{SOAP_ENV}" s:encodingStyle="{SOAP_ENC}">\n'
            "<s:Body>\n"
            f'<u:{action}Response xmlns:u="{s.type}">\n{body}'
            f"</u:{action}Response>\n</s:Body>\n</s:Envelope>\n")


def soap_fault(code):
    return ('<?xml version="1.0"?>\n'
            f'<s:Envelope xmlns:s="{SOAP_ENV}" s:encodingStyle="{SOAP_ENC}">\n'
            "<s:Body>\n<s:Fault>\n<faultcode>s:Client</faultcode>\n"
            "<faultstring>UPnPError</faultstring>\n<detail>\n"
            '<UPnPError xmlns="urn:schemas-upnp-org:control-1-0">\n'
            f"<errorCode>{code}</errorCode>\n"
            f"<errorDescription>{FAULTS.get(code, 'Error')}</errorDescription>\n"
            "</UPnPError>\n</detail>\n</s:Fault>\n</s:Body>\n</s:Envelope>\n")


def html_page(code, text):
    date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime())
    return (f"<HTML><HEAD><TITLE>{code} {text}</TITLE></HEAD><BODY>"
            f"<H1>{code} {text}</H1><BR>ERR_NONE<HR><B>Webserver</B> {date}"
            "</BODY></HTML>\n")


def host_list_xml():
    items = "".join(
        f"<Item><Index>{i + 1}</Index><IPAddress>{ip}</IPAddress>"
        f"<MACAddress>{mac}</MACAddress><Active>{act}</Active>"
        f"<HostName>{escape(name)}</HostName><InterfaceType>{it}</InterfaceType>"
        f"<X_AVM-DE_Port>0</X_AVM-DE_Port><X_AVM-DE_Speed>{sp}</X_AVM-DE_Speed>"
        "<X_AVM-DE_Guest>0</X_AVM-DE_Guest></Item>\n"
        for i, (ip, name, mac, act, it, sp) in enumerate(HOSTS))
    return f'<?xml version="1.0" ?>\n<List>\n{items}</List>\n'


# --- digest auth --------------------------------------------------------------

def md5(text):
    return hashlib.md5(text.encode()).hexdigest()


def parse_digest(header):
    if not header or not header[:7].lower() == "digest ":
        return None
    fields = {}
    for m in re.finditer(r'(\w+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^,\s]*)', header[7:]):
        fields[m.group(1).lower()] = (m.group(3) if m.group(3) is not None
                                      else m.group(2))
    return fields


# --- HTTP ---------------------------------------------------------------------

class Handler(simlib.HandlerMixin, http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without TCP_NODELAY the
    # body waits ~40 ms for the client's delayed ACK on every reply.
    disable_nagle_algorithm = True
    sys_version = ""
    box = None      # Box, set in main()
    svc = None      # build_services() result
    by_control = {}  # control URL -> Service
    by_scpd = {}     # SCPD URL -> [Service]
    opts = None
    stop = None     # threading.Event
    conn_numbers = CONN_NO

    @property
    def state(self):  # what simlib.HandlerMixin counts in
        return self.box

    def version_string(self):
        p = self.box.p
        return (f"{p['model']} UPnP/1.0 AVM {p['model']} "
                f"{soft_version(p['code'], self.box.firmware)}")

    def log_message(self, format, *args):
        pass

    def setup(self):
        self.action = "-"
        self.sim_setup()
        super().setup()

    def _log(self, code):
        self.sim_log(f"{self.command} {self.path} {self.action} {code}")

    # --- sending -------------------------------------------------------------

    def _send(self, code, body, ctype='text/xml; charset="utf-8"', headers=(),
              sim=False):
        if isinstance(body, str):
            body = body.encode()
        b = self.box
        with b.lock:
            if not sim:
                b.bump("status", str(code))
            mode, slow = b.mode, b.slow_ms / 1000.0
        if sim or mode not in ("slow", "truncated"):
            mode = "normal"
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        length = len(body) + (100 if mode == "truncated" else 0)
        self.send_header("Content-Length", str(length))
        for k, v in headers:
            self.send_header(k, v)
        if mode == "truncated":
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self._log(code)
        if self.command == "HEAD":
            return
        if mode == "slow":
            self.wfile.flush()
            for i in range(len(body)):
                if self.stop.is_set():
                    break
                self.wfile.write(body[i:i + 1])
                self.wfile.flush()
                time.sleep(slow)
        else:
            self.wfile.write(body)

    def _json(self, code, obj):
        self._send(code, json.dumps(obj, indent=1, sort_keys=True) + "\n",
                   "application/json", sim=True)

    def _read_body(self):
        if self.headers.get("Transfer-Encoding"):
            self._send(411, html_page(411, "Length Required"), "text/html")
            self.close_connection = True
            return None
        try:
            n = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            n = -1
        if n < 0 or n > MAX_BODY:
            self._send(413, html_page(413, "Request Entity Too Large"),
                       "text/html")
            self.close_connection = True
            return None
        return self.rfile.read(n) if n else b""

    # --- request entry -------------------------------------------------------

    def _begin(self):
        """Counts a box request and applies down/hung/garbage; returns False
        if the request is already dealt with."""
        b = self.box
        path = urllib.parse.urlsplit(self.path).path
        with b.lock:
            self.nreq += 1
            st = b.stats
            st["requests"] += 1
            if not self.counted:
                self.counted = True
                st["connections"] += 1
                if self.tls_ctx is not None:
                    st["connections_tls"] += 1
            st["max_requests_per_connection"] = max(
                st["max_requests_per_connection"], self.nreq)
            b.bump("paths", path)
            mode = b.mode
            down = b.down_until > b.now()
        if down:
            self._log("closed(down)")
            self.close_connection = True
            return False
        if mode == "garbage":
            self._read_body()
            self.wfile.write(b"\x00\xff\xfeNOT HTTP \x1b[0m<<<garbage>>>\r\n\r\n")
            self._log("garbage")
            self.close_connection = True
            return False
        if mode == "hung":
            self._read_body()
            self._log("hung")
            self._hang()
            self.close_connection = True
            return False
        return True

    def _hang(self):
        """Waits without answering until the mode changes, the server stops
        or the client sends anything (a FIN, a TLS close_notify, another
        request): then the caller closes the connection unanswered."""
        sock = self.connection
        while not self.stop.is_set():
            with self.box.lock:
                if self.box.mode != "hung":
                    return
            try:
                r, _, _ = select.select([sock], [], [], 0.2)
            except (OSError, ValueError):
                return
            if r:
                return

    def do_GET(self):
        path, _, query = self.path.partition("?")
        if path == "/_sim/stats":
            with self.box.lock:
                stats = json.loads(json.dumps(self.box.stats))
                stats["auth"]["consecutive_failures"] = \
                    self.box.consecutive_failures
                stats["state"] = self.box.state()
            self._json(200, stats)
            return
        if path.startswith("/_sim/"):
            self._json(404, {"error": "unknown /_sim path"})
            return
        if not self._begin():
            return
        b = self.box
        with b.lock:
            mode = b.mode
            if path == "/tr64desc.xml":
                body = tr64desc(b, self.svc)
            elif path == "/igddesc.xml" and b.p["wan"]:
                body = igddesc(b, self.svc)
            elif path in self.by_scpd:
                body = scpd(b, self.by_scpd[path])
            elif path == "/devicehostlist.lua":
                sid = urllib.parse.parse_qs(query).get("sid", [""])[0]
                body = host_list_xml() if sid in b.host_sids else None
                if body is None:
                    self._send(403, html_page(403, "Forbidden"), "text/html")
                    return
            else:
                body = None
        if body is None:
            self._send(404, html_page(404, "Not Found"), "text/html")
        elif mode == "html500" and not b.fault_actions:
            self._send(500, html_page(500, "Internal Server Error"), "text/html")
        else:
            self._send(200, body)

    do_HEAD = do_GET

    def do_POST(self):
        path = self.path.partition("?")[0]
        if path == "/_sim/control":
            body = self._read_body()
            if body is None:
                return
            try:
                req = json.loads(body or b"{}")
                with self.box.lock:
                    self.box.control(req)
                    state = self.box.state()
            except ValueError as e:
                self._json(400, {"error": str(e)})
                return
            save_state(self.box, self.opts.state)
            self._json(200, state)
            return
        if not self._begin():
            return
        body = self._read_body()
        if body is None:
            return
        s = self.by_control.get(path)
        if s is None:
            self._send(404, html_page(404, "Not Found"), "text/html")
            return
        hdr = self.headers.get("SOAPACTION") or ""
        hdr = hdr.strip().strip('"')
        stype, _, action = hdr.rpartition("#")
        if not action or not stype:
            self._send(400, html_page(400, "Bad Request"), "text/html")
            return
        self.action = action
        with self.box.lock:
            self.box.bump("actions", f"{stype}#{action}")
        if s.kind == "tr64" and action != "GetSecurityPort":
            if not self._authorized(path):
                return
        try:
            args = self._parse_envelope(body, s, stype, action)
            with self.box.lock:
                b = self.box
                b.advance()
                if stype != s.type or action not in s.actions \
                        or is_dropped(b, s, action):
                    raise Fault(401)
                mode = b.mode
                hit = not b.fault_actions or action in b.fault_actions \
                    or f"{s.type}#{action}" in b.fault_actions
                if mode == "fault" and hit:
                    raise Fault(b.fault_code)
                ins, fn = s.actions[action]
                missing = [i for i in ins if i not in args]
                if missing:
                    raise Fault(402)
                outs = fn(b, args, s)
        except Fault as f:
            with self.box.lock:
                self.box.bump("faults", str(f.code))
            self._send(500, soap_fault(f.code))
            return
        if mode == "html500" and hit:
            self._send(500, html_page(500, "Internal Server Error"), "text/html")
        elif mode == "html200" and hit:
            self._send(200, html_page(200, "OK"), "text/html")
        else:
            self._send(200, soap_response(s, action, outs))

    def _parse_envelope(self, body, s, stype, action):
        try:
            root = ET.fromstring(body)
        except ET.ParseError:
            raise Fault(402) from None
        if root.tag != f"{{{SOAP_ENV}}}Envelope":
            raise Fault(402)
        bodies = root.findall(f"{{{SOAP_ENV}}}Body")
        if len(bodies) != 1 or len(bodies[0]) < 1:
            raise Fault(402)
        el = bodies[0][0]
        if el.tag != f"{{{stype}}}{action}":
            raise Fault(402)
        return {c.tag.rpartition("}")[2]: (c.text or "") for c in el}

    # --- auth ---------------------------------------------------------------

    def _challenge(self, stale=False):
        b = self.box
        with b.lock:
            nonce = secrets.token_hex(8).upper()
            b.nonces[nonce] = b.now()
            if len(b.nonces) > 1000:
                for n in sorted(b.nonces, key=b.nonces.get)[:500]:
                    del b.nonces[n]
        hdr = (f'Digest realm="{REALM}", nonce="{nonce}", algorithm=MD5, '
               'qop="auth"' + (", stale=TRUE" if stale else ""))
        self._send(401, html_page(401, "Unauthorized"), "text/html",
                   headers=[("WWW-Authenticate", hdr)])

    def _authorized(self, path):
        b = self.box
        f = parse_digest(self.headers.get("Authorization"))
        with b.lock:
            a = b.stats["auth"]
            if f is None:
                a["challenges"] += 1
                verdict = "challenge"
            else:
                t = b.now()
                born = b.nonces.get(f.get("nonce", ""))
                ha1 = md5(f"{self.opts.user}:{REALM}:{self.opts.password}")
                ha2 = md5(f"{self.command}:{f.get('uri', '')}")
                if f.get("qop"):
                    want = md5(f"{ha1}:{f.get('nonce')}:{f.get('nc')}:"
                               f"{f.get('cnonce')}:{f.get('qop')}:{ha2}")
                else:
                    want = md5(f"{ha1}:{f.get('nonce')}:{ha2}")
                good = (f.get("username") == self.opts.user
                        and f.get("realm") == REALM
                        and f.get("response", "").lower() == want
                        and f.get("uri", "").partition("?")[0] == path)
                if b.locked_until > t:
                    a["locked"] += 1
                    verdict = "challenge"
                elif not good:
                    a["failures"] += 1
                    b.consecutive_failures += 1
                    la = self.opts.lockout_after
                    if la and b.consecutive_failures >= la:
                        b.locked_until = t + self.opts.lockout_seconds
                    verdict = "challenge"
                elif born is None or t - born > self.opts.nonce_lifetime:
                    # right password, unknown (restart) or old nonce
                    a["stale"] += 1
                    verdict = "stale"
                else:
                    a["ok"] += 1
                    b.consecutive_failures = 0
                    verdict = "ok"
        if verdict == "ok":
            return True
        self._challenge(stale=verdict == "stale")
        return False


def der_item(buf, pos):
    """(start of content, end of content) of the DER item at @pos."""
    n = buf[pos + 1]
    pos += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(buf[pos:pos + k], "big")
        pos += k
    return pos, pos + n


def spki_pin(cert_file):
    """sha256//base64 of the certificate's SubjectPublicKeyInfo (the pin
    curl --pinnedpubkey and libcurl CURLOPT_PINNEDPUBLICKEY take)."""
    with open(cert_file, encoding="ascii") as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    pos = der_item(der, 0)[0]             # Certificate
    pos = der_item(der, pos)[0]           # tbsCertificate
    if der[pos] == 0xA0:                  # [0] version
        pos = der_item(der, pos)[1]
    for _ in range(5):                    # serial, sigAlg, issuer, validity, subject
        pos = der_item(der, pos)[1]
    start = pos
    pos = der_item(der, pos)[1]           # subjectPublicKeyInfo
    digest = hashlib.sha256(der[start:pos]).digest()
    return "sha256//" + base64.b64encode(digest).decode()


def save_state(box, path):
    if not path:
        return
    with box.lock:
        data = box.persistent()
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, sort_keys=True)
            f.write("\n")
        os.rename(tmp, path)
    except OSError as e:
        print(f"fritz_sim: {path}: {e}", file=sys.stderr)


def parse_args(argv):
    p = argparse.ArgumentParser(description="FRITZ!Box TR-064/IGD simulator.")
    p.add_argument("--port", type=int, required=True, help="HTTP port")
    p.add_argument("--tls-port", type=int, default=0, help="HTTPS port")
    p.add_argument("--cert", help="PEM certificate for --tls-port")
    p.add_argument("--key", help="PEM key for --tls-port")
    p.add_argument("--user", required=True, help="TR-064 user name")
    p.add_argument("--password-file", required=True,
                   help="file whose first line is the password")
    p.add_argument("--personality", required=True, choices=sorted(PERSONALITIES))
    p.add_argument("--state", help="JSON state file (read at start, rewritten)")
    p.add_argument("--log", help="append one line per request here")
    p.add_argument("--pid-file", help="written once the ports accept")
    p.add_argument("--wrap-in", type=float, default=10.0,
                   help="seconds until the 32-bit received counter wraps")
    p.add_argument("--nonce-lifetime", type=float, default=60.0)
    p.add_argument("--idle-timeout", type=float, default=30.0)
    p.add_argument("--lockout-after", type=int, default=0)
    p.add_argument("--lockout-seconds", type=float, default=10.0)
    o = p.parse_args(argv)
    if o.tls_port and not (o.cert and o.key):
        p.error("--tls-port needs --cert and --key")
    for v in ("port", "tls_port"):
        if not 0 <= getattr(o, v) <= 65535:
            p.error(f"--{v.replace('_', '-')} out of range")
    if o.wrap_in < 0 or o.nonce_lifetime <= 0 or o.idle_timeout <= 0:
        p.error("times must be positive")
    return o


def main(argv):
    o = parse_args(argv)
    try:
        with open(o.password_file, encoding="utf-8") as f:
            o.password = f.readline().rstrip("\r\n")
    except OSError as e:
        print(f"fritz_sim: {e}", file=sys.stderr)
        return 2
    box = Box(o)
    if o.state and os.path.exists(o.state):
        try:
            with open(o.state, encoding="utf-8") as f:
                with box.lock:
                    box.control(json.load(f))
        except (OSError, ValueError) as e:
            print(f"fritz_sim: {o.state}: {e}", file=sys.stderr)
            return 2
    svc = build_services(box.p)
    by_control, by_scpd = {}, {}
    for group in svc:
        for s in group:
            by_control[s.control] = s
            by_scpd.setdefault(s.scpd, []).append(s)
    attrs = {"box": box, "svc": svc, "by_control": by_control,
             "by_scpd": by_scpd, "opts": o}

    def pin():
        if not o.tls_port:
            return ""
        try:
            return " pin=" + spki_pin(o.cert)
        except (OSError, ValueError, IndexError) as e:
            print(f"fritz_sim: {o.cert}: no public-key pin: {e}",
                  file=sys.stderr)
            return ""

    return simlib.serve("fritz_sim", Handler, attrs, o, ready_extra=pin,
                        on_exit=lambda: save_state(box, o.state))

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
