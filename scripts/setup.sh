#!/usr/bin/env bash
# Installs what building, testing and checking bbb needs on a fresh Debian
# machine with R: R packages come prebuilt from Debian (r-cran-*), pandoc
# for the vignettes, qpdf and tidy for R CMD check --as-cran. The suggested
# packages that the tests and vignettes use come from Debian too, except
# the tidymodels packages Debian lacks (parsnip, workflows, tune,
# yardstick): scripts/cran-install.R builds them from CRAN with whatever of
# their dependencies Debian's versions leave unmet (measured on this 2-core
# machine: 84 s for parsnip and its upgrades, 247 s more for workflows,
# tune and yardstick; nothing on a later run).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
pkgs=(r-base-dev r-cran-cli r-cran-testthat r-cran-knitr r-cran-rmarkdown
      r-cran-roxygen2 r-cran-callr r-cran-processx pandoc qpdf tidy
      # Suggests for the ecosystem (see R/ecosystem.R, R/cv.R)
      r-cran-rstantools r-cran-posterior r-cran-loo r-cran-generics
      r-cran-broom r-cran-bayesplot r-cran-ggplot2 r-cran-future
      r-cran-future.apply r-cran-parallelly r-cran-globals r-cran-listenv
      r-cran-cba
      # parsnip's dependencies that Debian has recent enough versions of
      r-cran-prettyunits r-cran-stringr r-cran-stringi r-cran-tidyselect
      r-cran-r6 r-cran-utf8 r-cran-pkgconfig r-cran-magrittr r-cran-withr
      r-cran-cpp11
      # and of workflows, tune, yardstick and rsample
      r-cran-rsample r-cran-data.table r-cran-clock r-cran-lubridate
      r-cran-timedate r-cran-ipred r-cran-gower r-cran-tzdb r-cran-prodlim
      r-cran-timechange r-cran-lava r-cran-shape r-cran-progressr
      r-cran-squarem r-cran-rcpp r-cran-rcpparmadillo r-cran-furrr
      r-cran-slider r-cran-warp)
missing=()
for p in "${pkgs[@]}"; do
  dpkg -s "$p" > /dev/null 2>&1 || missing+=("$p")
done
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
fi
$SUDO Rscript --vanilla "$here/cran-install.R" parsnip workflows tune yardstick
