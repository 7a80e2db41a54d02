#define LOG_MODULE "cache.memory"

/* The in-process cache: Redis semantics for the subset of commands in cache.h, kept in 64
 * independently locked shards so concurrent callers rarely contend. TTLs are enforced lazily
 * on access; in addition each shard sweeps out expired keys at most once a second, on the
 * first access after that second, so keys that are never read again do not pile up. */

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache.h"
#include "cache/cache_int.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/str.h"

enum { SHARDS = 64, SWEEP_PERIOD_MS = 1000, HMAP_MIN_BUCKETS = 8 };

/* A chained hash map from a string to (val, len); used for keys, hash fields and set members. */
struct hnode {
    struct hnode *next;
    uint64_t hash;
    char *key;
    void *val;
    size_t len;
};

struct hmap {
    struct hnode **buckets;
    size_t nb;
    size_t n;
};

enum mtype { MT_STR, MT_HASH, MT_SET };

struct mentry {
    enum mtype type;
    int64_t expire_ms; /* monotonic deadline; 0 = none */
    char *data;        /* MT_STR, NUL-terminated */
    size_t len;
    struct hmap map; /* MT_HASH: field -> bytes; MT_SET: member -> NULL */
};

struct shard {
    pthread_mutex_t mu;
    struct hmap map; /* key -> struct mentry * */
    int64_t next_sweep_ms;
};

struct cache_memory {
    struct cache base;
    struct shard shards[SHARDS];
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static struct hnode *hmap_find(const struct hmap *m, const char *key, uint64_t h)
{
    if (!m->nb)
        return NULL;
    for (struct hnode *n = m->buckets[h & (m->nb - 1)]; n; n = n->next)
        if (n->hash == h && strcmp(n->key, key) == 0)
            return n;
    return NULL;
}

static void hmap_grow(struct hmap *m)
{
    size_t nb = m->nb ? m->nb * 2 : HMAP_MIN_BUCKETS;
    struct hnode **b = xcalloc(nb, sizeof(*b));

    for (size_t i = 0; i < m->nb; i++) {
        struct hnode *n = m->buckets[i];

        while (n) {
            struct hnode *next = n->next;

            n->next = b[n->hash & (nb - 1)];
            b[n->hash & (nb - 1)] = n;
            n = next;
        }
    }
    free(m->buckets);
    m->buckets = b;
    m->nb = nb;
}

/* Adds a node for a key known to be absent. */
static struct hnode *hmap_add(struct hmap *m, const char *key, uint64_t h)
{
    struct hnode *n = xcalloc(1, sizeof(*n));

    if (m->n >= m->nb)
        hmap_grow(m);
    n->hash = h;
    n->key = xstrdup(key);
    n->next = m->buckets[h & (m->nb - 1)];
    m->buckets[h & (m->nb - 1)] = n;
    m->n++;
    return n;
}

/* Unlinks a node; the caller frees its value and then calls hnode_free. */
static void hmap_unlink(struct hmap *m, struct hnode *node)
{
    struct hnode **pp = &m->buckets[node->hash & (m->nb - 1)];

    while (*pp != node)
        pp = &(*pp)->next;
    *pp = node->next;
    m->n--;
}

static void hnode_free(struct hnode *n)
{
    free(n->key);
    free(n);
}

/* Frees every node; `vals` says whether values are heap blocks to free too. */
static void hmap_clear(struct hmap *m, bool vals)
{
    for (size_t i = 0; i < m->nb; i++) {
        struct hnode *n = m->buckets[i];

        while (n) {
            struct hnode *next = n->next;

            if (vals)
                free(n->val);
            hnode_free(n);
            n = next;
        }
    }
    free(m->buckets);
    memset(m, 0, sizeof(*m));
}

static void mentry_free(struct mentry *e)
{
    free(e->data);
    hmap_clear(&e->map, e->type == MT_HASH);
    free(e);
}

static void shard_remove(struct shard *s, struct hnode *n)
{
    hmap_unlink(&s->map, n);
    mentry_free(n->val);
    hnode_free(n);
}

static bool is_expired(const struct mentry *e, int64_t now)
{
    return e->expire_ms && e->expire_ms <= now;
}

static void shard_sweep(struct shard *s, int64_t now)
{
    for (size_t i = 0; i < s->map.nb; i++) {
        struct hnode *n = s->map.buckets[i];

        while (n) {
            struct hnode *next = n->next;

            if (is_expired(n->val, now))
                shard_remove(s, n);
            n = next;
        }
    }
    s->next_sweep_ms = now + SWEEP_PERIOD_MS;
}

/* Locks the key's shard (sweeping it when due) and returns it with the key's hash. */
static struct shard *enter(struct cache *c, const char *key, uint64_t *h)
{
    struct cache_memory *m = (struct cache_memory *)c;
    struct shard *s;
    int64_t now = cache_now_ms();

    *h = hash_str(key);
    s = &m->shards[(*h >> 32) % SHARDS];
    pthread_mutex_lock(&s->mu);
    if (now >= s->next_sweep_ms)
        shard_sweep(s, now);
    return s;
}

static void leave(struct shard *s)
{
    pthread_mutex_unlock(&s->mu);
}

/* The live entry of a key, dropping it first if it has expired. */
static struct mentry *lookup(struct shard *s, const char *key, uint64_t h)
{
    struct hnode *n = hmap_find(&s->map, key, h);

    if (!n)
        return NULL;
    if (is_expired(n->val, cache_now_ms())) {
        shard_remove(s, n);
        return NULL;
    }
    return n->val;
}

/* The entry of a key that must have `type`, created empty when missing. ERR_INTERNAL (Redis'
 * WRONGTYPE) when the key holds another type. */
static err_t lookup_typed(struct shard *s, const char *key, uint64_t h, enum mtype type,
                          bool create, struct mentry **out)
{
    struct mentry *e = lookup(s, key, h);

    *out = NULL;
    if (e && e->type != type) {
        log_warn("WRONGTYPE key=%s", key);
        return ERR_INTERNAL;
    }
    if (!e && create) {
        e = xcalloc(1, sizeof(*e));
        e->type = type;
        hmap_add(&s->map, key, h)->val = e;
    }
    *out = e;
    return ERR_OK;
}

static char *arena_bytes(struct arena *a, const void *data, size_t len)
{
    char *p = arena_alloc(a, len + 1);

    if (len)
        memcpy(p, data, len);
    p[len] = '\0';
    return p;
}

static char *heap_bytes(const void *data, size_t len)
{
    char *p = xmalloc(len + 1);

    if (len)
        memcpy(p, data, len);
    p[len] = '\0';
    return p;
}

/* Adds delta to a decimal integer held in *data, *len (NULL = 0), rewriting it in place. */
static err_t incr_bytes(char **data, size_t *len, int64_t delta, int64_t *out)
{
    int64_t v = 0;
    char buf[32];
    int n;

    if (*data && !strn_to_i64(*data, *len, INT64_MIN, INT64_MAX, &v))
        return ERR_INTERNAL;
    if (__builtin_add_overflow(v, delta, &v))
        return ERR_INTERNAL;
    n = snprintf(buf, sizeof(buf), "%" PRId64, v);
    free(*data);
    *data = heap_bytes(buf, (size_t)n);
    *len = (size_t)n;
    if (out)
        *out = v;
    return ERR_OK;
}

static void mem_close(struct cache *c)
{
    struct cache_memory *m = (struct cache_memory *)c;

    for (size_t i = 0; i < SHARDS; i++) {
        struct hmap *map = &m->shards[i].map;

        for (size_t b = 0; b < map->nb; b++)
            for (struct hnode *n = map->buckets[b]; n; n = n->next)
                mentry_free(n->val);
        hmap_clear(map, false);
        pthread_mutex_destroy(&m->shards[i].mu);
    }
    free(m);
}

static err_t mem_ping(struct cache *c)
{
    (void)c;
    return ERR_OK;
}

static err_t mem_get(struct cache *c, const char *key, struct arena *a, char **data, size_t *len,
                     bool *found)
{
    uint64_t h;
    struct shard *s = enter(c, key, &h);
    struct mentry *e;
    err_t err = lookup_typed(s, key, h, MT_STR, false, &e);

    *found = e != NULL;
    *data = e ? arena_bytes(a, e->data, e->len) : NULL;
    if (len)
        *len = e ? e->len : 0;
    leave(s);
    return err;
}

static err_t mem_set(struct cache *c, const char *key, const void *data, size_t len, int64_t ttl_ms)
{
    uint64_t h;
    struct shard *s = enter(c, key, &h);
    struct hnode *n = hmap_find(&s->map, key, h);
    struct mentry *e;

    /* SET replaces a value of any type, so the old entry is dropped whatever it was. */
    if (n)
        shard_remove(s, n);
    e = xcalloc(1, sizeof(*e));
    e->type = MT_STR;
    e->data = heap_bytes(data, len);
    e->len = len;
    e->expire_ms = ttl_ms > 0 ? cache_now_ms() + ttl_ms : 0;
    hmap_add(&s->map, key, h)->val = e;
    leave(s);
    return ERR_OK;
}

static err_t mem_del(struct cache *c, const char *key, bool *deleted)
{
    uint64_t h;
    struct shard *s = enter(c, key, &h);
    bool had = lookup(s, key, h) != NULL;

    if (had)
        shard_remove(s, hmap_find(&s->map, key, h));
    leave(s);
    if (deleted)
        *deleted = had;
    return ERR_OK;
}

static err_t mem_incrby(struct cache *c, const char *key, int64_t delta, int64_t *out)
{
    uint64_t h;
    struct shard *s = enter(c, key, &h);
    struct mentry *e;
    err_t err = lookup_typed(s, key, h, MT_STR, true, &e);

    if (!err)
        err = incr_bytes(&e->data, &e->len, delta, out);
    /* A failed increment of a key created just now must not leave an empty value behind. */
    if (err && e && !e->data)
        shard_remove(s, hmap_find(&s->map, key, h));
    leave(s);
    return err;
}

static err_t mem_expire(struct cache *c, const char *key, int64_t ttl_ms, bool *found)
{
    uint64_t h;
    struct shard *s;
    struct mentry *e;

    if (ttl_ms <= 0)
        return ERR_BAD_REQUEST;
    s = enter(c, key, &h);
    e = lookup(s, key, h);
    if (e)
        e->expire_ms = cache_now_ms() + ttl_ms;
    leave(s);
    if (found)
        *found = e != NULL;
    return ERR_OK;
}

static err_t mem_exists(struct cache *c, const char *key, bool *found)
{
    uint64_t h;
    struct shard *s = enter(c, key, &h);

    *found = lookup(s, key, h) != NULL;
    leave(s);
    return ERR_OK;
}

/* The node of a hash field, created (with no value) when `create`. */
static struct hnode *field_node(struct mentry *e, const char *field, bool create)
{
    uint64_t fh = hash_str(field);
    struct hnode *n = hmap_find(&e->map, field, fh);

    if (!n && create)
        n = hmap_add(&e->map, field, fh);
    return n;
}

static err_t mem_hset(struct cache *c, const char *key, const char *field, const void *data,
                      size_t len)
{
    uint64_t h;
    struct shard *s = enter(c, key, &h);
    struct mentry *e;
    err_t err = lookup_typed(s, key, h, MT_HASH, true, &e);

    if (!err) {
        struct hnode *n = field_node(e, field, true);

        free(n->val);
        n->val = heap_bytes(data, len);
        n->len = len;
    }
    leave(s);
    return err;
}

static err_t mem_hincrby(struct cache *c, const char *key, const char *field, int64_t delta,
                         int64_t *out)
{
    uint64_t h;
    struct shard *s = enter(c, key, &h);
    struct mentry *e;
    err_t err = lookup_typed(s, key, h, MT_HASH, true, &e);

    if (!err) {
        struct hnode *n = field_node(e, field, true);
        char *data = n->val;

        err = incr_bytes(&data, &n->len, delta, out);
        n->val = data;
        if (err && !n->val) {
            hmap_unlink(&e->map, n);
            hnode_free(n);
        }
        if (err && e->map.n == 0)
            shard_remove(s, hmap_find(&s->map, key, h));
    }
    leave(s);
    return err;
}

static err_t mem_hget(struct cache *c, const char *key, const char *field, struct arena *a,
                      char **data, size_t *len, bool *found)
{
    uint64_t h;
    struct shard *s = enter(c, key, &h);
    struct mentry *e;
    err_t err = lookup_typed(s, key, h, MT_HASH, false, &e);
    struct hnode *n = e ? field_node(e, field, false) : NULL;

    *found = n != NULL;
    *data = n ? arena_bytes(a, n->val, n->len) : NULL;
    if (len)
        *len = n ? n->len : 0;
    leave(s);
    return err;
}

static err_t mem_hmget(struct cache *c, const char *key, const char *const *fields, size_t n,
                       struct arena *a, struct cache_val *vals)
{
    uint64_t h;
    struct shard *s = enter(c, key, &h);
    struct mentry *e;
    err_t err = lookup_typed(s, key, h, MT_HASH, false, &e);

    for (size_t i = 0; i < n; i++) {
        struct hnode *f = e ? field_node(e, fields[i], false) : NULL;

        vals[i].found = f != NULL;
        vals[i].data = f ? arena_bytes(a, f->val, f->len) : NULL;
        vals[i].len = f ? f->len : 0;
    }
    leave(s);
    return err;
}

static err_t mem_hgetall(struct cache *c, const char *key, struct arena *a,
                         struct cache_field **out, size_t *n)
{
    uint64_t h;
    struct shard *s = enter(c, key, &h);
    struct mentry *e;
    err_t err = lookup_typed(s, key, h, MT_HASH, false, &e);
    size_t k = 0;

    *n = e ? e->map.n : 0;
    *out = *n ? arena_zalloc(a, *n * sizeof(**out)) : NULL;
    for (size_t b = 0; e && b < e->map.nb; b++) {
        for (struct hnode *f = e->map.buckets[b]; f; f = f->next, k++) {
            (*out)[k].name = arena_strdup(a, f->key);
            (*out)[k].data = arena_bytes(a, f->val, f->len);
            (*out)[k].len = f->len;
        }
    }
    leave(s);
    return err;
}

static err_t mem_sadd(struct cache *c, const char *key, const char *member, bool *added)
{
    uint64_t h;
    struct shard *s = enter(c, key, &h);
    struct mentry *e;
    err_t err = lookup_typed(s, key, h, MT_SET, true, &e);
    bool is_new = false;

    if (!err) {
        uint64_t mh = hash_str(member);

        is_new = hmap_find(&e->map, member, mh) == NULL;
        if (is_new)
            hmap_add(&e->map, member, mh);
    }
    leave(s);
    if (added)
        *added = is_new;
    return err;
}

static err_t mem_srem(struct cache *c, const char *key, const char *member, bool *removed)
{
    uint64_t h;
    struct shard *s = enter(c, key, &h);
    struct mentry *e;
    err_t err = lookup_typed(s, key, h, MT_SET, false, &e);
    struct hnode *m = e ? hmap_find(&e->map, member, hash_str(member)) : NULL;

    if (m) {
        hmap_unlink(&e->map, m);
        hnode_free(m);
        /* Redis deletes a set when its last member goes. */
        if (e->map.n == 0)
            shard_remove(s, hmap_find(&s->map, key, h));
    }
    leave(s);
    if (removed)
        *removed = m != NULL;
    return err;
}

static err_t mem_smembers(struct cache *c, const char *key, struct arena *a, char ***out, size_t *n)
{
    uint64_t h;
    struct shard *s = enter(c, key, &h);
    struct mentry *e;
    err_t err = lookup_typed(s, key, h, MT_SET, false, &e);
    size_t k = 0;

    *n = e ? e->map.n : 0;
    *out = *n ? arena_zalloc(a, *n * sizeof(**out)) : NULL;
    for (size_t b = 0; e && b < e->map.nb; b++)
        for (struct hnode *m = e->map.buckets[b]; m; m = m->next)
            (*out)[k++] = arena_strdup(a, m->key);
    leave(s);
    return err;
}

static err_t mem_lock_acquire(struct cache *c, const char *key, const char *owner, int64_t ttl_ms,
                              bool *got)
{
    uint64_t h;
    struct shard *s;
    struct mentry *e;

    *got = false;
    if (ttl_ms <= 0)
        return ERR_BAD_REQUEST;
    s = enter(c, key, &h);
    if (!lookup(s, key, h)) {
        e = xcalloc(1, sizeof(*e));
        e->type = MT_STR;
        e->len = strlen(owner);
        e->data = heap_bytes(owner, e->len);
        e->expire_ms = cache_now_ms() + ttl_ms;
        hmap_add(&s->map, key, h)->val = e;
        *got = true;
    }
    leave(s);
    return ERR_OK;
}

static err_t mem_lock_release(struct cache *c, const char *key, const char *owner, bool *released)
{
    uint64_t h;
    struct shard *s = enter(c, key, &h);
    struct mentry *e = lookup(s, key, h);
    bool mine =
        e && e->type == MT_STR && e->len == strlen(owner) && memcmp(e->data, owner, e->len) == 0;

    if (mine)
        shard_remove(s, hmap_find(&s->map, key, h));
    leave(s);
    if (released)
        *released = mine;
    return ERR_OK;
}

static const struct cache_ops memory_ops = {
    .name = "memory",
    .close = mem_close,
    .ping = mem_ping,
    .get = mem_get,
    .set = mem_set,
    .del = mem_del,
    .incrby = mem_incrby,
    .expire = mem_expire,
    .exists = mem_exists,
    .hset = mem_hset,
    .hincrby = mem_hincrby,
    .hget = mem_hget,
    .hmget = mem_hmget,
    .hgetall = mem_hgetall,
    .sadd = mem_sadd,
    .srem = mem_srem,
    .smembers = mem_smembers,
    .lock_acquire = mem_lock_acquire,
    .lock_release = mem_lock_release,
};

err_t cache_memory_new(struct cache **out)
{
    struct cache_memory *m = xcalloc(1, sizeof(*m));

    m->base.ops = &memory_ops;
    for (size_t i = 0; i < SHARDS; i++)
        pthread_mutex_init(&m->shards[i].mu, NULL);
    *out = &m->base;
    return ERR_OK;
}
