#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Tests the collectd helpers of lib.sh (vm_collectd_conf, vm_collectd_run):
# the real collectd with the stock load plugin, logfile and csv runs for a
# few seconds inside the guest while a hook script (run in the guest next to
# collectd) checks that collectd is up and touches the NVMe controller
# through the monitor. The host then checks collectd's exit status, its log
# and the CSV files it wrote. The homelab_nvme plugin test builds on this.
set -u
set -o pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [[ ! -x "$HL_COLLECTD" ]]; then
  printf 'SKIP: test_collectd_in_vm (%s not found; Debian package collectd-core)\n' "$HL_COLLECTD"
  exit 77
fi
vm_init test_collectd_in_vm

conf="$HL_WORK/collectd.conf"
vm_collectd_conf "$conf" 'LoadPlugin load' ''
cat >"$HL_WORK/hook.sh" <<'EOF'
sleep 1
if kill -0 "$COLLECTD_PID"; then echo "collectd alive"; fi
nvme_warning 2
poll 5 grep -q . /sys/class/nvme/nvme0/state && echo "hook done" >/out/hook-done
EOF

vm_collectd_run -p smart_critical_warning=0 -H "$HL_WORK/hook.sh" "$HL_WORK/vm" 4 "$conf" ||
  {
    fail "guest boots and returns its results" "$VM_ERROR"
    exit 1
  }
pass "guest boots and returns its results ($VM_SECS s)"
out="$HL_WORK/vm/out"
add_log "guest run.log" "$out/run.log"
add_log "guest hook.log" "$out/hook.log"
check "guest script exits 0" "exit status $VM_RC" test "$VM_RC" = 0
check "collectd exits 0 on SIGTERM" "exit status '${VM_COLLECTD_RC:-<unknown>}'" \
  test "$VM_COLLECTD_RC" = 0
check "collectd logs 'Initialization complete'" "not in collectd.log" \
  grep -q 'Initialization complete' "$out/collectd.log"
bad=$(grep -hE -m1 'Dataset not found|\[error\]' "$out/collectd.log" "$out/collectd.out")
check "collectd log has no 'Dataset not found' and no error" "$bad" test -z "$bad"

# load/load-YYYY-MM-DD: a header line and one row per second
csv=$(find "$out/csv/$HL_HOSTNAME/load" -name 'load-*' -type f 2>/dev/null | head -n 1)
rows=0
[[ -n "$csv" ]] && rows=$(grep -cE '^[0-9.]+,[0-9.]+,[0-9.]+,[0-9.]+$' "$csv")
if ((rows >= 2)); then
  pass "csv has load values ($rows rows)"
else
  fail "csv has load values" "${csv:-no load CSV file} has $rows rows"
fi
check "hook ran next to collectd" "hook.log: $(tr '\n' ' ' <"$out/hook.log" 2>/dev/null)" \
  grep -q 'collectd alive' "$out/hook.log"
check "hook reached its end" "no out/hook-done" test -f "$out/hook-done"
check "hook's monitor command arrived" "not in hmp.log" \
  grep -q 'smart_critical_warning 2' "$HL_WORK/vm/hmp.log"
