#!/usr/bin/env bash
# Builds bbb with AddressSanitizer and UndefinedBehaviorSanitizer into a
# temporary library and runs the whole testthat suite under them.
#
#   tools/sanitize.sh            (or: make sanitize)
#
# R itself is not instrumented, so libasan is preloaded into every R
# process (child R processes started by the tests inherit it, so the fuzzing
# child is checked too). Leak detection is off: R frees much of its memory
# only at exit, by design. Sanitizer reports are also written to log files
# (log_path) so that a finding in a child process, whose output a test may
# swallow, still fails the run.
#
# Environment:
#   BBB_TEST_FILTER   regular expression selecting test files (default: all)
#   BBB_KEEP_WORKDIR  1 keeps the temporary folder (build and test logs)
# Exit status: 0 if the tests pass and no sanitizer reported anything.
set -u -o pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
make_workdir sanitize
started=$(now)

CC=$(R CMD config CC)
if ! command -v "${CC%% *}" >/dev/null; then
  echo "sanitize: FAIL - no C compiler ($CC)"; exit 1
fi
ASAN_LIB=$(${CC%% *} -print-file-name=libasan.so)
if [ ! -e "$ASAN_LIB" ]; then
  echo "sanitize: FAIL - libasan not found (apt-get install libasan*?)"
  exit 1
fi

# A private Makevars: R_MAKEVARS_USER replaces ~/.R/Makevars for this build
# only. CFLAGS replaces R's own (-O2 -D_FORTIFY_SOURCE=2 ...).
SAN="-fsanitize=address,undefined -fno-omit-frame-pointer"
cat >"$WORKDIR/Makevars" <<EOF
CFLAGS = -g -O1 $SAN
LDFLAGS = $SAN
EOF

stage_source "$WORKDIR/src"
export R_MAKEVARS_USER="$WORKDIR/Makevars"
# --no-test-load: loading the instrumented library into an R without
# libasan preloaded would fail; the tests load it below.
install_pkg "$WORKDIR/src" "$WORKDIR/lib" --no-test-load || {
  echo "sanitize: FAIL - build with sanitizers failed"; exit 1; }
unset R_MAKEVARS_USER
if ! grep -q -- "-fsanitize=address" "$WORKDIR/install.log"; then
  echo "sanitize: FAIL - the sanitizer flags did not reach the compiler"
  exit 1
fi

mkdir -p "$WORKDIR/reports"
log="$WORKDIR/tests.log"
(
  cd "$WORKDIR/src/tests" || exit 1
  # allocator_may_return_null: R handles failed large allocations itself
  # ("cannot allocate vector"); without it ASan aborts on them.
  env LD_PRELOAD="$ASAN_LIB" \
    ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:allocator_may_return_null=1:log_path=$WORKDIR/reports/asan" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$WORKDIR/reports/ubsan" \
    BBB_LIB="$WORKDIR/lib" NOT_CRAN=true BBB_MEMCHECK=asan \
    Rscript --vanilla "$BBB_ROOT/tools/run-tests.R" testthat
) 2>&1 | tee "$log"
status=$?

# Findings: in the test output, or in the report files of any process.
reports=$(find "$WORKDIR/reports" -type f 2>/dev/null)
for f in $reports; do
  echo "== sanitizer report $(basename "$f")"
  cat "$f"
done
n_out=$(grep -c -E "runtime error|ERROR: AddressSanitizer|ERROR: LeakSanitizer" "$log")
n_rep=$(echo "$reports" | grep -c . || true)
summary=$(grep -E "^[0-9]+ passed, [0-9]+ failed" "$log" | tail -1)
took=$(( $(now) - started ))
if [ "$status" -eq 0 ] && [ "$n_out" -eq 0 ] && [ "$n_rep" -eq 0 ] &&
    [ -n "$summary" ]; then
  echo "sanitize: OK - ${summary}, 0 sanitizer findings (ASan+UBSan), ${took} s"
  exit 0
fi
echo "sanitize: FAIL - ${summary:-tests did not finish}, sanitizer findings: $n_out in output, $n_rep report file(s), test exit status $status, ${took} s"
exit 1
