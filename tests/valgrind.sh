#!/usr/bin/env bash
# tests/valgrind.sh - the daemon's integration tests once under valgrind
# memcheck: zero errors and zero leaks, or it fails.
#
#   tests/valgrind.sh [BUILD_DIR]       (default build-valgrind, wiped first)
#
# ASan and valgrind do not mix, so this is a build of its own without
# sanitizers (Debug, tests on, no Lua hook). It runs
# tests/integration/test_daemon.sh, test_client.sh, test_storage.sh,
# test_curve.sh, test_metrics.sh (the HTTP thread of /metrics) and
# test_events.sh (the events queue, the database stopped and back) with
# DNSORACLE_WRAP set to valgrind (tests/integration/lib.sh): every dnsoracled
# they start runs under memcheck, and their waits and time limits are
# stretched ($slow). A memory error or a definite or indirect leak fails the
# test twice over: the daemon exits 99 (valgrind's --error-exitcode), which
# the scripts' exit-status checks refuse, and each script checks every log
# of its daemons (and prints the log that is not clean). At the end a table
# gives per script the daemons run, errors, bytes definitely and indirectly
# lost and the total heap usage. Logs stay in BUILD_DIR/valgrind/SCRIPT/.
#
# Extra valgrind options go in VALGRIND_OPTS (valgrind reads it), e.g.
# VALGRIND_OPTS=--track-origins=yes to find where an uninitialised value
# came from. No suppression file: the daemon frees every block at exit, the
# libraries' included. A report in our code is fixed, never suppressed; one
# genuinely inside libzmq, libmariadb, libpsl or libsystemd would go in
# tests/valgrind.supp (--suppressions=) with a comment saying why.
set -uo pipefail
shopt -s nullglob
cd "$(dirname "$0")/.." || exit 2
top=$(pwd)
build=${1:-$top/build-valgrind}
case $build in /*) ;; *) build=$top/$build ;; esac
scripts=(test_daemon test_client test_storage test_curve test_metrics test_events)

if ! command -v valgrind >/dev/null; then
    echo "tests/valgrind.sh: valgrind is not installed (apt-get install valgrind)" >&2
    exit 2
fi

start=$(date +%s)
rm -rf "$build"
echo "== configuring $build (no sanitizers, for valgrind)"
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DDNSORACLE_SANITIZE=OFF \
    -DDNSORACLE_TESTS=ON -DDNSORACLE_LUA=OFF >/dev/null || exit 1
echo "== building"
cmake --build "$build" -j"$(nproc)" >/dev/null || exit 1

# summary LOG...: daemons, errors, bytes definitely and indirectly lost,
# allocations and bytes allocated, summed over the logs; a log without an
# ERROR SUMMARY (a daemon still running, or killed) counts as one error.
summary() {
    awk '
        FNR == 1 { daemons++; finished[FILENAME] = 0 }
        /ERROR SUMMARY:/ { finished[FILENAME] = 1; errors += n($4) }
        /definitely lost:/ { definite += n($4) }
        /indirectly lost:/ { indirect += n($4) }
        /total heap usage:/ { allocs += n($5); bytes += n($9) }
        function n(s) { gsub(/,/, "", s); return s + 0 }
        END {
            for (f in finished) errors += !finished[f]
            printf "%d %d %.0f %.0f %.0f %.0f\n", daemons, errors, definite, indirect, allocs, bytes
        }' "$@" /dev/null
}

failed=0
declare -A result figures seconds
for t in "${scripts[@]}"; do
    logs=$build/valgrind/$t
    mkdir -p "$logs"
    echo "== $t.sh, dnsoracled under valgrind memcheck"
    s=$(date +%s)
    DNSORACLE_WRAP="valgrind --error-exitcode=99 --leak-check=full \
--show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
--num-callers=30 --log-file=$logs/dnsoracled.%p.log" \
        "$top/tests/integration/$t.sh" "$build"
    rc=$?
    seconds[$t]=$(($(date +%s) - s))
    figures[$t]=$(summary "$logs"/*.log)
    read -r daemons errors _ <<<"${figures[$t]}"
    if [ "$rc" -eq 77 ]; then
        result[$t]=skipped
    elif [ "$rc" -ne 0 ] || [ "$errors" -ne 0 ] || [ "$daemons" -eq 0 ]; then
        result[$t]=FAILED
        failed=1
    else
        result[$t]=passed
    fi
done

echo "== valgrind memcheck summary (logs in $build/valgrind)"
printf '%-13s %-7s %7s %6s %17s %17s %9s %15s %6s\n' script result daemons errors \
    "definitely lost" "indirectly lost" allocs "bytes allocated" time
for t in "${scripts[@]}"; do
    read -r daemons errors definite indirect allocs bytes <<<"${figures[$t]}"
    printf '%-13s %-7s %7s %6s %17s %17s %9s %15s %5ss\n' "$t" "${result[$t]}" "$daemons" \
        "$errors" "$definite bytes" "$indirect bytes" "$allocs" "$bytes" "${seconds[$t]}"
done
echo "total $(($(date +%s) - start)) s"
if [ "$failed" -ne 0 ]; then
    echo "tests/valgrind.sh: FAILED (see the logs above)" >&2
    exit 1
fi
echo "== no memory errors, no leaks"
