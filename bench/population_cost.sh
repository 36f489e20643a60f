#!/usr/bin/env bash
# bench/population_cost.sh INPUT [REPEATS] — what identity verification
# costs (issue 18): a scan of INPUT alone and with --population POP.xjp,
# a population index of an extract the size of INPUT (every GB 11643 ID
# number of INPUT with its name, $XJ_POP_PERCENT (default 0.2) percent left
# out and as many under another name), interleaved (alone, population, ...), each under /usr/bin/time;
# prints every run, the medians and the ratio. The index is read warm (the
# first, untimed, run maps it). The extract is made once, beside INPUT, by
# bench/make_extract.py; the index once from it (its build time is
# printed). Outputs go to $XJ_BENCH_OUT (default /dev/shm/xj-population),
# deleted between runs outside the timed command. Environment: XJ_BIN
# (default build-release/tools/xjdedup), XJ_THREADS (2).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/interleave.sh"
[ $# -ge 1 ] || { echo "usage: bench/population_cost.sh INPUT [REPEATS]" >&2; exit 2; }
input=$1 repeats=${2:-5}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
xj=${XJ_BIN:-$root/build-release/tools/xjdedup}
out=${XJ_BENCH_OUT:-/dev/shm/xj-population}
threads=${XJ_THREADS:-2}
[ -x "$xj" ] || { echo "bench/population_cost.sh: $xj is missing (meson setup build-release -Dbuildtype=release)" >&2; exit 2; }
pct=${XJ_POP_PERCENT:-0.2}
extract=$input.extract-$pct.csv index=$input.$pct.xjp
[ -s "$extract" ] || python3 "$root/bench/make_extract.py" "$input" "$extract" "$pct"
if [ ! -s "$index" ] || [ "$index" -ot "$extract" ]; then
  /usr/bin/time -f "index build: %e s wall, %M kB peak RSS" "$xj" index build --population "$extract" -o "$index" -q --force
fi
mkdir -p "$out"
rm -rf "$out/run"
"$xj" scan "$input" -o "$out/run" -q --run-date 2026-11-28 -t "$threads" --population "$index" # warm
times=$(mktemp)
for ((i = 1; i <= repeats; i++)); do
  for mode in alone population; do
    rm -rf "$out/run"
    extra=()
    [ "$mode" = population ] && extra=(--population "$index")
    bench_run "$times" "$mode" "$xj" scan "$input" -o "$out/run" -q --run-date 2026-11-28 -t "$threads" "${extra[@]}"
  done
done
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); p=d['population']; r=d['problems']['id_invalid']['reasons']; print(f\"compared {p['compared']:,} records with {p['ids']:,} ID numbers: not_found {r.get('not_found',0):,}, name_mismatch {r.get('name_mismatch',0):,}\")" "$out/run/summary.json"
echo "extract $(du -m "$extract" | cut -f1) MB, index $(du -m "$index" | cut -f1) MB"
bench_medians "$times" alone population
echo "load at the end: $(uptime)"
rm -f "$times"
rm -rf "$out/run"
