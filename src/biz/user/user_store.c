#define LOG_MODULE "user"
#include "biz/user/user_store.h"

#include "core/mem.h"
#include "store/store.h"

static const char USER_COLUMNS[] =
    "id, user_id, nick, avatar, extends, im_userid, im_username, im_password, created_at, "
    "updated_at";

static void row_to_user(const struct store_rows *rows, size_t i, struct user_row *u)
{
    u->id = store_rows_i64(rows, i, 0);
    u->user_id = store_rows_str(rows, i, 1);
    u->nick = store_rows_str(rows, i, 2);
    u->avatar = store_rows_str(rows, i, 3);
    u->extends_json = store_rows_str(rows, i, 4);
    u->im_userid = store_rows_i64(rows, i, 5);
    u->im_username = store_rows_str(rows, i, 6);
    u->im_password = store_rows_str(rows, i, 7);
    u->created_at = store_rows_time(rows, i, 8);
    u->updated_at = store_rows_time(rows, i, 9);
}

err_t user_store_find(struct store_conn *c, struct arena *ar, const char *user_id,
                      struct user_row *out)
{
    struct store_rows rows;
    const char *sql = arena_printf(ar,
                                   "SELECT %s FROM live_users WHERE deleted_at IS NULL AND "
                                   "user_id = ? ORDER BY id LIMIT 1",
                                   USER_COLUMNS);
    struct sql_arg args[] = {SQL_STR(user_id)};
    err_t err = store_query_first(c, ar, sql, args, ARRAY_LEN(args), &rows);
    if (!err)
        row_to_user(&rows, 0, out);
    return err;
}

err_t user_store_insert_bare(struct store_conn *c, const char *user_id, int64_t now,
                             bool *created)
{
    static const char sql[] =
        "INSERT INTO live_users (user_id, nick, avatar, im_userid, created_at, updated_at) "
        "VALUES (?, '', '', 0, ?, ?)";
    struct sql_arg args[] = {SQL_STR(user_id), SQL_TIME(now), SQL_TIME(now)};
    err_t err = store_exec(c, sql, args, ARRAY_LEN(args), NULL);
    *created = err == ERR_OK;
    /* a concurrent creator won the unique key: the row exists, which is all we need */
    return err == ERR_EXISTS ? ERR_OK : err;
}
