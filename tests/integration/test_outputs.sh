#!/bin/bash
# SPDX-License-Identifier: MIT
#
# The output examples of examples/outputs/ against the real programs they
# are written for. One collectd (Interval 1) loads, as they are shipped
# except for the lines marked "# adjust" and FlushInterval 10 -> 1,
# network_influxdb.conf, write_graphite.conf, write_http.conf,
# write_prometheus.conf, notify_exec.conf and notify_email.conf, plus
# homelab_host (WarningDiskPercent 1: a WARNING notification at the first
# read) and homelab_ports (Port rule on a listening socket: a homelab.db
# type). Its counterparts:
# - influxd 1.6 with the [[collectd]] section of influxdb.conf (bind-address
#   and typesdb adjusted; typesdb is a directory with symlinks to types.db
#   and homelab.db, as the example says): it must log "Loading types from
#   file" for both, then hold homelab_host_value df-root percent_bytes (the
#   query in network_influxdb.conf) and homelab_ports_value
#   homelab_listening (a homelab.db type), and never log "unable to find";
# - carbon-cache (lib.sh's start_carbon): the whisper file of
#   homelab_host-df-root.percent_bytes-used appears; storage-schemas.conf is
#   loaded with carbon's own loader (carbon.storage), every section is
#   valid for whisper, a collectd.* path gets [collectd_homelab] and its
#   first retention step equals the Interval of collectd.conf.example;
# - Prometheus' view: curl /metrics answers text/plain; version=0.0.4 and
#   has the sample lines documented in write_prometheus.conf (host hltest);
# - http_sink.py: POSTs to /collectd/values with the df-root value and to
#   /collectd/notifications with the WARNING (alertname
#   collectd_homelab_host_percent_bytes);
# - examples/outputs/collectd-notify.sh, run by exec as nobody with --log
#   and --ntfy (the sink): one log line "... WARNING hltest
#   homelab_host-df-root/percent_bytes-used: Host hltest: disk / is ..." and
#   one POST of the message to the ntfy URL;
# - smtp_sink.py: notify_email's mail, Subject "[collectd] WARNING on
#   hltest", the disk message in its body, to the example's Recipient.
# Then the daemon's log must be clean (no "Dataset not found", no error but
# write_prometheus' known MHD_OPTION_EXTERNAL_LOGGER line) and it must exit
# 0. Polls up to 15 s; about 8 s.
set -u
set -o pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

hl_init test_outputs
require_homelab_host || exit 1
if ! have_plugin homelab_ports; then
  fail "homelab_ports plugin built" "no $HL_PLUGINDIR/homelab_ports.so; run make first"
  exit 1
fi

EX="$HL_SRCDIR/examples/outputs"
SYS_PYTHON=/usr/bin/python3 # carbon's and whisper's python (Debian packages)

# --- InfluxDB with the example's [[collectd]] section ---------------------------

influx_dir="$HL_WORK/influx"
mkdir -p "$influx_dir"
mapfile -t ports < <(free_port tcp 2)
INFLUX_HTTP_PORT=${ports[0]}
INFLUX_COLLECTD_PORT=$(free_port udp)
INFLUX_LOG="$influx_dir/influxd.log"
types=$(typesdb_dir)
{
  cat <<EOF
reporting-enabled = false
bind-address = "127.0.0.1:${ports[1]}"
[meta]
  dir = "$influx_dir/meta"
[data]
  dir = "$influx_dir/data"
  wal-dir = "$influx_dir/wal"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:$INFLUX_HTTP_PORT"
  log-enabled = false
[logging]
  level = "info"
  suppress-logo = true
EOF
  sed -E -e "/# adjust/ s|^([[:space:]]*bind-address = )\"[^\"]*\"|\1\"127.0.0.1:$INFLUX_COLLECTD_PORT\"|" \
    -e "/# adjust/ s|^([[:space:]]*typesdb = )\"[^\"]*\"|\1\"$types\"|" "$EX/influxdb.conf"
} >"$influx_dir/influxdb.conf"
add_log influxd "$INFLUX_LOG"
influxd -config "$influx_dir/influxdb.conf" >"$INFLUX_LOG" 2>&1 &
track_pid "$!" 1
if wait_for 15 influx_ping; then
  pass "influxd runs with the [[collectd]] section of influxdb.conf (UDP $INFLUX_COLLECTD_PORT)"
else
  fail "influxd runs with influxdb.conf's [[collectd]] section" "no /ping answer within 15 s"
  exit 1
fi
for f in types.db homelab.db; do
  check "influxd loads $f from the typesdb directory" "no 'Loading types from file' for $f" \
    wait_for 5 grep -qE "Loading types from file.*path=$types/$f" "$INFLUX_LOG"
done

# --- carbon, sinks ----------------------------------------------------------------

if start_carbon; then
  pass "carbon-cache accepts connections (line port $CARBON_LINE_PORT)"
else
  fail "carbon-cache starts" "line receiver not open within 15 s"
fi
if start_http_sink; then
  pass "http sink listens (port $HTTP_SINK_PORT)"
else
  fail "http sink starts" "not ready within 10 s"
fi
SMTP_PORT=$(free_port tcp)
SMTP_OUT="$HL_WORK/smtp/mails.jsonl"
mkdir -p "$HL_WORK/smtp"
add_log smtp_sink "$HL_WORK/smtp/sink.log"
"$HL_PYTHON" "$HL_LIBDIR/smtp_sink.py" "$SMTP_PORT" "$SMTP_OUT" "$HL_WORK/smtp/ready" \
  >"$HL_WORK/smtp/sink.log" 2>&1 &
track_pid "$!"
check "smtp sink listens (port $SMTP_PORT)" "not ready within 10 s" \
  wait_for 10 test -e "$HL_WORK/smtp/ready"

# the notification program, where nobody can run it, and its log dir
NOTIFY="$HL_WORK/collectd-notify"
install -m 755 "$EX/collectd-notify.sh" "$NOTIFY"
mkdir -p "$HL_WORK/notify"
chmod 777 "$HL_WORK/notify"
NOTIFY_LOG="$HL_WORK/notify/notifications.log"
exec_user="nobody:nogroup"
[[ $EUID -eq 0 ]] || exec_user=$(id -un)

# --- collectd with the examples -----------------------------------------------------

PROM_PORT=$(free_port tcp)

# adapt FILE: the example with its "# adjust" lines pointed here
adapt() {
  sed -E \
    -e "s|^([[:space:]]*FlushInterval) 10$|\1 1|" \
    -e "/# adjust/ s|^([[:space:]]*Server )\"[^\"]*\" \"[0-9]+\"|\1\"127.0.0.1\" \"$INFLUX_COLLECTD_PORT\"|" \
    -e "/# adjust/ s|^([[:space:]]*Host )\"[^\"]*\"|\1\"127.0.0.1\"|" \
    -e "/# adjust/ s|^([[:space:]]*Port )\"2003\"|\1\"${CARBON_LINE_PORT:-9}\"|" \
    -e "/# adjust/ s|^([[:space:]]*Port )\"9103\"|\1\"$PROM_PORT\"|" \
    -e "s|^[[:space:]]*#Host \"[^\"]*\"|  Host \"127.0.0.1\"|" \
    -e "/# adjust/ s|^([[:space:]]*URL )\"https?://[^/\"]*|\1\"http://127.0.0.1:${HTTP_SINK_PORT:-9}|" \
    -e "/# adjust/ s|^([[:space:]]*NotificationExec )\"[^\"]*\" \"[^\"]*\" \"--log\" \"[^\"]*\"|\1\"$exec_user\" \"$NOTIFY\" \"--log\" \"$NOTIFY_LOG\" \"--ntfy\" \"http://127.0.0.1:${HTTP_SINK_PORT:-9}/homelab-alerts\"|" \
    -e "/# adjust/ s|^([[:space:]]*SMTPServer )\"[^\"]*\"|\1\"127.0.0.1\"|" \
    -e "/# adjust/ s|^([[:space:]]*SMTPPort )[0-9]+|\1$SMTP_PORT|" \
    "$1"
}

stock=""
for f in network_influxdb write_graphite write_http write_prometheus notify_exec notify_email; do
  stock+="# --- examples/outputs/$f.conf"$'\n'"$(adapt "$EX/$f.conf")"$'\n'
done
# a socket for the Port rule: homelab_listening is a homelab.db type
WATCHED=$(free_port tcp)
"$HL_PYTHON" "$HL_LIBDIR/listeners.py" --out "$HL_WORK/listeners.json" \
  "tcp/127.0.0.1/$WATCHED" >"$HL_WORK/listeners.log" 2>&1 &
track_pid "$!" 2
wait_for 10 test -s "$HL_WORK/listeners.json" || true
gen_collectd_conf "$HL_WORK/collectd.conf" "$stock" "$(
  cat <<EOF
LoadPlugin homelab_host
<Plugin homelab_host>
  WarningDiskPercent 1
  FailureDiskPercent 99.9
</Plugin>
LoadPlugin homelab_ports
<Plugin homelab_ports>
  Port "tcp" $WATCHED
  CheckEphemeral false
</Plugin>
EOF
)"
LOG=$(collectd_log "$HL_WORK/collectd.conf")

if run_collectd_bg "$HL_WORK/collectd.conf"; then
  pass "collectd runs with the six output examples"
else
  fail "collectd runs with the output examples" "exited right after start"
  exit 1
fi

# --- InfluxDB ---------------------------------------------------------------------

# influx_last MEASUREMENT WHERE: the newest value (nothing if none yet)
influx_last() {
  influx_query collectd "SELECT last(value) FROM \"$1\" WHERE $2" 2>/dev/null |
    "$HL_PYTHON" -c '
import json, sys
try:
    doc = json.load(sys.stdin)
except ValueError:
    sys.exit(0)
for res in doc.get("results", []):
    for s in res.get("series", []) or []:
        for row in s.get("values", []):
            print(row[1])
'
}
disk_where="host = 'hltest' AND instance = 'df-root' AND type = 'percent_bytes'"
listen_where="host = 'hltest' AND instance = 'tcp-$WATCHED' AND type = 'homelab_listening'"
influx_has() {
  [[ -n "$(influx_last homelab_host_value "$disk_where")" &&
    -n "$(influx_last homelab_ports_value "$listen_where")" ]]
}
wait_for 15 influx_has || true
v=$(influx_last homelab_host_value "$disk_where")
check "InfluxDB answers network_influxdb.conf's query (df-root percent_bytes = ${v:-none})" \
  "no point after 15 s" test -n "$v"
v=$(influx_last homelab_ports_value "$listen_where")
check "InfluxDB has homelab_ports tcp-$WATCHED homelab_listening (a homelab.db type) = ${v:-none}" \
  "expected 1" test "${v:-x}" = 1

# --- carbon -----------------------------------------------------------------------

wsp="${CARBON_WHISPER:-/nonexistent}/collectd/hltest/homelab_host-df-root/percent_bytes-used.wsp"
check "carbon has the whisper file collectd/hltest/homelab_host-df-root/percent_bytes-used.wsp" \
  "not created within 15 s" wait_for 15 test -e "$wsp"

# storage-schemas.conf, read by carbon's own loader; the first retention of
# the section for collectd.* must be collectd.conf.example's Interval
interval=$(awk '$1 == "Interval" { print $2; exit }' "$HL_SRCDIR/collectd.conf.example")
if [[ -x $SYS_PYTHON ]] && "$SYS_PYTHON" -c 'import carbon, whisper' 2>/dev/null; then
  check_lines "$SYS_PYTHON" - "$EX/storage-schemas.conf" "$interval" <<'EOF'
import sys
from carbon.conf import settings
settings["CONF_DIR"] = "/nonexistent"
import carbon.storage as storage
import whisper
storage.STORAGE_SCHEMAS_CONFIG = sys.argv[1]
interval = int(sys.argv[2])
schemas = storage.loadStorageSchemas()
named = [s for s in schemas if getattr(s, "pattern", None)]
print(("ok" if len(named) >= 2 else "bad") +
      f" carbon loads storage-schemas.conf: {len(named)} pattern sections: {[s.name for s in named]}")
for s in named:
    try:
        whisper.validateArchiveList([a.getTuple() for a in s.archives])
        print(f"ok [{s.name}] retentions are valid for whisper")
    except whisper.InvalidConfiguration as e:
        print(f"bad [{s.name}] retentions are valid for whisper: {e}")
metric = "collectd.hltest.homelab_host-df-root.percent_bytes-used"
first = next(s for s in schemas if s.matches(metric))
step = first.archives[0].secondsPerPoint
print(("ok" if first.name == "collectd_homelab" else "bad") +
      f" {metric} gets [collectd_homelab]" + ("" if first.name == "collectd_homelab" else f": got [{first.name}]"))
print(("ok" if step == interval else "bad") +
      f" its first retention step is collectd.conf.example's Interval ({interval} s)" +
      ("" if step == interval else f": {step} s"))
EOF
else
  fail "carbon's python modules" "$SYS_PYTHON cannot import carbon and whisper"
fi

# --- Prometheus ---------------------------------------------------------------------

metrics="$HL_WORK/metrics.txt"
headers="$HL_WORK/metrics.headers"
scrape() {
  curl -sf -D "$headers" -o "$metrics" "http://127.0.0.1:$PROM_PORT/metrics" &&
    grep -q '^collectd_homelab_host_percent{homelab_host="cpu",type="active",instance="hltest"} ' "$metrics"
}
wait_for 15 scrape || true
check "write_prometheus answers /metrics with text/plain; version=0.0.4" \
  "$(head -n 1 "$headers" 2>/dev/null)" grep -qi '^Content-Type: text/plain; version=0.0.4' "$headers"
for sample in \
  'collectd_homelab_host_percent_bytes{homelab_host="df-root",type="used",instance="hltest"}' \
  'collectd_homelab_host_load_shortterm{instance="hltest"}' \
  'collectd_homelab_host_percent{homelab_host="cpu",type="active",instance="hltest"}' \
  "collectd_homelab_ports_homelab_listening{homelab_ports=\"tcp-$WATCHED\",instance=\"hltest\"}"; do
  check "/metrics has $sample" "not in the scrape" grep -qF "$sample " "$metrics"
done
n=$(grep -c '^collectd_homelab_host_' "$metrics")
check "/metrics has homelab_host metrics ($n samples)" "none" test "$n" -ge 20

# --- write_http, exec, notify_email ------------------------------------------------------

post_has() {
  grep -q "^$1 .*$2" "$HTTP_SINK_OUT" 2>/dev/null
}
check "write_http POSTs values to /collectd/values (df-root percent_bytes)" "no such POST within 15 s" \
  wait_for 15 post_has /collectd/values '"plugin":"homelab_host","plugin_instance":"df-root","type":"percent_bytes"'
check "write_http POSTs the WARNING to /collectd/notifications" "no such POST within 10 s" \
  wait_for 10 post_has /collectd/notifications '"alertname":"collectd_homelab_host_percent_bytes".*"severity":"WARNING"'
check "collectd-notify.sh (exec, as $exec_user) logs the WARNING line" \
  "no matching line in $NOTIFY_LOG within 10 s" wait_for 10 grep -qE \
  '^[0-9T:+-]+ WARNING hltest homelab_host-df-root/percent_bytes-used: Host hltest: disk / is .*% used' \
  "$NOTIFY_LOG"
check "collectd-notify.sh posts the message to the ntfy URL" "no POST to /homelab-alerts within 10 s" \
  wait_for 10 post_has /homelab-alerts 'Host hltest: disk / is'
mail_has() {
  "$HL_PYTHON" - "$SMTP_OUT" <<'EOF'
import json, sys
try:
    mails = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
except OSError:
    sys.exit(1)
for m in mails:
    d = m["data"]
    if ("Subject: [collectd] WARNING on hltest" in d and "Host hltest: disk / is" in d
            and any("admin@example.org" in r for r in m["to"])):
        sys.exit(0)
sys.exit(1)
EOF
}
check "notify_email mails the WARNING (Subject '[collectd] WARNING on hltest', to admin@example.org)" \
  "no such mail within 10 s" wait_for 10 mail_has

# --- clean log, clean exit ----------------------------------------------------------

if grep -q 'unable to find' "$INFLUX_LOG"; then
  fail "influxd knows every type" "$(grep -m1 'unable to find' "$INFLUX_LOG")"
else
  pass "influxd knows every type (no 'unable to find ... in TypesDB')"
fi
bad=$(grep -hE 'Dataset not found|\[error\]' "$LOG" "$HL_WORK/collectd.out" |
  grep -v 'MHD_OPTION_EXTERNAL_LOGGER is not the first option' | head -n 1)
check "collectd log has no 'Dataset not found' and no error (but write_prometheus' MHD line)" \
  "$bad" test -z "$bad"
rc=0
stop_collectd || rc=$?
check "collectd exits 0 on SIGTERM" "exit status $rc" test "$rc" -eq 0
