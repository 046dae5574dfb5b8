#!/usr/bin/env bash
# The speed comparison (bench.R) with the AVX2 code of every side, on a CPU
# that also has AVX-512:
#
#   bash bench/avx2.sh                  # configuration (c)
#   BENCH_CONFIGS=a,b,c bash bench/avx2.sh
#
# bbb is built with -DBBB_MAX_AVX2 (no AVX-512 clones of the parameter
# loops and no AVX-512 matrix kernel, src/bbb.h) into a library of its
# own, OpenBLAS is held to its Haswell kernels (OPENBLAS_CORETYPE) and
# PyTorch to its AVX2 code (ATEN_CPU_CAPABILITY). Results go to
# bench/results/avx2/. The caches, clock and memory are still this
# machine's: it measures the code that an AVX2 CPU runs, not such a CPU.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# a copy of the sources, so that the build leaves no objects in the tree
mkdir -p "$work/bbb" "$work/lib"
(cd "$root" && tar --exclude=.git --exclude=bench/results -cf - .) |
  (cd "$work/bbb" && tar -xf -)
PKG_CPPFLAGS=-DBBB_MAX_AVX2 R CMD INSTALL --no-test-load -l "$work/lib" \
  "$work/bbb" > "$work/install.log" 2>&1 ||
  { tail -30 "$work/install.log"; exit 1; }

export R_LIBS="$work/lib" PKG_CPPFLAGS=-DBBB_MAX_AVX2
export OPENBLAS_CORETYPE=Haswell ATEN_CPU_CAPABILITY=avx2
export BENCH_CONFIGS="${BENCH_CONFIGS:-c}"
export BENCH_RESULTS="$root/bench/results/avx2"
Rscript "$root/bench/bench.R"
