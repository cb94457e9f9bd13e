#!/bin/bash
# SPDX-License-Identifier: MIT
#
# homelab_fritz end to end: a real collectd (Interval 1, write_http JSON to
# http_sink.py, logfile) against FRITZ!Box simulators on loopback and ICMP
# targets in network namespaces made here. Simulators (fritz_sim.py:
# fritz_sim.py with TCP_NODELAY): "dsl" (HTTP and TLS; certificate with SAN
# IP:127.0.0.1 made here with openssl, and its sha256 public-key pin),
# "badpw" (DSL, expects another password), "cable", "fiber"; and "laggy", a
# plain fritz_sim.py (~40 ms per kept-alive request for a client that waits
# for its delayed ACK; Nagle on the server side). Values are flattened by
# fritz_values.py and queried with awk. Phases:
#  A  one collectd with box "main" (dsl over HTTP, Timeout 2, Ping false) and
#     the stock load plugin:
#     - values and units: uptimes, homelab_up link/connection 1, Layer1 max
#       rates and DSL rates in bit/s (= kbit/s * 1000), noise margin and
#       attenuation in dB (= wire tenths / 10), byte rates, DSL error
#       counters as DERIVE, hosts known/active, WLAN associations per band;
#       if_octets-wan rx/tx DERIVE at the simulated 250000/50000 B/s
#       (+-35 %), never decreasing across the 32-bit wrap of the box's
#       counters (--wrap-in 3; rx must pass 2^32) until the box restarts;
#       model, firmware and external IP as meta data;
#     - connections: over a 3 s window at most one new connection per read
#       (keep-alive), from /_sim/stats;
#     - notifications (each once, OKAY on recovery): link down (naming the
#       link, once over 3+ reads), connection lost, link up and connection
#       restored (OKAY), external IP change, firmware change, DSL resync;
#       box restart (down for 2 s): box uptime starts again, connected, no
#       "authentication failed" for the new nonces;
#     - hung box for 5 s: the load plugin keeps its 1 s interval, the sim
#       sees new requests (reads end); then html500, garbage, truncated and
#       slow modes, each until an error is logged (5 s at most), then normal
#       until values come again; collectd stays up; no homelab_fritz read
#       took longer than Timeout + 1.5 s (collectd's "took N seconds").
#  B  one collectd with boxes over TLS (CACert; VerifyPeer false with the
#     pin, warned about once; both), two wrong pins (with CACert, and with
#     VerifyPeer false: the pin alone must refuse), "badpw", "cable",
#     "fiber" and "laggy":
#     - TLS boxes deliver values; wrong pins log an error, no box values;
#     - badpw: exactly one FAILURE "authentication failed", at most 2 further
#       wrong tries in the 5 s after the first (Interval 1; a tight loop
#       would make ~5); then the simulator is restarted with the right
#       password: an OKAY follows (within 15 s) and values arrive; the
#       passwords never appear in the log;
#     - laggy (Timeout 0.17): a first read of ~1 s (longer than the plugin's
#       read budget, 0.85 s) must still end in values;
#     - cable: no DSL action asked (per-action counts in /_sim/stats), no
#       DSL values, Layer1 1 Gbit/s down; the 401 (Invalid Action) fault
#       count does not grow from read to read;
#     - fiber: optical levels -18.45 / 2.31 dBm (wire 1/1000 dBm), no DSL.
#  C  "collectd -T" with a world-readable PasswordFile: an error naming the
#     option; the password is not printed.
#  D  ICMP (root only; skipped otherwise): a client namespace with veth pairs
#     to "good" 10.213.21.2 (kernel answers), "dead" 10.213.22.2
#     (icmp_echo_ignore_all=1) and "slow" 10.213.23.2 (icmp_responder.py:
#     50 ms delay, every 5th request dropped); a name good.hl-fritz.test from
#     the namespace's /etc/hosts, and a name with no DNS server
#     (resolv.conf -> 127.0.0.1, nothing listens). collectd runs inside the
#     client namespace (PingCount 10, PingSpacing 0.05, Timeout 1,
#     Interval 2) with its own sink there. Checked: reachable 1/0/1/1/0;
#     good avg < 10 ms, loss 0; slow avg 50 ms -5/+25 ms, min >= 48 ms,
#     loss 20 % +- 10 (one echo of 10) in every read; dead loss 100; one
#     unreachable notification for dead, none for good/slow; the missing
#     name: reachable 0 and derive-dns_failures > 0.
# About 60 s on a 2-core machine.
set -u
set -o pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

hl_init test_fritz

SIM="$HL_LIBDIR/fritz_sim.py" # sends with TCP_NODELAY
W=$HL_WORK
PW=hl-Secret-4711
OTHER_PW=other-Secret-0815
BAD_PIN="sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
TAG=hfz$$
NS_C=${TAG}c
NS_PIDS=()

# --- cleanup of the namespaces (before lib.sh's cleanup) -----------------------

ns_cleanup() {
  local p n
  for p in "${NS_PIDS[@]}"; do
    stop_pid "$p" 2 >/dev/null 2>&1 || true
  done
  for n in "$NS_C" "${TAG}g" "${TAG}d" "${TAG}s"; do
    ip netns del "$n" 2>/dev/null || true
  done
  rm -rf "/etc/netns/$NS_C"
}
fritz_cleanup() {
  local rc=$?
  ns_cleanup
  (exit "$rc")
  hl_cleanup
}
trap fritz_cleanup EXIT

if ! have_plugin homelab_fritz; then
  fail "homelab_fritz plugin built" "no $HL_PLUGINDIR/homelab_fritz.so; run make first"
  exit 1
fi
for tool in curl openssl awk; do
  if ! command -v "$tool" >/dev/null; then
    fail "$tool is installed" "no $tool in PATH"
    exit 1
  fi
done

# --- helpers -------------------------------------------------------------------

# now: epoch seconds with fraction (collectd's value times are epoch floats)
now() { printf '%s\n' "$EPOCHREALTIME"; }

# between V LO HI: V is a number within [LO,HI]
between() {
  awk -v v="$1" -v lo="$2" -v hi="$3" \
    'BEGIN { exit !(v ~ /^-?[0-9.e+]+$/ && v + 0 >= lo + 0 && v + 0 <= hi + 0) }'
}

# start_sim NAME PERSONALITY PORT PWFILE [ARGS...]: fritz_sim.py
# (or $SIMPROG) in the background; waits for its pid file. Sets SIM_PID.
start_sim() {
  local name=$1 pers=$2 port=$3 pwf=$4
  shift 4
  rm -f "$W/$name.pid"
  add_log "fritz_sim $name" "$W/$name.err"
  "$HL_PYTHON" "${SIMPROG:-$SIM}" --port "$port" --user monitor --password-file "$pwf" \
    --personality "$pers" --pid-file "$W/$name.pid" --log "$W/$name.log" \
    --state "$W/$name.state" "$@" >>"$W/$name.out" 2>>"$W/$name.err" &
  SIM_PID=$!
  track_pid "$SIM_PID" 3
  wait_for 10 test -s "$W/$name.pid"
}

# simstat PORT EXPR: a python expression on the simulator's stats JSON (s)
simstat() {
  curl -s --max-time 5 "http://127.0.0.1:$1/_sim/stats" |
    "$HL_PYTHON" -c 'import json, sys
s = json.load(sys.stdin)
print(eval(sys.argv[1]))' "$2"
}

# control PORT JSON: POST to /_sim/control; prints the HTTP status
control() {
  curl -s -o "$W/control.out" -w '%{http_code}' --max-time 5 \
    -H 'Content-Type: application/json' --data-binary "$2" \
    "http://127.0.0.1:$1/_sim/control"
}

# ctl WHAT PORT JSON: control, recorded as a check only if it fails
ctl() {
  local code
  code=$(control "$2" "$3")
  if [[ $code != 200 ]]; then
    fail "$1" "simulator control $3 answered $code: $(cat "$W/control.out" 2>/dev/null)"
  fi
}

# flatten SINKFILE OUT: fritz_values.py (all plugins) into OUT
flatten() {
  "$HL_PYTHON" "$HL_LIBDIR/fritz_values.py" "$1" >"$2.tmp" 2>/dev/null &&
    mv "$2.tmp" "$2"
}

# vals FILE PI TYPE TI [DS] [T0] [T1]: homelab_fritz values, in time order
vals() {
  awk -F'\t' -v pi="$2" -v ty="$3" -v ti="$4" -v ds="${5:-value}" \
    -v t0="${6:-0}" -v t1="${7:-1e18}" \
    '$2 == "homelab_fritz" && $3 == pi && $4 == ty && $5 == ti && $6 == ds &&
     $1 + 0 >= t0 + 0 && $1 + 0 <= t1 + 0 { print $8 }' "$1"
}

# rows FILE PI TYPE TI [DS]: "time value" lines
rows() {
  awk -F'\t' -v pi="$2" -v ty="$3" -v ti="$4" -v ds="${5:-value}" \
    '$2 == "homelab_fritz" && $3 == pi && $4 == ty && $5 == ti && $6 == ds {
       print $1, $8 }' "$1"
}

# dstype FILE PI TYPE TI [DS]: the data source type posted
dstype() {
  awk -F'\t' -v pi="$2" -v ty="$3" -v ti="$4" -v ds="${5:-value}" \
    '$2 == "homelab_fritz" && $3 == pi && $4 == ty && $5 == ti && $6 == ds {
       print $7; exit }' "$1"
}

# expect_val FILE PI TYPE TI LO HI [WHAT]: the last posted value of
# PI/TYPE-TI is within [LO,HI]
expect_val() {
  local f=$1 pi=$2 ty=$3 ti=$4 lo=$5 hi=$6 v what
  what=${7:-"$pi $ty-$ti in [$lo,$hi]"}
  v=$(vals "$f" "$pi" "$ty" "$ti" | tail -n1)
  if between "$v" "$lo" "$hi"; then
    pass "$what (value $v)"
  else
    fail "$what" "last value '${v:-none posted}'"
  fi
}

# posted SINKFILE PI TYPE TI: the raw sink file has such an entry (cheap poll)
posted() {
  grep -q "\"plugin\":\"homelab_fritz\",\"plugin_instance\":\"$2\",\"type\":\"$3\",\"type_instance\":\"$4\"" "$1"
}

# posted_after SINKFILE PI TYPE TI T0 [LO HI]: a value with time > T0 (and
# within [LO,HI]) was posted
posted_after() {
  local f=$1 pi=$2 ty=$3 ti=$4 t0=$5 lo=${6:--1e300} hi=${7:-1e300}
  posted "$f" "$pi" "$ty" "$ti" || return 1
  flatten "$f" "$W/poll.tsv" || return 1
  vals "$W/poll.tsv" "$pi" "$ty" "$ti" value "$t0" |
    awk -v lo="$lo" -v hi="$hi" '$1 + 0 >= lo + 0 && $1 + 0 <= hi + 0 { f = 1 } END { exit !f }'
}

# notifs LOG PI SEVERITY-RE MESSAGE-RE: count homelab_fritz notifications
notifs() {
  grep -ciE "Notification: severity = ($3), host = $HL_HOSTNAME, plugin = homelab_fritz, plugin_instance = $2,.*message = .*($4)" "$1"
}
has_notif() { [[ $(notifs "$@") -gt 0 ]]; }
# more_notifs N LOG PI SEV MSG: more than N such notifications
more_notifs() {
  local n=$1
  shift
  [[ $(notifs "$@") -gt $n ]]
}

# expect_notif WHAT TIMEOUT LOG PI SEV MSG: wait for a first such notification
expect_notif() {
  local what=$1 t=$2
  shift 2
  if wait_for "$t" has_notif "$@"; then
    pass "$what"
    note "$(grep -iE "plugin_instance = $2,.*message = .*($4)" "$1" | grep -iE "severity = ($3)" |
      tail -n1 | sed 's/^.*Notification: //')"
  else
    fail "$what" "no notification for $2 severity ($3) message ~ /$4/ in $t s"
  fi
}

# log_since LOG LINE: the log from line LINE+1 on
log_since() { tail -n "+$(($2 + 1))" "$1"; }
lines() { wc -l <"$1"; }

# plugin_conf BLOCKS...: the homelab_fritz part of a collectd config
plugin_conf() {
  printf 'LoadPlugin homelab_fritz\n<Plugin homelab_fritz>\n'
  printf '%s\n' "$@"
  printf '</Plugin>\n'
}

# box NAME PORT [EXTRA-LINES]: one <Box> block with our defaults
box() {
  cat <<EOF
  <Box "$1">
    Host "127.0.0.1"
    Port $2
    Username "monitor"
    PasswordFile "$W/pw"
    Timeout 2
    Ping false
${3:-    UseTLS false}
  </Box>
EOF
}

# write_http_conf URL: the stock part posting to the sink
write_http_conf() {
  cat <<EOF
<LoadPlugin write_http>
  FlushInterval 1
</LoadPlugin>
<Plugin write_http>
  <Node "sink">
    URL "$1"
    Format "JSON"
    StoreRates false
    BufferSize 8192
    LogHttpError true
  </Node>
</Plugin>
EOF
}

# collectd_alive WHAT: the daemon started by run_collectd_bg still runs
collectd_alive() {
  check "$1" "collectd (pid $COLLECTD_PID) is gone: $(tail -n3 "${CONF%.conf}.out" 2>/dev/null | tr '\n' '|')" \
    kill -0 "$COLLECTD_PID"
}

# no_secret WHAT FILE...: the password text appears in none of FILE
no_secret() {
  local what=$1
  shift
  if grep -qF -e "$PW" -e "$OTHER_PW" "$@" 2>/dev/null; then
    fail "$what" "found the password in $(grep -lF -e "$PW" -e "$OTHER_PW" "$@" | tr '\n' ' ')"
  else
    pass "$what"
  fi
}

# took_max LOG: the longest "read-function of homelab_fritz took N seconds"
# (0 if none was logged)
took_max() {
  sed -n "s/.*read-function of the \`homelab_fritz[^']*' plugin took \([0-9.]*\) seconds.*/\1/p" "$1" |
    sort -g | tail -n1 | awk '{ v = $1 } END { print v + 0 }'
}

# derive_in DSTYPE V LO HI: a DERIVE value within [LO,HI]
derive_in() { [[ $1 == derive ]] && between "$2" "$3" "$4"; }
# none_bad NBAD LIST: no bad value in a non-empty list
none_bad() { [[ $1 -eq 0 && -n $2 ]]; }

# --- set-up --------------------------------------------------------------------

printf '%s\n' "$PW" >"$W/pw"
printf '%s\n' "$OTHER_PW" >"$W/pw_other"
chmod 600 "$W/pw" "$W/pw_other"
if ! openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=fritz.box -days 1 \
  -addext "subjectAltName=DNS:fritz.box,IP:127.0.0.1" \
  -keyout "$W/key.pem" -out "$W/cert.pem" >"$W/openssl.log" 2>&1; then
  fail "openssl makes a certificate" "$(tail -n1 "$W/openssl.log")"
  exit 1
fi
PIN=sha256//$(openssl x509 -in "$W/cert.pem" -pubkey -noout |
  openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64)

mapfile -t ports < <(free_port tcp 6)
P=${ports[0]}
TP=${ports[1]}
P2=${ports[2]}
CP=${ports[3]}
FP=${ports[4]}
LP=${ports[5]}

# --wrap-in 3: the box's 32-bit received counter wraps 3 s after the start
if start_sim dsl dsl "$P" "$W/pw" --tls-port "$TP" --cert "$W/cert.pem" \
  --key "$W/key.pem" --wrap-in 3 &&
  start_sim badpw dsl "$P2" "$W/pw_other" && start_sim cable cable "$CP" "$W/pw" &&
  start_sim fiber fiber "$FP" "$W/pw" &&
  SIMPROG=$HL_LIBDIR/fritz_sim.py start_sim laggy dsl "$LP" "$W/pw"; then
  pass "simulators start (dsl http $P / tls $TP, badpw $P2, cable $CP, fiber $FP, laggy $LP)"
else
  fail "simulators start" "a pid file is missing after 10 s"
  exit 1
fi
SIM_PIN=$(sed -n 's/.* pin=//p' "$W/dsl.out" | head -n1)
check "simulator prints the same pin as openssl" "sim '$SIM_PIN', openssl '$PIN'" \
  test "$SIM_PIN" == "$PIN"

if start_http_sink; then
  pass "http sink listens (port $HTTP_SINK_PORT)"
else
  fail "http sink starts" "not ready within 10 s"
  exit 1
fi
SINK=$HTTP_SINK_OUT
STOCK_HTTP=$(write_http_conf "http://127.0.0.1:$HTTP_SINK_PORT/values")

# === A: one DSL box over HTTP ==================================================

CONF="$W/a.conf"
gen_collectd_conf "$CONF" "LoadPlugin load
$STOCK_HTTP" "$(plugin_conf "$(box main "$P")" "  Interval 1")"
LOG_A=$(collectd_log "$CONF")
if run_collectd_bg "$CONF"; then
  pass "A: collectd runs with homelab_fritz (box main), load, write_http"
else
  fail "A: collectd runs" "exited right after start: $(tail -n3 "$W/a.out" | tr '\n' '|')"
  exit 1
fi

t0=$SECONDS
if wait_for 15 posted "$SINK" main homelab_db noise_margin_down; then
  pass "A: DSL values posted after $((SECONDS - t0)) s"
else
  fail "A: DSL values posted" "no main/homelab_db-noise_margin_down within 15 s"
fi

# connections per read: a 3 s window (about 3 reads at Interval 1)
ctl "A: reset stats" "$P" '{"reset_stats": true}'
sleep 3
read -r conns reqs maxreq < <(simstat "$P" \
  '"%d %d %d" % (s["connections"], s["requests"], s["max_requests_per_connection"])')
note "3 s window: $conns new connection(s), $reqs requests, up to $maxreq per connection"
if [[ ${conns:-99} -le 4 && ${reqs:-0} -gt 0 ]]; then
  pass "A: keep-alive: at most one new connection per read ($conns in 3 s, $reqs requests)"
else
  fail "A: keep-alive: at most one new connection per read" \
    "$conns new connections, $reqs requests in 3 s"
fi
ta1=$(now)

# --- notifications ---------------------------------------------------------------

ctl "A: link down" "$P" '{"link": "down"}'
expect_notif "A: link down: FAILURE/WARNING notification naming the link" 8 \
  "$LOG_A" main 'FAILURE|WARNING' 'link'
expect_notif "A: link down: connection lost notification" 5 \
  "$LOG_A" main 'FAILURE|WARNING' 'connect'
sleep 2 # two more reads with the link down: no repeated notification
n=$(notifs "$LOG_A" main 'FAILURE|WARNING' 'link')
check "A: link down notified once over 3+ reads (got $n)" "got $n" test "$n" -eq 1
if wait_for 3 posted_after "$SINK" main homelab_up link 0 0 0; then
  pass "A: homelab_up-link 0 posted while down"
else
  fail "A: homelab_up-link 0 posted while down" "no value 0"
fi
ctl "A: link up" "$P" '{"link": "up"}'
expect_notif "A: link up: OKAY notification naming the link" 8 "$LOG_A" main OKAY 'link'
expect_notif "A: connection restored: OKAY notification" 5 "$LOG_A" main OKAY 'connect'

ctl "A: external IP" "$P" '{"external_ip": "198.51.100.77"}'
expect_notif "A: external IP change notified (names the new address)" 8 \
  "$LOG_A" main 'OKAY|WARNING|FAILURE' '198\.51\.100\.77'

ctl "A: firmware" "$P" '{"firmware": "7.59"}'
expect_notif "A: firmware change notified (154.07.59)" 8 \
  "$LOG_A" main 'OKAY|WARNING|FAILURE' '07\.59|7\.59'

n_resync=$(notifs "$LOG_A" main 'OKAY|WARNING|FAILURE' 'resync|retrain')
ctl "A: resync" "$P" '{"resync": true}'
if wait_for 8 more_notifs "$n_resync" "$LOG_A" main 'OKAY|WARNING|FAILURE' 'resync|retrain'; then
  pass "A: DSL resync notified"
  note "$(grep -iE 'plugin_instance = main,.*message = .*(resync|retrain)' "$LOG_A" | tail -n1 |
    sed 's/^.*Notification: //')"
else
  fail "A: DSL resync notified" "no new notification matching resync|retrain in 8 s ($n_resync before)"
fi

n_auth=$(notifs "$LOG_A" main 'FAILURE' 'auth')
tr0=$(now)
ctl "A: restart" "$P" '{"restart": true, "down_for": 2}'
if wait_for 12 posted_after "$SINK" main uptime box "$tr0" 0 60; then
  pass "A: box restart: values again, box uptime starts again"
else
  fail "A: box restart: values again, box uptime starts again" \
    "no main/uptime-box <= 60 after the restart within 12 s"
fi
if wait_for 5 posted_after "$SINK" main homelab_up connection "$tr0" 1 1; then
  pass "A: box restart: connection 1 again"
else
  fail "A: box restart: connection 1 again" "no main/homelab_up-connection 1 after the restart"
fi
n=$(notifs "$LOG_A" main 'FAILURE' 'auth')
check "A: restart (new nonces) is no authentication failure" \
  "$((n - n_auth)) FAILURE auth notification(s)" test "$n" -eq "$n_auth"

# --- hung box ----------------------------------------------------------------------

th0=$(now)
ctl "A: hung" "$P" '{"mode": "hung"}'
sleep 5
th1=$(now)
ctl "A: normal" "$P" '{"mode": "normal"}'
hung=$(awk -v t0="$th0" -v t1="$th1" '$1 + 0 >= t0 && $1 + 0 <= t1 && $NF == "hung"' "$W/dsl.log" | wc -l)
if [[ $hung -ge 2 ]]; then
  pass "A: hung box: reads end and start again ($hung unanswered requests in 5 s)"
else
  fail "A: hung box: reads end and start again" "$hung unanswered request(s) in 5 s"
fi
if wait_for 8 posted_after "$SINK" main uptime box "$th1"; then
  pass "A: values again after the box answers"
else
  fail "A: values again after the box answers" "no main/uptime-box within 8 s"
fi
collectd_alive "A: collectd alive after the hung box"

# --- bad answers -------------------------------------------------------------------

# each bad mode until an error is logged, then normal until values come again
# (errors are logged once per failure streak: a streak must end first)
error_since() { log_since "$1" "$2" | grep -q '\[error\]'; }
for mode in html500 garbage truncated slow; do
  l0=$(lines "$LOG_A")
  ctl "A: mode $mode" "$P" "{\"mode\": \"$mode\", \"slow_ms\": 200}"
  if wait_for 5 error_since "$LOG_A" "$l0"; then
    pass "A: $mode: error logged"
    note "$(log_since "$LOG_A" "$l0" | grep -m1 '\[error\]')"
  else
    fail "A: $mode: error logged" "no [error] line in 5 s"
  fi
  collectd_alive "A: $mode: collectd alive"
  tn=$(now)
  ctl "A: normal" "$P" '{"mode": "normal"}'
  if wait_for 8 posted_after "$SINK" main uptime box "$tn"; then
    pass "A: $mode: values again in normal mode"
  else
    fail "A: $mode: values again in normal mode" "no main/uptime-box within 8 s"
  fi
done
took=$(took_max "$LOG_A")
check "A: no homelab_fritz read took longer than Timeout 2 s + 1.5 s (longest logged: $took s)" \
  "longest $took s" between "$took" 0 3.5

rc=0
stop_collectd || rc=$?
check "A: collectd exits 0 on SIGTERM" "exit status $rc" test "$rc" -eq 0
no_secret "A: the password is not in the log" "$LOG_A" "$W/a.out"

# --- A: values ---------------------------------------------------------------------

flatten "$SINK" "$W/a.tsv"
V="$W/a.tsv"
# first 4 s window (before any control change)
expect_val "$V" main homelab_up link 1 1
expect_val "$V" main homelab_up connection 1 1
# uptimes at the start: box 3 d 4711 s, WAN 1 d 1234 s (+ time since start)
v=$(vals "$V" main uptime box value 0 "$ta1" | tail -n1)
check "A: uptime-box ~ 3 d + 4711 s ($v)" "got '$v'" between "$v" 263911 264100
v=$(vals "$V" main uptime wan value 0 "$ta1" | tail -n1)
check "A: uptime-wan ~ 1 d + 1234 s ($v)" "got '$v'" between "$v" 87634 87800
v=$(vals "$V" main homelab_bitrate max_down value 0 "$ta1" | tail -n1)
check "A: homelab_bitrate-max_down = Layer1 116790000 bit/s ($v)" "got '$v'" between "$v" 116790000 116790000
v=$(vals "$V" main homelab_bitrate max_up value 0 "$ta1" | tail -n1)
check "A: homelab_bitrate-max_up = Layer1 46720000 bit/s ($v)" "got '$v'" between "$v" 46720000 46720000
v=$(vals "$V" main homelab_byterate send value 0 "$ta1" | tail -n1)
check "A: homelab_byterate-send = 50000 B/s ($v)" "got '$v'" between "$v" 50000 50000
v=$(vals "$V" main homelab_byterate receive value 0 "$ta1" | tail -n1)
check "A: homelab_byterate-receive = 250000 B/s ($v)" "got '$v'" between "$v" 250000 250000
# DSL: kbit/s * 1000, tenths of dB / 10
for spec in "dsl_down 116790000" "dsl_up 46720000" "dsl_max_down 128000000" \
  "dsl_max_up 48873000"; do
  read -r ti want <<<"$spec"
  v=$(vals "$V" main homelab_bitrate "$ti" value 0 "$ta1" | tail -n1)
  check "A: homelab_bitrate-$ti = $want bit/s ($v)" "got '${v:-none}'" between "$v" "$want" "$want"
done
for spec in "noise_margin_down 8" "noise_margin_up 9" "attenuation_down 14" \
  "attenuation_up 8"; do
  read -r ti want <<<"$spec"
  v=$(vals "$V" main homelab_db "$ti" value 0 "$ta1" | tail -n1)
  check "A: homelab_db-$ti = $want dB ($v)" "got '${v:-none}'" between "$v" "$want" "$want"
done
for spec in "crc_errors 53 60" "fec_errors 1200 1400" "hec_errors 0 0" \
  "errored_seconds 25 28" "severely_errored_seconds 1 2"; do
  read -r ti lo hi <<<"$spec"
  v=$(vals "$V" main derive "$ti" value 0 "$ta1" | tail -n1)
  t=$(dstype "$V" main derive "$ti")
  check "A: derive-$ti DERIVE in [$lo,$hi] ($t $v)" "got '${t:-none} ${v:-none}'" \
    derive_in "$t" "$v" "$lo" "$hi"
done
for spec in "hosts_known 7" "hosts_active 4" "wlan_2_4ghz 5" "wlan_5ghz 3" "wlan_guest 1"; do
  read -r ti want <<<"$spec"
  v=$(vals "$V" main count "$ti" value 0 "$ta1" | tail -n1)
  check "A: count-$ti = $want ($v)" "got '${v:-none}'" between "$v" "$want" "$want"
done
for spec in "homelab_up link" "homelab_db noise_margin_down" "homelab_bitrate dsl_down" \
  "uptime box" "count hosts_known"; do
  read -r ty ti <<<"$spec"
  t=$(dstype "$V" main "$ty" "$ti")
  check "A: $ty-$ti is a gauge" "dstype '${t:-none}'" test "$t" == gauge
done
# if_octets-wan: DERIVE rx/tx, close to the simulated 250000 / 50000 B/s over
# the first window; never decreasing until the box restart (the box's 32-bit
# rx counter wraps 3 s after the simulator started, tx 6 s; the link-down
# time only stops the counters)
for spec in "rx 250000" "tx 50000"; do
  read -r ds rate <<<"$spec"
  t=$(dstype "$V" main if_octets wan "$ds")
  rows "$V" main if_octets wan "$ds" | awk -v t1="$ta1" '$1 + 0 <= t1 + 0' >"$W/oct.$ds"
  res=$(awk -v want="$rate" '
    NR == 1 { t0 = $1; v0 = $2 }
    { t = $1; v = $2; n++ }
    END {
      r = (n > 1 && t > t0) ? (v - v0) / (t - t0) : -1
      ok = (n >= 3 && r >= 0.65 * want && r <= 1.35 * want)
      printf "%s n=%d rate=%.0f\n", ok ? "ok" : "bad", n, r
    }' "$W/oct.$ds")
  if [[ $t == derive && $res == ok* ]]; then
    pass "A: if_octets-wan $ds DERIVE, ~$rate B/s (${res#ok })"
  else
    fail "A: if_octets-wan $ds DERIVE, ~$rate B/s" "dstype '${t:-none}' ${res#* }"
  fi
  rows "$V" main if_octets wan "$ds" | awk -v t1="$tr0" '$1 + 0 <= t1 + 0' >"$W/oct.$ds"
  res=$(awk -v ds="$ds" '
    NR == 1 { v0 = $2 }
    NR > 1 && $2 + 0 < prev + 0 { dec++ }
    { prev = $2; n++ }
    END {
      w = 4294967296
      ok = (n >= 5 && !dec && (ds == "tx" || prev + 0 >= w)) ? "ok" : "bad"
      how = ""
      if (v0 + 0 >= w) how = " (past 2^32 at the first read)"
      else if (prev + 0 >= w) how = " (crossed 2^32)"
      printf "%s n=%d decreases=%d first=%.0f last=%.0f%s\n", ok, n, dec, v0, prev, how
    }' "$W/oct.$ds")
  check "A: if_octets-wan $ds never decreases until the restart$([[ $ds == rx ]] && echo ', passes 2^32') (${res#* })" \
    "${res#* }" test "${res%% *}" == ok
done
# meta data: model, firmware, external IP on some value of the box
meta=$(awk -F'\t' '$2 == "homelab_fritz" && $3 == "main" && $9 != "{}" { print $9 }' "$V" | head -n1)
if [[ $meta == *'FRITZ!Box 7590'* && $meta == *154.07.5* && $meta == *203.0.113.7* ]]; then
  pass "A: meta data has model, firmware and external IP"
  note "meta $meta"
else
  fail "A: meta data has model, firmware and external IP" "first meta: '${meta:-none}'"
fi
# the load plugin kept its 1 s interval while the box hung
nload=$(awk -F'\t' -v t0="$th0" -v t1="$th1" \
  '$2 == "load" && $6 == "shortterm" && $1 + 0 >= t0 + 0.5 && $1 + 0 <= t1 - 0.5' "$V" | wc -l)
span=$(awk -v a="$th0" -v b="$th1" 'BEGIN { printf "%d", b - a - 1 }')
if [[ $nload -ge $((span - 1)) ]]; then
  pass "A: load kept its 1 s interval while the box hung ($nload values in ${span} s)"
else
  fail "A: load kept its 1 s interval while the box hung" "$nload values in ${span} s"
fi

# === B: TLS, wrong password, cable, fiber =======================================

CONF="$W/b.conf"
gen_collectd_conf "$CONF" "$STOCK_HTTP" "$(plugin_conf \
  "$(box tlsca "$TP" "    UseTLS true
    CACert \"$W/cert.pem\"")" \
  "$(box tlspin "$TP" "    UseTLS true
    VerifyPeer false
    PinnedPublicKey \"$PIN\"")" \
  "$(box tlsboth "$TP" "    UseTLS true
    CACert \"$W/cert.pem\"
    PinnedPublicKey \"$PIN\"")" \
  "$(box badpin "$TP" "    UseTLS true
    CACert \"$W/cert.pem\"
    PinnedPublicKey \"$BAD_PIN\"")" \
  "$(box badpin2 "$TP" "    UseTLS true
    VerifyPeer false
    PinnedPublicKey \"$BAD_PIN\"")" \
  "$(box pinonly "$TP" "    UseTLS true
    PinnedPublicKey \"$PIN\"")" \
  "$(box badpin3 "$TP" "    UseTLS true
    PinnedPublicKey \"$BAD_PIN\"")" \
  "$(box badpw "$P2")" "$(box cable "$CP")" "$(box fiber "$FP")" \
  "$(box laggy "$LP" "    UseTLS false
    Timeout 0.17")" "  Interval 1")"
LOG_B=$(collectd_log "$CONF")
ctl "B: reset stats" "$P" '{"reset_stats": true}'
tb0=$SECONDS
if run_collectd_bg "$CONF"; then
  pass "B: collectd runs with 11 boxes"
else
  fail "B: collectd runs" "exited right after start: $(tail -n3 "$W/b.out" | tr '\n' '|')"
  exit 1
fi

# wrong password: the first failure, then count the tries for 5 s
auth_re='auth'
if wait_for 10 has_notif "$LOG_B" badpw FAILURE "$auth_re"; then
  f0=$(simstat "$P2" 's["auth"]["failures"]')
  pass "B: wrong password: FAILURE notification ($f0 wrong tries so far)"
  note "$(grep -E 'plugin_instance = badpw,' "$LOG_B" | grep -m1 FAILURE | sed 's/^.*Notification: //')"
  sleep 5
  f1=$(simstat "$P2" 's["auth"]["failures"]')
  note "wrong tries: $f0 at the first notification, $f1 five seconds later"
  check "B: back-off: at most 2 wrong tries in the 5 s after the first notification ($((f1 - f0)))" \
    "$((f1 - f0)) tries (Interval 1; a tight loop makes ~5)" test "$((f1 - f0))" -le 2
  check "B: the first failing read made at most 2 wrong tries ($f0)" "$f0 wrong tries" \
    test "$f0" -le 2
else
  fail "B: wrong password: FAILURE notification" "none for badpw in 10 s"
fi
n=$(notifs "$LOG_B" badpw FAILURE "$auth_re")
check "B: wrong password: exactly one FAILURE notification ($n)" "$n notifications" test "$n" -eq 1
if grep -iE 'plugin_instance = badpw,.*FAILURE|FAILURE.*plugin_instance = badpw,' "$LOG_B" |
  grep -qi 'authentication failed'; then
  pass "B: the FAILURE says \"authentication failed\""
else
  fail "B: the FAILURE says \"authentication failed\"" \
    "$(grep -m1 'plugin_instance = badpw,' "$LOG_B" | sed 's/^.*message = //')"
fi
collectd_alive "B: collectd alive"

# TLS
for b in tlsca tlspin tlsboth pinonly; do
  if wait_for 5 posted "$SINK" "$b" uptime box; then
    pass "B: TLS box $b delivers values"
  else
    fail "B: TLS box $b delivers values" "no $b/uptime-box"
  fi
done
tls=$(simstat "$P" 's["connections_tls"]')
check "B: the simulator saw TLS connections ($tls)" "connections_tls $tls" test "${tls:-0}" -ge 3
for b in badpin badpin2 badpin3; do
  if grep -E '\[error\]' "$LOG_B" | grep -q "$b: .*public key"; then
    pass "B: wrong pin ($b): error logged"
    note "$(grep -E '\[error\]' "$LOG_B" | grep -m1 "$b: ")"
  else
    fail "B: wrong pin ($b): error logged" "no [error] line naming $b and the public key"
  fi
  if posted "$SINK" "$b" uptime box || posted "$SINK" "$b" homelab_db noise_margin_down; then
    fail "B: wrong pin ($b): no box values" "$b values were posted"
  else
    pass "B: wrong pin ($b): no box values"
  fi
done
n=$(grep -c '\[warning\].*tlspin.*VerifyPeer false' "$LOG_B")
check "B: VerifyPeer false is warned about once for tlspin ($n)" "$n warnings" test "$n" -eq 1

# a box answering every request ~40 ms late (plain fritz_sim.py), Timeout
# 0.17 s: the first read (descriptions, SCPDs and calls, ~25 requests, ~1 s)
# is longer than the read budget (min(5 x Timeout, 0.9 x Interval) = 0.85 s),
# later reads (~12 calls, ~0.5 s) are not; values must arrive
if wait_for 5 posted "$SINK" laggy uptime box; then
  pass "B: laggy box (40 ms per request, first read > 0.9 x Interval): values arrive"
  note "laggy: $(grep -c 'laggy: FRITZ' "$LOG_B") description read(s), $(grep -c 'laggy.*deadline' "$LOG_B") deadline error(s) logged"
else
  fail "B: laggy box (40 ms per request, first read > 0.9 x Interval): values arrive" \
    "no laggy/uptime-box after $((SECONDS - tb0)) s; $(grep -c 'laggy: FRITZ' "$LOG_B") description reads; $(grep -m1 'laggy.*\[error\]\|\[error\].*laggy' "$LOG_B" | sed 's/^.*homelab_fritz: //')"
fi

# cable / fiber: no DSL actions, no 401 flood
c401a=$(simstat "$CP" 's["faults"].get("401", 0)')
sleep 2
c401b=$(simstat "$CP" 's["faults"].get("401", 0)')
dsl_actions=$(simstat "$CP" '" ".join(k for k in s["actions"] if "DSL" in k)')
nact=$(simstat "$CP" 'sum(s["actions"].values())')
check "B: cable: no DSL action asked (of $nact action calls)" "asked: $dsl_actions" \
  test -z "$dsl_actions"
check "B: cable: 401 faults do not grow from read to read ($c401a then $c401b)" \
  "$c401a then $c401b" test "$c401a" == "$c401b"
dsl_actions=$(simstat "$FP" '" ".join(k for k in s["actions"] if "DSL" in k)')
check "B: fiber: no DSL action asked" "asked: $dsl_actions" test -z "$dsl_actions"

# fix the password: the simulator comes back with the one collectd has
stop_pid "$(cat "$W/badpw.pid")" 3 >/dev/null 2>&1
tf=$(now)
if start_sim badpw dsl "$P2" "$W/pw"; then
  if wait_for 15 has_notif "$LOG_B" badpw OKAY "$auth_re"; then
    pass "B: password fixed on the box: OKAY notification"
  else
    fail "B: password fixed on the box: OKAY notification" "none for badpw in 15 s"
  fi
  if wait_for 5 posted_after "$SINK" badpw uptime box "$tf"; then
    pass "B: password fixed: values arrive"
  else
    fail "B: password fixed: values arrive" "no badpw/uptime-box"
  fi
else
  fail "B: badpw simulator restarts" "no pid file"
fi

collectd_alive "B: collectd alive at the end"
rc=0
stop_collectd || rc=$?
check "B: collectd exits 0 on SIGTERM" "exit status $rc" test "$rc" -eq 0
no_secret "B: the passwords are not in the log" "$LOG_B" "$W/b.out"

flatten "$SINK" "$W/b.tsv"
V="$W/b.tsv"
expect_val "$V" tlsca homelab_db noise_margin_down 8 9.5 "B: tlsca: DSL noise margin over TLS"
expect_val "$V" cable homelab_bitrate max_down 1000000000 1000000000 "B: cable: max_down 1 Gbit/s"
expect_val "$V" cable homelab_bitrate max_up 50000000 50000000 "B: cable: max_up 50 Mbit/s"
expect_val "$V" cable homelab_byterate receive 400000 400000 "B: cable: receive 400000 B/s"
expect_val "$V" cable homelab_up connection 1 1 "B: cable: connected"
expect_val "$V" fiber homelab_dbm optical_rx -18.451 -18.449 "B: fiber: optical_rx -18.45 dBm"
expect_val "$V" fiber homelab_dbm optical_tx 2.309 2.311 "B: fiber: optical_tx 2.31 dBm"
expect_val "$V" fiber homelab_bitrate max_down 1000000000 1000000000 "B: fiber: max_down 1 Gbit/s"
for b in cable fiber; do
  d=$(awk -F'\t' -v b="$b" '$2 == "homelab_fritz" && $3 == b &&
    ($4 == "homelab_db" || $5 ~ /^dsl_|_errors$|errored_seconds/) { print $4 "-" $5 }' "$V" |
    sort -u | tr '\n' ' ')
  check "B: $b: no DSL values" "posted: $d" test -z "$d"
done

# === C: a world-readable password file ==========================================

cp "$W/pw" "$W/pw_world"
chmod 644 "$W/pw_world"
CONF="$W/c.conf"
gen_collectd_conf "$CONF" "" "$(plugin_conf "  <Box \"world\">
    Host \"127.0.0.1\"
    Port $P
    Username \"monitor\"
    PasswordFile \"$W/pw_world\"
    Ping false
  </Box>")"
rc=0
run_collectd_test "$CONF" || rc=$?
if grep -hi 'PasswordFile' "$(collectd_log "$CONF")" "$W/c.out" | grep -qiE 'error|refus'; then
  pass "C: world-readable PasswordFile: error naming the option (collectd -T exit $rc)"
  note "$(grep -hi 'PasswordFile' "$(collectd_log "$CONF")" "$W/c.out" | head -n1)"
else
  fail "C: world-readable PasswordFile: error naming the option" \
    "collectd -T exit $rc, no error line naming PasswordFile"
fi
no_secret "C: the password is not in the log" "$(collectd_log "$CONF")" "$W/c.out"

# === D: ICMP in namespaces =======================================================

# veth N NS: client <-> NS on 10.213.N.0/24 (client .1, target .2)
veth() {
  local n=$1 ns=$2
  ip netns add "$ns" &&
    ip link add "${TAG}c$n" netns "$NS_C" type veth peer name "${TAG}p$n" netns "$ns" &&
    ip -n "$NS_C" addr add "10.213.$n.1/24" dev "${TAG}c$n" &&
    ip -n "$ns" addr add "10.213.$n.2/24" dev "${TAG}p$n" &&
    ip -n "$ns" link set lo up && ip -n "$ns" link set "${TAG}p$n" up &&
    ip -n "$NS_C" link set "${TAG}c$n" up
}

ns_setup() {
  ip netns add "$NS_C" && ip -n "$NS_C" link set lo up || return 1
  veth 21 "${TAG}g" && veth 22 "${TAG}d" && veth 23 "${TAG}s" || return 1
  ip netns exec "${TAG}d" sysctl -qw net.ipv4.icmp_echo_ignore_all=1 || return 1
  ip netns exec "${TAG}s" sysctl -qw net.ipv4.icmp_echo_ignore_all=1 || return 1
  mkdir -p "/etc/netns/$NS_C"
  printf '127.0.0.1 localhost\n10.213.21.2 good.hl-fritz.test\n' >"/etc/netns/$NS_C/hosts"
  # no DNS server: nothing listens on 127.0.0.1:53 in the client namespace
  printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"/etc/netns/$NS_C/resolv.conf"
  add_log icmp_responder "$W/responder.log"
  ip netns exec "${TAG}s" "$HL_PYTHON" "$HL_LIBDIR/icmp_responder.py" --delay-ms 50 \
    --drop-every 5 --ready "$W/responder.ready" >"$W/responder.log" 2>&1 &
  NS_PIDS+=($!)
  track_pid "$!" 2
  wait_for 5 test -s "$W/responder.ready"
}

if [[ $EUID -ne 0 ]] || ! command -v ip >/dev/null; then
  note "D: ICMP part skipped (needs root and ip)"
elif ! ns_setup; then
  fail "D: namespaces, veth pairs and the echo responder" "set-up failed"
else
  pass "D: namespaces, veth pairs and the echo responder (50 ms, every 5th dropped)"
  # a sink inside the client namespace (its loopback)
  mkdir -p "$W/sinkd"
  SINKD="$W/sinkd/posts.txt"
  add_log "http_sink D" "$W/sinkd/sink.log"
  ip netns exec "$NS_C" "$HL_PYTHON" "$HL_LIBDIR/http_sink.py" 8080 "$SINKD" \
    "$W/sinkd/ready" >"$W/sinkd/sink.log" 2>&1 &
  NS_PIDS+=($!)
  track_pid "$!" 2
  wait_for 10 test -e "$W/sinkd/ready" || fail "D: sink in the namespace" "not ready"
  CONF="$W/d.conf"
  gen_collectd_conf "$CONF" "$(write_http_conf "http://127.0.0.1:8080/values")" \
    "$(plugin_conf '  <Ping "good">
    Host "10.213.21.2"
  </Ping>
  <Ping "dead">
    Host "10.213.22.2"
  </Ping>
  <Ping "slow">
    Host "10.213.23.2"
  </Ping>
  <Ping "named">
    Host "good.hl-fritz.test"
  </Ping>
  <Ping "nodns">
    Host "nodns.hl-fritz.test"
  </Ping>
  PingCount 10
  PingSpacing 0.05
  Timeout 1
  Interval 2')"
  LOG_D=$(collectd_log "$CONF")
  add_log "collectd d.conf stdout/stderr" "$W/d.out"
  ip netns exec "$NS_C" "$HL_COLLECTD" -C "$CONF" -f >"$W/d.out" 2>&1 &
  COLLECTD_PID=$!
  track_pid "$COLLECTD_PID"
  NS_PIDS+=("$COLLECTD_PID")
  sleep 0.3
  collectd_alive "D: collectd runs in the client namespace"
  # two reads of every target
  two_reads() {
    [[ $(grep -o '"plugin_instance":"slow","type":"percent","type_instance":"loss"' "$SINKD" |
      wc -l) -ge 2 ]]
  }
  t0=$SECONDS
  if wait_for 15 two_reads; then
    pass "D: two ping reads posted after $((SECONDS - t0)) s"
  else
    fail "D: two ping reads posted" "fewer than two slow/percent-loss values in 15 s"
  fi
  sleep 1.5 # let the dead target's notification and the last post through
  collectd_alive "D: collectd alive"
  rc=0
  stop_collectd || rc=$?
  check "D: collectd exits 0 on SIGTERM" "exit status $rc" test "$rc" -eq 0
  flatten "$SINKD" "$W/d.tsv"
  V="$W/d.tsv"
  for spec in "good 1" "dead 0" "slow 1" "named 1" "nodns 0"; do
    read -r tgt want <<<"$spec"
    expect_val "$V" "$tgt" homelab_up reachable "$want" "$want" "D: $tgt: homelab_up-reachable $want"
  done
  expect_val "$V" good ping avg 0 10 "D: good: ping-avg < 10 ms"
  expect_val "$V" good percent loss 0 0 "D: good: percent-loss 0"
  expect_val "$V" named percent loss 0 0 "D: named (from the namespace's hosts file): percent-loss 0"
  expect_val "$V" dead percent loss 100 100 "D: dead: percent-loss 100"
  # tolerance: the responder answers 50 ms late; scheduling on a loaded
  # machine only adds delay: avg 45..75 ms, min >= 48 ms
  expect_val "$V" slow ping avg 45 75 "D: slow: ping-avg 50 ms (-5/+25)"
  expect_val "$V" slow ping min 48 75 "D: slow: ping-min >= 48 ms"
  expect_val "$V" slow ping max 48 150 "D: slow: ping-max in [48,150] ms"
  expect_val "$V" slow ping_stddev "" 0 25 "D: slow: ping_stddev < 25 ms"
  losses=$(vals "$V" slow percent loss | tr '\n' ' ')
  bad_loss=$(vals "$V" slow percent loss | awk '$1 + 0 < 10 || $1 + 0 > 30' | wc -l)
  check "D: slow: percent-loss 20 +-10 in every read ($losses)" "values: $losses" \
    none_bad "$bad_loss" "$losses"
  for tgt in good slow; do
    mn=$(vals "$V" "$tgt" ping min | tail -n1)
    av=$(vals "$V" "$tgt" ping avg | tail -n1)
    mx=$(vals "$V" "$tgt" ping max | tail -n1)
    check "D: $tgt: ping min <= avg <= max ($mn $av $mx)" "got '$mn' '$av' '$mx'" \
      awk -v a="$mn" -v b="$av" -v c="$mx" 'BEGIN { exit !(a != "" && a + 0 <= b + 0 && b + 0 <= c + 0) }'
  done
  v=$(vals "$V" nodns derive dns_failures | tail -n1)
  check "D: nodns: derive-dns_failures > 0 ($v)" "got '${v:-none}'" between "$v" 1 1e9
  n=$(notifs "$LOG_D" dead 'FAILURE|WARNING' '.')
  check "D: dead: exactly one unreachable notification ($n)" "$n notifications" test "$n" -eq 1
  note "$(grep -m1 'plugin_instance = dead,' "$LOG_D" | sed 's/^.*Notification: //')"
  n=$(($(notifs "$LOG_D" good 'FAILURE|WARNING' '.') + $(notifs "$LOG_D" slow 'FAILURE|WARNING' '.')))
  check "D: no unreachable notification for good/slow ($n)" "$n notifications" test "$n" -eq 0
fi
