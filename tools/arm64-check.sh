#!/usr/bin/env bash
# The engine's matrix kernels on arm64, from an x86-64 Debian machine:
# tools/gemm_check.c cross-compiled with Debian's aarch64 GCC and run
# under QEMU's user-mode emulation (it checks every kernel the build has,
# the NEON "vector" one and plain C, against compensated sums). Also
# compiles every file of src/ for arm64 with the warnings of R CMD check,
# so that the package builds there. Installs gcc-aarch64-linux-gnu and
# qemu-user from Debian when missing.
#
#   bash tools/arm64-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
if ! command -v aarch64-linux-gnu-gcc > /dev/null ||
   ! command -v qemu-aarch64 > /dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends \
    gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user > /dev/null
fi
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
rinc="$(R CMD config --cppflags)"
for f in src/*.c; do
  aarch64-linux-gnu-gcc -std=gnu99 -O2 -fopenmp -Wall -pedantic $rinc \
    -c "$f" -o "$out/$(basename "$f" .c).o"
done
echo "src/*.c compile for arm64"
aarch64-linux-gnu-gcc -O2 -pthread -Isrc $rinc tools/gemm_check.c \
  -o "$out/gemm_check" -lm
qemu-aarch64 -L /usr/aarch64-linux-gnu "$out/gemm_check"
