#!/bin/sh
# SPDX-License-Identifier: MIT
#
# collectd-notify - a program for collectd's exec plugin (NotificationExec,
# see examples/outputs/notify_exec.conf). collectd runs it once per
# notification and writes the notification to its stdin: "Key: value"
# header lines (Severity, Time, Host, Plugin, PluginInstance, Type,
# TypeInstance, then meta data such as homelab_ports' port and process or
# the threshold plugin's CurrentValue), an empty line and the message.
#
# It turns that into one line
#   2026-11-27T13:44:13+00:00 WARNING myhost homelab_host-df-root/percent_bytes-used: Host myhost: disk / is 91.2% used (warning limit 85%)
# (meta data appended as " [key=value ...]") and delivers it to every
# destination given:
#   --log FILE     append the line to FILE
#   --ntfy URL     POST the message to an ntfy topic URL with curl (title:
#                  severity, host and value; priority 4 for FAILURE, 3 for
#                  WARNING, 2 for OKAY)
#   --syslog       log it with logger(1), facility daemon, tag
#                  collectd-notify (the default when no destination is given)
#   --min-severity OKAY|WARNING|FAILURE
#                  ignore notifications below this severity (default OKAY:
#                  everything, recoveries included)
# Exit status: 0, or 1 if a destination failed (collectd logs nothing
# about it; test the program by hand, e.g.
#   printf 'Severity: WARNING\nHost: h\nPlugin: p\n\nhello\n' | collectd-notify --log /tmp/x
# ). POSIX sh; needs curl only for --ntfy.

set -u

log_file=""
ntfy_url=""
use_syslog=0
min_rank=0

usage() {
  sed -n '4,/^# )/s/^# \{0,1\}//p' "$0" >&2
  exit 2
}

# rank SEVERITY: 0 OKAY, 1 WARNING, 2 FAILURE, 3 anything else
rank() {
  case $1 in
  OKAY) echo 0 ;;
  WARNING) echo 1 ;;
  FAILURE) echo 2 ;;
  *) echo 3 ;;
  esac
}

while [ $# -gt 0 ]; do
  case $1 in
  --log)
    [ $# -ge 2 ] || usage
    log_file=$2
    shift 2
    ;;
  --ntfy)
    [ $# -ge 2 ] || usage
    ntfy_url=$2
    shift 2
    ;;
  --syslog)
    use_syslog=1
    shift
    ;;
  --min-severity)
    [ $# -ge 2 ] || usage
    min_rank=$(rank "$2")
    [ "$min_rank" -le 2 ] || usage
    shift 2
    ;;
  *) usage ;;
  esac
done
if [ -z "$log_file" ] && [ -z "$ntfy_url" ]; then
  use_syslog=1
fi

severity=UNKNOWN time="" host="" plugin="" plugin_instance="" type=""
type_instance="" meta=""
while IFS= read -r line; do
  [ -n "$line" ] || break
  key=${line%%:*}
  value=${line#*:}
  value=${value# }
  case $key in
  Severity) severity=$value ;;
  Time) time=$value ;;
  Host) host=$value ;;
  Plugin) plugin=$value ;;
  PluginInstance) plugin_instance=$value ;;
  Type) type=$value ;;
  TypeInstance) type_instance=$value ;;
  *) meta="$meta${meta:+ }$key=$value" ;;
  esac
done
message=$(cat)

[ "$(rank "$severity")" -ge "$min_rank" ] || exit 0

# host plugin[-instance]/type[-instance], collectd's identifier
what=$plugin${plugin_instance:+-$plugin_instance}
if [ -n "$type" ]; then
  what=$what/$type${type_instance:+-$type_instance}
fi
when=""
if [ -n "$time" ]; then
  when=$(date -d "@${time%%.*}" '+%Y-%m-%dT%H:%M:%S%:z' 2>/dev/null) || when=""
fi
[ -n "$when" ] || when=$(date '+%Y-%m-%dT%H:%M:%S%:z')
line="$when $severity $host $what: $message${meta:+ [$meta]}"

status=0
if [ -n "$log_file" ]; then
  printf '%s\n' "$line" >>"$log_file" || status=1
fi
if [ -n "$ntfy_url" ]; then
  case $severity in
  FAILURE) prio=4 ;;
  WARNING) prio=3 ;;
  *) prio=2 ;;
  esac
  printf '%s' "$message" | curl -fsS --max-time 10 -o /dev/null \
    -H "Title: $severity $host $what" -H "Priority: $prio" \
    -H "Tags: collectd,$(printf '%s' "$severity" | tr '[:upper:]' '[:lower:]')" \
    --data-binary @- "$ntfy_url" || status=1
fi
if [ "$use_syslog" = 1 ]; then
  case $severity in
  FAILURE) level=err ;;
  WARNING) level=warning ;;
  *) level=info ;;
  esac
  logger -t collectd-notify -p "daemon.$level" -- "$line" || status=1
fi
exit "$status"
