#!/usr/bin/env bash
# Builds bbb from this checkout into the library given as $1 (default: a
# new temporary one) without writing build products into the tree; prints
# the library's path.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
lib="${1:-$(mktemp -d)}"
mkdir -p "$lib"
work="$(mktemp -d)"
(cd "$work" && R CMD build --no-build-vignettes --no-manual "$repo" > build.log 2>&1) ||
  { cat "$work/build.log"; exit 1; }
R CMD INSTALL -l "$lib" "$work"/bbb_*.tar.gz > "$work/install.log" 2>&1 ||
  { cat "$work/install.log"; exit 1; }
rm -rf "$work"
echo "$lib"
