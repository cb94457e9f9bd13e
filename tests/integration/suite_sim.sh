# shellcheck shell=bash
# SPDX-License-Identifier: MIT
#
# suite_sim.sh: the whole suite without the hardware. Starts the project's
# simulators and writes the homelab part of a collectd config that points
# every plugin at them. Sourced by tests/integration/test_grafana.sh,
# tests/integration/test_demo.sh and scripts/demo --simulate; needs
# nothing from lib.sh (it tracks and stops its own processes).
#
# What runs (as root, with ip(8)): a "lab" network namespace, where
# collectd, the simulators and an optional InfluxDB run on their usual
# ports on the namespace's own loopback (so nothing on the host's ports
# can clash and the ports are fixed), plus two ping targets, each in its
# own namespace behind a veth pair from the lab namespace:
#   gateway  10.214.1.2   the kernel answers (RTT well below 1 ms)
#   isp      10.214.2.2   icmp_responder.py: 25 ms delay, every 10th
#                         echo dropped (10 % loss)
# and in the lab namespace:
#   fritz_sim.py "main"   DSL personality, 127.0.0.1:49000
#   fritz_sim.py "fiber"  fiber personality, 127.0.0.1:49100
#   ha_sim.py             Home Assistant, 127.0.0.1:8123
#   fake_docker.py        Docker Engine API on a unix socket; containers
#                         homeassistant (publishes 8123), influxdb (8086)
#                         and dns (5300/udp, no socket on the host: a
#                         port-policy violation)
#   nvme_sim.py           data for nvme_shim.c, preloaded into collectd: a
#                         simulated NVMe controller nvme0 that the real
#                         homelab_nvme plugin reads through libnvme
#   influxd (optional)    HTTP 127.0.0.1:8086, collectd listener UDP 25826
# Without root or ip(8) everything runs in the current namespace on free
# loopback ports, the only ping target is 127.0.0.1 and there is no NVMe
# (mknod needs CAP_MKNOD).
#
# Interface:
#   sim_init DIR [NAME]  work dir (created) and the lab namespace's name
#                        (default hlsim<pid>; "-<pid>" is appended if a
#                        namespace of that name exists)
#   sim_plan             decides names, ports and paths without starting
#                        anything (sim_start calls it if it was not called):
#                        SIM_NS (empty without namespaces), SIM_FRITZ_PORT,
#                        SIM_FIBER_PORT, SIM_HA_PORT, SIM_DOCKER_SOCK,
#                        SIM_INFLUX_HTTP_PORT, SIM_INFLUX_UDP_PORT, SIM_RUN
#                        (the command prefix that runs something in the lab
#                        namespace), SIM_PING
#   sim_start            namespaces and simulators; returns 1 with the
#                        reason in SIM_ERROR. Sets SIM_NVME (1 if the
#                        simulated controller works, else the reason in
#                        SIM_NVME_WHY) and SIM_COLLECTD
#   sim_start_influx     influxd in the lab namespace (SIM_INFLUX_LOG)
#   sim_network_conf     prints the network plugin block (stock part of the
#                        config) that sends to that InfluxDB
#   sim_plugins_conf INTERVAL PLUGIN...
#                        prints LoadPlugin and <Plugin> blocks for the
#                        named homelab plugins, pointed at the simulators
#   SIM_COLLECTD         array: the command prefix to start collectd with
#                        (lab namespace, nvme_shim.so preloaded)
#   sim_run CMD...       runs CMD in the lab namespace
#   sim_bg NAME CMD...   CMD in the background in the lab namespace, output
#                        to DIR/NAME.log; SIM_PID; stopped by sim_stop
#   sim_stop             stops everything started here (newest first) and
#                        deletes the namespaces; safe to call twice
#   sim_controls         prints the commands that change the simulators
#   sim_influx_query DB Q  InfluxDB /query answer (JSON) from the lab
#
# Environment: HL_PYTHON (python3), SIM_CC (cc).

SIM_LIBDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SIM_SRCDIR=$(cd "$SIM_LIBDIR/../.." && pwd)
SIM_PY=${HL_PYTHON:-python3}
SIM_W=""
SIM_NS=""
SIM_NS_ALL=()
SIM_PIDS=()
SIM_RUN=()
SIM_COLLECTD=()
SIM_ERROR=""
SIM_NVME=0
SIM_PING=()

# sim_init DIR [NAME]
sim_init() {
  SIM_W=$1
  mkdir -p "$SIM_W" || return 1
  chmod 755 "$SIM_W"
  SIM_NAME=${2:-hlsim$$}
  SIM_IF=hs$$ # veth names: at most 15 bytes
}

# sim_run CMD...: CMD in the lab namespace (or here, without one)
sim_run() {
  "${SIM_RUN[@]}" "$@"
}

# sim_bg NAME CMD...: CMD in the background, in its own session (a Ctrl-C
# on the terminal reaches only the foreground collectd; sim_stop ends the
# rest). setsid and ip netns exec both exec, so $! is CMD's own pid.
sim_bg() {
  local name=$1
  shift
  setsid "${SIM_RUN[@]}" "$@" >"$SIM_W/$name.log" 2>&1 </dev/null &
  SIM_PID=$!
  SIM_PIDS+=("$SIM_PID")
}

# sim_wait SECONDS CMD...: poll CMD every 0.1 s
sim_wait() {
  local n=$(($1 * 10))
  shift
  while ((n-- > 0)); do
    "$@" && return 0
    sleep 0.1
  done
  "$@"
}

sim_alive() { kill -0 "$1" 2>/dev/null; }

# sim_stop_pid PID GRACE: SIGTERM, GRACE s, SIGTERM again (influxd 1.6
# only does its hard shutdown on the second signal), 2 s, SIGKILL.
sim_stop_pid() {
  local pid=$1 grace=${2:-5} i
  if ! sim_alive "$pid"; then
    wait "$pid" 2>/dev/null || true
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    sim_alive "$pid" || break
    sleep 0.1
  done
  if sim_alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 20; i++)); do
      sim_alive "$pid" || break
      sleep 0.1
    done
    if sim_alive "$pid"; then
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || true
  return 0
}

sim_stop() {
  local i ns
  for ((i = ${#SIM_PIDS[@]} - 1; i >= 0; i--)); do
    sim_stop_pid "${SIM_PIDS[i]}" 3
  done
  SIM_PIDS=()
  for ((i = ${#SIM_NS_ALL[@]} - 1; i >= 0; i--)); do
    ns=${SIM_NS_ALL[i]}
    ip netns del "$ns" 2>/dev/null || true
  done
  SIM_NS_ALL=()
}

# sim_free_ports N: N distinct free TCP ports on 127.0.0.1 (fallback mode)
sim_free_ports() {
  "$SIM_PY" - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
for s in socks:
    print(s.getsockname()[1])
EOF
}

sim_free_udp() {
  "$SIM_PY" -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# --- namespaces ----------------------------------------------------------------

# sim_ns_add NAME: create a namespace, remembered for sim_stop
sim_ns_add() {
  ip netns add "$1" || return 1
  SIM_NS_ALL+=("$1")
  ip -n "$1" link set lo up
}

# sim_veth N NS: lab <-> NS on 10.214.N.0/24 (lab .1, target .2)
sim_veth() {
  local n=$1 ns=$2
  sim_ns_add "$ns" &&
    ip link add "${SIM_IF}a$n" netns "$SIM_NS" type veth \
      peer name "${SIM_IF}b$n" netns "$ns" &&
    ip -n "$SIM_NS" addr add "10.214.$n.1/24" dev "${SIM_IF}a$n" &&
    ip -n "$ns" addr add "10.214.$n.2/24" dev "${SIM_IF}b$n" &&
    ip -n "$ns" link set "${SIM_IF}b$n" up &&
    ip -n "$SIM_NS" link set "${SIM_IF}a$n" up
}

sim_netns() {
  sim_ns_add "$SIM_NS" || {
    SIM_ERROR="cannot create network namespace $SIM_NS"
    return 1
  }
  if ! sim_veth 1 "$SIM_NS-gw" || ! sim_veth 2 "$SIM_NS-isp" ||
    ! ip netns exec "$SIM_NS-isp" sysctl -qw net.ipv4.icmp_echo_ignore_all=1; then
    SIM_ERROR="cannot set up the ping target namespaces"
    return 1
  fi
  rm -f "$SIM_W/responder.ready"
  setsid ip netns exec "$SIM_NS-isp" "$SIM_PY" "$SIM_LIBDIR/icmp_responder.py" \
    --delay-ms 25 --drop-every 10 --ready "$SIM_W/responder.ready" \
    >"$SIM_W/icmp_responder.log" 2>&1 </dev/null &
  SIM_PIDS+=("$!")
  if ! sim_wait 10 test -s "$SIM_W/responder.ready"; then
    SIM_ERROR="icmp_responder.py did not start (see $SIM_W/icmp_responder.log)"
    return 1
  fi
}

# --- simulators ----------------------------------------------------------------

# sim_ready_file FILE PID NAME: wait up to 10 s for FILE while PID lives
sim_ready_file() {
  local i
  for ((i = 0; i < 100; i++)); do
    [[ -s "$1" ]] && return 0
    sim_alive "$2" || break
    sleep 0.1
  done
  [[ -s "$1" ]] && return 0
  SIM_ERROR="$3 did not start: $(tail -n 3 "$SIM_W/$3.log" 2>/dev/null | tr '\n' ' ')"
  return 1
}

sim_start_fritz() {
  local name=$1 pers=$2 port=$3
  rm -f "$SIM_W/$name.pid"
  sim_bg "fritz-$name" "$SIM_PY" "$SIM_LIBDIR/fritz_sim.py" --port "$port" \
    --user monitor --password-file "$SIM_W/fritz.pw" --personality "$pers" \
    --pid-file "$SIM_W/$name.pid" --log "$SIM_W/fritz-$name.requests"
  sim_ready_file "$SIM_W/$name.pid" "$SIM_PID" "fritz-$name"
}

sim_start_docker() {
  cat >"$SIM_W/containers.json" <<EOF
[
  {"Id": "6a1d0c3b2e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b",
   "Names": ["/homeassistant"], "Image": "ghcr.io/home-assistant/home-assistant:stable",
   "ImageID": "sha256:1f0e", "Command": "/init", "Created": 1732700000,
   "State": "running", "Status": "Up 3 days",
   "Ports": [{"IP": "127.0.0.1", "PrivatePort": 8123, "PublicPort": $SIM_HA_PORT, "Type": "tcp"}],
   "Labels": {"com.docker.compose.project": "homelab"}},
  {"Id": "7b2e1d4c3f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c",
   "Names": ["/influxdb"], "Image": "influxdb:1.8", "ImageID": "sha256:2e1f",
   "Command": "influxd", "Created": 1732700100, "State": "running",
   "Status": "Up 3 days",
   "Ports": [{"IP": "127.0.0.1", "PrivatePort": 8086, "PublicPort": ${SIM_INFLUX_HTTP_PORT:-8086}, "Type": "tcp"}],
   "Labels": {"com.docker.compose.project": "homelab"}},
  {"Id": "8c3f2e5d4a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d",
   "Names": ["/dns"], "Image": "coredns/coredns:1.11", "ImageID": "sha256:3f2a",
   "Command": "/coredns", "Created": 1732700200, "State": "running",
   "Status": "Up 3 days",
   "Ports": [{"IP": "0.0.0.0", "PrivatePort": 53, "PublicPort": 5300, "Type": "udp"}],
   "Labels": {}}
]
EOF
  rm -f "$SIM_DOCKER_SOCK"
  sim_bg fake_docker "$SIM_PY" "$SIM_LIBDIR/fake_docker.py" \
    --socket "$SIM_DOCKER_SOCK" --containers "$SIM_W/containers.json"
  sim_wait 10 test -S "$SIM_DOCKER_SOCK" || {
    SIM_ERROR="fake_docker.py did not start: $(tail -n 3 "$SIM_W/fake_docker.log" | tr '\n' ' ')"
    return 1
  }
}

# The simulated NVMe controller: optional (needs a C compiler and mknod).
sim_start_nvme() {
  local cc=${SIM_CC:-cc} why=""
  SIM_NVME=0
  if ! command -v "$cc" >/dev/null; then
    why="no C compiler ($cc) for nvme_shim.c"
  elif ! "$cc" -shared -fPIC -O2 -o "$SIM_W/nvme_shim.so" \
    "$SIM_LIBDIR/nvme_shim.c" -ldl >"$SIM_W/nvme_shim.build.log" 2>&1; then
    why="building nvme_shim.c failed (see $SIM_W/nvme_shim.build.log)"
  else
    mkdir -p "$SIM_W/nvme/sys"
    rm -f "$SIM_W/nvme.ready"
    sim_bg nvme_sim "$SIM_PY" "$SIM_LIBDIR/nvme_sim.py" --dir "$SIM_W/nvme" \
      --follow --ready "$SIM_W/nvme.ready"
    if sim_ready_file "$SIM_W/nvme.ready" "$SIM_PID" nvme_sim; then
      SIM_NVME=1
      return 0
    fi
    why=$SIM_ERROR
    SIM_ERROR=""
  fi
  # shellcheck disable=SC2034 # read by the scripts that source this file
  SIM_NVME_WHY=$why
  return 0
}

# sim_plan: decides the namespace names, ports and paths that sim_start
# will use, without starting anything (scripts/demo --print-config)
sim_plan() {
  local ports
  SIM_DOCKER_SOCK="$SIM_W/docker.sock"
  if [[ $EUID -eq 0 ]] && command -v ip >/dev/null; then
    SIM_NS=$SIM_NAME
    if ip netns list 2>/dev/null | grep -qE "^$SIM_NS( |\$)"; then
      SIM_NS=$SIM_NS-$$
    fi
    SIM_RUN=(ip netns exec "$SIM_NS")
    SIM_PING=("gateway 10.214.1.2" "isp 10.214.2.2")
    SIM_FRITZ_PORT=49000
    SIM_FIBER_PORT=49100
    SIM_HA_PORT=8123
    SIM_INFLUX_HTTP_PORT=8086
    SIM_INFLUX_RPC_PORT=8088
    SIM_INFLUX_UDP_PORT=25826
    if command -v "${SIM_CC:-cc}" >/dev/null; then
      SIM_NVME=1
    fi
  else
    SIM_NS=""
    SIM_RUN=()
    SIM_PING=("loopback 127.0.0.1")
    mapfile -t ports < <(sim_free_ports 5)
    SIM_FRITZ_PORT=${ports[0]}
    SIM_FIBER_PORT=${ports[1]}
    SIM_HA_PORT=${ports[2]}
    SIM_INFLUX_HTTP_PORT=${ports[3]}
    SIM_INFLUX_RPC_PORT=${ports[4]}
    SIM_INFLUX_UDP_PORT=$(sim_free_udp)
    SIM_NVME=0
  fi
  SIM_PLANNED=1
}

sim_start() {
  SIM_ERROR=""
  [[ ${SIM_PLANNED:-0} -eq 1 ]] || sim_plan
  if [[ -n "$SIM_NS" ]]; then
    sim_netns || return 1
  fi
  (
    umask 077
    printf 'hl-sim-Fritz-4711\n' >"$SIM_W/fritz.pw"
    printf 'hl-sim-ha-token-%s\n' "$$" >"$SIM_W/ha.token"
  )
  sim_start_fritz main dsl "$SIM_FRITZ_PORT" || return 1
  sim_start_fritz fiber fiber "$SIM_FIBER_PORT" || return 1
  rm -f "$SIM_W/ha.pid"
  sim_bg ha_sim "$SIM_PY" "$SIM_LIBDIR/ha_sim.py" --port "$SIM_HA_PORT" \
    --token-file "$SIM_W/ha.token" --pid-file "$SIM_W/ha.pid" \
    --log "$SIM_W/ha.requests"
  sim_ready_file "$SIM_W/ha.pid" "$SIM_PID" ha_sim || return 1
  sim_start_docker || return 1
  sim_start_nvme
  SIM_COLLECTD=("${SIM_RUN[@]}")
  if [[ $SIM_NVME -eq 1 ]]; then
    SIM_COLLECTD+=(env "HL_NVME_SHIM=$SIM_W/nvme" "LD_PRELOAD=$SIM_W/nvme_shim.so")
  fi
  return 0
}

# --- InfluxDB ------------------------------------------------------------------

sim_start_influx() {
  local dir="$SIM_W/influx" i
  mkdir -p "$dir/types"
  ln -sf /usr/share/collectd/types.db "$dir/types/types.db"
  ln -sf "$SIM_SRCDIR/types.db.d/homelab.db" "$dir/types/homelab.db"
  [[ ${SIM_PLANNED:-0} -eq 1 ]] || sim_plan
  SIM_INFLUX_LOG="$SIM_W/influxd.log"
  cat >"$dir/influxdb.conf" <<EOF
reporting-enabled = false
bind-address = "127.0.0.1:$SIM_INFLUX_RPC_PORT"
[meta]
  dir = "$dir/meta"
[data]
  dir = "$dir/data"
  wal-dir = "$dir/wal"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:$SIM_INFLUX_HTTP_PORT"
  log-enabled = false
[logging]
  level = "warn"
  suppress-logo = true
[[collectd]]
  enabled = true
  bind-address = "127.0.0.1:$SIM_INFLUX_UDP_PORT"
  database = "collectd"
  typesdb = "$dir/types"
  batch-size = 1000
  batch-timeout = "200ms"
  security-level = "none"
  parse-multivalue-plugin = "split"
EOF
  sim_bg influxd influxd -config "$dir/influxdb.conf"
  SIM_INFLUX_PID=$SIM_PID
  for ((i = 0; i < 150; i++)); do
    sim_run curl -sf -o /dev/null "http://127.0.0.1:$SIM_INFLUX_HTTP_PORT/ping" && return 0
    sim_alive "$SIM_INFLUX_PID" || break
    sleep 0.1
  done
  SIM_ERROR="influxd did not answer /ping: $(tail -n 3 "$SIM_INFLUX_LOG" | tr '\n' ' ')"
  return 1
}

sim_influx_query() {
  sim_run curl -sf -G "http://127.0.0.1:$SIM_INFLUX_HTTP_PORT/query" \
    --data-urlencode "db=$1" --data-urlencode "q=$2"
}

sim_network_conf() {
  cat <<EOF
<LoadPlugin network>
  FlushInterval 1
</LoadPlugin>
<Plugin network>
  Server "127.0.0.1" "$SIM_INFLUX_UDP_PORT"
</Plugin>
EOF
}

# --- collectd configuration ----------------------------------------------------

# sim_plugins_conf INTERVAL PLUGIN...
sim_plugins_conf() {
  local interval=$1 p fritz_iv t
  shift
  # a ping read takes up to (3 - 1) * 0.2 + 1 s: keep its interval above
  fritz_iv=$("$SIM_PY" -c 'import sys; print(max(2.0, float(sys.argv[1])))' "$interval")
  for p in "$@"; do
    printf 'LoadPlugin %s\n' "$p"
    case $p in
    homelab_host)
      cat <<'EOF'
<Plugin homelab_host>
  MountPoint "/"
  ReportPerCPU true
  ReportProcesses true
</Plugin>
EOF
      ;;
    homelab_ports)
      cat <<EOF
<Plugin homelab_ports>
  DockerSocket "$SIM_DOCKER_SOCK"
  DockerTimeout 1
  Port "tcp" $SIM_HA_PORT
  Port "tcp" 22
  AllowPort "tcp" $SIM_HA_PORT
  AllowPort "tcp" $SIM_FRITZ_PORT
  AllowPort "tcp" $SIM_FIBER_PORT
  AllowPort "tcp" ${SIM_INFLUX_HTTP_PORT:-8086}
  AllowProcess "influxd"
  AllowProcess "collectd"
  LocalOnly "tcp" ${SIM_INFLUX_HTTP_PORT:-8086}
</Plugin>
EOF
      ;;
    homelab_fritz)
      printf '<Plugin homelab_fritz>\n'
      for t in "${SIM_PING[@]}"; do
        printf '  <Ping "%s">\n    Host "%s"\n  </Ping>\n' "${t%% *}" "${t#* }"
      done
      cat <<EOF
  <Box "main">
    Host "127.0.0.1"
    Port $SIM_FRITZ_PORT
    Username "monitor"
    PasswordFile "$SIM_W/fritz.pw"
    Ping false
  </Box>
  <Box "fiber">
    Host "127.0.0.1"
    Port $SIM_FIBER_PORT
    Username "monitor"
    PasswordFile "$SIM_W/fritz.pw"
    Ping false
  </Box>
  PingCount 3
  PingSpacing 0.2
  Timeout 1
  Interval $fritz_iv
</Plugin>
EOF
      ;;
    homelab_nvme)
      if [[ $SIM_NVME -eq 1 ]]; then
        cat <<EOF
<Plugin homelab_nvme>
  Device "/dev/nvme0"
  DevRoot "$SIM_W/nvme/dev"
  SysfsRoot "$SIM_W/nvme/sys"
</Plugin>
EOF
      else
        printf '<Plugin homelab_nvme>\n</Plugin>\n'
      fi
      ;;
    homelab_ha)
      cat <<EOF
<Plugin homelab_ha>
  <Instance "home">
    URL "http://127.0.0.1:$SIM_HA_PORT"
    TokenFile "$SIM_W/ha.token"
    Timeout 2
    EntityPattern "*"
    Attribute "battery_level"
  </Instance>
</Plugin>
EOF
      ;;
    *)
      printf '<Plugin %s>\n</Plugin>\n' "$p"
      ;;
    esac
  done
}

# sim_controls: how to change the simulators while collectd runs
sim_controls() {
  local run="" q="'"
  [[ -n "$SIM_NS" ]] && run="ip netns exec $SIM_NS "
  cat <<EOF
  FRITZ!Box "main" WAN link down (FAILURE "main: WAN link down"), and up again (OKAY):
    ${run}curl -s -H 'Content-Type: application/json' -d $q{"link": "down"}$q http://127.0.0.1:$SIM_FRITZ_PORT/_sim/control
    ${run}curl -s -H 'Content-Type: application/json' -d $q{"link": "up"}$q http://127.0.0.1:$SIM_FRITZ_PORT/_sim/control
  FRITZ!Box "main" new external IP (WARNING):
    ${run}curl -s -H 'Content-Type: application/json' -d $q{"external_ip": "203.0.113.9"}$q http://127.0.0.1:$SIM_FRITZ_PORT/_sim/control
  Home Assistant core restarting (STARTING for 3 s, then RUNNING):
    ${run}curl -s -H 'Content-Type: application/json' -d $q{"restart": true}$q http://127.0.0.1:$SIM_HA_PORT/_sim/control
EOF
  if [[ $SIM_NVME -eq 1 ]]; then
    cat <<EOF
  NVMe nvme0 critical warning "reliability degraded" (FAILURE), cleared by deleting the file:
    echo $q{"crit": 4}$q > $SIM_W/nvme/nvme0/override.json
EOF
  fi
}
