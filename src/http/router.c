#include "http/router.h"

#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

struct compiled_route {
    const struct route *route;
    void *self;
    size_t n_segs;
    const char *segs[ROUTE_SEGMENTS_MAX]; /* into the route's template (a param without its ':') */
    size_t seg_len[ROUTE_SEGMENTS_MAX];
    bool is_param[ROUTE_SEGMENTS_MAX];
};

struct router {
    struct compiled_route *routes;
    size_t n, cap;
};

struct path_segs {
    size_t n;
    const char *s[ROUTE_SEGMENTS_MAX];
    size_t len[ROUTE_SEGMENTS_MAX];
};

/* Splits a path on '/', dropping empty segments: "/a//b/" and "/a/b" give the same list. */
static bool split_path(const char *path, struct path_segs *out)
{
    out->n = 0;
    const char *p = path;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (out->n == ROUTE_SEGMENTS_MAX)
            return false;
        out->s[out->n] = p;
        out->len[out->n] = len;
        out->n++;
        p += len;
    }
    return true;
}

struct router *router_new(void)
{
    return xcalloc(1, sizeof(struct router));
}

void router_free(struct router **rt)
{
    if (!rt || !*rt)
        return;
    free((*rt)->routes);
    free(*rt);
    *rt = NULL;
}

void router_add(struct router *rt, const struct route *routes, size_t n, void *self)
{
    for (size_t i = 0; i < n; i++) {
        struct path_segs ps;
        if (!split_path(routes[i].path, &ps))
            abort(); /* a route template deeper than ROUTE_SEGMENTS_MAX is a programmer bug */
        if (rt->n == rt->cap) {
            rt->cap = rt->cap ? rt->cap * 2 : 64;
            rt->routes = xrealloc(rt->routes, rt->cap * sizeof(*rt->routes));
        }
        struct compiled_route *cr = &rt->routes[rt->n++];
        cr->route = &routes[i];
        cr->self = self;
        cr->n_segs = ps.n;
        for (size_t k = 0; k < ps.n; k++) {
            cr->is_param[k] = ps.s[k][0] == ':';
            cr->segs[k] = cr->is_param[k] ? ps.s[k] + 1 : ps.s[k];
            cr->seg_len[k] = cr->is_param[k] ? ps.len[k] - 1 : ps.len[k];
        }
    }
}

void router_each_route(const struct router *rt, void (*fn)(void *ud, const struct route *r),
                       void *ud)
{
    for (size_t i = 0; i < rt->n; i++)
        fn(ud, rt->routes[i].route);
}

enum http_method http_method_parse(const char *m)
{
    static const struct {
        const char *name;
        enum http_method m;
    } names[] = {{"GET", HTTP_GET},        {"POST", HTTP_POST},   {"PUT", HTTP_PUT},
                 {"DELETE", HTTP_DELETE},  {"PATCH", HTTP_PATCH}, {"HEAD", HTTP_HEAD},
                 {"OPTIONS", HTTP_OPTIONS}};
    for (size_t i = 0; i < ARRAY_LEN(names); i++) {
        if (strcmp(m, names[i].name) == 0)
            return names[i].m;
    }
    return HTTP_OTHER;
}

/* Scores a candidate: -1 when it does not match, else a number where static segments earlier
 * in the path weigh more, so "/a/list" beats "/a/:id" and "/a/b/:x" beats "/a/:y/c". */
static long match_score(const struct compiled_route *cr, const struct path_segs *ps)
{
    if (cr->n_segs != ps->n)
        return -1;
    long score = 0;
    for (size_t k = 0; k < ps->n; k++) {
        score <<= 1;
        if (cr->is_param[k])
            continue;
        if (cr->seg_len[k] != ps->len[k] || memcmp(cr->segs[k], ps->s[k], ps->len[k]) != 0)
            return -1;
        score |= 1;
    }
    return score;
}

err_t router_match(const struct router *rt, enum http_method m, const char *path, struct arena *a,
                   struct route_match *out)
{
    struct path_segs ps;
    const struct compiled_route *best = NULL;
    long best_score = -1;

    memset(out, 0, sizeof(*out));
    if (!split_path(path, &ps))
        return ERR_NOT_FOUND;
    for (size_t i = 0; i < rt->n; i++) {
        const struct compiled_route *cr = &rt->routes[i];
        if (!(cr->route->methods & m))
            continue;
        long score = match_score(cr, &ps);
        if (score > best_score) {
            best = cr;
            best_score = score;
        }
    }
    if (!best)
        return ERR_NOT_FOUND;
    out->route = best->route;
    out->self = best->self;
    for (size_t k = 0; k < best->n_segs && out->n_params < ROUTE_PARAMS_MAX; k++) {
        if (!best->is_param[k])
            continue;
        out->names[out->n_params] = best->segs[k];
        out->name_lens[out->n_params] = best->seg_len[k];
        out->values[out->n_params] = arena_strndup(a, ps.s[k], ps.len[k]);
        out->n_params++;
    }
    return ERR_OK;
}
