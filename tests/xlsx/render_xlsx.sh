#!/usr/bin/env bash
# render_xlsx — a workbook of --xlsx as a spreadsheet program shows it:
# headless LibreOffice converts one to PDF, pdftotext reads the PDF back,
# and the 18-digit ID must be there intact (an ID taken for a number would
# print as 3.20203201902077E+17) next to the all-digit group id.
# usage: render_xlsx.sh XJDEDUP CHECK_XLSX_PY WORKDIR
# (check_xlsx.py makes the input; this test uses its first run's output.)
set -u
xj=$1 check=$2 work=$3
rm -rf "$work" && mkdir -p "$work/home"
fail() { echo "FAIL $*" >&2; exit 1; }
command -v libreoffice >/dev/null || fail "libreoffice is not installed (tools/test.sh installs libreoffice-calc-nogui)"
command -v pdftotext >/dev/null || fail "pdftotext is not installed (poppler-utils)"

# the input and the expected values come from check_xlsx.py
py=/usr/bin/python3
[ -x "$py" ] || py=python3
"$py" - "$check" "$work/students.csv" <<'PY' > "$work/expect" || fail "cannot make the input"
import importlib.util, sys
spec = importlib.util.spec_from_file_location("cx", sys.argv[1])
cx = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cx)
open(sys.argv[2], "w", encoding="utf-8").write(cx.population())
print(cx.SHARED_ID, cx.DIGIT_GROUP)
PY
read -r id group < "$work/expect"
"$xj" scan "$work/students.csv" -o "$work/out" -q --run-date 2026-11-28 --xlsx || fail "scan --xlsx failed"
book=$work/out/schools/32/2132010001.xlsx
[ -f "$book" ] || fail "no workbook $book"

# LibreOffice wants a writable profile; a fresh HOME keeps it out of the user's
HOME=$work/home timeout 120 libreoffice --headless --norestore --convert-to pdf --outdir "$work" "$book" \
  >"$work/lo.log" 2>&1 || fail "libreoffice could not convert $book: $(cat "$work/lo.log")"
pdf=$work/2132010001.pdf
[ -s "$pdf" ] || fail "no PDF: $(cat "$work/lo.log")"
pdftotext -layout "$pdf" "$work/text.txt" || fail "pdftotext failed"
grep -q "$id" "$work/text.txt" || fail "the rendered workbook does not show the ID $id intact"
grep -q "$group" "$work/text.txt" || fail "the rendered workbook does not show the group id $group intact"
grep -q "E+" "$work/text.txt" && fail "the rendered workbook shows a number in scientific notation"
grep -q "问题类型" "$work/text.txt" || fail "the rendered workbook does not show the Chinese header"
echo "rendered: $id and $group intact"
