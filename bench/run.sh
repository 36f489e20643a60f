#!/usr/bin/env bash
# bench/run.sh [--quick] — issue 4's benchmark, start to finish.
#
#  1. inputs: `xjdedup gen --seed 1 --run-date 2026-11-28` into $XJ_BENCH_DIR
#     (default /tmp/xjbench): 1M and 10M rows as CSV, 50M and 200M as .zst;
#     a file is made again when it is missing or was made by another
#     xjdedup version or with other options (a .stamp file beside it);
#  2. the DuckDB peer (bench/peers/duckdb): `npm ci` when node_modules is
#     missing or older than package-lock.json;
#  3. equality on 1M rows: xjdedup scan and the peer, then
#     bench/compare_peer.py; the script stops with exit 1 when they differ;
#  4. 10M rows, warm page cache: xjdedup (2 threads) and the peer (2 threads)
#     interleaved, xj duck xj duck xj duck, medians of 3 and their ratio;
#  4b. the same on a second, differently distributed population (issue 20:
#     `xjdedup gen --profile varied`, docs/generator.md; other names,
#     skewed school sizes, many quoted fields, quoted line breaks), so the
#     benchmark is not tuned to one generator: equality on 1M rows (the
#     peer's `line` counts records, ours physical lines, so the peer's
#     problems.csv is moved to physical lines first; bench/peers/duckdb
#     README), then 10M rows interleaved, medians of 3; both ratios side by
#     side here and again at the end;
#  5. 10M rows: xjdedup --threads 1 and --threads 2 interleaved, medians of 5
#     (the ratio of two noisy timings needs more runs than either alone),
#     the speed-up;
#  6. the table rows / bytes / seconds / rows/s / peak RSS of xjdedup
#     (2 threads) for 1M, 10M and, without --quick, 50M and 200M (.zst).
#
# Every timed command runs under /usr/bin/time -v (wall time and peak RSS)
# and writes to a new directory under /dev/shm when it has room (else under
# $XJ_BENCH_DIR); old outputs are deleted outside the timed command. Each
# command is printed (`+ ...`) before it runs.
#
# Environment: XJ_BENCH_DIR (work dir), XJ_THREADS (default 2), XJ_PEER_DIR
# (default bench/peers/duckdb), XJ_BIN (default build/tools/xjdedup).
set -euo pipefail

quick=0
case "${1:-}" in
  --quick) quick=1 ;;
  "") ;;
  *) echo "usage: bench/run.sh [--quick]" >&2; exit 2 ;;
esac

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
xj=${XJ_BIN:-$root/build/tools/xjdedup}
peer_dir=${XJ_PEER_DIR:-$root/bench/peers/duckdb}
compare=$here/compare_peer.py
work=${XJ_BENCH_DIR:-/tmp/xjbench}
threads=${XJ_THREADS:-2}
run_date=2026-11-28
seed=1

say() { printf '+'; printf ' %q' "$@"; printf '\n'; }
run() { say "$@"; "$@"; }
die() { echo "bench/run.sh: $*" >&2; exit 2; }

for tool in node npm python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || die "needs $tool (Node 20 + npm for the peer; apt-get install time python3)"
done
[ -x "$xj" ] || die "$xj is missing: build it with 'ninja -C $root/build'"
mkdir -p "$work"

# ---- 1. inputs -------------------------------------------------------------
input() { # input ROWS SUFFIX [PROFILE] -> prints the path; makes the file when needed
  local rows=$1 file=$work/pop$1$2 prof=()
  if [ -n "${3:-}" ]; then file=$work/pop-$3-$1$2; prof=(--profile "$3"); fi
  local stamp
  stamp="$("$xj" --version) gen --rows $rows --seed $seed --run-date $run_date${prof[*]:+ ${prof[*]}}"
  if [ ! -s "$file" ] || [ "$(cat "$file.stamp" 2>/dev/null)" != "$stamp" ]; then
    rm -f "$file" "$file.stamp"
    run "$xj" gen --rows "$rows" --seed "$seed" --run-date "$run_date" "${prof[@]}" -o "$file" >&2
    printf '%s\n' "$stamp" > "$file.stamp"
  fi
  printf '%s\n' "$file"
}

# ---- 2. the peer -----------------------------------------------------------
if [ ! -f "$peer_dir/node_modules/.package-lock.json" ] \
   || [ "$peer_dir/package-lock.json" -nt "$peer_dir/node_modules/.package-lock.json" ]; then
  (cd "$peer_dir" && run npm ci --no-audit --no-fund)
fi

# ---- timing helpers ----------------------------------------------------------
# Output directories: /dev/shm when it has room for NEED bytes, else $work.
out_base() { # out_base NEED_BYTES
  local avail
  avail=$(df -B1 --output=avail /dev/shm 2>/dev/null | tail -1 || echo 0)
  if [ "${avail:-0}" -gt "$1" ]; then echo /dev/shm/xjbench-out.$$; else echo "$work/out.$$"; fi
}
fresh() { # fresh BASE NAME -> a new path BASE/NAME.XXXXXX; older NAME.* removed first (untimed)
  rm -rf "$1/$2".*
  mkdir -p "$1"
  mktemp -u "$1/$2.XXXXXX"
}
# timed CMD... : runs CMD under /usr/bin/time -v; sets $wall (s) and $rss (kB)
timed() {
  local log=$work/time.$$.txt
  say "$@"
  if ! /usr/bin/time -v -o "$log" "$@" >/dev/null; then
    cat "$log" >&2
    die "command failed: $*"
  fi
  rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$log")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {
           n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$log")
  rm -f "$log"
}
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.0f MB", k / 1024 }'; }

xj_scan() { # xj_scan INPUT OUT [extra options]
  timed "$xj" scan "$1" -o "$2" --run-date "$run_date" -q --threads "$threads" "${@:3}"
}
peer_scan() { # peer_scan INPUT OUT
  timed node "$peer_dir/peer.mjs" "$1" "$2" --run-date "$run_date" --threads "$threads"
}

# ---- 3. equality on 1M rows ----------------------------------------------------
in1=$(input 1M .csv)
base=$(out_base $((2 * 1024 * 1024 * 1024)))
echo "== equality on 1M rows (output under $base)"
xo=$(fresh "$base" xj1m); po=$(fresh "$base" peer1m)
xj_scan "$in1" "$xo"
peer_scan "$in1" "$po"
say python3 "$compare" "$xo" "$po"
if ! python3 "$compare" "$xo" "$po"; then
  echo "bench/run.sh: xjdedup and the DuckDB peer disagree on $in1 (outputs kept: $xo $po)" >&2
  exit 1
fi
rm -rf "$xo" "$po"

declare -A t_sec t_rss t_runs
record() { t_sec[$1]=$2; t_rss[$1]=$3; t_runs[$1]=$4; }

# the 1M row of the table: 3 runs
w=() r=()
for _ in 1 2 3; do xj_scan "$in1" "$(fresh "$base" xj)"; w+=("$wall"); r+=("$rss"); done
record 1M "$(median "${w[@]}")" "$(printf '%s\n' "${r[@]}" | sort -n | tail -1)" 3

# ---- 4. xjdedup against DuckDB, 10M rows ---------------------------------------
in10=$(input 10M .csv)
base=$(out_base $((6 * 1024 * 1024 * 1024)))
echo "== 10M rows: xjdedup and DuckDB interleaved, $threads threads each, warm cache (output under $base)"
run cat "$in10" > /dev/null
xs=() ds=() xr=() dr=()
for _ in 1 2 3; do
  xj_scan "$in10" "$(fresh "$base" xj)"; xs+=("$wall"); xr+=("$rss")
  peer_scan "$in10" "$(fresh "$base" peer)"; ds+=("$wall"); dr+=("$rss")
done
rm -rf "$base"/peer.*
xm=$(median "${xs[@]}"); dm=$(median "${ds[@]}")
record 10M "$xm" "$(printf '%s\n' "${xr[@]}" | sort -n | tail -1)" 3
echo "xjdedup: ${xs[*]} s (median $xm s, peak RSS $(mb "$(printf '%s\n' "${xr[@]}" | sort -n | tail -1)"))"
echo "DuckDB:  ${ds[*]} s (median $dm s, peak RSS $(mb "$(printf '%s\n' "${dr[@]}" | sort -n | tail -1)"))"
ratio=$(awk -v a="$dm" -v b="$xm" 'BEGIN { printf "%.1f", a / b }')
echo "DuckDB / xjdedup = ${ratio}x"

# ---- 4b. the same on the varied population -------------------------------------
# The peer numbers records (rowid + 2), the engine counts physical lines; a
# quoted line break moves every later record, so the peer's problems.csv is
# rewritten with each record's first physical line before the comparison
# (an order-preserving renumbering: nothing else in it changes).
peer_physical_lines() { # peer_physical_lines INPUT PEER_OUTDIR
  python3 - "$1" "$2/problems.csv" <<'PY'
import csv, os, sys
src, path = sys.argv[1], sys.argv[2]
starts = []
with open(src, newline="", encoding="utf-8") as f:
    reader = csv.reader(f)
    next(reader)
    end = reader.line_num
    for _ in reader:
        starts.append(end + 1)
        end = reader.line_num
with open(path, newline="", encoding="utf-8") as f:
    rows = list(csv.reader(f))
at = rows[0].index("line")
moved = 0
for r in rows[1:]:
    line = starts[int(r[at]) - 2]
    moved += line != int(r[at])
    r[at] = str(line)
with open(path + ".tmp", "w", newline="", encoding="utf-8") as f:
    csv.writer(f, lineterminator="\n").writerows(rows)
os.replace(path + ".tmp", path)
print("peer_physical_lines: %d of %d problem rows renumbered (%d records, %d lines)"
      % (moved, len(rows) - 1, len(starts), end))
PY
}

vin1=$(input 1M .csv varied)
vbase=$(out_base $((2 * 1024 * 1024 * 1024)))
echo "== varied population (gen --profile varied): equality on 1M rows (output under $vbase)"
xo=$(fresh "$vbase" vxj1m); po=$(fresh "$vbase" vpeer1m)
xj_scan "$vin1" "$xo"
peer_scan "$vin1" "$po"
say peer_physical_lines "$vin1" "$po"
peer_physical_lines "$vin1" "$po"
say python3 "$compare" "$xo" "$po"
if ! python3 "$compare" "$xo" "$po"; then
  echo "bench/run.sh: xjdedup and the DuckDB peer disagree on $vin1 (outputs kept: $xo $po)" >&2
  exit 1
fi
rm -rf "$xo" "$po"

vin10=$(input 10M .csv varied)
vbase=$(out_base $((6 * 1024 * 1024 * 1024)))
echo "== varied population, 10M rows: xjdedup and DuckDB interleaved, $threads threads each, warm cache (output under $vbase)"
run cat "$vin10" > /dev/null
vxs=() vds=() vxr=() vdr=()
for _ in 1 2 3; do
  xj_scan "$vin10" "$(fresh "$vbase" vxj)"; vxs+=("$wall"); vxr+=("$rss")
  peer_scan "$vin10" "$(fresh "$vbase" vpeer)"; vds+=("$wall"); vdr+=("$rss")
done
rm -rf "$vbase"/vxj.* "$vbase"/vpeer.*
vxm=$(median "${vxs[@]}"); vdm=$(median "${vds[@]}")
echo "xjdedup: ${vxs[*]} s (median $vxm s, peak RSS $(mb "$(printf '%s\n' "${vxr[@]}" | sort -n | tail -1)"))"
echo "DuckDB:  ${vds[*]} s (median $vdm s, peak RSS $(mb "$(printf '%s\n' "${vdr[@]}" | sort -n | tail -1)"))"
vratio=$(awk -v a="$vdm" -v b="$vxm" 'BEGIN { printf "%.1f", a / b }')
both_ratios() {
  echo "10M rows, DuckDB / xjdedup, $threads threads each, medians of 3 (interleaved runs):"
  printf '| %-10s | %15s | %9s | %9s | %6s |\n' population "input bytes" xjdedup DuckDB ratio
  printf '|%s|%s|%s|%s|%s|\n' ------------ ----------------- ----------- ----------- --------
  printf '| %-10s | %15s | %9s | %9s | %6s |\n' default "$(stat -c %s "$in10")" "$xm" "$dm" "${ratio}x"
  printf '| %-10s | %15s | %9s | %9s | %6s |\n' varied "$(stat -c %s "$vin10")" "$vxm" "$vdm" "${vratio}x"
}
both_ratios

# ---- 5. xjdedup, 1 thread against 2 ---------------------------------------------
echo "== 10M rows: xjdedup --threads 1 and --threads 2 interleaved"
one=() two=()
for _ in 1 2 3 4 5; do
  timed "$xj" scan "$in10" -o "$(fresh "$base" xj)" --run-date "$run_date" -q --threads 1; one+=("$wall")
  timed "$xj" scan "$in10" -o "$(fresh "$base" xj)" --run-date "$run_date" -q --threads 2; two+=("$wall")
done
m1=$(median "${one[@]}"); m2=$(median "${two[@]}")
echo "1 thread: ${one[*]} s (median $m1 s); 2 threads: ${two[*]} s (median $m2 s); speed-up $(awk -v a="$m1" -v b="$m2" 'BEGIN { printf "%.2f", a / b }')x"
rm -rf "$base"

# ---- 6. national scale ---------------------------------------------------------
sizes="1M 10M"
if [ "$quick" = 0 ]; then
  sizes="$sizes 50M 200M"
  for rows in 50M 200M; do
    in=$(input "$rows" .csv.zst)
    base=$(out_base $((4 * 1024 * 1024 * 1024)))
    echo "== $rows rows (.zst), one run (output under $base)"
    run cat "$in" > /dev/null
    xj_scan "$in" "$(fresh "$base" xj)"
    record "$rows" "$wall" "$rss" 1
    rm -rf "$base"
  done
fi

echo
echo "xjdedup scan, $threads threads, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $("$xj" --version)"
printf '| %-5s | %15s | %9s | %4s | %12s | %12s |\n' rows "input bytes" seconds runs rows/s "peak RSS"
printf '|%s|%s|%s|%s|%s|%s|\n' ------- ----------------- ----------- ------ -------------- --------------
for rows in $sizes; do
  case $rows in 1M|10M) f=$work/pop$rows.csv ;; *) f=$work/pop$rows.csv.zst ;; esac
  n=$(( ${rows%M} * 1000000 ))
  printf '| %-5s | %15s | %9s | %4s | %12s | %12s |\n' "$rows" "$(stat -c %s "$f")" "${t_sec[$rows]}" "${t_runs[$rows]}" \
    "$(awk -v n="$n" -v s="${t_sec[$rows]}" 'BEGIN { printf "%.0f", n / s }')" "$(mb "${t_rss[$rows]}")"
done
echo
both_ratios
