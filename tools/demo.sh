#!/usr/bin/env bash
# Sets everything up, generates a synthetic population, scans it and shows the
# summary and where the per-school files are.
#   tools/demo.sh [ROWS]     (default 1000000 rows)
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}

tools/deps.sh
[ -d build ] || meson setup build -Dbuildtype=release >/dev/null
ninja -C build >/dev/null

work=${XJ_DEMO_DIR:-demo}
mkdir -p "$work"
echo "== generating $rows students into $work/population.csv.zst"
build/tools/xjdedup gen --rows "$rows" --seed 2026 --run-date 2026-11-28 \
  -o "$work/population.csv.zst" --truth "$work/truth.txt"
echo "== scanning"
build/tools/xjdedup scan "$work/population.csv.zst" -o "$work/out" --force --run-date 2026-11-28
echo
echo "== summary.json (excerpt)"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(json.dumps({k: d[k] for k in ("rows","problems")}, ensure_ascii=False, indent=2))' "$work/out/summary.json"
echo
n=$(find "$work/out/schools" -name '*.csv' | wc -l)
echo "== $n per-school files under $work/out/schools/<province>/<school_code>.csv, e.g.:"
# sed, not head: head would exit early and, under pipefail, sort's SIGPIPE fails the demo
find "$work/out/schools" -name '*.csv' | sort | sed -n 1,3p
