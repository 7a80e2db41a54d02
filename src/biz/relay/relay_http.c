/* Relay routes R1-R7: parse, call the relay service, render. */
#define LOG_MODULE "relay"

#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "biz/live/live.h"
#include "biz/relay/relay.h"
#include "biz/user/user.h"
#include "core/jv.h"
#include "core/mem.h"
#include "http/req.h"
#include "http/router.h"

static json_t *ticket_json(const struct relay_ticket *t)
{
    json_t *o = json_pack("{s:s, s:i}", "relay_id", t->sid, "relay_status", t->status);
    if (t->token)
        json_object_set_new(o, "relay_token", json_string(t->token));
    return o;
}

/* R1's body; a malformed one is not an error by itself, only missing fields are. */
static bool parse_start(struct req *r, struct relay_start_in *in)
{
    json_t *o = NULL, *ext = NULL;
    memset(in, 0, sizeof(*in));
    if (req_json_object(r, &o))
        return false;
    if (jv_opt_str(o, "init_room_id", LIVE_ID_MAX, &in->init_room_id) ||
        jv_opt_str(o, "recv_room_id", LIVE_ID_MAX, &in->recv_room_id) ||
        jv_opt_str(o, "recv_user_id", USER_ID_MAX, &in->recv_user_id) ||
        jv_opt_extends(o, "extends", &ext))
        return false;
    in->extends_json = jv_extends_dump(r->arena, ext);
    return !in->extends_json || strlen(in->extends_json) <= RELAY_EXTENDS_MAX;
}

static err_t handle_start(struct req *r)
{
    struct relay_start_in in;
    struct relay_ticket t = {0};
    if (!parse_start(r, &in))
        return req_fail(r, ERR_BAD_REQUEST, NULL);
    err_t err = relay_start(r->app, r->arena, r->user_id, &in, &t);
    return err ? req_fail(r, err, NULL) : req_ok(r, ticket_json(&t));
}

static err_t handle_get(struct req *r)
{
    struct relay_session s;
    err_t err = relay_get(r->app, r->arena, req_param(r, "id"), r->user_id, &s);
    return err ? req_fail(r, err, NULL) : req_ok(r, relay_session_json(&s));
}

static err_t handle_token(struct req *r)
{
    struct relay_ticket t = {0};
    err_t err = relay_token(r->app, r->arena, req_param(r, "id"), r->user_id, &t);
    return err ? req_fail(r, err, NULL) : req_ok(r, ticket_json(&t));
}

static err_t handle_started(struct req *r)
{
    struct relay_ticket t = {0};
    err_t err = relay_report_started(r->app, r->arena, req_param(r, "id"), r->user_id, &t);
    return err ? req_fail(r, err, NULL) : req_ok(r, ticket_json(&t));
}

static err_t handle_stop(struct req *r)
{
    err_t err = relay_stop(r->app, r->arena, req_param(r, "id"), r->user_id);
    return err ? req_fail(r, err, NULL) : req_ok_empty(r);
}

static err_t update_extends(struct req *r, const char *caller)
{
    json_t *o, *ext = NULL;
    err_t err = req_json_object(r, &o);
    if (err)
        return err;
    if (jv_opt_extends(o, "extends", &ext))
        return req_fail(r, ERR_BAD_REQUEST, "extends must be an object of string values");
    json_t *update = ext ? json_incref(ext) : json_object();
    err = relay_update_extends(r->app, r->arena, req_param(r, "id"), caller, update);
    json_decref(update);
    return err ? req_fail(r, err, NULL) : req_ok_empty(r);
}

static err_t handle_extends(struct req *r)
{
    return update_extends(r, r->user_id);
}

static err_t handle_server_extends(struct req *r)
{
    return update_extends(r, NULL);
}

static const struct route relay_routes[] = {
    {HTTP_POST, "/client/relay/start", handle_start, AUTH_CLIENT},
    {HTTP_GET, "/client/relay/:id", handle_get, AUTH_CLIENT},
    {HTTP_GET, "/client/relay/:id/token", handle_token, AUTH_CLIENT},
    {HTTP_POST, "/client/relay/:id/started", handle_started, AUTH_CLIENT},
    {HTTP_POST, "/client/relay/:id/stop", handle_stop, AUTH_CLIENT},
    {HTTP_POST, "/client/relay/:id/extends", handle_extends, AUTH_CLIENT},
    {HTTP_POST, "/server/relay/:id/extends", handle_server_extends, AUTH_SERVER},
};

void relay_module_register(struct app *a)
{
    router_add(a->router, relay_routes, ARRAY_LEN(relay_routes), NULL);
    relay_observe_lives(a);
    relay_schedule_jobs(a);
}
