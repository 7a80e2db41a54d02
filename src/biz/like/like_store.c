/* SQL of the like module. */
#define LOG_MODULE "like"

#include "biz/like/like_store.h"

#include "biz/like/like.h"
#include "core/mem.h"
#include "store/store.h"

err_t like_store_room(struct store_conn *c, struct arena *ar, const char *live_id,
                      struct like_user_count **out, size_t *n)
{
    struct store_rows r;
    err_t err = store_query(c, ar,
                            "SELECT user_id, count FROM stats_single_live "
                            "WHERE type = ? AND live_id = ? AND biz_id = ''",
                            (struct sql_arg[]){SQL_I64(LIKE_STATS_TYPE), SQL_STR(live_id)}, 2, &r);
    if (err)
        return err;
    *n = r.nrows;
    *out = arena_zalloc(ar, (r.nrows + 1) * sizeof(**out));
    for (size_t i = 0; i < r.nrows; i++) {
        (*out)[i].user_id = store_rows_str(&r, i, 0);
        (*out)[i].count = store_rows_i64(&r, i, 1);
    }
    return ERR_OK;
}

err_t like_store_put_many(struct store_conn *c, struct arena *ar, const struct like_put *rows,
                          size_t n, int64_t now)
{
    enum { COLS = 6 };
    /* padded to a few sizes (the last row repeated, harmless as counts never go down), so a
     * handful of statement texts serve every commit and stay prepared */
    size_t rows_n = n <= 1 ? 1 : n <= 4 ? 4 : n <= 16 ? 16 : n <= 64 ? 64 : n;
    const char *sql = store_sql_upsert_rows(
        c, ar, "stats_single_live", "live_id, user_id, type, biz_id, count, updated_at",
        "type, live_id, user_id, biz_id",
        "count = CASE WHEN NEW(count) > count THEN NEW(count) ELSE count END, "
        "updated_at = NEW(updated_at)",
        rows_n);
    struct sql_arg *args = arena_alloc(ar, rows_n * COLS * sizeof(*args));
    for (size_t i = 0; i < rows_n; i++) {
        const struct like_put *r = &rows[i < n ? i : n - 1];
        struct sql_arg *a = &args[i * COLS];
        a[0] = SQL_STR(r->live_id);
        a[1] = SQL_STR(r->user_id);
        a[2] = SQL_I64(LIKE_STATS_TYPE);
        a[3] = SQL_STR("");
        a[4] = SQL_I64(r->count);
        a[5] = SQL_TIME(now);
    }
    return store_exec(c, sql, args, rows_n * COLS, NULL);
}
