#!/usr/bin/env bash
# The study behind bbb_fit()'s defaults: bench/uci.R with bbb alone, 10
# splits, under variants of the defaults, each written to
# bench/results/uci_<variant>.csv (and uci_splits_<variant>.csv). Run from
# the package sources with bbb installed:
#
#   bash bench/uci_study.sh
#
# (BBB_UCI_CORES=2 halves the time on an idle two-core machine.)
set -euo pipefail
cd "$(dirname "$0")/.."
export BBB_UCI_METHODS=bbb BBB_UCI_SPLITS=${BBB_UCI_SPLITS:-10}
export BBB_RESULTS=${BBB_RESULTS:-bench/results}
sets=boston,concrete,energy,yacht,wine,sonar,ionosphere,pima,glass,vehicle
regression=boston,concrete,energy,yacht,wine
run() {
  echo "== $1"
  BBB_UCI_TAG=$1 BBB_UCI_SETS=$2 BBB_UCI_ARGS=$3 BBB_UCI_PHASES=${4:-} \
    Rscript bench/uci.R | sed -n '1,14p'
}
# the two priors of the defaults, each on every set (the defaults use
# empirical Bayes for the gaussian family and the mixture for the others)
run mixture "$sets" "list(prior = prior_mixture())"
run empirical_bayes "$sets" "list(prior = prior_gaussian())"
run gaussian_1 "$sets" "list(prior = prior_gaussian(1))"
run lr_0.01 "$sets" "list(lr = 0.01)"
run batch_32 "$sets" "list(batch_size = 32)"
# no warm-up: everything learned from the start, then annealed
run no_warm_up "$sets" "list()" main,anneal
run heteroscedastic "$regression" "list(heteroscedastic = TRUE)"
