#define LOG_MODULE "cache"

/* Building batches and reading their replies; the backends run them (cache_ops.batch). */

#include <string.h>

#include "cache/cache.h"
#include "cache/cache_int.h"
#include "core/log.h"
#include "core/mem.h"

struct cache_batch *cache_batch_new(struct arena *a)
{
    struct cache_batch *b = arena_zalloc(a, sizeof(*b));

    b->a = a;
    return b;
}

static struct cache_group *current_group(struct cache_batch *b)
{
    if (b->n_groups == 0)
        cache_batch_group(b, false);
    return &b->groups[b->n_groups - 1];
}

void cache_batch_group_guarded(struct cache_batch *b)
{
    cache_batch_group(b, true);
    b->groups[b->n_groups - 1].guarded = true;
}

void cache_batch_group(struct cache_batch *b, bool atomic)
{
    if (b->n_groups && b->groups[b->n_groups - 1].count == 0) {
        b->groups[b->n_groups - 1].atomic = atomic;
        b->groups[b->n_groups - 1].guarded = false;
        return;
    }
    b->groups = arena_grow(b->a, b->groups, b->n_groups, &b->cap_groups, sizeof(*b->groups), 4);
    b->groups[b->n_groups++] = (struct cache_group){.first = b->n, .count = 0, .atomic = atomic};
}

size_t cache_batch_len(const struct cache_batch *b)
{
    return b->n;
}

static size_t add(struct cache_batch *b, struct cache_cmd cmd)
{
    struct cache_group *g = current_group(b);

    b->cmds = arena_grow(b->a, b->cmds, b->n, &b->cap, sizeof(*b->cmds), 8);
    b->cmds[b->n] = cmd;
    g->count++;
    return b->n++;
}

err_t cache_batch_check_slots(const struct cache_batch *b)
{
    for (size_t g = 0; g < b->n_groups; g++) {
        const struct cache_group *gr = &b->groups[g];
        unsigned slot = 0;

        /* a lone command, or one on the key before it, cannot mix slots: no CRC to compute
         * (every room info and list page runs this) */
        for (size_t i = gr->first; gr->count > 1 && i < gr->first + gr->count; i++) {
            const char *k = b->cmds[i].key;
            if (i > gr->first && strcmp(k, b->cmds[i - 1].key) == 0)
                continue;
            unsigned s = cache_key_slot(k, strlen(k));

            if (i > gr->first && s != slot) {
                log_error("batch group mixes hash slots (key %s)", k);
                return ERR_BAD_REQUEST;
            }
            slot = s;
        }
    }
    return ERR_OK;
}

err_t cache_batch_prepare(struct cache_batch *b)
{
    err_t err = cache_batch_check_slots(b);

    if (!err)
        b->replies = arena_zalloc(b->a, (b->n + 1) * sizeof(*b->replies));
    return err;
}

err_t cache_batch_run(struct cache *c, struct cache_batch *b)
{
    err_t err = cache_batch_prepare(b);

    if (err || b->n == 0)
        return err;
    return c->ops->batch(c, b);
}

const struct cache_reply *cache_batch_reply(const struct cache_batch *b, size_t i)
{
    static const struct cache_reply nil = {.type = CACHE_REPLY_NIL};

    return b->replies && i < b->n ? &b->replies[i] : &nil;
}

int64_t cache_batch_int(const struct cache_batch *b, size_t i, int64_t def)
{
    const struct cache_reply *r = cache_batch_reply(b, i);

    return r->type == CACHE_REPLY_INT ? r->integer : def;
}

const char *cache_batch_str(const struct cache_batch *b, size_t i)
{
    const struct cache_reply *r = cache_batch_reply(b, i);

    return r->type == CACHE_REPLY_STR ? r->str : NULL;
}

static size_t add_kv(struct cache_batch *b, enum cache_cmd_kind k, const char *key, const char *arg,
                     const char *val, int64_t n1, int64_t n2)
{
    return add(b, (struct cache_cmd){.kind = k,
                                     .key = key,
                                     .arg = arg,
                                     .val = val,
                                     .len = val ? strlen(val) : 0,
                                     .n1 = n1,
                                     .n2 = n2});
}

size_t cache_batch_get(struct cache_batch *b, const char *key)
{
    return add_kv(b, CK_GET, key, NULL, NULL, 0, 0);
}

size_t cache_batch_set(struct cache_batch *b, const char *key, const void *data, size_t len,
                       int64_t ttl_ms)
{
    return add(
        b, (struct cache_cmd){.kind = CK_SET, .key = key, .val = data, .len = len, .n1 = ttl_ms});
}

size_t cache_batch_getset(struct cache_batch *b, const char *key, const char *value)
{
    return add_kv(b, CK_GETSET, key, NULL, value, 0, 0);
}

size_t cache_batch_del(struct cache_batch *b, const char *key)
{
    return add_kv(b, CK_DEL, key, NULL, NULL, 0, 0);
}

size_t cache_batch_del_if_eq(struct cache_batch *b, const char *key, const char *value)
{
    return add_kv(b, CK_DEL_IF_EQ, key, NULL, value, 0, 0);
}

size_t cache_batch_set_if_eq(struct cache_batch *b, const char *key, const char *expected,
                             const char *value)
{
    return add_kv(b, CK_SET_IF_EQ, key, expected, value, 0, 0);
}

size_t cache_batch_incrby(struct cache_batch *b, const char *key, int64_t delta)
{
    return add_kv(b, CK_INCRBY, key, NULL, NULL, delta, 0);
}

size_t cache_batch_pexpire(struct cache_batch *b, const char *key, int64_t ttl_ms)
{
    return add_kv(b, CK_PEXPIRE, key, NULL, NULL, ttl_ms, 0);
}

size_t cache_batch_hget(struct cache_batch *b, const char *key, const char *field)
{
    return add_kv(b, CK_HGET, key, field, NULL, 0, 0);
}

size_t cache_batch_hset(struct cache_batch *b, const char *key, const char *field,
                        const char *value)
{
    return add_kv(b, CK_HSET, key, field, value, 0, 0);
}

size_t cache_batch_hincrby(struct cache_batch *b, const char *key, const char *field, int64_t delta)
{
    return add_kv(b, CK_HINCRBY, key, field, NULL, delta, 0);
}

size_t cache_batch_hdel(struct cache_batch *b, const char *key, const char *field)
{
    return add_kv(b, CK_HDEL, key, field, NULL, 0, 0);
}

size_t cache_batch_hgetall(struct cache_batch *b, const char *key)
{
    return add_kv(b, CK_HGETALL, key, NULL, NULL, 0, 0);
}

size_t cache_batch_sadd(struct cache_batch *b, const char *key, const char *member)
{
    return add_kv(b, CK_SADD, key, member, NULL, 0, 0);
}

size_t cache_batch_srem(struct cache_batch *b, const char *key, const char *member)
{
    return add_kv(b, CK_SREM, key, member, NULL, 0, 0);
}

size_t cache_batch_smembers(struct cache_batch *b, const char *key)
{
    return add_kv(b, CK_SMEMBERS, key, NULL, NULL, 0, 0);
}

size_t cache_batch_zadd(struct cache_batch *b, const char *key, int64_t score, const char *member,
                        bool only_existing)
{
    return add_kv(b, only_existing ? CK_ZADD_XX : CK_ZADD, key, member, NULL, score, 0);
}

size_t cache_batch_zrem(struct cache_batch *b, const char *key, const char *member)
{
    return add_kv(b, CK_ZREM, key, member, NULL, 0, 0);
}

size_t cache_batch_zcard(struct cache_batch *b, const char *key)
{
    return add_kv(b, CK_ZCARD, key, NULL, NULL, 0, 0);
}

size_t cache_batch_zscore(struct cache_batch *b, const char *key, const char *member)
{
    return add_kv(b, CK_ZSCORE, key, member, NULL, 0, 0);
}

size_t cache_batch_zrange_upto(struct cache_batch *b, const char *key, int64_t max, int64_t count)
{
    return add_kv(b, CK_ZRANGE_UPTO, key, NULL, NULL, max, count);
}

size_t cache_batch_zrevrange(struct cache_batch *b, const char *key, int64_t start, int64_t stop)
{
    return add_kv(b, CK_ZREVRANGE, key, NULL, NULL, start, stop);
}
