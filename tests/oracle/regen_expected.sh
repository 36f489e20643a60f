#!/usr/bin/env bash
# regen_expected.sh — (re)writes fixtures/e2e/<case>/expected/ with the oracle.
#
# usage: tests/oracle/regen_expected.sh [CASE...]      (default: every case)
#
# Each case directory holds its inputs (*.csv, *.zst, scanned in name order),
# `args` (one argument a line; `@name` is a file of the case) and either
# expected/ (written here) or expected_exit + expected_stderr (a run that must
# fail: checked here against the oracle, never written).  After running it,
# review every changed expected file by hand (git diff) before committing:
# the oracle can be wrong too.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
fixtures=$root/fixtures/e2e
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3   # Debian's, with python3-xxhash

if [ $# -eq 0 ]; then
  set -- $(cd "$fixtures" && for d in */; do [ -f "$d/args" ] && echo "${d%/}"; done)
fi
status=0
for c in "$@"; do
  dir=$fixtures/$c
  args=()
  while IFS= read -r a || [ -n "$a" ]; do
    [ -z "$a" ] && continue
    case $a in @*) a=$dir/${a#@} ;; esac
    args+=("$a")
  done < "$dir/args"
  inputs=()
  for f in $(cd "$dir" && ls | LC_ALL=C sort); do
    case $f in *.csv|*.zst) inputs+=("$dir/$f") ;; esac
  done
  if [ -f "$dir/expected_exit" ]; then
    err=$(mktemp)
    rc=0
    "$py" "$here/xjref.py" scan "${inputs[@]}" -o "$(mktemp -d)/out" "${args[@]}" 2>"$err" || rc=$?
    want=$(cat "$dir/expected_exit")
    if [ "$rc" != "$want" ]; then echo "$c: oracle exited $rc, expected $want"; status=1; fi
    while IFS= read -r line; do
      [ -z "$line" ] && continue
      grep -qF -- "$line" "$err" || { echo "$c: oracle stderr lacks '$line': $(cat "$err")"; status=1; }
    done < "$dir/expected_stderr"
    rm -f "$err"
    echo "$c: fails as expected (exit $rc)"
    continue
  fi
  rm -rf "$dir/expected"
  if ! "$py" "$here/xjref.py" scan "${inputs[@]}" -o "$dir/expected" "${args[@]}"; then
    echo "$c: the oracle failed"; status=1; continue
  fi
  rm -f "$dir/expected/MANIFEST" # the oracle's own (hashes of its files): the e2e tests compare none
  echo "$c: $(($(wc -l < "$dir/expected/problems.csv") - 1)) problem rows, $(($(wc -l < "$dir/expected/rejects.csv") - 1)) reject lines"
done
exit $status
