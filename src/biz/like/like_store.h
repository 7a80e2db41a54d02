#ifndef QNLIVE_BIZ_LIKE_LIKE_STORE_H
#define QNLIVE_BIZ_LIKE_LIKE_STORE_H

/* SQL of the like module: the live_like_flush watermark and the type-6 stats rows. */

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct arena;
struct store_conn;

/* One user's stored like total. */
struct like_user_count {
    const char *user_id; /* arena */
    int64_t count;
};

/* A user's cumulative like count to store. */
struct like_put {
    const char *live_id, *user_id;
    int64_t count;
};

/* like_store_put for n rows in one statement (a row repeated is harmless: counts never go
 * down). */
err_t like_store_put_many(struct store_conn *c, struct arena *ar, const struct like_put *rows,
                          size_t n, int64_t now) MUST_USE;

/* Every stored per-user like count of a room (for re-seeding the cache). */
err_t like_store_room(struct store_conn *c, struct arena *ar, const char *live_id,
                      struct like_user_count **out, size_t *n) MUST_USE;

#endif
