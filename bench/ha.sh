#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# ha.sh: what homelab_ha costs per read with 500 Home Assistant entities,
# against collectd's stock curl_json plugin configured for the same 500
# entities, in the same run (issue 6, "Benchmark").
#
# One simulator (tests/integration/ha_sim.py --entities 500: 17 default
# entities + sensor.gen_0001_temperature .. sensor.gen_0500_temperature) on
# 127.0.0.1 serves every variant:
#   ha_auto     homelab_ha, 500 `Entity` lines, FetchMode auto (it picks)
#   ha_bulk     the same, FetchMode bulk (one GET /api/states)
#   ha_each     the same, FetchMode each (one GET /api/states/<id> each)
#   ha_pattern  homelab_ha, one `EntityPattern "sensor.gen_*"`
#   cj_each     curl_json, 500 <URL> blocks for /api/states/<id>, each with
#               Header "Authorization: Bearer ..." and <Key "state">
#   cj_index    curl_json, one <URL> for /api/states with 500
#               <Key "N/state"> blocks (N: the entity's position in the
#               array, read from the simulator first) and an Instance each
#   cj_any      context: curl_json, one <URL> for /api/states with
#               <Key "*/state"> (every entity, named by position)
# Two measurements, both with the plugins' own .so files:
# (1) In process: bench/ha_bench.c (bench/harness.c, the stand-in daemon of
#     the other benchmarks, fed the same configuration file) times each
#     read (CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID), after 2 warm-up
#     reads. Plugin-side cost: the harness's dispatch only counts. Rounds
#     alternate the order of the variants. Requests per read are the
#     simulator's counters (/_sim/stats) over the measured reads; its CPU
#     time comes from /proc/PID/stat.
# (2) The real daemon: collectd -f with the same <Plugin> block, Interval
#     0.5 (1 for the two per-entity variants, whose reads take longer
#     than homelab_ha's read budget of 0.9 x 0.5 s on a loaded machine)
#     and a PostCacheChain whose only target is "stop" (values go through
#     dispatch and the value cache, no writer and no "no writer" log line
#     per value). After the first reads, CPU time of all its threads
#     (/proc/PID/task/*/schedstat, ns) over a window of --daemon-reads
#     intervals, divided by the reads in it (simulator requests / requests
#     per read); peak RSS is the daemon's VmHWM. Rounds alternate the
#     order, each variant in a fresh daemon.
# It prints markdown; --write-doc also replaces the homelab_ha block of
# docs/BENCHMARKS.md. Needs gcc, collectd-core (collectd, curl_json.so),
# libyajl, python3 and a build (make). About 100 s (--quick: about 40 s).
# Not run by scripts/test (scripts/lint only shellchecks it).
#
# usage: bench/ha.sh [--quick] [--write-doc] [--rounds N] [--reads N]
#                    [--daemon-reads N]
# env:   HL_HA_SO (default: homelab_ha.so of $HL_BUILDDIR, _build/main or
#        the source tree)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
doc=$root/docs/BENCHMARKS.md
py=/usr/bin/python3
collectd=/usr/sbin/collectd
stock=/usr/lib/collectd

invocation="bench/ha.sh"
for a in "$@"; do invocation+=" $(printf '%q' "$a")"; done

write_doc=false
rounds=2
reads=20
daemon_reads=5
entities=500

die() {
  echo "ha.sh: $*" >&2
  exit 1
}

number() { [[ $2 =~ ^[1-9][0-9]{0,2}$ ]] || die "$1 expects a number 1-999"; }

while (($#)); do
  case $1 in
  --quick)
    rounds=1
    reads=10
    daemon_reads=4
    ;;
  --write-doc) write_doc=true ;;
  --rounds | --reads | --daemon-reads)
    number "$1" "${2:-}"
    case $1 in
    --rounds) rounds=$2 ;;
    --reads) reads=$2 ;;
    *) daemon_reads=$2 ;;
    esac
    shift
    ;;
  -h | --help)
    sed -n '4,46p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *) die "unknown argument: $1 (see --help)" ;;
  esac
  shift
done
((rounds <= 5)) || die "--rounds: at most 5"
((daemon_reads <= 60)) || die "--daemon-reads: at most 60"

so=${HL_HA_SO:-}
if [[ -z $so ]]; then
  for d in ${HL_BUILDDIR:+"$HL_BUILDDIR"} "$root/_build/main" "$root"; do
    [[ -f $d/plugins/.libs/homelab_ha.so ]] && { so=$d/plugins/.libs/homelab_ha.so; break; }
  done
fi
[[ -n $so && -f $so ]] || die "homelab_ha.so not found; build first (make) or set HL_HA_SO"
for c in gcc curl "$py" "$collectd"; do
  command -v "$c" >/dev/null || die "$c is not installed"
done
[[ -f $stock/curl_json.so ]] || die "$stock/curl_json.so not found (collectd-core)"
[[ -f /usr/include/collectd/core/daemon/plugin.h ]] || die "collectd-dev headers not found"

tmp=$(mktemp -d)
sim_pid=""
daemon_pid=""
cleanup() {
  local p
  for p in "$daemon_pid" "$sim_pid"; do
    [[ -n $p ]] || continue
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

kv() { sed -n "s/.*\(^\| \)$1=\([^ ]*\).*/\2/p" <<<"$2" | head -n1; }
median() { sort -g | awk '{v[NR] = $1} END {if (NR) printf "%.3f", (v[int((NR + 1) / 2)] + v[int(NR / 2) + 1]) / 2}'; }
fmt() { awk -v v="$1" 'BEGIN {printf(v < 10 ? "%.2f" : (v < 100 ? "%.1f" : "%.0f"), v)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf(a / b < 10 ? "%.2f×" : "%.1f×", a / b); else printf "–"}'; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

t_begin=$SECONDS
load_begin=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- build -------------------------------------------------------------------
gcc -std=gnu11 -O2 -g -Wall -Wextra -Wshadow -Wstrict-prototypes \
  -Wmissing-prototypes -Wformat=2 -Werror -DHAVE_CONFIG_H \
  -I/usr/include/collectd -rdynamic -o "$tmp/ha_bench" \
  "$root/bench/ha_bench.c" -ldl -lm

# ---- the simulator -------------------------------------------------------------
printf 'bench-%s-%s%s\n' "$$" "$RANDOM" "$RANDOM" >"$tmp/token"
chmod 600 "$tmp/token"
token=$(head -n1 "$tmp/token")
"$py" "$root/tests/integration/ha_sim.py" --port 0 --token-file "$tmp/token" \
  --entities "$entities" --idle-timeout 120 >"$tmp/sim.out" 2>"$tmp/sim.err" &
sim_pid=$!
line=""
for ((i = 0; i < 100; i++)); do
  line=$(grep '^ready ' "$tmp/sim.out" || true)
  [[ -z $line ]] || break
  sleep 0.05
done
[[ -n $line ]] || { cat "$tmp/sim.err" >&2; die "the simulator did not start"; }
port=$(kv port "$line")
base=http://127.0.0.1:$port

# Position of every generated entity in GET /api/states (for cj_index).
cat >"$tmp/positions.py" <<'EOF'
import json, sys, urllib.request
req = urllib.request.Request(sys.argv[1] + "/api/states",
                             headers={"Authorization": "Bearer " + sys.argv[2]})
body = urllib.request.urlopen(req, timeout=10).read()
states = json.loads(body)
print(f"total {len(states)} {len(body)}")
for i, e in enumerate(states):
    if e["entity_id"].startswith("sensor.gen_"):
        print(i, e["entity_id"])
EOF
"$py" "$tmp/positions.py" "$base" "$token" >"$tmp/positions"
read -r _ total_entities states_bytes < <(grep '^total ' "$tmp/positions")
grep -v '^total ' "$tmp/positions" >"$tmp/gen"
(($(wc -l <"$tmp/gen") == entities)) || die "expected $entities generated entities, got $(wc -l <"$tmp/gen")"

# ---- the configurations (<Plugin> blocks, shared by both measurements) --------
variants=(ha_auto ha_bulk ha_each ha_pattern cj_each cj_index cj_any)
declare -A label=(
  [ha_auto]="homelab_ha: 500 \`Entity\` lines, \`FetchMode auto\`"
  [ha_bulk]="homelab_ha: 500 \`Entity\` lines, \`FetchMode bulk\`"
  [ha_each]="homelab_ha: 500 \`Entity\` lines, \`FetchMode each\`"
  [ha_pattern]="homelab_ha: \`EntityPattern \"sensor.gen_*\"\`"
  [cj_each]="curl_json: 500 \`<URL>\` blocks (/api/states/&lt;id&gt;, \`<Key \"state\">\`)"
  [cj_index]="curl_json: one \`<URL>\` (/api/states), 500 \`<Key \"N/state\">\` with \`Instance\`"
  [cj_any]="context: curl_json, one \`<URL>\` (/api/states), \`<Key \"*/state\">\`"
)
ha_block() { # FETCHMODE|pattern
  echo '<Plugin "homelab_ha">'
  echo '  <Instance "bench">'
  echo "    URL \"$base\""
  echo "    TokenFile \"$tmp/token\""
  if [[ $1 == pattern ]]; then
    echo '    EntityPattern "sensor.gen_*"'
  else
    echo "    FetchMode \"$1\""
    while read -r _ id; do echo "    Entity \"$id\""; done <"$tmp/gen"
  fi
  echo '  </Instance>'
  echo '</Plugin>'
}
for m in auto bulk each pattern; do ha_block "$m" >"$tmp/ha_$m.conf"; done
{
  echo '<Plugin "curl_json">'
  while read -r _ id; do
    printf '  <URL "%s/api/states/%s">\n    Instance "ha"\n    Header "Authorization: Bearer %s"\n' "$base" "$id" "$token"
    printf '    <Key "state">\n      Type "temperature"\n      Instance "%s"\n    </Key>\n  </URL>\n' "$id"
  done <"$tmp/gen"
  echo '</Plugin>'
} >"$tmp/cj_each.conf"
{
  echo '<Plugin "curl_json">'
  printf '  <URL "%s/api/states">\n    Instance "ha"\n    Header "Authorization: Bearer %s"\n' "$base" "$token"
  while read -r pos id; do
    printf '    <Key "%s/state">\n      Type "temperature"\n      Instance "%s"\n    </Key>\n' "$pos" "$id"
  done <"$tmp/gen"
  echo '  </URL>'
  echo '</Plugin>'
} >"$tmp/cj_index.conf"
{
  echo '<Plugin "curl_json">'
  printf '  <URL "%s/api/states">\n    Instance "ha"\n    Header "Authorization: Bearer %s"\n' "$base" "$token"
  printf '    <Key "*/state">\n      Type "temperature"\n    </Key>\n  </URL>\n'
  echo '</Plugin>'
} >"$tmp/cj_any.conf"
chmod 600 "$tmp"/*.conf
plugin_so() { if [[ $1 == ha_* ]]; then echo "$so"; else echo "$stock/curl_json.so"; fi; }

# stats.py FILE READS: the simulator's counters per read.
cat >"$tmp/stats.py" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
n = float(sys.argv[2])
p = s["paths"]
each = sum(v for k, v in p.items() if k.startswith("/api/states/"))
bad = sum(v for k, v in s["status"].items() if k != "200")
print(f"requests={s['requests'] / n:g} conns={s['connections'] / n:g} "
      f"api={p.get('/api/', 0) / n:g} core={p.get('/api/core/state', 0) / n:g} "
      f"config={p.get('/api/config', 0) / n:g} "
      f"bulk={p.get('/api/states', 0) / n:g} each={each / n:g} "
      f"non200={bad} authfail={s['auth']['failures']} "
      f"maxperconn={s['max_requests_per_connection']}")
EOF

# ---- (1) in process: ha_bench ------------------------------------------------------
echo "== in process: $rounds round(s) of $reads reads per variant (simulator on port $port)" >&2
for ((r = 1; r <= rounds; r++)); do
  order=("${variants[@]}")
  if ((r % 2 == 0)); then
    order=()
    for ((i = ${#variants[@]} - 1; i >= 0; i--)); do order+=("${variants[i]}"); done
  fi
  for v in "${order[@]}"; do
    list=()
    ((r == 1)) && list=(-l)
    "$tmp/ha_bench" -n "$reads" -w 2 -p 10000 "${list[@]}" \
      -s "$port:$sim_pid:$tmp/$v.$r" -c "$tmp/$v.conf" -P "$(plugin_so "$v")" \
      >"$tmp/$v.$r.out" 2>"$tmp/$v.$r.err" ||
      { tail -n 20 "$tmp/$v.$r.err" >&2; die "ha_bench failed for $v"; }
    res=$(tail -n1 "$tmp/$v.$r.out")
    [[ $(kv failures "$res") == 0 && $(kv warmup_failures "$res") == 0 ]] ||
      die "$v: read callbacks failed: $res"
    echo "$res" >"$tmp/$v.$r.res"
    "$py" "$tmp/stats.py" "$tmp/$v.$r.reads.json" "$reads" >"$tmp/$v.$r.sim"
    st=$(cat "$tmp/$v.$r.sim")
    [[ $(kv non200 "$st") == 0 && $(kv authfail "$st") == 0 ]] || die "$v: the simulator saw errors: $st"
    echo "   round $r $v: wall $(fmt "$(awk -v u="$(kv wall_us_median "$res")" 'BEGIN {print u / 1000}')") ms, CPU $(fmt "$(awk -v u="$(kv cpu_us_median "$res")" 'BEGIN {print u / 1000}')") ms, $(kv requests "$st") requests per read" >&2
  done
done

# Value lists of one read by type (from the listing of round 1).
types_of() {
  awk '/^  [^ ]+ = / {split($1, a, "/"); t = a[3]; sub(/-.*/, "", t); n[t]++}
    END {for (t in n) printf "%s %d\n", t, n[t]}' "$tmp/$1.1.out" | sort -k2,2nr -k1,1
}

# ---- (2) the real daemon ---------------------------------------------------------------
mkdir -p "$tmp/d"
types_db="\"/usr/share/collectd/types.db\""
[[ -f $root/types.db.d/homelab.db ]] && types_db+=" \"$root/types.db.d/homelab.db\""
# collectd's Interval: homelab_ha cuts a read short after 0.9 x Interval, and
# the per-entity variants need more than 0.45 s when the machine is busy.
interval_of() { case $1 in *_each) echo 1 ;; *) echo 0.5 ;; esac; }
daemon_conf() { # VARIANT
  cat <<EOF
Hostname "habench"
FQDNLookup false
BaseDir "$tmp/d"
PIDFile "$tmp/d/collectd.pid"
Interval $(interval_of "$1")
AutoLoadPlugin false
TypesDB $types_db
PostCacheChain "HaBenchStop"
<Chain "HaBenchStop">
  Target "stop"
</Chain>
PluginDir "$stock"
LoadPlugin logfile
<Plugin logfile>
  LogLevel info
  File "$tmp/d/$1.log"
  Timestamp true
  PrintSeverity true
</Plugin>
EOF
  if [[ $1 == ha_* ]]; then
    echo "PluginDir \"$(dirname "$so")\""
    echo "LoadPlugin homelab_ha"
  else
    echo "LoadPlugin curl_json"
  fi
  cat "$tmp/$1.conf"
}
task_cpu_ns() {
  local s=0 t a
  for t in /proc/"$1"/task/*/schedstat; do
    read -r a _ <"$t" 2>/dev/null && s=$((s + a))
  done
  echo "$s"
}
sim_reset() { curl -s --max-time 5 -o /dev/null -H 'Content-Type: application/json' --data '{"reset_stats": true}' "$base/_sim/control"; }

echo "== collectd -f: $rounds round(s) of $daemon_reads intervals per variant ($((SECONDS - t_begin)) s so far)" >&2
for ((r = 1; r <= rounds; r++)); do
  order=("${variants[@]}")
  if ((r % 2 == 0)); then
    order=()
    for ((i = ${#variants[@]} - 1; i >= 0; i--)); do order+=("${variants[i]}"); done
  fi
  for v in "${order[@]}"; do
    daemon_conf "$v" >"$tmp/d/$v.full.conf"
    chmod 600 "$tmp/d/$v.full.conf"
    "$collectd" -C "$tmp/d/$v.full.conf" -f >"$tmp/d/$v.$r.out" 2>&1 &
    daemon_pid=$!
    sleep "$(awk -v i="$(interval_of "$v")" 'BEGIN {print 0.3 + 1.5 * i}')" # the first two reads (connections, /api/config)
    kill -0 "$daemon_pid" 2>/dev/null || { cat "$tmp/d/$v.$r.out" "$tmp/d/$v.log" >&2; die "collectd exited for $v"; }
    c0=$(task_cpu_ns "$daemon_pid")
    sim_reset
    l0=$(wc -l <"$tmp/d/$v.log")
    sleep "$(awk -v i="$(interval_of "$v")" -v n="$daemon_reads" 'BEGIN {print i * n}')"
    c1=$(task_cpu_ns "$daemon_pid")
    curl -s --max-time 5 "$base/_sim/stats" >"$tmp/d/$v.$r.json"
    sed -n "$((l0 + 1)),\$p" "$tmp/d/$v.log" | grep '\[error\]' >"$tmp/d/$v.$r.errors" || true
    hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$daemon_pid/status")
    kill "$daemon_pid"
    wait "$daemon_pid" || true
    daemon_pid=""
    # Requests per read from the in-process run; reads in the window from them.
    rpr=$(kv requests "$(cat "$tmp/$v.1.sim")")
    st=$("$py" "$tmp/stats.py" "$tmp/d/$v.$r.json" 1)
    [[ $(kv non200 "$st") == 0 ]] || die "$v in collectd: the simulator saw errors: $st"
    nreads=$(awk -v q="$(kv requests "$st")" -v r="$rpr" 'BEGIN {printf "%.2f", q / r}')
    echo "cpu_ms=$(awk -v a="$c0" -v b="$c1" 'BEGIN {printf "%.3f", (b - a) / 1e6}') reads=$nreads hwm_kib=$hwm errors=$(wc -l <"$tmp/d/$v.$r.errors") conns=$(kv conns "$st")" >"$tmp/d/$v.$r.res"
    echo "   round $r $v: $(cat "$tmp/d/$v.$r.res")" >&2
  done
done
elapsed=$((SECONDS - t_begin))
echo "== done measuring after $elapsed s" >&2
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- figures -----------------------------------------------------------------------------
declare -A W C CM FW FC SIM HWM RG REQ CONN LISTS TEMP DCPU DPER DHWM DREADS DERR PATHS
for v in "${variants[@]}"; do
  w=() c=() cm=() fw=() fc=() sc=() h=() g=()
  for ((r = 1; r <= rounds; r++)); do
    res=$(cat "$tmp/$v.$r.res")
    w+=("$(kv wall_us_median "$res")")
    c+=("$(kv cpu_us_median "$res")")
    cm+=("$(kv cpu_us_mean "$res")")
    fw+=("$(kv first_wall_us "$res")")
    fc+=("$(kv first_cpu_us "$res")")
    sc+=("$(awk -v s="$(kv sim_cpu_ms "$res")" -v n="$reads" 'BEGIN {print s / n}')")
    h+=("$(kv hwm_kib "$res")")
    g+=("$(($(kv rss_kib_end "$res") - $(kv rss_kib_warm "$res")))")
  done
  W[$v]=$(printf '%s\n' "${w[@]}" | awk '{print $1 / 1000}' | median)
  C[$v]=$(printf '%s\n' "${c[@]}" | awk '{print $1 / 1000}' | median)
  CM[$v]=$(printf '%s\n' "${cm[@]}" | awk '{print $1 / 1000}' | median)
  FW[$v]=$(printf '%s\n' "${fw[@]}" | awk '{print $1 / 1000}' | median)
  FC[$v]=$(printf '%s\n' "${fc[@]}" | awk '{print $1 / 1000}' | median)
  SIM[$v]=$(printf '%s\n' "${sc[@]}" | median)
  HWM[$v]=$(printf '%s\n' "${h[@]}" | sort -g | tail -n1)
  RG[$v]=$(printf '%s\n' "${g[@]}" | sort -g | tail -n1)
  st=$(cat "$tmp/$v.1.sim")
  REQ[$v]=$(kv requests "$st")
  CONN[$v]=$(kv conns "$st")
  PATHS[$v]=$st
  res=$(cat "$tmp/$v.1.res")
  LISTS[$v]=$(awk -v l="$(kv lists_per_read "$res")" 'BEGIN {printf "%g", l}')
  TEMP[$v]=$(types_of "$v" | awk '$1 == "temperature" {print $2}')
  tc=0 tn=0 te=0 per=() h=()
  for ((r = 1; r <= rounds; r++)); do
    d=$(cat "$tmp/d/$v.$r.res")
    tc=$(awk -v a="$tc" -v b="$(kv cpu_ms "$d")" 'BEGIN {print a + b}')
    tn=$(awk -v a="$tn" -v b="$(kv reads "$d")" 'BEGIN {print a + b}')
    te=$((te + $(kv errors "$d")))
    per+=("$(fmt "$(awk -v c="$(kv cpu_ms "$d")" -v n="$(kv reads "$d")" 'BEGIN {print (n > 0) ? c / n : 0}')")")
    h+=("$(kv hwm_kib "$d")")
  done
  DREADS[$v]=$(awk -v n="$tn" 'BEGIN {printf "%g", n}')
  DCPU[$v]=$(awk -v c="$tc" -v n="$tn" 'BEGIN {print (n > 0) ? c / n : 0}')
  DPER[$v]=$(
    IFS=/
    echo "${per[*]}"
  )
  DHWM[$v]=$(printf '%s\n' "${h[@]}" | sort -g | tail -n1)
  DERR[$v]=$te
done
auto_mode=bulk
[[ $(kv each "${PATHS[ha_auto]}") == 0 ]] || auto_mode=each
cj_any_errors=$(grep -c 'parse_value: Failed' "$tmp/cj_any.1.err" || true)
cj_any_errors_per_read=$(awk -v e="$cj_any_errors" -v n="$((reads + 3))" 'BEGIN {printf "%g", e / n}')

requests_cell() { # VARIANT
  local st=${PATHS[$1]} parts=()
  [[ $(kv api "$st") == 0 ]] || parts+=("/api/ $(kv api "$st")")
  [[ $(kv core "$st") == 0 ]] || parts+=("core/state $(kv core "$st")")
  [[ $(kv config "$st") == 0 ]] || parts+=("config $(kv config "$st")")
  [[ $(kv bulk "$st") == 0 ]] || parts+=("/api/states $(kv bulk "$st")")
  [[ $(kv each "$st") == 0 ]] || parts+=("/api/states/&lt;id&gt; $(kv each "$st")")
  local joined
  joined=$(printf '%s, ' "${parts[@]}")
  echo "**$(kv requests "$st")** (${joined%, })"
}
lists_cell() { # VARIANT
  echo "${LISTS[$1]} (${TEMP[$1]:-0} temperature)"
}

main_table=$(
  echo "| variant | requests / read | new connections / read | value lists / read | wall ms / read (median) | CPU ms / read (median) | CPU ms / read (mean) | first read: wall ms, CPU ms | simulator CPU ms / read | peak RSS MiB (harness process) |"
  echo "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
  for v in "${variants[@]}"; do
    echo "| ${label[$v]} | $(requests_cell "$v") | ${CONN[$v]} | $(lists_cell "$v") | $(fmt "${W[$v]}") | $(fmt "${C[$v]}") | $(fmt "${CM[$v]}") | $(fmt "${FW[$v]}"), $(fmt "${FC[$v]}") | $(fmt "${SIM[$v]}") | $(mib "${HWM[$v]}") |"
  done
)
daemon_table=$(
  echo "| variant | reads measured | CPU ms / read (collectd, all threads) | … per round | × in process | peak RSS MiB (collectd VmHWM) | ERROR lines logged in the windows |"
  echo "|---|--:|--:|--:|--:|--:|--:|"
  for v in "${variants[@]}"; do
    echo "| ${label[$v]} | ${DREADS[$v]} | $(fmt "${DCPU[$v]}") | ${DPER[$v]} | $(ratio "${DCPU[$v]}" "${C[$v]}") | $(mib "${DHWM[$v]}") | ${DERR[$v]} |"
  done
)
cmp_row() { # LABEL OURS THEIRS
  echo "| $1 | $(ratio "${W[$2]}" "${W[$3]}") | $(ratio "${C[$2]}" "${C[$3]}") | $(ratio "${DCPU[$2]}" "${DCPU[$3]}") | $(ratio "${DHWM[$2]}" "${DHWM[$3]}") | $(ratio "${REQ[$2]}" "${REQ[$3]}") | $(ratio "${SIM[$2]}" "${SIM[$3]}") |"
}
cmp_table=$(
  echo "| ours / theirs | wall / read | CPU / read (in process) | CPU / read (collectd) | peak RSS (collectd) | requests / read | simulator CPU / read |"
  echo "|---|--:|--:|--:|--:|--:|--:|"
  cmp_row "ha_auto (picks $auto_mode) / cj_each (what curl_json needs to name 500 entities robustly)" ha_auto cj_each
  cmp_row "ha_auto / cj_index (one request, entities by array position)" ha_auto cj_index
  cmp_row "ha_pattern / cj_index" ha_pattern cj_index
  cmp_row "ha_each / cj_each (both one request per entity)" ha_each cj_each
)

# Statements whose truth depends on this run's figures.
filter_note=""
if awk -v b="${C[ha_bulk]}" -v p="${C[ha_pattern]}" 'BEGIN {exit !(b > 1.2 * p)}'; then
  filter_note="; 500 \`Entity\` lines are matched against every entity of the answer one id after the other"
fi
extra_each=$(awk -v d="${DCPU[ha_each]}" -v c="${C[ha_each]}" 'BEGIN {printf "%.1f", d - c}')
extra_bulk=$(awk -v d="${DCPU[ha_bulk]}" -v c="${C[ha_bulk]}" 'BEGIN {printf "%.1f", d - c}')
if awk -v e="$extra_each" -v b="$extra_bulk" 'BEGIN {exit !(e > 2 * b)}'; then
  trickle_note="- **Value lists that trickle in cost more than a burst:** in collectd, \`each\` costs $extra_each ms per read on top of the in-process figure, \`bulk\` $extra_bulk ms, for the same ${LISTS[ha_each]} value lists. In \`each\` the plugin dispatches each entity's 3 lists as its answer arrives, so the idle write threads are woken (futex) for almost every list; after one /api/states the lists come in one burst. (\`perf record\` on the daemon while this was written: about 60 % of its \`each\` samples were in the kernel's futex wake/wait and scheduler.) curl_json's 500 URLs trickle the same way."
else
  trickle_note="- In collectd, \`each\` costs $extra_each ms per read on top of the in-process figure and \`bulk\` $extra_bulk ms, for the same ${LISTS[ha_each]} value lists."
fi

# What collectd logged as errors for homelab_ha during the windows (none
# expected), by message.
ha_errors=$(cat "$tmp"/d/ha_*.errors 2>/dev/null | sed 's/^\[[^]]*\] \[error\] //' | sort | uniq -c | sort -rn |
  awk '{n = $1; $1 = ""; printf "%s`%s` (%d×)", (NR > 1 ? ", " : ""), substr($0, 2, 160), n}' || true)
errors_note=""
[[ -z $ha_errors ]] || errors_note="
- collectd logged these errors for homelab_ha during the windows: $ha_errors."

pkgver() { dpkg-query -W -f '${Version}' "$1" 2>/dev/null || echo "?"; }
section() {
  local cpu commit dirty
  cpu=$(awk -F ': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
  commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo "?")
  dirty=$(git -C "$root" status --porcelain -- plugins/homelab_ha.c plugins/hl_plugin.c shared/hl_ha.c shared/hl_http.c shared/hl_curl.c bench/ha.sh bench/ha_bench.c bench/harness.c 2>/dev/null | awk '{print $2}' | paste -sd, | sed 's/,/, /g')
  [[ -z $dirty ]] || commit+=" (with uncommitted changes: $dirty)"
  cat <<EOF
Generated by \`$invocation\` on $(date -u '+%Y-%m-%d %H:%M UTC') (${elapsed} s).

- Machine: $(nproc) CPUs, ${cpu:-unknown CPU}, kernel $(uname -r), Debian $(cat /etc/debian_version 2>/dev/null || echo "?"); load average (1, 5, 15 min) $load_begin at the start, $load_end at the end
- Software: collectd-core $(pkgver collectd-core) (curl_json with libcurl3-gnutls $(pkgver libcurl3-gnutls)), libcurl4 $(pkgver libcurl4) (homelab_ha loads libcurl.so.4 at run time), libyajl2 $(pkgver libyajl2), Python $("$py" -c 'import platform; print(platform.python_version())'), gcc $(pkgver gcc-12); homelab_ha from commit $commit
- Simulator: \`tests/integration/ha_sim.py --entities $entities\`: $total_entities entities, $states_bytes bytes of /api/states; one process, one thread per connection, TCP_NODELAY.
- In process: bench/ha_bench.c, $rounds round(s) (the order of the variants alternates) of 2 warm-up reads and $reads measured reads per variant, 10 ms apart; medians of the round medians. The first warm-up read is reported on its own. Requests and new connections per read: the simulator's counters over the measured reads. Peak RSS: the harness process's VmHWM (about 1.4 MiB of it is the harness itself).
- collectd: \`collectd -f\` with \`Interval 0.5\` (\`Interval 1\` for the two per-entity variants: homelab_ha cuts a read short after 0.9 × Interval, and on this busy machine 500 requests took longer than 0.45 s), ReadThreads and WriteThreads 5 (the defaults) and a PostCacheChain whose only target is \`stop\` (dispatch and value cache, no writer); $rounds round(s), the order alternating, each variant in a fresh daemon: after the first two reads, a window of $daemon_reads intervals. CPU time of all threads from /proc/PID/task/*/schedstat, divided by the reads in the window (the simulator's requests / requests per read). Peak RSS: VmHWM.

#### In process (plugin-side cost)

$main_table

#### In the real daemon (plugin + collectd's dispatch and value cache)

$daemon_table

#### Ratios

$cmp_table

**What it means** (generated from this run's figures):

- **FetchMode auto picked $auto_mode** for 500 \`Entity\` lines out of $total_entities entities: $(kv requests "${PATHS[ha_auto]}") requests per read (GET /api/, /api/core/state, /api/states; /api/config only in the first read, then hourly), over one kept-alive connection. Forcing \`each\` costs $(kv requests "${PATHS[ha_each]}") requests per read: $(fmt "${W[ha_each]}") ms instead of $(fmt "${W[ha_bulk]}") ms, $(fmt "${C[ha_each]}") instead of $(fmt "${C[ha_bulk]}") ms of CPU in process, $(fmt "${DCPU[ha_each]}") instead of $(fmt "${DCPU[ha_bulk]}") ms in collectd, and $(fmt "${SIM[ha_each]}") instead of $(fmt "${SIM[ha_bulk]}") ms of the simulator's CPU. The simulator answers one /api/states/&lt;id&gt; for about the CPU it needs to put $(awk -v e="${SIM[ha_each]}" -v b="${SIM[ha_bulk]}" -v n="$total_entities" 'BEGIN {printf "%.0f", (e / 500) / (b / n)}') entities into /api/states (the plugin assumes 20 for Home Assistant: HA_EACH_RATIO).
- **Against curl_json's per-URL form** (cj_each, the only form that names 500 entities robustly), homelab_ha (auto) makes $(kv requests "${PATHS[ha_auto]}") requests instead of $(kv requests "${PATHS[cj_each]}") and keeps 1 connection instead of 500 (curl_json has one easy handle, so one connection and one simulator thread, per \`<URL>\`): $(fmt "${W[ha_auto]}") against $(fmt "${W[cj_each]}") ms per read, $(fmt "${C[ha_auto]}") against $(fmt "${C[cj_each]}") ms of CPU in process, $(fmt "${DCPU[ha_auto]}") against $(fmt "${DCPU[cj_each]}") ms in collectd, $(mib "${DHWM[ha_auto]}") against $(mib "${DHWM[cj_each]}") MiB peak RSS of collectd. Its first read opens the 500 connections: $(fmt "${FW[cj_each]}") ms.
- **Against curl_json's one-request form** (cj_index), the cheapest possible client: both parse the same ${states_bytes}-byte answer, and in process ours costs $(fmt "${C[ha_auto]}") ms of CPU against $(fmt "${C[cj_index]}") ms ($(fmt "${C[ha_pattern]}") ms with \`EntityPattern\`$filter_note). But ours dispatches $(awk -v a="${LISTS[ha_auto]}" -v b="${LISTS[cj_index]}" 'BEGIN {printf "%.0f", a / b}')× the value lists: each entity's temperature plus \`homelab_available\` and \`homelab_age\`, with entity_id, friendly_name and unit meta data. In collectd every value list is handed to the write threads and the value cache, which costs more than the plugin's own work: $(fmt "${DCPU[ha_auto]}") against $(fmt "${DCPU[cj_index]}") ms per read ($(ratio "${DCPU[ha_auto]}" "${DCPU[cj_index]}")).
$trickle_note
- **What curl_json cannot do:** it addresses array elements by position, so cj_index reports the wrong entity as soon as one is added or removed before it, and cj_any names every value by position (\`temperature-17-state\`), gives every numeric state the one configured type (humidity, power and energy alike) and logs an ERROR for every non-numeric state ($cj_any_errors_per_read per read here: on, off, home, locked, unavailable, ...). No form reports string states, availability, last_updated, attributes or the core state, and every form needs the token inline in collectd.conf (\`Header "Authorization: Bearer ..."\`), where homelab_ha reads a TokenFile or TokenEnv.
- Memory: the harness process peaked at $(mib "${HWM[ha_auto]}") MiB with homelab_ha (auto) and at $(mib "${HWM[cj_each]}") MiB with curl_json's 500 handles; RSS grew by at most $(printf '%s\n' "${RG[ha_auto]}" "${RG[ha_bulk]}" "${RG[ha_each]}" "${RG[ha_pattern]}" | sort -g | tail -n1) KiB over the $reads measured reads of any homelab_ha variant.$errors_note
- Noise: the simulator (Python) does most of the work of a read and shares the machine's $(nproc) CPUs with the client and whatever else runs, so wall times move most; collectd's CPU per read moves with how often its write threads sleep and wake (see the per-round figures). Compare ratios from one run. In collectd the 500 cj_each callbacks run on 5 read threads, so their requests overlap; in process they run one after the other. The simulator needs more CPU per request when requests are 0.5 s apart than 10 ms apart (caches), so its CPU is only given for the in-process runs.

Commands (\`ha_bench\` is bench/ha_bench.c built by the script; CONF holds the variant's \`<Plugin>\` block):

\`\`\`sh
ha_sim.py --port 0 --token-file TOKEN --entities $entities --idle-timeout 120
ha_bench -n $reads -w 2 -p 10000 -s PORT:SIMPID:PREFIX -c CONF -P BUILDDIR/plugins/.libs/homelab_ha.so   # or -P $stock/curl_json.so
collectd -f -C FULLCONF   # Interval 0.5 (1), PostCacheChain -> stop, the same <Plugin> block
\`\`\`
EOF
}

section >"$tmp/section.md"
cat "$tmp/section.md"

if $write_doc; then
  begin='<!-- ha:begin (generated by bench/ha.sh --write-doc; do not edit by hand) -->'
  end='<!-- ha:end -->'
  [[ -f $doc ]] || printf '<!-- SPDX-License-Identifier: MIT -->\n# Benchmarks\n' >"$doc"
  if ! grep -qF -- "$end" "$doc"; then
    printf '\n## homelab_ha: 500 Home Assistant entities\n\n%s\n%s\n' \
      "$begin" "$end" >>"$doc"
  fi
  awk -v sect="$tmp/section.md" -v b="<!-- ha:begin" -v e="<!-- ha:end" '
    index($0, b) { print; while ((getline line < sect) > 0) print line; skip = 1; next }
    index($0, e) { skip = 0 }
    !skip { print }' "$doc" >"$tmp/doc.md"
  cat "$tmp/doc.md" >"$doc"
  echo "updated $doc" >&2
fi
