#define LOG_MODULE "censor"
#include "biz/censor/censor_store.h"

#include "core/mem.h"
#include "store/store.h"

static const char CONFIG_COLS[] = "id, enable, `interval`, pulp, terror, politician, ads";

err_t censor_store_config_get(struct store_conn *c, struct arena *ar, struct censor_config *out)
{
    static const char sql[] = "SELECT enable, `interval`, pulp, terror, politician, ads "
                              "FROM censor_config ORDER BY id LIMIT 1";
    struct store_rows rows;
    err_t err = store_query_first(c, ar, sql, NULL, 0, &rows);
    if (err)
        return err;
    out->enable = store_rows_i64(&rows, 0, 0) != 0;
    out->interval = store_rows_i64(&rows, 0, 1);
    out->pulp = store_rows_i64(&rows, 0, 2) != 0;
    out->terror = store_rows_i64(&rows, 0, 3) != 0;
    out->politician = store_rows_i64(&rows, 0, 4) != 0;
    out->ads = store_rows_i64(&rows, 0, 5) != 0;
    return ERR_OK;
}

static void config_args(const struct censor_config *in, struct sql_arg args[7])
{
    args[0] = SQL_I64(1);
    args[1] = SQL_BOOL(in->enable);
    args[2] = SQL_I64(in->interval);
    args[3] = SQL_BOOL(in->pulp);
    args[4] = SQL_BOOL(in->terror);
    args[5] = SQL_BOOL(in->politician);
    args[6] = SQL_BOOL(in->ads);
}

err_t censor_store_config_put(struct store_conn *c, struct arena *ar,
                              const struct censor_config *in)
{
    const char *sql =
        store_sql_upsert(c, ar, "censor_config", CONFIG_COLS, "id",
                         "enable = NEW(enable), `interval` = NEW(`interval`), pulp = NEW(pulp), "
                         "terror = NEW(terror), politician = NEW(politician), ads = NEW(ads)");
    struct sql_arg args[7];
    config_args(in, args);
    return store_exec(c, sql, args, ARRAY_LEN(args), NULL);
}

err_t censor_store_config_insert_default(struct store_conn *c, struct arena *ar,
                                         const struct censor_config *in)
{
    const char *sql = store_sql_insert_ignore(c, ar, "censor_config", CONFIG_COLS);
    struct sql_arg args[7];
    config_args(in, args);
    return store_exec(c, sql, args, ARRAY_LEN(args), NULL);
}

err_t censor_store_job_insert(struct store_conn *c, const char *live_id, const char *job_id,
                              const struct censor_config *cfg)
{
    static const char sql[] = "INSERT INTO live_censor (live_id, job_id, pulp, terror, "
                              "politician, ads, `interval`) VALUES (?, ?, ?, ?, ?, ?, ?)";
    struct sql_arg args[] = {SQL_STR(live_id),      SQL_STR(job_id),           SQL_BOOL(cfg->pulp),
                             SQL_BOOL(cfg->terror), SQL_BOOL(cfg->politician), SQL_BOOL(cfg->ads),
                             SQL_I64(cfg->interval)};
    return store_insert(c, sql, args, ARRAY_LEN(args), NULL);
}

/* The first column of the first row as an arena string. */
static err_t first_str(struct store_conn *c, struct arena *ar, const char *sql, const char *arg,
                       char **out)
{
    struct store_rows rows;
    struct sql_arg args[] = {SQL_STR(arg)};
    err_t err = store_query_first(c, ar, sql, args, 1, &rows);
    if (!err) {
        const char *s = store_rows_str(&rows, 0, 0);
        *out = arena_strdup(ar, s ? s : "");
    }
    return err;
}

err_t censor_store_job_of_live(struct store_conn *c, struct arena *ar, const char *live_id,
                               char **job_id)
{
    return first_str(c, ar,
                     "SELECT job_id FROM live_censor WHERE live_id = ? ORDER BY id DESC LIMIT 1",
                     live_id, job_id);
}

err_t censor_store_live_of_job(struct store_conn *c, struct arena *ar, const char *job_id,
                               char **live_id)
{
    return first_str(c, ar, "SELECT live_id FROM live_censor WHERE job_id = ? ORDER BY id LIMIT 1",
                     job_id, live_id);
}

err_t censor_store_image_insert(struct store_conn *c, const struct censor_image *img)
{
    static const char sql[] =
        "INSERT INTO censor_image (url, job_id, created_at, suggestion, pulp, terror, "
        "politician, ads, live_id, is_review, review_answer, review_user_id, review_time) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, '', NULL)";
    struct sql_arg args[] = {
        SQL_STR(img->url),        SQL_STR(img->job_id), SQL_I64(img->created_at),
        SQL_STR(img->suggestion), SQL_STR(img->pulp),   SQL_STR(img->terror),
        SQL_STR(img->politician), SQL_STR(img->ads),    SQL_STR(img->live_id)};
    return store_insert(c, sql, args, ARRAY_LEN(args), NULL);
}

err_t censor_store_audit(struct store_conn *c, struct arena *ar, const char *live_id,
                         const int64_t *ids, size_t n, int64_t answer, const char *user_id,
                         int64_t now, int64_t *affected)
{
    const char *sql = arena_printf(ar,
                                   "UPDATE censor_image SET is_review = 1, review_answer = ?, "
                                   "review_user_id = ?, review_time = ? WHERE live_id = ? AND "
                                   "id IN (%s)",
                                   store_sql_placeholders(ar, n));
    struct sql_arg *args = arena_alloc(ar, (n + 4) * sizeof(*args));
    args[0] = SQL_I64(answer);
    args[1] = SQL_STR(user_id);
    args[2] = SQL_TIME(now);
    args[3] = SQL_STR(live_id);
    for (size_t i = 0; i < n; i++)
        args[4 + i] = SQL_I64(ids[i]);
    return store_exec(c, sql, args, n + 4, affected);
}

static void image_from_row(const struct store_rows *r, size_t i, struct censor_image *m)
{
    m->id = store_rows_i64(r, i, 0);
    m->url = store_rows_text(r, i, 1);
    m->job_id = store_rows_text(r, i, 2);
    m->created_at = store_rows_i64(r, i, 3);
    m->suggestion = store_rows_text(r, i, 4);
    m->pulp = store_rows_text(r, i, 5);
    m->terror = store_rows_text(r, i, 6);
    m->politician = store_rows_text(r, i, 7);
    m->ads = store_rows_text(r, i, 8);
    m->live_id = store_rows_text(r, i, 9);
    m->is_review = store_rows_i64(r, i, 10);
    m->review_answer = store_rows_i64(r, i, 11);
    m->review_user_id = store_rows_text(r, i, 12);
    m->review_time = store_rows_time(r, i, 13);
}

/* WHERE clause and its arguments of an image page. */
static const char *image_filter(struct arena *ar, const char *live_id, int is_review,
                                struct sql_arg *args, size_t *nargs)
{
    *nargs = 0;
    const char *w = live_id ? "live_id = ?" : "1 = 1";
    if (live_id)
        args[(*nargs)++] = SQL_STR(live_id);
    if (is_review >= 0) {
        args[(*nargs)++] = SQL_I64(is_review);
        w = arena_printf(ar, "%s AND is_review = ?", w);
    }
    return w;
}

/* Reads the total of a COUNT(*) statement. */
static err_t count_rows(struct store_conn *c, struct arena *ar, const char *sql,
                        const struct sql_arg *args, size_t nargs, int64_t *total)
{
    struct store_rows rows;
    err_t err = store_query_first(c, ar, sql, args, nargs, &rows);
    if (!err)
        *total = store_rows_i64(&rows, 0, 0);
    return err;
}

err_t censor_store_images(struct store_conn *c, struct arena *ar, const char *live_id,
                          int is_review, int64_t offset, int64_t limit, struct censor_image **out,
                          size_t *n, int64_t *total)
{
    struct sql_arg args[4];
    size_t na;
    struct store_rows rows;
    const char *where = image_filter(ar, live_id, is_review, args, &na);
    err_t err =
        count_rows(c, ar, arena_printf(ar, "SELECT count(*) FROM censor_image WHERE %s", where),
                   args, na, total);
    if (err)
        return err;
    const char *order = is_review == 1 ? "review_answer DESC, created_at DESC, id DESC"
                                       : "created_at DESC, id DESC";
    const char *sql = arena_printf(
        ar,
        "SELECT id, url, job_id, created_at, suggestion, pulp, terror, politician, ads, "
        "live_id, is_review, review_answer, review_user_id, review_time FROM censor_image "
        "WHERE %s ORDER BY %s LIMIT ? OFFSET ?",
        where, order);
    args[na] = SQL_I64(limit);
    args[na + 1] = SQL_I64(offset);
    err = store_query(c, ar, sql, args, na + 2, &rows);
    if (err)
        return err;
    *n = rows.nrows;
    *out = arena_zalloc(ar, (rows.nrows + 1) * sizeof(**out));
    for (size_t i = 0; i < rows.nrows; i++)
        image_from_row(&rows, i, &(*out)[i]);
    return ERR_OK;
}

static void live_from_row(const struct store_rows *r, size_t i, struct censor_live *m)
{
    m->live_id = store_rows_text(r, i, 0);
    m->title = store_rows_text(r, i, 1);
    m->anchor_id = store_rows_text(r, i, 2);
    m->nick = store_rows_text(r, i, 3);
    m->live_status = store_rows_i64(r, i, 4);
    m->anchor_status = store_rows_i64(r, i, 5);
    m->stop_reason = store_rows_text(r, i, 6);
    m->stop_at = store_rows_time(r, i, 7);
    m->start_at = store_rows_time(r, i, 8);
    m->count = store_rows_i64(r, i, 9);
    m->violation_count = store_rows_i64(r, i, 10);
    m->ai_count = store_rows_i64(r, i, 11);
    m->time = store_rows_i64(r, i, 12);
    m->push_url = store_rows_text(r, i, 13);
    m->rtmp_play_url = store_rows_text(r, i, 14);
    m->flv_play_url = store_rows_text(r, i, 15);
    m->hls_play_url = store_rows_text(r, i, 16);
}

/* One statement per page (no per-live queries): the anchor's presence in the room, its nick
 * and both image counts come from subqueries and a join on unique keys. */
#define LIVES_WHERE_ALL "l.deleted_at IS NULL AND l.unreview_censor_count >= 0"
#define LIVES_WHERE_UNREVIEWED                                                                     \
    LIVES_WHERE_ALL " AND l.unreview_censor_count > 0 AND COALESCE(l.stop_reason, '') <> 'censor'"
#define LIVES_SELECT                                                                               \
    "SELECT l.live_id, l.title, l.anchor_id, u.nick, l.status, (SELECT p.status FROM "             \
    "live_room_user_entities p WHERE p.user_id = l.anchor_id AND p.live_id = l.live_id AND "       \
    "p.deleted_at IS NULL ORDER BY p.id LIMIT 1), l.stop_reason, l.stop_at, l.start_at, "          \
    "l.unreview_censor_count, (SELECT count(*) FROM censor_image i WHERE i.live_id = l.live_id "   \
    "AND i.review_answer = 2), (SELECT count(*) FROM censor_image i WHERE i.live_id = "            \
    "l.live_id), l.last_censor_time, l.push_url, l.rtmp_play_url, l.flv_play_url, "                \
    "l.hls_play_url FROM live_entities l LEFT JOIN live_users u ON u.user_id = l.anchor_id AND "   \
    "u.deleted_at IS NULL WHERE "
#define LIVES_ORDER " ORDER BY l.last_censor_time DESC, l.id DESC LIMIT ? OFFSET ?"

err_t censor_store_lives(struct store_conn *c, struct arena *ar, bool unreviewed_only,
                         int64_t offset, int64_t limit, struct censor_live **out, size_t *n,
                         int64_t *total)
{
    struct store_rows rows;
    struct sql_arg args[] = {SQL_I64(limit), SQL_I64(offset)};
    err_t err = count_rows(
        c, ar,
        unreviewed_only ? "SELECT count(*) FROM live_entities l WHERE " LIVES_WHERE_UNREVIEWED
                        : "SELECT count(*) FROM live_entities l WHERE " LIVES_WHERE_ALL,
        NULL, 0, total);
    if (!err)
        err = store_query(c, ar,
                          unreviewed_only ? LIVES_SELECT LIVES_WHERE_UNREVIEWED LIVES_ORDER
                                          : LIVES_SELECT LIVES_WHERE_ALL LIVES_ORDER,
                          args, 2, &rows);
    if (err)
        return err;
    *n = rows.nrows;
    *out = arena_zalloc(ar, (rows.nrows + 1) * sizeof(**out));
    for (size_t i = 0; i < rows.nrows; i++)
        live_from_row(&rows, i, &(*out)[i]);
    return ERR_OK;
}
