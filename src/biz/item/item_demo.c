/* Demonstrate (讲解) and demonstrate recordings (spec 03 §4.3 I9-I15, §4.5, §4.6). */
#define LOG_MODULE "item"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "biz/item/item.h"
#include "biz/item/item_store.h"
#include "biz/live/live.h"
#include "clients/pili.h"
#include "core/log.h"
#include "core/mem.h"
#include "store/store.h"

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

/* STOP_REC: saves [start, now] of the open recording through Pili save-as and marks the log
 * 0 (saved) or 3 (failed). The file name carries the log id so that recordings of the same
 * item never overwrite each other (§10 #23). */
static err_t stop_rec(struct app *a, struct store_conn *c, struct arena *ar,
                      const struct live_room *lr, struct item_record *log, char *msg)
{
    char *title = pili_stream_title(lr->push_url ? lr->push_url : "");
    char *fname = xasprintf("%s_%s_%" PRId64, log->live_id, log->item_id, log->id);
    char *saved = NULL;
    int64_t end = now_s();
    err_t err = ERR_UPSTREAM;
    if (a->pili)
        err = pili_save_as(a->pili, title, fname, log->start, end, &saved);
    if (err)
        snprintf(msg, ITEM_MSG_MAX, "%s", a->pili ? "pili save-as failed" : "pili not configured");
    log->status = err ? RECORD_FAILED : RECORD_OK;
    log->end = end;
    if (!err)
        log->fname = arena_strdup(ar, saved);
    if (item_store_log_finish(c, log->id, log->fname, log->status, end) != ERR_OK)
        log_warn("recording %" PRId64 " not updated", log->id);
    free(saved);
    free(fname);
    free(title);
    return err;
}

/* Closes the live's open recordings (normally at most one). *last = the last one closed. */
static err_t close_open(struct app *a, struct store_conn *c, struct arena *ar,
                        const struct live_room *lr, struct item_record **last, char *msg)
{
    struct item_record *open;
    size_t n;
    err_t err = item_store_logs(c, ar, "live_id = ? AND `end` IS NULL ORDER BY id",
                                (struct sql_arg[]){SQL_STR(lr->live_id)}, 1, &open, &n);
    *last = NULL;
    for (size_t i = 0; i < n && !err; i++) {
        err = stop_rec(a, c, ar, lr, &open[i], msg);
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
    char msg[ITEM_MSG_MAX];
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
    if (close_open(a, c, ar, &lr, &closed, msg) != ERR_OK)
        log_warn("live %s: open recording closed as failed", live_id);
    err = item_store_demo_set(c, ar, live_id, item_id, now_s());
    if (!err && record)
        err = item_store_log_insert(c, live_id, item_id, now_s(), &log_id);
    if (!err && record) {
        it.record_id = log_id;
        err = item_store_save(c, &it, now_s());
    }
out:
    store_release(c);
    return err;
}

err_t item_demo_stop(struct app *a, struct arena *ar, const char *live_id, struct item_record **rec,
                     char *msg)
{
    struct live_room lr;
    struct store_conn *c = NULL;
    err_t err = live_find(a, ar, live_id, &lr);
    *rec = NULL;
    if (!err)
        err = store_acquire(a->store, false, &c);
    if (!err)
        err = item_store_demo_set(c, ar, live_id, "", now_s());
    if (!err)
        err = close_open(a, c, ar, &lr, rec, msg);
    store_release(c);
    return err;
}

void item_demo_clear(struct app *a, const char *live_id)
{
    struct arena *ar = arena_new();
    struct store_conn *c = NULL;
    err_t err = store_acquire(a->store, false, &c);
    if (!err)
        err = item_store_demo_set(c, ar, live_id, "", now_s());
    store_release(c);
    arena_free(&ar);
    if (err)
        log_warn("demonstrated item of %s not cleared: %s", live_id, err_name(err));
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
                          size_t n, int64_t **failed, size_t *nfailed, char *msg)
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
            snprintf(msg, ITEM_MSG_MAX, "video %" PRId64 " not int live %s", ids[i], live_id);
            err = ERR_BAD_REQUEST;
        }
        if (err)
            break;
        /* a missing log is a failure of that id, not a crash (§10 #10) */
        if (!found || item_store_unlink_record(c, live_id, ids[i], now_s()) != ERR_OK ||
            item_store_log_delete(c, live_id, ids[i]) != ERR_OK)
            (*failed)[(*nfailed)++] = ids[i];
    }
    store_release(c);
    return err;
}
