/* Exposition: the exporter (a libmicrohttpd daemon of its own serving GET /metrics only, with a
 * connection timeout and no profiler) or the pusher (a thread POSTing the text format to
 * a Pushgateway every interval). */
#define LOG_MODULE "metrics"

#include "metrics/metrics.h"

#include <microhttpd.h>
#include <inttypes.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "core/clock.h"
#include "clients/httpc.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/str.h"

enum {
    EXPORTER_CONN_TIMEOUT_S = 10,
    EXPORTER_CONN_LIMIT = 64,
    PUSH_TIMEOUT_MS = 5000,
};

static struct MHD_Daemon *exporter;

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    pthread_t thread;
    bool running;
    bool stop;
    char *url;
    int64_t interval_ms;
} pusher = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* ---- exporter ----------------------------------------------------------------------------- */

static enum MHD_Result answer(struct MHD_Connection *conn, int status, char *body, size_t len,
                              bool take)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, body, take ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            status == 200 ? "text/plain; version=0.0.4; charset=utf-8"
                                          : "text/plain; charset=utf-8");
    enum MHD_Result r = MHD_queue_response(conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
    static int seen;
    static char not_found[] = "404 page not found\n";
    (void)cls;
    (void)version;
    (void)upload_data;

    /* Answering on the first call makes libmicrohttpd close the connection. */
    if (*con_cls == NULL) {
        *con_cls = &seen;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0; /* a body is never needed: discard it */
        return MHD_YES;
    }
    bool is_get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    if (!is_get || strcmp(url, "/metrics") != 0)
        return answer(conn, 404, not_found, strlen(not_found), false);
    size_t len;
    char *text = metrics_render(&len);
    return answer(conn, 200, text, len, true);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    (void)cls;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    log_warn("exporter: %s", msg);
}

/* Splits "host:port", ":port" or "[v6]:port". host is "" for all interfaces. */
static bool split_addr(const char *addr, char *host, size_t hostlen, char *port, size_t portlen)
{
    const char *colon = strrchr(addr, ':');
    int64_t p;

    if (!colon || !str_to_i64(colon + 1, 0, 65535, &p))
        return false;
    const char *h = addr;
    size_t hl = (size_t)(colon - addr);
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    if (hl >= hostlen)
        return false;
    memcpy(host, h, hl);
    host[hl] = '\0';
    snprintf(port, portlen, "%" PRId64, p);
    return true;
}

static struct MHD_Daemon *start_daemon(unsigned flags, const struct sockaddr *sa, uint16_t port)
{
    flags |= MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    flags |= MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES ? MHD_USE_EPOLL : MHD_USE_POLL;
    return MHD_start_daemon(flags, port, NULL, NULL, on_request, NULL,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)EXPORTER_CONN_TIMEOUT_S,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)EXPORTER_CONN_LIMIT,
                            MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
                            sa ? MHD_OPTION_SOCK_ADDR : MHD_OPTION_END, sa, MHD_OPTION_END);
}

/* Tries every address `host` resolves to; "" means all interfaces (dual stack, else IPv4). */
static struct MHD_Daemon *bind_exporter(const char *host, const char *port)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    struct MHD_Daemon *d = NULL;
    int64_t p = 0;

    (void)str_to_i64(port, 0, 65535, &p);
    if (host[0] == '\0') {
        d = start_daemon(MHD_USE_DUAL_STACK, NULL, (uint16_t)p);
        return d ? d : start_daemon(0, NULL, (uint16_t)p);
    }
    if (getaddrinfo(host, port, &hints, &res) != 0)
        return NULL;
    for (struct addrinfo *ai = res; ai && !d; ai = ai->ai_next) {
        unsigned fam = ai->ai_family == AF_INET6 ? MHD_USE_IPv6 : 0;
        d = start_daemon(fam, ai->ai_addr, (uint16_t)p);
    }
    freeaddrinfo(res);
    return d;
}

static err_t exporter_start(const char *listen_addr)
{
    char host[256];
    char port[8];

    if (!split_addr(listen_addr, host, sizeof(host), port, sizeof(port))) {
        log_error("prome.exporter_config.listen_addr: invalid address \"%s\"", listen_addr);
        return ERR_BAD_REQUEST;
    }
    exporter = bind_exporter(host, port);
    if (!exporter) {
        log_error("metrics exporter cannot listen on %s", listen_addr);
        return ERR_UNAVAILABLE;
    }
    log_info("metrics exporter listening on %s port=%d", listen_addr, metrics_exporter_port());
    return ERR_OK;
}

int metrics_exporter_port(void)
{
    if (!exporter)
        return 0;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(exporter, MHD_DAEMON_INFO_BIND_PORT);
    return info ? info->port : 0;
}

/* ---- pusher ------------------------------------------------------------------------------- */

static void push_once(void)
{
    static const char *const headers[] = {"Content-Type: text/plain; version=0.0.4", NULL};
    struct httpc_resp resp = {0};
    size_t len;
    char *body = metrics_render(&len);
    struct httpc_req rq = {
        .service = "prome",
        .method = "POST",
        .url = pusher.url,
        .headers = headers,
        .body = body,
        .body_len = len,
        .timeout_ms = PUSH_TIMEOUT_MS,
    };

    err_t err = httpc_do(&rq, &resp);
    if (err)
        log_warn("metrics push failed err=%s reason=%s", err_name(err), resp.error);
    else if (resp.status < 200 || resp.status > 299)
        log_warn("metrics push failed status=%ld", resp.status);
    httpc_resp_free(&resp);
    free(body);
}

/* The first push happens one interval after start, as in the reference; a failed push is
 * simply retried at the next tick. */
static void *push_main(void *arg)
{
    struct timespec due;
    (void)arg;

    log_set_reqid("metrics-push");
    pthread_mutex_lock(&pusher.mu);
    due = clock_mono_after_ms(pusher.interval_ms);
    while (!pusher.stop) {
        if (pthread_cond_timedwait(&pusher.cond, &pusher.mu, &due) == 0)
            continue; /* woken: re-check stop, keep the same deadline */
        pthread_mutex_unlock(&pusher.mu);
        push_once();
        pthread_mutex_lock(&pusher.mu);
        due = clock_mono_after_ms(pusher.interval_ms);
    }
    pthread_mutex_unlock(&pusher.mu);
    return NULL;
}

static err_t pusher_start(const struct conf *cf)
{
    pthread_condattr_t ca;

    if (!cf->prome.push_url[0] || !cf->prome.push_job[0] || cf->prome.push_interval_s <= 0) {
        log_error("prome.pusher_config: url, job and a positive interval_s are required");
        return ERR_BAD_REQUEST;
    }
    pusher.url = metrics_push_url(cf->prome.push_url, cf->prome.push_job, cf->prome.push_instance);
    pusher.interval_ms = cf->prome.push_interval_s * 1000;
    pusher.stop = false;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&pusher.cond, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&pusher.thread, NULL, push_main, NULL) != 0) {
        pthread_cond_destroy(&pusher.cond);
        free(pusher.url);
        pusher.url = NULL;
        return ERR_INTERNAL;
    }
    pusher.running = true;
    log_info("metrics pusher every %" PRId64 " s to %s", cf->prome.push_interval_s, pusher.url);
    return ERR_OK;
}

static void pusher_stop(void)
{
    pthread_mutex_lock(&pusher.mu);
    pusher.stop = true;
    pthread_cond_signal(&pusher.cond);
    pthread_mutex_unlock(&pusher.mu);
    pthread_join(pusher.thread, NULL);
    push_once(); /* the last counts of a stopping process are not lost */
    pthread_cond_destroy(&pusher.cond);
    free(pusher.url);
    pusher.url = NULL;
    pusher.running = false;
}

/* ---- lifecycle ---------------------------------------------------------------------------- */

err_t metrics_start(const struct conf *cf)
{
    if (!cf->prome.enabled)
        return ERR_OK;
    if (exporter || pusher.running)
        return ERR_EXISTS;
    if (strcmp(cf->prome.client_mode, "exporter") == 0)
        return exporter_start(cf->prome.listen_addr);
    if (strcmp(cf->prome.client_mode, "pusher") == 0)
        return pusher_start(cf);
    log_error("invalid prome client_mode %s", cf->prome.client_mode);
    return ERR_BAD_REQUEST;
}

void metrics_stop(void)
{
    if (exporter) {
        MHD_stop_daemon(exporter);
        exporter = NULL;
    }
    if (pusher.running)
        pusher_stop();
}
