#!/usr/bin/env bash
# bench/xlsx_cost.sh ROWS [REPEATS] — what --xlsx costs (issue 15): a scan
# of a generated population with and without --xlsx, interleaved
# (plain, xlsx, plain, xlsx, ...), each under /usr/bin/time; prints every
# run and the medians of wall, user and system seconds and peak RSS, and
# the number and size of the workbooks.
#
# Input: `xjdedup gen --rows ROWS --seed 1 --run-date 2026-11-28` as a
# multi-frame .zst in $XJ_BENCH_DIR (default /tmp/xjbench), made when
# missing. Outputs go to $XJ_BENCH_OUT (default $XJ_BENCH_DIR/xlsx-out) and
# are deleted between runs, outside the timed command.
# Environment: XJ_BIN (default build-release/tools/xjdedup), XJ_THREADS (2).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/interleave.sh"
[ $# -ge 1 ] || { echo "usage: bench/xlsx_cost.sh ROWS [REPEATS]" >&2; exit 2; }
rows=$1 repeats=${2:-3}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
xj=${XJ_BIN:-$root/build-release/tools/xjdedup}
work=${XJ_BENCH_DIR:-/tmp/xjbench}
out=${XJ_BENCH_OUT:-$work/xlsx-out}
threads=${XJ_THREADS:-2}
[ -x "$xj" ] || { echo "bench/xlsx_cost.sh: $xj is missing (meson setup build-release -Dbuildtype=release)" >&2; exit 2; }
mkdir -p "$work"
input=$work/pop-$rows.csv.zst
if [ ! -s "$input" ]; then
  echo "+ $xj gen --rows $rows --seed 1 --run-date 2026-11-28 -o $input" >&2
  "$xj" gen --rows "$rows" --seed 1 --run-date 2026-11-28 -o "$input" -q
fi

times=$(mktemp)
for ((i = 1; i <= repeats; i++)); do
  for mode in plain xlsx; do
    rm -rf "$out"
    extra=()
    [ "$mode" = xlsx ] && extra=(--xlsx)
    bench_run "$times" "$mode" "$xj" scan "$input" -o "$out" -q --run-date 2026-11-28 -t "$threads" "${extra[@]}"
  done
done
books=$(find "$out" -name '*.xlsx' | wc -l)
bytes=$(find "$out" -name '*.xlsx' -printf '%s\n' | awk '{s += $1} END {printf "%d\n", s}')
schools=$(find "$out/schools" -name '*.csv' | wc -l)
rm -rf "$out"
python3 - "$times" "$rows" "$books" "$bytes" "$schools" "$(uptime)" <<'EOF'
import statistics, sys
path, rows, books, size, schools, load = sys.argv[1:7]
runs = {}
for line in open(path):
    mode, *v = line.split()
    runs.setdefault(mode, []).append([float(x) for x in v])
print(f"{rows} rows, {schools} school files; the last --xlsx run wrote {books} workbooks, {int(size) / 1e6:.0f} MB")
for mode, v in runs.items():
    med = [statistics.median(c) for c in zip(*v)]
    print(f"{mode:6} median of {len(v)}: wall {med[0]:.1f} s, user {med[1]:.1f} s, sys {med[2]:.1f} s, "
          f"peak RSS {med[3] / 1024:.0f} MB")
print("load at the end:", load.strip())
EOF
rm -f "$times"
