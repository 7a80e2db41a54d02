/* SQL of the live module. Times are bound with SQL_TIME (never the database's NOW()), strings
 * are always bound, and every state change is a single guarded UPDATE. */
#define LOG_MODULE "live"
#include "biz/live/live_store.h"

#include <string.h>

#include "biz/user/user.h"
#include "core/mem.h"
#include "store/store.h"

/* The room's columns under the alias `l` (queries join presence and anchor rows to it). */
#define LIVE_COLUMNS                                                                               \
    "l.id, l.live_id, l.title, l.notice, l.cover_url, l.extends, l.anchor_id, l.status, l.pk_id, " \
    "l.online_count, l.start_at, l.end_at, l.chat_id, l.push_url, l.rtmp_play_url, "               \
    "l.flv_play_url, l.hls_play_url, l.last_heartbeat_at, l.created_at, l.updated_at, "            \
    "l.stop_reason, l.stop_user_id, l.stop_at, l.unreview_censor_count, l.last_censor_time"
enum { LIVE_NCOLS = 25 };

/* What LiveInfo shows besides the row, computed in the same statement: the room's online
 * count, the anchor's presence status in it and the anchor's profile (NULL cells when the
 * profile is gone). The subqueries use live_room_user_entities (live_id, status) and the unique
 * user_id key; live_users is joined on its unique user_id key. */
#define VIEW_SELECT                                                                                \
    "SELECT " LIVE_COLUMNS ", (SELECT count(*) FROM live_room_user_entities p WHERE "              \
    "p.live_id = l.live_id AND p.status = 1 AND p.deleted_at IS NULL), (SELECT p.status FROM "     \
    "live_room_user_entities p WHERE p.user_id = l.anchor_id AND p.live_id = l.live_id AND "       \
    "p.deleted_at IS NULL ORDER BY p.id LIMIT 1), " USER_ROW_COLUMNS_U " FROM live_entities l "    \
    "LEFT JOIN live_users u ON u.user_id = l.anchor_id AND u.deleted_at IS NULL "

static void row_to_live(const struct store_rows *rows, size_t i, struct live_room *l)
{
    l->id = store_rows_i64(rows, i, 0);
    l->live_id = store_rows_text(rows, i, 1);
    l->title = store_rows_text(rows, i, 2);
    l->notice = store_rows_text(rows, i, 3);
    l->cover_url = store_rows_text(rows, i, 4);
    l->extends_json = store_rows_str(rows, i, 5);
    l->anchor_id = store_rows_text(rows, i, 6);
    l->status = (int)store_rows_i64(rows, i, 7);
    l->pk_id = store_rows_text(rows, i, 8);
    l->online_count = store_rows_i64(rows, i, 9);
    l->start_at = store_rows_time(rows, i, 10);
    l->end_at = store_rows_time(rows, i, 11);
    l->chat_id = store_rows_i64(rows, i, 12);
    l->push_url = store_rows_text(rows, i, 13);
    l->rtmp_play_url = store_rows_text(rows, i, 14);
    l->flv_play_url = store_rows_text(rows, i, 15);
    l->hls_play_url = store_rows_text(rows, i, 16);
    l->last_heartbeat_at = store_rows_time(rows, i, 17);
    l->created_at = store_rows_time(rows, i, 18);
    l->updated_at = store_rows_time(rows, i, 19);
    l->stop_reason = store_rows_text(rows, i, 20);
    l->stop_user_id = store_rows_text(rows, i, 21);
    l->stop_at = store_rows_time(rows, i, 22);
    l->unreview_censor_count = store_rows_i64(rows, i, 23);
    l->last_censor_time = store_rows_i64(rows, i, 24);
}

static struct sql_arg time_or_null(int64_t t)
{
    return t > 0 ? SQL_TIME(t) : SQL_NULL;
}

err_t live_store_find(struct store_conn *c, struct arena *ar, const char *live_id,
                      struct live_room *out)
{
    static const char sql[] = "SELECT " LIVE_COLUMNS " FROM live_entities l WHERE l.deleted_at IS "
                              "NULL AND l.live_id = ? ORDER BY l.id LIMIT 1";
    struct sql_arg args[] = {SQL_STR(live_id)};
    struct store_rows rows;
    err_t err = store_query_first(c, ar, sql, args, ARRAY_LEN(args), &rows);
    if (!err)
        row_to_live(&rows, 0, out);
    return err;
}

/* Row i of a VIEW_SELECT result as a view with the computed fields `want` asks for. */
static void row_to_view(const struct store_rows *rows, size_t i, int want, struct live_view *v)
{
    memset(v, 0, sizeof(*v));
    row_to_live(rows, i, &v->room);
    v->room_token = "";
    v->online_count = v->room.online_count;
    if (want & LIVE_WANT_ONLINE)
        v->online_count = store_rows_i64(rows, i, LIVE_NCOLS);
    if (want & LIVE_WANT_ANCHOR_STATUS)
        v->anchor_status = (int)store_rows_i64(rows, i, LIVE_NCOLS + 1);
    v->has_anchor = !store_rows_is_null(rows, i, LIVE_NCOLS + 3); /* u.user_id */
    if (v->has_anchor)
        user_row_from(rows, i, LIVE_NCOLS + 2, &v->anchor);
}

err_t live_store_view(struct store_conn *c, struct arena *ar, const char *live_id, int want,
                      struct live_view *out)
{
    static const char sql[] = VIEW_SELECT "WHERE l.deleted_at IS NULL AND l.live_id = ? "
                                          "ORDER BY l.id LIMIT 1";
    struct sql_arg args[] = {SQL_STR(live_id)};
    struct store_rows rows;
    err_t err = store_query_first(c, ar, sql, args, ARRAY_LEN(args), &rows);
    if (!err)
        row_to_view(&rows, 0, want, out);
    return err;
}

err_t live_store_insert(struct store_conn *c, const struct live_room *l, int64_t now, int64_t *id)
{
    static const char sql[] =
        "INSERT INTO live_entities (live_id, title, notice, cover_url, extends, anchor_id, status, "
        "pk_id, online_count, start_at, end_at, chat_id, push_url, rtmp_play_url, flv_play_url, "
        "hls_play_url, created_at, updated_at, stop_reason, stop_user_id, unreview_censor_count, "
        "last_censor_time) VALUES (?, ?, ?, ?, ?, ?, 0, '', 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', '', "
        "0, 0)";
    struct sql_arg args[] = {
        SQL_STR(l->live_id),
        SQL_STR(l->title),
        SQL_STR(l->notice),
        SQL_STR(l->cover_url),
        SQL_STR(l->extends_json ? l->extends_json : "null"),
        SQL_STR(l->anchor_id),
        time_or_null(l->start_at),
        time_or_null(l->end_at),
        SQL_I64(l->chat_id),
        SQL_STR(l->push_url),
        SQL_STR(l->rtmp_play_url),
        SQL_STR(l->flv_play_url),
        SQL_STR(l->hls_play_url),
        SQL_TIME(now),
        SQL_TIME(now),
    };
    return store_insert(c, sql, args, ARRAY_LEN(args), id);
}

err_t live_store_start(struct store_conn *c, const char *live_id, const char *anchor_id,
                       const char *push_url, int64_t now, int64_t *affected)
{
    static const char sql[] =
        "UPDATE live_entities SET status = 1, start_at = ?, "
        "last_heartbeat_at = ?, updated_at = ?, push_url = COALESCE(?, "
        "push_url) WHERE deleted_at IS NULL AND live_id = ? AND anchor_id = ? "
        "AND status IN (0, 1)";
    struct sql_arg args[] = {SQL_TIME(now),     SQL_TIME(now),    SQL_TIME(now),
                             SQL_STR(push_url), SQL_STR(live_id), SQL_STR(anchor_id)};
    return store_exec(c, sql, args, ARRAY_LEN(args), affected);
}

err_t live_store_stop(struct store_conn *c, const char *live_id, const char *anchor_id, int64_t now,
                      const char *reason, const char *stop_user_id, int64_t *affected)
{
    /* COALESCE keeps the stop_* columns of normal and timeout stops as they are */
    static const char sql[] =
        "UPDATE live_entities SET status = 2, end_at = ?, updated_at = ?, "
        "stop_reason = COALESCE(?, stop_reason), stop_user_id = COALESCE(?, stop_user_id), "
        "stop_at = COALESCE(?, stop_at) WHERE deleted_at IS NULL AND live_id = ? AND status = 1 "
        "AND (? IS NULL OR anchor_id = ?)";
    struct sql_arg args[] = {
        SQL_TIME(now),
        SQL_TIME(now),
        SQL_STR(reason),
        SQL_STR(reason ? stop_user_id : NULL),
        reason ? SQL_TIME(now) : SQL_NULL,
        SQL_STR(live_id),
        SQL_STR(anchor_id),
        SQL_STR(anchor_id),
    };
    return store_exec(c, sql, args, ARRAY_LEN(args), affected);
}

err_t live_store_delete(struct store_conn *c, const char *live_id, const char *anchor_id,
                        int64_t now, int64_t *affected)
{
    static const char sql[] = "UPDATE live_entities SET deleted_at = ? WHERE deleted_at IS NULL "
                              "AND live_id = ? AND (? IS NULL OR anchor_id = ?)";
    struct sql_arg args[] = {SQL_TIME(now), SQL_STR(live_id), SQL_STR(anchor_id),
                             SQL_STR(anchor_id)};
    return store_exec(c, sql, args, ARRAY_LEN(args), affected);
}

err_t live_store_set_extends(struct store_conn *c, const char *live_id, const char *anchor_id,
                             const char *text, int64_t now, int64_t *affected)
{
    static const char sql[] = "UPDATE live_entities SET extends = ?, updated_at = ? WHERE "
                              "deleted_at IS NULL AND live_id = ? AND anchor_id = ?";
    struct sql_arg args[] = {SQL_STR(text ? text : "null"), SQL_TIME(now), SQL_STR(live_id),
                             SQL_STR(anchor_id)};
    return store_exec(c, sql, args, ARRAY_LEN(args), affected);
}

err_t live_store_pk_claim(struct store_conn *c, const char *live_id, const char *anchor_id,
                          const char *sid, int64_t now, int64_t *n)
{
    /* the guard is the whole precondition, so two concurrent starts cannot both claim */
    static const char sql[] =
        "UPDATE live_entities SET pk_id = ?, updated_at = ? WHERE live_id = ? AND anchor_id = ? "
        "AND status = 1 AND deleted_at IS NULL AND (pk_id IS NULL OR pk_id = '')";
    struct sql_arg args[] = {SQL_STR(sid), SQL_TIME(now), SQL_STR(live_id), SQL_STR(anchor_id)};
    return store_exec(c, sql, args, ARRAY_LEN(args), n);
}

err_t live_store_pk_release(struct store_conn *c, const char *live_id, const char *sid, int64_t now)
{
    static const char sql[] = "UPDATE live_entities SET pk_id = '', updated_at = ? WHERE "
                              "live_id = ? AND pk_id = ? AND deleted_at IS NULL";
    struct sql_arg args[] = {SQL_TIME(now), SQL_STR(live_id), SQL_STR(sid)};
    return store_exec(c, sql, args, ARRAY_LEN(args), NULL);
}

err_t live_store_censor_refresh(struct store_conn *c, const char *live_id, int64_t t)
{
    /* one statement counts and writes, so concurrent moderation results cannot both count
     * before either wrote */
    static const char count_only[] =
        "UPDATE live_entities SET unreview_censor_count = (SELECT count(*) FROM censor_image i "
        "WHERE i.live_id = ? AND i.is_review = 0) WHERE live_id = ?";
    static const char with_time[] =
        "UPDATE live_entities SET unreview_censor_count = (SELECT count(*) FROM censor_image i "
        "WHERE i.live_id = ? AND i.is_review = 0), last_censor_time = ? WHERE live_id = ?";
    if (t > 0) {
        struct sql_arg args[] = {SQL_STR(live_id), SQL_I64(t), SQL_STR(live_id)};
        return store_exec(c, with_time, args, ARRAY_LEN(args), NULL);
    }
    struct sql_arg args[] = {SQL_STR(live_id), SQL_STR(live_id)};
    return store_exec(c, count_only, args, ARRAY_LEN(args), NULL);
}

err_t live_store_heartbeat(struct store_conn *c, const char *live_id, int64_t now,
                           int64_t older_than)
{
    /* the guard makes concurrent nodes skip a write another one has just made */
    static const char sql[] = "UPDATE live_entities SET last_heartbeat_at = ?, updated_at = ? "
                              "WHERE deleted_at IS NULL AND live_id = ? AND (last_heartbeat_at "
                              "IS NULL OR last_heartbeat_at <= ?)";
    struct sql_arg args[] = {SQL_TIME(now), SQL_TIME(now), SQL_STR(live_id), SQL_TIME(older_than)};
    return store_exec(c, sql, args, ARRAY_LEN(args), NULL);
}

/* WHERE and ORDER BY of each list; the parameter count is the same for the page and the count
 * query. Search matches prefixes with '!' as the LIKE escape character (valid in both dialects,
 * unlike a backslash). */
static const char *const list_where[] = {
    [LIVE_LIST_OPEN] = "(l.status = 1 OR l.status = 0)",
    [LIVE_LIST_STATUS] = "l.status = ?",
    [LIVE_LIST_ANCHOR] = "l.anchor_id = ?",
    [LIVE_LIST_SEARCH] = "l.status = 1 AND (l.title LIKE ? ESCAPE '!' OR l.live_id LIKE ? "
                         "ESCAPE '!' OR l.anchor_id LIKE ? ESCAPE '!')",
};
static const char *const list_order[] = {
    [LIVE_LIST_OPEN] = "l.status DESC, l.updated_at DESC, l.id DESC",
    [LIVE_LIST_STATUS] = "l.updated_at DESC, l.id DESC",
    [LIVE_LIST_ANCHOR] = "l.start_at IS NULL, l.start_at DESC, l.id DESC",
    [LIVE_LIST_SEARCH] = "l.updated_at DESC, l.id DESC",
};

/* keyword with %, _ and ! escaped, followed by % */
static const char *like_prefix(struct arena *ar, const char *kw)
{
    size_t n = strlen(kw);
    char *p = arena_alloc(ar, 2 * n + 2), *o = p;
    for (size_t i = 0; i < n; i++) {
        if (kw[i] == '%' || kw[i] == '_' || kw[i] == '!')
            *o++ = '!';
        *o++ = kw[i];
    }
    *o++ = '%';
    *o = '\0';
    return p;
}

static size_t list_args(struct arena *ar, enum live_list_kind kind, const char *sarg, int64_t iarg,
                        struct sql_arg *args)
{
    switch (kind) {
    case LIVE_LIST_OPEN:
        return 0;
    case LIVE_LIST_STATUS:
        args[0] = SQL_I64(iarg);
        return 1;
    case LIVE_LIST_ANCHOR:
        args[0] = SQL_STR(sarg);
        return 1;
    case LIVE_LIST_SEARCH:
        args[0] = args[1] = args[2] = SQL_STR(like_prefix(ar, sarg));
        return 3;
    }
    return 0;
}

err_t live_store_page(struct store_conn *c, struct arena *ar, enum live_list_kind kind,
                      const char *sarg, int64_t iarg, int64_t limit, int64_t offset, int want,
                      struct live_view **out, size_t *n, int64_t *total)
{
    struct sql_arg args[5];
    size_t na = list_args(ar, kind, sarg, iarg, args);
    struct store_rows rows;
    const char *count_sql =
        arena_printf(ar, "SELECT count(*) FROM live_entities l WHERE l.deleted_at IS NULL AND %s",
                     list_where[kind]);
    err_t err = store_query(c, ar, count_sql, args, na, &rows);
    if (err)
        return err;
    *total = rows.nrows ? store_rows_i64(&rows, 0, 0) : 0;
    const char *sql = arena_printf(ar,
                                   VIEW_SELECT "WHERE l.deleted_at IS NULL AND %s ORDER BY %s "
                                               "LIMIT ? OFFSET ?",
                                   list_where[kind], list_order[kind]);
    args[na] = SQL_I64(limit);
    args[na + 1] = SQL_I64(offset);
    err = store_query(c, ar, sql, args, na + 2, &rows);
    if (err)
        return err;
    *out = arena_zalloc(ar, (rows.nrows + 1) * sizeof(**out));
    for (size_t i = 0; i < rows.nrows; i++)
        row_to_view(&rows, i, want, &(*out)[i]);
    *n = rows.nrows;
    return ERR_OK;
}

err_t live_store_on_air(struct store_conn *c, struct arena *ar, int64_t before, char ***ids,
                        size_t *n)
{
    static const char sql[] = "SELECT live_id FROM live_entities WHERE deleted_at IS NULL AND "
                              "status = 1 AND (? = 0 OR last_heartbeat_at IS NULL OR "
                              "last_heartbeat_at < ?) ORDER BY id";
    struct sql_arg args[] = {SQL_I64(before > 0), time_or_null(before)};
    struct store_rows rows;
    err_t err = store_query(c, ar, sql, args, ARRAY_LEN(args), &rows);
    if (err)
        return err;
    *ids = arena_zalloc(ar, (rows.nrows + 1) * sizeof(char *));
    for (size_t i = 0; i < rows.nrows; i++)
        (*ids)[i] = arena_strdup(ar, store_rows_text(&rows, i, 0));
    *n = rows.nrows;
    return ERR_OK;
}

/* Statement sizes of the write-behind: a chunk is padded (its last row repeated) up to the next
 * size, so a handful of statement texts serve every batch and stay prepared. */
static size_t padded_rows(size_t n)
{
    static const size_t sizes[] = {1, 4, 16, 64, PRESENCE_ROWS_MAX};

    for (size_t i = 0; i < ARRAY_LEN(sizes); i++)
        if (n <= sizes[i])
            return sizes[i];
    return PRESENCE_ROWS_MAX;
}

static err_t put_chunk(struct store_conn *c, struct arena *ar, const struct presence_rec *recs,
                       size_t n, int64_t now)
{
    enum { COLS = 6 };
    size_t rows = padded_rows(n);
    const char *sql = store_sql_upsert_rows(
        c, ar, "live_room_user_entities",
        "live_id, user_id, status, heart_beat_at, created_at, updated_at", "user_id",
        "live_id = NEW(live_id), status = NEW(status), heart_beat_at = CASE WHEN NEW(status) = 1 "
        "THEN NEW(heart_beat_at) ELSE heart_beat_at END, updated_at = NEW(updated_at), "
        "deleted_at = NULL",
        rows);
    struct sql_arg *args = arena_alloc(ar, rows * COLS * sizeof(*args));

    for (size_t i = 0; i < rows; i++) {
        const struct presence_rec *p = &recs[i < n ? i : n - 1];
        struct sql_arg *a = &args[i * COLS];

        a[0] = SQL_STR(p->live_id);
        a[1] = SQL_STR(p->user_id);
        a[2] = SQL_I64(p->live_id[0] ? 1 : 0);
        a[3] = SQL_TIME(p->at);
        a[4] = SQL_TIME(now);
        a[5] = SQL_TIME(now);
    }
    return store_exec(c, sql, args, rows * COLS, NULL);
}

err_t presence_store_put_many(struct store_conn *c, struct arena *ar,
                              const struct presence_rec *recs, size_t n, int64_t now)
{
    err_t err = ERR_OK;

    for (size_t at = 0; !err && at < n; at += PRESENCE_ROWS_MAX) {
        size_t k = n - at < PRESENCE_ROWS_MAX ? n - at : PRESENCE_ROWS_MAX;

        err = put_chunk(c, ar, recs + at, k, now);
    }
    return err;
}

static err_t count_chunk(struct store_conn *c, struct arena *ar, const struct view_count *v,
                         size_t n, int64_t now)
{
    enum { COLS = 6 };
    size_t rows = padded_rows(n);
    const char *sql = store_sql_upsert_rows(
        c, ar, "stats_single_live", "live_id, biz_id, user_id, type, count, updated_at",
        "type, live_id, user_id, biz_id",
        "count = count + NEW(count), updated_at = NEW(updated_at)", rows);
    struct sql_arg *args = arena_alloc(ar, rows * COLS * sizeof(*args));
    for (size_t i = 0; i < rows; i++) {
        const struct view_count *p = &v[i < n ? i : n - 1];
        struct sql_arg *a = &args[i * COLS];
        a[0] = SQL_STR(p->live_id);
        a[1] = SQL_STR("");
        a[2] = SQL_STR(p->user_id);
        a[3] = SQL_I64(1);
        a[4] = SQL_I64(i < n ? p->count : 0); /* padding rows add nothing */
        a[5] = SQL_TIME(now);
    }
    return store_exec(c, sql, args, rows * COLS, NULL);
}

err_t live_store_count_views(struct store_conn *c, struct arena *ar, const struct view_count *v,
                             size_t n, int64_t now)
{
    err_t err = ERR_OK;
    for (size_t at = 0; !err && at < n; at += PRESENCE_ROWS_MAX) {
        size_t k = n - at < PRESENCE_ROWS_MAX ? n - at : PRESENCE_ROWS_MAX;
        err = count_chunk(c, ar, v + at, k, now);
    }
    return err;
}

err_t presence_store_online(struct store_conn *c, struct arena *ar, struct presence_rec **out,
                            size_t *n)
{
    static const char sql[] = "SELECT user_id, live_id, heart_beat_at FROM "
                              "live_room_user_entities WHERE status = 1 AND deleted_at IS NULL "
                              "AND live_id <> ''";
    struct store_rows rows;
    err_t err = store_query(c, ar, sql, NULL, 0, &rows);
    *n = 0;
    if (err)
        return err;
    *out = arena_zalloc(ar, (rows.nrows + 1) * sizeof(**out));
    for (size_t i = 0; i < rows.nrows; i++)
        (*out)[(*n)++] = (struct presence_rec){.user_id = store_rows_text(&rows, i, 0),
                                               .live_id = store_rows_text(&rows, i, 1),
                                               .at = store_rows_time(&rows, i, 2)};
    return ERR_OK;
}
