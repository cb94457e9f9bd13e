#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Load test: every built plugin ($HL_BUILDDIR/plugins/.libs/homelab_*.so) is
# loaded by the real daemon with "collectd -C <conf> -T" (config, init, one
# read, shutdown), first alone with an empty <Plugin> block, then all together,
# then every examples/homelab_*.conf. Each run must exit 0 and its log must
# contain neither "Dataset not found" (a type missing from types.db /
# homelab.db) nor an error. Finally, bad configs (an unknown option, an out of
# range percentage) must make -T fail with exit status 1 (not a signal or a
# hang) and a log line that names the offending option.
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

# log_clean CONF: no "Dataset not found" and no error in the log or output.
log_clean() {
  local log out
  log=$(collectd_log "$1")
  out="${1%.conf}.out"
  ! grep -hE 'Dataset not found|\[error\]|ERROR' "$log" "$out" >/dev/null
}

# first_bad_line CONF: the first offending line, for the failure reason.
first_bad_line() {
  local log out
  log=$(collectd_log "$1")
  out="${1%.conf}.out"
  grep -hE -m1 'Dataset not found|\[error\]|ERROR' "$log" "$out" | head -n1
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
