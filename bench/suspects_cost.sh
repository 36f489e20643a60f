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
    cmd=("$xj" scan "$input" -o "$out" -q --run-date 2026-11-28 -t "$threads" "${extra[@]}")
    echo "+ ${cmd[*]}" >&2
    /usr/bin/time -f "$mode %e %U %S %M" -o "$times" -a "${cmd[@]}"
    tail -1 "$times"
  done
done
python3 - "$times" "$out/summary.json" "$input" "$(uptime)" <<'PY'
import json, statistics, sys
path, summary, name, load = sys.argv[1:5]
s = json.load(open(summary))
p = s["problems"]
runs = {}
for line in open(path):
    mode, *v = line.split()
    runs.setdefault(mode, []).append([float(x) for x in v])
print(f"{name}: {s['rows']['accepted']} records, {p['id_invalid']['reasons'].get('checksum', 0)} checksum failures, "
      f"{p['suspect_duplicate']['records']} suspect_duplicate rows in {p['suspect_duplicate']['groups']} groups")
med = {m: [statistics.median(c) for c in zip(*v)] for m, v in runs.items()}
for m, v in med.items():
    print(f"suspects {m:3} median of {len(runs[m])}: wall {v[0]:.2f} s, user {v[1]:.2f} s, sys {v[2]:.2f} s, "
          f"peak RSS {v[3] / 1024:.0f} MB")
a, b = med["off"], med["on"]
print(f"on / off: wall {b[0] / a[0]:.3f}x, CPU {(b[1] + b[2]) / (a[1] + a[2]):.3f}x, peak RSS {b[3] / a[3]:.3f}x")
print("load at the end:", load.strip())
PY
rm -rf "$out" "$times"
