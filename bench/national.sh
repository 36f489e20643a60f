#!/usr/bin/env bash
# bench/national.sh [ROWS [REPEATS]] — the national run of issue 20: a scan
# of ROWS (default 200M) generated records as a multi-frame .zst, output on
# the local disk, REPEATS runs (default 5) under /usr/bin/time; prints every
# run with summary.json's phases, then the medians.
#
# With XJ_OTHER=path/to/xjdedup the two builds alternate (base, other, base,
# ...) and the medians are compared, as bench/interleave.sh does.
#
# Every run writes a new directory, and none is deleted before the last run
# ends. The reason is the file system, not xjdedup: ext4 without a journal
# (this project's VMs mount / that way; /sys/fs/ext4/DEV/journal_task says
# <none>) does not reuse an inode freed in the last 60 to 300 seconds and
# looks at each such inode again on every file it creates, inside the
# directory's lock. A run just after `rm -rf` of a 250,000-file output spent
# twice as long writing (perf: rwsem_spin_on_owner, recently_deleted,
# find_get_block_common on top; bench/notes-issue20.md). So outputs pile up
# here (about 15 bytes a row each) and go together at the end.
#
# Input: `xjdedup gen --rows ROWS --seed 1 --run-date 2026-11-28` in
# $XJ_BENCH_DIR (default /tmp/xjbench), made when missing; outputs under
# $XJ_BENCH_OUT (default $XJ_BENCH_DIR/national-out; it must be on a disk,
# not tmpfs, to measure what the issue asks).
# Environment: XJ_BIN (default build-release/tools/xjdedup), XJ_THREADS (2).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/interleave.sh"
rows=${1:-200M} repeats=${2:-5}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
xj=${XJ_BIN:-$root/build-release/tools/xjdedup}
other=${XJ_OTHER:-}
work=${XJ_BENCH_DIR:-/tmp/xjbench}
out=${XJ_BENCH_OUT:-$work/national-out}
threads=${XJ_THREADS:-2}
for b in "$xj" ${other:+"$other"}; do
  [ -x "$b" ] || { echo "bench/national.sh: $b is missing (meson setup build-release -Dbuildtype=release)" >&2; exit 2; }
done
case $rows in # 200M, 10M, 500k or a plain number
  *M) n=$((${rows%M} * 1000000)) ;;
  *k) n=$((${rows%k} * 1000)) ;;
  *) n=$rows ;;
esac
mkdir -p "$work" "$out"
input=$work/pop-$n.csv.zst
if [ ! -s "$input" ]; then
  echo "+ $xj gen --rows $n --seed 1 --run-date 2026-11-28 -o $input" >&2
  "$xj" gen --rows "$n" --seed 1 --run-date 2026-11-28 -o "$input" -q
fi
modes=(base)
[ -n "$other" ] && modes+=(other)
need=$((n * 15 * repeats * ${#modes[@]}))
avail=$(df -B1 --output=avail "$out" | tail -1)
if [ "$avail" -lt "$need" ]; then
  echo "bench/national.sh: $out has $((avail >> 20)) MiB free, the outputs need about $((need >> 20)) MiB" >&2
  exit 2
fi
case $(stat -f -c %T "$out") in
  tmpfs|ramfs) echo "bench/national.sh: warning: $out is in memory; the issue's figure is for a disk" >&2 ;;
esac

times=$(mktemp)
trap 'rm -rf "$times" "$out"/run-*' EXIT
rm -rf "$out"/run-*
cat "$input" > /dev/null # the input in the page cache, as for every run after the first
for ((i = 1; i <= repeats; i++)); do
  for mode in "${modes[@]}"; do
    bin=$xj
    [ "$mode" = other ] && bin=$other
    dir=$out/run-$mode-$i
    bench_run "$times" "$mode" "$bin" scan "$input" -o "$dir" -q --run-date 2026-11-28 -t "$threads"
    python3 - "$dir/summary.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))["timing"]
print("  phases: read+parse %.1f s, group %.1f s, gather %.1f s, write %.1f s (summary wall %.1f s)" % (
    t["read_parse_seconds"], t["group_seconds"], t["gather_seconds"], t["write_seconds"], t["wall_seconds"]))
PY
  done
done
bench_medians "$times" base other
