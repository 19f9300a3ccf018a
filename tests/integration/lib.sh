# tests/integration/lib.sh - shared by the integration test scripts: a free
# loopback port, a daemon started and stopped by pid, and check().
#
# DNSORACLE_WRAP runs every dnsoracled of a test under a command (split on
# spaces into ${wrap[@]}) that execs the daemon in place, so that its pid is
# the daemon's and signals reach it: tests/valgrind.sh sets it to valgrind
# memcheck with --error-exitcode=99 and --log-file=DIR/NAME.%p.log. A
# wrapper slows the daemon down, so every wait and time limit that depends
# on the daemon is multiplied by $slow, a whole number: 1 without a wrapper,
# 10 with one (DNSORACLE_SLOW overrides; dnsoracle_probe reads it too). With
# --log-file in the wrapper, finish() fails the test unless every log it
# names reports no error and no leak (start each run with an empty log
# directory).
tmp=$(mktemp -d)
daemon_pid=
failures=0 passed=0
read -ra wrap <<<"${DNSORACLE_WRAP:-}"
if [ ${#wrap[@]} -gt 0 ]; then slow=${DNSORACLE_SLOW:-10}; else slow=${DNSORACLE_SLOW:-1}; fi
export DNSORACLE_SLOW=$slow

# nap SECONDS: sleep SECONDS times $slow.
nap() {
    sleep "$(awk -v s="$1" -v k="$slow" 'BEGIN { print s * k }')"
}

# logged PATTERN FILE: "yes" once a line matching the grep pattern is in
# FILE, waiting up to 5 s (times $slow; a log line may follow the event it
# tells of), else nothing.
logged() {
    local i
    for i in $(seq 1 $((50 * slow))); do
        grep -q -- "$1" "$2" 2>/dev/null && echo yes && return 0
        sleep 0.1
    done
    return 1
}

# module_preload MODULE: what LD_PRELOAD needs so that a program built
# without sanitizers (luajit, pdns_recursor) can load a sanitizer build's
# MODULE: its runtimes, else nothing. (ldd's whole output is read first: with
# pipefail, grep -q quitting early would make ldd die of SIGPIPE.)
module_preload() {
    local libs
    libs=$(ldd "$1")
    if [[ $libs == *libasan* ]]; then
        echo "$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)"
    fi
}

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

# wrap_check: one check per valgrind log of this test (see the top); prints
# a log that reports an error or a leak, or that has no summary (a daemon not
# stopped, or killed).
wrap_check() {
    local w pattern log clean
    pattern=
    for w in "${wrap[@]}"; do
        case $w in --log-file=*) pattern=${w#--log-file=} ;; esac
    done
    [ -n "$pattern" ] || return 0
    for log in ${pattern//%p/*}; do
        [ -e "$log" ] || continue
        clean=no
        if [ "$(grep -c 'ERROR SUMMARY: 0 errors' "$log")" -eq 1 ] &&
            { [ "$(grep -c 'All heap blocks were freed' "$log")" -eq 1 ] ||
                [ "$(grep -cE '(definitely|indirectly) lost: 0 bytes' "$log")" -eq 2 ]; }; then
            clean=yes
        fi
        check "valgrind: no error, no leak in $log ($(sed -n 's/^==[0-9]*== Command: //p' "$log"))" \
            yes "$clean"
        [ "$clean" = yes ] || cat "$log"
    done
}

finish() {
    wrap_check
    echo "$passed passed, $failures failed"
    [ "$failures" -eq 0 ]
}

# Prints a TCP port on 127.0.0.1 that nothing listens on, below the
# kernel's ephemeral range (net.ipv4.ip_local_port_range): a client that
# connects again and again to a port in that range before its daemon has
# bound it (start_daemon's probe, under valgrind for seconds) can be given
# that same port as its source port and connect to itself (TCP simultaneous
# open), and the daemon's bind then fails with "Address already in use".
free_port() {
    local p lo=32768
    read -r lo _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
    [ "$lo" -gt 12000 ] || lo=32768
    for _ in $(seq 1 200); do
        p=$((10000 + RANDOM % (lo - 10000)))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

# start_daemon CONFIG: starts dnsoracled, waits (at most 5 s times $slow)
# until it answers on $endpoint, sets daemon_pid. Its stderr goes to
# $tmp/daemon.log.
start_daemon() {
    "${wrap[@]}" "$build/oracle/dnsoracled" -c "$1" 2>>"$tmp/daemon.log" &
    daemon_pid=$!
    for _ in $(seq 1 $((50 * slow))); do
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
# (exit status: 99 is valgrind's for an error or a leak) and stop_ms.
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
