#!/bin/bash
# SPDX-License-Identifier: MIT
#
# The Grafana dashboards in examples/grafana against real data: one real
# collectd (Interval 1) with every homelab plugin that was built, pointed at
# the simulators by suite_sim.sh (FRITZ!Box "main" DSL and "fiber", ping
# targets "gateway" and "isp" in network namespaces, Home Assistant, the
# fake Docker engine, and the simulated NVMe controller), sending with the
# network plugin to a private InfluxDB 1.x ([[collectd]] listener,
# parse-multivalue-plugin split), everything inside suite_sim.sh's lab
# namespace.
#
# homelab_nvme is the real plugin reading a simulated controller:
# nvme_shim.c, preloaded into collectd, answers libnvme's admin ioctls (SMART
# log, Identify) on a character device node made by nvme_sim.py with the
# bytes nvme_sim.py writes, so the identifiers and values in InfluxDB are
# what the plugin dispatches; only the drive is simulated. (No value is fed
# through exec/PUTVAL.)
#
# Checked: each built plugin's measurement has values in InfluxDB;
# examples/grafana/*.json are what make_dashboards.py generates; then
# grafana_check.py, for every dashboard: the JSON model (datasource
# variable DS_INFLUXDB, ids, grid, raw InfluxQL targets, variables
# defined), every template variable query returns values, and every panel
# query, with $host, $instance etc. filled in as Grafana does for "All",
# $timeFilter and $__interval, runs without error and returns a series
# (polled for up to 30 s: DERIVE rates need two points). A failing query
# is reported as "<dashboard title> / <panel title> [refId]". Without
# homelab_ha.so the Home Assistant panels are skipped (noted, not counted).
# Finally the collectd log has no error, collectd exits 0 on SIGTERM, and
# sim_stop leaves no process and no namespace behind. About 30 s.
set -u
set -o pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=suite_sim.sh
. "$HL_LIBDIR/suite_sim.sh"

hl_init test_grafana
W=$HL_WORK
GRAFANA_DIR="$HL_SRCDIR/examples/grafana"
COLLECTD_PID=""

grafana_cleanup() {
  local rc=$?
  [[ -n "$COLLECTD_PID" ]] && stop_pid "$COLLECTD_PID" 5 >/dev/null 2>&1
  sim_stop >/dev/null 2>&1
  (exit "$rc")
  hl_cleanup
}
trap grafana_cleanup EXIT

require_homelab_host || exit 1
for tool in influxd curl; do
  if ! command -v "$tool" >/dev/null; then
    fail "$tool is installed" "no $tool in PATH"
    exit 1
  fi
done
mapfile -t PLUGINS < <(homelab_plugins)

sim_init "$W/sim" "hlg$$"
add_log "fritz_sim main" "$W/sim/fritz-main.log"
add_log "ha_sim" "$W/sim/ha_sim.log"
add_log "fake_docker" "$W/sim/fake_docker.log"
add_log "nvme_sim" "$W/sim/nvme_sim.log"
if sim_start; then
  pass "simulators run (namespace ${SIM_NS:-none}; FRITZ!Box :$SIM_FRITZ_PORT and :$SIM_FIBER_PORT, Home Assistant :$SIM_HA_PORT, Docker $SIM_DOCKER_SOCK)"
else
  fail "simulators start" "$SIM_ERROR"
  exit 1
fi
if [[ $SIM_NVME -eq 1 ]]; then
  note "homelab_nvme reads the simulated controller nvme0 (nvme_shim.c)"
else
  note "no simulated NVMe controller: ${SIM_NVME_WHY:-}"
fi
add_log influxd "$W/sim/influxd.log"
if sim_start_influx; then
  pass "influxd answers /ping in the lab (port $SIM_INFLUX_HTTP_PORT)"
else
  fail "influxd starts" "$SIM_ERROR"
  exit 1
fi

CONF="$W/collectd.conf"
gen_collectd_conf "$CONF" "$(sim_network_conf)" \
  "$(sim_plugins_conf 1 "${PLUGINS[@]}")"
add_log "collectd stdout/stderr" "$W/collectd.out"
"${SIM_COLLECTD[@]}" "$HL_COLLECTD" -C "$CONF" -f >"$W/collectd.out" 2>&1 &
COLLECTD_PID=$!
sleep 0.3
if kill -0 "$COLLECTD_PID" 2>/dev/null; then
  pass "collectd runs with ${PLUGINS[*]}"
else
  fail "collectd runs" "exited right after start"
  exit 1
fi

# measurement_has M: InfluxDB has at least one point in M
measurement_has() {
  sim_influx_query collectd "SELECT count(\"value\") FROM \"$1\"" 2>/dev/null |
    grep -q '"values"'
}

t0=$SECONDS
for p in "${PLUGINS[@]}"; do
  m=${p}_value
  if [[ $p == homelab_nvme && $SIM_NVME -ne 1 ]]; then
    note "$m: not expected (no simulated controller)"
    continue
  fi
  if wait_for 20 measurement_has "$m"; then
    pass "InfluxDB has values from $p ($m, after $((SECONDS - t0)) s)"
  else
    fail "InfluxDB has values from $p" "nothing in $m after 20 s"
  fi
done

if out=$("$HL_PYTHON" "$GRAFANA_DIR/make_dashboards.py" --check 2>&1); then
  pass "examples/grafana/*.json are what make_dashboards.py generates"
else
  fail "examples/grafana/*.json are what make_dashboards.py generates" "$out"
fi

skip=()
if ! have_plugin homelab_ha; then
  note "homelab_ha not built: its panels are skipped"
  skip=(--skip-measurement homelab_ha_value)
fi
[[ $SIM_NVME -eq 1 ]] || skip+=(--skip-measurement homelab_nvme_value)
mapfile -t DASHBOARDS < <(printf '%s\n' "$GRAFANA_DIR"/homelab-*.json)
check_lines sim_run "$HL_PYTHON" "$HL_LIBDIR/grafana_check.py" \
  --url "http://127.0.0.1:$SIM_INFLUX_HTTP_PORT" --wait 30 "${skip[@]}" \
  "${DASHBOARDS[@]}"

check_collectd_log "$CONF"
if grep -q 'unable to find' "$W/sim/influxd.log"; then
  fail "influxd knows every type" "$(grep -m1 'unable to find' "$W/sim/influxd.log")"
else
  pass "influxd knows every type (no 'unable to find ... in TypesDB')"
fi

rc=0
stop_pid "$COLLECTD_PID" 5 || rc=$?
COLLECTD_PID=""
check "collectd exits 0 on SIGTERM" "exit status $rc" test "$rc" -eq 0

pids=("${SIM_PIDS[@]}")
namespaces=("${SIM_NS_ALL[@]}")
sim_stop
left=""
for p in "${pids[@]}"; do
  kill -0 "$p" 2>/dev/null && left+=" pid $p"
done
for n in "${namespaces[@]}"; do
  ip netns list 2>/dev/null | grep -qE "^$n( |\$)" && left+=" netns $n"
done
check "sim_stop leaves no simulator and no namespace" "left:$left" test -z "$left"
