#!/usr/bin/env bash
# tests/bench/server.sh [BUILD_DIR] [SECONDS] [CLIENTS] - dnsoracled against
# the echo server built from its own code (dnsoracle_echo), under the same
# load in the same run: CLIENTS synchronous clients (default 8), one name per
# request, SECONDS per round (default 5), two rounds each, alternating so
# that a noisy neighbour hurts both. No database (the storage benchmark is
# tests/bench/store.sh). Prints each round, then the ratio of the best rounds.
# Names: ../shared/data when present (benign and tunnel mixed), else a
# built-in mix.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
seconds=${2:-5}
clients=${3:-8}
bench=$build/tests/bench/dnsoracle_bench
for b in "$bench" "$build/tests/bench/dnsoracle_echo" "$build/oracle/dnsoracled"; do
    [ -x "$b" ] || {
        echo "server.sh: $b missing: configure with the tests on and build" \
            "(cmake -B $build -DCMAKE_BUILD_TYPE=Release && cmake --build $build)" >&2
        exit 2
    }
done
# $tmp, free_port, and the daemon stopped at exit
. "$top/tests/integration/lib.sh"

names=()
for f in "$top"/../shared/data/benign/*.txt "$top"/../shared/data/tunnel/*.txt; do
    [ -f "$f" ] && names+=("$f")
done
if [ ${#names[@]} -eq 0 ]; then
    for i in $(seq 1 500); do
        echo "www$i.example.com"
        echo "mail.host$i.example.co.uk"
        printf 't%08x%08x.%08x.example.net\n' "$i" $((i * 7919)) $((i * 104729))
    done >"$tmp/names"
    names=("$tmp/names")
fi

port=$(free_port)
printf '[server]\nendpoints = tcp://127.0.0.1:%s\nlog_level = warning\n[database]\nenabled = false\n[metrics]\nlisten =\n' \
    "$port" >"$tmp/conf"
round() { # round PROGRAM: prints the bench line
    "$1" -c "$tmp/conf" 2>>"$tmp/server.log" &
    daemon_pid=$!
    for _ in $(seq 1 50); do
        "$bench" -e "tcp://127.0.0.1:$port" -c 1 -n 1 -t 100 "${names[@]}" >/dev/null 2>&1 && break
        sleep 0.1
    done
    "$bench" -e "tcp://127.0.0.1:$port" -c "$clients" -d "$seconds" "${names[@]}"
    kill -TERM "$daemon_pid"
    wait "$daemon_pid" || true
    daemon_pid=
}
rps() { sed 's/.*requests_per_second \([0-9]*\).*/\1/'; }
best_echo=0 best_daemon=0
for r in 1 2; do
    e=$(round "$build/tests/bench/dnsoracle_echo")
    echo "echo       round $r: $e"
    d=$(round "$build/oracle/dnsoracled")
    echo "dnsoracled round $r: $d"
    [ "$(echo "$e" | rps)" -gt "$best_echo" ] && best_echo=$(echo "$e" | rps) && echo_line=$e
    [ "$(echo "$d" | rps)" -gt "$best_daemon" ] && best_daemon=$(echo "$d" | rps) && daemon_line=$d
done
p99=$(echo "$daemon_line" | sed 's/.*p99_us \([0-9]*\).*/\1/')
echo "dnsoracled/echo throughput at $clients clients: $best_daemon/$best_echo =" \
    "$(awk -v a="$best_daemon" -v b="$best_echo" 'BEGIN { printf "%.1f%%", 100 * a / b }')" \
    "(target at least 80%); dnsoracled p99 ${p99} us (target under 1000)"
