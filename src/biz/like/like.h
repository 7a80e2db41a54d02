#ifndef QNLIVE_BIZ_LIKE_LIKE_H
#define QNLIVE_BIZ_LIKE_LIKE_H

/* Likes. Counters live in the cache:
 *   like:{<live_id>}          hash: field <user_id> = the user's cumulative likes in the room,
 *                             field "_" = the room total (TTL 7 days, renewed by each like)
 *   like:{<live_id>}:seeded   present while the hash holds the stored counts (same TTL)
 * and every like's cumulative count is in stats_single_live (type 6, biz_id "") before it is
 * acknowledged: likes of a few milliseconds share one multi-row upsert that never lowers a
 * stored count, so several nodes may share the cache and the database. A room whose hash lost
 * its counts (cache restart, eviction, expiry) is re-seeded from the database, so counts
 * continue exactly. */

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"

struct app;
struct arena;
struct like_mod;
struct live_room;

enum {
    LIKE_COUNT_MAX = 1000, /* likes one request may add; 0 or absent means 1 */
    LIKE_TTL_S = 7 * 86400,
    LIKE_INDEX_TTL_S = 3600,
    LIKE_STATS_TYPE = 6,
};

/* Result of one like: the caller's and the room's cumulative likes. */
struct like_result {
    int64_t count;
    int64_t total;
};

/* Adds `count` (1..LIKE_COUNT_MAX) likes of user_id to the room's counters and returns the new
 * cumulative values. No room or membership checks here (the route does them). ERR_BAD_REQUEST
 * for a count out of range or the reserved user id "_"; ERR_UNAVAILABLE when the cache or the
 * database (re-seeding) is unreachable. */
err_t like_add(struct like_mod *m, struct arena *ar, const char *live_id, const char *user_id,
               int64_t count, struct like_result *out) MUST_USE;

/* Why like_in_room refused a like (the reference's wording is the route's business). */
enum like_refusal { LIKE_TAKEN, LIKE_NO_ROOM, LIKE_SELF, LIKE_NOT_IN_ROOM };

/* A like with the room's checks: the room must exist, the liker must be in it and not be its
 * anchor. Checks and counters take one cache round trip when this node knows the room's anchor
 * (the member test guards the increments), else the checks go first. On ERR_OK, *why tells
 * whether it was taken (then *out has the counts, and *room the room's row) or refused. Same
 * errors as like_add. */
err_t like_in_room(struct like_mod *m, struct arena *ar, const char *live_id, const char *user_id,
                   int64_t count, struct live_room *room, struct like_result *out,
                   enum like_refusal *why) MUST_USE;

struct like_waiter;

/* A like that waits for its commit without holding a thread (like_in_room_later). The caller
 * sets on_done and ud; the service fills the rest. */
struct like_later {
    void (*on_done)(void *ud); /* called on the committer's thread once the commit ended */
    void *ud;
    bool pending; /* the like waits for its commit: on_done will be called */
    struct like_mod *_m;
    const char *_live_id, *_user_id;
    int64_t _count;
    struct like_waiter *_w;
    err_t _err;
};

/* like_in_room, except that a like taken is not waited for: then `later->pending` is set and
 * `later->on_done(ud)` comes once its commit ended, after which like_later_end() tells the
 * outcome; *out, *room and *why are final already. `later` and ar must outlive the call of
 * on_done. */
err_t like_in_room_later(struct like_mod *m, struct arena *ar, const char *live_id,
                         const char *user_id, int64_t count, struct live_room *room,
                         struct like_result *out, enum like_refusal *why,
                         struct like_later *later) MUST_USE;

/* The outcome of a pending like once on_done was called: ERR_OK when it is stored, else the
 * store's error (its counters were taken back before on_done). */
err_t like_later_end(const struct like_later *later) MUST_USE;

/* Registers the like route, the like committer and the KeepCacheLikes job. */
void like_module_register(struct app *a);

#endif
