#!/usr/bin/env bash
# Issue 4's benchmark: xjdedup against the DuckDB peer, thread scaling, and
# rows/bytes/time/RSS from 1M to 200M rows.
#
#   bench/run.sh [--quick]       --quick: 1M and 10M rows only
#
# Steps (each command is printed before it runs):
#   1. inputs from `xjdedup gen --seed 1 --run-date 2026-11-28` in
#      $XJ_BENCH_DIR (default /tmp/xjbench): 1M and 10M rows as CSV, 50M and
#      200M as .zst (kept between runs);
#   2. the DuckDB peer (bench/peers/duckdb, `npm ci`) and xjdedup on the 1M
#      input; bench/compare_peer.py must find the same groups and invalid
#      IDs, or the script stops with exit 1;
#   3. 10M rows: xjdedup (2 threads) and DuckDB interleaved, 3 runs each,
#      warm page cache, each run into a fresh directory under $XJ_BENCH_OUT
#      (default /dev/shm); medians and their ratio;
#   4. 10M rows: xjdedup with 1 and with 2 threads, interleaved, 3 runs each;
#   5. the table: rows, input bytes, median wall seconds, rows/s, peak RSS
#      (/usr/bin/time -v), for 1M, 10M and (without --quick) 50M and 200M.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
quick=0
[ "${1:-}" = "--quick" ] && quick=1
xj=$root/build/tools/xjdedup
work=${XJ_BENCH_DIR:-/tmp/xjbench}
out=${XJ_BENCH_OUT:-/dev/shm}/xjbench-out
peer=$root/bench/peers/duckdb
run_date=2026-11-28
mkdir -p "$work" "$out"

say() { printf '+ %s\n' "$*" >&2; }
command -v /usr/bin/time >/dev/null || { echo "bench/run.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
command -v node >/dev/null || { echo "bench/run.sh: needs Node.js 20 for the DuckDB peer" >&2; exit 2; }
[ -x "$xj" ] || { say "meson setup build -Dbuildtype=release && ninja -C build"; meson setup build -Dbuildtype=release >/dev/null; ninja -C build >/dev/null; }
if [ ! -d "$peer/node_modules/@duckdb/node-api" ]; then say "(cd $peer && npm ci)"; (cd "$peer" && npm ci --no-audit --no-fund >/dev/null); fi

input() { # rows suffix -> path (generated once)
  local f=$work/pop$1$2
  if [ ! -s "$f" ]; then
    say "$xj gen --rows $1 --seed 1 --run-date $run_date -o $f"
    "$xj" gen --rows "$1" --seed 1 --run-date "$run_date" -o "$f" -q
  fi
  echo "$f"
}
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# wall seconds and peak RSS (KB) of one command, into $wall and $rss
timed() {
  /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" >/dev/null
  read -r wall rss < "$work/time.txt"
}
xj_run() { rm -rf "$out/xj"; timed "$xj" scan "$1" -o "$out/xj" --run-date "$run_date" -q "${@:2}"; }
duck_run() { rm -rf "$out/duck"; timed node "$peer/peer.mjs" "$1" "$out/duck" --run-date "$run_date"; }

# 2. equality
in1=$(input 1M .csv)
say "xjdedup scan $in1 and node peer.mjs $in1, then compare_peer.py"
xj_run "$in1"
duck_run "$in1"
python3 "$root/bench/compare_peer.py" "$out/xj" "$out/duck" || { echo "bench/run.sh: the peer and xjdedup disagree" >&2; exit 1; }

# 3. xjdedup vs DuckDB on 10M rows
in10=$(input 10M .csv)
cat "$in10" > /dev/null
xs=() ds=()
for i in 1 2 3; do
  say "xjdedup scan $in10 -o $out/xj --run-date $run_date -q   (run $i)"
  xj_run "$in10"; xs+=("$wall")
  say "node peer.mjs $in10 $out/duck --run-date $run_date   (run $i)"
  duck_run "$in10"; ds+=("$wall")
done
xm=$(printf '%s\n' "${xs[@]}" | median) dm=$(printf '%s\n' "${ds[@]}" | median)
echo "10M rows: xjdedup ${xs[*]} s (median $xm), DuckDB ${ds[*]} s (median $dm): DuckDB / xjdedup = $(awk -v a="$dm" -v b="$xm" 'BEGIN { printf "%.1f", a / b }')x"

# 4. 1 vs 2 threads
t1=() t2=()
for i in 1 2 3; do
  say "xjdedup scan $in10 --threads 1 / --threads 2   (run $i)"
  xj_run "$in10" --threads 1; t1+=("$wall")
  xj_run "$in10" --threads 2; t2+=("$wall")
done
m1=$(printf '%s\n' "${t1[@]}" | median) m2=$(printf '%s\n' "${t2[@]}" | median)
echo "10M rows: 1 thread ${t1[*]} s (median $m1), 2 threads ${t2[*]} s (median $m2): speed-up $(awk -v a="$m1" -v b="$m2" 'BEGIN { printf "%.2f", a / b }')x"

# 5. the table
sizes=("1M .csv" "10M .csv")
[ "$quick" = 1 ] || sizes+=("50M .csv.zst" "200M .csv.zst")
printf '\n%-6s %-8s %14s %9s %12s %10s\n' rows input bytes seconds rows/s peak_RSS
for s in "${sizes[@]}"; do
  set -- $s
  f=$(input "$1" "$2")
  rows=$(( ${1%M} * 1000000 ))
  ws=() peak=0
  runs=3; [ "${1%M}" -ge 50 ] && runs=1
  for i in $(seq $runs); do
    say "/usr/bin/time xjdedup scan $f -o $out/xj --run-date $run_date -q"
    xj_run "$f"; ws+=("$wall"); [ "$rss" -gt "$peak" ] && peak=$rss
  done
  w=$(printf '%s\n' "${ws[@]}" | median)
  printf '%-6s %-8s %14s %9s %12s %8s MB\n' "$1" "$2" "$(stat -c %s "$f")" "$w" \
    "$(awk -v r="$rows" -v w="$w" 'BEGIN { printf "%.2fM", r / w / 1e6 }')" $((peak / 1024))
done
rm -rf "$out"
