#ifndef QNLIVE_BIZ_ADMIN_H
#define QNLIVE_BIZ_ADMIN_H

/* Admin accounts (admin_user) and the admin operation log. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct app;
struct arena;
struct store;

struct admin_row {
    int64_t id;
    const char *user_name;
    const char *user_id;
};

/* Checks a login. ERR_LOGIN_UNKNOWN for an unknown user name, ERR_FORBIDDEN for a wrong
 * password (the reference's two distinct answers), store errors otherwise. Passwords are stored
 * as slow salted hashes (admin_password.h); a plaintext row written for the reference logs in
 * and is rewritten hashed. */
err_t admin_login(struct app *a, struct arena *ar, const char *user_name, const char *password,
                  struct admin_row *out) MUST_USE;

/* One row for `qnlive admin list`: never the password, only whether it is hashed. */
struct admin_entry {
    struct admin_row row;
    const char *description;
    bool is_hashed;
};

/* Operators' tool (`qnlive admin ...`), on an open store. admin_add: a new row with the password
 * hashed; ERR_EXISTS when the user name or the user_id is taken. admin_set_password: rehashes
 * every row of the name; ERR_NOT_FOUND when there is none. admin_list: every row by id, arrays
 * from `ar`. Store errors otherwise (ERR_INTERNAL also when hashing fails). */
err_t admin_add(struct store *s, int iterations, const char *user_name, const char *user_id,
                const char *password, const char *description) MUST_USE;
err_t admin_set_password(struct store *s, int iterations, const char *user_name,
                         const char *password) MUST_USE;
err_t admin_list(struct store *s, struct arena *ar, struct admin_entry **out, size_t *n) MUST_USE;

/* Installs the admin lookup and the operation log into the app's auth hooks. */
void admin_module_register(struct app *a);

#endif
