#!/bin/sh
# cli_id — `xjdedup id`: stdout and exit status for arguments and stdin,
# usage errors (exit 2, message on stderr, nothing on stdout).
# usage: cli_id.sh PATH/TO/xjdedup
set -u
exe=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cli_id.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fails=0

# expect NAME STATUS EXPECTED_STDOUT_FILE -- runs "$@" saved in $tmp/cmd
check() {
    name=$1 want_status=$2
    got_status=$(cat "$tmp/status")
    if [ "$got_status" != "$want_status" ]; then
        echo "FAIL $name: exit status $got_status, want $want_status" >&2
        fails=$((fails + 1))
    fi
    if ! cmp -s "$tmp/want" "$tmp/out"; then
        echo "FAIL $name: stdout differs (want, got):" >&2
        od -c "$tmp/want" | head -20 >&2
        od -c "$tmp/out" | head -20 >&2
        fails=$((fails + 1))
    fi
}

run() { "$exe" id "$@" >"$tmp/out" 2>"$tmp/err"; echo $? >"$tmp/status"; }
# INPUT is a printf format (octal escapes, no %): dash's printf knows no \x.
run_stdin() { input=$1; shift; printf "$input" | "$exe" id "$@" >"$tmp/out" 2>"$tmp/err"; echo $? >"$tmp/status"; }

# all valid: exit 0
run --run-date 2026-11-28 11010519491231002X 11010519491231002x
printf '11010519491231002X\tok\n11010519491231002x\tok\n' >"$tmp/want"
check "valid args" 0

# one of each early reason; the ID is echoed as given
run --run-date 2026-11-28 "" 1234 110105491231002 160105200001010015 110105202611290069 \
    110105194912310021 "110105 19491231 002X"
printf '\tmissing\n1234\tformat\n110105491231002\tlegacy15\n160105200001010015\tregion\n110105202611290069\tbirthdate\n110105194912310021\tchecksum\n110105 19491231 002X\tok\n' >"$tmp/want"
check "reasons" 1

# the run date decides the birthdate boundary, in every accepted spelling
for d in 2026-11-29 2026/11/29 20261129 --run-date=2026-11-29; do
    case $d in --*) run "$d" 110105202611290069 ;; *) run --run-date "$d" 110105202611290069 ;; esac
    printf '110105202611290069\tok\n' >"$tmp/want"
    check "run date $d" 0
done

# --type, by code and by name
run --type 8 12345678 123456789
printf '12345678\tok\n123456789\tformat\n' >"$tmp/want"
check "type 8" 1
run --type=护照 E1234567
printf 'E1234567\tok\n' >"$tmp/want"
check "type A by name" 0
run --type Z ""
printf '\tok\n' >"$tmp/want"
check "type Z empty" 0

# `--` lets an ID start with '-'
run -- -12345
printf -- '-12345\tformat\n' >"$tmp/want"
check "double dash" 1

# stdin: CRLF, an empty line, full width, no final newline
run_stdin '11010519491231002X\r\n\n\357\274\221\357\274\221\357\274\220\357\274\221\357\274\220\357\274\225\357\274\221\357\274\231\357\274\224\357\274\231\357\274\221\357\274\222\357\274\223\357\274\221\357\274\220\357\274\220\357\274\222\357\275\230\n123' --run-date 2026-11-28
printf '11010519491231002X\tok\n\tmissing\n\357\274\221\357\274\221\357\274\220\357\274\221\357\274\220\357\274\225\357\274\221\357\274\231\357\274\224\357\274\231\357\274\221\357\274\222\357\274\223\357\274\221\357\274\220\357\274\220\357\274\222\357\275\230\tok\n123\tformat\n' >"$tmp/want"
check "stdin" 1
run_stdin '11010519491231002X\n810000200001010014\n'
printf '11010519491231002X\tok\n810000200001010014\tok\n' >"$tmp/want"
check "stdin all valid" 0
run_stdin ''
: >"$tmp/want"
check "stdin empty" 0

# an overlong stdin line: reported on stderr, the next line still checked
{ head -c 5000 /dev/zero | tr '\0' 1; printf '\n11010519491231002X\n'; } | "$exe" id >"$tmp/out" 2>"$tmp/err"
echo $? >"$tmp/status"
printf '11010519491231002X\tok\n' >"$tmp/want"
check "long line" 1
grep -q "line 1" "$tmp/err" || { echo "FAIL long line: stderr does not name line 1" >&2; fails=$((fails + 1)); }

# usage errors: exit 2, nothing on stdout, a message naming the problem
for args in "--run-date 2026-02-30 1" "--run-date" "--type" "--bogus 1" "--run-date=tomorrow"; do
    # shellcheck disable=SC2086
    run $args
    : >"$tmp/want"
    check "usage: $args" 2
    grep -q "xjdedup id --help" "$tmp/err" || { echo "FAIL usage $args: no hint on stderr" >&2; fails=$((fails + 1)); }
done

# --help: exit 0, documents the options
run --help
echo $? >/dev/null
if [ "$(cat "$tmp/status")" != 0 ] || ! grep -q -- "--run-date" "$tmp/out" || ! grep -q -- "--type" "$tmp/out"; then
    echo "FAIL --help" >&2
    fails=$((fails + 1))
fi

if [ "$fails" -ne 0 ]; then
    echo "cli_id: $fails failure(s)" >&2
    exit 1
fi
echo "cli_id: all checks passed"
