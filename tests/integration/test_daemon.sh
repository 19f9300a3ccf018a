#!/usr/bin/env bash
# tests/integration/test_daemon.sh BUILD_DIR - dnsoracled on a free loopback
# port: verdicts, the batch form, bad input, configuration errors, SIGHUP
# reload, and SIGTERM under load.
set -uo pipefail
build=$1
probe=$build/tests/integration/dnsoracle_probe
. "$(dirname "$0")/lib.sh"

port=$(free_port)
endpoint=tcp://127.0.0.1:$port
ipc=ipc://$tmp/oracle.ipc # the same daemon on a ROUTER: the same replies
conf=$tmp/dnsoracle.conf
# [metrics] listen = : no /metrics (test_metrics.sh has its own port)
printf '[server]\nendpoints = %s %s\nthreads = 2\ncontrol_endpoint =\n[metrics]\nlisten =\n' "$endpoint" "$ipc" >"$conf"
hex=88d8de31bbea6b65722f66e3fae3a1b2c3d4e5f6.0718293a4b5c6d7e8f9051a2b3c4d5e6f7a8b9c0.example.net

# --check-config
out=$("${wrap[@]}" "$build/oracle/dnsoracled" --check-config -c "$conf" 2>&1)
check "--check-config accepts a good file" "0 $conf: ok" "$? $out"
printf '[server]\nendpoints = %s\nthreads = two\n' "$endpoint" >"$tmp/bad.conf"
out=$("${wrap[@]}" "$build/oracle/dnsoracled" --check-config -c "$tmp/bad.conf" 2>&1)
check "--check-config names file:line and key" \
    "1 dnsoracled: $tmp/bad.conf:3: threads: 'two' is not a whole number from 0 to 256" "$? $out"
out=$("${wrap[@]}" "$build/oracle/dnsoracled" -c "$tmp/bad.conf" 2>&1)
check "a bad config: refuses to start" 1 "$?"
printf '[server]\nendpoint = x\n' >"$tmp/typo.conf"
out=$("${wrap[@]}" "$build/oracle/dnsoracled" -c "$tmp/typo.conf" 2>&1)
check "unknown key refused" "dnsoracled: $tmp/typo.conf:2: endpoint: unknown key in [server]" "$out"

start_daemon "$conf" || exit 1

# Verdicts, one frame and the batch form (same order).
check "one name" "true" "$("$probe" "$endpoint" send www.example.com)"
out=$("$probe" "$endpoint" send www.example.com "$hex" mail.example.org | tr '\n' ' ')
check "batch: one reply per frame, in order" "true false true " "$out"
check "trailing dot and case" "true" "$("$probe" "$endpoint" send WWW.Example.COM.)"
check "ping" "pong" "$("$probe" "$endpoint" send c:ping)"
out=$("$probe" "$endpoint" send c:explain "$hex" | cut -f1,2)
check "explain" $'false\tcharset:hex' "$out"
out=$("$probe" "$endpoint" send c:explain www.example.com "$hex" a..b | cut -f1,2 | tr '\n' ' ')
check "explain: one answer per name, in order" $'true\tok false\tcharset:hex false\tinvalid ' "$out"

# Bad input: answered false, counted, never a crash or a stall.
out=$("$probe" "$endpoint" send "" n:300:a x:ff00802e41 "a..b" | tr '\n' ' ')
check "empty, oversize, binary, invalid" "false false false false " "$out"
out=$("$probe" "$endpoint" burst 5000 | tr '\n' ' ')
check "5000 malformed requests, then still answering" \
    "sent 5000 malformed requests, 4000 of 4000 answerable answered true false " "$out"
stats=$("$probe" "$endpoint" send c:stats)
stat() { echo "$stats" | awk -v k="$1" '$1 == k { print $2 }'; }
check "empty frames counted" yes "$([ "$(stat empty_frames)" -ge 1001 ] && echo yes)"
check "oversize frames counted" yes "$([ "$(stat oversize_frames)" -ge 1001 ] && echo yes)"
check "malformed requests counted" 1000 "$(stat malformed_requests)"
check "bad commands counted" yes "$([ "$(stat bad_commands)" -ge 1000 ] && echo yes)"
check "invalid names counted" yes "$([ "$(stat reason.invalid)" -ge 3000 ] && echo yes)"
check "stats: threads" 2 "$(stat threads)"
kill -0 "$daemon_pid"
check "still running after the burst" 0 "$?"

# A second daemon on the same port: a clear error, exit 1.
out=$("${wrap[@]}" "$build/oracle/dnsoracled" -c "$conf" 2>&1)
rc=$?
case $out in *"cannot bind $endpoint"*) ok=yes ;; *) ok="no: $out" ;; esac
check "port in use: exit 1" 1 "$rc"
check "port in use: names the endpoint" yes "$ok"

# An endpoint other hosts could reach: refused (no authentication yet).
for ep in "tcp://*:$port" "tcp://0.0.0.0:$port" "tcp://eth0:$port"; do
    printf '[server]\nendpoints = %s\n[database]\nenabled = false\n' "$ep" >"$tmp/remote.conf"
    out=$("${wrap[@]}" "$build/oracle/dnsoracled" -c "$tmp/remote.conf" 2>&1)
    check "$ep refused: exit 1 and why" "1 yes" \
        "$? $(case $out in *"$ep: not a loopback or ipc endpoint"*) echo yes ;; esac)"
done

# SIGHUP: a new allow list and max_batch take effect; a bad file is refused
# and the running configuration kept.
check "before reload" false "$("$probe" "$endpoint" send "$hex")"
printf '[server]\nendpoints = %s %s\nthreads = 2\nmax_batch = 2\ncontrol_endpoint =\n[engine]\nallow = example.net\n[metrics]\nlisten =\n' \
    "$endpoint" "$ipc" >"$conf"
kill -HUP "$daemon_pid"
nap 0.5
check "after reload: allow list applied" true "$("$probe" "$endpoint" send "$hex")"
out=$("$probe" "$endpoint" send a.example.com b.example.com "$hex" | tr '\n' ' ')
check "after reload: max_batch 2, the third frame overflows" "true true false " "$out"
printf '[engine]\nmax_hex = lots\n' >"$conf"
kill -HUP "$daemon_pid"
nap 0.5
check "bad reload: old configuration kept" true "$("$probe" "$endpoint" send "$hex")"
stats=$("$probe" "$endpoint" send c:stats)
check "reloads counted" "1 1" "$(stat reloads) $(stat reload_failures)"
check "overflow counted" 1 "$(stat overflow_frames)"
# Frames past max_batch are answered by the protocol, as the request's kind
# answers them, not by a bare false each: a command gets its one reply, and
# \0explain its explain form.
out=$("$probe" "$endpoint" send c:ping a.example.com b.example.com c.example.com | tr '\n' ' ')
check "past max_batch: ping still gets one reply" "pong " "$out"
out=$("$probe" "$endpoint" send c:explain a.example.com b.example.com c.example.com)
check "past max_batch: explain keeps its form, max_batch names explained" "3 1" \
    "$(echo "$out" | wc -l) $(echo "$out" | grep -c "^false"$'\t'"overflow")"
# Every front keeps the same frames of a request (the command frame and
# max_batch after it): tcp:// (the STREAM front) and ipc:// (a ROUTER) give
# the same replies.
for req in "c:explain a.example.com b.example.com c.example.com" \
    "a.example.com b.example.com $hex x.example.com" "c:ping a.example.com b.example.com c.example.com"; do
    # shellcheck disable=SC2086 # the request's frames
    check "tcp and ipc agree: $req" "$("$probe" "$ipc" send $req | cut -f1,2 | tr '\n' ' ')" \
        "$("$probe" "$endpoint" send $req | cut -f1,2 | tr '\n' ' ')"
done
grep -q "reload refused, keeping the running configuration: $conf:2: max_hex" "$tmp/daemon.log"
check "bad reload logged with file:line" 0 "$?"
grep -q "verdict: false 88d8de31bbea" "$tmp/daemon.log"
check "false verdicts are logged with the name" 0 "$?"

# max_connections: three connections held open, a fourth is closed at once
# and counted; once one ends, new ones are served again.
printf '[server]\nendpoints = %s %s\nthreads = 2\nmax_connections = 3\ncontrol_endpoint =\n[metrics]\nlisten =\n' \
    "$endpoint" "$ipc" >"$conf"
kill -HUP "$daemon_pid"
nap 0.5
exec 3<>"/dev/tcp/127.0.0.1/$port" 4<>"/dev/tcp/127.0.0.1/$port" 5<>"/dev/tcp/127.0.0.1/$port"
nap 0.3
check "past max_connections: refused" "no reply" "$("$probe" "$endpoint" send c:ping)"
exec 5>&-
nap 0.3
check "under max_connections again: served" pong "$("$probe" "$endpoint" send c:ping)"
stats=$("$probe" "$endpoint" send c:stats)
check "refusals counted, connections open shown" "yes 3" \
    "$([ "$(stat connections_refused)" -ge 1 ] && echo yes) $(stat tcp_connections)"
exec 3>&- 4>&-
printf '[server]\nendpoints = %s %s\nthreads = 2\ncontrol_endpoint =\n[metrics]\nlisten =\n' "$endpoint" "$ipc" >"$conf"
kill -HUP "$daemon_pid"
nap 0.5

# SIGTERM under load: every request sent before the signal is answered, the
# daemon exits 0 within 2 s (times $slow).
"$probe" "$endpoint" term "$daemon_pid" 8 1000 >"$tmp/term.out" &
probe_pid=$!
sleep 0.95
stop_daemon
rc=$stop_rc ms=$stop_ms
wait "$probe_pid"
cat "$tmp/term.out"
check "SIGTERM under load: exit 0" 0 "$rc"
check "SIGTERM under load: gone within $((2 * slow)) s ($ms ms)" yes \
    "$([ "$ms" -lt $((2000 * slow)) ] && echo yes)"
grep -q ", 0 unanswered;" "$tmp/term.out"
check "SIGTERM under load: nothing sent before it unanswered" 0 "$?"
check "SIGTERM under load: requests were flowing" no \
    "$(grep -q "before SIGTERM: 0 sent" "$tmp/term.out" && echo yes || echo no)"

# An empty configuration is every default: 127.0.0.1:5555 (when free).
if (exec 3<>/dev/tcp/127.0.0.1/5555) 2>/dev/null; then
    echo "port 5555 in use here: skipping the -c /dev/null default-port check"
else
    endpoint=tcp://127.0.0.1:5555
    start_daemon /dev/null || exit 1
    check "-c /dev/null answers on 127.0.0.1:5555" true "$("$probe" "$endpoint" send www.example.com)"
    stop_daemon
    check "-c /dev/null: clean exit" 0 "$stop_rc"
fi
finish
