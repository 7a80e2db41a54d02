/* The operator's console: static files compiled into the binary (console/ in the source tree),
 * served with a strict Content-Security-Policy, and the read-only admin routes the console needs
 * that the reference's admin API lacks (rooms with their live figures, the node's traffic). The
 * console acts only through the existing admin routes, so it adds no power an admin JWT did not
 * already have. */
#define LOG_MODULE "console"

#include "biz/console/console.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "biz/live/live.h"
#include "biz/live/live_int.h"
#include "biz/live/live_store.h"
#include "biz/stats/stats.h"
#include "core/mem.h"
#include "core/resource.h"
#include "http/page.h"
#include "http/req.h"
#include "metrics/metrics.h"

enum { FILE_NAME_MAX = 64, ROOMS_PAGE_MAX = 50 };

/* Everything the console loads comes from this node: no inline script or style, no other host
 * (flagged images open in a new tab on an explicit click, never inside the page), no framing. */
static const char *const file_headers[] = {
    "Content-Security-Policy",
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options",
    "nosniff",
    "Referrer-Policy",
    "no-referrer",
    "X-Frame-Options",
    "DENY",
    "Cross-Origin-Opener-Policy",
    "same-origin",
    /* a new binary may bring new files: revalidate instead of serving a stale mix */
    "Cache-Control",
    "no-cache",
    NULL,
};

static const struct {
    const char *ext;
    const char *type;
} file_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
};

/* The type of a file the console may serve, or NULL: only known extensions are served, so
 * nothing compiled in by mistake goes out under a guessed type. */
static const char *file_type(const char *name)
{
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < ARRAY_LEN(file_types); i++) {
        if (strcmp(dot, file_types[i].ext) == 0)
            return file_types[i].type;
    }
    return NULL;
}

/* A file name is one plain segment: letters, digits, '-', '_' and inner dots. The lookup is by
 * exact name among the embedded files anyway; this keeps "..", hidden files and anything the
 * router decoded from %2F out before it gets there. */
static bool file_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > FILE_NAME_MAX || name[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.';
        if (!ok)
            return false;
    }
    return true;
}

static err_t serve_file(struct req *r, const char *name)
{
    char path[FILE_NAME_MAX + sizeof("console/")];
    const char *type = file_type(name);
    if (!file_name_ok(name) || !type)
        return req_fail(r, ERR_NOT_FOUND, "not found");
    snprintf(path, sizeof(path), "console/%s", name);
    const struct resource *res = resource_find(path);
    if (!res)
        return req_fail(r, ERR_NOT_FOUND, "not found");
    return req_ok_document(r, type, (const char *)res->data, res->len, file_headers);
}

static err_t handle_index(struct req *r)
{
    return serve_file(r, "index.html");
}

static err_t handle_file(struct req *r)
{
    return serve_file(r, req_param(r, "file"));
}

static err_t handle_summary(struct req *r)
{
    return req_ok(r, metrics_summary_json(QNLIVE_VERSION));
}

static void set_str(json_t *o, const char *key, const char *v)
{
    json_object_set_new(o, key, json_string(v ? v : ""));
}

static void set_int(json_t *o, const char *key, int64_t v)
{
    json_object_set_new(o, key, json_integer((json_int_t)v));
}

/* One room of the console's list: the LiveInfo fields it shows plus the room's totals
 * (`totals`: SUM(count) per statistics type). */
static json_t *room_json(const struct live_view *v, const int64_t totals[STATS_TYPE_COUNT])
{
    json_t *o = json_object();
    set_str(o, "live_id", v->room.live_id);
    set_str(o, "title", v->room.title);
    set_str(o, "anchor_id", v->room.anchor_id);
    set_str(o, "nick", v->anchor.nick);
    set_int(o, "live_status", v->room.status);
    set_int(o, "online_count", v->online_count);
    set_int(o, "start_at", v->room.start_at);
    set_int(o, "likes", totals[STATS_LIKE - 1]);
    set_int(o, "gifts", totals[STATS_GIFT - 1]);
    set_str(o, "stop_reason", v->room.stop_reason);
    return o;
}

/* Rooms open now (on air first, then prepared), or those on air whose title, id or anchor id
 * starts with `q`. Read-only. */
static err_t handle_rooms(struct req *r)
{
    struct req_page pg;
    struct live_page p;
    const char *q = req_query(r, "q");
    bool search = q && *q;
    err_t err = req_page(r, ROOMS_PAGE_MAX, &pg);
    if (err)
        return err;
    err = live_list(r->app, r->arena, search ? LIVE_LIST_SEARCH : LIVE_LIST_OPEN, search ? q : NULL,
                    0, pg.num, pg.size, LIVE_WANT_ONLINE | LIVE_WANT_ANCHOR_STATUS, &p);
    if (err)
        return req_fail_internal(r, err);
    const char **ids = arena_alloc(r->arena, (p.n + 1) * sizeof(*ids));
    for (size_t i = 0; i < p.n; i++)
        ids[i] = p.views[i].room.live_id;
    int64_t(*totals)[STATS_TYPE_COUNT] = arena_alloc(r->arena, (p.n + 1) * sizeof(*totals));
    /* the totals are a courtesy: rooms whose statistics cannot be read still show, with zeros */
    if (stats_rooms_page_views(r->app, r->arena, ids, p.n, totals) != ERR_OK)
        memset(totals, 0, (p.n + 1) * sizeof(*totals));
    json_t *list = json_array();
    for (size_t i = 0; i < p.n; i++)
        json_array_append_new(list, room_json(&p.views[i], totals[i]));
    return req_ok_page(r, &pg, p.total, (int64_t)p.fetched < pg.size, list);
}

static const struct route console_routes[] = {
    /* answered from memory on the event thread; "/console" also serves "/console/" */
    {HTTP_GET, "/console", handle_index, AUTH_NONE, ROUTE_INLINE},
    {HTTP_GET, "/console/:file", handle_file, AUTH_NONE, ROUTE_INLINE},
    {HTTP_GET, "/admin/console/rooms", handle_rooms, AUTH_ADMIN},
    {HTTP_GET, "/admin/node/summary", handle_summary, AUTH_ADMIN},
};

void console_module_register(struct app *a)
{
    router_add(a->router, console_routes, ARRAY_LEN(console_routes), NULL);
}
