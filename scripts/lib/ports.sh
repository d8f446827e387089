# ports.sh: free loopback ports for the throw-away servers (sourced by pg-throwaway.sh and
# django-backend.sh, which define `die`).

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

free_port() {
    local p
    for _ in $(seq 1 200); do
        p=$((20000 + RANDOM % 40000))
        if ! port_in_use "$p"; then echo "$p"; return 0; fi
    done
    die "no free port found"
}
