#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Self-test of tests/integration/ha_sim.py, the Home Assistant REST API
# simulator the homelab_ha tests and bench/ha.sh run against, driven with
# curl only (no collectd, no plugin). One simulator with 500 generated
# entities on HTTP and TLS ports (certificate made here with openssl, CN
# localhost): the readiness line and pid file; /api/, /api/config,
# /api/core/state, /api/states and /api/states/<id> with the right bearer
# token answer JSON shaped as PROTOCOLS.md §2.3 says (unicode friendly
# names, ISO-8601 times with +00:00, string states, unavailable/unknown); a
# missing or wrong token gets 401 "401: Unauthorized" (text/plain) and is
# counted; an unknown entity gets 404 {"message": "Entity not found."};
# keep-alive (several requests, one connection); temperatures drift;
# control: unavailable/available, set, core_state, restart (STARTING, then
# RUNNING), version, token rotation, html500; hung mode makes curl time out
# (--max-time 2) while /_sim/stats still answers; TLS with --cacert.
# SIGTERM: exit 0, pid file gone. About 6 s.
set -u
set -o pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

hl_init test_ha_sim

SIM="$HL_LIBDIR/ha_sim.py"
W=$HL_WORK

for tool in curl openssl; do
  if ! command -v "$tool" >/dev/null; then
    fail "$tool is installed" "no $tool in PATH"
    exit 1
  fi
done

# --- helpers -------------------------------------------------------------------

# simstat EXPR: evaluate a python expression on the stats JSON (as s)
simstat() {
  curl -s --max-time 5 "$H/_sim/stats" |
    "$HL_PYTHON" -c 'import json, sys
s = json.load(sys.stdin)
print(eval(sys.argv[1]))' "$1"
}

# control JSON: POST to /_sim/control; prints the HTTP status
control() {
  curl -s -o "$W/control.out" -w '%{http_code}' --max-time 5 \
    -H 'Content-Type: application/json' --data-binary "$1" "$H/_sim/control"
}

# api PATH [CURLOPT...]: GET with the token; body to $W/resp, headers to
# $W/hdr, status code to stdout
api() {
  local path=$1
  shift
  curl -s -o "$W/resp" -D "$W/hdr" -w '%{http_code}' --max-time 5 \
    -H "Authorization: Bearer $TOKEN" "$@" "$H$path"
}

# jq_py EXPR: evaluate a python expression on $W/resp parsed as JSON (as r)
jq_py() {
  "$HL_PYTHON" -c 'import json, sys
r = json.load(open(sys.argv[2], encoding="utf-8"))
print(eval(sys.argv[1]))' "$1" "$W/resp" 2>&1
}

# expect WHAT GOT WANT: pass if GOT equals WANT
expect() {
  if [[ "$2" == "$3" ]]; then
    pass "$1"
  else
    fail "$1" "got '$2', want '$3'"
  fi
}

# --- set-up --------------------------------------------------------------------

TOKEN=eyJhbGciOiJIUzI1NiJ9.test-token.sig
printf '%s\n' "$TOKEN" >"$W/token"
chmod 600 "$W/token"
if ! openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 \
  -addext subjectAltName=IP:127.0.0.1,DNS:localhost \
  -keyout "$W/key.pem" -out "$W/cert.pem" >"$W/openssl.log" 2>&1; then
  fail "openssl makes a certificate" "$(tail -n1 "$W/openssl.log")"
  exit 1
fi

mapfile -t ports < <(free_port tcp 2)
P=${ports[0]}
TP=${ports[1]}
H="http://127.0.0.1:$P"

add_log ha_sim "$W/sim.err"
"$HL_PYTHON" "$SIM" --port "$P" --tls-port "$TP" --cert "$W/cert.pem" \
  --key "$W/key.pem" --token-file "$W/token" --entities 500 \
  --pid-file "$W/sim.pid" --log "$W/sim.log" --restart-seconds 1 \
  >"$W/sim.out" 2>"$W/sim.err" &
SIM_PID=$!
track_pid "$SIM_PID" 3
if wait_for 10 test -s "$W/sim.pid"; then
  pass "simulator writes its pid file"
else
  fail "simulator writes its pid file" "no $W/sim.pid within 10 s"
  exit 1
fi
expect "pid file holds the simulator's pid" "$(cat "$W/sim.pid")" "$SIM_PID"
wait_for 2 grep -q '^ready ' "$W/sim.out"
expect "ready line names both ports" "$(head -n1 "$W/sim.out")" \
  "ready port=$P tls_port=$TP pid=$SIM_PID"

# --- endpoints with the right token ----------------------------------------------

code=$(api /api/)
expect "GET /api/ answers API running" "$code $(jq_py 'r["message"]')" \
  "200 API running."
if grep -qi '^Content-Type: application/json' "$W/hdr"; then
  pass "JSON answers are application/json"
else
  fail "JSON answers are application/json" "$(tr -d '\r' <"$W/hdr" | tr '\n' '|')"
fi
code=$(api /api/config)
expect "GET /api/config: version, location, unit system, state, components" \
  "$code $(jq_py 'r["version"], r["location_name"], r["unit_system"]["temperature"], r["state"], "recorder" in r["components"], r["time_zone"]')" \
  "200 ('2026.11.1', 'Heim 🏠', '°C', 'RUNNING', True, 'Europe/Berlin')"
code=$(api /api/core/state)
expect "GET /api/core/state: state and recorder migration flags" \
  "$code $(jq_py 'r["state"], r["recorder_state"]["migration_in_progress"], r["recorder_state"]["migration_is_live"]')" \
  "200 ('RUNNING', False, False)"
code=$(api /api/states)
expect "GET /api/states lists 17 default + 500 generated entities" \
  "$code $(jq_py 'len(r), sum(e["entity_id"].startswith("sensor.gen_") for e in r)')" \
  "200 (517, 500)"
expect "states are strings; unavailable, unknown, on/off, locked, home present" \
  "$(jq_py 'all(isinstance(e["state"], str) for e in r), sorted({e["state"] for e in r} & {"unavailable", "unknown", "on", "off", "locked", "home", "not_home"})')" \
  "(True, ['home', 'locked', 'not_home', 'off', 'on', 'unavailable', 'unknown'])"
expect "times are ISO-8601 with microseconds and +00:00; context has an id" \
  "$(jq_py 'all(__import__("re").fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00", e[k]) is not None for e in r for k in ("last_changed", "last_updated", "last_reported")), all(len(e["context"]["id"]) == 26 for e in r)')" \
  "(True, True)"
expect "attributes: unit, device class, unicode names, battery, nested objects" \
  "$(jq_py '{e["attributes"].get("unit_of_measurement") for e in r} >= {"°C", "°F", "%", "W", "kWh", "lx", "ppm"}, any("❄" in e["attributes"]["friendly_name"] for e in r), sum("battery_level" in e["attributes"] for e in r) >= 2, any(isinstance(v, dict) for e in r for v in e["attributes"].values())')" \
  "(True, True, True, True)"
code=$(api /api/states/sensor.gen_0500_temperature)
expect "GET /api/states/<generated id>" \
  "$code $(jq_py 'r["entity_id"], r["attributes"]["unit_of_measurement"], float(r["state"]) > -50')" \
  "200 ('sensor.gen_0500_temperature', '°C', True)"
code=$(api /api/states/sensor.phone_battery)
expect "numeric-string state with a battery_level attribute" \
  "$code $(jq_py 'r["state"], r["attributes"]["battery_level"]')" "200 ('73', 73)"
code=$(api /api/states/sensor.no_such_thing)
expect "unknown entity: 404 Entity not found." "$code $(jq_py 'r["message"]')" \
  "404 Entity not found."
code=$(api /api)
expect "/api without the trailing slash is 404" "$code" 404

api /api/states/sensor.living_room_temperature >/dev/null
t1=$(jq_py 'r["state"]')
sleep 1.2
api /api/states/sensor.living_room_temperature >/dev/null
t2=$(jq_py 'r["state"]')
if [[ "$t1" != "$t2" ]] && [[ "$(jq_py 'r["last_changed"] == r["last_updated"]')" == True ]]; then
  pass "temperature drifts ($t1 -> $t2 °C), last_changed moves with it"
else
  fail "temperature drifts, last_changed moves with it" "$t1 -> $t2, $(cat "$W/resp")"
fi

# keep-alive: three URLs in one curl invocation, one connection
before=$(simstat 's["connections"]')
curl -s -o /dev/null -o /dev/null -o /dev/null --max-time 5 \
  -H "Authorization: Bearer $TOKEN" "$H/api/" "$H/api/config" "$H/api/core/state"
expect "keep-alive: three requests on one connection" \
  "$(($(simstat 's["connections"]') - before)) $(simstat 's["max_requests_per_connection"] >= 3')" "1 True"

# --- auth failures -------------------------------------------------------------------

control '{"reset_stats": true}' >/dev/null
code=$(curl -s -o "$W/resp" -D "$W/hdr" -w '%{http_code}' --max-time 5 "$H/api/states")
expect "missing token: 401 with body '401: Unauthorized'" "$code $(cat "$W/resp")" \
  "401 401: Unauthorized"
if grep -qi '^Content-Type: text/plain; charset=utf-8' "$W/hdr"; then
  pass "401 body is text/plain, as aiohttp sends it"
else
  fail "401 body is text/plain, as aiohttp sends it" "$(tr -d '\r' <"$W/hdr" | tr '\n' '|')"
fi
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
  -H 'Authorization: Bearer wrong' "$H/api/")
expect "wrong token: 401" "$code" 401
expect "auth failures counted (missing 1, wrong 1, status 401 twice)" \
  "$(simstat 's["auth"]["failures"], s["auth"]["missing"], s["auth"]["wrong"], s["status"].get("401"), s["paths"].get("/api/states")')" \
  "(2, 1, 1, 2, 1)"
if grep -q "$TOKEN" "$W/sim.log"; then
  fail "the request log does not contain the token" "found in $W/sim.log"
else
  pass "the request log does not contain the token"
fi

# --- control -----------------------------------------------------------------------

expect "control: unavailable" \
  "$(control '{"unavailable": ["sensor.living_room_temperature"]}') $(api /api/states/sensor.living_room_temperature) $(jq_py 'r["state"]')" \
  "200 200 unavailable"
expect "control: available again" \
  "$(control '{"available": ["sensor.living_room_temperature"]}') $(api /api/states/sensor.living_room_temperature) $(jq_py 'r["state"] != "unavailable"')" \
  "200 200 True"
expect "control: set a state" \
  "$(control '{"set": {"sensor.freezer_temperature": "-9.5"}}') $(api /api/states/sensor.freezer_temperature) $(jq_py 'r["state"]')" \
  "200 200 -9.5"
expect "control: core_state STARTING" \
  "$(control '{"core_state": "STARTING"}') $(api /api/core/state) $(jq_py 'r["state"]')" \
  "200 200 STARTING"
control '{"restart": true}' >/dev/null
api /api/core/state >/dev/null
s1=$(jq_py 'r["state"]')
wait_for 3 bash -c "curl -s --max-time 1 -H 'Authorization: Bearer $TOKEN' $H/api/core/state | grep -q RUNNING"
api /api/core/state >/dev/null
expect "control: restart gives STARTING, then RUNNING" "$s1 $(jq_py 'r["state"]')" \
  "STARTING RUNNING"
expect "control: version changes /api/config" \
  "$(control '{"version": "2026.12.0"}') $(api /api/config) $(jq_py 'r["version"]')" \
  "200 200 2026.12.0"
expect "control: a bad key is 400" "$(control '{"bogus": 1}')" 400
expect "control: a bad core_state is 400" "$(control '{"core_state": "FOO"}')" 400
control '{"token": "rotated"}' >/dev/null
code1=$(api /api/)
code2=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
  -H 'Authorization: Bearer rotated' "$H/api/")
expect "control: token rotation (old 401, new 200)" "$code1 $code2" "401 200"
control "{\"token\": \"$TOKEN\"}" >/dev/null
control '{"mode": "html500"}' >/dev/null
code=$(api /api/)
if [[ $code == 500 ]] && grep -qi '^Content-Type: text/html' "$W/hdr"; then
  pass "html500 mode: 500 with an HTML page"
else
  fail "html500 mode: 500 with an HTML page" "status $code"
fi

# --- hung mode -----------------------------------------------------------------------

control '{"mode": "hung"}' >/dev/null
start=${EPOCHREALTIME/./}
rc=0
curl -s -o /dev/null --max-time 2 -H "Authorization: Bearer $TOKEN" "$H/api/" || rc=$?
el=$(((${EPOCHREALTIME/./} - start) / 1000))
if [[ $rc == 28 && $el -ge 1800 && $el -lt 4000 ]]; then
  pass "hung mode: curl --max-time 2 times out (${el} ms)"
else
  fail "hung mode: curl --max-time 2 times out" "curl exit $rc after $el ms"
fi
expect "hung mode: /_sim/stats still answers" "$(simstat 's["state"]["mode"]')" hung
control '{"mode": "normal"}' >/dev/null

# --- TLS -------------------------------------------------------------------------------

code=$(curl -s -o "$W/resp" -w '%{http_code}' --max-time 5 --cacert "$W/cert.pem" \
  -H "Authorization: Bearer $TOKEN" "https://127.0.0.1:$TP/api/core/state")
expect "TLS with --cacert: /api/core/state" "$code $(jq_py 'r["state"]')" "200 RUNNING"
rc=0
curl -s -o /dev/null --max-time 5 "https://127.0.0.1:$TP/api/" || rc=$?
expect "TLS without the CA is refused by curl (exit 60)" "$rc" 60
expect "TLS connection counted" "$(simstat 's["connections_tls"] >= 1')" True

# --- shutdown --------------------------------------------------------------------------

rc=0
stop_pid "$SIM_PID" 3 || rc=$?
expect "SIGTERM: exit status 0" "$rc" 0
if [[ ! -e "$W/sim.pid" ]]; then
  pass "SIGTERM: pid file removed"
else
  fail "SIGTERM: pid file removed" "$W/sim.pid still there"
fi
if [[ -s "$W/sim.err" ]]; then
  fail "simulator wrote nothing to stderr" "$(head -n3 "$W/sim.err")"
else
  pass "simulator wrote nothing to stderr"
fi
