#!/usr/bin/env bash
# Register index and batch check (issue 6): index size and build time against
# a scan of the same register, and the time to check a 50,000-row batch
# against registers of 5M and 50M records, side by side.
#
#   bench/index_bench.sh [XJDEDUP] [SIZES]     SIZES default "5M 50M"
#
# Inputs go to $XJ_BENCH_DIR (default /tmp/xjbench-index): one generated
# population per size (seed 1, run date 2026-11-28) whose last 50,000 rows are
# the batch and the rest the register. Build and scan run $XJ_BENCH_PAIRS
# times each (default 5), interleaved, writing to $XJ_BENCH_OUT (default
# /dev/shm, so the disk's noise stays out); each starts with its previous
# output removed outside the timing, so neither pays for freeing the last
# run's files. Each check runs 5 times with the index in page cache. The
# medians are printed; peak RSS is the build's largest.
set -euo pipefail
xj=${1:-build/tools/xjdedup}
sizes=${2:-"5M 50M"}
work=${XJ_BENCH_DIR:-/tmp/xjbench-index}
out=${XJ_BENCH_OUT:-/dev/shm}/xjbench-index-out
mkdir -p "$out"
batch_rows=50000
pairs=${XJ_BENCH_PAIRS:-5}
mkdir -p "$work"
xj=$(realpath "$xj")
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }

rows_of() { # 5M -> 5000000
  local n=${1%[kKmMgG]}
  case $1 in *[kK]) echo $((n * 1000)) ;; *[mM]) echo $((n * 1000000)) ;; *[gG]) echo $((n * 1000000000)) ;; *) echo "$1" ;; esac
}

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

timed() { # label, command...: prints "label wall_s rss_MB"
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" >/dev/null
  read -r wall rss < "$work/time.txt"
  echo "$label $wall $((rss / 1024))"
}

printf '%-8s %12s %10s %10s %9s %10s %10s %11s %12s\n' register records index_MB bytes/rec build_s build_MB scan_s check_ms check_rows
for size in $sizes; do
  rows=$(rows_of "$size")
  reg=$work/reg$size.csv batch=$work/batch$size.csv ix=$work/reg$size.xji
  if [ ! -s "$reg" ] || [ ! -s "$batch" ]; then
    echo "+ $xj gen --rows $rows --seed 1 --run-date 2026-11-28 -o $work/pop$size.csv" >&2
    "$xj" gen --rows "$rows" --seed 1 --run-date 2026-11-28 -o "$work/pop$size.csv" -q
    head -1 "$work/pop$size.csv" > "$batch"
    tail -n "$batch_rows" "$work/pop$size.csv" >> "$batch"
    head -n $((rows + 1 - batch_rows)) "$work/pop$size.csv" > "$reg"
    rm "$work/pop$size.csv"
  fi
  echo "+ $xj index build $reg -o $out/reg.xji --run-date 2026-11-28 -q   (x$pairs)" >&2
  echo "+ $xj scan $reg -o $out/scan --run-date 2026-11-28 -q   (x$pairs, interleaved)" >&2
  builds=() scans=() build_mb=0
  for ((i = 0; i < pairs; i++)); do
    rm -f "$out/reg.xji"
    read -r _ b mb < <(timed build "$xj" index build "$reg" -o "$out/reg.xji" --run-date 2026-11-28 -q)
    builds+=("$b")
    [ "$mb" -gt "$build_mb" ] && build_mb=$mb
    rm -rf "$out/scan"
    read -r _ sc _ < <(timed scan "$xj" scan "$reg" -o "$out/scan" --run-date 2026-11-28 -q)
    scans+=("$sc")
    rm -rf "$out/scan"
  done
  build_s=$(printf '%s\n' "${builds[@]}" | median)
  scan_s=$(printf '%s\n' "${scans[@]}" | median)
  echo "  build runs (s): ${builds[*]}; scan runs (s): ${scans[*]}" >&2
  mv "$out/reg.xji" "$ix"
  cat "$ix" > /dev/null # page cache
  times=()
  for i in 1 2 3 4 5; do
    rm -rf "$work/check_out"
    s=$(date +%s%N)
    "$xj" check "$batch" --against "$ix" -o "$work/check_out" --run-date 2026-11-28 -q
    e=$(date +%s%N)
    times+=("$(((e - s) / 1000000))")
  done
  check_ms=$(printf '%s\n' "${times[@]}" | median)
  flagged=$(($(wc -l < "$work/check_out/problems.csv") - 1))
  records=$("$xj" index info "$ix" | awk '/^records/ { print $2 }')
  bytes=$(stat -c %s "$ix")
  printf '%-8s %12s %10s %10s %9s %10s %10s %11s %12s\n' "$size" "$records" \
    "$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')" "$(awk -v b="$bytes" -v r="$records" 'BEGIN { printf "%.1f", b / r }')" \
    "$build_s" "$build_mb" "$scan_s" "$check_ms" "$flagged"
  echo "  check runs (ms): ${times[*]}" >&2
done
