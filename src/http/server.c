#define LOG_MODULE "http"
#include "http/server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <pthread.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/str.h"
#include "http/auth.h"
#include "http/envelope.h"
#include "http/err_wire.h"
#include "http/req.h"
#include "http/reqid.h"
#include "metrics/metrics.h"

struct http_server {
    struct MHD_Daemon *daemon;
    struct app *app;
    atomic_int inflight;
    int port;
};

static const char CONTENT_TYPE_JSON[] = "application/json; charset=utf-8";

/* One cached arena per worker thread: a steady-state request allocates no arena at all. The
 * key's destructor frees it when MHD's worker thread exits. */
static pthread_key_t spare_arena_key;
static pthread_once_t spare_arena_once = PTHREAD_ONCE_INIT;

static void spare_arena_destroy(void *p)
{
    struct arena *a = p;
    arena_free(&a);
}

static void spare_arena_init(void)
{
    pthread_key_create(&spare_arena_key, spare_arena_destroy);
}

static struct arena *arena_take(void)
{
    pthread_once(&spare_arena_once, spare_arena_init);
    struct arena *a = pthread_getspecific(spare_arena_key);
    if (!a)
        return arena_new();
    pthread_setspecific(spare_arena_key, NULL);
    return a;
}

static void arena_give_back(struct arena *a)
{
    if (pthread_getspecific(spare_arena_key)) {
        arena_free(&a);
        return;
    }
    arena_reset(a);
    pthread_setspecific(spare_arena_key, a);
}

/* Bodies over the cap are read and dropped up to this size, so that the client receives the
 * 413; beyond it the answer goes out at once and the connection is closed. */
static const int64_t BODY_DISCARD_MAX = 64 * 1024 * 1024;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct conn_req {
    struct req r;
    struct http_server *srv;
    double t_start;
    bool started; /* first access-handler call seen */
    bool responded;
    bool body_hopeless; /* declared length beyond BODY_DISCARD_MAX: answer without reading */
    size_t body_cap;
};

/* Called by MHD with the raw request URI before parsing: the only place the raw query string
 * (needed byte for byte by the Qiniu MAC) is available. Allocates the per-request state. */
static void *uri_logger(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct http_server *srv = cls;
    struct conn_req *cr = xcalloc(1, sizeof(*cr));
    struct arena *a = arena_take();
    cr->srv = srv;
    cr->t_start = now_seconds();
    cr->r.arena = a;
    cr->r.app = srv->app;
    cr->r._conn = conn;
    const char *q = strchr(uri, '?');
    cr->r.raw_query = q ? arena_strdup(a, q + 1) : "";
    atomic_fetch_add(&srv->inflight, 1);
    metrics_inflight_add(1);
    return cr;
}

static void request_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                              enum MHD_RequestTerminationCode toe)
{
    struct http_server *srv = cls;
    struct conn_req *cr = *con_cls;
    (void)conn;
    (void)toe;
    if (!cr)
        return;
    json_decref(cr->r._json);
    json_decref(cr->r._data);
    free(cr->r.body);
    arena_give_back(cr->r.arena);
    free(cr);
    *con_cls = NULL;
    log_set_reqid(NULL);
    atomic_fetch_sub(&srv->inflight, 1);
    metrics_inflight_add(-1);
}

/* A browser origin other than this host's own: spec 01 §4.3. */
static bool origin_is_foreign(const struct req *r)
{
    const char *origin = req_header(r, "Origin");
    const char *host = req_header(r, "Host");
    if (!origin || !origin[0])
        return false;
    if (!host)
        return true;
    const char *rest = str_has_prefix(origin, "http://")    ? origin + 7
                       : str_has_prefix(origin, "https://") ? origin + 8
                                                            : NULL;
    return !rest || strcmp(rest, host) != 0;
}

static enum MHD_Result queue(struct conn_req *cr, int status, char *body, size_t len)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, body, body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (body)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TYPE_JSON);
    if (cr->r.reqid[0])
        MHD_add_response_header(resp, "X-Reqid", cr->r.reqid);
    if (origin_is_foreign(&cr->r)) {
        MHD_add_response_header(resp, "Access-Control-Allow-Origin", "*");
        MHD_add_response_header(resp, "Access-Control-Expose-Headers", "X-Reqid");
    }
    enum MHD_Result ret = MHD_queue_response(cr->r._conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    cr->responded = true;
    return ret;
}

static enum MHD_Result queue_preflight(struct conn_req *cr)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(resp, "Access-Control-Allow-Methods", "GET,POST,PUT,DELETE,PATCH,HEAD");
    MHD_add_response_header(resp, "Access-Control-Allow-Headers",
                            "Content-Type,Access-Token,Authorization,X-Reqid");
    MHD_add_response_header(resp, "Access-Control-Max-Age", "21600");
    MHD_add_response_header(resp, "Access-Control-Allow-Origin", "*");
    enum MHD_Result ret = MHD_queue_response(cr->r._conn, MHD_HTTP_NO_CONTENT, resp);
    MHD_destroy_response(resp);
    cr->responded = true;
    return ret;
}

/* Decimal of v into buf (at least 24 bytes); returns buf. */
static const char *u64_dec(uint64_t v, char *buf)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = '\0';
    return buf;
}

/* One line per request: method, path, route template, status, error, client, duration. Built
 * without printf because it runs for every request. */
static void access_log(struct conn_req *cr, const char *route)
{
    double secs = now_seconds() - cr->t_start;
    metrics_observe_http(cr->r.method, route, cr->r.status, secs);
    if (err_is_refusal(cr->r.err))
        metrics_observe_refusal(route, err_name(cr->r.err));
    if (LOG_INFO < log_min_level)
        return;
    char status[24], ms[24], frac[8];
    uint64_t us = (uint64_t)(secs * 1e6);
    snprintf(frac, sizeof(frac), ".%03u", (unsigned)(us % 1000));
    const char *parts[] = {cr->r.method,
                           " ",
                           cr->r.path,
                           " route=",
                           route,
                           " status=",
                           u64_dec((uint64_t)cr->r.status, status),
                           " err=",
                           err_name(cr->r.err),
                           " ip=",
                           cr->r.client_ip,
                           " dur_ms=",
                           u64_dec(us / 1000, ms),
                           frac};
    log_write_parts(LOG_INFO, LOG_MODULE, parts, ARRAY_LEN(parts));
}

static err_t run_route(struct req *r)
{
    if (r->_body_too_large)
        return req_fail(r, ERR_TOO_LARGE, "request body exceeds %lld bytes",
                        (long long)r->app->conf.httpq.body_max);
    if (router_match(r->app->router, r->method_bit, r->path, r->arena, &r->match))
        return req_fail(r, ERR_NOT_FOUND, "404 page not found");
    err_t err = auth_check(r);
    if (!err)
        err = r->match.route->handler(r);
    if (err && !r->err)
        r->err = err;
    if (!err && r->err)
        r->err = ERR_OK; /* a handler that recovered from an earlier req_fail */
    return err;
}

static enum MHD_Result dispatch(struct conn_req *cr)
{
    struct req *r = &cr->r;
    (void)run_route(r);
    r->status = err_http_status(r->err);
    if (r->match.route && r->match.route->auth == AUTH_ADMIN && r->app->auth.log_admin_operation &&
        r->role)
        r->app->auth.log_admin_operation(r, r->status);
    size_t len;
    char *body = envelope_render(r, &len);
    enum MHD_Result ret = queue(cr, r->status, body, len);
    access_log(cr, r->match.route ? r->match.route->path : "");
    return ret;
}

static void client_ip(struct conn_req *cr)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(cr->r._conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    cr->r.client_ip[0] = '\0';
    if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)ci->client_addr;
        inet_ntop(AF_INET, &sin->sin_addr, cr->r.client_ip, sizeof(cr->r.client_ip));
    }
    reqid_client_ip(&cr->r.app->conf, cr->r.client_ip, sizeof(cr->r.client_ip),
                    req_header(&cr->r, "X-Forwarded-For"), req_header(&cr->r, "X-Real-IP"));
}

/* First call for a request: headers are in. Sets up identity of the request and decides on
 * the preflight; the answer itself is queued on a later call (see DESIGN.md on keep-alive). */
static void begin_request(struct conn_req *cr, const char *url, const char *method)
{
    struct req *r = &cr->r;
    r->method = arena_strdup(r->arena, method);
    r->method_bit = http_method_parse(method);
    r->path = arena_strdup(r->arena, url);
    reqid_assign(req_header(r, "X-Reqid"), r->reqid);
    log_set_reqid(r->reqid);
    client_ip(cr);
    const char *cl = req_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
    int64_t n;
    cr->body_cap = (size_t)r->app->conf.httpq.body_max;
    if (cl && str_to_i64(cl, 0, INT64_MAX, &n) && (uint64_t)n > cr->body_cap) {
        r->_body_too_large = true;
        cr->body_hopeless = n > BODY_DISCARD_MAX;
    }
}

static void append_body(struct conn_req *cr, const char *data, size_t n)
{
    struct req *r = &cr->r;
    if (r->_body_too_large || r->body_len + n > cr->body_cap) {
        r->_body_too_large = true;
        return;
    }
    r->body = xrealloc(r->body, r->body_len + n + 1);
    memcpy(r->body + r->body_len, data, n);
    r->body_len += n;
    r->body[r->body_len] = '\0';
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **con_cls)
{
    struct conn_req *cr = *con_cls;
    (void)cls;
    (void)conn;
    (void)version;
    if (!cr->started) {
        cr->started = true;
        begin_request(cr, url, method);
        return MHD_YES;
    }
    if (cr->responded) {
        *upload_data_size = 0; /* discard the rest of an over-cap body */
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        append_body(cr, upload_data, *upload_data_size);
        *upload_data_size = 0;
        if (cr->body_hopeless)
            return dispatch(cr); /* MHD closes the connection after this answer */
        return MHD_YES;
    }
    if (cr->r.method_bit == HTTP_OPTIONS && origin_is_foreign(&cr->r))
        return queue_preflight(cr);
    return dispatch(cr);
}

bool http_parse_listen_addr(const char *addr, struct sockaddr_in *out)
{
    const char *colon = strrchr(addr, ':');
    int64_t port;
    if (!colon || !str_to_i64(colon + 1, 0, 65535, &port))
        return false;
    memset(out, 0, sizeof(*out));
    out->sin_family = AF_INET;
    out->sin_port = htons((uint16_t)port);
    size_t hlen = (size_t)(colon - addr);
    if (hlen == 0 || (hlen == 7 && strncmp(addr, "0.0.0.0", 7) == 0)) {
        out->sin_addr.s_addr = htonl(INADDR_ANY);
        return true;
    }
    char host[64];
    if (hlen >= sizeof(host))
        return false;
    memcpy(host, addr, hlen);
    host[hlen] = '\0';
    if (strcmp(host, "localhost") == 0)
        memcpy(host, "127.0.0.1", sizeof("127.0.0.1"));
    return inet_pton(AF_INET, host, &out->sin_addr) == 1;
}

/* The config loader turns 0 into its default; a hand-built conf gets a sane pool too. */
static unsigned worker_count(const struct conf *cf)
{
    return cf->httpq.workers > 0 ? (unsigned)cf->httpq.workers : 16;
}

err_t http_server_start(struct app *app, struct http_server **out, char *errbuf, size_t errlen)
{
    struct sockaddr_in sin;
    if (!http_parse_listen_addr(app->conf.httpq.addr, &sin)) {
        snprintf(errbuf, errlen, "httpq.addr: cannot parse '%s'", app->conf.httpq.addr);
        return ERR_BAD_REQUEST;
    }
    struct http_server *s = xcalloc(1, sizeof(*s));
    s->app = app;
    s->daemon = MHD_start_daemon(
        MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_TURBO, 0, NULL, NULL, access_handler,
        s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin, MHD_OPTION_THREAD_POOL_SIZE,
        worker_count(&app->conf), MHD_OPTION_URI_LOG_CALLBACK, uri_logger, s,
        MHD_OPTION_NOTIFY_COMPLETED, request_completed, s, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)120, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32 * 1024,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024, MHD_OPTION_END);
    if (!s->daemon) {
        snprintf(errbuf, errlen, "httpq.addr: cannot listen on '%s'", app->conf.httpq.addr);
        free(s);
        return ERR_UNAVAILABLE;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : 0;
    *out = s;
    return ERR_OK;
}

int http_server_port(const struct http_server *s)
{
    return s->port;
}

void http_server_stop(struct http_server **sp, int drain_timeout_s)
{
    if (!sp || !*sp)
        return;
    struct http_server *s = *sp;
    MHD_socket fd = MHD_quiesce_daemon(s->daemon);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    /* in-flight requests finish; idle keep-alive connections are closed by MHD_stop_daemon */
    for (int i = 0; i < drain_timeout_s * 100 && atomic_load(&s->inflight) > 0; i++) {
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    if (atomic_load(&s->inflight) > 0)
        log_warn("drain timeout: %d requests still in flight", atomic_load(&s->inflight));
    MHD_stop_daemon(s->daemon);
    free(s);
    *sp = NULL;
}
