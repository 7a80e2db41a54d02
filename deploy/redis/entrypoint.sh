#!/bin/sh
# Redis with AOF persistence (fsync every second) and the password from REDIS_PASSWORD, written
# to a private config file so it never shows in the process list.
set -eu
: "${REDIS_PASSWORD:?}"
umask 077
printf 'bind 0.0.0.0\nport 6379\ndir /data\nappendonly yes\nappendfsync everysec\nsave ""\nrequirepass "%s"\n' \
    "$REDIS_PASSWORD" >/tmp/redis.conf
exec redis-server /tmp/redis.conf
