/* Gift routes G1-G15. */
#define LOG_MODULE "gift"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "biz/gift/gift.h"
#include "biz/live/live.h"
#include "core/jv.h"
#include "core/mem.h"
#include "core/str.h"
#include "http/page.h"
#include "http/req.h"

enum { PAGE_SIZE_MAX = 100 };

static const char SAVE_MSG[] = "Name 不能为空 且 GiftId 需要 >0";

static err_t fail_store(struct req *r, err_t err)
{
    return req_fail_internal(r, err);
}

/* G1/G6/G12. An empty catalogue is [] on every variant: clients read it as an array. */
static err_t config_list(struct req *r, const char *bad_msg)
{
    int64_t type;
    struct gift_config *list;
    size_t n;
    if (!str_to_i64(req_param(r, "type"), INT32_MIN, INT32_MAX, &type))
        return req_fail(r, ERR_BAD_REQUEST, "%s", bad_msg);
    err_t err = gift_config_list(r->app, r->arena, type, &list, &n);
    if (err)
        return fail_store(r, err);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, gift_config_json(&list[i]));
    return req_ok(r, arr);
}

static err_t h_config_client(struct req *r)
{
    return config_list(r, "type is not int");
}

static err_t h_config_server(struct req *r)
{
    return config_list(r, "Bad Request");
}

/* An integer stored in an INT column: absent is 0, outside the column's range a 400. */
static err_t int_field(json_t *o, const char *key, int64_t *out)
{
    bool present;
    err_t err = jv_opt_i64_in(o, key, INT32_MIN, INT32_MAX, out, &present);
    if (!err && !present)
        *out = 0;
    return err;
}

/* Decodes one GiftConfigDto object; ERR_BAD_REQUEST on a wrong type. */
static err_t parse_config(struct req *r, struct gift_config *g)
{
    json_t *o = NULL, *ext = NULL;
    err_t err = req_json_object(r, &o);
    if (err)
        return err;
    err = int_field(o, "gift_id", &g->gift_id);
    if (!err)
        err = int_field(o, "type", &g->type);
    if (!err)
        err = int_field(o, "amount", &g->amount);
    if (!err)
        err = int_field(o, "animation_type", &g->animation_type);
    if (!err)
        err = int_field(o, "order", &g->order);
    if (!err)
        err = jv_opt_str(o, "name", GIFT_NAME_MAX, &g->name);
    if (!err)
        err = jv_opt_str(o, "img", GIFT_IMG_MAX, &g->img);
    if (!err)
        err = jv_opt_str(o, "animation_img", GIFT_IMG_MAX, &g->animation_img);
    if (!err)
        err = jv_opt_extends(o, "extends", &ext);
    if (!err && g->amount < 0)
        err = ERR_BAD_REQUEST; /* a price; 0 means any amount */
    if (err)
        return req_fail(r, ERR_BAD_REQUEST, "invalid gift config");
    const char *text = jv_extends_dump(r->arena, ext);
    g->extends_json = text ? text : "null";
    g->img = g->img ? g->img : "";
    g->animation_img = g->animation_img ? g->animation_img : "";
    return ERR_OK;
}

static err_t config_save(struct req *r, const char *bad_msg)
{
    struct gift_config g = {0};
    err_t err = parse_config(r, &g);
    if (err)
        return err;
    err = gift_config_save(r->app, r->arena, &g);
    if (err == ERR_BAD_REQUEST)
        return req_fail(r, err, "%s", bad_msg);
    return err ? fail_store(r, err) : req_ok_empty(r);
}

static err_t h_save_admin(struct req *r)
{
    return config_save(r, SAVE_MSG);
}

static err_t h_save_server(struct req *r)
{
    return config_save(r, "Name 不能为空 且 GiftId 需要 >0 ");
}

static err_t config_delete(struct req *r, const char *bad_msg)
{
    int64_t id;
    if (!str_to_i64(req_param(r, "gift_id"), INT32_MIN, INT32_MAX, &id))
        return req_fail(r, ERR_BAD_REQUEST, "%s", bad_msg);
    err_t err = gift_config_delete(r->app, id);
    return err ? fail_store(r, err) : req_ok_empty(r);
}

static err_t h_delete_admin(struct req *r)
{
    return config_delete(r, "gift_id is not int");
}

static err_t h_delete_server(struct req *r)
{
    return config_delete(r, "Bad Request");
}

/* A page of transactions; the last page is the first one not filled. */
static err_t page(struct req *r, enum gift_list_by by, const char *value)
{
    struct req_page pg;
    int64_t total;
    struct gift_tx *rows;
    size_t n;
    err_t err = req_page(r, PAGE_SIZE_MAX, &pg);
    if (err)
        return err;
    err = gift_list(r->app, r->arena, by, value ? value : "", pg.num, pg.size, &rows, &n, &total);
    if (err)
        return fail_store(r, err);
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, gift_tx_json(&rows[i]));
    return req_ok_page(r, &pg, total, (int64_t)n < pg.size, list);
}

/* G2: only the live's anchor reads its room's gifts. */
static err_t h_list_live_client(struct req *r)
{
    struct live_room lr;
    err_t err = live_find(r->app, r->arena, req_param(r, "live_id"), &lr);
    if (err == ERR_NOT_FOUND || (!err && strcmp(lr.anchor_id ? lr.anchor_id : "", r->user_id)))
        return req_fail(r, ERR_NOT_FOUND, NULL);
    if (err)
        return fail_store(r, err);
    return page(r, GIFT_BY_LIVE, lr.live_id);
}

static err_t h_list_anchor_client(struct req *r)
{
    return page(r, GIFT_BY_ANCHOR, r->user_id);
}

static err_t h_list_user_client(struct req *r)
{
    return page(r, GIFT_BY_USER, r->user_id);
}

static err_t h_list_live_server(struct req *r)
{
    return page(r, GIFT_BY_LIVE, req_param(r, "live_id"));
}

static err_t h_list_anchor_server(struct req *r)
{
    return page(r, GIFT_BY_ANCHOR, req_param(r, "anchor_id"));
}

static err_t h_list_user_server(struct req *r)
{
    return page(r, GIFT_BY_USER, req_param(r, "user_id"));
}

static err_t parse_send(struct req *r, struct gift_send_in *in)
{
    json_t *o = NULL;
    err_t err = req_json_object(r, &o);
    if (err)
        return err;
    err = jv_opt_str(o, "live_id", LIVE_ID_MAX, &in->live_id);
    if (!err)
        err = int_field(o, "gift_id", &in->gift_id);
    if (!err)
        err = int_field(o, "amount", &in->amount);
    if (!err)
        err = jv_opt_str(o, "biz_id", GIFT_ID_MAX, &in->biz_id);
    if (err)
        return req_fail(r, ERR_BAD_REQUEST, "invalid gift");
    if (!in->live_id || !in->live_id[0])
        return req_fail(r, ERR_BAD_REQUEST, "live_id is required");
    if (in->amount <= 0)
        return req_fail(r, ERR_BAD_REQUEST, "amount must be positive");
    in->user_id = r->user_id;
    in->im_userid = r->im_userid;
    return ERR_OK;
}

static err_t h_send(struct req *r)
{
    struct gift_send_in in = {0};
    struct gift_tx tx;
    struct pay_result verdict;
    err_t err = parse_send(r, &in);
    if (err)
        return err;
    err = gift_send(r->app, r->arena, &in, &tx, &verdict);
    if (err == ERR_GIFT_PAY && verdict.code != 0)
        return req_fail_code(r, err, (int)verdict.code,
                             verdict.message[0] ? verdict.message : NULL);
    if (err_is_refusal(err) || err == ERR_GIFT_PAY || err == ERR_EXISTS)
        return req_fail(r, err, NULL);
    if (err)
        return fail_store(r, err);
    return req_ok(r, gift_send_json(&tx));
}

/* G15: the demo payment hook; always approves (only served with gift.test_hook). */
static err_t h_test_hook(struct req *r)
{
    json_t *body = NULL;
    err_t err = req_json(r, &body);
    return err ? err : req_ok(r, json_pack("{s:i}", "status", 1));
}

static const struct route gift_routes[] = {
    {HTTP_GET, "/client/gift/config/:type", h_config_client, AUTH_CLIENT},
    {HTTP_GET, "/client/gift/list/live/:live_id", h_list_live_client, AUTH_CLIENT},
    {HTTP_GET, "/client/gift/list/anchor", h_list_anchor_client, AUTH_CLIENT},
    {HTTP_GET, "/client/gift/list/user", h_list_user_client, AUTH_CLIENT},
    {HTTP_POST, "/client/gift/send", h_send, AUTH_CLIENT},
    {HTTP_GET, "/server/gift/config/:type", h_config_server, AUTH_SERVER},
    {HTTP_POST, "/server/gift/config", h_save_server, AUTH_SERVER},
    {HTTP_DELETE, "/server/gift/config/:gift_id", h_delete_server, AUTH_SERVER},
    {HTTP_GET, "/server/gift/list/live/:live_id", h_list_live_server, AUTH_SERVER},
    {HTTP_GET, "/server/gift/list/anchor/:anchor_id", h_list_anchor_server, AUTH_SERVER},
    {HTTP_GET, "/server/gift/list/user/:user_id", h_list_user_server, AUTH_SERVER},
    {HTTP_GET, "/admin/gift/config/:type", h_config_client, AUTH_ADMIN},
    {HTTP_POST, "/admin/gift/config", h_save_admin, AUTH_ADMIN},
    {HTTP_DELETE, "/admin/gift/config/:gift_id", h_delete_admin, AUTH_ADMIN},
};

static const struct route gift_test_route[] = {
    {HTTP_POST, "/manager/gift/test", h_test_hook, AUTH_NONE},
};

void gift_module_register(struct app *a)
{
    if (!a->conf.gift.enabled)
        return;
    router_add(a->router, gift_routes, ARRAY_LEN(gift_routes), NULL);
    if (a->conf.gift.test_hook)
        router_add(a->router, gift_test_route, 1, NULL);
}
