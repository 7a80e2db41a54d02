#ifndef QNLIVE_BIZ_USER_H
#define QNLIVE_BIZ_USER_H

/* The user service: live_users rows and their IM accounts. Strings of a
 * user_row live in the arena passed to the call. */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct app;
struct arena;
struct store_rows;

enum {
    USER_ID_MAX = 64,
    USER_NICK_MAX = 64,
    USER_AVATAR_MAX = 255,
    USER_BATCH_MAX = 200,
};

struct user_row {
    int64_t id;
    const char *user_id;
    const char *nick;
    const char *avatar;
    const char *extends_json; /* JSON object text or NULL (SQL NULL / "null") */
    int64_t im_userid;
    const char *im_username;
    const char *im_password;
    int64_t created_at;
    int64_t updated_at;
};

/* Profile fields a client or business server may set; NULL / empty means "keep". */
struct user_update {
    const char *nick;
    const char *avatar;
    json_t *extends; /* borrowed; merged key-wise over the stored map */
};

/* Finds a live (not soft-deleted) user. ERR_NOT_FOUND when absent, ERR_UNAVAILABLE when the
 * database is unreachable. */
err_t user_find(struct app *a, struct arena *ar, const char *user_id,
                struct user_row *out) MUST_USE;

/* Finds the user or creates it with only its user_id (token issuing). A new user
 * gets one IM registration attempt; a failure leaves im_userid 0 for the retry job. */
err_t user_find_or_create(struct app *a, struct arena *ar, const char *user_id,
                          struct user_row *out) MUST_USE;

/* Registers a new user (U6). ERR_EXISTS when the user_id is taken. */
err_t user_register(struct app *a, struct arena *ar, const char *user_id,
                    const struct user_update *in) MUST_USE;

/* Applies a profile update (U3, U8): ERR_NOT_FOUND for an unknown user. */
err_t user_update_profile(struct app *a, struct arena *ar, const char *user_id,
                          const struct user_update *in) MUST_USE;

/* Loads the users among `ids` (missing ones omitted). */
err_t user_list_by_ids(struct app *a, struct arena *ar, const char *const *ids, size_t n,
                       struct user_row **out, size_t *n_out) MUST_USE;

/* Loads the users whose im_userid is among `im_ids`. */
err_t user_list_by_im_ids(struct app *a, struct arena *ar, const int64_t *im_ids, size_t n,
                          struct user_row **out, size_t *n_out) MUST_USE;

/* The live_users columns of a user_row under the table alias `u`, in the order user_row_from
 * decodes them: another module's store joins live_users with it instead of a second query. */
#define USER_ROW_COLUMNS_U                                                                         \
    "u.id, u.user_id, u.nick, u.avatar, u.extends, u.im_userid, u.im_username, u.im_password, "    \
    "u.created_at, u.updated_at"

/* Decodes the USER_ROW_COLUMNS_U cells starting at column col0 of row i (strings borrowed from
 * the rows' arena). */
void user_row_from(const struct store_rows *rows, size_t i, size_t col0, struct user_row *u);

/* UserBrief JSON; im_username only when asked and non-empty. */
json_t *user_brief_json(const struct user_row *u, bool with_im_username);

/* UserProfile JSON, IM credentials included. */
json_t *user_profile_json(const struct user_row *u);

/* Registers the user routes and the IM-registration retry job, and installs the client-auth
 * user lookup into the app. */
void user_module_register(struct app *a);

#endif
