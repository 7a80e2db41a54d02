#define LOG_MODULE "http"
#include "http/server.h"

#include <arpa/inet.h>
#include <assert.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/deadline.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/noblock.h"
#include "core/str.h"
#include "core/textcache.h"
#include "http/auth.h"
#include "http/conn_guard.h"
#include "http/envelope.h"
#include "http/ip_limit.h"
#include "http/err_wire.h"
#include "http/pool.h"
#include "http/req.h"
#include "http/router.h"
#include "metrics/metrics.h"

struct http_server {
    struct MHD_Daemon *daemon;
    atomic_bool draining; /* stopping: connections accepted from now on are shut at once */
    struct http_server_config cfg;
    struct handler_pool *pool;
    struct conn_guard *guard;
    struct ip_limit *ip_limit;
    atomic_int inflight;
    int port;
};

static const char CONTENT_TYPE_JSON[] = "application/json; charset=utf-8";

enum {
    DEFAULT_REQUEST_TIMEOUT_MS = 5000,
    DEFAULT_MAX_CONNECTIONS = 10000,
    DEFAULT_HEADER_MAX = 16 * 1024,
    HANDLERS_PER_CPU = 8,
    QUEUE_PER_HANDLER = 64,
    DISCARD_MAX = 1024 * 1024,
    QUERY_ARGS_MAX = 256,
    MIN_CONNECTION_MEMORY = 64 * 1024,
};

/* One cached arena per thread: a steady-state request allocates no arena at all. The key's
 * destructor frees it when the thread exits. */
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
    pthread_once(&spare_arena_once, spare_arena_init);
    if (pthread_getspecific(spare_arena_key)) {
        arena_free(&a);
        return;
    }
    arena_reset(a);
    pthread_setspecific(spare_arena_key, a);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

enum { PEND_NONE = 0, PEND_WAITING = 1, PEND_RESUMED = 2 };

/* One request. Owned jointly by its connection and, while a handler runs it, by the handler
 * pool: whoever drops the last reference frees it, so a handler that outlives its deadline
 * still finds its arena and body. */
struct conn_req {
    struct req r;
    struct pool_job job;
    struct http_server *srv;
    struct MHD_Connection *conn;
    struct conn_slot *slot;
    atomic_int refs;
    double t_start;
    bool responded;
    bool suspended; /* waiting for the handler pool */
    bool pooled;    /* handed to the handler pool (the access log's run=pool) */
    bool refused;   /* the pool was full: answer 503 on resume */
    /* A handler that went pending on the event thread, and its resume, meet here: the one that
     * comes second ends the wait (PEND_*). */
    atomic_int pend;
    int edge_status; /* an answer decided by the edge checks, 0 = none */
    const char *edge_msg;
    size_t body_cap;
    size_t discarded; /* body bytes dropped past the cap */
    /* the handler's rendered answer, written by the pool thread before DONE */
    char *resp_body;
    size_t resp_len;
};

static void conn_req_unref(struct conn_req *cr)
{
    if (atomic_fetch_sub(&cr->refs, 1) != 1)
        return;
    json_decref(cr->r._json);
    json_decref(cr->r._data);
    free(cr->r.body);
    free(cr->resp_body);
    arena_give_back(cr->r.arena);
    free(cr);
}

/* The peer's address in text form ("" when unknown). */
static void peer_ip(struct MHD_Connection *conn, char *out, size_t len)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    out[0] = '\0';
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)len);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)len);
}

/* A new connection gets its slot and is counted against its address's cap; one over the cap
 * (or arriving while draining) is shut at once: the event thread sees the end of the stream
 * and closes it, and its close gives nothing back. */
static void connection_started(struct http_server *srv, struct MHD_Connection *conn,
                               struct conn_slot **slot)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    int fd = ci ? ci->connect_fd : -1;
    struct conn_slot *s = conn_guard_open(srv->guard, fd);
    *slot = s;
    peer_ip(conn, s->peer, sizeof(s->peer));
    bool admitted = ip_limit_admit(srv->ip_limit, s->peer, &s->peer_counted);
    if ((!admitted || atomic_load(&srv->draining)) && fd >= 0)
        shutdown(fd, SHUT_RDWR);
}

static void notify_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                              enum MHD_ConnectionNotificationCode toe)
{
    struct http_server *srv = cls;
    struct conn_slot *s = *socket_context;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        connection_started(srv, conn, &s);
        *socket_context = s;
        return;
    }
    if (s && s->peer_counted)
        ip_limit_release(srv->ip_limit, s->peer);
    conn_guard_close(srv->guard, s);
    *socket_context = NULL;
}

static struct conn_slot *slot_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static size_t query_args(const char *raw)
{
    const char *q = strchr(raw, '?');
    size_t n = q && q[1] ? 1 : 0;
    for (; q && *q; q++)
        n += *q == '&';
    return n;
}

/* Called with the raw request URI before libmicrohttpd parses it: the only place the raw query
 * string (signed byte for byte by the Qiniu MAC) is available, so the connection's slot keeps a
 * copy. Nothing per request is allocated here: a request libmicrohttpd refuses by itself never
 * reaches the access handler that would free it. */
static void *uri_logger(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    struct conn_slot *slot = slot_of(conn);
    if (slot)
        conn_slot_request_line(slot, uri, deadline_now_ms());
    /* libmicrohttpd parses the query into the connection's small memory pool, and a query of
     * a thousand parameters exhausts it: the request would then hang unanswered. The refusal
     * cannot be written from inside this callback (libmicrohttpd is mid-parse): the reaper
     * sends it right after, or the access handler if the parse succeeded. */
    if (slot && query_args(uri) > QUERY_ARGS_MAX)
        conn_slot_refuse_uri(slot);
    return NULL;
}

static struct conn_req *conn_req_new(struct http_server *srv, struct MHD_Connection *conn)
{
    struct conn_req *cr = xcalloc(1, sizeof(*cr));
    struct arena *a = arena_take();
    atomic_init(&cr->refs, 1);
    cr->srv = srv;
    cr->conn = conn;
    cr->slot = slot_of(conn);
    cr->t_start = now_seconds();
    cr->r.arena = a;
    cr->r.app = srv->cfg.opaque;
    cr->r._auth = &srv->cfg.auth;
    cr->r._conn = conn;
    const char *raw = cr->slot && cr->slot->raw_uri ? cr->slot->raw_uri : "";
    const char *q = strchr(raw, '?');
    cr->r.raw_query = q ? arena_strdup(a, q + 1) : "";
    cr->job.deadline_ms =
        (cr->slot ? cr->slot->request_start_ms : deadline_now_ms()) + srv->cfg.request_timeout_ms;
    atomic_fetch_add(&srv->inflight, 1);
    metrics_inflight_add(1);
    return cr;
}

static void request_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                              enum MHD_RequestTerminationCode toe)
{
    struct http_server *srv = cls;
    struct conn_req *cr = *con_cls;
    (void)toe;
    *con_cls = NULL;
    if (!cr)
        return;
    struct conn_slot *slot = slot_of(conn);
    if (slot)
        conn_slot_reading(srv->guard, slot);
    log_set_reqid(NULL);
    conn_req_unref(cr);
    atomic_fetch_sub(&srv->inflight, 1);
    metrics_inflight_add(-1);
}

/* A browser origin other than this host's own gets CORS headers. */
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

/* A handler's document, when it answered one and nothing failed after. */
static bool answers_document(const struct req *r)
{
    return r->_doc && !r->err;
}

/* The envelope (heap), or NULL when the handler answered a document: queue() sends that from
 * where it lives, without a copy. */
static char *render_body(const struct req *r, size_t *len)
{
    *len = 0;
    return answers_document(r) ? NULL : envelope_render(r, len);
}

/* `body` (heap, handed to libmicrohttpd) is the envelope; with `doc` it is NULL and the answer is
 * the handler's document, which outlives the request (req_ok_document), with its type and
 * headers. */
static enum MHD_Result queue(struct conn_req *cr, int status, char *body, size_t len, bool doc)
{
    struct MHD_Response *resp =
        /* libmicrohttpd only reads a persistent buffer */
        doc ? MHD_create_response_from_buffer(cr->r._doc_len, (void *)(uintptr_t)cr->r._doc,
                                              MHD_RESPMEM_PERSISTENT)
            : MHD_create_response_from_buffer(
                  len, body, body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (body || doc)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                doc ? cr->r._doc_type : CONTENT_TYPE_JSON);
    for (const char *const *h = doc ? cr->r._doc_headers : NULL; h && h[0]; h += 2)
        MHD_add_response_header(resp, h[0], h[1]);
    if (cr->r.reqid[0])
        MHD_add_response_header(resp, "X-Reqid", cr->r.reqid);
    if (origin_is_foreign(&cr->r)) {
        MHD_add_response_header(resp, "Access-Control-Allow-Origin", "*");
        MHD_add_response_header(resp, "Access-Control-Expose-Headers", "X-Reqid");
    }
    enum MHD_Result ret = MHD_queue_response(cr->conn, (unsigned)status, resp);
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
    enum MHD_Result ret = MHD_queue_response(cr->conn, MHD_HTTP_NO_CONTENT, resp);
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

/* One line per request: method, path, route template, status, error, client, duration and
 * where the handler ran (run=event|pool). Built without printf because it runs for every
 * request. Reads only what the event thread owns. */
static void access_log(struct conn_req *cr, int status, err_t err)
{
    const struct route *rt = cr->r.match.route;
    const char *route = rt ? rt->path : "";
    double secs = now_seconds() - cr->t_start;
    metrics_observe_http(cr->r.method, route, status, secs);
    if (err_is_refusal(err))
        metrics_observe_refusal(route, err_name(err));
    if (LOG_INFO < log_min_level)
        return;
    char st[24], ms[24], frac[8];
    uint64_t us = (uint64_t)(secs * 1e6);
    snprintf(frac, sizeof(frac), ".%03u", (unsigned)(us % 1000));
    const char *parts[] = {cr->r.method,
                           " ",
                           cr->r.path,
                           " route=",
                           route,
                           " status=",
                           u64_dec((uint64_t)status, st),
                           " err=",
                           err_name(err),
                           " ip=",
                           cr->r.client_ip,
                           " dur_ms=",
                           u64_dec(us / 1000, ms),
                           frac,
                           cr->pooled ? " run=pool" : " run=event"};
    log_write_parts(LOG_INFO, LOG_MODULE, parts, ARRAY_LEN(parts));
}

/* An answer the server gives by itself (edge checks, a full pool, a late handler): the JSON
 * envelope with the status as body code. Never reads the request's response fields, which a
 * late handler may still be writing. */
static enum MHD_Result answer_error(struct conn_req *cr, int status, err_t err, const char *msg)
{
    size_t len;
    char *body = envelope_render_error(cr->r.reqid, status, msg, &len);
    enum MHD_Result ret = queue(cr, status, body, len, false);
    access_log(cr, status, err);
    return ret;
}

static err_t auth_and_handler(struct req *r)
{
    err_t err = auth_check(r);
    return err ? err : r->match.route->handler(r);
}

/* Leaves the outcome of auth and the handler in r (err, status) and logs an admin's
 * operation. */
static void settle(struct req *r, err_t err)
{
    if (err && !r->err)
        r->err = err;
    if (!err && r->err)
        r->err = ERR_OK; /* a handler that recovered from an earlier req_fail */
    r->status = err_http_status(r->err);
    if (r->match.route->auth == AUTH_ADMIN && r->_auth->log_admin_operation && r->role)
        r->_auth->log_admin_operation(r, r->status);
}

/* Auth, then the handler; the outcome is left in r (err, message, data, status). */
static void run_handler(struct req *r)
{
    settle(r, auth_and_handler(r));
}

/* Runs auth and the handler on the event thread, marked "must not block". True when they
 * finished there; false when something would have waited (even if the handler swallowed the
 * refusal): the outcome is wiped so the handler pool can run the request from the start. */
static bool try_inline(struct req *r)
{
    noblock_enter();
    err_t err = auth_and_handler(r);
    noblock_leave();
    if (r->_pending) {
        /* a handler waits for a callback only once nothing can refuse it any more */
        assert(!noblock_tripped() && !err);
        return true;
    }
    if (!noblock_tripped() && err != ERR_WOULD_BLOCK) {
        settle(r, err);
        return true;
    }
    req_reset_outcome(r);
    return false;
}

static enum MHD_Result answer_now(struct conn_req *cr)
{
    struct req *r = &cr->r;
    r->status = err_http_status(r->err);
    size_t len;
    char *body = render_body(r, &len);
    enum MHD_Result ret = queue(cr, r->status, body, len, answers_document(r));
    access_log(cr, r->status, r->err);
    return ret;
}

/* Runs the request's handler; renders the answer unless the handler left it pending (its next
 * step then renders it on the event thread). */
static void job_run(struct pool_job *j)
{
    struct conn_req *cr = container_of(j, struct conn_req, job);
    struct req *r = &cr->r;
    log_set_reqid(r->reqid);
    err_t err = auth_and_handler(r);
    if (!r->_pending) {
        settle(r, err);
        cr->resp_body = render_body(r, &cr->resp_len);
    }
    log_set_reqid(NULL);
}

/* The resuming thread holds a reference of its own: the deadline may answer and finish the
 * request before it resumes. On the handler pool the job is deferred here; on the event thread
 * the server hands it to the pool once the handler has returned (wait_for_resume). */
err_t req_pending(struct req *r, route_fn *next)
{
    struct conn_req *cr = container_of(r, struct conn_req, r);
    r->_next = next;
    r->_pending = true;
    atomic_fetch_add(&cr->refs, 1);
    if (cr->pooled)
        pool_job_defer(cr->srv->pool, &cr->job);
    return ERR_OK;
}

/* Ends the pool's wait: the connection resumes and its next step runs on the event thread. */
static void finish_wait(struct conn_req *cr)
{
    (void)pool_job_finish(cr->srv->pool, &cr->job); /* refused: the deadline answered already */
    conn_req_unref(cr);
}

void req_resume(struct req *r)
{
    struct conn_req *cr = container_of(r, struct conn_req, r);
    if (cr->pooled || atomic_exchange(&cr->pend, PEND_RESUMED) == PEND_WAITING)
        finish_wait(cr);
}

static void job_complete(struct pool_job *j)
{
    struct conn_req *cr = container_of(j, struct conn_req, job);
    MHD_resume_connection(cr->conn);
}

static void job_release(struct pool_job *j)
{
    conn_req_unref(container_of(j, struct conn_req, job));
}

/* libmicrohttpd does not watch a suspended connection, so the watchdog peeks at its socket: an
 * orderly close from the client means nobody will read the answer. The socket stays open
 * while the connection is suspended, so the descriptor cannot have been reused. */
static bool job_abandoned(struct pool_job *j)
{
    struct conn_req *cr = container_of(j, struct conn_req, job);
    char c;
    return cr->slot && recv(cr->slot->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

/* Suspends the connection and queues the handler; the answer is queued when the connection
 * resumes. The connection is suspended first so the handler can never resume it early. */
static enum MHD_Result hand_to_pool(struct conn_req *cr)
{
    req_detach(&cr->r);
    cr->job.run = job_run;
    cr->job.complete = job_complete;
    cr->job.release = job_release;
    cr->job.abandoned = job_abandoned;
    cr->pooled = true;
    atomic_fetch_add(&cr->refs, 1);
    MHD_suspend_connection(cr->conn);
    cr->suspended = true;
    if (!handler_pool_submit(cr->srv->pool, &cr->job)) {
        atomic_fetch_sub(&cr->refs, 1);
        cr->refused = true;
        MHD_resume_connection(cr->conn);
    }
    return MHD_YES;
}

/* The step after a pending handler's wait: it only renders what the wait brought, so it runs
 * here, marked "must not block". */
static void run_next_step(struct conn_req *cr)
{
    struct req *r = &cr->r;
    route_fn *step = r->_next;
    r->_next = NULL;
    r->_pending = false;
    noblock_enter();
    err_t err = step(r);
    noblock_leave();
    assert(!r->_pending);
    settle(r, noblock_tripped() && !err ? ERR_WOULD_BLOCK : err);
    cr->resp_body = render_body(r, &cr->resp_len);
}

/* The event thread served other requests meanwhile: the log lines are this one's again. */
static enum MHD_Result answer_from_pool(struct conn_req *cr)
{
    cr->suspended = false;
    log_set_reqid(cr->r.reqid);
    if (cr->refused)
        return answer_error(cr, 503, ERR_UNAVAILABLE, "server busy");
    if (pool_job_state(&cr->job) != POOL_JOB_DONE) {
        log_warn("request deadline passed: answering 503");
        return answer_error(cr, 503, ERR_UNAVAILABLE, "request timed out");
    }
    if (cr->r._next)
        run_next_step(cr);
    char *body = cr->resp_body;
    cr->resp_body = NULL;
    enum MHD_Result ret = queue(cr, cr->r.status, body, cr->resp_len, answers_document(&cr->r));
    access_log(cr, cr->r.status, cr->r.err);
    return ret;
}

/* Inline routes answer from memory; their auth (none, or a signature) needs no dependency. */
static bool runs_inline(const struct route *rt)
{
    return (rt->flags & ROUTE_INLINE) && (rt->auth == AUTH_NONE || rt->auth == AUTH_SERVER);
}

/* The handler tried in place went on waiting for a callback (req_pending): the connection is
 * suspended and the pool keeps the request's deadline until req_resume. */
static enum MHD_Result wait_for_resume(struct conn_req *cr)
{
    cr->job.complete = job_complete;
    cr->job.abandoned = job_abandoned;
    MHD_suspend_connection(cr->conn);
    cr->suspended = true;
    cr->refused = !handler_pool_adopt(cr->srv->pool, &cr->job);
    if (cr->refused)
        MHD_resume_connection(cr->conn); /* stopping: 503 at once; the late resume is refused */
    if (atomic_exchange(&cr->pend, PEND_WAITING) == PEND_RESUMED)
        finish_wait(cr); /* the callback came while the handler still ran */
    return MHD_YES;
}

static bool tried_in_place(const struct http_server_config *c, unsigned flags)
{
    return (c->try_inline && (flags & ROUTE_TRY_INLINE)) ||
           (c->try_inline_local && (flags & ROUTE_TRY_INLINE_LOCAL));
}

static enum MHD_Result dispatch(struct conn_req *cr)
{
    struct req *r = &cr->r;
    if (cr->slot && !conn_slot_serving(cr->slot))
        return MHD_NO; /* the read deadline closed the socket meanwhile */
    if (r->method_bit == HTTP_OPTIONS && origin_is_foreign(r))
        return queue_preflight(cr);
    if (router_match(cr->srv->cfg.router, r->method_bit, r->path, r->arena, &r->match)) {
        (void)req_fail(r, ERR_NOT_FOUND, "404 page not found");
        return answer_now(cr);
    }
    r->self = r->match.self;
    if (runs_inline(r->match.route)) {
        run_handler(r);
        return answer_now(cr);
    }
    /* the pool hop costs more CPU than a handler served from memory: try in place first */
    if (tried_in_place(&cr->srv->cfg, r->match.route->flags) && try_inline(r))
        return r->_pending ? wait_for_resume(cr) : answer_now(cr);
    return hand_to_pool(cr);
}

static void client_ip(struct conn_req *cr)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(cr->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    cr->r.client_ip[0] = '\0';
    if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)ci->client_addr;
        inet_ntop(AF_INET, &sin->sin_addr, cr->r.client_ip, sizeof(cr->r.client_ip));
    }
    reqid_client_ip(&cr->srv->cfg.proxies, cr->r.client_ip, sizeof(cr->r.client_ip),
                    req_header(&cr->r, "X-Forwarded-For"), req_header(&cr->r, "X-Real-IP"));
}

struct framing {
    const char *content_length; /* the first one */
    bool conflicting_lengths;
    const char *transfer_encoding;
    size_t header_bytes;
};

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    struct framing *f = cls;
    (void)kind;
    value = value ? value : "";
    f->header_bytes += strlen(key) + strlen(value) + 4;
    if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
        if (f->content_length && strcmp(f->content_length, value) != 0)
            f->conflicting_lengths = true;
        if (!f->content_length)
            f->content_length = value;
    } else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
        f->transfer_encoding = value;
    }
    return MHD_YES;
}

/* A NUL byte in the path would cut it short: the route and the signature would cover less
 * than the client sent. */
static bool raw_path_has_nul(const char *raw)
{
    for (const char *p = raw; *p && *p != '?'; p++) {
        if (p[0] == '%' && p[1] == '0' && p[2] == '0')
            return true;
    }
    return false;
}

static void refuse(struct conn_req *cr, int status, const char *msg)
{
    cr->edge_status = status;
    cr->edge_msg = msg;
}

/* Refusals that depend on how the body is framed: its length must be unambiguous and within
 * the cap, and chunked is the only transfer coding served. */
static void check_framing(struct conn_req *cr, const struct framing *f)
{
    int64_t n;
    if (f->conflicting_lengths)
        refuse(cr, 400, "conflicting Content-Length headers");
    else if (f->transfer_encoding && f->content_length)
        refuse(cr, 400, "both Transfer-Encoding and Content-Length");
    else if (f->transfer_encoding && strcasecmp(f->transfer_encoding, "chunked") != 0)
        refuse(cr, 501, "unsupported Transfer-Encoding");
    else if (f->content_length && !str_to_i64(f->content_length, 0, INT64_MAX, &n))
        refuse(cr, 400, "invalid Content-Length");
    else if (f->content_length && (uint64_t)n > cr->body_cap)
        refuse(cr, 413, "request body too large");
}

/* Decides on requests the server refuses by itself, from the request line and headers alone:
 * sets cr->edge_status (0 = none) and cr->edge_msg. */
static void check_edge(struct conn_req *cr, const char *version)
{
    size_t header_max = cr->srv->cfg.header_max;
    struct framing f = {0};
    MHD_get_connection_values(cr->conn, MHD_HEADER_KIND, scan_header, &f);
    const char *raw = cr->slot && cr->slot->raw_uri ? cr->slot->raw_uri : "";
    if (strcmp(version, MHD_HTTP_VERSION_1_1) != 0 && strcmp(version, MHD_HTTP_VERSION_1_0) != 0)
        refuse(cr, 505, "HTTP Version Not Supported");
    else if (strlen(raw) > header_max)
        refuse(cr, 414, "URI Too Long");
    else if (f.header_bytes + strlen(raw) > header_max)
        refuse(cr, 431, "Request Header Fields Too Large");
    else if (cr->slot && conn_slot_refusal(cr->slot) == 414)
        refuse(cr, 414, "too many query parameters");
    else if (raw_path_has_nul(raw))
        refuse(cr, 400, "NUL byte in path");
    else
        check_framing(cr, &f);
}

static err_t edge_err(int status)
{
    return status == 413 ? ERR_TOO_LARGE : ERR_BAD_REQUEST;
}

/* First call for a request: the request line and headers are in. */
static void begin_request(struct conn_req *cr, const char *url, const char *method,
                          const char *version)
{
    struct req *r = &cr->r;
    r->method = arena_strdup(r->arena, method);
    r->method_bit = http_method_parse(method);
    r->path = arena_strdup(r->arena, url);
    reqid_assign(req_header(r, "X-Reqid"), r->reqid);
    log_set_reqid(r->reqid);
    client_ip(cr);
    cr->body_cap = (size_t)cr->srv->cfg.body_max;
    check_edge(cr, version);
}

/* False once the body passes the cap (chunked bodies too: the cap is on what arrives). */
static bool append_body(struct conn_req *cr, const char *data, size_t n)
{
    struct req *r = &cr->r;
    if (r->body_len + n > cr->body_cap)
        return false;
    r->body = xrealloc(r->body, r->body_len + n + 1);
    memcpy(r->body + r->body_len, data, n);
    r->body_len += n;
    r->body[r->body_len] = '\0';
    return true;
}

/* Answers an edge refusal at once. The connection closes after it: the rest of the request
 * (a body that may never end) is not read. */
static enum MHD_Result answer_edge(struct conn_req *cr)
{
    if (cr->slot && !conn_slot_serving(cr->slot))
        return MHD_NO; /* the reaper answered and shut the socket */
    return answer_error(cr, cr->edge_status, edge_err(cr->edge_status), cr->edge_msg);
}

/* After an early refusal, whatever still arrives is not worth reading. */
static enum MHD_Result refuse_rest(size_t *upload_data_size)
{
    *upload_data_size = 0;
    return MHD_NO;
}

/* A body past the cap is read and dropped up to DISCARD_MAX more bytes, so that a client that
 * sends it all before reading gets its 413 on an intact connection; beyond that the 413 goes
 * out at once and the connection closes, however long the body would go on. */
static enum MHD_Result take_body(struct conn_req *cr, const char *data, size_t *size)
{
    size_t n = *size;
    *size = 0;
    if (!cr->discarded && append_body(cr, data, n))
        return MHD_YES;
    cr->discarded += n;
    if (cr->discarded <= DISCARD_MAX)
        return MHD_YES;
    refuse(cr, 413, "request body too large");
    return answer_edge(cr);
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **con_cls)
{
    struct conn_req *cr = *con_cls;
    if (!cr) {
        struct conn_slot *slot = slot_of(conn);
        if (slot && conn_slot_closed(slot))
            return MHD_NO; /* answered and shut already */
        cr = conn_req_new(cls, conn);
        *con_cls = cr;
        begin_request(cr, url, method, version);
        return cr->edge_status ? answer_edge(cr) : MHD_YES;
    }
    if (cr->responded)
        return refuse_rest(upload_data_size);
    if (cr->suspended)
        return answer_from_pool(cr);
    if (*upload_data_size > 0)
        return take_body(cr, upload_data, upload_data_size);
    if (cr->discarded) {
        refuse(cr, 413, "request body too large");
        return answer_edge(cr);
    }
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

static unsigned cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (unsigned)n;
}

/* Zero means "the default" for every sizing knob, so a hand-built config works too. */
static void apply_defaults(struct http_server_config *c)
{
    if (!c->event_threads)
        c->event_threads = cpu_count();
    if (!c->handler_threads)
        c->handler_threads = HANDLERS_PER_CPU * cpu_count();
    if (!c->queue_max)
        c->queue_max = QUEUE_PER_HANDLER * c->handler_threads;
    if (c->request_timeout_ms <= 0)
        c->request_timeout_ms = DEFAULT_REQUEST_TIMEOUT_MS;
    if (!c->max_connections)
        c->max_connections = DEFAULT_MAX_CONNECTIONS;
    if (!c->header_max)
        c->header_max = DEFAULT_HEADER_MAX;
}

/* libmicrohttpd refuses a request by itself (with an HTML page) when the request line, headers
 * and parsed query do not fit in a connection's memory pool: sized so that header_max and
 * QUERY_ARGS_MAX trip first. Not larger: libmicrohttpd clears the whole pool between the
 * requests of a keep-alive connection (a 560 KiB pool halved /status throughput). */
static size_t connection_memory(const struct http_server_config *c)
{
    size_t want = 4 * c->header_max;
    return want > MIN_CONNECTION_MEMORY ? want : MIN_CONNECTION_MEMORY;
}

/* libmicrohttpd ends its internal consistency checks (a socket it cannot close, an epoll set it
 * cannot update, a thread it cannot join) in a panic. Its default panic writes to stderr, which
 * a supervisor may not keep; this one puts the reason in the server's log first, so that an
 * abort is diagnosable from the log alone. */
static void mhd_panic(void *cls, const char *file, unsigned int line, const char *reason)
{
    (void)cls;
    log_error("libmicrohttpd panic at %s:%u: %s", file ? file : "?", line,
              reason ? reason : "(no reason given)");
    abort();
}

static struct MHD_Daemon *start_daemon(struct http_server *s, const struct sockaddr_in *sin)
{
    const struct http_server_config *c = &s->cfg;
    unsigned flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO;
    return MHD_start_daemon(
        flags, 0, NULL, NULL, access_handler, s, MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)sin,
        MHD_OPTION_THREAD_POOL_SIZE, c->event_threads, MHD_OPTION_URI_LOG_CALLBACK, uri_logger, s,
        MHD_OPTION_NOTIFY_COMPLETED, request_completed, s, MHD_OPTION_NOTIFY_CONNECTION,
        notify_connection, s, MHD_OPTION_CONNECTION_TIMEOUT, c->idle_timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, connection_memory(c), MHD_OPTION_CONNECTION_LIMIT,
        c->max_connections, MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024, MHD_OPTION_END);
}

err_t http_server_start(const struct http_server_config *cfg, struct http_server **out,
                        char *errbuf, size_t errlen)
{
    struct sockaddr_in sin;
    if (!http_parse_listen_addr(cfg->addr, &sin)) {
        snprintf(errbuf, errlen, "httpq.addr: cannot parse '%s'", cfg->addr);
        return ERR_BAD_REQUEST;
    }
    struct http_server *s = xcalloc(1, sizeof(*s));
    s->cfg = *cfg;
    apply_defaults(&s->cfg);
    s->guard = conn_guard_new(s->cfg.header_timeout_s);
    s->ip_limit = ip_limit_new(s->cfg.max_connections_per_ip, &s->cfg.proxies);
    s->pool = handler_pool_new(s->cfg.handler_threads, cpu_count(), s->cfg.queue_max);
    s->cfg.auth.tokens = auth_tokens_new();
    MHD_set_panic_func(mhd_panic, NULL);
    s->daemon = start_daemon(s, &sin);
    if (!s->daemon) {
        snprintf(errbuf, errlen, "httpq.addr: cannot listen on '%s'", cfg->addr);
        handler_pool_free(&s->pool);
        conn_guard_free(&s->guard);
        ip_limit_free(&s->ip_limit);
        textcache_free(&s->cfg.auth.tokens);
        free(s);
        return ERR_UNAVAILABLE;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : 0;
    log_info("http: %u event threads, %u handler threads, request deadline %lld ms",
             s->cfg.event_threads, s->cfg.handler_threads, (long long)s->cfg.request_timeout_ms);
    *out = s;
    return ERR_OK;
}

int http_server_port(const struct http_server *s)
{
    return s->port;
}

static void drain(struct http_server *s, int drain_timeout_s)
{
    for (int i = 0; i < drain_timeout_s * 100 && atomic_load(&s->inflight) > 0; i++) {
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    if (atomic_load(&s->inflight) > 0)
        log_warn("drain timeout: %d requests still in flight", atomic_load(&s->inflight));
}

void http_server_stop(struct http_server **sp, int drain_timeout_s)
{
    if (!sp || !*sp)
        return;
    struct http_server *s = *sp;
    /* Stop serving new connections without MHD_quiesce_daemon: on an epoll daemon with its own
     * threads it races with the event loop, which removes the listening socket from its epoll
     * set too, and whichever loses aborts the process ("Failed to remove listen FD from epoll
     * set"). Connections accepted from now on are shut at once instead; MHD_stop_daemon closes
     * the listening socket after joining its threads. */
    atomic_store(&s->draining, true);
    drain(s, drain_timeout_s);
    /* no connection may stay suspended past this point: the rest get their 503 now */
    handler_pool_close(s->pool);
    MHD_stop_daemon(s->daemon);
    /* joins the handler threads: a late handler still uses what the application owns */
    handler_pool_free(&s->pool);
    conn_guard_free(&s->guard);
    ip_limit_free(&s->ip_limit);
    textcache_free(&s->cfg.auth.tokens);
    free(s);
    *sp = NULL;
}
