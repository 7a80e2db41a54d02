/* SQL of the relay module: relay_sessions and relay_joins. A room's pk_id is written by the
 * live module (live_pk_claim, live_pk_release); the rooms of a PK are only read here. */
#define LOG_MODULE "relay"
#include "biz/relay/relay_store.h"

#include <string.h>

#include "core/mem.h"
#include "store/store.h"

#define SESSION_COLUMNS                                                                            \
    "id, sid, init_user_id, init_room_id, recv_user_id, recv_room_id, extends, status, "           \
    "start_at, stop_at, created_at, updated_at"

static void session_from(const struct store_rows *rows, size_t i, struct relay_session *s)
{
    const char *ext = store_rows_str(rows, i, 6);
    s->id = store_rows_i64(rows, i, 0);
    s->sid = store_rows_text(rows, i, 1);
    s->init_user_id = store_rows_text(rows, i, 2);
    s->init_room_id = store_rows_text(rows, i, 3);
    s->recv_user_id = store_rows_text(rows, i, 4);
    s->recv_room_id = store_rows_text(rows, i, 5);
    s->extends_json = ext;
    s->status = (int)store_rows_i64(rows, i, 7);
    s->start_at = store_rows_time(rows, i, 8);
    s->stop_at = store_rows_time(rows, i, 9);
    s->created_at = store_rows_time(rows, i, 10);
    s->updated_at = store_rows_time(rows, i, 11);
}

err_t relay_store_insert(struct store_conn *c, struct relay_session *s, int64_t now)
{
    static const char sql[] =
        "INSERT INTO relay_sessions (sid, init_user_id, init_room_id, recv_user_id, "
        "recv_room_id, extends, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
    struct sql_arg args[] = {
        SQL_STR(s->sid),
        SQL_STR(s->init_user_id),
        SQL_STR(s->init_room_id),
        SQL_STR(s->recv_user_id),
        SQL_STR(s->recv_room_id),
        SQL_STR(s->extends_json ? s->extends_json : "null"),
        SQL_I64(s->status),
        SQL_TIME(now),
        SQL_TIME(now),
    };
    s->created_at = s->updated_at = now;
    return store_insert(c, sql, args, ARRAY_LEN(args), &s->id);
}

err_t relay_store_find(struct store_conn *c, struct arena *ar, const char *sid,
                       struct relay_session *out)
{
    static const char sql[] =
        "SELECT " SESSION_COLUMNS " FROM relay_sessions WHERE sid = ? ORDER BY id LIMIT 1";
    struct sql_arg args[] = {SQL_STR(sid)};
    struct store_rows rows;
    err_t err = store_query_first(c, ar, sql, args, ARRAY_LEN(args), &rows);
    if (!err)
        session_from(&rows, 0, out);
    return err;
}

err_t relay_store_report(struct store_conn *c, int64_t id, bool is_init, int64_t now, int64_t *n)
{
    /* one statement decides from the current value: simultaneous reports end in 4 (#11); the
     * first report is when the PK started */
    static const char sql_init[] =
        "UPDATE relay_sessions SET status = CASE status WHEN 1 THEN 2 WHEN 3 THEN 4 ELSE status "
        "END, start_at = COALESCE(start_at, ?), updated_at = ? WHERE id = ? "
        "AND status IN (1, 2, 3, 4)";
    static const char sql_recv[] =
        "UPDATE relay_sessions SET status = CASE status WHEN 1 THEN 3 WHEN 2 THEN 4 ELSE status "
        "END, start_at = COALESCE(start_at, ?), updated_at = ? WHERE id = ? "
        "AND status IN (1, 2, 3, 4)";
    struct sql_arg args[] = {SQL_TIME(now), SQL_TIME(now), SQL_I64(id)};
    return store_exec(c, is_init ? sql_init : sql_recv, args, ARRAY_LEN(args), n);
}

err_t relay_store_mark_joined(struct store_conn *c, struct arena *ar, int64_t id, int64_t now)
{
    /* the first time counts: a repeated mark changes nothing */
    const char *sql = store_sql_upsert(c, ar, "relay_joins", "session_id, joined_at", "session_id",
                                       "joined_at = joined_at");
    struct sql_arg args[] = {SQL_I64(id), SQL_TIME(now)};
    return store_exec(c, sql, args, ARRAY_LEN(args), NULL);
}

err_t relay_store_unanswered(struct store_conn *c, struct arena *ar, int64_t created_before,
                             size_t limit, struct relay_session **out, size_t *n)
{
    static const char sql[] =
        "SELECT " SESSION_COLUMNS " FROM relay_sessions s WHERE status IN (1, 2) "
        "AND created_at < ? AND NOT EXISTS (SELECT 1 FROM relay_joins j "
        "WHERE j.session_id = s.id) ORDER BY id LIMIT ?";
    struct sql_arg args[] = {SQL_TIME(created_before), SQL_I64((int64_t)limit)};
    struct store_rows rows;
    err_t err = store_query(c, ar, sql, args, ARRAY_LEN(args), &rows);
    if (err)
        return err;
    *n = rows.nrows;
    *out = arena_zalloc(ar, (rows.nrows + 1) * sizeof(**out));
    for (size_t i = 0; i < rows.nrows; i++)
        session_from(&rows, i, &(*out)[i]);
    return ERR_OK;
}

err_t relay_store_stop(struct store_conn *c, int64_t id, int64_t now, int64_t *n)
{
    static const char sql[] =
        "UPDATE relay_sessions SET status = 6, stop_at = ?, updated_at = ? WHERE id = ? "
        "AND status <> 6";
    struct sql_arg args[] = {SQL_TIME(now), SQL_TIME(now), SQL_I64(id)};
    return store_exec(c, sql, args, ARRAY_LEN(args), n);
}

err_t relay_store_cas_extends(struct store_conn *c, int64_t id, const char *old_text,
                              const char *new_text, int64_t now, int64_t *n)
{
    static const char sql_null[] = "UPDATE relay_sessions SET extends = ?, updated_at = ? "
                                   "WHERE id = ? AND extends IS NULL";
    static const char sql[] = "UPDATE relay_sessions SET extends = ?, updated_at = ? "
                              "WHERE id = ? AND extends = ?";
    struct sql_arg args[] = {SQL_STR(new_text), SQL_TIME(now), SQL_I64(id), SQL_STR(old_text)};
    return store_exec(c, old_text ? sql : sql_null, args, old_text ? 4 : 3, n);
}

err_t relay_store_pk_lives(struct store_conn *c, struct arena *ar, const char *sid,
                           struct relay_pk_live **out, size_t *n)
{
    static const char sql[] = "SELECT live_id, anchor_id, chat_id FROM live_entities WHERE "
                              "pk_id = ? AND deleted_at IS NULL ORDER BY id";
    struct sql_arg args[] = {SQL_STR(sid)};
    struct store_rows rows;
    *n = 0;
    err_t err = store_query(c, ar, sql, args, ARRAY_LEN(args), &rows);
    if (err)
        return err;
    *out = arena_zalloc(ar, sizeof(**out) * (rows.nrows ? rows.nrows : 1));
    for (size_t i = 0; i < rows.nrows; i++) {
        (*out)[i].live_id = store_rows_text(&rows, i, 0);
        (*out)[i].anchor_id = store_rows_text(&rows, i, 1);
        (*out)[i].chat_id = store_rows_i64(&rows, i, 2);
    }
    *n = rows.nrows;
    return ERR_OK;
}
