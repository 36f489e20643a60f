#!/usr/bin/env bash
# Sets everything up and runs every test. Ends with one line "N passed, N failed"
# and exits non-zero on any failure.
#   tools/test.sh            all tests (release build with -Werror)
#   XJ_SUITE=fast tools/test.sh   only the quick ones
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

# clang + LLVM's libomp (with its TSan tool, archer) for the ThreadSanitizer stage,
# and clang's sanitizer runtime, which apt leaves out of clang without recommends;
# chromium and a CJK font for the test that renders report.html in a browser;
# LibreOffice and pdftotext for the test that renders a workbook (tests/xlsx);
# Open MPI (headers and mpirun) for the distributed scan and its tests (tests/mpi)
XJ_DEPS_EXTRA="${XJ_DEPS_EXTRA:-} clang libclang-rt-dev libomp-dev chromium fonts-wqy-zenhei libreoffice-calc-nogui poppler-utils libopenmpi-dev openmpi-bin" tools/deps.sh ||
  { echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0

# Runs one meson build directory's tests and adds its results to the totals.
run_suite() {
  local builddir=$1; shift
  local log="$builddir/meson-logs/testlog.json"
  rm -f "$log"
  meson test -C "$builddir" --print-errorlogs "$@"
  if [ -f "$log" ]; then
    local counts
    counts=$(python3 - "$log" <<'PY'
import json, sys
ok = bad = 0
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    line = line.strip()
    if not line:
        continue
    r = json.loads(line).get("result")
    if r in ("OK", "EXPECTEDFAIL"):
        ok += 1
    elif r != "SKIP":
        bad += 1
print(ok, bad)
PY
)
    passed=$((passed + ${counts% *}))
    failed=$((failed + ${counts#* }))
    # A stage that passed leaves its tests' output folders behind for nobody:
    # the four stages together wrote 3.4 GB, more than CI's disk once had free.
    # Test programs and generated inputs are files and stay; a failed stage
    # keeps everything to look at.
    [ "${counts#* }" = 0 ] &&
      find "$builddir/tests" -mindepth 2 -maxdepth 2 -type d ! -name '*.p' -exec rm -rf {} +
  else
    failed=$((failed + 1))
  fi
}

build() {
  local builddir=$1; shift
  if [ ! -d "$builddir" ]; then
    meson setup "$builddir" "$@" >/dev/null || return 1
  else
    meson configure "$builddir" "$@" >/dev/null || return 1
  fi
  ninja -C "$builddir" >/dev/null || ninja -C "$builddir"
}

suite_args=()
[ -n "${XJ_SUITE:-}" ] && suite_args=(--suite "$XJ_SUITE")

if build build-test -Dwerror=true -Dbuildtype=release -Dmpi=enabled; then
  run_suite build-test "${suite_args[@]}"
else
  echo "tools/test.sh: the build failed" >&2
  failed=$((failed + 1))
fi

# The same tests under AddressSanitizer + UndefinedBehaviorSanitizer (jemalloc
# off: ASan brings its own allocator). XJ_SANITIZE=0 skips this stage.
if [ "${XJ_SANITIZE:-1}" = 1 ]; then
  if build build-asan -Dwerror=true -Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false \
       -Djemalloc=disabled; then
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      run_suite build-asan --suite fast --timeout-multiplier 4
    # The distributed scan's own code (files cut in parts, records and rows
    # carried between processes) under the same sanitizers, in the cases
    # that exercise most of it; Open MPI's allocations left at exit are not
    # ours, so leaks are not looked for here.
    ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      run_suite build-asan --suite mpi --timeout-multiplier 4 mpi_split mpi_parts mpi_zparts mpi_monthly
  else
    echo "tools/test.sh: the sanitizer build failed" >&2
    failed=$((failed + 1))
  fi
fi

# The threaded code under ThreadSanitizer: clang with LLVM's libomp, whose
# archer tool tells TSan about OpenMP's barriers (GCC's libgomp would give
# false reports). XJ_SANITIZE=0 skips this stage too.
if [ "${XJ_SANITIZE:-1}" = 1 ]; then
  archer=$(ls /usr/lib/llvm-*/lib/libarcher.so 2>/dev/null | head -n 1)
  if CC=clang build build-tsan -Dbuildtype=debug -Db_sanitize=thread -Db_lundef=false -Djemalloc=disabled; then
    OMP_TOOL_LIBRARIES=$archer TSAN_OPTIONS="halt_on_error=1 ignore_noninstrumented_modules=1" \
      run_suite build-tsan --suite fast --timeout-multiplier 4
  else
    echo "tools/test.sh: the ThreadSanitizer build failed" >&2
    failed=$((failed + 1))
  fi
fi

# Without OpenMP the output must be the same: the end-to-end cases compare
# whole output directories with the same expected files.
if build build-noomp -Dbuildtype=release -Dopenmp=disabled -Dwerror=true; then
  run_suite build-noomp --suite e2e
else
  echo "tools/test.sh: the build without OpenMP failed" >&2
  failed=$((failed + 1))
fi

# Static analysis of the engine: cppcheck must find nothing at warning level.
if command -v cppcheck >/dev/null; then
  incs=$(for d in include engine/*/; do printf -- '-I%s ' "$d"; done)
  # shellcheck disable=SC2086
  if cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability --inline-suppr \
       --std=c11 -D_GNU_SOURCE $incs engine; then
    passed=$((passed + 1))
  else
    echo "tools/test.sh: cppcheck found problems in engine/" >&2
    failed=$((failed + 1))
  fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
