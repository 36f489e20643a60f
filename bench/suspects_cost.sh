#!/usr/bin/env bash
# bench/suspects_cost.sh INPUT [REPEATS] — what suspected duplicates cost
# (issue 17): a scan of INPUT with them (the default) and with --no-suspects,
# interleaved (off, on, off, on, ...), each under /usr/bin/time; prints
# every run, the medians of wall, user and system seconds and peak RSS, the
# ratio, and how many suspect_duplicate rows and mistyped IDs the input has.
# Outputs go to $XJ_BENCH_OUT (default /dev/shm/xj-suspects), deleted
# between runs outside the timed command. Environment: XJ_BIN (default
# build-release/tools/xjdedup), XJ_THREADS (2).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/interleave.sh"
[ $# -ge 1 ] || { echo "usage: bench/suspects_cost.sh INPUT [REPEATS]" >&2; exit 2; }
input=$1 repeats=${2:-5}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
xj=${XJ_BIN:-$root/build-release/tools/xjdedup}
out=${XJ_BENCH_OUT:-/dev/shm/xj-suspects}
threads=${XJ_THREADS:-2}
[ -x "$xj" ] || { echo "bench/suspects_cost.sh: $xj is missing (meson setup build-release -Dbuildtype=release)" >&2; exit 2; }
times=$(mktemp)
for ((i = 1; i <= repeats; i++)); do
  for mode in off on; do
    rm -rf "$out"
    extra=()
    [ "$mode" = off ] && extra=(--no-suspects)
    bench_run "$times" "$mode" "$xj" scan "$input" -o "$out" -q --run-date 2026-11-28 -t "$threads" "${extra[@]}"
  done
done
python3 - "$out/summary.json" "$input" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
p = s["problems"]
print(f"{sys.argv[2]}: {s['rows']['accepted']} records, {p['id_invalid']['reasons'].get('checksum', 0)} checksum "
      f"failures, {p['suspect_duplicate']['records']} suspect_duplicate rows in {p['suspect_duplicate']['groups']} groups")
PY
bench_medians "$times" off on
echo "load at the end: $(uptime)"
rm -rf "$out" "$times"
