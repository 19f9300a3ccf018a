#!/usr/bin/env bash
# sql/migrate.sh - creates or upgrades the dnsoracle database.
#
#   sql/migrate.sh [-d DATABASE] [-u USER -p PASSWORD_FILE] [-- MARIADB_OPTIONS...]
#
# Creates DATABASE (default dns) if needed, applies sql/schema.sql (idempotent)
# and then every sql/migrations/NNN_*.sql above the database's version. With
# -u it also creates (or updates) the daemon's account with only what it
# needs: SELECT, INSERT, UPDATE, DELETE on DATABASE.*, and CREATE TEMPORARY
# TABLES (the staging table of a feed import, oracle/store/importer.h), from
# localhost and 127.0.0.1, with the password read from PASSWORD_FILE. Options after -- go
# to the mariadb client (e.g. --socket=/run/mysqld/mysqld.sock); by default
# it connects as root through the local socket.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
db=dns user= pwfile=
while getopts "d:u:p:" opt; do
    case $opt in
    d) db=$OPTARG ;;
    u) user=$OPTARG ;;
    p) pwfile=$OPTARG ;;
    *) echo "usage: sql/migrate.sh [-d DATABASE] [-u USER -p PASSWORD_FILE] [-- OPTIONS]" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ "${1:-}" = "--" ] && shift
client=(mariadb --no-defaults "$@")
case $db in *[!A-Za-z0-9_]* | "") echo "migrate.sh: bad database name '$db'" >&2; exit 2 ;; esac
if [ -n "$user" ]; then
    case $user in *[!A-Za-z0-9_]*) echo "migrate.sh: bad user name '$user'" >&2; exit 2 ;; esac
    [ -r "$pwfile" ] || { echo "migrate.sh: -u needs -p PASSWORD_FILE" >&2; exit 2; }
fi

"${client[@]}" -e "CREATE DATABASE IF NOT EXISTS \`$db\` CHARACTER SET utf8mb4"
"${client[@]}" "$db" <"$here/schema.sql"
version=$("${client[@]}" -N -B "$db" -e "SELECT COALESCE(MAX(version), 0) FROM schema_version")
for f in "$here"/migrations/[0-9][0-9][0-9]_*.sql; do
    [ -e "$f" ] || continue
    n=$((10#$(basename "$f" | cut -c1-3)))
    if [ "$n" -gt "$version" ]; then
        echo "migrate.sh: applying $(basename "$f")"
        "${client[@]}" "$db" <"$f"
    fi
done
version=$("${client[@]}" -N -B "$db" -e "SELECT MAX(version) FROM schema_version")
echo "migrate.sh: database $db is at schema version $version"

if [ -n "$user" ]; then
    pw=$(head -n 1 "$pwfile")
    pwq=${pw//\\/\\\\}
    pwq=${pwq//\'/\\\'}
    for host in localhost 127.0.0.1; do
        "${client[@]}" -e "CREATE USER IF NOT EXISTS '$user'@'$host' IDENTIFIED BY '$pwq';
            ALTER USER '$user'@'$host' IDENTIFIED BY '$pwq';
            GRANT SELECT, INSERT, UPDATE, DELETE, CREATE TEMPORARY TABLES ON \`$db\`.*
                TO '$user'@'$host';"
    done
    echo "migrate.sh: user $user may SELECT, INSERT, UPDATE, DELETE, CREATE TEMPORARY TABLES on $db.*"
fi
