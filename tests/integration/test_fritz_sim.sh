#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Self-test of tests/integration/fritz_sim.py, the FRITZ!Box TR-064/IGD
# simulator the homelab_fritz tests run against, driven with curl only (no
# collectd, no plugin). A DSL box with HTTP and TLS ports (certificate made
# here with openssl, CN fritz.box, and its sha256 public-key pin): the
# readiness line and pid file; tr64desc.xml, igddesc.xml and an SCPD list
# the services and control URLs of PROTOCOLS.md §2.1; a digest-auth SOAP
# call (curl --digest) answers text/xml with the right values (model,
# firmware, DSL rates in kbit/s, noise margin in tenths of dB); a wrong
# password gets 401 and exactly one counted failure; IGD GetAddonInfos
# works without auth, its 64-bit counter is past 2^32 soon and grows; two
# requests in one curl invocation use one connection (keep-alive); unknown
# action, missing SOAPACTION, fault and html500 modes; control: link down /
# up, DSL resync, firmware change, dropped action, restart; TLS with
# --cacert, with --pinnedpubkey (and a wrong pin refused); hung mode makes
# curl time out (--max-time 2) while /_sim/stats still answers; slow mode
# drips; garbage mode is not HTTP. Then cable, fiber and repeater boxes
# (access type, which services exist). SIGTERM: exit 0, pid file gone,
# state file written. About 9 s.
set -u
set -o pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

hl_init test_fritz_sim

SIM="$HL_LIBDIR/fritz_sim.py"
W=$HL_WORK
TR64=urn:dslforum-org:service
IGD=urn:schemas-upnp-org:service

for tool in curl openssl; do
  if ! command -v "$tool" >/dev/null; then
    fail "$tool is installed" "no $tool in PATH"
    exit 1
  fi
done

# --- helpers -------------------------------------------------------------------

# envelope STYPE ACTION [NAME VALUE]...: write a SOAP request to $W/env.xml
envelope() {
  local stype=$1 action=$2 args=""
  shift 2
  while [[ $# -ge 2 ]]; do
    args+="<$1>$2</$1>"
    shift 2
  done
  printf '%s\n%s%s%s%s\n' '<?xml version="1.0" encoding="utf-8"?>' \
    '<s:Envelope s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/" xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>' \
    "<u:$action xmlns:u=\"$stype\">" "$args" \
    "</u:$action></s:Body></s:Envelope>" >"$W/env.xml"
}

# soap BASEURL PATH STYPE ACTION [CURLOPT...]: POST the action; the body goes
# to $W/resp, the status code to stdout. Extra curl options (e.g. --digest
# -u user:pw) come after the action. In-arguments: call envelope first and
# pass "--keep-envelope" as the first extra option.
soap() {
  local base=$1 path=$2 stype=$3 action=$4
  shift 4
  if [[ "${1:-}" == --keep-envelope ]]; then
    shift
  else
    envelope "$stype" "$action"
  fi
  curl -s -o "$W/resp" -w '%{http_code}' --max-time 5 \
    -H 'Content-Type: text/xml; charset="utf-8"' \
    -H "SOAPACTION: $stype#$action" --data-binary "@$W/env.xml" \
    "$@" "$base$path"
}

# val NAME: the text of <NAME> in $W/resp
val() {
  sed -n "s|.*<$1>\([^<]*\)</$1>.*|\1|p" "$W/resp" | head -n1
}

# simstat PORT EXPR: evaluate a python expression on the stats JSON (as s)
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

# expect WHAT GOT WANT: pass if GOT equals WANT
expect() {
  if [[ "$2" == "$3" ]]; then
    pass "$1"
  else
    fail "$1" "got '$2', want '$3'"
  fi
}

# start_sim NAME PERSONALITY PORT [ARGS...]: start a simulator, wait for its
# pid file; sets SIM_PID
start_sim() {
  local name=$1 pers=$2 port=$3
  shift 3
  add_log "fritz_sim $name" "$W/$name.err"
  "$HL_PYTHON" "$SIM" --port "$port" --user monitor \
    --password-file "$W/pw" --personality "$pers" \
    --pid-file "$W/$name.pid" --log "$W/$name.log" "$@" \
    >"$W/$name.out" 2>"$W/$name.err" &
  SIM_PID=$!
  track_pid "$SIM_PID" 3
  wait_for 10 test -s "$W/$name.pid"
}

# --- set-up --------------------------------------------------------------------

printf 'secret\n' >"$W/pw"
chmod 600 "$W/pw"
if ! openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=fritz.box -days 1 \
  -keyout "$W/key.pem" -out "$W/cert.pem" >"$W/openssl.log" 2>&1; then
  fail "openssl makes a certificate" "$(tail -n1 "$W/openssl.log")"
  exit 1
fi
PIN=$(openssl x509 -in "$W/cert.pem" -pubkey -noout |
  openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64)
note "certificate pin sha256//$PIN"

mapfile -t ports < <(free_port tcp 5)
P=${ports[0]}
TP=${ports[1]}
H="http://127.0.0.1:$P"
AUTH=(--digest -u monitor:secret)

if start_sim dsl dsl "$P" --tls-port "$TP" --cert "$W/cert.pem" \
  --key "$W/key.pem" --state "$W/state.json"; then
  pass "simulator writes its pid file"
else
  fail "simulator writes its pid file" "no $W/dsl.pid within 10 s"
  exit 1
fi
DSL_PID=$SIM_PID
expect "pid file holds the simulator's pid" "$(cat "$W/dsl.pid")" "$DSL_PID"
wait_for 2 grep -q '^ready ' "$W/dsl.out"
expect "ready line names both ports and the certificate's pin" \
  "$(head -n1 "$W/dsl.out")" "ready port=$P tls_port=$TP pid=$DSL_PID pin=sha256//$PIN"

# --- description files -----------------------------------------------------------

curl -s --max-time 5 -o "$W/tr64desc.xml" "$H/tr64desc.xml"
missing=""
for want in "$TR64:DeviceInfo:1" /upnp/control/deviceinfo \
  "$TR64:WANCommonInterfaceConfig:1" /upnp/control/wancommonifconfig1 \
  "$TR64:WANDSLInterfaceConfig:1" /upnp/control/wandslifconfig1 \
  "$TR64:WANPPPConnection:1" /upnp/control/wanpppconn1 \
  /upnp/control/hosts /upnp/control/wlanconfig1 /upnp/control/wlanconfig2 \
  /upnp/control/wlanconfig3 '<root xmlns="urn:dslforum-org:device-1-0">'; do
  grep -qF -- "$want" "$W/tr64desc.xml" || missing+=" $want"
done
expect "tr64desc.xml lists the TR-064 services and control URLs" "$missing" ""
curl -s --max-time 5 -o "$W/igddesc.xml" "$H/igddesc.xml"
missing=""
for want in "$IGD:WANCommonInterfaceConfig:1" /igdupnp/control/WANCommonIFC1 \
  "$IGD:WANIPConnection:1" /igdupnp/control/WANIPConn1 \
  /igdupnp/control/WANDSLLinkC1; do
  grep -qF -- "$want" "$W/igddesc.xml" || missing+=" $want"
done
expect "igddesc.xml lists the IGD services and control URLs" "$missing" ""
code=$(curl -s -o "$W/scpd.xml" -w '%{http_code}' "$H/wandslifconfigSCPD.xml")
if [[ $code == 200 ]] && grep -q '<name>GetStatisticsTotal</name>' "$W/scpd.xml" &&
  grep -q '<name>NewCRCErrors</name><direction>out</direction>' "$W/scpd.xml" &&
  "$HL_PYTHON" -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' "$W/scpd.xml"; then
  pass "SCPD is well-formed and lists actions with out-arguments"
else
  fail "SCPD is well-formed and lists actions with out-arguments" "status $code"
fi

# --- digest auth -------------------------------------------------------------------

code=$(soap "$H" /upnp/control/deviceinfo "$TR64:DeviceInfo:1" GetInfo "${AUTH[@]}" \
  -D "$W/hdr")
if [[ $code == 200 && "$(val NewModelName)" == "FRITZ!Box 7590" &&
  "$(val NewSoftwareVersion)" == 154.07.57 && "$(val NewUpTime)" -gt 86400 ]]; then
  pass "digest SOAP DeviceInfo:1 GetInfo: model, firmware, uptime"
else
  fail "digest SOAP DeviceInfo:1 GetInfo: model, firmware, uptime" \
    "status $code, $(tr -d '\n' <"$W/resp" | head -c 300)"
fi
if grep -qi '^Content-Type: text/xml; charset="utf-8"' "$W/hdr" &&
  grep -q '<u:GetInfoResponse xmlns:u="urn:dslforum-org:service:DeviceInfo:1">' "$W/resp" &&
  grep -qi '^WWW-Authenticate: Digest realm="F!Box SOAP-Auth", nonce="[0-9A-F]*", algorithm=MD5, qop="auth"' "$W/hdr"; then
  pass "reply envelope, content type and digest challenge as a real box"
else
  fail "reply envelope, content type and digest challenge as a real box" \
    "$(tr -d '\r' <"$W/hdr" | tr '\n' '|')"
fi
code=$(soap "$H" /upnp/control/wandslifconfig1 "$TR64:WANDSLInterfaceConfig:1" GetInfo \
  "${AUTH[@]}")
expect "DSL GetInfo: rates in kbit/s, margin/attenuation in tenths of dB" \
  "$code $(val NewDownstreamCurrRate) $(val NewUpstreamCurrRate) $(val NewDownstreamNoiseMargin) $(val NewDownstreamAttenuation)" \
  "200 116790 46720 80 140"
retrain=$(soap "$H" /upnp/control/wandslifconfig1 "$TR64:WANDSLInterfaceConfig:1" \
  GetStatisticsTotal "${AUTH[@]}" >/dev/null && val NewLinkRetrain)
envelope "$TR64:Hosts:1" GetGenericHostEntry NewIndex 1
code=$(soap "$H" /upnp/control/hosts "$TR64:Hosts:1" GetGenericHostEntry \
  --keep-envelope "${AUTH[@]}")
expect "Hosts:1 GetGenericHostEntry with an in-argument, entities decoded" \
  "$code $(val NewHostName | sed 's/&amp;/\&/;s/&apos;/'"'"'/g')" "200 tom's & jerry's phone"
envelope "$TR64:Hosts:1" GetGenericHostEntry NewIndex 99
code=$(soap "$H" /upnp/control/hosts "$TR64:Hosts:1" GetGenericHostEntry \
  --keep-envelope "${AUTH[@]}")
expect "index out of range: 500 UPnPError 713" "$code $(val errorCode)" "500 713"
code=$(soap "$H" /upnp/control/deviceinfo "$TR64:DeviceInfo:1" GetSecurityPort)
expect "GetSecurityPort works without auth and names the TLS port" \
  "$code $(val NewSecurityPort)" "200 $TP"

control "$P" '{"reset_stats": true}' >/dev/null
code=$(soap "$H" /upnp/control/deviceinfo "$TR64:DeviceInfo:1" GetInfo \
  --digest -u monitor:wrong)
expect "wrong password: 401" "$code" 401
expect "wrong password: one counted failure, one challenge" \
  "$(simstat "$P" 's["auth"]["failures"], s["auth"]["challenges"], s["auth"]["ok"]')" \
  "(1, 1, 0)"
code=$(soap "$H" /upnp/control/deviceinfo "$TR64:DeviceInfo:1" GetInfo)
expect "no credentials: 401" "$code" 401

# --- IGD -----------------------------------------------------------------------------

challenges=$(simstat "$P" 's["auth"]["challenges"]')

code=$(soap "$H" /igdupnp/control/WANCommonIFC1 "$IGD:WANCommonInterfaceConfig:1" GetAddonInfos)
c1=$(val NewX_AVM_DE_TotalBytesReceived64)
expect "IGD GetAddonInfos without auth: 200, access type DSL" \
  "$code $(val NewX_AVM_DE_WANAccessType)" "200 DSL"
sleep 0.3
soap "$H" /igdupnp/control/WANCommonIFC1 "$IGD:WANCommonInterfaceConfig:1" GetAddonInfos >/dev/null
c2=$(val NewX_AVM_DE_TotalBytesReceived64)
c32=$(val NewTotalBytesReceived)
if [[ $c1 =~ ^[0-9]+$ && $c2 =~ ^[0-9]+$ && $c2 -gt $c1 && $c1 -gt 4200000000 &&
  $c32 -eq $((c2 % 4294967296)) ]]; then
  pass "64-bit counter starts near 2^32 and grows; 32-bit value is it mod 2^32"
else
  fail "64-bit counter starts near 2^32 and grows; 32-bit value is it mod 2^32" \
    "c1=$c1 c2=$c2 c32=$c32"
fi
expect "IGD requests are not challenged" "$(simstat "$P" 's["auth"]["challenges"]')" "$challenges"

# --- keep-alive ------------------------------------------------------------------------

control "$P" '{"reset_stats": true}' >/dev/null
envelope "$IGD:WANIPConnection:1" GetStatusInfo
curl -s -o /dev/null -o /dev/null --max-time 5 \
  -H 'Content-Type: text/xml; charset="utf-8"' \
  -H "SOAPACTION: $IGD:WANIPConnection:1#GetStatusInfo" --data-binary "@$W/env.xml" \
  "$H/igdupnp/control/WANIPConn1" "$H/igdupnp/control/WANIPConn1"
expect "keep-alive: two IGD requests, one connection" \
  "$(simstat "$P" 's["connections"], s["requests"], s["max_requests_per_connection"]')" \
  "(1, 2, 2)"
control "$P" '{"reset_stats": true}' >/dev/null
envelope "$TR64:DeviceInfo:1" GetInfo
curl -s -o /dev/null -o /dev/null --max-time 5 "${AUTH[@]}" -H 'Content-Type: text/xml; charset="utf-8"' \
  -H "SOAPACTION: $TR64:DeviceInfo:1#GetInfo" --data-binary "@$W/env.xml" \
  "$H/upnp/control/deviceinfo" "$H/upnp/control/deviceinfo"
expect "keep-alive: two digest calls (with challenges) on one connection" \
  "$(simstat "$P" 's["connections"], s["auth"]["ok"], s["actions"]["urn:dslforum-org:service:DeviceInfo:1#GetInfo"]')" \
  "(1, 2, 4)"

# --- SOAP errors -----------------------------------------------------------------------

code=$(soap "$H" /igdupnp/control/WANCommonIFC1 "$IGD:WANCommonInterfaceConfig:1" GetNoSuchThing)
expect "unknown action: 500 UPnPError 401 Invalid Action" \
  "$code $(val errorCode) $(val errorDescription)" "500 401 Invalid Action"
code=$(curl -s -o /dev/null -w '%{http_code}' --data-binary "@$W/env.xml" \
  "$H/igdupnp/control/WANCommonIFC1")
expect "missing SOAPACTION header: 400" "$code" 400
printf '<not-soap/>' >"$W/env.xml"
code=$(soap "$H" /igdupnp/control/WANCommonIFC1 "$IGD:WANCommonInterfaceConfig:1" \
  GetAddonInfos --keep-envelope)
expect "not a SOAP envelope: 500 UPnPError 402" "$code $(val errorCode)" "500 402"

# --- control ---------------------------------------------------------------------------

expect "control: link down accepted" "$(control "$P" '{"link": "down"}')" 200
soap "$H" /igdupnp/control/WANCommonIFC1 "$IGD:WANCommonInterfaceConfig:1" \
  GetCommonLinkProperties >/dev/null
l=$(val NewPhysicalLinkStatus)
soap "$H" /igdupnp/control/WANIPConn1 "$IGD:WANIPConnection:1" GetStatusInfo >/dev/null
expect "link down: PhysicalLinkStatus Down, connection Disconnected, uptime 0" \
  "$l $(val NewConnectionStatus) $(val NewUptime)" "Down Disconnected 0"
control "$P" '{"link": "up"}' >/dev/null
soap "$H" /igdupnp/control/WANIPConn1 "$IGD:WANIPConnection:1" GetStatusInfo >/dev/null
up=$(val NewUptime)
soap "$H" /igdupnp/control/WANIPConn1 "$IGD:WANIPConnection:1" GetExternalIPAddress >/dev/null
expect "link up again: Connected, uptime restarts, external IP back" \
  "$(val NewExternalIPAddress) $((up < 5))" "203.0.113.7 1"
soap "$H" /upnp/control/wandslifconfig1 "$TR64:WANDSLInterfaceConfig:1" \
  GetStatisticsTotal "${AUTH[@]}" >/dev/null
expect "link down/up counts as a retrain" "$(val NewLinkRetrain)" "$((retrain + 1))"
control "$P" '{"resync": true, "firmware": "7.59", "external_ip": "198.51.100.77"}' >/dev/null
soap "$H" /upnp/control/wandslifconfig1 "$TR64:WANDSLInterfaceConfig:1" GetInfo \
  "${AUTH[@]}" >/dev/null
rate=$(val NewDownstreamCurrRate)
soap "$H" /upnp/control/deviceinfo "$TR64:DeviceInfo:1" GetInfo "${AUTH[@]}" >/dev/null
fw=$(val NewSoftwareVersion)
soap "$H" /upnp/control/wanpppconn1 "$TR64:WANPPPConnection:1" GetExternalIPAddress \
  "${AUTH[@]}" >/dev/null
expect "resync changes rates; firmware and external IP change" \
  "$rate $fw $(val NewExternalIPAddress)" "249065 154.07.59 198.51.100.77"
control "$P" '{"drop_actions": ["GetAddonInfos"]}' >/dev/null
code=$(soap "$H" /igdupnp/control/WANCommonIFC1 "$IGD:WANCommonInterfaceConfig:1" GetAddonInfos)
scpd=$(curl -s "$H/igdicfgSCPD.xml")
if [[ "$code $(val errorCode)" == "500 401" && $scpd != *GetAddonInfos* &&
  $scpd == *GetCommonLinkProperties* ]]; then
  pass "dropped action: 401 Invalid Action, gone from the SCPD"
else
  fail "dropped action: 401 Invalid Action, gone from the SCPD" "status $code"
fi
control "$P" '{"drop_actions": [], "mode": "fault", "fault_code": 714}' >/dev/null
code=$(soap "$H" /igdupnp/control/WANIPConn1 "$IGD:WANIPConnection:1" GetStatusInfo)
expect "fault mode: 500 UPnPError with the chosen code" "$code $(val errorCode)" "500 714"
control "$P" '{"mode": "html500"}' >/dev/null
code=$(soap "$H" /igdupnp/control/WANIPConn1 "$IGD:WANIPConnection:1" GetStatusInfo \
  -D "$W/hdr")
if [[ $code == 500 ]] && grep -qi '^Content-Type: text/html' "$W/hdr" &&
  grep -q '<HTML>' "$W/resp"; then
  pass "html500 mode: 500 with an HTML page"
else
  fail "html500 mode: 500 with an HTML page" "status $code"
fi
expect "bad control key: 400" "$(control "$P" '{"linkk": "down"}')" 400
expect "bad control value: 400" "$(control "$P" '{"mode": "sleepy"}')" 400
control "$P" '{"mode": "normal", "restart": true}' >/dev/null
soap "$H" /upnp/control/deviceinfo "$TR64:DeviceInfo:1" GetInfo "${AUTH[@]}" >/dev/null
expect "restart: box uptime starts again" "$(($(val NewUpTime) < 5))" 1

# --- TLS -------------------------------------------------------------------------------

T="https://fritz.box:$TP"
RES=(--resolve "fritz.box:$TP:127.0.0.1")
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "${RES[@]}" \
  --cacert "$W/cert.pem" "$T/tr64desc.xml")
expect "TLS with --cacert" "$code" 200
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "${RES[@]}" \
  --cacert "$W/cert.pem" --pinnedpubkey "sha256//$PIN" "$T/tr64desc.xml")
expect "TLS with --cacert and --pinnedpubkey" "$code" 200
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -k \
  --pinnedpubkey "sha256//$PIN" "https://127.0.0.1:$TP/igddesc.xml")
expect "TLS with a pin and no CA check (-k)" "$code" 200
rc=0
curl -s -o /dev/null --max-time 5 -k \
  --pinnedpubkey "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" \
  "https://127.0.0.1:$TP/igddesc.xml" || rc=$?
expect "TLS with a wrong pin is refused (curl exit 90)" "$rc" 90
rc=0
curl -s -o /dev/null --max-time 5 "https://127.0.0.1:$TP/igddesc.xml" || rc=$?
expect "TLS without trust in the self-signed cert fails (curl exit 60)" "$rc" 60
control "$P" '{"reset_stats": true}' >/dev/null
code=$(soap "$T" /upnp/control/deviceinfo "$TR64:DeviceInfo:1" GetInfo "${AUTH[@]}" \
  "${RES[@]}" --cacert "$W/cert.pem")
expect "digest SOAP over TLS" "$code $(val NewModelName)" "200 FRITZ!Box 7590"
expect "TLS connections counted" \
  "$(simstat "$P" 's["connections"], s["connections_tls"], s["tls_handshake_failures"]')" \
  "(1, 1, 0)"

# --- hung, slow, garbage -------------------------------------------------------------------

control "$P" '{"mode": "hung"}' >/dev/null
start=${EPOCHREALTIME/./}
rc=0
curl -s -o /dev/null --max-time 2 "$H/igddesc.xml" || rc=$?
ms=$(((${EPOCHREALTIME/./} - start) / 1000))
if [[ $rc -eq 28 && $ms -ge 1900 && $ms -lt 3500 ]]; then
  pass "hung mode: curl --max-time 2 times out (${ms} ms)"
else
  fail "hung mode: curl --max-time 2 times out" "curl exit $rc after $ms ms"
fi
expect "hung mode: /_sim/stats still answers" "$(simstat "$P" 's["state"]["mode"]')" hung
control "$P" '{"mode": "slow", "slow_ms": 100}' >/dev/null
rc=0
n=$(curl -s --max-time 1 "$H/igddesc.xml" | wc -c) || rc=$?
if [[ $rc -ne 0 && $n -ge 3 && $n -le 15 ]]; then
  pass "slow mode drips the body ($n bytes in 1 s)"
else
  fail "slow mode drips the body" "curl exit $rc, $n bytes in 1 s"
fi
control "$P" '{"mode": "garbage"}' >/dev/null
rc=0
curl -s -o /dev/null --max-time 2 "$H/igddesc.xml" || rc=$?
if [[ $rc -ne 0 && $rc -ne 28 ]]; then
  pass "garbage mode: not HTTP (curl exit $rc)"
else
  fail "garbage mode: not HTTP" "curl exit $rc"
fi
control "$P" '{"mode": "normal"}' >/dev/null
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$H/igddesc.xml")
expect "normal mode again" "$code" 200

# --- other personalities ---------------------------------------------------------------

C=${ports[2]}
F=${ports[3]}
R=${ports[4]}
if ! { start_sim cable cable "$C" && start_sim fiber fiber "$F" &&
  start_sim repeater repeater "$R"; }; then
  fail "cable, fiber and repeater simulators start" "no pid file within 10 s"
fi
soap "http://127.0.0.1:$C" /upnp/control/wancommonifconfig1 \
  "$TR64:WANCommonInterfaceConfig:1" GetCommonLinkProperties "${AUTH[@]}" >/dev/null
acc=$(val NewWANAccessType)
d=$(curl -s "http://127.0.0.1:$C/tr64desc.xml")
if [[ $acc == Cable && $d != *WANDSLInterfaceConfig* && $d != *WANPPPConnection* &&
  $d == */upnp/control/wanipconnection1* ]]; then
  pass "cable: access type Cable, no DSL or PPP services"
else
  fail "cable: access type Cable, no DSL or PPP services" "access '$acc'"
fi
soap "http://127.0.0.1:$F" /upnp/control/x_wanfiber "$TR64:X_AVM-DE_WANFiber:1" \
  GetInfo "${AUTH[@]}" >/dev/null
lvl=$(val NewOpticalSignalLevel)
soap "http://127.0.0.1:$F" /igdupnp/control/WANCommonIFC1 \
  "$IGD:WANCommonInterfaceConfig:1" GetCommonLinkProperties >/dev/null
expect "fiber: access type Ethernet, optical level in 1/1000 dBm" \
  "$(val NewWANAccessType) $lvl" "Ethernet -18450"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$R/igddesc.xml")
d=$(curl -s "http://127.0.0.1:$R/tr64desc.xml")
code2=$(soap "http://127.0.0.1:$R" /upnp/control/wlanconfig2 "$TR64:WLANConfiguration:2" \
  GetTotalAssociations "${AUTH[@]}")
if [[ $code == 404 && $d != *WANCommonInterfaceConfig* && $d == *wlanconfig3* &&
  "$code2 $(val NewTotalAssociations)" == "200 3" ]]; then
  pass "repeater: no IGD, no WAN services, WLAN works"
else
  fail "repeater: no IGD, no WAN services, WLAN works" "igd $code, wlan $code2"
fi

# --- shutdown --------------------------------------------------------------------------

control "$P" '{"firmware": "7.61"}' >/dev/null
rc=0
stop_pid "$DSL_PID" 3 || rc=$?
expect "SIGTERM: exit status 0" "$rc" 0
if [[ ! -e "$W/dsl.pid" ]] && grep -q '"firmware": "7.61"' "$W/state.json"; then
  pass "SIGTERM: pid file removed, state file written"
else
  fail "SIGTERM: pid file removed, state file written" "$(cat "$W/state.json" 2>&1)"
fi
if [[ -s "$W/dsl.err" ]]; then
  fail "simulator wrote nothing to stderr" "$(head -n3 "$W/dsl.err")"
else
  pass "simulator wrote nothing to stderr"
fi
