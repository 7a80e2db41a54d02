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

err_t admin_store_rehash(struct store_conn *c, int64_t id, const char *old, const char *hash)
{
    static const char sql[] = "UPDATE admin_user SET password = ? WHERE id = ? AND password = ?";
    struct sql_arg args[] = {SQL_STR(hash), SQL_I64(id), SQL_STR(old)};
    return store_exec(c, sql, args, ARRAY_LEN(args), NULL);
}

err_t admin_store_insert(struct store_conn *c, const char *user_name, const char *user_id,
                         const char *hash, const char *description)
{
    static const char sql[] = "INSERT INTO admin_user (user_name, user_id, password, description) "
                              "VALUES (?, ?, ?, ?)";
    struct sql_arg args[] = {SQL_STR(user_name), SQL_STR(user_id), SQL_STR(hash),
                             SQL_STR(description)};
    return store_insert(c, sql, args, ARRAY_LEN(args), NULL);
}

err_t admin_store_set_password(struct store_conn *c, const char *user_name, const char *hash,
                               int64_t *n)
{
    static const char sql[] = "UPDATE admin_user SET password = ? WHERE user_name = ?";
    struct sql_arg args[] = {SQL_STR(hash), SQL_STR(user_name)};
    return store_exec(c, sql, args, ARRAY_LEN(args), n);
}

err_t admin_store_list(struct store_conn *c, struct arena *ar, struct admin_row **rows,
                       const char ***passwords, const char ***descriptions, size_t *n)
{
    static const char sql[] = "SELECT id, user_name, user_id, password, description "
                              "FROM admin_user ORDER BY id";
    struct store_rows r;
    err_t err = store_query(c, ar, sql, NULL, 0, &r);
    *n = 0;
    if (err)
        return err;
    *rows = arena_alloc(ar, (r.nrows + 1) * sizeof(**rows));
    *passwords = arena_alloc(ar, (r.nrows + 1) * sizeof(**passwords));
    *descriptions = arena_alloc(ar, (r.nrows + 1) * sizeof(**descriptions));
    for (size_t i = 0; i < r.nrows; i++) {
        const char *name = store_rows_str(&r, i, 1), *uid = store_rows_str(&r, i, 2);
        const char *desc = store_rows_str(&r, i, 4);
        (*rows)[i] = (struct admin_row){.id = store_rows_i64(&r, i, 0),
                                        .user_name = name ? name : "",
                                        .user_id = uid ? uid : ""};
        (*passwords)[i] = store_rows_str(&r, i, 3);
        (*descriptions)[i] = desc ? desc : "";
    }
    *n = r.nrows;
    return ERR_OK;
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
