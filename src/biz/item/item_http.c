/* Item routes I1-I15 (client) and S1-S7 (server). */
#define LOG_MODULE "item"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "biz/item/item.h"
#include "biz/live/live.h"
#include "core/jv.h"
#include "core/mem.h"
#include "core/str.h"
#include "http/req.h"

/* ANCHOR_CHECK: an unknown live or a caller who is not its anchor is a 404. */
static err_t anchor_check(struct req *r, const char *live_id)
{
    struct live_room lr;
    err_t err = live_find(r->app, r->arena, live_id ? live_id : "", &lr);
    if (!err && strcmp(lr.anchor_id ? lr.anchor_id : "", r->user_id) != 0)
        err = ERR_NOT_FOUND;
    return err ? req_fail_msg(r, err, NULL) : ERR_OK;
}

static bool is_server(const struct req *r)
{
    return strncmp(r->path, "/server/", 8) == 0;
}

/* One Item object of a request body. */
static err_t parse_item(json_t *o, struct item *it)
{
    bool present;
    json_t *rec;
    err_t err = json_is_object(o) ? ERR_OK : ERR_BAD_REQUEST;
    if (!err)
        err = jv_opt_text(o, "item_id", ITEM_ID_MAX, &it->item_id);
    if (!err)
        err = jv_opt_text(o, "title", ITEM_TITLE_MAX, &it->title);
    if (!err)
        err = jv_opt_text(o, "tags", ITEM_TAGS_MAX, &it->tags);
    if (!err)
        err = jv_opt_text(o, "thumbnail", ITEM_URL_MAX, &it->thumbnail);
    if (!err)
        err = jv_opt_text(o, "link", ITEM_URL_MAX, &it->link);
    if (!err)
        err = jv_opt_text(o, "current_price", ITEM_PRICE_MAX, &it->current_price);
    if (!err)
        err = jv_opt_text(o, "origin_price", ITEM_PRICE_MAX, &it->origin_price);
    if (!err)
        err = jv_opt_i64(o, "status", &it->status, &present);
    if (!err)
        err = jv_opt_i64_in(o, "order", INT64_MIN, UINT32_MAX, &it->order, &present);
    if (!err)
        err = jv_opt_extends(o, "extends", &it->extends_in);
    rec = jv_get(o, "record");
    it->has_record = rec != NULL;
    if (!err && json_is_object(rec))
        err = jv_opt_i64(rec, "id", &it->record_id, &present);
    else if (!err && rec && !json_is_null(rec))
        err = ERR_BAD_REQUEST;
    if (!err && it->record_id < 0)
        err = ERR_BAD_REQUEST;
    return err;
}

/* {"live_id": s, "items": [...]} with a non-empty array. */
static err_t parse_batch(struct req *r, const char **live_id, json_t **items)
{
    json_t *o = NULL;
    err_t err = req_json_object(r, &o);
    if (err)
        return err;
    if (jv_opt_str(o, "live_id", LIVE_ID_MAX, live_id) || !*live_id || !(*live_id)[0])
        return req_fail(r, ERR_BAD_REQUEST, NULL);
    *items = jv_get(o, "items");
    if (!json_is_array(*items) || json_array_size(*items) == 0)
        return req_fail(r, ERR_BAD_REQUEST, NULL);
    return ERR_OK;
}

static err_t parse_items(struct req *r, json_t *arr, struct item **out, size_t *n)
{
    *n = json_array_size(arr);
    if (*n > ITEM_PER_LIVE_MAX)
        return req_fail(r, ERR_ITEMS_EXCEED, NULL);
    *out = arena_zalloc(r->arena, (*n + 1) * sizeof(**out));
    for (size_t i = 0; i < *n; i++) {
        struct item *it = &(*out)[i];
        if (parse_item(json_array_get(arr, i), it))
            return req_fail(r, ERR_BAD_REQUEST, NULL);
        const char *ext = jv_extends_dump(r->arena, it->extends_in);
        it->extends_json = ext ? ext : "null";
    }
    return ERR_OK;
}

static err_t h_add(struct req *r)
{
    const char *live_id;
    json_t *arr = NULL; /* set by parse_batch on success; -O3 cannot see that */
    struct item *items;
    size_t n;
    err_t err = parse_batch(r, &live_id, &arr);
    if (!err && !is_server(r))
        err = anchor_check(r, live_id);
    if (!err)
        err = parse_items(r, arr, &items, &n);
    if (!err)
        err = item_add(r->app, r->arena, live_id, items, n);
    return err ? (r->err ? err : req_fail_msg(r, err, NULL)) : req_ok_empty(r);
}

static err_t h_delete(struct req *r)
{
    const char *live_id;
    json_t *arr = NULL; /* set by parse_batch on success; -O3 cannot see that */
    err_t err = parse_batch(r, &live_id, &arr);
    if (!err && !is_server(r))
        err = anchor_check(r, live_id);
    if (err)
        return err;
    size_t n = json_array_size(arr);
    const char **ids = arena_zalloc(r->arena, (n + 1) * sizeof(*ids));
    for (size_t i = 0; i < n; i++) {
        ids[i] = json_string_value(json_array_get(arr, i));
        if (!ids[i])
            return req_fail(r, ERR_BAD_REQUEST, NULL);
    }
    err = item_delete(r->app, r->arena, live_id, ids, n);
    return err ? req_fail_msg(r, err, NULL) : req_ok_empty(r);
}

/* I3/I4: a batch of {item_id, status|order}. */
static err_t h_batch_int(struct req *r, bool is_order)
{
    const char *live_id;
    json_t *arr = NULL; /* set by parse_batch on success; -O3 cannot see that */
    struct item *list;
    size_t n;
    struct err_msg why = {0};
    err_t err = parse_batch(r, &live_id, &arr);
    if (!err && !is_server(r))
        err = anchor_check(r, live_id);
    if (!err)
        err = parse_items(r, arr, &list, &n);
    if (err)
        return err;
    err = is_order ? item_reorder(r->app, r->arena, live_id, list, n, &why)
                   : item_set_status(r->app, live_id, list, n, &why);
    return err ? req_fail_msg(r, err, &why) : req_ok_empty(r);
}

static err_t h_status(struct req *r)
{
    return h_batch_int(r, false);
}

static err_t h_order(struct req *r)
{
    return h_batch_int(r, true);
}

static err_t h_move(struct req *r)
{
    json_t *o = NULL;
    const char *live_id = NULL, *item_id = NULL;
    int64_t from = 0, to = 0;
    bool p;
    struct err_msg why = {0};
    err_t err = req_json_object(r, &o);
    if (err)
        return err;
    if (jv_opt_str(o, "live_id", LIVE_ID_MAX, &live_id) || !live_id || !live_id[0] ||
        jv_opt_str(o, "item_id", ITEM_ID_MAX, &item_id) ||
        jv_opt_i64_in(o, "from", 0, UINT32_MAX, &from, &p) ||
        jv_opt_i64_in(o, "to", 0, UINT32_MAX, &to, &p))
        return req_fail(r, ERR_BAD_REQUEST, NULL);
    err = anchor_check(r, live_id);
    if (!err)
        err = item_move(r->app, r->arena, live_id, item_id, from, to, &why);
    return err ? (r->err ? err : req_fail_msg(r, err, &why)) : req_ok_empty(r);
}

static json_t *items_json(struct req *r, const struct item *items, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, item_json(r->app, &items[i]));
    return arr;
}

static err_t h_list(struct req *r)
{
    struct live_room lr;
    struct item *items;
    size_t n;
    const char *live_id = req_param(r, "live_id");
    bool server = is_server(r);
    err_t err = server ? ERR_OK : live_find(r->app, r->arena, live_id, &lr);
    bool anchor = !server && !err && lr.anchor_id && strcmp(lr.anchor_id, r->user_id) == 0;
    if (!err)
        err = item_list(r->app, r->arena, live_id, server || anchor, !server, &items, &n);
    return err ? req_fail_msg(r, err, NULL) : req_ok(r, items_json(r, items, n));
}

static err_t h_update(struct req *r)
{
    json_t *o = NULL;
    struct item in = {0};
    const char *live_id = req_param(r, "live_id");
    err_t err = is_server(r) ? ERR_OK : anchor_check(r, live_id);
    if (!err)
        err = req_json_object(r, &o);
    if (err)
        return err;
    if (parse_item(o, &in))
        return req_fail(r, ERR_BAD_REQUEST, NULL);
    in.item_id = req_param(r, "item_id");
    err = item_update(r->app, r->arena, live_id, &in);
    return err ? req_fail_msg(r, err, NULL) : req_ok_empty(r);
}

static err_t h_extends(struct req *r)
{
    json_t *o = NULL, *wrap, *map = NULL;
    const char *live_id = req_param(r, "live_id");
    err_t err = is_server(r) ? ERR_OK : anchor_check(r, live_id);
    if (!err)
        err = req_json_object(r, &o);
    if (err)
        return err;
    /* the body itself is the map: validate it with the extends rules */
    wrap = json_pack("{s:O}", "extends", o);
    err = jv_opt_extends(wrap, "extends", &map);
    if (!err)
        err = item_merge_extends(r->app, r->arena, live_id, req_param(r, "item_id"), map);
    json_decref(wrap);
    return err ? req_fail_msg(r, err, NULL) : req_ok_empty(r);
}

static err_t demo_start(struct req *r, bool record)
{
    const char *live_id = req_param(r, "live_id");
    err_t err = anchor_check(r, live_id);
    if (!err)
        err = item_demo_start(r->app, r->arena, live_id, req_param(r, "item_id"), record);
    if (err == ERR_BAD_REQUEST)
        return req_fail(r, err,
                        record ? "item offline, cannot demonstrate "
                               : "item offline, cannot demonstrate");
    return err ? (r->err ? err : req_fail_msg(r, err, NULL)) : req_ok_empty(r);
}

static err_t h_demo(struct req *r)
{
    return demo_start(r, false);
}

static err_t h_demo_record(struct req *r)
{
    return demo_start(r, true);
}

static err_t h_demo_stop(struct req *r)
{
    struct item_record *rec = NULL;
    struct err_msg why = {0};
    const char *live_id = req_param(r, "live_id");
    err_t err = anchor_check(r, live_id);
    if (err)
        return err;
    err = item_demo_stop(r->app, r->arena, live_id, &rec, &why);
    if (err)
        return req_fail_msg(r, err, &why);
    return rec ? req_ok(r, item_record_json(r->app, rec)) : req_ok_empty(r);
}

static err_t h_demo_get(struct req *r)
{
    struct item *it = NULL;
    err_t err = item_demo_get(r->app, r->arena, req_param(r, "live_id"), &it);
    if (err)
        return req_fail_msg(r, err, NULL);
    return req_ok(r, it ? item_json(r->app, it) : NULL);
}

static err_t h_records(struct req *r)
{
    struct item_record *recs;
    size_t n;
    const char *live_id = req_param(r, "live_id");
    err_t err = anchor_check(r, live_id);
    if (err)
        return err;
    err = item_records(r->app, r->arena, live_id, &recs, &n);
    if (err)
        return req_fail_msg(r, err, NULL);
    json_t *arr = json_array(); /* [] when empty, never null */
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, item_record_json(r->app, &recs[i]));
    return req_ok(r, arr);
}

static err_t h_record_latest(struct req *r)
{
    struct item_record rec;
    const char *live_id = req_param(r, "live_id");
    err_t err = anchor_check(r, live_id);
    if (!err)
        err = item_record_latest(r->app, r->arena, live_id, req_param(r, "item_id"), &rec);
    if (err)
        return r->err ? err : req_fail_msg(r, err, NULL);
    return req_ok(r, item_record_json(r->app, &rec));
}

static err_t h_records_delete(struct req *r)
{
    json_t *o = NULL, *arr;
    const char *live_id = NULL;
    int64_t *ids, *failed;
    size_t n, nf;
    struct err_msg why = {0};
    err_t err = req_json_object(r, &o);
    if (err)
        return err;
    arr = jv_get(o, "demonstrate_item");
    if (jv_opt_str(o, "live_id", LIVE_ID_MAX, &live_id) || (arr && !json_is_array(arr)))
        return req_fail(r, ERR_BAD_REQUEST, NULL);
    if (json_array_size(arr) == 0)
        return req_fail(r, ERR_BAD_REQUEST, "empty demonstrate_item");
    err = anchor_check(r, live_id); /* only the anchor deletes recordings */
    if (err)
        return err;
    n = json_array_size(arr);
    ids = arena_zalloc(r->arena, n * sizeof(*ids));
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(arr, i);
        if (!json_is_integer(v) || json_integer_value(v) < 0)
            return req_fail(r, ERR_BAD_REQUEST, NULL);
        ids[i] = (int64_t)json_integer_value(v);
    }
    err = item_records_delete(r->app, r->arena, live_id, ids, n, &failed, &nf, &why);
    if (err)
        return req_fail_msg(r, err, &why);
    json_t *data = json_pack("{s:s}", "live_id", live_id);
    if (nf) {
        json_t *fa = json_array();
        for (size_t i = 0; i < nf; i++)
            json_array_append_new(fa, json_integer((json_int_t)failed[i]));
        json_object_set_new(data, "failure_demon_items", fa);
    }
    return req_ok(r, data);
}

static const struct route item_routes[] = {
    {HTTP_PUT | HTTP_POST, "/client/item/add", h_add, AUTH_CLIENT},
    {HTTP_POST, "/client/item/delete", h_delete, AUTH_CLIENT},
    {HTTP_POST, "/client/item/status", h_status, AUTH_CLIENT},
    {HTTP_POST, "/client/item/order", h_order, AUTH_CLIENT},
    {HTTP_POST, "/client/item/order/single", h_move, AUTH_CLIENT},
    {HTTP_GET, "/client/item/:live_id", h_list, AUTH_CLIENT},
    {HTTP_PUT, "/client/item/:live_id/:item_id", h_update, AUTH_CLIENT},
    /* Android sends POST for the extends update: served as PUT */
    {HTTP_PUT | HTTP_POST, "/client/item/:live_id/:item_id/extends", h_extends, AUTH_CLIENT},
    {HTTP_POST, "/client/item/demonstrate/:live_id/:item_id", h_demo, AUTH_CLIENT},
    {HTTP_POST, "/client/item/demonstrate/start/:live_id/:item_id", h_demo_record, AUTH_CLIENT},
    {HTTP_DELETE, "/client/item/demonstrate/:live_id", h_demo_stop, AUTH_CLIENT},
    {HTTP_GET, "/client/item/demonstrate/:live_id", h_demo_get, AUTH_CLIENT},
    {HTTP_GET, "/client/item/demonstrate/record/:live_id", h_records, AUTH_CLIENT},
    {HTTP_GET, "/client/item/demonstrate/record/:live_id/:item_id", h_record_latest, AUTH_CLIENT},
    {HTTP_POST, "/client/item/demonstrate/record/delete", h_records_delete, AUTH_CLIENT},
    {HTTP_POST, "/server/item/add", h_add, AUTH_SERVER},
    {HTTP_POST, "/server/item/delete", h_delete, AUTH_SERVER},
    {HTTP_POST, "/server/item/status", h_status, AUTH_SERVER},
    {HTTP_POST, "/server/item/order", h_order, AUTH_SERVER},
    {HTTP_GET, "/server/item/:live_id", h_list, AUTH_SERVER},
    {HTTP_PUT, "/server/item/:live_id/:item_id", h_update, AUTH_SERVER},
    {HTTP_PUT, "/server/item/:live_id/:item_id/extends", h_extends, AUTH_SERVER},
};

/* The anchor leaving its room, or the room stopping or being deleted, ends the item's
 * demonstration and its recording. */
static void on_room_change(struct app *a, const char *event, const char *live_id)
{
    if (strcmp(event, "anchor_left") == 0 || strcmp(event, "stopped") == 0)
        item_demo_end(a, live_id);
}

void item_module_register(struct app *a)
{
    router_add(a->router, item_routes, ARRAY_LEN(item_routes), NULL);
    live_on_change(a, on_room_change);
    item_schedule_jobs(a);
}
