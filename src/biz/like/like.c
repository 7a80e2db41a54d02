/* Like counters in the cache and their flush to stats_single_live. */
#define LOG_MODULE "like"

#include "biz/like/like.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "biz/like/like_int.h"
#include "biz/like/like_store.h"
#include "biz/live/live.h"
#include "cache/cache.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/noblock.h"
#include "core/str.h"
#include "cron/cron.h"
#include "store/store.h"
#include "metrics/metrics.h"

enum {
    SEED_LOCK_TTL_MS = 10000,
    SEED_WAIT_STEPS = 250, /* x 20 ms: how long a like waits for another request's re-seed */
};

static const char TOTAL_FIELD[] = "_";

static const char *like_key(struct arena *ar, const char *live_id)
{
    return arena_printf(ar, "like:{%s}", live_id);
}

/* Present while the room's hash holds the stored counts; the two keys expire together. */
static const char *seeded_key(struct arena *ar, const char *live_id)
{
    return arena_printf(ar, "like:{%s}:seeded", live_id);
}

/* Adds the stored per-user counts and their sum to the room's hash, then marks it seeded.
 * Additive, so likes that raced ahead of the seed are kept. */
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
    if (err)
        return err;
    struct cache_batch *b = cache_batch_new(ar);
    cache_batch_group(b, true);
    for (size_t i = 0; i < n; i++) {
        if (!rows[i].user_id || strcmp(rows[i].user_id, TOTAL_FIELD) == 0 || rows[i].count <= 0)
            continue;
        sum += rows[i].count;
        cache_batch_hincrby(b, key, rows[i].user_id, rows[i].count);
    }
    cache_batch_hincrby(b, key, TOTAL_FIELD, sum);
    cache_batch_pexpire(b, key, LIKE_TTL_S * 1000LL);
    cache_batch_set(b, seeded_key(ar, live_id), "1", 1, LIKE_TTL_S * 1000LL);
    err = cache_batch_run(a->cache, b);
    if (!err && n > 0)
        log_info("re-seeded like counters of live_id=%s users=%zu total=%" PRId64, live_id, n, sum);
    return err;
}

static err_t is_seeded(struct app *a, struct arena *ar, const char *live_id, bool *found)
{
    return cache_exists(a->cache, seeded_key(ar, live_id), found);
}

/* Seeds the room's hash from the database under a cache lock, so that concurrent likes seed it
 * once; the others wait for it. */
static err_t ensure_seeded(struct like_mod *m, struct arena *ar, const char *live_id)
{
    struct app *a = m->app;
    const char *lock = arena_printf(ar, "like_seed:{%s}", live_id);
    const char *owner = arena_printf(ar, "%s-%" PRIuFAST64, cron_owner(a->cron),
                                     atomic_fetch_add(&m->seed_owner_seq, 1));
    bool found = false;
    bool got = false;
    err_t err = ERR_OK;

    for (int i = 0; !err && !found && !got && i < SEED_WAIT_STEPS; i++) {
        err = cache_lock_acquire(a->cache, lock, owner, SEED_LOCK_TTL_MS, &got);
        if (!err && !got)
            err = noblock_check(); /* another caller seeds: its store reads take a while */
        if (!err && !got) {
            nanosleep(&(struct timespec){.tv_nsec = 20 * 1000000L}, NULL);
            err = is_seeded(a, ar, live_id, &found);
        }
    }
    if (err || found)
        return err;
    if (!got)
        return ERR_UNAVAILABLE;
    err = is_seeded(a, ar, live_id, &found); /* seeded while we waited for the lock? */
    if (!err && !found)
        err = seed_from_store(a, ar, live_id);
    if (cache_lock_release(a->cache, lock, owner))
        log_warn("like seed lock of live_id=%s not released; it expires", live_id);
    return err;
}

/* The user's and the room's counts as the hash holds them now. */
static err_t read_counts(struct app *a, struct arena *ar, const char *live_id, const char *user_id,
                         struct like_result *out)
{
    const char *fields[] = {user_id, TOTAL_FIELD};
    struct cache_val v[2];
    int64_t n;
    err_t err = cache_hmget(a->cache, like_key(ar, live_id), fields, 2, ar, v);
    out->count = !err && v[0].found && str_to_i64(v[0].data, 0, INT64_MAX, &n) ? n : out->count;
    out->total = !err && v[1].found && str_to_i64(v[1].data, 0, INT64_MAX, &n) ? n : out->total;
    return err;
}

/* One round trip to the cache: the increments, the TTLs and whether the hash holds the stored
 * counts, as one atomic group; then the group commit (like_commit.c) before the answer. */
/* The increments of one like, added to b's current group; their reply indexes. */
struct like_cmds {
    size_t was_seeded, mine, total;
};

static void add_like_cmds(struct cache_batch *b, struct arena *ar, const char *live_id,
                          const char *user_id, int64_t count, struct like_cmds *k)
{
    const char *key = like_key(ar, live_id), *seeded = seeded_key(ar, live_id);
    k->was_seeded = cache_batch_get(b, seeded);
    k->mine = cache_batch_hincrby(b, key, user_id, count);
    k->total = cache_batch_hincrby(b, key, TOTAL_FIELD, count);
    cache_batch_pexpire(b, key, LIKE_TTL_S * 1000LL);
    cache_batch_pexpire(b, seeded, LIKE_TTL_S * 1000LL);
}

static bool counted(const struct cache_batch *b, const struct like_cmds *k)
{
    return cache_batch_reply(b, k->mine)->type == CACHE_REPLY_INT &&
           cache_batch_reply(b, k->total)->type == CACHE_REPLY_INT;
}

/* Takes back the increments of a like that is not acknowledged (its room turned out to be gone,
 * or it could not be stored): the client's retry counts it again, so it must not stay. */
static void uncount(struct like_mod *m, struct arena *ar, const char *live_id, const char *user_id,
                    int64_t count)
{
    struct cache_batch *b = cache_batch_new(ar);
    cache_batch_group(b, true);
    cache_batch_hincrby(b, like_key(ar, live_id), user_id, -count);
    cache_batch_hincrby(b, like_key(ar, live_id), TOTAL_FIELD, -count);
    if (cache_batch_run(m->app->cache, b))
        log_warn("like counters of room %s not taken back", live_id);
}

/* The end of a like once its commit is known: a like not stored is taken back. */
static err_t settle(struct like_mod *m, struct arena *ar, const char *live_id, const char *user_id,
                    int64_t count, err_t err)
{
    if (err)
        uncount(m, ar, live_id, user_id, count);
    metrics_add(METRICS_LIKES, err ? 0 : count);
    return err;
}

/* On the committer's thread once the commit ended. The like's own bookkeeping is done here,
 * so that it happens even when the request's deadline has answered meanwhile; a scratch arena,
 * as the request's thread may still be using the request's. Then the caller is told. */
static void committed(void *ud)
{
    struct like_later *later = ud;
    struct arena *ar = arena_new();
    later->_err = settle(later->_m, ar, later->_live_id, later->_user_id, later->_count,
                         like_commit_result(later->_w));
    arena_free(&ar);
    later->on_done(later->ud);
}

/* Queues the like's commit without waiting for it: `later` says it is pending. */
static err_t commit_later(struct like_mod *m, struct arena *ar, const char *live_id,
                          const char *user_id, int64_t count, const struct like_result *out,
                          struct like_later *later)
{
    later->_m = m;
    later->_live_id = live_id;
    later->_user_id = user_id;
    later->_count = count;
    err_t err =
        like_commit_submit(m, ar, live_id, user_id, out->count, committed, later, &later->_w);
    later->pending = !err;
    return err;
}

/* After the increments ran: re-seeds a hash that lost its stored counts (cache restart,
 * eviction) and re-reads them, then stores the like (group commit) before it is answered:
 * waiting here, or, with `later`, once the commit calls back. */
static err_t complete(struct like_mod *m, struct arena *ar, const char *live_id,
                      const char *user_id, int64_t count, const struct cache_batch *b,
                      const struct like_cmds *k, struct like_result *out, struct like_later *later)
{
    err_t err = ERR_OK;
    out->count = cache_batch_int(b, k->mine, 0);
    out->total = cache_batch_int(b, k->total, 0);
    if (!cache_batch_str(b, k->was_seeded)) {
        err = ensure_seeded(m, ar, live_id);
        if (!err)
            err = read_counts(m->app, ar, live_id, user_id, out);
    }
    if (!err && later)
        err = commit_later(m, ar, live_id, user_id, count, out, later);
    else if (!err)
        err = like_commit_wait(m, live_id, user_id, out->count);
    if (!err && later)
        return ERR_OK;
    return settle(m, ar, live_id, user_id, count, err);
}

err_t like_later_end(const struct like_later *later)
{
    return later->_err;
}

static bool valid(const char *user_id, int64_t count)
{
    return count >= 1 && count <= LIKE_COUNT_MAX && strcmp(user_id, TOTAL_FIELD) != 0;
}

static err_t add(struct like_mod *m, struct arena *ar, const char *live_id, const char *user_id,
                 int64_t count, struct like_result *out, struct like_later *later)
{
    struct like_cmds k;
    if (!valid(user_id, count))
        return ERR_BAD_REQUEST;
    struct cache_batch *b = cache_batch_new(ar);
    cache_batch_group(b, true);
    add_like_cmds(b, ar, live_id, user_id, count, &k);
    err_t err = cache_batch_run(m->app->cache, b);
    if (err)
        return err;
    if (!counted(b, &k))
        return ERR_INTERNAL;
    return complete(m, ar, live_id, user_id, count, b, &k, out, later);
}

err_t like_add(struct like_mod *m, struct arena *ar, const char *live_id, const char *user_id,
               int64_t count, struct like_result *out)
{
    return add(m, ar, live_id, user_id, count, out, NULL);
}

/* The checks first, then the like: two round trips. */
static err_t like_checked_first(struct like_mod *m, struct arena *ar, const char *live_id,
                                const char *user_id, int64_t count, struct live_room *room,
                                struct like_result *out, enum like_refusal *why,
                                struct like_later *later)
{
    bool in_room = false;
    err_t err = live_find_for(m->app, ar, live_id, user_id, room, &in_room);
    *why = err == ERR_NOT_FOUND                            ? LIKE_NO_ROOM
           : !err && strcmp(room->anchor_id, user_id) == 0 ? LIKE_SELF
           : !err && !in_room                              ? LIKE_NOT_IN_ROOM
                                                           : LIKE_TAKEN;
    if (err == ERR_NOT_FOUND || *why != LIKE_TAKEN)
        return ERR_OK;
    return err ? err : add(m, ar, live_id, user_id, count, out, later);
}

/* The room's generation and, guarded by the membership test, the increments: one round trip.
 * The anchor never changes, so this node's last copy of the room tells a self-like apart
 * before anything is counted; a room gone meanwhile is seen under the generation read. */
static err_t in_room(struct like_mod *m, struct arena *ar, const char *live_id, const char *user_id,
                     int64_t count, struct live_room *room, struct like_result *out,
                     enum like_refusal *why, struct like_later *later)
{
    struct like_cmds k;
    if (!valid(user_id, count))
        return ERR_BAD_REQUEST;
    if (!live_room_peek(m->app, ar, live_id, room) || strcmp(room->anchor_id, user_id) == 0)
        return like_checked_first(m, ar, live_id, user_id, count, room, out, why, later);
    struct cache_batch *b = cache_batch_new(ar);
    size_t gen = live_room_gen_cmd(m->app, b, ar, live_id);
    cache_batch_group_guarded(b);
    live_member_cmd(b, ar, live_id, user_id);
    add_like_cmds(b, ar, live_id, user_id, count, &k);
    err_t err = cache_batch_run(m->app->cache, b);
    if (!err)
        err = live_room_at(m->app, ar, live_id, b, gen, room);
    *why = err == ERR_NOT_FOUND ? LIKE_NO_ROOM : !counted(b, &k) ? LIKE_NOT_IN_ROOM : LIKE_TAKEN;
    if (err && counted(b, &k))
        uncount(m, ar, live_id, user_id, count);
    if (err == ERR_NOT_FOUND || (!err && *why != LIKE_TAKEN))
        return ERR_OK;
    return err ? err : complete(m, ar, live_id, user_id, count, b, &k, out, later);
}

err_t like_in_room(struct like_mod *m, struct arena *ar, const char *live_id, const char *user_id,
                   int64_t count, struct live_room *room, struct like_result *out,
                   enum like_refusal *why)
{
    return in_room(m, ar, live_id, user_id, count, room, out, why, NULL);
}

err_t like_in_room_later(struct like_mod *m, struct arena *ar, const char *live_id,
                         const char *user_id, int64_t count, struct live_room *room,
                         struct like_result *out, enum like_refusal *why, struct like_later *later)
{
    later->pending = false;
    return in_room(m, ar, live_id, user_id, count, room, out, why, later);
}
