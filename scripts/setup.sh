#!/usr/bin/env bash
# setup.sh: installs what building and testing qad-migrate needs on a fresh Debian machine with
# Rust and Node; idempotent, so every entry point (demo, tests, benchmarks) calls it first.
#
#   scripts/setup.sh [--browser]    --browser: also Debian's Chromium (browser tests)
#
# Only package registries are used: Debian's apt, crates.io (cargo install), the npm registry.
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' wasm/Cargo.toml)
[[ -n "$WASM_BINDGEN_VERSION" ]] || { echo "setup: wasm/Cargo.toml must pin wasm-bindgen with =" >&2; exit 1; }

log() { echo "setup: $*" >&2; }

apt_needed=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || apt_needed+=(postgresql)
command -v openssl >/dev/null 2>&1 || apt_needed+=(openssl)
command -v pg_dump >/dev/null 2>&1 || apt_needed+=(postgresql-client)
if [[ "${1:-}" == "--browser" ]] && [[ ! -x /usr/bin/chromium ]]; then
    apt_needed+=(chromium)
fi
if ((${#apt_needed[@]})); then
    log "apt-get install ${apt_needed[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "${apt_needed[@]}" >&2
fi

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    log "rustup target add wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown >&2
fi

if [[ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]]; then
    log "cargo install wasm-bindgen-cli --version $WASM_BINDGEN_VERSION --locked"
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --locked >&2
fi

if [[ ! -d npm/node_modules/typescript ]] || [[ npm/package-lock.json -nt npm/node_modules/.package-lock.json ]]; then
    log "npm ci (npm/)"
    (cd npm && npm ci --no-audit --no-fund >&2)
fi
