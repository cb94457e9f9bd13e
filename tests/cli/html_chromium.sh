#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Renders the HTML port report in headless Chromium (Debian's chromium; this
# script installs nothing and exits 77 when it is missing). The page comes
# from the fixture tree tests/fixtures/cli/proc1, where a process is named
# `<script>alert(1)</script>`, with the violating policy and, when python3
# is there, the fake Docker engine. Checks on the DOM after the page's
# script ran (--dump-dom): the hostile name is text, no script element
# holds it, the page's own script ran (so the CSP hash is right), and
# "#q=sshd" and "#sort=..." in the URL filter and sort the table (numbers
# as numbers), and the Content Security Policy
# stops a script injected into the page. Then takes a 1280x800 screenshot:
# to $HL_SCREENSHOT if set (docs/port-report.png is made this way), else
# to a temporary file. Prints "N passed, N failed" on the last line.
#   tests/cli/html_chromium.sh [BUILDDIR]   (HL_CHROMIUM overrides the browser)
set -uo pipefail

chromium=${HL_CHROMIUM:-/usr/bin/chromium}
if [[ ! -x "$chromium" ]]; then
  echo "html_chromium: $chromium not installed, skipping" >&2
  exit 77
fi
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-${HL_BUILDDIR:-}}
if [[ -z "$build" ]]; then
  build=$PWD
  [[ -x "$build/cli/homelab-port-report" ]] || build=$src
fi
cli=$build/cli/homelab-port-report
if [[ ! -x "$cli" ]]; then
  echo "html_chromium: $cli not built" >&2
  exit 77
fi
# shellcheck source=tests/cli/lib.sh
source "$src/tests/cli/lib.sh"
fix=$src/tests/fixtures/cli
tmp=$(mktemp -d)
docker_pid=
cleanup() {
  [[ -n "$docker_pid" ]] && kill "$docker_pid" 2>/dev/null && wait "$docker_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
hl_cli_proc_tree "$fix/proc1" "$tmp/proc1" || exit 2

passed=0
failed=0
check() {
  local name=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
    echo "ok    $name"
  else
    failed=$((failed + 1))
    echo "FAIL  $name"
  fi
}

# chromium_run ARGS... URL: one headless run with a fresh profile.
chromium_run() {
  local profile
  profile=$(mktemp -d "$tmp/profile.XXXXXX")
  timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic \
    --no-first-run --disable-background-networking --disable-component-update \
    --disable-sync --user-data-dir="$profile" --window-size=1280,800 "$@" \
    2>>"$tmp/chromium.log"
}

docker_args=(--no-docker)
if command -v python3 >/dev/null; then
  python3 "$src/tests/integration/fake_docker.py" --socket "$tmp/docker.sock" --containers "$fix/docker/containers.json" &
  docker_pid=$!
  for _ in $(seq 50); do
    [[ -S "$tmp/docker.sock" ]] && break
    sleep 0.1
  done
  docker_args=(--docker-socket "$tmp/docker.sock")
fi

page=$tmp/port-report.html
"$cli" --proc-root "$tmp/proc1" "${docker_args[@]}" --quiet \
  --policy "$fix/policy/violating.policy" --html "$page"
rc=$?
check "report written (exit 3: the policy is violated)" test "$rc" -eq 3 -a -s "$page"

chromium_run --dump-dom "file://$page" >"$tmp/dom.html"
dom=$tmp/dom.html
check "DOM dumped" test -s "$dom"
check "the page's script ran (CSP allows it)" grep -q '<body data-js="ready">' "$dom"
check "hostile process name rendered as text" \
  grep -qF '<td class="proc" title="&lt;script&gt;alert(1)&lt;/script&gt;"><span>&lt;script&gt;alert(1)&lt;/script&gt;</span></td>' "$dom"
check "no script element holds it" test "$(grep -o '<script' "$dom" | wc -l)" -eq 1
check "no alert( inside a script element" bash -c \
  "! tr '\n' ' ' <'$dom' | grep -qE '<script>[^<]*alert\\('"
check "all rows present" test "$(grep -o '<tr data-proto=' "$dom" | wc -l)" -eq 16

chromium_run --dump-dom "file://$page#q=sshd" >"$tmp/filtered.html"
visible=$(grep -oE '<tr data-proto=[^>]*>' "$tmp/filtered.html" | grep -cv ' hidden=')
check "#q=sshd leaves the two sshd rows" test "$visible" -eq 2
check "row count shows the filter" grep -q '2 of 16 rows' "$tmp/filtered.html"

# first_row_number DOM: the first number cell (the port) of the first row.
first_row_number() {
  grep -o '<tr data-proto=.*' "$1" | head -n 1 | grep -oE 'class="num mono">[0-9]+' |
    head -n 1 | grep -oE '[0-9]+$'
}
chromium_run --dump-dom "file://$page#sort=port-desc" >"$tmp/sorted.html"
check "#sort=port-desc sorts ports as numbers" test "$(first_row_number "$tmp/sorted.html")" = 40123
check "the sorted header says so" grep -q 'aria-sort="descending"><button type="button">Port<' \
  "$tmp/sorted.html"
chromium_run --dump-dom "file://$page#sort=address-desc" >"$tmp/sorted.html"
check "#sort=address-desc puts ::ffff:127.0.0.1 first" bash -c \
  "grep -o '<tr data-proto=.*' '$tmp/sorted.html' | head -n 1 | grep -q '>::ffff:127.0.0.1</td>'"

# Defence in depth: a script that got into the page anyway must not run.
sed 's|</main>|<script>document.body.setAttribute("data-x", "pwned")</script></main>|' \
  "$page" >"$tmp/injected.html"
chromium_run --dump-dom "file://$tmp/injected.html" >"$tmp/injected.dom"
check "CSP blocks an injected script" bash -c \
  "grep -q 'data-js=\"ready\"' '$tmp/injected.dom' && ! grep -q 'data-x=' '$tmp/injected.dom'"

shot=${HL_SCREENSHOT:-$tmp/port-report.png}
rm -f "$shot"
chromium_run --hide-scrollbars --screenshot="$shot" "file://$page" >/dev/null
check "screenshot taken" test -s "$shot"
check "screenshot is a PNG" bash -c "head -c 8 '$shot' | od -An -tx1 | grep -q '89 50 4e 47 0d 0a 1a 0a'"

if ((failed > 0)); then
  echo "chromium log:" >&2
  tail -n 20 "$tmp/chromium.log" >&2
fi
echo "$passed passed, $failed failed"
((failed == 0))
