#ifndef QNLIVE_METRICS_METRICS_H
#define QNLIVE_METRICS_METRICS_H

/* Process metrics in the Prometheus text format. Recording functions are thread-safe and cheap
 * (atomics or a short lock); they may be called before metrics_init and then record nothing. */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/config.h"
#include "core/err.h"

/* Prepares the registry (records the process start time and turns recording on). Must be
 * called once before threads start. */
void metrics_init(void);

/* For tests: forgets every series and zeroes the gauges. Not safe while other threads record. */
void metrics_reset(void);

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

/* The business-callback outbox as last counted by the delivery worker (gauges
 * qnlive_callback_backlog, qnlive_callback_oldest_age_seconds, qnlive_callback_dead). */
void metrics_set_callback_backlog(int64_t pending, int64_t oldest_age_s, int64_t dead);

/* Writes every metric in the Prometheus text exposition format (version 0.0.4) into a heap
 * buffer the caller frees with free(); *len (may be NULL) receives its length. Series are sorted
 * by label values, so the output is deterministic. */
char *metrics_render(size_t *len);

/* Builds the Pushgateway target `<url>/metrics/job/<job>/instance/<instance>` (spec 01 §9.2):
 * "http://" is prepended when `url` has no scheme, trailing '/' are removed, a value containing
 * '/' becomes `<name>@base64/<base64url>` and an empty one `<name>@base64/=`; other values are
 * URL-escaped. Returns a heap string (caller frees with free()). */
char *metrics_push_url(const char *url, const char *job, const char *instance);

/* Starts the exporter listener or the pusher thread per the `prome` section (no-op when the
 * section is absent). Exporter: `listen_addr` is "host:port", ":port" (all interfaces) or
 * "[v6]:port"; port 0 binds a free port (see metrics_exporter_port). Pusher: pushes every
 * `push_interval_s` through httpc (service label "prome"), first push one interval after start.
 * Errors: ERR_BAD_REQUEST for a malformed address, mode or pusher settings, ERR_UNAVAILABLE when
 * the exporter cannot bind, ERR_EXISTS when already started, ERR_INTERNAL if no thread starts. */
err_t metrics_start(const struct conf *cf) MUST_USE;

/* Stops the exporter / pusher (a final push is attempted in pusher mode). */
void metrics_stop(void);

/* TCP port the exporter listens on (useful after binding port 0), or 0 when it is not running. */
int metrics_exporter_port(void);

#endif
