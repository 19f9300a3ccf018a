#!/usr/bin/env bash
# install.sh - builds dnsoracle, installs it and runs the service, on a
# Debian 12 machine. Run it again to upgrade.
#
#   sudo ./install.sh
#   PREFIX=/opt/dnsoracle sudo ./install.sh
#
# 1. installs the packages it needs (apt-get);
# 2. builds a release build in ./build-release and installs the programs
#    under $PREFIX (default /usr/local): sbin/dnsoracled,
#    bin/dnsoracle_client, bin/dnsoracle_score, bin/dnsoracle_train;
# 3. creates the system user dnsoracle;
# 4. writes /etc/dnsoracle/dnsoracle.conf and allowlist.txt only when absent
#    (an upgrade never overwrites your edits; the shipped versions are put
#    beside them as *.dist);
# 5. sets up the database (when [database] enabled = true, the default, and
#    the host is this machine): installs and starts MariaDB if needed,
#    creates the database, its tables (sql/migrate.sh) and the user
#    dnsoracle with a random password, written only into the config file;
#    an existing password is kept, so running this again changes nothing;
# 6. starts dnsoracled: with systemd, as the unit dnsoracled.service
#    (enabled, restarted on upgrade); without systemd (containers), in the
#    background as user dnsoracle, logging to /var/log/dnsoracle/, pid in
#    /run/dnsoracle/dnsoracled.pid;
# 7. waits until it answers on its endpoint.
set -euo pipefail
cd "$(dirname "$0")"
prefix=${PREFIX:-/usr/local}
etc=/etc/dnsoracle
conf=$etc/dnsoracle.conf

if [ "$(id -u)" -ne 0 ]; then
    echo "install.sh: run as root (it installs packages, a user and a service)" >&2
    exit 2
fi

packages=(cmake make gcc pkg-config libpsl-dev publicsuffix libinih-dev libbsd-dev
    libzmq3-dev libsystemd-dev libmariadb-dev mariadb-server mariadb-client libluajit-5.1-dev)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

echo "== building (build-release)"
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DDNSORACLE_TESTS=OFF \
    -DCMAKE_INSTALL_PREFIX="$prefix" >/dev/null
cmake --build build-release -j"$(nproc)"
echo "== installing under $prefix"
cmake --install build-release >/dev/null

if ! getent passwd dnsoracle >/dev/null; then
    echo "== creating the system user dnsoracle"
    useradd --system --user-group --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin dnsoracle
fi

install -d -m 0755 "$etc"
install -m 0644 oracle/dnsoracle.conf.example "$etc/dnsoracle.conf.dist"
install -m 0644 oracle/allowlist.default "$etc/allowlist.txt.dist"
[ -e "$etc/allowlist.txt" ] || install -m 0644 oracle/allowlist.default "$etc/allowlist.txt"
if [ ! -e "$conf" ]; then
    # The file will hold the database password: readable by root and the
    # service only.
    sed "s|^allowlist_file =\$|allowlist_file = $etc/allowlist.txt|" \
        oracle/dnsoracle.conf.example >"$conf"
    chown root:dnsoracle "$conf"
    chmod 0640 "$conf"
fi
"$prefix/sbin/dnsoracled" --check-config -c "$conf"
endpoint=$(awk -F= '/^\[/{s=$0} s=="[server]" && $1~/^endpoints *$/ {gsub(/^ +| +$/,"",$2); split($2,e,/[ ,]+/); print e[1]}' "$conf")
endpoint=${endpoint:-tcp://127.0.0.1:5555}

# conf_get SECTION KEY: the value in $conf (empty when unset).
conf_get() {
    awk -F= -v sec="[$1]" -v key="$2" '/^\[/ { s = $0 }
        s == sec && $1 ~ "^" key " *$" { v = substr($0, index($0, "=") + 1); gsub(/^ +| +$/, "", v); print v }' "$conf"
}
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
    echo "== setting up the database"
    if ! mariadb-admin --no-defaults --socket=/run/mysqld/mysqld.sock ping >/dev/null 2>&1; then
        if [ -d /run/systemd/system ]; then
            systemctl enable --now mariadb.service
        else
            echo "   no systemd here: starting MariaDB with /etc/init.d/mariadb"
            /etc/init.d/mariadb start >/dev/null
        fi
        for _ in $(seq 1 100); do
            mariadb-admin --no-defaults --socket=/run/mysqld/mysqld.sock ping >/dev/null 2>&1 && break
            sleep 0.1
        done
    fi
    if ! mariadb-admin --no-defaults --socket=/run/mysqld/mysqld.sock ping >/dev/null 2>&1; then
        echo "install.sh: MariaDB does not answer on /run/mysqld/mysqld.sock" >&2
        exit 1
    fi
    pw=$(conf_get database password)
    if [ -z "$pw" ]; then
        pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
        sed -i "/^\[database\]/,/^\[/ s|^password =.*|password = $pw|" "$conf"
        echo "   a new password for the database user is in $conf"
    fi
    pwfile=$(mktemp)
    trap 'rm -f "$pwfile"' EXIT
    printf '%s\n' "$pw" >"$pwfile"
    db_name=$(conf_get database name)
    db_user=$(conf_get database user)
    sql/migrate.sh -d "${db_name:-dns}" -u "${db_user:-dnsoracle}" -p "$pwfile" \
        -- --socket=/run/mysqld/mysqld.sock | sed 's/^/   /'
    rm -f "$pwfile"
fi

if [ -d /run/systemd/system ]; then
    echo "== starting dnsoracled.service"
    systemctl daemon-reload
    systemctl enable dnsoracled.service >/dev/null 2>&1
    systemctl restart dnsoracled.service
    how="systemctl status dnsoracled; journalctl -u dnsoracled"
else
    echo "== no systemd here: starting dnsoracled in the background"
    install -d -m 0750 -o dnsoracle -g dnsoracle /run/dnsoracle /var/log/dnsoracle
    pidfile=/run/dnsoracle/dnsoracled.pid
    if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        old=$(cat "$pidfile")
        kill -TERM "$old"
        for _ in $(seq 1 50); do kill -0 "$old" 2>/dev/null || break; sleep 0.1; done
    fi
    setpriv --reuid=dnsoracle --regid=dnsoracle --init-groups \
        "$prefix/sbin/dnsoracled" -c "$conf" </dev/null >>/var/log/dnsoracle/dnsoracled.log 2>&1 &
    echo $! >"$pidfile"
    how="log: /var/log/dnsoracle/dnsoracled.log; stop: kill \$(cat $pidfile)"
fi

for _ in $(seq 1 50); do
    if "$prefix/bin/dnsoracle_client" -e "$endpoint" -t 200 --ping >/dev/null 2>&1; then
        echo "== dnsoracled answers on $endpoint"
        echo "   try: dnsoracle_client -e $endpoint www.example.com"
        echo "   $how"
        exit 0
    fi
    sleep 0.1
done
echo "install.sh: dnsoracled does not answer on $endpoint; $how" >&2
exit 1
