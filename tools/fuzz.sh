#!/usr/bin/env bash
# A long fuzzing run of the .Call entry points: installs bbb into a
# temporary library and runs tests/testthat/test-fuzz.R with many more
# corrupted calls than the test suite makes.
#
#   tools/fuzz.sh                (or: make fuzz)
#
# Environment:
#   BBB_FUZZ_N     corrupted calls (default 50000)
#   BBB_FUZZ_SEED  seed (default: drawn at random and printed, so that a
#                  failing run can be repeated)
#   BBB_FUZZ_SANITIZE=1  build with ASan+UBSan instead (runs through
#                  tools/sanitize.sh with BBB_TEST_FILTER=fuzz)
set -u -o pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
export BBB_FUZZ_N="${BBB_FUZZ_N:-50000}"
export BBB_FUZZ_SEED="${BBB_FUZZ_SEED:-$(( (RANDOM << 15) | RANDOM ))}"
echo "fuzz: $BBB_FUZZ_N calls, seed $BBB_FUZZ_SEED"
if [ "${BBB_FUZZ_SANITIZE:-0}" = 1 ]; then
  BBB_TEST_FILTER=fuzz exec bash "$BBB_ROOT/tools/sanitize.sh"
fi
make_workdir fuzz
started=$(now)
stage_source "$WORKDIR/src"
install_pkg "$WORKDIR/src" "$WORKDIR/lib" || {
  echo "fuzz: FAIL - install failed"; exit 1; }
log="$WORKDIR/tests.log"
(
  cd "$WORKDIR/src/tests" || exit 1
  env BBB_LIB="$WORKDIR/lib" NOT_CRAN=true BBB_TEST_FILTER=fuzz \
    BBB_FUZZ_TIMEOUT=3600 \
    Rscript --vanilla "$BBB_ROOT/tools/run-tests.R" testthat
) 2>&1 | tee "$log"
status=$?
summary=$(grep -E "^[0-9]+ passed, [0-9]+ failed" "$log" | tail -1)
took=$(( $(now) - started ))
if [ "$status" -eq 0 ]; then
  echo "fuzz: OK - $BBB_FUZZ_N calls (seed $BBB_FUZZ_SEED), ${summary}, ${took} s"
  exit 0
fi
echo "fuzz: FAIL - seed $BBB_FUZZ_SEED, ${summary:-tests did not finish}, ${took} s"
exit 1
