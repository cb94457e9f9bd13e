#!/bin/bash
# SPDX-License-Identifier: MIT
#
# homelab_nvme in a real collectd inside a QEMU guest with an emulated NVMe
# controller (QEMU 7.2: model "QEMU NVMe Ctrl", serial deadbeef, composite
# temperature 323 K, WCTEMP 343 K). The controller starts with critical
# warning bit 0x01 (spare) injected; a hook in the guest switches it to 0x04
# (reliability) through the monitor while collectd runs, then lowers the
# over-temperature threshold to 40 °C so the drive raises its temperature bit. Checked on the host:
# the SMART set arrives in the CSV files (temperature 50 °C, warning bits,
# counters, capacity, health), and the notifications name the controller,
# model and serial: spare set then cleared, reliability set. A second boot
# runs collectd as nobody: the plugin falls back to sysfs/hwmon and says once
# what is missing.
set -u
set -o pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [[ ! -x "$HL_COLLECTD" ]]; then
  printf 'SKIP: test_nvme_plugin (%s not found)\n' "$HL_COLLECTD"
  exit 77
fi
if [[ ! -f "$HL_BUILDDIR/plugins/.libs/homelab_nvme.so" ]]; then
  printf 'SKIP: test_nvme_plugin (homelab_nvme.so not built)\n'
  exit 77
fi
vm_init test_nvme_plugin

conf="$HL_WORK/collectd.conf"
vm_collectd_conf "$conf" '' 'LoadPlugin homelab_nvme'
cat >"$HL_WORK/hook.sh" <<'HOOK'
sleep 3
nvme_warning 4
sleep 1
# over-temperature threshold 40 °C (below the fixed 50 °C): the controller
# sets critical-warning bit 0x02, the NVMe way (Set Features through hwmon)
for f in /sys/class/nvme/nvme0/hwmon*/temp1_max /sys/class/nvme/nvme0/device/hwmon/hwmon*/temp1_max; do
  [ -w "$f" ] && echo 40000 >"$f" && break
done
HOOK

vm_collectd_run -p smart_critical_warning=1 -H "$HL_WORK/hook.sh" "$HL_WORK/vm" 7 "$conf" ||
  {
    fail "guest boots and returns its results" "$VM_ERROR"
    exit 1
  }
pass "guest boots and returns its results ($VM_SECS s)"
out="$HL_WORK/vm/out"
log="$out/collectd.log"
add_log "guest collectd.log" "$log"
check "collectd exits 0 on SIGTERM" "exit status '${VM_COLLECTD_RC:-?}'" \
  test "${VM_COLLECTD_RC:-1}" = 0
bad=$(grep -hE -m1 'Dataset not found|\[error\]' "$log" "$out/collectd.out" 2>/dev/null)
check "collectd log has no 'Dataset not found' and no error" "$bad" test -z "$bad"

dir="$out/csv/$HL_HOSTNAME/homelab_nvme-nvme0"
# last_value FILEGLOB: the value column of the newest row of a csv file
last_value() {
  local f
  f=$(find "$dir" -name "$1-*" -type f 2>/dev/null | head -n 1)
  [[ -n "$f" ]] && tail -n 1 "$f" | cut -d, -f2
}
t=$(last_value temperature-temperature)
check "composite temperature is 50 °C (323 K)" "got '${t:-none}'" \
  awk -v t="${t:-x}" 'BEGIN { exit !(t > 49.5 && t < 50.5) }'
check "critical_warning raw value dispatched" "no homelab_nvme_bits-critical_warning" \
  test -n "$(last_value homelab_nvme_bits-critical_warning)"
w=$(last_value homelab_nvme_warning-warn_degraded)
check "reliability bit reads 1 after the injection" "got '${w:-none}'" \
  awk -v w="${w:-x}" 'BEGIN { exit !(w == 1) }'
check "health summary dispatched" "no homelab_health" \
  test -n "$(last_value homelab_health)"
check "data units as bytes dispatched" "no total_bytes-bytes_read" \
  test -n "$(last_value total_bytes-bytes_read)"
check "capacity of namespace 1 dispatched" "no bytes-ns1_size" \
  test -n "$(last_value bytes-ns1_size)"

grep -F "Notification:" "$log" | grep -F "plugin = homelab_nvme" | sed 's/^.*severity/  .. severity/' | head -n 8
notif() { grep -F "plugin = homelab_nvme" "$log" | grep -F "$1" | grep -cF "$2"; }
n=$(notif "severity = FAILURE" "spare")
check "one FAILURE for the spare bit at start" "$n lines" test "$n" -eq 1
n=$(notif "severity = OKAY" "spare")
check "one OKAY when the spare bit clears" "$n lines" test "$n" -eq 1
n=$(notif "severity = FAILURE" "reliability")
check "one FAILURE for the injected reliability bit" "$n lines" test "$n" -eq 1
n=$(notif "severity = WARNING" "temperature")
check "one WARNING for the temperature bit set by a 40 °C threshold" "$n lines" test "$n" -ge 1
check "notifications name model and serial" "no 'QEMU NVMe Ctrl' / 'deadbeef'" \
  bash -c "grep -F 'plugin = homelab_nvme' '$log' | grep -F 'QEMU NVMe Ctrl' | grep -qF deadbeef"

# unprivileged: no CAP_SYS_ADMIN, so SMART cannot be read; hwmon still works
vm_collectd_run -U nobody -p smart_critical_warning=0 "$HL_WORK/vm2" 4 "$conf" ||
  {
    fail "unprivileged guest run returns its results" "$VM_ERROR"
    exit 1
  }
out="$HL_WORK/vm2/out"
log="$out/collectd.log"
add_log "guest collectd.log (nobody)" "$log"
dir="$out/csv/$HL_HOSTNAME/homelab_nvme-nvme0"
t=$(last_value temperature-temperature)
check "as nobody: temperature from hwmon (about 49.85 °C)" "got '${t:-none}'" \
  awk -v t="${t:-x}" 'BEGIN { exit !(t > 49 && t < 51) }'
grep -iE 'homelab_nvme.*(fallback|missing|sysfs)' "$log" | sed 's/^/  .. /' | head -n 3
n=$(grep -ciE 'homelab_nvme.*(fallback|missing|sysfs)' "$log" || true)
check "as nobody: the fallback is logged (once per cause)" "$n lines" test "$n" -ge 1 -a "$n" -le 3
