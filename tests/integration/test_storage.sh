#!/usr/bin/env bash
# tests/integration/test_storage.sh BUILD_DIR - dnsoracled with a real
# MariaDB started here: names stored with their registrable domain, the drop
# list, the operator's lists, a database killed and restarted under load,
# SIGTERM with a full queue, and two daemons on one database.
set -uo pipefail
build=$1
probe=$build/tests/integration/dnsoracle_probe
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/mariadb.sh"
db_require

port=$(free_port)
endpoint=tcp://127.0.0.1:$port
control=ipc://$tmp/control.sock
conf=$tmp/dnsoracle.conf
{
    printf '[server]\nendpoints = %s\ncontrol_endpoint = %s\nthreads = 2\n' "$endpoint" "$control"
    db_config
    printf 'queue_size = 50000\nflush_ms = 1500\n'
    printf '[droplist]\nsubdomain_threshold = 5\nwindow_seconds = 3600\nupdate_seconds = 3600\n'
    printf '[metrics]\nlisten =\n'
} >"$conf"
count() { db_sql dns -e "SELECT COUNT(*) FROM names WHERE $1"; }
wait_rows() { # wait_rows WHERE N: until the table has N such rows (at most 20 s times $slow)
    for _ in $(seq 1 $((200 * slow))); do
        [ "$(count "$1")" -ge "$2" ] && return 0
        sleep 0.1
    done
    return 1
}
ctl() { "$probe" "$control" send "$@" | tr '\n' ' ' | sed 's/ $//'; }

start_daemon "$conf" || exit 1

# Good names are stored whole, with the registrable domain from the PSL.
"$probe" "$endpoint" send www.example.com a.b.example.co.uk foo.github.io >/dev/null
long=$(printf 'a%.0s' $(seq 1 63)).$(printf 'b%.0s' $(seq 1 63)).$(printf 'c%.0s' $(seq 1 63)).$(printf 'd%.0s' $(seq 1 57)).com
check "a 253-byte name" 253 "${#long}"
printf '[engine]\nmax_length = 253\nmax_label = 63\nbigram_threshold = -20\nmax_labels = 8\n' >>"$conf"
sed -i '0,/^\[engine\]/!{/^\[engine\]/d}' "$conf"
kill -HUP "$daemon_pid"
nap 0.5
check "the 253-byte name is good under a permissive config" true "$("$probe" "$endpoint" send "$long")"
wait_rows "name = '$long'" 1
check "stored whole" "$long" "$(db_sql dns -e "SELECT name FROM names WHERE LENGTH(name) = 253")"
check "registrable domain from the PSL (co.uk)" example.co.uk \
    "$(db_sql dns -e "SELECT registrable FROM names WHERE name = 'a.b.example.co.uk'")"
check "registrable domain from the PSL (github.io)" foo.github.io \
    "$(db_sql dns -e "SELECT registrable FROM names WHERE name = 'foo.github.io'")"
check "case folded, no trailing dot" 1 "$(
    "$probe" "$endpoint" send MiXeD.Example.COM. >/dev/null
    wait_rows "name = 'mixed.example.com'" 1
    count "name = 'mixed.example.com'"
)"
check "names sent with dnsoracle_client are stored" 2 "$(
    "$build/client/dnsoracle_client" -e "$endpoint" via.client.example.org via.client2.example.org >/dev/null
    wait_rows "registrable = 'example.org' AND name LIKE 'via.client%'" 2
    count "registrable = 'example.org' AND name LIKE 'via.client%'"
)"
bad=88d8de31bbea6b65722f66e3fae3a1b2c3d4e5f6.0718293a4b5c6d7e8f9051a2b3c4d5e6f7a8b9c0.example.net
"$probe" "$endpoint" send "$bad" 4.3.2.1.in-addr.arpa >/dev/null
nap 1.5
check "false verdicts and exemptions are not stored" 0 "$(count "name IN ('$bad', '4.3.2.1.in-addr.arpa')")"

# The drop list is the domain layer's: names with strong evidence (a run of
# 48 letters and digits) under one fresh domain cut it off at once, on the
# first one past subdomain_threshold (5 here, weighed); plain names never do,
# however many (volume alone); an allow-listed domain never is.
strong() { # strong DOMAIN N [FIRST]: N data-carrying names under DOMAIN
    for i in $(seq "${3:-1}" $(($2 + ${3:-1} - 1))); do
        printf 's%d88d8de31bbea6b65722f66e3fae3a1b2c3d4e5f6071829.%s\n' "$i" "$1"
    done
}
"$probe" "$endpoint" names 300 busy.test >/dev/null
"$probe" "$endpoint" send $(strong quiet.test 3) >/dev/null
check "allow trusted.test" "ok allow trusted.test" "$(ctl allow trusted.test "our CDN" ops)"
"$probe" "$endpoint" send $(strong trusted.test 20) >/dev/null
out=$("$probe" "$endpoint" send $(strong tun.test 8) | tr '\n' ' ')
check "strong names are refused on their own" "false false false false false false false false " "$out"
check "a domain with evidence over the threshold is cut off at once" false \
    "$("$probe" "$endpoint" send new.tun.test)"
out=$("$probe" "$endpoint" send c:explain new.tun.test | cut -f1,2)
check "... with the reason droplist" $'false\tdroplist' "$out"
check "a domain under the threshold is not" true "$("$probe" "$endpoint" send new.quiet.test)"
check "300 plain names under one domain are not" true "$("$probe" "$endpoint" send new.busy.test)"
check "an allow-listed domain never is" true "$("$probe" "$endpoint" send new.trusted.test)"
drop_rows() { db_sql dns -e "SELECT domain, added_by FROM lists WHERE kind = 'drop'" | tr '\t\n' '  '; }
for _ in $(seq 1 $((50 * slow))); do [ -n "$(drop_rows)" ] && break; sleep 0.1; done
check "the cut is on the drop list within a second (the timer)" "tun.test auto " "$(drop_rows)"
check "the drop entry says why" yes "$(db_sql dns -e "SELECT reason FROM lists WHERE kind = 'drop'" |
    grep -q '^evidence: .* names, .* strong.*, clients unknown' && echo yes)"
check "the snapshot command gives the hook the drop list" yes \
    "$("$probe" "$endpoint" send c:snapshot '0 0' | grep -qx 'drop tun.test' && echo yes)"
check "update-now: nothing more to cut" "ok drop list updated: 0 domains cut off" "$(ctl update-now)"
wait_rows "registrable = 'busy.test'" 301
check "good names are still stored, for reporting" 301 "$(count "registrable = 'busy.test'")"

# The operator's block list, effective on the next request.
check "block" "ok block evil.test" "$(ctl block evil.test "C2 seen" alice)"
check "blocked" false "$("$probe" "$endpoint" send www.evil.test)"
check "blocked: reason" $'false\tblocklist' "$("$probe" "$endpoint" send c:explain www.evil.test | cut -f1,2)"
check "block is on label boundaries" true "$("$probe" "$endpoint" send www.notevil.test)"
out=$(ctl list block)
case $out in "ok block evil.test alice "*" never C2 seen"*) ok=yes ;; *) ok="no: $out" ;; esac
check "list block" yes "$ok"
check "unlist" "ok unlist evil.test" "$(ctl unlist evil.test)"
check "unlisted" true "$("$probe" "$endpoint" send www.evil.test)"
check "bad domain refused" "error block needs a domain name (letters, digits, '-', '_')" \
    "$(ctl block 'no spaces.test')"

check "stats: the database is ok" "database ok" "$("$probe" "$endpoint" send c:stats | grep '^database ')"

# Kill the database during load: every request is answered; restart it: the
# backlog is written and every name is there.
"$probe" "$endpoint" names 4000 outage.test >"$tmp/load.out" &
load=$!
sleep 0.3
db_kill
wait "$load"
check "database killed under load: every request answered" "true 4000 false 0 none 0" \
    "$(cat "$tmp/load.out")"
check "still answering with the database down" true "$("$probe" "$endpoint" send after.outage.test)"
check "stats: the database is unavailable" "database unavailable" \
    "$("$probe" "$endpoint" send c:stats | grep '^database ')"
db_start || exit 1
if wait_rows "name LIKE '%.outage.test'" 4001; then ok=yes; else ok=no; fi
check "database back: the backlog written ($(count "name LIKE '%.outage.test'") rows)" yes "$ok"
check "no row twice, none lost" 4001 "$(count "name LIKE '%.outage.test'")"

# SIGTERM with a full queue: everything queued is in the table after exit.
"$probe" "$endpoint" names 20000 flush.test >"$tmp/flush.out"
stop_daemon
check "SIGTERM with a queue: exit 0" 0 "$stop_rc"
check "SIGTERM with a queue: every name stored" 20000 "$(count "name LIKE '%.flush.test'")"

# Two daemons on one database add up their evidence: three strong names at
# each (under the threshold at each) cut split.test off at both once they
# exchange it (update-now runs the exchange the timer runs every
# update_seconds).
port2=$(free_port)
conf2=$tmp/second.conf
sed -e "s|^endpoints = .*|endpoints = tcp://127.0.0.1:$port2|" \
    -e "s|^control_endpoint = .*|control_endpoint = ipc://$tmp/control2.sock|" "$conf" >"$conf2"
start_daemon "$conf" || exit 1
first=$daemon_pid
"${wrap[@]}" "$build/oracle/dnsoracled" -c "$conf2" 2>>"$tmp/daemon2.log" &
extra_pids=$!
nap 1
"$probe" "$endpoint" send $(strong split.test 3) >/dev/null
"$probe" "tcp://127.0.0.1:$port2" send $(strong split.test 3 100) >/dev/null
check "split: not cut at either alone" "true true" \
    "$("$probe" "$endpoint" send x.split.test) $("$probe" "tcp://127.0.0.1:$port2" send x.split.test)"
"$probe" "$control" send update-now >"$tmp/u1" &
u1=$!
"$probe" "ipc://$tmp/control2.sock" send update-now >"$tmp/u2"
wait "$u1"
check "two updates at once: no error" "ok ok" "$(head -n 1 "$tmp/u1") $(head -n 1 "$tmp/u2")"
"$probe" "$control" send update-now >/dev/null
"$probe" "ipc://$tmp/control2.sock" send update-now >/dev/null
l1=$("$probe" "$control" send list drop | cut -d' ' -f1,2,3)
l2=$("$probe" "ipc://$tmp/control2.sock" send list drop | cut -d' ' -f1,2,3)
check "both instances list the same drop list" "$l1" "$l2"
check "the drop list has the split domain" yes "$(echo "$l1" | grep -q split.test && echo yes)"
check "first instance drops split.test" false "$("$probe" "$endpoint" send y.split.test)"
check "second instance drops split.test" false "$("$probe" "tcp://127.0.0.1:$port2" send y.split.test)"
stop_daemon "$extra_pids"
extra_pids=
check "second instance: SIGTERM, exit 0" 0 "$stop_rc"

# A third instance given the first one's control socket by mistake must not
# take it away (ZeroMQ's ipc bind replaces the file, and its stop removes it):
# it runs without operator commands and says why.
port3=$(free_port)
sed -e "s|^endpoints = .*|endpoints = tcp://127.0.0.1:$port3|" "$conf" >"$tmp/third.conf"
"${wrap[@]}" "$build/oracle/dnsoracled" -c "$tmp/third.conf" 2>>"$tmp/daemon3.log" &
extra_pids=$!
for _ in $(seq 1 $((50 * slow))); do
    [ "$("$probe" "tcp://127.0.0.1:$port3" send www.example.com 2>/dev/null)" = true ] && break
    sleep 0.1
done
check "a second daemon on the same control socket says why it has none" yes \
    "$(logged "another process (another dnsoracled?) listens there" "$tmp/daemon3.log")"
stop_daemon "$extra_pids"
extra_pids=
check "... and after it stopped, the first one's control socket still answers" "ok" \
    "$("$probe" "$control" send list drop | head -n 1 | cut -d' ' -f1)"
stop_daemon "$first"
check "first instance: SIGTERM, exit 0" 0 "$stop_rc"
finish
