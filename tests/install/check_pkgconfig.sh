#!/usr/bin/env bash
# A registration system builds against the installed library with nothing but
# pkg-config: `meson install` into a scratch root, tools/example_check.c
# compiled with `pkg-config --cflags --libs xjdedup` (no meson, no include
# path into the source tree), and that binary must then answer what
# `xjdedup check` answers (tests/index/test_example.py).
#   check_pkgconfig.sh BUILDDIR SOURCEDIR WORKDIR XJDEDUP
set -euo pipefail
build=$1 src=$2 work=$3 xj=$4
rm -rf "$work"
mkdir -p "$work"
meson install -C "$build" --destdir "$work/root" --no-rebuild --quiet >"$work/install.log" 2>&1 ||
  { cat "$work/install.log"; echo "FAIL: meson install"; exit 1; }
pc=$(find "$work/root" -name xjdedup.pc -print -quit)
[ -n "$pc" ] || { echo "FAIL: meson install wrote no xjdedup.pc"; exit 1; }
prefix=$(sed -n 's/^prefix=//p' "$pc")
export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$pc")
flags=(--define-variable=prefix="$work/root$prefix")
pkg-config "${flags[@]}" --exists xjdedup || { echo "FAIL: pkg-config does not find xjdedup"; exit 1; }
version=$(pkg-config --modversion xjdedup)
[ "$version" = "$("$xj" --version | cut -d' ' -f2)" ] ||
  { echo "FAIL: xjdedup.pc says version $version"; exit 1; }
# shellcheck disable=SC2046
cc -std=c17 -Wall -Werror -o "$work/example_check" "$src/tools/example_check.c" \
  $(pkg-config "${flags[@]}" --cflags --libs xjdedup)
libdir=$(pkg-config "${flags[@]}" --variable=libdir xjdedup)
LD_LIBRARY_PATH=$libdir python3 "$src/tests/index/test_example.py" "$work/example_check" "$xj" "$work/example"
# the binary really uses the installed library, not one from the build tree
# (ldd's output kept first: `ldd | grep -q` under pipefail fails whenever
# grep exits before ldd has written everything)
loaded=$(LD_LIBRARY_PATH=$libdir ldd "$work/example_check")
case $loaded in
  *"$work/root"*) ;;
  *) echo "FAIL: example_check does not load the installed libxjdedup:"; echo "$loaded"; exit 1 ;;
esac
echo "pkg-config build of example_check against $libdir: ok"
