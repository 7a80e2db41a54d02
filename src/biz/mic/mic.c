/* The mic service: seat transitions as guarded single statements, the seat list
 * with one RTC user listing per call, and the authorization the reference lacks. */
#define LOG_MODULE "mic"
#include "biz/mic/mic.h"

#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "biz/live/live.h"
#include "biz/mic/mic_store.h"
#include "clients/rtc.h"
#include "core/clock.h"
#include "core/jv.h"
#include "core/log.h"
#include "core/mem.h"
#include "store/store.h"

/* Only an on-air room's anchor or audience may publish into its RTC room. */
static err_t check_room(struct app *a, struct arena *ar, const char *live_id, const char *user_id)
{
    struct live_room l;
    err_t err = live_find(a, ar, live_id, &l);
    if (err)
        return err;
    if (l.status != LIVE_STATUS_ON)
        return ERR_SEAT_ROOM_NOT_ON_AIR;
    if (strcmp(l.anchor_id, user_id) != 0 && !live_user_in_room(a, ar, live_id, user_id))
        return ERR_SEAT_NOT_IN_ROOM;
    return ERR_OK;
}

/* Re-join, else insert, else the seat exists unchanged or forbidden: each step is one guarded
 * statement, so concurrent calls cannot create two seats or un-forbid one. */
static err_t take_seat(struct app *a, struct arena *ar, const char *live_id, const char *user_id,
                       const struct mic_up_in *in)
{
    struct store_conn *c = NULL;
    struct mic_seat seat;
    int64_t n = 0, now = clock_now_s(a->clock);
    err_t err = store_acquire(a->store, false, &c);
    if (!err)
        err = mic_store_rejoin(c, live_id, user_id, in, now, &n);
    if (!err && n == 0)
        err = mic_store_insert(c, ar, live_id, user_id, in, now, &n);
    if (err || n > 0)
        goto out;
    /* MySQL reports 0 rows for a re-join that changed nothing: tell that from forbidden */
    err = mic_store_find(c, ar, live_id, user_id, &seat);
    if (err == ERR_NOT_FOUND)
        err = ERR_INTERNAL; /* an invisible row holds the unique key */
    if (!err && seat.status == MIC_STATE_FORBIDDEN)
        err = ERR_SEAT_FORBIDDEN;
out:
    store_release(c);
    return err;
}

err_t mic_up(struct app *a, struct arena *ar, const char *live_id, const char *user_id,
             const struct mic_up_in *in, char **token)
{
    char *tok = NULL;
    err_t err = check_room(a, ar, live_id, user_id);
    if (!err)
        err = take_seat(a, ar, live_id, user_id, in);
    if (!err)
        err = rtc_room_token(a->rtc, live_id, user_id, clock_now_s(a->clock), &tok);
    if (!err)
        *token = arena_strdup(ar, tok);
    free(tok);
    return err;
}

err_t mic_down(struct app *a, const char *live_id, const char *user_id)
{
    struct store_conn *c = NULL;
    err_t err = store_acquire(a->store, false, &c);
    if (!err)
        err = mic_store_leave(c, live_id, user_id, clock_now_s(a->clock));
    store_release(c);
    return err;
}

err_t mic_list(struct app *a, struct arena *ar, const char *live_id, struct mic_entry **out,
               size_t *n)
{
    struct store_conn *c = NULL;
    struct mic_entry *all = NULL;
    struct rtc_users online = {0};
    size_t total = 0;
    *n = 0;
    err_t err = store_acquire(a->store, true, &c);
    if (!err)
        err = mic_store_list(c, ar, live_id, &all, &total);
    store_release(c);
    if (err || total == 0)
        return err;
    /* one listing for the whole room; a failure leaves everyone offline */
    if (rtc_list_users(a->rtc, live_id, &online))
        log_warn("rtc user list failed live_id=%s", live_id);
    for (size_t i = 0; i < total; i++) {
        if (rtc_users_contains(&online, all[i].seat.user_id))
            all[(*n)++] = all[i];
    }
    rtc_users_free(&online);
    *out = all;
    return ERR_OK;
}

/* Seat owners change their own seat; the anchor may change any seat of the room. */
static err_t check_target(struct app *a, struct arena *ar, const char *live_id, const char *caller,
                          const char *target)
{
    struct live_room l;
    if (strcmp(caller, target) == 0)
        return ERR_OK;
    err_t err = live_find(a, ar, live_id, &l);
    if (err == ERR_NOT_FOUND || (!err && strcmp(l.anchor_id, caller) != 0))
        return ERR_FORBIDDEN;
    return err;
}

err_t mic_set_extends(struct app *a, struct arena *ar, const char *live_id, const char *caller,
                      const char *target, const char *extends_json)
{
    struct store_conn *c = NULL;
    err_t err = check_target(a, ar, live_id, caller, target);
    if (!err)
        err = store_acquire(a->store, false, &c);
    if (!err)
        err = mic_store_set_extends(c, live_id, target, extends_json, clock_now_s(a->clock));
    store_release(c);
    return err;
}

err_t mic_switch(struct app *a, struct arena *ar, const char *live_id, const char *caller,
                 const char *target, const char *type, bool on)
{
    struct store_conn *c = NULL;
    bool is_camera = strcmp(type, "camera") == 0;
    err_t err = check_target(a, ar, live_id, caller, target);
    if (err || (!is_camera && strcmp(type, "mic") != 0))
        return err;
    err = store_acquire(a->store, false, &c);
    if (!err)
        err = mic_store_set_flag(c, live_id, target, is_camera, on, clock_now_s(a->clock));
    store_release(c);
    return err;
}

json_t *mic_entry_json(const struct mic_entry *e)
{
    json_t *o = json_object();
    json_object_set_new(o, "user", user_brief_json(&e->user, true));
    json_object_set_new(o, "mic", json_boolean(e->seat.has_mic));
    json_object_set_new(o, "camera", json_boolean(e->seat.has_camera));
    json_object_set_new(o, "status", json_integer(e->seat.status));
    json_object_set_new(o, "extends", jv_extends_load(e->seat.extends_json));
    return o;
}
