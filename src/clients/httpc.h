#ifndef QNLIVE_CLIENTS_HTTPC_H
#define QNLIVE_CLIENTS_HTTPC_H

/* The one outbound HTTP wrapper (libcurl easy handle, one per thread, reused for keep-alive).
 * Every call has a connect timeout, a total timeout and a response size cap; it carries the
 * current request id as X-Reqid and records the `qnlive_upstream_*` metrics under `service`. */

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

struct httpc_req {
    const char *service; /* metrics label: "im", "rtc", "pili", "censor", "callback", ... */
    const char *method;  /* "GET", "POST", ... */
    const char *url;
    const char *const *headers; /* NULL-terminated list of "Name: value", may be NULL */
    const char *body;           /* may be NULL */
    size_t body_len;
    long connect_timeout_ms; /* 0 = 3000 */
    long timeout_ms;         /* 0 = 5000 */
    size_t max_response;     /* 0 = 1 MiB */
};

struct httpc_resp {
    long status; /* HTTP status; 0 when no response arrived */
    char *body;  /* heap, NUL-terminated, owned by the struct */
    size_t body_len;
    char error[256]; /* transport error text when status is 0 */
};

/* Performs the request. ERR_OK whenever an HTTP response arrived (whatever its status: the
 * caller judges it); ERR_UPSTREAM on connect failure, timeout, a response over the cap, or
 * when the service's bulkhead is full (no call is made then); ERR_WOULD_BLOCK, with no call
 * made, on a thread marked "must not block" (core/noblock.h). The timeouts never reach past
 * the calling request's deadline, and the transfer stops once the request is abandoned.
 * Free the response with httpc_resp_free in both cases. */
err_t httpc_do(const struct httpc_req *rq, struct httpc_resp *out) MUST_USE;

void httpc_resp_free(struct httpc_resp *r);

/* Bounds the concurrent calls to `service` (its metrics label) at `limit` (0 = unbounded); a
 * call beyond it fails at once. Call at start-up, before any request. */
void httpc_limit(const char *service, int limit);

/* Process-wide init / cleanup of libcurl (call once from main, before threads). */
void httpc_global_init(void);
void httpc_global_cleanup(void);

#endif
