#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# Checks the homelab_host values that write_http (Format JSON) posted to
# http_sink.py. Reads the sink file (one "<path> <JSON array>" line per POST)
# and prints one line per check, "ok <what>" or "bad <what>: <reason>", for
# test_write_http.sh to turn into PASS/FAIL. Checks: every documented
# identifier is present (uptime, cpu percent-*, load, memory, swap, df-root,
# count-processes/threads), all entries carry the expected host, no value is
# null/NaN, every percent-like value is within [0,100], memory-used <=
# memory-total, load has the shortterm/midterm/longterm data sources, and at
# each read the cpu states user..steal add up to 100 % (+-1).
# Usage: check_values.py SINKFILE HOSTNAME

import json
import math
import sys

CPU_STATES = ["user", "nice", "system", "idle", "wait", "interrupt", "softirq", "steal"]
EXPECTED = (
    [("", "uptime", "")]
    + [("cpu", "percent", s) for s in CPU_STATES + ["active"]]
    + [("", "load", "")]
    + [("memory", "memory", t) for t in ("used", "available", "total")]
    + [("memory", "percent", "used")]
    + [("swap", "swap", t) for t in ("used", "free")]
    + [("swap", "percent", "used")]
    + [("df-root", "df_complex", t) for t in ("used", "free", "reserved")]
    + [("df-root", "bytes", "total"), ("df-root", "percent_bytes", "used"),
       ("df-root", "percent_inodes", "used")]
    + [("df-root", "df_inodes", t) for t in ("used", "free")]
    + [("", "count", "processes"), ("", "count", "threads")]
)
PERCENT_TYPES = {"percent", "percent_bytes", "percent_inodes"}


def ident(pi, typ, ti):
    return "homelab_host" + (f"-{pi}" if pi else "") + f"/{typ}" + (f"-{ti}" if ti else "")


def load(path):
    entries = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            _, _, body = line.partition(" ")
            try:
                batch = json.loads(body)
            except ValueError:
                continue
            if isinstance(batch, list):
                entries.extend(e for e in batch if e.get("plugin") == "homelab_host")
    return entries


def main():
    path, host = sys.argv[1], sys.argv[2]
    entries = load(path)
    out = []

    def report(what, problems):
        out.append(f"ok {what}" if not problems else f"bad {what}: {'; '.join(problems[:4])}")

    by_id = {}
    for e in entries:
        key = (e.get("plugin_instance", ""), e.get("type", ""), e.get("type_instance", ""))
        by_id.setdefault(key, []).append(e)

    missing = [ident(*k) for k in EXPECTED if k not in by_id]
    report(f"all {len(EXPECTED)} documented homelab_host identifiers posted",
           [f"missing {m}" for m in missing])

    hosts = sorted({e.get("host") for e in entries} - {host})
    report(f"every homelab_host entry has host {host}", [f"host {h!r}" for h in hosts])

    bad = []
    for (pi, typ, ti), es in by_id.items():
        for e in es:
            for v in e.get("values") or []:
                if v is None or (isinstance(v, float) and math.isnan(v)):
                    bad.append(f"{ident(pi, typ, ti)} is {v}")
                elif typ in PERCENT_TYPES and not 0 <= v <= 100:
                    bad.append(f"{ident(pi, typ, ti)} = {v}")
                elif v < 0:
                    bad.append(f"{ident(pi, typ, ti)} = {v} < 0")
    report("no null/NaN/negative values, percentages within [0,100]", sorted(set(bad)))

    problems = []
    used = {e["time"]: e["values"][0] for e in by_id.get(("memory", "memory", "used"), [])}
    total = {e["time"]: e["values"][0] for e in by_id.get(("memory", "memory", "total"), [])}
    for t in sorted(set(used) & set(total)):
        if used[t] is not None and total[t] is not None and used[t] > total[t]:
            problems.append(f"memory-used {used[t]} > memory-total {total[t]}")
    if not set(used) & set(total):
        problems.append("no memory-used/memory-total pair with the same time")
    report("memory-used <= memory-total", problems)

    problems = []
    for e in by_id.get(("", "load", ""), []):
        if e.get("dsnames") != ["shortterm", "midterm", "longterm"]:
            problems.append(f"dsnames {e.get('dsnames')}")
            break
    report("load has data sources shortterm, midterm, longterm", problems)

    # each state's values in time order; the k-th of each belongs to read k
    # (the values of one read do not share a timestamp)
    series = [[e["values"][0] for e in sorted(by_id.get(("cpu", "percent", s), []),
                                             key=lambda e: e["time"])]
              for s in CPU_STATES]
    reads = list(zip(*series))
    problems = [f"read {k + 1}: sum {sum(v or 0.0 for v in r):.2f}"
                for k, r in enumerate(reads) if abs(sum(v or 0.0 for v in r) - 100.0) > 1.0]
    if not reads:
        problems.append("no read with all cpu states")
    report(f"cpu percent user..steal add up to 100 ({len(reads)} reads)", problems)

    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
