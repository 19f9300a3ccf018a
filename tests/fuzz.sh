#!/usr/bin/env bash
# tests/fuzz.sh [SECONDS] [BUILD_DIR] - builds the libFuzzer harnesses of
# tests/fuzz/ with Clang and runs each one for SECONDS (default 10).
#
# BUILD_DIR (default build-fuzz) is configured with CC=clang and
# -DDNSORACLE_FUZZ=ON. Each harness fuzzes a fresh copy of its seeds
# (tests/fuzz/corpus/<harness>/, never written to) in BUILD_DIR/fuzz/<harness>/,
# which also holds its log, its temporary files and any crash input. For each
# harness the script prints the executions and the coverage of libFuzzer's
# final statistics; it exits 1 if any harness crashed, after printing the
# path of the crash input and the end of the log (the sanitizer's stack).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
seconds=${1:-10}
build=${2:-$top/build-fuzz}
case $seconds in
'' | *[!0-9]*)
    echo "usage: tests/fuzz.sh [SECONDS] [BUILD_DIR]" >&2
    exit 2
    ;;
esac
mkdir -p "$build"
build=$(cd "$build" && pwd)

# harness:max_len. Names go a little past NAME_MAX_INPUT (1024), where
# name_parse() stops reading: a 253-byte name written with \DDD escapes is
# 1012 bytes. Configuration and model files: the shipped examples fit.
# Protocol inputs: 4096 bytes, one ZeroMQ frame's limit (ZMQ_MAXMSGSIZE),
# holds an oversize frame, batches past max_batch (8 in the harness) and
# over a hundred explain replies.
harnesses=(name:1100 engine:1100 config:8192 model:8192 protocol:4096 zmtp:8192)

echo "== configuring $build (clang, fuzz harnesses)"
CC=${FUZZ_CC:-clang} cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DDNSORACLE_FUZZ=ON -DDNSORACLE_TESTS=OFF -DDNSORACLE_LUA=OFF >"$build/configure.log" 2>&1 || {
    cat "$build/configure.log" >&2
    exit 2
}
targets=()
for h in "${harnesses[@]}"; do
    targets+=("fuzz_${h%%:*}")
done
echo "== building ${targets[*]}"
if ! cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"; then
    echo "tests/fuzz.sh: the build failed (is add_subdirectory(tests/fuzz) in CMakeLists.txt?)" >&2
    exit 2
fi

# UBSan stops at its first report (-fno-sanitize-recover); with a stack.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

failed=()
summary=()
for h in "${harnesses[@]}"; do
    name=${h%%:*}
    max_len=${h##*:}
    bin=$build/tests/fuzz/fuzz_$name
    work=$build/fuzz/$name
    rm -rf "$work"
    mkdir -p "$work/corpus" "$work/artifacts" "$work/tmp"
    cp -R "$top/tests/fuzz/corpus/$name/." "$work/corpus/"
    dict=()
    if [ -f "$top/tests/fuzz/$name.dict" ]; then
        dict=(-dict="$top/tests/fuzz/$name.dict")
    fi
    echo "== fuzz_$name: ${seconds}s, -max_len=$max_len, $(find "$work/corpus" -type f | wc -l) seeds"
    # libFuzzer stops itself after max_total_time; timeout is the backstop.
    rc=0
    TMPDIR=$work/tmp timeout --kill-after=10 $((seconds + 120)) "$bin" \
        -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$work/artifacts/" "${dict[@]}" \
        "$work/corpus" >"$work/log" 2>&1 || rc=$?

    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log" | tail -1)
    last=$(grep -E '^#[0-9]+.*cov: ' "$work/log" | tail -1 || true)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p' <<<"$last")
    result=ok
    if [ "$rc" -ne 0 ]; then
        result="FAILED (exit $rc)"
        if compgen -G "$work/artifacts/*" >/dev/null; then
            result="CRASH (exit $rc)"
        fi
        failed+=("$name")
        echo "-- fuzz_$name failed with exit status $rc; log: $work/log"
        grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|.*check failed)' "$work/log" || true
        for f in "$work"/artifacts/*; do
            [ -e "$f" ] || continue
            echo "-- crash input: $f"
            echo "   base64: $(base64 -w0 "$f")"
        done
        echo "-- end of the log:"
        tail -n 60 "$work/log"
    fi
    printf '   executions %s (%s/s), cov: %s ft: %s corp: %s: %s\n' "${execs:-?}" "${speed:-?}" \
        "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result"
    summary+=("$(printf '%-12s %12s %8s %7s %7s  %s' "fuzz_$name" "${execs:-?}" "${speed:-?}" \
        "${cov:-?}" "${ft:-?}" "$result")")
    rm -rf "$work/tmp"
done

echo "== summary (${seconds}s each)"
printf '%-12s %12s %8s %7s %7s  %s\n' harness executions exec/s cov ft result
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "tests/fuzz.sh: crashes in: ${failed[*]} (inputs under $build/fuzz/*/artifacts/)" >&2
    exit 1
fi
echo "== no crash"
