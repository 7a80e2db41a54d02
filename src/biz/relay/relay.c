/* The relay service: the participant gate, guarded transitions and the lives'
 * pk_id. Events are stored in the same transaction as the change they describe, and only
 * after the caller was authorized. */
#define LOG_MODULE "relay"
#include "biz/relay/relay.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "biz/callback/callback.h"
#include "biz/live/live.h"
#include "biz/relay/relay_store.h"
#include "clients/rtc.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/jv.h"
#include "core/log.h"
#include "core/mem.h"
#include "cron/cron.h"
#include "store/store.h"

enum { INVITE_BATCH = 100 }; /* sessions ended per run of the invitation timeout job */

static bool is_empty(const char *s)
{
    return !s || !*s;
}

/* A live that may enter a PK: on air, owned by `anchor`, in no PK. */
static err_t check_live(struct app *a, struct arena *ar, const char *live_id, const char *anchor)
{
    struct live_room l;
    err_t err = live_find(a, ar, live_id, &l);
    if (err)
        return err;
    if (l.status != LIVE_STATUS_ON || strcmp(l.anchor_id, anchor) != 0)
        return ERR_NOT_FOUND;
    if (!is_empty(l.pk_id))
        return ERR_ROOM_IN_PK;
    return ERR_OK;
}

static err_t peer_token(struct app *a, struct arena *ar, const char *room, const char *user,
                        const char **out)
{
    char *tok = NULL;
    err_t err = rtc_room_token(a->rtc, room, user, clock_now_s(a->clock), &tok);
    if (!err)
        *out = arena_strdup(ar, tok);
    free(tok);
    return err;
}

/* Session row, both claims and pk_started in one transaction; *lost names the live whose
 * guard failed (then nothing was written). */
static err_t start_tx(struct app *a, struct relay_session *s, const char **lost)
{
    struct store_conn *c = NULL;
    int64_t n = 0, now = clock_now_s(a->clock);
    *lost = NULL;
    err_t err = store_acquire(a->store, false, &c);
    if (err)
        return err;
    err = store_begin(c);
    if (err)
        goto out;
    err = relay_store_insert(c, s, now);
    if (!err)
        err = live_pk_claim(a, c, s->init_room_id, s->init_user_id, s->sid, &n);
    if (!err && n == 0)
        *lost = s->init_room_id;
    if (!err && !*lost)
        err = live_pk_claim(a, c, s->recv_room_id, s->recv_user_id, s->sid, &n);
    if (!err && !*lost && n == 0)
        *lost = s->recv_room_id;
    if (!err && !*lost)
        err = callback_emit(a, c, "pk_started", s->init_room_id, relay_session_json(s));
    if (!err && *lost)
        err = ERR_BAD_REQUEST;
    err = store_tx_end(c, err);
out:
    store_release(c);
    return err;
}

static bool start_input_ok(const char *caller, const struct relay_start_in *in)
{
    return !is_empty(in->init_room_id) && !is_empty(in->recv_room_id) &&
           !is_empty(in->recv_user_id) && strcmp(in->recv_user_id, caller) != 0 &&
           strcmp(in->init_room_id, in->recv_room_id) != 0;
}

err_t relay_start(struct app *a, struct arena *ar, const char *caller,
                  const struct relay_start_in *in, struct relay_ticket *out)
{
    struct relay_session s = {0};
    const char *lost = NULL;
    if (!start_input_ok(caller, in))
        return ERR_BAD_REQUEST;
    err_t err = check_live(a, ar, in->init_room_id, caller);
    if (!err)
        err = check_live(a, ar, in->recv_room_id, in->recv_user_id);
    if (err)
        return err;
    s.sid = arena_printf(ar, "%" PRId64, ids_next());
    s.init_user_id = caller;
    s.init_room_id = in->init_room_id;
    s.recv_user_id = in->recv_user_id;
    s.recv_room_id = in->recv_room_id;
    s.extends_json = in->extends_json;
    s.status = RELAY_STATUS_AGREED;
    err = start_tx(a, &s, &lost);
    if (err && lost) {
        /* a concurrent start or stop changed the live between the check and the claim */
        err = check_live(a, ar, lost, lost == in->init_room_id ? caller : in->recv_user_id);
        return err ? err : ERR_ROOM_IN_PK;
    }
    out->sid = s.sid;
    out->status = s.status;
    return err ? err : peer_token(a, ar, in->recv_room_id, caller, &out->token);
}

static err_t find_session(struct app *a, struct arena *ar, bool read_only, const char *sid,
                          struct relay_session *out)
{
    struct store_conn *c = NULL;
    err_t err = store_acquire(a->store, read_only, &c);
    if (!err)
        err = relay_store_find(c, ar, sid, out);
    store_release(c);
    return err;
}

/* A session is read by its two anchors and by the members of its two rooms. */
static bool may_read(struct app *a, struct arena *ar, const struct relay_session *s,
                     const char *caller)
{
    return strcmp(caller, s->init_user_id) == 0 || strcmp(caller, s->recv_user_id) == 0 ||
           live_user_in_room(a, ar, s->init_room_id, caller) ||
           live_user_in_room(a, ar, s->recv_room_id, caller);
}

err_t relay_get(struct app *a, struct arena *ar, const char *sid, const char *caller,
                struct relay_session *out)
{
    err_t err = find_session(a, ar, true, sid, out);
    if (!err && !may_read(a, ar, out, caller))
        err = ERR_NOT_FOUND; /* an outsider cannot tell a foreign session from a missing one */
    return err;
}

/* GATE: an open session, and the caller on air in its own PK live. Every
 * failure is ERR_NOT_FOUND (the reference's 500 "record not found" for a caller in no room
 * included). */
static err_t gate(struct app *a, struct arena *ar, const char *sid, const char *caller,
                  struct relay_session *s, const char **peer_room, bool *is_init)
{
    struct live_room l;
    char *current = NULL;
    err_t err = find_session(a, ar, false, sid, s);
    if (!err && s->status == RELAY_STATUS_STOPPED)
        err = ERR_NOT_FOUND;
    if (!err)
        err = live_presence_of(a, ar, caller, &current);
    if (!err && !current)
        err = ERR_NOT_FOUND;
    if (!err)
        err = live_find(a, ar, current, &l);
    if (err)
        return err;
    if (l.status != LIVE_STATUS_ON || strcmp(l.anchor_id, caller) != 0)
        return ERR_NOT_FOUND;
    *is_init = strcmp(caller, s->init_user_id) == 0 && strcmp(current, s->init_room_id) == 0;
    if (*is_init)
        *peer_room = s->recv_room_id;
    else if (strcmp(caller, s->recv_user_id) == 0 && strcmp(current, s->recv_room_id) == 0)
        *peer_room = s->init_room_id;
    else
        return ERR_NOT_FOUND;
    return ERR_OK;
}

/* The invited anchor took part: its invitation no longer times out. */
static err_t mark_joined(struct app *a, struct arena *ar, const struct relay_session *s)
{
    struct store_conn *c = NULL;
    err_t err = store_acquire(a->store, false, &c);
    if (!err)
        err = relay_store_mark_joined(c, ar, s->id, clock_now_s(a->clock));
    store_release(c);
    return err;
}

err_t relay_token(struct app *a, struct arena *ar, const char *sid, const char *caller,
                  struct relay_ticket *out)
{
    struct relay_session s;
    const char *peer = NULL;
    bool is_init = false;
    err_t err = gate(a, ar, sid, caller, &s, &peer, &is_init);
    if (!err && !is_init)
        err = mark_joined(a, ar, &s);
    if (err)
        return err;
    out->sid = s.sid;
    out->status = s.status;
    return peer_token(a, ar, peer, caller, &out->token);
}

err_t relay_report_started(struct app *a, struct arena *ar, const char *sid, const char *caller,
                           struct relay_ticket *out)
{
    struct relay_session s;
    struct store_conn *c = NULL;
    const char *peer = NULL;
    bool is_init = false;
    int64_t n = 0;
    err_t err = gate(a, ar, sid, caller, &s, &peer, &is_init);
    if (!err)
        err = store_acquire(a->store, false, &c);
    if (!err)
        err = relay_store_report(c, s.id, is_init, clock_now_s(a->clock), &n);
    if (!err && !is_init)
        err = relay_store_mark_joined(c, ar, s.id, clock_now_s(a->clock));
    /* the status the statement left, read on the primary */
    if (!err)
        err = relay_store_find(c, ar, sid, &s);
    store_release(c);
    if (!err && s.status == RELAY_STATUS_STOPPED)
        err = ERR_NOT_FOUND; /* stopped between the gate and the update */
    out->sid = s.sid;
    out->status = s.status;
    out->token = NULL;
    return err;
}

/* Stops a session, frees both lives' pk_id and stores pk_stopped, in one transaction. */
static err_t stop_session_tx(struct app *a, const struct relay_session *s)
{
    struct store_conn *c = NULL;
    int64_t n = 0, now = clock_now_s(a->clock);
    err_t err = store_acquire(a->store, false, &c);
    if (err)
        return err;
    err = store_begin(c);
    if (err)
        goto out;
    err = relay_store_stop(c, s->id, now, &n);
    if (!err && n == 0)
        err = ERR_NOT_FOUND; /* a concurrent stop won */
    if (!err)
        err = live_pk_release(a, c, s->init_room_id, s->sid);
    if (!err)
        err = live_pk_release(a, c, s->recv_room_id, s->sid);
    /* the body is the session as it was before stopping, like the reference's */
    if (!err)
        err = callback_emit(a, c, "pk_stopped", s->init_room_id, relay_session_json(s));
    err = store_tx_end(c, err);
out:
    store_release(c);
    return err;
}

err_t relay_stop(struct app *a, struct arena *ar, const char *sid, const char *caller)
{
    struct relay_session s;
    const char *peer = NULL;
    bool is_init = false;
    err_t err = gate(a, ar, sid, caller, &s, &peer, &is_init);
    return err ? err : stop_session_tx(a, &s);
}

/* A room that stops (anchor, timeout, admin) ends its PK too, so the other room is free for a
 * new one. Failures are logged: the stop itself already happened. */
static void end_pk_of_stopped_room(struct app *a, const char *event, const char *live_id)
{
    struct arena *ar;
    struct live_room l;
    struct relay_session s;
    if (strcmp(event, "stopped") != 0)
        return;
    ar = arena_new();
    err_t err = live_find(a, ar, live_id, &l);
    if (!err && !is_empty(l.pk_id))
        err = find_session(a, ar, false, l.pk_id, &s);
    if (!err && !is_empty(l.pk_id) && s.status != RELAY_STATUS_STOPPED)
        err = stop_session_tx(a, &s);
    if (err && err != ERR_NOT_FOUND)
        log_warn("PK of stopped live %s not ended: %s", live_id, err_name(err));
    arena_free(&ar);
}

void relay_observe_lives(struct app *a)
{
    live_on_change(a, end_pk_of_stopped_room);
}

/* Consent is given between the clients, so a PK the invited anchor never took up (no relay
 * token, no start report) within live.pk_invite_timeout_s ends by itself: both rooms are free
 * again and pk_stopped is sent. */
static err_t end_unanswered_invites(void *ud)
{
    struct app *a = ud;
    struct arena *ar = arena_new();
    struct store_conn *c = NULL;
    struct relay_session *list = NULL;
    size_t n = 0;
    /* the primary: a replica behind it could show a PK just taken up as unanswered */
    err_t err = store_acquire(a->store, false, &c);
    if (!err)
        err =
            relay_store_unanswered(c, ar, clock_now_s(a->clock) - a->conf.live.pk_invite_timeout_s,
                                   INVITE_BATCH, &list, &n);
    store_release(c);
    for (size_t i = 0; i < n && !err; i++) {
        err = stop_session_tx(a, &list[i]);
        if (err == ERR_NOT_FOUND)
            err = ERR_OK; /* stopped meanwhile */
        else if (!err)
            log_info("PK %s ended: %s did not take part within %" PRId64 " s", list[i].sid,
                     list[i].recv_user_id, a->conf.live.pk_invite_timeout_s);
    }
    arena_free(&ar);
    return err;
}

void relay_schedule_jobs(struct app *a)
{
    int64_t period_ms = a->conf.live.pk_invite_timeout_s * 1000 / 4;
    struct cron_job job = {
        .name = "relay_invite_timeout",
        .period_ms = period_ms < 1000    ? 1000
                     : period_ms > 10000 ? 10000
                                         : period_ms,
        .fn = end_unanswered_invites,
        .ud = a,
        .singleton = true,
    };
    if (cron_add(a->cron, &job))
        log_error("cannot schedule the PK invitation timeout job");
}

json_t *relay_session_json(const struct relay_session *s)
{
    json_t *o = json_object();
    json_object_set_new(o, "ID", json_integer(s->id));
    json_object_set_new(o, "sid", jv_str(s->sid));
    json_object_set_new(o, "init_user_id", jv_str(s->init_user_id));
    json_object_set_new(o, "init_room_id", jv_str(s->init_room_id));
    json_object_set_new(o, "recv_user_id", jv_str(s->recv_user_id));
    json_object_set_new(o, "recv_room_id", jv_str(s->recv_room_id));
    json_object_set_new(o, "extends", jv_extends_load(s->extends_json));
    json_object_set_new(o, "status", json_integer(s->status));
    json_object_set_new(o, "start_at", s->start_at ? json_integer(s->start_at) : json_null());
    json_object_set_new(o, "stop_at", s->stop_at ? json_integer(s->stop_at) : json_null());
    json_object_set_new(o, "created_at", s->created_at ? json_integer(s->created_at) : json_null());
    json_object_set_new(o, "updated_at", s->updated_at ? json_integer(s->updated_at) : json_null());
    return o;
}
