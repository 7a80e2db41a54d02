#define LOG_MODULE "cache.redis"

/* Connection pool for one Redis server. Commands are synchronous (hiredis blocking API) with a
 * 2 s connect and 3 s command timeout, so a dead or hung server costs a bounded wait and an
 * ERR_UNAVAILABLE, never a hang. The pool lock is held only to push or pop a connection. */

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "cache/cache_int.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/noblock.h"

enum { RPOOL_IDLE_MAX = 64, RPOOL_LOG_EVERY_MS = 5000 };

struct rpool {
    char *host;
    int port;
    char *addr;     /* "host:port", for logs */
    char *password; /* secret: never logged */
    pthread_mutex_t mu;
    redisContext *idle[RPOOL_IDLE_MAX];
    size_t n_idle;
    atomic_llong last_log_ms; /* rate limit for "unreachable" warnings during an outage */
};

static struct timeval ms_to_tv(int64_t ms)
{
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};

    return tv;
}

struct rpool *rpool_new(const char *host, int port, const char *password)
{
    struct rpool *p = xcalloc(1, sizeof(*p));

    p->host = xstrdup(host);
    p->port = port;
    p->addr = xasprintf("%s:%d", host, port);
    p->password = xstrdup(password ? password : "");
    pthread_mutex_init(&p->mu, NULL);
    atomic_init(&p->last_log_ms, 0);
    return p;
}

/* Closes every idle connection: after one connection breaks, the others most likely have too
 * (server restart), and dropping them saves each caller a failed round trip. */
static void pool_flush(struct rpool *p)
{
    redisContext *dead[RPOOL_IDLE_MAX];
    size_t n;

    pthread_mutex_lock(&p->mu);
    n = p->n_idle;
    memcpy(dead, p->idle, n * sizeof(dead[0]));
    p->n_idle = 0;
    pthread_mutex_unlock(&p->mu);
    for (size_t i = 0; i < n; i++)
        redisFree(dead[i]);
}

void rpool_free(struct rpool **pp)
{
    struct rpool *p = pp ? *pp : NULL;

    if (!p)
        return;
    pool_flush(p);
    pthread_mutex_destroy(&p->mu);
    free(p->host);
    free(p->addr);
    free(p->password);
    free(p);
    *pp = NULL;
}

const char *rpool_addr(const struct rpool *p)
{
    return p->addr;
}

static redisContext *pool_take(struct rpool *p)
{
    redisContext *ctx = NULL;

    pthread_mutex_lock(&p->mu);
    if (p->n_idle)
        ctx = p->idle[--p->n_idle];
    pthread_mutex_unlock(&p->mu);
    return ctx;
}

static void pool_put(struct rpool *p, redisContext *ctx)
{
    pthread_mutex_lock(&p->mu);
    if (p->n_idle < RPOOL_IDLE_MAX) {
        p->idle[p->n_idle++] = ctx;
        ctx = NULL;
    }
    pthread_mutex_unlock(&p->mu);
    if (ctx)
        redisFree(ctx);
}

/* Logs an outage at most once per RPOOL_LOG_EVERY_MS per server. */
static void warn_unreachable(struct rpool *p, const char *what, const char *why)
{
    int64_t now = cache_now_ms();
    long long last = atomic_load(&p->last_log_ms);

    if (now - last >= RPOOL_LOG_EVERY_MS &&
        atomic_compare_exchange_strong(&p->last_log_ms, &last, now))
        log_warn("redis %s %s: %s", p->addr, what, why);
}

static err_t authenticate(struct rpool *p, redisContext *ctx)
{
    const char *argv[2] = {"AUTH", p->password};
    size_t lens[2] = {4, strlen(p->password)};
    redisReply *r = redisCommandArgv(ctx, 2, argv, lens);
    err_t err = ERR_OK;

    if (!r) {
        warn_unreachable(p, "auth", ctx->errstr);
        err = ERR_UNAVAILABLE;
    } else if (r->type == REDIS_REPLY_ERROR) {
        warn_unreachable(p, "auth refused", r->str);
        err = ERR_UNAVAILABLE;
    }
    if (r)
        freeReplyObject(r);
    return err;
}

static err_t pool_connect(struct rpool *p, redisContext **out)
{
    redisContext *ctx =
        redisConnectWithTimeout(p->host, p->port, ms_to_tv(CACHE_CONNECT_TIMEOUT_MS));

    *out = NULL;
    if (!ctx || ctx->err) {
        warn_unreachable(p, "connect", ctx ? ctx->errstr : "out of memory");
        goto fail;
    }
    if (redisSetTimeout(ctx, ms_to_tv(CACHE_COMMAND_TIMEOUT_MS)) != REDIS_OK)
        goto fail;
    redisEnableKeepAlive(ctx);
    if (p->password[0] && authenticate(p, ctx))
        goto fail;
    *out = ctx;
    return ERR_OK;
fail:
    if (ctx)
        redisFree(ctx);
    return ERR_UNAVAILABLE;
}

/* Sends n commands at once and reads n replies; false on a broken connection or a timeout
 * (*timed_out tells which), with every reply read so far freed. */
static bool exchange_many(redisContext *ctx, bool asking, size_t n, const int *argc,
                          const char **const *argv, const size_t *const *lens, redisReply **replies,
                          bool *timed_out)
{
    void *reply = NULL;
    size_t got = 0;

    *timed_out = false;
    if (asking)
        redisAppendCommand(ctx, "ASKING");
    for (size_t i = 0; i < n; i++)
        redisAppendCommandArgv(ctx, argc[i], argv[i], lens[i]);
    if (asking && redisGetReply(ctx, &reply) == REDIS_OK)
        freeReplyObject(reply);
    while (got < n && !ctx->err && redisGetReply(ctx, &reply) == REDIS_OK)
        replies[got++] = reply;
    if (got == n)
        return true;
    *timed_out = ctx->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK);
    while (got > 0) {
        freeReplyObject(replies[--got]);
        replies[got] = NULL;
    }
    return false;
}

err_t rpool_pipeline(struct rpool *p, bool asking, size_t n, const int *argc,
                     const char **const *argv, const size_t *const *lens, redisReply **replies)
{
    /* the cluster's own map reloads come here too, not only the cache's commands */
    err_t err = noblock_check();
    if (err)
        return err;
    for (int attempt = 0; attempt < 2; attempt++) {
        redisContext *ctx = pool_take(p);
        bool fresh = ctx == NULL;
        bool timed_out;

        if (fresh && pool_connect(p, &ctx))
            return ERR_UNAVAILABLE;
        if (exchange_many(ctx, asking, n, argc, argv, lens, replies, &timed_out)) {
            pool_put(p, ctx);
            return ERR_OK;
        }
        warn_unreachable(p, timed_out ? "command timed out" : "connection lost", ctx->errstr);
        redisFree(ctx);
        pool_flush(p);
        /* A pooled connection may simply have gone stale (server restart): one retry on a
         * fresh connection. A fresh one failing, or a timeout (the commands may have run on
         * the server), means the server is down. */
        if (fresh || timed_out)
            return ERR_UNAVAILABLE;
    }
    return ERR_UNAVAILABLE;
}

err_t rpool_error_reply(const struct rpool *p, const redisReply *reply)
{
    static const char *const down[] = {"LOADING",   "CLUSTERDOWN", "MASTERDOWN", "NOAUTH",
                                       "WRONGPASS", "BUSY",        "TRYAGAIN",   "READONLY"};
    const char *s = reply->str ? reply->str : "";

    for (size_t i = 0; i < ARRAY_LEN(down); i++) {
        if (strncasecmp(s, down[i], strlen(down[i])) == 0) {
            log_warn("redis %s unavailable: %s", p->addr, s);
            return ERR_UNAVAILABLE;
        }
    }
    log_warn("redis %s refused a command: %s", p->addr, s);
    return ERR_INTERNAL;
}

/* One command is a pipeline of one: same round trip, same retry and error rules. */
err_t rpool_command(struct rpool *p, bool asking, int argc, const char **argv, const size_t *lens,
                    redisReply **out)
{
    *out = NULL;
    return rpool_pipeline(p, asking, 1, &argc, &argv, &lens, out);
}
