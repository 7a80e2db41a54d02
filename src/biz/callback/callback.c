/* Business callbacks: the outbox writer (callback_emit) and the delivery worker, a cron job
 * that runs every second on every node. Nodes share the work through row claims
 * (locked_by/locked_until), so an event is never delivered by two nodes at once, and a claim
 * left by a crashed node expires by itself. */
#define LOG_MODULE "callback"

#include "biz/callback/callback.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "biz/callback/callback_store.h"
#include "clients/webhook.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "cron/cron.h"
#include "metrics/metrics.h"
#include "store/store.h"

enum {
    DELIVER_PERIOD_MS = 1000,
    BATCH = 32,          /* rooms served per round */
    MAX_ROUNDS = 50,     /* rounds per run, so one run stays short */
    CLAIM_S = 60,        /* claim length: well above one webhook timeout */
    BACKOFF_MAX_S = 60,  /* retry delays 1, 2, 4, ... 60 s */
    RETENTION_S = 86400, /* delivered rows are kept a day for audits */
};

err_t callback_emit(struct app *a, struct store_conn *c, const char *type, const char *live_id,
                    json_t *body)
{
    err_t err = ERR_OK;
    char *text;

    if (!a->conf.callback.addr || !a->conf.callback.addr[0]) {
        json_decref(body);
        return ERR_OK;
    }
    text = body ? json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    err = outbox_insert(c, type, live_id ? live_id : "", text ? text : "{}", clock_now_s(a->clock));
    free(text);
    json_decref(body);
    return err;
}

/* Delay before attempt number `attempts + 1` after a failure. */
static int64_t backoff_s(int64_t attempts)
{
    int64_t d = 1;
    for (int64_t i = 0; i < attempts && d < BACKOFF_MAX_S; i++)
        d *= 2;
    return d < BACKOFF_MAX_S ? d : BACKOFF_MAX_S;
}

/* An event the business server keeps refusing is given up after callback.max_attempts failed
 * deliveries or once older than callback.max_age_s, so that it no longer holds back the later
 * events of its room. */
static bool is_given_up(const struct conf *cf, const struct outbox_row *ev, int64_t now)
{
    return ev->attempts + 1 >= cf->callback.max_attempts ||
           (ev->created_at > 0 && now - ev->created_at >= cf->callback.max_age_s);
}

/* Claims, posts and records one event. Returns a store error only; a failed delivery is
 * recorded for a later retry. */
static err_t deliver_one(struct app *a, struct store_conn *c, const struct outbox_row *ev,
                         const char *owner)
{
    char reason[256] = "";
    bool got = false;
    int64_t now = clock_now_s(a->clock);
    err_t err = outbox_claim(c, ev->id, owner, now, now + CLAIM_S, &got);
    if (err || !got)
        return err;
    err_t sent = webhook_post(a->webhook, ev->id, ev->topic, ev->payload, reason, sizeof(reason));
    now = clock_now_s(a->clock);
    if (!sent)
        return outbox_done(c, ev->id, owner, now);
    if (is_given_up(&a->conf, ev, now)) {
        log_error("event id=%" PRId64 " type=%s live_id=%s dead after %" PRId64 " attempts: %s",
                  ev->id, ev->topic, ev->live_id, ev->attempts + 1, reason);
        return outbox_dead(c, ev->id, owner, now, reason);
    }
    log_warn("event id=%" PRId64 " type=%s live_id=%s attempt=%" PRId64 " failed: %s", ev->id,
             ev->topic, ev->live_id, ev->attempts + 1, reason);
    return outbox_retry(c, ev->id, owner, now + backoff_s(ev->attempts), reason);
}

/* One round: the head event of up to BATCH rooms. *more is true when a full batch was found. */
static err_t deliver_round(struct app *a, struct store_conn *c, struct arena *ar, bool *more)
{
    struct outbox_row *rows = NULL;
    size_t n = 0;
    err_t err = outbox_due(c, ar, clock_now_s(a->clock), BATCH, &rows, &n);

    for (size_t i = 0; i < n && !err; i++)
        err = deliver_one(a, c, &rows[i], cron_owner(a->cron));
    *more = !err && n > 0;
    return err;
}

/* The cron job: rounds until nothing is due (a room's next event becomes due as soon as its
 * predecessor is delivered), then the retention purge. */
static err_t deliver_job(void *ud)
{
    struct app *a = ud;
    struct store_conn *c = NULL;
    struct arena *ar = arena_new();
    bool more = true;
    err_t err = store_acquire(a->store, false, &c);

    for (int i = 0; i < MAX_ROUNDS && more && !err; i++) {
        arena_reset(ar);
        err = deliver_round(a, c, ar, &more);
    }
    if (!err)
        err = outbox_purge(c, clock_now_s(a->clock) - RETENTION_S);
    store_release(c);
    arena_free(&ar);
    return err;
}

err_t callback_backlog(struct app *a, struct callback_backlog *out)
{
    struct outbox_backlog b = {0};
    struct store_conn *c = NULL;
    struct arena *ar = arena_new();
    err_t err = store_acquire(a->store, true, &c);
    if (!err)
        err = outbox_backlog(c, ar, &b);
    store_release(c);
    arena_free(&ar);
    int64_t now = clock_now_s(a->clock);
    *out = (struct callback_backlog){
        .pending = b.pending,
        .oldest_age_s =
            b.oldest_created_at > 0 && now > b.oldest_created_at ? now - b.oldest_created_at : 0,
        .dead = b.dead,
    };
    return err;
}

err_t callback_dead_list(struct app *a, struct arena *ar, int64_t page_num, int64_t page_size,
                         struct outbox_row **rows, size_t *n, int64_t *total)
{
    struct store_conn *c = NULL;
    err_t err = store_acquire(a->store, true, &c);
    if (!err)
        err = outbox_dead_page(c, ar, page_size, (page_num - 1) * page_size, rows, n, total);
    store_release(c);
    return err;
}

void callback_jobs_register(struct app *a)
{
    if (!a->conf.callback.addr || !a->conf.callback.addr[0])
        return;
    struct cron_job job = {
        .name = "DeliverCallbacks",
        .period_ms = DELIVER_PERIOD_MS,
        .fn = deliver_job,
        .ud = a,
        .timeout_ms = 120000,
    };
    if (cron_add(a->cron, &job))
        log_error("cannot schedule the callback delivery job");
}
