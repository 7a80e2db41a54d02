/* Presence in the shared cache: who is in which room, their last heartbeat and each room's
 * online count. The database row of each user (live_room_user_entities) is written behind.
 *
 *   live:{<live_id>}:hb   sorted set: user_id -> last join/heartbeat (Unix ms); its size is
 *                         the room's online count, the anchor's entry its anchor_status
 *   live:u:<scope>:{<user_id>}  string: the one room the user is in (the "one row per user"
 *                         rule)
 *   live:rooms:<scope>    set of rooms that may have members (scanned by the timeout job)
 *   live:outage:<scope>   hash: node id -> last time (Unix ms) it saw a dependency fail
 *
 * <scope> is the deployment's (app_cache_scope), so two deployments sharing one Redis keep
 * apart their users, and neither times out the other's rooms.
 *
 * A room's keys share one hash slot, so a room's update is one atomic group. A user who joins
 * another room is taken out of the previous one by whoever swapped the user's room key (SET
 * GET), and a timeout is taken by whoever removes the member (ZREM answers 1 to one caller
 * only), so each leave and timeout happens once whatever the number of nodes.
 *
 * Joins, leaves and timeouts mark the user dirty on this node; every second the flush job
 * reads their current state from the cache and writes their rows in multi-row statements, so
 * the table lags the cache by about a second and heartbeats never write the database. */
#define LOG_MODULE "live"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "biz/live/live.h"
#include "biz/live/live_int.h"
#include "biz/live/live_store.h"
#include "cache/cache.h"
#include "core/clock.h"
#include "core/deadline.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/str.h"
#include "cron/cron.h"
#include "store/store.h"

enum {
    FLUSH_PERIOD_MS = 1000,
    EXPIRE_SCAN_MAX = 1000, /* timed-out members taken per room and pass */
    SLOW_PING_MS = 1000,
};

/* The node's write-behind queue and what it saw of outages. */
struct live_presence {
    pthread_mutex_t mu;
    char **dirty; /* heap strings, duplicates allowed */
    size_t n, cap;
    char **views; /* "live_id user_id" of each join since the flush */
    size_t n_views, cap_views;
    atomic_llong outage_ms;    /* last dependency failure seen here (or the start) */
    atomic_llong published_ms; /* the last outage_ms written to live:outage */
};

const char *live_hb_key(struct arena *ar, const char *live_id)
{
    return arena_printf(ar, "live:{%s}:hb", live_id);
}

/* The keys named by user ids, and the deployment-wide ones, carry the deployment's scope
 * (app_cache_scope); room keys are named by qnlive's own unique live ids. */
static const char *user_key(struct app *a, struct arena *ar, const char *user_id)
{
    return arena_printf(ar, "live:u:%s:{%s}", app_cache_scope(a), user_id);
}

static const char *rooms_key(struct app *a, struct arena *ar)
{
    return arena_printf(ar, "live:rooms:%s", app_cache_scope(a));
}

static const char *outage_key(struct app *a, struct arena *ar)
{
    return arena_printf(ar, "live:outage:%s", app_cache_scope(a));
}

void live_presence_outage(struct app *a)
{
    if (a->live->presence)
        atomic_store(&a->live->presence->outage_ms, clock_now_ms(a->clock));
}

/* Runs a batch; a cache that cannot be reached is remembered as an outage. */
static err_t run(struct app *a, struct cache_batch *b)
{
    err_t err = cache_batch_run(a->cache, b);
    if (err == ERR_UNAVAILABLE)
        live_presence_outage(a);
    return err;
}

static void push(char ***v, size_t *n, size_t *cap, char *item)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        *v = xrealloc(*v, *cap * sizeof(**v));
    }
    (*v)[(*n)++] = item;
}

static void mark_dirty(struct app *a, const char *user_id)
{
    struct live_presence *p = a->live->presence;
    char *item = xstrdup(user_id);
    pthread_mutex_lock(&p->mu);
    push(&p->dirty, &p->n, &p->cap, item);
    pthread_mutex_unlock(&p->mu);
}

void live_presence_count_view(struct app *a, const char *live_id, const char *user_id)
{
    struct live_presence *p = a->live->presence;
    char *item = xasprintf("%s %s", live_id, user_id);
    pthread_mutex_lock(&p->mu);
    push(&p->views, &p->n_views, &p->cap_views, item);
    pthread_mutex_unlock(&p->mu);
}

size_t live_member_cmd(struct cache_batch *b, struct arena *ar, const char *live_id,
                       const char *user_id)
{
    return cache_batch_zscore(b, live_hb_key(ar, live_id), user_id);
}

err_t live_presence_check(struct app *a, struct arena *ar, const char *live_id, const char *user_id,
                          struct live_views_gen *gen, bool *in_room)
{
    struct cache_batch *b = cache_batch_new(ar);
    size_t room = cache_batch_get(b, user_key(a, ar, user_id));
    cache_batch_group(b, false);
    size_t g = live_views_gen_cmd(a, b, ar, live_id);
    err_t err = run(a, b);
    const char *in = err ? NULL : cache_batch_str(b, room);
    *in_room = in && strcmp(in, live_id) == 0;
    if (!err)
        live_views_gen_take(b, g, gen);
    return err;
}

void live_presence_join_cmds(struct app *a, struct arena *ar, struct cache_batch *b,
                             const char *live_id, const char *user_id, struct live_presence_move *m)
{
    *m = (struct live_presence_move){.live_id = live_id, .user_id = user_id};
    cache_batch_group(b, false);
    m->_swap = cache_batch_getset(b, user_key(a, ar, user_id), live_id);
    cache_batch_group(b, false);
    cache_batch_zadd(b, live_hb_key(ar, live_id), clock_now_ms(a->clock), user_id, false);
    cache_batch_group(b, false);
    cache_batch_sadd(b, rooms_key(a, ar), live_id);
}

void live_presence_join_take(struct app *a, struct arena *ar, const struct cache_batch *b,
                             struct live_presence_move *m)
{
    const char *was = cache_batch_str(b, m->_swap);
    m->was_in = was && strcmp(was, m->live_id) == 0;
    m->prev = was && *was && !m->was_in ? arena_strdup(ar, was) : NULL;
    mark_dirty(a, m->user_id);
}

err_t live_presence_join_finish(struct app *a, struct arena *ar, const struct live_presence_move *m)
{
    if (!m->prev)
        return ERR_OK;
    /* the single presence moves: joining B leaves A */
    struct cache_batch *b = cache_batch_new(ar);
    cache_batch_zrem(b, live_hb_key(ar, m->prev), m->user_id);
    return run(a, b);
}

err_t live_presence_join_undo(struct app *a, struct arena *ar, const struct live_presence_move *m)
{
    if (m->was_in)
        return ERR_OK; /* a member already: nothing moved */
    struct cache_batch *b = cache_batch_new(ar);
    cache_batch_zrem(b, live_hb_key(ar, m->live_id), m->user_id);
    cache_batch_group(b, false);
    /* back to the previous room, unless the user has joined yet another one meanwhile */
    if (m->prev)
        cache_batch_set_if_eq(b, user_key(a, ar, m->user_id), m->live_id, m->prev);
    else
        cache_batch_del_if_eq(b, user_key(a, ar, m->user_id), m->live_id);
    return run(a, b);
}

err_t live_presence_join(struct app *a, struct arena *ar, const char *live_id, const char *user_id,
                         char **prev)
{
    struct live_presence_move m;
    struct cache_batch *b = cache_batch_new(ar);
    live_presence_join_cmds(a, ar, b, live_id, user_id, &m);
    err_t err = run(a, b);
    if (err)
        return err;
    live_presence_join_take(a, ar, b, &m);
    *prev = m.prev;
    return live_presence_join_finish(a, ar, &m);
}

err_t live_presence_leave(struct app *a, struct arena *ar, const char *live_id, const char *user_id,
                          bool *left)
{
    struct cache_batch *b = cache_batch_new(ar);
    size_t del = cache_batch_del_if_eq(b, user_key(a, ar, user_id), live_id);
    cache_batch_group(b, false);
    size_t rem = cache_batch_zrem(b, live_hb_key(ar, live_id), user_id);
    err_t err = run(a, b);
    *left = !err && (cache_batch_int(b, del, 0) == 1 || cache_batch_int(b, rem, 0) == 1);
    if (*left)
        mark_dirty(a, user_id);
    return err;
}

err_t live_presence_beat(struct app *a, struct arena *ar, const char *live_id, const char *user_id,
                         struct live_views_gen *gen, bool *in_room)
{
    struct cache_batch *b = cache_batch_new(ar);
    size_t room = cache_batch_get(b, user_key(a, ar, user_id));
    cache_batch_group(b, false);
    size_t touched =
        cache_batch_zadd(b, live_hb_key(ar, live_id), clock_now_ms(a->clock), user_id, true);
    size_t g = live_views_gen_cmd(a, b, ar, live_id);
    err_t err = run(a, b);
    if (err)
        return err;
    const char *in = cache_batch_str(b, room);
    *in_room = in && strcmp(in, live_id) == 0;
    live_views_gen_take(b, g, gen);
    if (*in_room || cache_batch_int(b, touched, 0) == 0)
        return ERR_OK;
    /* a member left behind by a move that raced with this heartbeat: the user is elsewhere */
    b = cache_batch_new(ar);
    cache_batch_zrem(b, live_hb_key(ar, live_id), user_id);
    return run(a, b);
}

err_t live_presence_room_of(struct app *a, struct arena *ar, const char *user_id, char **live_id)
{
    struct cache_batch *b = cache_batch_new(ar);
    size_t i = cache_batch_get(b, user_key(a, ar, user_id));
    err_t err = run(a, b);
    const char *in = err ? NULL : cache_batch_str(b, i);
    *live_id = in && *in ? arena_strdup(ar, in) : NULL;
    return err;
}

err_t live_presence_page(struct app *a, struct arena *ar, const char *live_id, int64_t offset,
                         int64_t limit, const char ***ids, size_t *n, int64_t *total)
{
    struct cache_batch *b = cache_batch_new(ar);
    const char *key = live_hb_key(ar, live_id);
    size_t card = cache_batch_zcard(b, key);
    size_t range = cache_batch_zrevrange(b, key, offset, offset + limit - 1);
    err_t err = run(a, b);
    *n = 0;
    if (err)
        return err;
    const struct cache_reply *r = cache_batch_reply(b, range);
    *total = cache_batch_int(b, card, 0);
    *ids = arena_zalloc(ar, (r->n + 1) * sizeof(**ids));
    for (size_t i = 0; r->type == CACHE_REPLY_ARRAY && i < r->n; i++)
        (*ids)[(*n)++] = r->elem[i].str;
    return ERR_OK;
}

/* The presence of every user marked dirty, as the cache holds it now. */
static err_t read_dirty(struct app *a, struct arena *ar, char **ids, size_t n,
                        struct presence_rec *recs)
{
    struct cache_batch *b = cache_batch_new(ar);
    for (size_t i = 0; i < n; i++) {
        cache_batch_group(b, false);
        cache_batch_get(b, user_key(a, ar, ids[i]));
    }
    err_t err = run(a, b);
    for (size_t i = 0; !err && i < n; i++) {
        const char *in = cache_batch_str(b, i);
        recs[i] = (struct presence_rec){.user_id = ids[i], .live_id = in ? in : "", .at = 0};
    }
    return err;
}

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Takes a queue: sorted, copied into the arena; counts[i] (may be NULL) tells how many times
 * out[i] was queued, duplicates being dropped. */
static char **take_queue(struct app *a, struct arena *ar, char ***q, size_t *qn, size_t *qcap,
                         size_t *n, int64_t **counts)
{
    struct live_presence *p = a->live->presence;
    pthread_mutex_lock(&p->mu);
    char **v = *q;
    size_t k = *qn;
    *q = NULL;
    *qn = *qcap = 0;
    pthread_mutex_unlock(&p->mu);
    char **out = arena_zalloc(ar, (k + 1) * sizeof(*out));
    int64_t *cnt = arena_zalloc(ar, (k + 1) * sizeof(*cnt));
    *n = 0;
    if (k)
        qsort(v, k, sizeof(*v), cmp_str);
    for (size_t i = 0; i < k; i++) {
        if (*n == 0 || strcmp(out[*n - 1], v[i]) != 0)
            out[(*n)++] = arena_strdup(ar, v[i]);
        cnt[*n - 1]++;
        free(v[i]);
    }
    free(v);
    if (counts)
        *counts = cnt;
    return out;
}

static void requeue(struct app *a, char **ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        mark_dirty(a, ids[i]);
}

/* Another node may move a user between this pass's read of the cache and its write, and that
 * node's own pass may reach the table first: this pass then wrote a stale row. The cache is read
 * again after the write and every user whose room changed meanwhile is queued, so the next pass
 * writes the state of then (a failed read queues them all). */
static void requeue_moved(struct app *a, struct arena *ar, char **ids, size_t n,
                          const struct presence_rec *written)
{
    struct presence_rec *seen = arena_zalloc(ar, (n + 1) * sizeof(*seen));
    if (read_dirty(a, ar, ids, n, seen)) {
        requeue(a, ids, n);
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (strcmp(seen[i].live_id, written[i].live_id) != 0)
            mark_dirty(a, ids[i]);
}

/* The viewing counters of this node's joins since the last pass, one multi-row upsert; a
 * failed write puts them back. */
static err_t flush_views(struct app *a, struct arena *ar, struct store_conn *c, int64_t now)
{
    struct live_presence *p = a->live->presence;
    int64_t *counts = NULL;
    size_t n = 0;
    char **pairs = take_queue(a, ar, &p->views, &p->n_views, &p->cap_views, &n, &counts);
    struct view_count *vc = arena_zalloc(ar, (n + 1) * sizeof(*vc));
    for (size_t i = 0; i < n; i++) {
        char *sp = strchr(pairs[i], ' ');
        *sp = '\0';
        vc[i] = (struct view_count){.live_id = pairs[i], .user_id = sp + 1, .count = counts[i]};
    }
    err_t err = n ? live_store_count_views(c, ar, vc, n, now) : ERR_OK;
    for (size_t i = 0; err && i < n; i++) {
        pairs[i][strlen(pairs[i])] = ' ';
        for (int64_t k = 0; k < counts[i]; k++)
            live_presence_count_view(a, vc[i].live_id, vc[i].user_id);
    }
    return err;
}

/* Writes this node's outage time to the shared hash once the cache answers again, so that a
 * timeout job on any node takes it into account. */
static void publish_outage(struct app *a, struct arena *ar)
{
    struct live_presence *p = a->live->presence;
    int64_t seen = atomic_load(&p->outage_ms);
    if (seen == atomic_load(&p->published_ms))
        return;
    struct cache_batch *b = cache_batch_new(ar);
    cache_batch_hset(b, outage_key(a, ar), arena_printf(ar, "%" PRId64, a->conf.node.node_id),
                     arena_printf(ar, "%" PRId64, seen));
    if (cache_batch_run(a->cache, b) == ERR_OK)
        atomic_store(&p->published_ms, seen);
}

err_t live_presence_flush(struct app *a)
{
    struct arena *ar = arena_new();
    struct live_presence *p = a->live->presence;
    struct store_conn *c = NULL;
    size_t n = 0;
    char **ids = take_queue(a, ar, &p->dirty, &p->n, &p->cap, &n, NULL);
    struct presence_rec *recs = arena_zalloc(ar, (n + 1) * sizeof(*recs));
    int64_t now = clock_now_ms(a->clock) / 1000;
    err_t err = n ? read_dirty(a, ar, ids, n, recs) : ERR_OK;
    for (size_t i = 0; i < n; i++)
        recs[i].at = now;
    pthread_mutex_lock(&p->mu);
    bool views = p->n_views > 0;
    pthread_mutex_unlock(&p->mu);
    if (!err && (n || views))
        err = store_acquire(a->store, false, &c);
    if (!err && n)
        err = presence_store_put_many(c, ar, recs, n, now);
    if (!err && views && flush_views(a, ar, c, now))
        live_presence_outage(a);
    store_release(c);
    if (err) {
        live_presence_outage(a);
        requeue(a, ids, n); /* nothing is lost: the next pass writes the state of then */
    } else if (n) {
        requeue_moved(a, ar, ids, n, recs);
    }
    /* every node watches the cache, so a cache outage is known even with no traffic */
    int64_t t0 = deadline_now_ms();
    if (cache_ping(a->cache) || deadline_now_ms() - t0 > SLOW_PING_MS)
        live_presence_outage(a);
    publish_outage(a, ar);
    arena_free(&ar);
    return err;
}

/* The latest outage any node reported (or this node saw), Unix ms. */
static int64_t last_outage(struct app *a, struct arena *ar)
{
    struct cache_batch *b = cache_batch_new(ar);
    size_t i = cache_batch_hgetall(b, outage_key(a, ar));
    int64_t latest = atomic_load(&a->live->presence->outage_ms), v;
    if (run(a, b))
        return INT64_MAX; /* cannot tell: evict nobody */
    const struct cache_reply *r = cache_batch_reply(b, i);
    for (size_t k = 1; r->type == CACHE_REPLY_ARRAY && k < r->n; k += 2)
        if (str_to_i64(r->elem[k].str, 0, INT64_MAX, &v) && v > latest)
            latest = v;
    return latest;
}

/* Takes out the members of one room found silent; the ZREM decides who does it. */
static size_t evict(struct app *a, struct arena *ar, const char *live_id,
                    const struct cache_reply *silent)
{
    struct cache_batch *b = cache_batch_new(ar);
    size_t n = 0;
    for (size_t i = 0; i < silent->n; i++)
        cache_batch_zrem(b, live_hb_key(ar, live_id), silent->elem[i].str);
    if (run(a, b))
        return 0;
    struct cache_batch *u = cache_batch_new(ar);
    for (size_t i = 0; i < silent->n; i++) {
        if (cache_batch_int(b, i, 0) != 1)
            continue; /* another pass or node took it */
        cache_batch_group(u, false);
        cache_batch_del_if_eq(u, user_key(a, ar, silent->elem[i].str), live_id);
        mark_dirty(a, silent->elem[i].str);
        n++;
    }
    if (cache_batch_len(u) && run(a, u))
        log_warn("room keys of %zu timed-out users not cleared in %s", n, live_id);
    /* an anchor that timed out has left its room, as if it had said so */
    for (size_t i = 0; i < silent->n; i++)
        if (cache_batch_int(b, i, 0) == 1)
            live_user_gone(a, live_id, silent->elem[i].str);
    return n;
}

/* A room with no member that can take no new one (stopped or gone) leaves the scan. */
static void prune(struct app *a, struct arena *ar, const char *live_id)
{
    struct live_room l;
    err_t err = live_find(a, ar, live_id, &l);
    if (err == ERR_NOT_FOUND || (!err && l.status == LIVE_STATUS_OFF)) {
        struct cache_batch *b = cache_batch_new(ar);
        cache_batch_srem(b, rooms_key(a, ar), live_id);
        if (run(a, b))
            log_warn("room %s stays in the presence scan", live_id);
    }
}

err_t live_presence_expire(struct app *a, size_t *evicted)
{
    struct arena *ar = arena_new();
    int64_t now = clock_now_ms(a->clock), cutoff = now - a->conf.live.user_timeout_s * 1000;
    struct cache_batch *b = cache_batch_new(ar);
    size_t members = cache_batch_smembers(b, rooms_key(a, ar));
    *evicted = 0;
    /* silence is counted from the end of the last outage: heartbeats that could not arrive
     * while a dependency was away must not turn into timeouts */
    int64_t t0 = deadline_now_ms();
    err_t err = app_ping(a);
    /* a dependency that answers only after a long wait was away just as much (timed on the
     * monotonic clock: the business clock may be moved meanwhile) */
    if (err || deadline_now_ms() - t0 > SLOW_PING_MS)
        live_presence_outage(a);
    if (!err)
        err = run(a, b);
    if (err || last_outage(a, ar) >= cutoff - 1) {
        arena_free(&ar);
        return err;
    }
    const struct cache_reply *rooms = cache_batch_reply(b, members);
    struct cache_batch *scan = cache_batch_new(ar);
    for (size_t i = 0; i < rooms->n; i++) {
        cache_batch_group(scan, false);
        cache_batch_zrange_upto(scan, live_hb_key(ar, rooms->elem[i].str), cutoff - 1,
                                EXPIRE_SCAN_MAX);
        cache_batch_zcard(scan, live_hb_key(ar, rooms->elem[i].str));
    }
    err = rooms->n ? run(a, scan) : ERR_OK;
    for (size_t i = 0; !err && i < rooms->n; i++) {
        const struct cache_reply *silent = cache_batch_reply(scan, 2 * i);
        size_t n = silent->n ? evict(a, ar, rooms->elem[i].str, silent) : 0;
        *evicted += n;
        if ((int64_t)n == cache_batch_int(scan, 2 * i + 1, -1) ||
            !cache_batch_int(scan, 2 * i + 1, -1))
            prune(a, ar, rooms->elem[i].str);
    }
    arena_free(&ar);
    return err;
}

static err_t flush_job(void *ud)
{
    struct live_mod *m = ud;
    return live_presence_flush(m->app);
}

void live_presence_close(struct live_mod *m)
{
    struct live_presence *p = m->presence;
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        free(p->dirty[i]);
    for (size_t i = 0; i < p->n_views; i++)
        free(p->views[i]);
    free(p->dirty);
    free(p->views);
    pthread_mutex_destroy(&p->mu);
    free(p);
    m->presence = NULL;
}

/* The in-process cache starts empty: it is refilled from the table, so a restart of a single
 * node keeps its audience (their silence counts from the restart). */
static void restore(struct app *a)
{
    struct arena *ar = arena_new();
    struct store_conn *c = NULL;
    struct presence_rec *recs = NULL;
    size_t n = 0;
    int64_t now = clock_now_ms(a->clock);
    err_t err = store_acquire(a->store, true, &c);
    if (!err)
        err = presence_store_online(c, ar, &recs, &n);
    store_release(c);
    struct cache_batch *b = cache_batch_new(ar);
    for (size_t i = 0; !err && i < n; i++) {
        cache_batch_group(b, false);
        cache_batch_set(b, user_key(a, ar, recs[i].user_id), recs[i].live_id,
                        strlen(recs[i].live_id), 0);
        cache_batch_group(b, false);
        cache_batch_zadd(b, live_hb_key(ar, recs[i].live_id), now, recs[i].user_id, false);
        cache_batch_group(b, false);
        cache_batch_sadd(b, rooms_key(a, ar), recs[i].live_id);
    }
    if (!err && n)
        err = cache_batch_run(a->cache, b);
    if (err)
        log_warn("presence not restored from the table: %s", err_name(err));
    arena_free(&ar);
}

void live_presence_init(struct live_mod *m)
{
    struct app *a = m->app;
    struct live_presence *p = xcalloc(1, sizeof(*p));
    struct cron_job job = {.name = "live_presence_flush",
                           .period_ms = FLUSH_PERIOD_MS,
                           .fn = flush_job,
                           .ud = m,
                           .run_at_stop = true};
    pthread_mutex_init(&p->mu, NULL);
    /* a node that just started cannot know who sent heartbeats while it was down */
    atomic_init(&p->outage_ms, clock_now_ms(a->clock));
    atomic_init(&p->published_ms, 0);
    m->presence = p;
    if (strcmp(cache_backend(a->cache), "memory") == 0)
        restore(a);
    if (cron_add(a->cron, &job))
        log_error("cannot schedule the %s job", job.name);
}
