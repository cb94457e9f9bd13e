#!/bin/bash
# SPDX-License-Identifier: MIT
#
# InfluxDB end to end: a private influxd (1.6, [[collectd]] UDP listener with
# parse-multivalue-plugin = "split" and a typesdb dir holding the stock
# types.db plus homelab.db) receives values from collectd's network plugin
# (FlushInterval 1) while homelab_host runs with Interval 1 in the
# foreground. The test polls /query for up to 15 s until the expected series
# exist, then checks each one: measurement homelab_host_value with
# instance/type/type_instance cpu/percent/active, memory/percent/used and
# df-root/percent_bytes/used, homelab_host_shortterm with type load, and that
# the only host tag is the configured Hostname.
set -u
set -o pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

hl_init test_influx
require_homelab_host || exit 1

if start_influx; then
  pass "influxd answers /ping (port $INFLUX_HTTP_PORT)"
else
  fail "influxd starts" "no /ping answer within 15 s"
  exit 1
fi

gen_collectd_conf "$HL_WORK/collectd.conf" "$(
  cat <<EOF
<LoadPlugin network>
  FlushInterval 1
</LoadPlugin>
<Plugin network>
  Server "127.0.0.1" "$INFLUX_COLLECTD_PORT"
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
  pass "collectd runs with homelab_host + network"
else
  fail "collectd runs" "exited right after start"
  exit 1
fi

# series MEASUREMENT WHERE: print "host value" of the newest point per host
# (nothing if there is none yet).
series() {
  influx_query collectd \
    "SELECT last(value) FROM \"$1\" WHERE $2 GROUP BY host" 2>/dev/null |
    "$HL_PYTHON" -c '
import json, sys
try:
    doc = json.load(sys.stdin)
except ValueError:
    sys.exit(0)
for res in doc.get("results", []):
    for s in res.get("series", []) or []:
        for row in s.get("values", []):
            print(s.get("tags", {}).get("host", "?"), row[1])
'
}

checks=(
  "homelab_host_value|instance='cpu' AND type='percent' AND type_instance='active'"
  "homelab_host_value|instance='memory' AND type='percent' AND type_instance='used'"
  "homelab_host_value|instance='df-root' AND type='percent_bytes' AND type_instance='used'"
  "homelab_host_shortterm|type='load'"
)

all_present() {
  local c
  for c in "${checks[@]}"; do
    [[ -n "$(series "${c%%|*}" "${c#*|}")" ]] || return 1
  done
}

t0=$SECONDS
if wait_for 15 all_present; then
  note "all series present after $((SECONDS - t0)) s"
fi

for c in "${checks[@]}"; do
  m=${c%%|*}
  where=${c#*|}
  out=$(series "$m" "$where")
  what="InfluxDB has $m where $where"
  if [[ -z "$out" ]]; then
    fail "$what" "no point after 15 s"
  elif [[ "$out" != "$HL_HOSTNAME "* || $(wc -l <<<"$out") -ne 1 ]]; then
    fail "$what" "host tag is not only $HL_HOSTNAME: $out"
  else
    pass "$what (host=${out%% *} value=${out#* })"
  fi
done

# percentages are in range
for c in "${checks[@]:0:3}"; do
  v=$(series "${c%%|*}" "${c#*|}")
  v=${v#* }
  [[ -n "$v" ]] || continue
  check "value of ${c#*|} in [0,100]" "got $v" \
    "$HL_PYTHON" -c 'import sys; v = float(sys.argv[1]); sys.exit(0 if 0 <= v <= 100 else 1)' "$v"
done

hosts=$(influx_query collectd 'SHOW TAG VALUES FROM "homelab_host_value" WITH KEY = "host"' |
  "$HL_PYTHON" -c '
import json, sys
vals = set()
for res in json.load(sys.stdin).get("results", []):
    for s in res.get("series", []) or []:
        vals.update(row[1] for row in s.get("values", []))
print(" ".join(sorted(vals)))
' 2>/dev/null)
check "every homelab_host_value point has host=$HL_HOSTNAME" "host tags: '$hosts'" \
  test "$hosts" = "$HL_HOSTNAME"

if grep -q 'unable to find' "$INFLUX_LOG"; then
  fail "influxd knows every type" "$(grep -m1 'unable to find' "$INFLUX_LOG")"
else
  pass "influxd knows every type (no 'unable to find ... in TypesDB')"
fi

check_collectd_log "$HL_WORK/collectd.conf"

rc=0
stop_collectd || rc=$?
check "collectd exits 0 on SIGTERM" "exit status $rc" test "$rc" -eq 0
