/* Like counters in the cache and their flush to stats_single_live (spec 02 §4.8). */
#define LOG_MODULE "like"

#include "biz/like/like.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "biz/like/like_store.h"
#include "cache/cache.h"
#include "core/log.h"
#include "core/mem.h"
#include "cron/cron.h"
#include "store/store.h"
#include "metrics/metrics.h"

enum {
    SEED_LOCK_TTL_MS = 10000,
    SEED_WAIT_STEPS = 250, /* x 20 ms: how long a like waits for another request's re-seed */
};

static const char TOTAL_FIELD[] = "_";

static atomic_uint_fast64_t seed_owner_seq;

static const char *like_key(struct arena *ar, const char *live_id)
{
    return arena_printf(ar, "like:%s", live_id);
}

/* Adds the stored per-user counts and their sum to the room's hash. Additive, so likes that
 * raced ahead of the seed are kept. */
static err_t seed_from_store(struct app *a, struct arena *ar, const char *live_id)
{
    struct store_conn *c = NULL;
    struct like_user_count *rows = NULL;
    size_t n = 0;
    int64_t sum = 0;
    const char *key = like_key(ar, live_id);
    err_t err = store_acquire(a->store, false, &c);

    if (!err)
        err = like_store_room(c, ar, live_id, &rows, &n);
    store_release(c);
    for (size_t i = 0; i < n && !err; i++) {
        if (!rows[i].user_id || strcmp(rows[i].user_id, TOTAL_FIELD) == 0 || rows[i].count <= 0)
            continue;
        sum += rows[i].count;
        err = cache_hincrby(a->cache, key, rows[i].user_id, rows[i].count, NULL);
    }
    /* The total last: its field is what makes the hash exist for later likes. The TTL at once:
     * the like that follows only sets it on a hash its own increment created. */
    if (!err)
        err = cache_hincrby(a->cache, key, TOTAL_FIELD, sum, NULL);
    if (!err)
        err = cache_expire(a->cache, key, LIKE_TTL_S * 1000LL, NULL);
    if (!err && n > 0)
        log_info("re-seeded like counters of live_id=%s users=%zu total=%" PRId64, live_id, n, sum);
    return err;
}

/* Makes sure like:<live_id> exists, re-seeding it from the database under a cache lock so
 * that concurrent likes seed it once. */
static err_t ensure_seeded(struct app *a, struct arena *ar, const char *live_id)
{
    const char *key = like_key(ar, live_id);
    const char *lock = arena_printf(ar, "like_seed:%s", live_id);
    const char *owner = arena_printf(ar, "%s-%" PRIuFAST64, cron_owner(a->cron),
                                     atomic_fetch_add(&seed_owner_seq, 1));
    bool found = false;
    bool got = false;
    err_t err = cache_exists(a->cache, key, &found);

    for (int i = 0; !err && !found && !got && i < SEED_WAIT_STEPS; i++) {
        err = cache_lock_acquire(a->cache, lock, owner, SEED_LOCK_TTL_MS, &got);
        if (!err && !got) {
            nanosleep(&(struct timespec){.tv_nsec = 20 * 1000000L}, NULL);
            err = cache_exists(a->cache, key, &found);
        }
    }
    if (err || found)
        return err;
    if (!got)
        return ERR_UNAVAILABLE;
    err = cache_exists(a->cache, key, &found); /* seeded while we waited for the lock? */
    if (!err && !found)
        err = seed_from_store(a, ar, live_id);
    if (cache_lock_release(a->cache, lock, owner))
        log_warn("like seed lock of live_id=%s not released; it expires", live_id);
    return err;
}

/* Records that user_id liked the room during second `sec`, for the flush job. A set gets its
 * TTL from the SADD that added a member: one that added nothing found the set existing, so the
 * set's creator (whose SADD did add) has set the TTL already. */
static err_t index_like(struct app *a, struct arena *ar, const char *live_id, const char *user_id,
                        int64_t sec)
{
    const char *users = arena_printf(ar, "like_users:%s:%" PRId64, live_id, sec);
    const char *rooms = arena_printf(ar, "like_rooms:%" PRId64, sec);
    bool added = false;
    err_t err = cache_sadd(a->cache, users, user_id, &added);
    if (!err && added)
        err = cache_expire(a->cache, users, LIKE_INDEX_TTL_S * 1000LL, NULL);
    if (!err)
        err = cache_sadd(a->cache, rooms, live_id, &added);
    if (!err && added)
        err = cache_expire(a->cache, rooms, LIKE_INDEX_TTL_S * 1000LL, NULL);
    return err;
}

err_t like_add(struct app *a, struct arena *ar, const char *live_id, const char *user_id,
               int64_t count, struct like_result *out)
{
    const char *key = like_key(ar, live_id);
    err_t err;

    if (count < 1 || count > LIKE_COUNT_MAX || strcmp(user_id, TOTAL_FIELD) == 0)
        return ERR_BAD_REQUEST;
    err = ensure_seeded(a, ar, live_id);
    if (!err)
        err = cache_hincrby(a->cache, key, user_id, count, &out->count);
    if (!err)
        err = cache_hincrby(a->cache, key, TOTAL_FIELD, count, &out->total);
    /* A total equal to this like's count means the field was absent (or 0): the hash may have
     * been (re)created by these increments (expired after the seed check) and needs its TTL.
     * A seeded hash got its TTL from the seed; KeepCacheLikes renews those of on-air rooms. */
    if (!err && out->total == count)
        err = cache_expire(a->cache, key, LIKE_TTL_S * 1000LL, NULL);
    /* The second is taken after the increments: a flush that sees this second in the index
     * then also sees the new count. */
    if (!err)
        err = index_like(a, ar, live_id, user_id, (int64_t)time(NULL));
    metrics_add(METRICS_LIKES, err ? 0 : count);
    return err;
}
