#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Multi-site end to end, with the shipped examples: examples/multisite/
# site.conf runs as six "sites", each a collectd in its own network
# namespace, and examples/multisite/central.conf as the central collectd in
# the root namespace, which forwards to a private InfluxDB (lib.sh's
# start_influx) and includes examples/outputs/threshold.conf. Needs root
# (ip netns, veth, bridge); removes everything it made in its EXIT trap.
#
# Topology: a bridge in the root namespace with 10.X.0.1/24 (X: the first
# of 200..254 from 10.X.0.0/16 that no address or route of this machine
# uses), one veth pair per site namespace (site end 10.X.0.1N, other end a
# bridge port). The central listens on 10.X.0.1 only.
#
# The examples' "# adjust" lines are rewritten for the test (Hostname,
# Server/Listen address and port, Username/Password, AuthFile, TypesDB,
# PluginDir, the threshold Include; Interval and FlushInterval 1 instead of
# 10; logfile to a file). The AuthFile is examples/multisite/passwd plus a
# line for site4.
#   site1..site3  Encrypt with their user and password from the passwd
#                 example; site1 with WarningDiskPercent 1, so it sends a
#                 WARNING notification at its first read;
#   site4         Encrypt, user site4, wrong password;
#   site5         Encrypt, user site5 that the AuthFile does not have;
#   site6         no encryption (SecurityLevel None).
# Checks: every daemon runs; within 20 s InfluxDB has homelab_host values
# (df-root percent_bytes, load) of site1..site3 and of the central itself,
# each site's homelab_ports count-tcp_ipv4 is 0 (its own, empty namespace),
# and the central's network statistics (ReportStats); after two more seconds
# no value of site4..site6 is in InfluxDB under any measurement; the central's
# log names each rejection ("Checksum mismatch. Username: site4", "Failed to
# get cypher. Username: site5", "Unencrypted packet or part has been
# ignored"); site1's WARNING reached the central's log; after site3 is stopped
# the central's threshold plugin reports its values missing ("has not been
# updated"); InfluxDB knew every type; the central's log has no "Dataset not
# found" and no error but those of the rejected packets and the documented one
# about forwarded notifications; every daemon exits 0 on SIGTERM. About 12 s.
set -u
set -o pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

hl_init test_multisite

TAG=hms$$
BR=${TAG}br
SITES=(1 2 3 4 5 6)
GOOD=(1 2 3)
BAD=(4 5 6)
SITE_PIDS=()
declare -A SITE_PID=()
NET=""

# --- cleanup of the namespaces and the bridge (before lib.sh's cleanup) --------

ms_cleanup() {
  local p i
  for p in "${SITE_PIDS[@]}"; do
    stop_pid "$p" 2 >/dev/null 2>&1 || true
  done
  for i in "${SITES[@]}"; do
    ip netns del "${TAG}$i" 2>/dev/null || true
  done
  ip link del "$BR" 2>/dev/null || true
}
multisite_cleanup() {
  local rc=$?
  ms_cleanup
  (exit "$rc")
  hl_cleanup
}
trap multisite_cleanup EXIT

if [[ $EUID -ne 0 ]]; then
  fail "runs as root" "ip netns, veth and bridges need root"
  exit 1
fi
require_homelab_host || exit 1
if ! have_plugin homelab_ports; then
  fail "homelab_ports plugin built" "no $HL_PLUGINDIR/homelab_ports.so; run make first"
  exit 1
fi

# --- network: bridge in the root namespace, one namespace per site ----------------

# free_net: print X such that 10.X.0.0/16 is not used here
free_net() {
  local x
  for ((x = 200; x <= 254; x++)); do
    if ! ip -4 -o addr show | grep -q " 10\.$x\." &&
      ! ip -4 route show table all | grep -q "10\.$x\."; then
      printf '%s\n' "$x"
      return 0
    fi
  done
  return 1
}

setup_net() {
  local i ns
  NET=$(free_net) || return 1
  ip link add "$BR" type bridge || return 1
  ip addr add "10.$NET.0.1/24" dev "$BR" || return 1
  ip link set "$BR" up || return 1
  for i in "${SITES[@]}"; do
    ns=${TAG}$i
    ip netns add "$ns" &&
      ip link add "${TAG}h$i" type veth peer name "${TAG}n$i" netns "$ns" &&
      ip link set "${TAG}h$i" master "$BR" &&
      ip link set "${TAG}h$i" up &&
      ip -n "$ns" addr add "10.$NET.0.1$i/24" dev "${TAG}n$i" &&
      ip -n "$ns" link set lo up &&
      ip -n "$ns" link set "${TAG}n$i" up || return 1
  done
}

if setup_net; then
  pass "bridge 10.$NET.0.1/24 and ${#SITES[@]} site namespaces with veth pairs"
else
  fail "bridge and site namespaces" "set-up failed (see the ip error above)"
  exit 1
fi
if command -v ping >/dev/null; then
  check "site1's namespace reaches the central's address" "no ping reply from 10.$NET.0.1" \
    wait_for 5 ip netns exec "${TAG}1" ping -c 1 -W 1 "10.$NET.0.1" >/dev/null
fi

# --- InfluxDB and the central collectd ----------------------------------------------

if start_influx; then
  pass "influxd answers /ping (port $INFLUX_HTTP_PORT, collectd listener UDP $INFLUX_COLLECTD_PORT)"
else
  fail "influxd starts" "no /ping answer within 15 s"
  exit 1
fi

CENTRAL_PORT=$(free_port udp)
AUTH="$HL_WORK/passwd"
cp "$HL_SRCDIR/examples/multisite/passwd" "$AUTH"
printf 'site4: the-right-password-4\n' >>"$AUTH"
chmod 600 "$AUTH"

# adapt FILE NAME: the example FILE with its "# adjust" lines rewritten for
# daemon NAME of this test (work dir $HL_WORK/NAME.base, log NAME.log).
adapt() {
  local file=$1 name=$2
  mkdir -p "$HL_WORK/$name.base"
  printf '# %s for test_multisite, from %s\nBaseDir "%s"\n' \
    "$name" "${file#"$HL_SRCDIR"/}" "$HL_WORK/$name.base"
  sed -E \
    -e "s|^Interval 10$|Interval 1|" \
    -e "s|^([[:space:]]*FlushInterval) 10$|\1 1|" \
    -e "s|^([[:space:]]*File) STDERR$|\1 \"$HL_WORK/$name.log\"|" \
    -e "/# adjust/ s|\"[^\"]*/homelab\.db\"|\"$HL_TYPESDB\"|" \
    -e "/# adjust/ s|^PluginDir \"[^\"]*\"|PluginDir \"$HL_PLUGINDIR\"|" \
    -e "/# adjust/ s|^([[:space:]]*<Server )\"[^\"]*\" \"[0-9]+\"|\1\"10.$NET.0.1\" \"$CENTRAL_PORT\"|" \
    -e "/# adjust/ s|^([[:space:]]*<Listen )\"[^\"]*\" \"[0-9]+\"|\1\"10.$NET.0.1\" \"$CENTRAL_PORT\"|" \
    -e "/# adjust/ s|^([[:space:]]*Server )\"[^\"]*\" \"[0-9]+\"|\1\"127.0.0.1\" \"$INFLUX_COLLECTD_PORT\"|" \
    -e "/# adjust/ s|^([[:space:]]*AuthFile )\"[^\"]*\"|\1\"$AUTH\"|" \
    -e "/# adjust/ s|^(Include )\"[^\"]*/threshold\.conf\"|\1\"$HL_SRCDIR/examples/outputs/threshold.conf\"|" \
    "$file"
  : >"$HL_WORK/$name.log"
  add_log "$name" "$HL_WORK/$name.log"
  add_log "$name stdout/stderr" "$HL_WORK/$name.out"
}

adapt "$HL_SRCDIR/examples/multisite/central.conf" central >"$HL_WORK/central.conf"
CENTRAL_LOG="$HL_WORK/central.log"
"$HL_COLLECTD" -C "$HL_WORK/central.conf" -f >"$HL_WORK/central.out" 2>&1 &
CENTRAL_PID=$!
track_pid "$CENTRAL_PID"
if wait_for 5 grep -q 'Initialization complete' "$CENTRAL_LOG"; then
  pass "central collectd runs (listens on 10.$NET.0.1:$CENTRAL_PORT, Encrypt, AuthFile)"
else
  fail "central collectd runs" "no 'Initialization complete' in its log within 5 s"
  exit 1
fi

# --- the sites --------------------------------------------------------------------

# site_conf N: site.conf for site N (see the header for what differs)
site_conf() {
  local n=$1 user="site$1" pw="change-me-site$1" level=Encrypt
  case $n in
  4) pw="a-wrong-password" ;;
  6) level=None ;;
  esac
  adapt "$HL_SRCDIR/examples/multisite/site.conf" "site$n" |
    sed -E -e "s|^Hostname \"[^\"]*\"|Hostname \"site$n\"|" \
      -e "s|^([[:space:]]*Username )\"[^\"]*\"|\1\"$user\"|" \
      -e "s|^([[:space:]]*Password )\"[^\"]*\"|\1\"$pw\"|" \
      -e "s|^([[:space:]]*SecurityLevel) Encrypt$|\1 $level|" |
    if [[ $n == 1 ]]; then
      sed -E 's|^([[:space:]]*WarningDiskPercent) [0-9]+$|\1 1|'
    else
      cat
    fi
}

for i in "${SITES[@]}"; do
  site_conf "$i" >"$HL_WORK/site$i.conf"
  ip netns exec "${TAG}$i" "$HL_COLLECTD" -C "$HL_WORK/site$i.conf" -f \
    >"$HL_WORK/site$i.out" 2>&1 &
  SITE_PID[$i]=$!
  SITE_PIDS+=("$!")
  track_pid "$!"
done
for i in "${SITES[@]}"; do
  if wait_for 5 grep -q 'Initialization complete' "$HL_WORK/site$i.log"; then
    pass "site$i collectd runs in namespace ${TAG}$i (10.$NET.0.1$i)"
  else
    fail "site$i collectd runs" "no 'Initialization complete' in its log within 5 s"
  fi
done

# --- what arrived in InfluxDB ---------------------------------------------------

# rows QUERY: the values of every row of the answer, one "tag value" line
# per row (tag: the host tag when grouped by host, else the first column
# after time).
rows() {
  influx_query collectd "$1" 2>/dev/null | "$HL_PYTHON" -c '
import json, sys
try:
    doc = json.load(sys.stdin)
except ValueError:
    sys.exit(0)
for res in doc.get("results", []):
    for s in res.get("series", []) or []:
        for row in s.get("values", []):
            host = s.get("tags", {}).get("host")
            print(host if host is not None else row[0], row[-1])
'
}

# hosts: every value of the host tag, over all measurements, one per line
hosts() {
  rows 'SHOW TAG VALUES WITH KEY = "host"' | awk '{ print $2 }' | sort -u
}

has_host() {
  hosts | grep -qx "$1"
}

# last MEASUREMENT WHERE: newest value per host, "host value" lines
last() {
  rows "SELECT last(value) FROM \"$1\" WHERE $2 GROUP BY host"
}

# fetch: the series the checks below look at, into DISK, LOAD, TCP4, STATS
fetch() {
  DISK=$(last homelab_host_value "instance = 'df-root' AND type = 'percent_bytes' AND type_instance = 'used'")
  LOAD=$(last homelab_host_shortterm "type = 'load'")
  TCP4=$(last homelab_ports_value "instance = 'listeners' AND type = 'count' AND type_instance = 'tcp_ipv4'")
  STATS=$(last network_rx "host = 'central' AND type = 'if_packets'")
}

# of HOST SERIES: the value of HOST in SERIES ("host value" lines)
of() {
  awk -v h="$1" '$1 == h { print $2 }' <<<"$2"
}

all_arrived() {
  local h
  fetch
  [[ -n "$(of central "$DISK")" && -n "$STATS" ]] || return 1
  for h in site1 site2 site3; do
    [[ -n "$(of "$h" "$DISK")" && -n "$(of "$h" "$LOAD")" && -n "$(of "$h" "$TCP4")" ]] ||
      return 1
  done
}

t0=$SECONDS
if wait_for 20 all_arrived; then
  note "every series of site1..site3 and central in InfluxDB after $((SECONDS - t0)) s"
fi
for h in site1 site2 site3 central; do
  v=$(of "$h" "$DISK")
  check "InfluxDB has $h's disk / % used (homelab_host_value df-root percent_bytes: ${v:-none})" \
    "no point with host=$h after 20 s" test -n "$v"
  [[ $h == central ]] && continue
  v=$(of "$h" "$LOAD")
  check "InfluxDB has $h's load (homelab_host_shortterm: ${v:-none})" \
    "no point with host=$h after 20 s" test -n "$v"
  v=$(of "$h" "$TCP4")
  check "$h's homelab_ports sees its own empty namespace (count tcp_ipv4 = ${v:-none})" \
    "expected 0" test "${v:-x}" = 0
done
check "InfluxDB has the central's network statistics (ReportStats, packets received: ${STATS#* })" \
  "no network_rx point with host=central, type=if_packets after 20 s" test -n "$STATS"

# every bad site has sent for at least two more flushes by now
sleep 2
no_host() {
  ! has_host "$1"
}
for i in "${BAD[@]}"; do
  check "nothing of site$i is in InfluxDB" "host=site$i found" no_host "site$i"
done

# log_has WHAT PATTERN: a check that the central's log has PATTERN
log_has() {
  if grep -qE "$2" "$CENTRAL_LOG"; then
    pass "$1"
  else
    fail "$1" "no line matching '$2' in $CENTRAL_LOG"
  fi
}
log_has "central logs site4's wrong password ('Checksum mismatch. Username: site4')" \
  'Checksum mismatch\. Username: site4$'
log_has "central logs site5's unknown user ('Failed to get cypher. Username: site5')" \
  'Failed to get cypher\. Username: site5$'
log_has "central logs site6's plain packets ('Unencrypted packet or part has been ignored')" \
  'Unencrypted packet or part has been ignored'
log_has "site1's WARNING notification (disk limit 1 %) reached the central" \
  'Notification: severity = (WARNING|FAILURE), host = site1, plugin = homelab_host, plugin_instance = df-root'

# --- a site goes silent ---------------------------------------------------------

rc=0
stop_pid "${SITE_PID[3]}" 5 || rc=$?
check "site3 exits 0 on SIGTERM" "exit status $rc" test "$rc" -eq 0
t0=$SECONDS
if wait_for 10 grep -qE 'severity = FAILURE, host = site3, plugin = homelab_host.*has not been updated' \
  "$CENTRAL_LOG"; then
  pass "central's threshold plugin reports site3's values missing after $((SECONDS - t0)) s"
else
  fail "central's threshold plugin reports site3's values missing" \
    "no FAILURE '... has not been updated' for host site3 within 10 s"
fi

# --- logs and shutdown ------------------------------------------------------------

if grep -q 'unable to find' "$INFLUX_LOG"; then
  fail "influxd knows every type" "$(grep -m1 'unable to find' "$INFLUX_LOG")"
else
  pass "influxd knows every type (no 'unable to find ... in TypesDB')"
fi

# Expected errors: the rejected packets of site4 and site5, and the one
# collectd 5.12 logs for each notification a site sends while Forward is
# true (documented in central.conf). Anything else is a failure.
expected='Checksum mismatch\. Username: site4$|Failed to get cypher\. Username: site5$'
expected+='|Decrypting AES256 part failed with status -1\.$'
expected+='|A notification has been received via the network and forwarding is enabled'
bad=$(grep -hE 'Dataset not found|\[error\]' "$CENTRAL_LOG" "$HL_WORK/central.out" |
  grep -vE "$expected" | head -n 1)
check "central's log has no 'Dataset not found' and no error but the expected ones" \
  "$bad" test -z "$bad"
for i in "${GOOD[@]}"; do
  bad=$(grep -hE 'Dataset not found|\[error\]' "$HL_WORK/site$i.log" "$HL_WORK/site$i.out" | head -n 1)
  check "site$i's log has no 'Dataset not found' and no error" "$bad" test -z "$bad"
done

for i in 1 2 4 5 6; do
  rc=0
  stop_pid "${SITE_PID[$i]}" 5 || rc=$?
  check "site$i exits 0 on SIGTERM" "exit status $rc" test "$rc" -eq 0
done
rc=0
stop_pid "$CENTRAL_PID" 5 || rc=$?
check "central exits 0 on SIGTERM" "exit status $rc" test "$rc" -eq 0
