/* SQL of the gift module. */
#define LOG_MODULE "gift"

#include "biz/gift/gift_store.h"

#include <string.h>

#include "core/mem.h"

#define TX_COLS                                                                                    \
    "id, biz_id, user_id, gift_id, amount, status, live_id, anchor_id, "                           \
    "created_at, updated_at"

static void read_tx(const struct store_rows *r, size_t i, struct gift_tx *t)
{
    t->id = store_rows_i64(r, i, 0);
    t->biz_id = store_rows_str(r, i, 1);
    t->user_id = store_rows_str(r, i, 2);
    t->gift_id = store_rows_i64(r, i, 3);
    t->amount = store_rows_i64(r, i, 4);
    t->status = (int)store_rows_i64(r, i, 5);
    t->live_id = store_rows_str(r, i, 6);
    t->anchor_id = store_rows_str(r, i, 7);
    t->created_at = store_rows_time(r, i, 8);
    t->updated_at = store_rows_time(r, i, 9);
}

err_t gift_store_insert(struct store_conn *c, struct arena *ar, const struct gift_tx *t,
                        bool *inserted)
{
    int64_t n = 0;
    const char *sql = store_sql_insert_ignore(
        c, ar, "live_gift",
        "biz_id, live_id, user_id, anchor_id, gift_id, amount, status, created_at, updated_at");
    err_t err = store_exec(
        c, sql,
        (struct sql_arg[]){SQL_STR(t->biz_id), SQL_STR(t->live_id), SQL_STR(t->user_id),
                           SQL_STR(t->anchor_id), SQL_I64(t->gift_id), SQL_I64(t->amount),
                           SQL_I64(GIFT_PENDING), SQL_TIME(t->created_at), SQL_TIME(t->updated_at)},
        9, &n);
    *inserted = !err && n == 1;
    return err;
}

err_t gift_store_get(struct store_conn *c, struct arena *ar, const char *biz_id,
                     struct gift_tx *out)
{
    struct store_rows r;
    err_t err = store_query_first(c, ar, "SELECT " TX_COLS " FROM live_gift WHERE biz_id = ?",
                                  (struct sql_arg[]){SQL_STR(biz_id)}, 1, &r);
    if (!err)
        read_tx(&r, 0, out);
    return err;
}

err_t gift_store_finish(struct store_conn *c, const char *biz_id, int status, int64_t now,
                        bool *moved)
{
    int64_t n = 0;
    err_t err = store_exec(
        c,
        "UPDATE live_gift SET status = ?, updated_at = ? "
        "WHERE biz_id = ? AND status = ?",
        (struct sql_arg[]){SQL_I64(status), SQL_TIME(now), SQL_STR(biz_id), SQL_I64(GIFT_PENDING)},
        4, &n);
    *moved = !err && n == 1;
    return err;
}

err_t gift_store_reclaim(struct store_conn *c, const char *biz_id, int64_t seen, int64_t now,
                         bool *claimed)
{
    int64_t n = 0;
    err_t err = store_exec(
        c,
        "UPDATE live_gift SET updated_at = ? "
        "WHERE biz_id = ? AND status = ? AND updated_at = ?",
        (struct sql_arg[]){SQL_TIME(now), SQL_STR(biz_id), SQL_I64(GIFT_PENDING), SQL_TIME(seen)},
        4, &n);
    *claimed = !err && n == 1;
    return err;
}

err_t gift_store_page(struct store_conn *c, struct arena *ar, const char *col, const char *value,
                      int64_t limit, int64_t offset, struct gift_tx **out, size_t *n,
                      int64_t *total)
{
    struct store_rows r, cnt;
    /* col is one of three fixed names chosen by the service, never client text */
    const char *sql = arena_printf(ar,
                                   "SELECT " TX_COLS " FROM live_gift WHERE %s = ? "
                                   "ORDER BY id LIMIT ? OFFSET ?",
                                   col);
    err_t err = store_query(
        c, ar, sql, (struct sql_arg[]){SQL_STR(value), SQL_I64(limit), SQL_I64(offset)}, 3, &r);
    if (!err)
        err =
            store_query(c, ar, arena_printf(ar, "SELECT COUNT(*) FROM live_gift WHERE %s = ?", col),
                        (struct sql_arg[]){SQL_STR(value)}, 1, &cnt);
    if (err)
        return err;
    *total = cnt.nrows ? store_rows_i64(&cnt, 0, 0) : 0;
    *n = r.nrows;
    *out = arena_zalloc(ar, (r.nrows + 1) * sizeof(**out));
    for (size_t i = 0; i < r.nrows; i++)
        read_tx(&r, i, &(*out)[i]);
    return ERR_OK;
}

err_t gift_store_config_list(struct store_conn *c, struct arena *ar, int64_t type,
                             struct gift_config **out, size_t *n)
{
    struct store_rows r;
    err_t err =
        store_query(c, ar,
                    "SELECT gift_id, type, name, amount, img, animation_type, "
                    "animation_img, `order`, extends FROM gift_config "
                    "WHERE deleted_at IS NULL AND (? = 1 OR type = ?) "
                    "ORDER BY `order` ASC, created_at DESC, id DESC",
                    (struct sql_arg[]){SQL_BOOL(type == GIFT_TYPE_ALL), SQL_I64(type)}, 2, &r);
    if (err)
        return err;
    *n = r.nrows;
    *out = arena_zalloc(ar, (r.nrows + 1) * sizeof(**out));
    for (size_t i = 0; i < r.nrows; i++) {
        struct gift_config *g = &(*out)[i];
        g->gift_id = store_rows_i64(&r, i, 0);
        g->type = store_rows_i64(&r, i, 1);
        g->name = store_rows_str(&r, i, 2);
        g->amount = store_rows_i64(&r, i, 3);
        g->img = store_rows_str(&r, i, 4);
        g->animation_type = store_rows_i64(&r, i, 5);
        g->animation_img = store_rows_str(&r, i, 6);
        g->order = store_rows_i64(&r, i, 7);
        g->extends_json = store_rows_str(&r, i, 8);
    }
    return ERR_OK;
}

err_t gift_store_config_get(struct store_conn *c, struct arena *ar, int64_t gift_id,
                            struct gift_config *out)
{
    struct store_rows r;
    err_t err = store_query(c, ar,
                            "SELECT gift_id, amount FROM gift_config "
                            "WHERE deleted_at IS NULL AND gift_id = ?",
                            (struct sql_arg[]){SQL_I64(gift_id)}, 1, &r);
    if (err)
        return err;
    if (r.nrows == 0)
        return ERR_NOT_FOUND;
    memset(out, 0, sizeof(*out));
    out->gift_id = store_rows_i64(&r, 0, 0);
    out->amount = store_rows_i64(&r, 0, 1);
    return ERR_OK;
}

err_t gift_store_config_save(struct store_conn *c, struct arena *ar, const struct gift_config *g,
                             int64_t now)
{
    const char *sql = store_sql_upsert(
        c, ar, "gift_config",
        "gift_id, type, name, amount, img, animation_type, animation_img, `order`, extends, "
        "created_at, updated_at",
        "gift_id",
        "type = NEW(type), name = NEW(name), amount = NEW(amount), img = NEW(img), "
        "animation_type = NEW(animation_type), animation_img = NEW(animation_img), "
        "`order` = NEW(`order`), extends = NEW(extends), updated_at = NEW(updated_at), "
        "created_at = CASE WHEN deleted_at IS NULL THEN created_at ELSE NEW(created_at) END, "
        "deleted_at = NULL");
    return store_exec(c, sql,
                      (struct sql_arg[]){SQL_I64(g->gift_id), SQL_I64(g->type), SQL_STR(g->name),
                                         SQL_I64(g->amount), SQL_STR(g->img),
                                         SQL_I64(g->animation_type), SQL_STR(g->animation_img),
                                         SQL_I64(g->order), SQL_STR(g->extends_json), SQL_TIME(now),
                                         SQL_TIME(now)},
                      11, NULL);
}

err_t gift_store_config_delete(struct store_conn *c, int64_t gift_id, int64_t now)
{
    return store_exec(
        c, "UPDATE gift_config SET deleted_at = ? WHERE deleted_at IS NULL AND gift_id = ?",
        (struct sql_arg[]){SQL_TIME(now), SQL_I64(gift_id)}, 2, NULL);
}
