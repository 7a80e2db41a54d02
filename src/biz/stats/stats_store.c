/* SQL of the stats module. */
#define LOG_MODULE "stats"

#include "biz/stats/stats_store.h"

#include <string.h>

#include "core/mem.h"
#include "store/store.h"

err_t stats_store_add(struct store_conn *c, struct arena *ar, const struct stats_item *it,
                      int64_t now)
{
    const char *sql = store_sql_upsert(
        c, ar, "stats_single_live", "live_id, biz_id, user_id, type, count, updated_at",
        "type, live_id, user_id, biz_id",
        /* the INT column saturates instead of failing or wrapping (gift amounts add up) */
        "count = CASE WHEN NEW(count) <= 0 THEN count "
        "WHEN count + NEW(count) > 2147483647 THEN 2147483647 ELSE count + NEW(count) END, "
        "updated_at = CASE WHEN NEW(count) > 0 THEN NEW(updated_at) ELSE updated_at END");
    return store_exec(c, sql,
                      (struct sql_arg[]){SQL_STR(it->live_id), SQL_STR(it->biz_id),
                                         SQL_STR(it->user_id), SQL_I64(it->type),
                                         SQL_I64(it->count), SQL_TIME(now)},
                      6, NULL);
}

err_t stats_store_room(struct store_conn *c, struct arena *ar, const char *live_id,
                       struct stats_summary out[STATS_TYPE_COUNT])
{
    struct store_rows r;
    /* One grouped query instead of the reference's fourteen. */
    err_t err = store_query(c, ar,
                            "SELECT type, COUNT(DISTINCT user_id), COALESCE(SUM(count), 0) "
                            "FROM stats_single_live WHERE live_id = ? GROUP BY type",
                            (struct sql_arg[]){SQL_STR(live_id)}, 1, &r);
    if (err)
        return err;
    for (size_t i = 0; i < r.nrows; i++) {
        int64_t type = store_rows_i64(&r, i, 0);
        if (type < 1 || type > STATS_TYPE_COUNT)
            continue;
        out[type - 1].unique_visitor = store_rows_i64(&r, i, 1);
        out[type - 1].page_view = store_rows_i64(&r, i, 2);
    }
    return ERR_OK;
}

static size_t index_of(const char *const *ids, size_t n, const char *id)
{
    size_t i = 0;
    while (i < n && strcmp(ids[i], id) != 0)
        i++;
    return i;
}

err_t stats_store_rooms_page_views(struct store_conn *c, struct arena *ar,
                                   const char *const *live_ids, size_t n,
                                   int64_t (*out)[STATS_TYPE_COUNT])
{
    const char *sql = arena_printf(ar,
                                   "SELECT live_id, type, COALESCE(SUM(count), 0) FROM "
                                   "stats_single_live WHERE live_id IN (%s) GROUP BY live_id, type",
                                   store_sql_placeholders(ar, n));
    struct sql_arg *args = arena_alloc(ar, n * sizeof(*args));
    for (size_t i = 0; i < n; i++)
        args[i] = SQL_STR(live_ids[i]);
    struct store_rows r;
    err_t err = store_query(c, ar, sql, args, n, &r);
    if (err)
        return err;
    for (size_t row = 0; row < r.nrows; row++) {
        size_t i = index_of(live_ids, n, store_rows_text(&r, row, 0));
        int64_t type = store_rows_i64(&r, row, 1);
        if (i < n && type >= 1 && type <= STATS_TYPE_COUNT)
            out[i][type - 1] += store_rows_i64(&r, row, 2);
    }
    return ERR_OK;
}

err_t stats_store_totals(struct store_conn *c, struct arena *ar, int64_t *lives, int64_t *users)
{
    struct store_rows r;
    /* Soft-deleted rows are not counted. */
    err_t err = store_query(c, ar,
                            "SELECT (SELECT COUNT(*) FROM live_entities WHERE deleted_at IS NULL), "
                            "(SELECT COUNT(*) FROM live_users WHERE deleted_at IS NULL)",
                            NULL, 0, &r);
    if (err)
        return err;
    *lives = r.nrows ? store_rows_i64(&r, 0, 0) : 0;
    *users = r.nrows ? store_rows_i64(&r, 0, 1) : 0;
    return ERR_OK;
}
