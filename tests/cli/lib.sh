# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# Helpers shared by tests/cli/run and tests/cli/html_chromium.sh (sourced).
#
# The fixture trees under tests/fixtures/cli keep each process's open fds
# as a text file <pid>/fd.links ("FD TARGET" per line) instead of dangling
# symlinks such as 3 -> socket:[20001], which `make dist` (tar -h) cannot
# pack. hl_cli_proc_tree copies a tree and turns those files back into the
# <pid>/fd/ directories of symlinks that /proc has.

# hl_cli_proc_tree SRC DST: copy fixture tree SRC to DST with fd/ symlinks.
hl_cli_proc_tree() {
  local src=$1 dst=$2 links dir fd target
  # A distcheck srcdir is read-only, and cp keeps the modes.
  cp -R "$src" "$dst" && chmod -R u+w "$dst" || return 1
  for links in "$dst"/*/fd.links; do
    [[ -f "$links" ]] || continue
    dir=${links%.links}
    mkdir -p "$dir" || return 1
    while read -r fd target; do
      [[ -n "$fd" ]] && { ln -s "$target" "$dir/$fd" || return 1; }
    done <"$links"
    rm -f "$links"
  done
}
