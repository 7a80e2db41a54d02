/* Exposition tests: the exporter on a free loopback port, and the pusher against a tiny
 * in-test HTTP receiver that records what it was sent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clients/httpc.h"
#include "core/log.h"
#include "core/str.h"
#include "metrics/metrics.h"

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Listening socket on 127.0.0.1 with a kernel-chosen port. */
static int listen_loopback(int *port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(fd, 16), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

/* Sends a raw request to 127.0.0.1:port and returns the whole response (heap). */
static char *raw_request(int port, const char *req)
{
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap);
    ssize_t n;
    while ((n = read(fd, buf + len, cap - len - 1)) > 0)
        len += (size_t)n;
    buf[len] = '\0';
    close(fd);
    return buf;
}

static struct conf exporter_conf(char *addr)
{
    struct conf cf = {0};
    cf.prome.enabled = true;
    cf.prome.client_mode = "exporter";
    cf.prome.listen_addr = addr;
    return cf;
}

static void test_exporter_serves_metrics_only(void **state)
{
    (void)state;
    struct conf cf = exporter_conf("127.0.0.1:0");

    metrics_observe_http("GET", "/status", 200, 0.002);
    assert_int_equal(metrics_start(&cf), ERR_OK);
    int port = metrics_exporter_port();
    assert_true(port > 0);
    assert_int_equal(metrics_start(&cf), ERR_EXISTS);

    char *r = raw_request(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert_non_null(strstr(r, "HTTP/1.1 200 OK\r\n"));
    assert_non_null(strstr(r, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
    assert_non_null(strstr(
        r, "\nqnlive_http_requests_total{method=\"GET\",route=\"/status\",status=\"200\"} 1\n"));
    assert_non_null(strstr(r, "\nprocess_start_time_seconds "));
    free(r);

    const char *denied[] = {
        "GET /debug/pprof/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nab",
    };
    for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++) {
        r = raw_request(port, denied[i]);
        assert_non_null(strstr(r, "HTTP/1.1 404 Not Found\r\n"));
        assert_null(strstr(r, "qnlive_"));
        free(r);
    }
    metrics_stop();
    assert_int_equal(metrics_exporter_port(), 0);
}

static void test_exporter_bad_config(void **state)
{
    (void)state;
    int port;
    int busy = listen_loopback(&port);
    char addr[64];
    struct conf cf = exporter_conf("no-port-here");

    assert_int_equal(metrics_start(&cf), ERR_BAD_REQUEST);
    cf = exporter_conf("127.0.0.1:70000");
    assert_int_equal(metrics_start(&cf), ERR_BAD_REQUEST);
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
    cf = exporter_conf(addr);
    assert_int_equal(metrics_start(&cf), ERR_UNAVAILABLE); /* the port is taken */
    close(busy);
    cf.prome.client_mode = "scraper";
    assert_int_equal(metrics_start(&cf), ERR_BAD_REQUEST);
    cf.prome.enabled = false;
    assert_int_equal(metrics_start(&cf), ERR_OK); /* no section: nothing to start */
    assert_int_equal(metrics_exporter_port(), 0);
    metrics_stop();
}

/* ---- a tiny Pushgateway ------------------------------------------------------------------- */

struct receiver {
    int fd;
    int port;
    pthread_t thread;
    atomic_bool stop;
    atomic_int count;
    pthread_mutex_t mu;
    char first[65536]; /* the first request received, headers and body */
};

static size_t header_content_length(const char *req)
{
    const char *p = strcasestr(req, "\r\nContent-Length:");
    int64_t n = 0;
    if (!p)
        return 0;
    p += 17;
    p += strspn(p, " ");
    if (!strn_to_i64(p, strcspn(p, "\r"), 0, 1 << 20, &n))
        return 0;
    return (size_t)n;
}

/* Reads one request (headers + Content-Length body) into buf. */
static void read_request(int fd, char *buf, size_t cap)
{
    size_t len = 0;
    ssize_t n;
    while (len < cap - 1 && (n = read(fd, buf + len, cap - 1 - len)) > 0) {
        len += (size_t)n;
        buf[len] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        if (end && len >= (size_t)(end + 4 - buf) + header_content_length(buf))
            break;
    }
    buf[len] = '\0';
}

static void *receiver_main(void *arg)
{
    struct receiver *rv = arg;
    static char buf[65536];
    struct pollfd pfd = {.fd = rv->fd, .events = POLLIN};

    while (!atomic_load(&rv->stop)) {
        if (poll(&pfd, 1, 50) <= 0)
            continue;
        int c = accept(rv->fd, NULL, NULL);
        if (c < 0)
            continue;
        read_request(c, buf, sizeof(buf));
        pthread_mutex_lock(&rv->mu);
        if (atomic_load(&rv->count) == 0)
            snprintf(rv->first, sizeof(rv->first), "%s", buf);
        pthread_mutex_unlock(&rv->mu);
        atomic_fetch_add(&rv->count, 1);
        const char *ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        (void)!write(c, ok, strlen(ok));
        close(c);
    }
    return NULL;
}

static bool wait_count(atomic_int *v, int want, int timeout_ms)
{
    for (int t = 0; t < timeout_ms && atomic_load(v) < want; t += 10)
        sleep_ms(10);
    return atomic_load(v) >= want;
}

static void test_pusher_posts_text_format(void **state)
{
    (void)state;
    static struct receiver rv = {.mu = PTHREAD_MUTEX_INITIALIZER};
    char url[64];
    struct conf cf = {0};

    rv.fd = listen_loopback(&rv.port);
    assert_int_equal(pthread_create(&rv.thread, NULL, receiver_main, &rv), 0);
    snprintf(url, sizeof(url), "127.0.0.1:%d/", rv.port); /* no scheme, trailing slash */
    cf.prome.enabled = true;
    cf.prome.client_mode = "pusher";
    cf.prome.push_url = url;
    cf.prome.push_job = "qnlive";
    cf.prome.push_instance = "a/b";
    cf.prome.push_interval_s = 1;
    metrics_observe_cron("keep_likes", 0, 0.5);

    assert_int_equal(metrics_start(&cf), ERR_OK);
    assert_true(wait_count(&rv.count, 1, 5000));
    pthread_mutex_lock(&rv.mu);
    assert_non_null(strstr(rv.first, "POST /metrics/job/qnlive/instance@base64/YS9i HTTP/1.1\r\n"));
    assert_non_null(strcasestr(rv.first, "\r\nContent-Type: text/plain; version=0.0.4\r\n"));
    assert_non_null(strstr(rv.first, "\r\n\r\n# HELP "));
    assert_non_null(strstr(rv.first, "\nqnlive_cron_runs_total{job=\"keep_likes\"} 1\n"));
    pthread_mutex_unlock(&rv.mu);

    int before = atomic_load(&rv.count);
    metrics_stop(); /* joins the pusher, then pushes once more */
    assert_int_equal(atomic_load(&rv.count), before + 1);

    atomic_store(&rv.stop, true);
    pthread_join(rv.thread, NULL);
    close(rv.fd);
}

static void test_pusher_survives_unreachable_gateway(void **state)
{
    (void)state;
    int port;
    int fd = listen_loopback(&port);
    char url[64];
    struct conf cf = {0};

    close(fd); /* nothing listens there any more: every push fails */
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
    cf.prome.enabled = true;
    cf.prome.client_mode = "pusher";
    cf.prome.push_url = url;
    cf.prome.push_job = "qnlive";
    cf.prome.push_instance = "n1";
    cf.prome.push_interval_s = 1;
    assert_int_equal(metrics_start(&cf), ERR_OK);
    sleep_ms(1300); /* one failed tick */
    metrics_stop();
    char *text = metrics_render(NULL);
    assert_non_null(
        strstr(text, "qnlive_upstream_requests_total{outcome=\"error\",service=\"prome\"} 2\n"));
    free(text);

    cf.prome.push_interval_s = 0;
    assert_int_equal(metrics_start(&cf), ERR_BAD_REQUEST);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exporter_serves_metrics_only),
        cmocka_unit_test(test_exporter_bad_config),
        cmocka_unit_test(test_pusher_posts_text_format),
        cmocka_unit_test(test_pusher_survives_unreachable_gateway),
    };
    log_set_level(LOG_OFF);
    httpc_global_init();
    metrics_init();
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    httpc_global_cleanup();
    return rc;
}
