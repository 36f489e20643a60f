# bench/interleave.sh — sourced by the *_cost.sh benchmarks: one timed run
# a call, each appended to a times file as "MODE wall user sys maxrss_kB",
# and the medians per mode afterwards. Interleaving the modes (a, b, a, b,
# ...) spreads the shared machine's swings over both.

# bench_run TIMES MODE CMD...: runs CMD under /usr/bin/time, prints its line.
bench_run() {
  local times=$1 mode=$2
  shift 2
  echo "+ $*" >&2
  /usr/bin/time -f "$mode %e %U %S %M" -o "$times" -a "$@"
  tail -1 "$times"
}

# bench_medians TIMES BASE OTHER: the medians of every mode, and OTHER/BASE.
bench_medians() {
  python3 - "$@" <<'PY'
import statistics, sys
path, base, other = sys.argv[1:4]
runs = {}
for line in open(path):
    mode, *v = line.split()
    runs.setdefault(mode, []).append([float(x) for x in v])
med = {m: [statistics.median(c) for c in zip(*v)] for m, v in runs.items()}
for m, v in med.items():
    print(f"{m:8} median of {len(runs[m])}: wall {v[0]:.2f} s, user {v[1]:.2f} s, sys {v[2]:.2f} s, "
          f"peak RSS {v[3] / 1024:.0f} MB")
if base in med and other in med:
    a, b = med[base], med[other]
    print(f"{other} / {base}: wall {b[0] / a[0]:.3f}x, CPU {(b[1] + b[2]) / (a[1] + a[2]):.3f}x, "
          f"peak RSS {b[3] / a[3]:.3f}x")
PY
}
