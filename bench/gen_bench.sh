#!/bin/sh
# gen_bench.sh — rows/s of `xjdedup gen` (the "Generator" section of
# bench/RESULTS.md): plain and .zst output, 1 and 2 threads.
#
# usage: bench/gen_bench.sh [XJDEDUP] [ROWS] [OUTDIR]
#   XJDEDUP  the binary (default: build/tools/xjdedup)
#   ROWS     rows per run (default: 10M)
#   OUTDIR   where the files go (default: /tmp/xjdedup-gen-bench; needs
#            ~1.3 GB per 10M plain rows)
# Each configuration runs 3 times under /usr/bin/time; the best wall time is
# reported. The run date is fixed so every run writes the same bytes.
set -eu
XJ=${1:-build/tools/xjdedup}
ROWS=${2:-10M}
OUT=${3:-/tmp/xjdedup-gen-bench}
mkdir -p "$OUT"
n=$(echo "$ROWS" | sed 's/[kK]$/000/; s/[mM]$/000000/; s/[gG]$/000000000/')
printf '%-8s %-7s %10s %14s %12s\n' output threads seconds rows/s bytes
for ext in csv csv.zst; do
  for t in 1 2; do
    best=
    for i in 1 2 3; do
      /usr/bin/time -f %e -o "$OUT/time" "$XJ" gen --rows "$ROWS" --seed 1 --run-date 2026-11-28 \
        --threads "$t" -o "$OUT/pop.$ext"
      s=$(cat "$OUT/time")
      if [ -z "$best" ] || [ "$(echo "$s < $best" | bc)" = 1 ]; then best=$s; fi
    done
    bytes=$(stat -c %s "$OUT/pop.$ext")
    printf '%-8s %-7s %10s %14.0f %12s\n' "$ext" "$t" "$best" "$(echo "$n / $best" | bc -l)" "$bytes"
  done
done
rm -f "$OUT/pop.csv" "$OUT/pop.csv.zst" "$OUT/time"
