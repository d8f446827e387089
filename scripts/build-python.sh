#!/usr/bin/env bash
# build-python.sh: the Python package qa-load (python/), one wheel for this platform
# (qa_load-<version>-py3-none-<platform>.whl) carrying the release qa-load binary and the Django
# app qa_load.django. The one command that builds it:
#
#   scripts/build-python.sh [OUT_DIR]      default OUT_DIR: target/wheels
#
# Builds with maturin (pinned below, from PyPI, into a cached virtualenv beside the Django one:
# $QAD_CACHE_DIR, default ${XDG_CACHE_HOME:-$HOME/.cache}/qad-migrate) and cargo's release
# profile in this workspace's target/ (so a release build already there is reused). Prints the
# wheel's path on stdout.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
MATURIN_VERSION=1.16.0

die() { echo "build-python: $*" >&2; exit 1; }
log() { echo "build-python: $*" >&2; }

# shellcheck source=lib/python.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/python.sh"
CACHE_DIR=$(qad_cache_dir)

(($# <= 1)) || { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
out="${1:-$ROOT/target/wheels}"
mkdir -p "$out"
out=$(cd "$out" && pwd -P)

py=$(ensure_python)
venv=$(tool_venv "$py" "$CACHE_DIR" maturin "$MATURIN_VERSION") || die "cannot install maturin $MATURIN_VERSION from PyPI"

version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -n 1)
rm -f "$out"/qa_load-"$version"-*.whl
log "maturin $MATURIN_VERSION: building the qa-load $version wheel into $out"
(cd "$ROOT/python" && "$venv/bin/maturin" build --release --locked --quiet --out "$out" >&2) \
    || die "maturin build failed"
wheel=$(find "$out" -maxdepth 1 -name "qa_load-$version-py3-none-*.whl" | head -n 1)
[[ -n "$wheel" ]] || die "maturin wrote no qa_load-$version-py3-none-*.whl into $out"
echo "$wheel"
