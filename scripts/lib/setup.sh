#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Shared setup for scripts/test and scripts/demo: installs the Debian packages
# the project needs (only those missing, so it is idempotent and quick on a
# second run), bootstraps autotools and builds out of tree in _build/main.
# Source it, then call hl_setup; afterwards HL_SRCDIR and HL_BUILDDIR are set
# and the plugins are in "$HL_BUILDDIR/plugins/.libs".

HL_PACKAGES=(
  gcc make autoconf automake libtool pkg-config
  collectd-core collectd-dev
  libnvme-dev libcurl4-openssl-dev libyajl-dev libxml2-dev
  check libsubunit-dev
  influxdb graphite-carbon python3 python3-whisper curl iproute2 openssl
  valgrind clang-format shellcheck groff-base chromium
  qemu-system-x86 linux-image-amd64 busybox-static nvme-cli
  dpkg-dev debhelper fakeroot
  libmicrohttpd12 libprotobuf-c1 libesmtp6
  clang libclang-rt-14-dev cppcheck clang-tidy clang-tools bear
)

hl_log() { printf '==> %s\n' "$*" >&2; }

# Prints the packages of HL_PACKAGES that are not installed.
hl_missing_packages() {
  local p status
  for p in "${HL_PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || printf '%s\n' "$p"
  done
}

hl_install_packages() {
  local missing
  mapfile -t missing < <(hl_missing_packages)
  ((${#missing[@]} == 0)) && return 0
  if [[ $(id -u) -ne 0 ]]; then
    hl_log "missing Debian packages: ${missing[*]}"
    hl_log "run as root, or: sudo apt-get install ${missing[*]}"
    return 1
  fi
  hl_log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

# Configures (once) and builds one out-of-tree build directory.
#   hl_build DIR [configure args...]
hl_build() {
  local dir=$1
  shift
  mkdir -p "$dir"
  local want="$*"
  if [[ ! -f "$dir/config.status" || "$HL_SRCDIR/configure" -nt "$dir/config.status" ||
    "$(cat "$dir/.hl-configure-args" 2>/dev/null)" != "$want" ]]; then
    hl_log "configuring $dir ($want)"
    (cd "$dir" && "$HL_SRCDIR/configure" -q "$@") || return 1
    printf '%s' "$want" >"$dir/.hl-configure-args"
  fi
  hl_log "building $dir"
  make -C "$dir" -s -j"$(nproc)" >/dev/null || make -C "$dir" -j1
}

hl_setup() {
  HL_SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  HL_BUILDDIR="$HL_SRCDIR/_build/main"
  export HL_SRCDIR HL_BUILDDIR
  hl_install_packages || return 1
  if [[ -f "$HL_SRCDIR/config.status" ]]; then
    hl_log "the source tree is configured in place; run 'make distclean' there first"
    return 1
  fi
  if [[ ! -x "$HL_SRCDIR/configure" || "$HL_SRCDIR/configure.ac" -nt "$HL_SRCDIR/configure" ||
    "$HL_SRCDIR/Makefile.am" -nt "$HL_SRCDIR/Makefile.in" ]]; then
    hl_log "bootstrapping autotools"
    (cd "$HL_SRCDIR" && autoreconf -fi >/dev/null 2>&1) ||
      (cd "$HL_SRCDIR" && autoreconf -fi) || return 1
  fi
  hl_build "$HL_BUILDDIR" --enable-werror
}
