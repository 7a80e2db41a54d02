#ifndef QNLIVE_BIZ_ADMIN_H
#define QNLIVE_BIZ_ADMIN_H

/* Admin accounts (admin_user, spec 01 §5.3) and the admin operation log (§9.4). */

#include <stdint.h>

#include "core/err.h"

struct app;
struct arena;

struct admin_row {
    int64_t id;
    const char *user_name;
    const char *user_id;
};

/* Checks a login. ERR_LOGIN_UNKNOWN for an unknown user name, ERR_FORBIDDEN for a wrong
 * password (the reference's two distinct answers), store errors otherwise. */
err_t admin_login(struct app *a, struct arena *ar, const char *user_name, const char *password,
                  struct admin_row *out) MUST_USE;

/* Installs the admin lookup and the operation log into the app's auth hooks. */
void admin_module_register(struct app *a);

#endif
