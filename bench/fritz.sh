#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# fritz.sh: what homelab_fritz's two halves cost against the approaches they
# replace (issue 5, "Benchmark").
#
# (1) ICMP: 100 targets in private network namespaces, 10 of them dead. A
#     client namespace has two veth links: one to a namespace holding
#     10.213.60.10-99 (90 addresses, the kernel answers the echoes) and one
#     to a namespace holding 10.213.61.10-19 with
#     net.ipv4.icmp_echo_ignore_all=1 (ARP answers, echoes are dropped).
#     Nothing outside 10.213.60.0/24 and 10.213.61.0/24 is ever targeted.
#     Our side: the shared ICMP engine (shared/hl_icmp via
#     tests/tools/icmp_probe -c 1 -W 1000, one process, one poll loop, all
#     targets at once). Reference: the old tool's way, one
#     `ping -c 1 -W 1 ADDR` process per target in sequence. Rounds
#     alternate which side goes first; wall time of the whole read and
#     user+system CPU (wait4 rusage of the process tree) per target, medians.
#     Target: our read ends within 1.2 × the 1 s timeout.
# (2) TR-064: tests/integration/fritz_sim.py (dsl personality) on loopback.
#     Our side: bench/fritz_read.c, the plugin's client stack (hl_http: one
#     persistent libcurl handle with digest auth; hl_tr064: envelopes,
#     parsers) doing discovery (description files + SCPDs) once and then
#     READS full reads of the box (12 SOAP actions + the host-list GET).
#     plugins/homelab_fritz.c did not exist when this was written, so this
#     driver stands in for its read. Naive client: the same actions, one
#     `curl --digest` process (a new connection) per action. Connections,
#     requests and 401 challenges come from the simulator's /_sim/stats.
#     Both run against the simulator as it is and against the same
#     simulator with TCP_NODELAY on its sockets (Python's http.server
#     writes headers and body separately; with Nagle on, a kept-alive
#     connection waits for the client's delayed ACK on every response).
#     Target: one connection per box per read.
# It prints markdown tables; --write-doc also replaces the fritz block of
# docs/BENCHMARKS.md. Needs root (ip netns), gcc, libcurl/libxml2 headers,
# iputils-ping, curl, python3. About a minute (--quick: about 30 s).
#
# usage: bench/fritz.sh [--quick] [--write-doc] [--rounds N] [--reads N]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
doc=$root/docs/BENCHMARKS.md
py=/usr/bin/python3

invocation="bench/fritz.sh"
for a in "$@"; do invocation+=" $(printf '%q' "$a")"; done

write_doc=false
rounds=4
reads=15

die() {
  echo "fritz.sh: $*" >&2
  exit 1
}

number() { [[ $2 =~ ^[1-9][0-9]{0,2}$ ]] || die "$1 expects a number 1-999"; }

while (($#)); do
  case $1 in
  --quick)
    rounds=3
    reads=10
    ;;
  --write-doc) write_doc=true ;;
  --rounds | --reads)
    number "$1" "${2:-}"
    if [[ $1 == --rounds ]]; then rounds=$2; else reads=$2; fi
    shift
    ;;
  -h | --help)
    sed -n '4,39p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *) die "unknown argument: $1 (see --help)" ;;
  esac
  shift
done
((rounds <= 10)) || die "--rounds: at most 10 (each reference round takes about 11 s)"

((EUID == 0)) || die "needs root (ip netns)"
for c in gcc ip ping curl pkg-config "$py"; do
  command -v "$c" >/dev/null || die "$c is not installed (ping: apt-get install iputils-ping)"
done

tmp=$(mktemp -d)
tag=hf$$
C=${tag}c U=${tag}u D=${tag}d
sim_pids=()
cleanup() {
  local p
  for p in "${sim_pids[@]}"; do
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  for p in "$C" "$U" "$D"; do ip netns del "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- build -----------------------------------------------------------------
cflags=(-std=gnu11 -O2 -Wall -Wextra -Wshadow -Wstrict-prototypes
  -Wmissing-prototypes -Wformat=2 -Werror -D_GNU_SOURCE -I"$root/shared")
read -r -a xml_cflags <<<"$(pkg-config --cflags libxml-2.0)"
read -r -a xml_libs <<<"$(pkg-config --libs libxml-2.0)"
gcc "${cflags[@]}" -o "$tmp/icmp_probe" "$root/tests/tools/icmp_probe.c" \
  "$root/shared/hl_icmp.c" "$root/shared/hl_str.c" -lm -lpthread
[[ -f $root/shared/hl_tr064.c ]] || die "shared/hl_tr064.c is missing"
gcc "${cflags[@]}" "${xml_cflags[@]}" -o "$tmp/fritz_read" "$root/bench/fritz_read.c" \
  "$root/shared/hl_http.c" "$root/shared/hl_curl.c" "$root/shared/hl_tr064.c" \
  "$root/shared/hl_str.c" "${xml_libs[@]}" -ldl -lpthread

# timer.py OUT CMD...: fork/exec CMD (stdout to OUT), wait4; prints
# "wall_us=... cpu_us=... status=..." (CPU: user+system of CMD and every
# child it waited for).
cat >"$tmp/timer.py" <<'EOF'
import os, sys, time
out = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
t0 = time.monotonic_ns()
pid = os.fork()
if pid == 0:
    os.dup2(out, 1)
    os.execvp(sys.argv[2], sys.argv[2:])
_, st, ru = os.wait4(pid, 0)
wall = (time.monotonic_ns() - t0) // 1000
cpu = round((ru.ru_utime + ru.ru_stime) * 1e6)
print(f"wall_us={wall} cpu_us={cpu} status={os.waitstatus_to_exitcode(st)}")
EOF

kv() { sed -n "s/.*\(^\| \)$1=\([^ ]*\).*/\2/p" <<<"$2" | head -n1; }
median() { sort -g | awk '{v[NR] = $1} END {if (NR) printf "%.3f", (v[int((NR + 1) / 2)] + v[int(NR / 2) + 1]) / 2}'; }
fmt() { awk -v v="$1" 'BEGIN {printf(v < 10 ? "%.2f" : (v < 100 ? "%.1f" : "%.0f"), v)}'; }

t_begin=$SECONDS
load_begin=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- (1) ICMP: 90 live + 10 dead targets -------------------------------------
echo "== ICMP: building the namespaces" >&2
ip netns add "$C"
ip netns add "$U"
ip netns add "$D"
for n in "$C" "$U" "$D"; do ip -n "$n" link set lo up; done
ip link add "${tag}cu" netns "$C" type veth peer name "${tag}pu" netns "$U"
ip link add "${tag}cd" netns "$C" type veth peer name "${tag}pd" netns "$D"
ip -n "$C" addr add 10.213.60.1/24 dev "${tag}cu"
ip -n "$C" addr add 10.213.61.1/24 dev "${tag}cd"
live=() dead=()
{
  for i in $(seq 10 99); do
    echo "addr add 10.213.60.$i/24 dev ${tag}pu"
    live+=("10.213.60.$i")
  done
} >"$tmp/up.batch"
for i in $(seq 10 19); do
  echo "addr add 10.213.61.$i/24 dev ${tag}pd"
  dead+=("10.213.61.$i")
done >"$tmp/dead.batch"
ip -n "$U" -b "$tmp/up.batch"
ip -n "$D" -b "$tmp/dead.batch"
for l in "$C ${tag}cu" "$C ${tag}cd" "$U ${tag}pu" "$D ${tag}pd"; do
  read -r n dev <<<"$l"
  ip -n "$n" link set "$dev" up
done
ip netns exec "$D" sysctl -qw net.ipv4.icmp_echo_ignore_all=1
# Interleave the dead ones, so neither side profits from their order.
targets=()
for ((i = 0; i < 90; i++)); do
  targets+=("${live[i]}")
  if ((i % 9 == 8)); then targets+=("${dead[i / 9]}"); fi
done
((${#targets[@]} == 100)) || die "expected 100 targets, have ${#targets[@]}"
for a in "${targets[@]}"; do
  [[ $a == 10.213.6[01].* ]] || die "refusing to target $a"
done

# The reference: one ping process per target, in sequence; writes
# "ADDR STATUS" per target to $1.
cat >"$tmp/ping_seq.sh" <<'EOF'
out=$1
shift
for a; do
  if ping -n -q -c 1 -W 1 "$a" >/dev/null 2>&1; then echo "$a 0"; else echo "$a 1"; fi
done >"$out"
EOF

in_c() { ip netns exec "$C" "$@"; }
# Warm the neighbour caches (a real monitor's steady state), untimed.
in_c "$tmp/icmp_probe" -c 1 -W 1000 "${targets[@]}" >/dev/null

icmp_round() { # side round
  local side=$1 r=$2 res out=$tmp/icmp.$1.$2
  if [[ $side == engine ]]; then
    res=$(in_c "$py" "$tmp/timer.py" "$out" "$tmp/icmp_probe" -c 1 -W 1000 "${targets[@]}")
    grep -c ' reachable=1 ' "$out" >"$out.up" || true
  else
    res=$(in_c "$py" "$tmp/timer.py" /dev/null bash "$tmp/ping_seq.sh" "$out" "${targets[@]}")
    grep -c ' 0$' "$out" >"$out.up" || true
  fi
  [[ $(kv status "$res") == 0 ]] || die "icmp: $side exited with status $(kv status "$res")"
  kv wall_us "$res" >>"$tmp/icmp.$side.wall"
  kv cpu_us "$res" >>"$tmp/icmp.$side.cpu"
  cat "$out.up" >>"$tmp/icmp.$side.up"
  echo "   round $r $side: $(awk -v w="$(kv wall_us "$res")" 'BEGIN {printf "%.3f", w / 1e6}') s, $(cat "$out.up")/100 answered" >&2
}

echo "== ICMP: $rounds rounds of 100 targets (engine and sequential ping, alternating)" >&2
for ((r = 1; r <= rounds; r++)); do
  if ((r % 2)); then
    icmp_round engine "$r"
    icmp_round ping "$r"
  else
    icmp_round ping "$r"
    icmp_round engine "$r"
  fi
done
engine_run=$(grep '^run ' "$tmp/icmp.engine.$rounds" || true)
for s in engine ping; do
  declare "w_$s=$(awk '{print $1 / 1e6}' "$tmp/icmp.$s.wall" | median)"
  declare "c_$s=$(awk '{print $1 / 1000}' "$tmp/icmp.$s.cpu" | median)"
  declare "up_$s=$(sort -u "$tmp/icmp.$s.up" | paste -sd/)"
  declare "wmax_$s=$(sort -g "$tmp/icmp.$s.wall" | tail -n1 | awk '{printf "%.3f", $1 / 1e6}')"
done
# shellcheck disable=SC2154 # set by declare above
{
  icmp_ok=$(awk -v w="$wmax_engine" 'BEGIN {print (w <= 1.2) ? "met" : "**missed**"}')
  icmp_table=$(
    echo "| approach | rounds | wall s (median) | wall s (max) | × the 1 s timeout (median) | CPU ms per read (median) | CPU µs per target | targets answering (of 100; 90 live) |"
    echo "|---|--:|--:|--:|--:|--:|--:|--:|"
    for s in engine ping; do
      w=w_$s c=c_$s u=up_$s m=wmax_$s
      if [[ $s == engine ]]; then
        label="hl_icmp engine: \`icmp_probe -c 1 -W 1000\` with 100 targets (1 process)"
      else
        label="reference: \`ping -n -q -c 1 -W 1 ADDR\` per target, in sequence (100 processes)"
      fi
      echo "| $label | $rounds | $(awk -v w="${!w}" 'BEGIN {printf "%.3f", w}') | ${!m} | $(awk -v w="${!w}" 'BEGIN {printf "%.2f×", w}') | $(fmt "${!c}") | $(awk -v c="${!c}" 'BEGIN {printf "%.0f", c * 10}') | ${!u} |"
    done
  )
  icmp_targets=$(
    echo "| target (issue) | limit | measured | verdict |"
    echo "|---|--:|--:|---|"
    echo "| whole read of 100 targets, 10 dead, timeout 1 s (slowest of $rounds rounds) | ≤ 1.2 s | $wmax_engine s | $icmp_ok |"
    echo "| speed-up over sequential ping (median wall) | — | $(awk -v a="$w_ping" -v b="$w_engine" 'BEGIN {printf "%.1f×", a / b}') | |"
    echo "| CPU per target, sequential ping / engine | — | $(awk -v a="$c_ping" -v b="$c_engine" 'BEGIN {printf "%.0f×", a / b}') | |"
  )
}
for n in "$C" "$U" "$D"; do ip netns del "$n"; done

# ---- (2) TR-064: one box, the simulator ------------------------------------
user=monitor
printf 'bench-%s\n' "$$" >"$tmp/pw"
chmod 600 "$tmp/pw"
printf 'user = "%s:%s"\n' "$user" "$(head -n1 "$tmp/pw")" >"$tmp/curl.cfg"
chmod 600 "$tmp/curl.cfg"
cat >"$tmp/sim_nodelay.py" <<EOF
import sys
sys.path.insert(0, "$root/tests/integration")
import fritz_sim
fritz_sim.Handler.disable_nagle_algorithm = True
sys.exit(fritz_sim.main(sys.argv[1:]))
EOF

# start_sim NAME SCRIPT: sets $port. Not in a subshell: sim_pids must
# reach the cleanup trap.
start_sim() {
  local name=$1 script=$2 i line=""
  "$py" "$script" --port 0 --user "$user" --password-file "$tmp/pw" \
    --personality dsl --idle-timeout 60 >"$tmp/sim.$name.out" 2>"$tmp/sim.$name.err" &
  sim_pids+=($!)
  for ((i = 0; i < 100; i++)); do
    line=$(grep '^ready ' "$tmp/sim.$name.out" || true)
    [[ -z $line ]] || break
    sleep 0.05
  done
  [[ -n $line ]] || { cat "$tmp/sim.$name.err" >&2; die "simulator $name did not start"; }
  port=$(kv port "$line")
}

sim_stats() { curl -s --max-time 5 "http://127.0.0.1:$1/_sim/stats"; }
sim_reset() { curl -s --max-time 5 -o /dev/null -H 'Content-Type: application/json' --data '{"reset_stats": true}' "http://127.0.0.1:$1/_sim/control"; }
# stat_line PORT: "connections=.. requests=.. challenges=.. failures=.. faults=.."
cat >"$tmp/stat_line.py" <<'PYEOF'
import json, sys
s = json.load(sys.stdin)
a = s["auth"]
print(f"connections={s['connections']} requests={s['requests']} "
      f"challenges={a['challenges']} failures={a['failures']} "
      f"faults={sum(s['faults'].values())} "
      f"maxperconn={s['max_requests_per_connection']}")
PYEOF
stat_line() { sim_stats "$1" | "$py" "$tmp/stat_line.py"; }

# The naive client: one read = one curl process per plan line.
cat >"$tmp/naive.sh" <<'EOF'
# naive.sh BASE CURLCFG PLAN
base=$1 cfg=$2 plan=$3
env() { printf '<?xml version="1.0" encoding="utf-8"?>\n<s:Envelope s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/" xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><u:%s xmlns:u="%s"></u:%s></s:Body></s:Envelope>\n' "$2" "$1" "$2"; }
rc=0
while read -r kind url stype action; do
  auth=(--digest -K "$cfg")
  [[ $kind != igd ]] || auth=()
  body=$(env "$stype" "$action" | curl -sS --fail --max-time 5 "${auth[@]}" \
    -H 'Content-Type: text/xml; charset="utf-8"' -H "SOAPACTION: $stype#$action" \
    --data-binary @- "$base$url") || { rc=1; continue; }
  if [[ $kind == hostlist ]]; then
    path=$(sed -n 's|.*<NewX_AVM-DE_HostListPath>\([^<]*\)<.*|\1|p' <<<"$body")
    curl -sS --fail --max-time 5 -o /dev/null "$base$path" || rc=1
  fi
done <"$plan"
exit "$rc"
EOF

declare -A t_wall t_cpu t_conn t_req t_chal t_nreads disc
sims=(asis nodelay)
declare -A sim_label=([asis]="fritz_sim.py as it is (Nagle on)"
  [nodelay]="fritz_sim.py with TCP_NODELAY")
for name in "${sims[@]}"; do
  if [[ $name == asis ]]; then script=$root/tests/integration/fritz_sim.py; else script=$tmp/sim_nodelay.py; fi
  start_sim "$name" "$script"
  base=http://127.0.0.1:$port
  echo "== TR-064: simulator $name on port $port: discovery + $reads reads with hl_http, $reads naive reads" >&2
  # ours: one process, one hl_http: discovery, then the reads.
  sim_reset "$port"
  "$tmp/fritz_read" -b "$base" -u "$user" -p "$tmp/pw" -n "$reads" -o "$tmp/plan" \
    >"$tmp/ours.$name" 2>"$tmp/ours.$name.err" ||
    { cat "$tmp/ours.$name.err" >&2; die "fritz_read failed against $name"; }
  st=$(stat_line "$port")
  disc[$name]=$(grep '^discovery ' "$tmp/ours.$name")
  k=$name/ours
  t_nreads[$k]=$reads
  t_wall[$k]=$(grep '^read ' "$tmp/ours.$name" | while read -r l; do kv wall_us "$l"; done | awk '{print $1 / 1000}' | median)
  t_cpu[$k]=$(grep '^read ' "$tmp/ours.$name" | while read -r l; do kv cpu_us "$l"; done | awk '{print $1 / 1000}' | median)
  t_conn[$k]=$(kv connections "$st")
  t_req[$k]=$(kv requests "$st")
  t_chal[$k]=$(kv challenges "$st")
  values_line=$(grep '^values ' "$tmp/ours.$name")
  [[ $(kv failures "$st") == 0 && $(kv faults "$st") == 0 ]] || die "ours against $name: auth failures or faults: $st"
  # naive: one curl per action; each read timed as one process tree.
  sim_reset "$port"
  : >"$tmp/naive.$name.wall"
  : >"$tmp/naive.$name.cpu"
  for ((i = 1; i <= reads; i++)); do
    res=$("$py" "$tmp/timer.py" /dev/null bash "$tmp/naive.sh" "$base" "$tmp/curl.cfg" "$tmp/plan")
    [[ $(kv status "$res") == 0 ]] || die "naive read against $name failed"
    kv wall_us "$res" | awk '{print $1 / 1000}' >>"$tmp/naive.$name.wall"
    kv cpu_us "$res" | awk '{print $1 / 1000}' >>"$tmp/naive.$name.cpu"
  done
  st=$(stat_line "$port")
  k=$name/naive
  t_nreads[$k]=$reads
  t_wall[$k]=$(median <"$tmp/naive.$name.wall")
  t_cpu[$k]=$(median <"$tmp/naive.$name.cpu")
  t_conn[$k]=$(kv connections "$st")
  t_req[$k]=$(kv requests "$st")
  t_chal[$k]=$(kv challenges "$st")
  [[ $(kv failures "$st") == 0 && $(kv faults "$st") == 0 ]] || die "naive against $name: auth failures or faults: $st"
done
nactions=$(wc -l <"$tmp/plan")
elapsed=$((SECONDS - t_begin))
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

per() { awk -v a="$1" -v n="$2" 'BEGIN {v = a / n; printf(v == int(v) ? "%d" : "%.2f", v)}'; }
# Our rows: the simulator's counts cover discovery (9 requests, no new
# connection after the first) plus the reads; per read they are
# (total - discovery) / reads, connections as a whole number over the run.
tr_table=$(
  echo "| simulator | client | reads | HTTP connections opened | connections per read | HTTP requests per read | 401 challenges per read | wall ms per read (median) | client CPU ms per read (median) |"
  echo "|---|---|--:|--:|--:|--:|--:|--:|--:|"
  for name in "${sims[@]}"; do
    for c in ours naive; do
      k=$name/$c
      dreq=0
      if [[ $c == ours ]]; then
        dreq=$(kv requests "${disc[$name]}")
        label="hl_http + hl_tr064, one handle (bench/fritz_read.c)"
        conn="${t_conn[$k]} (discovery + $reads reads)"
      else
        label="naive: one \`curl --digest\` process per action"
        conn=${t_conn[$k]}
      fi
      if [[ $c == ours ]]; then
        # The one digest challenge of the run comes with the first SOAP call.
        req="$(per "$((t_req[$k] - dreq - t_chal[$k]))" "$reads") (+${t_chal[$k]} challenge in the first read)"
        chal="${t_chal[$k]} in the whole run"
      else
        req=$(per "${t_req[$k]}" "$reads")
        chal=$(per "${t_chal[$k]}" "$reads")
      fi
      echo "| ${sim_label[$name]} | $label | ${t_nreads[$k]} | $conn | $(per "${t_conn[$k]}" "$reads") | $req | $chal | $(fmt "${t_wall[$k]}") | $(fmt "${t_cpu[$k]}") |"
    done
  done
)
tr_targets=$(
  echo "| target (issue) | limit | measured | verdict |"
  echo "|---|--:|--:|---|"
  for name in "${sims[@]}"; do
    c=$(per "${t_conn[$name/ours]}" "$reads")
    echo "| ${sim_label[$name]}: connections per box per read | ≤ 1 | ${t_conn[$name/ours]} over discovery + $reads reads ($c per read) | $(awk -v c="${t_conn[$name/ours]}" 'BEGIN {print (c <= 1) ? "met" : "**missed**"}') |"
  done
)

pkgver() { dpkg-query -W -f '${Version}' "$1" 2>/dev/null || echo "?"; }

section() {
  local cpu commit
  cpu=$(awk -F ': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
  commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo "?")
  if [[ -n $(git -C "$root" status --porcelain -- shared bench/fritz.sh bench/fritz_read.c tests/tools tests/integration/fritz_sim.py 2>/dev/null) ]]; then
    commit+=" (with uncommitted changes: $(git -C "$root" status --porcelain -- shared bench/fritz.sh bench/fritz_read.c tests/tools tests/integration/fritz_sim.py | awk '{print $2}' | paste -sd, | sed 's/,/, /g'))"
  fi
  cat <<EOF
Generated by \`$invocation\` on $(date -u '+%Y-%m-%d %H:%M UTC') (${elapsed} s).

- Machine: $(nproc) CPUs, ${cpu:-unknown CPU}, kernel $(uname -r), Debian $(cat /etc/debian_version 2>/dev/null || echo "?"); load average (1, 5, 15 min) $load_begin at the start, $load_end at the end
- Software: iputils-ping $(pkgver iputils-ping), curl $(pkgver curl), libcurl $(pkgver libcurl4), libxml2 $(pkgver libxml2), Python $("$py" -c 'import platform; print(platform.python_version())'), gcc $(pkgver gcc-12); sources from commit $commit

### ICMP: 100 targets, 10 dead, timeout 1 s

Client namespace with two veth links: 90 addresses 10.213.60.10-99 in one namespace (the kernel answers), 10 addresses 10.213.61.10-19 in another with \`net.ipv4.icmp_echo_ignore_all=1\` (they answer ARP, drop echoes); the dead ones are interleaved (every tenth target). One untimed engine run warms the neighbour caches first. Each side runs $rounds times, alternating which goes first; wall time is fork to wait4 of the process (the shell loop for the reference), CPU is user+system from the same wait4, so it includes every child (100 \`ping\` processes for the reference). Medians.

$icmp_table

$icmp_targets

Engine summary line of the last round: \`$engine_run\`

### TR-064: one full read of a DSL box

\`tests/integration/fritz_sim.py --personality dsl\` on 127.0.0.1, digest auth. One read = $nactions SOAP actions (DeviceInfo GetInfo; WANCommonInterfaceConfig GetCommonLinkProperties; WANPPPConnection GetInfo, GetExternalIPAddress; WANDSLInterfaceConfig GetInfo, GetStatisticsTotal; Hosts GetHostNumberOfEntries, X_AVM-DE_GetHostListPath; WLANConfiguration:1-3 GetTotalAssociations; IGD GetAddonInfos) plus the GET of the host list. **plugins/homelab_fritz.c did not exist yet**, so our side is bench/fritz_read.c: the plugin's client stack (one \`hl_http\` object = one persistent libcurl handle with digest auth; \`hl_tr064\` builds every envelope and parses every answer into its structs), which first does the discovery the plugin does at start (tr64desc.xml, igddesc.xml, the SCPDs: ${disc[asis]:+$(kv requests "${disc[asis]}")} GETs) and then $reads reads; wall and CPU per read are taken in process (CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID). The naive client gets the same action list (control URLs from the discovery) and runs one \`curl --digest\` process per action, each opening its own connection; one read is timed as one process tree (fork to wait4, CPU of all the curls). Connections, requests and 401 challenges are the simulator's own counters (\`/_sim/stats\`, reset before each side). Each row is run against the simulator as it is, and against the same code with \`TCP_NODELAY\` set on its sockets (\`Handler.disable_nagle_algorithm = True\`, via a wrapper).

$tr_table

$tr_targets

What it means:

- ICMP: the engine's read is bounded by the timeout, not by the number of targets: all 100 echoes leave at once from one poll loop, the 90 live answers arrive within milliseconds and the read ends when the 10 dead targets' 1 s timeout expires ($(fmt "$w_engine") s median, slowest $wmax_engine s, limit 1.2 s). The reference pays the timeout once per dead host in sequence plus a fork/exec per host ($(fmt "$w_ping") s), and would grow by 1 s per further dead host; with a 10 s interval it cannot finish a read before the next one is due. CPU per target is $(awk -v c="$c_engine" 'BEGIN {printf "%.0f", c * 10}') µs against $(awk -v c="$c_ping" 'BEGIN {printf "%.0f", c * 10}') µs (process start-up of \`ping\` dominates). The engine used raw sockets here (run as root); its datagram-socket path was not timed.
- TR-064: one \`hl_http\` handle keeps one connection for the discovery and every read (${t_conn[nodelay/ours]} connection in total) and answers the digest challenge once (libcurl reuses the nonce), so a read is $((nactions + 1)) requests. The naive client opens $(per "${t_conn[nodelay/naive]}" "$reads") connections per read and, because each curl starts without the nonce, collects a 401 challenge before every TR-064 action: $(per "${t_req[nodelay/naive]}" "$reads") requests per read, $(per "${t_chal[nodelay/naive]}" "$reads") of them 401s (twice the requests, and the pattern behind the "401 floods" users report). With TCP_NODELAY on the server a read costs $(fmt "${t_wall[nodelay/ours]}") ms against $(fmt "${t_wall[nodelay/naive]}") ms, and $(fmt "${t_cpu[nodelay/ours]}") ms of client CPU against $(fmt "${t_cpu[nodelay/naive]}") ms.
- Against the simulator as it is, both clients take about $(fmt "${t_wall[asis/ours]}") ms per read: Python's http.server sends the headers and the body of each reply in two writes with Nagle's algorithm on, so the body waits for the client's delayed ACK (about 40 ms, Linux) on every reply, and $((nactions + 1)) replies make about half a second. That is a property of the simulator (and of any box whose HTTP server writes that way), not of the client: the same client code is $(awk -v a="${t_wall[asis/ours]}" -v b="${t_wall[nodelay/ours]}" 'BEGIN {printf "%.0f", a / b}')× faster once the server sets TCP_NODELAY. A read of a few hundred ms is still far inside any read interval; the connection and request counts, the issue's target, are the same either way.

Values of our last read (against the simulator with TCP_NODELAY): \`$values_line\`

Commands:

\`\`\`sh
ip netns exec CLIENT icmp_probe -c 1 -W 1000 10.213.60.10 ... 10.213.61.19      # 100 targets, one process
ip netns exec CLIENT bash -c 'for a; do ping -n -q -c 1 -W 1 "\$a"; done' _ ...  # the reference
fritz_read -b http://127.0.0.1:PORT -u $user -p PWFILE -n $reads -o PLAN          # discovery + $reads reads, one hl_http
curl -sS --fail --digest -K CFG -H 'SOAPACTION: TYPE#ACTION' --data-binary @- http://127.0.0.1:PORT/CONTROL_URL   # naive, per action
\`\`\`
EOF
}

section >"$tmp/section.md"
cat "$tmp/section.md"

if $write_doc; then
  begin='<!-- fritz:begin (generated by bench/fritz.sh --write-doc; do not edit by hand) -->'
  end='<!-- fritz:end -->'
  [[ -f $doc ]] || printf '<!-- SPDX-License-Identifier: MIT -->\n# Benchmarks\n' >"$doc"
  if ! grep -qF -- "$end" "$doc"; then
    printf '\n## homelab_fritz: ICMP probing and one TR-064 read\n\n%s\n%s\n' \
      "$begin" "$end" >>"$doc"
  fi
  awk -v sect="$tmp/section.md" -v b="fritz:begin" -v e="fritz:end" '
    index($0, b) { print; while ((getline line < sect) > 0) print line; skip = 1; next }
    index($0, e) { skip = 0 }
    !skip { print }' "$doc" >"$tmp/doc.md"
  cat "$tmp/doc.md" >"$doc"
  echo "updated $doc" >&2
fi
