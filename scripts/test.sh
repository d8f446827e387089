#!/usr/bin/env bash
# test.sh: every test of qad-migrate, the one command README.md names and .ci/run calls.
#
# Installs what it needs (scripts/setup.sh), checks formatting and lints, builds the core for
# wasm32, starts a throw-away PostgreSQL (stopped on exit) and prepares the Django backend's
# prerequisites (scripts/django-backend.sh prepare: pgvector, a cached virtualenv), then runs the
# Rust tests, builds the Python package's wheel (scripts/build-python.sh), runs the npm package's
# tests (Node and headless Chromium), the cross-component tests in tests/ (among them the real
# Django backend's, and `manage.py qa_load` from the wheel in it), and the benchmarks in quick
# mode. Ends with one line: "tests: N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

scripts/setup.sh --browser

WORK=$(mktemp -d /tmp/qad-test.XXXXXX)
chmod 755 "$WORK"
LOG="$WORK/test.log"
PGDIR="$WORK/pg"
cleanup() {
    scripts/pg-throwaway.sh stop "$PGDIR" --remove >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (all targets, -D warnings)"
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "no module imports a module that imports it (scripts/check-module-cycles.mjs)"
node scripts/check-module-cycles.mjs core wasm native-cli
node --test scripts/ 2>&1 | tee -a "$LOG"

step "qad-core builds for wasm32-unknown-unknown"
cargo build --quiet -p qad-core --target wasm32-unknown-unknown

step "throw-away PostgreSQL"
QAD_TEST_DATABASE_URL=$(scripts/pg-throwaway.sh start "$PGDIR" --owner-pid $$)
export QAD_TEST_DATABASE_URL
export QAD_TEST_PG_DIR="$PGDIR"
echo "PostgreSQL up (cluster in $PGDIR)"

step "the Django backend's prerequisites: pgvector, its virtualenv (scripts/django-backend.sh prepare)"
scripts/django-backend.sh prepare >/dev/null

step "cargo test (workspace)"
cargo test --workspace --quiet 2>&1 | tee -a "$LOG"

step "build the wasm core and the qa-load release binary"
(cd npm && npm run --silent build:wasm)
cargo build --quiet --release -p qa-load

step "build the Python package: the qa-load wheel (scripts/build-python.sh)"
QAD_PYTHON_WHEEL=$(scripts/build-python.sh "$WORK/wheels")
export QAD_PYTHON_WHEEL
echo "built $(basename "$QAD_PYTHON_WHEEL") ($(du -k "$QAD_PYTHON_WHEEL" | cut -f1) KiB)"

step "npm package tests (node --test, headless Chromium)"
(cd npm && node --test test/) 2>&1 | tee -a "$LOG"

if compgen -G "tests/*.test.mjs" >/dev/null; then
    step "cross-component tests (tests/)"
    node --test tests/ 2>&1 | tee -a "$LOG"
fi

if [[ -x bench/run.sh ]]; then
    step "benchmarks, quick mode"
    bench/run.sh --quick
fi

# One closing line over every runner: cargo's "test result" lines and node's "# pass/# fail".
passed=$(( $(grep -oE 'test result: [a-z]+\. [0-9]+ passed' "$LOG" | awk '{s+=$4} END {print s+0}') \
         + $(grep -E '^# pass [0-9]+' "$LOG" | awk '{s+=$3} END {print s+0}') ))
failed=$(( $(grep -oE 'test result: [a-z]+\. [0-9]+ passed; [0-9]+ failed' "$LOG" | awk '{s+=$6} END {print s+0}') \
         + $(grep -E '^# fail [0-9]+' "$LOG" | awk '{s+=$3} END {print s+0}') ))
echo
echo "tests: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
