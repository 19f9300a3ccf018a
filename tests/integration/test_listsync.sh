#!/usr/bin/env bash
# The hook's copy of the lists (lua/listsync.h), driven from luajit without a
# recursor, against a real oracle with a private MariaDB and a fake one:
# a block reaches the hook within 2 s; a change made while the oracle was
# killed is caught up after its restart (another epoch, a generation gap);
# a corrupt or truncated snapshot chunk is refused with a log line and the
# lists in use are kept.
set -uo pipefail
build=$1
probe=$build/tests/integration/dnsoracle_probe
client=$build/client/dnsoracle_client
fake=$build/tests/integration/dnsoracle_fakesnap
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/mariadb.sh"
command -v luajit >/dev/null || { echo "test_listsync: luajit not installed: skipped"; exit 77; }
[ -e "$build/lua/dnsoracle_c.so" ] || { echo "test_listsync: no module: skipped"; exit 77; }
command -v mariadbd >/dev/null || { echo "test_listsync: mariadbd not installed: skipped"; exit 77; }
preload=$(module_preload "$build/lua/dnsoracle_c.so")
db_start || exit 1
db_setup || exit 1

port=$(free_port)
endpoint=tcp://127.0.0.1:$port
publish=tcp://127.0.0.1:$(free_port)
control=ipc://$tmp/control.sock
conf=$tmp/dnsoracle.conf
{
    printf '[server]\nendpoints = %s\ncontrol_endpoint = %s\nthreads = 2\npublish = %s\n' \
        "$endpoint" "$control" "$publish"
    db_config
    printf '[droplist]\nrefresh_seconds = 1\n[metrics]\nlisten =\n[hook]\nendpoint = %s\n' "$endpoint"
} >"$conf"
start_daemon "$conf" || exit 1
export DNSORACLE_CONTROL=$control

# The steps the Lua side runs between its checks (os.execute).
cat >"$tmp/steps.sh" <<STEPS
case \$1 in
block) "$client" -C "$control" --block "\$2" >/dev/null ;;
kill) kill -9 \$(cat "$tmp/pid") 2>/dev/null; sleep 0.3 ;;
start) "$build/oracle/dnsoracled" -c "$conf" 2>>"$tmp/daemon.log" & echo \$! >"$tmp/pid"
    for _ in \$(seq 1 50); do "$probe" "$endpoint" send c:ping >/dev/null 2>&1 && break; sleep 0.1; done ;;
fake) "$fake" "$endpoint" "$publish" "\$2" 3 >"$tmp/fake.out" 2>&1 & echo \$! >"$tmp/pid" ;;
esac
STEPS
echo "$daemon_pid" >"$tmp/pid"
daemon_pid= # the steps own it from here; cleanup below

LUA_CPATH="$build/lua/?.so" LD_PRELOAD=$preload ASAN_OPTIONS=detect_leaks=0 STEPS="$tmp/steps.sh" \
    DNSORACLE_CONF=$conf \
    luajit - >"$tmp/lua.out" 2>&1 <<'LUA'
local h = assert(require('dnsoracle_c').open(os.getenv('DNSORACLE_CONF')))
local function step(...) os.execute('bash ' .. os.getenv('STEPS') .. ' ' .. table.concat({...}, ' ')) end
local function now() local f = io.popen('date +%s%N'); local t = f:read('*n'); f:close(); return t / 1e9 end
local logs = {}
-- sync until cond() or `seconds`; returns the seconds it took or nil
local function until_(cond, seconds)
    local t0 = now()
    while now() - t0 < seconds do
        local _, line = h:sync(100)
        if line then logs[#logs + 1] = line end
        if cond() then return now() - t0 end
    end
    return nil
end
local function listed(n) return h:listed(n) end
print('first snapshot', until_(function() return h:stats().list_snapshots >= 1 end, 5) and 'yes' or 'no')
local t0 = now()
step('block', 'one.test')
local took = until_(function() return listed('www.one.test') == 'blocklist' end, 5)
print('block seen', took and (now() - t0 < 2 and 'within 2 s' or 'late') or 'never')
step('kill')
print('oracle killed: still blocked', listed('www.one.test') or 'nil')
until_(function() return false end, 1)
step('start')
-- a change while the oracle was away would be in the database; a block after
-- its restart too: both must come in (a new epoch: a snapshot)
step('block', 'two.test')
took = until_(function() return listed('www.two.test') == 'blocklist' end, 8)
print('after restart', took and 'caught up' or 'not caught up', listed('www.one.test') or 'nil')
for _, mode in ipairs({ 'crc', 'truncated', 'lines' }) do
    step('kill')
    step('fake', mode)
    logs = {}
    local refusals = h:stats().list_snapshots_refused
    until_(function() return h:stats().list_snapshots_refused > refusals end, 3)
    local said = 'no'
    for _, l in ipairs(logs) do if l:find('refused', 1, true) then said = l end end
    print(mode .. ' chunk', h:stats().list_snapshots_refused > refusals and 'refused' or 'taken',
          'kept', listed('www.one.test') or 'nil', 'fake', listed('www.fake.test') or 'nil')
    print(mode .. ' log', said)
    os.execute('sleep 3')
end
LUA
cat "$tmp/lua.out" >&2
kill "$(cat "$tmp/pid")" 2>/dev/null
line() { grep "^$1" "$tmp/lua.out" | head -1; }
check "the hook's first snapshot" "first snapshot	yes" "$(line 'first snapshot')"
check "a block reaches the hook within 2 s" "block seen	within 2 s" "$(line 'block seen')"
check "the oracle killed: the hook keeps its lists" "oracle killed: still blocked	blocklist" \
    "$(line 'oracle killed')"
check "the oracle restarted: the hook catches up" "after restart	caught up	blocklist" \
    "$(line 'after restart')"
for mode in crc truncated lines; do
    check "a $mode chunk: refused, the lists in use kept" \
        "$mode chunk	refused	kept	blocklist	fake	nil" "$(line "$mode chunk")"
    check "a $mode chunk: a log line says so" yes \
        "$(line "$mode log" | grep -q 'snapshot from .* refused (.*): keeping the lists in use' && echo yes)"
done
finish
