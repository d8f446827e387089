#!/usr/bin/env bash
# pg-throwaway.sh: a throw-away PostgreSQL cluster for tests, nothing else.
#
#   scripts/pg-throwaway.sh start DIR [--owner-pid PID]
#       Creates a cluster in DIR (initdb runs as the `postgres` OS user, since initdb refuses
#       root), starts it on a free port on 127.0.0.1 with its unix socket in DIR and TLS on
#       (a throw-away CA in DIR/tls/ca.crt signs a server certificate for `localhost` only),
#       creates a password-protected superuser role for the tests and prints its URL,
#       postgres://qad_test:<password>@127.0.0.1:<port>/postgres, on stdout (and in DIR/url).
#       A second role, qad_test_tls (same password, not superuser), may connect over TLS only.
#       With --owner-pid, a watchdog stops the cluster and removes DIR once PID has exited.
#   scripts/pg-throwaway.sh stop DIR [--remove]
#       Stops the cluster (fast shutdown); --remove deletes DIR afterwards.
#
# Installs the `postgresql` (and `openssl`) Debian packages when they are absent. Must run as
# root (or as the postgres user). Everything it makes lives in DIR; nothing else is touched.
set -euo pipefail

die() { echo "pg-throwaway: $*" >&2; exit 1; }
log() { echo "pg-throwaway: $*" >&2; }

usage() {
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

find_bindir() {
    local d
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -n "$d" && -x "$d/initdb" ]]; then echo "$d"; fi
}

ensure_packages() {
    local need=()
    [[ -n "$(find_bindir)" ]] || need+=(postgresql)
    command -v openssl >/dev/null 2>&1 || need+=(openssl)
    if ((${#need[@]})); then
        [[ $(id -u) -eq 0 ]] || die "missing ${need[*]} and not root: install them first"
        log "installing ${need[*]} (apt-get)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >&2
        apt-get install -y -qq "${need[@]}" >&2
    fi
    [[ -n "$(find_bindir)" ]] || die "no initdb under /usr/lib/postgresql/*/bin after install"
}

# Runs a command as the postgres OS user (directly when we already are that user).
as_pg() {
    if [[ $(id -un) == postgres ]]; then "$@"; else runuser -u postgres -- "$@"; fi
}

# shellcheck source=lib/ports.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/ports.sh"

make_tls() {
    local tls="$1"
    mkdir -p "$tls"
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=qad-migrate throw-away test CA" \
        -keyout "$tls/ca.key" -out "$tls/ca.crt" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        >/dev/null 2>&1 || die "openssl could not make the test CA"
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
        -keyout "$tls/server.key" -out "$tls/server.csr" >/dev/null 2>&1 || die "openssl csr failed"
    printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost\n' >"$tls/server.ext"
    openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" -CAcreateserial \
        -days 30 -sha256 -extfile "$tls/server.ext" -out "$tls/server.crt" >/dev/null 2>&1 \
        || die "openssl could not sign the server certificate"
    chmod 600 "$tls/server.key" "$tls/ca.key"
}

cmd_start() {
    local dir="" owner=""
    while (($#)); do
        case "$1" in
        --owner-pid) owner="${2:-}"; shift 2 ;;
        -*) usage ;;
        *) [[ -z "$dir" ]] || usage; dir="$1"; shift ;;
        esac
    done
    [[ -n "$dir" ]] || usage
    ensure_packages
    local bin
    bin=$(find_bindir)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd -P)
    [[ ! -e "$dir/data" ]] || die "$dir/data exists already; use a new directory"
    # The postgres user must be able to reach DIR: every parent needs the x bit for others.
    local p="$dir"
    while [[ "$p" != "/" ]]; do
        p=$(dirname "$p")
        [[ -x "$p" ]] && as_pg test -x "$p" || die "the postgres user cannot enter $p; use a directory under /tmp"
    done

    local password
    password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
    make_tls "$dir/tls"
    chown -R postgres: "$dir"
    chmod 700 "$dir"

    as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
        -E UTF8 --locale=C.UTF-8 --no-instructions >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; die "initdb failed"; }

    # qad_test_tls may only connect over TLS: lets tests prove that a connection was encrypted.
    { printf 'hostnossl all qad_test_tls 0.0.0.0/0 reject\nhostnossl all qad_test_tls ::/0 reject\n'; cat "$dir/data/pg_hba.conf"; } >"$dir/pg_hba.new"
    mv "$dir/pg_hba.new" "$dir/data/pg_hba.conf"
    chown postgres: "$dir/data/pg_hba.conf"

    local port="" attempt
    for attempt in 1 2 3 4 5; do
        port=$(free_port)
        cat >"$dir/data/postgresql.auto.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
ssl = on
ssl_cert_file = '$dir/tls/server.crt'
ssl_key_file = '$dir/tls/server.key'
log_min_messages = warning
EOF
        chown postgres: "$dir/data/postgresql.auto.conf"
        if as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null 2>&1; then
            break
        fi
        log "start on port $port failed (attempt $attempt); see $dir/server.log"
        port=""
    done
    [[ -n "$port" ]] || { tail -n 20 "$dir/server.log" >&2 || true; die "the server did not start"; }

    as_pg "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres -d postgres \
        -c "CREATE ROLE qad_test LOGIN SUPERUSER PASSWORD '$password'" \
        -c "CREATE ROLE qad_test_tls LOGIN PASSWORD '$password'" >/dev/null \
        || die "could not create the test role"

    local url="postgres://qad_test:${password}@127.0.0.1:${port}/postgres"
    echo "$url" >"$dir/url"
    echo "$port" >"$dir/port"
    echo "$bin" >"$dir/bindir"
    chmod 600 "$dir/url"

    if [[ -n "$owner" ]]; then
        # Watchdog: stop and remove the cluster when the owning process is gone. Detached, with
        # no inherited descriptors, so that a caller reading our stdout sees EOF at once.
        setsid bash -c "
            while kill -0 $owner 2>/dev/null; do sleep 1; done
            runuser -u postgres -- '$bin/pg_ctl' -D '$dir/data' -m immediate stop >/dev/null 2>&1 || true
            rm -rf '$dir'
        " </dev/null >/dev/null 2>&1 &
    fi
    log "cluster in $dir on 127.0.0.1:$port (socket in $dir; CA $dir/tls/ca.crt)"
    echo "$url"
}

cmd_stop() {
    local dir="" remove=0
    while (($#)); do
        case "$1" in
        --remove) remove=1; shift ;;
        -*) usage ;;
        *) [[ -z "$dir" ]] || usage; dir="$1"; shift ;;
        esac
    done
    [[ -n "$dir" && -d "$dir/data" ]] || die "no cluster in ${dir:-(none given)}"
    local bin
    bin=$(cat "$dir/bindir" 2>/dev/null || find_bindir)
    if [[ -f "$dir/data/postmaster.pid" ]]; then
        as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || die "pg_ctl stop failed"
    fi
    if ((remove)); then rm -rf "$dir"; fi
    log "stopped $dir"
}

case "${1:-}" in
start) shift; cmd_start "$@" ;;
stop) shift; cmd_stop "$@" ;;
*) usage ;;
esac
