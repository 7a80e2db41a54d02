#ifndef QNLIVE_BIZ_LIVE_H
#define QNLIVE_BIZ_LIVE_H

/* The live-room service: live_entities rows, the per-user presence rows of
 * live_room_user_entities, the room state machine and its timeout jobs.
 * Strings of a live_room live in the arena passed to the call. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct app;
struct arena;
struct store_conn;

enum {
    LIVE_ID_MAX = 64,
    LIVE_TITLE_MAX = 128,
    LIVE_NOTICE_MAX = 255,
    LIVE_COVER_MAX = 255,
    LIVE_EXTENDS_MAX = 1024,
};

/* live_entities.status. */
enum live_status {
    LIVE_STATUS_PREPARE = 0,
    LIVE_STATUS_ON = 1,
    LIVE_STATUS_OFF = 2,
};

/* One live_entities row. Times are Unix seconds, 0 when the column is NULL. */
struct live_room {
    int64_t id;
    const char *live_id;
    const char *title;
    const char *notice;
    const char *cover_url;
    const char *extends_json; /* JSON object text or NULL (SQL NULL / "null") */
    const char *anchor_id;
    int status; /* enum live_status */
    const char *pk_id;
    int64_t online_count; /* DB column; computed counts come from live_online_count */
    int64_t start_at;
    int64_t end_at;
    int64_t chat_id;
    const char *push_url;
    const char *rtmp_play_url;
    const char *flv_play_url;
    const char *hls_play_url;
    int64_t last_heartbeat_at;
    int64_t created_at;
    int64_t updated_at;
    const char *stop_reason;
    const char *stop_user_id;
    int64_t stop_at;
    int64_t unreview_censor_count;
    int64_t last_censor_time;
};

/* Finds a room that is not soft-deleted. ERR_NOT_FOUND when absent or deleted,
 * ERR_UNAVAILABLE when the database is unreachable. */
err_t live_find(struct app *a, struct arena *ar, const char *live_id,
                struct live_room *out) MUST_USE;

/* Reads the caller's presence: *live_id_out is the room the user is online in (arena string),
 * or NULL when the user is in no room (no row, or status 0). ERR_UNAVAILABLE on store errors. */
err_t live_presence_of(struct app *a, struct arena *ar, const char *user_id,
                       char **live_id_out) MUST_USE;

/* live_find plus live_user_in_room in one database round trip (the like's checks): *in_room
 * tells whether user_id is online in the room. Same errors as live_find. */
err_t live_find_for(struct app *a, struct arena *ar, const char *live_id, const char *user_id,
                    struct live_room *out, bool *in_room) MUST_USE;

/* True when the user is online (presence status 1) in exactly this room; false on any error. */
bool live_user_in_room(struct app *a, struct arena *ar, const char *live_id, const char *user_id);

/* Number of users online in the room (presence status 1), anchor included. */
err_t live_online_count(struct app *a, const char *live_id, int64_t *out) MUST_USE;

/* Ids of the rooms on air (status 1, not deleted), as arena strings in *ids (n entries; an
 * empty result gives *n = 0). Used by the like-TTL keep-alive job. */
err_t live_list_online_ids(struct app *a, struct arena *ar, char ***ids, size_t *n) MUST_USE;

/* Stops an on-air room (status 1 → 2, end_at now) as its anchor would; when `reason` is non-NULL
 * also records stop_reason / stop_user_id / stop_at (admin censor stop). Emits live_stopped.
 * ERR_NOT_FOUND for an unknown or deleted room; ERR_INTERNAL when the room is not on air (the
 * reference's 500 "live status error"). */
err_t live_stop_by_system(struct app *a, const char *live_id, const char *reason,
                          const char *stop_user_id) MUST_USE;

/* A room lifecycle listener: event is "created" (after the room row committed), "stopped"
 * (after a stop or deletion committed, whatever the path: anchor, server, timeout job, admin,
 * delete) or "anchor_left" (the anchor left its room or timed out there; the room stays on air).
 * Runs synchronously in the caller's thread; it cannot fail the room operation, so it logs its own
 * errors. */
typedef void live_change_fn(struct app *a, const char *event, const char *live_id);

/* Adds a listener (at module registration, after live_module_register and before the server
 * starts; at most 8; registering the same function twice is a no-op). */
void live_on_change(struct app *a, live_change_fn *fn);

/* Registers the live routes and the room/presence timeout jobs. */
void live_module_register(struct app *a);

/* A room's checks in another module's cache round trip (likes). */
struct cache_batch;

/* The room's row as this node last cached it, whatever changed since: only for the fields a
 * room never changes (live_id, anchor_id, chat_id). False when this node has none. */
bool live_room_peek(struct app *a, struct arena *ar, const char *live_id, struct live_room *out);

/* Adds the read of the room's view generation to b (a group of its own); returns its index. */
size_t live_room_gen_cmd(struct app *a, struct cache_batch *b, struct arena *ar,
                         const char *live_id);

/* After b ran: the room as of the generation read by command i (ERR_NOT_FOUND when gone). */
err_t live_room_at(struct app *a, struct arena *ar, const char *live_id,
                   const struct cache_batch *b, size_t i, struct live_room *out) MUST_USE;

/* Adds "is user_id in live_id" to b's current group: a reply other than nil means yes. Its keys
 * share the room's hash slot ({live_id}), so it can guard a group of the room's keys. */
size_t live_member_cmd(struct cache_batch *b, struct arena *ar, const char *live_id,
                       const char *user_id);

/* Writes other modules make to a room inside their own transaction on c (a read-write
 * connection): the row stays the live module's, which tells the room's cached views once c
 * commits. Store errors are returned. */

/* Puts the room into PK sid when it is on air, owned by anchor_id and in no PK: *n = 1, else
 * *n = 0 and nothing changes. */
err_t live_pk_claim(struct app *a, struct store_conn *c, const char *live_id, const char *anchor_id,
                    const char *sid, int64_t *n) MUST_USE;

/* Takes the room out of PK sid, whatever its status; a room in no PK or another is left. */
err_t live_pk_release(struct app *a, struct store_conn *c, const char *live_id,
                      const char *sid) MUST_USE;

/* Recounts the room's unreviewed moderation images (censor_image); when last_censor_time > 0
 * also records it. */
err_t live_censor_refresh(struct app *a, struct store_conn *c, const char *live_id,
                          int64_t last_censor_time) MUST_USE;

/* Tells cached room views that live_id changed (another module wrote its row, e.g. pk_id):
 * bumps its generation and the lists'. Call after the write committed. */
void live_views_changed(struct app *a, const char *live_id);

/* Tells cached room views that user_id's profile changed (nick, avatar...): the rooms it
 * anchors show the new one on every node. Call after the write committed. */
void live_views_anchor_changed(struct app *a, const char *user_id);

#endif
