#ifndef QNLIVE_BIZ_USER_STORE_H
#define QNLIVE_BIZ_USER_STORE_H

/* SQL of the user module (live_users). Private to biz/user. */

#include <stdbool.h>

#include "biz/user/user.h"

struct store_conn;
struct sql_arg;

/* Loads the live row of user_id. ERR_NOT_FOUND when absent. */
err_t user_store_find(struct store_conn *c, struct arena *ar, const char *user_id,
                      struct user_row *out) MUST_USE;

/* Inserts a row (nick/avatar/extends may be NULL) unless one exists; *created tells which. */
err_t user_store_insert(struct store_conn *c, const char *user_id, const char *nick,
                        const char *avatar, const char *extends_json, int64_t now,
                        bool *created) MUST_USE;

/* Writes nick, avatar and extends (NULL keeps a column) of a live row. */
err_t user_store_update(struct store_conn *c, const char *user_id, const char *nick,
                        const char *avatar, const char *extends_json, int64_t now) MUST_USE;

/* Records a successful IM registration. */
err_t user_store_set_im(struct store_conn *c, const char *user_id, int64_t im_userid,
                        const char *im_username, const char *im_password, int64_t now) MUST_USE;

/* Rows whose column `by` ("user_id" or "im_userid") is among the n values. */
err_t user_store_list(struct store_conn *c, struct arena *ar, const char *by,
                      const struct sql_arg *vals, size_t n, struct user_row **out,
                      size_t *n_out) MUST_USE;

/* Up to `limit` user_ids still waiting for an IM account (im_userid 0 or NULL). */
err_t user_store_list_unregistered(struct store_conn *c, struct arena *ar, size_t limit,
                                   const char ***out, size_t *n_out) MUST_USE;

#endif
