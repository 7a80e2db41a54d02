#define LOG_MODULE "cache.redis"

/* The cache operations written once as Redis commands, shared by the node and cluster
 * backends: each backend only decides where a command goes (its `run`). Every command here
 * touches exactly one key, so it can always be routed by that key in a cluster. */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache.h"
#include "cache/cache_int.h"
#include "core/bulkhead.h"
#include "core/noblock.h"
#include "core/log.h"
#include "core/mem.h"

/* Compare-and-delete: only the holder of a lock may release it. */
static const char LOCK_RELEASE_LUA[] =
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) "
    "else return 0 end";

/* Compare-and-expire: only the holder of a lock may extend it. */
static const char LOCK_RENEW_LUA[] =
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) "
    "else return 0 end";

enum { NUM_MAX = 24 };

static err_t run(struct cache *c, const char *key, int argc, const char **argv, const size_t *lens,
                 redisReply **out)
{
    struct cache_resp *r = (struct cache_resp *)c;
    size_t auto_lens[8];

    /* Callers pass lens only when an argument is binary; otherwise they are NUL-terminated. */
    if (!lens) {
        for (int i = 0; i < argc && i < 8; i++)
            auto_lens[i] = strlen(argv[i]);
        lens = auto_lens;
    }
    /* every Redis command is a network round trip: never on a thread that must not block */
    err_t err = noblock_check();
    if (!err)
        err = bulkhead_enter(r->bulkhead);
    if (err)
        return err;
    err = r->run(r, key, argc, argv, lens, out);
    bulkhead_leave(r->bulkhead);
    return err;
}

/* Runs a command whose reply must be an integer. */
static err_t run_int(struct cache *c, const char *key, int argc, const char **argv, int64_t *out)
{
    redisReply *reply;
    err_t err = run(c, key, argc, argv, NULL, &reply);

    if (err)
        return err;
    if (reply->type != REDIS_REPLY_INTEGER) {
        log_warn("%s: unexpected reply type %d", argv[0], reply->type);
        err = ERR_INTERNAL;
    } else if (out) {
        *out = reply->integer;
    }
    freeReplyObject(reply);
    return err;
}

static char *arena_bytes(struct arena *a, const char *data, size_t len)
{
    char *p = arena_alloc(a, len + 1);

    if (len)
        memcpy(p, data, len);
    p[len] = '\0';
    return p;
}

/* A bulk-string-or-nil reply into the get-style out-params. */
static err_t take_bulk(const redisReply *reply, struct arena *a, char **data, size_t *len,
                       bool *found)
{
    *found = reply->type == REDIS_REPLY_STRING;
    *data = *found ? arena_bytes(a, reply->str, (size_t)reply->len) : NULL;
    if (len)
        *len = *found ? (size_t)reply->len : 0;
    if (!*found && reply->type != REDIS_REPLY_NIL)
        return ERR_INTERNAL;
    return ERR_OK;
}

static void resp_close(struct cache *c)
{
    struct cache_resp *r = (struct cache_resp *)c;
    struct bulkhead *bh = r->bulkhead;

    r->destroy(r);
    bulkhead_destroy(bh);
    free(bh);
}

void cache_resp_limit(struct cache *c, int64_t limit, int64_t wait_ms)
{
    struct cache_resp *r = (struct cache_resp *)c;

    if (limit <= 0 || r->bulkhead)
        return;
    r->bulkhead = xcalloc(1, sizeof(*r->bulkhead));
    bulkhead_init(r->bulkhead, "cache", (int)limit, wait_ms);
}

static err_t resp_ping(struct cache *c)
{
    const char *argv[] = {"PING"};
    redisReply *reply;
    err_t err = run(c, "", 1, argv, NULL, &reply);

    if (!err)
        freeReplyObject(reply);
    return err;
}

static err_t resp_get(struct cache *c, const char *key, struct arena *a, char **data, size_t *len,
                      bool *found)
{
    const char *argv[] = {"GET", key};
    redisReply *reply;
    err_t err = run(c, key, 2, argv, NULL, &reply);

    *found = false;
    *data = NULL;
    if (err)
        return err;
    err = take_bulk(reply, a, data, len, found);
    freeReplyObject(reply);
    return err;
}

static err_t resp_set(struct cache *c, const char *key, const void *data, size_t len,
                      int64_t ttl_ms)
{
    char ttl[NUM_MAX];
    const char *argv[] = {"SET", key, data, "PX", ttl};
    size_t lens[] = {3, strlen(key), len, 2, 0};
    redisReply *reply;
    err_t err;

    lens[4] = (size_t)snprintf(ttl, sizeof(ttl), "%" PRId64, ttl_ms);
    err = run(c, key, ttl_ms > 0 ? 5 : 3, argv, lens, &reply);
    if (!err)
        freeReplyObject(reply);
    return err;
}

static err_t resp_del(struct cache *c, const char *key, bool *deleted)
{
    const char *argv[] = {"DEL", key};
    int64_t n = 0;
    err_t err = run_int(c, key, 2, argv, &n);

    if (deleted)
        *deleted = n > 0;
    return err;
}

static err_t resp_incrby(struct cache *c, const char *key, int64_t delta, int64_t *out)
{
    char num[NUM_MAX];
    const char *argv[] = {"INCRBY", key, num};

    snprintf(num, sizeof(num), "%" PRId64, delta);
    return run_int(c, key, 3, argv, out);
}

static err_t resp_expire(struct cache *c, const char *key, int64_t ttl_ms, bool *found)
{
    char num[NUM_MAX];
    const char *argv[] = {"PEXPIRE", key, num};
    int64_t n = 0;
    err_t err;

    if (ttl_ms <= 0)
        return ERR_BAD_REQUEST;
    snprintf(num, sizeof(num), "%" PRId64, ttl_ms);
    err = run_int(c, key, 3, argv, &n);
    if (found)
        *found = n == 1;
    return err;
}

static err_t resp_exists(struct cache *c, const char *key, bool *found)
{
    const char *argv[] = {"EXISTS", key};
    int64_t n = 0;
    err_t err = run_int(c, key, 2, argv, &n);

    *found = n == 1;
    return err;
}

static err_t resp_hset(struct cache *c, const char *key, const char *field, const void *data,
                       size_t len)
{
    const char *argv[] = {"HSET", key, field, data};
    size_t lens[] = {4, strlen(key), strlen(field), len};
    redisReply *reply;
    err_t err = run(c, key, 4, argv, lens, &reply);

    if (!err)
        freeReplyObject(reply);
    return err;
}

static err_t resp_hincrby(struct cache *c, const char *key, const char *field, int64_t delta,
                          int64_t *out)
{
    char num[NUM_MAX];
    const char *argv[] = {"HINCRBY", key, field, num};

    snprintf(num, sizeof(num), "%" PRId64, delta);
    return run_int(c, key, 4, argv, out);
}

static err_t resp_hget(struct cache *c, const char *key, const char *field, struct arena *a,
                       char **data, size_t *len, bool *found)
{
    const char *argv[] = {"HGET", key, field};
    redisReply *reply;
    err_t err = run(c, key, 3, argv, NULL, &reply);

    *found = false;
    *data = NULL;
    if (err)
        return err;
    err = take_bulk(reply, a, data, len, found);
    freeReplyObject(reply);
    return err;
}

/* Fills vals from an HMGET reply of n elements. */
static err_t take_hmget(const redisReply *reply, size_t n, struct arena *a, struct cache_val *vals)
{
    err_t err = ERR_OK;

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != n)
        return ERR_INTERNAL;
    for (size_t i = 0; i < n && !err; i++)
        err = take_bulk(reply->element[i], a, &vals[i].data, &vals[i].len, &vals[i].found);
    return err;
}

static err_t resp_hmget(struct cache *c, const char *key, const char *const *fields, size_t n,
                        struct arena *a, struct cache_val *vals)
{
    const char **argv;
    size_t *lens;
    redisReply *reply;
    err_t err;

    memset(vals, 0, n * sizeof(*vals));
    if (n == 0)
        return ERR_OK;
    argv = xcalloc(n + 2, sizeof(*argv));
    lens = xcalloc(n + 2, sizeof(*lens));
    argv[0] = "HMGET";
    argv[1] = key;
    for (size_t i = 0; i < n; i++)
        argv[i + 2] = fields[i];
    for (size_t i = 0; i < n + 2; i++)
        lens[i] = strlen(argv[i]);
    err = run(c, key, (int)(n + 2), argv, lens, &reply);
    if (!err) {
        err = take_hmget(reply, n, a, vals);
        freeReplyObject(reply);
    }
    free(argv);
    free(lens);
    return err;
}

static err_t resp_hgetall(struct cache *c, const char *key, struct arena *a,
                          struct cache_field **out, size_t *n)
{
    const char *argv[] = {"HGETALL", key};
    redisReply *reply;
    err_t err = run(c, key, 2, argv, NULL, &reply);

    *out = NULL;
    *n = 0;
    if (err)
        return err;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements % 2) {
        freeReplyObject(reply);
        return ERR_INTERNAL;
    }
    *n = reply->elements / 2;
    *out = *n ? arena_zalloc(a, *n * sizeof(**out)) : NULL;
    for (size_t i = 0; i < *n; i++) {
        const redisReply *f = reply->element[2 * i];
        const redisReply *v = reply->element[2 * i + 1];

        (*out)[i].name = arena_bytes(a, f->str ? f->str : "", (size_t)f->len);
        (*out)[i].data = arena_bytes(a, v->str ? v->str : "", (size_t)v->len);
        (*out)[i].len = (size_t)v->len;
    }
    freeReplyObject(reply);
    return ERR_OK;
}

static err_t resp_sadd(struct cache *c, const char *key, const char *member, bool *added)
{
    const char *argv[] = {"SADD", key, member};
    int64_t n = 0;
    err_t err = run_int(c, key, 3, argv, &n);

    if (added)
        *added = n == 1;
    return err;
}

static err_t resp_srem(struct cache *c, const char *key, const char *member, bool *removed)
{
    const char *argv[] = {"SREM", key, member};
    int64_t n = 0;
    err_t err = run_int(c, key, 3, argv, &n);

    if (removed)
        *removed = n == 1;
    return err;
}

static err_t resp_smembers(struct cache *c, const char *key, struct arena *a, char ***out,
                           size_t *n)
{
    const char *argv[] = {"SMEMBERS", key};
    redisReply *reply;
    err_t err = run(c, key, 2, argv, NULL, &reply);

    *out = NULL;
    *n = 0;
    if (err)
        return err;
    if (reply->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(reply);
        return ERR_INTERNAL;
    }
    *n = reply->elements;
    *out = *n ? arena_zalloc(a, *n * sizeof(**out)) : NULL;
    for (size_t i = 0; i < *n; i++) {
        const redisReply *m = reply->element[i];

        (*out)[i] = arena_bytes(a, m->str ? m->str : "", (size_t)m->len);
    }
    freeReplyObject(reply);
    return ERR_OK;
}

static err_t resp_lock_acquire(struct cache *c, const char *key, const char *owner, int64_t ttl_ms,
                               bool *got)
{
    char ttl[NUM_MAX];
    const char *argv[] = {"SET", key, owner, "NX", "PX", ttl};
    redisReply *reply;
    err_t err;

    *got = false;
    if (ttl_ms <= 0)
        return ERR_BAD_REQUEST;
    snprintf(ttl, sizeof(ttl), "%" PRId64, ttl_ms);
    err = run(c, key, 6, argv, NULL, &reply);
    if (err)
        return err;
    /* +OK when set; a nil reply when the key already exists. */
    *got = reply->type == REDIS_REPLY_STATUS;
    freeReplyObject(reply);
    return ERR_OK;
}

static err_t resp_lock_release(struct cache *c, const char *key, const char *owner, bool *released)
{
    const char *argv[] = {"EVAL", LOCK_RELEASE_LUA, "1", key, owner};
    int64_t n = 0;
    err_t err = run_int(c, key, 5, argv, &n);

    if (released)
        *released = n == 1;
    return err;
}

static err_t resp_lock_renew(struct cache *c, const char *key, const char *owner, int64_t ttl_ms,
                             bool *renewed)
{
    char ttl[NUM_MAX];
    const char *argv[] = {"EVAL", LOCK_RENEW_LUA, "1", key, owner, ttl};
    int64_t n = 0;

    *renewed = false;
    if (ttl_ms <= 0)
        return ERR_BAD_REQUEST;
    snprintf(ttl, sizeof(ttl), "%" PRId64, ttl_ms);
    err_t err = run_int(c, key, 6, argv, &n);
    *renewed = !err && n == 1;
    return err;
}

static err_t resp_batch(struct cache *c, struct cache_batch *b)
{
    struct cache_resp *r = (struct cache_resp *)c;
    if (cache_near_serve(r->near, b))
        return ERR_OK;
    /* what the near cache cannot serve is a round trip: never on a thread that must not block */
    err_t err = noblock_check();
    if (err)
        return err;
    struct near_ticket *t = cache_near_begin(r->near, b);
    err = bulkhead_enter(r->bulkhead);
    if (err)
        return err;
    err = r->run_batch(r, b);
    bulkhead_leave(r->bulkhead);
    if (!err)
        err = cache_resp_batch_status(b);
    if (!err)
        cache_near_keep(r->near, t, b);
    return err;
}

#define RESP_OPS(backend_name)                                                                     \
    {                                                                                              \
        .name = backend_name, .close = resp_close, .ping = resp_ping, .get = resp_get,             \
        .set = resp_set, .del = resp_del, .incrby = resp_incrby, .expire = resp_expire,            \
        .exists = resp_exists, .hset = resp_hset, .hincrby = resp_hincrby, .hget = resp_hget,      \
        .hmget = resp_hmget, .hgetall = resp_hgetall, .sadd = resp_sadd, .srem = resp_srem,        \
        .smembers = resp_smembers, .lock_acquire = resp_lock_acquire,                              \
        .lock_release = resp_lock_release, .lock_renew = resp_lock_renew, .batch = resp_batch,     \
    }

const struct cache_ops cache_resp_node_ops = RESP_OPS("node");
const struct cache_ops cache_resp_cluster_ops = RESP_OPS("cluster");
