/* Root routes: /status, /healthz, /readyz, and GET /client/app/config. */
#define LOG_MODULE "platform"

#include "biz/platform/platform.h"

#include "app.h"
#include "core/mem.h"
#include "http/req.h"

static err_t handle_status(struct req *r)
{
    /* byte-compatible with the reference: message "success", no data, checks nothing */
    req_fail(r, ERR_OK, "success");
    return req_ok_empty(r);
}

static err_t handle_healthz(struct req *r)
{
    return req_ok_empty(r);
}

static err_t handle_readyz(struct req *r)
{
    err_t err = app_ping(r->app);
    if (err)
        return req_fail(r, err, "not ready: %s", err_name(err));
    return req_ok_empty(r);
}

static err_t handle_app_config(struct req *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "im_app_id", json_string(r->app->conf.im.app_id));
    return req_ok(r, o);
}

static const struct route platform_routes[] = {
    /* answered on the event thread: they check nothing, so they answer even when every
     * dependency hangs */
    {HTTP_ANY, "/status", handle_status, AUTH_NONE, ROUTE_INLINE},
    {HTTP_GET, "/healthz", handle_healthz, AUTH_NONE, ROUTE_INLINE},
    {HTTP_GET, "/readyz", handle_readyz, AUTH_NONE},
    {HTTP_GET, "/client/app/config", handle_app_config, AUTH_CLIENT},
};

void platform_module_register(struct app *a)
{
    router_add(a->router, platform_routes, ARRAY_LEN(platform_routes), NULL);
    platform_test_routes_register(a);
}
