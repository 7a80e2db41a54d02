/* Root routes: /status, /healthz, /readyz, /openapi.json and GET /client/app/config. */
#define LOG_MODULE "platform"

#include "biz/platform/platform.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "core/log.h"
#include "core/mem.h"
#include "http/openapi.h"
#include "http/req.h"

/* The API description, made from the router at its first request (every module has registered
 * its routes by then) and kept for the life of the process. */
struct platform_mod {
    pthread_mutex_t mu;
    char *openapi;
    size_t openapi_len;
};

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

static void make_openapi(struct platform_mod *m, struct app *a)
{
    json_t *doc = openapi_build(a->router, QNLIVE_VERSION);
    if (!doc)
        return;
    size_t n = json_array_size(json_object_get(doc, "x-unserved"));
    if (n)
        log_error("openapi: %zu described routes are not served", n);
    m->openapi = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    m->openapi_len = m->openapi ? strlen(m->openapi) : 0;
    json_decref(doc);
}

static err_t handle_openapi(struct req *r)
{
    struct platform_mod *m = r->self;
    pthread_mutex_lock(&m->mu);
    if (!m->openapi)
        make_openapi(m, r->app);
    pthread_mutex_unlock(&m->mu);
    if (!m->openapi)
        return req_fail(r, ERR_INTERNAL, "the API description could not be made");
    return req_ok_document(r, "application/json", m->openapi, m->openapi_len, NULL);
}

static void platform_mod_free(void *self)
{
    struct platform_mod *m = self;
    pthread_mutex_destroy(&m->mu);
    free(m->openapi);
    free(m);
}

static const struct route platform_routes[] = {
    /* answered on the event thread: they check nothing, so they answer even when every
     * dependency hangs */
    {HTTP_ANY, "/status", handle_status, AUTH_NONE, ROUTE_INLINE},
    {HTTP_GET, "/healthz", handle_healthz, AUTH_NONE, ROUTE_INLINE},
    {HTTP_GET, "/openapi.json", handle_openapi, AUTH_NONE, ROUTE_INLINE},
    {HTTP_GET, "/readyz", handle_readyz, AUTH_NONE},
    {HTTP_GET, "/client/app/config", handle_app_config, AUTH_CLIENT},
};

void platform_module_register(struct app *a)
{
    struct platform_mod *m = xcalloc(1, sizeof(*m));
    pthread_mutex_init(&m->mu, NULL);
    app_on_close(a, platform_mod_free, m);
    router_add(a->router, platform_routes, ARRAY_LEN(platform_routes), m);
    platform_test_routes_register(a);
}
