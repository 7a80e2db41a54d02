#define LOG_MODULE "user"
#include "biz/user/user.h"

#include <time.h>

#include "app.h"
#include "biz/user/user_store.h"
#include "http/req.h"
#include "store/store.h"

err_t user_find(struct app *a, struct arena *ar, const char *user_id, struct user_row *out)
{
    struct store_conn *c = NULL;
    err_t err = store_acquire(a->store, true, &c);
    if (!err)
        err = user_store_find(c, ar, user_id, out);
    store_release(c);
    return err;
}

/* Reads from the primary: used right after a write, or after a replica miss (W-9). */
static err_t find_primary(struct app *a, struct arena *ar, const char *user_id,
                          struct user_row *out)
{
    struct store_conn *c = NULL;
    err_t err = store_acquire(a->store, false, &c);
    if (!err)
        err = user_store_find(c, ar, user_id, out);
    store_release(c);
    return err;
}

err_t user_find_or_create(struct app *a, struct arena *ar, const char *user_id,
                          struct user_row *out)
{
    err_t err = user_find(a, ar, user_id, out);
    if (err != ERR_NOT_FOUND)
        return err;
    struct store_conn *c = NULL;
    bool created = false;
    err = store_acquire(a->store, false, &c);
    if (!err)
        err = user_store_insert_bare(c, user_id, (int64_t)time(NULL), &created);
    if (!err)
        err = user_store_find(c, ar, user_id, out);
    store_release(c);
    return err;
}

static err_t find_client_user(struct req *r, const char *user_id, int64_t *im_userid)
{
    struct user_row u;
    err_t err = user_find(r->app, r->arena, user_id, &u);
    if (err == ERR_NOT_FOUND)
        err = find_primary(r->app, r->arena, user_id, &u);
    if (!err)
        *im_userid = u.im_userid;
    return err;
}

void user_module_register(struct app *a)
{
    a->auth.find_client_user = find_client_user;
}
