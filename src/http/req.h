#ifndef QNLIVE_HTTP_REQ_H
#define QNLIVE_HTTP_REQ_H

/* One HTTP request as handlers see it. Everything hanging off a request (params, parsed body,
 * response JSON) lives in r->arena or is freed with the request. Handlers parse, call a
 * service, then render with req_ok(); errors go through req_fail(). */

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "http/router.h"

struct app;
struct arena;
struct http_auth;
struct MHD_Connection;

enum { REQID_MAX = 64 };

/* One header or query argument copied off the connection (arena). value NULL = "?k" alone. */
struct req_kv {
    const char *key;
    const char *value;
};

struct req {
    struct app *app; /* the server's opaque context, handed through untouched */
    void *self;      /* the context of the module whose route matched (route_match.self) */
    struct arena *arena;
    struct MHD_Connection *_conn; /* NULL once detached */
    const struct http_auth *_auth;
    /* headers and query arguments copied into the arena before the handler leaves the event
     * thread: a late handler must never read a connection that already serves another request */
    bool _detached;
    const struct req_kv *_headers;
    size_t _n_headers;
    const struct req_kv *_args;
    size_t _n_args;
    const char *method; /* as received */
    enum http_method method_bit;
    const char *path;      /* percent-decoded */
    const char *raw_query; /* as received, "" when none */
    char reqid[REQID_MAX + 1];
    char client_ip[64];

    char *body; /* raw request body, NUL-terminated (heap) */
    size_t body_len;
    bool _body_too_large;
    json_t *_json; /* parsed body, owned */

    struct route_match match;
    void *state;     /* the handler's own, between the steps of a pending request (arena) */
    route_fn *_next; /* the step that renders a pending request's answer */
    bool _pending;   /* the handler returned req_pending(): no answer yet */

    /* identity set by the auth middleware */
    const char *user_id;
    const char *app_id;
    const char *device_id;
    const char *role;
    int64_t im_userid;

    /* response state */
    err_t err;
    const char *err_message; /* arena */
    int err_code;            /* body code overriding err_body_code(err); 0 = none */
    json_t *_data;           /* owned; NULL = no data key */
    const char *_raw_data;   /* pre-rendered data JSON (arena), used instead of _data */
    size_t _raw_len;
    bool _has_data;
    /* a document answered as it is instead of the envelope (req_ok_document) */
    const char *_doc;
    size_t _doc_len;
    const char *_doc_type;
    const char *const *_doc_headers;
    int status; /* final HTTP status */
};

/* A path parameter by name (":live_id" → "live_id"); NULL when the route has none. */
const char *req_param(const struct req *r, const char *name);

/* A request header (case-insensitive); NULL when absent. */
const char *req_header(const struct req *r, const char *name);

/* Calls fn for every request header, in the order received. */
void req_each_header(const struct req *r, void (*fn)(void *ud, const char *key, const char *value),
                     void *ud);

/* Copies headers and query arguments into the arena and forgets the connection: from then on
 * every req_* reader works without it. */
void req_detach(struct req *r);

/* A query parameter (first value); NULL when absent ("" when given empty). */
const char *req_query(const struct req *r, const char *name);

/* Every value of a repeated query parameter (`?ids=a&ids=b`), in order, copied into the
 * arena. *n is 0 when the key is absent. */
void req_query_all(struct req *r, const char *name, const char ***out, size_t *n);

/* Integer query parameter in [min, max]; `def` when absent. ERR_BAD_REQUEST (with a message
 * naming the key) when not an integer or out of range. */
err_t req_query_i64(struct req *r, const char *name, int64_t def, int64_t min, int64_t max,
                    int64_t *out) MUST_USE;

/* The body parsed as JSON (any Content-Type, any method). Borrowed. ERR_BAD_REQUEST with the
 * parser's message when empty or malformed. */
err_t req_json(struct req *r, json_t **out) MUST_USE;

/* The body as a JSON object (ERR_BAD_REQUEST otherwise). */
err_t req_json_object(struct req *r, json_t **out) MUST_USE;

/* Records the error message for the response body and returns `e`, so handlers can write
 * `return req_fail(r, ERR_BAD_REQUEST, "live status error");`. NULL fmt = default message. */
err_t req_fail(struct req *r, err_t e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* req_fail with an explicit body `code` instead of err's catalogue code (the HTTP status stays
 * err's): for replies that pass an upstream's code through, e.g. a refused gift payment. */
err_t req_fail_code(struct req *r, err_t e, int code, const char *message);
/* Answers a service's error: with the message it wrote into m, else the error's catalogue
 * answer, except that a failure (not a refusal or a client error) is req_fail_internal's. */
err_t req_fail_msg(struct req *r, err_t e, const struct err_msg *m);

/* The answer for a failed dependency: 503 when the database or cache is unreachable
 * (ERR_UNAVAILABLE), otherwise a generic 500 whose details stay in the log. ERR_WOULD_BLOCK
 * is kept as it is: the server runs the request again where it may wait. */
err_t req_fail_internal(struct req *r, err_t e);

/* Success with `data` (reference stolen; NULL renders "data":null). */
err_t req_ok(struct req *r, json_t *data);

/* Success with data already rendered as JSON text (copied into the arena): for cached
 * answers that must not be parsed again. */
err_t req_ok_raw(struct req *r, const char *json_text, size_t len);

/* Success without a data key. */
err_t req_ok_empty(struct req *r);

/* Success answered with a document of its own type instead of the envelope: a static file, the
 * API description. `doc` is sent from where it lives, never copied: it must stay until the
 * server stops (a compiled-in file, a buffer kept for the process's life); `headers` is NULL or a
 * NULL-terminated list of name, value, name, value... (static). A later failure of the request
 * still answers the envelope. */
err_t req_ok_document(struct req *r, const char *content_type, const char *doc, size_t len,
                      const char *const *headers);

/* Tells the server the answer is not ready: another thread will call req_resume(r) once what
 * the request waits for has happened, and `next` then renders the answer on the event thread,
 * marked "must not block" (it neither waits nor goes pending again). No thread is held
 * meanwhile; the request's deadline still answers 503 if the resume comes too late. For
 * handlers on the handler pool, and for those tried in place once nothing can refuse them any
 * more; returns ERR_OK, which the handler returns at once. Implemented by the server. */
err_t req_pending(struct req *r, route_fn *next);

/* Called once, from any thread, for each req_pending: the connection resumes and runs the next
 * step. It may come before the handler has even called req_pending (the step runs once the
 * handler has returned). r must not be touched afterwards. Implemented by the server. */
void req_resume(struct req *r);

/* For the server: forgets everything auth and the handler left in r (identity, error,
 * message, data, status, handler state), so the request can be run again from the start.
 * The parsed body and the path parameters stay. */
void req_reset_outcome(struct req *r);

#endif
