#!/bin/bash
# SPDX-License-Identifier: MIT
#
# The fault matrix (issue 8): one real collectd with every homelab plugin
# pointed at the simulators of suite_sim.sh (lab network namespace, ping
# targets, FRITZ!Box, Home Assistant, fake Docker, NVMe controller through
# nvme_shim.so), plus homelab_host at Interval 1 as the witness of the other
# plugins' interval (its values go to the csv plugin). The faulty targets go
# through fault_server.py, which passes traffic to the simulators until it is
# told to misbehave. Plugin settings: Timeout 1, Interval 2 for the HTTP
# targets and the pings (PingCount 3, PingSpacing 0.2), DockerTimeout 1,
# Interval 1 for homelab_ports and homelab_nvme.
#
# Cases (run in waves of independent faults, each fault held for FAULT_S
# seconds, then ended):
#   FRITZ!Box (homelab_fritz box "fbfault") and Home Assistant (homelab_ha
#   instance "hafault"), each: endpoint refuses connections; accepts and
#   never answers; answers 1 byte per second; 10 MiB of garbage after valid
#   headers; valid headers and a truncated body (half of the simulator's
#   real answer); TLS handshake with a certificate no trusted CA signed
#   (boxes "fbtls"/"hatls", CACert given); a host name under .invalid that
#   does not resolve (NXDOMAIN from a resolver in the lab namespace; the
#   targets fail from the start and recover when the name is added to the
#   namespace's /etc/hosts): fbdns, hadns and the ping target pingdns;
#   ICMP target "gateway" behind a blackhole: replies dropped by a blackhole
#   route in the target's namespace; and a blackhole route on collectd's
#   side (every send fails);
#   Docker socket missing, permission denied (collectd runs without
#   CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH, the socket is chmod 000), and
#   answering 10 MiB of garbage;
#   /proc entries vanishing mid-scan: proc_churn.py keeps 40 short-lived
#   processes with sockets coming and going while homelab_ports scans;
#   NVMe controller unplugged (its device node removed; the open descriptor
#   then fails like a removed device's) and plugged in again.
# Every case is checked for: collectd still running (no crash); the longest
# read of the target while the fault lasted within its timeout (reads are
# timed by read_timer.so, an LD_AUDIT module around the plugins' read
# callbacks); one clear report (at most one error/warning log line and at
# most one FAILURE/WARNING notification naming the target, and at least one
# of them; /proc churn: none); the witness's value timestamps never more
# than 1.5 s apart from the fault's start until the target recovered; and
# recovery once the fault ends (values again, and an OKAY notification if a
# FAILURE was sent). Some cases check one thing more: the ping cases that
# homelab_up-reachable 0 is reported while the target is cut off; the
# Docker cases that the port-policy findings built from Docker's data
# (published ports) are neither reported closed while the engine cannot be
# asked nor raised again when it answers; the .invalid cases that the log
# line says the name does not resolve; the churn that the scans saw the
# short-lived listeners. A table of the numbers is printed at the end (also
# written to $HL_FAULT_TABLE when set). Needs root (namespaces, routes,
# /etc/netns, mknod) and a C compiler. About 80 s on 2 cores.
set -u
set -o pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=suite_sim.sh
. "$HL_LIBDIR/suite_sim.sh"

hl_init faults

W=$HL_WORK
FAULT_S=${HL_FAULT_S:-6}     # how long each fault is held
RECOVER_S=${HL_RECOVER_S:-12} # how long recovery may take
GAP_MAX=1.5                  # witness: largest gap between two values
SLACK=0.5                    # on top of a timeout, for scheduling
FS="$HL_LIBDIR/fault_server.py"
CTL="$W/fault.ctl"
DOCK="$W/docker.sock"
# shellcheck disable=SC2054 # the commas belong to setpriv's arguments
CAPDROP=(setpriv --bounding-set=-dac_override,-dac_read_search
  --inh-caps=-dac_override,-dac_read_search)
declare -A SKIP=() # case key -> why it cannot run here
NETNS_DIR=""
NETNS_NEW=0
COLLECTD_PID=""
CUR=""

faults_cleanup() {
  local rc=$?
  if [[ -n "$COLLECTD_PID" ]]; then
    stop_pid "$COLLECTD_PID" 5 >/dev/null 2>&1 || true
  fi
  sim_stop >/dev/null 2>&1 || true
  if [[ -n "$NETNS_DIR" ]]; then
    rm -rf "$NETNS_DIR"
    if [[ $NETNS_NEW -eq 1 ]]; then
      rmdir /etc/netns 2>/dev/null || true
    fi
  fi
  (exit "$rc")
  hl_cleanup
}
trap faults_cleanup EXIT

if [[ $EUID -ne 0 ]] || ! command -v ip >/dev/null; then
  fail "test_faults runs as root with ip(8)" "network namespaces, routes and /etc/netns need root"
  exit 1
fi
for tool in curl openssl awk "${SIM_CC:-cc}"; do
  if ! command -v "$tool" >/dev/null; then
    fail "$tool is installed" "no $tool in PATH"
    exit 1
  fi
done
for p in homelab_host homelab_fritz homelab_ha homelab_ports homelab_nvme; do
  if ! have_plugin "$p"; then
    fail "$p plugin built" "no $HL_PLUGINDIR/$p.so; run make first"
    exit 1
  fi
done

# --- helpers -------------------------------------------------------------------

now() { printf '%s\n' "$EPOCHREALTIME"; }
lines() { wc -l <"$1"; }
# fsub A B: A - B for timestamps (floating point)
fsub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }
# le A B: A <= B (numbers)
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && a + 0 <= b + 0) }'; }

# ctl ARGS...: fault_server.py control command; fails the test on error
ctl() {
  local out
  if ! out=$("$HL_PYTHON" "$FS" ctl "$CTL" "$@" 2>&1); then
    fail "fault server: $*" "$out"
    return 1
  fi
}

# csv_rows PATH: "time value" rows of csv files $W/csv/<host>/PATH-<date>
csv_rows() {
  local f
  for f in "$W/csv/$HL_HOSTNAME/$1"-[0-9]*; do
    [[ -f "$f" ]] && tail -n +2 "$f"
  done | awk -F, '{ print $1, $2 }' | sort -n
}

# value_after PATH T [VALUE]: a value (equal to VALUE) with time > T
value_after() {
  csv_rows "$1" | awk -v t="$2" -v want="${3:-}" \
    '$1 + 0 > t + 0 && (want == "" || $2 + 0 == want + 0) { f = 1 } END { exit !f }'
}

# witness_gap A B: largest gap between homelab_host values in [A-1, B+1]
witness_gap() {
  csv_rows homelab_host-memory/percent-used | awk -v a="$1" -v b="$2" '
    $1 + 0 >= a - 1 && $1 + 0 <= b + 1 {
      if (n++ > 0 && $1 - p > g) g = $1 - p
      p = $1
    }
    END { if (n < 2) printf "%.3f", b - a; else printf "%.3f", g }'
}

# read_stats CB A B: "<max duration> <reads>" of callback CB started in [A, B]
read_stats() {
  awk -v cb="$1" -v a="$2" -v b="$3" '
    $1 == cb && $2 + 0 >= a + 0 && $2 + 0 <= b + 0 {
      n++; if ($3 + 0 > m) m = $3 + 0
    }
    END { printf "%.3f %d\n", m, n }' "$READS"
}

# log_seg L0 L1: lines L0+1..L1 of the collectd log
log_seg() { sed -n "$(($1 + 1)),$2p" "$LOG"; }

# complaints L0 L1 RE: error/warning/notice lines matching RE (not
# notifications)
complaints() {
  log_seg "$1" "$2" | grep -v 'Notification:' |
    grep -E '\[(error|warning|notice)\]' | grep -cE "$3"
}

# notifs L0 L1 PLUGIN INSTANCE SEVERITY-RE
notifs() {
  log_seg "$1" "$2" | grep -cE "Notification: severity = ($5), host = $HL_HOSTNAME, plugin = $3, plugin_instance = $4,"
}

# --- set-up: simulators, fault server, certificates, resolver ------------------

sim_init "$W/sim" "hlf$$"
if ! sim_start; then
  fail "simulators start (suite_sim.sh)" "$SIM_ERROR"
  exit 1
fi
pass "simulators start in namespace $SIM_NS (FRITZ!Box $SIM_FRITZ_PORT, HA $SIM_HA_PORT, Docker, NVMe: $SIM_NVME)"
for f in "$SIM_W"/*.log; do
  add_log "sim ${f##*/}" "$f"
done

# a CA, a server certificate it signed (127.0.0.1) and one it did not
if ! (
  cd "$W" &&
    openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=hl-faults-ca -days 1 \
      -keyout ca.key -out ca.pem &&
    openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
      -keyout good.key -out good.csr &&
    printf 'subjectAltName=IP:127.0.0.1\n' >good.ext &&
    openssl x509 -req -in good.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
      -days 1 -extfile good.ext -out good.pem &&
    openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -days 1 \
      -addext subjectAltName=IP:127.0.0.1 -keyout bad.key -out bad.pem
) >"$W/openssl.log" 2>&1; then
  fail "openssl makes the certificates" "$(tail -n1 "$W/openssl.log")"
  exit 1
fi

# the lab namespace's resolver (ip netns exec binds /etc/netns/NS/* over
# /etc/*): names from hosts, everything else NXDOMAIN from fault_server.py
NETNS_DIR="/etc/netns/$SIM_NS"
[[ -d /etc/netns ]] || NETNS_NEW=1
mkdir -p "$NETNS_DIR"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$NETNS_DIR/hosts"
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$NETNS_DIR/resolv.conf"

rm -f "$W/fault.ready"
sim_bg fault_server "$SIM_PY" "$FS" --ctl "$CTL" --ready "$W/fault.ready" \
  --cert "$W/good.pem" --key "$W/good.key" \
  --bad-cert "$W/bad.pem" --bad-key "$W/bad.key" \
  --tcp "fbfault=18001:127.0.0.1:$SIM_FRITZ_PORT" \
  --tcp "hafault=18002:127.0.0.1:$SIM_HA_PORT" \
  --tls "fbtls=18003:127.0.0.1:$SIM_FRITZ_PORT" \
  --tls "hatls=18004:127.0.0.1:$SIM_HA_PORT" \
  --unix "docker=$DOCK:$SIM_DOCKER_SOCK" --dns 53
add_log fault_server "$SIM_W/fault_server.log"
if wait_for 15 test -s "$W/fault.ready"; then
  pass "fault server listens (TCP 18001-18004, $DOCK, DNS 53 in the lab namespace)"
else
  fail "fault server starts" "$(tail -n 3 "$SIM_W/fault_server.log" | tr '\n' ' ')"
  exit 1
fi

# read timing (LD_AUDIT) and collectd without the DAC override capabilities
if ! "${SIM_CC:-cc}" -shared -fPIC -O2 -o "$W/read_timer.so" \
  "$HL_LIBDIR/read_timer.c" >"$W/read_timer.build.log" 2>&1; then
  fail "read_timer.so builds" "$(tail -n 3 "$W/read_timer.build.log" | tr '\n' ' ')"
  exit 1
fi
if ! "${CAPDROP[@]}" true 2>/dev/null; then
  CAPDROP=()
  SKIP[docker_perm]="setpriv cannot drop CAP_DAC_OVERRIDE here (root ignores a chmod 000)"
fi

# the ping target "gateway" of suite_sim.sh: its address, its namespace and
# the lab side's address (the blackhole routes go there)
GW_ADDR="" GW_NS="" LAB_ADDR=""
for t in "${SIM_PING[@]}"; do
  [[ ${t%% *} == gateway ]] && GW_ADDR=${t#* }
done
for ns in "${SIM_NS_ALL[@]}"; do
  if [[ -n "$GW_ADDR" && $ns != "$SIM_NS" ]] &&
    ip -n "$ns" -br addr 2>/dev/null | grep -q "[[:space:]]$GW_ADDR/"; then
    GW_NS=$ns
  fi
done
if [[ -n "$GW_NS" ]]; then
  LAB_ADDR=$(ip -n "$SIM_NS" route get "$GW_ADDR" 2>/dev/null |
    sed -n 's/.* src \([0-9.]*\).*/\1/p')
fi
if [[ -z "$LAB_ADDR" ]]; then
  SKIP[icmp_hole]="no ping target \"gateway\" in its own namespace (SIM_PING: ${SIM_PING[*]})"
  SKIP[icmp_local]=${SKIP[icmp_hole]}
fi

# --- collectd --------------------------------------------------------------------

CONF="$W/faults.conf"
LOG=$(collectd_log "$CONF")
READS="$W/reads.log"
: >"$READS"
box() { # box NAME HOST PORT [LINES]
  cat <<EOF
  <Box "$1">
    Host "$2"
    Port $3
    Username "monitor"
    PasswordFile "$SIM_W/fritz.pw"
    Ping false
${4:-}
  </Box>
EOF
}
inst() { # inst NAME URL [LINES]
  cat <<EOF
  <Instance "$1">
    URL "$2"
    TokenFile "$SIM_W/ha.token"
    Timeout 1
    Interval 2
    EntityPattern "sensor.*"
${3:-}
  </Instance>
EOF
}
STOCK="LoadPlugin csv
<Plugin csv>
  DataDir \"$W/csv\"
  StoreRates false
</Plugin>"
HOMELAB="LoadPlugin homelab_host
<Plugin homelab_host>
  MountPoint \"/\"
</Plugin>
LoadPlugin homelab_fritz
<Plugin homelab_fritz>
$(for t in "${SIM_PING[@]}"; do printf '  <Ping "%s">\n    Host "%s"\n  </Ping>\n' "${t%% *}" "${t#* }"; done)
  <Ping \"pingdns\">
    Host \"ping-dns.invalid\"
  </Ping>
$(box main 127.0.0.1 "$SIM_FRITZ_PORT")
$(box fbfault 127.0.0.1 18001)
$(box fbtls 127.0.0.1 18003 "    UseTLS true
    CACert \"$W/ca.pem\"")
$(box fbdns fritz-dns.invalid "$SIM_FRITZ_PORT")
  PingCount 3
  PingSpacing 0.2
  Timeout 1
  Interval 2
</Plugin>
LoadPlugin homelab_ha
<Plugin homelab_ha>
$(inst home "http://127.0.0.1:$SIM_HA_PORT")
$(inst hafault "http://127.0.0.1:18002")
$(inst hatls "https://127.0.0.1:18004" "    CACert \"$W/ca.pem\"")
$(inst hadns "http://ha-dns.invalid:$SIM_HA_PORT")
</Plugin>
LoadPlugin homelab_ports
<Plugin homelab_ports>
  DockerSocket \"$DOCK\"
  DockerTimeout 1
  Port \"tcp\" $SIM_HA_PORT
  AllowPort \"tcp\" $SIM_HA_PORT
  AllowPort \"tcp\" $SIM_FRITZ_PORT
  AllowPort \"tcp\" $SIM_FIBER_PORT
  AllowRange \"tcp\" 18000 18099
  AllowPort \"udp\" 53
  AllowRange \"tcp\" 30000 30999
  AllowRange \"udp\" 30000 30999
  Interval 1
</Plugin>"
if [[ $SIM_NVME -eq 1 ]]; then
  HOMELAB+="
LoadPlugin homelab_nvme
<Plugin homelab_nvme>
  Device \"/dev/nvme0\"
  DevRoot \"$SIM_W/nvme/dev\"
  SysfsRoot \"$SIM_W/nvme/sys\"
  Interval 1
</Plugin>"
else
  SKIP[nvme_unplug]="no simulated NVMe controller (${SIM_NVME_WHY:-?})"
fi
gen_collectd_conf "$CONF" "$STOCK" "$HOMELAB"
add_log "collectd stdout/stderr" "$W/faults.out"
add_log "read times" "$READS"

T_START=$(now)
"${SIM_COLLECTD[@]}" env LD_AUDIT="$W/read_timer.so" HL_READ_TIMER_LOG="$READS" \
  "${CAPDROP[@]}" "$HL_COLLECTD" -C "$CONF" -f >"$W/faults.out" 2>&1 &
COLLECTD_PID=$!
track_pid "$COLLECTD_PID"
sleep 0.5
if kill -0 "$COLLECTD_PID" 2>/dev/null; then
  pass "collectd runs in the lab namespace (pid $COLLECTD_PID$([[ ${#CAPDROP[@]} -gt 0 ]] && echo ', without CAP_DAC_OVERRIDE'))"
else
  fail "collectd runs" "exited at once: $(tail -n 3 "$W/faults.out" | tr '\n' ' ')"
  exit 1
fi

collectd_alive() {
  check "$1" "collectd (pid $COLLECTD_PID) is gone: $(tail -n 3 "$W/faults.out" | tr '\n' ' ')" \
    kill -0 "$COLLECTD_PID"
}

# every healthy target delivers before the faults start
baseline() {
  local p
  for p in "homelab_host-memory/percent-used" "homelab_fritz-main/uptime-box" \
    "homelab_fritz-fbfault/uptime-box" "homelab_fritz-fbtls/uptime-box" \
    "homelab_ha-home/response_time-api" "homelab_ha-hafault/response_time-api" \
    "homelab_ha-hatls/response_time-api"; do
    value_after "$p" 0 || return 1
  done
  value_after homelab_ports-docker/homelab_available 0 1 || return 1
  [[ -z "$GW_ADDR" ]] || value_after homelab_fritz-gateway/homelab_up-reachable 0 1 || return 1
  [[ $SIM_NVME -eq 0 ]] || value_after homelab_nvme-nvme0/temperature-temperature 0
}
t0=$SECONDS
if wait_for 25 baseline; then
  pass "baseline: every healthy target delivers values ($((SECONDS - t0)) s)"
else
  fail "baseline: every healthy target delivers values" "missing after 25 s: $(
    for p in homelab_fritz-fbfault/uptime-box homelab_fritz-fbtls/uptime-box \
      homelab_ha-hafault/response_time-api homelab_ha-hatls/response_time-api \
      homelab_ports-docker/homelab_available homelab_fritz-gateway/homelab_up-reachable \
      homelab_nvme-nvme0/temperature-temperature; do
      value_after "$p" 0 || printf '%s ' "$p"
    done
  )"
fi
for p in homelab_fritz-fbdns/uptime-box homelab_ha-hadns/response_time-api; do
  if value_after "$p" 0; then
    fail "baseline: ${p%%/*} (name under .invalid) has no values yet" "$p posted"
  fi
done

# --- the cases ---------------------------------------------------------------------

# case_def KEY "DESCRIPTION" CALLBACK LIMIT LOG-RE PLUGIN INSTANCE RECOVERY
#          START END [EXTRA]
# CALLBACK: the read callback's name (read_timer.so's log); LIMIT: longest
# read allowed while the fault lasts (s); LOG-RE: a complaint about the
# target; PLUGIN/INSTANCE: its notifications; RECOVERY: "CSV-PATH [VALUE]"
# that must get a value after the fault ended; START/END: shell commands
# (":" for START: failing since collectd started); EXTRA: a function with
# one more check (called with the description, T0 T1 L0 L1 L2).
declare -A C_DESC C_CB C_LIMIT C_RE C_PLUG C_INST C_REC C_START C_END C_EXTRA
declare -A R_READ R_NREAD R_LOG R_GAP R_REC
ORDER=()
case_def() {
  ORDER+=("$1")
  C_DESC[$1]=$2
  C_CB[$1]=$3
  C_LIMIT[$1]=$4
  C_RE[$1]=$5
  C_PLUG[$1]=$6
  C_INST[$1]=$7
  C_REC[$1]=$8
  C_START[$1]=$9
  C_END[$1]=${10}
  C_EXTRA[$1]=${11:-}
}

FB_RE='homelab_fritz: (Box "fbfault"|fbfault:)'
HA_RE='homelab_ha: (Instance "hafault"|hafault:)'
HTTP_LIMIT=$(awk -v s="$SLACK" 'BEGIN { print 1 + s }')    # Timeout 1
# one ping read probes every target: (PingCount - 1) x PingSpacing + Timeout,
# after resolving the names within another Timeout
PING_LIMIT=$(awk -v s="$SLACK" 'BEGIN { print 0.4 + 1 + s }')
for m in refuse hang drip garbage truncated; do
  case $m in
  refuse) d="endpoint refuses connections" ;;
  hang) d="accepts, never answers" ;;
  drip) d="answers 1 byte per second" ;;
  garbage) d="10 MiB of garbage after valid headers" ;;
  truncated) d="valid headers, truncated body" ;;
  esac
  case_def "fb_$m" "FRITZ!Box: $d" homelab_fritz/box/fbfault "$HTTP_LIMIT" \
    "$FB_RE" homelab_fritz fbfault "homelab_fritz-fbfault/uptime-box" \
    "ctl set fbfault $m" "ctl set fbfault pass"
  case_def "ha_$m" "Home Assistant: $d" homelab_ha/hafault "$HTTP_LIMIT" \
    "$HA_RE" homelab_ha hafault "homelab_ha-hafault/homelab_up-api 1" \
    "ctl set hafault $m" "ctl set hafault pass"
done
case_def fb_tls "FRITZ!Box: TLS certificate from an unknown CA" homelab_fritz/box/fbtls \
  "$HTTP_LIMIT" 'homelab_fritz: (Box "fbtls"|fbtls:)' homelab_fritz fbtls \
  "homelab_fritz-fbtls/uptime-box" "ctl set fbtls badcert" "ctl set fbtls pass"
case_def ha_tls "Home Assistant: TLS certificate from an unknown CA" homelab_ha/hatls \
  "$HTTP_LIMIT" 'homelab_ha: (Instance "hatls"|hatls:)' homelab_ha hatls \
  "homelab_ha-hatls/homelab_up-api 1" "ctl set hatls badcert" "ctl set hatls pass"
DNS_END="printf '127.0.0.1 fritz-dns.invalid ha-dns.invalid ping-dns.invalid\n' >>'$NETNS_DIR/hosts'"
case_def fb_dns "FRITZ!Box: host name does not resolve (.invalid)" homelab_fritz/box/fbdns \
  "$HTTP_LIMIT" 'homelab_fritz: (Box "fbdns"|fbdns:)' homelab_fritz fbdns \
  "homelab_fritz-fbdns/uptime-box" ":" "$DNS_END" extra_dns
case_def ha_dns "Home Assistant: host name does not resolve (.invalid)" homelab_ha/hadns \
  "$HTTP_LIMIT" 'homelab_ha: (Instance "hadns"|hadns:)' homelab_ha hadns \
  "homelab_ha-hadns/homelab_up-api 1" ":" ":" extra_dns
case_def ping_dns "ping: host name does not resolve (.invalid)" homelab_fritz/ping \
  "$(awk -v p="$PING_LIMIT" 'BEGIN { print p + 1 }')" 'homelab_fritz: (pingdns:|cannot send ICMP)' \
  homelab_fritz pingdns "homelab_fritz-pingdns/homelab_up-reachable 1" ":" ":" extra_dns
case_def icmp_hole "ping: target behind a blackhole (replies dropped)" homelab_fritz/ping \
  "$PING_LIMIT" 'homelab_fritz: (gateway:|cannot send ICMP)' homelab_fritz gateway \
  "homelab_fritz-gateway/homelab_up-reachable 1" \
  "ip -n '$GW_NS' route add blackhole '$LAB_ADDR/32'" \
  "ip -n '$GW_NS' route del blackhole '$LAB_ADDR/32'" extra_unreachable
case_def icmp_local "ping: blackhole route on collectd's side (sends fail)" homelab_fritz/ping \
  "$PING_LIMIT" 'homelab_fritz: (gateway:|cannot send ICMP)' homelab_fritz gateway \
  "homelab_fritz-gateway/homelab_up-reachable 1" \
  "ip -n '$SIM_NS' route add blackhole '$GW_ADDR/32'" \
  "ip -n '$SIM_NS' route del blackhole '$GW_ADDR/32'" extra_unreachable
DOCKER_LIMIT=$(awk -v s="$SLACK" 'BEGIN { print 1 + s }') # DockerTimeout 1
case_def docker_missing "Docker: socket missing" homelab_ports "$DOCKER_LIMIT" \
  'homelab_ports: .*[Dd]ocker' homelab_ports docker "homelab_ports-docker/homelab_available 1" \
  "ctl set docker missing" "ctl set docker pass" extra_findings
case_def docker_perm "Docker: permission denied" homelab_ports "$DOCKER_LIMIT" \
  'homelab_ports: .*[Dd]ocker' homelab_ports docker "homelab_ports-docker/homelab_available 1" \
  "chmod 000 '$DOCK'" "chmod 660 '$DOCK'" extra_findings
case_def docker_garbage "Docker: 10 MiB of garbage after valid headers" homelab_ports \
  "$DOCKER_LIMIT" 'homelab_ports: .*[Dd]ocker' homelab_ports docker \
  "homelab_ports-docker/homelab_available 1" "ctl set docker garbage" "ctl set docker pass" \
  extra_findings
case_def proc_churn "ports: /proc entries vanish mid-scan (process churn)" homelab_ports 1 \
  'homelab_ports:' homelab_ports '[^,]+' "homelab_ports-listeners/count-tcp_ipv4" \
  "start_churn" "wait_churn" extra_churn
mkdir -p "$W/unplugged"
case_def nvme_unplug "NVMe: controller unplugged and plugged in again" homelab_nvme/nvme0 \
  "$SLACK" 'homelab_nvme: nvme0' homelab_nvme nvme0 \
  "homelab_nvme-nvme0/temperature-temperature" \
  "mv '$SIM_W/nvme/dev/nvme0' '$W/unplugged/nvme0'" \
  "mv '$W/unplugged/nvme0' '$SIM_W/nvme/dev/nvme0'"

CHURN_PID=""
start_churn() {
  sim_bg proc_churn "$SIM_PY" "$HL_LIBDIR/proc_churn.py" --seconds "$FAULT_S" \
    --ports 30000-30999 --alive 40
  CHURN_PID=$SIM_PID
}
wait_churn() {
  wait_for 5 proc_gone "$CHURN_PID" || true
  note "proc_churn: $(cat "$SIM_W/proc_churn.log" 2>/dev/null)"
}

# recovered KEY T1 L0: values after T1, and an OKAY after a FAILURE
recovered() {
  local k=$1 t1=$2 l0=$3 path want n_bad n_ok
  read -r path want <<<"${C_REC[$k]}"
  value_after "$path" "$t1" "${want:-}" || return 1
  n_bad=$(notifs "$l0" '$' "${C_PLUG[$k]}" "${C_INST[$k]}" 'FAILURE|WARNING')
  n_ok=$(notifs "$l0" '$' "${C_PLUG[$k]}" "${C_INST[$k]}" 'OKAY')
  [[ $n_bad -eq 0 || $n_ok -gt 0 ]]
}

# evaluate KEY T0 T1 T2 L0 L1 L2: the checks of one case (fault from T0 /
# log line L0 to T1 / L1, recovered by T2 / L2). Complaints count until L2,
# notifications of trouble only until L1: a target read for the first time
# after the fault (.invalid names) may rightly report its entities then.
evaluate() {
  local k=$1 t0=$2 t1=$3 t2=$4 l0=$5 l1=$6 l2=$7 rs mx nr ne nn gap what
  what="${C_DESC[$k]}"
  rs=$(read_stats "${C_CB[$k]}" "$t0" "$t1")
  read -r mx nr <<<"$rs"
  R_READ[$k]=$mx
  R_NREAD[$k]=$nr
  if [[ $nr -gt 0 ]] && le "$mx" "${C_LIMIT[$k]}"; then
    pass "$what: reads end within the timeout (longest $mx s of $nr, limit ${C_LIMIT[$k]} s)"
  else
    fail "$what: reads end within the timeout" "longest $mx s of $nr reads, limit ${C_LIMIT[$k]} s"
  fi
  ne=$(complaints "$l0" "$l2" "${C_RE[$k]}")
  nn=$(notifs "$l0" "$l1" "${C_PLUG[$k]}" "${C_INST[$k]}" 'FAILURE|WARNING')
  R_LOG[$k]="$ne log + $nn notif"
  if [[ $k == proc_churn ]]; then
    if [[ $ne -eq 0 && $nn -eq 0 ]]; then
      pass "$what: nothing to report, nothing logged"
    else
      fail "$what: nothing to report, nothing logged" "$ne log line(s), $nn notification(s): $(log_seg "$l0" "$l2" | grep -E "${C_RE[$k]}" | grep -vF '[info]' | head -n 3 | tr '\n' '|')"
    fi
  elif [[ $ne -le 1 && $nn -le 1 && $((ne + nn)) -ge 1 ]]; then
    pass "$what: one clear report ($ne log line, $nn notification)"
    if [[ $ne -gt 0 ]]; then
      note "$(log_seg "$l0" "$l2" | grep -v 'Notification:' | grep -E '\[(error|warning|notice)\]' | grep -E "${C_RE[$k]}" | head -n 1 | sed 's/^\[[^]]*\] //')"
    else
      note "$(log_seg "$l0" "$l1" | grep -E "Notification: severity = (FAILURE|WARNING), .*plugin_instance = ${C_INST[$k]}," | head -n 1 | sed 's/^.*Notification: //')"
    fi
  else
    fail "$what: one clear report" "$ne log line(s), $nn FAILURE/WARNING notification(s): $(log_seg "$l0" "$l2" | grep -E "${C_RE[$k]}|plugin_instance = ${C_INST[$k]}," | grep -vF '[info]' | head -n 4 | sed 's/^\[[^]]*\] //' | tr '\n' '|')"
  fi
  gap=$(witness_gap "$t0" "$t2")
  R_GAP[$k]=$gap
  if le "$gap" "$GAP_MAX"; then
    pass "$what: homelab_host kept its 1 s interval (largest gap $gap s)"
  else
    fail "$what: homelab_host kept its 1 s interval" "a gap of $gap s"
  fi
  if [[ ${R_REC[$k]} != no ]]; then
    pass "$what: recovered ${R_REC[$k]} s after the fault ended"
  else
    fail "$what: recovered after the fault ended" "no ${C_REC[$k]} value (or no OKAY after the FAILURE) within $RECOVER_S s"
  fi
  if [[ -n "${C_EXTRA[$k]}" ]]; then
    CUR=$k
    "${C_EXTRA[$k]}" "$what" "$t0" "$t1" "$l0" "$l1" "$l2"
  fi
}

# extra_unreachable WHAT T0 T1 ...: the ping target is reported down
extra_unreachable() {
  local n
  n=$(csv_rows homelab_fritz-gateway/homelab_up-reachable |
    awk -v a="$2" -v b="$3" '$1 + 0 >= a + 0 && $1 + 0 <= b + 0 && $2 + 0 == 0' | wc -l)
  check "$1: homelab_up-reachable 0 reported while it lasts ($n values)" \
    "no reachable value 0 for gateway between the fault's start and end" test "$n" -gt 0
}

# extra_findings WHAT T0 T1 L0 L1 L2: a Docker outage is not a change of
# the port policy findings: what Docker published is not "closed" while
# the engine cannot be asked, nor raised again when it answers
extra_findings() {
  local closed again
  closed=$(log_seg "$4" "$5" | grep -c 'plugin = homelab_ports, .*type = homelab_policy, .*is closed')
  again=$(log_seg "$5" "$6" | grep -cE 'severity = (WARNING|FAILURE), .*plugin = homelab_ports, .*type = homelab_policy')
  if [[ $closed -eq 0 && $again -eq 0 ]]; then
    pass "$1: port policy findings unchanged by the outage"
  else
    fail "$1: port policy findings unchanged by the outage" \
      "$closed finding(s) reported closed while Docker could not be asked, $again raised again on recovery: $(log_seg "$4" "$6" | grep 'type = homelab_policy' | head -n 2 | sed 's/^.*message = //' | tr '\n' '|')"
  fi
}

# extra_dns WHAT T0 T1 L0 L1 L2: the complaint says that the name does not
# resolve, not what errno the resolver's code was mapped to
extra_dns() {
  local k=$CUR line
  line=$(log_seg "$4" "$6" | grep -v 'Notification:' | grep -E '\[(error|warning)\]' |
    grep -E "${C_RE[$k]}" | head -n 1)
  if grep -qiE 'resolv|name' <<<"$line" && ! grep -qE 'No such file|Resource temporarily' <<<"$line"; then
    pass "$1: the log line names the cause"
  else
    fail "$1: the log line names the cause (the name does not resolve)" "${line:-no line}"
  fi
}

# extra_churn WHAT T0 T1: the churning listeners were seen by the scans
extra_churn() {
  local before during
  before=$(csv_rows homelab_ports-listeners/count-tcp_ipv4 |
    awk -v a="$2" '$1 + 0 < a + 0 { v = $2 } END { print v + 0 }')
  during=$(csv_rows homelab_ports-listeners/count-tcp_ipv4 |
    awk -v a="$2" -v b="$3" '$1 + 0 >= a + 0 && $1 + 0 <= b + 0 && $2 + 0 > m { m = $2 + 0 } END { print m + 0 }')
  check "$1: the scans saw the short-lived listeners (TCP listeners $before before, up to $during during)" \
    "TCP listeners $before before, at most $during during the churn" test "$during" -gt "$before"
}

# wave NAME KEY...: start the faults together, hold them FAULT_S seconds,
# end them, wait for every target to recover, then check each case
wave() {
  local name=$1 k t0 t1 t2 l0 l1 l2 left
  shift
  local keys=()
  for k in "$@"; do
    if [[ -n "${SKIP[$k]:-}" ]]; then
      note "${C_DESC[$k]}: skipped: ${SKIP[$k]}"
      continue
    fi
    keys+=("$k")
  done
  printf -- '--- wave %s: %s\n' "$name" "${keys[*]}"
  t0=$(now)
  l0=$(lines "$LOG")
  for k in "${keys[@]}"; do
    eval "${C_START[$k]}"
  done
  sleep "$FAULT_S"
  t1=$(now)
  l1=$(lines "$LOG")
  for k in "${keys[@]}"; do
    eval "${C_END[$k]}"
    R_REC[$k]=no
  done
  note "faults held $(fsub "$t1" "$t0") s ($t0 .. $t1)"
  # targets failing since collectd started (.invalid names)
  local -A T0=() L0=()
  for k in "${keys[@]}"; do
    T0[$k]=$t0
    L0[$k]=$l0
    if [[ ${C_START[$k]} == ":" ]]; then
      T0[$k]=$T_START
      L0[$k]=0
    fi
  done
  left=${#keys[@]}
  local deadline=$((SECONDS + RECOVER_S))
  while [[ $left -gt 0 && $SECONDS -lt $deadline ]]; do
    sleep 0.25
    left=0
    for k in "${keys[@]}"; do
      if [[ ${R_REC[$k]} == no ]]; then
        if recovered "$k" "$t1" "${L0[$k]}"; then
          R_REC[$k]=$(fsub "$(now)" "$t1")
        else
          left=$((left + 1))
        fi
      fi
    done
  done
  sleep 0.5 # the last values of the witness
  t2=$(now)
  l2=$(lines "$LOG")
  collectd_alive "wave $name: collectd still runs"
  for k in "${keys[@]}"; do
    evaluate "$k" "${T0[$k]}" "$t1" "$t2" "${L0[$k]}" "$l1" "$l2"
  done
}

wave refuse fb_refuse ha_refuse docker_missing nvme_unplug
wave hang fb_hang ha_hang docker_perm icmp_hole
wave drip fb_drip ha_drip docker_garbage icmp_local
wave garbage fb_garbage ha_garbage
wave truncated fb_truncated ha_truncated proc_churn
wave tls fb_tls ha_tls
wave dns fb_dns ha_dns ping_dns

# --- the whole run ---------------------------------------------------------------

took=$(grep -c "read-function of the \`homelab_" "$LOG")
check "no homelab read took longer than its interval (collectd's warning: $took)" \
  "$(grep -m 2 "read-function of the \`homelab_" "$LOG" | tr '\n' '|')" test "$took" -eq 0
collectd_alive "collectd still runs after all faults"
rc=0
stop_pid "$COLLECTD_PID" 5 || rc=$?
COLLECTD_PID=""
check "collectd exits 0 on SIGTERM" "exit status $rc" test "$rc" -eq 0
bad=$(grep -hE -m 3 'Segmentation|Aborted|double free|AddressSanitizer|stack smashing' \
  "$W/faults.out" "$LOG" | tr '\n' '|')
check "no crash reported in collectd's output" "$bad" test -z "$bad"

# the table for docs/RELIABILITY.md
{
  printf '| case | longest read (reads) | log lines | witness max gap | recovered |\n'
  printf '|---|---|---|---|---|\n'
  for k in "${ORDER[@]}"; do
    [[ -n "${R_GAP[$k]:-}" ]] || continue
    printf '| %s | %s s (%s) | %s | %s s | %s |\n' "${C_DESC[$k]}" "${R_READ[$k]}" \
      "${R_NREAD[$k]}" "${R_LOG[$k]}" "${R_GAP[$k]}" \
      "$([[ ${R_REC[$k]} == no ]] && echo no || echo "yes, ${R_REC[$k]} s")"
  done
} >"$W/table.md"
printf 'fault matrix (FAULT_S %s s, Timeout 1 s; run %d s):\n' "$FAULT_S" "$SECONDS"
sed 's/^/  /' "$W/table.md"
if [[ -n "${HL_FAULT_TABLE:-}" ]]; then
  cp "$W/table.md" "$HL_FAULT_TABLE"
fi
