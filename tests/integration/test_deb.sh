#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Debian package test. The source tree is exported with "make distdir" from
# HL_BUILDDIR (what "make dist" would ship, uncommitted work included; the
# debian/ directory is in EXTRA_DIST), then "dpkg-buildpackage -us -uc -b"
# builds collectd-homelab in it, running "make check" in dh_auto_test (unless
# DEB_BUILD_OPTIONS, passed through, has nocheck; with CI=true and no
# DEB_BUILD_OPTIONS it is nocheck, as scripts/test ran make check). Checked:
#   - debian/changelog carries configure.ac's version;
#   - the .deb's fields (name, version, Depends with collectd-core, libcurl
#     for dlopen() and the shlibs of libnvme, libxml2 and yajl) and, with
#     "dpkg-deb -c", its exact file list: every built plugin as .so in
#     /usr/lib/collectd, homelab.db in /usr/share/collectd, the CLI, both man
#     pages, README.md, copyright, changelog and every file of examples/
#     (collectd.conf.example and the systemd drop-in included) in
#     /usr/share/doc/collectd-homelab/examples;
#   - lintian reports no error or warning (only if lintian is installed);
#   - as root (else skipped with a note): "dpkg -i", then a real collectd
#     loads every plugin of the package from /usr/lib/collectd and the
#     installed examples ("collectd -T"), a foreground run writes
#     homelab_host values (csv), and "dpkg --purge" removes it all again
#     (also when the test fails or is interrupted). Skipped if the package
#     was installed before the test, so a real installation is never
#     touched; concurrent runs of this test take turns (flock).
# Without dpkg-buildpackage, dh or fakeroot the whole test is skipped with a
# note. About 45 s on 2 cores (30 s of it the package build with its tests).
set -u
set -o pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

hl_init test_deb

W=$HL_WORK
PKG=collectd-homelab
JOBS=$(nproc 2>/dev/null || echo 2)
INSTALLED=0

# dpkg_retry ARGS...: dpkg, retried for up to 60 s while another dpkg or
# apt holds the dpkg lock; output in $W/dpkg.out.
dpkg_retry() {
  local rc i
  for ((i = 0; i < 60; i++)); do
    rc=0
    dpkg "$@" >"$W/dpkg.out" 2>&1 || rc=$?
    if [[ $rc -eq 0 ]] || ! grep -qi 'lock' "$W/dpkg.out"; then
      return "$rc"
    fi
    sleep 1
  done
  return "$rc"
}

# Purge the package if this test installed it, then lib.sh's cleanup (which
# takes the exit status from $?).
deb_exit() {
  local rc=$?
  if [[ $INSTALLED == 1 ]]; then
    dpkg_retry --purge "$PKG" || printf 'FAIL: dpkg --purge %s at exit\n' "$PKG"
  fi
  (exit "$rc")
  hl_cleanup
}
trap deb_exit EXIT

for tool in dpkg-buildpackage dh fakeroot dpkg-deb dpkg-parsechangelog; do
  if ! command -v "$tool" >/dev/null; then
    note "skipped: $tool is not installed (apt-get install dpkg-dev debhelper fakeroot)"
    exit 0
  fi
done

version=$(sed -n 's/^PACKAGE_VERSION = //p' "$HL_BUILDDIR/Makefile")
if [[ -z "$version" ]]; then
  fail "version from $HL_BUILDDIR/Makefile" "no PACKAGE_VERSION; configure first"
  exit 1
fi
clog=$(dpkg-parsechangelog -l "$HL_SRCDIR/debian/changelog" -S Version 2>&1)
check "debian/changelog version is configure.ac's $version" "changelog: $clog" \
  test "$clog" = "$version"

# --- build ---------------------------------------------------------------------

src="$W/$PKG-$version"
add_log "make distdir" "$W/distdir.log"
if ! make -s -C "$HL_BUILDDIR" distdir distdir="$src" >"$W/distdir.log" 2>&1; then
  fail "make distdir (source export)" "see the log"
  exit 1
fi
check "the exported source tree has debian/ (EXTRA_DIST)" "no $src/debian/rules" \
  test -x "$src/debian/rules"

opts=${DEB_BUILD_OPTIONS:-}
# In CI, scripts/test has run "make check" (and more) on this tree already;
# the package build's own run would only repeat it. Set DEB_BUILD_OPTIONS
# (even to "") to choose yourself.
if [[ "${CI:-}" == true && -z "${DEB_BUILD_OPTIONS+set}" ]]; then
  opts=nocheck
fi
[[ "$opts" == *parallel=* ]] || opts="$opts parallel=$JOBS"
opts=${opts# }
add_log dpkg-buildpackage "$W/build.log"
start=$SECONDS
rc=0
(cd "$src" && DEB_BUILD_OPTIONS="$opts" dpkg-buildpackage -us -uc -b) >"$W/build.log" 2>&1 ||
  rc=$?
if [[ $rc -ne 0 ]]; then
  fail "dpkg-buildpackage -us -uc -b (DEB_BUILD_OPTIONS=\"$opts\")" \
    "exit status $rc: $(grep -m1 -E 'error|Error|FAIL' "$W/build.log")"
  exit 1
fi
pass "dpkg-buildpackage -us -uc -b (DEB_BUILD_OPTIONS=\"$opts\", $((SECONDS - start)) s)"
if [[ " $opts " == *" nocheck "* ]]; then
  note "nocheck: make check did not run in the package build"
else
  total=$(sed -n 's/^# TOTAL: *//p' "$W/build.log" | tail -n1)
  failed=$(sed -n 's/^# FAIL: *//p' "$W/build.log" | tail -n1)
  check "dh_auto_test ran make check: ${total:-no} test programs, ${failed:-?} failed" \
    "no test summary in the build log" test -n "$total" -a "${failed:-1}" = 0
fi

arch=$(dpkg --print-architecture)
deb="$W/${PKG}_${version}_$arch.deb"
if [[ ! -f "$deb" ]]; then
  fail "the build wrote ${deb##*/}" "not found"
  exit 1
fi

# --- the .deb ------------------------------------------------------------------

field() { dpkg-deb -f "$deb" "$1"; }
check "Package: $PKG, Version: $version" "$(field Package) $(field Version)" \
  test "$(field Package) $(field Version)" = "$PKG $version"
depends=$(field Depends)
lacking=()
for dep in 'collectd-core (>= 5.12)' 'libcurl4 | libcurl3-gnutls' libnvme1 libxml2 \
  libyajl2 libc6; do
  [[ ", $depends" == *", $dep"* ]] || lacking+=("$dep")
done
check "Depends has collectd-core, libcurl4 | libcurl3-gnutls, libnvme1, libxml2, libyajl2" \
  "missing ${lacking[*]} in: $depends" test ${#lacking[@]} -eq 0

dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {sub(/^\.\//, "", $6); print $6}' | sort \
  >"$W/files.deb"
doc=usr/share/doc/$PKG
{
  (cd "$src/plugins/.libs" && ls homelab_*.so) | sed 's|^|usr/lib/collectd/|'
  printf '%s\n' usr/share/collectd/homelab.db usr/bin/homelab-port-report \
    usr/share/man/man5/collectd-homelab.5.gz usr/share/man/man1/homelab-port-report.1.gz \
    "$doc/README.md.gz" "$doc/copyright" "$doc/changelog.gz" \
    "$doc/examples/collectd.conf.example"
  (cd "$src/examples" && find . -type f ! -name '*~' ! -name '*.pyc' \
    ! -path '*/__pycache__/*' -printf "$doc/examples/%P\n")
} | sort >"$W/files.expected"
nplugins=$(grep -c '^usr/lib/collectd/' "$W/files.expected")
missing=$(comm -23 "$W/files.expected" "$W/files.deb" | tr '\n' ' ')
extra=$(comm -13 "$W/files.expected" "$W/files.deb" | tr '\n' ' ')
check "dpkg-deb -c: $nplugins plugins, homelab.db, CLI, man pages, docs and all examples" \
  "missing: $missing" test -z "$missing"
check "dpkg-deb -c: nothing else (no .la, no multiarch plugin dir)" "unexpected: $extra" \
  test -z "$extra"

if command -v lintian >/dev/null; then
  add_log lintian "$W/lintian.out"
  rc=0
  timeout 180 lintian --fail-on error,warning "$deb" >"$W/lintian.out" 2>&1 || rc=$?
  grep -E '^[EWIP]: ' "$W/lintian.out" | sed 's/^/  .. /' || true
  check "lintian: no error and no warning" "exit status $rc: $(grep -m1 -E '^[EW]: ' \
    "$W/lintian.out")" test "$rc" -eq 0
else
  note "lintian is not installed: not run"
fi

# --- install, run, purge -------------------------------------------------------

if [[ $(id -u) -ne 0 ]]; then
  note "not root: dpkg -i, the collectd run and dpkg --purge skipped"
  exit 0
fi
if command -v flock >/dev/null; then
  exec 9>"${HL_DEB_LOCK:-/run/lock/collectd-homelab-test_deb.lock}"
  flock -w 300 9 || note "lock not taken within 300 s; going on"
fi
status=$(dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null)
if [[ "$status" == *" installed" ]]; then
  note "skipped install/run/purge: $PKG is already installed on this machine"
  exit 0
fi

add_log "dpkg -i" "$W/dpkg.out"
# set first: a signal during dpkg -i, or a half-configured package, must
# still lead to the purge at exit
INSTALLED=1
if ! dpkg_retry -i "$deb"; then
  fail "dpkg -i ${deb##*/}" "$(tail -n1 "$W/dpkg.out")"
  exit 1
fi
pass "dpkg -i ${deb##*/}"

mapfile -t sos < <(dpkg -L "$PKG" | grep -E '^/usr/lib/collectd/homelab_[a-z_]+\.so$')
all=""
for so in "${sos[@]}"; do
  p=${so##*/}
  p=${p%.so}
  all+=$(printf 'LoadPlugin %s\n<Plugin %s>\n</Plugin>\n' "$p" "$p")$'\n'
done
HL_PLUGINDIR=/usr/lib/collectd
HL_TYPESDB=/usr/share/collectd/homelab.db
check "homelab.db installed in /usr/share/collectd" "missing" test -f "$HL_TYPESDB"

# log_clean CONF: no "Dataset not found" and no error in its log and output.
first_bad() {
  grep -hE -m1 'Dataset not found|\[error\]|ERROR' "$(collectd_log "$1")" "${1%.conf}.out" |
    head -n1
}
expect_loads() {
  local rc=0 bad
  run_collectd_test "$2" || rc=$?
  bad=$(first_bad "$2")
  if [[ $rc -ne 0 ]]; then
    fail "$1" "collectd -T exited with $rc: $bad"
  elif [[ -n "$bad" ]]; then
    fail "$1" "log: $bad"
  else
    pass "$1"
  fi
}
gen_collectd_conf "$W/t_all.conf" "LoadPlugin write_log" "$all"
expect_loads "collectd -T loads all ${#sos[@]} plugins of the package from /usr/lib/collectd" \
  "$W/t_all.conf"

examples=""
n=0
for ex in "/$doc"/examples/homelab_*.conf; do
  [[ -e "$ex" ]] || continue
  examples+="Include \"$ex\""$'\n'
  n=$((n + 1))
done
gen_collectd_conf "$W/t_examples.conf" "LoadPlugin write_log" "$examples"
expect_loads "collectd -T with the $n installed homelab_*.conf examples" "$W/t_examples.conf"

gen_collectd_conf "$W/run.conf" \
  "$(printf 'LoadPlugin csv\n<Plugin csv>\n  DataDir "%s"\n  StoreRates false\n</Plugin>\n' "$W/csv")" \
  "LoadPlugin homelab_host"
csv_has() {
  local f
  for f in "$W/csv/$HL_HOSTNAME/$1"-*; do
    [[ -f "$f" && $(wc -l <"$f") -ge 2 ]] && return 0
  done
  return 1
}
if run_collectd_bg "$W/run.conf"; then
  wait_for 15 csv_has homelab_host-cpu/percent-active || true
  for path in homelab_host/uptime homelab_host/load homelab_host-cpu/percent-active \
    homelab_host-memory/memory-used; do
    check "installed homelab_host writes $path" "no csv values (after 15 s)" csv_has "$path"
  done
  rc=0
  stop_collectd || rc=$?
  bad=$(first_bad "$W/run.conf")
  check "collectd stops with exit status 0 and logged no error" "exit $rc: $bad" \
    test "$rc" -eq 0 -a -z "$bad"
else
  fail "collectd runs with the installed homelab_host" "it exited at once"
fi

if dpkg_retry --purge "$PKG"; then
  INSTALLED=0
  left=$(for f in "${sos[@]}" "$HL_TYPESDB" /usr/bin/homelab-port-report "/$doc"; do
    [[ -e "$f" ]] && printf '%s ' "$f"
  done)
  status=$(dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null)
  check "dpkg --purge $PKG removes its files and its status" "left: $left; status: $status" \
    test -z "$left" -a \( -z "$status" -o "${status##* }" = not-installed \)
else
  fail "dpkg --purge $PKG" "$(tail -n1 "$W/dpkg.out")"
fi
