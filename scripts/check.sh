#!/usr/bin/env bash
# R CMD check --as-cran on a fresh build; fails on any ERROR or WARNING and
# on any NOTE other than the new-submission one.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
bash "$repo/scripts/setup.sh"
work="$(mktemp -d)"
cd "$work"
R CMD build "$repo" > build.log 2>&1 || { cat build.log; exit 1; }
# No network look-ups (CRAN's incoming queue, a web clock).
export _R_CHECK_CRAN_INCOMING_REMOTE_=false
export _R_CHECK_SYSTEM_CLOCK_=false
R CMD check --as-cran --no-manual bbb_*.tar.gz > check.log 2>&1 || true
cat check.log
status=$(grep -E '^Status:' bbb.Rcheck/00check.log || true)
echo "R CMD check: ${status:-no status}"
# Every NOTE must be the new-submission note.
bad=$(grep -E '\.\.\. (WARNING|ERROR|NOTE)$' bbb.Rcheck/00check.log |
      grep -v 'CRAN incoming feasibility' || true)
if ! grep -q '^Status: OK' bbb.Rcheck/00check.log && [ -n "$bad" ]; then
  echo "R CMD check is not clean:"
  echo "$bad"
  exit 1
fi
rm -rf "$work"
