#!/usr/bin/env bash
# R CMD check --as-cran (scripts/check.sh) with the suggested packages of
# the ecosystem hidden, as on a machine without them: the examples, tests
# and vignettes that use them must skip. The R libraries are replaced by a
# folder of links to every installed package but those; base and
# recommended packages stay. Fails as scripts/check.sh does; the NOTEs of
# "checking package dependencies" (suggested packages not available) and
# "checking Rd cross-references" (links into them not checkable) are
# expected.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
bash "$repo/scripts/setup.sh"
hide=(rstantools posterior loo bayesplot broom generics parsnip future
      future.apply future.batchtools tune workflows rsample yardstick dials
      cba tibble)
farm="$(mktemp -d)"
trap 'rm -rf "$farm"' EXIT
is_hidden() {
  local h
  for h in "${hide[@]}"; do [ "$h" = "$1" ] && return 0; done
  return 1
}
while read -r lib; do
  for p in "$lib"/*; do
    name="$(basename "$p")"
    is_hidden "$name" && continue
    [ -e "$farm/$name" ] || ln -s "$p" "$farm/$name"
  done
done < <(Rscript --vanilla -e 'cat(setdiff(.libPaths(), .Library), sep = "\n")')
export R_LIBS_SITE="$farm" R_LIBS_USER="$farm" R_LIBS=""
Rscript --vanilla -e 'for (p in commandArgs(TRUE)) if (nzchar(system.file(package = p))) stop("not hidden: ", p)' "${hide[@]}"
# With suggested packages missing, --as-cran looks them up in CRAN's web
# database of packages (are they orphaned?), which the package registry
# reachable here does not serve: R_CRAN_WEB points that look-up at a local
# stand-in with no packages, so none counts as orphaned (the other checks
# are unchanged).
web="$(mktemp -d)"
trap 'rm -rf "$farm" "$web"' EXIT
mkdir -p "$web/web/packages"
Rscript --vanilla -e 'saveRDS(data.frame(Package = character(0), Maintainer = character(0)), commandArgs(TRUE), compress = "gzip")' "$web/web/packages/packages.rds"
export R_CRAN_WEB="file://$web"
export _R_CHECK_FORCE_SUGGESTS_=false
BBB_CHECK_NO_SETUP=1 \
  BBB_CHECK_ALLOWED_NOTES='checking package dependencies|checking Rd cross-references' \
  bash "$repo/scripts/check.sh"
