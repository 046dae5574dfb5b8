#!/usr/bin/env bash
# Sets up, installs bbb and runs the full test suite; ends with the line
# "N passed, N failed[, N skipped]".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
lib="$(bash scripts/install.sh)"
R_LIBS="$lib" NOT_CRAN=true Rscript scripts/run-tests.R
