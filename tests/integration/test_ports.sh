#!/bin/bash
# SPDX-License-Identifier: MIT
#
# homelab-port-report and the homelab_ports plugin against real sockets, on
# loopback only. Three listeners.py processes hold the sockets (a fourth,
# D, comes later):
#   A: comm <b>x"y'&z (hostile), a cmdline with spaces and a newline;
#      tcp 127.0.0.1, udp 127.0.0.1
#   B: tcp ::1, udp ::1, and a connected udp socket (must not be listed)
#   C: tcp 0.0.0.0, tcp :: (dual-stack, ss shows "*") and tcp
#      ::ffff:127.0.0.1 (IPv4-mapped), shared with a forked child (the
#      lowest pid is the owner)
# (ports picked by the kernel, so they lie in the ephemeral range; all
# distinct, else the processes are restarted).
# CLI: the JSON report lists them with the right proto, ip, port, status,
# pid, process, cmdline, and equals `ss -Htulnp` on (proto, address, port,
# pid) over all sockets of the machine (ports_check.py); the HTML escapes
# the hostile name; --check-port on busy/free TCP and UDP ports, per address,
# and bad arguments; --policy exit codes 3/0/2. fake_docker.py serves a
# container list that publishes C's port (0.0.0.0 and ::) and a port with no
# host socket: the report carries the container on C's socket and a
# published-only record; a missing engine socket gives docker.available
# false and the rest still works.
# Plugin: one collectd (Interval 1) with homelab_ports watching A's and B's
# TCP ports and a free port, allowing only A's TCP port, asking the fake
# engine and writing ReportFile/ReportHTML; values go to http_sink.py via
# write_http, notifications to the logfile. Checked: one FAILURE for the
# free port, WARNING "unexpected" naming our processes, pids and the
# container, no errors; the report lists our sockets; after B is killed,
# OKAY "is closed" for B's ports and a FAILURE for its watched port; when
# process D then opens the free watched port, OKAY "listening again"; the
# posted listening gauges, pid and counts. Polls with timeouts; about 10 s
# in all on an idle machine.
set -u
set -o pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

hl_init test_ports

CLI="$HL_BUILDDIR/cli/homelab-port-report"
CHECK=("$HL_PYTHON" "$HL_LIBDIR/ports_check.py")
W=$HL_WORK
HOSTILE=$'<b>x"y\'&z'

if [[ ! -x "$CLI" ]]; then
  fail "homelab-port-report built" "no $CLI; run make first"
  exit 1
fi
if ! have_plugin homelab_ports; then
  fail "homelab_ports plugin built" "no $HL_PLUGINDIR/homelab_ports.so"
  exit 1
fi
if ! command -v ss >/dev/null; then
  fail "ss is installed" "no ss (iproute2) in PATH"
  exit 1
fi

# --- 1. listeners --------------------------------------------------------------

# start_listeners NAME ARGS...: listeners.py ARGS in the background, its
# JSON in $W/NAME.json; tracks the process and its children. Returns 1 if
# it is not ready within 10 s.
start_listeners() {
  local name=$1 pid child
  shift
  rm -f "$W/$name.json"
  add_log "listeners $name" "$W/$name.log"
  "$HL_PYTHON" "$HL_LIBDIR/listeners.py" --out "$W/$name.json" "$@" \
    >"$W/$name.log" 2>&1 &
  pid=$!
  track_pid "$pid" 2
  wait_for 10 test -s "$W/$name.json" || return 1
  for child in $("$HL_PYTHON" -c 'import json, sys
print(*json.load(open(sys.argv[1]))["children"])' "$W/$name.json"); do
    track_pid "$child" 2
  done
}

# listener_vars: one line "A_PID A_TCP A_UDP B_PID B_TCP6 B_UDP6 C_PID
# C_TCPW C_DUAL C_MAPPED", or nothing when two of our sockets share a port
# number (then the per-port checks below would be ambiguous).
listener_vars() {
  "$HL_PYTHON" - "$W/A.json" "$W/B.json" "$W/C.json" <<'EOF'
import json, sys
a, b, c = (json.load(open(p)) for p in sys.argv[1:4])
ports = [s["port"] for x in (a, b, c) for s in x["sockets"]]
if len(set(ports)) == len(ports):
    p = lambda x, i: x["sockets"][i]["port"]
    print(a["pid"], p(a, 0), p(a, 1), b["pid"], p(b, 0), p(b, 1),
          min([c["pid"]] + c["children"]), p(c, 0), p(c, 1), p(c, 2))
EOF
}

vars=""
for attempt in 1 2 3; do
  if ! start_listeners A --comm "$HOSTILE" --note 'two words' \
    --note $'line one\nline two' tcp/127.0.0.1 udp/127.0.0.1 ||
    ! start_listeners B tcp/::1 udp/::1 udpconn/127.0.0.1 ||
    ! start_listeners C --share tcp/0.0.0.0 tcpdual/:: \
      tcpdual/::ffff:127.0.0.1; then
    break
  fi
  vars=$(listener_vars)
  [[ -n "$vars" ]] && break
  note "attempt $attempt: two sockets got the same port; restarting"
  for entry in "${HL_PIDS[@]}"; do
    stop_pid "${entry%%:*}" 2 || true
  done
done
if [[ -z "$vars" ]]; then
  fail "listener processes start" "not ready within 10 s (see logs)"
  exit 1
fi
read -r A_PID A_TCP A_UDP B_PID B_TCP6 B_UDP6 C_PID C_TCPW C_DUAL C_MAPPED \
  <<<"$vars"
pass "listeners: A pid $A_PID tcp 127.0.0.1:$A_TCP udp 127.0.0.1:$A_UDP; B pid $B_PID tcp [::1]:$B_TCP6 udp [::1]:$B_UDP6; C pid $C_PID tcp 0.0.0.0:$C_TCPW [::]:$C_DUAL [::ffff:127.0.0.1]:$C_MAPPED"

# two free TCP ports (on no address, for no protocol) for "free" checks:
# the watched-but-free port and the published port with no host socket
mapfile -t cand < <(free_port tcp 6)
FREE=()
for p in "${cand[@]}"; do
  if ! ss -Htuan "sport = :$p" | grep -q .; then
    FREE+=("$p")
  fi
done
if [[ ${#FREE[@]} -lt 2 ]]; then
  fail "two free ports found" "got ${FREE[*]:-none}"
  exit 1
fi
F_PORT=${FREE[0]}
G_PORT=${FREE[1]}

# --- 2. the JSON report against ss ---------------------------------------------

cli_rc=0
for attempt in 1 2 3 4 5; do
  ss -Htulnp >"$W/ss.before"
  cli_rc=0
  "$CLI" --json - --no-docker >"$W/cli.json" 2>"$W/cli.err" || cli_rc=$?
  ss -Htulnp >"$W/ss.after"
  if cmp -s "$W/ss.before" "$W/ss.after"; then
    break
  fi
  note "attempt $attempt: sockets changed while the CLI ran; again"
done
add_log "CLI stderr" "$W/cli.err"
if [[ $cli_rc -eq 0 && ! -s "$W/cli.err" ]]; then
  pass "--json - --no-docker exits 0 with nothing on stderr"
else
  fail "--json - --no-docker exits 0 with nothing on stderr" \
    "exit $cli_rc: $(head -c 300 "$W/cli.err")"
fi
check_lines "${CHECK[@]}" meta "$W/cli.json"
check_lines "${CHECK[@]}" ours "$W/cli.json" "$W/A.json" "$W/B.json" "$W/C.json"
check_lines "${CHECK[@]}" ss "$W/cli.json" "$W/ss.before" "$W/ss.after"

# HTML: the hostile process name is text, not markup
rc=0
"$CLI" --html "$W/report.html" --no-docker 2>"$W/html.err" || rc=$?
if [[ $rc -eq 0 && -s "$W/report.html" ]]; then
  pass "--html PATH exits 0 and writes the page"
  if grep -qF '&lt;b&gt;x' "$W/report.html" &&
    ! grep -qF '<b>x' "$W/report.html"; then
    pass "HTML shows the process name <b>x\"y'&z escaped"
  else
    fail "HTML shows the process name <b>x\"y'&z escaped" \
      "$(grep -o -m1 '.\{0,20\}b&gt;x.\{0,40\}\|.\{0,20\}<b>x.\{0,40\}' "$W/report.html" || echo 'name not found')"
  fi
  ext_re="(src|href|url)[=(][\"']?(https?:)?//[^\"' )>]*"
  ext=$(grep -oiE "$ext_re" "$W/report.html" | head -n 3)
  check "HTML page loads no external resources" "${ext//$'\n'/ }" test -z "$ext"
else
  fail "--html PATH exits 0 and writes the page" \
    "exit $rc: $(head -c 300 "$W/html.err")"
fi

# --- 3. --check-port -----------------------------------------------------------

# no_socket PROTO PORT [FAMILY]: the CLI report lists no socket with PROTO
# and PORT (of FAMILY ipv4/ipv6 if given); precondition of the "free" checks.
no_socket() {
  "$HL_PYTHON" - "$W/cli.json" "$@" <<'EOF'
import json, sys
rep = json.load(open(sys.argv[1]))
proto, port = sys.argv[2], int(sys.argv[3])
fam = sys.argv[4] if len(sys.argv) > 4 else None
sys.exit(any(r["proto"] == proto and r["port"] == port and r.get("host_socket")
             and fam in (None, r["family"]) for r in rep["ports"]))
EOF
}

# check_port WHAT WANT_RC WANT_TEXT ARGS...: run --check-port ARGS; pass if
# the exit status is WANT_RC and stdout contains WANT_TEXT (if not empty).
check_port() {
  local what=$1 want=$2 text=$3 rc=0 out
  shift 3
  out=$("$CLI" "$@" 2>"$W/check.err") || rc=$?
  if [[ $rc -ne $want ]]; then
    fail "$what" "exit $rc, expected $want; stdout: ${out:0:200}; stderr: $(head -c 200 "$W/check.err")"
  elif [[ -n "$text" && "$out" != *"$text"* ]]; then
    fail "$what" "stdout lacks '$text': ${out:0:300}"
  else
    pass "$what"
  fi
}

check_port "--check-port $A_TCP (A's tcp 127.0.0.1) -> 1, names pid $A_PID" \
  1 "pid $A_PID" --check-port "$A_TCP"
check_port "--check-port $F_PORT (free) -> 0" 0 "free" --check-port "$F_PORT"
check_port "--check-port $A_UDP --proto udp (A's udp) -> 1, names pid $A_PID" \
  1 "pid $A_PID" --check-port "$A_UDP" --proto udp
if no_socket tcp "$A_UDP"; then
  check_port "--check-port $A_UDP --proto tcp (only udp bound) -> 0" 0 "free" \
    --check-port "$A_UDP" --proto tcp
else
  note "skipped: something else listens on tcp port $A_UDP"
fi
if no_socket tcp "$B_TCP6" ipv4; then
  check_port "--check-port $B_TCP6 --host 127.0.0.1 (::1-only listener) -> 0" \
    0 "free" --check-port "$B_TCP6" --host 127.0.0.1
else
  note "skipped: something listens on tcp4 port $B_TCP6"
fi
check_port "--check-port $B_TCP6 --host ::1 -> 1, names pid $B_PID" \
  1 "pid $B_PID" --check-port "$B_TCP6" --host ::1
check_port "--check-port $B_TCP6 (any address) -> 1" \
  1 "pid $B_PID" --check-port "$B_TCP6"
check_port "--check-port $C_TCPW --host 127.0.0.1 (0.0.0.0 listener) -> 1" \
  1 "pid $C_PID" --check-port "$C_TCPW" --host 127.0.0.1
check_port "--check-port $B_UDP6 --proto udp --host ::1 -> 1" \
  1 "pid $B_PID" --check-port "$B_UDP6" --proto udp --host ::1
check_port "--check-port $C_DUAL --host 127.0.0.1 (dual-stack :: listener) -> 1" \
  1 "pid $C_PID" --check-port "$C_DUAL" --host 127.0.0.1
check_port "--check-port $C_MAPPED --host 127.0.0.1 (::ffff:127.0.0.1 listener) -> 1" \
  1 "pid $C_PID" --check-port "$C_MAPPED" --host 127.0.0.1

for bad in "--check-port 0" "--check-port 65536" "--check-port http" \
  "--check-port 80 --proto sctp" "--check-port 80 --host localhost" \
  "--host 127.0.0.1" "--check-port 80 --json -" "--bogus"; do
  # shellcheck disable=SC2086 # word splitting wanted
  check_port "bad arguments '$bad' -> 2" 2 "" $bad
done

# --- 4. --policy ---------------------------------------------------------------

# run_policy NAME TEXT: write the policy file, run --policy on it; sets
# POL_RC and leaves stdout in $W/NAME.out.
run_policy() {
  printf '%s\n' "$2" >"$W/$1.policy"
  POL_RC=0
  "$CLI" --no-docker --policy "$W/$1.policy" >"$W/$1.out" 2>"$W/$1.err" ||
    POL_RC=$?
}

# A allowed by its (hostile) process name, C by port; B is not allowed
run_policy partial "# test_ports.sh: B's listeners are not allowed
AllowProcess \"<b>x\\\"y'&z\"
AllowPort any $C_TCPW
CheckEphemeral false"
b_line=$(grep -F "tcp [::1]:$B_TCP6 held by" "$W/partial.out")
if [[ $POL_RC -eq 3 && "$b_line" == *"pid $B_PID"*"not allowed"* ]]; then
  pass "--policy without B's ports -> 3, names tcp [::1]:$B_TCP6 and pid $B_PID"
else
  fail "--policy without B's ports -> 3, names tcp [::1]:$B_TCP6 and pid $B_PID" \
    "exit $POL_RC; line: ${b_line:-none}; stderr: $(head -c 200 "$W/partial.err")"
fi
if grep -F "udp [::1]:$B_UDP6 held by" "$W/partial.out" | grep -qF "pid $B_PID"; then
  pass "--policy names udp [::1]:$B_UDP6 too"
else
  fail "--policy names udp [::1]:$B_UDP6 too" "$(grep -c . "$W/partial.out") lines, none for it"
fi
if grep -E "(127\.0\.0\.1|0\.0\.0\.0):($A_TCP|$A_UDP|$C_TCPW) held by" "$W/partial.out"; then
  fail "--policy does not flag A (AllowProcess) or C (AllowPort)" "see the line above"
else
  pass "--policy does not flag A (AllowProcess) or C (AllowPort)"
fi

run_policy all "AllowRange any 1 65535
CheckEphemeral false"
check "--policy allowing every port -> 0" \
  "exit $POL_RC: $(head -c 300 "$W/all.out") $(head -c 200 "$W/all.err")" \
  test "$POL_RC" -eq 0

run_policy eph "LocalOnly tcp 1"
if [[ $POL_RC -eq 3 ]] &&
  grep -F "127.0.0.1:$A_TCP held by" "$W/eph.out" | grep -qF "ephemeral"; then
  pass "--policy with CheckEphemeral on (default) -> 3, A's port is ephemeral"
else
  fail "--policy with CheckEphemeral on (default) -> 3, A's port is ephemeral" \
    "exit $POL_RC: $(grep -F ":$A_TCP " "$W/eph.out" || echo 'no line for it')"
fi

run_policy broken "AllowPort tcp 80
AllowPort tcp 99999"
if [[ $POL_RC -eq 2 ]] && grep -qF "line 2" "$W/broken.err"; then
  pass "--policy with a bad rule -> 2, names line 2"
else
  fail "--policy with a bad rule -> 2, names line 2" \
    "exit $POL_RC: $(head -c 200 "$W/broken.err")"
fi
rc=0
"$CLI" --no-docker --policy "$W/no-such.policy" >/dev/null 2>&1 || rc=$?
check "--policy on a missing file -> 2" "exit $rc" test "$rc" -eq 2

# --- 5. fake Docker engine -----------------------------------------------------

DOCKER_SOCK="$W/docker.sock"
cat >"$W/containers.json" <<EOF
[
  {"Id": "4f1c2b9a8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a",
   "Names": ["/hl-web"], "Image": "nginx:1.25-alpine",
   "ImageID": "sha256:2b7d6430f78d432f89109b29d88d4c36c868cdbf15dc31d2132ceaa02b993763",
   "Command": "/docker-entrypoint.sh nginx -g 'daemon off;'",
   "Created": 1732700000, "State": "running", "Status": "Up 2 hours",
   "Ports": [{"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": $C_TCPW, "Type": "tcp"},
             {"IP": "::", "PrivatePort": 80, "PublicPort": $C_TCPW, "Type": "tcp"},
             {"PrivatePort": 443, "Type": "tcp"}],
   "Labels": {"com.docker.compose.project": "homelab"}},
  {"Id": "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d",
   "Names": ["/hl-ghost"], "Image": "postgres:16",
   "ImageID": "sha256:0d8a7c6b5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b",
   "Command": "docker-entrypoint.sh postgres",
   "Created": 1732700100, "State": "running", "Status": "Up 5 minutes",
   "Ports": [{"IP": "0.0.0.0", "PrivatePort": 5432, "PublicPort": $G_PORT, "Type": "tcp"}],
   "Labels": {}},
  {"Id": "1111111111112222222222223333333333334444444444445555555555556666",
   "Names": ["/hl-stopped"], "Image": "busybox:latest", "ImageID": "sha256:00",
   "Command": "sh", "Created": 1732600000, "State": "exited",
   "Status": "Exited (0) 3 days ago", "Ports": [], "Labels": {}}
]
EOF
add_log fake_docker "$W/fake_docker.log"
"$HL_PYTHON" "$HL_LIBDIR/fake_docker.py" --socket "$DOCKER_SOCK" \
  --containers "$W/containers.json" --log "$W/docker-requests.log" \
  >"$W/fake_docker.log" 2>&1 &
DOCKER_PID=$!
track_pid "$DOCKER_PID" 3
if wait_for 10 test -S "$DOCKER_SOCK"; then
  pass "fake Docker engine listens on $DOCKER_SOCK"
else
  fail "fake Docker engine starts" "no socket within 10 s"
  exit 1
fi

rc=0
"$CLI" --json - --docker-socket "$DOCKER_SOCK" >"$W/docker.json" 2>"$W/docker.err" || rc=$?
check "--docker-socket (fake engine) exits 0" \
  "exit $rc: $(head -c 200 "$W/docker.err")" test "$rc" -eq 0
check_lines "${CHECK[@]}" docker "$W/docker.json" "$W/containers.json" \
  "$C_TCPW" "$G_PORT"
if grep -q '^GET .*/containers/json' "$W/docker-requests.log" 2>/dev/null; then
  pass "the CLI asked GET /containers/json"
else
  fail "the CLI asked GET /containers/json" \
    "requests: $(tr '\n' ' ' <"$W/docker-requests.log" 2>/dev/null)"
fi

rc=0
"$CLI" --json - --docker-socket "$W/no-engine.sock" >"$W/nodocker.json" \
  2>"$W/nodocker.err" || rc=$?
check "--docker-socket to a missing socket still exits 0" \
  "exit $rc: $(head -c 200 "$W/nodocker.err")" test "$rc" -eq 0
check_lines "${CHECK[@]}" nodocker "$W/nodocker.json"
check_lines "${CHECK[@]}" ours "$W/nodocker.json" "$W/A.json" "$W/B.json" "$W/C.json"

# --- 6. the plugin in collectd -------------------------------------------------

if start_http_sink; then
  pass "http sink listens (port $HTTP_SINK_PORT)"
else
  fail "http sink starts" "not ready within 10 s"
  exit 1
fi

CONF="$W/collectd.conf"
gen_collectd_conf "$CONF" "$(
  cat <<EOF
<LoadPlugin write_http>
  FlushInterval 1
</LoadPlugin>
<Plugin write_http>
  <Node "sink">
    URL "http://127.0.0.1:$HTTP_SINK_PORT/values"
    Format "JSON"
    StoreRates false
    BufferSize 16384
    LogHttpError true
  </Node>
</Plugin>
EOF
)" "$(
  cat <<EOF
LoadPlugin homelab_ports
<Plugin homelab_ports>
  Port "tcp" $A_TCP
  Port "tcp" $B_TCP6
  Port "tcp" $F_PORT
  AllowPort "tcp" $A_TCP
  DockerSocket "$DOCKER_SOCK"
  DockerTimeout 2
  ReportFile "$W/plugin-report.json"
  ReportHTML "$W/plugin-report.html"
  Interval 1
</Plugin>
EOF
)"
LOG=$(collectd_log "$CONF")

if run_collectd_bg "$CONF"; then
  pass "collectd runs with homelab_ports + write_http"
else
  fail "collectd runs" "exited right after start"
  exit 1
fi

N="Notification: severity"
NH="host = $HL_HOSTNAME, plugin = homelab_ports"
# notif_pat SEVERITY PLUGIN_INSTANCE TYPE [TYPE_INSTANCE]: the start of
# such a logfile line (any type instance when none is given)
notif_pat() {
  local pat="$N = $1, $NH, plugin_instance = $2, type = $3,"
  [[ -n "${4:-}" ]] && pat+=" type_instance = $4,"
  printf '%s\n' "$pat"
}
# notif SEVERITY PLUGIN_INSTANCE TYPE [TYPE_INSTANCE]: count of such lines
notif() {
  grep -cF "$(notif_pat "$@")" "$LOG"
}
# notif_msg SEVERITY PLUGIN_INSTANCE TYPE TYPE_INSTANCE TEXT: such a line
# contains TEXT
notif_msg() {
  grep -F "$(notif_pat "$1" "$2" "$3" "$4")" "$LOG" | grep -qF "$5"
}
# reads_posted: number of reads whose watched-port gauges were posted
reads_posted() {
  grep -o "\"plugin_instance\":\"tcp-$F_PORT\",\"type\":\"homelab_listening\"" \
    "$HTTP_SINK_OUT" 2>/dev/null | wc -l
}
warned_all() {
  [[ $(notif FAILURE "tcp-$F_PORT" homelab_listening "") -ge 1 ]] &&
    [[ $(notif WARNING "udp-$A_UDP" homelab_policy unexpected) -ge 1 ]] &&
    [[ $(notif WARNING "tcp-$B_TCP6" homelab_policy unexpected) -ge 1 ]] &&
    [[ $(notif WARNING "udp-$B_UDP6" homelab_policy unexpected) -ge 1 ]] &&
    [[ $(notif WARNING "tcp-$C_TCPW" homelab_policy unexpected) -ge 1 ]] &&
    [[ -s "$W/plugin-report.json" && -s "$W/plugin-report.html" ]] &&
    [[ $(reads_posted) -ge 3 ]]
}

t0=$SECONDS
wait_for 12 warned_all && note "notifications, reports and 3 reads after $((SECONDS - t0)) s"

n=$(notif FAILURE "tcp-$F_PORT" homelab_listening "")
check "exactly one FAILURE for the free watched port tcp/$F_PORT (after $(reads_posted) reads)" \
  "$n FAILURE lines" test "$n" -eq 1
if notif_msg FAILURE "tcp-$F_PORT" homelab_listening "" "port tcp/$F_PORT is not listening"; then
  pass "its message says 'port tcp/$F_PORT is not listening'"
else
  fail "its message says 'port tcp/$F_PORT is not listening'" \
    "$(grep -m1 -F "plugin_instance = tcp-$F_PORT," "$LOG" || echo 'no line')"
fi
n=$(($(notif FAILURE "tcp-$A_TCP" homelab_listening "") + $(notif FAILURE "tcp-$B_TCP6" homelab_listening "")))
check "no FAILURE for the listening watched ports $A_TCP and $B_TCP6" \
  "$n FAILURE lines" test "$n" -eq 0

# expect_warning PI TEXT WHAT: one WARNING "unexpected" for PI containing TEXT
expect_warning() {
  local n
  n=$(notif WARNING "$1" homelab_policy unexpected)
  if [[ $n -eq 1 ]] && notif_msg WARNING "$1" homelab_policy unexpected "$2"; then
    pass "one WARNING unexpected for $3: '$2'"
  else
    fail "one WARNING unexpected for $3: '$2'" \
      "$n lines; $(grep -m1 -F "plugin_instance = $1, type = homelab_policy, type_instance = unexpected" "$LOG" || echo 'none')"
  fi
}
expect_warning "udp-$A_UDP" "udp 127.0.0.1:$A_UDP ($HOSTILE, pid $A_PID) is not allowed" "A's udp"
expect_warning "tcp-$B_TCP6" "tcp [::1]:$B_TCP6 (python3, pid $B_PID) is not allowed" "B's tcp"
expect_warning "udp-$B_UDP6" "udp [::1]:$B_UDP6 (python3, pid $B_PID) is not allowed" "B's udp"
expect_warning "tcp-$C_TCPW" "tcp 0.0.0.0:$C_TCPW (python3, pid $C_PID, container hl-web) is not allowed" "C's tcp"
n=$(notif WARNING "tcp-$A_TCP" homelab_policy unexpected)
check "no WARNING unexpected for the allowed port tcp/$A_TCP" "$n lines" test "$n" -eq 0
# Kernel-picked ports lie in the ephemeral range: B's TCP listener is
# flagged (CheckEphemeral is on by default); A's is named by AllowPort, which
# accepts it where it is; UDP sockets are never flagged.
if notif_msg WARNING "tcp-$B_TCP6" homelab_policy ephemeral "tcp [::1]:$B_TCP6 (python3, pid $B_PID) is bound inside the ephemeral range"; then
  pass "WARNING ephemeral for B's tcp port (CheckEphemeral default)"
else
  fail "WARNING ephemeral for B's tcp port (CheckEphemeral default)" \
    "$(grep -m1 -F "plugin_instance = tcp-$B_TCP6, type = homelab_policy" "$LOG" || echo 'none')"
fi
n=$(notif WARNING "tcp-$A_TCP" homelab_policy ephemeral)
check "no WARNING ephemeral for tcp/$A_TCP, named by AllowPort" "$n lines" test "$n" -eq 0
n=$(grep -c -F "type = homelab_policy, type_instance = ephemeral, message = Host hltest: udp" "$LOG" || true)
check "no WARNING ephemeral for UDP sockets" "$n lines" test "$n" -eq 0

# the plugin's report, taken while all listeners are up
if cp "$W/plugin-report.json" "$W/plugin-report.1.json" 2>/dev/null; then
  check_lines "${CHECK[@]}" ours "$W/plugin-report.1.json" "$W/A.json" "$W/B.json" "$W/C.json"
  check_lines "${CHECK[@]}" docker "$W/plugin-report.1.json" "$W/containers.json" \
    "$C_TCPW" "$G_PORT"
else
  fail "plugin wrote ReportFile" "no $W/plugin-report.json"
fi
if grep -qF '&lt;b&gt;x' "$W/plugin-report.html" 2>/dev/null &&
  ! grep -qF '<b>x' "$W/plugin-report.html"; then
  pass "plugin wrote ReportHTML with the hostile name escaped"
else
  fail "plugin wrote ReportHTML with the hostile name escaped" \
    "$(ls -l "$W/plugin-report.html" 2>&1)"
fi

# B goes away: its flagged ports close, its watched port stops listening;
# D opens the watched free port
stop_pid "$B_PID" 2 || true
if start_listeners D "tcp/127.0.0.1/$F_PORT"; then
  pass "process D listens on the watched port tcp 127.0.0.1:$F_PORT"
else
  fail "process D listens on the watched port tcp 127.0.0.1:$F_PORT" \
    "$(head -c 200 "$W/D.log")"
fi
closed_all() {
  notif_msg OKAY "tcp-$B_TCP6" homelab_policy unexpected "tcp [::1]:$B_TCP6 is closed" &&
    notif_msg OKAY "udp-$B_UDP6" homelab_policy unexpected "udp [::1]:$B_UDP6 is closed" &&
    [[ $(notif FAILURE "tcp-$B_TCP6" homelab_listening "") -ge 1 ]] &&
    [[ $(notif OKAY "tcp-$F_PORT" homelab_listening "") -ge 1 ]]
}
t0=$SECONDS
wait_for 8 closed_all && note "B's and D's notifications after $((SECONDS - t0)) s"
check "OKAY 'tcp [::1]:$B_TCP6 is closed' after B is killed" "no such line" \
  notif_msg OKAY "tcp-$B_TCP6" homelab_policy unexpected "tcp [::1]:$B_TCP6 is closed"
check "OKAY 'udp [::1]:$B_UDP6 is closed' after B is killed" "no such line" \
  notif_msg OKAY "udp-$B_UDP6" homelab_policy unexpected "udp [::1]:$B_UDP6 is closed"
n=$(notif FAILURE "tcp-$B_TCP6" homelab_listening "")
check "one FAILURE for the watched port tcp/$B_TCP6 after B is killed" \
  "$n FAILURE lines" test "$n" -eq 1
n=$(notif FAILURE "tcp-$F_PORT" homelab_listening "")
check "still exactly one FAILURE for tcp/$F_PORT" "$n FAILURE lines" test "$n" -eq 1
n=$(notif OKAY "tcp-$F_PORT" homelab_listening "")
if [[ $n -eq 1 ]] && notif_msg OKAY "tcp-$F_PORT" homelab_listening "" "port tcp/$F_PORT is listening again"; then
  pass "one OKAY 'port tcp/$F_PORT is listening again' once D listens"
else
  fail "one OKAY 'port tcp/$F_PORT is listening again' once D listens" \
    "$n OKAY lines; $(grep -F "plugin_instance = tcp-$F_PORT," "$LOG" | tail -n 1)"
fi
n=$(($(notif OKAY "tcp-$A_TCP" homelab_policy) + $(notif OKAY "udp-$A_UDP" homelab_policy) + $(notif OKAY "tcp-$C_TCPW" homelab_policy)))
check "no policy OKAY for the listeners still open (A, C)" "$n OKAY lines" test "$n" -eq 0

# one more read after these notifications, so the new gauges are posted
reads=$(reads_posted)
more_reads() { [[ $(reads_posted) -ge $((reads + 1)) ]]; }
wait_for 5 more_reads || true

check_collectd_log "$CONF"
if grep -qE 'homelab_ports.*(failed|unavailable)|HTTP Error' "$LOG"; then
  fail "no homelab_ports or write_http complaint in the log" \
    "$(grep -m1 -E 'homelab_ports.*(failed|unavailable)|HTTP Error' "$LOG")"
else
  pass "no homelab_ports or write_http complaint in the log"
fi

rc=0
stop_collectd || rc=$?
check "collectd exits 0 on SIGTERM" "exit status $rc" test "$rc" -eq 0

check_lines "${CHECK[@]}" values "$HTTP_SINK_OUT" "$HL_HOSTNAME" \
  "$W/plugin-report.json" "up=$A_TCP" "rose=$F_PORT" "fell=$B_TCP6" \
  "pid=$A_TCP:$A_PID" "pid=$B_TCP6:$B_PID" "docker=1"
