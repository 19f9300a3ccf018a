# tests/integration/lib.sh - shared by the integration test scripts: a free
# loopback port, a daemon started and stopped by pid, and check().
tmp=$(mktemp -d)
daemon_pid=
failures=0 passed=0

cleanup() {
    for pid in $daemon_pid ${extra_pids:-}; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null
            wait "$pid" 2>/dev/null
        fi
    done
    if declare -f e2e_cleanup >/dev/null; then e2e_cleanup; fi
    if declare -f db_cleanup >/dev/null; then db_cleanup; fi
    rm -rf "$tmp"
}
trap cleanup EXIT

check() { # check DESCRIPTION EXPECTED ACTUAL
    if [ "$2" == "$3" ]; then
        passed=$((passed + 1))
    else
        failures=$((failures + 1))
        printf 'FAIL: %s\n  expected: %q\n  actual:   %q\n' "$1" "$2" "$3"
    fi
}

finish() {
    echo "$passed passed, $failures failed"
    [ "$failures" -eq 0 ]
}

# Prints a TCP port on 127.0.0.1 that nothing listens on.
free_port() {
    local p
    for _ in $(seq 1 200); do
        p=$((20000 + RANDOM % 20000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

# start_daemon CONFIG: starts dnsoracled, waits (at most 5 s) until it
# answers on $endpoint, sets daemon_pid. Its stderr goes to $tmp/daemon.log.
start_daemon() {
    "$build/oracle/dnsoracled" -c "$1" 2>>"$tmp/daemon.log" &
    daemon_pid=$!
    for _ in $(seq 1 50); do
        if "$probe" "$endpoint" send c:ping >/dev/null 2>&1; then
            return 0
        fi
        kill -0 "$daemon_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "dnsoracled did not start; its log:" >&2
    cat "$tmp/daemon.log" >&2
    return 1
}

# stop_daemon [PID]: SIGTERM to PID (default $daemon_pid), wait; sets stop_rc
# (exit status) and stop_ms.
stop_daemon() {
    local s e pid=${1:-$daemon_pid}
    s=$(date +%s%N)
    kill -TERM "$pid"
    wait "$pid"
    stop_rc=$?
    e=$(date +%s%N)
    [ "$pid" != "$daemon_pid" ] || daemon_pid=
    stop_ms=$(((e - s) / 1000000))
}
