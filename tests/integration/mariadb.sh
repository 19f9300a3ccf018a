# tests/integration/mariadb.sh - a private MariaDB for a test, on a Unix
# socket and a free loopback port, torn down by the test's cleanup. Source it
# after lib.sh. Sets db_dir, db_socket, db_port; db_start/db_stop/db_kill by
# pid; db_sql runs SQL as root; db_setup creates the schema and the daemon's
# user (password in $db_dir/password); db_require does both, or skips.
db_dir=$tmp/mariadb
db_socket=$db_dir/run/mysqld.sock
db_pid=

db_start() {
    mkdir -p "$db_dir/run"
    if [ ! -d "$db_dir/data" ]; then
        mariadb-install-db --no-defaults --datadir="$db_dir/data" --user=root \
            --auth-root-authentication-method=socket --skip-test-db >"$db_dir/install.log" 2>&1 ||
            { cat "$db_dir/install.log" >&2; return 1; }
        db_port=$(free_port)
    fi
    mariadbd --no-defaults --datadir="$db_dir/data" --socket="$db_socket" --port="$db_port" \
        --bind-address=127.0.0.1 --pid-file="$db_dir/run/mysqld.pid" \
        --log-error="$db_dir/mysqld.err" --user=root --skip-name-resolve \
        --innodb-buffer-pool-size=64M --innodb-flush-log-at-trx-commit="${DB_FLUSH_AT_COMMIT:-2}" \
        2>>"$db_dir/stderr.log" &
    db_pid=$!
    for _ in $(seq 1 100); do
        mariadb-admin --no-defaults --socket="$db_socket" ping >/dev/null 2>&1 && return 0
        kill -0 "$db_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "mariadbd did not start:" >&2
    tail -20 "$db_dir/mysqld.err" >&2
    return 1
}

db_stop() { # clean shutdown
    [ -n "$db_pid" ] || return 0
    kill -TERM "$db_pid" 2>/dev/null
    wait "$db_pid" 2>/dev/null
    db_pid=
}

db_kill() { # the hard way
    [ -n "$db_pid" ] || return 0
    kill -KILL "$db_pid" 2>/dev/null
    wait "$db_pid" 2>/dev/null
    db_pid=
}

db_sql() {
    mariadb --no-defaults --socket="$db_socket" -u root -N -B "$@"
}

db_setup() {
    head -c 12 /dev/urandom | base64 | tr -d '/+=' >"$db_dir/password"
    "$(dirname "${BASH_SOURCE[0]}")/../../sql/migrate.sh" -d dns -u dnsoracle \
        -p "$db_dir/password" -- --socket="$db_socket" >/dev/null
}

# Prints a [database] section for the daemon.
# db_require: a private MariaDB started and set up, or the test skipped
# (exit 77) where mariadb-server is not installed.
db_require() {
    if ! command -v mariadbd >/dev/null; then
        echo "mariadbd not installed (apt-get install mariadb-server): skipped"
        exit 77
    fi
    db_start || exit 1
    db_setup || exit 1
}

db_config() {
    printf '[database]\nsocket = %s\nuser = dnsoracle\npassword = %s\nname = dns\n' \
        "$db_socket" "$(cat "$db_dir/password")"
}

db_cleanup() {
    db_stop
}
