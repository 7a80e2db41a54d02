#ifndef QNLIVE_HTTP_CONN_GUARD_H
#define QNLIVE_HTTP_CONN_GUARD_H

/* Per-connection bookkeeping that libmicrohttpd lacks: a deadline for receiving a whole
 * request (request line, headers and body), counted from the connect or from the previous
 * answer. libmicrohttpd's own timeout restarts on every byte, so a client sending one header
 * byte every few seconds would hold its connection for ever. A reaper thread closes the
 * connections whose deadline passed (answering 408 when a request line had arrived). */

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/ip_limit.h"

enum conn_read_state {
    CONN_READING = 0, /* waiting for (the rest of) a request: the deadline runs */
    CONN_SERVING,     /* a whole request is in: the request deadline applies instead */
    CONN_REAPED,      /* the deadline passed and the reaper closed the socket */
};

struct conn_slot {
    int fd;
    _Atomic int state;            /* enum conn_read_state */
    _Atomic int64_t deadline_ms;  /* monotonic; meaningful in CONN_READING */
    atomic_bool has_request_line; /* a 408 is only sent to a client that started a request */
    _Atomic int refusal;          /* status the reaper answers instead of 408, 0 = none */
    /* the raw request URI of the current request (the signed query needs it byte for byte) */
    char *raw_uri;
    size_t raw_cap;
    int64_t request_start_ms;
    char peer[IP_TEXT_MAX];        /* the TCP peer's address, text form */
    bool peer_counted;             /* counted against its address's cap (ip_limit) */
    struct conn_slot *prev, *next; /* guard-private */
};

struct conn_guard;

/* Starts the reaper; `read_timeout_s` 0 disables the deadline. */
struct conn_guard *conn_guard_new(unsigned read_timeout_s);

/* Stops the reaper and frees the guard; every slot must have been closed. Accepts NULL. */
void conn_guard_free(struct conn_guard **gp);

/* A new connection on socket fd: returns its slot, in CONN_READING. */
struct conn_slot *conn_guard_open(struct conn_guard *g, int fd);

/* The connection is closing: forgets and frees its slot. Accepts NULL. */
void conn_guard_close(struct conn_guard *g, struct conn_slot *s);

/* The request line arrived: remembers the raw URI and when the request started. */
void conn_slot_request_line(struct conn_slot *s, const char *uri, int64_t now_ms);

/* The whole request is in: stops the read deadline. False when the reaper got there first (the
 * socket is already closed: drop the request). */
bool conn_slot_serving(struct conn_slot *s);

/* The request line has more query parameters than libmicrohttpd's memory can hold: the request
 * may never reach the access handler, so the reaper answers it (414) and closes the connection
 * at its next look, unless the access handler answers first (conn_slot_refusal). */
void conn_slot_refuse_uri(struct conn_slot *s);

/* The pending refusal's status, 0 = none. */
static inline int conn_slot_refusal(const struct conn_slot *s)
{
    return atomic_load(&s->refusal);
}

/* True once the reaper shut the socket. */
bool conn_slot_closed(const struct conn_slot *s);

/* The answer went out: the next request must arrive within the read timeout. */
void conn_slot_reading(struct conn_guard *g, struct conn_slot *s);

#endif
