#define LOG_MODULE "user"
#include "biz/user/user.h"

#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "biz/live/live.h"
#include "biz/user/user_int.h"
#include "biz/user/user_store.h"
#include "clients/im.h"
#include "core/clock.h"
#include "core/jv.h"
#include "core/textcache.h"
#include "cron/cron.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/noblock.h"
#include "http/req.h"
#include "store/store.h"

static err_t find_in_store(struct app *a, struct arena *ar, bool replica, const char *user_id,
                           struct user_row *out)
{
    struct store_conn *c = NULL;
    err_t err = store_acquire(a->store, replica, &c);
    if (!err)
        err = user_store_find(c, ar, user_id, out);
    store_release(c);
    return err;
}

/* Reads from the primary: used right after a write, or after a replica miss. */
static err_t find_primary(struct app *a, struct arena *ar, const char *user_id,
                          struct user_row *out)
{
    return find_in_store(a, ar, false, user_id, out);
}

/* The shared cache first; a miss reads the primary (a replica could still show the row from
 * before the change that emptied the cache) and fills the cache. Without a readable cache, the
 * replica answers as before. */
err_t user_find(struct app *a, struct arena *ar, const char *user_id, struct user_row *out)
{
    struct user_cache_probe p;
    if (user_cache_get(a, ar, user_id, out, &p) == ERR_OK && p.hit)
        return ERR_OK;
    if (!p.usable)
        return find_in_store(a, ar, true, user_id, out);
    err_t err = find_primary(a, ar, user_id, out);
    if (!err)
        user_cache_fill(a, ar, out, &p);
    return err;
}

/* One IM registration attempt for a user. Off the auth path: called once when
 * the user is created and then by the retry job only. On success the row (and *u when given)
 * gets the IM id and credentials. */
static err_t register_im(struct app *a, const char *user_id, struct user_row *u)
{
    char password[IM_PASSWORD_SIZE];
    int64_t im_id = 0;
    if (!im_enabled(a->im))
        return ERR_OK;
    err_t err = im_password_generate(password);
    if (err)
        return err;
    char *username = im_username_dup(user_id);
    err = im_register_user(a->im, username, password, &im_id);
    struct store_conn *c = NULL;
    if (!err)
        err = store_acquire(a->store, false, &c);
    if (!err)
        err = user_store_set_im(c, user_id, im_id, username, password, clock_now_s(a->clock));
    store_release(c);
    if (!err) {
        user_cache_changed(a, user_id);
        live_views_anchor_changed(a, user_id); /* an anchor's brief shows its IM id */
    }
    if (!err && u) {
        u->im_userid = im_id;
        u->im_username = "";
        u->im_password = "";
    }
    if (err)
        log_warn("IM registration of %s failed (%s); the retry job will try again", user_id,
                 err_name(err));
    free(username);
    return err;
}

/* Inserts the user and gives it its one inline IM attempt. */
static err_t create_user(struct app *a, struct arena *ar, const char *user_id,
                         const struct user_update *in, bool *created)
{
    struct store_conn *c = NULL;
    const char *ext = in && in->extends ? jv_extends_dump(ar, in->extends) : NULL;
    err_t err = store_acquire(a->store, false, &c);
    if (!err)
        err = user_store_insert(c, user_id, in ? in->nick : NULL, in ? in->avatar : NULL, ext,
                                clock_now_s(a->clock), created);
    store_release(c);
    if (!err && *created && im_enabled(a->im))
        (void)register_im(a, user_id, NULL);
    return err;
}

err_t user_find_or_create(struct app *a, struct arena *ar, const char *user_id,
                          struct user_row *out)
{
    err_t err = user_find(a, ar, user_id, out);
    if (err != ERR_NOT_FOUND)
        return err;
    /* creating writes the row and registers with IM: never tried in place and half done */
    err = noblock_check();
    if (err)
        return err;
    bool created = false;
    err = create_user(a, ar, user_id, NULL, &created);
    if (!err)
        err = find_primary(a, ar, user_id, out);
    return err;
}

err_t user_register(struct app *a, struct arena *ar, const char *user_id,
                    const struct user_update *in)
{
    bool created = false;
    err_t err = create_user(a, ar, user_id, in, &created);
    if (!err && !created)
        err = ERR_EXISTS;
    return err;
}

err_t user_update_profile(struct app *a, struct arena *ar, const char *user_id,
                          const struct user_update *in)
{
    struct user_row u;
    err_t err = find_primary(a, ar, user_id, &u);
    if (err)
        return err;
    const char *nick = in->nick && in->nick[0] ? in->nick : NULL;
    const char *avatar = in->avatar && in->avatar[0] ? in->avatar : NULL;
    bool has_ext = in->extends && json_object_size(in->extends) > 0;
    if (!nick && !avatar && !has_ext)
        return ERR_OK; /* nothing to change: the reference writes nothing either */
    const char *ext = has_ext ? jv_extends_merge(ar, u.extends_json, in->extends) : NULL;
    struct store_conn *c = NULL;
    err = store_acquire(a->store, false, &c);
    if (!err)
        err = user_store_update(c, user_id, nick, avatar, ext, clock_now_s(a->clock));
    store_release(c);
    if (!err) {
        user_cache_changed(a, user_id);
        live_views_anchor_changed(a, user_id); /* room views show their anchor's profile */
    }
    return err;
}

err_t user_list_by_ids(struct app *a, struct arena *ar, const char *const *ids, size_t n,
                       struct user_row **out, size_t *n_out)
{
    struct sql_arg *args = arena_alloc(ar, n * sizeof(*args));
    for (size_t i = 0; i < n; i++)
        args[i] = SQL_STR(ids[i]);
    struct store_conn *c = NULL;
    err_t err = store_acquire(a->store, true, &c);
    if (!err)
        err = user_store_list(c, ar, "user_id", args, n, out, n_out);
    store_release(c);
    return err;
}

err_t user_list_by_im_ids(struct app *a, struct arena *ar, const int64_t *im_ids, size_t n,
                          struct user_row **out, size_t *n_out)
{
    struct sql_arg *args = arena_alloc(ar, n * sizeof(*args));
    for (size_t i = 0; i < n; i++)
        args[i] = SQL_I64(im_ids[i]);
    struct store_conn *c = NULL;
    err_t err = store_acquire(a->store, true, &c);
    if (!err)
        err = user_store_list(c, ar, "im_userid", args, n, out, n_out);
    store_release(c);
    return err;
}

json_t *user_brief_json(const struct user_row *u, bool with_im_username)
{
    json_t *o = json_object();
    json_object_set_new(o, "user_id", jv_str(u->user_id));
    json_object_set_new(o, "nick", jv_str(u->nick));
    json_object_set_new(o, "avatar", jv_str(u->avatar));
    json_object_set_new(o, "im_userid", json_integer(u->im_userid));
    if (with_im_username && u->im_username && u->im_username[0])
        json_object_set_new(o, "im_username", jv_str(u->im_username));
    json_object_set_new(o, "extends", jv_extends_load(u->extends_json));
    return o;
}

json_t *user_profile_json(const struct user_row *u)
{
    json_t *o = json_object();
    json_object_set_new(o, "user_id", jv_str(u->user_id));
    json_object_set_new(o, "nick", jv_str(u->nick));
    json_object_set_new(o, "avatar", jv_str(u->avatar));
    json_object_set_new(o, "extends", jv_extends_load(u->extends_json));
    json_object_set_new(o, "im_userid", json_integer(u->im_userid));
    json_object_set_new(o, "im_username", jv_str(u->im_username));
    json_object_set_new(o, "im_password", jv_str(u->im_password));
    return o;
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

/* After a failed run the retry job sleeps 2^failures ticks (capped) so that an IM outage is not
 * hammered, and starts over at the first success. */
enum { IM_RETRY_BATCH = 50, IM_RETRY_MAX_BACKOFF_TICKS = 64 };

/* Users are never deleted by the API and their IM id only goes from 0 to its final value, so
 * a short-lived positive cache is safe; an admin deleting a row by hand takes effect within
 * CLIENT_USERS_TTL_MS. */
enum { CLIENT_USERS_CAPACITY = 16384, CLIENT_USERS_TTL_MS = 5000 };

/* Cron job: registers users whose IM account is still missing (created while IM was down, or
 * before IM was configured). The rows themselves are the queue, so nothing is lost across
 * restarts. */
static err_t im_retry_job(void *ud)
{
    struct user_mod *m = ud;
    struct app *a = m->app;
    if (m->retry_skip > 0) {
        m->retry_skip--;
        return ERR_OK;
    }
    struct arena *ar = arena_new();
    struct store_conn *c = NULL;
    const char **ids = NULL;
    size_t n = 0;
    err_t err = store_acquire(a->store, false, &c);
    if (!err)
        err = user_store_list_unregistered(c, ar, IM_RETRY_BATCH, &ids, &n);
    store_release(c);
    for (size_t i = 0; !err && i < n; i++)
        err = register_im(a, ids[i], NULL);
    if (err) {
        m->retry_failures = m->retry_failures < 6 ? m->retry_failures + 1 : 6;
        m->retry_skip = (1 << m->retry_failures) < IM_RETRY_MAX_BACKOFF_TICKS
                            ? (1 << m->retry_failures)
                            : IM_RETRY_MAX_BACKOFF_TICKS;
    } else {
        m->retry_failures = 0;
    }
    arena_free(&ar);
    return err;
}

static void user_mod_free(void *self)
{
    struct user_mod *m = self;
    textcache_free(&m->client_users);
    free(m);
}

static void schedule_im_retry(struct user_mod *m)
{
    struct app *a = m->app;
    struct cron_job job = {
        .name = "im_register_retry",
        .period_ms = (a->conf.im.register_retry_s > 0 ? a->conf.im.register_retry_s : 5) * 1000,
        .fn = im_retry_job,
        .ud = m,
        .singleton = true,
    };
    if (cron_add(a->cron, &job))
        log_error("cannot schedule the IM registration retry job");
}

struct user_mod *user_mod_new(struct app *a)
{
    struct user_mod *m = xcalloc(1, sizeof(*m));
    m->app = a;
    m->client_users = textcache_new(CLIENT_USERS_CAPACITY, CLIENT_USERS_TTL_MS);
    textcache_follow_clock(m->client_users, a->clock);
    a->auth.find_client_user = find_client_user;
    a->auth.client_users = m->client_users;
    app_on_close(a, user_mod_free, m);
    if (im_enabled(a->im))
        schedule_im_retry(m);
    return m;
}
