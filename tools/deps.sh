#!/usr/bin/env bash
# Installs what building and testing xjdedup needs, from Debian's packages.
# Safe to run again: it installs only what is missing. Needs root (or sudo).
set -euo pipefail

packages=(
  gcc libc6-dev pkg-config meson ninja-build     # toolchain
  libxxhash-dev libjemalloc-dev libcsv-dev       # engine dependencies
  libzstd-dev libutf8proc-dev zstd               # (zstd: the CLI, for fixtures)
  libxlsxwriter-dev zlib1g-dev                   # the workbooks of --xlsx (its .pc links -lz)
  python3 python3-xxhash                         # test harness and reference oracle
  python3-openpyxl                               # reads the workbooks back (tests/xlsx)
  cppcheck                                       # static analysis in tools/test.sh
)
if [ "${XJ_DEPS_EXTRA:-}" != "" ]; then
  # shellcheck disable=SC2206
  packages+=(${XJ_DEPS_EXTRA})
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "deps.sh: need root to install: ${missing[*]}" >&2; exit 2; }
  sudo="sudo"
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
