#!/usr/bin/env bash
# tests/integration/test_client.sh BUILD_DIR - dnsoracle_client against a
# real dnsoracled: verdicts and exit status, stdin streamed in batches,
# --explain, --stats, --ping, a dead endpoint, usage errors, and the operator
# commands on the control socket (with a private MariaDB when mariadbd is
# installed).
set -uo pipefail
build=$1
probe=$build/tests/integration/dnsoracle_probe
client=$build/client/dnsoracle_client
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/mariadb.sh"
have_db=no
if command -v mariadbd >/dev/null; then
    db_start && db_setup && have_db=yes
fi
[ "$have_db" = yes ] || echo "note: mariadbd not available: operator commands not tested"

port=$(free_port)
endpoint=tcp://127.0.0.1:$port
control=ipc://$tmp/control.sock
conf=$tmp/dnsoracle.conf
{
    printf '[server]\nendpoints = %s\ncontrol_endpoint = %s\nthreads = 2\n' "$endpoint" "$control"
    if [ "$have_db" = yes ]; then db_config; else printf '[database]\nenabled = false\n'; fi
    printf '[metrics]\nlisten =\n'
} >"$conf"
start_daemon "$conf" || exit 1
export DNSORACLE_ENDPOINT=$endpoint
good=www.example.com
bad=88d8de31bbea6b65722f66e3fae3a1b2c3d4e5f6.0718293a4b5c6d7e8f9051a2b3c4d5e6f7a8b9c0.example.net

# Verdicts and exit status.
out=$("$client" "$good")
check "a good name" "true $good" "$out"
"$client" "$good" >/dev/null
check "... exit 0" 0 "$?"
out=$("$client" "$good" "$bad")
rc=$?
check "two names, in order" "true $good"$'\n'"false $bad" "$out"
check "... exit 1 when one is false" 1 "$rc"
out=$("$client" -e "$endpoint" "$bad" 'x\000y.com' 'a..b')
check "-e, escapes and invalid names" "false $bad"$'\n''false x\000y.com'$'\n''false a..b' "$out"
long=$(printf 'a%.0s' $(seq 1 300))
out=$("$client" "$long" | cut -c1-8)
check "a name over 255 bytes is false without a wire error" "false aa" "$out"

# stdin: 1000 names in batches, every answer once and in order; - reads stdin.
seq 1 1000 | sed 's/$/.example.com/' >"$tmp/names"
"$client" <"$tmp/names" >"$tmp/out"
check "stdin: exit 0" 0 "$?"
check "stdin: 1000 answers in order" "$(sed 's/^/true /' "$tmp/names")" "$(cat "$tmp/out")"
before=$("$client" --stats | awk '$1 == "requests" { print $2 }')
printf '%s\r\n%s\n\nlast.example.org' "$good" "$bad" | "$client" - >"$tmp/out"
check "stdin via -, CRLF, an empty line, no final newline: exit 1" 1 "$?"
check "... the answers" "true $good"$'\n'"false $bad"$'\n''false '$'\n''true last.example.org' \
    "$(cat "$tmp/out")"
"$client" <"$tmp/names" >/dev/null
after=$("$client" --stats | awk '$1 == "requests" { print $2 }')
check "1000 names from a file take a few requests, not 1000" yes \
    "$([ $((after - before)) -le 10 ] && echo yes)"
# A slow writer gets each answer before the next name is typed.
{
    echo "$good"
    nap 1.5
    echo "$bad"
} | "$client" | while IFS= read -r line; do echo "$(date +%s%N) $line"; done >"$tmp/timed"
t1=$(sed -n 1p "$tmp/timed" | cut -d' ' -f1)
t2=$(sed -n 2p "$tmp/timed" | cut -d' ' -f1)
check "streaming: the first answer does not wait for the next name" yes \
    "$([ $(((t2 - t1) / 1000000)) -ge $((1000 * slow)) ] && echo yes)"

# --explain, --stats, --ping.
out=$("$client" --explain "$bad")
check "explain: exit 1" 1 "$?"
check "explain: verdict, name and reason" "false $bad charset:hex" "$(echo "$out" | head -n 1)"
check "explain: the scores" yes "$(echo "$out" | sed -n 2p | grep -q '^  bigram=.* hex=80 .*evidence=strong' && echo yes)"
out=$("$client" --stats)
check "stats: the names judged" yes "$(echo "$out" | grep -q '^names [0-9]' && echo yes)"
check "stats: latency percentiles" yes "$(echo "$out" | grep -q '^latency_us_p99 ' && echo yes)"
out=$("$client" --ping)
check "ping" yes "$(echo "$out" | grep -q "^pong from $endpoint in " && echo yes)"

# No oracle: exit 2 within the timeout, one line naming the endpoint.
dead=tcp://127.0.0.1:$(free_port)
s=$(date +%s%N)
err=$("$client" -e "$dead" -t 300 "$good" 2>&1 >/dev/null)
rc=$?
ms=$((($(date +%s%N) - s) / 1000000))
check "dead endpoint: exit 2" 2 "$rc"
check "dead endpoint: the message" "dnsoracle_client: $dead: no answer within 300 ms (is dnsoracled running? For one of its curve_endpoints give --curve-key and --curve-server-key)" "$err"
check "dead endpoint: within the timeout (${ms} ms)" yes "$([ "$ms" -lt 1300 ] && echo yes)"
check "dead endpoint, stdin: exit 2" 2 "$(
    "$client" -e "$dead" -t 100 <"$tmp/names" >/dev/null 2>&1
    echo $?
)"

# Usage errors: exit 2 with one line, which points at --help.
for args in "-t 0 x" "-t abc x" "--stats extra" "--explain" "--reason why x" "--list a b" \
    "--ping --stats" "--bogus" "--events" "-t" "-x" "--json=yes" "--events --since 30m"; do
    # shellcheck disable=SC2086
    err=$("$client" $args 2>&1 >/dev/null)
    rc=$?
    check "usage error ($args): exit 2 and one line" "2 1 yes" \
        "$rc $(echo "$err" | wc -l) $(echo "$err" | grep -q '^dnsoracle_client: .*(see --help)$' && echo yes)"
done
check "a missing value: named" "dnsoracle_client: --events: needs a value (see --help)" \
    "$("$client" --events 2>&1)"
check "an option taken for a value: refused" \
    "dnsoracle_client: --events: needs a value, not the option --since (see --help)" \
    "$("$client" --events --since 30m 2>&1)"
check "... for every option with a value" \
    "dnsoracle_client: --reason: needs a value, not the option --list (see --help)" \
    "$("$client" --block x.example --reason --list 2>&1)"
out=$("$client" --help)
check "--help: exit 0 with usage" "0 yes" "$? $(echo "$out" | grep -q '^usage:' && echo yes)"

# Operator commands, on the control socket only.
check "control socket: owner and group only" 660 "$(stat -c %a "$tmp/control.sock")"
err=$("$client" -e "$endpoint" -C "ipc://$tmp/none.sock" --list 2>&1)
check "no control socket: exit 2 and why" "2 yes" \
    "$? $(echo "$err" | grep -q 'No such file or directory' && echo yes)"
if [ "$have_db" = yes ]; then
    export DNSORACLE_CONTROL=$control
    out=$(SUDO_USER=alice "$client" --block evil.test --reason "C2 seen")
    check "--block" "0 block evil.test" "$? $out"
    check "blocked at once" "false www.evil.test" "$("$client" www.evil.test)"
    out=$("$client" --list block)
    case $out in "block evil.test alice "*" never C2 seen") ok=yes ;; *) ok="no: $out" ;; esac
    [ "$(id -u)" -eq 0 ] || ok=yes # added_by is the sudo user only for root
    check "--list block: kind, domain, by, when, expiry, reason" yes "$ok"
    check "--allow replaces the block" "allow evil.test" "$("$client" --allow evil.test)"
    hexy=88d8de31bbea6b65722f66e3fae3a1b2c3d4e5f6.0718293a4b5c6d7e8f9051a2b3c4d5e6f7a8b9c0.evil.test
    check "allowed: even a tunnel-like name under it" "true $hexy" "$("$client" "$hexy")"
    check "--list allow" "allow evil.test" "$("$client" --list allow | cut -d' ' -f1,2)"
    check "--unlist" "unlist evil.test" "$("$client" --unlist evil.test)"
    check "--list empty" "" "$("$client" --list)"
    "$client" --block 'bad name!' 2>/dev/null
    check "a bad domain: exit 1" 1 "$?"
    err=$("$client" --block 'bad name!' 2>&1)
    check "... with the oracle's reason" yes "$(echo "$err" | grep -q "$control: block needs a domain" && echo yes)"
    for ps in com co.uk github.io; do
        err=$("$client" --block "$ps" 2>&1)
        check "--block $ps (a public suffix): refused" "1 yes" \
            "$? $(echo "$err" | grep -q "$ps is a public suffix: blocking it would block every domain under it" && echo yes)"
    done
    check "... and nothing under it blocked" "true www.example.com" "$("$client" www.example.com)"
    err=$("$client" --allow com 2>&1)
    check "--allow com: refused" 1 "$?"
    err=$("$client" --list bogus 2>&1)
    check "--list bogus: exit 1" "1 yes" "$? $(echo "$err" | grep -q 'drop, block or allow' && echo yes)"
    out=$("$client" --update-now)
    check "--update-now" "0 yes" "$? $(echo "$out" | grep -q '^drop list updated: ' && echo yes)"
fi
stop_daemon
check "SIGTERM: exit 0" 0 "$stop_rc"
finish
