#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# Flattens what write_http (Format JSON) posted to http_sink.py into one
# tab-separated line per data source, sorted by time, for test_fritz.sh to
# query with awk:
#   time  plugin  plugin_instance  type  type_instance  dsname  dstype  value  meta
# time is collectd's (epoch seconds, float); value is printed with repr()
# ("nan" for null/NaN); meta is the entry's "meta" object as compact JSON
# ("{}" when there is none). Lines of the sink file that are not JSON arrays
# are skipped. With PLUGIN, only entries of that plugin are printed.
# Usage: fritz_values.py SINKFILE [PLUGIN]

import json
import sys


def main():
    if len(sys.argv) not in (2, 3):
        sys.stderr.write("usage: fritz_values.py SINKFILE [PLUGIN]\n")
        return 2
    only = sys.argv[2] if len(sys.argv) == 3 else None
    rows = []
    with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
        for line in f:
            _, _, body = line.partition(" ")
            try:
                batch = json.loads(body)
            except ValueError:
                continue
            if not isinstance(batch, list):
                continue
            for e in batch:
                if not isinstance(e, dict):
                    continue
                if only is not None and e.get("plugin") != only:
                    continue
                meta = json.dumps(e.get("meta") or {}, separators=(",", ":"),
                                  sort_keys=True)
                values = e.get("values") or []
                names = e.get("dsnames") or []
                types = e.get("dstypes") or []
                for i, v in enumerate(values):
                    v = "nan" if v is None else repr(float(v))
                    rows.append((float(e.get("time") or 0),
                                 e.get("plugin", ""), e.get("plugin_instance", ""),
                                 e.get("type", ""), e.get("type_instance", ""),
                                 names[i] if i < len(names) else str(i),
                                 types[i] if i < len(types) else "?", v, meta))
    rows.sort(key=lambda r: r[0])
    out = sys.stdout
    for r in rows:
        fields = [f"{r[0]:.3f}"] + [str(x).replace("\t", " ") for x in r[1:]]
        out.write("\t".join(fields) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
