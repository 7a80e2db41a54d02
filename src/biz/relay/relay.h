#ifndef QNLIVE_BIZ_RELAY_H
#define QNLIVE_BIZ_RELAY_H

/* The relay (cross-room PK) service: relay_sessions rows and the lives'
 * pk_id. Every transition is one guarded statement; a start claims both lives inside one
 * transaction with its pk_started event, a stop releases them with its pk_stopped event.
 * Strings of a relay_session live in the arena passed to the call. */

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"

struct app;
struct arena;

enum { RELAY_EXTENDS_MAX = 1024 };

/* relay_sessions.status. */
enum relay_status {
    RELAY_STATUS_WAITING = 0,
    RELAY_STATUS_AGREED = 1,
    RELAY_STATUS_INIT_STARTED = 2,
    RELAY_STATUS_RECV_STARTED = 3,
    RELAY_STATUS_BOTH_STARTED = 4,
    RELAY_STATUS_REJECTED = 5,
    RELAY_STATUS_STOPPED = 6,
};

/* One relay_sessions row; times are Unix seconds, 0 for NULL. */
struct relay_session {
    int64_t id;
    const char *sid;
    const char *init_user_id;
    const char *init_room_id;
    const char *recv_user_id;
    const char *recv_room_id;
    const char *extends_json; /* JSON object text or NULL */
    int status;               /* enum relay_status */
    int64_t start_at;
    int64_t stop_at;
    int64_t created_at;
    int64_t updated_at;
};

/* What R1 asks for; the initiator is the caller. */
struct relay_start_in {
    const char *init_room_id;
    const char *recv_room_id;
    const char *recv_user_id;
    const char *extends_json; /* NULL when absent */
};

/* A session id with its status and, when asked for, the caller's RTC token for the peer room
 * (arena string). */
struct relay_ticket {
    const char *sid;
    int status;
    const char *token;
};

/* Starts a PK from `caller`'s live (R1). Both lives must exist, be on air and belong to the
 * named anchors (ERR_NOT_FOUND); a live already in a PK is refused with ERR_ROOM_IN_PK.
 * ERR_BAD_REQUEST for missing or equal ids. */
err_t relay_start(struct app *a, struct arena *ar, const char *caller,
                  const struct relay_start_in *in, struct relay_ticket *out) MUST_USE;

/* The session `sid` in any status (R2), for its two anchors and the members of its two rooms;
 * ERR_NOT_FOUND when unknown or when `caller` is none of those. */
err_t relay_get(struct app *a, struct arena *ar, const char *sid, const char *caller,
                struct relay_session *out) MUST_USE;

/* The caller's token for the peer room of an open session it takes part in from its current
 * live (R3). ERR_NOT_FOUND otherwise. */
err_t relay_token(struct app *a, struct arena *ar, const char *sid, const char *caller,
                  struct relay_ticket *out) MUST_USE;

/* Records that the caller's side publishes into the peer room (R4): 1→2 or 1→3 for the first
 * side, →4 once both sides reported; a repeated report changes nothing. Same gate as
 * relay_token. out->token is NULL. */
err_t relay_report_started(struct app *a, struct arena *ar, const char *sid, const char *caller,
                           struct relay_ticket *out) MUST_USE;

/* Stops the session (R5) after the participant gate: status 6, both lives' pk_id cleared and
 * the pk_stopped event stored, in one transaction. ERR_NOT_FOUND for a stopped, unknown or
 * foreign session. */
err_t relay_stop(struct app *a, struct arena *ar, const char *sid, const char *caller) MUST_USE;

/* Merges `update` (an object of strings, borrowed) into the session's extends (R6/R7) and
 * sends pk_extends_notify with the changed keys into each live still carrying the sid.
 * `caller` NULL = the business server; otherwise it must be one of the two anchors
 * (ERR_NOT_FOUND). ERR_NOT_FOUND for an unknown sid; ERR_BAD_REQUEST when the merged map is
 * too long. */
err_t relay_update_extends(struct app *a, struct arena *ar, const char *sid, const char *caller,
                           json_t *update) MUST_USE;

/* Session JSON, keys in the reference's order, "ID" included. New reference. */
json_t *relay_session_json(const struct relay_session *s);

/* Registers the relay routes R1-R7. */
void relay_module_register(struct app *a);

/* Subscribes to room changes: a room that stops ends its PK session. */
void relay_observe_lives(struct app *a);

/* Schedules the singleton job ending PK sessions whose invited anchor did not take part (relay
 * token or start report) within live.pk_invite_timeout_s (pk_id of both rooms cleared,
 * pk_stopped sent). */
void relay_schedule_jobs(struct app *a);

#endif
