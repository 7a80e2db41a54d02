/* Admin censor routes C1, C2 (spec 04 §6.8). */
#define LOG_MODULE "censor"

#include "app.h"
#include "biz/censor/censor.h"
#include "core/jv.h"
#include "core/mem.h"
#include "http/req.h"

static json_t *config_json(const struct censor_config *c)
{
    json_t *o = json_object();
    json_object_set_new(o, "enable", json_boolean(c->enable));
    json_object_set_new(o, "pulp", json_boolean(c->pulp));
    json_object_set_new(o, "terror", json_boolean(c->terror));
    json_object_set_new(o, "politician", json_boolean(c->politician));
    json_object_set_new(o, "ads", json_boolean(c->ads));
    json_object_set_new(o, "interval", json_integer(c->interval));
    return o;
}

/* A JSON boolean field; absent or null is false (Go's zero value). */
static err_t opt_bool(json_t *o, const char *key, bool *out)
{
    json_t *v = json_object_get(o, key);
    if (v && !json_is_null(v) && !json_is_boolean(v))
        return ERR_BAD_REQUEST;
    *out = json_is_true(v);
    return ERR_OK;
}

static err_t parse_config(struct req *r, struct censor_config *c)
{
    json_t *body;
    bool has_interval;
    err_t err = req_json_object(r, &body);
    if (err)
        return err;
    c->interval = 0;
    if (opt_bool(body, "enable", &c->enable) || opt_bool(body, "pulp", &c->pulp) ||
        opt_bool(body, "terror", &c->terror) || opt_bool(body, "politician", &c->politician) ||
        opt_bool(body, "ads", &c->ads) ||
        jv_opt_i64(body, "interval", &c->interval, &has_interval))
        return req_fail(r, ERR_BAD_REQUEST, "booleans and an integer interval expected");
    if (c->enable && (c->interval < 1 || c->interval > 60))
        return req_fail(r, ERR_BAD_REQUEST, NULL);
    return ERR_OK;
}

static err_t handle_config_set(struct req *r)
{
    struct censor_config c;
    err_t err = parse_config(r, &c);
    if (err)
        return err;
    err = censor_config_set(r->app, &c);
    if (err)
        return req_fail(r, err == ERR_UNAVAILABLE ? err : ERR_INTERNAL, NULL);
    return req_ok(r, config_json(&c));
}

static err_t handle_config_get(struct req *r)
{
    struct censor_config c;
    err_t err = censor_config_get(r->app, r->arena, &c);
    if (err)
        return req_fail(r, err == ERR_UNAVAILABLE ? err : ERR_BAD_REQUEST, "%s", "");
    return req_ok(r, config_json(&c));
}

static const struct route censor_routes[] = {
    {HTTP_POST, "/admin/censor/config", handle_config_set, AUTH_ADMIN},
    {HTTP_GET, "/admin/censor/config", handle_config_get, AUTH_ADMIN},
};

void censor_module_register(struct app *a)
{
    if (!a->conf.censor.enabled)
        return;
    router_add(a->router, censor_routes, ARRAY_LEN(censor_routes));
}
