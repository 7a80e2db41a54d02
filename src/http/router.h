#ifndef QNLIVE_HTTP_ROUTER_H
#define QNLIVE_HTTP_ROUTER_H

/* The route table: modules declare their routes as data and register them; lookup matches the
 * percent-decoded path segment by segment (`:name` captures one segment, static segments beat
 * parameters at the same depth). A trailing slash and doubled slashes are tolerated so both
 * client spellings of a route are served directly. */

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

struct req;

typedef err_t route_fn(struct req *r);

enum route_auth {
    AUTH_NONE = 0, /* root routes: /status, /manager/login */
    AUTH_CLIENT,   /* client JWT */
    AUTH_SERVER,   /* Qiniu MAC when auth.server.enable */
    AUTH_ADMIN,    /* admin JWT + role check + operation log */
};

enum http_method {
    HTTP_GET = 1 << 0,
    HTTP_POST = 1 << 1,
    HTTP_PUT = 1 << 2,
    HTTP_DELETE = 1 << 3,
    HTTP_PATCH = 1 << 4,
    HTTP_HEAD = 1 << 5,
    HTTP_OPTIONS = 1 << 6,
    HTTP_OTHER = 1 << 7,
    HTTP_ANY = 0xff,
};

/* Where a route's handler runs. The default is the handler pool, which may wait on the store,
 * the cache or a cloud service. ROUTE_INLINE handlers answer from memory on the event thread
 * and must never wait on anything; it applies only with AUTH_NONE or AUTH_SERVER, whose
 * checks need no dependency.
 *
 * ROUTE_TRY_INLINE handlers (and their auth) are first tried on the event thread, when the
 * server allows it, with the thread marked "must not block" (core/noblock.h): whatever would
 * wait there gives up with ERR_WOULD_BLOCK, the outcome is wiped and the request runs again
 * on the handler pool. Such a handler must make no change before its first point that may
 * give up, or take it back when it gives up, and must hand ERR_WOULD_BLOCK up unchanged.
 * ROUTE_TRY_INLINE_LOCAL is the same for a handler that writes what the server may hold
 * remotely (a write to Redis is always a round trip): it is tried in place only when the
 * server says its dependencies are in-process. */
enum route_flags {
    ROUTE_INLINE = 1 << 0,
    ROUTE_TRY_INLINE = 1 << 1,
    ROUTE_TRY_INLINE_LOCAL = 1 << 2,
};

struct route {
    unsigned methods; /* bit set of enum http_method */
    const char *path; /* template, e.g. "/client/live/room/info/:live_id" */
    route_fn *handler;
    enum route_auth auth;
    unsigned flags; /* enum route_flags; 0 = runs on the handler pool */
};

enum { ROUTE_PARAMS_MAX = 8, ROUTE_SEGMENTS_MAX = 16 };

struct route_match {
    const struct route *route;
    void *self; /* the context its module registered the route with */
    size_t n_params;
    const char *names[ROUTE_PARAMS_MAX]; /* borrowed from the template: NOT NUL-terminated */
    size_t name_lens[ROUTE_PARAMS_MAX];
    char *values[ROUTE_PARAMS_MAX]; /* arena- or caller-owned copies */
};

struct router;
struct arena;

struct router *router_new(void);
void router_free(struct router **rt);

/* Registers `n` routes; the array must outlive the router (static tables). `self` is the
 * registering module's context, handed to each of these handlers as r->self (NULL for a module
 * without state of its own); the module owns and frees it. */
void router_add(struct router *rt, const struct route *routes, size_t n, void *self);

/* Calls `fn` for each registered route, in the order they were added (the API description
 * walks the router, so a route cannot be served without being described). */
void router_each_route(const struct router *rt, void (*fn)(void *ud, const struct route *r),
                       void *ud);

/* Parses "GET", "POST", ... into an http_method bit (HTTP_OTHER for anything else). */
enum http_method http_method_parse(const char *m);

/* Finds the route for method + decoded path. Parameter values are copied into `a`.
 * ERR_NOT_FOUND when no route matches (also when only another method matches: the reference
 * never answers 405). */
err_t router_match(const struct router *rt, enum http_method m, const char *path, struct arena *a,
                   struct route_match *out) MUST_USE;

#endif
