# Shared helpers of tools/*.sh (sourced, not run). They build the package
# from this repository into a temporary library, never into the repository
# itself nor the user's libraries.

# The repository root: the parent of the folder of this file.
BBB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# make_workdir NAME: a fresh temporary folder, removed on exit unless
# BBB_KEEP_WORKDIR=1 (to inspect logs).
make_workdir() {
  WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/bbb-$1.XXXXXX")
  if [ "${BBB_KEEP_WORKDIR:-0}" != 1 ]; then
    trap 'rm -rf "$WORKDIR"' EXIT
  else
    echo "work folder kept: $WORKDIR"
  fi
}

# stage_source DEST: a copy of the package source without .git and without
# object files left by an earlier in-place build.
stage_source() {
  mkdir -p "$1"
  tar -C "$BBB_ROOT" --exclude=.git --exclude='*.o' --exclude='*.so' \
    --exclude='*.Rcheck' -cf - . | tar -C "$1" -xf -
}

# install_pkg SRC LIB [R CMD INSTALL options...]: installs quietly; shows the
# log on failure.
install_pkg() {
  local src=$1 lib=$2
  shift 2
  mkdir -p "$lib"
  if ! R CMD INSTALL --no-docs --no-multiarch "$@" -l "$lib" "$src" \
      >"$WORKDIR/install.log" 2>&1; then
    cat "$WORKDIR/install.log"
    echo "install of bbb failed" >&2
    return 1
  fi
}

# Seconds since the epoch, for timings.
now() { date +%s; }
