#!/usr/bin/env bash
# tests/bench/recursor.sh [BUILD_DIR] [SECONDS] - pdns-recursor with the
# dnsoracle hook against the same recursor with a hook that does nothing,
# measured with dnsperf in the same run: nsd serves the names (a wildcard
# under words.example.test), the recursor's packet cache is off, and the
# record cache starts empty at every round. Two query mixes:
#   new   every name new (none in any cache),
#   half  half of the queries repeat an earlier name;
# four hooks: trivial (tests/e2e/trivial.lua), qname (tests/bench/qname.lua:
# only reads the name, the least a name-based hook costs), dnsoracle with query = local
# (the default: in-process engine, every name reported to the oracle in
# batches, with its type and client),
# dnsoracle with query = oracle (one round trip per name not in the cache).
# dnsoracled runs without a database (this measures the query path). Prints
# queries per second of each round and the ratios to the trivial hook.
# Needs root (the test bed binds port 53 on a loopback address), nsd,
# pdns-recursor, dnsperf.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
seconds=${2:-10}
probe=$build/tests/integration/dnsoracle_probe
. "$top/tests/integration/lib.sh"
for p in nsd pdns_recursor dnsperf; do
    command -v "$p" >/dev/null || { echo "recursor.sh: $p not installed: skipped"; exit 77; }
done
[ "$(id -u)" -eq 0 ] || { echo "recursor.sh: needs root: skipped"; exit 77; }
for b in "$probe" "$build/oracle/dnsoracled" "$build/lua/dnsoracle_c.so"; do
    [ -e "$b" ] || {
        echo "recursor.sh: $b missing: configure with the tests on and build" \
            "(cmake -B $build -DCMAKE_BUILD_TYPE=Release && cmake --build $build)" >&2
        exit 2
    }
done
. "$top/tests/e2e/components.sh"

port=$(free_port)
endpoint=tcp://127.0.0.1:$port
# The domain layer out of the way: dnsperf is one client asking hundreds of
# thousands of distinct names under words.example.test, which the bits
# budget (500000 bits an hour for a domain of 3 clients or fewer; about 7800
# of these names) rightly takes for a channel: the domain would be cut off
# in the first round, and the query = oracle rounds would measure refusals
# (and the recursor_start check, www.example.test, fail). This measures the
# query path, not the rule.
printf '[server]\nendpoints = %s\ncontrol_endpoint =\nlog_level = warning\n[database]\nenabled = false\n[droplist]\nbits_budget = 1000000000000\n[metrics]\nlisten =\n[hook]\nendpoint = %s\n' \
    "$endpoint" "$endpoint" >"$tmp/oracle.conf"
start_daemon "$tmp/oracle.conf" || exit 1
nsd_start || exit 1
export DNSORACLE_LUA_CPATH="$build/lua/?.so"

# Enough new names for the fastest round: 40000 per second.
n=$((seconds * 40000))
awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "host%d.words.example.test A\n", i }' >"$tmp/new.txt"
awk -v n="$n" 'BEGIN { srand(7); for (i = 0; i < n; i++)
        if (i % 2) printf "host%d.words.example.test A\n", 2 * int(rand() * (i / 2))
        else printf "host%d.words.example.test A\n", i }' >"$tmp/half.txt"

round() { # round HOOK QUERY MIX: queries per second into $tmp/qps (not in a
    # subshell: rec_pid must stay in this shell)
    local hook=$1 query=$2 mix=$3
    cp "$tmp/oracle.conf" "$tmp/hook.conf"
    printf 'query = %s\n' "$query" >>"$tmp/hook.conf"
    [ -n "$rec_pid" ] && recursor_stop
    : >"$tmp/qps"
    DNSORACLE_CONF=$tmp/hook.conf recursor_start "$hook" || return 1
    dnsperf -s 127.0.0.1 -p "$rec_port" -d "$tmp/$mix.txt" -l "$seconds" -c 4 -q 200 -t 2 \
        >"$tmp/dnsperf.out" 2>&1
    sed -n 's/^ *Queries per second: *\([0-9]*\).*/\1/p' "$tmp/dnsperf.out" >"$tmp/qps"
}
declare -A qps
for mix in new half; do
    for hook in trivial qname local oracle; do
        case $hook in
        trivial) round "$top/tests/e2e/trivial.lua" local "$mix" ;;
        qname) round "$top/tests/bench/qname.lua" local "$mix" ;;
        *) round "$top/lua/dnsoracle.lua" "$hook" "$mix" ;;
        esac
        q=$(cat "$tmp/qps")
        qps[$hook.$mix]=${q:-0}
        echo "$mix names, $hook hook: ${q:-failed} queries/s"
    done
done
for mix in new half; do
    for hook in qname local oracle; do
        awk -v a="${qps[$hook.$mix]}" -v b="${qps[trivial.$mix]}" -v h="$hook" -v m="$mix" \
            'BEGIN { printf "ratio %s/trivial, %s names: %.1f%%\n", h, m, (b > 0 ? 100 * a / b : 0) }'
    done
done
echo "(targets: at least 50% with new names, 90% with half repeated)"
