#!/usr/bin/env bash
# bench/mpi_scaling.sh ROWS [PARTS] [REPEATS] — the scan on several processes
# (issue 19, docs/mpi.md): one process alone, then `mpirun -n 1, 2, 4`, on the
# same inputs, interleaved; prints for each the median wall time, rank 0's
# stage times (summary.json's timing: pass 1, grouping with the key
# exchange and the decisions, gathering, writing), the inputs read in parts
# (timing.split_inputs), every process's peak RSS
# (median over the repeats, by rank), and the bytes the processes sent each
# other (timing.exchanged_bytes), and
# checks that every output is the single process's (but summary.json and its
# MANIFEST line).
#
# Input: `xjdedup gen --rows ROWS --seed 19` cut by lines into PARTS files
# (default 8) of unequal sizes (the k-th part ~ k shares), each with the
# header, in $XJ_BENCH_DIR/mpi-ROWS-PARTS (default /tmp/xjbench); outputs
# in $XJ_BENCH_OUT (default /dev/shm/xj-mpi). Processes: -n 1 runs
# XJ_THREADS threads (default 2) like the single process; -n 2 and -n 4 one
# thread each (-n 4 oversubscribes a 2-core machine: say so when quoting it).
# Environment: XJ_BIN (default build-release/tools/xjdedup); XJ_INPUTS="FILE..."
# scans those files instead of the generated parts (ROWS then only names
# the run; e.g. one large .zst, which the processes read in parts).
# XJ_MPI_SPLIT_BYTES passes through (a large value keeps every file whole).
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: bench/mpi_scaling.sh ROWS [PARTS] [REPEATS]" >&2; exit 2; }
rows=$1 parts=${2:-8} repeats=${3:-3}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
xj=${XJ_BIN:-$root/build-release/tools/xjdedup}
work=${XJ_BENCH_DIR:-/tmp/xjbench}/mpi-$rows-$parts
outs=${XJ_BENCH_OUT:-/dev/shm/xj-mpi}
threads=${XJ_THREADS:-2}
export HWLOC_COMPONENTS=${HWLOC_COMPONENTS:--gl}  # no 5 s start-up stall without /etc/hosts (docs/mpi.md §1)
mpirun=(mpirun --allow-run-as-root --oversubscribe --bind-to none --mca btl self,vader)
[ -x "$xj" ] || { echo "bench/mpi_scaling.sh: $xj is missing (meson setup build-release -Dbuildtype=release -Dmpi=enabled)" >&2; exit 2; }
command -v mpirun >/dev/null || { echo "bench/mpi_scaling.sh: mpirun is missing (apt-get install openmpi-bin)" >&2; exit 2; }

if [ -n "${XJ_INPUTS:-}" ]; then
  read -r -a inputs <<<"$XJ_INPUTS"
elif [ ! -s "$work/part$parts.csv" ]; then
  rm -rf "$work" && mkdir -p "$work"
  echo "+ $xj gen --rows $rows --seed 19 | cut into $parts parts" >&2
  "$xj" gen --rows "$rows" --seed 19 --run-date 2026-11-28 -o - -q | python3 -c '
import sys
rows, parts, work = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
src = sys.stdin.buffer
header = src.readline()
shares = parts * (parts + 1) // 2
for k in range(1, parts + 1):
    n = rows * k // shares if k < parts else rows
    rows -= n if k < parts else 0
    with open(f"{work}/part{k}.csv", "wb") as f:
        f.write(header)
        for _ in range(n):
            f.write(src.readline())
' "$rows" "$parts" "$work"
fi
[ -n "${XJ_INPUTS:-}" ] || inputs=("$work"/part*.csv)
mkdir -p "$outs"
times=$(mktemp)

run() { # NAME PROCESSES THREADS
  local name=$1 n=$2 t=$3 out=$outs/$1
  rm -rf "$out" "$outs/rss-$name".*
  local start end
  start=$(date +%s.%N)
  if [ "$n" = 0 ]; then
    /usr/bin/time -f %M -o "$outs/rss-$name.0" "$xj" scan "${inputs[@]}" -o "$out" -q --run-date 2026-11-28 -t "$t"
  else
    "${mpirun[@]}" -n "$n" sh -c 'exec /usr/bin/time -f %M -o "$0.$OMPI_COMM_WORLD_RANK" "$@"' "$outs/rss-$name" \
      "$xj" scan "${inputs[@]}" -o "$out" -q --run-date 2026-11-28 -t "$t"
  fi
  end=$(date +%s.%N)
  local rss="" r
  for ((r = 0; r < (n > 0 ? n : 1); r++)); do rss="$rss $(($(tail -n 1 "$outs/rss-$name.$r") / 1024))"; done
  local stages
  stages=$(python3 -c 'import json,sys; t = json.load(open(sys.argv[1]))["timing"]
print(t["exchanged_bytes"], *(t[k] for k in ("read_parse_seconds", "group_seconds", "gather_seconds", "write_seconds")),
      t.get("split_inputs", 0), sep=",")' "$out/summary.json")
  echo "$name $(echo "$end - $start" | bc) $stages$rss" | tee -a "$times"
  if [ "$name" != alone ]; then
    diff -r -q -x summary.json -x MANIFEST "$outs/alone" "$out" >/dev/null ||
      { echo "bench/mpi_scaling.sh: $name's output differs from one process's" >&2; exit 1; }
  fi
}

for ((i = 1; i <= repeats; i++)); do
  run alone 0 "$threads"
  run n1 1 "$threads"
  run n2 2 1
  run n4 4 1
done
echo "$rows rows in ${#inputs[@]} files ($(du -cm "${inputs[@]}" | tail -n 1 | cut -f1) MB); every output identical to one process's"
python3 - "$times" "$rows" <<'PY'
import statistics, sys
rows = int(sys.argv[2])
by = {}
for line in open(sys.argv[1]):
    f = line.split()
    st = f[2].split(",")
    by.setdefault(f[0], []).append((float(f[1]), int(st[0]), [float(x) for x in st[1:]], [int(x) for x in f[3:]]))
print(f"{'run':6} {'wall s':>7} {'ratio':>6} {'exchanged':>12} {'B/rec':>6}  {'pass1':>5} {'group':>5} {'gather':>6} "
      f"{'write':>5} {'split':>5}  peak RSS MB by rank")
base = statistics.median(r[0] for r in by["alone"])
for name, runs in by.items():
    wall = statistics.median(r[0] for r in runs)
    ex = runs[-1][1]
    stage = [statistics.median(r[2][k] for r in runs) for k in range(4)]
    split = int(runs[-1][2][4])
    rss = [int(statistics.median(r[3][k] for r in runs)) for k in range(len(runs[0][3]))]
    print(f"{name:6} {wall:7.2f} {wall / base:6.2f} {ex:12,} {ex / rows:6.1f}  {stage[0]:5.2f} {stage[1]:5.2f} "
          f"{stage[2]:6.2f} {stage[3]:5.2f} {split:5}  {' '.join(map(str, rss))}")
PY
echo "load at the end: $(uptime)"
rm -f "$times"
