#ifndef QNLIVE_BIZ_MONITOR_H
#define QNLIVE_BIZ_MONITOR_H

/* Business gauges for the Prometheus exporter, computed at scrape time from the store and the
 * cache: rooms by status, online users, PK sessions, mic seats, IM
 * registration backlogs, connection pools, and whether the dependencies answer. */

struct app;

/* Installs the scrape-time collector into the metrics registry; removed when the app closes. */
void monitor_module_register(struct app *a);

#endif
