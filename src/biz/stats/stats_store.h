#ifndef QNLIVE_BIZ_STATS_STATS_STORE_H
#define QNLIVE_BIZ_STATS_STATS_STORE_H

/* SQL of the stats module. */

#include <stdint.h>

#include "biz/stats/stats.h"
#include "core/err.h"

struct arena;
struct store_conn;

/* The atomic increment upsert of stats_add. */
err_t stats_store_add(struct store_conn *c, struct arena *ar, const struct stats_item *it,
                      int64_t now) MUST_USE;

/* Fills page_view / unique_visitor of out[type - 1] for every type present in the room. */
err_t stats_store_room(struct store_conn *c, struct arena *ar, const char *live_id,
                       struct stats_summary out[STATS_TYPE_COUNT]) MUST_USE;

/* Adds each room's SUM(count) per type into out[i][type - 1], i the room's index in live_ids:
 * one grouped query for the n rooms (n >= 1). */
err_t stats_store_rooms_page_views(struct store_conn *c, struct arena *ar,
                                   const char *const *live_ids, size_t n,
                                   int64_t (*out)[STATS_TYPE_COUNT]) MUST_USE;

/* Rooms and users not soft-deleted, for the overview report. */
err_t stats_store_totals(struct store_conn *c, struct arena *ar, int64_t *lives,
                         int64_t *users) MUST_USE;

#endif
