#!/usr/bin/env bash
# tests/integration/test_curve.sh BUILD_DIR - the CURVE endpoints: key
# files from --gen-keys, configuration errors, and dnsoracled serving a
# loopback endpoint without CURVE beside a CURVE one, where only clients whose
# key is in curve_clients get answers; plaintext clients, unknown keys and a
# wrong server key are refused and counted; [server] curve_publish, where a
# hook with CURVE keys (the module driven from luajit, as test_listsync.sh
# does) gets the list changes pushed, and a key not allowed gets nothing
# (with a private MariaDB; skipped without one). (The CURVE endpoint is on
# loopback here: the tests reach nothing else. Binding another address is
# the same code path; [server] endpoints refusing it is test_daemon's.)
set -uo pipefail
build=$1
probe=$build/tests/integration/dnsoracle_probe
client=$build/client/dnsoracle_client
. "$(dirname "$0")/lib.sh"
hex=88d8de31bbea6b65722f66e3fae3a1b2c3d4e5f6.0718293a4b5c6d7e8f9051a2b3c4d5e6f7a8b9c0.example.net

# --gen-keys
keys=$tmp/keys
mkdir -p "$keys/clients"
for k in oracle r1 r2; do
    "$client" --gen-keys "$keys/$k" >"$tmp/gen-$k.log" 2>&1
    check "--gen-keys $k: exit 0" 0 "$?"
done
check "--gen-keys: the key pair is mode 600, the public key 644" "600 644" \
    "$(stat -c %a "$keys/r1.key") $(stat -c %a "$keys/r1.pub")"
check "--gen-keys: the .pub has the public key only" "1 0" \
    "$(grep -c '^public-key = "[^"]\{40\}"$' "$keys/r1.pub") $(grep -c '^secret-key' "$keys/r1.pub")"
check "--gen-keys: both files name the same public key" \
    "$(grep '^public-key' "$keys/r1.key")" "$(grep '^public-key' "$keys/r1.pub")"
check "--gen-keys: two pairs differ" no \
    "$(cmp -s "$keys/r1.pub" "$keys/r2.pub" && echo yes || echo no)"
cp "$keys/r1.key" "$tmp/r1.before"
out=$("$client" --gen-keys "$keys/r1" 2>&1)
check "--gen-keys never overwrites (exit 2, says why, file unchanged)" "2 yes yes" \
    "$? $(case $out in *"r1.key: exists"*) echo yes ;; esac) $(cmp -s "$keys/r1.key" "$tmp/r1.before" && echo yes)"
cp "$keys/r1.pub" "$keys/clients/"

port=$(free_port)
cport=$(free_port)
endpoint=tcp://127.0.0.1:$port
curve=tcp://127.0.0.1:$cport
conf=$tmp/dnsoracle.conf
write_conf() { # write_conf SECRET_KEY CLIENTS_DIR
    printf '[server]\nendpoints = %s\ncurve_endpoints = %s\ncurve_secret_key = %s\n' \
        "$endpoint" "$curve" "$1" >"$conf"
    printf 'curve_clients = %s\nthreads = 2\ncontrol_endpoint =\n[database]\nenabled = false\n[metrics]\nlisten =\n' \
        "$2" >>"$conf"
}

# Configuration errors
printf '[server]\ncurve_endpoints = %s\n' "$curve" >"$tmp/nokeys.conf"
out=$("$build/oracle/dnsoracled" --check-config -c "$tmp/nokeys.conf" 2>&1)
check "curve_endpoints without keys: refused, saying what is missing" "1 yes" \
    "$? $(case $out in *"curve_endpoints needs curve_secret_key"*"curve_clients"*) echo yes ;; esac)"
printf '[hook]\ncurve_key = %s\n' "$keys/r1.key" >"$tmp/halfhook.conf"
out=$("$build/oracle/dnsoracled" --check-config -c "$tmp/halfhook.conf" 2>&1)
check "[hook] curve_key without curve_server_key: refused" "1 yes" \
    "$? $(case $out in *"curve_key and curve_server_key go together"*) echo yes ;; esac)"
cp "$keys/oracle.key" "$tmp/open.key"
chmod 644 "$tmp/open.key"
write_conf "$tmp/open.key" "$keys/clients"
out=$(timeout $((10 * slow)) "${wrap[@]}" "$build/oracle/dnsoracled" -c "$conf" 2>&1)
check "a secret key others may read: refuses to start" "1 yes" \
    "$? $(case $out in *"open.key: a secret key that group or others may read (mode 644)"*) echo yes ;; esac)"
out=$("$build/oracle/dnsoracled" --check-config -c "$conf" 2>&1)
check "... and --check-config says so too" "1 yes" \
    "$? $(case $out in *"mode 644"*) echo yes ;; esac)"
printf '[server]\nendpoints = tcp://0.0.0.0:%s\n' "$port" >"$tmp/open.conf"
out=$("$build/oracle/dnsoracled" --check-config -c "$tmp/open.conf" 2>&1)
check "--check-config refuses an endpoint other hosts reach" "1 yes" \
    "$? $(case $out in *"not a loopback or ipc endpoint"*"curve_endpoints"*) echo yes ;; esac)"
printf '[server]\ncontrol_endpoint = tcp://0.0.0.0:%s\n' "$port" >"$tmp/control.conf"
out=$("$build/oracle/dnsoracled" --check-config -c "$tmp/control.conf" 2>&1)
check "--check-config refuses a control endpoint other hosts reach" "1 yes" \
    "$? $(case $out in *"control_endpoint"*"must stay on this host"*) echo yes ;; esac)"
write_conf "$keys/oracle.pub" "$keys/clients"
out=$(timeout $((10 * slow)) "${wrap[@]}" "$build/oracle/dnsoracled" -c "$conf" 2>&1)
check "a public key file as curve_secret_key: refuses to start" "1 yes" \
    "$? $(case $out in *"no secret-key line"*) echo yes ;; esac)"
write_conf "$keys/oracle.key" "$tmp/no-such-dir"
out=$(timeout $((10 * slow)) "${wrap[@]}" "$build/oracle/dnsoracled" -c "$conf" 2>&1)
check "a missing clients directory: refuses to start" "1 yes" \
    "$? $(case $out in *"curve_clients: $tmp/no-such-dir: No such file"*) echo yes ;; esac)"

write_conf "$keys/oracle.key" "$keys/clients"
start_daemon "$conf" || exit 1
stat_of() { "$client" -e "$endpoint" --stats | awk -v k="$1" '$1 == k { print $2 }'; }
as() { # as KEY SERVER_PUB NAME...: the client on the CURVE endpoint
    local key=$1 pub=$2
    shift 2
    "$client" -t $((1000 * slow)) -e "$curve" --curve-key "$key" --curve-server-key "$pub" "$@" 2>&1
}

check "the loopback endpoint still answers without CURVE" "true www.example.com" \
    "$("$client" -e "$endpoint" www.example.com)"
check "an allowed client gets verdicts over CURVE" "true www.example.com
false $hex" "$(as "$keys/r1.key" "$keys/oracle.pub" www.example.com "$hex")"
check "... and the batch form (dnsoracle_probe is plaintext: refused below)" "true false true" \
    "$(printf 'a.example.com\n%s\nb.example.org\n' "$hex" |
        as "$keys/r1.key" "$keys/oracle.pub" - | cut -d' ' -f1 | tr '\n' ' ' | sed 's/ $//')"
check "--explain and --ping over CURVE" "pong yes" \
    "$(as "$keys/r1.key" "$keys/oracle.pub" --ping | cut -d' ' -f1) $(
        as "$keys/r1.key" "$keys/oracle.pub" --explain "$hex" | grep -c 'charset:hex' | sed 's/^1$/yes/')"
accepted=$(stat_of curve_accepted)
check "accepted handshakes are counted" yes "$([ "${accepted:-0}" -ge 3 ] && echo yes)"

out=$("$client" -t 500 -e "$curve" www.example.com 2>&1)
check "a plaintext client on the CURVE endpoint: no answer (exit 2)" "2 yes" \
    "$? $(case $out in *"no answer within 500 ms"*) echo yes ;; esac)"
out=$("$probe" "$curve" send www.example.com 2>&1)
check "... dnsoracle_probe (plaintext) neither" no "$([ "$out" = true ] && echo yes || echo no)"
check "plaintext connections are counted" yes \
    "$([ "$(stat_of curve_refused_plaintext)" -ge 1 ] && echo yes)"
out=$("$client" -t 500 -e "$curve" --curve-key "$keys/r2.key" --curve-server-key "$keys/oracle.pub" \
    www.example.com 2>&1)
check "a client whose key is not in curve_clients: no answer" "2 yes" \
    "$? $(case $out in *"is our .pub in its curve_clients"*) echo yes ;; esac)"
check "unknown keys are counted" yes "$([ "$(stat_of curve_refused_key)" -ge 1 ] && echo yes)"
check "... and logged with the key" yes \
    "$(grep -cF "refused a client from 127.0.0.1: its key $(sed -n 's/^public-key = "\(.*\)"/\1/p' "$keys/r2.pub")" \
        "$tmp/daemon.log" | sed 's/^[1-9][0-9]*$/yes/')"
out=$("$client" -t 500 -e "$curve" --curve-key "$keys/r1.key" --curve-server-key "$keys/r2.pub" \
    www.example.com 2>&1)
check "an allowed client with the wrong server key: no answer" 2 "$?"
check "failed handshakes are counted" yes \
    "$([ "$(stat_of curve_handshake_failed)" -ge 1 ] && echo yes)"

# The clients directory is read at every connection: no restart.
cp "$keys/r2.pub" "$keys/clients/"
check "a key added to curve_clients is let in without a restart" "true www.example.com" \
    "$(as "$keys/r2.key" "$keys/oracle.pub" www.example.com)"
rm "$keys/clients/r1.pub"
out=$("$client" -t 500 -e "$curve" --curve-key "$keys/r1.key" --curve-server-key "$keys/oracle.pub" \
    www.example.com 2>&1)
check "a key removed from curve_clients is refused at its next connection" 2 "$?"

out=$("$client" -e "$curve" --curve-key "$keys/r1.key" www.example.com 2>&1)
check "client: --curve-key without --curve-server-key is a usage error" "2 yes" \
    "$? $(case $out in *"go together"*) echo yes ;; esac)"
out=$("$client" -e "$curve" --curve-key "$keys/r1.pub" --curve-server-key "$keys/oracle.pub" \
    www.example.com 2>&1)
check "client: a public file as --curve-key is refused, saying why" "2 yes" \
    "$? $(case $out in *"r1.pub: no secret-key line"*) echo yes ;; esac)"

# The benchmark speaks CURVE too.
out=$("$build/tests/bench/dnsoracle_bench" -e "$curve" -K "$keys/r2.key" -S "$keys/oracle.pub" \
    -c 2 -n 200 -d $((20 * slow)) -t $((1000 * slow)) -g example.com 2>&1)
check "dnsoracle_bench over CURVE: 200 requests, no timeout" "200 0" \
    "$(echo "$out" | awk '{ for (i = 1; i < NF; i++) if ($i == "requests" || $i == "timeouts") printf "%s ", $(i + 1) }' | sed 's/ $//')"

stop_daemon
check "stops cleanly with a CURVE endpoint (exit 0, within 2 s)" "0 yes" \
    "$stop_rc $([ "$stop_ms" -lt $((2000 * slow)) ] && echo yes)"

# A proxy that misses its stop deadline (testhook.h: it sleeps 10 s on
# "stop", holding the CURVE socket, past the 1.5 s drain and the 5 s the
# main thread waits): the context is shut down, and until the proxy is
# joined and its socket closed the CURVE handler must still be there, or
# libzmq lets every key in. A client whose key is not in curve_clients
# tries a handshake in that window; then the daemon must exit 0 (no crash;
# under tests/valgrind.sh no memory error).
if [ ! -f "$build/CMakeCache.txt" ] || ! grep -q '^DNSORACLE_TESTING:BOOL=ON' "$build/CMakeCache.txt"; then
    echo "no test hooks in this build (DNSORACLE_TESTING off): skipping the stop-deadline check"
else
    hs() { "$probe" "$curve" handshake "$keys/r1.key" "$keys/oracle.pub" $((1500 * slow)); }
    DNSORACLE_TEST_PROXY_STOP_MS=10000 start_daemon "$conf" || exit 1
    check "the handshake probe: an unknown key is refused (r1 was removed above)" refused "$(hs)"
    kill -TERM "$daemon_pid"
    for _ in $(seq 1 $((90 * slow))); do
        grep -q "the proxy thread did not stop within" "$tmp/daemon.log" && break
        sleep 0.1
    done
    check "the proxy missed its stop deadline (logged)" yes \
        "$(grep -q "the proxy thread did not stop within" "$tmp/daemon.log" && echo yes)"
    check "... and meanwhile an unknown key is still not let in" no \
        "$([ "$(hs)" = succeeded ] && echo yes || echo no)"
    wait "$daemon_pid"
    rc=$?
    daemon_pid=
    check "... then it exits 0" 0 "$rc"
fi

# curve_publish: what --check-config refuses
cpub=tcp://127.0.0.1:$(free_port)
printf '[server]\ncurve_publish = %s\n' "$cpub" >"$tmp/nocurve.conf"
out=$("$build/oracle/dnsoracled" --check-config -c "$tmp/nocurve.conf" 2>&1)
check "curve_publish without curve_endpoints: refused" "1 yes" \
    "$? $(case $out in *"curve_publish $cpub needs curve_endpoints"*) echo yes ;; esac)"
write_conf "$keys/oracle.key" "$keys/clients"
printf '[server]\ncurve_publish = %s %s\n' "$cpub" "$cpub" >>"$conf"
out=$("$build/oracle/dnsoracled" --check-config -c "$conf" 2>&1)
check "curve_publish with two endpoints: refused" "1 yes" \
    "$? $(case $out in *"one endpoint only"*) echo yes ;; esac)"
write_conf "$keys/oracle.key" "$keys/clients"
printf '[server]\ncurve_publish = tcp://0.0.0.0:%s\n' "$(free_port)" >>"$conf"
out=$("$build/oracle/dnsoracled" --check-config -c "$conf" 2>&1)
check "curve_publish on a wildcard address (told to the hooks as written): refused" "1 yes" \
    "$? $(case $out in *"not a wildcard"*) echo yes ;; esac)"
printf '[server]\npublish = tcp://0.0.0.0:%s\n' "$port" >"$tmp/pubopen.conf"
out=$("$build/oracle/dnsoracled" --check-config -c "$tmp/pubopen.conf" 2>&1)
check "publish on an address other hosts reach: refused, naming curve_publish" "1 yes" \
    "$? $(case $out in *"publish tcp://0.0.0.0:$port"*"curve_publish"*) echo yes ;; esac)"
write_conf "$tmp/open.key" "$keys/clients"
printf '[server]\ncurve_publish = %s\n' "$cpub" >>"$conf"
out=$("$build/oracle/dnsoracled" --check-config -c "$conf" 2>&1)
check "curve_publish with a secret key others may read: refused" "1 yes" \
    "$? $(case $out in *"mode 644"*) echo yes ;; esac)"

. "$(dirname "$0")/mariadb.sh"
if ! command -v mariadbd >/dev/null || ! command -v luajit >/dev/null ||
    [ ! -e "$build/lua/dnsoracle_c.so" ]; then
    echo "test_curve: no mariadbd, luajit or module: curve_publish with a hook skipped"
    finish
    exit $?
fi
db_start && db_setup || exit 1
control=ipc://$tmp/control.sock
subscriber=$build/tests/integration/dnsoracle_subscriber
# No plaintext publish: a change within 2 s (the hook polls every 60 s)
# can only come by curve_publish.
{
    printf '[server]\nendpoints = %s\ncurve_endpoints = %s\ncurve_secret_key = %s\n' \
        "$endpoint" "$curve" "$keys/oracle.key"
    printf 'curve_clients = %s\nthreads = 2\ncontrol_endpoint = %s\npublish =\ncurve_publish = %s\n' \
        "$keys/clients" "$control" "$cpub"
    db_config
    printf '[metrics]\nlisten =\n[hook]\nendpoint = %s\nrefresh_seconds = 60\n' "$curve"
    printf 'curve_key = %s\ncurve_server_key = %s\n' "$keys/r2.key" "$keys/oracle.pub"
} >"$conf"
start_daemon "$conf" || exit 1
check "the daemon says where it publishes with CURVE" yes \
    "$(grep -q "publishing list changes with CURVE on $cpub" "$tmp/daemon.log" && echo yes)"
subs=()
for who in r1 r2 plain; do
    case $who in
    plain) "$subscriber" listen "$cpub" $((5 * slow)) >"$tmp/sub-$who.out" 2>&1 & ;;
    *) "$subscriber" listen "$cpub" $((5 * slow)) "$keys/$who.key" "$keys/oracle.pub" \
        >"$tmp/sub-$who.out" 2>&1 & ;;
    esac
    subs+=($!)
done
preload=$(module_preload "$build/lua/dnsoracle_c.so")
LUA_CPATH="$build/lua/?.so" LD_PRELOAD=$preload ASAN_OPTIONS=detect_leaks=0 DNSORACLE_CONF=$conf \
    CLIENT="$client -C $control" luajit - >"$tmp/lua.out" 2>&1 <<'LUA'
local h = assert(require('dnsoracle_c').open(os.getenv('DNSORACLE_CONF')))
local function now() local f = io.popen('date +%s%N'); local t = f:read('*n'); f:close(); return t / 1e9 end
local function until_(cond, seconds)
    local t0 = now()
    while now() - t0 < seconds do
        h:sync(100)
        if cond() then return true end
    end
    return false
end
print('snapshot over CURVE', until_(function() return h:stats().list_snapshots >= 1 end, 5) and 'yes' or 'no')
local t0 = now()
os.execute(os.getenv('CLIENT') .. ' --block pushed.test >/dev/null')
local seen = until_(function() return h:listed('www.pushed.test') == 'blocklist' end, 5)
print('block pushed over CURVE', seen and (now() - t0 < 2 and 'within 2 s' or 'late') or 'never')
print('snapshots', h:stats().list_snapshots)
LUA
wait "${subs[@]}"
cat "$tmp/lua.out" >&2
check "a CURVE hook fetches its snapshot over CURVE" yes \
    "$(grep -qx 'snapshot over CURVE	yes' "$tmp/lua.out" && echo yes)"
check "a block reaches the CURVE hook within 2 s, pushed on curve_publish" yes \
    "$(grep -qx 'block pushed over CURVE	within 2 s' "$tmp/lua.out" && echo yes)"
check "... without another snapshot" yes "$(grep -qx 'snapshots	1' "$tmp/lua.out" && echo yes)"
check "an allowed key on curve_publish hears the block" yes \
    "$(grep -qx '+block pushed.test' "$tmp/sub-r2.out" && echo yes)"
check "a key not in curve_clients hears nothing there" "heard 0 messages" "$(head -1 "$tmp/sub-r1.out")"
check "a plaintext subscriber hears nothing there" "heard 0 messages" "$(head -1 "$tmp/sub-plain.out")"
stop_daemon
check "stops cleanly with curve_publish (exit 0)" 0 "$stop_rc"
finish
