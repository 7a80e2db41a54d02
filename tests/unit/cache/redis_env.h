#ifndef QNLIVE_TESTS_REDIS_ENV_H
#define QNLIVE_TESTS_REDIS_ENV_H

/* Helpers for cache tests that talk to real Redis servers: raw hiredis connections (to check
 * or disturb the server behind the cache's back) and scripts/testenv/redis.sh. */

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/str.h"

/* A raw connection to "host:port"; NULL when it cannot connect. */
static inline redisContext *raw_connect(const char *addr)
{
    char host[256];
    const char *colon = strrchr(addr, ':');
    int64_t port;
    struct timeval tv = {2, 0};
    redisContext *ctx;

    if (!colon || (size_t)(colon - addr) >= sizeof(host) || !str_to_i64(colon + 1, 1, 65535, &port))
        return NULL;
    snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
    ctx = redisConnectWithTimeout(host, (int)port, tv);
    if (ctx && ctx->err) {
        redisFree(ctx);
        return NULL;
    }
    return ctx;
}

/* Path of scripts/testenv/redis.sh in the source tree. */
static inline const char *redis_script(void)
{
    static char path[1024];
    const char *src = getenv("QNLIVE_SOURCE_DIR");

    snprintf(path, sizeof(path), "%s/scripts/testenv/redis.sh", src ? src : QNLIVE_SOURCE_DIR);
    return path;
}

/* True when redis-server is installed, so a test can start its own. */
static inline bool have_redis_server(void)
{
    return system("command -v redis-server >/dev/null 2>&1") == 0;
}

/* Runs `redis.sh <cmd> <dir>`; when `addr` is given, copies the address of the export line
 * ("127.0.0.1:P" or a comma list) into it. False when the script fails. */
static inline bool redis_script_run(const char *cmd, const char *dir, char *addr, size_t addrlen)
{
    char line[1024];
    char *shell = xasprintf("bash '%s' %s '%s'", redis_script(), cmd, dir);
    FILE *f;
    bool ok = addr == NULL;

    f = popen(shell, "r");
    free(shell);
    if (!f)
        return false;
    while (fgets(line, sizeof(line), f)) {
        char *eq = strchr(line, '=');

        if (addr && strncmp(line, "export QNLIVE_TEST_REDIS", 24) == 0 && eq) {
            line[strcspn(line, "\n")] = '\0';
            snprintf(addr, addrlen, "%s", eq + 1);
            ok = true;
        }
    }
    return pclose(f) == 0 && ok;
}

#endif
