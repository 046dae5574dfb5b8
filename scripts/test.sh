#!/usr/bin/env bash
# Sets up, installs bbb and runs the full test suite; ends with the line
# "N passed, N failed, N skipped" (expectations; see tools/run-tests.R).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
lib="$(bash scripts/install.sh)"
BBB_LIB="$lib" NOT_CRAN=true Rscript --vanilla tools/run-tests.R tests/testthat
