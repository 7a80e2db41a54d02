/* Unit tests of the metrics registry and its text rendering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/metrics.h"

static int setup(void **state)
{
    (void)state;
    metrics_init();
    metrics_reset();
    return 0;
}

static void assert_contains(const char *text, const char *needle)
{
    if (!strstr(text, needle))
        fail_msg("missing:\n%s\nin:\n%s", needle, text);
}

/* Runs first: before metrics_init nothing is recorded. */
static void test_nothing_recorded_before_init(void **state)
{
    (void)state;
    metrics_observe_http("GET", "/status", 200, 0.001);
    metrics_observe_cron("job", 0, 0.1);
    metrics_inflight_add(5);
    char *text = metrics_render(NULL);
    assert_null(strstr(text, "qnlive_http_api"));
    assert_null(strstr(text, "qnlive_cron_runs_total"));
    assert_contains(text, "\nqnlive_http_requests_in_flight 0\n");
    free(text);
}

static void test_http_histogram_and_counter_lines(void **state)
{
    (void)state;
    const char *route = "/client/live/room/info/:live_id";
    metrics_observe_http("GET", route, 200, 0.003);
    metrics_observe_http("GET", route, 200, 0.3);
    metrics_observe_http("GET", route, 200, 0.005); /* `le` is inclusive */
    metrics_observe_http("POST", "", 404, 12);      /* beyond the last bound: +Inf only */

    size_t len;
    char *text = metrics_render(&len);
    assert_int_equal(len, strlen(text));
    const char *L = "{code=\"200\",handler=\"/client/live/room/info/:live_id\",method=\"GET\"";
    char expect[4096];
    snprintf(expect, sizeof(expect),
             "# HELP qnlive_http_api Histogram of response latency (seconds) of http handlers.\n"
             "# TYPE qnlive_http_api histogram\n"
             "qnlive_http_api_bucket%s,le=\"0.005\"} 2\n"
             "qnlive_http_api_bucket%s,le=\"0.01\"} 2\n"
             "qnlive_http_api_bucket%s,le=\"0.025\"} 2\n"
             "qnlive_http_api_bucket%s,le=\"0.05\"} 2\n"
             "qnlive_http_api_bucket%s,le=\"0.1\"} 2\n"
             "qnlive_http_api_bucket%s,le=\"0.25\"} 2\n"
             "qnlive_http_api_bucket%s,le=\"0.5\"} 3\n"
             "qnlive_http_api_bucket%s,le=\"1\"} 3\n"
             "qnlive_http_api_bucket%s,le=\"2.5\"} 3\n"
             "qnlive_http_api_bucket%s,le=\"5\"} 3\n"
             "qnlive_http_api_bucket%s,le=\"10\"} 3\n"
             "qnlive_http_api_bucket%s,le=\"+Inf\"} 3\n"
             "qnlive_http_api_sum%s} 0.308\n"
             "qnlive_http_api_count%s} 3\n",
             L, L, L, L, L, L, L, L, L, L, L, L, L, L);
    assert_contains(text, expect);
    assert_contains(text, "qnlive_http_api_bucket{code=\"404\",handler=\"\",method=\"POST\","
                          "le=\"10\"} 0\n");
    assert_contains(text, "qnlive_http_api_bucket{code=\"404\",handler=\"\",method=\"POST\","
                          "le=\"+Inf\"} 1\n");
    assert_contains(text, "qnlive_http_api_sum{code=\"404\",handler=\"\",method=\"POST\"} 12\n");
    assert_contains(text, "# TYPE qnlive_http_requests_total counter\n"
                          "qnlive_http_requests_total{method=\"GET\",route=\"/client/live/room/"
                          "info/:live_id\",status=\"200\"} 3\n"
                          "qnlive_http_requests_total{method=\"POST\",route=\"\",status=\"404\"} "
                          "1\n");
    free(text);
}

static void test_upstream_cron_and_gauge(void **state)
{
    (void)state;
    metrics_observe_upstream("im", "ok", 0.02);
    metrics_observe_upstream("im", "ok", 0.04);
    metrics_observe_upstream("im", "timeout", 5);
    metrics_observe_cron("flush_likes", 0, 0.02);
    metrics_observe_cron("flush_likes", 1, 2);
    metrics_inflight_add(3);
    metrics_inflight_add(-1);

    char *text = metrics_render(NULL);
    assert_contains(text, "# TYPE qnlive_upstream_requests_total counter\n"
                          "qnlive_upstream_requests_total{outcome=\"ok\",service=\"im\"} 2\n"
                          "qnlive_upstream_requests_total{outcome=\"timeout\",service=\"im\"} 1\n");
    assert_contains(text,
                    "qnlive_upstream_duration_seconds_bucket{service=\"im\",le=\"0.025\"} 1\n"
                    "qnlive_upstream_duration_seconds_bucket{service=\"im\",le=\"0.05\"} 2\n");
    assert_contains(text, "qnlive_upstream_duration_seconds_sum{service=\"im\"} 5.06\n"
                          "qnlive_upstream_duration_seconds_count{service=\"im\"} 3\n");
    assert_contains(text, "# TYPE qnlive_cron_runs_total counter\n"
                          "qnlive_cron_runs_total{job=\"flush_likes\"} 2\n");
    assert_contains(text, "# TYPE qnlive_cron_failures_total counter\n"
                          "qnlive_cron_failures_total{job=\"flush_likes\"} 1\n");
    assert_contains(text, "qnlive_cron_duration_seconds_bucket{job=\"flush_likes\",le=\"2.5\"} 2\n"
                          "qnlive_cron_duration_seconds_bucket{job=\"flush_likes\",le=\"5\"} 2\n");
    assert_contains(text, "qnlive_cron_duration_seconds_sum{job=\"flush_likes\"} 2.02\n");
    assert_contains(text, "# TYPE qnlive_http_requests_in_flight gauge\n"
                          "qnlive_http_requests_in_flight 2\n");
    assert_contains(text, "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total ");
    assert_contains(text, "# TYPE process_resident_memory_bytes gauge\n"
                          "process_resident_memory_bytes ");
    assert_contains(text, "\nprocess_start_time_seconds 1");
    assert_null(strstr(text, "process_resident_memory_bytes 0\n"));
    free(text);
}

static void test_label_escaping_and_method_folding(void **state)
{
    (void)state;
    metrics_observe_http("BREW", "/a\"b\\c\nd", 999, 0.001);
    metrics_observe_http(NULL, NULL, 42, 0.001);

    char *text = metrics_render(NULL);
    assert_contains(text, "qnlive_http_requests_total{method=\"OTHER\",route=\"/a\\\"b\\\\c\\nd\","
                          "status=\"999\"} 1\n");
    /* a status outside 100..999 becomes "0"; a NULL route is the 404 label "" */
    assert_contains(text,
                    "qnlive_http_requests_total{method=\"OTHER\",route=\"\",status=\"0\"} 1\n");
    assert_null(strstr(text, "BREW"));
    free(text);
}

static void test_series_cap_drops_and_counts(void **state)
{
    (void)state;
    char route[32];
    for (int i = 0; i < 800; i++) {
        snprintf(route, sizeof(route), "/r/%d", i);
        metrics_observe_http("GET", route, 200, 0.001);
    }
    char *text = metrics_render(NULL);
    assert_contains(text, "\nqnlive_metrics_series_dropped_total 32\n");
    assert_contains(text, "route=\"/r/0\",status=\"200\"} 1\n");
    free(text);
}

enum { THREADS = 8, PER_THREAD = 20000 };

static void *hammer(void *arg)
{
    static const char *const routes[] = {"/a", "/b", "/c", "/d"};
    long id = (long)(intptr_t)arg;
    for (int i = 0; i < PER_THREAD; i++) {
        metrics_observe_http(i % 2 ? "GET" : "POST", routes[(i + id) % 4], 200, 0.001 * (i % 7));
        metrics_inflight_add(1);
        metrics_inflight_add(-1);
        if (i % 10 == 0)
            metrics_observe_cron("tick", i % 20 == 0, 0.01);
    }
    return NULL;
}

static void test_concurrent_observations_are_exact(void **state)
{
    (void)state;
    pthread_t th[THREADS];
    for (long i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, hammer, (void *)(intptr_t)i), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);

    /* each of 8 series (2 methods x 4 routes) gets exactly 1/8 of all observations */
    char line[128];
    char *text = metrics_render(NULL);
    const char *const routes[] = {"/a", "/b", "/c", "/d"};
    for (int r = 0; r < 4; r++) {
        for (int m = 0; m < 2; m++) {
            snprintf(line, sizeof(line),
                     "qnlive_http_requests_total{method=\"%s\",route=\"%s\",status=\"200\"} %d\n",
                     m ? "GET" : "POST", routes[r], THREADS * PER_THREAD / 8);
            assert_contains(text, line);
        }
    }
    snprintf(line, sizeof(line), "qnlive_cron_runs_total{job=\"tick\"} %d\n",
             THREADS * PER_THREAD / 10);
    assert_contains(text, line);
    snprintf(line, sizeof(line), "qnlive_cron_failures_total{job=\"tick\"} %d\n",
             THREADS * PER_THREAD / 20);
    assert_contains(text, line);
    snprintf(line, sizeof(line), "qnlive_cron_duration_seconds_sum{job=\"tick\"} %d\n",
             THREADS * PER_THREAD / 10 / 100);
    assert_contains(text, line);
    assert_contains(text, "\nqnlive_http_requests_in_flight 0\n");
    free(text);
}

static void test_push_url(void **state)
{
    (void)state;
    struct {
        const char *url, *job, *instance, *want;
    } cases[] = {
        {"pushgw:9091", "qnlive", "node1", "http://pushgw:9091/metrics/job/qnlive/instance/node1"},
        {"https://gw.example.com/base//", "qnlive", "10.0.0.1:8099",
         "https://gw.example.com/base/metrics/job/qnlive/instance/10.0.0.1%3A8099"},
        {"gw", "a/b", "node/1", "http://gw/metrics/job@base64/YS9i/instance@base64/bm9kZS8x"},
        {"gw", "qnlive", "", "http://gw/metrics/job/qnlive/instance@base64/="},
        {"gw", "live kit", "x", "http://gw/metrics/job/live%20kit/instance/x"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *got = metrics_push_url(cases[i].url, cases[i].job, cases[i].instance);
        assert_string_equal(got, cases[i].want);
        free(got);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nothing_recorded_before_init),
        cmocka_unit_test_setup(test_http_histogram_and_counter_lines, setup),
        cmocka_unit_test_setup(test_upstream_cron_and_gauge, setup),
        cmocka_unit_test_setup(test_label_escaping_and_method_folding, setup),
        cmocka_unit_test_setup(test_series_cap_drops_and_counts, setup),
        cmocka_unit_test_setup(test_concurrent_observations_are_exact, setup),
        cmocka_unit_test(test_push_url),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
