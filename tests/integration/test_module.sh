#!/usr/bin/env bash
# tests/integration/test_module.sh BUILD_DIR - the hook's C module
# (dnsoracle_c.so) in LuaJIT, without a recursor, against a real dnsoracled
# (no database): judge() with and without qtype and client, registrable(),
# and the reports: every judged name the domain layer counts reaches the
# oracle (its names_reported), acknowledged with "ok N" (report_acked); the
# root, reverse and malformed names are not reported; a domain whose names
# carry strong evidence is cut off by the oracle from the reports alone.
# Skipped (77) without luajit or without the module.
set -uo pipefail
build=$(cd "$1" && pwd)
probe=$build/tests/integration/dnsoracle_probe
client=$build/client/dnsoracle_client
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
command -v luajit >/dev/null || { echo "test_module: luajit not installed: skipped"; exit 77; }
[ -e "$build/lua/dnsoracle_c.so" ] || { echo "test_module: no $build/lua/dnsoracle_c.so: skipped"; exit 77; }

# A sanitizer build's module needs its runtimes loaded first (luajit itself
# is not built with them), as the e2e test does for the recursor.
preload=$(module_preload "$build/lua/dnsoracle_c.so")

port=$(free_port)
endpoint=tcp://127.0.0.1:$port
conf=$tmp/dnsoracle.conf
printf '[server]\nendpoints = %s\ncontrol_endpoint =\n[database]\nenabled = false\n[hook]\nendpoint = %s\n[metrics]\nlisten =\n' \
    "$endpoint" "$endpoint" >"$conf"
start_daemon "$conf" || exit 1
stat() { "$client" -e "$endpoint" --stats | awk -v k="$1" '$1 == k { print $2 }'; }

# lua SCRIPT: runs SCRIPT with h open on $conf; prints what it prints.
lua() {
    LUA_CPATH="$build/lua/?.so" LD_PRELOAD=$preload ASAN_OPTIONS=detect_leaks=0 luajit -e "
        local h = assert(require('dnsoracle_c').open('$conf'))
        -- the DEALER sends nothing before it is connected (ZMQ_IMMEDIATE)
        os.execute('sleep 0.2')
        local function wait_acked(n) -- the replies come back on the DEALER
            for _ = 1, 200 do
                h:flush()
                if h:stats().report_acked >= n then return true end
                os.execute('sleep 0.01')
            end
            return false
        end
        $1" 2>&1
}

check "judge: a plain name is good" "true ok" "$(lua 'print(h:judge("www.example.com", 1, "127.0.0.1"))' | tr '\t' ' ')"
check "judge: qtype and client are optional" "true ok" "$(lua 'print(h:judge("www.example.com"))' | tr '\t' ' ')"
check "judge: strong evidence (base64 of dns2tcp) is refused" "false" \
    "$(lua 'print((h:judge("aGVsbG8+d29y/bGQ.tun.example.com", 16, "::1")))')"
check "judge: weak evidence (hex of a C2 beacon) passes, its reason kept" "true charset:hex" \
    "$(lua 'print(h:judge("t88d8de31bbea.6b65722f.66e3fae3.example.test", 1, "127.0.0.1"))' | tr '\t' ' ')"
check "judge: nonsense arguments do not break it" "true" \
    "$(lua 'print((h:judge("www.example.com", -5, "a b c")))')"
check "registrable: through the PSL" "example.co.uk tun-a.test nil nil" \
    "$(lua 'print(h:registrable("www.x.Example.CO.uk"), h:registrable("a.b.tun-a.test"), h:registrable("co.uk") or "nil", h:registrable("bad..name") or "nil")' | tr '\t' ' ')"

before=$(stat names_reported)
out=$(lua '
    local names = {"www.example.com", "mail.example.com", "k3x9q.example.org",
                   "aGVsbG8+d29y/bGQ.tun.example.com"}
    for _, n in ipairs(names) do h:judge(n, 1, "127.0.0.1") end
    -- not counted by the domain layer: not reported
    h:judge("1.0.0.127.in-addr.arpa", 12, "127.0.0.1")
    h:judge("bad..name", 1, "127.0.0.1")
    local pending = h:stats().report_pending
    local sent = h:flush()
    print(pending, sent, wait_acked(4), h:stats().report_batches, h:stats().report_dropped)')
check "reports: 4 of 6 names queued and sent in one batch, acknowledged" "4 4 true 1 0" "$(echo "$out" | tr '\t' ' ')"
check "reports: the oracle counted them" 4 "$(($(stat names_reported) - before))"

# 600 names: two full batches of 256 go out by themselves, the rest on flush.
before=$(stat names_reported)
out=$(lua '
    for i = 1, 600 do h:judge("host" .. i .. ".busy.example.net", 1, "127.0.0.1") end
    local s = h:stats()
    print(s.report_batches, s.report_pending, h:flush(), wait_acked(600))')
check "reports: batches of 256 flushed when full (600 names: 2 batches, 88 left, then sent)" \
    "2 88 88 true" "$(echo "$out" | tr '\t' ' ')"
check "reports: the oracle counted all 600" 600 "$(($(stat names_reported) - before))"
check "reports: 600 plain names do not cut their domain" "" "$(grep 'cut off busy.example.net' "$tmp/daemon.log")"

# A tunnel: names with strong evidence under one domain, from one client.
lua '
    for i = 1, 60 do
        h:judge(string.format("%04dqwertyuiopasdfghjklzxcvbnmqwertyuiopasdfghjklzxcvbnm.tun-a.test", i), 16, "127.0.0.9")
    end
    print(h:flush(), wait_acked(60))' >/dev/null
ok=no
for _ in $(seq 1 50); do
    grep -q 'cut off tun-a.test (evidence: ' "$tmp/daemon.log" && { ok=yes; break; }
    sleep 0.1
done
check "reports alone make the oracle cut off a tunnel's domain" yes "$ok"
check "... and it counts the cut" yes "$([ "$(stat domains_cut)" -ge 1 ] && echo yes)"

# Refusals travel with their reason and action (the 7-field fields frame):
# the oracle logs each with the client; a refusal from the script's cache
# (h:refused) is an event only, not counted by the domain layer again.
check "a refusal reaches the oracle with its client (its log)" yes \
    "$(grep -q 'verdict: false aGVsbG8+d29y/bGQ.tun.example.com charset:non-ldh client 127.0.0.1 action refused' \
        "$tmp/daemon.log" && echo yes)"
before=$(stat names_reported)
sleep 1.1 # the tunnel above spent this second's budget of logged refusals
check "h:refused: sent and acknowledged" true \
    "$(lua 'h:refused("x.cached.example", 28, "10.9.8.7", "blocklist"); print(wait_acked(1))')"
check "h:refused: logged by the oracle with the client" yes \
    "$(grep -q 'verdict: false x.cached.example blocklist client 10.9.8.7 action refused' "$tmp/daemon.log" &&
        echo yes)"
check "h:refused: not counted by the domain layer" 0 "$(($(stat names_reported) - before))"
check "no report was malformed" 0 "$(stat bad_reports)"
check "client(): what the log line shows, by [events] client" "10.1.2.3 10.1.2.0 2001:db8:1:200:: - - full" \
    "$(lua 'local o = require("dnsoracle_c")
        print(o.client("10.1.2.3", "full"), o.client("10.1.2.3", "truncated"),
              o.client("2001:db8:1:2ff::7%eth0", "truncated"), o.client("10.1.2.3", "none"),
              o.client("junk", "truncated"), h:settings().events_client)' | tr '\t' ' ')"

# The oracle away: reports are dropped and counted, judge() still answers.
stop_daemon
out=$(lua '
    local good = h:judge("www.example.com", 1, "127.0.0.1")
    h:flush()
    print(good, h:stats().report_dropped)')
check "oracle away: judge answers, the report is dropped and counted" "true 1" "$(echo "$out" | tr '\t' ' ')"
finish
