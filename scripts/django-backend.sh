#!/usr/bin/env bash
# django-backend.sh: the Quran Apps Directory's real Django backend (../shared/peers/), stood up
# against a PostgreSQL for tests, nothing else.
#
#   scripts/django-backend.sh prepare
#       Idempotent. Builds pgvector from ../shared/peers/pgvector-0.8.6 and installs it into the
#       local server (skipped when that version is installed), and makes the backend's Python 3.11
#       virtualenv in $QAD_CACHE_DIR (default ${XDG_CACHE_HOME:-$HOME/.cache}/qad-migrate), named
#       after a hash of the requirement files and the Python version; reused when complete. Prints
#       the venv's directory on stdout.
#   scripts/django-backend.sh start DIR --database-url URL [--db-name NAME] [--replace]
#                                   [--r2-public-url URL] [--runserver PORT] [--owner-pid PID]
#       URL: a PostgreSQL superuser (scripts/pg-throwaway.sh start). Runs `prepare`, copies the
#       backend to DIR/backend, creates database NAME (default qad_django; --replace drops it
#       first, else it must not exist), writes the settings to DIR/env, runs `manage.py migrate`.
#       --runserver PORT (0 = a free one) also starts `manage.py runserver --noreload` on
#       127.0.0.1:PORT (pid DIR/runserver.pid, log DIR/runserver.log) and waits for
#       GET /api/categories/; with --owner-pid, it is stopped once PID has exited.
#       Prints one line of JSON on stdout (also kept in DIR/backend.json):
#       {"database_url","db_name","python","backend","env_file","api_url"(null without runserver)}.
#   scripts/django-backend.sh stop DIR
#       Stops the runserver, if any. Drops nothing (the cluster belongs to pg-throwaway.sh).
#   scripts/django-backend.sh manage DIR ARGS...
#       Runs `python manage.py ARGS...` in DIR/backend with DIR/env and the venv.
#
# Uses only package registries: Debian's apt (the server headers, fetched with `apt-get download`
# so that the running server's packages are never upgraded; Python 3.11 if missing) and PyPI.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
PEERS="$ROOT/../shared/peers"
BACKEND_SRC="$PEERS/quran-apps-directory-2026-02/backend"
PGVECTOR_SRC="$PEERS/pgvector-0.8.6"
# shellcheck source=lib/python.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/python.sh"
CACHE_DIR=$(qad_cache_dir)
REQUIREMENTS=(base.txt production.txt testing.txt local.txt)
EXTRA_REQUIREMENT='user-agents>=2.2.0'
UV_VERSION=0.13.9

SCRATCH=()
cleanup() { ((${#SCRATCH[@]} == 0)) || rm -rf "${SCRATCH[@]}"; }
trap cleanup EXIT

die() { echo "django-backend: $*" >&2; exit 1; }
log() { echo "django-backend: $*" >&2; }

usage() {
    sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

# ---------------------------------------------------------------------------------- pgvector

pg_bindir() {
    local d
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    [[ -n "$d" && -x "$d/pg_config" ]] || die "no PostgreSQL server under /usr/lib/postgresql (scripts/pg-throwaway.sh installs it)"
    echo "$d"
}

# The installed version of the extension ("" when absent or incomplete).
installed_vector_version() {
    local pgc="$1" share lib v
    share=$("$pgc" --sharedir)/extension
    lib=$("$pgc" --pkglibdir)
    [[ -f "$share/vector.control" && -f "$lib/vector.so" ]] || return 0
    v=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$share/vector.control")
    [[ -f "$share/vector--$v.sql" ]] && echo "$v"
    return 0
}

prepare_pgvector() {
    local bindir pgc want have major scratch inc
    bindir=$(pg_bindir)
    pgc="$bindir/pg_config"
    [[ -f "$PGVECTOR_SRC/vector.control" ]] || die "missing $PGVECTOR_SRC (../shared/peers beside the repository)"
    want=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$PGVECTOR_SRC/vector.control")
    have=$(installed_vector_version "$pgc")
    if [[ "$have" == "$want" ]]; then
        log "pgvector $want already installed"
        return 0
    fi
    [[ $(id -u) -eq 0 ]] || die "installing pgvector into $("$pgc" --pkglibdir) needs root"
    command -v make >/dev/null && command -v gcc >/dev/null || die "pgvector needs make and gcc"
    major=$(basename "$(dirname "$bindir")")
    scratch=$(mktemp -d /tmp/qad-pgvector.XXXXXX)
    SCRATCH+=("$scratch")

    inc=$("$pgc" --includedir-server)
    if [[ ! -f "$inc/postgres.h" ]]; then
        # The server's headers without installing postgresql-server-dev-N: installing it would
        # upgrade the running server's packages to the newest candidate.
        local server_version
        server_version=$(dpkg-query -W -f '${Version}' "postgresql-$major" 2>/dev/null || true)
        log "fetching postgresql-server-dev-$major ${server_version:-(candidate)} (apt-get download, unpacked in a scratch dir)"
        (
            cd "$scratch"
            dl() { apt-get download -qq -o APT::Sandbox::User=root "$@" >&2 2>/dev/null; }
            if [[ -z "$server_version" ]] || ! dl "postgresql-server-dev-$major=$server_version"; then
                # The exact version may be gone from the mirror: refresh once, then take the
                # candidate (headers are stable within a major release).
                apt-get update -qq >&2 || true
                dl "postgresql-server-dev-$major=$server_version" 2>/dev/null || dl "postgresql-server-dev-$major"
            fi
        ) || die "apt-get download postgresql-server-dev-$major failed"
        dpkg-deb -x "$scratch"/postgresql-server-dev-"$major"_*.deb "$scratch/root"
        inc="$scratch/root$inc"
        [[ -f "$inc/postgres.h" ]] || die "no postgres.h in the postgresql-server-dev-$major package"
    fi

    log "building pgvector $want against PostgreSQL $major (PGXS)"
    cp -R "$PGVECTOR_SRC" "$scratch/pgvector"
    chmod -R u+w "$scratch/pgvector"
    # OPTFLAGS= : no -march=native. with_llvm=no: no bitcode (clang is not needed).
    make -C "$scratch/pgvector" -j"$(nproc)" PG_CONFIG="$pgc" with_llvm=no OPTFLAGS= \
        PG_CPPFLAGS="-I$inc" >"$scratch/build.log" 2>&1 \
        || { tail -n 30 "$scratch/build.log" >&2; die "pgvector build failed"; }

    local lib share f
    lib=$("$pgc" --pkglibdir)
    share=$("$pgc" --sharedir)/extension
    install -m 755 "$scratch/pgvector/vector.so" "$lib/vector.so"
    install -d "$share"
    for f in "$scratch"/pgvector/sql/vector--*.sql; do install -m 644 "$f" "$share/"; done
    # The control file last: it is what marks the installation complete.
    install -m 644 "$scratch/pgvector/vector.control" "$share/vector.control"
    rm -rf "$scratch"
    log "pgvector $want installed into $lib and $share"
}

# ------------------------------------------------------------------------------------ Python

# The venv's directory for these requirements and this interpreter.
venv_dir() {
    local py="$1" key
    key=$(
        cd "$BACKEND_SRC/requirements"
        cat "${REQUIREMENTS[@]}"
        echo "$EXTRA_REQUIREMENT"
        "$py" -c 'import sys; print(sys.version)'
        readlink -f "$py"
    ) || die "cannot read $BACKEND_SRC/requirements"
    echo "$CACHE_DIR/django-venv-$(printf '%s' "$key" | sha256sum | cut -c1-16)"
}

# The interpreter runs and the backend's modules are there. Only psycopg2 (a binary) is imported:
# ninja and most Django apps cannot be imported without settings. pkg_resources: the pinned
# djangorestframework-simplejwt 5.3.0 imports it, and setuptools >= 81 no longer has it.
venv_usable() {
    [[ -x "$1/bin/python" ]] && "$1/bin/python" -c '
import importlib.util, sys, psycopg2
missing = [m for m in ("django", "ninja", "pgvector", "rest_framework_simplejwt", "decouple",
                       "user_agents", "pkg_resources") if importlib.util.find_spec(m) is None]
sys.exit("missing modules: " + " ".join(missing) if missing else 0)'
}

# uv (from PyPI, cached beside the venvs) installs the requirements in ~10 s where pip takes ~60 s.
# Prints its path; fails when it cannot be had (then pip is used).
ensure_uv() {
    local dir
    dir=$(tool_venv "$1" "$CACHE_DIR" uv "$UV_VERSION") && "$dir/bin/uv" --version >/dev/null || return 1
    echo "$dir/bin/uv"
}

prepare_venv() {
    local py venv
    py=$(ensure_python)
    venv=$(venv_dir "$py")
    mkdir -p "$CACHE_DIR"
    # One builder at a time per cache directory (e.g. two test runs on one machine).
    exec 9>"$CACHE_DIR/django-venv.lock"
    flock 9
    if [[ -f "$venv/.qad-complete" ]] && venv_usable "$venv" 2>/dev/null; then
        log "virtualenv reused: $venv"
    else
        log "building the backend's virtualenv in $venv ($("$py" --version 2>&1))"
        rm -rf "$venv"
        # With pip and the interpreter's bundled setuptools (which still has pkg_resources).
        "$py" -m venv "$venv" || die "python -m venv failed"
        local args=() f uv scratch
        for f in "${REQUIREMENTS[@]}"; do args+=(-r "$BACKEND_SRC/requirements/$f"); done
        if uv=$(ensure_uv "$py"); then
            # A throw-away uv cache on the venv's file system: files are hard-linked, not copied,
            # and stay in the venv when the cache is removed.
            scratch=$(mktemp -d "$CACHE_DIR/uv-cache.XXXXXX")
            SCRATCH+=("$scratch")
            UV_CACHE_DIR="$scratch" "$uv" pip install -q --python "$venv/bin/python" --link-mode=hardlink \
                "${args[@]}" "$EXTRA_REQUIREMENT" >&2 \
                || { rm -rf "$venv"; die "uv pip install of the backend's requirements failed"; }
            rm -rf "$scratch"
        else
            log "uv $UV_VERSION unavailable; pip install (about a minute)"
            PIP_DISABLE_PIP_VERSION_CHECK=1 "$venv/bin/python" -m pip install -q --no-input \
                "${args[@]}" "$EXTRA_REQUIREMENT" >&2 \
                || { rm -rf "$venv"; die "pip install of the backend's requirements failed"; }
        fi
        venv_usable "$venv" || { rm -rf "$venv"; die "the new virtualenv lacks the backend's modules"; }
        # Written last: a venv without it is incomplete and is rebuilt.
        date -u +%FT%TZ >"$venv/.qad-complete"
        log "virtualenv ready: $venv"
    fi
    flock -u 9
    exec 9>&-
    echo "$venv"
}

cmd_prepare() {
    (($# == 0)) || usage
    # Again: `start` runs this in a command substitution, which does not inherit the EXIT trap.
    trap cleanup EXIT
    [[ -d "$BACKEND_SRC" ]] || die "missing $BACKEND_SRC (../shared/peers beside the repository)"
    prepare_pgvector
    prepare_venv
}

# ----------------------------------------------------------------------------------- backend

# shellcheck source=lib/ports.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/ports.sh"

# Reads DIR/env (KEY=VALUE lines, no quoting) into the environment.
load_env() {
    local k v
    while IFS='=' read -r k v; do
        [[ -z "$k" || "$k" == \#* ]] && continue
        export "$k=$v"
    done <"$1"
}

runserver_pid() {
    local dir="$1" pid
    [[ -f "$dir/runserver.pid" ]] || return 1
    pid=$(cat "$dir/runserver.pid")
    [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null \
        && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'manage.py runserver' \
        && echo "$pid"
}

# Starts runserver on 127.0.0.1:PORT and waits until GET /api/categories/ answers; prints its pid.
# Returns 2 when the port turned out to be taken, 1 on any other failure (the log is shown).
start_runserver() {
    local dir="$1" python="$2" port="$3" pid
    (
        load_env "$dir/env"
        cd "$dir/backend"
        exec setsid "$python" manage.py runserver --noreload "127.0.0.1:$port" </dev/null >"$dir/runserver.log" 2>&1
    ) &
    pid=$!
    echo "$pid" >"$dir/runserver.pid"
    local probe="http://127.0.0.1:$port/api/categories/"
    for _ in $(seq 1 300); do
        if ! kill -0 "$pid" 2>/dev/null; then
            rm -f "$dir/runserver.pid"
            grep -q 'port is already in use' "$dir/runserver.log" && return 2
            tail -n 30 "$dir/runserver.log" >&2
            return 1
        fi
        if curl -fsS -o /dev/null --max-time 5 "$probe" 2>/dev/null; then echo "$pid"; return 0; fi
        sleep 0.2
    done
    kill "$pid" 2>/dev/null || true
    tail -n 30 "$dir/runserver.log" >&2
    log "no answer from $probe within 60 s"
    return 1
}

cmd_start() {
    local dir="" url="" dbname="qad_django" replace=0 r2="" port="" owner=""
    while (($#)); do
        case "$1" in
        --database-url) url="${2:-}"; shift 2 ;;
        --db-name) dbname="${2:-}"; shift 2 ;;
        --replace) replace=1; shift ;;
        --r2-public-url) r2="${2:-}"; shift 2 ;;
        --runserver) port="${2:-}"; shift 2 ;;
        --owner-pid) owner="${2:-}"; shift 2 ;;
        -*) usage ;;
        *) [[ -z "$dir" ]] || usage; dir="$1"; shift ;;
        esac
    done
    [[ -n "$dir" && -n "$url" ]] || usage
    [[ "$dbname" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || die "--db-name must be a plain lower-case identifier: $dbname"
    [[ -z "$port" || "$port" =~ ^[0-9]+$ ]] || die "--runserver needs a port number (0 = a free one)"
    [[ -z "$owner" || "$owner" =~ ^[0-9]+$ ]] || die "--owner-pid needs a pid"
    command -v psql >/dev/null || die "psql not found (postgresql-client)"

    local venv python
    venv=$(cmd_prepare)
    python="$venv/bin/python"

    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd -P)
    [[ ! -e "$dir/backend" ]] || die "$dir/backend exists already; use a new directory"

    # The URL's parts, as libpq reads them (percent-decoded).
    local parts user password host dbport db_url
    parts=$("$python" - "$url" "$dbname" <<'EOF'
import sys
from urllib.parse import urlsplit, unquote, urlunsplit
u = urlsplit(sys.argv[1])
if u.scheme not in ("postgres", "postgresql") or not u.hostname:
    sys.exit("not a postgres:// URL with a host")
db = urlunsplit((u.scheme, u.netloc, "/" + sys.argv[2], u.query, ""))
print(unquote(u.username or ""), unquote(u.password or ""), u.hostname, u.port or 5432, db, sep="\n")
EOF
    ) || die "cannot parse --database-url"
    { read -r user; read -r password; read -r host; read -r dbport; read -r db_url; } <<<"$parts"

    local exists
    exists=$(psql "$url" -X -Atq -v ON_ERROR_STOP=1 -c "SELECT count(*) FROM pg_database WHERE datname = '$dbname'") \
        || die "cannot connect to the PostgreSQL server of --database-url"
    if [[ "$exists" != 0 ]]; then
        ((replace)) || die "database $dbname exists already (--replace drops it, or choose --db-name)"
        log "dropping database $dbname (--replace)"
        psql "$url" -X -q -v ON_ERROR_STOP=1 -c "DROP DATABASE $dbname WITH (FORCE)" >/dev/null
    fi
    psql "$url" -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE $dbname" >/dev/null || die "CREATE DATABASE $dbname failed"

    cp -R "$BACKEND_SRC" "$dir/backend"
    chmod -R u+w "$dir/backend"
    # python-decouple reads the first .env (or settings.ini) it finds from config/settings/
    # upwards, up to /: an empty one here keeps a stray /tmp/.env (say) out of the settings.
    echo "# empty on purpose (scripts/django-backend.sh): settings come from the environment" >"$dir/backend/.env"

    {
        echo "DJANGO_SETTINGS_MODULE=config.settings.development"
        echo "DB_NAME=$dbname"
        echo "DB_USER=$user"
        echo "DB_PASSWORD=$password"
        echo "DB_HOST=$host"
        echo "DB_PORT=$dbport"
        echo "SECRET_KEY=qad-test-$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
        echo "DEBUG=True"
        echo "ALLOWED_HOSTS=localhost,127.0.0.1"
        echo "USE_SQLITE=False"
        [[ -z "$r2" ]] || echo "R2_PUBLIC_URL=$r2"
    } >"$dir/env"
    chmod 600 "$dir/env"
    echo "$python" >"$dir/python"

    log "manage.py migrate (database $dbname)"
    local t0=$SECONDS
    (
        load_env "$dir/env"
        cd "$dir/backend"
        exec "$python" manage.py migrate --noinput
    ) >"$dir/migrate.log" 2>&1 || { tail -n 30 "$dir/migrate.log" >&2; die "manage.py migrate failed (log: $dir/migrate.log)"; }
    log "migrated in $((SECONDS - t0)) s"

    local api_url="null"
    if [[ -n "$port" ]]; then
        local auto=0 attempt pid="" rc
        [[ "$port" != 0 ]] || auto=1
        for attempt in 1 2 3 4 5; do
            ((auto)) && port=$(free_port)
            if port_in_use "$port"; then ((auto)) && continue; die "port $port is in use"; fi
            rc=0
            pid=$(start_runserver "$dir" "$python" "$port") || rc=$?
            ((rc != 0)) || break
            # 2: another process took the port between the check and the bind.
            [[ $rc -eq 2 && $auto -eq 1 ]] || die "runserver failed (log: $dir/runserver.log)"
            log "port $port was taken meanwhile (attempt $attempt); another one"
            pid=""
        done
        [[ -n "$pid" ]] || die "runserver found no free port in 5 attempts"
        if [[ -n "$owner" ]]; then
            # Watchdog: stop the runserver once the owner has gone. Detached, no inherited fds.
            setsid bash -c "
                while kill -0 $owner 2>/dev/null && kill -0 $pid 2>/dev/null; do sleep 1; done
                kill $pid 2>/dev/null || true
            " </dev/null >/dev/null 2>&1 &
        fi
        api_url="\"http://127.0.0.1:$port\""
        log "runserver on http://127.0.0.1:$port (pid $pid, log $dir/runserver.log)"
    fi

    local json
    json=$("$python" -c '
import json, sys
d = dict(zip(["database_url", "db_name", "python", "backend", "env_file"], sys.argv[1:6]))
d["api_url"] = json.loads(sys.argv[6])
print(json.dumps(d))' "$db_url" "$dbname" "$python" "$dir/backend" "$dir/env" "$api_url")
    echo "$json" >"$dir/backend.json"
    echo "$json"
}

cmd_stop() {
    (($# == 1)) || usage
    local dir="$1" pid
    [[ -f "$dir/env" ]] || die "no backend in $dir"
    if pid=$(runserver_pid "$dir"); then
        kill "$pid"
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
        log "runserver (pid $pid) stopped"
    fi
    rm -f "$dir/runserver.pid"
}

cmd_manage() {
    (($# >= 1)) || usage
    local dir="$1"
    shift
    [[ -f "$dir/env" && -f "$dir/python" ]] || die "no backend in $dir (run start first)"
    local python
    python=$(cat "$dir/python")
    load_env "$dir/env"
    cd "$dir/backend"
    exec "$python" manage.py "$@"
}

case "${1:-}" in
prepare) shift; cmd_prepare "$@" ;;
start) shift; cmd_start "$@" ;;
stop) shift; cmd_stop "$@" ;;
manage) shift; cmd_manage "$@" ;;
*) usage ;;
esac
