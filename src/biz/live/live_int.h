#ifndef QNLIVE_BIZ_LIVE_INT_H
#define QNLIVE_BIZ_LIVE_INT_H

/* Internal service API of the live module, shared by live_http.c and live_cron.c. Failing calls
 * return an err_t and, for the reference's untyped errors, set *msg to the wire message
 * ("live status error", "user not anchor", "user not in live room"); *msg stays NULL
 * otherwise. */

#include <jansson.h>

#include "biz/live/live.h"
#include "biz/user/user.h"

/* Fields of a new room (spec 02 §3.1); strings borrowed, times 0 = unset. */
struct live_create_in {
    const char *title, *notice, *cover_url;
    const char *extends_json; /* sorted JSON text or NULL */
    int64_t start_at, end_at, publish_expire_at;
};

/* One room with what LiveInfo shows besides the row. */
struct live_view {
    struct live_room room;
    struct user_row anchor;
    bool has_anchor;
    int anchor_status;
    int64_t online_count;
    const char *room_token; /* "" except after start */
};

/* A page of rooms or users, for PageResult. */
struct live_page {
    int64_t total;
    size_t n;
    size_t fetched;          /* rows the page query returned (end_page) */
    struct live_view *views; /* rooms */
    struct user_row *users;  /* room users */
};

/* Which computed fields a list wants. */
enum { LIVE_WANT_ANCHOR_STATUS = 1, LIVE_WANT_ONLINE = 2 };

/* Creates a room owned by anchor_id (L1/L15): ERR_NOT_FOUND for an unknown anchor, ERR_INTERNAL
 * when the IM chat room cannot be created. */
err_t live_create(struct app *a, struct arena *ar, const char *anchor_id,
                  const struct live_create_in *in, struct live_view *out) MUST_USE;

/* Deletes the room (L2/L18); anchor_id NULL = any owner. ERR_NOT_FOUND, ERR_FORBIDDEN. */
err_t live_delete(struct app *a, struct arena *ar, const char *live_id,
                  const char *anchor_id) MUST_USE;

/* Starts the room as user_id (L4); out->room_token is set. */
err_t live_start(struct app *a, struct arena *ar, const char *live_id, const char *user_id,
                 struct live_view *out, const char **msg) MUST_USE;

/* Stops the room (L5/L17); user_id NULL = as its anchor. */
err_t live_stop(struct app *a, struct arena *ar, const char *live_id, const char *user_id,
                const char **msg) MUST_USE;

/* Joins the room (L7), leaving any other room first. */
err_t live_join(struct app *a, struct arena *ar, const char *live_id, const char *user_id,
                struct live_view *out, const char **msg) MUST_USE;

/* Leaves the room (L10); leaving a room one is not in succeeds. */
err_t live_leave(struct app *a, const char *live_id, const char *user_id) MUST_USE;

/* Heartbeat (L11): *status gets the room's status. */
err_t live_heartbeat(struct app *a, struct arena *ar, const char *live_id, const char *user_id,
                     int *status, const char **msg) MUST_USE;

/* Replaces the room's extends (L12) when user_id is its anchor. */
err_t live_set_extends(struct app *a, struct arena *ar, const char *live_id, const char *user_id,
                       const char *extends_json) MUST_USE;

/* Room details with the computed fields selected by `want`. */
err_t live_view_load(struct app *a, struct arena *ar, const char *live_id, int want,
                     struct live_view *out) MUST_USE;

/* A page of rooms (L6, L8, L9). */
err_t live_list(struct app *a, struct arena *ar, int kind, const char *sarg, int64_t iarg,
                int64_t page_num, int64_t page_size, int want, struct live_page *out) MUST_USE;

/* A page of the users online in a room (L13). */
err_t live_list_users(struct app *a, struct arena *ar, const char *live_id, int64_t page_num,
                      int64_t page_size, struct live_page *out) MUST_USE;

/* LiveInfo JSON (spec 02 §2.1), new reference. */
json_t *live_info_json(const struct live_view *v);

/* One pass of the room timeout (job #2) and of the audience timeout (job #3). */
err_t live_expire_rooms(struct app *a) MUST_USE;
err_t live_expire_users(struct app *a) MUST_USE;

/* Views cache (live_views.c), a no-op unless live.view_cache_ms > 0. */
struct live_views_slot {
    bool usable; /* the generation is known: the answer may be stored */
    int64_t gen;
    const char *key; /* borrowed */
};

/* Creates the local cache when enabled; it is freed with the app. */
void live_views_init(struct app *a);

/* Looks up a rendered answer for `key`, valid under the generation of live_id (or of the lists
 * when live_id is NULL); fills *slot for a later live_views_put either way. */
bool live_views_get(struct app *a, struct arena *ar, const char *live_id, const char *key,
                    struct live_views_slot *slot, const char **text, size_t *len);

/* Stores a freshly rendered answer for the slot's key and generation. */
void live_views_put(struct app *a, const struct live_views_slot *slot, const char *text,
                    size_t len);

#endif
