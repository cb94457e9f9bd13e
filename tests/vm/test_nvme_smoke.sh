#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Smoke test of the VM harness (lib.sh) against QEMU's emulated NVMe
# controller: one boot with smart_critical_warning=1, nvme-cli (with its
# libraries) inside the guest reads the SMART/Health log and Identify
# Controller as JSON, the guest raises the warning to 4 through the monitor
# (ttyS2 -> HMP qom-set) and polls until the log shows it, sends an invalid
# value whose error must reach hmp.log, and reads the hwmon temperature.
# The host checks the values QEMU is known to report (NVME-QEMU.md). Skips
# (exit 77) without qemu, the kernel, busybox-static or nvme-cli.
set -u
set -o pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NVME=${HL_NVME_CLI:-$(command -v nvme || echo /usr/sbin/nvme)}
if [[ ! -x "$NVME" ]]; then
  printf 'SKIP: test_nvme_smoke (nvme-cli not found; Debian package nvme-cli)\n'
  exit 77
fi
vm_init test_nvme_smoke

cat >"$HL_WORK/guest.sh" <<'EOF'
nvme smart-log /dev/nvme0 -o json >smart-start.json
nvme id-ctrl /dev/nvme0 -o json >id-ctrl.json
cat /sys/class/nvme/nvme0/hwmon*/temp1_input >hwmon-temp1_input
nvme_warning 4
tries=0
seen4() {
  tries=$((tries + 1))
  nvme smart-log /dev/nvme0 -o json >smart-after.json &&
    grep -Eq '"critical_warning"[[:space:]]*:[[:space:]]*4([^0-9]|$)' smart-after.json
}
if poll 10 seen4; then
  echo "warning 4 visible after $tries reads"
else
  echo "warning 4 not visible after $tries reads"
fi
# an invalid value: QEMU refuses it, the error reaches the host's hmp.log
nvme_warning 64
sleep 0.3
nvme smart-log /dev/nvme0 -o json >smart-end.json
EOF

vm_exec -p smart_critical_warning=1 "$HL_WORK/vm" "$HL_WORK/guest.sh" "$NVME" ||
  {
    fail "guest boots and returns its results" "$VM_ERROR"
    exit 1
  }
pass "guest boots and returns its results ($VM_SECS s)"
out="$HL_WORK/vm/out"
add_log "guest run.log" "$out/run.log"
add_log "guest init.log" "$out/init.log"
add_log "hmp.log" "$HL_WORK/vm/hmp.log"
check "guest script exits 0" "exit status $VM_RC" test "$VM_RC" = 0

# json_field FILE KEY: print the (stripped) value of KEY in the JSON object.
json_field() {
  "$HL_PYTHON" - "$1" "$2" <<'EOF' 2>/dev/null
import json, sys
v = json.load(open(sys.argv[1]))[sys.argv[2]]
print(v.strip() if isinstance(v, str) else v)
EOF
}

# expect WHAT FILE KEY VALUE
expect() {
  local got
  got=$(json_field "$2" "$3")
  if [[ "$got" == "$4" ]]; then
    pass "$1: $3 = $4"
  else
    fail "$1: $3 = $4" "got '${got:-<missing>}' in ${2##*/}"
  fi
}

expect "smart-log at start" "$out/smart-start.json" critical_warning 1
expect "smart-log at start" "$out/smart-start.json" temperature 323
expect "id-ctrl" "$out/id-ctrl.json" mn "QEMU NVMe Ctrl"
expect "id-ctrl" "$out/id-ctrl.json" sn deadbeef
expect "id-ctrl" "$out/id-ctrl.json" vid 6966
expect "smart-log after the HMP qom-set" "$out/smart-after.json" critical_warning 4
expect "smart-log after an invalid value" "$out/smart-end.json" critical_warning 4
note "$(grep -h 'reads' "$out/run.log")"

if grep -q 'unsupported smart critical warning bits: 0x40' "$HL_WORK/vm/hmp.log"; then
  pass "monitor reply to the invalid value is in hmp.log"
else
  fail "monitor reply to the invalid value is in hmp.log" "not found"
fi

temp=$(cat "$out/hwmon-temp1_input" 2>/dev/null)
if [[ "$temp" =~ ^[0-9]+$ ]] && ((temp >= 49000 && temp <= 50500)); then
  pass "hwmon temp1_input ~ 49850 ($temp)"
else
  fail "hwmon temp1_input ~ 49850" "got '${temp:-<missing>}'"
fi
