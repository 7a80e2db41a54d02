#define LOG_MODULE "admin"
#include "biz/admin/admin.h"

#include <string.h>
#include <time.h>

#include "app.h"
#include "biz/admin/admin_store.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/str.h"
#include "http/req.h"
#include "store/store.h"

err_t admin_login(struct app *a, struct arena *ar, const char *user_name, const char *password,
                  struct admin_row *out)
{
    struct store_conn *c = NULL;
    const char *stored = NULL;
    err_t err = store_acquire(a->store, false, &c);
    if (!err)
        err = admin_store_find_by_name(c, ar, user_name, out, &stored);
    store_release(c);
    if (err == ERR_NOT_FOUND)
        return ERR_LOGIN_UNKNOWN;
    if (err)
        return err;
    if (!stored || !str_equal_ct(stored, strlen(stored), password, strlen(password)))
        return ERR_FORBIDDEN;
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
        .at = (int64_t)time(NULL),
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
