#!/usr/bin/env bash
# Installs bbb normally into a temporary library and runs the testthat suite
# under valgrind's memcheck (R -d valgrind).
#
#   tools/valgrind.sh            (or: make valgrind)
#
# Fails on any memcheck error (invalid read/write, use of uninitialised
# values, bad free, ...) and on any "definitely lost" block that bbb's code
# allocated. Leak filter: R frees much of its heap only at exit and keeps
# caches for the session, so "still reachable" and "possibly lost" are
# expected and ignored, and a definitely lost block counts only if a frame
# of its allocation stack is in bbb (bbb.so, or a file of src/ with a line
# number). Leak records are not counted as memcheck errors
# (--errors-for-leak-kinds=none); the leak filter judges them instead.
#
# Child R processes started by the tests are not under valgrind, except the
# fuzzing child of test-fuzz.R, which is started as R -d valgrind through
# BBB_TEST_CHILD_DEBUGGER, with fewer calls (BBB_VALGRIND_FUZZ_N).
#
# Environment:
#   BBB_VALGRIND_EXCLUDE regular expression on test file names (test-NAME.R)
#                        to leave out. Default "^(train|gradient|defaults)$":
#                        those train many models for thousands of epochs or
#                        loop over finite differences in R, and took most
#                        of the time under valgrind (train and gradient 4
#                        and 3 min of 11.5 on the CI machine; defaults
#                        trains to convergence) while reaching no C code that
#                        the other files, the fuzzing child above all (every
#                        family, both estimators and priors, both optimisers,
#                        both KL weightings, threads, validation, single
#                        precision), do not. "" runs the whole suite.
#   BBB_VALGRIND_FILTER  regular expression selecting test files (default:
#                        all that are not excluded)
#   BBB_VALGRIND_FUZZ_N  corrupted calls of the fuzzing child (default 400)
#   BBB_VALGRIND_ORIGINS 1 adds --track-origins=yes
#   BBB_KEEP_WORKDIR     1 keeps the temporary folder (logs)
set -u -o pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
make_workdir valgrind
started=$(now)

if ! command -v valgrind >/dev/null; then
  echo "valgrind not found: installing it"
  (apt-get update -qq && apt-get install -y -qq valgrind) >/dev/null 2>&1 ||
    { echo "valgrind: FAIL - could not install valgrind"; exit 1; }
fi

stage_source "$WORKDIR/src"
install_pkg "$WORKDIR/src" "$WORKDIR/lib" || {
  echo "valgrind: FAIL - install failed"; exit 1; }

VG="valgrind --tool=memcheck --leak-check=full --error-exitcode=1"
VG="$VG --errors-for-leak-kinds=none --num-callers=20"
# Origins of uninitialised values make a report clearer but the run ~1.5x
# slower: ask for them when chasing a finding.
[ "${BBB_VALGRIND_ORIGINS:-0}" = 1 ] && VG="$VG --track-origins=yes"
mkdir -p "$WORKDIR/vg"
log="$WORKDIR/tests.log"
(
  cd "$WORKDIR/src/tests" || exit 1
  env BBB_LIB="$WORKDIR/lib" NOT_CRAN=true BBB_MEMCHECK=valgrind \
    BBB_TEST_FILTER="${BBB_VALGRIND_FILTER:-}" \
    BBB_TEST_EXCLUDE="${BBB_VALGRIND_EXCLUDE-^(train|gradient|defaults)\$}" \
    BBB_FUZZ_N="${BBB_VALGRIND_FUZZ_N:-400}" \
    BBB_TEST_CHILD_DEBUGGER="$VG --log-file=$WORKDIR/vg/child.%p.log" \
    R -d "$VG --log-file=$WORKDIR/vg/main.%p.log" --vanilla --no-echo \
      -f "$BBB_ROOT/tools/run-tests.R" --args testthat
) 2>&1 | tee "$log"
status=$?

# Source files of bbb, for attributing leak stacks.
srcs=$(cd "$BBB_ROOT/src" && ls *.c | sed 's/\.c$//' | paste -sd'|')
# Per log: memcheck errors, and definitely lost bytes with a bbb frame.
# (Logs of forked children that exec'd at once have no summary: skipped.)
errors=0
leaked=0
for f in "$WORKDIR"/vg/*.log; do
  grep -q "ERROR SUMMARY" "$f" || continue
  e=$(sed -n 's/.*ERROR SUMMARY: \([0-9,]*\) errors.*/\1/p' "$f" | tr -d ,)
  l=$(awk -v re="bbb[.]so|[(](${srcs})[.]c:[0-9]+[)]" '
    / are definitely lost in loss record / {
      inrec = 1; hit = 0
      n = $2; gsub(",", "", n); bytes = n + 0
      next
    }
    inrec && /^==[0-9]+== *$/ { if (hit) total += bytes; inrec = 0; next }
    inrec && $0 ~ re { hit = 1 }
    END { if (inrec && hit) total += bytes; print total + 0 }' "$f")
  if [ "${e:-0}" -gt 0 ] || [ "$l" -gt 0 ]; then
    echo "== $(basename "$f"): $e memcheck error(s), $l byte(s) definitely lost in bbb"
    sed -n '/Command:/p' "$f" | head -1
    # The error and leak records, without the heap summary noise.
    awk '/Invalid|uninitialised|Mismatched|free\(\)|overlap|definitely lost in loss/ {p=1}
         p {print} /^==[0-9]+== *$/ {p=0}' "$f" | head -200
  fi
  errors=$((errors + ${e:-0}))
  leaked=$((leaked + l))
done
n_logs=$(grep -l "ERROR SUMMARY" "$WORKDIR"/vg/*.log 2>/dev/null | wc -l)
summary=$(grep -E "^[0-9]+ passed, [0-9]+ failed" "$log" | tail -1)
took=$(( $(now) - started ))
subset="files: ${BBB_VALGRIND_FILTER:-all}, excluded: ${BBB_VALGRIND_EXCLUDE-^(train|gradient|defaults)\$}"
if [ "$status" -eq 0 ] && [ "$errors" -eq 0 ] && [ "$leaked" -eq 0 ] &&
    [ -n "$summary" ]; then
  echo "valgrind: OK - ${summary} (${subset}), 0 memcheck errors, 0 bytes definitely lost in bbb, ${n_logs} process(es) checked, ${took} s"
  exit 0
fi
echo "valgrind: FAIL - ${summary:-tests did not finish} (${subset}), $errors memcheck error(s), $leaked byte(s) definitely lost in bbb, test exit status $status, ${took} s"
exit 1
