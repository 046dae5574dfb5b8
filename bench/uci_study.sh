#!/usr/bin/env bash
# The study behind bbb_fit()'s defaults: bench/uci.R with bbb alone, 10
# splits, under variants of the defaults, each written to
# bench/results/study/uci_<variant>.csv (and uci_splits_<variant>.csv). Run
# from the package sources with bbb installed:
#
#   bash bench/uci_study.sh
#
# (BBB_UCI_CORES=2 halves the time on an idle two-core machine.) The
# variants change one thing each from the mixture prior with the other
# defaults; "empirical_bayes" is the other prior of the defaults, which
# use it for the gaussian family and the mixture for the others.
set -euo pipefail
cd "$(dirname "$0")/.."
export BBB_UCI_METHODS=bbb BBB_UCI_SPLITS=${BBB_UCI_SPLITS:-10}
export BBB_RESULTS=${BBB_RESULTS:-bench/results/study}
sets=boston,concrete,energy,yacht,wine,sonar,ionosphere,pima,glass,vehicle
regression=boston,concrete,energy,yacht,wine
mix="prior = prior_mixture()"
run() {
  echo "== $1"
  BBB_UCI_TAG=$1 BBB_UCI_SETS=$2 BBB_UCI_ARGS=$3 BBB_UCI_PHASES=${4:-} \
    Rscript bench/uci.R | sed -n '1,14p'
}
run mixture "$sets" "list($mix)"
run empirical_bayes "$sets" "list(prior = prior_gaussian())"
run gaussian_1 "$sets" "list(prior = prior_gaussian(1))"
run lr_0.01 "$sets" "list($mix, lr = 0.01)"
run batch_32 "$sets" "list($mix, batch_size = 32)"
# no warm-up: everything learned from the start, then annealed
run no_warm_up "$sets" "list($mix)" main,anneal
run heteroscedastic "$regression" "list($mix, heteroscedastic = TRUE)"
