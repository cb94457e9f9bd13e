#!/bin/bash
# SPDX-License-Identifier: MIT
#
# write_http end to end: collectd's write_http (Format JSON, FlushInterval 1,
# LogHttpError) POSTs homelab_host values to http_sink.py, which stores each
# body as one line. A python check parses every posted JSON batch and looks
# for plugin homelab_host / plugin_instance cpu / type percent /
# type_instance active with a value in [0,100], and plugin_instance memory /
# type memory / type_instance used with a positive value; it also checks that
# every homelab_host entry carries the configured host name. Then
# check_values.py checks that every documented homelab_host identifier was
# posted and that the values are sane (ranges, cpu states sum to 100).
# Polls up to 15 s.
set -u
set -o pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

hl_init test_write_http
require_homelab_host || exit 1

if start_http_sink; then
  pass "http sink listens (port $HTTP_SINK_PORT)"
else
  fail "http sink starts" "not ready within 10 s"
  exit 1
fi

gen_collectd_conf "$HL_WORK/collectd.conf" "$(
  cat <<EOF
<LoadPlugin write_http>
  FlushInterval 1
</LoadPlugin>
<Plugin write_http>
  <Node "sink">
    URL "http://127.0.0.1:$HTTP_SINK_PORT/values"
    Format "JSON"
    StoreRates false
    BufferSize 4096
    LogHttpError true
  </Node>
</Plugin>
EOF
)" "$(
  cat <<'EOF'
LoadPlugin homelab_host
<Plugin homelab_host>
</Plugin>
EOF
)"

if run_collectd_bg "$HL_WORK/collectd.conf"; then
  pass "collectd runs with homelab_host + write_http"
else
  fail "collectd runs" "exited right after start"
  exit 1
fi

# find_entry PI TYPE TI MIN MAX: succeed if a posted homelab_host entry with
# that plugin_instance/type/type_instance has a value in [MIN,MAX]; prints
# the value found (or a reason on stderr).
find_entry() {
  "$HL_PYTHON" - "$HTTP_SINK_OUT" "$HL_HOSTNAME" "$@" <<'EOF'
import json, sys
path, host, pi, typ, ti, lo, hi = sys.argv[1:8]
lo, hi = float(lo), float(hi)
seen, bad_host = [], []
with open(path, encoding="utf-8") as f:
    for line in f:
        _, _, body = line.partition(" ")
        try:
            batch = json.loads(body)
        except ValueError:
            continue
        for e in batch if isinstance(batch, list) else []:
            if e.get("plugin") != "homelab_host":
                continue
            if e.get("host") != host:
                bad_host.append(e.get("host"))
            if (e.get("plugin_instance"), e.get("type"), e.get("type_instance")) == (pi, typ, ti):
                seen.extend(e.get("values") or [])
if bad_host:
    sys.stderr.write(f"unexpected host {bad_host[0]!r}\n")
    sys.exit(1)
ok = [v for v in seen if v is not None and lo <= float(v) <= hi]
if ok:
    print(ok[-1])
    sys.exit(0)
sys.stderr.write(f"values seen: {seen[-5:]}\n" if seen else "no such entry posted\n")
sys.exit(1)
EOF
}

cpu_ok() { find_entry cpu percent active 0 100 >/dev/null 2>&1; }
mem_ok() { find_entry memory memory used 1 1e18 >/dev/null 2>&1; }
both_ok() { cpu_ok && mem_ok; }
check_values() {
  "$HL_PYTHON" "$HL_LIBDIR/check_values.py" "$HTTP_SINK_OUT" "$HL_HOSTNAME" ||
    echo "bad check_values.py: exited with an error"
}
# every documented identifier posted at least once (one read may be split
# over two POSTs when write_http's buffer fills, so wait for all of them)
complete() { check_values | grep -q '^ok all '; }

t0=$SECONDS
wait_for 15 both_ok && note "cpu and memory entries posted after $((SECONDS - t0)) s"
wait_for 5 complete && note "all identifiers posted after $((SECONDS - t0)) s"

# stop collectd first: write_http posts what is still buffered on shutdown
rc=0
stop_collectd || rc=$?
check "collectd exits 0 on SIGTERM" "exit status $rc" test "$rc" -eq 0
note "POSTs received: $(wc -l <"$HTTP_SINK_OUT")"

if v=$(find_entry cpu percent active 0 100 2>&1); then
  pass "JSON has homelab_host/cpu percent-active in [0,100] (value $v)"
else
  fail "JSON has homelab_host/cpu percent-active in [0,100]" "$v"
fi
if v=$(find_entry memory memory used 1 1e18 2>&1); then
  pass "JSON has homelab_host/memory memory-used > 0 (value $v)"
else
  fail "JSON has homelab_host/memory memory-used > 0" "$v"
fi

# the whole documented metric set, and value sanity (see check_values.py)
while IFS= read -r line; do
  case $line in
  "ok "*) pass "${line#ok }" ;;
  "bad "*)
    what=${line#bad }
    fail "${what%%: *}" "${what#*: }"
    ;;
  esac
done < <(check_values)

check_collectd_log "$HL_WORK/collectd.conf"

if grep -q 'HTTP Error' "$(collectd_log "$HL_WORK/collectd.conf")"; then
  fail "write_http reports no HTTP error" \
    "$(grep -m1 'HTTP Error' "$(collectd_log "$HL_WORK/collectd.conf")")"
else
  pass "write_http reports no HTTP error"
fi
