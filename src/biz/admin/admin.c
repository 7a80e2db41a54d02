#define LOG_MODULE "admin"
#include "biz/admin/admin.h"

#include <inttypes.h>
#include <string.h>

#include "app.h"
#include "biz/admin/admin_password.h"
#include "biz/admin/admin_store.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/str.h"
#include "http/req.h"
#include "store/store.h"

/* A plaintext reference row that just logged in is rewritten hashed; a failure only delays that
 * to the next login. */
static void rehash_plaintext(struct app *a, int64_t id, const char *stored, const char *password)
{
    char hash[ADMIN_HASH_MAX];
    struct store_conn *c = NULL;
    err_t err = admin_password_hash(password, (int)a->conf.auth.admin_hash_iterations, hash);
    if (!err)
        err = store_acquire(a->store, false, &c);
    if (!err)
        err = admin_store_rehash(c, id, stored, hash);
    store_release(c);
    if (err)
        log_warn("plaintext admin password of id=%" PRId64 " not rehashed: %s", id, err_name(err));
    else
        log_info("plaintext admin password of id=%" PRId64 " replaced by a hash", id);
}

err_t admin_login(struct app *a, struct arena *ar, const char *user_name, const char *password,
                  struct admin_row *out)
{
    struct store_conn *c = NULL;
    const char *stored = NULL;
    bool rehash = false;
    err_t err = store_acquire(a->store, false, &c);
    if (!err)
        err = admin_store_find_by_name(c, ar, user_name, out, &stored);
    store_release(c);
    if (err == ERR_NOT_FOUND)
        return ERR_LOGIN_UNKNOWN;
    if (err)
        return err;
    if (!admin_password_verify(stored, password, &rehash))
        return ERR_FORBIDDEN;
    if (rehash)
        rehash_plaintext(a, out->id, stored, password);
    return ERR_OK;
}

err_t admin_add(struct store *s, int iterations, const char *user_name, const char *user_id,
                const char *password, const char *description)
{
    char hash[ADMIN_HASH_MAX];
    struct store_conn *c = NULL;
    struct admin_row row;
    const char *stored = NULL;
    struct arena *ar = arena_new();
    err_t err = admin_password_hash(password, iterations, hash);
    if (!err)
        err = store_acquire(s, false, &c);
    if (!err) {
        /* login takes the first row of a name: a second one could never log in */
        err = admin_store_find_by_name(c, ar, user_name, &row, &stored);
        err = err == ERR_NOT_FOUND ? ERR_OK : err ? err : ERR_EXISTS;
    }
    if (!err)
        err = admin_store_insert(c, user_name, user_id, hash, description);
    store_release(c);
    arena_free(&ar);
    return err;
}

err_t admin_set_password(struct store *s, int iterations, const char *user_name,
                         const char *password)
{
    char hash[ADMIN_HASH_MAX];
    struct store_conn *c = NULL;
    int64_t n = 0;
    err_t err = admin_password_hash(password, iterations, hash);
    if (!err)
        err = store_acquire(s, false, &c);
    if (!err)
        err = admin_store_set_password(c, user_name, hash, &n);
    store_release(c);
    return !err && n == 0 ? ERR_NOT_FOUND : err;
}

err_t admin_list(struct store *s, struct arena *ar, struct admin_entry **out, size_t *n)
{
    struct store_conn *c = NULL;
    struct admin_row *rows = NULL;
    const char **passwords = NULL, **descriptions = NULL;
    err_t err = store_acquire(s, false, &c);
    *n = 0;
    if (!err)
        err = admin_store_list(c, ar, &rows, &passwords, &descriptions, n);
    store_release(c);
    if (err)
        return err;
    *out = arena_alloc(ar, (*n + 1) * sizeof(**out));
    for (size_t i = 0; i < *n; i++)
        (*out)[i] = (struct admin_entry){.row = rows[i],
                                         .description = descriptions[i],
                                         .is_hashed = admin_password_is_hashed(passwords[i])};
    return ERR_OK;
}

static err_t find_admin_user(struct req *r, const char *user_id)
{
    struct store_conn *c = NULL;
    err_t err = store_acquire(r->app->store, false, &c);
    if (!err)
        err = admin_store_exists(c, r->arena, user_id);
    store_release(c);
    return err;
}

/* The request URI as the reference records it: path plus the raw query. */
static const char *request_uri(struct req *r)
{
    if (!r->raw_query[0])
        return r->path;
    return arena_printf(r->arena, "%s?%s", r->path, r->raw_query);
}

static void log_admin_operation(struct req *r, int status)
{
    struct admin_op op = {
        .user_id = r->user_id,
        .ip = r->client_ip,
        .method = r->method,
        .url = request_uri(r),
        .args = strcmp(r->method, "GET") == 0 || !r->body ? "" : r->body,
        .status = status,
        .at = clock_now_s(r->app->clock),
    };
    struct store_conn *c = NULL;
    err_t err = store_acquire(r->app->store, false, &c);
    if (!err)
        err = admin_store_log_operation(c, r->arena, &op);
    store_release(c);
    if (err)
        log_warn("operation log not written: %s", err_name(err));
}

void admin_module_register(struct app *a)
{
    a->auth.find_admin_user = find_admin_user;
    a->auth.log_admin_operation = log_admin_operation;
}
