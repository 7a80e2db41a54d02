/* Mic routes M1-M5 and the spellings the client SDKs use: parse, call the
 * mic service, render. */
#define LOG_MODULE "mic"

#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "biz/live/live.h"
#include "biz/mic/mic.h"
#include "core/jv.h"
#include "core/mem.h"
#include "http/req.h"
#include "http/router.h"

/* An extends map as arena text (NULL when absent). iOS and Android send the map serialised
 * into a string on the extension update; jv_opt_extends accepts both forms. */
static bool parse_extends(struct req *r, json_t *o, const char **out)
{
    json_t *ext = NULL;
    *out = NULL;
    if (jv_opt_extends(o, "extends", &ext))
        return false;
    if (!ext)
        return true;
    *out = jv_extends_dump(r->arena, ext);
    return strlen(*out) <= MIC_EXTENDS_MAX;
}

static err_t parse_live_user(struct req *r, json_t *o, const char **live_id, const char **user_id)
{
    *live_id = *user_id = NULL;
    if (jv_opt_str(o, "live_id", LIVE_ID_MAX, live_id) ||
        jv_opt_str(o, "user_id", USER_ID_MAX, user_id))
        return req_fail(r, ERR_BAD_REQUEST, "live_id and user_id must be strings");
    if (!*live_id)
        *live_id = "";
    /* the seat owner is the caller unless the body names another seat (the anchor's call) */
    if (!*user_id || !**user_id)
        *user_id = r->user_id;
    return ERR_OK;
}

static err_t handle_up(struct req *r)
{
    struct mic_up_in in = {0};
    const char *live_id = NULL;
    char *token = NULL;
    json_t *o;
    err_t err = req_json_object(r, &o);
    if (err)
        return err;
    if (jv_opt_str(o, "live_id", LIVE_ID_MAX, &live_id) || jv_opt_bool(o, "mic", &in.has_mic) ||
        jv_opt_bool(o, "camera", &in.has_camera) || !parse_extends(r, o, &in.extends_json))
        return req_fail(r, ERR_BAD_REQUEST, "bad live_id, mic, camera or extends");
    err = mic_up(r->app, r->arena, live_id ? live_id : "", r->user_id, &in, &token);
    if (err)
        return req_fail(r, err, NULL);
    return req_ok(r, json_pack("{s:s}", "rtc_token", token));
}

/* Android sends a JSON body; iOS sends DELETE /client/mic?live_id=... without one. */
static err_t handle_down(struct req *r)
{
    const char *live_id = NULL;
    json_t *o = NULL;
    err_t err = ERR_OK;
    if (r->body_len == 0 && req_query(r, "live_id"))
        live_id = req_query(r, "live_id");
    else
        err = req_json_object(r, &o);
    if (err)
        return err;
    if (!live_id && jv_opt_str(o, "live_id", LIVE_ID_MAX, &live_id))
        return req_fail(r, ERR_BAD_REQUEST, "live_id must be a string");
    err = mic_down(r->app, live_id ? live_id : "", r->user_id);
    return err ? req_fail(r, err, NULL) : req_ok_empty(r);
}

static err_t handle_list(struct req *r)
{
    struct mic_entry *e = NULL;
    size_t n = 0;
    err_t err = mic_list(r->app, r->arena, req_param(r, "live_id"), &e, &n);
    if (err)
        return req_fail(r, err, NULL);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, mic_entry_json(&e[i]));
    return req_ok(r, arr);
}

static err_t handle_extension(struct req *r)
{
    const char *live_id, *user_id, *ext = NULL;
    json_t *o;
    err_t err = req_json_object(r, &o);
    if (!err)
        err = parse_live_user(r, o, &live_id, &user_id);
    if (err)
        return err;
    if (!parse_extends(r, o, &ext))
        return req_fail(r, ERR_BAD_REQUEST, "extends must be an object of string values");
    err = mic_set_extends(r->app, r->arena, live_id, r->user_id, user_id, ext);
    return err ? req_fail(r, err, NULL) : req_ok_empty(r);
}

static err_t handle_switch(struct req *r)
{
    const char *live_id, *user_id, *type = NULL;
    bool on = false;
    json_t *o;
    err_t err = req_json_object(r, &o);
    if (!err)
        err = parse_live_user(r, o, &live_id, &user_id);
    if (err)
        return err;
    /* iOS names the boolean `flag` */
    bool ok = !(jv_get(o, "status") ? jv_opt_bool(o, "status", &on) : jv_opt_bool(o, "flag", &on));
    if (!ok || jv_opt_str(o, "type", 16, &type))
        return req_fail(r, ERR_BAD_REQUEST, "bad type or status");
    err = mic_switch(r->app, r->arena, live_id, r->user_id, user_id, type ? type : "", on);
    return err ? req_fail(r, err, NULL) : req_ok_empty(r);
}

static const struct route mic_routes[] = {
    {HTTP_POST, "/client/mic/", handle_up, AUTH_CLIENT},
    {HTTP_POST, "/client/mic/up", handle_up, AUTH_CLIENT},
    {HTTP_DELETE, "/client/mic/", handle_down, AUTH_CLIENT},
    {HTTP_POST, "/client/mic/down", handle_down, AUTH_CLIENT},
    {HTTP_GET, "/client/mic/room/list/:live_id", handle_list, AUTH_CLIENT},
    {HTTP_PUT, "/client/mic/extension", handle_extension, AUTH_CLIENT},
    /* Android's spelling of the extension update */
    {HTTP_PUT, "/client/mic/room/", handle_extension, AUTH_CLIENT},
    {HTTP_PUT, "/client/mic/switch", handle_switch, AUTH_CLIENT},
};

void mic_module_register(struct app *a)
{
    router_add(a->router, mic_routes, ARRAY_LEN(mic_routes), NULL);
}
