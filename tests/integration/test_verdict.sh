#!/usr/bin/env bash
# tests/integration/test_verdict.sh BUILD_DIR - one verdict path: the hook
# (lua/dnsoracle.lua and its C module, run in LuaJIT with a stand-in for the
# recursor's dq object) gives every name the verdict dnsoracled gives it,
# with query = local and with query = oracle, for names the block, allow and
# drop lists and the allow-list file cover in every combination: a block
# beats an allow-list file entry, a drop does not, the more specific of an
# allow and a block wins; and the action and mode words act as they say.
# Real dnsoracled with a private MariaDB (the drop
# list lives there). Skipped (77) without luajit, the module or mariadbd.
set -uo pipefail
build=$(cd "$1" && pwd)
top=$(cd "$(dirname "$0")/../.." && pwd)
client=$build/client/dnsoracle_client
probe=$build/tests/integration/dnsoracle_probe
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/mariadb.sh"
command -v luajit >/dev/null || { echo "test_verdict: luajit not installed: skipped"; exit 77; }
[ -e "$build/lua/dnsoracle_c.so" ] || { echo "test_verdict: no module: skipped"; exit 77; }
command -v mariadbd >/dev/null || { echo "test_verdict: mariadbd not installed: skipped"; exit 77; }
preload=$(module_preload "$build/lua/dnsoracle_c.so")
db_start || exit 1
db_setup || exit 1

endpoint=tcp://127.0.0.1:$(free_port)
control=ipc://$tmp/control.sock
# conf QUERY: the daemon's and the hook's file; [engine] allow is the
# allow-list file's part that both engines read.
conf() {
    printf '[engine]\nallow = file.test\n'
    printf '[server]\nendpoints = %s\ncontrol_endpoint = %s\npublish = tcp://127.0.0.1:%s\n' \
        "$endpoint" "$control" "$(free_port)"
    db_config
    printf '[droplist]\nrefresh_seconds = 1\n[metrics]\nlisten =\n'
    printf '[hook]\nendpoint = %s\nquery = %s\ntimeout_ms = 2000\ncache_size = 0\n' "$endpoint" "$1"
}
conf local >"$tmp/local.conf"
sed 's/^query = local$/query = oracle/' "$tmp/local.conf" >"$tmp/oracle.conf"
start_daemon "$tmp/local.conf" || exit 1

# The lists: drops as the domain layer's cuts are stored, blocks and allows
# as the operator makes them.
for d in file.test dropped.test; do
    db_sql dns -e "INSERT INTO lists (kind, domain, reason, added_by, added_at)
                   VALUES ('drop', '$d', 'test', 'auto', NOW())"
done
for d in blocked.test evil.file.test d1.cdn.test; do
    "$client" -C "$control" --block "$d" >/dev/null || echo "cannot block $d" >&2
done
for d in ok.dropped.test cdn.test; do
    "$client" -C "$control" --allow "$d" >/dev/null || echo "cannot allow $d" >&2
done
for _ in $(seq 1 $((50 * slow))); do # the drops: at the next reread
    [ "$("$client" -e "$endpoint" www.dropped.test)" = "false www.dropped.test" ] && break
    sleep 0.1
done

names=(www.file.test x.evil.file.test www.dropped.test a.ok.dropped.test www.blocked.test
    www.cdn.test www.d1.cdn.test www.example.com aGVsbG8+d29y/bGQ.tun.example.com)

# hook QUERY: "NAME true|false" for each name, as dnsoracle.lua decides in
# preresolve() (false: answered NXDOMAIN), after the first snapshot.
hook() {
    LUA_CPATH="$build/lua/?.so" DNSORACLE_LUA_CPATH="$build/lua/?.so" LD_PRELOAD=$preload \
        ASAN_OPTIONS=detect_leaks=0 DNSORACLE_CONF=$tmp/$1.conf SCRIPT=$top/lua/dnsoracle.lua \
        luajit - "${names[@]}" <<'LUA'
pdnslog = function(msg) io.stderr:write(msg, "\n") end
pdns = { loglevels = { Error = 3, Warning = 4, Info = 6 }, NXDOMAIN = 3, REFUSED = 5,
         policykinds = { Drop = 2 } }
dofile(os.getenv("SCRIPT"))
for _ = 1, 20 do maintenance() end -- every chunk of the snapshot, and the changes
for _, q in ipairs(arg) do
    local dq = { qname = { toStringNoDot = function() return q end }, qtype = 1,
                 remoteaddr = { toString = function() return "127.0.0.1" end },
                 appliedPolicy = {}, rcode = 0 }
    local answered = preresolve(dq)
    local good = not answered and dq.appliedPolicy.policyKind == nil
    if os.getenv("HOW") then
        good = answered and "rcode " .. dq.rcode or dq.appliedPolicy.policyKind and "dropped" or
               "resolves"
    end
    print(q, tostring(good))
end
LUA
}
daemon=$("$client" -e "$endpoint" "${names[@]}" | awk '{ print $2 "\t" $1 }')
check "the daemon: the file's allow beats a drop, a block beats the file's allow" \
    "$(printf '%s\t%s\n' www.file.test true x.evil.file.test false www.dropped.test false \
        a.ok.dropped.test true www.blocked.test false www.cdn.test true www.d1.cdn.test false \
        www.example.com true aGVsbG8+d29y/bGQ.tun.example.com false)" "$daemon"
for query in local oracle; do
    out=$(hook "$query" 2>"$tmp/hook-$query.log")
    check "query = $query: the hook's verdicts are the daemon's" "$daemon" "$out"
    [ "$out" = "$daemon" ] || cat "$tmp/hook-$query.log" >&2
done

# The choice words the module takes from config.c reach the script's
# decisions: a blocked name with each action, and in monitor mode.
names=(www.blocked.test)
for how in "action = refused:rcode 5" "action = drop:dropped" "action = nxdomain:rcode 3" \
    "mode = monitor:resolves"; do
    sed "s/^query = local$/query = oracle\n${how%%:*}/" "$tmp/local.conf" >"$tmp/how.conf"
    check "${how%%:*}: a blocked name" "$(printf 'www.blocked.test\t%s' "${how#*:}")" \
        "$(HOW=1 hook how 2>"$tmp/hook-how.log")"
done
check "mode = monitor: logged as would block" yes \
    "$(grep -q 'would block www.blocked.test (blocklist)' "$tmp/hook-how.log" && echo yes)"
finish
