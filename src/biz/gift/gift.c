/* Gift rules: the exactly-once send flow and the catalogue. */
#define LOG_MODULE "gift"

#include "biz/gift/gift.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "biz/callback/callback.h"
#include "biz/gift/gift_store.h"
#include "biz/live/live.h"
#include "biz/stats/stats.h"
#include "clients/im.h"
#include "core/clock.h"
#include "core/deadline.h"
#include "core/ids.h"
#include "core/jv.h"
#include "core/log.h"
#include "core/mem.h"
#include "store/store.h"
#include "metrics/metrics.h"

/* A pending row older than this was abandoned (its request died between the insert and the
 * final update): a retry may claim it and ask the hook again with the same biz_id. */
static int64_t stale_after_s(const struct app *a)
{
    return a->conf.gift.timeout_ms / 1000 * 2 + 5;
}

static err_t store_err(err_t err)
{
    return err == ERR_UNAVAILABLE ? err : ERR_INTERNAL;
}

/* Inserts the pending row, or explains what a retry of an existing biz_id gets:
 * *claimed true = this request must call the hook; otherwise *t holds the stored outcome. */
static err_t claim(struct app *a, struct arena *ar, struct gift_tx *t, bool *claimed)
{
    struct store_conn *c = NULL;
    struct gift_tx old;
    bool inserted = false;
    err_t err = store_acquire(a->store, false, &c);
    if (!err)
        err = gift_store_insert(c, ar, t, &inserted);
    if (err || inserted)
        goto out;
    err = gift_store_get(c, ar, t->biz_id, &old);
    if (err)
        goto out;
    /* one biz_id = one gift: a key reused for another gift is the client's mistake */
    if (strcmp(old.user_id, t->user_id) != 0 || strcmp(old.live_id, t->live_id) != 0 ||
        old.gift_id != t->gift_id || old.amount != t->amount) {
        err = ERR_EXISTS;
        goto out;
    }
    *t = old;
    if (old.status == GIFT_PENDING && old.updated_at < clock_now_s(a->clock) - stale_after_s(a))
        err = gift_store_reclaim(c, t->biz_id, old.updated_at, clock_now_s(a->clock), &inserted);
out:
    store_release(c);
    *claimed = inserted;
    return err == ERR_NOT_FOUND ? ERR_INTERNAL : err;
}

/* The paid transition and its once-only effects, in one transaction: stats and the gift_send
 * callback commit together with status 1 or not at all. */
static err_t finish_paid(struct app *a, struct arena *ar, struct gift_tx *t, bool *moved)
{
    struct store_conn *c = NULL;
    int64_t now = clock_now_s(a->clock);
    err_t err = store_acquire(a->store, false, &c);
    if (err)
        goto out;
    err = store_begin(c);
    if (err)
        goto out;
    err = gift_store_finish(c, t->biz_id, GIFT_PAID, now, moved);
    if (!err && *moved) {
        struct stats_item it = {.live_id = t->live_id,
                                .user_id = t->user_id,
                                .biz_id = t->anchor_id,
                                .type = STATS_GIFT,
                                .count = t->amount};
        t->status = GIFT_PAID;
        t->updated_at = now;
        err = stats_add(c, ar, &it, now);
        if (!err)
            err = callback_emit(a, c, "gift_send", t->live_id, gift_send_json(t));
    }
    err = store_tx_end(c, err);
out:
    store_release(c);
    return err;
}

static void finish_failed(struct app *a, const struct gift_tx *t)
{
    struct store_conn *c = NULL;
    bool moved = false;
    /* best effort: a row left pending is reclaimed by a retry after stale_after_s */
    if (store_acquire(a->store, false, &c) == ERR_OK &&
        gift_store_finish(c, t->biz_id, GIFT_FAILED, clock_now_s(a->clock), &moved) != ERR_OK)
        log_warn("gift %s: failed status not stored", t->biz_id);
    store_release(c);
}

static void notify(struct app *a, const struct gift_tx *t, int64_t chat_id, int64_t from)
{
    if (chat_id == 0 || from == 0)
        return;
    /* in the background: the sender neither waits on IM nor fails with it */
    if (a->im &&
        !im_notify_gift_later(a->im, chat_id, from, t->user_id, t->live_id, t->gift_id, t->amount))
        log_warn("gift %s: gift_notify dropped: IM is behind", t->biz_id);
}

/* Asks the hook; ERR_GIFT_PAY when it does not approve (its verdict in *verdict) or cannot be
 * asked (verdict->code 0). */
static err_t charge(struct app *a, const struct gift_tx *t, struct pay_result *verdict)
{
    struct pay_order o = {t->biz_id, t->user_id, t->live_id, t->anchor_id, t->gift_id, t->amount};
    err_t err = pay_charge(a->pay, &o, verdict);
    if (err) {
        memset(verdict, 0, sizeof(*verdict));
        return ERR_GIFT_PAY;
    }
    return verdict->code != 0 ? ERR_GIFT_PAY : ERR_OK;
}

/* The hook may charge as soon as it is called, so from then on the send runs to its end
 * whatever the client does: a client hanging up or the request's deadline passing must not
 * abort the wait for the hook's verdict, nor the recording of a paid gift. It runs on a
 * deadline of its own instead, long enough for the hook's timeout and then as long as a whole
 * request is given for the recording. */
static err_t pay_and_record(struct app *a, struct arena *ar, struct gift_tx *t,
                            struct pay_result *verdict, bool *moved)
{
    struct deadline_saved saved;
    deadline_detach(a->conf.gift.timeout_ms + a->conf.httpq.request_timeout_ms, &saved);
    err_t err = charge(a, t, verdict);
    bool paid = err == ERR_OK;
    if (paid)
        err = finish_paid(a, ar, t, moved);
    else
        finish_failed(a, t);
    deadline_restore(&saved);
    return paid && err ? store_err(err) : err;
}

static void init_tx(struct arena *ar, const struct gift_send_in *in, const struct live_room *lr,
                    int64_t now, struct gift_tx *t)
{
    memset(t, 0, sizeof(*t));
    t->biz_id = in->biz_id && in->biz_id[0] ? in->biz_id : arena_printf(ar, "%" PRId64, ids_next());
    t->user_id = in->user_id;
    t->live_id = in->live_id;
    t->anchor_id = lr->anchor_id ? lr->anchor_id : "";
    t->gift_id = in->gift_id;
    t->amount = in->amount;
    t->created_at = t->updated_at = now;
}

/* A client key already stored: its retry replays the stored outcome whatever the room and
 * the catalogue have become since. */
static bool is_replay(struct app *a, struct arena *ar, const struct gift_send_in *in)
{
    struct store_conn *c = NULL;
    struct gift_tx old;
    if (!in->biz_id || !in->biz_id[0])
        return false;
    bool found = store_acquire(a->store, false, &c) == ERR_OK &&
                 gift_store_get(c, ar, in->biz_id, &old) == ERR_OK;
    store_release(c);
    return found;
}

/* What the server can check before charging: the room is on air, the sender is in it (the
 * anchor counts), the gift is in the catalogue and the amount is its price, or any positive
 * amount when the price is 0 (a custom amount). */
static err_t check_sendable(struct app *a, struct arena *ar, const struct gift_send_in *in,
                            const struct live_room *lr, bool in_room)
{
    struct store_conn *c = NULL;
    struct gift_config cfg;
    bool is_anchor = lr->anchor_id && strcmp(lr->anchor_id, in->user_id) == 0;
    if (lr->status != LIVE_STATUS_ON)
        return ERR_GIFT_ROOM_NOT_ON_AIR;
    if (!in_room && !is_anchor)
        return ERR_GIFT_NOT_IN_ROOM;
    if (in->amount <= 0)
        return ERR_GIFT_AMOUNT;
    err_t err = store_acquire(a->store, true, &c);
    if (!err)
        err = gift_store_config_get(c, ar, in->gift_id, &cfg);
    store_release(c);
    if (err == ERR_NOT_FOUND)
        return ERR_GIFT_UNKNOWN;
    if (err)
        return store_err(err);
    if (cfg.amount > 0 && in->amount != cfg.amount)
        return ERR_GIFT_PRICE;
    return ERR_OK;
}

err_t gift_send(struct app *a, struct arena *ar, const struct gift_send_in *in, struct gift_tx *out,
                struct pay_result *verdict)
{
    struct live_room lr;
    bool claimed = false, moved = false, in_room = false;
    memset(verdict, 0, sizeof(*verdict));
    err_t err = live_find_for(a, ar, in->live_id, in->user_id, &lr, &in_room);
    if (err)
        return err == ERR_NOT_FOUND ? ERR_GIFT_PAY : err;
    if (!is_replay(a, ar, in)) {
        err = check_sendable(a, ar, in, &lr, in_room);
        if (err)
            return err;
    }
    /* nobody waits for the answer any more: stop while nothing is claimed or charged */
    if (deadline_cancelled())
        return ERR_UNAVAILABLE;
    init_tx(ar, in, &lr, clock_now_s(a->clock), out);
    err = claim(a, ar, out, &claimed);
    if (err || !claimed) {
        /* a replay: paid → the same answer, failed or still being paid → refused */
        return err ? err : out->status == GIFT_PAID ? ERR_OK : ERR_GIFT_PAY;
    }
    err = pay_and_record(a, ar, out, verdict, &moved);
    if (err)
        return err;
    if (moved)
        notify(a, out, lr.chat_id, in->im_userid);
    metrics_add_gift(moved ? out->amount : -1);
    out->status = GIFT_PAID;
    return ERR_OK;
}

err_t gift_config_list(struct app *a, struct arena *ar, int64_t type, struct gift_config **out,
                       size_t *n)
{
    struct store_conn *c = NULL;
    err_t err = store_acquire(a->store, true, &c);
    if (!err)
        err = gift_store_config_list(c, ar, type, out, n);
    store_release(c);
    return err;
}

err_t gift_config_save(struct app *a, struct arena *ar, const struct gift_config *cfg)
{
    struct store_conn *c = NULL;
    if (cfg->gift_id <= 0 || !cfg->name || !cfg->name[0])
        return ERR_BAD_REQUEST;
    err_t err = store_acquire(a->store, false, &c);
    if (!err)
        err = gift_store_config_save(c, ar, cfg, clock_now_s(a->clock));
    store_release(c);
    return err;
}

err_t gift_config_delete(struct app *a, int64_t gift_id)
{
    struct store_conn *c = NULL;
    err_t err = store_acquire(a->store, false, &c);
    if (!err)
        err = gift_store_config_delete(c, gift_id, clock_now_s(a->clock));
    store_release(c);
    return err;
}

err_t gift_list(struct app *a, struct arena *ar, enum gift_list_by by, const char *value,
                int64_t page_num, int64_t page_size, struct gift_tx **out, size_t *n,
                int64_t *total)
{
    static const char *const cols[] = {"live_id", "anchor_id", "user_id"};
    struct store_conn *c = NULL;
    err_t err = store_acquire(a->store, true, &c);
    if (!err)
        err = gift_store_page(c, ar, cols[by], value, page_size, (page_num - 1) * page_size, out, n,
                              total);
    store_release(c);
    return err;
}

static json_t *time_or_null(int64_t t)
{
    return t ? json_integer((json_int_t)t) : json_null();
}

json_t *gift_tx_json(const struct gift_tx *t)
{
    json_t *o = json_object();
    if (t->id)
        json_object_set_new(o, "id", json_integer((json_int_t)t->id));
    json_object_set_new(o, "biz_id", jv_str(t->biz_id));
    json_object_set_new(o, "user_id", jv_str(t->user_id));
    json_object_set_new(o, "gift_id", json_integer((json_int_t)t->gift_id));
    json_object_set_new(o, "amount", json_integer((json_int_t)t->amount));
    json_object_set_new(o, "status", json_integer(t->status));
    json_object_set_new(o, "live_id", jv_str(t->live_id));
    json_object_set_new(o, "anchor_id", jv_str(t->anchor_id));
    json_object_set_new(o, "created_at", time_or_null(t->created_at));
    json_object_set_new(o, "updated_at", time_or_null(t->updated_at));
    return o;
}

json_t *gift_send_json(const struct gift_tx *t)
{
    return json_pack("{s:o, s:o, s:o, s:o, s:I, s:I, s:i}", "biz_id", jv_str(t->biz_id), "user_id",
                     jv_str(t->user_id), "live_id", jv_str(t->live_id), "anchor_id",
                     jv_str(t->anchor_id), "gift_id", (json_int_t)t->gift_id, "amount",
                     (json_int_t)t->amount, "status", t->status);
}

json_t *gift_config_json(const struct gift_config *g)
{
    return json_pack("{s:I, s:I, s:o, s:I, s:o, s:I, s:o, s:I, s:o}", "gift_id",
                     (json_int_t)g->gift_id, "type", (json_int_t)g->type, "name", jv_str(g->name),
                     "amount", (json_int_t)g->amount, "img", jv_str(g->img), "animation_type",
                     (json_int_t)g->animation_type, "animation_img", jv_str(g->animation_img),
                     "order", (json_int_t)g->order, "extends", jv_extends_load(g->extends_json));
}
