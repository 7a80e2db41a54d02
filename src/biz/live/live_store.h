#ifndef QNLIVE_BIZ_LIVE_STORE_H
#define QNLIVE_BIZ_LIVE_STORE_H

/* SQL of the live module: live_entities and live_room_user_entities. Every write is
 * one guarded statement; callers check *affected to learn whether the guard held. All
 * functions return the store's errors (ERR_UNAVAILABLE, ERR_INTERNAL). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "biz/live/live.h"
#include "biz/live/live_int.h"
#include "core/err.h"

struct store_conn;
struct arena;

/* A page query: which rooms, in which order. */
enum live_list_kind {
    LIVE_LIST_OPEN,   /* status 0 or 1, on air first */
    LIVE_LIST_STATUS, /* status = arg */
    LIVE_LIST_ANCHOR, /* anchor_id = arg, newest start first */
    LIVE_LIST_SEARCH, /* on air, title / live_id / anchor_id starting with arg */
};

/* The room (not soft-deleted); ERR_NOT_FOUND when absent. */
err_t live_store_find(struct store_conn *c, struct arena *ar, const char *live_id,
                      struct live_room *out) MUST_USE;

/* The room with, in the same statement, the computed fields `want` asks for (LIVE_WANT_*) and
 * its anchor's profile (out->has_anchor false when the profile is gone); ERR_NOT_FOUND when the
 * room is absent. */
err_t live_store_view(struct store_conn *c, struct arena *ar, const char *live_id, int want,
                      struct live_view *out) MUST_USE;

/* Inserts a new room; *id gets its row id. */
err_t live_store_insert(struct store_conn *c, const struct live_room *l, int64_t now,
                        int64_t *id) MUST_USE;

/* status 0|1 → 1 for the room's anchor, start_at = last_heartbeat_at = now; push_url replaces
 * the stored one unless NULL. */
err_t live_store_start(struct store_conn *c, const char *live_id, const char *anchor_id,
                       const char *push_url, int64_t now, int64_t *affected) MUST_USE;

/* status 1 → 2, end_at = now; anchor_id NULL = any anchor; reason NULL = no stop_* columns. */
err_t live_store_stop(struct store_conn *c, const char *live_id, const char *anchor_id, int64_t now,
                      const char *reason, const char *stop_user_id, int64_t *affected) MUST_USE;

/* Soft-deletes the room; anchor_id NULL = any anchor. */
err_t live_store_delete(struct store_conn *c, const char *live_id, const char *anchor_id,
                        int64_t now, int64_t *affected) MUST_USE;

/* Replaces extends (text NULL = SQL "null") when the caller is the anchor. */
err_t live_store_set_extends(struct store_conn *c, const char *live_id, const char *anchor_id,
                             const char *text, int64_t now, int64_t *affected) MUST_USE;

/* The anchor's heartbeat: last_heartbeat_at = now unless it is newer than older_than already
 * (pass now to always write). */
err_t live_store_heartbeat(struct store_conn *c, const char *live_id, int64_t now,
                           int64_t older_than) MUST_USE;

/* One page of rooms as views (see live_store_view) plus the total count of the query. */
err_t live_store_page(struct store_conn *c, struct arena *ar, enum live_list_kind kind,
                      const char *sarg, int64_t iarg, int64_t limit, int64_t offset, int want,
                      struct live_view **out, size_t *n, int64_t *total) MUST_USE;

/* Sets pk_id = sid on the room when it is on air, owned by anchor_id and in no PK; *n = rows
 * changed (0 or 1). */
err_t live_store_pk_claim(struct store_conn *c, const char *live_id, const char *anchor_id,
                          const char *sid, int64_t now, int64_t *n) MUST_USE;

/* Clears pk_id on the room when it still carries sid, whatever its status. */
err_t live_store_pk_release(struct store_conn *c, const char *live_id, const char *sid,
                            int64_t now) MUST_USE;

/* Recounts unreview_censor_count from the room's unreviewed censor_image rows; when t > 0 also
 * sets last_censor_time = t. */
err_t live_store_censor_refresh(struct store_conn *c, const char *live_id, int64_t t) MUST_USE;

/* Live ids of on-air rooms; with before > 0 only those whose anchor heartbeat is older. */
err_t live_store_on_air(struct store_conn *c, struct arena *ar, int64_t before, char ***ids,
                        size_t *n) MUST_USE;

/* One user's presence as the shared cache holds it, for the write-behind. */
struct presence_rec {
    const char *user_id;
    const char *live_id; /* "" = in no room */
    int64_t at;          /* when it last joined or sent a heartbeat (Unix seconds) */
};

enum { PRESENCE_ROWS_MAX = 256 };

/* Writes the presence rows of n users (their single row each: online in live_id, or left),
 * PRESENCE_ROWS_MAX rows per statement. */
err_t presence_store_put_many(struct store_conn *c, struct arena *ar,
                              const struct presence_rec *recs, size_t n, int64_t now) MUST_USE;

/* Every user online in a room per the table (arena array of *n). */
err_t presence_store_online(struct store_conn *c, struct arena *ar, struct presence_rec **out,
                            size_t *n) MUST_USE;

/* Viewing counters to add (stats type 1). */
struct view_count {
    const char *live_id, *user_id;
    int64_t count;
};

/* Adds n viewing counters in multi-row upserts. */
err_t live_store_count_views(struct store_conn *c, struct arena *ar, const struct view_count *v,
                             size_t n, int64_t now) MUST_USE;

#endif
