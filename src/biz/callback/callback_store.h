#ifndef QNLIVE_BIZ_CALLBACK_CALLBACK_STORE_H
#define QNLIVE_BIZ_CALLBACK_CALLBACK_STORE_H

/* SQL of the outbox table (db/mysql/0002_outbox.sql and 0003_outbox_room.sql). Internal to the
 * callback module. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct arena;
struct store_conn;

/* One undelivered event. Strings are arena-owned. */
struct outbox_row {
    int64_t id;
    const char *topic;
    const char *live_id;
    const char *payload;
    int64_t attempts;
    int64_t created_at;     /* Unix seconds */
    int64_t dead_at;        /* dead letters only; 0 otherwise */
    const char *last_error; /* dead letters only */
};

/* The delivery backlog: undelivered live events, the creation time of the oldest (0 when
 * none) and the dead letters. */
struct outbox_backlog {
    int64_t pending;
    int64_t oldest_created_at;
    int64_t dead;
};

/* Inserts one pending event due at `now`. */
err_t outbox_insert(struct store_conn *c, const char *topic, const char *live_id,
                    const char *payload, int64_t now) MUST_USE;

/* Up to `limit` deliverable events: due, not claimed (or with an expired claim), and the
 * oldest undelivered event of their room, so that a room's events go out strictly in order.
 * *rows is an arena array of *n entries. */
err_t outbox_due(struct store_conn *c, struct arena *ar, int64_t now, size_t limit,
                 struct outbox_row **rows, size_t *n) MUST_USE;

/* Claims event `id` for `owner` until `until`: *got is true when this call took it (it was
 * still undelivered and unclaimed, or its claim had expired). One atomic UPDATE, so two nodes
 * never both get the same event. */
err_t outbox_claim(struct store_conn *c, int64_t id, const char *owner, int64_t now, int64_t until,
                   bool *got) MUST_USE;

/* Marks a claimed event delivered at `now` and drops the claim. */
err_t outbox_done(struct store_conn *c, int64_t id, const char *owner, int64_t now) MUST_USE;

/* Records a failed attempt: attempts + 1, next try at `next_at`, the reason, claim dropped. */
err_t outbox_retry(struct store_conn *c, int64_t id, const char *owner, int64_t next_at,
                   const char *reason) MUST_USE;

/* Gives up on a claimed event: attempts + 1, dead since `now` with the last reason, claim
 * dropped. It stays in the table and no longer holds back its room's later events. */
err_t outbox_dead(struct store_conn *c, int64_t id, const char *owner, int64_t now,
                  const char *reason) MUST_USE;

/* Counts the backlog (see struct outbox_backlog). */
err_t outbox_backlog(struct store_conn *c, struct arena *ar, struct outbox_backlog *out) MUST_USE;

/* A page of dead letters, newest first, and their total. */
err_t outbox_dead_page(struct store_conn *c, struct arena *ar, int64_t limit, int64_t offset,
                       struct outbox_row **rows, size_t *n, int64_t *total) MUST_USE;

/* Deletes events delivered before `before` (retention). */
err_t outbox_purge(struct store_conn *c, int64_t before) MUST_USE;

#endif
