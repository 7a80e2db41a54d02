#!/bin/sh
# First start: initialise the data directory, then create MARIADB_DATABASE and MARIADB_USER
# (password MARIADB_PASSWORD, any host of the compose network) through a server that listens on
# the socket only. Every start: run mariadbd in the foreground as the mysql user.
set -eu
DATA=/var/lib/mysql
: "${MARIADB_DATABASE:?}" "${MARIADB_USER:?}" "${MARIADB_PASSWORD:?}"

sql_quote() { printf "%s" "$1" | sed "s/'/''/g"; }

if [ ! -d "$DATA/mysql" ]; then
    chown -R mysql:mysql "$DATA"
    mariadb-install-db --user=mysql --datadir="$DATA" --skip-test-db \
        --auth-root-authentication-method=socket >/dev/null
    mariadbd --user=mysql --datadir="$DATA" --skip-networking --socket=/run/mysqld/init.sock &
    pid=$!
    i=0
    until mariadb-admin --socket=/run/mysqld/init.sock ping >/dev/null 2>&1; do
        i=$((i + 1))
        [ "$i" -lt 60 ] || { echo "mariadb did not start" >&2; exit 1; }
        sleep 1
    done
    mariadb --socket=/run/mysqld/init.sock <<SQL
CREATE DATABASE IF NOT EXISTS \`$MARIADB_DATABASE\` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;
CREATE USER IF NOT EXISTS '$(sql_quote "$MARIADB_USER")'@'%' IDENTIFIED BY '$(sql_quote "$MARIADB_PASSWORD")';
GRANT ALL PRIVILEGES ON \`$MARIADB_DATABASE\`.* TO '$(sql_quote "$MARIADB_USER")'@'%';
SQL
    kill "$pid"
    wait "$pid" || true
fi
exec mariadbd --user=mysql --datadir="$DATA" --bind-address=0.0.0.0 --skip-name-resolve \
    --character-set-server=utf8mb4
