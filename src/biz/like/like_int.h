#ifndef QNLIVE_BIZ_LIKE_LIKE_INT_H
#define QNLIVE_BIZ_LIKE_LIKE_INT_H

/* Internal to the like module. */

#include <stdatomic.h>
#include <stdint.h>

#include "core/err.h"

struct app;
struct like_commit;

/* The like module's context, created at registration and freed when the app closes. */
struct like_mod {
    struct app *app;                     /* the shared parts */
    struct like_commit *commit;          /* this node's group commit of likes */
    atomic_uint_fast64_t seed_owner_seq; /* makes each re-seed lock owner of this node unique */
};

/* Creates the context and starts the node's like committer (both stopped with the app). */
struct like_mod *like_mod_new(struct app *a);

/* Schedules KeepCacheLikes (hourly, singleton). */
void like_jobs_register(struct like_mod *m);

/* Queues the user's cumulative count for the next group commit and waits for it: ERR_OK once
 * it is in the database, else the store's error. */
err_t like_commit_wait(struct like_mod *m, const char *live_id, const char *user_id,
                       int64_t count) MUST_USE;

struct arena;
struct like_waiter;

/* Queues the user's cumulative count for the next group commit without waiting: on_done(ud) is
 * called on the committer's thread once the commit ended (the waiter then belongs to the
 * caller again; read its outcome with like_commit_result). The waiter lives in `ar`, which
 * must outlive the call of on_done. ERR_UNAVAILABLE when the committers are stopping (on_done
 * is not called then). */
err_t like_commit_submit(struct like_mod *m, struct arena *ar, const char *live_id,
                         const char *user_id, int64_t count, void (*on_done)(void *ud), void *ud,
                         struct like_waiter **out) MUST_USE;

/* The outcome of a submitted like once on_done was called: ERR_OK when it is in the database,
 * else the store's error (logged). */
err_t like_commit_result(const struct like_waiter *w) MUST_USE;

#ifdef QNLIVE_TEST_CLOCK
/* Test build: every commit waits `ms` before it writes (0 = not at all). */
void like_commit_test_delay(int64_t ms);
#endif

#endif
