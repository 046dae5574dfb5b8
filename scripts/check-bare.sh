#!/usr/bin/env bash
# R CMD check --as-cran (scripts/check.sh) with the suggested packages of
# the ecosystem hidden, as on a machine without them: the examples, tests
# and vignettes that use them must skip. The R libraries are replaced by a
# folder of links to every installed package but those; base and
# recommended packages stay. Fails as scripts/check.sh does; the NOTE of
# "checking package dependencies" (suggested packages not available) is
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
export _R_CHECK_FORCE_SUGGESTS_=false
BBB_CHECK_NO_SETUP=1 BBB_CHECK_ALLOWED_NOTES='checking package dependencies' \
  bash "$repo/scripts/check.sh"
