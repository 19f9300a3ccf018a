#!/usr/bin/env bash
# tests/integration/test_metrics.sh BUILD_DIR - dnsoracled's /metrics on a
# free loopback port: the Prometheus text (HELP and TYPE lines, verdicts by
# reason, the latency histogram, build_info), agreement with \0stats, bad
# paths and methods, IPv6, `listen =` disabling it, and a port already taken.
set -uo pipefail
build=$1
probe=$build/tests/integration/dnsoracle_probe
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || {
    echo "curl is not installed: skipped"
    exit 77
}

port=$(free_port)
mport=$(free_port)
while [ "$mport" = "$port" ]; do mport=$(free_port); done
endpoint=tcp://127.0.0.1:$port
url=http://127.0.0.1:$mport/metrics
conf=$tmp/dnsoracle.conf
write_conf() { # write_conf FILE ENDPOINT LISTEN
    printf '[server]\nendpoints = %s\nthreads = 2\ncontrol_endpoint =\n[database]\nenabled = false\n' \
        "$2" >"$1"
    printf '[metrics]\nlisten = %s\n' "$3" >>"$1"
}
write_conf "$conf" "$endpoint" "127.0.0.1:$mport"
# curl at most 5 s (times $slow) a request, never through a proxy
get() { curl -s --noproxy '*' --max-time $((5 * slow)) "$@"; }

# Bad values are refused by --check-config, naming the key.
write_conf "$tmp/bad.conf" "$endpoint" "localhost:9154"
out=$("$build/oracle/dnsoracled" --check-config -c "$tmp/bad.conf" 2>&1)
check "listen = localhost:9154 refused (numeric addresses only)" "1 yes" \
    "$? $(case $out in *"[metrics] listen: 'localhost:9154' is not ADDRESS:PORT"*) echo yes ;; esac)"
write_conf "$tmp/bad.conf" "$endpoint" "127.0.0.1:70000"
"$build/oracle/dnsoracled" --check-config -c "$tmp/bad.conf" >/dev/null 2>&1
check "listen with port 70000 refused" 1 "$?"

start_daemon "$conf" || exit 1
good=www.example.com
strong=aGVsbG8+d29y.example.net
check "a good name" true "$("$probe" "$endpoint" send "$good")"
check "a tunnel-like name" false "$("$probe" "$endpoint" send "$strong")"

m=$(get "$url")
check "GET /metrics answers" 0 "$?"
line() { echo "$m" | grep -F "$1" | head -n 1; }
check "verdicts: HELP line" yes \
    "$(echo "$m" | grep -q '^# HELP dnsoracle_verdicts_total ' && echo yes)"
check "verdicts: TYPE counter" "# TYPE dnsoracle_verdicts_total counter" \
    "$(line '# TYPE dnsoracle_verdicts_total')"
check "the tunnel-like name counted by verdict and reason" \
    'dnsoracle_verdicts_total{verdict="false",reason="charset:non-ldh"} 1' \
    "$(line 'dnsoracle_verdicts_total{verdict="false",reason="charset:non-ldh"}')"
check "the good name counted" 'dnsoracle_verdicts_total{verdict="true",reason="ok"} 1' \
    "$(line 'dnsoracle_verdicts_total{verdict="true",reason="ok"}')"
version=$("$build/oracle/dnsoracled" -V | awk '{ print $2 }')
check "build_info" "dnsoracle_build_info{version=\"$version\"} 1" "$(line dnsoracle_build_info'{')"
check "query names are never in the text" 0 "$(echo "$m" | grep -c -e aGVsbG8 -e www.example)"
untyped=$(echo "$m" | awk '/^# TYPE / { t[$3] = 1; next } /^#/ { next }
    { n = $1; sub(/\{.*/, "", n); b = n; sub(/_(bucket|sum|count)$/, "", b)
      if (!(n in t) && !(b in t)) print n }' | sort -u | tr '\n' ' ')
check "every sample has a TYPE line" "" "$untyped"
check "list sizes by kind (no database: 0)" 'dnsoracle_list_entries{kind="drop"} 0' \
    "$(line 'dnsoracle_list_entries{kind="drop"}')"
check "database state" 'dnsoracle_database_state{state="disabled"} 1' \
    "$(line 'dnsoracle_database_state{state="disabled"}')"
check "database_up without a database" "dnsoracle_database_up 0" \
    "$(echo "$m" | grep '^dnsoracle_database_up ')"
check "domains held by the domain layer" yes \
    "$(echo "$m" | grep -Eq '^dnsoracle_domains [0-9]+$' && echo yes)"
check "domain layer memory bound" yes \
    "$(echo "$m" | grep -Eq '^dnsoracle_domain_memory_bound_bytes [1-9][0-9]*$' && echo yes)"
for c in domains_cut names_reported bad_reports queue_overflow droplist_updates list_refreshes \
    curve_accepted curve_refused_key connections_closed replies_dropped; do
    check "counter dnsoracle_${c}_total" yes \
        "$(echo "$m" | grep -q "^# TYPE dnsoracle_${c}_total counter$" &&
            echo "$m" | grep -Eq "^dnsoracle_${c}_total [0-9]+$" && echo yes)"
done

# The histogram: cumulative buckets never decrease, +Inf and _count are the
# requests.
requests=$(echo "$m" | awk '$1 == "dnsoracle_requests_total" { print $2 }')
check "requests counted (two names and the start's pings)" yes \
    "$([ "${requests:-0}" -ge 2 ] && echo yes)"
buckets=$(echo "$m" | awk '/^dnsoracle_request_duration_seconds_bucket/ { print $2 }')
check "16 buckets and +Inf" 17 "$(echo "$buckets" | wc -l)"
check "buckets monotonic" yes "$(echo "$buckets" | awk 'NR > 1 && $1 < p { bad = 1 } { p = $1 }
    END { print bad ? "no" : "yes" }')"
check "+Inf bucket = requests" "$requests" "$(echo "$buckets" | tail -n 1)"
check "_count = requests" "$requests" \
    "$(echo "$m" | awk '$1 == "dnsoracle_request_duration_seconds_count" { print $2 }')"
check "le in seconds" yes "$(echo "$m" | grep -q '_bucket{le="1e-05"}' &&
    echo "$m" | grep -q '_bucket{le="1"}' && echo yes)"

# The same counters as \0stats (that request is counted after its reply).
stats=$("$probe" "$endpoint" send c:stats)
stat() { echo "$stats" | awk -v k="$1" '$1 == k { print $2 }'; }
check "requests as in \\0stats" "$(stat requests)" "$requests"
check "non-ldh as in \\0stats" "$(stat reason.charset:non-ldh)" 1

# HTTP: headers, HEAD, other paths and methods.
head=$(get -I "$url" | tr -d '\r')
check "HEAD: 200" yes "$(echo "$head" | head -n 1 | grep -q ' 200' && echo yes)"
check "Content-Type of format 0.0.4" "Content-Type: text/plain; version=0.0.4; charset=utf-8" \
    "$(echo "$head" | grep -i '^content-type:')"
check "another path: 404" 404 "$(get -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mport/")"
check "POST: 405" 405 "$(get -o /dev/null -w '%{http_code}' -X POST -d x "$url")"
check "405 says what is allowed" "Allow: GET, HEAD" \
    "$(get -o /dev/null -D - -X DELETE "$url" | tr -d '\r' | grep -i '^allow:')"

# The port taken: a second daemon (another ZeroMQ port) does not start.
port2=$(free_port)
write_conf "$tmp/second.conf" "tcp://127.0.0.1:$port2" "127.0.0.1:$mport"
out=$(timeout $((10 * slow)) "${wrap[@]}" "$build/oracle/dnsoracled" -c "$tmp/second.conf" 2>&1)
rc=$?
check "metrics port taken: exit 1" 1 "$rc"
check "metrics port taken: a clear message" yes "$(case $out in
    *"[metrics] listen: cannot listen on 127.0.0.1:$mport: Address already in use"*) echo yes ;;
    *) echo "no: $out" ;; esac)"

# SIGHUP with another listen: restart-only, the old address keeps serving.
write_conf "$conf" "$endpoint" "127.0.0.1:$port2"
kill -HUP "$daemon_pid"
nap 0.5
check "listen changes only at a restart" 200 "$(get -o /dev/null -w '%{http_code}' "$url")"
check "... and the log says so" yes \
    "$(grep -q '\[metrics\].* change only at a restart' "$tmp/daemon.log" && echo yes)"
stop_daemon
check "SIGTERM with /metrics: exit 0" 0 "$stop_rc"

# listen = : nothing listens.
write_conf "$conf" "$endpoint" ""
start_daemon "$conf" || exit 1
get -o /dev/null "$url"
check "listen = : connection refused (curl exit 7)" 7 "$?"
stop_daemon
check "SIGTERM without /metrics: exit 0" 0 "$stop_rc"

# IPv6 loopback, when the host has it.
if grep -q ' lo$' /proc/net/if_inet6 2>/dev/null; then
    write_conf "$conf" "$endpoint" "[::1]:$mport"
    start_daemon "$conf" || exit 1
    check "[::1]: serves /metrics" 200 "$(get -g -o /dev/null -w '%{http_code}' "http://[::1]:$mport/metrics")"
    stop_daemon
    check "SIGTERM: exit 0" 0 "$stop_rc"
fi

finish
