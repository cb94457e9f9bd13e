#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# ports.sh: what listing every listening socket with its owner costs, for
# homelab-port-report, the homelab_ports plugin's read and the tools they
# replace (ss -Htulnp, ss -Htuln, the reference tool's psutil approach).
#
# It builds bench/portload.c (load generator and run timer) and, when a
# libhomelab build is found, bench/ports_steady.c (the plugin's read path
# without the daemon) into a temporary directory, creates a private network
# namespace and, per scenario:
#   1. starts portload in the namespace: N TCP listeners and U bound UDP
#      sockets on 127.0.0.1 and ::1 over P processes, each holding F other
#      fds; it writes the expected "proto address port pid" table;
#   2. runs every tool once inside the namespace and checks that it found
#      all N+U sockets with the right pids (psutil: TCP only, by design);
#   3. times the tools round-robin (fork/exec/wait4 around each run; median
#      wall and CPU time of RUNS runs per tool; peak RSS = ru_maxrss, the
#      figure /usr/bin/time -f %M prints); psutil is timed twice: name()
#      only, and name()+username()+cmdline() as the reference tool needed;
#   4. times hl_ports_collect(): one cold call, then warm calls with one
#      context (the plugin's steady state).
# The namespace isolates the sockets; /proc is the machine's, so every tool
# also walks the fds of every other process, as it would in real use.
# It prints a markdown table; --write-doc also replaces the generated block
# of docs/BENCHMARKS.md. The whole run is bounded (portload exits on its own
# after 300 s; a full run takes 1-2 minutes, --quick about 15 seconds).
#
# usage: bench/ports.sh [--quick] [--write-doc] [--runs N] [--warm N]
#                       [--scenarios small,medium,large] [--keep DIR]
# env:   HL_PORT_REPORT  the CLI (default: _build/main/cli/ or cli/ in-tree)
#        HL_LIBHOMELAB   libhomelab.a for the steady-state driver (default:
#                        shared/.libs/libhomelab.a beside the CLI's build)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
doc=$root/docs/BENCHMARKS.md
py=/usr/bin/python3 # Debian's, where python3-psutil lives

invocation="bench/ports.sh"
for a in "$@"; do invocation+=" $(printf '%q' "$a")"; done

quick=false
write_doc=false
runs_override=""
warm=50
scenarios="small,medium,large"
scenarios_set=false
keep=""

die() {
  echo "ports.sh: $*" >&2
  exit 1
}

number() { [[ $2 =~ ^[1-9][0-9]{0,4}$ ]] || die "$1 expects a positive number"; }

while (($#)); do
  case $1 in
  --quick) quick=true ;;
  --write-doc) write_doc=true ;;
  --runs | --warm)
    number "$1" "${2:-}"
    if [[ $1 == --runs ]]; then runs_override=$2; else warm=$2; fi
    shift
    ;;
  --scenarios)
    scenarios=${2:?--scenarios needs a list}
    scenarios_set=true
    shift
    ;;
  --keep)
    keep=${2:?--keep needs a directory}
    shift
    ;;
  -h | --help)
    sed -n '4,33p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *) die "unknown argument: $1 (see --help)" ;;
  esac
  shift
done
if $quick && ! $scenarios_set; then scenarios="small,medium"; fi

# Scenario parameters: N TCP, U UDP, P processes, F other fds, runs per tool.
declare -A params=([small]="50 20 10 20" [medium]="2000 500 200 50"
  [large]="20000 2000 1000 100")
declare -A runs_of=([small]=15 [medium]=11 [large]=7)
if $quick; then runs_of=([small]=9 [medium]=5 [large]=3); fi
IFS=, read -r -a scen_list <<<"$scenarios"
for s in "${scen_list[@]}"; do
  [[ -n ${params[$s]:-} ]] || die "unknown scenario: $s"
  [[ -z $runs_override ]] || runs_of[$s]=$runs_override
done

((EUID == 0)) || die "needs root (ip netns)"
for c in gcc ip ss "$py"; do
  command -v "$c" >/dev/null || die "$c is not installed"
done
"$py" -c 'import psutil' 2>/dev/null ||
  die "python3-psutil is not installed (apt-get install python3-psutil)"

cli=${HL_PORT_REPORT:-}
if [[ -z $cli ]]; then
  for c in "$root/_build/main/cli/homelab-port-report" "$root/cli/homelab-port-report"; do
    [[ -x $c ]] && { cli=$c; break; }
  done
fi
[[ -n $cli && -x $cli ]] || die "homelab-port-report not found; build it or set HL_PORT_REPORT"
lib=${HL_LIBHOMELAB:-$(dirname "$(dirname "$cli")")/shared/.libs/libhomelab.a}

tmp=$(mktemp -d)
ns=hlbench$$
gen_pid=""
cleanup() {
  if [[ -n $gen_pid ]]; then
    kill "$gen_pid" 2>/dev/null || true
    wait "$gen_pid" 2>/dev/null || true
  fi
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cflags=(-std=gnu11 -O2 -Wall -Wextra -Wshadow -Wstrict-prototypes
  -Wmissing-prototypes -Wformat=2 -Werror)
gcc "${cflags[@]}" -o "$tmp/portload" "$root/bench/portload.c"
steady=false
if [[ -f $lib ]]; then
  read -r -a libs <<<"$(pkg-config --libs libcurl yajl 2>/dev/null || echo -lcurl -lyajl)"
  if gcc "${cflags[@]}" -D_GNU_SOURCE -I"$root/shared" -o "$tmp/ports_steady" \
    "$root/bench/ports_steady.c" "$lib" "${libs[@]}" 2>"$tmp/steady.build"; then
    steady=true
  else
    cat "$tmp/steady.build" >&2
    echo "warning: could not build ports_steady; no steady-state rows" >&2
  fi
else
  echo "warning: $lib not found; no steady-state rows (set HL_LIBHOMELAB)" >&2
fi

ip netns add "$ns"
ip netns exec "$ns" ip link set lo up

# ---- the tools ------------------------------------------------------------------
tools=(cli ss_p ss psutil psutil_ref)
declare -A label=([cli]="homelab-port-report --json /dev/null --no-docker"
  [ss_p]="ss -Htulnp" [ss]="ss -Htuln"
  [psutil]="psutil: LISTEN + name()"
  [psutil_ref]="psutil: LISTEN + name(), username(), cmdline()"
  [warm]="homelab_ports read, steady state (warm hl_ports_collect)"
  [cold]="homelab_ports first read (cold hl_ports_collect)")

# Sets the array "cmd" to tool $1's command line; $2 is where the output of
# the check run goes ("" for timed runs, which discard it).
tool_cmd() {
  local out=${2:-/dev/null}
  case $1 in
  cli) cmd=("$cli" --json "$out" --no-docker) ;;
  ss_p) cmd=(ss -Htulnp) ;;
  ss) cmd=(ss -Htuln) ;;
  psutil) cmd=("$py" "$root/bench/ports_psutil.py" "$out") ;;
  psutil_ref) cmd=("$py" "$root/bench/ports_psutil.py" --details "$out") ;;
  esac
}

# stdout of tool $1 for the check run ($2: the output file).
tool_stdout() { case $1 in ss_p | ss) echo "$2" ;; *) echo /dev/null ;; esac; }

in_ns() { ip netns exec "$ns" "$@"; }

# The correctness check: KIND EXPECTED OUTPUT -> one key=value line.
cat >"$tmp/check.py" <<'EOF'
import json, re, sys
kind, exp_path, out_path = sys.argv[1:4]
exp = {}
with open(exp_path) as f:
    for line in f:
        proto, ip, port, pid = line.split()
        exp[(proto, ip, int(port))] = int(pid)
got = {}
def add(proto, ip, port, pid):
    got.setdefault((proto, ip, int(port)), set()).add(pid or None)
with open(out_path, encoding="utf-8", errors="replace") as f:
    if kind in ("ss_p", "ss"):
        for line in f:
            w = line.split()
            if len(w) < 5:
                continue
            ip, _, port = w[4].rpartition(":")
            ip = ip.split("%")[0].strip("[]")
            pids = [int(p) for p in re.findall(r"pid=(\d+)", line)] or [None]
            for p in pids:
                add(w[0], ip, port, p)
    elif kind == "cli":
        for r in json.load(f)["ports"]:
            add(str(r["proto"]).lower().rstrip("46"), r["ip"], r["port"],
                r.get("pid"))
    elif kind.startswith("psutil"):
        for r in json.load(f):
            add(r[0], r[1], r[2], r[3])
    else:  # steady: "proto address port pid"
        for line in f:
            proto, ip, port, pid = line.split()
            add(proto, ip, port, int(pid))
n = {"tcp": 0, "udp": 0}
found = {"tcp": 0, "udp": 0}
pid_ok = wrong = nopid = 0
for k, pid in exp.items():
    n[k[0]] += 1
    if k not in got:
        continue
    found[k[0]] += 1
    pids = got[k]
    pid_ok += pids == {pid}
    wrong += any(p is not None and p != pid for p in pids)
    nopid += pids == {None}
extra = sum(1 for k in got if k not in exp)
print(f"exp_tcp={n['tcp']} exp_udp={n['udp']} found_tcp={found['tcp']} "
      f"found_udp={found['udp']} pid_ok={pid_ok} wrong_pid={wrong} "
      f"no_pid={nopid} extra={extra}")
EOF

# kv KEY LINE: the value of KEY in a key=value line.
kv() { sed -n "s/.*\(^\| \)$1=\([^ ]*\).*/\2/p" <<<"$2"; }

median() { sort -g | awk '{v[NR] = $1} END {if (NR) printf "%.3f", (v[int((NR + 1) / 2)] + v[int(NR / 2) + 1]) / 2}'; }

# Results, by "scenario/tool".
declare -A t_ms cpu_ms rss_mb chk nruns
declare -A warm_ms warm_cpu_ms cold_ms cold_cpu_ms steady_line machine_fds machine_procs

start_gen() { # scenario
  local s=$1 n u p f
  read -r n u p f <<<"${params[$s]}"
  rm -f "$tmp/$s.ready"
  # Not through in_ns: $! must be portload itself (ip netns exec execs it).
  ip netns exec "$ns" "$tmp/portload" -n "$n" -u "$u" -p "$p" -f "$f" -t 300 \
    -o "$tmp/$s.expected" -r "$tmp/$s.ready" >"$tmp/$s.gen.log" 2>&1 &
  gen_pid=$!
  local i
  for ((i = 0; i < 1200; i++)); do
    if [[ -f $tmp/$s.ready ]]; then
      [[ $(<"$tmp/$s.ready") == "$gen_pid" ]] || die "$s: unexpected generator pid"
      return 0
    fi
    kill -0 "$gen_pid" 2>/dev/null || break
    sleep 0.05
  done
  cat "$tmp/$s.gen.log" >&2
  die "$s: load generator did not get ready"
}

stop_gen() {
  kill "$gen_pid" 2>/dev/null || true
  wait "$gen_pid" 2>/dev/null || true
  gen_pid=""
}

# Counts processes with open fds and their fds on the whole machine (what
# the fd scans walk); called before and after the timing, so a range shows
# when other work on the machine changed it meanwhile.
count_fds() {
  local s=$1 d nf=0 np=0 fds
  for d in /proc/[0-9]*/fd; do
    fds=("$d"/*)
    [[ -e ${fds[0]} ]] || continue
    np=$((np + 1))
    nf=$((nf + ${#fds[@]}))
  done 2>/dev/null
  if [[ -z ${machine_procs[$s]:-} ]]; then
    machine_procs[$s]=$np
    machine_fds[$s]=$nf
  elif [[ ${machine_procs[$s]} != "$np" || ${machine_fds[$s]} != "$nf" ]]; then
    machine_procs[$s]+=" → $np"
    machine_fds[$s]+=" → $nf"
  fi
}

check_tool() { # scenario tool
  local s=$1 t=$2 out=$tmp/$1.$2.out line
  tool_cmd "$t" "$out"
  in_ns /usr/bin/time -f %M -o "$tmp/$s.$t.time" "${cmd[@]}" \
    >"$(tool_stdout "$t" "$out")" 2>"$tmp/$s.$t.err" ||
    { cat "$tmp/$s.$t.err" >&2; die "$s: ${label[$t]} failed"; }
  line=$("$py" "$tmp/check.py" "$t" "$tmp/$s.expected" "$out") ||
    die "$s: cannot parse the output of ${label[$t]} (kept: none; see --keep)"
  chk[$s/$t]=$line
}

time_tools() { # scenario
  local s=$1 r i t res
  local -a order
  for ((r = 0; r < runs_of[$s]; r++)); do
    order=("${tools[@]:r%${#tools[@]}}" "${tools[@]:0:r%${#tools[@]}}")
    for t in "${order[@]}"; do
      tool_cmd "$t" ""
      res=$(in_ns "$tmp/portload" time /dev/null "${cmd[@]}" 2>>"$tmp/$s.$t.err")
      [[ $(kv status "$res") == 0 ]] || die "$s: ${label[$t]} exited with status $(kv status "$res")"
      kv wall_us "$res" >>"$tmp/$s.$t.wall"
      kv cpu_us "$res" >>"$tmp/$s.$t.cpu"
      kv maxrss_kb "$res" >>"$tmp/$s.$t.rss"
    done
  done
  for t in "${tools[@]}"; do
    t_ms[$s/$t]=$(awk '{print $1 / 1000}' "$tmp/$s.$t.wall" | median)
    cpu_ms[$s/$t]=$(awk '{print $1 / 1000}' "$tmp/$s.$t.cpu" | median)
    rss_mb[$s/$t]=$(awk '{print $1 / 1024}' "$tmp/$s.$t.rss" | median)
    nruns[$s/$t]=$(wc -l <"$tmp/$s.$t.wall")
    i=$(cat "$tmp/$s.$t.time")
    awk -v a="$i" -v b="${rss_mb[$s/$t]}" 'BEGIN {d = a / 1024 - b; exit !(d > 0.2 * b || -d > 0.2 * b)}' &&
      echo "warning: $s: ${label[$t]}: /usr/bin/time says ${i} kB, wait4 median ${rss_mb[$s/$t]} MiB" >&2
  done
  return 0
}

us_to_ms() { awk -v u="$1" 'BEGIN {printf "%.3f", u / 1000}'; }

time_steady() { # scenario
  local s=$1 line
  line=$(in_ns "$tmp/ports_steady" -n "$warm" "$tmp/$s.steady.out") ||
    die "$s: ports_steady failed"
  steady_line[$s]=$line
  warm_ms[$s]=$(us_to_ms "$(kv warm_median_us "$line")")
  warm_cpu_ms[$s]=$(us_to_ms "$(kv warm_cpu_median_us "$line")")
  cold_ms[$s]=$(us_to_ms "$(kv cold_us "$line")")
  cold_cpu_ms[$s]=$(us_to_ms "$(kv cold_cpu_us "$line")")
  chk[$s/steady]=$("$py" "$tmp/check.py" steady "$tmp/$s.expected" "$tmp/$s.steady.out")
}

t_begin=$SECONDS
load_begin=$(cut -d' ' -f1-3 /proc/loadavg)
for s in "${scen_list[@]}"; do
  echo "== $s (N/U/P/F = ${params[$s]// //}): starting the load" >&2
  start_gen "$s"
  count_fds "$s"
  echo "   checking each tool once" >&2
  for t in "${tools[@]}"; do check_tool "$s" "$t"; done
  echo "   timing ${runs_of[$s]} rounds of ${tools[*]}" >&2
  time_tools "$s"
  count_fds "$s"
  if $steady; then
    echo "   hl_ports_collect: 1 cold + $warm warm calls" >&2
    time_steady "$s"
  fi
  stop_gen
done
elapsed=$((SECONDS - t_begin))
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- report -------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f×", a / b}'; }
fmt_ms() { awk -v v="$1" 'BEGIN {printf(v < 10 ? "%.2f" : (v < 100 ? "%.1f" : "%.0f"), v)}'; }

# "found" and "pids" cells of check line $2 for tool $1.
found_cell() {
  local l=$2 ft fu et eu
  ft=$(kv found_tcp "$l") fu=$(kv found_udp "$l") et=$(kv exp_tcp "$l") eu=$(kv exp_udp "$l")
  local c="$ft/$et TCP, $fu/$eu UDP"
  if ((ft == et && fu == eu)); then c="all $((et + eu)) ✓"; fi
  if [[ $1 == psutil* ]] && ((ft == et && fu == 0)); then c="$ft/$((et + eu)): all TCP, no UDP (by design)"; fi
  (($(kv extra "$l") == 0)) || c+=", $(kv extra "$l") extra"
  echo "$c"
}
pid_cell() {
  local l=$2 ok found
  [[ $1 != ss ]] || { echo "n/a (no -p)"; return; }
  found=$(($(kv found_tcp "$l") + $(kv found_udp "$l")))
  ok=$(kv pid_ok "$l")
  if ((ok == found)); then echo "all ✓"; else
    echo "$ok/$found right ($(kv wrong_pid "$l") wrong, $(kv no_pid "$l") none)"
  fi
}

table() {
  echo "| scenario | side | runs | wall ms (median) | × ss -Htulnp | CPU ms (median) | × ss -Htulnp | peak RSS MiB | sockets found | pids |"
  echo "|---|---|--:|--:|--:|--:|--:|--:|---|---|"
  local s t base
  for s in "${scen_list[@]}"; do
    base=${t_ms[$s/ss_p]}
    cbase=${cpu_ms[$s/ss_p]}
    for t in "${tools[@]}"; do
      echo "| $s | ${label[$t]} | ${nruns[$s/$t]} | $(fmt_ms "${t_ms[$s/$t]}") | $(ratio "${t_ms[$s/$t]}" "$base") | $(fmt_ms "${cpu_ms[$s/$t]}") | $(ratio "${cpu_ms[$s/$t]}" "$cbase") | $(awk -v v="${rss_mb[$s/$t]}" 'BEGIN {printf "%.1f", v}') | $(found_cell "$t" "${chk[$s/$t]}") | $(pid_cell "$t" "${chk[$s/$t]}") |"
    done
    if $steady; then
      echo "| $s | ${label[cold]} | 1 | $(fmt_ms "${cold_ms[$s]}") | $(ratio "${cold_ms[$s]}" "$base") | $(fmt_ms "${cold_cpu_ms[$s]}") | $(ratio "${cold_cpu_ms[$s]}" "$cbase") | | | |"
      echo "| $s | ${label[warm]} | $warm | $(fmt_ms "${warm_ms[$s]}") | $(ratio "${warm_ms[$s]}" "$base") | $(fmt_ms "${warm_cpu_ms[$s]}") | $(ratio "${warm_cpu_ms[$s]}" "$cbase") | | $(found_cell steady "${chk[$s/steady]}") | $(pid_cell steady "${chk[$s/steady]}") |"
    fi
  done
}

# One "target" row: description, limit, "le" (ratio ≤ limit) or "ge", then
# the wall-time pair and the CPU-time pair (numerator denominator). The
# verdict is on wall time (the issue's measure); CPU time is shown because
# it is steadier when other work shares the machine.
verdict() {
  awk -v d="$1" -v l="$2" -v op="$3" -v a="$4" -v b="$5" -v c="$6" -v e="$7" 'BEGIN {
    v = a / b
    ok = (op == "le") ? v <= l : v >= l
    cpu = (c != "" && e != "") ? sprintf("%.2f×", c / e) : ""
    printf "| %s | %s %.1f× | %.2f× | %s | %s |\n", d, (op == "le") ? "≤" : "≥", l, v, cpu, ok ? "met" : "**missed**" }'
}

targets() {
  echo "| target (issue) | limit | wall ratio | CPU ratio | on wall time |"
  echo "|---|--:|--:|--:|---|"
  local s lim
  for s in "${scen_list[@]}"; do
    lim=0.7
    [[ $s != small ]] || lim=1.0
    verdict "$s: homelab-port-report / ss -Htulnp" "$lim" le \
      "${t_ms[$s/cli]}" "${t_ms[$s/ss_p]}" "${cpu_ms[$s/cli]}" "${cpu_ms[$s/ss_p]}"
  done
  [[ -n ${t_ms[large/cli]:-} ]] || return 0
  verdict "large: psutil (name only) / homelab-port-report, i.e. speed-up" 5.5 ge \
    "${t_ms[large/psutil]}" "${t_ms[large/cli]}" "${cpu_ms[large/psutil]}" "${cpu_ms[large/cli]}"
  verdict "large: psutil (name, username, cmdline) / homelab-port-report" 5.5 ge \
    "${t_ms[large/psutil_ref]}" "${t_ms[large/cli]}" "${cpu_ms[large/psutil_ref]}" "${cpu_ms[large/cli]}"
  if $steady; then
    verdict "large: steady-state read / ss -Htulnp" 0.1 le \
      "${warm_ms[large]}" "${t_ms[large/ss_p]}" "${warm_cpu_ms[large]}" "${cpu_ms[large/ss_p]}"
  fi
}

pkgver() { dpkg-query -W -f '${Version}' "$1" 2>/dev/null || echo "?"; }

section() {
  local cpu commit s n u p f note
  cpu=$(awk -F ': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
  commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo "?")
  if [[ -n $(git -C "$root" status --porcelain -- shared cli 2>/dev/null) ]]; then
    commit+=" (with uncommitted changes in shared/ or cli/)"
  fi
  cat <<EOF
Generated by \`$invocation\` on $(date -u '+%Y-%m-%d %H:%M UTC') (${elapsed} s).

- Machine: $(nproc) CPUs, ${cpu:-unknown CPU}, kernel $(uname -r), Debian $(cat /etc/debian_version 2>/dev/null || echo "?"); load average (1, 5, 15 min) $load_begin at the start, $load_end at the end
- Software: iproute2 $(pkgver iproute2), python3-psutil $(pkgver python3-psutil) (Python $("$py" -c 'import platform; print(platform.python_version())')), gcc $(pkgver gcc-12); homelab-port-report and libhomelab from commit $commit
- Load (per scenario: N TCP listeners + U UDP sockets over P processes with F other fds each, on 127.0.0.1 and ::1 in a private network namespace) and what the fd scans had to walk on the whole machine (processes with fds, open fds):
EOF
  for s in "${scen_list[@]}"; do
    read -r n u p f <<<"${params[$s]}"
    note=""
    [[ ${machine_procs[$s]}${machine_fds[$s]} != *→* ]] || note=" (before → after the timing)"
    echo "  - $s: N=$n U=$u P=$p F=$f; ${machine_procs[$s]} processes, ${machine_fds[$s]} open fds on the machine$note"
  done
  cat <<EOF
- Method: each side runs once untimed and is checked against the generator's table; then the one-shot tools run round-robin (the starting tool rotates per round). Wall time is taken from fork to wait4 of the tool itself (no shell, no \`ip netns exec\` inside the figure); CPU time is the child's user+system time and peak RSS its ru_maxrss, from the same wait4 (the figures \`/usr/bin/time -f "%U %S %M"\` prints). Medians over the runs. The two homelab_ports rows are \`hl_ports_collect()\` timed in process by bench/ports_steady.c with the plugin's defaults (no Docker, RetryEvery 10): the first call with an empty owner cache, then the median of $warm warm calls with nothing changed.

$(table)

$(targets)

Commands (each run as \`ip netns exec hlbench<pid> portload time /dev/null CMD\`, with \`portload\` and \`ports_steady\` built from bench/ into a temporary directory):

\`\`\`sh
portload -n N -u U -p P -f F -t 300 -o expected -r ready   # the load, in the namespace
${cli//$root\//} --json /dev/null --no-docker
ss -Htulnp
ss -Htuln
/usr/bin/python3 bench/ports_psutil.py /dev/null
/usr/bin/python3 bench/ports_psutil.py --details /dev/null
ports_steady -n $warm out                                     # hl_ports_collect: 1 cold + $warm warm calls
\`\`\`
EOF
  if $steady; then
    echo
    echo "Owner-cache counters of the last warm call (\`hl_ports_owner_stats\`):"
    echo
    for s in "${scen_list[@]}"; do
      echo "- $s: \`${steady_line[$s]}\`"
    done
  fi
}

section >"$tmp/section.md"
cat "$tmp/section.md"

if [[ -n $keep ]]; then
  mkdir -p "$keep"
  cp "$tmp"/*.expected "$tmp"/*.out "$tmp"/*.wall "$tmp"/*.cpu "$tmp"/*.rss "$tmp"/*.err "$tmp/section.md" "$keep"/ 2>/dev/null || true
  echo "outputs kept in $keep" >&2
fi

if $write_doc; then
  begin='<!-- ports:begin (generated by bench/ports.sh --write-doc; do not edit by hand) -->'
  end='<!-- ports:end -->'
  if [[ ! -f $doc ]]; then
    printf '<!-- SPDX-License-Identifier: MIT -->\n# Benchmarks\n' >"$doc"
  fi
  if ! grep -qF -- "$end" "$doc"; then
    printf '\n## homelab-port-report and homelab_ports: listing ports\n\n%s\n%s\n' \
      "$begin" "$end" >>"$doc"
  fi
  awk -v sect="$tmp/section.md" -v b="ports:begin" -v e="ports:end" '
    index($0, b) { print; while ((getline line < sect) > 0) print line; skip = 1; next }
    index($0, e) { skip = 0 }
    !skip { print }' "$doc" >"$tmp/doc.md"
  cat "$tmp/doc.md" >"$doc"
  echo "updated $doc" >&2
fi
