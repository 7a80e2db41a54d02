#ifndef QNLIVE_BIZ_RELAY_STORE_H
#define QNLIVE_BIZ_RELAY_STORE_H

/* SQL of the relay module: relay_sessions (the rooms' pk_id is the live module's to write). Each
 * function runs one statement on c; *n gets the rows changed. Store errors are returned. */

#include <stddef.h>

#include "biz/relay/relay.h"

struct store_conn;

/* A live carrying a PK: its id, anchor and chat room. */
struct relay_pk_live {
    const char *live_id;
    const char *anchor_id;
    int64_t chat_id;
};

/* Inserts the session (status, ids and extends from s) and sets s->id. */
err_t relay_store_insert(struct store_conn *c, struct relay_session *s, int64_t now) MUST_USE;

/* The first session with this sid; ERR_NOT_FOUND when none. */
err_t relay_store_find(struct store_conn *c, struct arena *ar, const char *sid,
                       struct relay_session *out) MUST_USE;

/* Applies one side's "started" report as a single CASE update on an open session; the first
 * report sets start_at. */
err_t relay_store_report(struct store_conn *c, int64_t id, bool is_init, int64_t now,
                         int64_t *n) MUST_USE;

/* Records (in relay_joins) that the invited anchor of session `id` took part; the first time
 * is kept. */
err_t relay_store_mark_joined(struct store_conn *c, struct arena *ar, int64_t id,
                              int64_t now) MUST_USE;

/* Up to `limit` open sessions (status 1 or 2) created before `created_before` whose invited
 * anchor never took part; *out is an arena array of *n entries. */
err_t relay_store_unanswered(struct store_conn *c, struct arena *ar, int64_t created_before,
                             size_t limit, struct relay_session **out, size_t *n) MUST_USE;

/* Moves an open session to status 6 with stop_at; *n 0 when it was already stopped. */
err_t relay_store_stop(struct store_conn *c, int64_t id, int64_t now, int64_t *n) MUST_USE;

/* Compare-and-set of the extends text: writes new_text only while the row still holds
 * old_text (NULL = SQL NULL). */
err_t relay_store_cas_extends(struct store_conn *c, int64_t id, const char *old_text,
                              const char *new_text, int64_t now, int64_t *n) MUST_USE;

/* The lives (not deleted) whose pk_id is sid (*out in the arena). */
err_t relay_store_pk_lives(struct store_conn *c, struct arena *ar, const char *sid,
                           struct relay_pk_live **out, size_t *n) MUST_USE;

#endif
