#!/bin/bash
# SPDX-License-Identifier: MIT
#
# homelab_ha end to end: a real collectd (the built plugin) with homelab_ha
# against Home Assistant simulators (ha_sim.py) on loopback; values go to a
# private InfluxDB (network plugin, [[collectd]] listener) and, for the meta
# data, as JSON to http_sink.py (write_http); notifications are read from
# the logfile plugin's file and, with their meta data, from NotificationExec
# (one file per notification). Simulators: A (HTTP and HTTPS, certificate
# made here with openssl, SAN IP:127.0.0.1, restart 2 s), B (expects another
# token than collectd has), C (60 generated entities more, 77 in all).
# Instances in one daemon (global Interval 1, instances 0.5 s unless noted):
#   each     A, FetchMode each, all 17 entities as Entity lines (a block for
#            sensor.freezer_temperature: WarningMax -15, FailureMax -10,
#            WarningMin -40, FailureMin -50, Attribute battery_level),
#            Timeout 1, ConfigInterval 1
#   bulk     A, EntityPattern "sensor.*_temperature" and "binary_sensor.*",
#            Attribute battery_level for every entity, URL with a trailing /
#   auto     C, 2 Entity lines, FetchMode auto (-> per-entity GETs), TokenEnv
#   autobulk C, 4 Entity lines, FetchMode auto (4 x 20 > 77: GET /api/states)
#   auth     B, Interval 0.2: the token is rejected
#   tls      A over HTTPS with CACert, Token inline (warned about once)
#   tlsnoca  A over HTTPS without CACert
# Checked:
#  - values and types in InfluxDB: homelab_up-api/auth 1, response_time-api,
#    homelab_core_state-core 2 (1 while starting, 5 stopped), migration flags
#    (1 after control "migration"), temperature (°C; °F converted), humidity,
#    percent, power, energy_wh (kWh x 1000), gauge for lx and ppm,
#    homelab_binary for binary_sensor/lock/person, homelab_available 0 and no
#    state value for unavailable/unknown entities, homelab_age, the
#    battery_level attribute (only where asked for), count-entities and
#    -entities_unavailable; exactly the expected types per entity; drifting
#    numbers against GET /api/states of the simulator; meta data in the
#    write_http JSON (collectd 5.12 writes non-ASCII bytes there as '?');
#  - FetchMode auto picks per-entity GETs or bulk (simulator path counts);
#  - wrong token: one FAILURE "token rejected (HTTP 401)", at most
#    log2(intervals) + 1 rejected requests over >= 20 intervals, pauses
#    0.4, 0.8, 1.6 s (simulator request log), homelab_up-auth 0 every
#    interval meanwhile; token rotated at the simulator -> OKAY "token
#    accepted again" at the next retry and homelab_up-auth 1;
#  - HA restart (WARNING STARTING, OKAY RUNNING again), core state STOPPED
#    (FAILURE, OKAY), version change (OKAY "version changed from ... to ...",
#    new version in the meta data), entity unavailable/available
#    (WARNING/OKAY, no state value meanwhile), removed entity (WARNING "not
#    found", logged once; back -> OKAY), limits via control "set" (WARNING,
#    FAILURE, low WARNING, OKAY; none for the instance without limits);
#  - hung simulator (4 s): one "unreachable" FAILURE per instance, the
#    complaint logged once and released once, reads end at Timeout 1
#    (collectd's "took N seconds"), instance auto on simulator C keeps its
#    0.5 s interval (its InfluxDB timestamps), OKAY "reachable again";
#    html500, garbage, truncated: FAILURE naming the problem, then OKAY;
#    slow: read cut short at its budget, logged again in a second streak;
#    collectd stays up and exits 0;
#  - HTTPS: values with CACert; without: one log line about the
#    certificate, no entity values;
#  - "collectd -T" refuses (exit 1, error naming the option, plugin
#    disabled): world-readable TokenFile, unknown key, bad URL (scheme, path,
#    the token as credentials: not echoed),
#    EntityPattern "[abc", bad Entity id; the valid variant loads;
#  - neither token appears in any collectd log, output, sink file,
#    notification or simulator log.
# About 30 s on a 2-core machine.
set -u
set -o pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

hl_init test_ha

SIM="$HL_LIBDIR/ha_sim.py"
W=$HL_WORK
TOKEN="eyJhbGciOiJIUzI1NiJ9.hl-ha-good-$$-${RANDOM}.c2lnbmF0dXJl"
OTHER="eyJhbGciOiJIUzI1NiJ9.hl-ha-other-$$-${RANDOM}.b3RoZXI"

if ! have_plugin homelab_ha; then
  fail "homelab_ha plugin built" "no $HL_PLUGINDIR/homelab_ha.so; run make first"
  exit 1
fi
for tool in curl openssl awk influxd; do
  if ! command -v "$tool" >/dev/null; then
    fail "$tool is installed" "no $tool in PATH"
    exit 1
  fi
done

# --- helpers -------------------------------------------------------------------

# now: epoch seconds with fraction
now() { printf '%s\n' "$EPOCHREALTIME"; }
# now_ms: epoch milliseconds
now_ms() { printf '%s\n' "$((${EPOCHREALTIME/./} / 1000))"; }
# ms_of T [OFFSET]: epoch seconds T (+ OFFSET seconds) in whole milliseconds
ms_of() { awk -v t="$1" -v o="${2:-0}" 'BEGIN { printf "%.0f", (t + o) * 1000 }'; }

# between V LO HI: V is a number within [LO,HI]
between() {
  awk -v v="$1" -v lo="$2" -v hi="$3" \
    'BEGIN { exit !(v ~ /^-?[0-9.e+]+$/ && v + 0 >= lo + 0 && v + 0 <= hi + 0) }'
}

# start_sim NAME PORT TOKENFILE [ARGS...]: ha_sim.py in the background;
# waits for its pid file
start_sim() {
  local name=$1 port=$2 tokf=$3
  shift 3
  rm -f "$W/$name.pid"
  add_log "ha_sim $name" "$W/$name.err"
  "$HL_PYTHON" "$SIM" --port "$port" --token-file "$tokf" \
    --pid-file "$W/$name.pid" --log "$W/$name.log" "$@" \
    >>"$W/$name.out" 2>>"$W/$name.err" &
  track_pid "$!" 3
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

# sim_states PORT OUT: GET /api/states of a simulator (with the token) as
# "entity_id<TAB>state" lines
sim_states() {
  curl -s --max-time 5 -H "Authorization: Bearer $TOKEN" \
    "http://127.0.0.1:$1/api/states" |
    "$HL_PYTHON" -c 'import json, sys
for e in json.load(sys.stdin):
    print(e["entity_id"] + "\t" + e["state"])' >"$2"
}

# iq QUERY: InfluxDB /query on database collectd, times in epoch ms
iq() {
  curl -sf -G --max-time 10 "http://127.0.0.1:$INFLUX_HTTP_PORT/query" \
    --data-urlencode db=collectd --data-urlencode epoch=ms \
    --data-urlencode "q=$1"
}

# iq_rows QUERY: the answer as "tag1 tag2 ... <TAB> col1 <TAB> col2 ..." rows:
# instance, type, type_instance tags (when grouped by them), then columns
iq_rows() {
  iq "$1" | "$HL_PYTHON" -c '
import json, sys
try:
    doc = json.load(sys.stdin)
except ValueError:
    sys.exit(0)
for res in doc.get("results", []):
    for s in res.get("series", []) or []:
        t = s.get("tags") or {}
        tags = [t[k] for k in ("instance", "type", "type_instance") if k in t]
        for row in s.get("values", []):
            print("\t".join(tags + [str(x) for x in row]))
'
}

# snapshot OUT: the newest value of every homelab_ha series:
# "instance<TAB>type<TAB>type_instance<TAB>time_ms<TAB>value"
snapshot() {
  iq_rows 'SELECT last(value) FROM homelab_ha_value GROUP BY instance, type, type_instance' >"$1"
}

# val SNAP PI TYPE TI: the value in a snapshot (empty if there is none)
val() {
  awk -F'\t' -v pi="$2" -v ty="$3" -v ti="$4" \
    '$1 == pi && $2 == ty && $3 == ti { print $5; exit }' "$1"
}

# series_since PI TYPE TI T0MS [VALUE]: "time_ms value" rows from T0MS on
series_since() {
  local q="SELECT value FROM homelab_ha_value WHERE instance='$1' AND type='$2' AND type_instance='$3' AND time >= ${4}ms"
  [[ -n "${5:-}" ]] && q+=" AND value = $5"
  iq_rows "$q" | tr '\t' ' '
}

# has_value_since PI TYPE TI T0MS [VALUE]: a value (equal to VALUE) arrived
has_value_since() {
  [[ -n "$(series_since "$@")" ]]
}

# notifs LOG PI SEVERITY-RE TYPE-RE TI-RE MESSAGE-RE [FROM-LINE]: count
# homelab_ha notifications (from line FROM-LINE+1 on); the message must
# start with "<instance>: "
notifs() {
  tail -n "+$((${7:-0} + 1))" "$1" |
    grep -cE "Notification: severity = ($3), host = $HL_HOSTNAME, plugin = homelab_ha, plugin_instance = $2, type = ($4), type_instance = ($5), message = $2: .*($6)"
}
has_notif() { [[ $(notifs "$@") -gt 0 ]]; }

# show_notif LOG PI MESSAGE-RE [FROM-LINE]: the last such notification
show_notif() {
  tail -n "+$((${4:-0} + 1))" "$1" |
    grep -E "plugin = homelab_ha, plugin_instance = $2, .*message = .*($3)" |
    tail -n1 | sed 's/^.*Notification: //'
}

# expect_notif WHAT TIMEOUT PI SEV TYPE TI MSG [FROM-LINE]: wait for one
expect_notif() {
  local what=$1 t=$2
  shift 2
  if wait_for "$t" has_notif "$LOG" "$@"; then
    pass "$what"
    note "$(show_notif "$LOG" "$1" "$5" "${6:-0}")"
  else
    fail "$what" "no notification for $1 severity ($2) type ($3) ti ($4) message ~ /$5/ in $t s"
  fi
}

# count_is WHAT N PI SEV TYPE TI MSG [FROM-LINE]: exactly N such notifications
count_is() {
  local what=$1 want=$2 n
  shift 2
  n=$(notifs "$LOG" "$@")
  check "$what ($n)" "$n notifications, want $want" test "$n" -eq "$want"
}

lines() { wc -l <"$1"; }
log_since() { tail -n "+$(($2 + 1))" "$1"; }

# collectd_alive WHAT
collectd_alive() {
  check "$1" "collectd (pid $COLLECTD_PID) is gone: $(tail -n3 "${CONF%.conf}.out" 2>/dev/null | tr '\n' '|')" \
    kill -0 "$COLLECTD_PID"
}

# took_max LOG FROM-LINE PI: the longest "read-function of homelab_ha/PI
# took N seconds" from line FROM-LINE+1 on (0 if none)
took_max() {
  log_since "$1" "$2" |
    sed -n "s/.*read-function of the \`homelab_ha\/$3' plugin took \([0-9.]*\) seconds.*/\1/p" |
    sort -g | tail -n1 | awk '{ v = $1 } END { print v + 0 }'
}

# --- set-up --------------------------------------------------------------------

printf '%s\n' "$TOKEN" >"$W/token"
printf '%s\n' "$OTHER" >"$W/token_other"
chmod 600 "$W/token" "$W/token_other"
if ! openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 \
  -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
  -keyout "$W/key.pem" -out "$W/cert.pem" >"$W/openssl.log" 2>&1; then
  fail "openssl makes a certificate" "$(tail -n1 "$W/openssl.log")"
  exit 1
fi

mapfile -t ports < <(free_port tcp 4)
PA=${ports[0]}
TPA=${ports[1]}
PB=${ports[2]}
PC=${ports[3]}

if start_sim a "$PA" "$W/token" --tls-port "$TPA" --cert "$W/cert.pem" \
  --key "$W/key.pem" --restart-seconds 2 &&
  start_sim b "$PB" "$W/token_other" &&
  start_sim c "$PC" "$W/token" --entities 60; then
  pass "simulators start (A http $PA / https $TPA, B $PB, C $PC)"
else
  fail "simulators start" "a pid file is missing after 10 s"
  exit 1
fi

if start_influx; then
  pass "influxd answers /ping (port $INFLUX_HTTP_PORT)"
else
  fail "influxd starts" "no /ping answer within 15 s"
  exit 1
fi
if start_http_sink; then
  pass "http sink listens (port $HTTP_SINK_PORT)"
else
  fail "http sink starts" "not ready within 10 s"
  exit 1
fi

# notifications also through exec (as nobody): one file per notification,
# with the meta data as headers
mkdir -p "$W/notif"
chmod 777 "$W/notif"
cat >"$W/notif.sh" <<'EOF'
#!/bin/sh
cat >"$1/n.$$.tmp" && mv "$1/n.$$.tmp" "$1/n.$$"
EOF
chmod 755 "$W/notif.sh"

STOCK=$(
  cat <<EOF
LoadPlugin exec
<Plugin exec>
  NotificationExec "nobody:nogroup" "$W/notif.sh" "$W/notif"
</Plugin>
<LoadPlugin network>
  FlushInterval 0.2
</LoadPlugin>
<Plugin network>
  Server "127.0.0.1" "$INFLUX_COLLECTD_PORT"
</Plugin>
<LoadPlugin write_http>
  FlushInterval 1
</LoadPlugin>
<Plugin write_http>
  <Node "sink">
    URL "http://127.0.0.1:$HTTP_SINK_PORT/values"
    Format "JSON"
    StoreRates false
    BufferSize 65536
    LogHttpError true
  </Node>
</Plugin>
EOF
)

EACH_IDS=(sensor.living_room_temperature sensor.outdoor_temperature_f
  sensor.bathroom_humidity sensor.washing_machine_power sensor.house_energy
  sensor.office_illuminance sensor.bedroom_co2 sensor.phone_battery
  sensor.garage_temperature sensor.attic_humidity binary_sensor.front_door
  binary_sensor.hallway_motion lock.front_door person.alice person.bob sun.sun)
entity_lines() {
  local id
  for id in "$@"; do
    printf '    Entity "%s"\n' "$id"
  done
}

HA=$(
  cat <<EOF
LoadPlugin homelab_ha
<Plugin homelab_ha>
  <Instance "each">
    URL "http://127.0.0.1:$PA"
    TokenFile "$W/token"
    Interval 0.5
    Timeout 1
    ConfigInterval 1
    FetchMode "each"
$(entity_lines "${EACH_IDS[@]}")
    <Entity "sensor.freezer_temperature">
      WarningMax -15
      FailureMax -10
      WarningMin -40
      FailureMin -50
      Attribute "battery_level"
    </Entity>
  </Instance>
  <Instance "bulk">
    URL "http://127.0.0.1:$PA/"
    TokenFile "$W/token"
    Interval 0.5
    Timeout 1
    EntityPattern "sensor.*_temperature"
    EntityPattern "binary_sensor.*"
    Attribute "battery_level"
  </Instance>
  <Instance "auto">
    URL "http://127.0.0.1:$PC"
    TokenEnv "HL_HA_TEST_TOKEN"
    Interval 0.5
    Timeout 1
    Entity "sensor.gen_0001_temperature"
    Entity "sensor.living_room_temperature"
  </Instance>
  <Instance "autobulk">
    URL "http://127.0.0.1:$PC"
    TokenFile "$W/token"
    Interval 0.5
    Timeout 1
    FetchMode "auto"
$(entity_lines sensor.bathroom_humidity sensor.office_illuminance lock.front_door person.alice)
  </Instance>
  <Instance "auth">
    URL "http://127.0.0.1:$PB"
    TokenFile "$W/token"
    Interval 0.2
    Timeout 1
  </Instance>
  <Instance "tls">
    URL "https://127.0.0.1:$TPA"
    Token "$TOKEN"
    CACert "$W/cert.pem"
    Interval 0.5
    Timeout 1
    Entity "sensor.bathroom_humidity"
  </Instance>
  <Instance "tlsnoca">
    URL "https://127.0.0.1:$TPA"
    TokenFile "$W/token"
    Interval 0.5
    Timeout 1
    Entity "sensor.bathroom_humidity"
  </Instance>
</Plugin>
EOF
)

CONF="$W/main.conf"
gen_collectd_conf "$CONF" "$STOCK" "$HA"
LOG=$(collectd_log "$CONF")
export HL_HA_TEST_TOKEN=$TOKEN
T0MS=$(now_ms)
if run_collectd_bg "$CONF"; then
  pass "collectd runs with 7 homelab_ha instances, network and write_http"
else
  fail "collectd runs" "exited right after start: $(tail -n3 "$W/main.out" | tr '\n' '|')"
  exit 1
fi
unset HL_HA_TEST_TOKEN

# === wrong token: the first failure ===========================================

if wait_for 5 has_notif "$LOG" auth FAILURE homelab_up auth 'token rejected'; then
  tf0=$(now)
  f0=$(simstat "$PB" 's["auth"]["failures"]')
  pass "auth: wrong token: FAILURE notification ($f0 rejected request(s) so far)"
  note "$(show_notif "$LOG" auth 'token')"
  check "auth: the FAILURE says \"token rejected (HTTP 401)\"" \
    "$(show_notif "$LOG" auth 'token')" has_notif "$LOG" auth FAILURE homelab_up auth \
    'token rejected \(HTTP 401\)'
else
  tf0=$(now)
  f0=$(simstat "$PB" 's["auth"]["failures"]')
  fail "auth: wrong token: FAILURE notification" "none for auth in 5 s"
fi

# === values =======================================================================

# all instances have reported their entity count (a complete read)
complete() {
  snapshot "$W/snap.tsv"
  local pi
  for pi in each bulk auto autobulk tls; do
    [[ -n "$(val "$W/snap.tsv" "$pi" count entities)" ]] || return 1
  done
  [[ -n "$(val "$W/snap.tsv" tlsnoca homelab_up api)" ]]
}
t0=$SECONDS
if wait_for 15 complete; then
  pass "values of every instance in InfluxDB after $((SECONDS - t0)) s"
else
  fail "values of every instance in InfluxDB" "missing after 15 s: $(cut -f1 "$W/snap.tsv" | sort -u | tr '\n' ' ')"
fi
sleep 1 # one more read of every instance, so that 'last' is a steady read
snapshot "$W/snap.tsv"
sim_states "$PA" "$W/states_a.tsv"
sim_states "$PC" "$W/states_c.tsv"
SIM_AGE=$(awk -v t="$(now)" -v s="$(stat -c %Y "$W/a.pid")" 'BEGIN { printf "%d", t - s + 1 }')

# values.py: the value checks on the snapshot, as ok/bad lines
cat >"$W/values.py" <<'EOF'
import sys

snap, states_a, states_c, sim_age = sys.argv[1:5]
sim_age = float(sim_age)
vals = {}
for line in open(snap, encoding="utf-8"):
    pi, ty, ti, _, v = line.rstrip("\n").split("\t")
    vals[(pi, ty, ti)] = float(v)


def states(path):
    return dict(line.rstrip("\n").split("\t", 1)
                for line in open(path, encoding="utf-8"))


sim = {"A": states(states_a), "C": states(states_c)}


def report(ok, what, why=""):
    print(("ok " if ok else "bad ") + what + ("" if ok else ": " + why))


def get(pi, ty, ti):
    return vals.get((pi, ty, ti))


def expect(pi, ty, ti, lo, hi=None, what=None):
    hi = lo if hi is None else hi
    v = get(pi, ty, ti)
    what = what or f"{pi}: {ty}-{ti} in [{lo:g},{hi:g}]"
    report(v is not None and lo <= v <= hi, f"{what} ({v})",
           "no value" if v is None else f"got {v}")


def near_sim(pi, ty, ti, simname, scale, tol, what, offset=0.0):
    s = sim[simname].get(ti)
    v = get(pi, ty, ti)
    if s is None or v is None:
        report(False, what, f"sim state {s!r}, value {v!r}")
        return
    want = (float(s) + offset) * scale
    report(abs(v - want) <= tol, f"{what} ({v:g} vs sim {want:g} +-{tol:g})",
           f"value {v:g}, simulator {want:g}")


def types_of(pi, ti, want):
    got = sorted(ty for (p, ty, t) in vals if p == pi and t == ti)
    report(got == sorted(want), f"{pi}: {ti} has exactly the types {sorted(want)}",
           f"got {got}")


ENT = ["homelab_available", "homelab_age"]
# --- instance each: every entity as an Entity line, FetchMode each ---
pi = "each"
expect(pi, "homelab_up", "api", 1)
expect(pi, "homelab_up", "auth", 1)
expect(pi, "response_time", "api", 0.000001, 0.5)
expect(pi, "homelab_core_state", "core", 2)
expect(pi, "homelab_binary", "migration_in_progress", 0)
expect(pi, "homelab_binary", "migration_is_live", 0)
expect(pi, "count", "entities", 17)
expect(pi, "count", "entities_unavailable", 2)
near_sim(pi, "temperature", "sensor.living_room_temperature", "A", 1, 0.4,
         "each: temperature-sensor.living_room_temperature (°C) as served")
near_sim(pi, "temperature", "sensor.freezer_temperature", "A", 1, 0.4,
         "each: temperature-sensor.freezer_temperature (°C) as served")
near_sim(pi, "temperature", "sensor.outdoor_temperature_f", "A", 5 / 9, 0.3,
         "each: temperature-sensor.outdoor_temperature_f: °F as served, in °C", -32)
near_sim(pi, "power", "sensor.washing_machine_power", "A", 1, 200,
         "each: power-sensor.washing_machine_power (W) as served")
near_sim(pi, "energy_wh", "sensor.house_energy", "A", 1000, 5,
         "each: energy_wh-sensor.house_energy = kWh x 1000")
expect(pi, "humidity", "sensor.bathroom_humidity", 56.3)
expect(pi, "gauge", "sensor.office_illuminance", 312, what="each: lx -> gauge 312")
expect(pi, "gauge", "sensor.bedroom_co2", 742, what="each: ppm -> gauge 742")
expect(pi, "percent", "sensor.phone_battery", 73)
for ti, want in (("binary_sensor.front_door", 0), ("binary_sensor.hallway_motion", 1),
                 ("lock.front_door", 1), ("person.alice", 1), ("person.bob", 0)):
    expect(pi, "homelab_binary", ti, want)
for ti in ("sensor.garage_temperature", "sensor.attic_humidity"):
    expect(pi, "homelab_available", ti, 0)
    types_of(pi, ti, ENT)
for ti in ("sensor.living_room_temperature", "sun.sun", "person.bob"):
    expect(pi, "homelab_available", ti, 1)
# constant entities were last updated 3600 - i s before the simulator started
expect(pi, "homelab_age", "sensor.office_illuminance", 3594 - 1, 3594 + sim_age + 2,
       what="each: homelab_age-sensor.office_illuminance ~ 1 h + simulator age")
expect(pi, "homelab_age", "sensor.living_room_temperature", 0, 120)
expect(pi, "percent", "sensor.freezer_temperature.battery_level", 87,
       what="each: battery_level attribute of the Entity block -> percent 87")
for ti, ty in (("sensor.living_room_temperature", "temperature"),
               ("sensor.outdoor_temperature_f", "temperature"),
               ("sensor.bathroom_humidity", "humidity"),
               ("sensor.washing_machine_power", "power"),
               ("sensor.house_energy", "energy_wh"),
               ("sensor.office_illuminance", "gauge"),
               ("sensor.bedroom_co2", "gauge"),
               ("sensor.phone_battery", "percent"),
               ("binary_sensor.front_door", "homelab_binary"),
               ("lock.front_door", "homelab_binary"),
               ("person.alice", "homelab_binary")):
    types_of(pi, ti, ENT + [ty])
types_of(pi, "sun.sun", ENT)
types_of(pi, "sensor.phone_battery.battery_level", [])
# --- instance bulk: patterns, attribute for all ---
pi = "bulk"
expect(pi, "homelab_up", "api", 1)
expect(pi, "count", "entities", 5)
expect(pi, "count", "entities_unavailable", 1)
near_sim(pi, "temperature", "sensor.living_room_temperature", "A", 1, 0.4,
         "bulk: temperature-sensor.living_room_temperature as served")
expect(pi, "homelab_available", "sensor.garage_temperature", 0)
types_of(pi, "sensor.garage_temperature", ENT)
expect(pi, "homelab_binary", "binary_sensor.hallway_motion", 1)
expect(pi, "percent", "sensor.freezer_temperature.battery_level", 87)
expect(pi, "percent", "binary_sensor.hallway_motion.battery_level", 42)
types_of(pi, "sensor.bathroom_humidity", [])
types_of(pi, "sensor.outdoor_temperature_f", [])
# --- instances on simulator C ---
pi = "auto"
expect(pi, "count", "entities", 2)
near_sim(pi, "temperature", "sensor.gen_0001_temperature", "C", 1, 0.4,
         "auto: temperature-sensor.gen_0001_temperature as served")
near_sim(pi, "temperature", "sensor.living_room_temperature", "C", 1, 0.4,
         "auto: temperature-sensor.living_room_temperature as served")
pi = "autobulk"
expect(pi, "count", "entities", 4)
expect(pi, "humidity", "sensor.bathroom_humidity", 56.3)
expect(pi, "gauge", "sensor.office_illuminance", 312)
expect(pi, "homelab_binary", "lock.front_door", 1)
expect(pi, "homelab_binary", "person.alice", 1)
# --- TLS ---
expect("tls", "homelab_up", "api", 1)
expect("tls", "humidity", "sensor.bathroom_humidity", 56.3,
       what="tls (CACert): humidity-sensor.bathroom_humidity 56.3")
expect("tlsnoca", "homelab_up", "api", 0, what="tlsnoca (no CACert): homelab_up-api 0")
types_of("tlsnoca", "sensor.bathroom_humidity", [])
got = get("tlsnoca", "homelab_up", "auth")
report(got is None, "tlsnoca: no homelab_up-auth (never got an answer)", f"got {got}")
# --- wrong token ---
expect("auth", "homelab_up", "auth", 0, what="auth: homelab_up-auth 0 while the token is rejected")
got = get("auth", "homelab_up", "api")
report(got is None, "auth: no homelab_up-api while the token is rejected", f"got {got}")
EOF
check_lines "$HL_PYTHON" "$W/values.py" "$W/snap.tsv" "$W/states_a.tsv" \
  "$W/states_c.tsv" "$SIM_AGE"

if grep -q 'unable to find' "$INFLUX_LOG"; then
  fail "influxd knows every type" "$(grep -m1 'unable to find' "$INFLUX_LOG")"
else
  pass "influxd knows every type (no 'unable to find ... in TypesDB')"
fi

# meta data (write_http JSON): entity values carry entity_id, friendly_name
# and the unit, instance values the version and location_name
cat >"$W/meta.py" <<'EOF'
import json, sys
found = {}
for line in open(sys.argv[1], encoding="utf-8"):
    _, _, body = line.partition(" ")
    try:
        batch = json.loads(body)
    except ValueError:
        continue
    for e in batch:
        if e.get("plugin") == "homelab_ha" and e.get("plugin_instance") == "each":
            found[(e["type"], e["type_instance"])] = e.get("meta") or {}


def mangled(s):
    # collectd 5.12's JSON formatter (write_http) writes every byte >= 0x80
    # as '?' (a signed char compared with <= 0x1f), so UTF-8 text arrives as
    # one '?' per byte: compare with that as well
    return "".join(c if ord(c) < 128 else "?" * len(c.encode()) for c in s)


def want(key, meta, what):
    got = found.get(key)
    if got is None:
        print(f"bad {what}: no {key} posted")
    elif all(got.get(k) in (v, mangled(v)) for k, v in meta.items()):
        print(f"ok {what} ({got})")
    else:
        print(f"bad {what}: meta {got}")


want(("temperature", "sensor.freezer_temperature"),
     {"entity_id": "sensor.freezer_temperature",
      "friendly_name": "Gefrierschrank ❄", "unit_of_measurement": "°C"},
     "meta: entity_id, friendly_name (UTF-8) and unit on an entity value")
want(("homelab_binary", "person.alice"),
     {"entity_id": "person.alice", "friendly_name": "Alice"},
     "meta: entity_id and friendly_name on a binary entity value")
want(("homelab_up", "api"), {"version": "2026.11.1", "location_name": "Heim 🏠"},
     "meta: version and location_name on an instance value")
EOF
if wait_for 5 grep -q 'person.alice' "$HTTP_SINK_OUT"; then
  check_lines "$HL_PYTHON" "$W/meta.py" "$HTTP_SINK_OUT"
else
  fail "meta data posted by write_http" "nothing for person.alice in the sink"
fi

# FetchMode auto: 2 of 77 entities -> one GET /api/states, then per entity;
# 4 of 77 -> GET /api/states every read
ctl "auto: reset stats" "$PC" '{"reset_stats": true}'
sleep 1.6
read -r bulk_n each_n other_n < <(simstat "$PC" \
  '"%d %d %d" % (s["paths"].get("/api/states", 0), s["paths"].get("/api/states/sensor.gen_0001_temperature", 0), sum(v for k, v in s["paths"].items() if k.startswith("/api/states/") and "gen_0001" not in k and "living_room" not in k))')
note "simulator C in 1.6 s: $bulk_n GET /api/states, $each_n GET /api/states/sensor.gen_0001_temperature, $other_n GETs of autobulk's entities"
check "auto: 2 Entity lines of 77 entities: one GET /api/states/<id> per entity and read ($each_n in 1.6 s)" \
  "$each_n per-entity GETs" between "$each_n" 2 5
check "autobulk: 4 Entity lines of 77 entities: GET /api/states every read ($bulk_n in 1.6 s), never per entity ($other_n)" \
  "$bulk_n bulk GETs, $other_n per-entity GETs" test "$bulk_n" -ge 2 -a "$bulk_n" -le 5 -a "$other_n" -eq 0
n=$(simstat "$PC" 'sorted(s["paths"])')
note "paths: $n"

# === HTTPS without CACert =========================================================

cert_lines=$(grep -E '\[error\].*homelab_ha: tlsnoca: ' "$LOG" | grep -ci 'certificate')
note "$(grep -E '\[error\].*homelab_ha: tlsnoca: ' "$LOG" | head -n1)"
check "tlsnoca: one error line about the certificate ($cert_lines)" "$cert_lines lines" \
  test "$cert_lines" -eq 1
count_is "tlsnoca: one FAILURE unreachable" 1 tlsnoca FAILURE homelab_up api 'unreachable'
tls=$(simstat "$PA" 's["connections_tls"]')
check "simulator A saw TLS connections ($tls)" "connections_tls $tls" test "${tls:-0}" -ge 1
n=$(grep -c '\[warning\].*homelab_ha: Instance "tls": Token: the token is written in the config' "$LOG")
check "tls: the inline Token is warned about once ($n)" "$n warnings" test "$n" -eq 1

# === wrong token: back-off and recovery ===========================================

# at least 20 intervals (4 s) after the first failure
sleep "$(awk -v t0="$tf0" -v t="$(now)" 'BEGIN { d = t0 + 4.2 - t; printf "%.2f", (d > 0 ? d : 0) }')"
tf1=$(now)
f1=$(simstat "$PB" 's["auth"]["failures"]')
ivs=$(awk -v a="$tf0" -v b="$tf1" 'BEGIN { printf "%d", (b - a) / 0.2 }')
lim=$(awk -v n="$ivs" 'BEGIN { printf "%d", log(n) / log(2) + 1 }')
note "wrong token: $f0 rejected request(s) at the first notification, $f1 after $ivs more intervals of 0.2 s"
check "auth: back-off: $((f1 - f0)) rejected requests in $ivs intervals (1 <= n <= log2 + 1 = $lim)" \
  "$((f1 - f0)) requests" between "$((f1 - f0))" 1 "$lim"
check "auth: the first failing read made one request ($f0)" "$f0 requests" test "$f0" -le 2
n0=$(iq_rows "SELECT value FROM homelab_ha_value WHERE instance='auth' AND type='homelab_up' AND type_instance='auth' AND value = 0 AND time >= $(ms_of "$tf0")ms AND time <= $(ms_of "$tf1")ms" | wc -l)
check "auth: homelab_up-auth 0 dispatched every interval while backing off ($n0 in $ivs intervals)" \
  "$n0 values" test "$n0" -ge $((ivs * 7 / 10)) -a "$n0" -le $((ivs + 2))
# the pauses between the rejected requests double (simulator request log)
gaps=$(awk '$NF == 401 && $5 == "/api/" { if (p) printf "%.2f ", $1 - p; p = $1 }' "$W/b.log")
note "pauses between rejected requests: $gaps s (Interval 0.2)"
# pause i (from 1) is Interval * 2^i, plus up to one interval until the
# next scheduled read (and some slack)
res=$(awk -v g="$gaps" 'BEGIN { n = split(g, a, " "); ok = n >= 2; w = 0.2
  for (i = 1; i <= n; i++) { w *= 2; if (a[i] < w - 0.05 || a[i] > w + 0.3) ok = 0 }
  print ok ? "ok" : "bad" }')
check "auth: the pauses double: 0.4, 0.8, 1.6 s ... (+ up to one interval) ($gaps s)" "pauses $gaps" test "$res" == ok
count_is "auth: exactly one FAILURE while rejected" 1 auth FAILURE homelab_up auth 'token'
ctl "auth: token rotation" "$PB" "{\"token\": \"$TOKEN\"}"
AUTH_FIXED_MS=$(now_ms)

# === HA restart, core state, version ==============================================

l0=$(lines "$LOG")
ctl "restart" "$PA" '{"restart": true}'
expect_notif "each: restart: WARNING core state STARTING" 4 each WARNING \
  homelab_core_state core 'core state STARTING' "$l0"
expect_notif "each: restart: OKAY core state RUNNING again" 6 each OKAY \
  homelab_core_state core 'core state RUNNING' "$l0"
count_is "each: restart: one WARNING" 1 each WARNING homelab_core_state core 'STARTING' "$l0"
if has_value_since each homelab_core_state core "$T0MS" 1; then
  pass "each: homelab_core_state-core 1 while starting"
else
  fail "each: homelab_core_state-core 1 while starting" "no value 1 in InfluxDB"
fi

l0=$(lines "$LOG")
ctl "core STOPPED" "$PA" '{"core_state": "STOPPED"}'
expect_notif "each: core STOPPED: FAILURE core state STOPPED" 4 each FAILURE \
  homelab_core_state core 'core state STOPPED' "$l0"
if wait_for 3 has_value_since each homelab_core_state core "$T0MS" 5; then
  pass "each: homelab_core_state-core 5 while stopped"
else
  fail "each: homelab_core_state-core 5 while stopped" "no value 5 in InfluxDB"
fi
ctl "core RUNNING" "$PA" '{"core_state": "RUNNING", "version": "2026.12.0", "migration": true}'
expect_notif "each: core RUNNING: OKAY" 4 each OKAY homelab_core_state core 'RUNNING' "$l0"
expect_notif "each: OKAY version changed from 2026.11.1 to 2026.12.0" 4 each OKAY \
  homelab_up version 'version changed from 2026\.11\.1 to 2026\.12\.0' "$l0"
count_is "bulk: no version notification (ConfigInterval 3600)" 0 bulk '[A-Z]+' homelab_up version '.' "$l0"
tm=$(now_ms)
if wait_for 3 has_value_since each homelab_binary migration_in_progress "$tm" 1; then
  pass "each: homelab_binary-migration_in_progress 1 during a migration"
else
  fail "each: homelab_binary-migration_in_progress 1 during a migration" "no value 1"
fi
ctl "migration done" "$PA" '{"migration": false}'

# the token rotated above: recovered by now?
if wait_for 12 has_notif "$LOG" auth OKAY homelab_up auth 'token accepted again'; then
  pass "auth: token rotated at the simulator: OKAY \"token accepted again\""
else
  fail "auth: token rotated: OKAY notification" "none within 12 s of the rotation"
fi
if wait_for 3 has_value_since auth homelab_up auth "$AUTH_FIXED_MS" 1; then
  t1=$(series_since auth homelab_up auth "$AUTH_FIXED_MS" 1 | head -n1 | cut -d' ' -f1)
  pass "auth: homelab_up-auth 1 after the recovery ($(((t1 - AUTH_FIXED_MS) / 100)) tenths of a second after the rotation, at the next retry)"
else
  fail "auth: homelab_up-auth 1 after the recovery" "no value 1 in InfluxDB"
fi

# === entities: unavailable, removed, thresholds ====================================

l0=$(lines "$LOG")
ctl "unavailable" "$PA" '{"unavailable": ["sensor.living_room_temperature"]}'
for pi in each bulk; do
  expect_notif "$pi: WARNING sensor.living_room_temperature unavailable" 4 "$pi" WARNING \
    homelab_available sensor.living_room_temperature 'sensor.living_room_temperature unavailable' "$l0"
done
tu=$(now_ms)
if wait_for 3 has_value_since each homelab_available sensor.living_room_temperature "$tu" 0; then
  pass "each: homelab_available-sensor.living_room_temperature 0"
else
  fail "each: homelab_available-sensor.living_room_temperature 0" "no value 0"
fi
sleep 0.6
tv=$(now_ms)
sleep 1
n=$(series_since each temperature sensor.living_room_temperature "$tv" | wc -l)
check "each: no temperature value while unavailable ($n in 1 s)" "$n values" test "$n" -eq 0
ctl "available" "$PA" '{"available": ["sensor.living_room_temperature"]}'
for pi in each bulk; do
  expect_notif "$pi: OKAY sensor.living_room_temperature available again" 4 "$pi" OKAY \
    homelab_available sensor.living_room_temperature 'available again' "$l0"
  count_is "$pi: one WARNING for it" 1 "$pi" WARNING homelab_available \
    sensor.living_room_temperature '.' "$l0"
done

l0=$(lines "$LOG")
ctl "remove person.bob" "$PA" '{"remove": ["person.bob"]}'
expect_notif "each: removed entity (404): WARNING person.bob not found" 4 each WARNING \
  homelab_available person.bob 'person.bob not found' "$l0"
sleep 1
n=$(log_since "$LOG" "$l0" | grep -c 'homelab_ha: each: entity person.bob: not found')
check "each: \"entity person.bob: not found\" logged once over 3+ reads ($n)" "$n lines" test "$n" -eq 1
ctl "person.bob back" "$PA" '{"set": {"person.bob": "not_home"}}'
expect_notif "each: person.bob back: OKAY available again" 4 each OKAY \
  homelab_available person.bob 'person.bob available again' "$l0"

l0=$(lines "$LOG")
FZ=sensor.freezer_temperature
for step in "-12|WARNING|is -12, at or above its WARNING limit -15" \
  "-5|FAILURE|is -5, at or above its FAILURE limit -10" \
  "-45|WARNING|is -45, at or below its WARNING limit -40" \
  "|OKAY|within its limits again"; do
  IFS='|' read -r v sev msg <<<"$step"
  ctl "set freezer $v" "$PA" "{\"set\": {\"$FZ\": \"$v\"}}"
  expect_notif "each: freezer ${v:-back to -18}: $sev \"$msg\"" 4 each "$sev" temperature "$FZ" \
    "${msg//./\\.}" "$l0"
done
n=$(notifs "$LOG" each '[A-Z]+' temperature "$FZ" '.' "$l0")
check "each: freezer: exactly 4 threshold notifications ($n)" "$n" test "$n" -eq 4
n=$(notifs "$LOG" bulk '[A-Z]+' temperature "$FZ" '.' "$l0")
check "bulk: no threshold notification (no limits there) ($n)" "$n" test "$n" -eq 0

# === hung simulator ================================================================

l0=$(lines "$LOG")
th0=$(now)
ctl "hung" "$PA" '{"mode": "hung"}'
sleep 4
th1=$(now)
ctl "normal" "$PA" '{"mode": "normal"}'
for pi in each bulk tls; do
  expect_notif "$pi: hung: FAILURE unreachable" 1 "$pi" FAILURE homelab_up api 'unreachable' "$l0"
  count_is "$pi: hung: exactly one FAILURE over 4 s" 1 "$pi" FAILURE homelab_up api '.' "$l0"
  expect_notif "$pi: OKAY reachable again" 4 "$pi" OKAY homelab_up api 'reachable again' "$l0"
done
n=$(log_since "$LOG" "$l0" | grep -c "\[error\] homelab_ha: each: http://127.0.0.1:$PA: ")
check "each: hung: the complaint is logged once ($n)" "$n lines" test "$n" -eq 1
note "$(log_since "$LOG" "$l0" | grep -m1 "\[error\] homelab_ha: each: http://127.0.0.1:$PA: ")"
n=$(log_since "$LOG" "$l0" | grep -c "homelab_ha: each: http://127.0.0.1:$PA answers again")
check "each: \"answers again\" logged once ($n)" "$n lines" test "$n" -eq 1
took=$(took_max "$LOG" "$l0" each)
check "each: hung: a read ends at Timeout 1 s (longest logged read $took s)" "longest $took s" \
  between "$took" 0.9 1.6
hung=$(awk -v t0="$th0" -v t1="$th1" '$1 + 0 >= t0 && $1 + 0 <= t1 && $NF == "hung"' "$W/a.log" | wc -l)
check "hung: reads end and come again ($hung unanswered requests in 4 s)" "$hung" test "$hung" -ge 6
# the instance on simulator C kept its 0.5 s interval
a=$(ms_of "$th0" 0.5)
b=$(ms_of "$th1" -0.2)
iq_rows "SELECT value FROM homelab_ha_value WHERE instance='auto' AND type='response_time' AND time >= ${a}ms AND time <= ${b}ms" |
  cut -f1 >"$W/auto_times"
res=$(awk -v a="$a" -v b="$b" 'NR > 1 { g = $1 - p; if (g > m) m = g } { p = $1; n++ }
  END { printf "%d %d %.0f", n, m, (b - a) / 500 }' "$W/auto_times")
read -r n gap want <<<"$res"
note "auto during the hang: $n reads in $(((b - a) / 1000)).$(((b - a) % 1000 / 100)) s, longest gap $gap ms"
check "auto (other simulator) kept its 0.5 s interval during the hang ($n reads of $want, longest gap $gap ms)" \
  "$n reads, longest gap $gap ms" test "$want" -ge 6 -a "$n" -ge $((want - 1)) -a "$gap" -le 800
collectd_alive "collectd alive after the hung simulator"

# === broken answers ================================================================

# cut_short_since LINE [PI]: instance PI (each) logged "read cut short"
# after LINE
cut_short_since() {
  log_since "$LOG" "$1" | grep -q "\[error\] homelab_ha: ${2:-each}: read cut short"
}

for spec in "html500|HTTP 500" "garbage|." "truncated|." "slow|"; do
  IFS='|' read -r mode why <<<"$spec"
  l0=$(lines "$LOG")
  ctl "mode $mode" "$PA" "{\"mode\": \"$mode\", \"delay_ms\": 300}"
  if [[ $mode == slow ]]; then
    if wait_for 4 cut_short_since "$l0"; then
      pass "slow (300 ms per answer): the read is cut short at its budget, and says so"
      note "$(log_since "$LOG" "$l0" | grep -m1 'each: read cut short')"
    else
      fail "slow: the read is cut short" "no 'each: read cut short' error in 4 s"
    fi
    count_is "slow: no unreachable FAILURE (it answers)" 0 each FAILURE homelab_up api '.' "$l0"
  else
    expect_notif "$mode: FAILURE unreachable ($why)" 4 each FAILURE homelab_up api "unreachable.*$why" "$l0"
  fi
  collectd_alive "$mode: collectd alive"
  tn=$(now_ms)
  ctl "normal" "$PA" '{"mode": "normal", "delay_ms": 0}'
  if [[ $mode != slow ]]; then
    expect_notif "$mode: OKAY reachable again" 4 each OKAY homelab_up api 'reachable again' "$l0"
  fi
  if wait_for 4 has_value_since each count entities "$tn" 17; then
    pass "$mode: complete reads again in normal mode"
  else
    fail "$mode: complete reads again in normal mode" "no count-entities 17 within 4 s"
  fi
done

# a second streak of cut-short reads is logged again: the first one ended
# with the complete reads above
for pi in each bulk; do
  n=$(grep -c "\[error\] homelab_ha: $pi: read cut short" "$LOG")
  note "$pi: $n 'read cut short' line(s) so far; release lines: $(grep -c "homelab_ha: $pi: entity states read again" "$LOG")"
done
l0=$(lines "$LOG")
ctl "slow again" "$PA" '{"mode": "slow", "delay_ms": 300}'
wait_for 4 cut_short_since "$l0" bulk
sleep 0.5
for pi in each bulk; do
  if cut_short_since "$l0" "$pi"; then
    pass "$pi: a second streak of cut-short reads is logged again"
  else
    fail "$pi: a second streak of cut-short reads is logged again" \
      "no new '$pi: read cut short' error after complete reads in between"
  fi
done
tn=$(now_ms)
ctl "normal" "$PA" '{"mode": "normal", "delay_ms": 0}'
if wait_for 4 has_value_since each count entities "$tn" 17; then
  pass "slow again: complete reads again in normal mode"
else
  fail "slow again: complete reads again in normal mode" "no count-entities 17 within 4 s"
fi

# === end of the daemon ==============================================================

collectd_alive "collectd alive at the end"
rc=0
stop_collectd || rc=$?
check "collectd exits 0 on SIGTERM" "exit status $rc" test "$rc" -eq 0
n=$(grep -ciE 'segfault|signal|assert|double free|corrupt' "$W/main.out" "$LOG" | awk -F: '{ s += $NF } END { print s + 0 }')
check "no crash or memory error in the output ($n lines)" "$n lines" test "$n" -eq 0
bad=$(grep -hE 'Dataset not found' "$LOG" "$W/main.out" | head -n1)
check "no 'Dataset not found' (types in homelab.db)" "$bad" test -z "$bad"

# notifications through exec: headers and meta data
# exec_notif PI TYPE TI MESSAGE-RE: the first captured notification file
exec_notif() {
  grep -lE "^PluginInstance: $1\$" "$W"/notif/n.* 2>/dev/null |
    xargs -r grep -lE "^Type: $2\$" | xargs -r grep -lE "^TypeInstance: $3\$" |
    xargs -r grep -lE "$4" | head -n1
}
f=$(exec_notif auth homelab_up auth 'token rejected')
if [[ -n $f ]] && grep -q '^Severity: FAILURE$' "$f" && grep -q '^Plugin: homelab_ha$' "$f" &&
  grep -q '^instance: auth$' "$f" && grep -qF "url: http://127.0.0.1:$PB" "$f"; then
  pass "exec: token FAILURE with meta instance and url"
else
  fail "exec: token FAILURE with meta instance and url" "$(tr '\n' '|' <"${f:-/dev/null}")"
fi
f=$(exec_notif each homelab_up version 'version changed')
if [[ -n $f ]] && grep -q '^Severity: OKAY$' "$f" && grep -q '^location_name: ' "$f" &&
  grep -q '^version: 2026.12.0$' "$f"; then
  pass "exec: version OKAY carries the new version (2026.12.0) and location_name"
else
  fail "exec: version OKAY carries the new version (2026.12.0) and location_name" \
    "$(tr '\n' '|' <"${f:-/dev/null}")"
fi
nl=$(grep -c 'Notification: .*plugin = homelab_ha,' "$LOG")
ne=$(grep -l '^Plugin: homelab_ha$' "$W"/notif/n.* 2>/dev/null | wc -l)
check "exec received every homelab_ha notification ($ne of $nl)" "$ne of $nl" test "$ne" -eq "$nl"

# === bad configs with collectd -T ====================================================

cp "$W/token" "$W/token_world"
chmod 644 "$W/token_world"
# bad_conf NAME OPTION-LINES: a config with one instance against simulator A
bad_conf() {
  gen_collectd_conf "$W/bad_$1.conf" "" "LoadPlugin homelab_ha
<Plugin homelab_ha>
  <Instance \"x\">
$2
  </Instance>
</Plugin>"
}
GOOD_URL="    URL \"http://127.0.0.1:$PA\""
GOOD_TOK="    TokenFile \"$W/token\""
bad_conf world "$GOOD_URL
    TokenFile \"$W/token_world\""
bad_conf unknown "$GOOD_URL
$GOOD_TOK
    Bogus 1"
bad_conf url "    URL \"ftp://127.0.0.1:$PA\"
$GOOD_TOK"
bad_conf urlpath "    URL \"http://127.0.0.1:$PA/api/\"
$GOOD_TOK"
bad_conf urltoken "    URL \"http://monitor:$TOKEN@127.0.0.1:$PA\"
$GOOD_TOK"
bad_conf pattern "$GOOD_URL
$GOOD_TOK
    EntityPattern \"[abc\""
bad_conf entity "$GOOD_URL
$GOOD_TOK
    Entity \"Sensor.Living-Room\""
bad_conf good "$GOOD_URL
$GOOD_TOK
    Entity \"sensor.bathroom_humidity\""
for spec in 'world|TokenFile "[^"]*token_world": readable by every user' \
  'unknown|unknown option "Bogus"' \
  'url|URL: expects http' \
  'urlpath|URL: expects no path' \
  'urltoken|URL: must not contain credentials' \
  'pattern|EntityPattern "\[abc": not a valid glob' \
  'entity|Entity "Sensor.Living-Room": not an entity id'; do
  IFS='|' read -r name re <<<"$spec"
  conf="$W/bad_$name.conf"
  rc=0
  run_collectd_test "$conf" || rc=$?
  clog=$(collectd_log "$conf")
  line=$(grep -hE "\[error\] homelab_ha: (Instance \"x\": )?$re" "$clog" "${conf%.conf}.out" | head -n1)
  if [[ $rc -eq 1 && -n $line ]] && grep -q 'homelab_ha: configuration rejected; plugin disabled' "$clog"; then
    pass "collectd -T refuses $name (exit 1, plugin disabled): ${line#*\] }"
  else
    fail "collectd -T refuses $name" "exit $rc; $(grep -hE '\[error\]' "$clog" "${conf%.conf}.out" | head -n2 | tr '\n' '|')"
  fi
done
rc=0
run_collectd_test "$W/bad_good.conf" || rc=$?
bad=$(grep -hE '\[error\]|Dataset not found' "$(collectd_log "$W/bad_good.conf")" | head -n1)
check "collectd -T loads the same instance with valid options (exit $rc)" "exit $rc; $bad" \
  test "$rc" -eq 0 -a -z "$bad"

# === the tokens ===================================================================

files=("$LOG" "$W/main.out" "$HTTP_SINK_OUT" "$W/a.log" "$W/b.log" "$W/c.log" "$W"/notif/n.*)
for f in "$W"/bad_*.log "$W"/bad_*.out; do
  files+=("$f")
done
if grep -qF -e "$TOKEN" -e "$OTHER" "${files[@]}" 2>/dev/null; then
  fail "the tokens appear in no log, output or sink file" \
    "found in $(grep -lF -e "$TOKEN" -e "$OTHER" "${files[@]}" | tr '\n' ' ')"
else
  pass "the tokens appear in no log, output or sink file (${#files[@]} files)"
fi
