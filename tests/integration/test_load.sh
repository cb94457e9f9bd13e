#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Load test: every built plugin ($HL_BUILDDIR/plugins/.libs/homelab_*.so) is
# loaded by the real daemon with "collectd -C <conf> -T" (config, init, one
# read, shutdown), first alone with an empty <Plugin> block, then all together,
# then every examples/homelab_*.conf, collectd.conf.example, every collectd
# fragment in examples/outputs/ (network_influxdb, write_graphite,
# write_http, write_prometheus, threshold, notify_email, notify_exec; each
# wrapped into a config that also loads homelab_host) and the complete
# configs examples/multisite/site.conf and central.conf. The example lines
# marked "# adjust" name hosts, ports and paths of the user's machine; they
# are pointed at this build and at local stand-ins first: Server/Listen at
# 127.0.0.1 and free UDP ports, write_graphite at a TCP socket that accepts
# (listeners.py), write_http URLs at http_sink.py, write_prometheus at a
# free port, AuthFile at examples/multisite/passwd, the threshold Include
# at examples/outputs/threshold.conf. Each run must exit 0 and its log must
# contain neither "Dataset not found" (a type missing from types.db /
# homelab.db) nor an error; the one known harmless error line of collectd
# 5.12 itself (write_prometheus: "MHD_OPTION_EXTERNAL_LOGGER is not the
# first option") is allowed. Files in examples/outputs/ that are not
# collectd configs (influxdb.conf, storage-schemas.conf) are checked by
# test_outputs.sh. Finally, bad configs (an unknown option, an out of range
# percentage) must make -T fail with exit status 1 (not a signal or a hang)
# and a log line that names the offending option.
set -u
set -o pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

hl_init test_load

# a writer, so dispatched values go through the write path. (Whether they
# reach it is not checked here: -T stops the write threads right after the
# read and drops what is still queued, "N value lists were left after
# shutting down the write threads", often under CPU load.)
stock=$(printf 'LoadPlugin write_log\n<Plugin write_log>\n  Format Graphite\n</Plugin>\n')

# Known harmless error lines of collectd 5.12 itself (not of our plugins):
# write_prometheus passes its libmicrohttpd options in an order MHD
# complains about at start-up; it listens and serves all the same.
allowed_errors='MHD_OPTION_EXTERNAL_LOGGER is not the first option'

# bad_lines CONF: "Dataset not found" and error lines of the log and output.
bad_lines() {
  local log out
  log=$(collectd_log "$1")
  out="${1%.conf}.out"
  grep -hE 'Dataset not found|\[error\]|ERROR' "$log" "$out" 2>/dev/null |
    grep -vE "$allowed_errors"
}

# log_clean CONF: no "Dataset not found" and no error in the log or output.
log_clean() {
  [[ -z "$(bad_lines "$1")" ]]
}

# first_bad_line CONF: the first offending line, for the failure reason.
first_bad_line() {
  bad_lines "$1" | head -n1
}

# expect_loads WHAT CONF: -T exits 0 with a clean log.
expect_loads() {
  local what=$1 conf=$2 rc=0
  run_collectd_test "$conf" || rc=$?
  if [[ $rc -ne 0 ]]; then
    fail "$what" "collectd -T exited with $rc: $(first_bad_line "$conf")"
  elif ! log_clean "$conf"; then
    fail "$what" "log: $(first_bad_line "$conf")"
  else
    pass "$what"
    grep -h '\[warning\]' "$(collectd_log "$conf")" | sed 's/^/  .. /' || true
  fi
}

# expect_rejected WHAT OPTION CONF: -T exits 1 and names OPTION in the log.
expect_rejected() {
  local what=$1 option=$2 conf=$3 rc=0
  run_collectd_test "$conf" || rc=$?
  if [[ $rc -eq 0 ]]; then
    fail "$what" "collectd -T accepted the config (exit 0)"
  elif [[ $rc -ne 1 ]]; then
    fail "$what" "collectd -T exited with $rc (expected 1; >128 is a signal, 124 a hang)"
  elif ! grep -qF "$option" "$(collectd_log "$conf")" "${conf%.conf}.out"; then
    fail "$what" "exit 1 but no log line names \"$option\""
  else
    pass "$what"
  fi
}

if [[ -f "$HL_TYPESDB" ]]; then
  pass "types file $HL_TYPESDB exists"
else
  fail "types file exists" "missing $HL_TYPESDB"
fi

mapfile -t plugins < <(homelab_plugins)
if [[ ${#plugins[@]} -eq 0 ]]; then
  fail "built plugins found" "no homelab_*.so in $HL_PLUGINDIR"
  exit 1
fi
note "plugins: ${plugins[*]}"
require_homelab_host || true

# 1. every plugin alone, default (empty) config
all=""
for p in "${plugins[@]}"; do
  block=$(printf 'LoadPlugin %s\n<Plugin %s>\n</Plugin>\n' "$p" "$p")
  all+="$block"$'\n'
  gen_collectd_conf "$HL_WORK/load_$p.conf" "$stock" "$block"
  expect_loads "$p loads with collectd -T (default config)" "$HL_WORK/load_$p.conf"
done

# 2. all plugins in one daemon
if [[ ${#plugins[@]} -gt 1 ]]; then
  gen_collectd_conf "$HL_WORK/load_all.conf" "$stock" "$all"
  expect_loads "all ${#plugins[@]} plugins load together" "$HL_WORK/load_all.conf"
fi

# 3. shipped examples
for ex in "$HL_SRCDIR"/examples/homelab_*.conf; do
  [[ -e "$ex" ]] || continue
  name=${ex##*/}
  name=${name%.conf}
  if ! have_plugin "$name"; then
    fail "example ${ex##*/} loads" "plugin $name.so was not built"
    continue
  fi
  body=$(cat "$ex")
  if ! grep -qE '^[[:space:]]*<?LoadPlugin' "$ex"; then
    body="LoadPlugin $name"$'\n'"$body"
  fi
  gen_collectd_conf "$HL_WORK/example_$name.conf" "$stock" "$body"
  expect_loads "example ${ex##*/} loads with collectd -T" "$HL_WORK/example_$name.conf"
done

# 3b. the top-level collectd.conf.example, with its two "adjust:" lines
# pointed at this build
if have_plugin homelab_host; then
  sed -E -e "/# adjust/ s|\"[^\"]*/homelab\.db\"|\"$HL_SRCDIR/types.db.d/homelab.db\"|" \
    -e "/# adjust/ s|^PluginDir \"[^\"]*\"|PluginDir \"$HL_BUILDDIR/plugins/.libs\"|" \
    "$HL_SRCDIR/collectd.conf.example" >"$HL_WORK/conf_example.conf"
  : >"$HL_WORK/conf_example.log" # it logs to stderr, kept in .out
  expect_loads "collectd.conf.example loads with collectd -T" "$HL_WORK/conf_example.conf"
fi

# 3c. output and multi-site examples. Stand-ins for their endpoints: a TCP
# socket that accepts (carbon's line receiver; -T flushes at shutdown, and
# a refused connection is an error), the HTTP sink (write_http), free ports.
adj_tcp=0
if start_http_sink; then
  pass "stand-in: http sink listens (port $HTTP_SINK_PORT)"
else
  fail "stand-in: http sink starts" "not ready within 10 s"
fi
add_log listeners "$HL_WORK/listeners.log"
"$HL_PYTHON" "$HL_LIBDIR/listeners.py" --out "$HL_WORK/listeners.json" \
  tcp/127.0.0.1 >"$HL_WORK/listeners.log" 2>&1 &
track_pid "$!" 2
if wait_for 10 test -s "$HL_WORK/listeners.json"; then
  adj_tcp=$("$HL_PYTHON" -c 'import json, sys
print(json.load(open(sys.argv[1]))["sockets"][0]["port"])' "$HL_WORK/listeners.json")
  pass "stand-in: TCP socket accepts (port $adj_tcp)"
else
  fail "stand-in: TCP socket" "listeners.py wrote no $HL_WORK/listeners.json"
fi
mapfile -t udp_ports < <(free_port udp 2)
mapfile -t tcp_ports < <(free_port tcp 2)
adj_udp=${udp_ports[0]}
adj_udp2=${udp_ports[1]}
adj_free=${tcp_ports[0]}
adj_smtp=${tcp_ports[1]}

# adapt_example FILE PORT: FILE with its "# adjust" lines pointed at this
# build and the stand-ins; PORT is what a Host/Port pair gets (a socket that
# accepts for a client, a free port for a server such as write_prometheus).
adapt_example() {
  local file=$1 port=$2
  sed -E \
    -e "/# adjust/ s|\"[^\"]*/homelab\.db\"|\"$HL_TYPESDB\"|" \
    -e "/# adjust/ s|^PluginDir \"[^\"]*\"|PluginDir \"$HL_PLUGINDIR\"|" \
    -e "/# adjust/ s|^([[:space:]]*<?Server )\"[^\"]*\" \"[0-9]+\"|\1\"127.0.0.1\" \"$adj_udp\"|" \
    -e "/# adjust/ s|^([[:space:]]*<Listen )\"[^\"]*\" \"[0-9]+\"|\1\"127.0.0.1\" \"$adj_udp2\"|" \
    -e "/# adjust/ s|^([[:space:]]*Host )\"[^\"]*\"|\1\"127.0.0.1\"|" \
    -e "/# adjust/ s|^([[:space:]]*Port )\"?[0-9]+\"?|\1\"$port\"|" \
    -e "/# adjust/ s|^([[:space:]]*URL )\"https?://[^/\"]*|\1\"http://127.0.0.1:${HTTP_SINK_PORT:-9}|" \
    -e "/# adjust/ s|^([[:space:]]*AuthFile )\"[^\"]*\"|\1\"$HL_SRCDIR/examples/multisite/passwd\"|" \
    -e "/# adjust/ s|^([[:space:]]*SMTPServer )\"[^\"]*\"|\1\"127.0.0.1\"|" \
    -e "/# adjust/ s|^([[:space:]]*SMTPPort )[0-9]+|\1$adj_smtp|" \
    -e "/# adjust/ s|^(Include )\"[^\"]*/threshold\.conf\"|\1\"$HL_SRCDIR/examples/outputs/threshold.conf\"|" \
    -e "/# adjust/ s|^([[:space:]]*NotificationExec \"[^\"]*\" )\"[^\"]*\" \"--log\" \"[^\"]*\"|\1\"$HL_SRCDIR/examples/outputs/collectd-notify.sh\" \"--log\" \"$HL_WORK/notify.log\"|" \
    "$file"
}

# a collectd config has LoadPlugin lines; the others are for other programs
is_collectd_conf() {
  grep -qE '^[[:space:]]*<?LoadPlugin' "$1"
}

# homelab_host with its built-in limits off: a full disk on the test
# machine must not make notifications (and notify_email mail) here
host_block=$(printf 'LoadPlugin homelab_host\n<Plugin homelab_host>\n  WarningDiskPercent 0\n  FailureDiskPercent 0\n</Plugin>\n')
others=()
for ex in "$HL_SRCDIR"/examples/outputs/*.conf; do
  [[ -e "$ex" ]] || continue
  name=${ex##*/}
  name=${name%.conf}
  if ! is_collectd_conf "$ex"; then
    others+=("${ex##*/}")
    continue
  fi
  if ! have_plugin homelab_host; then
    fail "example outputs/${ex##*/} loads" "homelab_host.so was not built"
    continue
  fi
  port=$adj_tcp
  if grep -qE '^[[:space:]]*LoadPlugin write_prometheus' "$ex"; then
    port=$adj_free
  fi
  gen_collectd_conf "$HL_WORK/outputs_$name.conf" "$(adapt_example "$ex" "$port")" "$host_block"
  expect_loads "example outputs/${ex##*/} loads with collectd -T (with homelab_host)" \
    "$HL_WORK/outputs_$name.conf"
done
note "not collectd configs (test_outputs.sh checks them): ${others[*]:-none}"

# the multi-site examples are complete collectd.conf files
for ex in "$HL_SRCDIR"/examples/multisite/*.conf; do
  [[ -e "$ex" ]] || continue
  name=${ex##*/}
  name=${name%.conf}
  adapt_example "$ex" "$adj_tcp" >"$HL_WORK/multisite_$name.conf"
  : >"$HL_WORK/multisite_$name.log" # it logs to stderr, kept in .out
  expect_loads "example multisite/${ex##*/} loads with collectd -T" \
    "$HL_WORK/multisite_$name.conf"
done

# 4. bad configs are rejected cleanly
if have_plugin homelab_host; then
  gen_collectd_conf "$HL_WORK/bad_unknown.conf" "" \
    "$(printf 'LoadPlugin homelab_host\n<Plugin homelab_host>\n  Bogus 1\n</Plugin>\n')"
  expect_rejected "unknown option Bogus is rejected (exit 1, named in log)" \
    Bogus "$HL_WORK/bad_unknown.conf"

  gen_collectd_conf "$HL_WORK/bad_range.conf" "" \
    "$(printf 'LoadPlugin homelab_host\n<Plugin homelab_host>\n  WarningDiskPercent 150\n</Plugin>\n')"
  expect_rejected "WarningDiskPercent 150 is rejected (exit 1, named in log)" \
    WarningDiskPercent "$HL_WORK/bad_range.conf"
fi
