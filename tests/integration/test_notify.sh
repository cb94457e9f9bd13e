#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Notifications end to end, in one collectd daemon (Interval 1):
# - homelab_host's own disk threshold: WarningDiskPercent 1 and
#   FailureDiskPercent 99.9 make the root file system WARNING on the first
#   read. The logfile must show "Notification: severity = WARNING" for plugin
#   homelab_host, plugin_instance df-root (and no FAILURE for it), and the
#   exec plugin's NotificationExec script must receive it on stdin
#   (Severity: WARNING, Plugin: homelab_host, PluginInstance: df-root). exec
#   refuses to run programs as root, so the script runs as nobody:nogroup;
#   the script and its output dir are made accessible to that user.
# - collectd's threshold plugin on homelab_host-memory/percent-used with
#   WarningMax 0.001 must produce a WARNING notification from the threshold
#   plugin ("above the warning threshold") in the log.
# Polls up to 10 s.
set -u
set -o pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

hl_init test_notify
require_homelab_host || exit 1

notif_dir="$HL_WORK/notif"
script="$HL_WORK/notif_exec.sh"
mkdir -p "$notif_dir"
chmod 777 "$notif_dir"
cat >"$script" <<'EOF'
#!/bin/sh
# SPDX-License-Identifier: MIT
# NotificationExec hook written by test_notify.sh: store stdin in $1.
cat >"$1/notification.$$.txt"
EOF
chmod 755 "$script"

# exec needs a non-root user; as non-root we can only run as ourselves
if [[ $EUID -eq 0 ]]; then
  exec_user="nobody:nogroup"
  # shellcheck disable=SC2016 # $1/$2 expand in the inner sh
  if setpriv --reuid=nobody --regid=nogroup --clear-groups \
    sh -c 'test -x "$1" && test -w "$2"' sh "$script" "$notif_dir"; then
    pass "notification hook is usable by nobody"
  else
    fail "notification hook is usable by nobody" \
      "nobody cannot run $script or write $notif_dir (parent dir mode?)"
  fi
else
  exec_user=$(id -un)
fi

gen_collectd_conf "$HL_WORK/collectd.conf" "$(
  cat <<EOF
LoadPlugin exec
<Plugin exec>
  NotificationExec "$exec_user" "$script" "$notif_dir"
</Plugin>
LoadPlugin threshold
<Plugin threshold>
  <Plugin "homelab_host">
    Instance "memory"
    <Type "percent">
      Instance "used"
      WarningMax 0.001
    </Type>
  </Plugin>
</Plugin>
EOF
)" "$(
  cat <<'EOF'
LoadPlugin homelab_host
<Plugin homelab_host>
  WarningDiskPercent 1
  FailureDiskPercent 99.9
</Plugin>
EOF
)"
log=$(collectd_log "$HL_WORK/collectd.conf")

if run_collectd_bg "$HL_WORK/collectd.conf"; then
  pass "collectd runs with homelab_host + exec + threshold"
else
  fail "collectd runs" "exited right after start"
  exit 1
fi

disk_re="Notification: severity = WARNING, host = $HL_HOSTNAME, plugin = homelab_host, plugin_instance = df-root"
thresh_re="Notification: severity = WARNING, host = $HL_HOSTNAME, plugin = homelab_host, plugin_instance = memory, type = percent, type_instance = used, message = .*above the warning threshold"

disk_logged() { grep -qE "$disk_re" "$log"; }
thresh_logged() { grep -qE "$thresh_re" "$log"; }

# exec_got SEVERITY PLUGIN_INSTANCE: a stored notification matches.
exec_got() {
  local f
  for f in "$notif_dir"/notification.*.txt; do
    [[ -s "$f" ]] || continue
    if grep -qx "Severity: $1" "$f" && grep -qx 'Plugin: homelab_host' "$f" &&
      grep -qx "PluginInstance: $2" "$f"; then
      return 0
    fi
  done
  return 1
}

all_seen() { disk_logged && thresh_logged && exec_got WARNING df-root; }

t0=$SECONDS
wait_for 10 all_seen && note "all notifications seen after $((SECONDS - t0)) s"

check "log: WARNING notification from homelab_host for df-root" \
  "no line matching '$disk_re'" disk_logged
if disk_logged; then
  note "$(grep -m1 -E "$disk_re" "$log" | sed 's/^.*Notification: //')"
fi
if grep -qE "Notification: severity = FAILURE, host = $HL_HOSTNAME, plugin = homelab_host, plugin_instance = df-root" "$log"; then
  fail "no FAILURE for df-root below FailureDiskPercent 99.9" \
    "$(grep -m1 'severity = FAILURE' "$log")"
else
  pass "no FAILURE for df-root below FailureDiskPercent 99.9"
fi

if grep -q 'Cowardly refusing' "$log"; then
  fail "NotificationExec runs" "exec refused to run as root"
fi
check "NotificationExec received Severity: WARNING, Plugin: homelab_host, PluginInstance: df-root" \
  "$(find "$notif_dir" -name 'notification.*' | wc -l) notification(s) stored, none matching" \
  exec_got WARNING df-root

check "log: threshold plugin WARNING for homelab_host-memory/percent-used" \
  "no line matching '$thresh_re'" thresh_logged
if thresh_logged; then
  note "$(grep -m1 -E "$thresh_re" "$log" | sed 's/^.*message = //')"
fi

check_collectd_log "$HL_WORK/collectd.conf"

rc=0
stop_collectd || rc=$?
check "collectd exits 0 on SIGTERM" "exit status $rc" test "$rc" -eq 0
