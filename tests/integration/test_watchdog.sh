#!/usr/bin/env bash
# tests/integration/test_watchdog.sh BUILD_DIR - dnsoracled tells systemd
# WATCHDOG=1 only while every thread on the request path answers: a worker
# made to hang (testhook.h: a request named hang.test keeps it away from its
# sockets for 4 s) stops the pings, and they come back once it is free. The
# daemon runs with NOTIFY_SOCKET on a unix datagram socket that a small
# python3 reader records, each message with the time it came, and with
# WATCHDOG_USEC set as systemd sets it for WatchdogSec=.
set -uo pipefail
build=$1
probe=$build/tests/integration/dnsoracle_probe
client=$build/client/dnsoracle_client
. "$(dirname "$0")/lib.sh"

if ! grep -q '^DNSORACLE_TESTING:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null; then
    echo "test_watchdog.sh: no test hooks in $build (DNSORACLE_TESTING off): skipped"
    exit 77
fi
command -v python3 >/dev/null || {
    echo "test_watchdog.sh: python3 missing: skipped"
    exit 77
}

port=$(free_port)
endpoint=tcp://127.0.0.1:$port
conf=$tmp/dnsoracle.conf
printf '[server]\nendpoints = %s\nthreads = 2\ncontrol_endpoint =\n[database]\nenabled = false\n[metrics]\nlisten =\n' \
    "$endpoint" >"$conf"

# The notify reader: one line per datagram, "SECONDS FIELD FIELD...", with
# CLOCK_MONOTONIC seconds; it ends after 60 s whatever happens.
cat >"$tmp/notify.py" <<'PY'
import os, socket, sys, time
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(1.0)
end = time.monotonic() + 60
with open(out, "a", buffering=1) as f:
    while time.monotonic() < end:
        try:
            data = s.recv(4096)
        except socket.timeout:
            continue
        fields = [l.split("=")[0] + ("=1" if l == "WATCHDOG=1" else "") for l in data.decode().split("\n") if l]
        f.write("%.3f %s\n" % (time.monotonic(), " ".join(fields)))
PY
now() { python3 -c 'import time; print("%.3f" % time.monotonic())'; }
python3 "$tmp/notify.py" "$tmp/notify" "$tmp/notify.log" &
extra_pids=$!
for _ in $(seq 1 50); do [ -S "$tmp/notify" ] && break; sleep 0.1; done

# pings (WATCHDOG=1 lines) between two times
pings() { awk -v a="$1" -v b="$2" '$1 >= a && $1 <= b && / WATCHDOG=1/' "$tmp/notify.log" | wc -l; }

export NOTIFY_SOCKET=$tmp/notify WATCHDOG_USEC=3000000
export DNSORACLE_TEST_HANG_NAME=hang.test DNSORACLE_TEST_HANG_MS=4000
start_daemon "$conf" || exit 1
unset NOTIFY_SOCKET WATCHDOG_USEC DNSORACLE_TEST_HANG_NAME DNSORACLE_TEST_HANG_MS
t=$(now)
nap 2.5
check "every thread answers: WATCHDOG=1 every second" yes \
    "$([ "$(pings "$t" "$(now)")" -ge 2 ] && echo yes)"

# One worker hangs for 4 s: no WATCHDOG=1 from 0.7 s after it got the
# request (a ping sent before it may still be answered within 500 ms) until
# it is free again.
t0=$(now)
"$client" -t 10000 -e "$endpoint" hang.test >"$tmp/hang.out" 2>&1 &
hang_pid=$!
sleep 3.8
t1=$(now)
check "a worker hangs: no WATCHDOG=1 while it does" 0 \
    "$(pings "$(awk -v t="$t0" 'BEGIN { printf "%.3f", t + 0.7 }')" "$t1")"
check "... STATUS= still goes out every second" yes \
    "$([ "$(awk -v a="$t0" -v b="$t1" '$1 >= a && $1 <= b && / STATUS/' "$tmp/notify.log" | wc -l)" -ge 3 ] && echo yes)"
wait "$hang_pid"
check "... its request is answered once it is free" "true hang.test" "$(cat "$tmp/hang.out")"
sleep 2.5
check "free again: WATCHDOG=1 comes back" yes \
    "$([ "$(pings "$(awk -v t="$t0" 'BEGIN { printf "%.3f", t + 4.0 }')" "$(now)")" -ge 1 ] && echo yes)"
check "the worker that did not answer is named in the log" yes \
    "$(grep -q "worker [0-9] did not answer within 500 ms" "$tmp/daemon.log" && echo yes)"

stop_daemon
check "exit 0" 0 "$stop_rc"
kill "$extra_pids" 2>/dev/null
wait "$extra_pids" 2>/dev/null
extra_pids=
finish
