#!/usr/bin/env bash
# bench/run.sh: qad-migrate's benchmarks, one command. See bench/README.md.
#
#   bench/run.sh            full run: 10,000 generated apps + the real 44, 5 repetitions, medians;
#                           writes bench/results/latest.md (+ latest.json)
#   bench/run.sh --quick    CI mode: 200 generated apps + the real 44, 1 repetition; checks that
#                           everything runs and prints the table (bench/results/quick.md,
#                           gitignored); fails only when something breaks, never on a ratio
#   bench/run.sh --baseline DIR [--quick]
#                           before and after: every version-dependent figure measured for DIR
#                           (another checkout of this repository) and for this one, interleaved
#                           repetition by repetition, side by side with current/baseline, both
#                           layouts at both batch sizes; writes bench/results/before-after.md
#                           (quick: quick-before-after.md) unless --out is given; DIR's release
#                           qa-load (into DIR/target) and wasm are built here
#   bench/run.sh --django-only [--quick]
#                           only the Django backend's tables (qa-load --layout django, COPY into
#                           them, the backend's load_applications_data); writes
#                           bench/results/django-latest.md (quick: quick-django.md)
#   extra options go to bench/bench.mjs: --apps N, --reps R, --strict (fail on a missed target),
#   --out FILE, --work DIR, --seed S, --note TEXT, --quiet-wait MIN, --no-django
#
# Both layouts are measured in every run: qa-load into its own tables and into the Django
# backend's tables (--layout django), each at --batch-size 10 and 1000, each against the COPY
# floor of its own tables. scripts/django-backend.sh stands the real backend up (pgvector, its
# cached virtualenv, manage.py migrate); a full run fails when it cannot, quick mode then leaves
# the Django tables out with a note. --no-django leaves them out.
#
# Starts a throw-away PostgreSQL (scripts/pg-throwaway.sh, stopped on exit) unless
# BENCH_DATABASE_URL is set (a URL of a role that may CREATE DATABASE; the benchmark creates and
# drops databases named qad_bench_<pid>_*). Needs the release qa-load (in CARGO_TARGET_DIR when
# set, else target/; release/qa-load) and the wasm (npm/dist/wasm): built here when missing; a
# full run rebuilds them when stale. The qa-load binaries are copied into the work directory
# before anything is measured.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

quick=0
baseline=
django_only=0
args=()
while (($#)); do
    case "$1" in
    --quick) quick=1; args+=("$1") ;;
    --django-only) django_only=1; args+=("$1") ;;
    --baseline)
        [[ $# -ge 2 ]] || { echo "bench: --baseline needs a directory" >&2; exit 2; }
        baseline=$(cd "$2" && pwd) || { echo "bench: --baseline $2: no such directory" >&2; exit 2; }
        args+=(--baseline "$baseline")
        shift ;;
    -h|--help) sed -n '2,34p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) args+=("$1") ;;
    esac
    shift
done

log() { echo "bench: $*" >&2; }

# What the benchmark needs; scripts/setup.sh installs it when something is missing.
missing=()
[[ -x /usr/bin/time ]] || missing+=("/usr/bin/time")
command -v psql >/dev/null 2>&1 || missing+=(psql)
[[ -d npm/node_modules/typescript ]] || missing+=("npm/node_modules/typescript")
if [[ -z "${BENCH_DATABASE_URL:-}" ]] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    missing+=("PostgreSQL server")
fi
if ((${#missing[@]})); then
    log "missing ${missing[*]}: running scripts/setup.sh"
    scripts/setup.sh
    if [[ ! -x /usr/bin/time ]]; then
        log "apt-get install time (for peak RSS)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends time >&2
    fi
fi

# Cargo's target directory: CARGO_TARGET_DIR when set (relative to this checkout, as cargo takes
# it here), else target/.
TARGET_DIR=${CARGO_TARGET_DIR:-target}
[[ $TARGET_DIR == /* ]] || TARGET_DIR=$ROOT/$TARGET_DIR
QA_LOAD=$TARGET_DIR/release/qa-load

if ((quick)); then
    [[ -x $QA_LOAD ]] || { log "building qa-load (release)"; cargo build --quiet --release -p qa-load; }
    [[ -f npm/dist/wasm/qad_wasm_bg.wasm ]] || { log "building the wasm"; (cd npm && npm run --silent build:wasm); }
else
    # A full run measures the current sources: rebuild when stale (quick when nothing changed).
    log "cargo build --release -p qa-load"
    cargo build --quiet --release -p qa-load
    (cd npm && node scripts/build-wasm.mjs --if-stale)
fi

# The baseline's own qa-load and wasm, built in its checkout (one cargo build at a time), always
# into its own target directory DIR/target: with a CARGO_TARGET_DIR shared between checkouts its
# build would replace the current checkout's binary (and the other way round).
if [[ -n "$baseline" ]]; then
    [[ -f "$baseline/npm/package.json" && -f "$baseline/Cargo.toml" ]] || { log "--baseline $baseline: not a checkout of this repository"; exit 2; }
    log "baseline: $baseline ($(git -C "$baseline" log -1 --format='%h %s' 2>/dev/null || echo 'not a git checkout'))"
    BASE_QA_LOAD=$baseline/target/release/qa-load
    if ((quick)); then
        [[ -x $BASE_QA_LOAD ]] || { log "baseline: building qa-load (release) into $baseline/target"; (cd "$baseline" && CARGO_TARGET_DIR="$baseline/target" cargo build --quiet --release -p qa-load); }
        [[ -f "$baseline/npm/dist/wasm/qad_wasm_bg.wasm" ]] || { log "baseline: building the wasm"; (cd "$baseline/npm" && CARGO_TARGET_DIR="$baseline/target" npm run --silent build:wasm); }
    else
        log "baseline: cargo build --release -p qa-load (into $baseline/target)"
        (cd "$baseline" && CARGO_TARGET_DIR="$baseline/target" cargo build --quiet --release -p qa-load)
        log "baseline: npm run build:wasm"
        (cd "$baseline/npm" && CARGO_TARGET_DIR="$baseline/target" npm run --silent build:wasm)
    fi
fi

WORK=$(mktemp -d /tmp/qad-bench.XXXXXX)
chmod 755 "$WORK"
PGDIR="$WORK/pg"
cleanup() {
    if [[ -z "${BENCH_DATABASE_URL:-}" && -d "$PGDIR/data" ]]; then
        scripts/pg-throwaway.sh stop "$PGDIR" --remove >/dev/null 2>&1 || true
    fi
    [[ -n "${BENCH_KEEP_WORK:-}" ]] || rm -rf "$WORK"
}
trap cleanup EXIT

# The binaries measured are copies taken now: a build of another checkout into a shared
# CARGO_TARGET_DIR during the run must not change what is measured.
mkdir -p "$WORK/bin"
cp "$QA_LOAD" "$WORK/bin/qa-load"
bin_args=(--qa-load "$WORK/bin/qa-load")
log "qa-load: $QA_LOAD ($("$WORK/bin/qa-load" --version 2>/dev/null || echo '?')), copied to the work directory"
if [[ -n "$baseline" ]]; then
    cp "$BASE_QA_LOAD" "$WORK/bin/qa-load-baseline"
    bin_args+=(--baseline-qa-load "$WORK/bin/qa-load-baseline")
fi

if [[ -n "${BENCH_DATABASE_URL:-}" ]]; then
    URL=$BENCH_DATABASE_URL
    log "using BENCH_DATABASE_URL"
else
    URL=$(scripts/pg-throwaway.sh start "$PGDIR" --owner-pid $$)
    export PATH="$(cat "$PGDIR/bindir"):$PATH"
fi

mkdir -p bench/results
if [[ -n "$baseline" ]]; then
    if ((quick)); then out=bench/results/quick-before-after.md; else out=bench/results/before-after.md; fi
elif ((django_only)); then
    if ((quick)); then out=bench/results/quick-django.md; else out=bench/results/django-latest.md; fi
elif ((quick)); then out=bench/results/quick.md; else out=bench/results/latest.md; fi
exec_args=(--database "$URL" --work "$WORK/work" --psql "$(command -v psql)" --out "$out")
node bench/bench.mjs "${exec_args[@]}" "${bin_args[@]}" "${args[@]}"
