#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the Grafana dashboards in this directory (homelab-*.json).

The JSON files are generated, not edited by hand: change this script and
run it again (python3 examples/grafana/make_dashboards.py); the test
tests/integration/test_grafana.sh checks that the files match it.

Every dashboard is a Grafana 9-11 dashboard JSON model (schemaVersion 39)
for an InfluxDB 1.x data source queried with InfluxQL, for the schema that
InfluxDB's collectd listener writes with parse-multivalue-plugin = "split":
measurement <plugin>_<data source> (homelab_host_value, homelab_host_shortterm,
homelab_fritz_rx, ...), field "value", tags host, instance (collectd's
plugin instance), type and type_instance. The data source is the template
variable DS_INFLUXDB (type "datasource"), so the files work both imported
through the UI and provisioned from disk. The host variable is a regex
(multi-value, "All") over the host tag, which is collectd's Hostname and so
a site's identity; plugin instance variables (mount, cpu, controller, box,
target, watched, instance) depend on it.

  make_dashboards.py [--check] [DIR]
--check compares instead of writing and exits 1 if a file differs.
"""
import json
import os
import sys

DS = {"type": "influxdb", "uid": "${DS_INFLUXDB}"}
HOST = '"host" =~ /^$host$/'
TF = "$timeFilter"
GT = "GROUP BY time($__interval)"

# CoreState of Home Assistant as homelab_ha sends it.
CORE_STATES = [(-1, "unknown", "text"), (0, "NOT_RUNNING", "red"),
               (1, "STARTING", "orange"), (2, "RUNNING", "green"),
               (3, "STOPPING", "orange"), (4, "FINAL_WRITE", "orange"),
               (5, "STOPPED", "red")]


# --- building blocks ---------------------------------------------------------

def q(sel, meas, where, group="", fill=""):
    """One InfluxQL query: SELECT sel FROM "meas" WHERE where AND
    $timeFilter [group] [fill]."""
    s = f'SELECT {sel} FROM "{meas}" WHERE {where} AND {TF}'
    if group:
        s += " " + group
    if fill:
        s += f" fill({fill})"
    return s


def series(sel, meas, where, tags, fill="null"):
    """A time series query: GROUP BY time($__interval) and TAGS."""
    group = GT + "".join(f', "{t}"' for t in tags)
    return q(sel, meas, where, group, fill)


def latest(meas, where, tags, sel='last("value")'):
    """The newest value of each series (for stat panels)."""
    return q(sel, meas, where, "GROUP BY " + ", ".join(f'"{t}"' for t in tags))


def target(query, alias, ref="A"):
    return {"datasource": DS, "query": query, "rawQuery": True,
            "refId": ref, "resultFormat": "time_series", "alias": alias}


def value_map(pairs):
    """[(value, text, color)] -> one value mapping."""
    return {"type": "value", "options": {
        str(v): {"text": t, "color": c, "index": i}
        for i, (v, t, c) in enumerate(pairs)}}


UPDOWN = [value_map([(0, "DOWN", "red"), (1, "UP", "green")])]
HEALTH = [value_map([(0, "OK", "green"), (1, "WARNING", "orange"),
                     (2, "CRITICAL", "red")])]
CORE = [value_map(CORE_STATES)]
BIT = [value_map([(0, "clear", "green"), (1, "SET", "red")])]


def steps(*pairs):
    """Threshold steps: ("green", None), ("red", 1), ..."""
    return {"mode": "absolute",
            "steps": [{"color": c, "value": v} for c, v in pairs]}


GREEN = steps(("green", None))


class Dash:
    """Lays out panels on the 24-column grid, row by row."""

    def __init__(self, uid, title, description, variables):
        self.uid, self.title, self.description = uid, title, description
        self.variables = variables
        self.panels = []
        self.x = self.y = self.rowh = 0
        self.next_id = 1

    def _place(self, w, h):
        if self.x + w > 24:
            self.x, self.y = 0, self.y + self.rowh
            self.rowh = 0
        pos = {"h": h, "w": w, "x": self.x, "y": self.y}
        self.x += w
        self.rowh = max(self.rowh, h)
        return pos

    def row(self, title):
        if self.x:
            self.x, self.y, self.rowh = 0, self.y + self.rowh, 0
        self.panels.append({"collapsed": False, "gridPos": {
            "h": 1, "w": 24, "x": 0, "y": self.y}, "id": self.next_id,
            "panels": [], "title": title, "type": "row"})
        self.next_id += 1
        self.y += 1

    def add(self, kind, title, description, targets, w, h, unit="short",
            **kw):
        refs = "ABCDEFGH"
        tg = [dict(t, refId=refs[i]) for i, t in enumerate(targets)]
        defaults = {"unit": unit, "thresholds": kw.pop("thresholds", GREEN),
                    "mappings": kw.pop("mappings", [])}
        for k in ("min", "max", "decimals"):
            if k in kw:
                defaults[k] = kw.pop(k)
        p = {"datasource": DS, "description": description,
             "fieldConfig": {"defaults": defaults,
                             "overrides": kw.pop("overrides", [])},
             "gridPos": self._place(w, h), "id": self.next_id,
             "targets": tg, "title": title, "type": kind}
        self.next_id += 1
        getattr(self, "_" + kind.replace("-", "_"))(p, defaults, **kw)
        self.panels.append(p)

    # per panel type options
    @staticmethod
    def _timeseries(p, d, stack=False, interval="10s", fill=10,
                    draw="line"):
        d["color"] = {"mode": "palette-classic"}
        d["custom"] = {
            "drawStyle": draw, "lineInterpolation": "linear",
            "lineWidth": 1, "fillOpacity": 0 if draw == "points" else fill,
            "gradientMode": "none", "showPoints": "never", "pointSize": 4,
            "spanNulls": 120000, "axisPlacement": "auto",
            "axisBorderShow": False, "scaleDistribution": {"type": "linear"},
            "stacking": {"mode": "normal" if stack else "none",
                         "group": "A"},
            "thresholdsStyle": {"mode": "off"},
            "hideFrom": {"legend": False, "tooltip": False, "viz": False}}
        p["interval"] = interval
        p["options"] = {
            "legend": {"calcs": ["lastNotNull", "max"],
                       "displayMode": "table", "placement": "bottom",
                       "showLegend": True},
            "tooltip": {"mode": "multi", "sort": "desc"}}

    @staticmethod
    def _stat(p, d, color="background", graph="none", text="value_and_name"):
        d["color"] = {"mode": "thresholds"}
        p["options"] = {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "",
                              "values": False},
            "colorMode": color, "graphMode": graph, "justifyMode": "auto",
            "orientation": "auto", "textMode": text, "wideLayout": True,
            "showPercentChange": False}

    @staticmethod
    def _bargauge(p, d):
        d["color"] = {"mode": "thresholds"}
        p["options"] = {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "",
                              "values": False},
            "displayMode": "gradient", "orientation": "horizontal",
            "showUnfilled": True, "valueMode": "color",
            "namePlacement": "auto", "sizing": "auto", "minVizHeight": 16,
            "minVizWidth": 8, "maxVizHeight": 300}

    @staticmethod
    def _gauge(p, d):
        d["color"] = {"mode": "thresholds"}
        p["options"] = {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "",
                              "values": False},
            "showThresholdLabels": False, "showThresholdMarkers": True,
            "orientation": "auto", "sizing": "auto", "minVizHeight": 75,
            "minVizWidth": 75}

    @staticmethod
    def _state_timeline(p, d, interval="10s"):
        d["color"] = {"mode": "thresholds"}
        d["custom"] = {"fillOpacity": 75, "lineWidth": 0,
                       "hideFrom": {"legend": False, "tooltip": False,
                                    "viz": False}}
        p["interval"] = interval
        p["options"] = {"mergeValues": True, "showValue": "auto",
                        "alignValue": "left", "rowHeight": 0.9,
                        "legend": {"displayMode": "list",
                                   "placement": "bottom",
                                   "showLegend": False},
                        "tooltip": {"mode": "single", "sort": "none"}}

    def model(self):
        return {
            "annotations": {"list": [{
                "builtIn": 1,
                "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                "enable": True, "hide": True,
                "iconColor": "rgba(0, 211, 255, 1)",
                "name": "Annotations & Alerts", "type": "dashboard"}]},
            "description": self.description,
            "editable": True,
            "fiscalYearStartMonth": 0,
            "graphTooltip": 1,
            "id": None,
            "links": [{"asDropdown": True, "icon": "external link",
                       "includeVars": True, "keepTime": True,
                       "tags": ["homelab"], "targetBlank": False,
                       "title": "collectd-homelab", "tooltip": "",
                       "type": "dashboards", "url": ""}],
            "panels": self.panels,
            "refresh": "30s",
            "schemaVersion": 39,
            "tags": ["homelab", "collectd"],
            "templating": {"list": self.variables},
            "time": {"from": "now-6h", "to": "now"},
            "timepicker": {},
            "timezone": "browser",
            "title": self.title,
            "uid": self.uid,
            "version": 1,
            "weekStart": ""}


def ds_var():
    return {"name": "DS_INFLUXDB", "label": "InfluxDB", "type": "datasource",
            "query": "influxdb", "current": {}, "hide": 0, "refresh": 1,
            "regex": "", "includeAll": False, "multi": False, "options": [],
            "skipUrlSync": False,
            "description": "InfluxDB 1.x data source with the collectd "
                           "database (InfluxQL)"}


def query_var(name, label, query, description):
    return {"name": name, "label": label, "type": "query", "datasource": DS,
            "query": query, "definition": query,
            "current": {"selected": True, "text": ["All"],
                        "value": ["$__all"]},
            "hide": 0, "refresh": 1, "regex": "", "sort": 1,
            "includeAll": True, "multi": True, "allValue": None,
            "options": [], "skipUrlSync": False, "description": description}


def host_var(frm):
    return query_var(
        "host", "Host",
        f'SHOW TAG VALUES FROM {frm} WITH KEY = "host"',
        "collectd Hostname of each site or machine; used as a regex "
        "(host =~ /^$host$/)")


def inst_var(name, label, meas, where, description):
    cond = HOST + (" AND " + where if where else "")
    return query_var(
        name, label,
        f'SHOW TAG VALUES FROM "{meas}" WITH KEY = "instance" WHERE {cond}',
        description)


# --- overview ----------------------------------------------------------------

def overview():
    d = Dash("homelab-overview", "homelab overview",
             "Every site and host reporting through collectd-homelab: up, "
             "CPU, memory, disk, NVMe, WAN, ping, Home Assistant and port "
             "policy at a glance. Data: InfluxDB 1.x collectd listener "
             "(parse-multivalue-plugin = split).",
             [ds_var(), host_var("/^homelab_/")])
    H = "homelab_host_value"
    d.row("Hosts")
    d.add("state-timeline", "Reporting",
          "Values received per interval from each host's homelab_host "
          "(uptime): UP while values arrive, DOWN for an interval without "
          "any. A host that stopped before the time range does not show.",
          [target(series('count("value")', H, f"{HOST} AND \"type\" = 'uptime'",
                         ["host"], fill="0"), "$tag_host")],
          12, 6, mappings=[value_map([(0, "DOWN", "red")]),
                           {"type": "range", "options": {
                               "from": 1, "to": None, "result": {
                                   "text": "UP", "color": "green",
                                   "index": 1}}}],
          thresholds=steps(("red", None), ("green", 1)), interval="1m")
    d.add("stat", "Uptime", "homelab_host uptime (host/homelab_host/uptime).",
          [target(latest(H, f"{HOST} AND \"type\" = 'uptime'", ["host"]),
                  "$tag_host")],
          12, 6, unit="dtdurations", color="none")
    d.add("timeseries", "CPU busy",
          "100 - idle - I/O wait, all CPUs (homelab_host-cpu/percent-active).",
          [target(series('mean("value")', H,
                         f"{HOST} AND \"instance\" = 'cpu' AND \"type\" = "
                         "'percent' AND \"type_instance\" = 'active'",
                         ["host"]), "$tag_host")],
          8, 8, unit="percent", min=0, max=100)
    d.add("timeseries", "Memory used",
          "MemTotal - MemAvailable, % of MemTotal "
          "(homelab_host-memory/percent-used).",
          [target(series('mean("value")', H,
                         f"{HOST} AND \"instance\" = 'memory' AND \"type\" = "
                         "'percent' AND \"type_instance\" = 'used'",
                         ["host"]), "$tag_host")],
          8, 8, unit="percent", min=0, max=100)
    d.add("bargauge", "Disk used",
          "Used % of each watched filesystem, as df(1) prints Use% "
          "(homelab_host-df-<mnt>/percent_bytes-used); homelab_host warns at "
          "85 % and fails at 95 % by default.",
          [target(latest(H, f"{HOST} AND \"type\" = 'percent_bytes' AND "
                         "\"type_instance\" = 'used'", ["host", "instance"]),
                  "$tag_host $tag_instance")],
          8, 8, unit="percent", min=0, max=100,
          thresholds=steps(("green", None), ("orange", 85), ("red", 95)))
    N = "homelab_nvme_value"
    d.row("NVMe")
    d.add("timeseries", "NVMe temperature",
          "Composite temperature of each NVMe controller "
          "(homelab_nvme-<ctrl>/temperature-temperature).",
          [target(series('mean("value")', N,
                         f"{HOST} AND \"type\" = 'temperature' AND "
                         "\"type_instance\" = 'temperature'",
                         ["host", "instance"]), "$tag_host $tag_instance")],
          16, 7, unit="celsius")
    d.add("stat", "NVMe health",
          "homelab_health: 0 OK, 1 WARNING (temperature bit, warning "
          "temperature, wear), 2 CRITICAL (other critical warning bits, "
          "critical temperature, spare below threshold).",
          [target(latest(N, f"{HOST} AND \"type\" = 'homelab_health'",
                         ["host", "instance"]), "$tag_host $tag_instance")],
          8, 7, mappings=HEALTH,
          thresholds=steps(("green", None), ("orange", 1), ("red", 2)))
    F = "homelab_fritz_value"
    d.row("WAN and ping")
    d.add("stat", "WAN link and internet",
          "FRITZ!Box WAN: physical link up (homelab_up-link) and internet "
          "connection established (homelab_up-connection).",
          [target(latest(F, f"{HOST} AND \"type\" = 'homelab_up' AND "
                         "\"type_instance\" =~ /^(link|connection)$/",
                         ["host", "instance", "type_instance"]),
                  "$tag_host $tag_instance $tag_type_instance")],
          8, 7, mappings=UPDOWN, thresholds=steps(("red", None),
                                                  ("green", 1)))
    d.add("timeseries", "WAN traffic",
          "Bits per second over the WAN from the box's byte counters "
          "(if_octets-wan, DERIVE, stored raw: non_negative_derivative); "
          "upload drawn below zero.",
          [target(series('non_negative_derivative(last("value"), 1s) * 8',
                         "homelab_fritz_rx",
                         f"{HOST} AND \"type\" = 'if_octets' AND "
                         "\"type_instance\" = 'wan'", ["host", "instance"]),
                  "$tag_host $tag_instance down"),
           target(series('non_negative_derivative(last("value"), 1s) * -8',
                         "homelab_fritz_tx",
                         f"{HOST} AND \"type\" = 'if_octets' AND "
                         "\"type_instance\" = 'wan'", ["host", "instance"]),
                  "$tag_host $tag_instance up")],
          16, 7, unit="bps")
    d.add("timeseries", "Ping latency",
          "Average round-trip time of each ping target and box "
          "(homelab_fritz-<name>/ping-avg).",
          [target(series('mean("value")', F,
                         f"{HOST} AND \"type\" = 'ping' AND "
                         "\"type_instance\" = 'avg'", ["host", "instance"]),
                  "$tag_host $tag_instance")],
          12, 7, unit="ms", min=0)
    d.add("timeseries", "Ping loss",
          "Echoes lost per read (homelab_fritz-<name>/percent-loss).",
          [target(series('mean("value")', F,
                         f"{HOST} AND \"type\" = 'percent' AND "
                         "\"type_instance\" = 'loss'", ["host", "instance"]),
                  "$tag_host $tag_instance")],
          12, 7, unit="percent", min=0, max=100)
    A = "homelab_ha_value"
    P = "homelab_ports_value"
    d.row("Home Assistant and ports")
    d.add("stat", "Home Assistant core",
          "CoreState of each Home Assistant instance "
          "(homelab_ha-<instance>/homelab_core_state-core).",
          [target(latest(A, f"{HOST} AND \"type\" = 'homelab_core_state'",
                         ["host", "instance"]), "$tag_host $tag_instance")],
          8, 6, mappings=CORE, thresholds=GREEN)
    d.add("stat", "Home Assistant API",
          "GET /api/ answered (homelab_ha-<instance>/homelab_up-api) and "
          "the token is accepted (homelab_up-auth).",
          [target(latest(A, f"{HOST} AND \"type\" = 'homelab_up' AND "
                         "\"type_instance\" =~ /^(api|auth)$/",
                         ["host", "instance", "type_instance"]),
                  "$tag_host $tag_instance $tag_type_instance")],
          6, 6, mappings=UPDOWN, thresholds=steps(("red", None),
                                                  ("green", 1)))
    d.add("stat", "Port-policy violations",
          "Listeners the port policy flags, per finding "
          "(homelab_ports-policy/count-unexpected, -ephemeral, -wildcard).",
          [target(latest(P, f"{HOST} AND \"instance\" = 'policy' AND "
                         "\"type\" = 'count'", ["host", "type_instance"]),
                  "$tag_host $tag_type_instance")],
          6, 6, thresholds=steps(("green", None), ("red", 1)))
    d.add("stat", "Watched ports",
          "Watched ports (Port rules) listening "
          "(homelab_ports-<proto>-<port>/homelab_listening).",
          [target(latest(P, f"{HOST} AND \"type\" = 'homelab_listening'",
                         ["host", "instance", "type_instance"]),
                  "$tag_host $tag_instance $tag_type_instance")],
          4, 6, mappings=UPDOWN, thresholds=steps(("red", None),
                                                  ("green", 1)))
    return d


# --- homelab_host --------------------------------------------------------------

def host():
    H = "homelab_host_value"
    d = Dash("homelab-host", "homelab host",
             "homelab_host: uptime, load, CPU, memory, swap, filesystems and "
             "processes of each host.",
             [ds_var(), host_var(f'"{H}"'),
              inst_var("mount", "Filesystem", H, "\"instance\" =~ /^df-/",
                       "df-<mount point>, / is df-root"),
              inst_var("cpu", "CPU", H, "\"instance\" =~ /^cpu[0-9]+$/",
                       "single CPUs (only with ReportPerCPU true)")])
    d.row("Overview")
    d.add("stat", "Uptime", "host/homelab_host/uptime",
          [target(latest(H, f"{HOST} AND \"type\" = 'uptime'", ["host"]),
                  "$tag_host")], 6, 5, unit="dtdurations", color="none")
    d.add("stat", "CPU busy", "homelab_host-cpu/percent-active",
          [target(latest(H, f"{HOST} AND \"instance\" = 'cpu' AND "
                         "\"type_instance\" = 'active'", ["host"]),
                  "$tag_host")], 6, 5, unit="percent", graph="area",
          thresholds=steps(("green", None), ("orange", 80), ("red", 95)))
    d.add("stat", "Memory used", "homelab_host-memory/percent-used",
          [target(latest(H, f"{HOST} AND \"instance\" = 'memory' AND "
                         "\"type\" = 'percent'", ["host"]), "$tag_host")],
          6, 5, unit="percent", graph="area",
          thresholds=steps(("green", None), ("orange", 85), ("red", 95)))
    d.add("stat", "Processes and threads",
          "homelab_host/count-processes and count-threads "
          "(ReportProcesses true)",
          [target(latest(H, f"{HOST} AND \"type\" = 'count'",
                         ["host", "type_instance"]),
                  "$tag_host $tag_type_instance")], 6, 5, color="none")
    d.row("CPU and load")
    d.add("timeseries", "Load average",
          "homelab_host/load (shortterm, midterm, longterm)",
          [target(series('mean("value")', f"homelab_host_{n}",
                         f"{HOST} AND \"type\" = 'load'", ["host"]),
                  f"$tag_host {label}")
           for n, label in (("shortterm", "1 min"), ("midterm", "5 min"),
                            ("longterm", "15 min"))], 8, 8)
    d.add("timeseries", "CPU by state",
          "homelab_host-cpu/percent-<state>, stacked (idle left out)",
          [target(series('mean("value")', H,
                         f"{HOST} AND \"instance\" = 'cpu' AND \"type\" = "
                         "'percent' AND \"type_instance\" !~ /^(idle|active)$/",
                         ["host", "type_instance"]),
                  "$tag_host $tag_type_instance")], 8, 8,
          unit="percent", stack=True, min=0)
    d.add("timeseries", "CPU busy per CPU",
          "homelab_host-cpuN/percent-active (ReportPerCPU true)",
          [target(series('mean("value")', H,
                         f"{HOST} AND \"instance\" =~ /^$cpu$/ AND "
                         "\"type_instance\" = 'active'",
                         ["host", "instance"]), "$tag_host $tag_instance")],
          8, 8, unit="percent", min=0, max=100)
    d.row("Memory and swap")
    d.add("timeseries", "Memory",
          "homelab_host-memory/memory-used, -available, -total (bytes)",
          [target(series('mean("value")', H,
                         f"{HOST} AND \"instance\" = 'memory' AND \"type\" = "
                         "'memory'", ["host", "type_instance"]),
                  "$tag_host $tag_type_instance")], 8, 8, unit="bytes",
          fill=0)
    d.add("timeseries", "Memory and swap used",
          "homelab_host-memory/percent-used, homelab_host-swap/percent-used",
          [target(series('mean("value")', H,
                         f"{HOST} AND \"instance\" =~ /^(memory|swap)$/ AND "
                         "\"type\" = 'percent'", ["host", "instance"]),
                  "$tag_host $tag_instance")], 8, 8, unit="percent",
          min=0, max=100)
    d.add("timeseries", "Swap",
          "homelab_host-swap/swap-used, swap-free (bytes)",
          [target(series('mean("value")', H,
                         f"{HOST} AND \"instance\" = 'swap' AND \"type\" = "
                         "'swap'", ["host", "type_instance"]),
                  "$tag_host $tag_type_instance")], 8, 8, unit="bytes",
          stack=True)
    d.row("Filesystems")
    d.add("bargauge", "Disk used",
          "homelab_host-df-<mnt>/percent_bytes-used (used / (used + free))",
          [target(latest(H, f"{HOST} AND \"instance\" =~ /^$mount$/ AND "
                         "\"type\" = 'percent_bytes'", ["host", "instance"]),
                  "$tag_host $tag_instance")], 8, 8, unit="percent",
          min=0, max=100,
          thresholds=steps(("green", None), ("orange", 85), ("red", 95)))
    d.add("timeseries", "Disk used over time",
          "homelab_host-df-<mnt>/percent_bytes-used",
          [target(series('mean("value")', H,
                         f"{HOST} AND \"instance\" =~ /^$mount$/ AND "
                         "\"type\" = 'percent_bytes'", ["host", "instance"]),
                  "$tag_host $tag_instance")], 8, 8, unit="percent",
          min=0, max=100)
    d.add("timeseries", "Inodes used",
          "homelab_host-df-<mnt>/percent_inodes-used (not sent for "
          "filesystems without an inode total, e.g. btrfs)",
          [target(series('mean("value")', H,
                         f"{HOST} AND \"instance\" =~ /^$mount$/ AND "
                         "\"type\" = 'percent_inodes'", ["host", "instance"]),
                  "$tag_host $tag_instance")], 8, 8, unit="percent",
          min=0, max=100)
    d.add("timeseries", "Disk space",
          "homelab_host-df-<mnt>/df_complex-used, -free, -reserved (bytes), "
          "stacked",
          [target(series('mean("value")', H,
                         f"{HOST} AND \"instance\" =~ /^$mount$/ AND "
                         "\"type\" = 'df_complex'",
                         ["host", "instance", "type_instance"]),
                  "$tag_host $tag_instance $tag_type_instance")], 24, 8,
          unit="bytes", stack=True)
    return d


# --- homelab_nvme --------------------------------------------------------------

def nvme():
    N = "homelab_nvme_value"
    C = f"{HOST} AND \"instance\" =~ /^$controller$/"
    d = Dash("homelab-nvme", "homelab NVMe",
             "homelab_nvme: SMART / Health log of every NVMe controller: "
             "health summary, temperatures, critical warning bits, spare, "
             "wear, traffic and error counters, namespaces.",
             [ds_var(), host_var(f'"{N}"'),
              inst_var("controller", "Controller", N, "",
                       "controller name (nvme0) or its Alias")])

    def rate(title, desc, type_, tis, unit, w=8):
        d.add("timeseries", title, desc,
              [target(series('non_negative_derivative(last("value"), 1s)', N,
                             f"{C} AND \"type\" = '{type_}' AND "
                             f"\"type_instance\" =~ /^({tis})$/",
                             ["host", "instance", "type_instance"]),
                      "$tag_host $tag_instance $tag_type_instance")],
              w, 8, unit=unit, min=0)

    def last_stat(title, desc, where, unit="short", w=4, **kw):
        d.add("stat", title, desc,
              [target(latest(N, f"{C} AND {where}", ["host", "instance"]),
                      "$tag_host $tag_instance")], w, 5, unit=unit, **kw)

    d.row("Health")
    last_stat("Health", "homelab_health: 0 OK, 1 WARNING, 2 CRITICAL",
              "\"type\" = 'homelab_health'", mappings=HEALTH,
              thresholds=steps(("green", None), ("orange", 1), ("red", 2)))
    last_stat("Composite temperature", "temperature-temperature",
              "\"type\" = 'temperature' AND \"type_instance\" = "
              "'temperature'", unit="celsius",
              thresholds=steps(("green", None), ("orange", 70), ("red", 80)))
    last_stat("Available spare", "percent-avail_spare (the drive warns below "
              "its spare threshold, percent-spare_thresh)",
              "\"type\" = 'percent' AND \"type_instance\" = 'avail_spare'",
              unit="percent",
              thresholds=steps(("red", None), ("orange", 20), ("green", 50)))
    last_stat("Life used", "homelab_percent_used-percent_used, the vendor's "
              "estimate; may exceed 100", "\"type\" = 'homelab_percent_used'",
              unit="percent",
              thresholds=steps(("green", None), ("orange", 80),
                               ("red", 100)))
    last_stat("Power-on hours", "derive-power_on_hours (lifetime total)",
              "\"type\" = 'derive' AND \"type_instance\" = 'power_on_hours'",
              unit="none", color="none")
    last_stat("Media errors", "derive-media_errors (lifetime total); "
              "homelab_nvme warns whenever it grows",
              "\"type\" = 'derive' AND \"type_instance\" = 'media_errors'",
              thresholds=steps(("green", None), ("red", 1)))
    d.add("state-timeline", "Critical warning bits",
          "homelab_nvme_warning-warn_spare, -warn_temperature, "
          "-warn_degraded, -warn_read_only, -warn_volatile, "
          "-warn_pmr_read_only: one bit of the SMART critical warning byte "
          "each",
          [target(series('max("value")', N,
                         f"{C} AND \"type\" = 'homelab_nvme_warning'",
                         ["host", "instance", "type_instance"]),
                  "$tag_instance $tag_type_instance")], 24, 7,
          mappings=BIT, thresholds=steps(("green", None), ("red", 1)))
    d.row("Temperatures")
    d.add("timeseries", "Temperatures",
          "temperature-temperature (composite) and -temp_sensor1..8",
          [target(series('mean("value")', N, f"{C} AND \"type\" = "
                         "'temperature'",
                         ["host", "instance", "type_instance"]),
                  "$tag_host $tag_instance $tag_type_instance")], 16, 8,
          unit="celsius")
    d.add("timeseries", "Time over temperature thresholds",
          "derive-warn_temp_minutes, -crit_temp_minutes (minutes at or over "
          "WCTEMP / CCTEMP), lifetime totals",
          [target(series('last("value")', N, f"{C} AND \"type\" = 'derive' "
                         "AND \"type_instance\" =~ /_temp_minutes$/",
                         ["host", "instance", "type_instance"]),
                  "$tag_host $tag_instance $tag_type_instance")], 8, 8,
          unit="m")
    d.row("Traffic")
    rate("Data read and written", "total_bytes-bytes_read, -bytes_written "
         "(DERIVE, lifetime totals; non_negative_derivative)",
         "total_bytes", "bytes_read|bytes_written", "Bps")
    rate("Commands", "total_operations-host_reads, -host_writes (DERIVE)",
         "total_operations", "host_reads|host_writes", "ops")
    d.add("timeseries", "Data written (total)",
          "total_bytes-bytes_written, lifetime total",
          [target(series('last("value")', N, f"{C} AND \"type\" = "
                         "'total_bytes'",
                         ["host", "instance", "type_instance"]),
                  "$tag_host $tag_instance $tag_type_instance")], 8, 8,
          unit="bytes")
    d.row("Counters")
    d.add("stat", "Lifetime counters",
          "derive-power_cycles, -unsafe_shutdowns, -media_errors, "
          "-error_log_entries, -busy_minutes",
          [target(latest(N, f"{C} AND \"type\" = 'derive' AND "
                         "\"type_instance\" =~ /^(power_cycles|"
                         "unsafe_shutdowns|media_errors|error_log_entries|"
                         "busy_minutes)$/",
                         ["host", "instance", "type_instance"]),
                  "$tag_instance $tag_type_instance")], 12, 6,
          color="none", text="value_and_name")
    rate("Thermal management", "derive-thermal_t1_transitions, "
         "-thermal_t2_transitions (per second)", "derive",
         "thermal_t1_transitions|thermal_t2_transitions", "short", w=12)
    d.row("Capacity and namespaces")
    d.add("bargauge", "Namespace used",
          "percent-ns<N>_used (NUSE / NSZE)",
          [target(latest(N, f"{C} AND \"type\" = 'percent' AND "
                         "\"type_instance\" =~ /^ns[0-9]+_used$/",
                         ["host", "instance", "type_instance"]),
                  "$tag_host $tag_instance $tag_type_instance")], 12, 6,
          unit="percent", min=0, max=100,
          thresholds=steps(("green", None), ("orange", 85), ("red", 95)))
    d.add("stat", "Capacity",
          "bytes-nvm_capacity (Identify TNVMCAP) and bytes-ns<N>_size",
          [target(latest(N, f"{C} AND \"type\" = 'bytes' AND "
                         "\"type_instance\" =~ /^(nvm_capacity|ns[0-9]+_size)$/",
                         ["host", "instance", "type_instance"]),
                  "$tag_instance $tag_type_instance")], 12, 6,
          unit="decbytes", color="none")
    return d


# --- homelab_fritz -------------------------------------------------------------

def fritz():
    F = "homelab_fritz_value"
    B = f"{HOST} AND \"instance\" =~ /^$box$/"
    T = f"{HOST} AND \"instance\" =~ /^$target$/"
    d = Dash("homelab-fritz", "homelab FRITZ!Box and ping",
             "homelab_fritz: ICMP reachability, latency and loss of every "
             "ping target; WAN, DSL, fiber, hosts and WLAN of every "
             "FRITZ!Box (TR-064 and UPnP IGD).",
             [ds_var(), host_var(f'"{F}"'),
              inst_var("target", "Ping target", F,
                       "\"type_instance\" = 'reachable'",
                       "<Ping> blocks and pinged <Box> hosts"),
              inst_var("box", "Box", F,
                       "\"type_instance\" =~ /^(box|link|connection)$/",
                       "<Box> blocks (box uptime or WAN status known)")])

    def box_ts(title, desc, where, unit, w=8, sel='mean("value")',
               alias="$tag_host $tag_instance $tag_type_instance", **kw):
        d.add("timeseries", title, desc,
              [target(series(sel, F, f"{B} AND {where}",
                             ["host", "instance", "type_instance"]), alias)],
              w, 8, unit=unit, **kw)

    d.row("Ping")
    d.add("state-timeline", "Reachable",
          "homelab_up-reachable: 1 if at least one echo was answered",
          [target(series('min("value")', F, f"{T} AND \"type\" = "
                         "'homelab_up' AND \"type_instance\" = 'reachable'",
                         ["host", "instance"]), "$tag_host $tag_instance")],
          24, 5, mappings=UPDOWN,
          thresholds=steps(("red", None), ("green", 1)))
    d.add("timeseries", "Round-trip time",
          "ping-avg (lines) with ping-min and ping-max, ms",
          [target(series('mean("value")', F, f"{T} AND \"type\" = 'ping'",
                         ["host", "instance", "type_instance"]),
                  "$tag_host $tag_instance $tag_type_instance")], 12, 8,
          unit="ms", min=0)
    d.add("timeseries", "Packet loss", "percent-loss: echoes lost per read",
          [target(series('mean("value")', F, f"{T} AND \"type\" = "
                         "'percent' AND \"type_instance\" = 'loss'",
                         ["host", "instance"]), "$tag_host $tag_instance")],
          6, 8, unit="percent", min=0, max=100)
    d.add("timeseries", "Jitter",
          "ping_stddev: standard deviation of the round-trip time, ms",
          [target(series('mean("value")', F, f"{T} AND \"type\" = "
                         "'ping_stddev'", ["host", "instance"]),
                  "$tag_host $tag_instance")], 6, 8, unit="ms", min=0)
    d.row("WAN")
    d.add("stat", "WAN link and internet",
          "homelab_up-link (physical WAN link) and homelab_up-connection "
          "(internet connection)",
          [target(latest(F, f"{B} AND \"type\" = 'homelab_up' AND "
                         "\"type_instance\" =~ /^(link|connection)$/",
                         ["host", "instance", "type_instance"]),
                  "$tag_instance $tag_type_instance")], 8, 5,
          mappings=UPDOWN, thresholds=steps(("red", None), ("green", 1)))
    d.add("stat", "Uptimes",
          "uptime-wan (internet connection) and uptime-box (box)",
          [target(latest(F, f"{B} AND \"type\" = 'uptime'",
                         ["host", "instance", "type_instance"]),
                  "$tag_instance $tag_type_instance")], 8, 5,
          unit="dtdurations", color="none")
    d.add("stat", "Line maximum",
          "homelab_bitrate-max_down, -max_up: Layer1 maximum rates",
          [target(latest(F, f"{B} AND \"type\" = 'homelab_bitrate' AND "
                         "\"type_instance\" =~ /^max_(up|down)$/",
                         ["host", "instance", "type_instance"]),
                  "$tag_instance $tag_type_instance")], 8, 5, unit="bps",
          color="none")
    d.add("timeseries", "WAN traffic",
          "if_octets-wan rx/tx (DERIVE, non_negative_derivative) in bit/s; "
          "upload below zero",
          [target(series('non_negative_derivative(last("value"), 1s) * 8',
                         "homelab_fritz_rx", f"{B} AND \"type\" = "
                         "'if_octets' AND \"type_instance\" = 'wan'",
                         ["host", "instance"]),
                  "$tag_host $tag_instance down"),
           target(series('non_negative_derivative(last("value"), 1s) * -8',
                         "homelab_fritz_tx", f"{B} AND \"type\" = "
                         "'if_octets' AND \"type_instance\" = 'wan'",
                         ["host", "instance"]),
                  "$tag_host $tag_instance up")], 12, 8, unit="bps")
    box_ts("Current rate (box)",
           "homelab_byterate-receive, -send: the box's own current rate",
           "\"type\" = 'homelab_byterate'", "Bps", w=12)
    d.row("DSL")
    box_ts("DSL line rate", "homelab_bitrate-dsl_down, -dsl_up (current) "
           "and -dsl_max_down, -dsl_max_up (attainable)",
           "\"type\" = 'homelab_bitrate' AND \"type_instance\" =~ /^dsl_/",
           "bps")
    box_ts("Noise margin and attenuation",
           "homelab_db-noise_margin_down/up, -attenuation_down/up, dB",
           "\"type\" = 'homelab_db'", "dB")
    box_ts("DSL errors", "derive-crc_errors, -fec_errors, -hec_errors, "
           "-errored_seconds, -severely_errored_seconds per minute",
           "\"type\" = 'derive' AND \"type_instance\" =~ "
           "/^(crc_errors|fec_errors|hec_errors|errored_seconds|"
           "severely_errored_seconds)$/", "short",
           sel='non_negative_derivative(last("value"), 1m)', min=0)
    d.row("Fiber, hosts and WLAN")
    box_ts("Optical levels", "homelab_dbm-optical_rx, -optical_tx, dBm "
           "(fiber boxes)", "\"type\" = 'homelab_dbm'", "dBm")
    box_ts("Hosts", "count-hosts_known, count-hosts_active",
           "\"type\" = 'count' AND \"type_instance\" =~ /^hosts_/", "short",
           fill=0)
    box_ts("WLAN stations", "count-wlan_2_4ghz, -wlan_5ghz, -wlan_guest "
           "(WLANConfiguration 1, 2, 3), stacked",
           "\"type\" = 'count' AND \"type_instance\" =~ /^wlan_/", "short",
           stack=True)
    return d


# --- homelab_ports -------------------------------------------------------------

def ports():
    P = "homelab_ports_value"
    d = Dash("homelab-ports", "homelab ports",
             "homelab_ports: listening TCP and bound UDP sockets, watched "
             "ports, port-policy findings and the container engine.",
             [ds_var(), host_var(f'"{P}"'),
              inst_var("watched", "Watched port", P,
                       "\"type\" = 'homelab_listening'",
                       "<proto>-<port> of each Port rule")])
    d.row("Policy")
    d.add("stat", "Policy findings",
          "homelab_ports-policy/count-unexpected (not allowed by Allow* "
          "rules), -ephemeral (inside ip_local_port_range), -wildcard "
          "(LocalOnly port on a wildcard address)",
          [target(latest(P, f"{HOST} AND \"instance\" = 'policy'",
                         ["host", "type_instance"]),
                  "$tag_host $tag_type_instance")], 12, 5,
          thresholds=steps(("green", None), ("red", 1)))
    d.add("stat", "Container engine",
          "homelab_ports-docker/homelab_available: 1 while the Docker / "
          "Podman API answers",
          [target(latest(P, f"{HOST} AND \"instance\" = 'docker' AND "
                         "\"type\" = 'homelab_available'", ["host"]),
                  "$tag_host")], 4, 5, mappings=UPDOWN,
          thresholds=steps(("red", None), ("green", 1)))
    d.add("stat", "Published only",
          "homelab_ports-listeners/count-published_only: container ports "
          "without a socket on the host",
          [target(latest(P, f"{HOST} AND \"instance\" = 'listeners' AND "
                         "\"type_instance\" = 'published_only'", ["host"]),
                  "$tag_host")], 4, 5, color="none")
    d.add("stat", "Distinct ports",
          "homelab_ports-listeners/count-distinct_ports",
          [target(latest(P, f"{HOST} AND \"instance\" = 'listeners' AND "
                         "\"type_instance\" = 'distinct_ports'", ["host"]),
                  "$tag_host")], 4, 5, color="none")
    d.add("timeseries", "Policy findings over time",
          "homelab_ports-policy/count-*",
          [target(series('max("value")', P, f"{HOST} AND \"instance\" = "
                         "'policy'", ["host", "type_instance"]),
                  "$tag_host $tag_type_instance")], 24, 7, min=0,
          decimals=0)
    d.row("Watched ports")
    d.add("state-timeline", "Listening",
          "homelab_ports-<proto>-<port>/homelab_listening[-<address>]: 1 "
          "while the watched port has a socket",
          [target(series('min("value")', P, f"{HOST} AND \"instance\" =~ "
                         "/^$watched$/ AND \"type\" = 'homelab_listening'",
                         ["host", "instance", "type_instance"]),
                  "$tag_host $tag_instance $tag_type_instance")], 16, 6,
          mappings=UPDOWN, thresholds=steps(("red", None), ("green", 1)))
    d.add("stat", "Owner pid",
          "homelab_ports-<proto>-<port>/homelab_pid: the process holding "
          "the watched port (while it listens and the owner is known)",
          [target(latest(P, f"{HOST} AND \"instance\" =~ /^$watched$/ AND "
                         "\"type\" = 'homelab_pid'", ["host", "instance"]),
                  "$tag_host $tag_instance")], 8, 6, unit="none",
          color="none")
    d.row("Listeners")
    d.add("timeseries", "Sockets",
          "homelab_ports-listeners/count-tcp_ipv4, -tcp_ipv6, -udp_ipv4, "
          "-udp_ipv6",
          [target(series('mean("value")', P, f"{HOST} AND \"instance\" = "
                         "'listeners' AND \"type_instance\" =~ "
                         "/^(tcp|udp)_ipv[46]$/", ["host", "type_instance"]),
                  "$tag_host $tag_type_instance")], 12, 8, min=0,
          stack=True)
    d.add("timeseries", "Exposure",
          "homelab_ports-listeners/count-wildcard (bound to every address), "
          "-ephemeral (inside the ephemeral range)",
          [target(series('mean("value")', P, f"{HOST} AND \"instance\" = "
                         "'listeners' AND \"type_instance\" =~ "
                         "/^(wildcard|ephemeral)$/", ["host", "type_instance"]),
                  "$tag_host $tag_type_instance")], 12, 8, min=0)
    return d


# --- homelab_ha ----------------------------------------------------------------

def ha():
    # type_instance is the entity id, domain.object_id (one dot); attribute
    # values are <entity id>.<attribute> (two dots)
    A = "homelab_ha_value"
    I = f"{HOST} AND \"instance\" =~ /^$instance$/"
    d = Dash("homelab-ha", "homelab Home Assistant",
             "homelab_ha: Home Assistant API, core state and entity states "
             "of every instance.",
             [ds_var(), host_var(f'"{A}"'),
              inst_var("instance", "Instance", A, "",
                       "<Instance> block name")])

    def ents(title, desc, where, unit, w=12, sel='mean("value")', **kw):
        d.add("timeseries", title, desc,
              [target(series(sel, A, f"{I} AND {where}",
                             ["host", "instance", "type_instance"]),
                      "$tag_instance $tag_type_instance")], w, 8,
              unit=unit, **kw)

    d.row("Instance")
    d.add("stat", "Core state",
          "homelab_core_state-core: CoreState (-1 unknown ... 5 STOPPED)",
          [target(latest(A, f"{I} AND \"type\" = 'homelab_core_state'",
                         ["host", "instance"]), "$tag_host $tag_instance")],
          6, 5, mappings=CORE)
    d.add("stat", "API and token",
          "homelab_up-api (GET /api/ answered) and homelab_up-auth (token "
          "accepted)",
          [target(latest(A, f"{I} AND \"type\" = 'homelab_up'",
                         ["host", "instance", "type_instance"]),
                  "$tag_instance $tag_type_instance")], 6, 5,
          mappings=UPDOWN, thresholds=steps(("red", None), ("green", 1)))
    d.add("stat", "Entities",
          "count-entities (reported this read) and "
          "count-entities_unavailable (unavailable or unknown)",
          [target(latest(A, f"{I} AND \"type\" = 'count'",
                         ["host", "instance", "type_instance"]),
                  "$tag_instance $tag_type_instance")], 6, 5, color="none")
    d.add("timeseries", "API response time",
          "response_time-api: seconds taken by GET /api/",
          [target(series('mean("value")', A, f"{I} AND \"type\" = "
                         "'response_time'", ["host", "instance"]),
                  "$tag_host $tag_instance")], 6, 5, unit="s", min=0)
    d.add("state-timeline", "Core state over time",
          "homelab_core_state-core over time",
          [target(series('last("value")', A, f"{I} AND \"type\" = "
                         "'homelab_core_state'", ["host", "instance"]),
                  "$tag_instance core")], 24, 4, mappings=CORE)
    d.row("Sensors")
    ents("Temperatures", "temperature-<entity> (°C or °F as Home "
         "Assistant reports it)", "\"type\" = 'temperature'", "celsius")
    ents("Humidity and percentages", "humidity-<entity>, percent-<entity> "
         "(entities with unit %)", "\"type\" =~ /^(humidity|percent)$/ AND "
         "\"type_instance\" !~ /\\..*\\./", "percent", min=0, max=100)
    ents("Power", "power-<entity>, W", "\"type\" = 'power'", "watt")
    ents("Energy", "energy_wh-<entity>, Wh (total_increasing meters)",
         "\"type\" = 'energy_wh'", "watth")
    ents("Other numeric states", "gauge-<entity>: numeric states with other "
         "units (lx, ppm, ...)", "\"type\" = 'gauge' AND \"type_instance\" "
         "!~ /\\..*\\./", "short")
    ents("Attributes", "<type>-<entity>.<attribute> (Attribute option, e.g. "
         "battery_level)", "\"type_instance\" =~ /\\..*\\./", "short")
    d.row("States")
    d.add("state-timeline", "Two-state entities",
          "homelab_binary-<entity>: on/off, open/closed, home/not_home, "
          "locked/unlocked as 1/0",
          [target(series('last("value")', A, f"{I} AND \"type\" = "
                         "'homelab_binary' AND \"type_instance\" !~ "
                         "/^migration_/",
                         ["host", "instance", "type_instance"]),
                  "$tag_type_instance")], 12, 8,
          mappings=[value_map([(0, "off", "blue"), (1, "on", "yellow")])])
    d.add("state-timeline", "Availability",
          "homelab_available-<entity>: 0 while the entity is unavailable or "
          "unknown",
          [target(series('min("value")', A, f"{I} AND \"type\" = "
                         "'homelab_available'",
                         ["host", "instance", "type_instance"]),
                  "$tag_type_instance")], 12, 8,
          mappings=[value_map([(0, "unavailable", "red"),
                               (1, "available", "green")])],
          thresholds=steps(("red", None), ("green", 1)))
    ents("State age", "homelab_age-<entity>: seconds since last_updated",
         "\"type\" = 'homelab_age'", "s", w=24, sel='last("value")')
    return d


DASHBOARDS = {"homelab-overview.json": overview, "homelab-host.json": host,
              "homelab-nvme.json": nvme, "homelab-fritz.json": fritz,
              "homelab-ports.json": ports, "homelab-ha.json": ha}


def render(make):
    return json.dumps(make().model(), indent=2, ensure_ascii=False) + "\n"


def main(argv):
    check = "--check" in argv
    args = [a for a in argv if a != "--check"]
    out = args[0] if args else os.path.dirname(os.path.abspath(__file__))
    bad = 0
    for name, make in DASHBOARDS.items():
        path = os.path.join(out, name)
        text = render(make)
        if check:
            try:
                with open(path, encoding="utf-8") as f:
                    same = f.read() == text
            except OSError:
                same = False
            if not same:
                print(f"{path}: differs from make_dashboards.py",
                      file=sys.stderr)
                bad = 1
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
    return bad


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
