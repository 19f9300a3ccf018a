#!/usr/bin/env bash
# tests/test_install.sh - install.sh for real, as a fresh machine gets it:
# install (with the pdns-recursor hook), check the installed client and the
# recursor, run it again (nothing may change), --uninstall (no process left,
# the recursor's configuration as it was), --uninstall --purge. It changes
# the machine (packages, /usr/local, /etc, a user, a database), so
# tests/run.sh runs it only under CI=true or DNSORACLE_TEST_INSTALL=1.
set -uo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
. tests/integration/lib.sh
if [ "$(id -u)" -ne 0 ]; then
    echo "test_install: needs root: skipped"
    exit 77
fi
prefix=/usr/local
tunnel=88d8de31bbea6b65722f66e3fae3a1b2c3d4e5f6.0718293a4b5c6d7e8f9051a2b3c4d5e6f7a8b9c0.example.net
rec_conf=/etc/powerdns/recursor.conf
# the recursor's configuration before anything: the package's, or the operator's
snapshot() { cat "$rec_conf" /etc/powerdns/recursor.d/*.conf 2>/dev/null | md5sum; }
# Running dnsoracled and pdns_recursor processes, but for those already
# running before the test (someone else's, which the test must not count or
# touch). Zombies do not count: where PID 1 never reaps orphans (CI's
# container) a stopped daemon stays a zombie, and its /proc/PID/comm still
# carries the name.
preexisting=" "
daemons() { # PID NAME lines
    local p stat c
    for p in /proc/[0-9]*; do
        case $preexisting in *" ${p#/proc/} "*) continue ;; esac
        stat=$(cat "$p/stat" 2>/dev/null) || continue
        c=${stat#*(} c=${c%%)*} stat=${stat##*) }
        [ "${stat%% *}" = Z ] && continue
        case $c in dnsoracled | pdns_recursor) echo "${p#/proc/} $c" ;; esac
    done
}
procs() { daemons | awk '{ print $2 }' | sort | tr '\n' ' '; }
preexisting=" $(daemons | awk '{ print $1 }' | tr '\n' ' ')"
[ "$preexisting" = " " ] ||
    echo "note: already running before the test, not counted: pids$preexisting"

# A port dnsoracled needs, taken by another program: refused before changing
# anything, naming the setting (here [server] publish's 5556: the oracle
# would otherwise run without pushing list changes, and say so only in its log).
if command -v ss >/dev/null && command -v socat >/dev/null; then
    socat TCP-LISTEN:5556,bind=127.0.0.1,reuseaddr,fork /dev/null &
    holder=$!
    for _ in $(seq 1 50); do
        ss -Hltn "sport = :5556" | grep -q . && break
        sleep 0.1
    done
    ./install.sh --with-recursor </dev/null >"$tmp/taken.log" 2>&1
    check "port 5556 taken: refused (exit 1)" 1 "$?"
    check "... naming the program and [server] publish" yes \
        "$(grep -q 'port 5556 (\[server\] publish) is taken by "socat"' "$tmp/taken.log" && echo yes)"
    kill "$holder" 2>/dev/null
    wait "$holder" 2>/dev/null
fi

# An operator's own Lua script in the recursor: refused, then replaced with
# --force, and restored by --uninstall.
apt-get install -y -q pdns-recursor >/dev/null 2>&1
other=/etc/powerdns/recursor.d/zz-operator.conf
mkdir -p /etc/powerdns/recursor.d
printf 'lua-dns-script=/etc/powerdns/operator.lua\n' >"$other"
before=$(snapshot)
./install.sh --with-recursor </dev/null >"$tmp/refused.log" 2>&1
check "another Lua script configured: refused (exit 1)" 1 "$?"
check "... saying which and what to do" yes \
    "$(grep -q "$other:1:lua-dns-script=/etc/powerdns/operator.lua" "$tmp/refused.log" &&
        grep -q -- '--force' "$tmp/refused.log" && echo yes)"
check "... before changing anything" no "$([ -e "$prefix/sbin/dnsoracled" ] && echo yes || echo no)"
./install.sh --with-recursor --force </dev/null >"$tmp/install1.log" 2>&1
rc=$?
check "install.sh --with-recursor --force: exit 0" 0 "$rc"
check "--force: the operator's script line commented out" yes \
    "$(grep -q '^# disabled by dnsoracle install.sh: lua-dns-script=' "$other" && echo yes)"
[ "$rc" -eq 0 ] || tail -30 "$tmp/install1.log"
check "the installed client gets verdicts" "true www.example.com
false $tunnel" "$("$prefix/bin/dnsoracle_client" www.example.com "$tunnel")"
for f in sbin/dnsoracled bin/dnsoracle_client share/dnsoracle/dnsoracle.lua \
    lib/lua/5.1/dnsoracle_c.so share/man/man8/dnsoracled.8 share/man/man1/dnsoracle_client.1 \
    lib/systemd/system/dnsoracle.service share/dnsoracle/sql/migrate.sh; do
    check "installed: $f" yes "$([ -e "$prefix/$f" ] && echo yes)"
done
check "config: root:dnsoracle 0640" "root:dnsoracle 640" "$(stat -c '%U:%G %a' /etc/dnsoracle/dnsoracle.conf)"
check "config: a database password was generated" yes \
    "$(grep -q '^password = [A-Za-z0-9]\{16,\}$' /etc/dnsoracle/dnsoracle.conf && echo yes)"
check "the database user can connect" 1 \
    "$(mariadb --no-defaults --socket=/run/mysqld/mysqld.sock -u dnsoracle \
        -p"$(sed -n 's/^password = //p' /etc/dnsoracle/dnsoracle.conf)" -N -B dns \
        -e 'SELECT 1' 2>&1)"
check "the recursor refuses a tunnel-like name" NXDOMAIN \
    "$(dig @127.0.0.1 "$tunnel" +time=2 +tries=1 | sed -n 's/.*status: \([A-Z]*\),.*/\1/p')"
check "the installation says what it did" yes \
    "$(grep -q 'dnsoracled answers on tcp://127.0.0.1:5555' "$tmp/install1.log" && echo yes)"

./install.sh --with-recursor </dev/null >"$tmp/install2.log" 2>&1
check "a second run: exit 0" 0 "$?"
check "a second run changes nothing and says so" yes \
    "$(grep -q '^== nothing changed' "$tmp/install2.log" && echo yes)"
[ -n "$(grep '^== nothing changed' "$tmp/install2.log")" ] || cat "$tmp/install2.log"

./install.sh --uninstall </dev/null >"$tmp/uninstall.log" 2>&1
check "--uninstall: exit 0" 0 "$?"
sleep 0.5
check "--uninstall: no dnsoracled or recursor of ours left running" "" "$(procs)"
check "--uninstall: the recursor's configuration restored" "$before" "$(snapshot)"
check "--uninstall: the programs are gone" no "$([ -e "$prefix/sbin/dnsoracled" ] && echo yes || echo no)"
check "--uninstall: the database is kept" yes "$([ -d /var/lib/mysql/dns ] && echo yes)"
check "--uninstall: the configuration is kept" yes "$([ -e /etc/dnsoracle/dnsoracle.conf ] && echo yes)"

./install.sh --uninstall --purge </dev/null >"$tmp/purge.log" 2>&1
check "--uninstall --purge: exit 0" 0 "$?"
check "--purge: the configuration is gone" no "$([ -e /etc/dnsoracle ] && echo yes || echo no)"
check "--purge: the database is gone" no "$([ -d /var/lib/mysql/dns ] && echo yes || echo no)"
check "--purge: no process left" "" "$(procs)"
check "--purge: the user is gone" no "$(getent passwd dnsoracle >/dev/null && echo yes || echo no)"
rm -f "$other"
finish
