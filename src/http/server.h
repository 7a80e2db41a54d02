#ifndef QNLIVE_HTTP_SERVER_H
#define QNLIVE_HTTP_SERVER_H

/* The HTTP listener: libmicrohttpd with a few epoll event threads that accept, parse and write
 * HTTP and never wait on a dependency. A request whose route needs the store, the cache or a
 * cloud service is suspended and run on the handler pool; the connection resumes with the
 * answer. Each request runs the pipeline CORS → request id → route → auth → handler → render →
 * access log + metrics, and is answered before its deadline (503 when the handler is late).
 *
 * The server knows requests, routes and auth hooks, never the application: whatever the
 * handlers need is the opaque pointer handed to them as r->app. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "http/auth.h"
#include "http/reqid.h"

struct router;
struct http_server;

struct http_server_config {
    const char *addr;                /* "host:port" or ":port" */
    unsigned event_threads;          /* accept, parse, write; 0 = one per CPU */
    unsigned handler_threads;        /* run handlers that wait on dependencies; 0 = 8 per CPU */
    unsigned queue_max;              /* requests waiting for a handler thread; 0 = 64 per thread */
    int64_t body_max;                /* request body cap in bytes, chunked bodies included */
    int64_t request_timeout_ms;      /* every request is answered within this; 0 = 5000 */
    unsigned header_timeout_s;       /* the request line and headers must arrive within this,
                                      * counted from connect or from the previous answer */
    unsigned idle_timeout_s;         /* no byte at all for this long closes the connection */
    unsigned max_connections;        /* 0 = 10000 */
    unsigned max_connections_per_ip; /* 0 = no per-address cap; trusted proxies are not capped */
    size_t header_max;               /* request line + headers in bytes; 0 = 16 KiB */
    bool try_inline;                 /* ROUTE_TRY_INLINE routes are tried on the event thread
                                      * first: worth it only when most of their calls are
                                      * answered without a network round trip */
    bool try_inline_local;           /* ROUTE_TRY_INLINE_LOCAL routes too: the store and the
                                      * cache are in-process */
    struct trusted_proxies proxies;
    struct http_auth auth;
    const struct router *router;
    void *opaque; /* handed to every request as r->app */
};

/* Binds cfg->addr and starts the event threads and the handler pool; cfg is copied (the
 * strings, router and hooks it points to must outlive the server). ERR_BAD_REQUEST for a
 * malformed address, ERR_UNAVAILABLE when it cannot listen (message in errbuf). */
err_t http_server_start(const struct http_server_config *cfg, struct http_server **out,
                        char *errbuf, size_t errlen) MUST_USE;

/* Graceful stop: stops accepting, waits up to drain_timeout_s for in-flight requests, answers
 * the rest with 503, closes every connection and joins the handler threads. Accepts NULL;
 * NULLs the pointer. */
void http_server_stop(struct http_server **sp, int drain_timeout_s);

/* The port actually bound (useful with port 0). */
int http_server_port(const struct http_server *s);

/* Parses "host:port" / ":port" into an IPv4 socket address; false on a malformed value. */
struct sockaddr_in;
bool http_parse_listen_addr(const char *addr, struct sockaddr_in *out);

#endif
