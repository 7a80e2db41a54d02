#ifndef QNLIVE_BIZ_STATS_STATS_INT_H
#define QNLIVE_BIZ_STATS_STATS_INT_H

/* Internal to the stats module. */

struct app;

/* Schedules the daily overview report when telemetry is on. */
void stats_jobs_register(struct app *a);

#endif
