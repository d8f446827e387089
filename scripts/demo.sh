#!/usr/bin/env bash
# demo.sh: the whole migration, end to end, on the demo frontend (or a real one).
#
#   scripts/demo.sh [--root FRONTEND_DIR] [--out DIR] [--keep-db]
#
# Builds what it must (scripts/setup.sh, the wasm core, qa-load), starts a throw-away local
# PostgreSQL (stopped afterwards) unless DATABASE_URL points at a real one, then runs, the way a
# team would: `qad-migrate validate` → `qad-migrate extract` → `qa-load --input apps.json` →
# `qa-load verify`, and prints the summary and where the logs and reports are.
#
# --root   a frontend checkout (default: examples/demo-frontend, the project's own sample);
#          it is only read: everything is written under --out.
# --out    where the reports, apps.json and logs go (default: ./demo-output).
# --keep-db keep the throw-away cluster running at the end and print its URL.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

FRONTEND="$ROOT/examples/demo-frontend"
OUT="$ROOT/demo-output"
KEEP_DB=0
while (($#)); do
    case "$1" in
        --root) FRONTEND=$(cd "$2" && pwd); shift 2 ;;
        --out) mkdir -p "$2"; OUT=$(cd "$2" && pwd); shift 2 ;;
        --keep-db) KEEP_DB=1; shift ;;
        -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "demo: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
mkdir -p "$OUT"
step() { printf '\n==> %s\n' "$*"; }

step "set-up (what is missing is installed)"
scripts/setup.sh
(cd npm && npm run --silent build:wasm)
cargo build --quiet --release -p qa-load
QAD_MIGRATE=(node "$ROOT/npm/bin/qad-migrate.js")
QA_LOAD="$ROOT/target/release/qa-load"

# The sample has no node_modules of its own: give it the TypeScript the package was tested with,
# as a frontend's own devDependency would be. A real --root uses its own TypeScript.
if [[ "$FRONTEND" == "$ROOT/examples/demo-frontend" ]]; then
    WORKFRONT="$OUT/frontend"
    rm -rf "$WORKFRONT"
    cp -r "$FRONTEND" "$WORKFRONT"
    mkdir -p "$WORKFRONT/node_modules"
    ln -s "$ROOT/npm/node_modules/typescript" "$WORKFRONT/node_modules/typescript"
    FRONTEND="$WORKFRONT"
fi

PGDIR=""
cleanup() {
    if [[ -n "$PGDIR" && $KEEP_DB -eq 0 ]]; then
        scripts/pg-throwaway.sh stop "$PGDIR" --remove >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT
if [[ -z "${DATABASE_URL:-}" ]]; then
    step "throw-away PostgreSQL"
    PGDIR=$(mktemp -d /tmp/qad-demo-pg.XXXXXX)
    chmod 755 "$PGDIR"
    if [[ $KEEP_DB -eq 1 ]]; then
        DATABASE_URL=$(scripts/pg-throwaway.sh start "$PGDIR/cluster")
    else
        DATABASE_URL=$(scripts/pg-throwaway.sh start "$PGDIR/cluster" --owner-pid $$)
    fi
    export DATABASE_URL
    PGDIR="$PGDIR/cluster"
else
    echo "using DATABASE_URL (the password is never printed)"
fi

step "qad-migrate validate  (frontend: $FRONTEND)"
"${QAD_MIGRATE[@]}" validate --root "$FRONTEND" --report "$OUT/validation-report.md"

step "qad-migrate extract --out apps.json"
"${QAD_MIGRATE[@]}" extract --root "$FRONTEND" --out "$OUT/apps.json"

step "qa-load --input apps.json"
"$QA_LOAD" --input "$OUT/apps.json" --log-file "$OUT/qa-load.log"

step "qa-load verify --input apps.json"
"$QA_LOAD" verify --input "$OUT/apps.json" --report-md "$OUT/verify-report.md" \
    --report-json "$OUT/verify-report.json" --log-file "$OUT/qa-load-verify.log"

step "qa-load history"
"$QA_LOAD" history --no-log-file

cat <<EOF

Done. The migration loaded, and verify found the database equal to the source.
  validation report  $OUT/validation-report.md
  apps.json          $OUT/apps.json
  load log           $OUT/qa-load.log
  verify reports     $OUT/verify-report.md, $OUT/verify-report.json
To undo the load:    $QA_LOAD rollback --last   (with the same DATABASE_URL)
EOF
if [[ -n "$PGDIR" && $KEEP_DB -eq 1 ]]; then
    echo "The throw-away cluster is still running: DATABASE_URL=$DATABASE_URL"
    echo "Stop it with: scripts/pg-throwaway.sh stop $PGDIR --remove"
fi
