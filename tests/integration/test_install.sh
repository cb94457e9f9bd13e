#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Install test: a fresh out-of-tree build with --prefix=/usr, installed with
# "make install DESTDIR=<work>/stage", then
#   1. the layout: every built plugin as .so (no .la) in usr/lib/collectd,
#      homelab.db in usr/share/collectd, homelab-port-report in usr/bin (a
#      real binary that runs), both man pages, README.md and every file of
#      examples/ (plus collectd.conf.example) under
#      usr/share/doc/collectd-homelab/examples, byte for byte, and nothing
#      else; "make uninstall" removes every file again;
#   2. a real collectd whose PluginDir and TypesDB point into the staging
#      root: "collectd -T" with every installed plugin, and with the
#      installed homelab_*.conf examples; then a foreground run (csv writer)
#      with homelab_host, homelab_ports (watching a port held by a process of
#      user nobody) and homelab_fritz (pinging 127.0.0.1) that must write
#      homelab_host values, the listener's pid and an RTT;
#   3. the systemd drop-in examples/systemd/collectd.service.d/homelab.conf:
#      its CapabilityBoundingSet is exactly CAP_DAC_READ_SEARCH CAP_NET_RAW
#      CAP_SYS_PTRACE (parsed here, and by "systemd-analyze verify" next to
#      a copy of collectd.service when systemd-analyze is there, with no
#      warning for the drop-in; a misspelt key must give one). As root, the
#      foreground run of step 2 runs with exactly that bounding set (setpriv,
#      as systemd starts a root service with it), so the drop-in is shown to
#      be enough; three more daemons, each without one of the three
#      capabilities, show each one is needed: no pid of nobody's listener
#      without CAP_SYS_PTRACE or CAP_DAC_READ_SEARCH, no ICMP without
#      CAP_NET_RAW (unless net.ipv4.ping_group_range lets gid 0 use datagram
#      ICMP sockets; then that control is skipped with a note).
# Not root: the capability runs are skipped with a note. If HL_SRCDIR is
# configured in-tree (a VPATH build is then refused), the build uses a
# "make distdir" copy instead. About 25 s on 2 cores.
set -u
set -o pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

hl_init test_install

W=$HL_WORK
B="$W/build"
R="$W/stage"
DOC="$R/usr/share/doc/collectd-homelab"
CAPS_WANTED="cap_dac_read_search cap_net_raw cap_sys_ptrace"
DROPIN_REL=examples/systemd/collectd.service.d/homelab.conf
JOBS=$(nproc 2>/dev/null || echo 2)

# --- 0. build and install --------------------------------------------------------

if [[ ! -x "$HL_SRCDIR/configure" ]]; then
  fail "source tree has configure" "no $HL_SRCDIR/configure; run autoreconf -fi there"
  exit 1
fi
src=$HL_SRCDIR
if [[ -f "$HL_SRCDIR/config.status" ]]; then
  # configured in-tree: configure refuses a second, VPATH build of it
  note "$HL_SRCDIR is configured in-tree; building from a make distdir copy"
  src="$W/src"
  if ! make -s -C "$HL_BUILDDIR" distdir distdir="$src" >"$W/distdir.log" 2>&1; then
    add_log "make distdir" "$W/distdir.log"
    fail "make distdir for the fresh build" "see the log"
    exit 1
  fi
fi
mkdir -p "$B"
add_log configure "$W/configure.log"
add_log make "$W/make.log"
add_log "make install" "$W/install.log"
start=$SECONDS
if ! (cd "$B" && "$src/configure" --prefix=/usr --with-collectd-bin="$HL_COLLECTD") \
  >"$W/configure.log" 2>&1; then
  fail "configure --prefix=/usr (out of tree)" "see the configure log"
  exit 1
fi
if ! make -C "$B" -j"$JOBS" >"$W/make.log" 2>&1; then
  fail "make (fresh build)" "see the make log"
  exit 1
fi
if make -C "$B" install DESTDIR="$R" >"$W/install.log" 2>&1; then
  pass "fresh build with --prefix=/usr, make install DESTDIR=<stage> ($((SECONDS - start)) s)"
else
  fail "make install DESTDIR=<stage>" "see the install log"
  exit 1
fi
version=$(sed -n 's/^PACKAGE_VERSION = //p' "$B/Makefile")

# --- 1. layout -----------------------------------------------------------------

expected=()
mapfile -t built < <(cd "$B/plugins/.libs" && ls homelab_*.so 2>/dev/null)
if [[ ${#built[@]} -eq 0 ]]; then
  fail "plugins built" "no homelab_*.so in $B/plugins/.libs"
  exit 1
fi
missing=()
for so in "${built[@]}"; do
  expected+=("usr/lib/collectd/$so")
  [[ -f "$R/usr/lib/collectd/$so" ]] || missing+=("$so")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  pass "all ${#built[@]} plugins in /usr/lib/collectd (${built[*]})"
else
  fail "all plugins in /usr/lib/collectd" "missing: ${missing[*]}"
fi
la=$(find "$R" -name '*.la' -printf '%P ')
check "no libtool .la files installed" "found: $la" test -z "$la"
elf=1
for so in "$R"/usr/lib/collectd/*.so "$R/usr/bin/homelab-port-report"; do
  [[ "$(head -c 4 "$so" 2>/dev/null | od -An -c | tr -d ' ')" == '177ELF' ]] || elf=0
done
check "plugins and CLI are ELF files (not libtool wrappers)" "a non-ELF file" test "$elf" = 1

expected+=(usr/share/collectd/homelab.db)
check "homelab.db in /usr/share/collectd, same as types.db.d/homelab.db" \
  "missing or different" cmp -s "$HL_SRCDIR/types.db.d/homelab.db" "$R/usr/share/collectd/homelab.db"

expected+=(usr/bin/homelab-port-report)
cli_version=$("$R/usr/bin/homelab-port-report" --version 2>&1)
check "installed homelab-port-report --version prints $version" "printed: $cli_version" \
  test "$cli_version" = "homelab-port-report $version"
cli_json() {
  "$R/usr/bin/homelab-port-report" --json - --no-docker --no-process >"$W/report.json" &&
    "$HL_PYTHON" -c 'import json,sys; json.load(open(sys.argv[1]))' "$W/report.json"
}
check "installed homelab-port-report writes a JSON report" "no valid JSON" cli_json

man_ok() { # FILE SECTION NAME
  [[ -f "$1" ]] && grep -q "^\.TH $3 $2 " "$1"
}
expected+=(usr/share/man/man5/collectd-homelab.5 usr/share/man/man1/homelab-port-report.1)
check "man page collectd-homelab(5)" "missing or no .TH" \
  man_ok "$R/usr/share/man/man5/collectd-homelab.5" 5 COLLECTD-HOMELAB
check "man page homelab-port-report(1)" "missing or no .TH" \
  man_ok "$R/usr/share/man/man1/homelab-port-report.1" 1 HOMELAB-PORT-REPORT

docs=(README.md:README.md collectd.conf.example:examples/collectd.conf.example)
while IFS= read -r rel; do
  docs+=("examples/$rel:examples/$rel")
done < <(cd "$HL_SRCDIR/examples" && find . -type f ! -name '*~' ! -name '*.pyc' \
  ! -path '*/__pycache__/*' -printf '%P\n' | sort)
bad=()
for pair in "${docs[@]}"; do
  from="$HL_SRCDIR/${pair%%:*}"
  to="$DOC/${pair#*:}"
  expected+=("usr/share/doc/collectd-homelab/${pair#*:}")
  if ! cmp -s "$from" "$to"; then
    bad+=("${pair%%:*}")
  elif [[ -x "$from" && ! -x "$to" ]]; then
    bad+=("${pair%%:*}(not executable)")
  fi
done
if [[ ${#bad[@]} -eq 0 ]]; then
  pass "README.md and all $((${#docs[@]} - 1)) examples in /usr/share/doc/collectd-homelab"
else
  fail "README.md and every file of examples/ in /usr/share/doc/collectd-homelab" \
    "missing or different: ${bad[*]}"
fi

printf '%s\n' "${expected[@]}" | sort >"$W/files.expected"
(cd "$R" && find . \( -type f -o -type l \) -printf '%P\n' | sort) >"$W/files.installed"
extra=$(comm -13 "$W/files.expected" "$W/files.installed" | tr '\n' ' ')
check "nothing else is installed" "unexpected: $extra" test -z "$extra"

# a copy, so the collectd runs below still have their files
cp -a "$R" "$W/stage-uninstall"
if make -C "$B" uninstall DESTDIR="$W/stage-uninstall" >"$W/uninstall.log" 2>&1; then
  left=$(find "$W/stage-uninstall" \( -type f -o -type l \) -printf '%P ')
  check "make uninstall DESTDIR=... removes every file" "left: $left" test -z "$left"
else
  add_log "make uninstall" "$W/uninstall.log"
  fail "make uninstall DESTDIR=..." "failed"
fi

# --- 3a. the drop-in, parsed ---------------------------------------------------

DROPIN="$DOC/$DROPIN_REL"

# words_sorted: the words of stdin (blank or comma separated), sorted, unique,
# on one line.
words_sorted() {
  tr ' ,\t' '\n\n\n' | sed '/^$/d' | sort -u | tr '\n' ' ' | sed 's/ $//'
}

# dropin_caps FILE: the CapabilityBoundingSet FILE leaves, lower case, sorted,
# one line (an empty assignment resets, as in systemd); exits 1 on a line
# that is neither a comment, a section header nor Key=Value.
dropin_caps() {
  local line key val set=() section=""
  while IFS= read -r line; do
    [[ "$line" =~ ^[[:space:]]*([#\;].*)?$ ]] && continue
    if [[ "$line" =~ ^\[([A-Za-z]+)\]$ ]]; then
      section=${BASH_REMATCH[1]}
      continue
    fi
    [[ "$line" =~ ^([A-Za-z]+)=(.*)$ ]] || return 1
    key=${BASH_REMATCH[1]}
    val=${BASH_REMATCH[2]}
    [[ "$section" == Service && "$key" == CapabilityBoundingSet ]] || continue
    if [[ -z "$val" ]]; then
      set=()
    else
      read -ra words <<<"$val"
      set+=("${words[@],,}")
    fi
  done <"$1"
  printf '%s\n' "${set[@]}" | words_sorted
}

caps=""
if caps=$(dropin_caps "$DROPIN"); then
  check "drop-in: CapabilityBoundingSet is exactly $CAPS_WANTED" "it is \"$caps\"" \
    test "$caps" = "$CAPS_WANTED"
else
  fail "drop-in parses (sections, Key=Value lines)" "a malformed line in $DROPIN_REL"
fi
optional_lines() {
  grep -q '^#CapabilityBoundingSet=CAP_SYS_ADMIN$' "$DROPIN" &&
    grep -q '^#SupplementaryGroups=docker$' "$DROPIN" &&
    grep -q '^#AmbientCapabilities=CAP_NET_RAW CAP_DAC_READ_SEARCH CAP_SYS_PTRACE$' "$DROPIN"
}
check "drop-in: CAP_SYS_ADMIN (NVMe), ambient caps and docker group are offered, commented" \
  "a commented line is missing" optional_lines

# verify_unit DIR: systemd-analyze verify DIR/collectd.service (with its
# drop-ins in DIR/collectd.service.d) at debug level, which also dumps the
# parsed unit; output in DIR.out.
verify_unit() {
  SYSTEMD_LOG_LEVEL=debug SYSTEMD_LOG_COLOR=0 timeout 60 systemd-analyze verify --man=no \
    "$1/collectd.service" >"$1.out" 2>&1
}
# unit_dir DIR DROPIN: DIR with a copy of collectd.service and DROPIN.
unit_dir() {
  mkdir -p "$1/collectd.service.d"
  if [[ -f /lib/systemd/system/collectd.service ]]; then
    cp /lib/systemd/system/collectd.service "$1/"
  else
    printf '[Unit]\nDescription=collectd\n[Service]\nType=notify\nExecStart=%s\n' \
      "$HL_COLLECTD" >"$1/collectd.service"
  fi
  cp "$2" "$1/collectd.service.d/homelab.conf"
}
if command -v systemd-analyze >/dev/null; then
  U="$W/units"
  unit_dir "$U" "$DROPIN"
  add_log "systemd-analyze verify" "$U.out"
  rc=0
  verify_unit "$U" || rc=$?
  warn=$(grep -m1 -F "collectd.service.d/homelab.conf:" "$U.out")
  parsed=$(sed -n 's/^[[:space:]]*CapabilityBoundingSet: //p' "$U.out" | words_sorted)
  if [[ $rc -ne 0 ]]; then
    fail "systemd-analyze verify collectd.service + drop-in" "exit status $rc"
  elif ! grep -qF "DropIn Path: $U/collectd.service.d/homelab.conf" "$U.out"; then
    fail "systemd-analyze verify collectd.service + drop-in" "the drop-in was not loaded"
  elif [[ -n "$warn" ]]; then
    fail "systemd-analyze verify collectd.service + drop-in" "$warn"
  else
    pass "systemd-analyze verify collectd.service + drop-in: no warning"
  fi
  check "systemd parses CapabilityBoundingSet as $CAPS_WANTED" "systemd: \"$parsed\"" \
    test "$parsed" = "$CAPS_WANTED"
  # control: a misspelt key in the drop-in must be reported
  sed 's/^CapabilityBoundingSet=CAP/CapabilityBoundingSett=CAP/' "$DROPIN" >"$W/typo.conf"
  unit_dir "$W/units-typo" "$W/typo.conf"
  verify_unit "$W/units-typo" || true
  check "control: systemd-analyze reports a misspelt key in the drop-in" "no warning" \
    grep -q "collectd.service.d/homelab.conf:[0-9]*: Unknown key" "$W/units-typo.out"
else
  note "systemd-analyze not installed: drop-in checked by the parser above only"
fi

# --- 2. collectd from the staging root -------------------------------------------

HL_PLUGINDIR="$R/usr/lib/collectd"
HL_TYPESDB="$R/usr/share/collectd/homelab.db"

# log_clean CONF: no "Dataset not found" and no error in its log and output.
log_clean() {
  ! grep -hE 'Dataset not found|\[error\]|ERROR' "$(collectd_log "$1")" "${1%.conf}.out" \
    >/dev/null
}
first_bad() {
  grep -hE -m1 'Dataset not found|\[error\]|ERROR' "$(collectd_log "$1")" "${1%.conf}.out" |
    head -n1
}
# expect_loads WHAT CONF: collectd -T exits 0 with a clean log.
expect_loads() {
  local rc=0
  run_collectd_test "$2" || rc=$?
  if [[ $rc -ne 0 ]]; then
    fail "$1" "collectd -T exited with $rc: $(first_bad "$2")"
  elif ! log_clean "$2"; then
    fail "$1" "log: $(first_bad "$2")"
  else
    pass "$1"
  fi
}

all=""
mapfile -t plugins < <(homelab_plugins)
for p in "${plugins[@]}"; do
  all+=$(printf 'LoadPlugin %s\n<Plugin %s>\n</Plugin>\n' "$p" "$p")$'\n'
done
# (write_log: a writer for the values, which -T must not leave on disk)
gen_collectd_conf "$W/t_all.conf" "LoadPlugin write_log" "$all"
expect_loads "collectd -T loads all ${#plugins[@]} plugins from the staging root" "$W/t_all.conf"

examples=""
n=0
for ex in "$DOC"/examples/homelab_*.conf; do
  [[ -e "$ex" ]] || continue
  examples+="Include \"$ex\""$'\n'
  n=$((n + 1))
done
gen_collectd_conf "$W/t_examples.conf" "LoadPlugin write_log" "$examples"
expect_loads "collectd -T with the $n installed homelab_*.conf examples" "$W/t_examples.conf"

# The foreground run: a listener of user nobody (as root; else our own).
is_root=0
[[ $(id -u) -eq 0 ]] && is_root=1
can_caps=0
if [[ $is_root == 1 ]] && command -v setpriv >/dev/null; then
  can_caps=1
fi
# (as nobody: the system python, not one under /root such as a pyenv shim)
listener=("$HL_PYTHON")
if [[ $is_root == 1 ]]; then
  py=$(command -v /usr/bin/python3 || command -v "$HL_PYTHON")
  listener=(setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$py")
fi
add_log listener "$W/listener.out"
"${listener[@]}" -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen()
print(s.getsockname()[1], flush=True)
time.sleep(600)
' >"$W/listener.out" 2>&1 &
LISTENER_PID=$!
track_pid "$LISTENER_PID" 1
if ! wait_for 10 test -s "$W/listener.out"; then
  fail "listener started" "no port printed"
  exit 1
fi
LPORT=$(head -n1 "$W/listener.out")

# caps_wrapper NAME CAPS...: a collectd wrapper that execs the daemon with
# exactly CAPS (lower case, cap_ prefix) as bounding set, as systemd does for
# CapabilityBoundingSet= in a root service; prints its path.
caps_wrapper() {
  local name=$1 spec=-all c
  shift
  for c in "$@"; do
    spec+=",+${c#cap_}"
  done
  cat >"$W/$name" <<EOF
#!/bin/sh
exec setpriv --bounding-set=$spec --inh-caps=-all --ambient-caps=-all -- "$HL_COLLECTD" "\$@"
EOF
  chmod 755 "$W/$name"
  printf '%s\n' "$W/$name"
}

# run_conf NAME: collectd config text for one capability run into
# $W/csv-NAME: ports watching the listener, fritz pinging 127.0.0.1 and,
# with "host" as $2, homelab_host.
run_conf() {
  local host=""
  [[ "${2:-}" == host ]] && host=$'LoadPlugin homelab_host\n'
  gen_collectd_conf "$W/$1.conf" "$(printf 'LoadPlugin csv\n<Plugin csv>\n  DataDir "%s"\n  StoreRates false\n</Plugin>\n' "$W/csv-$1")" \
    "${host}$(printf 'LoadPlugin homelab_ports\n<Plugin homelab_ports>\n  Port "tcp" %s\n  RetryEvery 1\n  Docker false\n</Plugin>\nLoadPlugin homelab_fritz\n<Plugin homelab_fritz>\n  <Ping "lo">\n    Host "127.0.0.1"\n  </Ping>\n  PingCount 1\n  Timeout 0.5\n</Plugin>\n' "$LPORT")"
}

# csv_file NAME PATH: the newest csv file "<NAME csv dir>/hltest/PATH-<date>"
# with at least one value line; prints its path.
csv_file() {
  local f
  for f in "$W/csv-$1/$HL_HOSTNAME/$2"-*; do
    [[ -f "$f" ]] && [[ $(wc -l <"$f") -ge 2 ]] && printf '%s\n' "$f"
  done | tail -n1
}
csv_has() { [[ -n "$(csv_file "$@")" ]]; }
# csv_last NAME PATH: the value column of the last line.
csv_last() {
  tail -n1 "$(csv_file "$@")" | cut -d, -f2
}

run_conf run host
COLLECTD_PID=""
if [[ $can_caps == 1 ]]; then
  read -ra capwords <<<"$caps"
  HL_COLLECTD=$(caps_wrapper collectd-dropin "${capwords[@]}") run_collectd_bg "$W/run.conf" ||
    true
else
  note "not root (or no setpriv): the daemon runs with the caller's privileges"
  run_collectd_bg "$W/run.conf" || true
fi
RUN_PID=$COLLECTD_PID
if [[ $can_caps == 1 ]] && kill -0 "$RUN_PID" 2>/dev/null; then
  bnd=$(awk '/^CapBnd:/{print $2}' "/proc/$RUN_PID/status")
  eff=$(awk '/^CapEff:/{print $2}' "/proc/$RUN_PID/status")
  dec=$(capsh --decode="$bnd" 2>/dev/null | sed 's/.*=//' | words_sorted)
  check "the daemon runs with exactly the drop-in's capabilities ($dec)" \
    "CapBnd $bnd ($dec), CapEff $eff" test "$bnd" = "$eff" -a "$dec" = "$CAPS_WANTED"
fi
wait_for 15 csv_has run homelab_host-cpu/percent-active || true
wait_for 5 csv_has run "homelab_ports-tcp-$LPORT/homelab_pid" || true
wait_for 5 csv_has run homelab_fritz-lo/ping-avg || true
for path in homelab_host/uptime homelab_host/load homelab_host-cpu/percent-active \
  homelab_host-memory/memory-used homelab_host-df-root/percent_bytes-used; do
  check "staged homelab_host writes $path" "no csv values (after 15 s)" csv_has run "$path"
done
pid_seen=$(csv_has run "homelab_ports-tcp-$LPORT/homelab_pid" &&
  csv_last run "homelab_ports-tcp-$LPORT/homelab_pid")
check "homelab_ports finds the pid of the listener ($LISTENER_PID, user nobody when root)" \
  "got \"${pid_seen:-nothing}\"" awk -v a="${pid_seen:-x}" -v b="$LISTENER_PID" \
  'BEGIN { exit !(a == b) }'
rtt=$(csv_has run homelab_fritz-lo/ping-avg && csv_last run homelab_fritz-lo/ping-avg)
check "homelab_fritz pings 127.0.0.1 (rtt ${rtt:-none} ms)" "no ping-avg values" test -n "$rtt"
rc=0
stop_pid "$RUN_PID" 5 || rc=$?
check "the daemon stops with exit status 0" "exit status $rc" test "$rc" -eq 0
if log_clean "$W/run.conf"; then
  pass "the foreground run logs no error"
else
  fail "the foreground run logs no error" "$(first_bad "$W/run.conf")"
fi

# --- 3b. each capability is needed -----------------------------------------------

if [[ $can_caps == 1 ]]; then
  read -ra capwords <<<"$caps"
  declare -A ctl_pid=()
  for drop in "${capwords[@]}"; do
    keep=()
    for c in "${capwords[@]}"; do
      [[ "$c" == "$drop" ]] || keep+=("$c")
    done
    run_conf "no_$drop"
    HL_COLLECTD=$(caps_wrapper "collectd-no-$drop" "${keep[@]}") \
      run_collectd_bg "$W/no_$drop.conf" || true
    ctl_pid[$drop]=$COLLECTD_PID
  done
  # two reads of the listener's watched port in each
  listening_twice() {
    local f
    f=$(csv_file "$1" "homelab_ports-tcp-$LPORT/homelab_listening") &&
      [[ -n "$f" && $(wc -l <"$f") -ge 3 ]]
  }
  for drop in "${capwords[@]}"; do
    wait_for 10 listening_twice "no_$drop" || true
  done
  for drop in "${capwords[@]}"; do
    stop_pid "${ctl_pid[$drop]}" 5 || true
  done
  for drop in cap_sys_ptrace cap_dac_read_search; do
    if ! listening_twice "no_$drop"; then
      fail "control without $drop: homelab_ports ran" "no homelab_listening values"
    elif csv_has "no_$drop" "homelab_ports-tcp-$LPORT/homelab_pid"; then
      fail "control without $drop: the listener's pid stays unknown" \
        "homelab_pid was written, so $drop is not needed"
    else
      pass "control without $drop: the listener's pid stays unknown"
    fi
  done
  range=$(cat /proc/sys/net/ipv4/ping_group_range 2>/dev/null)
  read -r lo hi <<<"${range:-1 0}"
  if ((lo <= 0 && 0 <= hi)); then
    note "ping_group_range \"$range\" lets gid 0 ping without CAP_NET_RAW: control skipped"
  elif csv_has no_cap_net_raw homelab_fritz-lo/ping-avg; then
    fail "control without cap_net_raw: no ICMP" "ping-avg was written"
  elif ! grep -q 'CAP_NET_RAW' "$(collectd_log "$W/no_cap_net_raw.conf")"; then
    fail "control without cap_net_raw: no ICMP" "no log line names CAP_NET_RAW"
  else
    pass "control without cap_net_raw: no ICMP, and the log names CAP_NET_RAW"
  fi
else
  note "not root (or no setpriv): capability controls skipped"
fi
