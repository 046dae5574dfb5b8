#!/usr/bin/env bash
# Installs what building, testing and checking bbb needs on a fresh Debian
# machine with R: R packages come prebuilt from Debian (r-cran-*), pandoc
# for the vignettes, qpdf and tidy for R CMD check --as-cran.
set -euo pipefail
pkgs=(r-base-dev r-cran-cli r-cran-testthat r-cran-knitr r-cran-rmarkdown
      r-cran-roxygen2 r-cran-callr r-cran-processx pandoc qpdf tidy)
missing=()
for p in "${pkgs[@]}"; do
  dpkg -s "$p" > /dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
fi
