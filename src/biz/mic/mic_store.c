/* SQL of the mic module: live_mic_entities, one row per (live, user) (migration 0006). */
#define LOG_MODULE "mic"
#include "biz/mic/mic_store.h"

#include <string.h>

#include "core/mem.h"
#include "store/store.h"

#define SEAT_COLUMNS "m.id, m.live_id, m.user_id, m.mic, m.camera, m.status, m.extends"

/* The reference stores an absent map as the text "null". */
static const char *extends_text(const char *extends_json)
{
    return extends_json ? extends_json : "null";
}

static void seat_from(const struct store_rows *rows, size_t i, struct mic_seat *s)
{
    const char *ext = store_rows_str(rows, i, 6);
    s->id = store_rows_i64(rows, i, 0);
    s->live_id = store_rows_str(rows, i, 1);
    s->user_id = store_rows_str(rows, i, 2);
    s->has_mic = store_rows_i64(rows, i, 3) != 0;
    s->has_camera = store_rows_i64(rows, i, 4) != 0;
    s->status = (int)store_rows_i64(rows, i, 5);
    s->extends_json = ext && strcmp(ext, "null") != 0 ? ext : NULL;
}

err_t mic_store_rejoin(struct store_conn *c, const char *live_id, const char *user_id,
                       const struct mic_up_in *in, int64_t now, int64_t *n)
{
    /* the guard keeps a forbidden seat forbidden; NULL extends keeps the stored map */
    static const char sql[] =
        "UPDATE live_mic_entities SET status = 0, mic = ?, camera = ?, "
        "extends = COALESCE(?, extends), updated_at = ? WHERE live_id = ? AND user_id = ? "
        "AND deleted_at IS NULL AND (status IS NULL OR status <> 2)";
    struct sql_arg args[] = {
        SQL_BOOL(in->has_mic), SQL_BOOL(in->has_camera), SQL_STR(in->extends_json),
        SQL_TIME(now),         SQL_STR(live_id),         SQL_STR(user_id),
    };
    return store_exec(c, sql, args, ARRAY_LEN(args), n);
}

err_t mic_store_insert(struct store_conn *c, struct arena *ar, const char *live_id,
                       const char *user_id, const struct mic_up_in *in, int64_t now, int64_t *n)
{
    const char *sql =
        store_sql_insert_ignore(c, ar, "live_mic_entities",
                                "live_id, user_id, mic, camera, status, extends, created_at, "
                                "updated_at");
    struct sql_arg args[] = {
        SQL_STR(live_id),
        SQL_STR(user_id),
        SQL_BOOL(in->has_mic),
        SQL_BOOL(in->has_camera),
        SQL_I64(MIC_STATE_JOINED),
        SQL_STR(extends_text(in->extends_json)),
        SQL_TIME(now),
        SQL_TIME(now),
    };
    return store_exec(c, sql, args, ARRAY_LEN(args), n);
}

err_t mic_store_find(struct store_conn *c, struct arena *ar, const char *live_id,
                     const char *user_id, struct mic_seat *out)
{
    static const char sql[] = "SELECT " SEAT_COLUMNS " FROM live_mic_entities m WHERE "
                              "m.live_id = ? AND m.user_id = ? AND m.deleted_at IS NULL "
                              "ORDER BY m.id LIMIT 1";
    struct sql_arg args[] = {SQL_STR(live_id), SQL_STR(user_id)};
    struct store_rows rows;
    err_t err = store_query_first(c, ar, sql, args, ARRAY_LEN(args), &rows);
    if (!err)
        seat_from(&rows, 0, out);
    return err;
}

err_t mic_store_leave(struct store_conn *c, const char *live_id, const char *user_id, int64_t now)
{
    static const char sql[] = "UPDATE live_mic_entities SET status = 1, updated_at = ? WHERE "
                              "live_id = ? AND user_id = ? AND deleted_at IS NULL AND "
                              "(status IS NULL OR status <> 2)";
    struct sql_arg args[] = {SQL_TIME(now), SQL_STR(live_id), SQL_STR(user_id)};
    return store_exec(c, sql, args, ARRAY_LEN(args), NULL);
}

err_t mic_store_list(struct store_conn *c, struct arena *ar, const char *live_id,
                     struct mic_entry **out, size_t *n)
{
    /* one query for seats and users; a seat without a user row is skipped, as the reference */
    static const char sql[] =
        "SELECT " SEAT_COLUMNS ", " USER_ROW_COLUMNS_U " FROM live_mic_entities m "
        "JOIN live_users u ON u.user_id = m.user_id AND u.deleted_at IS NULL "
        "WHERE m.live_id = ? AND m.status = 0 AND m.deleted_at IS NULL ORDER BY m.id";
    struct sql_arg args[] = {SQL_STR(live_id)};
    struct store_rows rows;
    *n = 0;
    err_t err = store_query(c, ar, sql, args, ARRAY_LEN(args), &rows);
    if (err)
        return err;
    *out = arena_zalloc(ar, sizeof(**out) * (rows.nrows ? rows.nrows : 1));
    for (size_t i = 0; i < rows.nrows; i++) {
        seat_from(&rows, i, &(*out)[i].seat);
        user_row_from(&rows, i, 7, &(*out)[i].user);
    }
    *n = rows.nrows;
    return ERR_OK;
}

err_t mic_store_set_extends(struct store_conn *c, const char *live_id, const char *user_id,
                            const char *extends_json, int64_t now)
{
    static const char sql[] = "UPDATE live_mic_entities SET extends = ?, updated_at = ? WHERE "
                              "live_id = ? AND user_id = ? AND deleted_at IS NULL";
    struct sql_arg args[] = {SQL_STR(extends_text(extends_json)), SQL_TIME(now), SQL_STR(live_id),
                             SQL_STR(user_id)};
    return store_exec(c, sql, args, ARRAY_LEN(args), NULL);
}

err_t mic_store_set_flag(struct store_conn *c, const char *live_id, const char *user_id,
                         bool is_camera, bool on, int64_t now)
{
    static const char sql_mic[] = "UPDATE live_mic_entities SET mic = ?, updated_at = ? WHERE "
                                  "live_id = ? AND user_id = ? AND deleted_at IS NULL";
    static const char sql_camera[] = "UPDATE live_mic_entities SET camera = ?, updated_at = ? "
                                     "WHERE live_id = ? AND user_id = ? AND deleted_at IS NULL";
    struct sql_arg args[] = {SQL_BOOL(on), SQL_TIME(now), SQL_STR(live_id), SQL_STR(user_id)};
    return store_exec(c, is_camera ? sql_camera : sql_mic, args, ARRAY_LEN(args), NULL);
}
