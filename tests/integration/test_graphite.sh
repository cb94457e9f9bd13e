#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Graphite end to end: a private carbon-cache (storage-schemas 1s:1h, no tags,
# no privilege drop, whisper files in the work dir) receives homelab_host
# values from collectd's write_graphite (Prefix "collectd.", FlushInterval 1,
# Interval 1). The test waits up to 15 s for the whisper files
# collectd/hltest/homelab_host-cpu/percent-active.wsp,
# homelab_host-memory/percent-used.wsp and homelab_host/uptime.wsp, then
# requires whisper-fetch to show at least one non-None value in one of them
# (the newest second may still sit in carbon's cache, so it polls for that
# too).
set -u
set -o pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

hl_init test_graphite
require_homelab_host || exit 1

if start_carbon; then
  pass "carbon-cache accepts connections (line port $CARBON_LINE_PORT)"
else
  fail "carbon-cache starts" "line receiver not open within 15 s"
  exit 1
fi

gen_collectd_conf "$HL_WORK/collectd.conf" "$(
  cat <<EOF
<LoadPlugin write_graphite>
  FlushInterval 1
</LoadPlugin>
<Plugin write_graphite>
  <Node "carbon">
    Host "127.0.0.1"
    Port "$CARBON_LINE_PORT"
    Protocol "tcp"
    Prefix "collectd."
    StoreRates true
    AlwaysAppendDS false
    EscapeCharacter "_"
    SeparateInstances false
    LogSendErrors true
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
  pass "collectd runs with homelab_host + write_graphite"
else
  fail "collectd runs" "exited right after start"
  exit 1
fi

hostdir="$CARBON_WHISPER/collectd/$HL_HOSTNAME"
files=(
  homelab_host-cpu/percent-active.wsp
  homelab_host-memory/percent-used.wsp
  homelab_host/uptime.wsp
)

all_files() {
  local f
  for f in "${files[@]}"; do
    [[ -s "$hostdir/$f" ]] || return 1
  done
}

# fetch_values FILE: the non-None values of the last 60 s, one per line.
fetch_values() {
  whisper-fetch --from=$(($(date +%s) - 60)) "$1" 2>/dev/null |
    awk '$2 != "None" { print $2 }'
}

any_value() {
  local f
  for f in "${files[@]}"; do
    [[ -s "$hostdir/$f" ]] || continue
    if [[ -n "$(fetch_values "$hostdir/$f")" ]]; then
      return 0
    fi
  done
  return 1
}

t0=$SECONDS
wait_for 15 all_files && note "whisper files present after $((SECONDS - t0)) s"
for f in "${files[@]}"; do
  check "whisper file collectd/$HL_HOSTNAME/$f exists" "not created within 15 s" \
    test -s "$hostdir/$f"
done

if wait_for 10 any_value; then
  for f in "${files[@]}"; do
    [[ -s "$hostdir/$f" ]] || continue
    v=$(fetch_values "$hostdir/$f" | tail -n1)
    [[ -n "$v" ]] && note "${f}: $v"
  done
  pass "whisper-fetch shows a stored value"
else
  fail "whisper-fetch shows a stored value" "only None after 10 s"
  if [[ -d "$hostdir" ]]; then
    find "$hostdir" -name '*.wsp' | sed "s|^$hostdir/|  .. |"
  fi
fi

check_collectd_log "$HL_WORK/collectd.conf"

rc=0
stop_collectd || rc=$?
check "collectd exits 0 on SIGTERM" "exit status $rc" test "$rc" -eq 0
