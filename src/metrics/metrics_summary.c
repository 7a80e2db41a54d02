/* The JSON summary of the node's HTTP traffic for the operator's console. It carries counters,
 * not rates: the console polls it and derives requests per second and the p99 latency from the
 * difference between two readings, so the node keeps no window of its own. */
#include "metrics/metrics.h"

#include <math.h>
#include <time.h>

static json_t *latency_json(const struct metrics_http_totals *t)
{
    json_t *bounds = json_array();
    json_t *cumulative = json_array();
    for (size_t b = 0; b < METRICS_LATENCY_BOUNDS; b++)
        json_array_append_new(bounds, json_integer((json_int_t)llround(t->bounds[b] * 1000)));
    for (size_t b = 0; b <= METRICS_LATENCY_BOUNDS; b++)
        json_array_append_new(cumulative, json_integer((json_int_t)t->cumulative[b]));
    json_t *o = json_object();
    /* whole milliseconds and microseconds: a binary fraction would print as 0.0050000000000000001
     */
    json_object_set_new(o, "bounds_ms", bounds);
    json_object_set_new(o, "cumulative", cumulative);
    json_object_set_new(o, "sum_us", json_integer((json_int_t)llround(t->sum_seconds * 1e6)));
    return o;
}

json_t *metrics_summary_json(const char *version)
{
    struct metrics_http_totals t;
    struct timespec now;
    metrics_http_totals(&t);
    /* wall time, not the business clock a test build may move: uptime is the process's */
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    int64_t uptime = t.start_time_s ? now.tv_sec - t.start_time_s : 0;

    json_t *o = json_object();
    json_object_set_new(o, "version", json_string(version));
    json_object_set_new(o, "start_time", json_integer(t.start_time_s));
    json_object_set_new(o, "uptime_s", json_integer(uptime < 0 ? 0 : uptime));
    json_object_set_new(o, "now_ms", json_integer(now_ms));
    json_object_set_new(o, "requests_total", json_integer((json_int_t)t.requests));
    json_object_set_new(o, "in_flight", json_integer(t.in_flight));
    json_object_set_new(o, "latency", latency_json(&t));
    return o;
}
