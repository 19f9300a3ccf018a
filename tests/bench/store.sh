#!/usr/bin/env bash
# tests/bench/store.sh [BUILD_DIR] [NAMES] - how fast good names reach a
# local MariaDB through dnsoracled: a private MariaDB (started here, as in the
# integration tests), the daemon with a queue big enough for the whole run,
# and dnsoracle_bench sending NAMES distinct new names (default 300000) in
# batches of 100 from 4 clients. Prints the rate at which the client was
# answered and the rate at which rows reached the table (the figure that
# counts: target at least 20000 names/s sustained), and the queue overflow.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
total=${2:-300000}
probe=$build/tests/integration/dnsoracle_probe
bench=$build/tests/bench/dnsoracle_bench
. "$top/tests/integration/lib.sh"
. "$top/tests/integration/mariadb.sh"
for b in "$probe" "$bench" "$build/oracle/dnsoracled"; do
    [ -x "$b" ] || {
        echo "store.sh: $b missing: configure with the tests on and build" \
            "(cmake -B $build -DCMAKE_BUILD_TYPE=Release && cmake --build $build)" >&2
        exit 2
    }
done
command -v mariadbd >/dev/null || { echo "store.sh: needs mariadb-server: skipped" >&2; exit 77; }
db_start && db_setup || exit 1
port=$(free_port)
endpoint=tcp://127.0.0.1:$port
{
    printf '[server]\nendpoints = %s\ncontrol_endpoint =\nlog_level = warning\n' "$endpoint"
    printf '[metrics]\nlisten =\n'
    db_config
    printf 'queue_size = %s\n' $((total + 1000))
} >"$tmp/conf"
start_daemon "$tmp/conf" || exit 1
rows() { db_sql dns -e "SELECT COUNT(*) FROM names WHERE registrable = 'bench.test'"; }
now() { date +%s%N; }

s=$(now)
line=$("$bench" -e "$endpoint" -c 4 -b 100 -n $((total / 100)) -d 300 -g bench.test)
sent=$(now)
echo "client: $line"
# Every good name is stored; false verdicts (a few generated names look
# random enough) are not.
want=$((total - $(echo "$line" | sed 's/.* false \([0-9]*\).*/\1/')))
n=0
for _ in $(seq 1 1200); do # at most 120 s
    n=$(rows)
    [ "$n" -ge "$want" ] && break
    sleep 0.1
done
e=$(now)
stats=$("$probe" "$endpoint" send c:stats)
stat() { echo "$stats" | awk -v k="$1" '$1 == k { print $2 }'; }
echo "rows: $n of $want good names ($total sent) in $(((e - s) / 1000000)) ms (the client was answered in $(((sent - s) / 1000000)) ms)"
echo "names_stored $(stat names_stored) names_refused_by_database $(stat names_refused_by_database) queue_overflow $(stat queue_overflow)"
awk -v n="$n" -v ms=$(((e - s) / 1000000)) \
    'BEGIN { printf "names stored per second: %.0f (target at least 20000)\n", n * 1000 / ms }'
[ "$n" -ge "$want" ]
