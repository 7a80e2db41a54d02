/* SQL of the item module. */
#define LOG_MODULE "item"

#include "biz/item/item_store.h"

#include <stdio.h>
#include <string.h>

#include "core/mem.h"

#define ITEM_COLS                                                                                  \
    "live_id, item_id, `order`, title, tags, thumbnail, link, current_price, "                     \
    "origin_price, status, record_id, extends"
#define LOG_COLS "id, live_id, item_id, fname, `start`, `end`, status"

static void read_item(const struct store_rows *r, size_t i, struct item *it)
{
    it->live_id = store_rows_str(r, i, 0);
    it->item_id = store_rows_str(r, i, 1);
    it->order = store_rows_i64(r, i, 2);
    it->title = store_rows_str(r, i, 3);
    it->tags = store_rows_str(r, i, 4);
    it->thumbnail = store_rows_str(r, i, 5);
    it->link = store_rows_str(r, i, 6);
    it->current_price = store_rows_str(r, i, 7);
    it->origin_price = store_rows_str(r, i, 8);
    it->status = store_rows_i64(r, i, 9);
    it->record_id = store_rows_i64(r, i, 10);
    it->extends_json = store_rows_str(r, i, 11);
}

err_t item_store_list(struct store_conn *c, struct arena *ar, const char *live_id,
                      bool show_offline, struct item **out, size_t *n)
{
    struct store_rows r;
    err_t err = store_query(c, ar,
                            "SELECT " ITEM_COLS " FROM items WHERE deleted_at IS NULL "
                            "AND live_id = ? AND (? = 1 OR status != 0) ORDER BY `order` DESC, id",
                            (struct sql_arg[]){SQL_STR(live_id), SQL_BOOL(show_offline)}, 2, &r);
    if (err)
        return err;
    *n = r.nrows;
    *out = arena_zalloc(ar, (r.nrows + 1) * sizeof(**out));
    for (size_t i = 0; i < r.nrows; i++)
        read_item(&r, i, &(*out)[i]);
    return ERR_OK;
}

err_t item_store_get(struct store_conn *c, struct arena *ar, const char *live_id,
                     const char *item_id, struct item *out)
{
    struct store_rows r;
    err_t err = store_query_first(c, ar,
                                  "SELECT " ITEM_COLS " FROM items WHERE deleted_at IS NULL "
                                  "AND live_id = ? AND item_id = ? ORDER BY id LIMIT 1",
                                  (struct sql_arg[]){SQL_STR(live_id), SQL_STR(item_id)}, 2, &r);
    if (!err) {
        memset(out, 0, sizeof(*out));
        read_item(&r, 0, out);
    }
    return err;
}

err_t item_store_stats(struct store_conn *c, struct arena *ar, const char *live_id, int64_t *count,
                       int64_t *max_order)
{
    struct store_rows r;
    err_t err =
        store_query(c, ar,
                    "SELECT COALESCE(SUM(CASE WHEN deleted_at IS NULL THEN 1 ELSE 0 END), 0),"
                    " COALESCE(MAX(`order`), 0) FROM items WHERE live_id = ?",
                    (struct sql_arg[]){SQL_STR(live_id)}, 1, &r);
    if (err)
        return err;
    *count = r.nrows ? store_rows_i64(&r, 0, 0) : 0;
    *max_order = r.nrows ? store_rows_i64(&r, 0, 1) : 0;
    return ERR_OK;
}

err_t item_store_insert(struct store_conn *c, const struct item *it, int64_t now)
{
    return store_exec(c,
                      "INSERT INTO items (" ITEM_COLS ", created_at, updated_at) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      (struct sql_arg[]){SQL_STR(it->live_id), SQL_STR(it->item_id),
                                         SQL_I64(it->order), SQL_STR(it->title), SQL_STR(it->tags),
                                         SQL_STR(it->thumbnail), SQL_STR(it->link),
                                         SQL_STR(it->current_price), SQL_STR(it->origin_price),
                                         SQL_I64(it->status), SQL_I64(it->record_id),
                                         SQL_STR(it->extends_json), SQL_TIME(now), SQL_TIME(now)},
                      14, NULL);
}

err_t item_store_soft_delete(struct store_conn *c, const char *live_id, const char *item_id,
                             int64_t now)
{
    return store_exec(c,
                      "UPDATE items SET deleted_at = ? WHERE deleted_at IS NULL AND live_id = ? "
                      "AND item_id = ?",
                      (struct sql_arg[]){SQL_TIME(now), SQL_STR(live_id), SQL_STR(item_id)}, 3,
                      NULL);
}

err_t item_store_set_int(struct store_conn *c, const char *col, const char *live_id,
                         const char *item_id, int64_t v, int64_t now)
{
    /* col is "status" or "`order`", fixed by the service; the statement text is cached */
    char sql[160];
    snprintf(sql, sizeof(sql),
             "UPDATE items SET %s = ?, updated_at = ? WHERE deleted_at IS NULL AND live_id = ? "
             "AND item_id = ?",
             col);
    return store_exec(
        c, sql, (struct sql_arg[]){SQL_I64(v), SQL_TIME(now), SQL_STR(live_id), SQL_STR(item_id)},
        4, NULL);
}

err_t item_store_save(struct store_conn *c, const struct item *it, int64_t now)
{
    return store_exec(c,
                      "UPDATE items SET title = ?, tags = ?, thumbnail = ?, link = ?, "
                      "current_price = ?, origin_price = ?, record_id = ?, extends = ?, "
                      "updated_at = ? WHERE deleted_at IS NULL AND live_id = ? AND item_id = ?",
                      (struct sql_arg[]){SQL_STR(it->title), SQL_STR(it->tags),
                                         SQL_STR(it->thumbnail), SQL_STR(it->link),
                                         SQL_STR(it->current_price), SQL_STR(it->origin_price),
                                         it->record_id ? SQL_I64(it->record_id) : SQL_NULL,
                                         SQL_STR(it->extends_json), SQL_TIME(now),
                                         SQL_STR(it->live_id), SQL_STR(it->item_id)},
                      11, NULL);
}

err_t item_store_demo_get(struct store_conn *c, struct arena *ar, const char *live_id,
                          const char **item_id)
{
    struct store_rows r;
    err_t err = store_query(c, ar, "SELECT item_id FROM item_demonstrate WHERE live_id = ?",
                            (struct sql_arg[]){SQL_STR(live_id)}, 1, &r);
    *item_id = "";
    if (!err && r.nrows && store_rows_str(&r, 0, 0))
        *item_id = store_rows_str(&r, 0, 0);
    return err;
}

err_t item_store_demo_set(struct store_conn *c, struct arena *ar, const char *live_id,
                          const char *item_id, int64_t now)
{
    const char *sql =
        store_sql_upsert(c, ar, "item_demonstrate", "live_id, item_id, updated_at", "live_id",
                         "item_id = NEW(item_id), updated_at = NEW(updated_at)");
    return store_exec(c, sql, (struct sql_arg[]){SQL_STR(live_id), SQL_STR(item_id), SQL_TIME(now)},
                      3, NULL);
}

err_t item_store_logs(struct store_conn *c, struct arena *ar, const char *where,
                      const struct sql_arg *args, size_t nargs, struct item_record **out, size_t *n)
{
    struct store_rows r;
    const char *sql =
        arena_printf(ar, "SELECT " LOG_COLS " FROM item_demonstrate_log WHERE %s", where);
    err_t err = store_query(c, ar, sql, args, nargs, &r);
    if (err)
        return err;
    *n = r.nrows;
    *out = arena_zalloc(ar, (r.nrows + 1) * sizeof(**out));
    for (size_t i = 0; i < r.nrows; i++) {
        struct item_record *l = &(*out)[i];
        l->id = store_rows_i64(&r, i, 0);
        l->live_id = store_rows_str(&r, i, 1);
        l->item_id = store_rows_str(&r, i, 2);
        l->fname = store_rows_str(&r, i, 3);
        l->start = store_rows_time(&r, i, 4);
        l->end = store_rows_time(&r, i, 5);
        l->status = (int)store_rows_i64(&r, i, 6);
    }
    return ERR_OK;
}

err_t item_store_log_insert(struct store_conn *c, const char *live_id, const char *item_id,
                            int64_t now, int64_t *id)
{
    return store_insert(c,
                        "INSERT INTO item_demonstrate_log (live_id, item_id, `start`, status) "
                        "VALUES (?, ?, ?, ?)",
                        (struct sql_arg[]){SQL_STR(live_id), SQL_STR(item_id), SQL_TIME(now),
                                           SQL_I64(RECORD_RECORDING)},
                        4, id);
}

err_t item_store_log_finish(struct store_conn *c, int64_t id, const char *fname, int status,
                            int64_t end)
{
    return store_exec(
        c,
        "UPDATE item_demonstrate_log SET fname = ?, status = ?, `end` = ? "
        "WHERE id = ?",
        (struct sql_arg[]){SQL_STR(fname), SQL_I64(status), SQL_TIME(end), SQL_I64(id)}, 4, NULL);
}

err_t item_store_log_close(struct store_conn *c, int64_t id, int64_t end)
{
    return store_exec(c,
                      "UPDATE item_demonstrate_log SET status = ?, `end` = ? "
                      "WHERE id = ? AND `end` IS NULL",
                      (struct sql_arg[]){SQL_I64(RECORD_WAITING), SQL_TIME(end), SQL_I64(id)}, 3,
                      NULL);
}

err_t item_store_demo_lives(struct store_conn *c, struct arena *ar, size_t limit, const char ***out,
                            size_t *n)
{
    struct store_rows r;
    err_t err = store_query(c, ar,
                            "SELECT live_id FROM item_demonstrate WHERE item_id <> '' "
                            "UNION SELECT live_id FROM item_demonstrate_log WHERE `end` IS NULL "
                            "LIMIT ?",
                            (struct sql_arg[]){SQL_I64((int64_t)limit)}, 1, &r);
    if (err)
        return err;
    *n = r.nrows;
    *out = arena_zalloc(ar, (r.nrows + 1) * sizeof(**out));
    for (size_t i = 0; i < r.nrows; i++)
        (*out)[i] = store_rows_text(&r, i, 0);
    return ERR_OK;
}

err_t item_store_log_delete(struct store_conn *c, const char *live_id, int64_t id)
{
    return store_exec(c, "DELETE FROM item_demonstrate_log WHERE live_id = ? AND id = ?",
                      (struct sql_arg[]){SQL_STR(live_id), SQL_I64(id)}, 2, NULL);
}

err_t item_store_unlink_record(struct store_conn *c, const char *live_id, int64_t id, int64_t now)
{
    return store_exec(c,
                      "UPDATE items SET record_id = NULL, updated_at = ? WHERE live_id = ? "
                      "AND record_id = ?",
                      (struct sql_arg[]){SQL_TIME(now), SQL_STR(live_id), SQL_I64(id)}, 3, NULL);
}
