#define LOG_MODULE "user"
#include "biz/user/user_store.h"

#include <string.h>

#include "core/mem.h"
#include "store/store.h"

#define USER_COLUMNS                                                                               \
    "id, user_id, nick, avatar, extends, im_userid, im_username, im_password, created_at, "        \
    "updated_at"

void user_row_from(const struct store_rows *rows, size_t i, size_t col0, struct user_row *u)
{
    u->id = store_rows_i64(rows, i, col0 + 0);
    u->user_id = store_rows_str(rows, i, col0 + 1);
    u->nick = store_rows_str(rows, i, col0 + 2);
    u->avatar = store_rows_str(rows, i, col0 + 3);
    u->extends_json = store_rows_str(rows, i, col0 + 4);
    u->im_userid = store_rows_i64(rows, i, col0 + 5);
    u->im_username = store_rows_str(rows, i, col0 + 6);
    u->im_password = store_rows_str(rows, i, col0 + 7);
    u->created_at = store_rows_time(rows, i, col0 + 8);
    u->updated_at = store_rows_time(rows, i, col0 + 9);
}

static void row_to_user(const struct store_rows *rows, size_t i, struct user_row *u)
{
    user_row_from(rows, i, 0, u);
}

err_t user_store_find(struct store_conn *c, struct arena *ar, const char *user_id,
                      struct user_row *out)
{
    static const char sql[] = "SELECT " USER_COLUMNS " FROM live_users WHERE deleted_at IS NULL "
                              "AND user_id = ? ORDER BY id LIMIT 1";
    struct sql_arg args[] = {SQL_STR(user_id)};
    struct store_rows rows;
    err_t err = store_query_first(c, ar, sql, args, ARRAY_LEN(args), &rows);
    if (!err)
        row_to_user(&rows, 0, out);
    return err;
}

err_t user_store_insert(struct store_conn *c, const char *user_id, const char *nick,
                        const char *avatar, const char *extends_json, int64_t now, bool *created)
{
    static const char sql[] = "INSERT INTO live_users (user_id, nick, avatar, extends, im_userid, "
                              "created_at, updated_at) VALUES (?, ?, ?, ?, 0, ?, ?)";
    struct sql_arg args[] = {
        SQL_STR(user_id),
        SQL_STR(nick ? nick : ""),
        SQL_STR(avatar ? avatar : ""),
        SQL_STR(extends_json),
        SQL_TIME(now),
        SQL_TIME(now),
    };
    err_t err = store_exec(c, sql, args, ARRAY_LEN(args), NULL);
    *created = err == ERR_OK;
    /* a concurrent creator won the unique key: the row exists, which callers check */
    return err == ERR_EXISTS ? ERR_OK : err;
}

err_t user_store_update(struct store_conn *c, const char *user_id, const char *nick,
                        const char *avatar, const char *extends_json, int64_t now)
{
    /* COALESCE keeps a column when its argument is NULL: one statement, no read-modify-write
     * of the columns the caller does not change */
    static const char sql[] = "UPDATE live_users SET nick = COALESCE(?, nick), "
                              "avatar = COALESCE(?, avatar), extends = COALESCE(?, extends), "
                              "updated_at = ? WHERE deleted_at IS NULL AND user_id = ?";
    struct sql_arg args[] = {SQL_STR(nick), SQL_STR(avatar), SQL_STR(extends_json), SQL_TIME(now),
                             SQL_STR(user_id)};
    return store_exec(c, sql, args, ARRAY_LEN(args), NULL);
}

err_t user_store_set_im(struct store_conn *c, const char *user_id, int64_t im_userid,
                        const char *im_username, const char *im_password, int64_t now)
{
    static const char sql[] = "UPDATE live_users SET im_userid = ?, im_username = ?, "
                              "im_password = ?, updated_at = ? WHERE deleted_at IS NULL AND "
                              "user_id = ?";
    struct sql_arg args[] = {SQL_I64(im_userid), SQL_STR(im_username), SQL_STR(im_password),
                             SQL_TIME(now), SQL_STR(user_id)};
    return store_exec(c, sql, args, ARRAY_LEN(args), NULL);
}

err_t user_store_list(struct store_conn *c, struct arena *ar, const char *by,
                      const struct sql_arg *vals, size_t n, struct user_row **out, size_t *n_out)
{
    const char *col = strcmp(by, "im_userid") == 0 ? "im_userid" : "user_id";
    const char *sql = arena_printf(ar,
                                   "SELECT " USER_COLUMNS " FROM live_users WHERE deleted_at IS "
                                   "NULL AND %s IN (%s) ORDER BY id",
                                   col, store_sql_placeholders(ar, n));
    struct store_rows rows;
    err_t err = store_query(c, ar, sql, vals, n, &rows);
    if (err)
        return err;
    *out = arena_zalloc(ar, (rows.nrows + 1) * sizeof(**out));
    for (size_t i = 0; i < rows.nrows; i++)
        row_to_user(&rows, i, &(*out)[i]);
    *n_out = rows.nrows;
    return ERR_OK;
}

err_t user_store_list_unregistered(struct store_conn *c, struct arena *ar, size_t limit,
                                   const char ***out, size_t *n_out)
{
    static const char sql[] = "SELECT user_id FROM live_users WHERE deleted_at IS NULL AND "
                              "(im_userid = 0 OR im_userid IS NULL) ORDER BY id LIMIT ?";
    struct sql_arg args[] = {SQL_I64(limit)};
    struct store_rows rows;
    err_t err = store_query(c, ar, sql, args, ARRAY_LEN(args), &rows);
    if (err)
        return err;
    *out = arena_zalloc(ar, (rows.nrows + 1) * sizeof(**out));
    for (size_t i = 0; i < rows.nrows; i++)
        (*out)[i] = store_rows_str(&rows, i, 0);
    *n_out = rows.nrows;
    return ERR_OK;
}
