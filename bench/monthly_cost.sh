#!/usr/bin/env bash
# bench/monthly_cost.sh ROWS [REPEATS] — what the monthly cycle costs
# (issue 16): month 2 of a generated sequence scanned alone and with
# `--previous <month 1's output> --decisions decisions2.csv`, interleaved
# (alone, monthly, alone, monthly, ...), each under /usr/bin/time; prints
# every run and the medians of wall, user and system seconds and peak RSS.
#
# Input: `xjdedup gen --rows ROWS --seed 1 --months 2 --changes C` in
# $XJ_BENCH_DIR/months-ROWS (default /tmp/xjbench), made when missing, with
# C = $XJ_CHANGES (default 1112: about 10,000 decision lines). Month 1's
# output (the previous output, the same size as month 2's) is made once
# into $XJ_BENCH_OUT/prev; the timed outputs go to $XJ_BENCH_OUT/out
# (default /dev/shm/xj-monthly) and are deleted between runs, outside the
# timed command. Environment: XJ_BIN (default build-release/tools/xjdedup),
# XJ_THREADS (2).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/interleave.sh"
[ $# -ge 1 ] || { echo "usage: bench/monthly_cost.sh ROWS [REPEATS]" >&2; exit 2; }
rows=$1 repeats=${2:-5}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
xj=${XJ_BIN:-$root/build-release/tools/xjdedup}
work=${XJ_BENCH_DIR:-/tmp/xjbench}
outs=${XJ_BENCH_OUT:-/dev/shm/xj-monthly}
threads=${XJ_THREADS:-2}
changes=${XJ_CHANGES:-1112}
[ -x "$xj" ] || { echo "bench/monthly_cost.sh: $xj is missing (meson setup build-release -Dbuildtype=release)" >&2; exit 2; }
seq=$work/months-$rows-c$changes
if [ ! -s "$seq/truth.json" ]; then
  rm -rf "$seq"
  echo "+ $xj gen --rows $rows --seed 1 --months 2 --changes $changes -o $seq" >&2
  "$xj" gen --rows "$rows" --seed 1 --months 2 --changes "$changes" --run-date 2026-11-28 -o "$seq" -q
fi
month1_date=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['month_list'][0]['run_date'])" "$seq/truth.json")
mkdir -p "$outs"
prev=$outs/prev out=$outs/out
if [ ! -s "$prev/MANIFEST" ]; then
  rm -rf "$prev"
  "$xj" scan "$seq/month1.csv" -o "$prev" -q --run-date "$month1_date" -t "$threads"
fi
decisions=$(($(wc -l < "$seq/decisions2.csv") - 1))

times=$(mktemp)
for ((i = 1; i <= repeats; i++)); do
  for mode in alone monthly; do
    rm -rf "$out"
    extra=()
    [ "$mode" = monthly ] && extra=(--previous "$prev" --decisions "$seq/decisions2.csv")
    bench_run "$times" "$mode" "$xj" scan "$seq/month2.csv" -o "$out" -q --run-date 2026-11-28 -t "$threads" "${extra[@]}"
  done
done
echo "$rows rows a month, previous output $(du -sm "$prev" | cut -f1) MB, $decisions decision lines"
bench_medians "$times" alone monthly
echo "load at the end: $(uptime)"
rm -f "$times" "$out" -r
