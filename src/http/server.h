#ifndef QNLIVE_HTTP_SERVER_H
#define QNLIVE_HTTP_SERVER_H

/* The HTTP listener: libmicrohttpd with an epoll thread pool. Each request runs the pipeline
 * CORS → request id → route → auth → handler → render → access log + metrics. */

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

struct app;
struct http_server;

/* Binds httpq.addr and starts the worker pool. ERR_UNAVAILABLE when it cannot bind (message
 * in errbuf). */
err_t http_server_start(struct app *app, struct http_server **out, char *errbuf,
                        size_t errlen) MUST_USE;

/* Graceful stop: stops accepting, waits up to drain_timeout_s for in-flight requests, then
 * closes every connection. Accepts NULL; NULLs the pointer. */
void http_server_stop(struct http_server **sp, int drain_timeout_s);

/* The port actually bound (useful with port 0). */
int http_server_port(const struct http_server *s);

/* Parses "host:port" / ":port" into an IPv4 socket address; false on a malformed value. */
struct sockaddr_in;
bool http_parse_listen_addr(const char *addr, struct sockaddr_in *out);

#endif
