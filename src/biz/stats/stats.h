#ifndef QNLIVE_BIZ_STATS_STATS_H
#define QNLIVE_BIZ_STATS_STATS_H

/* Per-room statistics: stats_single_live rows keyed by (type, live_id, user_id,
 * biz_id), incremented atomically, and the per-room summary of S2. */

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct app;
struct arena;
struct store_conn;

/* stats_single_live.type. */
enum stats_type {
    STATS_LIVE = 1, /* a join, written by the live module */
    STATS_ITEM = 2,
    STATS_COMMENT = 3,
    STATS_RELAY = 4,
    STATS_MIC = 5,
    STATS_LIKE = 6, /* cumulative per-user likes, written by the like flush */
    STATS_GIFT = 7, /* gift amounts, biz_id = anchor id, written by the gift module */
    STATS_TYPE_COUNT = 7,
};

enum {
    STATS_ID_MAX = 64, /* live_id, user_id */
    STATS_BIZ_ID_MAX = 255,
    STATS_COUNT_MAX = 1000000, /* per client item */
    STATS_ITEMS_MAX = 100,     /* per S1 request */
};

/* One increment. Strings are borrowed. */
struct stats_item {
    const char *live_id;
    const char *user_id;
    const char *biz_id; /* "" for every type but gifts */
    int type;
    int64_t count;
};

/* One line of the S2 summary. */
struct stats_summary {
    int type;
    const char *type_description; /* static */
    int64_t page_view;            /* SUM(count) */
    int64_t unique_visitor;       /* COUNT(DISTINCT user_id) */
};

/* The increment rule, atomic (one upsert): a new row gets `count` as given; an
 * existing row grows by count when count > 0 and is left alone otherwise. Runs on the caller's
 * connection c, so it joins the caller's transaction (e.g. a gift). */
err_t stats_add(struct store_conn *c, struct arena *ar, const struct stats_item *it,
                int64_t now) MUST_USE;

/* stats_add on a connection of its own. ERR_UNAVAILABLE when the database is unreachable. */
err_t stats_add_one(struct app *a, const struct stats_item *it) MUST_USE;

/* The seven summary lines of a room, types 1..7 in order (zeros for types without rows). */
err_t stats_room(struct app *a, struct arena *ar, const char *live_id,
                 struct stats_summary out[STATS_TYPE_COUNT]) MUST_USE;

/* SUM(count) of every type for each of n rooms: out[i][type - 1] for live_ids[i] (zeros for
 * types without rows), in one query. */
err_t stats_rooms_page_views(struct app *a, struct arena *ar, const char *const *live_ids, size_t n,
                             int64_t (*out)[STATS_TYPE_COUNT]) MUST_USE;

/* The English name of a type ("Live", "Item", ...), "" outside 1..7. */
const char *stats_type_name(int type);

/* Registers S1, S2 and, when telemetry.enable, the daily ReportOnlineMessage job. */
void stats_module_register(struct app *a);

#endif
