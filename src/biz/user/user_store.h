#ifndef QNLIVE_BIZ_USER_STORE_H
#define QNLIVE_BIZ_USER_STORE_H

/* SQL of the user module (live_users). Private to biz/user. */

#include <stdbool.h>

#include "biz/user/user.h"

struct store_conn;

/* Loads the live row of user_id. ERR_NOT_FOUND when absent. */
err_t user_store_find(struct store_conn *c, struct arena *ar, const char *user_id,
                      struct user_row *out) MUST_USE;

/* Inserts a row with only user_id (and times) unless one exists; *created tells which. */
err_t user_store_insert_bare(struct store_conn *c, const char *user_id, int64_t now,
                             bool *created) MUST_USE;

#endif
