#!/usr/bin/env bash
# The main job: set up, install bbb, fit the regression curve of Blundell
# et al. (2015) and write its predictive band to bbb-demo.png.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
lib="$(bash scripts/install.sh)"
R_LIBS="$lib" Rscript scripts/demo.R
