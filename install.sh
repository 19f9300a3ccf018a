#!/usr/bin/env bash
# install.sh - installs dnsoracle on a Debian 12 machine, runs the service and
# wires the hook into pdns-recursor. Run it again to upgrade: what is already
# in place is left alone, and it says so.
#
#   sudo ./install.sh [--with-recursor] [--force]
#   sudo ./install.sh --uninstall [--purge]
#   PREFIX=/opt/dnsoracle sudo ./install.sh
#
# 1. checks: root, Debian-like, port 5555 not taken by something else;
# 2. installs the packages it needs (apt-get), pdns-recursor too with
#    --with-recursor;
# 3. builds a release build in ./build-release and installs it under $PREFIX
#    (default /usr/local): sbin/dnsoracled, bin/dnsoracle_client (and the
#    offline tools), the hook share/dnsoracle/dnsoracle.lua and its module
#    lib/lua/5.1/dnsoracle_c.so, the SQL files, the unit, the man pages;
# 4. creates the system user dnsoracle; writes /etc/dnsoracle/dnsoracle.conf
#    (root:dnsoracle 0640) and allowlist.txt only when absent;
# 5. sets up the database when [database] is local: starts MariaDB if
#    needed, creates the database, its tables and the user dnsoracle with a
#    random password written only into the config file;
# 6. starts dnsoracled: with systemd as dnsoracle.service; without systemd
#    (containers) in the background as user dnsoracle, pid in
#    /run/dnsoracle/dnsoracled.pid, log in /var/log/dnsoracle/, unsupervised;
# 7. when pdns-recursor is installed: adds lua-dns-script to its
#    configuration (a file in its include-dir, or two marked lines at the end
#    of recursor.conf; a backup is kept), refusing if another Lua script is
#    configured unless --force (which comments that line out), lets the pdns
#    user read dnsoracle.conf, and restarts the recursor;
# 8. checks its own work: the client answers, a benign and a tunnel-like name
#    get the right verdicts, and the recursor refuses the tunnel-like name.
#
# --uninstall stops what it started, removes what it installed and restores
# the recursor's configuration; the database, the configuration and the
# dnsoracle user stay unless --purge. Records of what was done are kept in
# /var/lib/dnsoracle.
set -euo pipefail
cd "$(dirname "$0")"
prefix=${PREFIX:-/usr/local}
etc=/etc/dnsoracle
conf=$etc/dnsoracle.conf
state=/var/lib/dnsoracle
run=/run/dnsoracle
pidfile=$run/dnsoracled.pid
rec_pidfile=$run/pdns_recursor.pid
logdir=/var/log/dnsoracle
hook=$prefix/share/dnsoracle/dnsoracle.lua
rec_conf=/etc/powerdns/recursor.conf
marker="# added by dnsoracle install.sh (install.sh --uninstall removes it)"
disabled="# disabled by dnsoracle install.sh: "
tunnel_name=88d8de31bbea6b65722f66e3fae3a1b2c3d4e5f6.0718293a4b5c6d7e8f9051a2b3c4d5e6f7a8b9c0.example.net

usage() {
    echo "usage: install.sh [--with-recursor] [--force] | --uninstall [--purge]"
}
mode=install with_recursor=no force=no purge=no
for arg in "$@"; do
    case $arg in
    --with-recursor) with_recursor=yes ;;
    --force) force=yes ;;
    --uninstall) mode=uninstall ;;
    --purge) purge=yes ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
    esac
done
if [ "$purge" = yes ] && [ "$mode" != uninstall ]; then
    echo "install.sh: --purge goes with --uninstall" >&2
    exit 2
fi

die() { echo "install.sh: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "install.sh: run as root (it installs packages, a user and a service)" >&2; exit 2; }
[ -r /etc/debian_version ] && command -v apt-get >/dev/null ||
    die "this is not a Debian-like system (no /etc/debian_version or apt-get)"

systemd=no
[ -d /run/systemd/system ] && systemd=yes
changes=0
changed() { changes=$((changes + 1)); echo "   $*"; }

# conf_get SECTION KEY: the value in $conf (empty when unset).
conf_get() {
    awk -F= -v sec="[$1]" -v key="$2" '/^\[/ { s = $0 }
        s == sec && $1 ~ "^" key " *$" { v = substr($0, index($0, "=") + 1); gsub(/^ +| +$/, "", v); print v }' "$conf"
}

# The local MariaDB, through its socket.
dbping() { mariadb-admin --no-defaults --socket=/run/mysqld/mysqld.sock ping >/dev/null 2>&1; }
# db_up: starts MariaDB if it does not answer (its systemd unit, or its init
# script without systemd) and waits up to 10 s; true when it answers. Sets
# db_started=yes when it had to start it.
db_up() {
    db_started=no
    dbping && return 0
    if [ "$systemd" = yes ]; then
        systemctl start mariadb.service
    else
        /etc/init.d/mariadb start >/dev/null 2>&1
    fi && db_started=yes
    for _ in $(seq 1 100); do dbping && return 0; sleep 0.1; done
    return 1
}

# refuse_other_script OTHERS: stops, naming the recursor's other Lua script.
refuse_other_script() {
    die "pdns-recursor already runs another Lua script:
$1
Use --force to comment that out and use dnsoracle's hook (--uninstall restores it)."
}

# running PID: true while PID runs (a zombie waiting to be reaped does not).
running() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [ "${stat%% *}" != Z ]
}
# alive PIDFILE NAME: the pid in PIDFILE when that process runs and is NAME.
alive() {
    local pid
    [ -s "$1" ] || return 1
    pid=$(cat "$1")
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ] && running "$pid" && echo "$pid"
}

# any_running NAME: true when some process called NAME runs (zombies, which
# stay where PID 1 never reaps orphans, do not count; pgrep counts them).
any_running() {
    local p
    for p in /proc/[0-9]*; do
        [ "$(cat "$p/comm" 2>/dev/null)" = "$1" ] && running "${p#/proc/}" && return 0
    done
    return 1
}

# stop_pid PIDFILE NAME: ends that process (at most 5 s), removes the file.
stop_pid() {
    local pid
    if pid=$(alive "$1" "$2"); then
        kill -TERM "$pid"
        for _ in $(seq 1 50); do running "$pid" || break; sleep 0.1; done
        running "$pid" && kill -KILL "$pid"
    fi
    rm -f "$1"
}

# ---- the recursor's configuration -------------------------------------------

rec_include_dir() {
    [ -r "$rec_conf" ] || return 0
    sed -n 's/^[[:space:]]*include-dir[[:space:]]*=[[:space:]]*//p' "$rec_conf" | tail -n 1
}
rec_dropin() {
    local d
    d=$(rec_include_dir)
    [ -n "$d" ] && [ -d "$d" ] && echo "$d/dnsoracle.conf"
}
# Lines setting lua-dns-script, as FILE:LINE:TEXT, other than ours.
rec_other_scripts() {
    local files=("$rec_conf") d dropin
    d=$(rec_include_dir)
    dropin=$(rec_dropin || true)
    [ -n "$d" ] && for f in "$d"/*.conf; do [ -e "$f" ] && [ "$f" != "$dropin" ] && files+=("$f"); done
    grep -Hn '^[[:space:]]*lua-dns-script[[:space:]]*=' "${files[@]}" 2>/dev/null |
        grep -v "=[[:space:]]*$hook[[:space:]]*\$" || true
}
rec_wired() {
    local dropin
    dropin=$(rec_dropin || true)
    { [ -n "$dropin" ] && grep -qx "lua-dns-script=$hook" "$dropin" 2>/dev/null; } ||
        grep -qx "$marker" "$rec_conf" 2>/dev/null
}

rec_wire() {
    local others dropin
    mkdir -p "$state/recursor-backup"
    others=$(rec_other_scripts)
    if [ -n "$others" ]; then
        [ "$force" = yes ] || refuse_other_script "$others"
        while IFS=: read -r file line _; do
            [ -e "$state/recursor-backup/$(basename "$file")" ] ||
                cp -p "$file" "$state/recursor-backup/$(basename "$file")"
            sed -i "${line}s|^|$disabled|" "$file"
            echo "$file" >>"$state/recursor-disabled"
            changed "commented out the other lua-dns-script in $file:$line (--force)"
        done < <(echo "$others")
    fi
    if rec_wired; then
        return 0
    fi
    [ -e "$state/recursor-backup/recursor.conf" ] || cp -p "$rec_conf" "$state/recursor-backup/recursor.conf"
    if dropin=$(rec_dropin); then
        printf '%s\nlua-dns-script=%s\n' "$marker" "$hook" >"$dropin"
        changed "pdns-recursor: lua-dns-script in $dropin"
    else
        printf '%s\nlua-dns-script=%s\n' "$marker" "$hook" >>"$rec_conf"
        changed "pdns-recursor: lua-dns-script added to $rec_conf (backup in $state/recursor-backup)"
    fi
}

rec_unwire() {
    local dropin
    dropin=$(rec_dropin || true)
    if [ -n "$dropin" ] && [ -e "$dropin" ] && grep -qx "$marker" "$dropin"; then
        rm -f "$dropin"
        echo "   removed $dropin"
    fi
    if grep -qx "$marker" "$rec_conf" 2>/dev/null; then
        sed -i "/^$(printf '%s' "$marker" | sed 's/[][\\/.*^$()]/\\&/g')\$/{N;d}" "$rec_conf"
        echo "   removed dnsoracle's lines from $rec_conf"
    fi
    if [ -s "$state/recursor-disabled" ]; then
        sort -u "$state/recursor-disabled" | while read -r file; do
            sed -i "s|^$disabled||" "$file"
            echo "   restored the Lua script line in $file"
        done
    fi
}

# Restarts the recursor so it loads the hook (or drops it). Without systemd
# a recursor this script started is restarted; one started by someone else
# is left to them.
rec_restart() {
    local pid
    if [ "$systemd" = yes ]; then
        systemctl restart pdns-recursor.service
        return
    fi
    if pid=$(alive "$rec_pidfile" pdns_recursor); then
        stop_pid "$rec_pidfile" pdns_recursor
    elif any_running pdns_recursor; then
        echo "   a pdns_recursor not started by install.sh runs: restart it to load the hook"
        return
    fi
    [ "$mode" = uninstall ] && return
    install -d -m 0755 -o pdns -g pdns /run/pdns-recursor
    setsid pdns_recursor --daemon=no --setuid=pdns --setgid=pdns --disable-syslog=yes \
        </dev/null >>"$logdir/pdns_recursor.log" 2>&1 &
    echo $! >"$rec_pidfile"
    echo "   no systemd here: pdns_recursor started in the background, not supervised" \
        "(pid in $rec_pidfile, log $logdir/pdns_recursor.log)"
}

# ---- uninstall --------------------------------------------------------------

if [ "$mode" = uninstall ]; then
    echo "== stopping dnsoracled"
    if [ "$systemd" = yes ] && systemctl list-unit-files dnsoracle.service >/dev/null 2>&1; then
        systemctl disable --now dnsoracle.service >/dev/null 2>&1 || true
    fi
    stop_pid "$pidfile" dnsoracled
    if [ -e "$rec_conf" ]; then
        echo "== restoring the pdns-recursor configuration"
        was_ours=no
        alive "$rec_pidfile" pdns_recursor >/dev/null && was_ours=yes
        rec_unwire
        if [ "$was_ours" = yes ]; then
            stop_pid "$rec_pidfile" pdns_recursor
            echo "   stopped the pdns_recursor install.sh had started"
        elif [ "$systemd" = yes ] && systemctl is-active --quiet pdns-recursor.service; then
            systemctl restart pdns-recursor.service
        fi
    fi
    echo "== removing the installed files"
    if [ -s "$state/install_manifest.txt" ]; then
        # (the manifest has no final newline: the last line counts too)
        while read -r f || [ -n "$f" ]; do rm -f "$f"; done <"$state/install_manifest.txt"
    fi
    rm -f "$prefix/lib/systemd/system/dnsoracled.service" # the unit's name before 0.1
    for d in "$prefix/share/dnsoracle" "$prefix/share/doc/dnsoracle"; do
        [ -d "$d" ] && find "$d" -depth -type d -empty -delete
    done
    [ "$systemd" = yes ] && systemctl daemon-reload
    if [ "$purge" = yes ]; then
        echo "== purging the database, the configuration and the user"
        db_name=dns
        [ -r "$conf" ] && db_name=$(conf_get database name) && db_user=$(conf_get database user)
        if db_up; then
            mariadb --no-defaults --socket=/run/mysqld/mysqld.sock -e \
                "DROP DATABASE IF EXISTS \`${db_name:-dns}\`;
                 DROP USER IF EXISTS '${db_user:-dnsoracle}'@'localhost';
                 DROP USER IF EXISTS '${db_user:-dnsoracle}'@'127.0.0.1';"
            echo "   dropped the database ${db_name:-dns} and its user"
        else
            echo "   MariaDB does not answer: the database ${db_name:-dns} was not dropped" >&2
        fi
        if [ "$db_started" = yes ]; then
            if [ "$systemd" = yes ]; then systemctl stop mariadb.service; else /etc/init.d/mariadb stop >/dev/null 2>&1; fi
        fi
        rm -rf "$etc" "$logdir"
        getent passwd dnsoracle >/dev/null && userdel dnsoracle 2>/dev/null || true
        getent group dnsoracle >/dev/null && groupdel dnsoracle 2>/dev/null || true
    else
        echo "   kept: the database, $etc and the user dnsoracle (--purge removes them)"
    fi
    if [ -e "$state/started-mariadb" ] && [ "$systemd" = no ]; then
        /etc/init.d/mariadb stop >/dev/null 2>&1 || true
        echo "   stopped MariaDB (install.sh had started it)"
    fi
    rm -rf "$state" "$run"
    echo "== dnsoracle uninstalled"
    exit 0
fi

# ---- install ----------------------------------------------------------------

# Another Lua script in the recursor: refuse before changing anything.
if [ -e "$rec_conf" ] && [ "$force" != yes ] && others=$(rec_other_scripts) && [ -n "$others" ]; then
    refuse_other_script "$others"
fi

# The ports dnsoracled binds must be free or ours. port_holder PORT: the
# program that listens on PORT, unless it is nothing or dnsoracled.
port_holder() {
    local holder
    holder=$(ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'users:(("[^"]*"' | head -n 1) &&
        [ -n "$holder" ] && [ "$holder" != 'users:(("dnsoracled"' ] && echo "${holder#users:((}"
}
# 5555, or the configured endpoint's.
port=5555
if [ -r "$conf" ]; then
    ep=$(conf_get server endpoints | awk '{print $1}' | tr -d ,)
    case $ep in tcp://*:*) port=${ep##*:} ;; esac
fi
if holder=$(port_holder "$port"); then
    die "port $port is taken by $holder (stop it, or choose another port: copy oracle/dnsoracle.conf.example to $conf and set [server] endpoints and [hook] endpoint)"
fi
# The list changes pushed to the hooks, 5556 (or [server] publish's; empty:
# none). Taken, the oracle would run without it and every hook would fetch
# the whole lists every refresh_seconds instead.
publish=tcp://127.0.0.1:5556
if [ -r "$conf" ] && [ "$(conf_get server publish | wc -l)" -gt 0 ]; then
    publish=$(conf_get server publish)
fi
case $publish in
tcp://*:*)
    if holder=$(port_holder "${publish##*:}"); then
        die "port ${publish##*:} ([server] publish) is taken by $holder (stop it, or set [server] publish in $conf to another endpoint, or to nothing)"
    fi
    ;;
esac
# The /metrics port, 9154 (or [metrics] listen's; empty: none).
mlisten=127.0.0.1:9154
if [ -r "$conf" ] && [ "$(conf_get metrics listen | wc -l)" -gt 0 ]; then
    mlisten=$(conf_get metrics listen)
fi
if [ -n "$mlisten" ] && holder=$(port_holder "${mlisten##*:}"); then
    die "port ${mlisten##*:} ([metrics] listen) is taken by $holder (stop it, or set [metrics] listen in $conf to another address, or to nothing)"
fi

packages=(cmake make gcc pkg-config libpsl-dev publicsuffix libinih-dev libbsd-dev
    libzmq3-dev libsystemd-dev libmariadb-dev libpcap-dev libmicrohttpd-dev mariadb-server
    mariadb-client libluajit-5.1-dev dnsutils iproute2)
[ "$with_recursor" = yes ] && packages+=(pdns-recursor)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
    changes=$((changes + 1))
fi

echo "== building (build-release)"
fresh=no
[ -e build-release/CMakeCache.txt ] || fresh=yes
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DDNSORACLE_TESTS=OFF \
    -DCMAKE_INSTALL_PREFIX="$prefix" >/dev/null
# pkg_check_modules places libzmq's -isystem flags differently on the first
# configure than on later ones; a second configure now keeps the next run's
# build (and install) from redoing everything for nothing.
[ "$fresh" = yes ] && cmake -S . -B build-release >/dev/null
cmake --build build-release -j"$(nproc)" >/dev/null
echo "== installing under $prefix"
installed=$(cmake --install build-release | grep -c '^-- Installing:' || true)
[ "$installed" -gt 0 ] && changed "$installed files installed or updated"
install -d -m 0755 "$state"
cp build-release/install_manifest.txt "$state/install_manifest.txt"

if ! getent passwd dnsoracle >/dev/null; then
    useradd --system --user-group --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin dnsoracle
    changed "created the system user dnsoracle"
fi
install -d -m 0755 "$etc"
install -m 0644 oracle/dnsoracle.conf.example "$etc/dnsoracle.conf.dist"
install -m 0644 oracle/allowlist.default "$etc/allowlist.txt.dist"
if [ ! -e "$etc/allowlist.txt" ]; then
    install -m 0644 oracle/allowlist.default "$etc/allowlist.txt"
    changed "wrote $etc/allowlist.txt"
fi
if [ ! -e "$conf" ]; then
    # The file will hold the database password: root and the service only.
    (umask 027 && sed "s|^allowlist_file =\$|allowlist_file = $etc/allowlist.txt|" \
        oracle/dnsoracle.conf.example >"$conf")
    chown root:dnsoracle "$conf"
    chmod 0640 "$conf"
    changed "wrote $conf"
else
    if [ "$(stat -c '%U:%G %a' "$conf")" != "root:dnsoracle 640" ]; then
        chown root:dnsoracle "$conf"
        chmod 0640 "$conf"
        changed "$conf made root:dnsoracle 0640 (it holds the database password)"
    fi
    # An upgrade: sections new in this release are added with their
    # defaults and comments; what is in the file is never changed.
    for sec in $(grep -o '^\[[a-z]*\]' oracle/dnsoracle.conf.example); do
        if ! grep -qxF "$sec" "$conf"; then
            { echo; awk -v s="$sec" '$0 == s { on = 1; print; next } /^\[/ { on = 0 } on' \
                oracle/dnsoracle.conf.example; } >>"$conf"
            changed "added the new section $sec to $conf (every key at its default)"
        fi
    done
fi
"$prefix/sbin/dnsoracled" --check-config -c "$conf" >/dev/null ||
    die "$conf is refused (the reason is above): fix it, then run install.sh again"
endpoint=$(conf_get server endpoints | awk '{print $1}' | tr -d ,)
endpoint=${endpoint:-tcp://127.0.0.1:5555}
hook_ep=$(conf_get hook endpoint)
server_eps=$( (conf_get server endpoints; conf_get server curve_endpoints) | tr ' ,' '\n\n')
if ! grep -qxF "${hook_ep:-tcp://127.0.0.1:5555}" <<<"$server_eps"; then
    echo "   note: [hook] endpoint ${hook_ep:-tcp://127.0.0.1:5555} is none of this oracle's" \
        "endpoints ($(echo $server_eps)): right if the hook asks another host's oracle," \
        "else the hook would not reach this one" >&2
fi

db_enabled=$(conf_get database enabled)
db_host=$(conf_get database host)
db_local=no
if [ "${db_enabled:-true}" = true ]; then
    case ${db_host:-localhost} in
    localhost | 127.0.0.1 | ::1) db_local=yes ;;
    *) echo "== the database is on $db_host: set it up there with sql/migrate.sh (see README)" ;;
    esac
fi
if [ "$db_local" = yes ]; then
    echo "== the database"
    db_up || die "MariaDB does not answer on /run/mysqld/mysqld.sock (see its log in /var/log/mysql/)"
    if [ "$systemd" = yes ]; then
        systemctl enable mariadb.service >/dev/null 2>&1
    elif [ "$db_started" = yes ]; then
        touch "$state/started-mariadb"
        changed "no systemd here: MariaDB started with /etc/init.d/mariadb"
    fi
    pw=$(conf_get database password)
    if [ -z "$pw" ]; then
        pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
        sed -i "/^\[database\]/,/^\[/ s|^password =.*|password = $pw|" "$conf"
        changed "a new random password for the database user, in $conf"
    fi
    pwfile=$(mktemp)
    trap 'rm -f "$pwfile"' EXIT
    printf '%s\n' "$pw" >"$pwfile"
    db_name=$(conf_get database name)
    db_user=$(conf_get database user)
    out=$(sql/migrate.sh -d "${db_name:-dns}" -u "${db_user:-dnsoracle}" -p "$pwfile" \
        -- --socket=/run/mysqld/mysqld.sock)
    rm -f "$pwfile"
    if echo "$out" | grep -q applying; then
        changed "database schema: $(echo "$out" | grep applying | tr '\n' ' ')"
    fi
    echo "   $(echo "$out" | grep 'is at schema version')"
fi

echo "== dnsoracled"
install -d -m 0750 -o dnsoracle -g dnsoracle "$run" "$logdir"
if [ "$systemd" = yes ]; then
    systemctl daemon-reload
    systemctl enable dnsoracle.service >/dev/null 2>&1
    if [ "$changes" -gt 0 ] || ! systemctl is-active --quiet dnsoracle.service; then
        systemctl restart dnsoracle.service
        changed "dnsoracle.service (re)started"
    fi
    how="systemctl status dnsoracle; journalctl -u dnsoracle -f"
    reload_hint="systemctl reload dnsoracle for [engine] and the logging keys, systemctl restart dnsoracle for the rest (the log says which keys); then rec_control reload-lua-script for [hook], [events] client and, with query = local, [engine]"
else
    if [ "$changes" -gt 0 ] || ! alive "$pidfile" dnsoracled >/dev/null; then
        stop_pid "$pidfile" dnsoracled
        setpriv --reuid=dnsoracle --regid=dnsoracle --init-groups \
            "$prefix/sbin/dnsoracled" -c "$conf" </dev/null >>"$logdir/dnsoracled.log" 2>&1 &
        echo $! >"$pidfile"
        changed "no systemd here: dnsoracled started in the background, not supervised"
    fi
    how="log: $logdir/dnsoracled.log; pid: $pidfile"
    reload_hint="kill -HUP \$(cat $pidfile) for [engine] and the logging keys, kill \$(cat $pidfile) and ./install.sh again for the rest (the log says which keys); then rec_control reload-lua-script for [hook], [events] client and, with query = local, [engine]"
fi

recursor=no
if command -v pdns_recursor >/dev/null && [ -e "$rec_conf" ]; then
    recursor=yes
    echo "== pdns-recursor"
    rec_before=$changes
    rec_wire
    if getent passwd pdns >/dev/null && ! id -nG pdns | tr ' ' '\n' | grep -qx dnsoracle; then
        usermod -aG dnsoracle pdns
        changed "user pdns added to group dnsoracle (the hook reads $conf)"
    fi
    running=no
    if [ "$systemd" = yes ]; then
        systemctl is-active --quiet pdns-recursor.service && running=yes
    else
        alive "$rec_pidfile" pdns_recursor >/dev/null && running=yes
    fi
    if [ "$changes" -gt "$rec_before" ] || [ "$running" = no ]; then
        rec_restart
        changed "pdns-recursor restarted with the hook"
    fi
else
    echo "== pdns-recursor is not installed: no hook wired (--with-recursor installs it)"
fi

echo "== checking"
for _ in $(seq 1 50); do
    "$prefix/bin/dnsoracle_client" -e "$endpoint" -t 200 --ping >/dev/null 2>&1 && break
    sleep 0.1
done
"$prefix/bin/dnsoracle_client" -e "$endpoint" -t 1000 --ping >/dev/null ||
    die "dnsoracled does not answer on $endpoint ($how)"
verdicts=$("$prefix/bin/dnsoracle_client" -e "$endpoint" www.example.com "$tunnel_name" || true)
[ "$verdicts" = "true www.example.com
false $tunnel_name" ] || die "unexpected verdicts from dnsoracled: $verdicts"
echo "   dnsoracled answers on $endpoint: www.example.com true, $tunnel_name false"
if [ "$recursor" = yes ]; then
    # A name never asked before (the recursor caches answers), with strong
    # evidence (80 hex digits: refused on its own), judged by the hook as
    # configured; its log line proves the hook answered, not the Internet
    # (an offline machine answers NXDOMAIN to everything).
    probe_name=$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n').$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n').example.net
    hook_mode=$(conf_get hook mode)
    hook_action=$(conf_get hook action)
    case ${hook_mode:-enforce}:${hook_action:-nxdomain} in
    monitor:*) want="any answer" ;;
    *:refused) want=REFUSED ;;
    *:drop) want="no answer" ;;
    *) want=NXDOMAIN ;;
    esac
    rstatus=
    for _ in $(seq 1 15); do
        rstatus=$(dig @127.0.0.1 "$probe_name" +time=1 +tries=1 2>/dev/null |
            sed -n 's/.*status: \([A-Z]*\),.*/\1/p' || true)
        [ -n "$rstatus" ] || [ "$want" = "no answer" ] && break
        sleep 0.2
    done
    case $want in
    "any answer") [ -n "$rstatus" ] ;;
    "no answer") [ -z "$rstatus" ] ;;
    *) [ "$rstatus" = "$want" ] ;;
    esac || die "pdns-recursor on 127.0.0.1 answered $probe_name with ${rstatus:-no answer}, not $want ([hook] mode ${hook_mode:-enforce}, action ${hook_action:-nxdomain})"
    logged=unknown
    if [ "$systemd" = yes ]; then
        journalctl -u pdns-recursor --since -1min 2>/dev/null | grep -q "dnsoracle: .* $probe_name" &&
            logged=yes
    elif [ -r "$logdir/pdns_recursor.log" ]; then
        sleep 0.2
        if grep -q "dnsoracle: .* $probe_name" "$logdir/pdns_recursor.log"; then logged=yes; else logged=no; fi
    fi
    [ "$logged" = no ] && die "pdns-recursor answered $probe_name but its log has no dnsoracle line for it: is the hook loaded? ($logdir/pdns_recursor.log)"
    echo "   pdns-recursor on 127.0.0.1: a tunnel-like name got ${rstatus:-no answer} (want: $want)${logged/yes/, logged by the hook}"
fi
if [ "$changes" -eq 0 ]; then
    echo "== nothing changed: dnsoracle was already installed and running"
else
    echo "== done"
fi
echo "   config: $conf ([hook] for the recursor hook); $how"
if [ "$endpoint" = tcp://127.0.0.1:5555 ]; then
    echo "   try: dnsoracle_client www.example.com; dnsoracle_client --stats"
else
    echo "   try: dnsoracle_client -e $endpoint www.example.com (or export DNSORACLE_ENDPOINT=$endpoint)"
fi
echo "   after editing $conf: ${reload_hint}"
[ -z "$mlisten" ] || echo "   metrics: http://$mlisten/metrics (Prometheus; docs/metrics.md)"

