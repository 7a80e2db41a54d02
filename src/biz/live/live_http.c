/* Live routes L1-L13 and L15-L18:
 * parse, call the live service, render. */
#define LOG_MODULE "live"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "biz/live/live_int.h"
#include "biz/live/live_store.h"
#include "cache/cache.h"
#include "core/civil.h"
#include "core/jv.h"
#include "core/mem.h"
#include "core/str.h"
#include "http/req.h"

static const int64_t PAGE_SIZE_MAX = 1000;

/* Client routes answer as the reference did: a missing room is its ORM's 500 "record not
 * found" (the clients handle it: an Android heartbeat re-joins), other failures 500 unless the
 * input was bad or a dependency is away; rule refusals carry their own answer. A would-block
 * stays one: the server runs the request again on its handler pool. */
static err_t client_error(err_t err)
{
    if (err == ERR_NOT_FOUND)
        return ERR_RECORD_NOT_FOUND;
    if (err == ERR_FORBIDDEN)
        return ERR_NOT_ROOM_OWNER;
    if (err == ERR_UNAVAILABLE || err == ERR_WOULD_BLOCK || err == ERR_BAD_REQUEST ||
        err_is_refusal(err))
        return err;
    return ERR_INTERNAL;
}

/* Server routes answer a missing room with 404: no SDK reads them. */
static err_t server_error(err_t err)
{
    return err == ERR_NOT_FOUND ? ERR_NOT_FOUND : client_error(err);
}

/* A request timestamp: a number or a date (core/civil.h); absent / null / 0 / "0" → 0. */
static bool parse_time(json_t *o, const char *key, int64_t *out)
{
    json_t *v = jv_get(o, key);
    int64_t num;
    *out = 0;
    if (!v || json_is_null(v))
        return true;
    if (json_is_integer(v))
        return civil_time_from_number(json_integer_value(v), out);
    if (!json_is_string(v) || json_string_length(v) == 0)
        return false;
    const char *s = json_string_value(v);
    if (str_to_i64(s, 0, INT64_MAX, &num))
        return civil_time_from_number(num, out);
    return civil_time_from_text(s, out);
}

static err_t parse_create(struct req *r, json_t *o, struct live_create_in *in)
{
    json_t *ext = NULL;
    memset(in, 0, sizeof(*in));
    if (jv_opt_str(o, "title", LIVE_TITLE_MAX, &in->title) ||
        jv_opt_str(o, "notice", LIVE_NOTICE_MAX, &in->notice) ||
        jv_opt_str(o, "cover_url", LIVE_COVER_MAX, &in->cover_url))
        return req_fail(r, ERR_BAD_REQUEST,
                        "title, notice or cover_url is not a string or too "
                        "long");
    if (jv_opt_extends(o, "extends", &ext))
        return req_fail(r, ERR_BAD_REQUEST, "extends must be an object of string values");
    if (!parse_time(o, "start_at", &in->start_at) || !parse_time(o, "end_at", &in->end_at) ||
        !parse_time(o, "publish_expire_at", &in->publish_expire_at))
        return req_fail(r, ERR_BAD_REQUEST, "bad timestamp");
    in->extends_json = jv_extends_dump(r->arena, ext);
    if (in->extends_json &&
        jv_utf8_chars(in->extends_json, strlen(in->extends_json)) > LIVE_EXTENDS_MAX)
        return req_fail(r, ERR_BAD_REQUEST, "extends is too long");
    return ERR_OK;
}

static err_t create_for(struct req *r, const char *anchor_id, json_t *o)
{
    struct live_create_in in;
    struct live_view v;
    err_t err = parse_create(r, o, &in);
    if (err)
        return err;
    err = live_create(r->app, r->arena, anchor_id, &in, &v);
    if (err == ERR_NOT_FOUND)
        return req_fail(r, ERR_NOT_FOUND, NULL);
    /* the creator is the anchor, or a server route */
    return err ? req_fail(r, client_error(err), NULL) : req_ok(r, live_info_json(&v, true));
}

static err_t handle_create(struct req *r)
{
    json_t *o;
    err_t err = req_json_object(r, &o);
    return err ? err : create_for(r, r->user_id, o);
}

static err_t handle_server_create(struct req *r)
{
    json_t *o;
    const char *anchor = NULL;
    err_t err = req_json_object(r, &o);
    if (err)
        return err;
    if (jv_opt_str(o, "anchor_id", LIVE_ID_MAX, &anchor))
        return req_fail(r, ERR_BAD_REQUEST, "anchor_id must be a string");
    return create_for(r, anchor ? anchor : "", o);
}

static err_t handle_delete(struct req *r)
{
    err_t err = live_delete(r->app, r->arena, req_param(r, "live_id"), r->user_id);
    /* deleting a room that is already gone is not an error for the owner's client */
    if (err == ERR_NOT_FOUND)
        return req_ok_empty(r);
    return err ? req_fail(r, client_error(err), NULL) : req_ok_empty(r);
}

static err_t handle_server_delete(struct req *r)
{
    err_t err = live_delete(r->app, r->arena, req_param(r, "id"), NULL);
    return err ? req_fail(r, server_error(err), NULL) : req_ok_empty(r);
}

/* Renders data into e's text (arena) and remembers it with its rooms. */
static err_t store_text(struct req *r, struct live_views_entry *e, json_t *data)
{
    char *text = json_dumps(data, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(data);
    if (!text)
        return req_fail(r, ERR_INTERNAL, NULL);
    e->len = strlen(text);
    e->text = arena_strndup(r->arena, text, e->len);
    free(text);
    live_views_store(r->app, r->arena, e);
    return ERR_OK;
}

/* The room info text with placeholders for its counts: cached, or loaded and remembered.
 * *no_anchor tells a room whose anchor profile is gone (answered 404, unlike a missing room). */
static const char *info_key(struct req *r, const char *live_id)
{
    return arena_printf(r->arena, "info:%s", live_id);
}

/* The rest of info_template once the lookup ran: a miss loads and remembers the text. */
static err_t info_template_load(struct req *r, const char *live_id, struct live_views_entry *e,
                                bool *no_anchor)
{
    struct live_view v;
    *no_anchor = false;
    if (e->text)
        return ERR_OK;
    err_t err = live_view_load(r->app, r->arena, live_id, 0, &v);
    if (err)
        return err;
    if (!v.has_anchor) {
        *no_anchor = true;
        return ERR_NOT_FOUND;
    }
    v.anchor_status = live_views_placeholder(0, false);
    v.online_count = live_views_placeholder(0, true);
    e->n = 1;
    e->live_ids = arena_zalloc(r->arena, 2 * sizeof(char *));
    e->anchor_ids = arena_zalloc(r->arena, 2 * sizeof(char *));
    e->live_ids[0] = live_id;
    e->anchor_ids[0] = v.room.anchor_id;
    return store_text(r, e, live_info_json(&v, false));
}

static err_t info_template(struct req *r, const char *live_id, struct live_views_entry *e,
                           bool *no_anchor)
{
    err_t err = live_views_lookup(r->app, r->arena, live_id, info_key(r, live_id), e);
    *no_anchor = false;
    return err ? err : info_template_load(r, live_id, e, no_anchor);
}

/* The anchor's own view carries its push URL (signed when the room started), from `known`
 * when the caller has just read the room (a join: not read twice, and no second point where
 * the join could have to wait after it moved the presence). */
static const char *with_push_url(struct req *r, const struct live_views_entry *e,
                                 const struct live_room *known, const char *text, size_t *len)
{
    static const char blank[] = "\"push_url\":\"\"";
    struct live_views_gen g = {.ok = e->usable, .gen = e->gen};
    struct live_room l;
    const struct live_room *room = known;
    const char *at = strstr(text, blank);
    if (at && !room && !live_room_cached(r->app, r->arena, e->live_ids[0], &g, &l))
        room = &l;
    if (!at || !room || !room->push_url || !*room->push_url)
        return text;
    json_t *j = json_string(room->push_url);
    char *url = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
    json_decref(j);
    const char *out = arena_printf(r->arena, "%.*s\"push_url\":%s%s", (int)(at - text), text,
                                   url ? url : "\"\"", at + strlen(blank));
    free(url);
    *len = strlen(out);
    return out;
}

/* Answers room info from a looked-up entry, with its live counts (`join_of`, when set, is
 * the room just joined: shown as the reference shows a join, with the stored online_count
 * column and the anchor in when the joiner is the anchor). */
static err_t info_reply(struct req *r, struct live_views_entry *e, const struct live_room *join_of)
{
    const char *text;
    size_t len;
    err_t err = live_views_fill(r->app, r->arena, e, &text, &len);
    if (!err && join_of) {
        e->counts[0] = strcmp(join_of->anchor_id, r->user_id) == 0 ? 1 : e->counts[0];
        e->counts[1] = join_of->online_count;
        err = live_views_fill(r->app, r->arena, e, &text, &len);
    }
    if (err)
        return req_fail(r, client_error(err), NULL);
    if (e->n == 1 && strcmp(e->anchor_ids[0], r->user_id) == 0)
        text = with_push_url(r, e, join_of, text, &len);
    return req_ok_raw(r, text, len);
}

static err_t info_answer(struct req *r, const char *live_id)
{
    struct live_views_entry e;
    bool no_anchor;
    err_t err = info_template(r, live_id, &e, &no_anchor);
    if (no_anchor)
        return req_fail(r, ERR_NOT_FOUND, NULL);
    return err ? req_fail(r, client_error(err), NULL) : info_reply(r, &e, NULL);
}

static err_t handle_info(struct req *r)
{
    return info_answer(r, req_param(r, "live_id"));
}

static err_t handle_server_info(struct req *r)
{
    struct live_view v;
    err_t err = live_view_load(r->app, r->arena, req_param(r, "id"), 0, &v);
    if (!err && !v.has_anchor)
        return req_fail(r, ERR_NOT_FOUND, NULL);
    return err ? req_fail(r, server_error(err), NULL) : req_ok(r, live_info_json(&v, true));
}

static err_t handle_start(struct req *r)
{
    struct live_view v;
    err_t err = live_start(r->app, r->arena, req_param(r, "live_id"), r->user_id, &v);
    return err ? req_fail(r, client_error(err), NULL) : req_ok(r, live_info_json(&v, true));
}

static err_t handle_stop(struct req *r)
{
    err_t err = live_stop(r->app, r->arena, req_param(r, "live_id"), r->user_id);
    return err ? req_fail(r, client_error(err), NULL) : req_ok_empty(r);
}

static err_t handle_server_stop(struct req *r)
{
    err_t err = live_stop(r->app, r->arena, req_param(r, "id"), NULL);
    return err ? req_fail(r, server_error(err), NULL) : req_ok_empty(r);
}

static err_t handle_join(struct req *r)
{
    struct live_views_entry e;
    struct live_presence_move m;
    struct live_room room;
    const char *id = req_param(r, "live_id");
    bool no_anchor = false;
    /* the room's view with its generation and counts, and the presence's move: one round trip */
    struct cache_batch *b = cache_batch_new(r->arena);
    live_views_lookup_cmds(r->app, r->arena, id, info_key(r, id), &e, b);
    live_join_cmds(r->app, r->arena, b, id, r->user_id, &m);
    err_t run_err = cache_batch_run(r->app->cache, b), err = ERR_OK;
    if (!run_err) {
        live_views_lookup_take(r->app, r->arena, &e, b);
        err = info_template_load(r, id, &e, &no_anchor);
    }
    err = live_join_end(r->app, r->arena, &m, b, run_err, err, &e.room_gen, &room);
    if (no_anchor)
        return req_fail(r, ERR_NOT_FOUND, NULL);
    return err ? req_fail(r, client_error(err), NULL) : info_reply(r, &e, &room);
}

static err_t handle_leave(struct req *r)
{
    err_t err = live_leave(r->app, req_param(r, "live_id"), r->user_id);
    return err ? req_fail(r, client_error(err), NULL) : req_ok_empty(r);
}

static err_t handle_heartbeat(struct req *r)
{
    const char *id = req_param(r, "live_id");
    int status = 0;
    err_t err = live_heartbeat(r->app, r->arena, id, r->user_id, &status);
    if (err)
        return req_fail(r, client_error(err), NULL);
    return req_ok(r, json_pack("{s:s,s:i}", "live_id", id, "live_status", status));
}

static err_t handle_extends(struct req *r)
{
    json_t *o, *ext = NULL;
    const char *id = NULL;
    err_t err = req_json_object(r, &o);
    if (err)
        return err;
    if (jv_opt_str(o, "live_id", LIVE_ID_MAX, &id) || !id || !*id)
        return req_fail(r, ERR_BAD_REQUEST, "live_id is empty");
    if (jv_opt_extends(o, "extends", &ext))
        return req_fail(r, ERR_BAD_REQUEST, "extends must be an object of string values");
    const char *text = jv_extends_dump(r->arena, ext);
    bool too_long = text && jv_utf8_chars(text, strlen(text)) > LIVE_EXTENDS_MAX;
    if (!too_long)
        err = live_set_extends(r->app, r->arena, id, r->user_id, text);
    if (too_long)
        return req_fail(r, ERR_BAD_REQUEST, "extends is too long");
    if (err)
        return req_fail(r, client_error(err), NULL);
    return req_ok_empty(r);
}

/* An integer query value; absent → def, anything but a decimal integer → 400 `bad`. */
static err_t query_int(struct req *r, const char *name, int64_t def, const char *bad, int64_t *out)
{
    const char *v = req_query(r, name);
    *out = def;
    if (v && !str_to_i64(v, INT32_MIN, INT32_MAX, out))
        return req_fail(r, ERR_BAD_REQUEST, "%s", bad);
    return ERR_OK;
}

/* page_num / page_size with the two spellings of the reference's messages; values <= 0 are
 * refused everywhere. */
static err_t query_page(struct req *r, bool spaced, int64_t *num, int64_t *size)
{
    err_t err =
        query_int(r, "page_num", 1, spaced ? "page num is not int" : "page_num is not int", num);
    if (!err)
        err = query_int(r, "page_size", 10,
                        spaced ? "page size is not int" : "page_size is not int", size);
    if (!err && (*num <= 0 || *size <= 0 || *size > PAGE_SIZE_MAX))
        err = req_fail(r, ERR_BAD_REQUEST, "page num or page size is not right");
    return err;
}

static json_t *page_json(const struct live_page *p, int64_t size, json_t *list)
{
    return json_pack("{s:I,s:I,s:b,s:o}", "total_count", (json_int_t)p->total, "page_total",
                     (json_int_t)((p->total + size - 1) / size), "end_page",
                     (int64_t)p->fetched < size, "list", list);
}

/* A page of rooms: the cached text of the page with its rooms' live counts. Push URLs show
 * only in the anchor's own list. */
static err_t render_rooms(struct req *r, int kind, const char *sarg, int64_t iarg, int want,
                          int64_t num, int64_t size)
{
    struct live_views_entry e;
    struct live_page p;
    const char *text;
    size_t len;
    const char *key = arena_printf(r->arena, "list:%d:%d:%lld:%lld:%lld:%s", kind, want,
                                   (long long)iarg, (long long)num, (long long)size, sarg);
    err_t err = live_views_lookup(r->app, r->arena, NULL, key, &e);
    if (!err && !e.text)
        err = live_list(r->app, r->arena, kind, sarg, iarg, num, size, 0, &p);
    if (!err && !e.text) {
        json_t *list = json_array();
        e.n = p.n;
        e.live_ids = arena_zalloc(r->arena, (p.n + 1) * sizeof(char *));
        e.anchor_ids = arena_zalloc(r->arena, (p.n + 1) * sizeof(char *));
        for (size_t i = 0; i < p.n; i++) {
            struct live_view *v = &p.views[i];
            e.live_ids[i] = v->room.live_id;
            e.anchor_ids[i] = v->room.anchor_id;
            if (want & LIVE_WANT_ANCHOR_STATUS)
                v->anchor_status = live_views_placeholder(i, false);
            if (want & LIVE_WANT_ONLINE)
                v->online_count = live_views_placeholder(i, true);
            json_array_append_new(list, live_info_json(v, kind == LIVE_LIST_ANCHOR));
        }
        err = store_text(r, &e, page_json(&p, size, list));
    }
    if (!err)
        err = live_views_fill(r->app, r->arena, &e, &text, &len);
    return err ? req_fail(r, client_error(err), NULL) : req_ok_raw(r, text, len);
}

static err_t handle_search(struct req *r)
{
    const char *kw = req_query(r, "keyword");
    int64_t num, size;
    err_t err = query_page(r, false, &num, &size);
    return err ? err
               : render_rooms(r, LIVE_LIST_SEARCH, kw ? kw : "", 0, LIVE_WANT_ANCHOR_STATUS, num,
                              size);
}

static err_t handle_list(struct req *r)
{
    int64_t num, size, status;
    err_t err = query_page(r, true, &num, &size);
    if (!err)
        err = query_int(r, "live_status", -1, "live status is not int", &status);
    if (err)
        return err;
    if (status < -1 || status > 2)
        return req_fail(r, ERR_BAD_REQUEST, "live status is not right");
    return render_rooms(r, status == -1 ? LIVE_LIST_OPEN : LIVE_LIST_STATUS, NULL, status,
                        LIVE_WANT_ANCHOR_STATUS | LIVE_WANT_ONLINE, num, size);
}

static err_t handle_list_anchor(struct req *r)
{
    int64_t num, size;
    err_t err = query_page(r, true, &num, &size);
    return err ? err
               : render_rooms(r, LIVE_LIST_ANCHOR, r->user_id, 0, LIVE_WANT_ANCHOR_STATUS, num,
                              size);
}

static err_t handle_user_list(struct req *r)
{
    const char *id = req_query(r, "live_id");
    struct live_page p;
    int64_t num, size;
    if (!id || !*id)
        return req_fail(r, ERR_BAD_REQUEST, "live_id is empty");
    err_t err = query_page(r, false, &num, &size);
    if (!err)
        err = live_list_users(r->app, r->arena, id, num, size, &p);
    if (err)
        return r->err_message ? err : req_fail(r, client_error(err), NULL);
    json_t *list = json_array();
    for (size_t i = 0; i < p.n; i++)
        json_array_append_new(list, user_brief_json(&p.users[i], true));
    return req_ok(r, page_json(&p, size, list));
}

/* The hot reads, heartbeat, join and leave are tried on the event thread first
 * (ROUTE_TRY_INLINE; join and leave, writes, only with the in-process cache:
 * ROUTE_TRY_INLINE_LOCAL): they change nothing before their first store or cache call, except
 * join, which takes its presence move back when it would have to wait, and heartbeat, whose
 * audience beat is a refresh that the re-run repeats harmlessly (the anchor's beat and leave
 * always run on the pool). */
static const struct route live_routes[] = {
    {HTTP_POST, "/client/live/room/instance", handle_create, AUTH_CLIENT},
    {HTTP_DELETE, "/client/live/room/instance/:live_id", handle_delete, AUTH_CLIENT},
    /* Android's spelling without the /client prefix */
    {HTTP_DELETE, "/live/room/instance/:live_id", handle_delete, AUTH_CLIENT},
    {HTTP_GET, "/client/live/room/info/:live_id", handle_info, AUTH_CLIENT, ROUTE_TRY_INLINE},
    {HTTP_PUT, "/client/live/room/:live_id", handle_start, AUTH_CLIENT},
    {HTTP_DELETE, "/client/live/room/:live_id", handle_stop, AUTH_CLIENT},
    {HTTP_GET, "/client/live/room", handle_search, AUTH_CLIENT, ROUTE_TRY_INLINE},
    {HTTP_POST, "/client/live/room/user/:live_id", handle_join, AUTH_CLIENT,
     ROUTE_TRY_INLINE_LOCAL},
    {HTTP_GET, "/client/live/room/list", handle_list, AUTH_CLIENT, ROUTE_TRY_INLINE},
    {HTTP_GET, "/client/live/room/list/anchor", handle_list_anchor, AUTH_CLIENT, ROUTE_TRY_INLINE},
    {HTTP_DELETE, "/client/live/room/user/:live_id", handle_leave, AUTH_CLIENT,
     ROUTE_TRY_INLINE_LOCAL},
    {HTTP_GET, "/client/live/room/heartbeat/:live_id", handle_heartbeat, AUTH_CLIENT,
     ROUTE_TRY_INLINE},
    {HTTP_PUT, "/client/live/room/extends", handle_extends, AUTH_CLIENT},
    {HTTP_GET, "/client/live/room/user_list", handle_user_list, AUTH_CLIENT},
    {HTTP_POST, "/server/live", handle_server_create, AUTH_SERVER},
    {HTTP_GET, "/server/live/:id", handle_server_info, AUTH_SERVER},
    {HTTP_POST, "/server/live/:id/stop", handle_server_stop, AUTH_SERVER},
    {HTTP_DELETE, "/server/live/:id", handle_server_delete, AUTH_SERVER},
};

void live_module_register(struct app *a)
{
    struct live_mod *m = live_mod_new(a);
    router_add(a->router, live_routes, ARRAY_LEN(live_routes), m);
    live_jobs_register(m);
}
