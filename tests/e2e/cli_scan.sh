#!/usr/bin/env bash
# CLI behaviour of `xjdedup scan` that the fixture cases do not reach: standard
# input, exit statuses (rules §7), the output-directory protocol and --help.
# usage: cli_scan.sh XJDEDUP FIXTURES_DIR WORKDIR
set -u
xj=$1 cases=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
fails=0
expect() { # expect NAME WANT_STATUS GOT_STATUS
  if [ "$2" != "$3" ]; then echo "FAIL $1: exit $3, expected $2" >&2; fails=$((fails + 1)); fi
}
in=$cases/basic/students.csv
d="--run-date 2026-11-28"

"$xj" scan $in -o "$work/file" $d -q; expect "scan a file" 0 $?
"$xj" scan - -o "$work/stdin" $d -q < "$in"; expect "scan stdin" 0 $?
# stdin is named "-" in source; otherwise the same rows
diff <(cut -d, -f1-12,14- "$work/file/problems.csv") <(cut -d, -f1-12,14- "$work/stdin/problems.csv") >/dev/null
expect "stdin gives the same rows" 0 $?
grep -q ',-,2,' "$work/stdin/problems.csv"; expect "stdin source is -" 0 $?
zstd -q -c "$in" | "$xj" scan - -o "$work/stdin_zst" $d -q; expect "zstd on stdin" 0 $?
cmp -s "$work/stdin/problems.csv" "$work/stdin_zst/problems.csv"; expect "zstd stdin equals plain stdin" 0 $?

"$xj" scan $in -o "$work/fail" $d -q --fail-on-problems; expect "--fail-on-problems with problems" 1 $?
printf '学籍号,姓名,性别,出生日期,身份证件号,学校标识码\nG1,张三,男,2015-01-01,110105201501010017,2111010001\n' > "$work/clean.csv"
"$xj" scan "$work/clean.csv" -o "$work/clean" $d -q --fail-on-problems 2>/dev/null; expect "--fail-on-problems without problems" 0 $?

"$xj" scan $in -o "$work/file" $d -q 2>"$work/err"; expect "existing output without --force" 2 $?
grep -q -- '--force' "$work/err"; expect "the message suggests --force" 0 $?
echo stale > "$work/file/marker"
"$xj" scan $in -o "$work/file" $d -q --force 2>"$work/err"; expect "--force refuses our output holding a file its MANIFEST does not list" 2 $?
[ -e "$work/file/marker" ] && grep -q marker "$work/err"; expect "the file is kept and named" 0 $?
rm "$work/file/marker"
old_inode=$(stat -c %i "$work/file")
"$xj" scan $in -o "$work/file" $d -q --force; expect "--force replaces our output" 0 $?
[ "$(stat -c %i "$work/file")" != "$old_inode" ]; expect "the old output is gone" 0 $?
mkdir -p "$work/mine" && echo keep > "$work/mine/notes.txt"
"$xj" scan $in -o "$work/mine" $d -q --force 2>/dev/null; expect "--force refuses a directory that is not ours" 2 $?
[ -f "$work/mine/notes.txt" ]; expect "that directory is untouched" 0 $?
ls -a "$work" | grep -q '\.tmp-'; expect "no temporary directory left behind" 1 $?

"$xj" scan $in -o /proc/xjdedup-cannot-write $d -q 2>/dev/null; expect "unwritable output" 3 $?
"$xj" scan "$work/none.csv" -o "$work/x" $d -q 2>/dev/null; expect "missing input" 2 $?
"$xj" scan $in -o "$work/x" --threads abc 2>/dev/null; expect "bad --threads" 2 $?
"$xj" scan $in -o "$work/x" --bogus 2>/dev/null; expect "unknown option" 2 $?
"$xj" scan $in 2>/dev/null; expect "no -o" 2 $?
"$xj" scan --help | grep -q -- '--attr-scope'; expect "--help lists options" 0 $?
"$xj" --version | grep -q '^xjdedup '; expect "--version" 0 $?

if [ $fails -eq 0 ]; then echo ok; fi
exit $((fails > 0))
