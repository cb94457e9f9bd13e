#!/bin/bash
# SPDX-License-Identifier: MIT
#
# The hl_icmp engine (through tests/tools/icmp_probe) against targets in
# private network namespaces. Needs root (ip netns, veth); prints
# "N passed, N failed" and removes everything it made in an EXIT trap.
#
# Topology (10.213.0.0/16 only; nothing else is ever targeted): a client
# namespace with one veth pair to each of
#   up:   10.213.1.2 and fd00:213:1::2, the kernel answers;
#   dead: 10.213.2.2, net.ipv4.icmp_echo_ignore_all=1 and no responder (it
#         also holds a UDP port 53 that never answers: the client's
#         resolv.conf, via /etc/netns/<client>/, points there);
#   slow: 10.213.3.2, kernel replies off, icmp_responder.py answers after
#         50 ms and drops every 5th request of each prober (20 % loss), sending every 4th
#         reply twice.
# Runs (count 10, spacing 100 ms, timeout 1000 ms):
#   raw   (ping_group_range "1 0"): kind raw; up v4/v6 10/10; dead loss 100,
#         unreachable; slow reachable, avg RTT 50 ms +-15, min >= 45 ms,
#         loss 20 % +- one packet (10 %), duplicates counted, not received;
#         a name behind the dead DNS server fails within the 500 ms
#         resolution deadline; the run ends at last send + timeout
#         (1900..2300 ms); a second probe running concurrently (another
#         "ping program") gets the same results for up and slow;
#   dgram (ping_group_range "0 0"): kind dgram, same checks for up (v4
#         and v6)/slow/dead;
#   none  (uid/gid 65534, range "1 0"): exit 2 and the error names
#         CAP_NET_RAW, ping_group_range and gid 65534.
#
# Usage: test_icmp.sh [path/to/icmp_probe]  (default $ICMP_PROBE, then
# $HL_BUILDDIR/tests/tools/icmp_probe)
set -u
set -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROBE=${1:-${ICMP_PROBE:-${HL_BUILDDIR:-.}/tests/tools/icmp_probe}}
PY=${HL_PYTHON:-python3}
TAG=hic$$
C=${TAG}c
W=$(mktemp -d /tmp/test_icmp.XXXXXX)
PIDS=()
PASS=0
FAIL=0

cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  for n in "$C" "${TAG}u" "${TAG}d" "${TAG}s"; do
    ip netns del "$n" 2>/dev/null
  done
  rm -rf "/etc/netns/$C" "$W"
}
trap cleanup EXIT

# Results also go to the integration runner's file ($HL_RESULTS), whose
# PASS/FAIL lines it counts.
record() { [[ -n ${HL_RESULTS:-} ]] && printf '%s: %s\n' "$1" "$2" >>"$HL_RESULTS"; }
ok() {
  PASS=$((PASS + 1))
  echo "PASS: $1"
  record PASS "$1"
}
bad() {
  FAIL=$((FAIL + 1))
  echo "FAIL: $1${2:+: $2}"
  record FAIL "$1"
}
check() { # check NAME CONDITION-COMMAND...
  local name=$1
  shift
  if "$@"; then ok "$name"; else bad "$name" "$(tail -n 20 "$W/last" 2>/dev/null)"; fi
}
# field FILE TARGET KEY: the KEY=value of the line for TARGET
field() {
  grep "^target=$2 " "$1" | head -n 1 | tr ' ' '\n' | sed -n "s/^$3=//p"
}
runline() { grep '^run ' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
between() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v != "" && v+0 >= lo && v+0 <= hi) }'; }
eq() { [[ "$1" == "$2" ]]; }

if [[ $EUID -ne 0 || ! -x "$PROBE" ]]; then
  echo "test_icmp: needs root and $PROBE" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

# pair N NAME ADDR4 [ADDR6]: veth client<->NAME on 10.213.N.0/24
pair() {
  local n=$1 ns=$2
  ip netns add "$ns"
  ip link add "${TAG}c$n" netns "$C" type veth peer name "${TAG}p$n" netns "$ns"
  ip -n "$C" addr add "10.213.$n.1/24" dev "${TAG}c$n"
  ip -n "$ns" addr add "10.213.$n.2/24" dev "${TAG}p$n"
  if [[ -n "${3:-}" ]]; then
    ip -n "$C" addr add "fd00:213:$n::1/64" dev "${TAG}c$n" nodad
    ip -n "$ns" addr add "fd00:213:$n::2/64" dev "${TAG}p$n" nodad
  fi
  ip -n "$ns" link set lo up
  ip -n "$ns" link set "${TAG}p$n" up
  ip -n "$C" link set "${TAG}c$n" up
}

setup() {
  ip netns add "$C" && ip -n "$C" link set lo up || return 1
  pair 1 "${TAG}u" v6 && pair 2 "${TAG}d" && pair 3 "${TAG}s" || return 1
  ip netns exec "${TAG}d" sysctl -qw net.ipv4.icmp_echo_ignore_all=1
  ip netns exec "${TAG}s" sysctl -qw net.ipv4.icmp_echo_ignore_all=1
  mkdir -p "/etc/netns/$C"
  printf 'nameserver 10.213.2.2\noptions timeout:5 attempts:2\n' >"/etc/netns/$C/resolv.conf"
  ip netns exec "${TAG}d" "$PY" -c 'import socket,time
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("10.213.2.2",53)); time.sleep(600)' &
  PIDS+=($!)
  ip netns exec "${TAG}s" "$PY" "$HERE/icmp_responder.py" --delay-ms 50 \
    --drop-every 5 --dup 4 --ready "$W/ready" &
  PIDS+=($!)
  for _ in $(seq 50); do [[ -s "$W/ready" ]] && break; sleep 0.1; done
  [[ -s "$W/ready" ]]
}

# probe OUT [args...]: run the probe in the client namespace
probe() {
  local out=$1
  shift
  ip netns exec "$C" "$PROBE" -c 10 -i 100 -W 1000 -R 500 "$@" >"$out" 2>"$out.err"
  echo $? >"$out.rc"
  cat "$out" "$out.err" >"$W/last"
}

check_common() { # check_common OUT MODE
  local o=$1 m=$2
  cp "$o" "$W/last"
  check "$m: exit 0" eq "$(cat "$o.rc")" 0
  check "$m: kind4 $m" eq "$(runline "$o" kind4)" "$m"
  check "$m: up 10/10" eq "$(field "$o" 10.213.1.2 received)/$(field "$o" 10.213.1.2 loss)" "10/0.0"
  check "$m: up RTT < 10 ms" between "$(field "$o" 10.213.1.2 max)" 0 10
  check "$m: dead unreachable, loss 100" eq "$(field "$o" 10.213.2.2 reachable)/$(field "$o" 10.213.2.2 loss)/$(field "$o" 10.213.2.2 avg)" "0/100.0/nan"
  check "$m: slow reachable" eq "$(field "$o" 10.213.3.2 reachable)" 1
  check "$m: slow avg RTT 50 +-15 ms ($(field "$o" 10.213.3.2 avg))" between "$(field "$o" 10.213.3.2 avg)" 35 65
  check "$m: slow min RTT >= 45 ms" between "$(field "$o" 10.213.3.2 min)" 45 65
  check "$m: slow loss 20 +-10 % ($(field "$o" 10.213.3.2 loss))" between "$(field "$o" 10.213.3.2 loss)" 10 30
  check "$m: slow duplicates counted" between "$(field "$o" 10.213.3.2 dup)" 1 10
  check "$m: run bounded by last send + timeout ($(runline "$o" elapsed_ms) ms)" between "$(runline "$o" elapsed_ms)" 1850 2300
}

if ! setup; then
  bad "namespace setup"
  echo "$PASS passed, $FAIL failed"
  exit 1
fi
ok "namespace setup"

# raw sockets, with a second prober running at the same time
ip netns exec "$C" sysctl -qw net.ipv4.ping_group_range="1 0"
probe "$W/other" 10.213.1.2 10.213.3.2 &
OTHER=$!
T0=$(date +%s%N)
probe "$W/raw" 10.213.1.2 fd00:213:1::2 10.213.2.2 10.213.3.2 dead-dns.hl-icmp.example
T1=$(date +%s%N)
wait "$OTHER"
check_common "$W/raw" raw
if [[ "$(field "$W/raw" fd00:213:1::2 error)" == 0 ]]; then
  check "raw: up IPv6 10/10" eq "$(field "$W/raw" fd00:213:1::2 received)" 10
else
  echo "ok - raw: up IPv6 # SKIP no IPv6 ($(field "$W/raw" fd00:213:1::2 error))"
fi
check "raw: dead DNS is a resolution failure (-ETIMEDOUT)" \
  eq "$(grep '^target=dead-dns' "$W/raw" | sed -n 's/.*resolve=failed error=\(-[0-9]*\).*/\1/p')" -110
check "raw: whole probe incl. resolution < 3.2 s ($(((T1 - T0) / 1000000)) ms)" \
  between "$(((T1 - T0) / 1000000))" 0 3200
check "concurrent prober: up 10/10" eq "$(field "$W/other" 10.213.1.2 received)" 10
check "concurrent prober: slow loss 20 %" eq "$(field "$W/other" 10.213.3.2 loss)" 20.0
check "concurrent prober: slow avg 50 +-15 ms" between "$(field "$W/other" 10.213.3.2 avg)" 35 65

# ICMP datagram sockets
ip netns exec "$C" sysctl -qw net.ipv4.ping_group_range="0 0"
probe "$W/dgram" 10.213.1.2 fd00:213:1::2 10.213.2.2 10.213.3.2
check_common "$W/dgram" dgram
if [[ "$(field "$W/dgram" fd00:213:1::2 error)" == 0 ]]; then
  check "dgram: up IPv6 10/10, kind6 dgram" eq "$(field "$W/dgram" fd00:213:1::2 received)/$(runline "$W/dgram" kind6)" 10/dgram
else
  echo "ok - dgram: up IPv6 # SKIP no IPv6 ($(field "$W/dgram" fd00:213:1::2 error))"
fi

# neither: unprivileged user, range excludes it
ip netns exec "$C" sysctl -qw net.ipv4.ping_group_range="1 0"
ip netns exec "$C" setpriv --reuid=65534 --regid=65534 --clear-groups \
  --inh-caps=-all --bounding-set=-all "$PROBE" -c 1 -W 100 10.213.1.2 \
  >"$W/none" 2>"$W/none.err"
echo $? >"$W/none.rc"
cat "$W/none" "$W/none.err" >"$W/last"
check "no permission: exit 2" eq "$(cat "$W/none.rc")" 2
check "no permission: clear error" grep -q \
  'need CAP_NET_RAW or net.ipv4.ping_group_range covering gid 65534' "$W/none.err"

echo "--- test_icmp: $PASS passed, $FAIL failed"
[[ $FAIL -eq 0 ]]
