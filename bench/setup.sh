#!/usr/bin/env bash
# Install what the speed benchmark needs on a fresh Debian 12 machine:
# PyTorch (Debian's python3-torch) for the reference implementation, and
# OpenBLAS (pthreads build), which PyTorch needs for its best times and
# bench.R gives bbb for its OpenBLAS rows.
#
# Installing OpenBLAS would make it every R's default BLAS (Debian's
# alternatives give it a higher priority than the reference BLAS); this
# script puts back the BLAS and LAPACK that were selected before, so R
# keeps the machine's default (the reference BLAS on a fresh machine) and
# bench.R chooses the BLAS of each run itself (LD_LIBRARY_PATH, see
# bench/README.md). Idempotent: re-running it is a no-op once everything
# is installed.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
pkgs=(python3-torch python3-numpy libopenblas0-pthread)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

arch="$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)"
alts=("libblas.so.3-$arch" "liblapack.so.3-$arch")
declare -A before
for a in "${alts[@]}"; do
  before[$a]="$(update-alternatives --query "$a" 2>/dev/null |
                sed -n 's/^Value: //p')"
done

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  if ! "${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${missing[@]}"; then
    echo "apt-get install failed; running apt-get update and retrying"
    "${sudo_cmd[@]}" apt-get update
    "${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
  fi
else
  echo "All benchmark packages already installed: ${pkgs[*]}"
fi

for a in "${alts[@]}"; do
  v="${before[$a]}"
  now="$(update-alternatives --query "$a" 2>/dev/null | sed -n 's/^Value: //p')"
  if [ -n "$v" ] && [ "$v" != "$now" ]; then
    echo "Putting back $a -> $v (was switched to $now by the install)"
    "${sudo_cmd[@]}" update-alternatives --set "$a" "$v"
  fi
done

# Debian's python3-torch lives in the system interpreter; a pyenv/conda
# python3 earlier on PATH will not see it, so use /usr/bin/python3 directly.
py="${PYTHON:-/usr/bin/python3}"
echo "--- versions ($py) ---"
"$py" -c 'import torch, numpy; print("torch", torch.__version__, "| numpy", numpy.__version__)'
"$py" -c 'import torch; print(*torch.__config__.parallel_info().splitlines()[:8], sep="\n")'
if command -v Rscript >/dev/null 2>&1; then
  Rscript -e 'print(extSoftVersion()["BLAS"]); print(La_library())'
else
  echo "Rscript not found: R's BLAS not checked"
fi
