/* PK extends: a compare-and-set merge into relay_sessions.extends, then
 * pk_extends_notify with the changed keys into each live still in the PK. */
#define LOG_MODULE "relay"
#include "biz/relay/relay.h"

#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "biz/relay/relay_store.h"
#include "biz/user/user.h"
#include "clients/im.h"
#include "core/clock.h"
#include "core/jv.h"
#include "core/log.h"
#include "core/mem.h"
#include "store/store.h"

/* Enough for any realistic contention; each retry re-reads the row. */
enum { CAS_ATTEMPTS = 8 };

/* Merges update into the stored map without losing a concurrent writer's keys: the write only
 * lands while the row still holds the text the merge started from. *old_out and *new_out are
 * arena texts of the map before and after (NULL when none). */
static err_t merge_cas(struct app *a, struct arena *ar, struct relay_session *s, json_t *update,
                       const char **old_out, const char **new_out)
{
    struct store_conn *c = NULL;
    err_t err = store_acquire(a->store, false, &c);
    for (int i = 0; !err && i < CAS_ATTEMPTS; i++) {
        int64_t n = 0;
        *old_out = s->extends_json;
        *new_out = jv_extends_merge(ar, s->extends_json, update);
        if (jv_utf8_chars(*new_out, strlen(*new_out)) > RELAY_EXTENDS_MAX)
            err = ERR_BAD_REQUEST;
        else if (s->extends_json && strcmp(s->extends_json, *new_out) == 0)
            break; /* nothing to write */
        else
            err = relay_store_cas_extends(c, s->id, s->extends_json, *new_out,
                                          clock_now_s(a->clock), &n);
        if (err || n > 0)
            break;
        err = relay_store_find(c, ar, s->sid, s);
        if (!err && i == CAS_ATTEMPTS - 1)
            err = ERR_UNAVAILABLE;
    }
    store_release(c);
    return err;
}

/* The keys of the new map whose value differs from the old one, as JSON text (heap). */
static char *changed_keys(const char *old_text, const char *new_text)
{
    json_t *old = jv_extends_load(old_text), *cur = jv_extends_load(new_text);
    json_t *changed = json_object(), *v;
    const char *k;
    json_object_foreach(cur, k, v)
    {
        json_t *was = json_is_object(old) ? json_object_get(old, k) : NULL;
        if (!was || !json_equal(was, v))
            json_object_set(changed, k, v);
    }
    char *text = json_dumps(changed, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(changed);
    json_decref(old);
    json_decref(cur);
    return text;
}

static int64_t im_id_of(const struct user_row *users, size_t n, const char *user_id)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(users[i].user_id, user_id) == 0)
            return users[i].im_userid;
    }
    return 0;
}

/* One message per live still carrying the sid, from its anchor into its own chat room. A
 * failed message is logged, never returned: the update already happened. */
static void notify(struct app *a, struct arena *ar, const struct relay_session *s,
                   const char *changed)
{
    const char *ids[] = {s->init_user_id, s->recv_user_id};
    struct relay_pk_live *lives = NULL;
    struct user_row *users = NULL;
    struct store_conn *c = NULL;
    size_t nl = 0, nu = 0;
    if (!im_enabled(a->im))
        return;
    err_t err = store_acquire(a->store, false, &c);
    if (!err)
        err = relay_store_pk_lives(c, ar, s->sid, &lives, &nl);
    store_release(c);
    if (!err && nl > 0)
        err = user_list_by_ids(a, ar, ids, 2, &users, &nu);
    for (size_t i = 0; !err && i < nl; i++) {
        int64_t from = im_id_of(users, nu, lives[i].anchor_id);
        if (from == 0 || lives[i].chat_id == 0)
            continue;
        if (im_notify_pk_extends(a->im, lives[i].chat_id, from, s->sid, s->init_room_id,
                                 s->recv_room_id, changed))
            log_warn("pk_extends_notify failed sid=%s live_id=%s", s->sid, lives[i].live_id);
    }
    if (err)
        log_warn("pk_extends_notify skipped sid=%s err=%s", s->sid, err_name(err));
}

err_t relay_update_extends(struct app *a, struct arena *ar, const char *sid, const char *caller,
                           json_t *update)
{
    struct relay_session s;
    struct store_conn *c = NULL;
    const char *old_text = NULL, *new_text = NULL;
    err_t err = store_acquire(a->store, false, &c);
    if (!err)
        err = relay_store_find(c, ar, sid, &s);
    store_release(c);
    /* only the two anchors may rewrite their PK's extends from a client */
    if (!err && caller && strcmp(caller, s.init_user_id) != 0 &&
        strcmp(caller, s.recv_user_id) != 0)
        err = ERR_NOT_FOUND;
    if (!err)
        err = merge_cas(a, ar, &s, update, &old_text, &new_text);
    if (err)
        return err;
    char *changed = changed_keys(old_text, new_text);
    notify(a, ar, &s, changed);
    free(changed);
    return ERR_OK;
}
