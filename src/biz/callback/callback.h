#ifndef QNLIVE_BIZ_CALLBACK_CALLBACK_H
#define QNLIVE_BIZ_CALLBACK_CALLBACK_H

/* Business callbacks: events such as live_created are written to the durable
 * `outbox` table inside the caller's transaction and delivered later, at least once and in
 * order per room, by a background worker that POSTs {"type": T, "body": B} to callback.addr
 * with retries and capped exponential back-off. The request that caused an event never waits
 * for its delivery. Each POST carries the header `X-Qnlive-Event-Id: <outbox id>` on which
 * the receiver can deduplicate. */

#include <jansson.h>
#include <stdint.h>

#include "core/err.h"

struct app;
struct store_conn;

/* Stores one event row (topic `type`, room `live_id`, payload `body`) through the caller's
 * store connection c, so that it commits or rolls back with the caller's transaction. body is
 * stolen (decref'd in every case, may be NULL for an empty object). A no-op returning ERR_OK
 * when cf->callback.addr is empty: nothing is stored then. Store errors are returned. */
err_t callback_emit(struct app *a, struct store_conn *c, const char *type, const char *live_id,
                    json_t *body) MUST_USE;

/* Registers the delivery worker (a cron job) when callback.addr is configured, and the admin
 * route listing dead letters. */
void callback_module_register(struct app *a);

struct arena;
struct outbox_row;

/* A page (1-based page_num, page_size rows) of dead letters, newest first, with their total;
 * *rows is an arena array of *n entries. Store errors are returned. */
err_t callback_dead_list(struct app *a, struct arena *ar, int64_t page_num, int64_t page_size,
                         struct outbox_row **rows, size_t *n, int64_t *total) MUST_USE;

/* The outbox as it stands: events not yet delivered, the age in seconds of the oldest of them
 * (0 when none) and the dead letters. Counted on demand (two indexed COUNTs on the read pool),
 * by the metrics collector at scrape time. Store errors are returned (and *out is zeroed). */
struct callback_backlog {
    int64_t pending;
    int64_t oldest_age_s;
    int64_t dead;
};
err_t callback_backlog(struct app *a, struct callback_backlog *out) MUST_USE;

/* Schedules the delivery job when callback.addr is set (at registration). */
void callback_jobs_register(struct app *a);

#endif
