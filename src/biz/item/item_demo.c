/* Demonstrate (讲解) and demonstrate recordings. */
#define LOG_MODULE "item"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "biz/item/item.h"
#include "biz/item/item_store.h"
#include "biz/live/live.h"
#include "clients/pili.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "cron/cron.h"
#include "store/store.h"

enum {
    RECORDINGS_PERIOD_MS = 5000,
    SWEEP_BATCH = 200, /* demonstrating rooms checked per run */
};

/* The Pili stream of a live: the last segment of its push URL as the reference derived it, or,
 * for a room that is gone, the stream name of the configured pattern. Heap string. */
static char *stream_title(struct app *a, const struct live_room *lr, const char *live_id)
{
    if (lr && lr->push_url && lr->push_url[0])
        return pili_stream_title(lr->push_url);
    return a->pili ? pili_stream_name(a->pili, live_id) : xstrdup("");
}

/* Ends an open recording at `end`: status "waiting" until Pili accepted its save-as. Guarded,
 * so a recording already closed elsewhere is left alone. */
static err_t close_rec(struct store_conn *c, struct item_record *log, int64_t end)
{
    log->end = end;
    log->status = RECORD_WAITING;
    return item_store_log_close(c, log->id, end);
}

/* SAVE_AS: asks Pili to save [start, end] of a closed recording. Accepted → status 0 (saved)
 * with Pili's file name; refused or unreachable → still waiting, retried by the recordings job
 * until pili.saveas_retry_s after its end, then 3 (failed). The file name carries the log id
 * so recordings of one item never overwrite each other. */
static err_t save_rec(struct app *a, struct store_conn *c, struct arena *ar, const char *title,
                      struct item_record *log, struct err_msg *why)
{
    char *fname = xasprintf("%s_%s_%" PRId64, log->live_id, log->item_id, log->id);
    char *saved = NULL;
    err_t err = ERR_UPSTREAM;
    if (a->pili)
        err = pili_save_as(a->pili, title, fname, log->start, log->end, &saved);
    if (err)
        (void)err_msgf(why, err, "%s", a->pili ? "pili save-as failed" : "pili not configured");
    bool gives_up = !a->pili || clock_now_s(a->clock) - log->end >= a->conf.pili.saveas_retry_s;
    if (!err || gives_up) {
        log->status = err ? RECORD_FAILED : RECORD_OK;
        if (!err)
            log->fname = arena_strdup(ar, saved);
        if (item_store_log_finish(c, log->id, log->fname, log->status, log->end) != ERR_OK)
            log_warn("recording %" PRId64 " not updated", log->id);
    }
    free(saved);
    free(fname);
    return err;
}

/* STOP_REC in a request of the anchor: closes the recording and asks for its save-as at once. */
static err_t stop_rec(struct app *a, struct store_conn *c, struct arena *ar,
                      const struct live_room *lr, struct item_record *log, struct err_msg *why)
{
    err_t err = close_rec(c, log, clock_now_s(a->clock));
    if (err)
        return err;
    char *title = stream_title(a, lr, log->live_id);
    err = save_rec(a, c, ar, title, log, why);
    free(title);
    return err;
}

/* Closes the live's open recordings (normally at most one) and asks for their save-as.
 * *last = the last one closed. A failed save-as is retried later: only store errors fail. */
static err_t close_open(struct app *a, struct store_conn *c, struct arena *ar,
                        const struct live_room *lr, struct item_record **last, struct err_msg *why)
{
    struct item_record *open;
    size_t n;
    err_t err = item_store_logs(c, ar, "live_id = ? AND `end` IS NULL ORDER BY id",
                                (struct sql_arg[]){SQL_STR(lr->live_id)}, 1, &open, &n);
    *last = NULL;
    for (size_t i = 0; i < n && !err; i++) {
        err = stop_rec(a, c, ar, lr, &open[i], why);
        if (err == ERR_UPSTREAM)
            err = ERR_OK; /* waiting: the recordings job retries it */
        *last = &open[i];
    }
    return err;
}

err_t item_demo_start(struct app *a, struct arena *ar, const char *live_id, const char *item_id,
                      bool record)
{
    struct live_room lr;
    struct store_conn *c = NULL;
    struct item it;
    struct item_record *closed;
    int64_t log_id = 0;
    err_t err = live_find(a, ar, live_id, &lr);
    if (!err)
        err = store_acquire(a->store, false, &c);
    if (!err)
        err = item_store_get(c, ar, live_id, item_id, &it);
    if (!err && it.status == 0)
        err = ERR_BAD_REQUEST;
    if (err)
        goto out;
    if (close_open(a, c, ar, &lr, &closed, NULL) != ERR_OK)
        log_warn("live %s: open recording not closed", live_id);
    err = item_store_demo_set(c, ar, live_id, item_id, clock_now_s(a->clock));
    if (!err && record)
        err = item_store_log_insert(c, live_id, item_id, clock_now_s(a->clock), &log_id);
    if (!err && record) {
        it.record_id = log_id;
        err = item_store_save(c, &it, clock_now_s(a->clock));
    }
out:
    store_release(c);
    return err;
}

err_t item_demo_stop(struct app *a, struct arena *ar, const char *live_id, struct item_record **rec,
                     struct err_msg *why)
{
    struct live_room lr;
    struct store_conn *c = NULL;
    err_t err = live_find(a, ar, live_id, &lr);
    *rec = NULL;
    if (!err)
        err = store_acquire(a->store, false, &c);
    if (!err)
        err = item_store_demo_set(c, ar, live_id, "", clock_now_s(a->clock));
    if (!err)
        err = close_open(a, c, ar, &lr, rec, why);
    store_release(c);
    return err;
}

/* Clears the demonstrated item and closes the open recordings (waiting for their save-as,
 * which the recordings job asks for: no upstream call in the caller's request). */
static err_t end_demo(struct store_conn *c, struct arena *ar, const char *live_id, int64_t now)
{
    struct item_record *open;
    size_t n = 0;
    err_t err = item_store_demo_set(c, ar, live_id, "", now);
    if (!err)
        err = item_store_logs(c, ar, "live_id = ? AND `end` IS NULL ORDER BY id",
                              (struct sql_arg[]){SQL_STR(live_id)}, 1, &open, &n);
    for (size_t i = 0; i < n && !err; i++)
        err = close_rec(c, &open[i], now);
    return err;
}

void item_demo_end(struct app *a, const char *live_id)
{
    struct arena *ar = arena_new();
    struct store_conn *c = NULL;
    err_t err = store_acquire(a->store, false, &c);
    if (!err)
        err = end_demo(c, ar, live_id, clock_now_s(a->clock));
    store_release(c);
    arena_free(&ar);
    if (err)
        log_warn("demonstration of %s not ended: %s", live_id, err_name(err));
}

/* A demonstration outlives its room's anchor only while the room is being prepared: it ends
 * when the room stopped or is gone, or when the room is on air without its anchor (left or
 * timed out). */
static bool demo_is_orphan(struct app *a, struct arena *ar, const char *live_id)
{
    struct live_room lr;
    err_t err = live_find(a, ar, live_id, &lr);
    if (err)
        return err == ERR_NOT_FOUND;
    if (lr.status == LIVE_STATUS_OFF)
        return true;
    return lr.status == LIVE_STATUS_ON && !live_user_in_room(a, ar, live_id, lr.anchor_id);
}

/* Ends the demonstrations a missed room event left behind. */
static err_t sweep_orphans(struct app *a, struct store_conn *c, struct arena *ar)
{
    const char **lives;
    size_t n = 0;
    err_t err = item_store_demo_lives(c, ar, SWEEP_BATCH, &lives, &n);
    for (size_t i = 0; i < n && !err; i++) {
        if (demo_is_orphan(a, ar, lives[i])) {
            log_info("live %s: demonstration ended (room stopped or anchor gone)", lives[i]);
            err = end_demo(c, ar, lives[i], clock_now_s(a->clock));
        }
    }
    return err;
}

/* Asks Pili again for the save-as of closed recordings still waiting. */
static err_t save_waiting(struct app *a, struct store_conn *c, struct arena *ar)
{
    struct item_record *logs;
    size_t n = 0;
    err_t err = item_store_logs(c, ar, "status = ? AND `end` IS NOT NULL ORDER BY id LIMIT 20",
                                (struct sql_arg[]){SQL_I64(RECORD_WAITING)}, 1, &logs, &n);
    for (size_t i = 0; i < n && !err; i++) {
        struct live_room lr;
        bool found = live_find(a, ar, logs[i].live_id, &lr) == ERR_OK;
        char *title = stream_title(a, found ? &lr : NULL, logs[i].live_id);
        if (save_rec(a, c, ar, title, &logs[i], NULL) != ERR_OK)
            log_warn("recording %" PRId64 ": save-as failed, %s", logs[i].id,
                     logs[i].status == RECORD_FAILED ? "given up" : "will retry");
        free(title);
    }
    return err;
}

static err_t recordings_job(void *ud)
{
    struct app *a = ud;
    struct arena *ar = arena_new();
    struct store_conn *c = NULL;
    err_t err = store_acquire(a->store, false, &c);
    if (!err)
        err = sweep_orphans(a, c, ar);
    if (!err)
        err = save_waiting(a, c, ar);
    store_release(c);
    arena_free(&ar);
    return err;
}

void item_schedule_jobs(struct app *a)
{
    struct cron_job job = {
        .name = "item_recordings",
        .period_ms = RECORDINGS_PERIOD_MS,
        .fn = recordings_job,
        .ud = a,
        .singleton = true,
    };
    if (cron_add(a->cron, &job))
        log_error("cannot schedule the recordings job");
}

err_t item_demo_get(struct app *a, struct arena *ar, const char *live_id, struct item **out)
{
    struct store_conn *c = NULL;
    const char *demo = "";
    struct item *it = arena_zalloc(ar, sizeof(*it));
    err_t err = store_acquire(a->store, false, &c);
    *out = NULL;
    if (!err)
        err = item_store_demo_get(c, ar, live_id, &demo);
    if (!err && demo[0]) {
        err = item_store_get(c, ar, live_id, demo, it);
        if (!err) {
            *out = it;
            struct item_record *logs;
            size_t n = 0;
            if (it->record_id > 0 &&
                item_store_logs(c, ar, "id = ?", (struct sql_arg[]){SQL_I64(it->record_id)}, 1,
                                &logs, &n) == ERR_OK &&
                n)
                it->record = logs;
        }
        err = err == ERR_NOT_FOUND ? ERR_OK : err; /* a deleted item: nothing demonstrated */
    }
    store_release(c);
    return err;
}

err_t item_records(struct app *a, struct arena *ar, const char *live_id, struct item_record **out,
                   size_t *n)
{
    struct store_conn *c = NULL;
    err_t err = store_acquire(a->store, false, &c);
    if (!err)
        err = item_store_logs(c, ar, "live_id = ? ORDER BY id",
                              (struct sql_arg[]){SQL_STR(live_id)}, 1, out, n);
    store_release(c);
    return err;
}

err_t item_record_latest(struct app *a, struct arena *ar, const char *live_id, const char *item_id,
                         struct item_record *out)
{
    struct store_conn *c = NULL;
    struct item_record *logs;
    size_t n = 0;
    err_t err = store_acquire(a->store, false, &c);
    if (!err)
        err = item_store_logs(c, ar,
                              "live_id = ? AND item_id = ? AND status = 0 "
                              "ORDER BY id DESC LIMIT 1",
                              (struct sql_arg[]){SQL_STR(live_id), SQL_STR(item_id)}, 2, &logs, &n);
    store_release(c);
    if (!err && n == 0)
        err = ERR_NOT_FOUND;
    if (!err)
        *out = logs[0];
    return err;
}

err_t item_records_delete(struct app *a, struct arena *ar, const char *live_id, const int64_t *ids,
                          size_t n, int64_t **failed, size_t *nfailed, struct err_msg *why)
{
    struct store_conn *c = NULL;
    err_t err = store_acquire(a->store, false, &c);
    *failed = arena_zalloc(ar, (n + 1) * sizeof(**failed));
    *nfailed = 0;
    for (size_t i = 0; i < n && !err; i++) {
        struct item_record *log;
        size_t found = 0;
        err =
            item_store_logs(c, ar, "id = ?", (struct sql_arg[]){SQL_I64(ids[i])}, 1, &log, &found);
        if (!err && found && strcmp(log->live_id ? log->live_id : "", live_id) != 0) {
            err = err_msgf(why, ERR_BAD_REQUEST, "video %" PRId64 " not int live %s", ids[i],
                           live_id);
        }
        if (err)
            break;
        /* a missing log is a failure of that id, not a crash */
        if (!found ||
            item_store_unlink_record(c, live_id, ids[i], clock_now_s(a->clock)) != ERR_OK ||
            item_store_log_delete(c, live_id, ids[i]) != ERR_OK)
            (*failed)[(*nfailed)++] = ids[i];
    }
    store_release(c);
    return err;
}
