# shellcheck shell=bash
# SPDX-License-Identifier: MIT
#
# VM harness: runs a program (or collectd with our plugins) inside a QEMU
# guest (TCG, Debian's own kernel) that has an emulated NVMe controller, and
# brings the guest's result files back. Facts behind it:
# shared/docs/NVME-QEMU.md. Source this file from a tests/vm/test_*.sh; it
# sources tests/integration/lib.sh too, so pass/fail/check/note/hl_init work
# as there.
#
# Host side:
#   vm_init NAME            vm_prepare, or print "SKIP: ..." and exit 77; then
#                           hl_init NAME (work dir $HL_WORK, traps)
#   vm_prepare [MODULE...]  find qemu, busybox-static, the kernel and its
#                           modules (nvme and its dependencies, plus MODULE...);
#                           extract vmlinux once into $VM_CACHE. Returns 77
#                           (reason in VM_SKIP_REASON) if something is missing
#   vm_initramfs OUT.cpio GUEST_SCRIPT [SRC[:DEST]]...
#                           initramfs with busybox, the modules, an init, the
#                           guest script and the given files or directories
#                           (DEST defaults to SRC); dynamic ELF files bring the
#                           libraries ldd lists
#   vm_run [OPTIONS] OUTDIR INITRD
#                           boot; results in OUTDIR (see vm_run below)
#   vm_exec [OPTIONS] OUTDIR GUEST_SCRIPT [SRC[:DEST]]...
#                           vm_initramfs OUTDIR/initrd.cpio + vm_run
#   vm_collectd_conf FILE STOCK HOMELAB
#   vm_collectd_run [OPTIONS] [-H HOOK] [-U USER] [-f SRC[:DEST]]... OUTDIR SECONDS CONF
#                           collectd -f for SECONDS inside the guest
#
# Guest side: init mounts proc/sys/dev/tmp, insmods the modules, sets ttyS1
# and ttyS2 raw, waits until /sys/class/nvme/nvme0 is "live" and /dev/nvme0n1
# exists, then runs the guest script (sourced in a subshell, after
# /hlvm/guest.sh, in the directory /out) with stdout and stderr in
# /out/run.log. Everything the script leaves in /out comes back to the host:
# init tars /out, gzips and base64-encodes it onto ttyS1 between the lines
# "HLVM-BEGIN" and "HLVM-END <status>", prints "HLVM-EXIT <status>" on the
# console and powers off. Functions for guest scripts (/hlvm/guest.sh):
#   hmp CMD...              one QEMU human-monitor command via ttyS2
#                           (asynchronous: poll for its effect)
#   nvme_warning N [ID]     qom-set smart_critical_warning of device ID
#                           (default nvme0) to N
#   poll SECONDS CMD...     run CMD every 0.1 s until it succeeds
#
# Environment: HL_VM_CACHE (where vmlinux is cached; default
# ${XDG_CACHE_HOME:-~/.cache}/collectd-homelab, else $TMPDIR), HL_VM_KVER
# (kernel version; default the newest /boot/vmlinuz-* with modules),
# HL_VM_TIMEOUT (base timeout per boot, default 90 s, multiplied by
# ceil(load average / cores)), HL_QEMU (default qemu-system-x86_64).

VM_LIBDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../integration/lib.sh
. "$VM_LIBDIR/../integration/lib.sh"

VM_PREPARED=0
VM_SKIP_REASON=""
VM_QEMU=""
VM_BUSYBOX=""
VM_KVER=""
VM_VMLINUZ=""
VM_KERNEL=""
VM_CACHE=""
VM_MODULES=()
# results of the last vm_run
VM_RC=""
VM_ERROR=""
VM_SECS=""
VM_COLLECTD_RC=""

# --- preparation ---------------------------------------------------------------

vm__skip() {
  VM_SKIP_REASON=$1
  return 77
}

# vm__cache_dir: print a writable cache directory.
vm__cache_dir() {
  local d
  for d in "${HL_VM_CACHE:-}" "${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/collectd-homelab" \
    "${TMPDIR:-/tmp}/collectd-homelab-$(id -u)"; do
    [[ -n "$d" ]] || continue
    if mkdir -p "$d" 2>/dev/null && [[ -w "$d" ]]; then
      printf '%s\n' "$d"
      return 0
    fi
  done
  return 1
}

# vm__is_elf FILE
vm__is_elf() {
  [[ "$(head -c 4 "$1" 2>/dev/null | od -An -tx1 | tr -d ' \n')" == 7f454c46 ]]
}

# vm__extract_vmlinux BZIMAGE OUT: the kernel tree's extract-vmlinux approach
# for xz: try every xz magic in the image until one unpacks to an ELF file.
vm__extract_vmlinux() {
  local img=$1 out=$2 pos tmp
  command -v xz >/dev/null || return 1
  tmp="$out.tmp.$$"
  while IFS=: read -r pos _; do
    tail -c "+$((pos + 1))" "$img" | xz -dcq --single-stream >"$tmp" 2>/dev/null
    if vm__is_elf "$tmp"; then
      mv -f "$tmp" "$out"
      return 0
    fi
  done < <(LC_ALL=C grep -aboF $'\xfd7zXZ' "$img")
  rm -f "$tmp"
  return 1
}

# vm__modprobe: print the path of modprobe (often not on a user's PATH).
vm__modprobe() {
  local p
  for p in "$(command -v modprobe 2>/dev/null)" /usr/sbin/modprobe /sbin/modprobe; do
    [[ -n "$p" && -x "$p" ]] && {
      printf '%s\n' "$p"
      return 0
    }
  done
  return 1
}

# vm_prepare [MODULE...]: see the top of this file. Sets VM_QEMU, VM_BUSYBOX,
# VM_KVER, VM_KERNEL (cached vmlinux, or the bzImage if extraction failed),
# VM_CACHE and VM_MODULES (host paths in load order). Idempotent.
vm_prepare() {
  ((VM_PREPARED)) && return 0
  local f kv mp out key seen line
  VM_QEMU=$(command -v "${HL_QEMU:-qemu-system-x86_64}") ||
    vm__skip "${HL_QEMU:-qemu-system-x86_64} not found (Debian package qemu-system-x86)" || return
  for f in /bin/busybox /usr/bin/busybox; do
    if [[ -x "$f" ]] && ! ldd "$f" >/dev/null 2>&1; then
      VM_BUSYBOX=$f
      break
    fi
  done
  [[ -n "$VM_BUSYBOX" ]] || vm__skip "no static busybox (Debian package busybox-static)" || return
  command -v cpio >/dev/null || vm__skip "cpio not found (Debian package cpio)" || return
  if [[ -n "${HL_VM_KVER:-}" ]]; then
    VM_KVER=$HL_VM_KVER
  else
    # the newest kernel (by version) that has its modules
    while IFS= read -r kv; do
      [[ -f "/lib/modules/$kv/modules.dep" ]] && {
        VM_KVER=$kv
        break
      }
    done < <(find /boot -maxdepth 1 -name 'vmlinuz-*' -printf '%f\n' 2>/dev/null |
      sed 's/^vmlinuz-//' | sort -rV)
  fi
  [[ -n "$VM_KVER" ]] ||
    vm__skip "no /boot/vmlinuz-* with modules in /lib/modules (Debian package linux-image-amd64)" || return
  VM_VMLINUZ=/boot/vmlinuz-$VM_KVER
  [[ -f "$VM_VMLINUZ" ]] || vm__skip "$VM_VMLINUZ not found" || return
  [[ -r "$VM_VMLINUZ" ]] ||
    vm__skip "$VM_VMLINUZ is not readable (mode 0600 on Debian: run as root, or set HL_VM_CACHE to a dir holding vmlinux-$VM_KVER-*)" || return
  mp=$(vm__modprobe) || vm__skip "modprobe not found (Debian package kmod)" || return

  # modules in load order (modprobe -D repeats shared dependencies)
  VM_MODULES=()
  declare -A seen=()
  for kv in nvme "$@"; do
    out=$("$mp" -S "$VM_KVER" -D "$kv" 2>&1) ||
      vm__skip "modprobe -S $VM_KVER -D $kv: $out" || return
    while read -r line; do
      [[ "$line" == insmod\ * ]] || continue
      f=${line#insmod }
      f=${f%% *}
      [[ -n "${seen[$f]:-}" ]] && continue
      seen[$f]=1
      VM_MODULES+=("$f")
    done <<<"$out"
  done

  # vmlinux: extracted once per kernel image (size and mtime in the name)
  VM_CACHE=$(vm__cache_dir) || vm__skip "no writable cache directory (set HL_VM_CACHE)" || return
  key=$(stat -c '%s-%Y' "$VM_VMLINUZ")
  VM_KERNEL="$VM_CACHE/vmlinux-$VM_KVER-$key"
  if ! vm__is_elf "$VM_KERNEL"; then
    rm -f "$VM_CACHE/vmlinux-$VM_KVER-"*
    if ! vm__extract_vmlinux "$VM_VMLINUZ" "$VM_KERNEL"; then
      printf '  .. could not extract vmlinux from %s; booting the bzImage (slower)\n' \
        "$VM_VMLINUZ" >&2
      VM_KERNEL=$VM_VMLINUZ
    fi
  fi
  VM_PREPARED=1
}

# vm_init NAME [MODULE...]: vm_prepare, or "SKIP: NAME (reason)" and exit 77;
# then hl_init NAME.
vm_init() {
  local name=$1 rc=0
  shift
  vm_prepare "$@" || rc=$?
  if ((rc)); then
    if ((rc == 77)); then
      printf 'SKIP: %s (%s)\n' "$name" "$VM_SKIP_REASON"
    else
      printf 'FAIL: %s (vm_prepare failed with status %d)\n' "$name" "$rc"
    fi
    exit "$rc"
  fi
  hl_init "$name"
}

# --- initramfs -----------------------------------------------------------------

# vm__newc_entry NAME MODE_HEX RDEVMAJOR RDEVMINOR: one data-less newc header
# (device nodes and the trailer, written without root or mknod).
vm__newc_entry() {
  local name=$1 mode=$2 maj=$3 min=$4 n pad
  n=$((${#name} + 1))
  printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
    0 "$((16#$mode))" 0 0 1 0 0 0 0 "$maj" "$min" "$n" 0
  printf '%s\0' "$name"
  pad=$(((4 - (110 + n) % 4) % 4))
  ((pad)) && head -c "$pad" /dev/zero
  return 0
}

# vm__copy SRC DEST_IN_STAGE: copy a file (dereferenced) or a directory.
vm__copy() {
  local src=$1 dst=$2
  mkdir -p "$(dirname "$dst")"
  if [[ -d "$src" ]]; then
    mkdir -p "$dst"
    cp -a "$src/." "$dst/"
  else
    cp -L --remove-destination "$src" "$dst"
  fi
}

# vm__add_libs STAGE FILE: copy the shared libraries FILE needs (ldd) to the
# same paths in STAGE. Fails if one is "not found".
vm__add_libs() {
  local stage=$1 file=$2 out line lib
  vm__is_elf "$file" || return 0
  out=$(ldd "$file" 2>/dev/null) || return 0
  while read -r line; do
    case $line in
    *"not found"*)
      printf 'vm_initramfs: %s needs %s\n' "$file" "$line" >&2
      return 1
      ;;
    *"=> /"*) lib=${line#*=> } ;;
    /*) lib=$line ;;
    *) continue ;;
    esac
    lib=${lib%% (*}
    [[ -e "$stage$lib" ]] || vm__copy "$lib" "$stage$lib" || return 1
    # glibc dlopens libgcc_s for pthread_exit/pthread_cancel (collectd's
    # threads abort at exit without it); ldd does not list it
    if [[ "$lib" == */libc.so.6 && -e "${lib%/*}/libgcc_s.so.1" &&
      ! -e "$stage${lib%/*}/libgcc_s.so.1" ]]; then
      vm__copy "${lib%/*}/libgcc_s.so.1" "$stage${lib%/*}/libgcc_s.so.1" || return 1
    fi
  done <<<"$out"
}

# vm_initramfs OUT.cpio GUEST_SCRIPT [SRC[:DEST]]...: write an initramfs
# (uncompressed newc cpio, which the kernel unpacks fastest) holding busybox
# (with all its applet links in /usr/bin), the modules of vm_prepare, /init,
# /hlvm/guest.sh, GUEST_SCRIPT as /hlvm/run, /etc/passwd with root and nobody,
# and each SRC at DEST (absolute guest path; default SRC; directories are
# copied recursively). Each dynamic ELF file brings the libraries ldd lists,
# at the same paths (the guest has Debian's merged-/usr layout).
vm_initramfs() {
  local out=$1 script=$2 stage spec src dst m i=0 a
  shift 2
  vm_prepare || return
  stage=$(mktemp -d "$(dirname "$out")/.initramfs.XXXXXX") || return 1
  mkdir -p "$stage"/{usr/bin,usr/sbin,usr/lib,usr/lib64,proc,sys,dev,tmp,run,out,etc,root,var/tmp} \
    "$stage/hlvm/modules"
  for a in bin sbin lib lib64; do
    ln -s "usr/$a" "$stage/$a"
  done
  # (init links the applets: 0.35 s less here than ~400 ln)
  cp "$VM_BUSYBOX" "$stage/usr/bin/busybox"
  ln -s busybox "$stage/usr/bin/sh"
  : >"$stage/hlvm/modules.list"
  for m in "${VM_MODULES[@]}"; do
    i=$((i + 1))
    a=$(printf '%02d-%s' "$i" "${m##*/}")
    case $m in
    *.ko.xz) xz -dc "$m" >"$stage/hlvm/modules/${a%.xz}" && a=${a%.xz} ;;
    *.ko.zst) zstd -qdc "$m" >"$stage/hlvm/modules/${a%.zst}" && a=${a%.zst} ;;
    *.ko.gz) gzip -dc "$m" >"$stage/hlvm/modules/${a%.gz}" && a=${a%.gz} ;;
    *) cp "$m" "$stage/hlvm/modules/$a" ;;
    esac
    printf '%s\n' "$a" >>"$stage/hlvm/modules.list"
  done
  printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' \
    'nobody:x:65534:65534:nobody:/nonexistent:/bin/sh' >"$stage/etc/passwd"
  printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' >"$stage/etc/group"
  vm__init_script >"$stage/init"
  vm__guest_lib >"$stage/hlvm/guest.sh"
  cp "$script" "$stage/hlvm/run"
  chmod 755 "$stage/init" "$stage/hlvm/run"
  for spec in "$@"; do
    src=${spec%%:*}
    dst=${spec#*:}
    [[ "$spec" == *:* ]] || dst=$src
    if [[ "$dst" != /* || ! -e "$src" ]]; then
      printf 'vm_initramfs: bad file spec "%s" (no such file, or DEST not absolute)\n' "$spec" >&2
      rm -rf "$stage"
      return 1
    fi
    vm__copy "$src" "$stage$dst" || {
      rm -rf "$stage"
      return 1
    }
    if [[ -d "$src" ]]; then
      while IFS= read -r -d '' m; do
        vm__add_libs "$stage" "$m" || {
          rm -rf "$stage"
          return 1
        }
      done < <(find "$src" -type f -print0)
    else
      vm__add_libs "$stage" "$src" || {
        rm -rf "$stage"
        return 1
      }
    fi
  done
  (cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
    cpio -o -H newc -R 0:0 --quiet) >"$out" || {
    rm -rf "$stage"
    return 1
  }
  # a second archive (the kernel unpacks concatenated ones) with the device
  # nodes the kernel needs before init mounts devtmpfs
  {
    vm__newc_entry dev/console 2180 5 1
    vm__newc_entry dev/null 21B6 1 3
    vm__newc_entry 'TRAILER!!!' 0 0 0
  } >>"$out"
  rm -rf "$stage"
}

# vm__init_script: the guest's /init.
vm__init_script() {
  cat <<'EOF'
#!/bin/sh
# generated by tests/vm/lib.sh: PID 1 of the test VM
export PATH=/usr/sbin:/usr/bin HOME=/root
/usr/bin/busybox --install -s /usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
exec </dev/console >/dev/console 2>&1
hostname hlvm
mkdir -p /out
{
  echo "uptime at init: $(cut -d' ' -f1 /proc/uptime)"
  while read -r m; do
    insmod "/hlvm/modules/$m" 2>&1 || echo "insmod $m failed (ignored)"
  done </hlvm/modules.list
  stty -F /dev/ttyS1 raw -echo
  stty -F /dev/ttyS2 raw -echo
  i=0
  while [ "$(cat /sys/class/nvme/nvme0/state 2>/dev/null)" != live ] || [ ! -e /dev/nvme0n1 ]; do
    i=$((i + 1))
    if [ $i -gt 300 ]; then
      echo "no live /dev/nvme0 with /dev/nvme0n1 after 30 s"
      break
    fi
    sleep 0.1
  done
  echo "uptime before the guest script: $(cut -d' ' -f1 /proc/uptime)"
} >/out/init.log 2>&1
cd /out
# a live copy of the script's output on the console, for timeouts
: >/out/run.log
tail -f /out/run.log 2>/dev/null &
tailpid=$!
(
  . /hlvm/guest.sh
  . /hlvm/run
) >/out/run.log 2>&1 </dev/null
rc=$?
echo "uptime after the guest script: $(cut -d' ' -f1 /proc/uptime)" >>/out/init.log
kill "$tailpid" 2>/dev/null
# stop what the script left running, then ship /out
kill -TERM -1 2>/dev/null
sleep 0.1
kill -KILL -1 2>/dev/null
cd /
dmesg >/out/dmesg.txt 2>&1
{
  echo HLVM-BEGIN
  tar -C /out -cf - . | gzip | base64
  echo "HLVM-END $rc"
} >/dev/ttyS1
echo "HLVM-EXIT $rc"
poweroff -f
sleep 5
reboot -f
EOF
}

# vm__guest_lib: the guest's /hlvm/guest.sh (functions for guest scripts).
vm__guest_lib() {
  cat <<'EOF'
# generated by tests/vm/lib.sh: functions for the guest script
# hmp CMD...: send one command to QEMU's human monitor through ttyS2. It
# runs asynchronously and its reply only reaches the host's hmp.log.
hmp() {
  printf '%s\n' "$*" >/dev/ttyS2
}
# nvme_warning N [ID]: set smart_critical_warning of device ID (nvme0).
nvme_warning() {
  hmp "qom-set /machine/peripheral/${2:-nvme0} smart_critical_warning $1"
}
# poll SECONDS CMD...: run CMD every 0.1 s until it succeeds (0) or SECONDS
# have passed (1).
poll() {
  local n=$(($1 * 10))
  shift
  until "$@"; do
    n=$((n - 1))
    [ "$n" -gt 0 ] || return 1
    sleep 0.1
  done
}
EOF
}

# --- running -------------------------------------------------------------------

# vm_add_log NAME FILE: add_log (dump FILE's tail if the test fails), once.
vm_add_log() {
  local e
  for e in "${HL_LOGS[@]}"; do
    [[ "$e" == "$1=$2" ]] && return 0
  done
  add_log "$1" "$2"
}

# vm__timeout BASE: BASE multiplied by ceil(load average / cores).
vm__timeout() {
  local base=$1 load cores f
  read -r load _ </proc/loadavg
  cores=$(nproc 2>/dev/null || echo 1)
  load=${load%%.*}
  f=$(((load + cores) / cores))
  ((f < 1)) && f=1
  echo $((base * f))
}

# vm_run [-p NVME_PROPS] [-m MEM] [-t TIMEOUT] [-e EXTRA_SECONDS] [-s DISK_SIZE]
#        [-q QEMU_ARG]... OUTDIR INITRD
# Boots the guest with one NVMe controller: -device nvme,id=nvme0,
# serial=deadbeef,drive=nvm<NVME_PROPS> (e.g. -p ,smart_critical_warning=1;
# the leading comma may be left out) on a sparse raw DISK_SIZE (64M) image.
# MEM defaults to 256M. TIMEOUT (default $HL_VM_TIMEOUT or 90 s) is scaled by
# the load unless given with -t; EXTRA_SECONDS (the guest script's own
# expected run time) is added after scaling. -q adds raw qemu arguments.
# Ports: ttyS0 = console -> OUTDIR/console.log, ttyS1 -> OUTDIR/ttyS1.log
# (the result archive), ttyS2 -> fifo -> QEMU human monitor, whose output is
# in OUTDIR/hmp.log (escape sequences and CRs stripped).
# On return: OUTDIR/out/ holds the guest's /out (run.log = the script's
# output, init.log, dmesg.txt and the script's own files), VM_RC the guest
# script's exit status, VM_SECS the wall time. Returns 0 when the guest ran
# to completion and its results arrived (whatever VM_RC is), else 1 with the
# reason in VM_ERROR (qemu failed to start, timeout, no results).
vm_run() {
  local OPTIND opt props="" mem=256M timeout="" extra=0 size=64M qargs=()
  while getopts 'p:m:t:e:s:q:' opt; do
    case $opt in
    p) props=$OPTARG ;;
    m) mem=$OPTARG ;;
    t) timeout=$OPTARG ;;
    e) extra=$OPTARG ;;
    s) size=$OPTARG ;;
    q) qargs+=("$OPTARG") ;;
    *)
      VM_ERROR="vm_run: bad option"
      return 2
      ;;
    esac
  done
  shift $((OPTIND - 1))
  local dir=$1 initrd=$2 pid rc=0 start now limit
  VM_RC=""
  VM_ERROR=""
  VM_SECS=""
  vm_prepare || {
    VM_ERROR="vm_prepare: $VM_SKIP_REASON"
    return 1
  }
  [[ -n "$props" && "$props" != ,* ]] && props=",$props"
  [[ -n "$timeout" ]] || timeout=$(vm__timeout "${HL_VM_TIMEOUT:-90}")
  timeout=$((timeout + extra))
  mkdir -p "$dir"
  rm -rf "$dir/out" "$dir/hmp.in" "$dir/s2.in" "$dir/s2.out"
  : >"$dir/hmp.out"
  mkfifo "$dir/hmp.in" "$dir/s2.in" || {
    VM_ERROR="mkfifo failed in $dir"
    return 1
  }
  # guest ttyS2 writes into the fifo the monitor reads
  ln -s hmp.in "$dir/s2.out"
  rm -f "$dir/disk.img"
  truncate -s "$size" "$dir/disk.img"
  vm_add_log "vm console ${dir##*/}" "$dir/console.log"
  vm_add_log "qemu ${dir##*/}" "$dir/qemu.log"
  start=${EPOCHREALTIME/./}
  "$VM_QEMU" -accel tcg -nodefaults -no-user-config -display none -no-reboot \
    -m "$mem" -smp 1 -cpu qemu64,+rdrand \
    -kernel "$VM_KERNEL" -initrd "$initrd" -append "console=ttyS0 quiet panic=-1${HL_VM_APPEND:+ $HL_VM_APPEND}" \
    -chardev "file,id=con,path=$dir/console.log" -serial chardev:con \
    -chardev "file,id=res,path=$dir/ttyS1.log" -serial chardev:res \
    -chardev "pipe,id=cmd,path=$dir/s2" -serial chardev:cmd \
    -chardev "pipe,id=hmp,path=$dir/hmp" -mon chardev=hmp,mode=readline \
    -drive "file=$dir/disk.img,if=none,id=nvm,format=raw" \
    -device "nvme,id=nvme0,serial=deadbeef,drive=nvm$props" \
    "${qargs[@]}" </dev/null >"$dir/qemu.log" 2>&1 &
  pid=$!
  # killed by hl_cleanup if the test is interrupted
  track_pid "$pid" 1
  limit=$((timeout * 1000000))
  while kill -0 "$pid" 2>/dev/null; do
    now=${EPOCHREALTIME/./}
    if ((now - start >= limit)); then
      VM_ERROR="timed out after $timeout s (see console.log)"
      kill -TERM "$pid" 2>/dev/null
      sleep 1
      kill -KILL "$pid" 2>/dev/null
      break
    fi
    sleep 0.1
  done
  wait "$pid" 2>/dev/null || rc=$?
  now=${EPOCHREALTIME/./}
  # shellcheck disable=SC2034 # a result for the test scripts
  VM_SECS=$(printf '%d.%d' $(((now - start) / 1000000)) $(((now - start) / 100000 % 10)))
  # the monitor's output, without its escape sequences and CRs
  # (readline redraws the line after each character: keep the last drawing)
  sed -E -e 's/\r$//' -e 's/(\x1b\[K)+$//' -e 's/^(\(qemu\) )?.*\x1b\[[0-9;]*[A-Za-z]/\1/' -e 's/\r//g' \
    "$dir/hmp.out" >"$dir/hmp.log" 2>/dev/null
  rm -f "$dir/hmp.in" "$dir/s2.in" "$dir/s2.out" "$dir/disk.img"
  if [[ -n "$VM_ERROR" ]]; then
    vm__collect "$dir" || true
    return 1
  fi
  if ! vm__collect "$dir"; then
    if ((rc)); then
      VM_ERROR="qemu exited with status $rc: $(grep -v '^$' "$dir/qemu.log" | tail -n 1)"
    else
      VM_ERROR="no complete result archive on ttyS1 (guest died? see console.log)"
    fi
    return 1
  fi
  return 0
}

# vm__collect DIR: unpack the archive in DIR/ttyS1.log into DIR/out; set
# VM_RC. Fails if the end marker is missing or the archive is damaged.
vm__collect() {
  local dir=$1 end
  mkdir -p "$dir/out"
  [[ -f "$dir/ttyS1.log" ]] || return 1
  end=$(tr -d '\r' <"$dir/ttyS1.log" | grep -a '^HLVM-END ' | tail -n 1)
  tr -d '\r' <"$dir/ttyS1.log" | sed -n '/^HLVM-BEGIN$/,/^HLVM-END /{/^HLVM-/d;p}' |
    base64 -d 2>/dev/null | tar --no-same-owner -xzf - -C "$dir/out" 2>/dev/null || return 1
  [[ -n "$end" ]] || return 1
  # shellcheck disable=SC2034 # a result for the test scripts
  VM_RC=${end#HLVM-END }
  return 0
}

# vm_exec [vm_run OPTIONS] OUTDIR GUEST_SCRIPT [SRC[:DEST]]...: build
# OUTDIR/initrd.cpio with vm_initramfs, then vm_run it.
vm_exec() {
  local OPTIND opt ropts=()
  while getopts 'p:m:t:e:s:q:' opt; do
    case $opt in
    [pmtesq]) ropts+=("-$opt" "$OPTARG") ;;
    *) return 2 ;;
    esac
  done
  shift $((OPTIND - 1))
  local dir=$1 script=$2
  shift 2
  mkdir -p "$dir"
  vm_initramfs "$dir/initrd.cpio" "$script" "$@" || {
    VM_ERROR="vm_initramfs failed"
    return 1
  }
  vm_run "${ropts[@]}" "$dir" "$dir/initrd.cpio"
}

# --- collectd in the guest -----------------------------------------------------

# Guest paths used by vm_collectd_conf / vm_collectd_run.
VM_GUEST_PLUGINDIR=/usr/lib/collectd
VM_GUEST_HOMELAB_PLUGINDIR=/usr/lib/collectd-homelab
VM_GUEST_TYPESDB=/usr/share/collectd/types.db
VM_GUEST_HOMELAB_TYPESDB=/usr/share/collectd/homelab.db

# vm_collectd_conf FILE STOCK HOMELAB: like gen_collectd_conf, for the guest:
# Hostname $HL_HOSTNAME, Interval 1, logfile (info, /out/collectd.log, which
# also logs notifications) and csv (DataDir /out/csv, so values land in
# OUTDIR/out/csv/$HL_HOSTNAME/) always loaded; STOCK from /usr/lib/collectd;
# HOMELAB after PluginDir /usr/lib/collectd-homelab, where vm_collectd_run
# puts $HL_PLUGINDIR/homelab_*.so named in LoadPlugin lines.
vm_collectd_conf() {
  local file=$1 stock=$2 homelab=$3 types
  types="\"$VM_GUEST_TYPESDB\""
  [[ -f "$HL_TYPESDB" ]] && types+=" \"$VM_GUEST_HOMELAB_TYPESDB\""
  cat >"$file" <<EOF
# generated by tests/vm/lib.sh (paths are the guest's)
Hostname "$HL_HOSTNAME"
FQDNLookup false
BaseDir "/tmp/collectd"
PIDFile "/tmp/collectd/collectd.pid"
Interval 1
AutoLoadPlugin false
TypesDB $types

PluginDir "$VM_GUEST_PLUGINDIR"
LoadPlugin logfile
<Plugin logfile>
  LogLevel info
  File "/out/collectd.log"
  Timestamp true
  PrintSeverity true
</Plugin>
LoadPlugin csv
<Plugin csv>
  DataDir "/out/csv"
  StoreRates false
</Plugin>
$stock

PluginDir "$VM_GUEST_HOMELAB_PLUGINDIR"
$homelab
EOF
}

# vm__conf_plugins CONF: names in LoadPlugin lines and <LoadPlugin> blocks.
vm__conf_plugins() {
  sed -nE 's/^[[:space:]]*<?LoadPlugin[[:space:]]+"?([A-Za-z0-9_]+)"?.*/\1/p' "$1" | sort -u
}

# vm_collectd_run [vm_run OPTIONS] [-H HOOK] [-U USER] [-f SRC[:DEST]]...
#                 OUTDIR SECONDS CONF
# Runs "collectd -C CONF -f" in the guest for SECONDS, then SIGTERM (SIGKILL
# after 10 s). CONF (from vm_collectd_conf) becomes /etc/collectd/collectd.conf;
# the initramfs gets $HL_COLLECTD and every plugin CONF loads (stock ones
# from /usr/lib/collectd; homelab_* from $HL_PLUGINDIR into
# /usr/lib/collectd-homelab), logfile/csv/write_log, types.db, homelab.db,
# their libraries, and each -f SRC[:DEST]. HOOK, a guest shell script, is
# sourced in the background once collectd has started (guest.sh functions
# and $COLLECTD_PID available; output in out/hook.log); it is killed when
# collectd is stopped. -U runs collectd as USER (nobody or root) via su.
# Results (besides those of vm_run): OUTDIR/out/collectd.log (log and
# notifications), OUTDIR/out/collectd.out (stdout/stderr),
# OUTDIR/out/csv/$HL_HOSTNAME/..., VM_COLLECTD_RC = collectd's exit status
# ("" if unknown). Returns vm_run's status.
vm_collectd_run() {
  local OPTIND opt ropts=() hook="" user="" files=() have_e=0
  while getopts 'p:m:t:e:s:q:H:U:f:' opt; do
    case $opt in
    [pmtsq]) ropts+=("-$opt" "$OPTARG") ;;
    e)
      ropts+=("-e" "$OPTARG")
      have_e=1
      ;;
    H) hook=$OPTARG ;;
    U) user=$OPTARG ;;
    f) files+=("$OPTARG") ;;
    *) return 2 ;;
    esac
  done
  shift $((OPTIND - 1))
  local dir=$1 secs=$2 conf=$3 p script
  VM_COLLECTD_RC=""
  vm_prepare || {
    VM_ERROR="vm_prepare: $VM_SKIP_REASON"
    return 1
  }
  mkdir -p "$dir"
  files+=("$HL_COLLECTD:/usr/sbin/collectd" "$conf:/etc/collectd/collectd.conf"
    "$HL_STOCK_TYPESDB:$VM_GUEST_TYPESDB")
  [[ -f "$HL_TYPESDB" ]] && files+=("$HL_TYPESDB:$VM_GUEST_HOMELAB_TYPESDB")
  for p in logfile csv write_log $(vm__conf_plugins "$conf"); do
    if [[ "$p" == homelab_* && -f "$HL_PLUGINDIR/$p.so" ]]; then
      files+=("$HL_PLUGINDIR/$p.so:$VM_GUEST_HOMELAB_PLUGINDIR/$p.so")
    elif [[ -f "$HL_STOCK_PLUGINDIR/$p.so" ]]; then
      files+=("$HL_STOCK_PLUGINDIR/$p.so:$VM_GUEST_PLUGINDIR/$p.so")
    else
      printf 'vm_collectd_run: plugin %s not found (neither %s nor %s)\n' "$p" \
        "$HL_PLUGINDIR" "$HL_STOCK_PLUGINDIR" >&2
    fi
  done
  [[ -n "$hook" ]] && files+=("$hook:/hlvm/hook")
  script="$dir/collectd-guest.sh"
  {
    printf '# generated by vm_collectd_run\nsecs=%d\nuser=%s\n' "$secs" "$user"
    cat <<'EOF'
mkdir -p /tmp/collectd
chmod 1777 /tmp /tmp/collectd
chmod 777 /out
if [ -n "$user" ] && [ "$user" != root ]; then
  su -s /bin/sh "$user" -c 'exec /usr/sbin/collectd -C /etc/collectd/collectd.conf -f' \
    >/out/collectd.out 2>&1 &
else
  /usr/sbin/collectd -C /etc/collectd/collectd.conf -f >/out/collectd.out 2>&1 &
fi
COLLECTD_PID=$!
echo "collectd started, pid $COLLECTD_PID, at $(cut -d' ' -f1 /proc/uptime)"
hookpid=""
if [ -f /hlvm/hook ]; then
  (. /hlvm/hook) >/out/hook.log 2>&1 &
  hookpid=$!
fi
sleep "$secs"
if kill -0 "$COLLECTD_PID" 2>/dev/null; then
  echo "stopping collectd at $(cut -d' ' -f1 /proc/uptime)"
  kill -TERM "$COLLECTD_PID"
else
  echo "collectd is gone before the end"
fi
(sleep 10; kill -KILL "$COLLECTD_PID" 2>/dev/null) &
killer=$!
wait "$COLLECTD_PID"
rc=$?
kill "$killer" 2>/dev/null
echo "collectd exit status $rc"
echo "$rc" >/out/collectd.rc
[ -n "$hookpid" ] && kill "$hookpid" 2>/dev/null
exit 0
EOF
  } >"$script"
  ((have_e)) || ropts+=("-e" "$((secs + 10))")
  vm_exec "${ropts[@]}" "$dir" "$script" "${files[@]}" || return
  if [[ -f "$dir/out/collectd.rc" ]]; then
    # shellcheck disable=SC2034 # a result for the test scripts
    VM_COLLECTD_RC=$(<"$dir/out/collectd.rc")
  fi
  vm_add_log "guest collectd.log ${dir##*/}" "$dir/out/collectd.log"
  vm_add_log "guest collectd.out ${dir##*/}" "$dir/out/collectd.out"
  return 0
}
