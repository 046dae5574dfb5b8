#!/usr/bin/env bash
# Install what the speed benchmark needs on a fresh Debian 12 machine:
# PyTorch (Debian's python3-torch) for the reference implementation, and
# OpenBLAS, which Debian's alternatives make R's BLAS/LAPACK.
# Idempotent: re-running it is a no-op once everything is installed.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
pkgs=(python3-torch python3-numpy libopenblas0-pthread)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

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
