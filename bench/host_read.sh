#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# host_read.sh: what one read of homelab_host costs next to collectd's own
# cpu + memory + load + df + uptime plugins configured for the same values.
#
# It builds bench/harness.c (a stand-in daemon that dlopen()s plugins and runs
# their read callbacks) into a temporary directory, then in one run:
#   1. counts instructions per read with valgrind --tool=callgrind, collecting
#      only inside bench_one_read() (deterministic, so it holds on a noisy
#      machine), for each side;
#   2. times single reads outside valgrind (CLOCK_MONOTONIC), alternating the
#      sides over several rounds, and reports the median of the round medians.
# It prints a markdown table; --write-doc also replaces the generated part of
# docs/BENCHMARKS.md. Two extra rows put the comparison in context: ours with
# the process/thread counts on (its default) and theirs plus the swap plugin
# (ours reports swap too).
#
# usage: bench/host_read.sh [--write-doc] [--profile] [--keep DIR]
#                           [--reads N] [--wall-reads N] [--rounds N]
#                           [--pause-us N]
# env:   HL_HOST_SO (default: _build/main/ or in-tree plugins/.libs/homelab_host.so)
#        COLLECTD_PLUGIN_DIR (default /usr/lib/collectd)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ours_so=${HL_HOST_SO:-}
if [[ -z "$ours_so" ]]; then # scripts/test builds into _build/main
  for d in "$root/_build/main" "$root"; do
    [[ -f "$d/plugins/.libs/homelab_host.so" ]] && { ours_so=$d/plugins/.libs/homelab_host.so; break; }
  done
fi
stock=${COLLECTD_PLUGIN_DIR:-/usr/lib/collectd}
doc=$root/docs/BENCHMARKS.md

invocation="bench/host_read.sh"
for a in "$@"; do invocation+=" $(printf '%q' "$a")"; done

write_doc=false
profile=false
keep=""
reads=100      # callgrind reads per side
wall_reads=100 # timed reads per side and round
rounds=5
pause_us=11000 # > one USER_HZ tick, so CPU counters move between reads

die() {
  echo "host_read.sh: $*" >&2
  exit 1
}

number() { [[ $2 =~ ^[1-9][0-9]{0,6}$ ]] || die "$1 expects a positive number"; }

while (($#)); do
  case $1 in
  --write-doc) write_doc=true ;;
  --profile) profile=true ;;
  --keep)
    keep=${2:?--keep needs a directory}
    shift
    ;;
  --reads | --wall-reads | --rounds | --pause-us)
    number "$1" "${2:-}"
    case $1 in
    --reads) reads=$2 ;;
    --wall-reads) wall_reads=$2 ;;
    --rounds) rounds=$2 ;;
    --pause-us) pause_us=$2 ;;
    esac
    shift
    ;;
  -h | --help)
    sed -n '4,23p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *) die "unknown argument: $1 (see --help)" ;;
  esac
  shift
done

command -v valgrind >/dev/null || die "valgrind is not installed"
command -v gcc >/dev/null || die "gcc is not installed"
[[ -f $ours_so ]] || die "$ours_so not found; build it first (make)"
for p in cpu memory load df uptime swap; do
  [[ -f $stock/$p.so ]] || die "$stock/$p.so not found (collectd-core)"
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

gcc -std=gnu11 -O2 -g -Wall -Wextra -Wshadow -Wstrict-prototypes \
  -Wmissing-prototypes -Wformat=2 -Werror -DHAVE_CONFIG_H \
  -I/usr/include/collectd -rdynamic -o "$tmp/hl_bench" \
  "$root/bench/harness.c" -ldl -lm

# ---- the sides ----------------------------------------------------------------
sides=(ours theirs ours_procs theirs_swap)
ours_base=(-P "$ours_so" -o MountPoint=/ -o ReportPerCPU=false
  -o ValuesAbsolute=true -o ValuesPercentage=true)
theirs_base=(
  -P "$stock/cpu.so" -o ReportByCpu=false -o ReportByState=true
  -o ValuesPercentage=true
  -P "$stock/memory.so" -o ValuesAbsolute=true -o ValuesPercentage=true
  -P "$stock/load.so"
  -P "$stock/df.so" -o MountPoint=/ -o ValuesAbsolute=true
  -o ValuesPercentage=true -o ReportInodes=true
  -P "$stock/uptime.so")

# Sets the array "args" to the harness plugin arguments of side $1.
side_args() {
  case $1 in
  ours) args=("${ours_base[@]}" -o ReportProcesses=false) ;;
  ours_procs) args=("${ours_base[@]}" -o ReportProcesses=true) ;;
  theirs) args=("${theirs_base[@]}") ;;
  theirs_swap)
    args=("${theirs_base[@]}" -P "$stock/swap.so" -o ValuesAbsolute=true
      -o ValuesPercentage=true -o ReportIO=false -o ReportByDevice=false)
    ;;
  esac
}

# kv KEY FILE: the value of KEY in the harness's key=value result line.
kv() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <(sed 's/^/ /' "$2" | tail -n 1); }

# Human-readable shell command line.
quote() {
  local out="" a
  for a in "$@"; do out+="$(printf '%q' "$a") "; done
  echo "${out% }"
}

cg_cmd=(valgrind --tool=callgrind --collect-atstart=no
  --toggle-collect=bench_one_read)

# Results by side.
declare -A ir lists values wall

# ---- 1. instructions per read (callgrind) ------------------------------------
for s in "${sides[@]}"; do
  side_args "$s"
  echo "callgrind: $s ($reads reads)" >&2
  "${cg_cmd[@]}" --callgrind-out-file="$tmp/$s.cg" \
    "$tmp/hl_bench" -n "$reads" -p "$pause_us" "${args[@]}" \
    >"$tmp/$s.cg.out" 2>"$tmp/$s.cg.log" ||
    { cat "$tmp/$s.cg.log" >&2; die "callgrind run of $s failed"; }
  total=$(awk '/^totals:/ {print $2}' "$tmp/$s.cg")
  [[ -n $total ]] || die "no totals in callgrind output of $s"
  ir[$s]=$(awk -v t="$total" -v n="$reads" 'BEGIN {printf "%.0f", t / n}')
  lists[$s]=$(kv lists_per_read "$tmp/$s.cg.out")
  values[$s]=$(kv values_per_read "$tmp/$s.cg.out")
  if [[ $(kv failures "$tmp/$s.cg.out") != 0 ]]; then
    echo "warning: $s: read callbacks failed (see $s.cg.out)" >&2
  fi
  if [[ $(kv lists_min "$tmp/$s.cg.out") != $(kv lists_max "$tmp/$s.cg.out") ]]; then
    echo "warning: $s: value lists per read varied; raise --pause-us" >&2
  fi
done

# ---- 2. wall time of one read (alternating rounds) ----------------------------
for ((r = 1; r <= rounds; r++)); do
  echo "wall time: round $r/$rounds" >&2
  for s in "${sides[@]}"; do
    side_args "$s"
    "$tmp/hl_bench" -t -n "$wall_reads" -p "$pause_us" "${args[@]}" \
      >"$tmp/$s.wall.out"
    kv wall_us_median "$tmp/$s.wall.out" >>"$tmp/$s.wall"
  done
done
for s in "${sides[@]}"; do
  wall[$s]=$(sort -g "$tmp/$s.wall" |
    awk '{v[NR] = $1} END {printf "%.1f", v[int((NR + 1) / 2)]}')
done

# ---- report -------------------------------------------------------------------
group() { awk -v n="$1" 'BEGIN {
  s = sprintf("%.0f", n); o = ""
  while (length(s) > 3) { o = "," substr(s, length(s) - 2) o; s = substr(s, 1, length(s) - 3) }
  print s o }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f×", a / b}'; }
clean() { awk -v n="$1" 'BEGIN {printf "%g", n}'; }

# One table row: side, description.
row() {
  echo "| $1 | $2 | $(group "${ir[$1]}") | $(clean "${lists[$1]}") | $(clean "${values[$1]}") | ${wall[$1]} |"
}

table() {
  local q='`'
  echo "| side | plugins and config | instructions / read | value lists / read | values / read | wall µs / read (median) |"
  echo "|---|---|--:|--:|--:|--:|"
  row ours "homelab_host: ${q}MountPoint \"/\"${q}, ${q}ReportPerCPU false${q}, ${q}ReportProcesses false${q}, ${q}ValuesAbsolute true${q}, ${q}ValuesPercentage true${q}"
  row theirs "cpu (${q}ReportByCpu false${q}, ${q}ReportByState true${q}, ${q}ValuesPercentage true${q}) + memory (${q}ValuesAbsolute true${q}, ${q}ValuesPercentage true${q}) + load + df (${q}MountPoint \"/\"${q}, ${q}ValuesAbsolute true${q}, ${q}ValuesPercentage true${q}, ${q}ReportInodes true${q}) + uptime"
  echo "| **ours / theirs** | target ≤ 1.0× | **$(ratio "${ir[ours]}" "${ir[theirs]}")** | | | $(ratio "${wall[ours]}" "${wall[theirs]}") |"
  row ours_procs "context: homelab_host as above but ${q}ReportProcesses true${q} (its default: adds process and thread counts, scans /proc)"
  row theirs_swap "context: theirs + swap (${q}ValuesAbsolute true${q}, ${q}ValuesPercentage true${q}, ${q}ReportIO false${q}), as ours reports swap too"
  echo "| ours / theirs_swap | | $(ratio "${ir[ours]}" "${ir[theirs_swap]}") | | | $(ratio "${wall[ours]}" "${wall[theirs_swap]}") |"
}

pkgver() { dpkg-query -W -f '${Version}' "$1" 2>/dev/null || echo "?"; }

section() {
  local cpu commit
  cpu=$(awk -F ': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
  commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo "?")
  if [[ -n $(git -C "$root" status --porcelain -- plugins shared 2>/dev/null) ]]; then
    commit+=" (with uncommitted changes in plugins/ or shared/)"
  fi
  side_args ours
  local ours_cmd theirs_cmd
  ours_cmd=$(quote "${cg_cmd[@]}" hl_bench -n "$reads" -p "$pause_us" "${args[@]}")
  side_args theirs
  theirs_cmd=$(quote "${cg_cmd[@]}" hl_bench -n "$reads" -p "$pause_us" "${args[@]}")
  cat <<EOF
Generated by \`$invocation\` on $(date -u '+%Y-%m-%d %H:%M UTC').

- Machine: $(nproc) CPUs, ${cpu:-unknown CPU}, kernel $(uname -r), Debian $(cat /etc/debian_version 2>/dev/null || echo "?")
- Software: collectd-core $(pkgver collectd-core), valgrind $(pkgver valgrind), gcc $(pkgver gcc-12); homelab_host from commit $commit
- Instructions: valgrind callgrind, $reads reads per side, collected only inside \`bench_one_read()\`.
  Wall time: $rounds alternating rounds of $wall_reads timed reads per side, median of the round medians.
  ${pause_us} µs pause between reads (outside the measurement) so the CPU tick counters advance.

$(table)

Harness commands (run by the script; \`hl_bench\` is bench/harness.c built into a temporary directory):

\`\`\`sh
${ours_cmd//$root\//}
${theirs_cmd//$root\//}
\`\`\`
EOF
}

section >"$tmp/section.md"
cat "$tmp/section.md"

# Top functions of a callgrind file ($2), inclusive ($1=yes) or self cost.
annotate() {
  callgrind_annotate --inclusive="$1" "$2" 2>/dev/null | grep -F ' [' |
    grep -vE 'below main|libc_start|harness\.c:main |ld-linux' |
    sed "s|$tmp/||g; s|$root/||g" | sed -n '1,20p' # no SIGPIPE under pipefail
}

if $profile; then
  for s in ours theirs; do
    printf '\n== %s: inclusive cost (function and its callees)\n' "$s"
    annotate yes "$tmp/$s.cg"
    printf '== %s: self cost\n' "$s"
    annotate no "$tmp/$s.cg"
  done
fi

if [[ -n $keep ]]; then
  mkdir -p "$keep"
  cp "$tmp"/*.cg "$tmp"/*.out "$keep"/
  echo "callgrind files kept in $keep" >&2
fi

if $write_doc; then
  begin='<!-- host_read:begin (generated by bench/host_read.sh --write-doc; do not edit by hand) -->'
  end='<!-- host_read:end -->'
  if [[ ! -f $doc ]]; then
    printf '<!-- SPDX-License-Identifier: MIT -->\n# Benchmarks\n\n## homelab_host: one read\n\n%s\n%s\n' \
      "$begin" "$end" >"$doc"
  elif ! grep -qF -- "$end" "$doc"; then
    printf '\n## homelab_host: one read\n\n%s\n%s\n' "$begin" "$end" >>"$doc"
  fi
  awk -v sect="$tmp/section.md" -v b="host_read:begin" -v e="host_read:end" '
    index($0, b) { print; while ((getline line < sect) > 0) print line; skip = 1; next }
    index($0, e) { skip = 0 }
    !skip { print }' "$doc" >"$tmp/doc.md"
  cat "$tmp/doc.md" >"$doc"
  echo "updated $doc" >&2
fi
