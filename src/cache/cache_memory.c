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

enum mtype { MT_STR, MT_HASH, MT_SET, MT_ZSET };

struct mentry {
    enum mtype type;
    int64_t expire_ms; /* monotonic deadline; 0 = none */
    char *data;        /* MT_STR, NUL-terminated */
    size_t len;
    struct hmap map; /* MT_HASH: field -> bytes; MT_SET: member -> NULL; MT_ZSET: member ->
                        heap int64_t score */
};

/* A key's shard is chosen by its {hash tag} when it has one, so the keys of one batch group
 * share a shard; the lock is recursive, so an atomic group holds it across its commands. */
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
    hmap_clear(&e->map, e->type == MT_HASH || e->type == MT_ZSET);
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

/* The hash that picks a key's shard: of its {tag} when it has a non-empty one (as Redis
 * Cluster picks a slot), else of the whole key. */
static uint64_t shard_hash(const char *key)
{
    const char *open = strchr(key, '{');
    const char *close = open ? strchr(open + 1, '}') : NULL;
    uint64_t h = 1469598103934665603ULL;

    if (!close || close == open + 1)
        return hash_str(key);
    for (const char *p = open + 1; p < close; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    return h;
}

/* Locks the key's shard (sweeping it when due) and returns it with the key's hash. */
static struct shard *enter(struct cache *c, const char *key, uint64_t *h)
{
    struct cache_memory *m = (struct cache_memory *)c;
    struct shard *s;
    int64_t now = cache_now_ms();

    *h = hash_str(key);
    s = &m->shards[(shard_hash(key) >> 32) % SHARDS];
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

/* A lock entry whose value is `owner`. */
static bool held_by(const struct mentry *e, const char *owner)
{
    return e && e->type == MT_STR && e->len == strlen(owner) && memcmp(e->data, owner, e->len) == 0;
}

static err_t mem_lock_release(struct cache *c, const char *key, const char *owner, bool *released)
{
    uint64_t h;
    struct shard *s = enter(c, key, &h);
    bool mine = held_by(lookup(s, key, h), owner);

    if (mine)
        shard_remove(s, hmap_find(&s->map, key, h));
    leave(s);
    if (released)
        *released = mine;
    return ERR_OK;
}

static err_t mem_lock_renew(struct cache *c, const char *key, const char *owner, int64_t ttl_ms,
                            bool *renewed)
{
    uint64_t h;
    *renewed = false;
    if (ttl_ms <= 0)
        return ERR_BAD_REQUEST;
    struct shard *s = enter(c, key, &h);
    struct mentry *e = lookup(s, key, h);
    if (held_by(e, owner)) {
        e->expire_ms = cache_now_ms() + ttl_ms;
        *renewed = true;
    }
    leave(s);
    return ERR_OK;
}

/* Sorted sets: only reachable through batches. Scores are integers. */

struct zitem {
    const char *member;
    int64_t score;
};

static err_t mem_zadd(struct cache *c, const char *key, int64_t score, const char *member,
                      bool only_existing, int64_t *changed)
{
    uint64_t h;
    struct shard *s = enter(c, key, &h);
    struct mentry *e;
    err_t err = lookup_typed(s, key, h, MT_ZSET, !only_existing, &e);
    struct hnode *n = NULL;

    *changed = 0;
    if (!err && e) {
        uint64_t mh = hash_str(member);

        n = hmap_find(&e->map, member, mh);
        if (!n && !only_existing) {
            n = hmap_add(&e->map, member, mh);
            n->val = xcalloc(1, sizeof(int64_t));
            *(int64_t *)n->val = score - 1; /* counted as changed below */
        }
    }
    if (n && *(int64_t *)n->val != score) {
        *(int64_t *)n->val = score;
        *changed = 1;
    }
    leave(s);
    return err;
}

static err_t mem_zrem(struct cache *c, const char *key, const char *member, int64_t *removed)
{
    uint64_t h;
    struct shard *s = enter(c, key, &h);
    struct mentry *e;
    err_t err = lookup_typed(s, key, h, MT_ZSET, false, &e);
    struct hnode *m = e ? hmap_find(&e->map, member, hash_str(member)) : NULL;

    *removed = m != NULL;
    if (m) {
        hmap_unlink(&e->map, m);
        free(m->val);
        hnode_free(m);
        if (e->map.n == 0)
            shard_remove(s, hmap_find(&s->map, key, h));
    }
    leave(s);
    return err;
}

static int zitem_cmp(const void *pa, const void *pb)
{
    const struct zitem *a = pa, *b = pb;

    if (a->score != b->score)
        return a->score < b->score ? -1 : 1;
    return strcmp(a->member, b->member);
}

/* Every member of a sorted set, by ascending score (arena copies); *n = 0 when missing. */
static err_t zset_items(struct cache *c, const char *key, struct arena *a, struct zitem **out,
                        size_t *n)
{
    uint64_t h;
    struct shard *s = enter(c, key, &h);
    struct mentry *e;
    err_t err = lookup_typed(s, key, h, MT_ZSET, false, &e);
    size_t k = 0;

    *n = e ? e->map.n : 0;
    *out = arena_zalloc(a, (*n + 1) * sizeof(**out));
    for (size_t b = 0; e && b < e->map.nb; b++) {
        for (struct hnode *m = e->map.buckets[b]; m; m = m->next, k++) {
            (*out)[k].member = arena_strdup(a, m->key);
            (*out)[k].score = *(int64_t *)m->val;
        }
    }
    leave(s);
    qsort(*out, *n, sizeof(**out), zitem_cmp);
    return err;
}

static void reply_int(struct cache_reply *r, int64_t v)
{
    r->type = CACHE_REPLY_INT;
    r->integer = v;
}

static void reply_str(struct arena *a, struct cache_reply *r, const char *data, size_t len)
{
    r->type = CACHE_REPLY_STR;
    r->str = arena_bytes(a, data, len);
    r->len = len;
}

static void reply_array(struct arena *a, struct cache_reply *r, size_t n)
{
    r->type = CACHE_REPLY_ARRAY;
    r->n = n;
    r->elem = arena_zalloc(a, (n + 1) * sizeof(*r->elem));
}

static void reply_items(struct arena *a, struct cache_reply *r, const struct zitem *items,
                        size_t from, size_t to, bool reverse)
{
    size_t n = to > from ? to - from : 0;

    reply_array(a, r, n);
    for (size_t i = 0; i < n; i++) {
        const struct zitem *it = reverse ? &items[to - 1 - i] : &items[from + i];

        reply_str(a, &r->elem[i], it->member, strlen(it->member));
    }
}

static err_t z_range_upto(struct cache *c, struct arena *a, const struct cache_cmd *cmd,
                          struct cache_reply *r)
{
    struct zitem *items;
    size_t n, k = 0;
    err_t err = zset_items(c, cmd->key, a, &items, &n);

    while (k < n && items[k].score <= cmd->n1 && (int64_t)k < cmd->n2)
        k++;
    reply_items(a, r, items, 0, k, false);
    return err;
}

/* ZREVRANGE start stop, with Redis's negative ranks counted from the end. */
static err_t z_revrange(struct cache *c, struct arena *a, const struct cache_cmd *cmd,
                        struct cache_reply *r)
{
    struct zitem *items;
    size_t n;
    err_t err = zset_items(c, cmd->key, a, &items, &n);
    int64_t start = cmd->n1 < 0 ? (int64_t)n + cmd->n1 : cmd->n1;
    int64_t stop = cmd->n2 < 0 ? (int64_t)n + cmd->n2 : cmd->n2;

    if (start < 0)
        start = 0;
    if (stop >= (int64_t)n)
        stop = (int64_t)n - 1;
    /* rank i from the top is items[n - 1 - i] */
    if (start > stop)
        reply_items(a, r, items, 0, 0, false);
    else
        reply_items(a, r, items, n - 1 - (size_t)stop, n - (size_t)start, true);
    return err;
}

static err_t z_score(struct cache *c, struct arena *a, const struct cache_cmd *cmd,
                     struct cache_reply *r)
{
    uint64_t h;
    struct shard *s = enter(c, cmd->key, &h);
    struct mentry *e;
    err_t err = lookup_typed(s, cmd->key, h, MT_ZSET, false, &e);
    struct hnode *m = e ? hmap_find(&e->map, cmd->arg, hash_str(cmd->arg)) : NULL;

    if (m) {
        char buf[32];
        int len = snprintf(buf, sizeof(buf), "%" PRId64, *(int64_t *)m->val);

        reply_str(a, r, buf, (size_t)len);
    }
    leave(s);
    return err;
}

static err_t z_card(struct cache *c, const struct cache_cmd *cmd, struct cache_reply *r)
{
    uint64_t h;
    struct shard *s = enter(c, cmd->key, &h);
    struct mentry *e;
    err_t err = lookup_typed(s, cmd->key, h, MT_ZSET, false, &e);

    reply_int(r, e ? (int64_t)e->map.n : 0);
    leave(s);
    return err;
}

static err_t mem_hdel(struct cache *c, const char *key, const char *field, int64_t *removed)
{
    uint64_t h;
    struct shard *s = enter(c, key, &h);
    struct mentry *e;
    err_t err = lookup_typed(s, key, h, MT_HASH, false, &e);
    struct hnode *f = e ? field_node(e, field, false) : NULL;

    *removed = f != NULL;
    if (f) {
        hmap_unlink(&e->map, f);
        free(f->val);
        hnode_free(f);
        if (e->map.n == 0)
            shard_remove(s, hmap_find(&s->map, key, h));
    }
    leave(s);
    return err;
}

/* Commands that answer with a bulk string or nil. */
static err_t run_bulk(struct cache *c, struct arena *a, const struct cache_cmd *cmd,
                      struct cache_reply *r)
{
    char *data = NULL;
    size_t len = 0;
    bool found = false;
    err_t err = cmd->kind == CK_HGET ? mem_hget(c, cmd->key, cmd->arg, a, &data, &len, &found)
                                     : mem_get(c, cmd->key, a, &data, &len, &found);

    if (!err && found)
        reply_str(a, r, data, len);
    return err;
}

static err_t run_getset(struct cache *c, struct arena *a, const struct cache_cmd *cmd,
                        struct cache_reply *r)
{
    uint64_t h;
    struct shard *s = enter(c, cmd->key, &h); /* recursive: get and set as one step */
    err_t err = run_bulk(c, a, cmd, r);

    if (!err)
        err = mem_set(c, cmd->key, cmd->val, cmd->len, 0);
    leave(s);
    return err;
}

static err_t run_set_if_eq(struct cache *c, struct arena *a, const struct cache_cmd *cmd,
                           struct cache_reply *r)
{
    uint64_t h;
    struct shard *s = enter(c, cmd->key, &h); /* recursive: compare and set as one step */
    char *data = NULL;
    size_t len = 0;
    bool found = false;
    err_t err = mem_get(c, cmd->key, a, &data, &len, &found);
    bool same = !err && found && len == strlen(cmd->arg) && memcmp(data, cmd->arg, len) == 0;

    if (same)
        err = mem_set(c, cmd->key, cmd->val, cmd->len, 0);
    if (!err)
        reply_int(r, same);
    leave(s);
    return err;
}

static err_t run_collection(struct cache *c, struct arena *a, const struct cache_cmd *cmd,
                            struct cache_reply *r)
{
    struct cache_field *f = NULL;
    char **m = NULL;
    size_t n = 0;
    err_t err;

    if (cmd->kind == CK_SMEMBERS) {
        err = mem_smembers(c, cmd->key, a, &m, &n);
        reply_array(a, r, n);
        for (size_t i = 0; !err && i < n; i++)
            reply_str(a, &r->elem[i], m[i], strlen(m[i]));
        return err;
    }
    err = mem_hgetall(c, cmd->key, a, &f, &n);
    reply_array(a, r, err ? 0 : 2 * n);
    for (size_t i = 0; !err && i < n; i++) {
        reply_str(a, &r->elem[2 * i], f[i].name, strlen(f[i].name));
        reply_str(a, &r->elem[2 * i + 1], f[i].data, f[i].len);
    }
    return err;
}

/* Commands that answer with an integer. */
static err_t run_counted(struct cache *c, const struct cache_cmd *cmd, struct cache_reply *r)
{
    bool yes = false;
    int64_t v = 0;
    err_t err = ERR_OK;

    switch (cmd->kind) {
    case CK_DEL:
        err = mem_del(c, cmd->key, &yes);
        break;
    case CK_DEL_IF_EQ:
        err = mem_lock_release(c, cmd->key, cmd->val, &yes);
        break;
    case CK_INCRBY:
        return (err = mem_incrby(c, cmd->key, cmd->n1, &v)) ? err : (reply_int(r, v), ERR_OK);
    case CK_HINCRBY:
        err = mem_hincrby(c, cmd->key, cmd->arg, cmd->n1, &v);
        return err ? err : (reply_int(r, v), ERR_OK);
    case CK_PEXPIRE:
        err = mem_expire(c, cmd->key, cmd->n1, &yes);
        break;
    case CK_SADD:
        err = mem_sadd(c, cmd->key, cmd->arg, &yes);
        break;
    case CK_SREM:
        err = mem_srem(c, cmd->key, cmd->arg, &yes);
        break;
    case CK_HDEL:
        return (err = mem_hdel(c, cmd->key, cmd->arg, &v)) ? err : (reply_int(r, v), ERR_OK);
    case CK_ZADD:
    case CK_ZADD_XX:
        err = mem_zadd(c, cmd->key, cmd->n1, cmd->arg, cmd->kind == CK_ZADD_XX, &v);
        return err ? err : (reply_int(r, v), ERR_OK);
    case CK_ZREM:
        return (err = mem_zrem(c, cmd->key, cmd->arg, &v)) ? err : (reply_int(r, v), ERR_OK);
    default:
        return ERR_INTERNAL;
    }
    if (!err)
        reply_int(r, yes);
    return err;
}

static err_t run_cmd(struct cache *c, struct arena *a, const struct cache_cmd *cmd,
                     struct cache_reply *r)
{
    switch (cmd->kind) {
    case CK_GET:
    case CK_HGET:
        return run_bulk(c, a, cmd, r);
    case CK_GETSET:
        return run_getset(c, a, cmd, r);
    case CK_SET_IF_EQ:
        return run_set_if_eq(c, a, cmd, r);
    case CK_SET:
        reply_str(a, r, "OK", 2);
        return mem_set(c, cmd->key, cmd->val, cmd->len, cmd->n1);
    case CK_HSET:
        reply_int(r, 1);
        return mem_hset(c, cmd->key, cmd->arg, cmd->val, cmd->len);
    case CK_HGETALL:
    case CK_SMEMBERS:
        return run_collection(c, a, cmd, r);
    case CK_ZCARD:
        return z_card(c, cmd, r);
    case CK_ZSCORE:
        return z_score(c, a, cmd, r);
    case CK_ZRANGE_UPTO:
        return z_range_upto(c, a, cmd, r);
    case CK_ZREVRANGE:
        return z_revrange(c, a, cmd, r);
    default:
        return run_counted(c, cmd, r);
    }
}

static bool guard_failed(const struct cache_reply *r)
{
    return r->type == CACHE_REPLY_NIL || (r->type == CACHE_REPLY_INT && r->integer == 0);
}

/* Runs each group in turn; an atomic group holds its shard's lock throughout (every key of a
 * group shares its tag, hence its shard). A refused command becomes an error reply. */
static err_t mem_batch(struct cache *c, struct cache_batch *b)
{
    for (size_t g = 0; g < b->n_groups; g++) {
        const struct cache_group *gr = &b->groups[g];
        struct shard *s = NULL;
        uint64_t h;

        if (gr->atomic && gr->count)
            s = enter(c, b->cmds[gr->first].key, &h);
        for (size_t i = gr->first; i < gr->first + gr->count; i++) {
            struct cache_reply *r = &b->replies[i];

            memset(r, 0, sizeof(*r));
            if (gr->guarded && i > gr->first && guard_failed(&b->replies[gr->first]))
                continue; /* left out: nil */
            if (run_cmd(c, b->a, &b->cmds[i], r)) {
                memset(r, 0, sizeof(*r));
                r->type = CACHE_REPLY_ERROR;
                r->str = arena_strdup(b->a, "ERR refused");
                r->len = strlen(r->str);
            }
        }
        if (s)
            leave(s);
    }
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
    .lock_renew = mem_lock_renew,
    .batch = mem_batch,
};

err_t cache_memory_new(struct cache **out)
{
    struct cache_memory *m = xcalloc(1, sizeof(*m));

    pthread_mutexattr_t attr;

    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    m->base.ops = &memory_ops;
    for (size_t i = 0; i < SHARDS; i++)
        pthread_mutex_init(&m->shards[i].mu, &attr);
    pthread_mutexattr_destroy(&attr);
    *out = &m->base;
    return ERR_OK;
}
