#ifndef QNLIVE_BIZ_LIKE_LIKE_INT_H
#define QNLIVE_BIZ_LIKE_LIKE_INT_H

/* Internal to the like module. */

#include <stdint.h>

#include "core/err.h"

struct app;

/* Schedules KeepCacheLikes (hourly, singleton). */
void like_jobs_register(struct app *a);

/* Starts the node's like committer (stopped with the app). */
void like_commit_init(struct app *a);

/* Queues the user's cumulative count for the next group commit and waits for it: ERR_OK once
 * it is in the database, else the store's error. */
err_t like_commit_wait(struct app *a, const char *live_id, const char *user_id,
                       int64_t count) MUST_USE;

#endif
