#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Runs every query of Grafana dashboards against InfluxDB 1.x, as Grafana
would, and prints one check line per query for lib.sh's check_lines:
"ok <what>" or "bad <what>: <reason>".

  grafana_check.py --url http://127.0.0.1:8086 [--db collectd]
                   [--wait S] [--skip-measurement M]... DASHBOARD.json...

For each dashboard:
  - the model: uid, title, schemaVersion >= 36, a datasource variable
    DS_INFLUXDB of type "datasource" (query "influxdb"), every panel and
    target on {"type": "influxdb", "uid": "${DS_INFLUXDB}"}, unique panel
    ids, grid positions inside the 24 columns, raw InfluxQL targets with
    unique refIds, every $variable in a query defined (one check);
  - every query variable, in order: its query with the variables before it
    filled in must return values (one check each);
  - every target of every panel: the query with the template variables
    filled in must run without an error and return at least one series
    with a value that is not null (one check each, named "<dashboard
    title> / <panel title> [<refId>]").
Variables are filled in as Grafana does for InfluxDB with "All" selected
(allValue null): the regex-escaped values joined as (a|b|c); $timeFilter
is "time > now() - 10m"; $__interval and $interval are the panel's
"interval" (its minimum) or 10s. With --wait S all queries (variables too) are
repeated until all pass or S seconds have passed (the first values of
DERIVE rates need two points), then reported. Targets that only read a
--skip-measurement are reported as notes, not checks.
"""
import argparse
import json
import re
import sys
import time
import urllib.parse
import urllib.request

VAR_RE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)")
BUILTIN = {"timeFilter", "__interval", "interval", "__interval_ms",
           "__timeFilter", "tag_host", "tag_instance", "tag_type",
           "tag_type_instance", "col", "m"}
DS = {"type": "influxdb", "uid": "${DS_INFLUXDB}"}
TIME_FILTER = "time > now() - 10m"


def regex_escape(v):
    # Grafana's InfluxDB datasource escapes these in regex context
    return re.sub(r"([\\^$*+?.()|\[\]{}/])", r"\\\1", v)


def influx(url, db, query):
    """Returns (series list, error string or None)."""
    qs = urllib.parse.urlencode({"db": db, "q": query, "epoch": "s"})
    try:
        with urllib.request.urlopen(f"{url}/query?{qs}", timeout=10) as r:
            doc = json.load(r)
    except urllib.error.HTTPError as e:
        try:
            doc = json.load(e)
        except ValueError:
            return [], f"HTTP {e.code}"
    except (OSError, ValueError) as e:
        return [], str(e)
    if doc.get("error"):
        return [], doc["error"]
    out = []
    for res in doc.get("results", []):
        if res.get("error"):
            return [], res["error"]
        out.extend(res.get("series", []) or [])
    return out, None


def fill(text, values, interval):
    def sub(m):
        name = m.group(1) or m.group(2) or m.group(3)
        if name in ("timeFilter", "__timeFilter"):
            return TIME_FILTER
        if name in ("__interval", "interval"):
            return interval
        if name == "__interval_ms":
            return str(int(re.match(r"(\d+)", interval).group(1)) * 1000)
        if name in values:
            return values[name]
        return m.group(0)  # alias patterns ($tag_host) and unknowns
    return VAR_RE.sub(sub, text)


def used_vars(text):
    return {m.group(1) or m.group(2) or m.group(3)
            for m in VAR_RE.finditer(text)}


def model_problems(d):
    bad = []
    for k in ("uid", "title", "panels", "templating", "schemaVersion"):
        if k not in d:
            bad.append(f"no {k}")
    if bad:
        return bad
    if not isinstance(d["schemaVersion"], int) or d["schemaVersion"] < 36:
        bad.append(f"schemaVersion {d['schemaVersion']}")
    tvars = d["templating"].get("list", [])
    names = [v.get("name") for v in tvars]
    dsv = [v for v in tvars if v.get("name") == "DS_INFLUXDB"]
    if not dsv or dsv[0].get("type") != "datasource" or \
            dsv[0].get("query") != "influxdb":
        bad.append("no datasource variable DS_INFLUXDB (influxdb)")
    for v in tvars:
        if v.get("type") == "query" and v.get("datasource") != DS:
            bad.append(f"variable {v.get('name')}: datasource not DS_INFLUXDB")
    ids = set()
    defined = set(names) | BUILTIN
    for p in d["panels"]:
        pid, title = p.get("id"), p.get("title", "?")
        if pid in ids:
            bad.append(f"panel id {pid} twice")
        ids.add(pid)
        g = p.get("gridPos", {})
        if not all(isinstance(g.get(k), int) for k in "hwxy") or \
                g["x"] < 0 or g["w"] < 1 or g["x"] + g["w"] > 24:
            bad.append(f"{title}: gridPos {g}")
        if p.get("type") == "row":
            continue
        if p.get("datasource") != DS:
            bad.append(f"{title}: panel datasource not DS_INFLUXDB")
        refs = set()
        for t in p.get("targets", []):
            if t.get("datasource") != DS:
                bad.append(f"{title}: target datasource not DS_INFLUXDB")
            if not t.get("rawQuery") or not t.get("query"):
                bad.append(f"{title}: target without a raw query")
            if t.get("refId") in refs:
                bad.append(f"{title}: refId {t.get('refId')} twice")
            refs.add(t.get("refId"))
            for name in used_vars(t.get("query", "")) - defined:
                bad.append(f"{title}: ${name} is not a variable")
        if not p.get("targets"):
            bad.append(f"{title}: no targets")
    return bad


def has_value(series):
    for s in series:
        for row in s.get("values", []):
            if any(v is not None for v in row[1:]):
                return True
    return False


def measurements(query):
    return set(re.findall(r'FROM\s+"([^"]+)"', query))


def run_dashboard(o, skip, d, notes, results):
    """Fills in the variables and runs every query of dashboard @d once."""
    values = {}
    for v in d["templating"]["list"]:
        if v.get("type") != "query":
            continue
        vq = fill(v["query"], values, "10s")
        what = f"{d['title']} / variable ${v['name']}"
        if measurements(vq) & skip:
            notes.append(f"{what}: skipped "
                         f"({', '.join(sorted(measurements(vq) & skip))})")
            values[v["name"]] = "__skipped__"
            continue
        series, err = influx(o.url, o.db, vq)
        vals = sorted({row[1] for s in series for row in s.get("values", [])})
        if err or not vals:
            results.append((False, what,
                            f"{err or 'no values'}; query: {vq}"))
            values[v["name"]] = "__none__"
            continue
        results.append((True, what, ", ".join(vals[:6]) +
                        (" ..." if len(vals) > 6 else "")))
        esc = [regex_escape(x) for x in vals]
        values[v["name"]] = esc[0] if len(esc) == 1 else \
            "(" + "|".join(esc) + ")"
    for p in d["panels"]:
        if p.get("type") == "row":
            continue
        for t in p.get("targets", []):
            what = f"{d['title']} / {p['title']} [{t['refId']}]"
            query = fill(t["query"], values, p.get("interval", "10s"))
            if measurements(query) and measurements(query) <= skip:
                notes.append(f"{what}: skipped "
                             f"({', '.join(sorted(measurements(query)))})")
                continue
            series, err = influx(o.url, o.db, query)
            if err:
                results.append((False, what, f"error {err}; query: {query}"))
            elif not has_value(series):
                results.append((False, what, f"no series; query: {query}"))
            else:
                results.append((True, what, f"{len(series)} series"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--db", default="collectd")
    ap.add_argument("--wait", type=float, default=0)
    ap.add_argument("--skip-measurement", action="append", default=[])
    ap.add_argument("dashboards", nargs="+")
    o = ap.parse_args()
    skip = set(o.skip_measurement)
    dashes = []
    for path in o.dashboards:
        name = path.rsplit("/", 1)[-1]
        try:
            with open(path, encoding="utf-8") as f:
                d = json.load(f)
        except (OSError, ValueError) as e:
            print(f"bad {name}: valid JSON: {e}")
            continue
        problems = model_problems(d)
        if problems:
            print(f"bad {name}: dashboard model: {'; '.join(problems[:5])}")
            continue
        npanels = sum(1 for p in d["panels"] if p.get("type") != "row")
        print(f"ok {name}: dashboard model \"{d['title']}\" (schemaVersion "
              f"{d['schemaVersion']}, {npanels} panels)")
        dashes.append(d)
    deadline = time.monotonic() + o.wait
    while True:
        notes, results = [], []
        for d in dashes:
            run_dashboard(o, skip, d, notes, results)
        if all(r[0] for r in results) or time.monotonic() >= deadline:
            break
        time.sleep(1)
    for line in notes:
        print(line)
    for ok, what, detail in results:
        print(f"ok {what}: {detail}" if ok else f"bad {what}: {detail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
