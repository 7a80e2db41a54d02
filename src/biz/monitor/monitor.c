#define LOG_MODULE "monitor"
#include "biz/monitor/monitor.h"

#include "app.h"
#include "biz/callback/callback.h"
#include "biz/monitor/monitor_store.h"
#include "cache/cache.h"
#include "core/log.h"
#include "core/mem.h"
#include "metrics/metrics.h"
#include "store/store.h"

static const char *const room_status_names[3] = {"prepare", "on", "off"};

static void put_counts(struct metrics_gauges *g, const struct app *a,
                       const struct monitor_counts *n)
{
    for (size_t i = 0; i < ARRAY_LEN(room_status_names); i++)
        metrics_gauge(g, "qnlive_rooms", "Live rooms by status.", "status", room_status_names[i],
                      (double)n->rooms[i]);
    metrics_gauge(g, "qnlive_online_users", "Users present in a room (anchors included).", NULL,
                  NULL, (double)n->online_users);
    metrics_gauge(g, "qnlive_pk_sessions", "Cross-room PK sessions agreed or running.", NULL, NULL,
                  (double)n->pk_sessions);
    metrics_gauge(g, "qnlive_mic_seats", "Occupied co-hosting mic seats.", NULL, NULL,
                  (double)n->mic_seats);
    /* without IM every user legitimately has no IM account: nothing is pending */
    metrics_gauge(g, "qnlive_im_registration_pending", "Users waiting for their IM account.", NULL,
                  NULL, a->conf.im.enabled ? (double)n->im_unregistered : 0);
}

static void put_pools(struct metrics_gauges *g, struct store *s)
{
    struct store_pool_usage u[2];
    static const char *const pool_names[2] = {"rw", "ro"};

    for (int i = 0; i < 2; i++)
        store_pool_usage(s, i == 1, &u[i]);
    for (int i = 0; i < 2; i++)
        if (u[i].exists)
            metrics_gauge(g, "qnlive_store_pool_open_connections",
                          "Database connections open (idle + in use), by pool.", "pool",
                          pool_names[i], (double)u[i].open);
    for (int i = 0; i < 2; i++)
        if (u[i].exists)
            metrics_gauge(g, "qnlive_store_pool_in_use_connections",
                          "Database connections lent to a request or job, by pool.", "pool",
                          pool_names[i], (double)(u[i].open - u[i].idle));
    for (int i = 0; i < 2; i++)
        if (u[i].exists)
            metrics_gauge(g, "qnlive_store_pool_max_connections",
                          "Configured connection cap (0: unlimited), by pool.", "pool",
                          pool_names[i], (double)u[i].max_open);
}

/* The near cache of a single Redis node, when configured. */
static void put_near_cache(struct metrics_gauges *g, const struct cache *c)
{
    struct cache_near_stats st;
    cache_near_stats(c, &st);
    if (!st.enabled)
        return;
    metrics_gauge(g, "qnlive_cache_near_active", "1 while the near cache receives invalidations.",
                  NULL, NULL, st.active);
    metrics_gauge(g, "qnlive_cache_near_hits", "Cache batches answered from the near cache.", NULL,
                  NULL, (double)st.hits);
    metrics_gauge(g, "qnlive_cache_near_misses",
                  "Batches of cacheable reads that had to go to Redis.", NULL, NULL,
                  (double)st.misses);
    metrics_gauge(g, "qnlive_cache_near_entries", "Keys held in the near cache.", NULL, NULL,
                  (double)st.entries);
}

/* The business-callback outbox. Without a receiver nothing is queued: zeros, no query. */
static err_t put_callback_backlog(struct metrics_gauges *g, struct app *a)
{
    struct callback_backlog b = {0};
    err_t err = ERR_OK;
    if (a->conf.callback.addr && a->conf.callback.addr[0])
        err = callback_backlog(a, &b);
    if (err)
        return err;
    metrics_gauge(g, "qnlive_callback_backlog", "Business callbacks not yet delivered.", NULL, NULL,
                  (double)b.pending);
    metrics_gauge(g, "qnlive_callback_oldest_age_seconds",
                  "Age of the oldest undelivered business callback.", NULL, NULL,
                  (double)b.oldest_age_s);
    metrics_gauge(g, "qnlive_callback_dead", "Business callbacks given up (dead letters).", NULL,
                  NULL, (double)b.dead);
    return ERR_OK;
}

/* Runs on the exporter's thread at every scrape: a few indexed COUNTs and two pings. */
static void collect(void *ud, struct metrics_gauges *g)
{
    struct app *a = ud;
    struct monitor_counts n = {0};
    struct store_conn *c = NULL;
    struct arena *ar = arena_new();
    err_t err = store_acquire(a->store, true, &c);
    if (!err)
        err = monitor_store_counts(c, ar, &n);
    store_release(c);
    arena_free(&ar);
    if (!err) {
        put_counts(g, a, &n);
        err = put_callback_backlog(g, a);
    }
    if (err)
        log_warn("business gauges not collected: %s", err_name(err));
    metrics_gauge(g, "qnlive_dependency_up", "1 when the dependency answered this scrape.",
                  "dependency", "store", err ? 0 : 1);
    metrics_gauge(g, "qnlive_dependency_up", "1 when the dependency answered this scrape.",
                  "dependency", "cache", cache_ping(a->cache) ? 0 : 1);
    put_pools(g, a->store);
    put_near_cache(g, a->cache);
}

static void monitor_close(void *self)
{
    (void)self;
    metrics_set_collector(NULL, NULL);
}

void monitor_module_register(struct app *a)
{
    metrics_set_collector(collect, a);
    app_on_close(a, monitor_close, NULL);
}
