#ifndef QNLIVE_BIZ_USER_H
#define QNLIVE_BIZ_USER_H

/* The user service: live_users rows (spec 02 §1.3, §6). Strings of a user_row live in the
 * arena passed to the call. */

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"

struct app;
struct arena;
struct router;

enum {
    USER_ID_MAX = 64,
    USER_NICK_MAX = 64,
    USER_AVATAR_MAX = 255,
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

/* Finds a live (not soft-deleted) user. ERR_NOT_FOUND when absent, ERR_UNAVAILABLE when the
 * database is unreachable. */
err_t user_find(struct app *a, struct arena *ar, const char *user_id, struct user_row *out) MUST_USE;

/* Finds the user or creates it with only its user_id (token issuing, spec 01 §5.4). A new user
 * is queued for IM registration; the call never waits for IM. */
err_t user_find_or_create(struct app *a, struct arena *ar, const char *user_id,
                          struct user_row *out) MUST_USE;

/* Registers the user routes and the IM-registration retry job, and installs the client-auth
 * user lookup into the app. */
void user_module_register(struct app *a);

#endif
