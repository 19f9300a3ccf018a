#!/usr/bin/env bash
# tests/integration/test_events.sh BUILD_DIR - refusals as events, with a
# real MariaDB started here: refusals reported on the \0report path (as the
# hook sends them) and false verdicts on port 5555 become rows of the events
# table, 500 refusals of one client and domain in one minute one row with
# count 500; dnsoracle_client --report and --events, as text and as JSON;
# [events] client = truncated and none; CLIENT= in the log; and with MariaDB
# stopped, refusals answered at full speed, events waiting in the bounded
# queue (the overflow counted) and written once MariaDB is back.
set -uo pipefail
build=$1
probe=$build/tests/integration/dnsoracle_probe
client=$build/client/dnsoracle_client
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/mariadb.sh"
db_require

port=$(free_port)
endpoint=tcp://127.0.0.1:$port
control=ipc://$tmp/control.sock
conf=$tmp/dnsoracle.conf
write_conf() { # write_conf CLIENT_MODE QUEUE_SIZE
    {
        # every false verdict logged: the checks look for single lines after
        # a burst of 500 (the default budget is 20 a second)
        printf '[server]\nendpoints = %s\ncontrol_endpoint = %s\nthreads = 2\n' "$endpoint" "$control"
        printf 'log_false_per_second = 1000000\n'
        db_config
        printf '[droplist]\nupdate_seconds = 3600\n[metrics]\nlisten =\n'
        printf '[events]\nclient = %s\nqueue_size = %s\n' "$1" "$2"
    } >"$conf"
}
sql() { db_sql dns -e "$1"; }
stat() { "$client" -e "$endpoint" --stats | sed -n "s/^$1 //p"; }
wait_for() { # wait_for SQL VALUE: until the query gives VALUE (at most 20 s times $slow)
    for _ in $(seq 1 $((200 * slow))); do
        [ "$(sql "$1")" = "$2" ] && return 0
        sleep 0.1
    done
    return 1
}
# Waits until the minute has at least 15 s left, so that a burst of
# refusals falls into one minute.
early_in_minute() {
    while [ "$(date +%S | sed 's/^0//')" -ge 45 ]; do sleep 1; done
}
ctl() { "$client" -C "$control" "$@"; }

write_conf full 10000
start_daemon "$conf" || exit 1

# 500 refusals by the hook of one client under one domain in one minute:
# one row, count 500, with a sample name.
early_in_minute
tun=tunnel-test.net
frames=()
for i in $(seq 1 500); do frames+=("16 10.1.2.3 strong 400 charset:non-ldh refused resolver1" "d29y${i}aGVsbG8.$tun"); done
check "500 refusals of one client and domain taken" "ok 500" "$("$probe" "$endpoint" send c:report "${frames[@]}")"
wait_for "SELECT COUNT(*) FROM events WHERE domain = '$tun'" 1
check "... aggregated into one row with count 500" "1 500 10.1.2.3 charset:non-ldh refused resolver1 16" \
    "$(sql "SELECT COUNT(*), SUM(count), MIN(client), MIN(reason), MIN(action), MIN(resolver), MIN(qtype)
            FROM events WHERE domain = '$tun'" | tr '\t' ' ')"
check "... with a sample query name" yes \
    "$(sql "SELECT qname FROM events WHERE domain = '$tun'" | grep -q "^d29y[0-9]*agvsbg8\.$tun\$" && echo yes)"
check "events counted" 500 "$(stat events)"
for _ in $(seq 1 $((50 * slow))); do # the writer counts after the commit
    [ "$(stat events_stored)" = 500 ] && break
    sleep 0.1
done
check "events stored" 500 "$(stat events_stored)"

# Monitor mode's "would block", and a refusal from the hook's cache (an
# event only: EVIDENCE and BITS "-"), from another client; a false verdict
# asked on port 5555 (no client).
early_in_minute
check "would-block events" "ok 3" "$("$probe" "$endpoint" send c:report \
    "1 192.0.2.99 none 0 blocklist would-block resolver2" a.evil.example \
    "1 192.0.2.99 - - blocklist would-block resolver2" a.evil.example \
    "28 192.0.2.99 - - blocklist would-block resolver2" b.evil.example)"
"$client" -e "$endpoint" 'aGVsbG8+d29y/bGQ.tunnel.example.org' >/dev/null
wait_for "SELECT COALESCE(SUM(count), 0) FROM events WHERE domain = 'evil.example'" 3
wait_for "SELECT COUNT(*) FROM events WHERE domain = 'example.org' AND client = '-'" 1
check "a false verdict on port 5555 is an event without a client" "- charset:non-ldh refused 1" \
    "$(sql "SELECT client, reason, action, count FROM events WHERE domain = 'example.org'" | tr '\t' ' ')"
check "the refusal reported is logged with its client (CLIENT= in the journal)" yes \
    "$(logged "verdict: false d29y[0-9]*aGVsbG8.$tun charset:non-ldh client 10.1.2.3 action refused" \
        "$tmp/daemon.log")"
check "... and monitor mode's with its action" yes \
    "$(logged "verdict: false a.evil.example blocklist client 192.0.2.99 action would-block" \
        "$tmp/daemon.log")"

# --report: text aligned for a terminal, and JSON.
out=$(ctl --report)
check "--report: exit 0" 0 "$?"
check "--report: the totals (the unknown client is not one)" \
    "refusals over the last 3600 s: 504 events, 2 clients and 1 event without a client, 3 domains" \
    "$(echo "$out" | head -1)"
check "--report: the most refused domain first, with its count and clients" yes \
    "$(echo "$out" | sed -n '/^refused domains/,/^$/p' | sed -n 3p | grep -qE "^$tun +500 +1 +20[0-9-]+T" && echo yes)"
check "--report: the client with most refusals" yes \
    "$(echo "$out" | sed -n '/^clients with/,/^$/p' | sed -n 3p | grep -qE '^10\.1\.2\.3 +500 +1 ' && echo yes)"
check "--report: by reason" yes \
    "$(echo "$out" | sed -n '/^by reason/,$p' | grep -qE '^charset:non-ldh +501$' && echo yes)"
json=$(ctl --report --json --since 30m)
check "--report --json is valid JSON" 0 "$(echo "$json" | python3 -m json.tool >/dev/null; echo $?)"
check "--report --json: fields" "1800 504 $tun 500 1 10.1.2.3 2" \
    "$(echo "$json" | jq -r '[.since_seconds, .events, .by_domain[0].domain, .by_domain[0].events,
        .by_domain[0].clients, .by_client[0].client, (.by_reason | length)] | join(" ")')"
check "--report --json: clients known, events without one" "2 1" \
    "$(echo "$json" | jq -r '[.clients, .events_without_client] | join(" ")')"
check "--report --json: the unknown client is null" null \
    "$(echo "$json" | jq -r '.by_client[] | select(.events == 1) | .client')"

# --events by domain and by address.
out=$(ctl --events evil.example --since 2d)
check "--events DOMAIN: a heading, a header and one row per minute and client" yes \
    "$(echo "$out" | sed -n 3p | grep -qE '^20[0-9T:-]+Z +20[0-9T:-]+Z +192\.0\.2\.99 +evil\.example +blocklist +3 +1 +would-block +resolver2 +a\.evil\.example$' && echo yes)"
check "--events DOMAIN: the heading, one row in the singular" \
    "events of evil.example over the last 172800 s: 1 row (one per minute, client, domain and reason)" \
    "$(echo "$out" | head -1)"
out=$(ctl --events A.Evil.Example)
check "--events SUBDOMAIN: its registrable domain's events, said in the heading" \
    "events of evil.example (the registrable domain of A.Evil.Example) over the last 3600 s: 1 row" \
    "$(echo "$out" | head -1 | sed 's/ (one per.*//')"
check "--events SUBDOMAIN --json: the domain looked for" "evil.example 1" \
    "$(ctl --events a.evil.example --json | jq -r '[.domain, (.events | length)] | join(" ")')"
json=$(ctl --events 10.1.2.3 --json)
check "--events ADDRESS --json" "1 500 $tun refused" \
    "$(echo "$json" | jq -r '[(.events | length), .events[0].events, .events[0].domain, .events[0].action] | join(" ")')"
check "--events: nothing for another address" 0 "$(ctl --events 10.1.2.4 --json | jq '.events | length')"
# errors
out=$(ctl --report --since 5x 2>&1)
check "--since: a bad duration" "2 dnsoracle_client: --since: a duration like 30m, 1h, 2d (s, m, h, d, w; at most ten years) (see --help)" "$? $out"
for key in 'a..b' 999.1.1.1 'two words'; do
    out=$(ctl --events "$key" 2>&1)
    check "--events $key: neither a domain nor an address, one line, exit 2" \
        "2 dnsoracle_client: --events $key: neither an address nor a domain name (see --help)" "$? $out"
done
out=$(ctl --events co.uk 2>&1)
check "--events PUBLIC-SUFFIX: refused by the oracle, saying why" "1 yes" \
    "$? $(echo "$out" | grep -q "'co.uk' is a public suffix: events are kept by registrable domain" && echo yes)"
out=$(ctl --json 2>&1)
check "--json alone" 2 "$?"

stop_daemon
check "stopped cleanly" 0 "$stop_rc"

# [events] client = truncated: an IPv4 address to its /24, IPv6 to its /56,
# in the table and in the log; --events ADDRESS finds them by any address
# of the network.
write_conf truncated 10000
: >"$tmp/daemon.log"
start_daemon "$conf" || exit 1
"$probe" "$endpoint" send c:report "1 10.7.8.9 - - blocklist refused r" x.trunc.example \
    "1 2001:db8:1:2ff::7 - - blocklist refused r" y.trunc.example >/dev/null
wait_for "SELECT COUNT(*) FROM events WHERE domain = 'trunc.example'" 2
check "client = truncated: /24 and /56 stored" "10.7.8.0 2001:db8:1:200::" \
    "$(sql "SELECT client FROM events WHERE domain = 'trunc.example' ORDER BY client" | tr '\n' ' ' | sed 's/ $//')"
check "client = truncated: in the log too" "yes no" \
    "$(grep -q 'client 10.7.8.0 action' "$tmp/daemon.log" && echo yes) $(grep -q '10.7.8.9' "$tmp/daemon.log" && echo yes || echo no)"
check "client = truncated: --events by an address of the network" 1 \
    "$(ctl --events 10.7.8.200 --json | jq '.events | length')"
# A switch from full to truncated: the rows stored before keep the whole
# address, and --events ADDRESS finds both.
"$probe" "$endpoint" send c:report "1 10.1.2.77 - - blocklist refused r" x.switch.example >/dev/null
wait_for "SELECT COUNT(*) FROM events WHERE domain = 'switch.example'" 1
check "after a switch to truncated: --events ADDRESS finds its full rows and its network's" \
    "10.1.2.0: 10.1.2.0 10.1.2.3" \
    "$(ctl --events 10.1.2.3 --json --since 2d | jq -r '.network + ": " + (.events | map(.client) | unique | join(" "))')"
stop_daemon

write_conf none 10000
: >"$tmp/daemon.log"
start_daemon "$conf" || exit 1
"$probe" "$endpoint" send c:report "1 10.7.8.9 - - blocklist refused r" x.none.example >/dev/null
wait_for "SELECT COUNT(*) FROM events WHERE domain = 'none.example'" 1
check "client = none: no address stored" "-" "$(sql "SELECT client FROM events WHERE domain = 'none.example'")"
check "client = none: none logged" "no" "$(grep -q '10\.7\.8' "$tmp/daemon.log" && echo yes || echo no)"
check "after a switch back: --events ADDRESS finds the network's rows, not the unknown client's" \
    "trunc.example" "$(ctl --events 10.7.8.9 --json --since 2d | jq -r '.events | map(.domain) | unique | join(" ")')"
stop_daemon

# MariaDB stopped: refusals go on at full speed, events wait in the
# bounded queue (100 rows), the rest are counted, and the rows waiting are
# written once MariaDB is back.
write_conf full 100
start_daemon "$conf" || exit 1
db_stop
for i in $(seq 1 2000); do echo "aGVsbG8+d29y/bGQ$i.down.example"; done >"$tmp/tunnel.txt"
s=$(date +%s%N)
false_n=$("$client" -e "$endpoint" <"$tmp/tunnel.txt" | grep -c '^false ')
ms=$((($(date +%s%N) - s) / 1000000))
check "database down: 2000 refusals answered" 2000 "$false_n"
check "database down: ... at full speed (under 3 s)" yes "$([ "$ms" -lt $((3000 * slow)) ] && echo yes)"
echo "2000 refusals with the database down: $ms ms"
before=$(stat events_backlog)
frames=()
for i in $(seq 1 150); do frames+=("1 10.0.0.$((i % 200)) strong 300 charset:non-ldh refused r" "aGVsbG8-d29y.q$i.example"); done
check "database down: 150 refusals of 150 domains taken" "ok 150" "$("$probe" "$endpoint" send c:report "${frames[@]}")"
check "database down: the queue holds 100 rows" 100 "$(stat events_backlog)"
check "database down: the overflow is counted" $((150 - (100 - before))) "$(stat events_overflow)"
check "database down: the daemon still answers at once" "true www.example.com" \
    "$("$client" -e "$endpoint" www.example.com)"
out=$(ctl --report 2>&1)
check "database down: --report says why (exit 1)" "1 yes" \
    "$? $(echo "$out" | grep -q 'events need the database: ' && echo yes)"
db_start || exit 1
wait_for "SELECT COUNT(DISTINCT domain) FROM events WHERE domain LIKE 'q%.example'" $((100 - before))
check "database back: the rows waiting are written" $((100 - before)) \
    "$(sql "SELECT COUNT(DISTINCT domain) FROM events WHERE domain LIKE 'q%.example'")"
check "database back: the queue is empty" 0 "$(stat events_backlog)"
check "database back: the refusals of port 5555 are one row per minute, counted" 2000 \
    "$(sql "SELECT SUM(count) FROM events WHERE domain = 'down.example'")"
stop_daemon
check "stopped cleanly" 0 "$stop_rc"
finish
