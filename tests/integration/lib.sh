# shellcheck shell=bash
# SPDX-License-Identifier: MIT
#
# Shared helpers for the integration tests in this directory. A test script
# sources this file, calls hl_init (which creates a private work directory and
# installs an EXIT trap), starts whatever servers it needs with start_influx,
# start_carbon or start_http_sink on free loopback ports, writes a collectd
# config with gen_collectd_conf, runs collectd (run_collectd_bg for the daemon,
# run_collectd_test for a one-shot "-T" run), polls with wait_for and reports
# every check through pass/fail. Every process started here is tracked by PID
# and killed by the trap; the work directory is removed at exit unless the
# test failed and HL_KEEP=1. Inputs: HL_BUILDDIR (plugins in
# $HL_BUILDDIR/plugins/.libs) and HL_SRCDIR (types in
# $HL_SRCDIR/types.db.d/homelab.db). When the runner sets HL_RESULTS, each
# PASS/FAIL is also appended there so it can print the overall summary.

HL_LIBDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HL_SRCDIR=${HL_SRCDIR:-$(cd "$HL_LIBDIR/../.." && pwd)}
HL_BUILDDIR=${HL_BUILDDIR:-$HL_SRCDIR}
HL_PYTHON=${HL_PYTHON:-python3}
HL_COLLECTD=${HL_COLLECTD:-/usr/sbin/collectd}
HL_STOCK_PLUGINDIR=${HL_STOCK_PLUGINDIR:-/usr/lib/collectd}
HL_STOCK_TYPESDB=${HL_STOCK_TYPESDB:-/usr/share/collectd/types.db}
HL_PLUGINDIR="$HL_BUILDDIR/plugins/.libs"
HL_TYPESDB="$HL_SRCDIR/types.db.d/homelab.db"
HL_HOSTNAME=hltest

HL_PASSED=0
HL_FAILED=0
HL_PIDS=()
HL_LOGS=()
HL_WORK=""
HL_TEST_NAME=""

# --- results -------------------------------------------------------------------

# pass WHAT: record and print a passed check.
pass() {
  HL_PASSED=$((HL_PASSED + 1))
  printf 'PASS: %s\n' "$1"
  if [[ -n "${HL_RESULTS:-}" ]]; then
    printf 'PASS\n' >>"$HL_RESULTS"
  fi
}

# fail WHAT REASON: record and print a failed check.
fail() {
  HL_FAILED=$((HL_FAILED + 1))
  printf 'FAIL: %s (%s)\n' "$1" "$2"
  if [[ -n "${HL_RESULTS:-}" ]]; then
    printf 'FAIL\n' >>"$HL_RESULTS"
  fi
}

# check WHAT REASON CMD...: pass if CMD succeeds, else fail with REASON.
check() {
  local what=$1 reason=$2
  shift 2
  if "$@"; then
    pass "$what"
  else
    fail "$what" "$reason"
  fi
}

# note MSG: informational line (not counted).
note() {
  printf '  .. %s\n' "$*"
}

# add_log NAME FILE: dump the tail of FILE if the test fails.
add_log() {
  HL_LOGS+=("$1=$2")
}

dump_logs() {
  local entry name file
  for entry in "${HL_LOGS[@]}"; do
    name=${entry%%=*}
    file=${entry#*=}
    [[ -s "$file" ]] || continue
    printf -- '----- %s: tail of %s -----\n' "$name" "$file"
    tail -n "${HL_LOG_LINES:-25}" "$file" | sed 's/^/  | /'
  done
}

# --- lifecycle -----------------------------------------------------------------

# hl_init NAME: create the work dir, install traps, check the basics.
hl_init() {
  HL_TEST_NAME=$1
  local parent=${HL_WORKROOT:-${TMPDIR:-/tmp}}
  HL_WORK=$(mktemp -d "$parent/$HL_TEST_NAME.XXXXXX") || {
    echo "cannot create work dir under $parent" >&2
    exit 2
  }
  # exec (NotificationExec as nobody) needs to traverse the work dir.
  chmod 755 "$HL_WORK"
  trap hl_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  printf '=== %s\n' "$HL_TEST_NAME"
}

# track_pid PID [GRACE]: stop PID at exit, allowing it GRACE seconds
# (default 5) after SIGTERM.
track_pid() {
  HL_PIDS+=("$1:${2:-5}")
}

# stop_pid PID [GRACE]: SIGTERM and wait up to GRACE s (default 5); then a
# second SIGTERM (influxd 1.6 only does its "hard shutdown" on the second
# signal: with the collectd listener a clean shutdown hangs for 30 s,
# influxdata/influxdb#8780) and 2 s more; then SIGKILL. Returns the exit
# status if PID is our child, else 0.
stop_pid() {
  local pid=$1 grace=${2:-5} rc=0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    if ! wait_for "$grace" proc_gone "$pid"; then
      kill -TERM "$pid" 2>/dev/null
      if ! wait_for 2 proc_gone "$pid"; then
        kill -KILL "$pid" 2>/dev/null
        wait_for 2 proc_gone "$pid" || true
      fi
    fi
  fi
  wait "$pid" 2>/dev/null || rc=$?
  # a PID that is not our child reports 127: not an error here
  [[ $rc -eq 127 ]] && rc=0
  return "$rc"
}

proc_gone() {
  ! kill -0 "$1" 2>/dev/null
}

hl_cleanup() {
  local rc=$? entry
  trap - EXIT INT TERM
  for entry in "${HL_PIDS[@]}"; do
    stop_pid "${entry%%:*}" "${entry#*:}" >/dev/null 2>&1 || true
  done
  if [[ $HL_FAILED -gt 0 || $rc -ne 0 ]]; then
    dump_logs
  fi
  if [[ -n "$HL_WORK" && -d "$HL_WORK" ]]; then
    if [[ "${HL_KEEP:-0}" == 1 && ($HL_FAILED -gt 0 || $rc -ne 0) ]]; then
      printf '  .. kept work dir %s\n' "$HL_WORK"
    else
      rm -rf "$HL_WORK"
    fi
  fi
  printf -- '--- %s: %d passed, %d failed\n' "$HL_TEST_NAME" "$HL_PASSED" "$HL_FAILED"
  if [[ $rc -eq 0 && $HL_FAILED -gt 0 ]]; then
    rc=1
  fi
  exit "$rc"
}

# --- polling and ports ---------------------------------------------------------

# wait_for TIMEOUT CMD...: run CMD every 0.1 s until it succeeds (return 0)
# or TIMEOUT seconds (may be fractional) have passed (return 1).
wait_for() {
  local timeout=$1
  shift
  local start limit now
  start=${EPOCHREALTIME/./}
  limit=$(usec "$timeout")
  while true; do
    if "$@"; then
      return 0
    fi
    now=${EPOCHREALTIME/./}
    if ((now - start >= limit)); then
      return 1
    fi
    sleep 0.1
  done
}

# usec SECONDS: "1.5" -> 1500000 (helper for wait_for).
usec() {
  local s=$1 int frac
  int=${s%%.*}
  if [[ "$s" == *.* ]]; then
    frac=${s#*.}000000
    frac=${frac:0:6}
  else
    frac=000000
  fi
  echo $((10#${int:-0} * 1000000 + 10#$frac))
}

# free_port [tcp|udp] [COUNT]: print COUNT (default 1) distinct free loopback
# ports, one per line. All sockets are held until all are chosen, so one call
# never returns the same port twice.
free_port() {
  local proto=${1:-tcp} count=${2:-1}
  "$HL_PYTHON" - "$proto" "$count" <<'EOF'
import socket, sys
kind = socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM
socks = []
for _ in range(int(sys.argv[2])):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
for s in socks:
    print(s.getsockname()[1])
    s.close()
EOF
}

# tcp_open PORT: succeeds when something accepts TCP connections on PORT.
tcp_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# --- servers -------------------------------------------------------------------

# typesdb_dir: a directory with links to the stock types.db and homelab.db
# (InfluxDB's typesdb is one path; a directory loads every file in it).
typesdb_dir() {
  local dir="$HL_WORK/typesdb"
  if [[ ! -d "$dir" ]]; then
    mkdir -p "$dir"
    ln -s "$HL_STOCK_TYPESDB" "$dir/types.db"
    if [[ -f "$HL_TYPESDB" ]]; then
      ln -s "$HL_TYPESDB" "$dir/homelab.db"
    fi
  fi
  printf '%s\n' "$dir"
}

# start_influx: private influxd on loopback. Sets INFLUX_HTTP_PORT,
# INFLUX_COLLECTD_PORT (UDP, [[collectd]] listener, database "collectd",
# parse-multivalue-plugin split), INFLUX_PID, INFLUX_LOG. Returns 1 if it
# does not answer /ping within 15 s.
start_influx() {
  local dir="$HL_WORK/influx" types ports
  mkdir -p "$dir"
  types=$(typesdb_dir)
  mapfile -t ports < <(free_port tcp 2)
  INFLUX_HTTP_PORT=${ports[0]}
  INFLUX_RPC_PORT=${ports[1]}
  INFLUX_COLLECTD_PORT=$(free_port udp)
  INFLUX_LOG="$dir/influxd.log"
  cat >"$dir/influxdb.conf" <<EOF
reporting-enabled = false
bind-address = "127.0.0.1:$INFLUX_RPC_PORT"
[meta]
  dir = "$dir/meta"
[data]
  dir = "$dir/data"
  wal-dir = "$dir/wal"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:$INFLUX_HTTP_PORT"
  log-enabled = false
[logging]
  level = "warn"
  suppress-logo = true
[[collectd]]
  enabled = true
  bind-address = "127.0.0.1:$INFLUX_COLLECTD_PORT"
  database = "collectd"
  typesdb = "$types"
  batch-size = 100
  batch-timeout = "200ms"
  security-level = "none"
  parse-multivalue-plugin = "split"
EOF
  add_log influxd "$INFLUX_LOG"
  influxd -config "$dir/influxdb.conf" >"$INFLUX_LOG" 2>&1 &
  INFLUX_PID=$!
  track_pid "$INFLUX_PID" 1
  wait_for 15 influx_ping
}

influx_ping() {
  curl -sf -o /dev/null "http://127.0.0.1:$INFLUX_HTTP_PORT/ping"
}

# influx_query DB QUERY: print the JSON answer of InfluxDB's /query.
influx_query() {
  curl -sf -G "http://127.0.0.1:$INFLUX_HTTP_PORT/query" \
    --data-urlencode "db=$1" --data-urlencode "q=$2"
}

# start_carbon: private carbon-cache (1s:1h retention, no tags, no privilege
# drop). Sets CARBON_LINE_PORT, CARBON_WHISPER (the whisper root), CARBON_PID,
# CARBON_LOG. Returns 1 if the line receiver is not open within 15 s.
start_carbon() {
  local dir="$HL_WORK/carbon" ports
  mkdir -p "$dir/conf" "$dir/whisper" "$dir/log"
  mapfile -t ports < <(free_port tcp 3)
  CARBON_LINE_PORT=${ports[0]}
  # shellcheck disable=SC2034 # for the test scripts
  CARBON_WHISPER="$dir/whisper"
  CARBON_LOG="$dir/carbon.out"
  cat >"$dir/conf/carbon.conf" <<EOF
[cache]
STORAGE_DIR = $dir/
LOCAL_DATA_DIR = $dir/whisper/
CONF_DIR = $dir/conf/
LOG_DIR = $dir/log/
PID_DIR = $dir/
USER =
MAX_CACHE_SIZE = inf
MAX_UPDATES_PER_SECOND = inf
MAX_CREATES_PER_MINUTE = inf
LINE_RECEIVER_INTERFACE = 127.0.0.1
LINE_RECEIVER_PORT = ${ports[0]}
PICKLE_RECEIVER_INTERFACE = 127.0.0.1
PICKLE_RECEIVER_PORT = ${ports[1]}
CACHE_QUERY_INTERFACE = 127.0.0.1
CACHE_QUERY_PORT = ${ports[2]}
ENABLE_UDP_LISTENER = False
LOG_CREATES = True
WHISPER_AUTOFLUSH = True
ENABLE_TAGS = False
EOF
  cat >"$dir/conf/storage-schemas.conf" <<'EOF'
[default]
pattern = .*
retentions = 1s:1h
EOF
  add_log carbon "$CARBON_LOG"
  carbon-cache --config="$dir/conf/carbon.conf" --nodaemon \
    --pidfile="$dir/carbon.pid" start >"$CARBON_LOG" 2>&1 &
  CARBON_PID=$!
  track_pid "$CARBON_PID"
  wait_for 15 tcp_open "$CARBON_LINE_PORT"
}

# start_http_sink: tests/integration/http_sink.py on a free port; every POST
# becomes one line "<path> <body>" in $HTTP_SINK_OUT. Sets HTTP_SINK_PORT,
# HTTP_SINK_OUT, HTTP_SINK_PID.
start_http_sink() {
  local dir="$HL_WORK/sink"
  mkdir -p "$dir"
  HTTP_SINK_PORT=$(free_port tcp)
  HTTP_SINK_OUT="$dir/posts.txt"
  add_log http_sink "$dir/sink.log"
  "$HL_PYTHON" "$HL_LIBDIR/http_sink.py" "$HTTP_SINK_PORT" "$HTTP_SINK_OUT" \
    "$dir/ready" >"$dir/sink.log" 2>&1 &
  HTTP_SINK_PID=$!
  track_pid "$HTTP_SINK_PID"
  wait_for 10 test -e "$dir/ready"
}

# --- collectd ------------------------------------------------------------------

# homelab_plugins: names of the built plugins (homelab_*.so), one per line.
homelab_plugins() {
  local so
  for so in "$HL_PLUGINDIR"/homelab_*.so; do
    [[ -e "$so" ]] || continue
    so=${so##*/}
    printf '%s\n' "${so%.so}"
  done
}

# have_plugin NAME: the plugin was built.
have_plugin() {
  [[ -f "$HL_PLUGINDIR/$1.so" ]]
}

# gen_collectd_conf FILE STOCK HOMELAB: write a collectd config to FILE.
# STOCK is config text loaded with PluginDir /usr/lib/collectd (LoadPlugin
# lines and blocks of stock plugins), HOMELAB is loaded after PluginDir is
# switched to the build dir. The log goes to "<FILE without .conf>.log",
# which is also registered for dumping on failure.
gen_collectd_conf() {
  local file=$1 stock=$2 homelab=$3
  local base="${file%.conf}" types
  mkdir -p "$base.base"
  types="\"$HL_STOCK_TYPESDB\""
  if [[ -f "$HL_TYPESDB" ]]; then
    types+=" \"$HL_TYPESDB\""
  fi
  cat >"$file" <<EOF
# generated by tests/integration/lib.sh
Hostname "$HL_HOSTNAME"
FQDNLookup false
BaseDir "$base.base"
PIDFile "$base.base/collectd.pid"
Interval 1
AutoLoadPlugin false
TypesDB $types

PluginDir "$HL_STOCK_PLUGINDIR"
LoadPlugin logfile
<Plugin logfile>
  LogLevel info
  File "$base.log"
  Timestamp true
  PrintSeverity true
</Plugin>
$stock

PluginDir "$HL_PLUGINDIR"
$homelab
EOF
  : >"$base.log"
  add_log "collectd ${file##*/}" "$base.log"
}

# collectd_log FILE: the log file gen_collectd_conf chose for config FILE.
collectd_log() {
  printf '%s.log\n' "${1%.conf}"
}

# run_collectd_test CONF: one-shot "collectd -T" (config, init, one read,
# shutdown). stdout+stderr go to "<CONF without .conf>.out". Prints nothing;
# the exit status is collectd's (124 if it hung for 30 s).
run_collectd_test() {
  local conf=$1 out="${1%.conf}.out" rc=0
  add_log "collectd -T ${conf##*/} stdout/stderr" "$out"
  timeout 30 "$HL_COLLECTD" -C "$conf" -T >"$out" 2>&1 || rc=$?
  return "$rc"
}

# run_collectd_bg CONF: collectd in the foreground mode (-f) as a background
# job. Sets COLLECTD_PID (tracked) and returns 1 if it died within 0.3 s.
run_collectd_bg() {
  local conf=$1 out="${1%.conf}.out"
  add_log "collectd ${conf##*/} stdout/stderr" "$out"
  "$HL_COLLECTD" -C "$conf" -f >"$out" 2>&1 &
  COLLECTD_PID=$!
  track_pid "$COLLECTD_PID"
  sleep 0.3
  kill -0 "$COLLECTD_PID" 2>/dev/null
}

# stop_collectd: SIGTERM the daemon started by run_collectd_bg and return its
# exit status.
stop_collectd() {
  stop_pid "$COLLECTD_PID" 5
}

# check_collectd_log CONF: one check that the daemon's log for CONF has no
# "Dataset not found" (type missing from the types files) and no [error].
check_collectd_log() {
  local log bad
  log=$(collectd_log "$1")
  bad=$(grep -hE -m1 'Dataset not found|\[error\]' "$log" "${1%.conf}.out")
  if [[ -n "$bad" ]]; then
    fail "collectd log has no 'Dataset not found' and no error" "$bad"
  else
    pass "collectd log has no 'Dataset not found' and no error"
  fi
}

# require_homelab_host: fail (and return 1) if homelab_host.so is missing.
require_homelab_host() {
  if have_plugin homelab_host; then
    return 0
  fi
  fail "homelab_host plugin built" "no $HL_PLUGINDIR/homelab_host.so; run make first"
  return 1
}

# --- checks printed by helper scripts ------------------------------------------

# check_lines CMD...: run CMD, which prints one line per check, "ok <what>"
# or "bad <what>: <reason>" (check_values.py, ports_check.py), and record
# each as a pass or fail. Other lines are shown as notes. A CMD that prints
# no check line at all counts as one failure.
check_lines() {
  local out line what n=0 rc=0
  out=$("$@" 2>&1) || rc=$?
  while IFS= read -r line; do
    case $line in
    "ok "*)
      pass "${line#ok }"
      n=$((n + 1))
      ;;
    "bad "*)
      what=${line#bad }
      fail "${what%%: *}" "${what#*: }"
      n=$((n + 1))
      ;;
    "") ;;
    *) note "$line" ;;
    esac
  done <<<"$out"
  if [[ $n -eq 0 ]]; then
    fail "${1##*/} ${2##*/} ${3:-}" "printed no check result (exit status $rc)"
  fi
}
