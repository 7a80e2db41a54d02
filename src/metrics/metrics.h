#ifndef QNLIVE_METRICS_METRICS_H
#define QNLIVE_METRICS_METRICS_H

/* Process metrics in the Prometheus text format. Recording functions are thread-safe and cheap
 * (atomics or a short lock); they may be called before metrics_init and then record nothing. */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

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

/* One request a business rule refused (qnlive_http_refusals_total by route and reason, the
 * error's name): told apart from failures, which only the status counts. */
void metrics_observe_refusal(const char *route, const char *reason);

/* Requests being served right now (gauge qnlive_http_requests_in_flight). */
void metrics_inflight_add(int delta);

/* One outbound call: service ("im", "rtc", ...), outcome ("ok", "http_error", "error",
 * "timeout"), latency (qnlive_upstream_requests_total, qnlive_upstream_duration_seconds). */
void metrics_observe_upstream(const char *service, const char *outcome, double seconds);

/* One cron run: job name, whether it failed, latency (qnlive_cron_runs_total,
 * qnlive_cron_failures_total, qnlive_cron_duration_seconds, and the time of the last success in
 * qnlive_cron_last_success_timestamp_seconds). */
void metrics_observe_cron(const char *job, int failed, double seconds);

/* Business events, counted where they happen: one label-free counter each. */
enum metrics_event {
    METRICS_ROOM_JOINS,   /* qnlive_room_joins_total: audience joins */
    METRICS_HEARTBEATS,   /* qnlive_heartbeats_total: room and audience heartbeats */
    METRICS_LIKES,        /* qnlive_likes_total: likes given (the count each request adds) */
    METRICS_GIFTS,        /* qnlive_gifts_total: gifts sent and paid */
    METRICS_GIFT_AMOUNT,  /* qnlive_gift_amount_total: sum of their amounts */
    METRICS_STORE_ERRORS, /* qnlive_store_errors_total: statements that failed on the server */
    METRICS_EVENT_COUNT
};

/* Adds n to the counter of ev; n <= 0 adds nothing. Thread-safe, lock-free. */
void metrics_add(enum metrics_event ev, int64_t n);

/* One paid gift of `amount` (qnlive_gifts_total and qnlive_gift_amount_total); a negative amount
 * records nothing, so callers can pass -1 for "not paid by this call". */
void metrics_add_gift(int64_t amount);

/* Gauges computed at scrape time (rooms by status, backlogs, pool use...) by a collector that
 * the application installs: it reads the store and the cache, which this module does not know. */
struct metrics_gauges;
typedef void metrics_collect_fn(void *ud, struct metrics_gauges *g);

/* Installs the collector called by every render (NULL removes it). Waits for a render in
 * progress, so after metrics_set_collector(NULL, NULL) returns `ud` may be freed. */
void metrics_set_collector(metrics_collect_fn *fn, void *ud);

/* Emits one gauge sample from a collector. Samples of one metric must be emitted one after the
 * other; the HELP and TYPE lines are written before the first. `label` may be NULL (no label);
 * names and label values are the caller's constants, never user input. */
void metrics_gauge(struct metrics_gauges *g, const char *name, const char *help, const char *label,
                   const char *label_value, double value);

/* Writes every metric in the Prometheus text exposition format (version 0.0.4) into a heap
 * buffer the caller frees with free(); *len (may be NULL) receives its length. Series are sorted
 * by label values, so the output is deterministic. */
char *metrics_render(size_t *len);

/* The node's HTTP traffic in one figure set, summed over every route and status (the console's
 * live chart: it derives requests per second and the p99 latency from two readings). */
enum { METRICS_LATENCY_BOUNDS = 11 };
struct metrics_http_totals {
    int64_t start_time_s; /* Unix time of metrics_init, 0 before it */
    int64_t in_flight;
    uint64_t requests;                               /* served since start */
    double sum_seconds;                              /* of their latencies */
    double bounds[METRICS_LATENCY_BOUNDS];           /* histogram upper bounds, seconds */
    uint64_t cumulative[METRICS_LATENCY_BOUNDS + 1]; /* requests <= each bound; last: all */
};

/* Reads the totals (relaxed atomics: a reading may straddle a request, never tear a counter). */
void metrics_http_totals(struct metrics_http_totals *out);

/* The totals as JSON for GET /admin/node/summary (a new reference): version, start time,
 * uptime, requests, in-flight requests and the cumulative latency buckets (bounds in whole
 * milliseconds, the sum in microseconds: integers print exactly). */
json_t *metrics_summary_json(const char *version);

/* Builds the Pushgateway target `<url>/metrics/job/<job>/instance/<instance>`:
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
