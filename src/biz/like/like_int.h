#ifndef QNLIVE_BIZ_LIKE_LIKE_INT_H
#define QNLIVE_BIZ_LIKE_LIKE_INT_H

/* Internal to the like module. */

struct app;

/* Schedules FlushCacheLikes (every second, singleton, also run at shutdown) and
 * KeepCacheLikes (hourly, singleton). */
void like_jobs_register(struct app *a);

#endif
