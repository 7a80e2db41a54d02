/* The like jobs (spec 01 §7.3 #4 #5): FlushCacheLikes copies the cache counters of recently
 * liked rooms to stats_single_live; KeepCacheLikes refreshes the TTL of on-air rooms' hashes. */
#define LOG_MODULE "like"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "biz/like/like.h"
#include "biz/like/like_int.h"
#include "biz/like/like_store.h"
#include "biz/live/live.h"
#include "cache/cache.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/str.h"
#include "cron/cron.h"
#include "store/store.h"

enum {
    FLUSH_BACK_S = 4, /* a pass scans seconds [last - 4, last + 1]... */
    FLUSH_AHEAD_S = 1,
    FLUSH_STEP_S = 5, /* ...and advances by at most 5 s, so consecutive windows overlap */
    FLUSH_START_S = 300,
};

/* A growable set of arena strings. */
struct strset {
    char **v;
    size_t n;
    size_t cap;
};

static void strset_add_all(struct arena *ar, struct strset *s, char **items, size_t n)
{
    if (s->n + n > s->cap) {
        size_t cap = (s->n + n) * 2;
        char **v = arena_alloc(ar, cap * sizeof(*v));
        if (s->n)
            memcpy(v, s->v, s->n * sizeof(*v));
        s->v = v;
        s->cap = cap;
    }
    memcpy(s->v + s->n, items, n * sizeof(*items));
    s->n += n;
}

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Sorts and drops duplicates. */
static void strset_unique(struct strset *s)
{
    size_t k = 0;
    if (s->n == 0)
        return;
    qsort(s->v, s->n, sizeof(*s->v), cmp_str);
    for (size_t i = 1; i < s->n; i++) {
        if (strcmp(s->v[i], s->v[k]) != 0)
            s->v[++k] = s->v[i];
    }
    s->n = k + 1;
}

/* The union of the members of `fmt_key`-named sets over seconds [from, to]. */
static err_t union_over(struct app *a, struct arena *ar, const char *prefix, int64_t from,
                        int64_t to, struct strset *out)
{
    err_t err = ERR_OK;
    for (int64_t t = from; t <= to && !err; t++) {
        char **m = NULL;
        size_t n = 0;
        err = cache_smembers(a->cache, arena_printf(ar, "%s%" PRId64, prefix, t), ar, &m, &n);
        if (!err && n)
            strset_add_all(ar, out, m, n);
    }
    strset_unique(out);
    return err;
}

/* Writes the cumulative counts of the given users of one room, in one transaction. */
static err_t flush_room(struct app *a, struct store_conn *c, struct arena *ar, const char *live_id,
                        const struct strset *users, int64_t now)
{
    struct cache_val *vals = arena_zalloc(ar, (users->n + 1) * sizeof(*vals));
    const char *key = arena_printf(ar, "like:%s", live_id);
    err_t err = cache_hmget(a->cache, key, (const char *const *)users->v, users->n, ar, vals);
    if (err)
        return err;
    err = store_begin(c);
    for (size_t i = 0; i < users->n && !err; i++) {
        int64_t v = 0;
        if (!vals[i].found || !str_to_i64(vals[i].data, 1, INT64_MAX, &v))
            continue;
        err = like_store_put(c, ar, live_id, users->v[i], v, now);
    }
    return store_tx_end(c, err);
}

/* One window [last - 4, last + 1]. A failing room is logged and the pass fails, so the
 * watermark does not move and the next tick retries; other rooms are still written. */
static err_t flush_window(struct app *a, struct store_conn *c, struct arena *ar, int64_t last,
                          int64_t now)
{
    struct strset rooms = {0};
    err_t first =
        union_over(a, ar, "like_rooms:", last - FLUSH_BACK_S, last + FLUSH_AHEAD_S, &rooms);
    if (first)
        return first;
    for (size_t i = 0; i < rooms.n; i++) {
        struct strset users = {0};
        const char *prefix = arena_printf(ar, "like_users:%s:", rooms.v[i]);
        err_t err = union_over(a, ar, prefix, last - FLUSH_BACK_S, last + FLUSH_AHEAD_S, &users);
        if (!err && users.n)
            err = flush_room(a, c, ar, rooms.v[i], &users, now);
        if (err) {
            log_warn("like flush of live_id=%s failed err=%s", rooms.v[i], err_name(err));
            first = err;
        }
    }
    return first;
}

err_t like_flush(struct app *a)
{
    struct store_conn *c = NULL;
    struct arena *ar = arena_new();
    int64_t now = (int64_t)time(NULL);
    int64_t last = 0;
    err_t err = store_acquire(a->store, false, &c);

    if (!err)
        err = like_store_watermark(c, ar, now - FLUSH_START_S, &last);
    /* At least one pass even when caught up, so likes of the current second are written
     * (this is also the final flush of a graceful shutdown). */
    do {
        arena_reset(ar);
        if (!err)
            err = flush_window(a, c, ar, last, now);
        if (!err) {
            last = last + FLUSH_STEP_S >= now ? now : last + FLUSH_STEP_S;
            err = like_store_set_watermark(c, last);
        }
    } while (!err && last < now);
    store_release(c);
    arena_free(&ar);
    return err;
}

static err_t flush_job(void *ud)
{
    return like_flush(ud);
}

/* KeepCacheLikes: on-air rooms keep their counters in the cache. */
static err_t keep_job(void *ud)
{
    struct app *a = ud;
    struct arena *ar = arena_new();
    char **ids = NULL;
    size_t n = 0;
    err_t err = live_list_online_ids(a, ar, &ids, &n);

    for (size_t i = 0; i < n && !err; i++)
        err =
            cache_expire(a->cache, arena_printf(ar, "like:%s", ids[i]), LIKE_TTL_S * 1000LL, NULL);
    arena_free(&ar);
    return err;
}

void like_jobs_register(struct app *a)
{
    struct cron_job flush = {
        .name = "FlushCacheLikes",
        .period_ms = 1000,
        .fn = flush_job,
        .ud = a,
        .singleton = true,
        .run_at_stop = true,
    };
    struct cron_job keep = {
        .name = "KeepCacheLikes",
        .period_ms = 3600 * 1000,
        .fn = keep_job,
        .ud = a,
        .singleton = true,
    };
    if (cron_add(a->cron, &flush) || cron_add(a->cron, &keep))
        log_error("cannot schedule the like jobs");
}
