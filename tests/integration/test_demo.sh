#!/bin/bash
# SPDX-License-Identifier: MIT
#
# scripts/demo without hardware: "HL_SKIP_SETUP=1 scripts/demo --simulate
# --interval 1" runs in the background (TMPDIR is this test's work dir).
# Checked: --help documents --simulate; plain --print-config reads only the
# real host (no simulator in the config); the console shows values from
# every built plugin within 20 s (homelab_host CPU, homelab_ports policy
# counts, homelab_fritz box "main" link and ping target "gateway" (as root,
# in a namespace; "loopback" otherwise), homelab_nvme health of the
# simulated nvme0 (when the demo has one), homelab_ha core state); the
# commands the demo prints to change the simulators work when run as
# printed: FRITZ!Box WAN link down gives a FAILURE and link up an OKAY,
# the Home Assistant restart a WARNING (STARTING) and an OKAY (RUNNING), the
# NVMe critical warning file a FAILURE (as root); then SIGTERM: the demo
# exits within 15 s and leaves no process, no namespace and no temp dir.
# About 25 s.
set -u
set -o pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

hl_init test_demo
W=$HL_WORK
DEMO="$HL_SRCDIR/scripts/demo"
OUT="$W/demo.out"
DEMO_PID=""

demo_cleanup() {
  local rc=$?
  [[ -n "$DEMO_PID" ]] && stop_pid "$DEMO_PID" 15 >/dev/null 2>&1
  (exit "$rc")
  hl_cleanup
}
trap demo_cleanup EXIT

require_homelab_host || exit 1

# demo ARGS...: the demo with the test's build, no setup, temp under $W
demo() {
  TMPDIR=$W HL_SKIP_SETUP=1 HL_BUILDDIR=$HL_BUILDDIR HL_SRCDIR=$HL_SRCDIR \
    "$DEMO" "$@"
}

if demo --help | grep -q -- '--simulate'; then
  pass "demo --help documents --simulate"
else
  fail "demo --help documents --simulate" "no --simulate in the help text"
fi
conf=$(demo --print-config 2>&1)
if [[ -n "$conf" ]] && ! grep -qE '<Box|DockerSocket|_sim|DevRoot' <<<"$conf"; then
  pass "plain demo --print-config reads the real host only (no simulator)"
else
  fail "plain demo --print-config reads the real host only" \
    "$(grep -m1 -E '<Box|DockerSocket|_sim|DevRoot' <<<"$conf")"
fi

add_log "demo console" "$OUT"
TMPDIR=$W HL_SKIP_SETUP=1 HL_BUILDDIR=$HL_BUILDDIR HL_SRCDIR=$HL_SRCDIR \
  "$DEMO" --simulate --interval 1 >"$OUT" 2>&1 &
DEMO_PID=$!
if wait_for 30 grep -q '^==> press Ctrl-C' "$OUT"; then
  pass "demo --simulate starts the simulators and collectd"
else
  fail "demo --simulate starts" "no '==> press Ctrl-C' within 30 s"
  exit 1
fi
NS=$(sed -n 's/^==> lab namespace: \([^ ]*\) .*/\1/p' "$OUT")
DEMO_WORK=$(sed -n 's|^==> config: \(.*\)/collectd.conf .*|\1|p' "$OUT")
note "namespace '${NS:-none}', work dir $DEMO_WORK"

# value lines of write_log (Graphite, CRLF): <host>.<plugin>-<instance>.<type>-<ti> <value> <time>
expect=()
have_plugin homelab_host && expect+=('homelab_host-cpu\.percent-active')
have_plugin homelab_ports && expect+=('homelab_ports-policy\.count-unexpected')
if have_plugin homelab_fritz; then
  expect+=('homelab_fritz-main\.homelab_up-link')
  if [[ -n "$NS" ]]; then
    expect+=('homelab_fritz-gateway\.ping-avg' 'homelab_fritz-isp\.ping-avg')
  else
    expect+=('homelab_fritz-loopback\.homelab_up-reachable')
  fi
fi
nvme=0
if have_plugin homelab_nvme && ! grep -q '^==> no simulated NVMe' "$OUT"; then
  nvme=1
  expect+=('homelab_nvme-nvme0\.homelab_health')
fi
have_plugin homelab_ha && expect+=('homelab_ha-home\.homelab_core_state-core')

value_line() { grep -qE "^[^ ]+\.$1 -?[0-9.e+]+ [0-9]+[[:space:]]*$" "$OUT"; }
for e in "${expect[@]}"; do
  if wait_for 20 value_line "$e"; then
    pass "demo console shows $(sed 's/\\//g' <<<"$e") values"
  else
    fail "demo console shows $(sed 's/\\//g' <<<"$e") values" "none within 20 s"
  fi
done

# printed LABEL-RE N: the Nth command printed under the label matching RE
printed() {
  awk -v re="$1" -v n="$2" '
    /^==>   [^ ]/ { on = ($0 ~ re); k = 0; next }
    on && /^==>     / { if (++k == n) { sub(/^==>     /, ""); print; exit } }' "$OUT"
}

# notified SEV PLUGIN INSTANCE TYPE-INSTANCE-RE: such a notification on the console
notified() {
  grep -qE "Notification: severity = $1, host = [^,]+, plugin = $2, plugin_instance = $3, .*$4" "$OUT"
}

# run_printed WHAT LABEL-RE N SEV PLUGIN INSTANCE RE: run the printed
# command, expect the notification within 10 s
run_printed() {
  local what=$1 cmd
  cmd=$(printed "$2" "$3")
  if [[ -z "$cmd" ]]; then
    fail "$what" "the demo printed no command under /$2/"
    return
  fi
  if ! bash -c "$cmd" >"$W/cmd.out" 2>&1; then
    fail "$what" "'$cmd' failed: $(head -c 200 "$W/cmd.out")"
    return
  fi
  if wait_for 10 notified "$4" "$5" "$6" "$7"; then
    pass "$what"
  else
    fail "$what" "no $4 notification for $5/$6 within 10 s after: $cmd"
  fi
}

if have_plugin homelab_fritz; then
  run_printed "printed 'link down' command: FAILURE WAN link down on the console" \
    'WAN link down' 1 FAILURE homelab_fritz main 'type_instance = link, message = main: WAN link down'
  run_printed "printed 'link up' command: OKAY WAN link up on the console" \
    'WAN link down' 2 OKAY homelab_fritz main 'type_instance = link, message = main: WAN link up'
fi
if have_plugin homelab_ha; then
  run_printed "printed Home Assistant restart command: WARNING core STARTING" \
    'Home Assistant core' 1 WARNING homelab_ha home 'homelab_core_state.*STARTING'
  if wait_for 10 notified OKAY homelab_ha home 'homelab_core_state'; then
    pass "Home Assistant back to RUNNING: OKAY on the console"
  else
    fail "Home Assistant back to RUNNING: OKAY on the console" "none within 10 s"
  fi
fi
if [[ $nvme -eq 1 ]]; then
  run_printed "printed NVMe command: FAILURE reliability degraded" \
    'NVMe nvme0' 1 FAILURE homelab_nvme nvme0 'warn_degraded'
fi

kill -TERM "$DEMO_PID" 2>/dev/null
if wait_for 15 proc_gone "$DEMO_PID"; then
  rc=0
  wait "$DEMO_PID" 2>/dev/null || rc=$?
  DEMO_PID=""
  pass "demo stops on SIGTERM (exit status $rc)"
else
  fail "demo stops on SIGTERM" "still running 15 s later"
fi
left=$(pgrep -af "$W/collectd-homelab-demo" | grep -v pgrep)
check "no process of the demo left" "$left" test -z "$left"
nsleft=""
if [[ -n "$NS" ]]; then
  nsleft=$(ip netns list 2>/dev/null | grep -E "^$NS(-gw|-isp)?( |\$)")
fi
check "no namespace of the demo left" "$nsleft" test -z "$nsleft"
check "the demo's temp dir is removed" "$DEMO_WORK exists" \
  test -n "$DEMO_WORK" -a ! -e "$DEMO_WORK"
