# python.sh: the Python 3.11 the scripts use and the cached virtualenvs of pinned PyPI tools
# (sourced by django-backend.sh and build-python.sh, which define `die` and `log`).
# shellcheck shell=bash

# Where the cached virtualenvs live: $QAD_CACHE_DIR, default ${XDG_CACHE_HOME:-~/.cache}/qad-migrate.
qad_cache_dir() {
    echo "${QAD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/qad-migrate}"
}

find_python() {
    local c
    for c in "${QAD_PYTHON:-}" /usr/bin/python3.11 "$(command -v python3.11 2>/dev/null || true)"; do
        [[ -n "$c" && -x "$c" ]] || continue
        if "$c" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
            echo "$c"
            return 0
        fi
    done
    return 1
}

ensure_python() {
    local py
    if py=$(find_python); then echo "$py"; return 0; fi
    [[ $(id -u) -eq 0 ]] || die "no Python 3.11 with venv (set QAD_PYTHON, or install python3.11-venv)"
    log "apt-get install python3.11 python3.11-venv"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends python3.11 python3.11-venv >&2
    find_python || die "no usable Python 3.11 after installing python3.11-venv"
}

# tool_venv PY CACHE_DIR PACKAGE VERSION: a virtualenv holding PACKAGE==VERSION from PyPI, made
# once in CACHE_DIR/PACKAGE-VERSION (complete when .qad-complete is there). Prints its directory;
# fails when it cannot be had.
tool_venv() {
    local py="$1" dir="$2/$3-$4"
    if [[ -f "$dir/.qad-complete" ]]; then echo "$dir"; return 0; fi
    rm -rf "$dir"
    mkdir -p "$2"
    if ! "$py" -m venv "$dir" >&2 \
        || ! PIP_DISABLE_PIP_VERSION_CHECK=1 "$dir/bin/python" -m pip install -q --no-input "$3==$4" >&2; then
        rm -rf "$dir"
        return 1
    fi
    touch "$dir/.qad-complete"
    echo "$dir"
}
