#define LOG_MODULE "admin"
#include "biz/admin/admin_store.h"

#include <string.h>

#include "core/mem.h"
#include "store/store.h"

err_t admin_store_find_by_name(struct store_conn *c, struct arena *ar, const char *user_name,
                               struct admin_row *out, const char **password)
{
    static const char sql[] = "SELECT id, user_name, user_id, password FROM admin_user "
                              "WHERE user_name = ? ORDER BY id LIMIT 1";
    struct sql_arg args[] = {SQL_STR(user_name)};
    struct store_rows rows;
    err_t err = store_query_first(c, ar, sql, args, ARRAY_LEN(args), &rows);
    if (err)
        return err;
    out->id = store_rows_i64(&rows, 0, 0);
    out->user_name = store_rows_str(&rows, 0, 1);
    out->user_id = store_rows_str(&rows, 0, 2);
    *password = store_rows_str(&rows, 0, 3);
    if (!out->user_id)
        out->user_id = "";
    return ERR_OK;
}

err_t admin_store_exists(struct store_conn *c, struct arena *ar, const char *user_id)
{
    static const char sql[] = "SELECT id FROM admin_user WHERE user_id = ? LIMIT 1";
    struct sql_arg args[] = {SQL_STR(user_id)};
    struct store_rows rows;
    return store_query_first(c, ar, sql, args, ARRAY_LEN(args), &rows);
}

/* Cuts a string to at most n bytes without splitting a UTF-8 sequence. */
static const char *clip(struct arena *ar, const char *s, size_t n)
{
    size_t len = s ? strlen(s) : 0;
    if (len <= n)
        return s ? s : "";
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return arena_strndup(ar, s, n);
}

err_t admin_store_log_operation(struct store_conn *c, struct arena *ar, const struct admin_op *op)
{
    static const char sql[] = "INSERT INTO operation_log (user_id, ip, method, url, args, "
                              "status_code, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)";
    struct sql_arg args[] = {
        SQL_STR(clip(ar, op->user_id, 30)),
        SQL_STR(clip(ar, op->ip, 30)),
        SQL_STR(clip(ar, op->method, 10)),
        SQL_STR(clip(ar, op->url, 1024)),
        SQL_STR(clip(ar, op->args, 1024)),
        SQL_I64(op->status),
        SQL_TIME(op->at),
    };
    return store_insert(c, sql, args, ARRAY_LEN(args), NULL);
}
