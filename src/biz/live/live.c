/* The live-room service: state machine, presence and the public API of
 * live.h. Each state change is one guarded statement plus its callback event in one
 * transaction, so an event is stored exactly when the change happened. */
#define LOG_MODULE "live"
#include "biz/live/live.h"

#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "biz/callback/callback.h"
#include "biz/live/live_int.h"
#include "biz/live/live_store.h"
#include "cache/cache.h"
#include "clients/im.h"
#include "clients/pili.h"
#include "clients/rtc.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/jv.h"
#include "core/log.h"
#include "core/noblock.h"
#include "core/mem.h"
#include "store/store.h"
#include "metrics/metrics.h"

void live_on_change(struct app *a, live_change_fn *fn)
{
    struct live_mod *m = a->live;
    if (!m)
        abort(); /* a listener registered before the live module: a programmer bug */
    for (size_t i = 0; i < m->n_listeners; i++)
        if (m->listeners[i] == fn)
            return;
    if (m->n_listeners == LIVE_LISTENERS_MAX) {
        log_error("too many room listeners");
        return;
    }
    m->listeners[m->n_listeners++] = fn;
}

static void notify_change(struct app *a, const char *event, const char *live_id)
{
    const struct live_mod *m = a->live;
    for (size_t i = 0; i < m->n_listeners; i++)
        m->listeners[i](a, event, live_id);
}

static json_t *id_body(const char *live_id)
{
    return json_pack("{s:s}", "live_id", live_id);
}

err_t live_find(struct app *a, struct arena *ar, const char *live_id, struct live_room *out)
{
    struct store_conn *c = NULL;
    err_t err = store_acquire(a->store, true, &c);
    if (!err)
        err = live_store_find(c, ar, live_id, out);
    store_release(c);
    return err;
}

/* The room as the primary sees it (right after a write). */
static err_t find_primary(struct app *a, struct arena *ar, const char *live_id,
                          struct live_room *out)
{
    struct store_conn *c = NULL;
    err_t err = store_acquire(a->store, false, &c);
    if (!err)
        err = live_store_find(c, ar, live_id, out);
    store_release(c);
    return err;
}

err_t live_presence_of(struct app *a, struct arena *ar, const char *user_id, char **live_id_out)
{
    return live_presence_room_of(a, ar, user_id, live_id_out);
}

bool live_user_in_room(struct app *a, struct arena *ar, const char *live_id, const char *user_id)
{
    char *in = NULL;
    return !live_presence_of(a, ar, user_id, &in) && in && strcmp(in, live_id) == 0;
}

err_t live_find_for(struct app *a, struct arena *ar, const char *live_id, const char *user_id,
                    struct live_room *out, bool *in_room)
{
    struct live_views_gen gen;
    *in_room = false;
    err_t err = live_presence_check(a, ar, live_id, user_id, &gen, in_room);
    return err ? err : live_room_cached(a, ar, live_id, &gen, out);
}

err_t live_online_count(struct app *a, const char *live_id, int64_t *out)
{
    struct arena *ar = arena_new();
    struct live_view v = {.room = {.live_id = live_id, .anchor_id = ""}};
    err_t err = live_views_count(a, ar, &v, 1, LIVE_WANT_ONLINE);
    *out = v.online_count;
    arena_free(&ar);
    return err;
}

/* The room as the views cache has it now: one round trip for its generation. */
static err_t room_now(struct app *a, struct arena *ar, const char *live_id, struct live_room *out)
{
    struct cache_batch *b = cache_batch_new(ar);
    struct live_views_gen gen = {0};
    size_t i = live_views_gen_cmd(a, b, ar, live_id);
    if (cache_batch_run(a->cache, b) == ERR_OK)
        live_views_gen_take(b, i, &gen);
    return live_room_cached(a, ar, live_id, &gen, out);
}

err_t live_list_online_ids(struct app *a, struct arena *ar, char ***ids, size_t *n)
{
    struct store_conn *c = NULL;
    *n = 0;
    err_t err = store_acquire(a->store, true, &c);
    if (!err)
        err = live_store_on_air(c, ar, 0, ids, n);
    store_release(c);
    return err;
}

/* Stops in one transaction with its live_stopped event; *stopped false when the guard
 * (status 1, owner) did not hold. */
static err_t stop_tx(struct app *a, const char *live_id, const char *anchor_id, const char *reason,
                     const char *stop_user_id, bool *stopped)
{
    struct store_conn *c = NULL;
    int64_t n = 0;
    err_t err = store_acquire(a->store, false, &c);
    if (err)
        return err;
    err = store_begin(c);
    if (err)
        goto out;
    err = live_store_stop(c, live_id, anchor_id, clock_now_s(a->clock), reason, stop_user_id, &n);
    if (!err && n > 0)
        err = callback_emit(a, c, "live_stopped", live_id, id_body(live_id));
    err = store_tx_end(c, err);
out:
    store_release(c);
    *stopped = !err && n > 0;
    if (*stopped) {
        live_views_changed(a, live_id);
        notify_change(a, "stopped", live_id);
    }
    return err;
}

/* Explains a failed guard from the current row: missing, wrong status or wrong owner. */
static err_t explain_stop(struct app *a, struct arena *ar, const char *live_id, const char *user_id)
{
    struct live_room l;
    err_t err = find_primary(a, ar, live_id, &l);
    if (err)
        return err;
    if (l.status == LIVE_STATUS_ON && user_id && strcmp(l.anchor_id, user_id) != 0)
        return ERR_NOT_ANCHOR;
    /* not on air, or changed under us: someone else stopped it first */
    return ERR_ROOM_NOT_ON_AIR;
}

err_t live_stop(struct app *a, struct arena *ar, const char *live_id, const char *user_id)
{
    bool stopped = false;
    err_t err = stop_tx(a, live_id, user_id, NULL, NULL, &stopped);
    if (!err && !stopped)
        err = explain_stop(a, ar, live_id, user_id);
    return err;
}

err_t live_stop_by_system(struct app *a, const char *live_id, const char *reason,
                          const char *stop_user_id)
{
    struct arena *ar = arena_new();
    bool stopped = false;
    err_t err = stop_tx(a, live_id, NULL, reason, stop_user_id, &stopped);
    if (!err && !stopped)
        err = explain_stop(a, ar, live_id, NULL);
    arena_free(&ar);
    return err;
}

err_t live_delete(struct app *a, struct arena *ar, const char *live_id, const char *anchor_id)
{
    struct live_room l;
    struct store_conn *c = NULL;
    int64_t n = 0, stopped = 0, now = clock_now_s(a->clock);
    err_t err = find_primary(a, ar, live_id, &l);
    if (err)
        return err;
    if (anchor_id && strcmp(l.anchor_id, anchor_id) != 0)
        return ERR_NOT_ROOM_OWNER;
    err = store_acquire(a->store, false, &c);
    if (!err)
        err = store_begin(c);
    if (err)
        goto out;
    /* an on-air room is stopped first, so it never stays on air invisibly */
    err = live_store_stop(c, live_id, NULL, now, NULL, NULL, &stopped);
    if (!err && stopped)
        err = callback_emit(a, c, "live_stopped", live_id, id_body(live_id));
    if (!err)
        err = live_store_delete(c, live_id, anchor_id, now, &n);
    if (!err && n == 0)
        err = ERR_NOT_FOUND; /* deleted concurrently */
    if (!err)
        err = callback_emit(a, c, "live_deleted", live_id, id_body(live_id));
    err = store_tx_end(c, err);
out:
    store_release(c);
    if (!err) {
        live_views_changed(a, live_id);
        notify_change(a, "stopped", live_id); /* a deleted room is over, on air or not */
    }
    return err;
}

/* The raw row of a live_created event: times are Unix seconds or null. */
static json_t *entity_json(const struct live_room *l)
{
    json_t *ext = jv_extends_load(l->extends_json);
    json_t *o = json_object();
#define T(x) ((x) > 0 ? json_integer(x) : json_null())
    json_object_set_new(o, "id", json_integer(l->id));
    json_object_set_new(o, "live_id", json_string(l->live_id));
    json_object_set_new(o, "title", jv_str(l->title));
    json_object_set_new(o, "notice", jv_str(l->notice));
    json_object_set_new(o, "cover_url", jv_str(l->cover_url));
    json_object_set_new(o, "extends", ext ? ext : json_null());
    json_object_set_new(o, "anchor_id", jv_str(l->anchor_id));
    json_object_set_new(o, "live_status", json_integer(l->status));
    json_object_set_new(o, "pk_id", jv_str(l->pk_id));
    json_object_set_new(o, "online_count", json_integer(l->online_count));
    json_object_set_new(o, "start_at", T(l->start_at));
    json_object_set_new(o, "end_at", T(l->end_at));
    json_object_set_new(o, "chat_id", json_integer(l->chat_id));
    json_object_set_new(o, "push_url", jv_str(l->push_url));
    json_object_set_new(o, "rtmp_play_url", jv_str(l->rtmp_play_url));
    json_object_set_new(o, "flv_play_url", jv_str(l->flv_play_url));
    json_object_set_new(o, "hls_play_url", jv_str(l->hls_play_url));
    json_object_set_new(o, "last_heartbeat_at", T(l->last_heartbeat_at));
    json_object_set_new(o, "created_at", T(l->created_at));
    json_object_set_new(o, "updated_at", T(l->updated_at));
    json_object_set_new(o, "deleted_at", json_null());
    json_object_set_new(o, "stop_reason", jv_str(l->stop_reason));
    json_object_set_new(o, "stop_user_id", jv_str(l->stop_user_id));
    json_object_set_new(o, "stop_at", T(l->stop_at));
    json_object_set_new(o, "unreview_censor_count", json_integer(l->unreview_censor_count));
    json_object_set_new(o, "last_censor_time", json_integer(l->last_censor_time));
#undef T
    return o;
}

/* Stream URLs of a new room; all "" without a pili section. */
static void fill_urls(struct app *a, struct arena *ar, struct live_room *l, int64_t expire_req,
                      int64_t now)
{
    struct pili_live_urls u = {0};
    l->push_url = l->rtmp_play_url = l->flv_play_url = l->hls_play_url = "";
    if (!a->pili)
        return;
    pili_live_urls(a->pili, l->live_id, pili_push_expire_at(a->pili, expire_req, now), &u);
    l->push_url = arena_strdup(ar, u.push ? u.push : "");
    l->rtmp_play_url = arena_strdup(ar, u.rtmp ? u.rtmp : "");
    l->flv_play_url = arena_strdup(ar, u.flv ? u.flv : "");
    l->hls_play_url = arena_strdup(ar, u.hls ? u.hls : "");
    pili_live_urls_free(&u);
}

static err_t insert_tx(struct app *a, struct live_room *l, int64_t now)
{
    struct store_conn *c = NULL;
    err_t err = store_acquire(a->store, false, &c);
    if (!err)
        err = store_begin(c);
    if (err)
        goto out;
    err = live_store_insert(c, l, now, &l->id);
    if (!err)
        err = callback_emit(a, c, "live_created", l->live_id, entity_json(l));
    err = store_tx_end(c, err);
out:
    store_release(c);
    if (!err) {
        live_views_changed(a, l->live_id);
        notify_change(a, "created", l->live_id);
    }
    return err;
}

err_t live_create(struct app *a, struct arena *ar, const char *anchor_id,
                  const struct live_create_in *in, struct live_view *out)
{
    struct live_room *l = &out->room;
    int64_t now = clock_now_s(a->clock);
    memset(out, 0, sizeof(*out));
    err_t err = user_find(a, ar, anchor_id, &out->anchor);
    if (err)
        return err;
    out->has_anchor = true;
    out->room_token = "";
    l->live_id = arena_printf(ar, "%lld", (long long)ids_next());
    l->title = in->title ? in->title : "";
    l->notice = in->notice ? in->notice : "";
    l->cover_url = in->cover_url ? in->cover_url : "";
    l->extends_json = in->extends_json;
    l->anchor_id = out->anchor.user_id;
    l->pk_id = l->stop_reason = l->stop_user_id = "";
    l->start_at = in->start_at;
    l->end_at = in->end_at;
    l->created_at = l->updated_at = now;
    /* IM off gives chat id 0; an IM failure stores nothing */
    if (im_create_chatroom(a->im, out->anchor.im_userid, l->live_id, &l->chat_id))
        return ERR_INTERNAL;
    fill_urls(a, ar, l, in->publish_expire_at, now);
    return insert_tx(a, l, now);
}

/* Guarded start plus the live_started event, in one transaction. */
static err_t start_tx(struct app *a, const char *live_id, const char *user_id, const char *push_url,
                      int64_t now, int64_t *n)
{
    struct store_conn *c = NULL;
    err_t err = store_acquire(a->store, false, &c);
    if (!err)
        err = store_begin(c);
    if (err)
        goto out;
    err = live_store_start(c, live_id, user_id, push_url, now, n);
    if (!err && *n > 0)
        err = callback_emit(a, c, "live_started", live_id, id_body(live_id));
    err = store_tx_end(c, err);
out:
    store_release(c);
    if (!err && *n > 0)
        live_views_changed(a, live_id);
    return err;
}

static err_t anchor_row(struct app *a, struct arena *ar, const char *live_id, const char *anchor_id,
                        int64_t now)
{
    struct presence_rec rec = {.user_id = anchor_id, .live_id = live_id, .at = now};
    struct store_conn *c = NULL;
    err_t err = store_acquire(a->store, false, &c);
    if (!err)
        err = presence_store_put_many(c, ar, &rec, 1, now);
    store_release(c);
    return err;
}

/* The push URL is signed when the room starts, valid for pili.publish_expire_s from then: a
 * room created long before it starts still gets a usable one. NULL without a pili section. */
static const char *push_url_at_start(struct app *a, struct arena *ar, const char *live_id,
                                     int64_t now)
{
    struct pili_live_urls u = {0};
    if (!a->pili)
        return NULL;
    pili_live_urls(a->pili, live_id, pili_push_expire_at(a->pili, 0, now), &u);
    const char *push = arena_strdup(ar, u.push ? u.push : "");
    pili_live_urls_free(&u);
    return push;
}

err_t live_start(struct app *a, struct arena *ar, const char *live_id, const char *user_id,
                 struct live_view *out)
{
    struct live_room l;
    int64_t n = 0, now = clock_now_s(a->clock);
    char *token = NULL;
    err_t err = find_primary(a, ar, live_id, &l);
    if (err)
        return err;
    if (l.status == LIVE_STATUS_OFF)
        return ERR_ROOM_NOT_ON_AIR;
    if (strcmp(l.anchor_id, user_id) != 0)
        return ERR_NOT_ANCHOR;
    char *prev = NULL;
    err = start_tx(a, live_id, user_id, push_url_at_start(a, ar, live_id, now), now, &n);
    /* the anchor is in its room from the start (also when re-starting an on-air room); its
     * row is written at once, as starting is a business event and admin lists read it */
    if (!err)
        err = live_presence_join(a, ar, live_id, user_id, &prev);
    if (!err)
        err = anchor_row(a, ar, live_id, user_id, now);
    if (err)
        return err;
    /* MySQL counts changed rows only: a re-start within the same second changes nothing */
    err = live_view_load(a, ar, live_id, 0, out);
    if (err)
        return err;
    if (n == 0 && out->room.status != LIVE_STATUS_ON)
        return ERR_ROOM_NOT_ON_AIR;
    if (rtc_room_token(a->rtc, live_id, user_id, now, &token))
        return ERR_INTERNAL;
    out->room_token = arena_strdup(ar, token);
    free(token);
    out->anchor_status = 1;
    return ERR_OK;
}

void live_join_cmds(struct app *a, struct arena *ar, struct cache_batch *b, const char *live_id,
                    const char *user_id, struct live_presence_move *m)
{
    live_presence_join_cmds(a, ar, b, live_id, user_id, m);
}

/* The presence moves in the same round trip as the room's generation is read, so the room is
 * checked after the move, under that generation; a refused join is then undone, and so is one
 * that would block (it runs again on the handler pool). Another node may see the member for
 * that moment, as it would if the room stopped just after the join. */
err_t live_join_end(struct app *a, struct arena *ar, struct live_presence_move *m,
                    const struct cache_batch *b, err_t run_err, err_t view_err,
                    const struct live_views_gen *gen, struct live_room *room)
{
    if (run_err) {
        if (run_err == ERR_UNAVAILABLE)
            live_presence_outage(a);
        if (run_err != ERR_WOULD_BLOCK)
            metrics_add(METRICS_ROOM_JOINS, 0);
        return run_err;
    }
    live_presence_join_take(a, ar, b, m);
    err_t err = view_err ? view_err : live_room_cached(a, ar, m->live_id, gen, room);
    if (!err && room->status == LIVE_STATUS_OFF)
        err = ERR_ROOM_NOT_ON_AIR;
    if (!err)
        err = live_presence_join_finish(a, ar, m);
    else if (live_presence_join_undo(a, ar, m))
        log_warn("refused join of %s to %s not undone", m->user_id, m->live_id);
    if (!err)
        live_presence_count_view(a, m->live_id, m->user_id);
    /* a would-block was taken back above and is counted when the join runs again */
    if (err != ERR_WOULD_BLOCK)
        metrics_add(METRICS_ROOM_JOINS, !err);
    return err;
}

/* Tells listeners when the anchor itself left its room (the item being
 * demonstrated is cleared then); the room stays on air. */
static void anchor_left_check(struct app *a, const char *live_id, const char *user_id)
{
    struct arena *ar = arena_new();
    struct live_room l;
    if (!room_now(a, ar, live_id, &l) && strcmp(l.anchor_id, user_id) == 0)
        notify_change(a, "anchor_left", live_id);
    arena_free(&ar);
}

void live_user_gone(struct app *a, const char *live_id, const char *user_id)
{
    anchor_left_check(a, live_id, user_id);
}

/* Whether the room's anchor is user_id cannot matter: this node's copy of the room names
 * another anchor (a room's anchor never changes). */
static bool surely_not_anchor(struct app *a, struct arena *ar, const char *live_id,
                              const char *user_id)
{
    struct live_room l;
    return live_room_peek(a, ar, live_id, &l) && strcmp(l.anchor_id, user_id) != 0;
}

/* A viewer's leave is only its presence move, so it may run where nothing may block; the
 * anchor's (or an unknown room's) may tell listeners and is refused there before anything
 * moves, so that its re-run on the pool still tells them. */
err_t live_leave(struct app *a, const char *live_id, const char *user_id)
{
    struct arena *ar = arena_new();
    bool left = false;
    bool viewer = surely_not_anchor(a, ar, live_id, user_id);
    err_t err = viewer ? ERR_OK : noblock_check();
    if (!err)
        err = live_presence_leave(a, ar, live_id, user_id, &left);
    arena_free(&ar);
    if (left && !viewer)
        anchor_left_check(a, live_id, user_id);
    return err;
}

/* The anchor's heartbeat also keeps its room on air: last_heartbeat_at is written at most once
 * per window (a quarter of the room timeout, at most a minute) by whichever node takes the
 * window's key first, so a room is stopped after (timeout - window) .. timeout of silence. */
static void anchor_heartbeat(struct app *a, struct arena *ar, const char *live_id, int64_t now)
{
    enum { ROOM_BEAT_WINDOW_MAX_S = 60 };
    int64_t w = a->conf.live.room_timeout_s / 4;
    struct store_conn *c = NULL;
    bool mine = false;
    if (w > ROOM_BEAT_WINDOW_MAX_S)
        w = ROOM_BEAT_WINDOW_MAX_S;
    if (w < 1)
        w = 1;
    const char *key = arena_printf(ar, "live:{%s}:anchor_beat", live_id);
    if (cache_lock_acquire(a->cache, key, "1", w * 1000, &mine) || !mine)
        return;
    err_t err = store_acquire(a->store, false, &c);
    if (!err)
        err = live_store_heartbeat(c, live_id, now, now);
    store_release(c);
    if (err) {
        log_warn("anchor heartbeat of %s not stored: %s", live_id, err_name(err));
        live_presence_outage(a);
        if (cache_lock_release(a->cache, key, "1")) /* the next heartbeat tries again */
            log_warn("anchor heartbeat window of %s stays taken", live_id);
    }
}

err_t live_heartbeat(struct app *a, struct arena *ar, const char *live_id, const char *user_id,
                     int *status)
{
    struct live_views_gen gen;
    struct live_room l;
    bool in_room = false;
    err_t err = live_presence_beat(a, ar, live_id, user_id, &gen, &in_room);
    if (!err && !in_room)
        err = ERR_NOT_IN_ROOM; /* Android re-joins on it */
    if (!err)
        err = live_room_cached(a, ar, live_id, &gen, &l);
    if (err)
        return err;
    if (strcmp(l.anchor_id, user_id) == 0) {
        /* the anchor's beat may write the database: never on a thread that must not block
         * (the audience's beat just queued is queued once more by the re-run: harmless) */
        err = noblock_check();
        if (err)
            return err;
        anchor_heartbeat(a, ar, live_id, clock_now_s(a->clock));
    }
    *status = l.status;
    metrics_add(METRICS_HEARTBEATS, 1);
    return ERR_OK;
}

err_t live_set_extends(struct app *a, struct arena *ar, const char *live_id, const char *user_id,
                       const char *extends_json)
{
    struct store_conn *c = NULL;
    struct live_room l;
    int64_t n = 0;
    err_t err = store_acquire(a->store, false, &c);
    if (!err)
        err = live_store_set_extends(c, live_id, user_id, extends_json, clock_now_s(a->clock), &n);
    if (!err && n > 0)
        live_views_changed(a, live_id);
    /* nothing changed: unknown room, not the anchor, or (MySQL) the same map again */
    if (!err && n == 0) {
        err = live_store_find(c, ar, live_id, &l);
        if (!err && strcmp(l.anchor_id, user_id) != 0)
            err = ERR_NOT_ROOM_OWNER; /* only the anchor changes its room's extends */
    }
    store_release(c);
    return err;
}

err_t live_view_load(struct app *a, struct arena *ar, const char *live_id, int want,
                     struct live_view *out)
{
    struct store_conn *c = NULL;
    /* a room whose anchor profile is gone still loads; callers decide (info answers 404) */
    err_t err = store_acquire(a->store, false, &c);
    if (!err)
        err = live_store_view(c, ar, live_id, 0, out);
    store_release(c);
    if (!err && want)
        err = live_views_count(a, ar, out, 1, want);
    return err;
}

err_t live_list(struct app *a, struct arena *ar, int kind, const char *sarg, int64_t iarg,
                int64_t page_num, int64_t page_size, int want, struct live_page *out)
{
    struct store_conn *c = NULL;
    size_t n = 0;
    memset(out, 0, sizeof(*out));
    err_t err = store_acquire(a->store, true, &c);
    if (!err)
        err = live_store_page(c, ar, (enum live_list_kind)kind, sarg, iarg, page_size,
                              (page_num - 1) * page_size, 0, &out->views, &n, &out->total);
    store_release(c);
    if (!err && want)
        err = live_views_count(a, ar, out->views, n, want);
    out->fetched = n;
    /* rooms whose anchor profile is gone are skipped, as the reference does */
    for (size_t i = 0; !err && i < n; i++)
        if (out->views[i].has_anchor)
            out->views[out->n++] = out->views[i];
    return err;
}

err_t live_list_users(struct app *a, struct arena *ar, const char *live_id, int64_t page_num,
                      int64_t page_size, struct live_page *out)
{
    const char **ids = NULL;
    struct user_row *users = NULL;
    size_t n = 0, nu = 0;
    memset(out, 0, sizeof(*out));
    err_t err = live_presence_page(a, ar, live_id, (page_num - 1) * page_size, page_size, &ids, &n,
                                   &out->total);
    if (!err && n)
        err = user_list_by_ids(a, ar, ids, n, &users, &nu);
    if (err)
        return err;
    /* keep the presence order (most recently active first); unknown users are dropped */
    out->users = arena_zalloc(ar, (n + 1) * sizeof(*out->users));
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < nu; j++)
            if (strcmp(users[j].user_id, ids[i]) == 0) {
                out->users[out->n++] = users[j];
                break;
            }
    out->fetched = out->n; /* the reference counts the items kept here */
    return ERR_OK;
}

json_t *live_info_json(const struct live_view *v, bool with_push_url)
{
    const struct live_room *l = &v->room;
    json_t *ext = jv_extends_load(l->extends_json);
    json_t *o = json_object();
    json_object_set_new(o, "live_id", json_string(l->live_id));
    json_object_set_new(o, "title", jv_str(l->title));
    json_object_set_new(o, "notice", jv_str(l->notice));
    json_object_set_new(o, "cover_url", jv_str(l->cover_url));
    json_object_set_new(o, "extends", ext ? ext : json_null());
    json_object_set_new(o, "anchor_info",
                        v->has_anchor ? user_brief_json(&v->anchor, false) : json_object());
    json_object_set_new(o, "anchor_status", json_integer(v->anchor_status));
    json_object_set_new(o, "room_token", jv_str(v->room_token));
    json_object_set_new(o, "pk_id", jv_str(l->pk_id));
    json_object_set_new(o, "online_count", json_integer(v->online_count));
    /* unset times are 0, not Go's zero time */
    json_object_set_new(o, "start_time", json_integer(l->start_at));
    json_object_set_new(o, "end_time", json_integer(l->end_at));
    json_object_set_new(o, "chat_id", json_integer(l->chat_id));
    json_object_set_new(o, "push_url", jv_str(with_push_url ? l->push_url : ""));
    json_object_set_new(o, "hls_url", jv_str(l->hls_play_url));
    json_object_set_new(o, "rtmp_url", jv_str(l->rtmp_play_url));
    json_object_set_new(o, "flv_url", jv_str(l->flv_play_url));
    json_object_set_new(o, "pv", json_integer(0));
    json_object_set_new(o, "uv", json_integer(0));
    json_object_set_new(o, "total_count", json_integer(0));
    json_object_set_new(o, "total_mics", json_integer(0));
    json_object_set_new(o, "live_status", json_integer(l->status));
    if (l->stop_reason && *l->stop_reason)
        json_object_set_new(o, "stop_reason", json_string(l->stop_reason));
    if (l->stop_user_id && *l->stop_user_id)
        json_object_set_new(o, "stop_user_id", json_string(l->stop_user_id));
    if (l->stop_at > 0)
        json_object_set_new(o, "stop_at", json_integer(l->stop_at));
    return o;
}

err_t live_expire_rooms(struct app *a)
{
    struct store_conn *c = NULL;
    struct arena *ar = arena_new();
    char **ids = NULL;
    size_t n = 0;
    bool stopped;
    err_t err = store_acquire(a->store, false, &c);
    if (!err)
        err =
            live_store_on_air(c, ar, clock_now_s(a->clock) - a->conf.live.room_timeout_s, &ids, &n);
    store_release(c);
    /* each stop re-checks status 1 in its own guarded statement, so a manual stop in between
     * is not repeated and emits no second live_stopped */
    for (size_t i = 0; !err && i < n; i++) {
        err = stop_tx(a, ids[i], NULL, NULL, NULL, &stopped);
        if (!err && stopped)
            log_info("live %s stopped: no anchor heartbeat for %llds", ids[i],
                     (long long)a->conf.live.room_timeout_s);
    }
    arena_free(&ar);
    return err;
}

err_t live_expire_users(struct app *a)
{
    size_t n = 0;
    err_t err = live_presence_expire(a, &n);
    if (n > 0)
        log_info("%zu users left their rooms: no heartbeat", n);
    return err;
}

static void views_changed_after_commit(void *ud, const char *live_id)
{
    live_views_changed(ud, live_id);
}

err_t live_pk_claim(struct app *a, struct store_conn *c, const char *live_id, const char *anchor_id,
                    const char *sid, int64_t *n)
{
    err_t err = live_store_pk_claim(c, live_id, anchor_id, sid, clock_now_s(a->clock), n);
    if (!err && *n > 0)
        store_after_commit(c, views_changed_after_commit, a, live_id);
    return err;
}

err_t live_pk_release(struct app *a, struct store_conn *c, const char *live_id, const char *sid)
{
    err_t err = live_store_pk_release(c, live_id, sid, clock_now_s(a->clock));
    if (!err)
        store_after_commit(c, views_changed_after_commit, a, live_id);
    return err;
}

err_t live_censor_refresh(struct app *a, struct store_conn *c, const char *live_id,
                          int64_t last_censor_time)
{
    err_t err = live_store_censor_refresh(c, live_id, last_censor_time);
    if (!err)
        store_after_commit(c, views_changed_after_commit, a, live_id);
    return err;
}
