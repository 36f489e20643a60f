#!/usr/bin/env bash
# Runs the libFuzzer targets of tests/fuzz/ and merges what they learn back
# into the committed corpora.
#
#   tools/fuzz.sh TARGET SECONDS     TARGET: csv, idcheck, name, zst, index, previous,
#                                    decisions, population, popindex, or all
#
# Builds with clang (-fsanitize=fuzzer,address,undefined; the engine itself
# with coverage instrumentation) in build-fuzz/ (XJ_FUZZ_BUILD overrides),
# runs each target for SECONDS on a copy of fixtures/fuzz/<target>/, then
# merges the inputs that add coverage back into that directory, keeping it
# under XJ_FUZZ_MAX_FILES files and XJ_FUZZ_MAX_KB KiB (the hand-made seed-*
# files and the found-* ones, past findings kept by name, always stay).
# "all" runs XJ_FUZZ_JOBS targets at a time (default 2). XJ_FUZZ_RUNS=N
# also stops a target after N executions (whichever of N and SECONDS comes
# first), e.g. XJ_FUZZ_RUNS=10000000 tools/fuzz.sh csv 3600.
# How fast each target runs and how deep it has been run: fixtures/fuzz/README.md.
# A crash is minimized and copied to fixtures/fuzz/crashes/<target>/ (not
# into the corpus: the regression tests must stay green) and makes the
# script exit 1. Logs: build-fuzz/fuzz-work/<target>/log.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

targets_all=(csv idcheck name zst index previous decisions population popindex)
usage() { echo "usage: tools/fuzz.sh {csv|idcheck|name|zst|index|previous|decisions|population|popindex|all} SECONDS" >&2; exit 2; }
[ $# -eq 2 ] || usage
case "$2" in '' | *[!0-9]*) usage ;; esac
seconds=$2
if [ "$1" = all ]; then targets=("${targets_all[@]}")
else
  case " ${targets_all[*]} " in *" $1 "*) targets=("$1") ;; *) usage ;; esac
fi

builddir=${XJ_FUZZ_BUILD:-build-fuzz}
jobs=${XJ_FUZZ_JOBS:-2}
max_files=${XJ_FUZZ_MAX_FILES:-300}
max_kb=${XJ_FUZZ_MAX_KB:-2048}
runs=${XJ_FUZZ_RUNS:-}
case "$runs" in *[!0-9]*) echo "fuzz.sh: XJ_FUZZ_RUNS must be a number" >&2; exit 2 ;; esac

# Longest input each target is given: room for a field over the 64 KiB
# limit in a CSV, a few dozen IDs' worth of bytes, long names, small .zst
# files that can still expand far; for previous, a problems.csv longer than
# the 64 KiB its reader takes at a time; for decisions, a line over 64 KiB;
# for population, a value over 64 KiB that spans two lines; for popindex, an
# index of a few thousand entries.
max_len() {
  case $1 in
    csv) echo 140000 ;; idcheck) echo 512 ;; name) echo 4096 ;; zst) echo 16384 ;; index) echo 65536 ;;
    previous) echo 140000 ;; decisions) echo 140000 ;; population) echo 140000 ;; popindex) echo 65536 ;;
  esac
}

XJ_DEPS_EXTRA="${XJ_DEPS_EXTRA:-} clang libclang-rt-14-dev" tools/deps.sh

if [ ! -f "$builddir/build.ninja" ]; then
  CC=clang meson setup "$builddir" -Dbuildtype=debugoptimized -Db_sanitize=address,undefined \
    -Db_lundef=false -Djemalloc=disabled -Dopenmp=disabled \
    "-Dc_args=-fsanitize=fuzzer-no-link -fno-sanitize-recover=all" >/dev/null
fi
ninja -C "$builddir" $(printf 'tests/fuzz/fuzz_%s ' "${targets[@]}") >/dev/null ||
  ninja -C "$builddir" $(printf 'tests/fuzz/fuzz_%s ' "${targets[@]}")

# Runs one target; prints its summary line; returns 1 on a crash.
run_target() {
  local t=$1 exe="$root/$builddir/tests/fuzz/fuzz_$1" work="$root/$builddir/fuzz-work/$1"
  local corpus="$root/fixtures/fuzz/$t" len
  len=$(max_len "$t")
  rm -rf "$work"
  mkdir -p "$work/corpus" "$work/merged" "$work/artifacts"
  cp "$corpus"/* "$work/corpus/"
  local dict=() limit=() status=0 started=$SECONDS
  [ -f "$root/tests/fuzz/$t.dict" ] && dict=("-dict=$root/tests/fuzz/$t.dict")
  [ -n "$runs" ] && limit=("-runs=$runs")
  # detect_leaks: every input is checked for leaks, as in the ASan build
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} "$exe" "${dict[@]}" "${limit[@]}" -max_len="$len" -max_total_time="$seconds" \
    -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
    "$work/corpus" >"$work/log" 2>&1 || status=$?
  local ran=$((SECONDS - started))

  # merge: the seeds first, then a small set of inputs that covers what the
  # old corpus and the run's cover (greedy set cover: a plain -merge keeps
  # far more files, and trimming those to the budget lost coverage)
  cp "$corpus"/seed-* "$work/merged/"
  cp "$corpus"/found-* "$work/merged/" 2>/dev/null || true
  "$exe" -set_cover_merge=1 -max_len="$len" -timeout=20 -rss_limit_mb=4096 "$work/merged" "$corpus" "$work/corpus" \
    >"$work/merge.log" 2>&1 || echo "fuzz.sh: $t: merge failed, corpus left as it was (see $work/merge.log)" >&2
  if grep -q "MERGE-OUTER: .* new files" "$work/merge.log"; then
    # drop the largest non-seed inputs until the corpus fits its budget
    while :; do
      local n kb
      n=$(find "$work/merged" -type f | wc -l)
      kb=$(du -sk --apparent-size "$work/merged" | cut -f1)
      [ "$n" -le "$max_files" ] && [ "$kb" -le "$max_kb" ] && break
      local big
      big=$(find "$work/merged" -type f ! -name 'seed-*' ! -name 'found-*' -printf '%s %p\n' | sort -n | tail -n 1 | cut -d' ' -f2-)
      [ -n "$big" ] || break
      rm -f "$big"
    done
    find "$corpus" -type f ! -name 'seed-*' ! -name 'found-*' -delete
    find "$work/merged" -type f ! -name 'seed-*' ! -name 'found-*' -exec cp {} "$corpus/" \;
  fi

  local crash
  crash=$(find "$work/artifacts" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | head -n 1)
  if [ -n "$crash" ]; then
    mkdir -p "$root/fixtures/fuzz/crashes/$t"
    "$exe" -minimize_crash=1 -max_total_time=60 -runs=100000 -exact_artifact_path="$work/artifacts/minimized" \
      "$crash" >"$work/minimize.log" 2>&1 || true
    local keep=$crash
    [ -s "$work/artifacts/minimized" ] && keep="$work/artifacts/minimized"
    cp "$keep" "$root/fixtures/fuzz/crashes/$t/$(basename "$crash")"
    echo "fuzz.sh: $t: FINDING saved as fixtures/fuzz/crashes/$t/$(basename "$crash"); reproduce with" \
         "$builddir/tests/fuzz/fuzz_$t fixtures/fuzz/crashes/$t/$(basename "$crash")" >&2
    grep -m 3 -E 'invariant broken|ERROR: ' "$work/log" >&2 || true
    status=1
  fi

  local execs eps done_line files kb
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n 1)
  eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log" | tail -n 1)
  done_line=$(grep -E '^#[0-9]+.*(DONE|cov:)' "$work/log" | tail -n 1 | grep -oE 'cov: [0-9]+ ft: [0-9]+' || true)
  files=$(find "$corpus" -type f | wc -l)
  kb=$(du -sk --apparent-size "$corpus" | cut -f1)
  echo "fuzz $t: ${ran}s, ${execs:-?} executions, ${eps:-?} exec/s, ${done_line:-no coverage line}," \
       "corpus $files files / ${kb} KiB"
  return $status
}

failed=0
pids=()
for t in "${targets[@]}"; do
  run_target "$t" &
  pids+=($!)
  if [ ${#pids[@]} -ge "$jobs" ]; then
    wait "${pids[0]}" || failed=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || failed=1; done
exit $failed
