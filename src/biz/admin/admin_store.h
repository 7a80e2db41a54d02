#ifndef QNLIVE_BIZ_ADMIN_STORE_H
#define QNLIVE_BIZ_ADMIN_STORE_H

/* SQL of the admin module (admin_user, operation_log). Private to biz/admin. */

#include <stdint.h>

#include "biz/admin/admin.h"

struct store_conn;

struct admin_op {
    const char *user_id;
    const char *ip;
    const char *method;
    const char *url;
    const char *args;
    int status;
    int64_t at;
};

/* First admin_user row with this user_name (by id); *password gets the stored password. */
err_t admin_store_find_by_name(struct store_conn *c, struct arena *ar, const char *user_name,
                               struct admin_row *out, const char **password) MUST_USE;

/* Replaces the password of row `id` if it still holds `old` (a concurrent change wins). */
err_t admin_store_rehash(struct store_conn *c, int64_t id, const char *old,
                         const char *hash) MUST_USE;

/* Inserts an admin_user row; ERR_EXISTS when the user_id is taken. */
err_t admin_store_insert(struct store_conn *c, const char *user_name, const char *user_id,
                         const char *hash, const char *description) MUST_USE;

/* Sets the password of every row named user_name; *n gets how many. */
err_t admin_store_set_password(struct store_conn *c, const char *user_name, const char *hash,
                               int64_t *n) MUST_USE;

/* Every admin_user row by id (password column in *passwords[i]); arrays from the arena. */
err_t admin_store_list(struct store_conn *c, struct arena *ar, struct admin_row **rows,
                       const char ***passwords, const char ***descriptions, size_t *n) MUST_USE;

/* ERR_OK when an admin_user row has this user_id, ERR_NOT_FOUND otherwise. */
err_t admin_store_exists(struct store_conn *c, struct arena *ar, const char *user_id) MUST_USE;

/* Inserts one operation_log row, values truncated to the column sizes. */
err_t admin_store_log_operation(struct store_conn *c, struct arena *ar,
                                const struct admin_op *op) MUST_USE;

#endif
