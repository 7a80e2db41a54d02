#ifndef QNLIVE_CACHE_CACHE_H
#define QNLIVE_CACHE_CACHE_H

/* The shared cache: one interface, three backends.
 *
 *   memory   in-process, used when the config has no `cache` section and by tests
 *   node     one Redis server (`cache.type: node`, `cache.addr`)
 *   cluster  Redis Cluster (`cache.type: cluster`, `cache.addrs` seeds)
 *
 * Every operation returns an err_t:
 *   ERR_OK           the command ran; "missing" is reported through a `bool *found` out-param,
 *                    never as an error
 *   ERR_UNAVAILABLE  Redis cannot be reached (connect/read timeout, refused, cluster down).
 *                    A command that fails on a pooled connection (e.g. after a Redis restart)
 *                    is retried once on a fresh connection before this is returned; a command
 *                    that timed out is never retried
 *   ERR_INTERNAL     Redis refused the command (wrong type, value not an integer, overflow)
 *   ERR_BAD_REQUEST  an invalid argument (e.g. a non-positive TTL for cache_expire)
 *
 * Keys, hash fields and set members are NUL-terminated strings; values are binary-safe byte
 * strings with an explicit length. Results are allocated from the caller's arena and are
 * NUL-terminated for convenience. A cache object is shared by all threads: the memory backend
 * uses sharded locks, the Redis backends keep a small pool of connections per server, so each
 * concurrent caller gets its own connection (connect timeout 2 s, command timeout 3 s).
 *
 * Several commands go in one round trip through a batch (cache_batch_*): a batch is a list of
 * groups, each group a list of commands on keys that share one hash slot ({tag}), optionally
 * atomic. See "Batches" below. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct arena;
struct conf;

/* One value of cache_hmget: `found` is false when the field (or the key) is missing. */
struct cache_val {
    char *data; /* arena-owned, NUL-terminated; NULL when !found */
    size_t len;
    bool found;
};

/* One field of cache_hgetall. */
struct cache_field {
    char *name; /* arena-owned, NUL-terminated */
    char *data; /* arena-owned, NUL-terminated */
    size_t len; /* length of data */
};

struct cache;
struct cache_batch;

/* The backend vtable; callers use the cache_* wrappers below. */
struct cache_ops {
    const char *name; /* "memory" | "node" | "cluster" */
    void (*close)(struct cache *c);
    err_t (*ping)(struct cache *c);
    err_t (*get)(struct cache *c, const char *key, struct arena *a, char **data, size_t *len,
                 bool *found);
    err_t (*set)(struct cache *c, const char *key, const void *data, size_t len, int64_t ttl_ms);
    err_t (*del)(struct cache *c, const char *key, bool *deleted);
    err_t (*incrby)(struct cache *c, const char *key, int64_t delta, int64_t *out);
    err_t (*expire)(struct cache *c, const char *key, int64_t ttl_ms, bool *found);
    err_t (*exists)(struct cache *c, const char *key, bool *found);
    err_t (*hset)(struct cache *c, const char *key, const char *field, const void *data,
                  size_t len);
    err_t (*hincrby)(struct cache *c, const char *key, const char *field, int64_t delta,
                     int64_t *out);
    err_t (*hget)(struct cache *c, const char *key, const char *field, struct arena *a, char **data,
                  size_t *len, bool *found);
    err_t (*hmget)(struct cache *c, const char *key, const char *const *fields, size_t n,
                   struct arena *a, struct cache_val *vals);
    err_t (*hgetall)(struct cache *c, const char *key, struct arena *a, struct cache_field **out,
                     size_t *n);
    err_t (*sadd)(struct cache *c, const char *key, const char *member, bool *added);
    err_t (*srem)(struct cache *c, const char *key, const char *member, bool *removed);
    err_t (*smembers)(struct cache *c, const char *key, struct arena *a, char ***out, size_t *n);
    err_t (*lock_acquire)(struct cache *c, const char *key, const char *owner, int64_t ttl_ms,
                          bool *got);
    err_t (*lock_release)(struct cache *c, const char *key, const char *owner, bool *released);
    err_t (*lock_renew)(struct cache *c, const char *key, const char *owner, int64_t ttl_ms,
                        bool *renewed);
    err_t (*batch)(struct cache *c, struct cache_batch *b);
};

/* Every backend embeds this as its first member. */
struct cache {
    const struct cache_ops *ops;
};

/* Opens the backend the config asks for: memory when cf->cache.enabled is false, otherwise
 * cf->cache.type "node" (cf->cache.addr; "" means localhost:6379) or "cluster"
 * (cf->cache.addrs). Redis connections are made lazily; an unreachable server at start-up is
 * logged as a warning, not an error. The Redis backends set SIGPIPE to SIG_IGN when it still
 * has its default disposition, so a write to a dead connection cannot kill the process.
 * Returns ERR_CONFIG for an unknown type, ERR_BAD_REQUEST for an unparsable address or an empty
 * seed list. The caller frees *out with cache_close. */
err_t cache_open(const struct conf *cf, struct cache **out) MUST_USE;

/* Closes the cache and every connection it holds; accepts NULL and NULLs *c. No operation
 * may be running on it. */
void cache_close(struct cache **c);

/* Constructors used by cache_open; tests call them directly. Same contracts as cache_open. */
err_t cache_memory_new(struct cache **out) MUST_USE;
err_t cache_redis_new(const char *addr, const char *password, struct cache **out) MUST_USE;

/* Turns on the near cache of a single-node Redis cache (cache_near.c): replies of the hot reads
 * (generations, presence sets, user rows) kept in process and dropped as soon as Redis reports
 * their key changed, so that reading what nobody changed needs no round trip. No-op for the
 * other backends. */
void cache_near_enable(struct cache *c);

/* True while c's near cache is on and receiving invalidations. */
bool cache_near_on(const struct cache *c);

struct cache_near_stats {
    bool enabled;    /* configured on this cache */
    bool active;     /* receiving invalidations now */
    uint64_t hits;   /* batches answered from memory */
    uint64_t misses; /* batches of cacheable reads that had to go to Redis */
    uint64_t entries;
};

/* The near cache's figures (all zero when it is not enabled). */
void cache_near_stats(const struct cache *c, struct cache_near_stats *out);
err_t cache_cluster_new(char *const *addrs, size_t n_addrs, const char *password,
                        struct cache **out) MUST_USE;

/* inline defs */

/* The backend name: "memory", "node" or "cluster". */
static inline const char *cache_backend(const struct cache *c)
{
    return c->ops->name;
}

/* Checks that the backend answers (PING). ERR_UNAVAILABLE when it does not. */
MUST_USE static inline err_t cache_ping(struct cache *c)
{
    return c->ops->ping(c);
}

/* GET: on a hit *data (arena, NUL-terminated) and *len (may be NULL) hold the value and
 * *found is true; on a miss *found is false and *data is NULL. */
MUST_USE static inline err_t cache_get(struct cache *c, const char *key, struct arena *a,
                                       char **data, size_t *len, bool *found)
{
    return c->ops->get(c, key, a, data, len, found);
}

/* SET: stores len bytes under key, replacing any value and any TTL. ttl_ms > 0 sets an expiry
 * in milliseconds; 0 means none. */
MUST_USE static inline err_t cache_set(struct cache *c, const char *key, const void *data,
                                       size_t len, int64_t ttl_ms)
{
    return c->ops->set(c, key, data, len, ttl_ms);
}

/* DEL: removes a key of any type; *deleted (may be NULL) tells whether it existed. */
MUST_USE static inline err_t cache_del(struct cache *c, const char *key, bool *deleted)
{
    return c->ops->del(c, key, deleted);
}

/* INCRBY: adds delta to the integer stored at key (missing = 0) and writes the new value to
 * *out (may be NULL). ERR_INTERNAL when the value is not an integer or would overflow. */
MUST_USE static inline err_t cache_incrby(struct cache *c, const char *key, int64_t delta,
                                          int64_t *out)
{
    return c->ops->incrby(c, key, delta, out);
}

/* PEXPIRE: sets a TTL of ttl_ms (> 0, else ERR_BAD_REQUEST) on an existing key of any type;
 * *found (may be NULL) is false when the key does not exist (nothing is done). */
MUST_USE static inline err_t cache_expire(struct cache *c, const char *key, int64_t ttl_ms,
                                          bool *found)
{
    return c->ops->expire(c, key, ttl_ms, found);
}

/* EXISTS: *found is true when the key exists (and has not expired). */
MUST_USE static inline err_t cache_exists(struct cache *c, const char *key, bool *found)
{
    return c->ops->exists(c, key, found);
}

/* HSET: sets one field of the hash at key to len bytes. */
MUST_USE static inline err_t cache_hset(struct cache *c, const char *key, const char *field,
                                        const void *data, size_t len)
{
    return c->ops->hset(c, key, field, data, len);
}

/* HINCRBY: adds delta to a hash field (missing = 0); *out (may be NULL) gets the new value. */
MUST_USE static inline err_t cache_hincrby(struct cache *c, const char *key, const char *field,
                                           int64_t delta, int64_t *out)
{
    return c->ops->hincrby(c, key, field, delta, out);
}

/* HGET: one hash field, with the same out-params as cache_get. */
MUST_USE static inline err_t cache_hget(struct cache *c, const char *key, const char *field,
                                        struct arena *a, char **data, size_t *len, bool *found)
{
    return c->ops->hget(c, key, field, a, data, len, found);
}

/* HMGET: n fields at once; vals (caller-owned array of n) receives them in order, data from
 * the arena. A missing key gives n misses. */
MUST_USE static inline err_t cache_hmget(struct cache *c, const char *key,
                                         const char *const *fields, size_t n, struct arena *a,
                                         struct cache_val *vals)
{
    return c->ops->hmget(c, key, fields, n, a, vals);
}

/* HGETALL: every field of the hash, in no particular order, as an arena array of *n items
 * (*out is NULL when *n is 0). A missing key gives *n == 0. */
MUST_USE static inline err_t cache_hgetall(struct cache *c, const char *key, struct arena *a,
                                           struct cache_field **out, size_t *n)
{
    return c->ops->hgetall(c, key, a, out, n);
}

/* SADD: adds one member to the set at key; *added (may be NULL) is false if it was there. */
MUST_USE static inline err_t cache_sadd(struct cache *c, const char *key, const char *member,
                                        bool *added)
{
    return c->ops->sadd(c, key, member, added);
}

/* SREM: removes one member; *removed (may be NULL) tells whether it was there. */
MUST_USE static inline err_t cache_srem(struct cache *c, const char *key, const char *member,
                                        bool *removed)
{
    return c->ops->srem(c, key, member, removed);
}

/* SMEMBERS: every member, in no particular order, as an arena array of *n arena strings. */
MUST_USE static inline err_t cache_smembers(struct cache *c, const char *key, struct arena *a,
                                            char ***out, size_t *n)
{
    return c->ops->smembers(c, key, a, out, n);
}

/* Takes a lock: SET key owner NX PX ttl_ms (ttl_ms > 0, else ERR_BAD_REQUEST). *got is true
 * when this call created the key. `owner` must be unique per holder (node id + thread + random)
 * so that only the holder can release it. */
MUST_USE static inline err_t cache_lock_acquire(struct cache *c, const char *key, const char *owner,
                                                int64_t ttl_ms, bool *got)
{
    return c->ops->lock_acquire(c, key, owner, ttl_ms, got);
}

/* Releases a lock only if it is still held by `owner` (atomic compare-and-delete; a Lua script
 * on Redis). Releasing a lock held by someone else, or already expired, does nothing and is
 * not an error. */
MUST_USE static inline err_t cache_lock_release(struct cache *c, const char *key, const char *owner)
{
    return c->ops->lock_release(c, key, owner, NULL);
}

/* Same, telling through *released whether the key was deleted. */
MUST_USE static inline err_t cache_lock_release_ex(struct cache *c, const char *key,
                                                   const char *owner, bool *released)
{
    return c->ops->lock_release(c, key, owner, released);
}

/* Extends a lock to ttl_ms from now only if `owner` still holds it (atomic compare-and-expire;
 * a Lua script on Redis), so a holder keeps its lock without the gap of a release followed by
 * an acquire. *renewed is false when the lock expired or belongs to someone else. */
MUST_USE static inline err_t cache_lock_renew(struct cache *c, const char *key, const char *owner,
                                              int64_t ttl_ms, bool *renewed)
{
    return c->ops->lock_renew(c, key, owner, ttl_ms, renewed);
}

/* Batches.
 *
 * A batch sends many commands at once: one pipelined round trip on a Redis node, one per owning
 * master on a cluster (groups are routed by their slot), a single pass under the shard lock on
 * the memory backend. Commands are added to the current group; cache_batch_group starts a new
 * one. Every key of a group must share a hash slot (put the same {tag} in each key); an atomic
 * group runs as MULTI/EXEC on Redis and under one lock in memory, so no other client sees it
 * half done. Groups of one batch are independent of each other: they may run in any order.
 *
 * Each cache_batch_<cmd> returns the index of its reply. After cache_batch_run, cache_batch_reply
 * gives it: CACHE_REPLY_NIL for a missing value, _INT, _STR (arena bytes, NUL-terminated),
 * _ARRAY (elements in `elem`) or _ERROR (the command was refused, e.g. WRONGTYPE; the rest of
 * the batch still ran). The batch and its replies live in the arena given to cache_batch_new. */

enum cache_reply_type {
    CACHE_REPLY_NIL,
    CACHE_REPLY_INT,
    CACHE_REPLY_STR,
    CACHE_REPLY_ARRAY,
    CACHE_REPLY_ERROR,
};

struct cache_reply {
    enum cache_reply_type type;
    int64_t integer;          /* _INT */
    char *str;                /* _STR, _ERROR: arena, NUL-terminated */
    size_t len;               /* of str */
    struct cache_reply *elem; /* _ARRAY: n elements */
    size_t n;
};

/* An empty batch whose first group is not atomic. */
struct cache_batch *cache_batch_new(struct arena *a);

/* Starts a new group of commands sharing one hash slot; atomic = all or nothing, unseen half
 * done. An empty current group is reused. */
void cache_batch_group(struct cache_batch *b, bool atomic);

/* Starts a new atomic group whose commands after the first run only when the first one answers
 * something other than nil or the integer 0 (e.g. "only while this member is in the set"); the
 * commands left out answer nil. Plain commands only (not the *_if_eq ones). One script call on
 * Redis, one pass under the shard lock in memory. */
void cache_batch_group_guarded(struct cache_batch *b);

/* Number of commands added so far. */
size_t cache_batch_len(const struct cache_batch *b);

/* Runs every command. ERR_UNAVAILABLE when a server cannot be reached (some groups may have run,
 * others not: callers treat the whole batch as failed); ERR_BAD_REQUEST when a group's keys do
 * not share a slot. Refused commands are reported in their replies, not here. */
err_t cache_batch_run(struct cache *c, struct cache_batch *b) MUST_USE;

/* The reply of command i (valid after a successful cache_batch_run). */
const struct cache_reply *cache_batch_reply(const struct cache_batch *b, size_t i);

/* The integer reply of command i, or def when it is not an integer. */
int64_t cache_batch_int(const struct cache_batch *b, size_t i, int64_t def);

/* The string reply of command i (arena), or NULL for nil / not a string. */
const char *cache_batch_str(const struct cache_batch *b, size_t i);

/* Commands. Values and members are NUL-terminated strings unless a length is given; every
 * string is borrowed until cache_batch_run returns. Replies are Redis's. */
size_t cache_batch_get(struct cache_batch *b, const char *key);
/* SET key value [PX ttl_ms when > 0]: reply "OK". */
size_t cache_batch_set(struct cache_batch *b, const char *key, const void *data, size_t len,
                       int64_t ttl_ms);
/* SET key value GET: the previous string or nil. */
size_t cache_batch_getset(struct cache_batch *b, const char *key, const char *value);
size_t cache_batch_del(struct cache_batch *b, const char *key);
/* Deletes key only while it holds `value` (compare-and-delete): 1 when deleted, else 0. */
size_t cache_batch_del_if_eq(struct cache_batch *b, const char *key, const char *value);
/* Sets key to value only while it holds `expected` (compare-and-swap): 1 when set, else 0. */
size_t cache_batch_set_if_eq(struct cache_batch *b, const char *key, const char *expected,
                             const char *value);
size_t cache_batch_incrby(struct cache_batch *b, const char *key, int64_t delta);
/* PEXPIRE: 1 when the key exists, else 0. */
size_t cache_batch_pexpire(struct cache_batch *b, const char *key, int64_t ttl_ms);
size_t cache_batch_hget(struct cache_batch *b, const char *key, const char *field);
size_t cache_batch_hset(struct cache_batch *b, const char *key, const char *field,
                        const char *value);
size_t cache_batch_hincrby(struct cache_batch *b, const char *key, const char *field,
                           int64_t delta);
size_t cache_batch_hdel(struct cache_batch *b, const char *key, const char *field);
/* HGETALL: an array of name, value, name, value... */
size_t cache_batch_hgetall(struct cache_batch *b, const char *key);
size_t cache_batch_sadd(struct cache_batch *b, const char *key, const char *member);
size_t cache_batch_srem(struct cache_batch *b, const char *key, const char *member);
size_t cache_batch_smembers(struct cache_batch *b, const char *key);
/* ZADD key [XX] CH score member: 1 when added or its score changed. With only_existing (XX) a
 * missing member is not added (reply 0). Scores are integers. */
size_t cache_batch_zadd(struct cache_batch *b, const char *key, int64_t score, const char *member,
                        bool only_existing);
size_t cache_batch_zrem(struct cache_batch *b, const char *key, const char *member);
size_t cache_batch_zcard(struct cache_batch *b, const char *key);
/* ZSCORE: the integer score as a string, or nil. */
size_t cache_batch_zscore(struct cache_batch *b, const char *key, const char *member);
/* ZRANGEBYSCORE key -inf max LIMIT 0 count: members with the lowest scores first. */
size_t cache_batch_zrange_upto(struct cache_batch *b, const char *key, int64_t max, int64_t count);
/* ZREVRANGE key start stop: members by descending score, ranks start..stop inclusive. */
size_t cache_batch_zrevrange(struct cache_batch *b, const char *key, int64_t start, int64_t stop);

#endif
