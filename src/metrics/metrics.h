#ifndef QNLIVE_METRICS_METRICS_H
#define QNLIVE_METRICS_METRICS_H

/* Process metrics in the Prometheus text format. Recording functions are thread-safe and cheap
 * (atomics or a short lock); they may be called before metrics_init and then record nothing. */

#include <stddef.h>
#include <stdio.h>

#include "core/config.h"
#include "core/err.h"

/* Prepares the registry. Must be called once before threads start. */
void metrics_init(void);

/* One served request: method, route template ("" for 404), status, latency. Feeds
 * qnlive_http_requests_total and the qnlive_http_api latency histogram. */
void metrics_observe_http(const char *method, const char *route, int status, double seconds);

/* Requests being served right now (gauge qnlive_http_requests_in_flight). */
void metrics_inflight_add(int delta);

/* One outbound call: service ("im", "rtc", ...), outcome ("ok", "http_error", "error",
 * "timeout"), latency (qnlive_upstream_requests_total, qnlive_upstream_duration_seconds). */
void metrics_observe_upstream(const char *service, const char *outcome, double seconds);

/* One cron run: job name, whether it failed, latency (qnlive_cron_runs_total,
 * qnlive_cron_failures_total, qnlive_cron_duration_seconds). */
void metrics_observe_cron(const char *job, int failed, double seconds);

/* Writes every metric in the Prometheus text exposition format (version 0.0.4) into a heap
 * buffer; *len receives its length. */
char *metrics_render(size_t *len);

/* Starts the exporter listener or the pusher thread per the `prome` section (no-op when the
 * section is absent). ERR_UNAVAILABLE when the exporter cannot bind. */
err_t metrics_start(const struct conf *cf) MUST_USE;

/* Stops the exporter / pusher (a final push is attempted in pusher mode). */
void metrics_stop(void);

#endif
