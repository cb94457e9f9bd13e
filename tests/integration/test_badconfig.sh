#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Bad-configuration matrix: every option of every plugin with a wrong type,
# an out-of-range value, a missing required value, an unknown key or a
# duplicate block, each loaded by the real daemon with "collectd -C ... -T".
# For every case:
#   - collectd exits with status 1 (not 0, not a signal, no hang);
#   - the plugin logs exactly one error that names the plugin, the block
#     (for options inside <Box>, <Ping>, <Instance>, <Entity>) and the
#     option, besides its "configuration rejected; plugin disabled" line;
#   - nothing else in the log is an error from another plugin.
# Then, per plugin, one bad config in a daemon running in the foreground:
# the other plugins keep delivering (csv files of the stock load plugin and,
# unless it is the broken one, homelab_host grow) and the daemon stays up.
# Finally: no secret (password, token) of any case appears in any log.
set -u
set -o pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

hl_init badconfig

secret_pw="Pw-$RANDOM-do-not-log-$RANDOM"
secret_tok="Tok-$RANDOM-do-not-log-$RANDOM"
pw_ok="$HL_WORK/pw_ok"
pw_world="$HL_WORK/pw_world"
tok_world="$HL_WORK/tok_world"
pw_group="$HL_WORK/pw_group"
empty="$HL_WORK/empty"
printf '%s\n' "$secret_pw" >"$pw_ok"
chmod 600 "$pw_ok"
printf '%s\n' "$secret_pw" >"$pw_world"
chmod 644 "$pw_world"
printf '%s\n' "$secret_pw" >"$pw_group"
chgrp nogroup "$pw_group"
chmod 640 "$pw_group"
printf '%s\n' "$secret_tok" >"$tok_world"
chmod 644 "$tok_world"
: >"$empty"
chmod 600 "$empty"

# Cases: plugin | text every error line must contain besides the plugin
# name (the block and option) | config body (\n separates lines). The
# placeholders @PW@ (mode 0600), @PWW@ (0644), @PWG@ (0640, group nogroup),
# @TOKW@ (0644), @EMPTY@, @WORK@ are replaced.
cases=$(
  cat <<'EOF'
homelab_host|unknown option "Bogus"|Bogus 1
homelab_host|WarningDiskPercent|WarningDiskPercent 150
homelab_host|WarningDiskPercent|WarningDiskPercent "high"
homelab_host|WarningDiskPercent|WarningDiskPercent 90\nFailureDiskPercent 80
homelab_host|FailureInodePercent|FailureInodePercent -1
homelab_host|WarningMemoryPercent|WarningMemoryPercent true
homelab_host|FailureSwapPercent|FailureSwapPercent 101
homelab_host|MountPoint|MountPoint "relative/dir"
homelab_host|MountPoint|MountPoint "/nonexistent-homelab"
homelab_host|MountPoint|MountPoint 5
homelab_host|ReportPerCPU|ReportPerCPU "maybe"
homelab_host|ReportProcesses|ReportProcesses 3
homelab_host|ValuesPercentage|ValuesPercentage "x"
homelab_host|ValuesAbsolute|ValuesAbsolute 2
homelab_host|Hysteresis|Hysteresis 80
homelab_host|ProcRoot|ProcRoot "/nonexistent-homelab"
homelab_host|Interval|Interval -1
homelab_ports|unknown option "Bogus"|Bogus 1
homelab_ports|Port|Port "tcp" 70000
homelab_ports|Port|Port "xyz" 22
homelab_ports|Port|Port "tcp" 22\nPort "tcp" 22
homelab_ports|AllowPort|AllowPort "tcp" "ssh-ish"
homelab_ports|AllowRange|AllowRange "tcp" 9000 8000
homelab_ports|AllowProcess|AllowProcess ""
homelab_ports|DockerTimeout|DockerTimeout 500
homelab_ports|Docker|Docker "perhaps"
homelab_ports|DockerSocket|DockerSocket 5
homelab_ports|ReportEvery|ReportEvery 0
homelab_ports|ReportFile|ReportFile "relative.json"
homelab_ports|ReportFile|ReportFile "/nonexistent-homelab/ports.json"
homelab_ports|ReportHTML|ReportHTML "/nonexistent-homelab/ports.html"
homelab_ports|ProcRoot|ProcRoot "/nonexistent-homelab"
homelab_ports|Processes|Processes "x"
homelab_ports|RetryEvery|RetryEvery 1.5
homelab_ports|Interval|Interval 0
homelab_nvme|unknown option "Bogus"|Bogus 1
homelab_nvme|WarningTemperature|WarningTemperature 500
homelab_nvme|CriticalTemperature|CriticalTemperature "hot"
homelab_nvme|WarningPercentUsed|WarningPercentUsed 300
homelab_nvme|Device|Device "relative"
homelab_nvme|Device|Device 0
homelab_nvme|SysfsRoot|SysfsRoot "/nonexistent-homelab"
homelab_nvme|DevRoot|DevRoot "relative"
homelab_nvme|Alias|Alias "/dev/nvme0"
homelab_nvme|IgnoreSelected|IgnoreSelected "x"
homelab_nvme|Interval|Interval "often"
homelab_fritz|unknown option "Bogus"|Bogus 1
homelab_fritz|Box "m": Host|<Box "m">\n</Box>
homelab_fritz|Box "m": unknown option "Colour"|<Box "m">\nHost "192.0.2.1"\nColour "red"\n</Box>
homelab_fritz|Box "m": Port|<Box "m">\nHost "192.0.2.1"\nPort 70000\n</Box>
homelab_fritz|Box "m": Port|<Box "m">\nHost "192.0.2.1"\nPort 80.5\n</Box>
homelab_fritz|Box "m": Username|<Box "m">\nHost "192.0.2.1"\nUsername "u"\n</Box>
homelab_fritz|Box "m": PasswordFile|<Box "m">\nHost "192.0.2.1"\nUsername "u"\nPasswordFile "/nonexistent-homelab"\n</Box>
homelab_fritz|Box "m": PasswordFile|<Box "m">\nHost "192.0.2.1"\nUsername "u"\nPasswordFile "@PWW@"\n</Box>
homelab_fritz|Box "m": PasswordFile|<Box "m">\nHost "192.0.2.1"\nUsername "u"\nPasswordFile "@EMPTY@"\n</Box>
homelab_fritz|Box "m": PasswordFile|<Box "m">\nHost "192.0.2.1"\nUsername "u"\nPasswordFile "@PWG@"\n</Box>
homelab_fritz|Box "m": PasswordEnv|<Box "m">\nHost "192.0.2.1"\nUsername "u"\nPasswordEnv "HL_NOT_SET_ANYWHERE"\n</Box>
homelab_fritz|Box "m": PasswordFile|<Box "m">\nHost "192.0.2.1"\nUsername "u"\nPassword "x"\nPasswordFile "@PW@"\n</Box>
homelab_fritz|Box "m": CACert|<Box "m">\nHost "192.0.2.1"\nCACert "/etc/ssl/certs/ca-certificates.crt"\n</Box>
homelab_fritz|Box "m": PinnedPublicKey|<Box "m">\nHost "192.0.2.1"\nUseTLS true\nPinnedPublicKey "md5//abc"\n</Box>
homelab_fritz|Box "m": UseTLS|<Box "m">\nHost "192.0.2.1"\nUseTLS "yes please"\n</Box>
homelab_fritz|Box "m": Timeout|<Box "m">\nHost "192.0.2.1"\nTimeout 0\n</Box>
homelab_fritz|Box "m": Interval|<Box "m">\nHost "192.0.2.1"\nInterval 0\n</Box>
homelab_fritz|Ping "p": Host|<Ping "p">\n</Ping>
homelab_fritz|Ping "p": unknown option "Count"|<Ping "p">\nHost "192.0.2.1"\nCount 3\n</Ping>
homelab_fritz|Ping "a/b"|<Ping "a/b">\nHost "192.0.2.1"\n</Ping>
homelab_fritz|Ping "p"|<Box "p">\nHost "192.0.2.1"\n</Box>\n<Ping "p">\nHost "192.0.2.2"\n</Ping>
homelab_fritz|PingCount|PingCount 0
homelab_fritz|PingSpacing|PingSpacing 100
homelab_fritz|Timeout|Timeout "soon"
homelab_ha|unknown option "Bogus"|Bogus 1
homelab_ha|Instance "h": URL|<Instance "h">\nToken "x"\n</Instance>
homelab_ha|Instance "h": URL|<Instance "h">\nURL "ftp://ha.lan"\nToken "x"\n</Instance>
homelab_ha|Instance "h": URL|<Instance "h">\nURL "http://ha.lan:8123/lovelace"\nToken "x"\n</Instance>
homelab_ha|Instance "h": URL|<Instance "h">\nURL "http://user:pw@ha.lan"\nToken "x"\n</Instance>
homelab_ha|Instance "h": one of Token, TokenFile or TokenEnv|<Instance "h">\nURL "http://127.0.0.1:8123"\n</Instance>
homelab_ha|Instance "h": TokenFile|<Instance "h">\nURL "http://127.0.0.1:8123"\nToken "x"\nTokenFile "@PW@"\n</Instance>
homelab_ha|Instance "h": TokenFile|<Instance "h">\nURL "http://127.0.0.1:8123"\nTokenFile "@TOKW@"\n</Instance>
homelab_ha|Instance "h": TokenFile|<Instance "h">\nURL "http://127.0.0.1:8123"\nTokenFile "/nonexistent-homelab"\n</Instance>
homelab_ha|Instance "h": TokenEnv|<Instance "h">\nURL "http://127.0.0.1:8123"\nTokenEnv "HL_NOT_SET_ANYWHERE"\n</Instance>
homelab_ha|Instance "h": Entity "Sensor.Bad Id"|<Instance "h">\nURL "http://127.0.0.1:8123"\nTokenFile "@PW@"\nEntity "Sensor.Bad Id"\n</Instance>
homelab_ha|Instance "h": Entity "sensor.a"|<Instance "h">\nURL "http://127.0.0.1:8123"\nTokenFile "@PW@"\nEntity "sensor.a"\nEntity "sensor.a"\n</Instance>
homelab_ha|Instance "h": Entity "sensor.a": unknown option "Colour"|<Instance "h">\nURL "http://127.0.0.1:8123"\nTokenFile "@PW@"\n<Entity "sensor.a">\nColour 1\n</Entity>\n</Instance>
homelab_ha|Instance "h": Entity "sensor.a": WarningMax|<Instance "h">\nURL "http://127.0.0.1:8123"\nTokenFile "@PW@"\n<Entity "sensor.a">\nWarningMax 5\nFailureMax 1\n</Entity>\n</Instance>
homelab_ha|Instance "h": Entity "sensor.a": FailureMin|<Instance "h">\nURL "http://127.0.0.1:8123"\nTokenFile "@PW@"\n<Entity "sensor.a">\nFailureMin "cold"\n</Entity>\n</Instance>
homelab_ha|Instance "h": EntityPattern "[abc"|<Instance "h">\nURL "http://127.0.0.1:8123"\nTokenFile "@PW@"\nEntityPattern "[abc"\n</Instance>
homelab_ha|Instance "h": Attribute "humidity"|<Instance "h">\nURL "http://127.0.0.1:8123"\nTokenFile "@PW@"\nAttribute "battery_level"\nAttribute "humidity"\n</Instance>
homelab_ha|Instance "h": FetchMode|<Instance "h">\nURL "http://127.0.0.1:8123"\nTokenFile "@PW@"\nFetchMode "sometimes"\n</Instance>
homelab_ha|Instance "h": FetchMode each|<Instance "h">\nURL "http://127.0.0.1:8123"\nTokenFile "@PW@"\nFetchMode "each"\nEntityPattern "sensor.*"\n</Instance>
homelab_ha|Instance "h": Timeout|<Instance "h">\nURL "http://127.0.0.1:8123"\nTokenFile "@PW@"\nTimeout 100\n</Instance>
homelab_ha|Instance "h": MaxResponseSize|<Instance "h">\nURL "http://127.0.0.1:8123"\nTokenFile "@PW@"\nMaxResponseSize 10\n</Instance>
homelab_ha|Instance "h": MaxEntities|<Instance "h">\nURL "http://127.0.0.1:8123"\nTokenFile "@PW@"\nMaxEntities 2.5\n</Instance>
homelab_ha|Instance "h": VerifyPeer|<Instance "h">\nURL "https://127.0.0.1:8123"\nTokenFile "@PW@"\nVerifyPeer "nope"\n</Instance>
homelab_ha|Instance "h": CACert|<Instance "h">\nURL "http://127.0.0.1:8123"\nTokenFile "@PW@"\nCACert "/etc/ssl/certs/ca-certificates.crt"\n</Instance>
homelab_ha|Instance "h": ConfigInterval|<Instance "h">\nURL "http://127.0.0.1:8123"\nTokenFile "@PW@"\nConfigInterval 0\n</Instance>
homelab_ha|Instance "a/b"|<Instance "a/b">\nURL "http://127.0.0.1:8123"\nTokenFile "@PW@"\n</Instance>
homelab_ha|Instance "h": name already used|<Instance "h">\nURL "http://127.0.0.1:8123"\nTokenFile "@PW@"\n</Instance>\n<Instance "h">\nURL "http://127.0.0.1:8124"\nTokenFile "@PW@"\n</Instance>
EOF
)

stock=$(printf 'LoadPlugin write_log\n<Plugin write_log>\n  Format Graphite\n</Plugin>\n')

# expand BODY: the config body with \n and the placeholders replaced.
expand() {
  local b=$1
  b=${b//@PW@/$pw_ok}
  b=${b//@PWW@/$pw_world}
  b=${b//@PWG@/$pw_group}
  b=${b//@TOKW@/$tok_world}
  b=${b//@EMPTY@/$empty}
  b=${b//@WORK@/$HL_WORK}
  printf '%b\n' "$b"
}

# run_case N PLUGIN EXPECT BODY [DUPLICATE]: one -T run and its checks.
run_case() {
  local n=$1 plugin=$2 expect=$3 body=$4 dup=${5:-0}
  local conf="$HL_WORK/case$n.conf" log rc=0 block errors mine
  block=$(printf '<Plugin %s>\n%s\n</Plugin>\n' "$plugin" "$(expand "$body")")
  if [[ $dup == 1 ]]; then
    block+=$'\n'$(printf '<Plugin %s>\n</Plugin>\n' "$plugin")
  fi
  gen_collectd_conf "$conf" "$stock" "LoadPlugin $plugin
$block"
  run_collectd_test "$conf" || rc=$?
  log=$(collectd_log "$conf")
  local what="$plugin: ${body//\\n/ }"
  what=${what:0:110}
  if [[ $rc -ne 1 ]]; then
    fail "$what" "collectd -T exited with $rc, expected 1"
    return
  fi
  errors=$(grep -h '\[error\]' "$log" | grep -v 'configuration rejected; plugin disabled' |
    grep -v 'Initialization of plugin .* failed\|plugin_init: .* failed' |
    grep -v 'Error: one or more plugin init callbacks failed' || true)
  mine=$(grep -cF "$plugin: " <<<"$errors" || true)
  if [[ $(grep -c . <<<"$errors") -ne 1 || $mine -ne 1 ]]; then
    fail "$what" "expected exactly one error line from $plugin, got: $(tr '\n' '|' <<<"$errors")"
  elif ! grep -qF -- "$expect" <<<"$errors"; then
    fail "$what" "error does not name '$expect': $errors"
  elif ! grep -q "$plugin: configuration rejected; plugin disabled" "$log"; then
    fail "$what" "no 'configuration rejected; plugin disabled' line"
  else
    pass "$what -> ${errors#*\] }"
  fi
}

n=0
while IFS='|' read -r plugin expect body; do
  [[ -z "$plugin" ]] && continue
  n=$((n + 1))
  if ! have_plugin "$plugin"; then
    fail "$plugin built" "no $HL_PLUGINDIR/$plugin.so"
    continue
  fi
  run_case "$n" "$plugin" "$expect" "$body"
done <<<"$cases"

# a second <Plugin> block of the same plugin
for plugin in $(homelab_plugins); do
  n=$((n + 1))
  run_case "$n" "$plugin" "only one <Plugin $plugin> block" "" 1
done

# --- the daemon keeps running its other plugins --------------------------------
first_bad() {
  grep -m1 "^$1|" <<<"$cases" | cut -d'|' -f3-
}
for plugin in $(homelab_plugins); do
  conf="$HL_WORK/run-$plugin.conf"
  csvdir="$HL_WORK/csv-$plugin"
  mkdir -p "$csvdir"
  survivors="LoadPlugin load"
  others=""
  if [[ $plugin != homelab_host ]]; then
    others="LoadPlugin homelab_host"
  fi
  body=$(expand "$(first_bad "$plugin")")
  gen_collectd_conf "$conf" "$survivors
LoadPlugin csv
<Plugin csv>
  DataDir \"$csvdir\"
  StoreRates true
</Plugin>" "$others
LoadPlugin $plugin
<Plugin $plugin>
$body
</Plugin>"
  if ! run_collectd_bg "$conf"; then
    fail "$plugin: daemon keeps running with a bad $plugin config" "collectd exited"
    continue
  fi
  sleep 3.2
  loads=$(cat "$csvdir"/*/load/load-* 2>/dev/null | grep -c '^[0-9]' || true)
  hosts=0
  if [[ -n "$others" ]]; then
    hosts=$(cat "$csvdir"/*/homelab_host/uptime* 2>/dev/null | grep -c '^[0-9]' || true)
  fi
  alive=0
  kill -0 "$COLLECTD_PID" 2>/dev/null && alive=1
  stop_collectd || true
  if [[ $alive -eq 1 && $loads -ge 2 && (-z "$others" || $hosts -ge 2) ]]; then
    pass "$plugin: bad config disables only $plugin; load ($loads reads)${others:+ and homelab_host ($hosts reads)} keep going"
  else
    fail "$plugin: bad config disables only $plugin" "alive=$alive load=$loads homelab_host=$hosts"
  fi
done

# --- secrets ---------------------------------------------------------------------
leaks=$(grep -rlF -e "$secret_pw" -e "$secret_tok" "$HL_WORK" --include='*.log' --include='*.out' || true)
check "no password or token in any log ($(find "$HL_WORK" -name '*.log' | wc -l) logs)" \
  "found in: $leaks" test -z "$leaks"
