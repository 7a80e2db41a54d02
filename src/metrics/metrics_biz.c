/* Business metrics: label-free event counters incremented where the events happen, and the
 * gauges an application collector computes at scrape time. */
#define LOG_MODULE "metrics"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "core/mem.h"
#include "metrics/metrics.h"
#include "metrics/metrics_int.h"

static const struct {
    const char *name;
    const char *help;
} event_info[METRICS_EVENT_COUNT] = {
    [METRICS_ROOM_JOINS] = {"qnlive_room_joins_total", "Audience joins of live rooms."},
    [METRICS_HEARTBEATS] = {"qnlive_heartbeats_total", "Room and audience heartbeats."},
    [METRICS_LIKES] = {"qnlive_likes_total", "Likes given."},
    [METRICS_GIFTS] = {"qnlive_gifts_total", "Gifts sent and paid."},
    [METRICS_GIFT_AMOUNT] = {"qnlive_gift_amount_total", "Sum of the amounts of paid gifts."},
    [METRICS_STORE_ERRORS] = {"qnlive_store_errors_total",
                              "Database statements that failed (server unreachable or error)."},
};

static _Atomic uint64_t event_counts[METRICS_EVENT_COUNT];

/* The collector and its argument; collector_mu also serialises the renders that call it. */
static pthread_mutex_t collector_mu = PTHREAD_MUTEX_INITIALIZER;
static metrics_collect_fn *collector;
static void *collector_ud;

struct metrics_gauges {
    struct mbuf *b;
    const char *last_name; /* the family whose header was written last */
};

void metrics_add(enum metrics_event ev, int64_t n)
{
    if ((unsigned)ev < METRICS_EVENT_COUNT && n > 0 && metrics_enabled())
        atomic_fetch_add_explicit(&event_counts[ev], (uint64_t)n, memory_order_relaxed);
}

void metrics_add_gift(int64_t amount)
{
    if (amount < 0)
        return;
    metrics_add(METRICS_GIFTS, 1);
    metrics_add(METRICS_GIFT_AMOUNT, amount);
}

void metrics_set_collector(metrics_collect_fn *fn, void *ud)
{
    pthread_mutex_lock(&collector_mu);
    collector = fn;
    collector_ud = ud;
    pthread_mutex_unlock(&collector_mu);
}

void metrics_gauge(struct metrics_gauges *g, const char *name, const char *help, const char *label,
                   const char *label_value, double value)
{
    if (!g->last_name || strcmp(g->last_name, name) != 0)
        mbuf_put_header(g->b, name, help, "gauge");
    g->last_name = name;
    mbuf_puts(g->b, name);
    if (label) {
        mbuf_printf(g->b, "{%s=\"", label);
        mbuf_put_escaped(g->b, label_value ? label_value : "", true);
        mbuf_putc(g->b, '"');
        mbuf_putc(g->b, '}');
    }
    mbuf_printf(g->b, " %.15g\n", value);
}

void metrics_render_biz(struct mbuf *b)
{
    for (size_t i = 0; i < METRICS_EVENT_COUNT; i++) {
        mbuf_put_header(b, event_info[i].name, event_info[i].help, "counter");
        mbuf_printf(b, "%s %" PRIu64 "\n", event_info[i].name,
                    atomic_load_explicit(&event_counts[i], memory_order_relaxed));
    }
    pthread_mutex_lock(&collector_mu);
    if (collector) {
        struct metrics_gauges g = {.b = b};
        collector(collector_ud, &g);
    }
    pthread_mutex_unlock(&collector_mu);
}

void metrics_reset_biz(void)
{
    for (size_t i = 0; i < METRICS_EVENT_COUNT; i++)
        atomic_store(&event_counts[i], 0);
}
