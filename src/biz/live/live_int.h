#ifndef QNLIVE_BIZ_LIVE_INT_H
#define QNLIVE_BIZ_LIVE_INT_H

/* Internal service API of the live module, shared by live_http.c and live_cron.c. Failing calls
 * return an err_t and, for the reference's untyped errors, set *msg to the wire message
 * ("live status error", "user not anchor", "user not in live room"); *msg stays NULL
 * otherwise. */

#include <jansson.h>

#include "biz/live/live.h"
#include "biz/user/user.h"

struct live_views_gen;
struct cache_batch;
struct live_presence_move;
struct textcache;
struct live_presence;

enum { LIVE_LISTENERS_MAX = 8 };

/* The live module's context, created at registration and freed when the app closes; the app
 * keeps it as a->live for the module's entry points. */
struct live_mod {
    struct app *app;                /* the shared parts */
    struct textcache *views;        /* rendered room views, when live.view_cache_ms > 0 */
    struct live_presence *presence; /* this node's presence write-behind queue */
    /* room lifecycle listeners (live_on_change): filled during registration, read-only
     * afterwards, so request threads read them without a lock */
    live_change_fn *listeners[LIVE_LISTENERS_MAX];
    size_t n_listeners;
};

/* Fields of a new room; strings borrowed, times 0 = unset. */
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
    int64_t anchor_status; /* or a views placeholder */
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

/* Deletes the room (L2/L18); anchor_id NULL = any owner. ERR_NOT_FOUND, ERR_NOT_ROOM_OWNER. */
err_t live_delete(struct app *a, struct arena *ar, const char *live_id,
                  const char *anchor_id) MUST_USE;

/* Starts the room as user_id (L4); out->room_token is set. Refused: ERR_ROOM_NOT_ON_AIR (a
 * stopped room), ERR_NOT_ANCHOR. */
err_t live_start(struct app *a, struct arena *ar, const char *live_id, const char *user_id,
                 struct live_view *out) MUST_USE;

/* Stops the room (L5/L17); user_id NULL = as its anchor. Refused: ERR_ROOM_NOT_ON_AIR,
 * ERR_NOT_ANCHOR. */
err_t live_stop(struct app *a, struct arena *ar, const char *live_id, const char *user_id) MUST_USE;

/* Joins the room (L7), leaving any other room, in the round trip of the caller's batch b:
 * live_join_cmds adds the presence move to b; after b ran (run_err: its outcome),
 * live_join_end checks the room under its generation gen (*room gets its row) and completes
 * the move, or undoes it when the join is refused: ERR_ROOM_NOT_ON_AIR, ERR_NOT_FOUND, or
 * view_err (the caller's own failure to show the room). */
void live_join_cmds(struct app *a, struct arena *ar, struct cache_batch *b, const char *live_id,
                    const char *user_id, struct live_presence_move *m);
err_t live_join_end(struct app *a, struct arena *ar, struct live_presence_move *m,
                    const struct cache_batch *b, err_t run_err, err_t view_err,
                    const struct live_views_gen *gen, struct live_room *room) MUST_USE;

/* Leaves the room (L10); leaving a room one is not in succeeds. */
err_t live_leave(struct app *a, const char *live_id, const char *user_id) MUST_USE;

/* Heartbeat (L11): *status gets the room's status. Refused: ERR_NOT_IN_ROOM. */
err_t live_heartbeat(struct app *a, struct arena *ar, const char *live_id, const char *user_id,
                     int *status) MUST_USE;

/* Replaces the room's extends (L12) when user_id is its anchor (else ERR_NOT_ROOM_OWNER). */
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

/* LiveInfo JSON, new reference. The push URL lets its holder publish into the
 * room's stream: it is shown only when with_push_url (the anchor, server routes). */
json_t *live_info_json(const struct live_view *v, bool with_push_url);

/* One pass of the room timeout (job #2) and of the audience timeout (job #3). */
err_t live_expire_rooms(struct app *a) MUST_USE;
err_t live_expire_users(struct app *a) MUST_USE;

/* Cached views (live_views.c). */

struct cache_batch;

/* A room's view generation as read from the shared cache; ok false when it could not be read
 * (nothing is then served from or stored into the local cache). */
struct live_views_gen {
    bool ok;
    int64_t gen;
};

/* Creates the module's context (views, presence queue) as a->live; it is freed when the app
 * closes. */
struct live_mod *live_mod_new(struct app *a);

/* Schedules the room and user timeout jobs. */
void live_jobs_register(struct live_mod *m);

/* Creates the local cache when live.view_cache_ms > 0; live_views_close frees it. */
void live_views_init(struct live_mod *m);
void live_views_close(struct live_mod *m);

/* Adds the read of live_id's generation (the lists' when NULL) to b; returns its index. */
size_t live_views_gen_cmd(struct app *a, struct cache_batch *b, struct arena *ar,
                          const char *live_id);

/* Reads the generation read by command i of a batch that ran. */
void live_views_gen_take(const struct cache_batch *b, size_t i, struct live_views_gen *g);

/* The room row, from the local cache when stamped with g (may be NULL), else from the primary
 * (then remembered under g). ERR_NOT_FOUND for an unknown or deleted room. */
err_t live_room_cached(struct app *a, struct arena *ar, const char *live_id,
                       const struct live_views_gen *g, struct live_room *out) MUST_USE;

/* A cached text (room info or a list page) with placeholders for each room's anchor_status and
 * online_count, and the rooms it shows. */
struct live_views_entry {
    const char *key;
    bool usable; /* the generation is known: the text may be stored */
    int64_t gen;
    const char *text; /* NULL after a miss; set by the caller before live_views_store */
    size_t len;
    size_t n; /* rooms */
    const char **live_ids, **anchor_ids;
    int64_t *counts; /* 2n: anchor in (0/1), online count */
    bool has_counts;
    struct live_views_gen room_gen; /* the room's own generation (room info only) */
    /* the lookup's commands in its batch */
    size_t _gen_cmd, _first_count, _anchor_gen_cmd;
    bool _by_anchor;
    const char *_seen; /* the rooms of the last text under this key (peeked) */
};

/* Looks key up under the generation of live_id (NULL = the lists), reading the counts of the
 * rooms it showed last time in the same round trip. e->text is NULL on a miss. ERR_UNAVAILABLE
 * when the shared cache cannot be read. */
err_t live_views_lookup(struct app *a, struct arena *ar, const char *live_id, const char *key,
                        struct live_views_entry *e) MUST_USE;

/* The same lookup in two halves, so that a caller can send other commands in its round trip:
 * adds the lookup's commands to b, then, after b ran, reads their replies. */
void live_views_lookup_cmds(struct app *a, struct arena *ar, const char *live_id, const char *key,
                            struct live_views_entry *e, struct cache_batch *b);
void live_views_lookup_take(struct app *a, struct arena *ar, struct live_views_entry *e,
                            const struct cache_batch *b);

/* Remembers e->text and its rooms (e->n, live_ids, anchor_ids) under the looked-up generation. */
void live_views_store(struct app *a, struct arena *ar, struct live_views_entry *e);

/* The placeholder number of room i's anchor_status (online false) or online_count. */
int64_t live_views_placeholder(size_t i, bool online);

/* The text of e with its placeholders replaced by the live counts (read now when the lookup
 * could not). */
err_t live_views_fill(struct app *a, struct arena *ar, struct live_views_entry *e,
                      const char **text, size_t *len) MUST_USE;

/* Sets the computed fields `want` asks for on n views from the presence keys, one round trip. */
err_t live_views_count(struct app *a, struct arena *ar, struct live_view *views, size_t n,
                       int want) MUST_USE;

/* Tells listeners "anchor_left" when user_id, just taken out of live_id (a timeout), is its
 * anchor. */
void live_user_gone(struct app *a, const char *live_id, const char *user_id);

/* Presence (live_presence.c). */

/* The sorted set of a room's members (arena string). */
const char *live_hb_key(struct arena *ar, const char *live_id);

/* Creates the node's write-behind queue and schedules its flush; live_presence_close frees
 * what is left of it. */
void live_presence_init(struct live_mod *m);
void live_presence_close(struct live_mod *m);

/* Remembers that a dependency failed now (timeouts then count silence from later on). */
void live_presence_outage(struct app *a);

/* A join in steps, so that its commands share a round trip with others: _cmds adds the move
 * (the user's room swapped to live_id, the member added) to a batch; after the batch ran, _take
 * reads the previous room; then _finish takes the user out of that room, or _undo puts the
 * presence back as it was (a join refused after the move, e.g. the room turned out stopped). */
struct live_presence_move {
    const char *live_id, *user_id;
    char *prev;  /* the other room the user was in (arena), or NULL */
    bool was_in; /* the user was in live_id already */
    size_t _swap;
};
void live_presence_join_cmds(struct app *a, struct arena *ar, struct cache_batch *b,
                             const char *live_id, const char *user_id,
                             struct live_presence_move *m);
void live_presence_join_take(struct app *a, struct arena *ar, const struct cache_batch *b,
                             struct live_presence_move *m);
err_t live_presence_join_finish(struct app *a, struct arena *ar,
                                const struct live_presence_move *m) MUST_USE;
err_t live_presence_join_undo(struct app *a, struct arena *ar,
                              const struct live_presence_move *m) MUST_USE;

/* Puts the user in live_id; *prev gets the room it was taken out of (NULL when none). */
err_t live_presence_join(struct app *a, struct arena *ar, const char *live_id, const char *user_id,
                         char **prev) MUST_USE;

/* Takes the user out of live_id; *left tells whether it was in. */
err_t live_presence_leave(struct app *a, struct arena *ar, const char *live_id, const char *user_id,
                          bool *left) MUST_USE;

/* A heartbeat: refreshes the member and reads, in the same round trip, whether the user is in
 * live_id and the room's view generation. */
err_t live_presence_beat(struct app *a, struct arena *ar, const char *live_id, const char *user_id,
                         struct live_views_gen *gen, bool *in_room) MUST_USE;

/* Whether the user is in live_id, and the room's view generation, in one round trip. */
err_t live_presence_check(struct app *a, struct arena *ar, const char *live_id, const char *user_id,
                          struct live_views_gen *gen, bool *in_room) MUST_USE;

/* Queues one more view of the room by the user (the viewing counter, written by the flush). */
void live_presence_count_view(struct app *a, const char *live_id, const char *user_id);

/* The room the user is in (arena string) or NULL. */
err_t live_presence_room_of(struct app *a, struct arena *ar, const char *user_id,
                            char **live_id) MUST_USE;

/* A page of a room's members, most recent heartbeat first, and their number. */
err_t live_presence_page(struct app *a, struct arena *ar, const char *live_id, int64_t offset,
                         int64_t limit, const char ***ids, size_t *n, int64_t *total) MUST_USE;

/* Writes the rows of the users whose presence changed on this node since the last flush. */
err_t live_presence_flush(struct app *a) MUST_USE;

/* Takes out every member silent for live.user_timeout_s (counted from the last outage any node
 * saw when that is later); *evicted gets how many this call took. */
err_t live_presence_expire(struct app *a, size_t *evicted) MUST_USE;

#endif
