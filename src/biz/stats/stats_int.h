#ifndef QNLIVE_BIZ_STATS_STATS_INT_H
#define QNLIVE_BIZ_STATS_STATS_INT_H

/* Internal to the stats module. */

struct app;

/* Registers S1 and S2. */
void stats_http_register(struct app *a);

#endif
