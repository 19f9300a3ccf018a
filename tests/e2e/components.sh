# shellcheck shell=bash
# tests/e2e/components.sh - the real components around dnsoracle for
# end-to-end tests: nsd serving example.test, busy.test and strong.test,
# pdns-recursor 4.8 with a Lua hook, a dns2tcp tunnel and an iodine tunnel
# behind the recursor, each tunnel under a registrable domain of its own
# (tun-a.test, io-b.test: `.test` is a one-label public suffix), as real
# tunnels are, so that a domain the oracle cuts off is the tunnel's alone.
# Source it after tests/integration/lib.sh ($tmp, free_port, check, the
# cleanup trap).
#
# Everything listens on loopback only; every tun device lives in a network
# namespace made here. Every process is started by pid, bounded in time
# (each daemon runs under `timeout $e2e_max_seconds`, so even a test killed
# with SIGKILL leaves nothing running for long) and recorded in
# $e2e_dir/pids; e2e_cleanup ends them by pid.
#
# Globals set when sourced:
#   e2e_dir        $tmp/e2e, the working directory of everything here
#   nsd_port       nsd on 127.0.0.1 (UDP and TCP)
#   rec_port       the recursor on 127.0.0.1 (UDP and TCP)
#   rec_addr53     the recursor's second address, port 53 (for dns2tcpc):
#                  127.0.0.3, or 127.53.0.N when that is taken
#   dns2tcp_domain tun-a.test, dns2tcpd's domain
#   dns2tcp_port   dns2tcpd on 127.0.0.1 (UDP), forwarded for $dns2tcp_domain
#   echo_port      the TCP echo server behind dns2tcpd's resource "echo"
#   iodine_domain  io-b.test, iodined's domain
#   iodine_port    on 127.0.0.1 (UDP), forwarded for $iodine_domain; the
#                  bridge to iodined while iodine_check runs
# Set by the functions: nsd_pid, rec_pid, rec_dir, echo_pid, dns2tcpd_pid.
# Environment: E2E_MAX_SECONDS (default 1800) bounds every daemon's life.

# shellcheck disable=SC2154 # tmp comes from lib.sh
e2e_dir=$tmp/e2e
mkdir -p "$e2e_dir"
: >"$e2e_dir/pids"
e2e_max_seconds=${E2E_MAX_SECONDS:-1800}
e2e_used_ports=
nsd_pid='' rec_pid='' rec_dir='' echo_pid='' dns2tcpd_pid=''
dns2tcp_domain=tun-a.test
iodine_domain=io-b.test

# e2e_port_in_use PORT [ADDR]: true when a listening TCP socket or a UDP
# socket (IPv4 or IPv6) in this network namespace has local port PORT; with
# ADDR (IPv4), only one bound to ADDR or to a wildcard address counts.
e2e_port_in_use() {
    local hexport hexaddr=
    hexport=$(printf '%04X' "$1")
    if [ -n "${2:-}" ]; then
        local IFS=.
        # shellcheck disable=SC2086
        set -- "$1" $2
        hexaddr=$(printf '%02X%02X%02X%02X' "$5" "$4" "$3" "$2")
    fi
    awk -v p="$hexport" -v a="$hexaddr" '
        FNR > 1 { split($2, la, ":")
                  if (la[2] != p || (FILENAME ~ /tcp/ && $4 != "0A")) next
                  if (a == "" || la[1] == a || la[1] ~ /^0+$/) { found = 1; exit } }
        END { exit !found }' /proc/net/tcp /proc/net/udp /proc/net/tcp6 /proc/net/udp6 2>/dev/null
}

# e2e_free_port VAR: sets VAR to a loopback port free for TCP and UDP and
# not handed out before (not a $(...) function: it must remember its ports).
e2e_free_port() {
    local p
    for _ in $(seq 1 50); do
        p=$(free_port) || return 1
        case " $e2e_used_ports " in *" $p "*) continue ;; esac
        e2e_port_in_use "$p" && continue
        e2e_used_ports="$e2e_used_ports $p"
        printf -v "$1" %s "$p"
        return 0
    done
    return 1
}

# The start time of PID (clock ticks since boot), so that a recorded pid is
# never mistaken for a later process that reuses the number.
e2e_starttime() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    # shellcheck disable=SC2086 # split into fields
    set -- $stat
    echo "${20}"
}

# e2e_track PID: record PID for e2e_cleanup.
e2e_track() {
    echo "$1 $(e2e_starttime "$1")" >>"$e2e_dir/pids"
}

e2e_alive() { # PID: not gone and not a zombie
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [ "${stat%% *}" != Z ]
}

e2e_descendants() { # PID: its descendants, deepest first
    local f line pid
    local -A kids=()
    for f in /proc/[0-9]*/stat; do
        read -r line 2>/dev/null <"$f" || continue
        pid=${line%% *}
        line=${line##*) }
        # shellcheck disable=SC2086 # split into fields
        set -- "$1" $line
        kids[$3]+=" $pid"
    done
    _e2e_descendants "$1"
}
_e2e_descendants() {
    local c
    for c in ${kids[$1]:-}; do
        _e2e_descendants "$c"
        echo "$c"
    done
}

# e2e_kill PID [TENTHS]: SIGTERM to PID and its descendants, at most TENTHS
# tenths of a second (default 50) for them to go, then SIGKILL; reaps PID if
# it is a child of this shell.
e2e_kill() {
    local pid=$1 tenths=${2:-50} all p
    [ -n "$pid" ] || return 0
    if e2e_alive "$pid"; then
        all="$(e2e_descendants "$pid") $pid"
        # shellcheck disable=SC2086 # a list of pids
        kill -TERM $all 2>/dev/null
        for _ in $(seq 1 "$tenths"); do
            e2e_alive "$pid" || break
            sleep 0.1
        done
        for p in $all; do
            e2e_alive "$p" && kill -KILL "$p" 2>/dev/null
        done
    fi
    wait "$pid" 2>/dev/null
    return 0
}

# e2e_wait_gone PID TENTHS: true when PID ended within TENTHS tenths of a second.
e2e_wait_gone() {
    for _ in $(seq 1 "$2"); do
        e2e_alive "$1" || return 0
        sleep 0.1
    done
    ! e2e_alive "$1"
}

# Ends every recorded process still running (newest first, each only if it
# is still the process that was recorded). Safe to call more than once.
e2e_cleanup() {
    local pid start
    [ -f "$e2e_dir/pids" ] || return 0
    if [ -n "$rec_pid" ] && e2e_alive "$rec_pid"; then recursor_stop; fi
    while read -r pid start; do
        [ -n "$pid" ] || continue
        [ "$(e2e_starttime "$pid")" == "$start" ] || continue
        e2e_kill "$pid" 30
    done < <(tac "$e2e_dir/pids")
    : >"$e2e_dir/pids"
}

# Until lib.sh's cleanup() calls e2e_cleanup itself, run it first from the trap.
if ! declare -f cleanup | grep -q e2e_cleanup; then
    trap 'e2e_cleanup; cleanup' EXIT
fi

# e2e_run LOG CMD...: starts CMD in the background under `timeout`, stdin
# from ${e2e_stdin:-/dev/null}, stdout and stderr appended to LOG; records
# its pid (that of timeout, which passes SIGTERM on to CMD) and sets
# e2e_last_pid to it.
e2e_run() {
    local log=$1
    shift
    timeout -k 5 "$e2e_max_seconds" "$@" <>"${e2e_stdin:-/dev/null}" >>"$log" 2>&1 &
    e2e_last_pid=$!
    e2e_track "$e2e_last_pid"
}

# e2e_udp_listening PORT [NSPID]: true when something in this network
# namespace (or that of NSPID) has a UDP socket on PORT.
e2e_udp_listening() {
    local hexport
    hexport=$(printf '%04X' "$1")
    if [ -n "${2:-}" ]; then
        nsenter -t "$2" -n cat /proc/net/udp
    else
        cat /proc/net/udp
    fi 2>/dev/null | awk -v p="$hexport" 'FNR > 1 { split($2, la, ":"); if (la[2] == p) f = 1 } END { exit !f }'
}

e2e_free_port nsd_port
e2e_free_port rec_port
e2e_free_port dns2tcp_port
e2e_free_port iodine_port
e2e_free_port echo_port
# e2e_pick_addr53: keeps $rec_addr53 while port 53 on it is free, else sets
# it to the first free one of 127.0.0.3, 127.53.0.1 ... 127.53.0.50.
e2e_pick_addr53() {
    local a
    if [ -n "$rec_addr53" ] && ! e2e_port_in_use 53 "$rec_addr53"; then
        return 0
    fi
    for a in 127.0.0.3 $(seq -f '127.53.0.%g' 1 50); do
        if ! e2e_port_in_use 53 "$a"; then
            rec_addr53=$a
            return 0
        fi
    done
    echo "no free 127.x address for port 53 (tried 127.0.0.3, 127.53.0.1-50)" >&2
    return 1
}
rec_addr53=''
e2e_pick_addr53

# ---------------------------------------------------------------- nsd

# nsd_start: nsd on 127.0.0.1:$nsd_port serving example.test (benign names,
# a wildcard under words.example.test, and one under a hex C2-beacon-like
# name, so that such a name has an answer to give), busy.test (a wildcard:
# any number of plain host names) and strong.test (a wildcard too, for names
# that carry data in a form nothing benign uses: they get an answer when no
# hook refuses them); waits (at most 10 s) until it
# answers. Sets nsd_pid. Log: $e2e_dir/nsd/nsd.log.
nsd_start() {
    local d=$e2e_dir/nsd
    mkdir -p "$d"
    cat >"$d/example.test.zone" <<'EOF'
$ORIGIN example.test.
$TTL 60
@       IN SOA  ns1.example.test. hostmaster.example.test. 1 3600 600 86400 60
@       IN NS   ns1.example.test.
ns1     IN A    198.51.100.1
www     IN A    198.51.100.10
mail    IN A    198.51.100.11
api     IN A    198.51.100.12
*.words IN A    198.51.100.20
*.6b65722f.66e3fae3 IN A 198.51.100.30
txt     IN TXT  "hello"
EOF
    cat >"$d/busy.test.zone" <<'EOF'
$ORIGIN busy.test.
$TTL 60
@       IN SOA  ns1.busy.test. hostmaster.busy.test. 1 3600 600 86400 60
@       IN NS   ns1.busy.test.
ns1     IN A    198.51.100.1
*       IN A    198.51.100.20
EOF
    cat >"$d/strong.test.zone" <<'EOF'
$ORIGIN strong.test.
$TTL 60
@       IN SOA  ns1.strong.test. hostmaster.strong.test. 1 3600 600 86400 60
@       IN NS   ns1.strong.test.
ns1     IN A    198.51.100.1
*       IN A    198.51.100.40
EOF
    cat >"$d/nsd.conf" <<EOF
server:
    ip-address: 127.0.0.1
    port: $nsd_port
    do-ip4: yes
    do-ip6: no
    username: ""
    chroot: ""
    database: ""
    server-count: 1
    verbosity: 1
    # No response rate limiting: the recursor is one source asking many
    # names of one wildcard (200 a second would already be limited, and
    # its SERVFAILs taken for the hook's doing).
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
    logfile: "$d/nsd.log"
    pidfile: "$d/nsd.pid"
    zonelistfile: "$d/zone.list"
    xfrdfile: "$d/xfrd.state"
    xfrdir: "$d"
    zonesdir: "$d"
remote-control:
    control-enable: no
zone:
    name: example.test
    zonefile: example.test.zone
zone:
    name: busy.test
    zonefile: busy.test.zone
zone:
    name: strong.test
    zonefile: strong.test.zone
EOF
    e2e_run "$d/nsd.stderr" nsd -d -c "$d/nsd.conf"
    nsd_pid=$e2e_last_pid
    for _ in $(seq 1 100); do
        if [ "$(dig @127.0.0.1 -p "$nsd_port" www.example.test +short +time=1 +tries=1 2>/dev/null)" == 198.51.100.10 ]; then
            return 0
        fi
        e2e_alive "$nsd_pid" || break
        sleep 0.1
    done
    echo "nsd did not start:" >&2
    tail -20 "$d/nsd.stderr" "$d/nsd.log" >&2 2>/dev/null
    return 1
}

nsd_stop() {
    e2e_kill "$nsd_pid"
    nsd_pid=
}

# ---------------------------------------------------------------- pdns-recursor

# recursor_start LUA_SCRIPT [EXTRA_CONFIG_LINES...]: pdns-recursor on
# 127.0.0.1:$rec_port and $rec_addr53:53 with LUA_SCRIPT as lua-dns-script,
# forwarding example.test, busy.test and strong.test to nsd, $dns2tcp_domain to dns2tcpd
# and $iodine_domain to $iodine_port. Each extra line is appended to
# recursor.conf as it is. The caller's environment reaches the recursor.
# Waits (at most 10 s) until it answers www.example.test (so nsd must run).
# Sets rec_pid and rec_dir; output goes to $tmp/recursor.log.
recursor_start() {
    local lua=$1 line attempt logsize
    shift
    rec_dir=$e2e_dir/recursor
    mkdir -p "$rec_dir"
    if [ ! -r "$lua" ]; then
        echo "recursor_start: no Lua script $lua" >&2
        return 1
    fi
    lua=$(realpath "$lua")
    touch "$tmp/recursor.log"
    # Another test may take port 53 on $rec_addr53 (or $rec_port) between
    # the check and the bind: then pick again and retry, at most 3 times.
    for attempt in 1 2 3; do
        e2e_pick_addr53 || return 1
        if e2e_port_in_use "$rec_port"; then e2e_free_port rec_port || return 1; fi
        {
            echo "config-dir=$rec_dir"
            echo "socket-dir=$rec_dir"
            echo "local-address=127.0.0.1:$rec_port, $rec_addr53:53"
            echo "reuseport=no" # a second recursor on the address must fail, not share it
            echo "daemon=no"
            echo "write-pid=no"
            echo "disable-syslog=yes"
            echo "threads=2"
            echo "hint-file=no"
            echo "dnssec=off"
            echo "qname-minimization=no"
            echo "security-poll-suffix="
            echo "disable-packetcache=yes"
            echo "lua-dns-script=$lua"
            echo "forward-zones=example.test=127.0.0.1:$nsd_port, busy.test=127.0.0.1:$nsd_port, strong.test=127.0.0.1:$nsd_port, $dns2tcp_domain=127.0.0.1:$dns2tcp_port, $iodine_domain=127.0.0.1:$iodine_port"
            for line in "$@"; do
                echo "$line"
            done
        } >"$rec_dir/recursor.conf"
        logsize=$(stat -c %s "$tmp/recursor.log")
        e2e_run "$tmp/recursor.log" pdns_recursor --config-dir="$rec_dir"
        rec_pid=$e2e_last_pid
        for _ in $(seq 1 100); do
            if [ "$(dig @127.0.0.1 -p "$rec_port" www.example.test +short +time=1 +tries=1 2>/dev/null)" == 198.51.100.10 ]; then
                return 0
            fi
            e2e_alive "$rec_pid" || break
            sleep 0.1
        done
        e2e_kill "$rec_pid"
        rec_pid=''
        grep -q 'ddress already in use' < <(tail -c +$((logsize + 1)) "$tmp/recursor.log") || break
        echo "recursor_start: an address was taken (attempt $attempt), retrying" >&2
    done
    echo "pdns_recursor did not start or does not resolve www.example.test; its log:" >&2
    tail -30 "$tmp/recursor.log" >&2
    return 1
}

# recursor_stop: rec_control quit-nicely, at most 10 s, then SIGTERM/SIGKILL.
recursor_stop() {
    [ -n "$rec_pid" ] || return 0
    if e2e_alive "$rec_pid"; then
        timeout 5 rec_control --socket-dir="$rec_dir" quit-nicely >/dev/null 2>&1
        e2e_wait_gone "$rec_pid" 100
    fi
    e2e_kill "$rec_pid"
    rec_pid=
}

# ---------------------------------------------------------------- dns2tcp

# dns2tcp_start: a TCP echo server (socat) on 127.0.0.1:$echo_port and
# dns2tcpd for $dns2tcp_domain on 127.0.0.1:$dns2tcp_port (UDP) with the
# resource "echo" pointing at it; dns2tcpd runs as nobody, chrooted in
# $e2e_dir/dns2tcp/chroot. DNS2TCPD_DEBUG (default 1; 3 logs every query
# name) sets its -d. Waits (at most 5 s) for both to listen. Sets echo_pid,
# dns2tcpd_pid. Log: $e2e_dir/dns2tcp/dns2tcpd.log.
dns2tcp_start() {
    local d=$e2e_dir/dns2tcp
    mkdir -p "$d/chroot"
    e2e_run "$d/echo.log" socat TCP-LISTEN:"$echo_port",bind=127.0.0.1,reuseaddr,fork EXEC:/bin/cat
    echo_pid=$e2e_last_pid
    cat >"$d/dns2tcpd.conf" <<EOF
listen = 127.0.0.1
port = $dns2tcp_port
user = nobody
chroot = $d/chroot
domain = $dns2tcp_domain
resources = echo:127.0.0.1:$echo_port
EOF
    # In the foreground dns2tcpd select()s on its stdin: /dev/null (always
    # readable) would make it spin at 100% CPU. A FIFO it holds open for
    # reading and writing is never readable and never at EOF.
    rm -f "$d/stdin"
    mkfifo "$d/stdin"
    e2e_stdin=$d/stdin e2e_run "$d/dns2tcpd.log" dns2tcpd -F -d "${DNS2TCPD_DEBUG:-1}" -f "$d/dns2tcpd.conf"
    dns2tcpd_pid=$e2e_last_pid
    for _ in $(seq 1 50); do
        if e2e_udp_listening "$dns2tcp_port" && (exec 3<>"/dev/tcp/127.0.0.1/$echo_port") 2>/dev/null; then
            return 0
        fi
        if ! e2e_alive "$dns2tcpd_pid" || ! e2e_alive "$echo_pid"; then break; fi
        sleep 0.1
    done
    echo "dns2tcpd or the echo server did not start:" >&2
    tail -20 "$d/dns2tcpd.log" "$d/echo.log" >&2
    return 1
}

dns2tcp_stop() {
    e2e_kill "$dns2tcpd_pid"
    e2e_kill "$echo_pid"
    dns2tcpd_pid='' echo_pid=''
}

# dns2tcp_transfer BYTES [SECONDS]: dns2tcpc through the recursor
# ($rec_addr53:53) to the echo resource; sends BYTES random bytes and reads
# them back within SECONDS (default 60). Prints "ok" when the same bytes came
# back, else "fail: REASON". Writes the milliseconds the whole transfer took
# (connect to last byte back) to $e2e_dir/dns2tcp.ms. dns2tcpc's log:
# $e2e_dir/dns2tcp/dns2tcpc.log. Always ends dns2tcpc.
dns2tcp_transfer() {
    local bytes=$1 limit=${2:-60} d=$e2e_dir/dns2tcp lp cpid wpid s e got reason=
    local in=$d/xfer.in out=$d/xfer.out
    mkdir -p "$d"
    head -c "$bytes" /dev/urandom >"$in"
    : >"$out"
    e2e_free_port lp || { echo "fail: no free port"; return 1; }
    s=$(date +%s%N)
    timeout -k 2 "$limit" dns2tcpc -z "$dns2tcp_domain" -r echo -l "$lp" "$rec_addr53" \
        </dev/null >"$d/dns2tcpc.log" 2>&1 &
    cpid=$!
    e2e_track "$cpid"
    for _ in $(seq 1 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$lp") 2>/dev/null && break
        e2e_alive "$cpid" || break
        sleep 0.1
    done
    if ! e2e_alive "$cpid"; then
        reason="dns2tcpc exited: $(tail -3 "$d/dns2tcpc.log" | tr '\n' ' ')"
    elif ! exec 5<>"/dev/tcp/127.0.0.1/$lp"; then
        reason="dns2tcpc does not listen on 127.0.0.1:$lp"
    else
        cat "$in" >&5 &
        wpid=$!
        timeout "$limit" head -c "$bytes" <&5 >"$out" 2>>"$d/dns2tcpc.log"
        e=$(date +%s%N)
        exec 5>&-
        e2e_kill "$wpid" 10
        got=$(stat -c %s "$out")
        echo $(((e - s) / 1000000)) >"$e2e_dir/dns2tcp.ms"
        if [ "$got" -ne "$bytes" ]; then
            reason="$got of $bytes bytes came back in $(((e - s) / 1000000)) ms (limit ${limit}s); $(tail -2 "$d/dns2tcpc.log" | tr '\n' ' ')"
        elif ! cmp -s "$in" "$out"; then
            reason="the bytes that came back differ"
        fi
    fi
    e2e_kill "$cpid" 20
    if [ -n "$reason" ]; then
        echo "fail: $reason"
        return 1
    fi
    echo ok
}

# ---------------------------------------------------------------- iodine

# iodine_check [SECONDS [IODINE_OPTION...]]: an iodine tunnel through the
# recursor. Prints "connected" when the iodine client finished its handshake
# (and its tun device has its tunnel address) within SECONDS (default 30,
# setup and teardown included), else "failed" (details in
# $e2e_dir/iodine/*.log). Ends all it started. IODINE_OPTIONs go to the
# client before its arguments, e.g. `-m 900` skips the downstream fragment
# size probe (about 5 s of the 6 s a default connection takes here: answers
# over the recursor's 1232-byte UDP limit never arrive), `-T TXT` another
# query type.
#
# Design: iodined and the iodine client each need a tun device, so each runs
# in a network namespace of its own (unshare -n, kept by a `sleep` holder);
# the recursor stays in this namespace. Two socat bridges over Unix
# SOCK_SEQPACKET sockets in $e2e_dir (datagram boundaries kept; one child
# per query, so every answer goes back to the port that asked) join them:
#   client ns  127.0.0.1:53  -> recursor 127.0.0.1:$rec_port
#   this ns    127.0.0.1:$iodine_port ($iodine_domain forward) -> server ns
#              iodined 127.0.0.1:5353
# The client's query path is thus: iodine -> bridge -> recursor (Lua hook)
# -> bridge -> iodined, and no tunnel address exists in this namespace.
iodine_check() {
    local limit=${1:-30} d=$e2e_dir/iodine hs hc s pids='' p state=failed left
    shift $(($# > 0 ? 1 : 0))
    rm -rf "$d"
    mkdir -p "$d"
    s=$(date +%s%N)
    # Namespace holders: their sleep bounds them even if nothing else does.
    unshare -n -- sleep $((limit + 30)) </dev/null >/dev/null 2>&1 &
    hs=$!
    e2e_track "$hs"
    unshare -n -- sleep $((limit + 30)) </dev/null >/dev/null 2>&1 &
    hc=$!
    e2e_track "$hc"
    pids="$hs $hc"
    # Wait until unshare has exec'd sleep in its new namespace.
    for _ in $(seq 1 50); do
        [ "$(readlink /proc/"$hs"/ns/net)" != "$(readlink /proc/$$/ns/net)" ] &&
            [ "$(readlink /proc/"$hc"/ns/net)" != "$(readlink /proc/$$/ns/net)" ] && break
        sleep 0.05
    done
    if nsenter -t "$hs" -n ip link set lo up && nsenter -t "$hc" -n ip link set lo up; then
        timeout -k 2 "$limit" nsenter -t "$hs" -n \
            iodined -f -c -D -P e2esecret -l 127.0.0.1 -p 5353 10.77.0.1/27 "$iodine_domain" \
            </dev/null >"$d/iodined.log" 2>&1 &
        p=$!
        e2e_track "$p"
        pids="$p $pids"
        timeout -k 2 "$limit" nsenter -t "$hs" -n socat -T 10 \
            UNIX-LISTEN:"$d/srv.sock",socktype=5,fork UDP4:127.0.0.1:5353 \
            </dev/null >"$d/bridge-srv-ns.log" 2>&1 &
        p=$!
        e2e_track "$p"
        pids="$p $pids"
        timeout -k 2 "$limit" socat -T 10 \
            UDP4-RECVFROM:"$iodine_port",bind=127.0.0.1,fork UNIX-CONNECT:"$d/srv.sock",socktype=5 \
            </dev/null >"$d/bridge-srv.log" 2>&1 &
        p=$!
        e2e_track "$p"
        pids="$p $pids"
        timeout -k 2 "$limit" socat -T 10 \
            UNIX-LISTEN:"$d/rec.sock",socktype=5,fork UDP4:127.0.0.1:"$rec_port" \
            </dev/null >"$d/bridge-rec.log" 2>&1 &
        p=$!
        e2e_track "$p"
        pids="$p $pids"
        timeout -k 2 "$limit" nsenter -t "$hc" -n socat -T 10 \
            UDP4-RECVFROM:53,bind=127.0.0.1,fork UNIX-CONNECT:"$d/rec.sock",socktype=5 \
            </dev/null >"$d/bridge-rec-ns.log" 2>&1 &
        p=$!
        e2e_track "$p"
        pids="$p $pids"
        # Everything listening?
        for _ in $(seq 1 50); do
            [ -S "$d/srv.sock" ] && [ -S "$d/rec.sock" ] &&
                e2e_udp_listening 5353 "$hs" && e2e_udp_listening 53 "$hc" &&
                e2e_udp_listening "$iodine_port" && break
            sleep 0.1
        done
        # What is left of the time limit, less 1 s for the teardown.
        left=$((limit * 1000 - ($(date +%s%N) - s) / 1000000 - 1000))
        if [ "$left" -gt 0 ]; then
            timeout -k 1 "$((left / 1000)).$(printf %03d $((left % 1000)))" nsenter -t "$hc" -n \
                iodine -f -r -P e2esecret "$@" 127.0.0.1 "$iodine_domain" \
                </dev/null >"$d/iodine.log" 2>&1 &
            p=$!
            e2e_track "$p"
            pids="$p $pids"
            while e2e_alive "$p"; do
                if grep -q 'Connection setup complete' "$d/iodine.log" 2>/dev/null; then
                    # The tunnel address must be on a device in the client's
                    # namespace, and on none in this one.
                    if nsenter -t "$hc" -n ip -o -4 addr show 2>/dev/null | grep -q ' 10\.77\.0\.' &&
                        ! ip -o -4 addr show | grep -q ' 10\.77\.0\.'; then
                        state=connected
                    fi
                    break
                fi
                sleep 0.1
            done
        fi
    fi
    for p in $pids; do
        e2e_kill "$p" 20
    done
    echo "$state"
    [ "$state" == connected ]
}
