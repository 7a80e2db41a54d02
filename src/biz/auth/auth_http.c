/* Token issuing and admin login. */
#define LOG_MODULE "auth"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "biz/admin/admin.h"
#include "biz/auth/auth.h"
#include "biz/user/user.h"
#include "core/clock.h"
#include "core/jv.h"
#include "core/jwt.h"
#include "core/mem.h"
#include "http/req.h"

enum { USER_TOKEN_TTL_S = 604800, ADMIN_TOKEN_TTL_S = 604800 };

static bool fits(const char *s)
{
    return strlen(s) < JWT_FIELD_MAX;
}

static json_t *token_json(struct app *a, const struct jwt_claims *c)
{
    char *tok = jwt_sign(a->conf.auth.jwt_key, c);
    json_t *o = json_object();
    json_object_set_new(o, "access_token", json_string(tok));
    json_object_set_new(o, "expires_at", json_integer(c->exp));
    free(tok);
    return o;
}

/* Absent, empty or 0 means now + 7 days; a configured cap bounds any explicit value. */
static err_t token_expiry(struct req *r, int64_t *exp)
{
    const char *v = req_query(r, "expires_at");
    int64_t now = clock_now_s(r->app->clock);
    int64_t cap = r->app->conf.auth.token_max_ttl_s;
    if (!v || !v[0]) {
        *exp = 0;
    } else {
        err_t err = req_query_i64(r, "expires_at", 0, INT64_MIN, INT64_MAX, exp);
        if (err)
            return err;
    }
    if (*exp == 0)
        *exp = now + USER_TOKEN_TTL_S;
    if (cap > 0 && *exp > now + cap)
        *exp = now + cap;
    return ERR_OK;
}

static err_t handle_server_token(struct req *r)
{
    struct jwt_claims c = {0};
    const char *app_id = req_query(r, "app_id");
    const char *user_id = req_query(r, "user_id");
    const char *device_id = req_query(r, "device_id");
    err_t err = token_expiry(r, &c.exp);
    if (err)
        return err;
    if (!app_id || !app_id[0] || !user_id || !user_id[0])
        return req_fail(r, ERR_BAD_REQUEST, NULL);
    if (!fits(app_id) || jv_utf8_chars(user_id, strlen(user_id)) > USER_ID_MAX ||
        (device_id && !fits(device_id)))
        return req_fail(r, ERR_BAD_REQUEST, "app_id, user_id or device_id too long");
    struct user_row u;
    err = user_find_or_create(r->app, r->arena, user_id, &u);
    if (err)
        return req_fail(r, err, NULL);
    snprintf(c.app_id, sizeof(c.app_id), "%s", app_id);
    snprintf(c.user_id, sizeof(c.user_id), "%s", user_id);
    snprintf(c.device_id, sizeof(c.device_id), "%s", device_id ? device_id : "");
    return req_ok(r, token_json(r->app, &c));
}

static err_t handle_login(struct req *r)
{
    json_t *body;
    err_t err = req_json_object(r, &body);
    if (err)
        return req_fail(r, ERR_BAD_REQUEST, NULL);
    const char *name = json_string_value(jv_get(body, "user_name"));
    const char *password = json_string_value(jv_get(body, "password"));
    /* empty credentials never log in, even if such a row exists */
    if (!name || !password || !name[0] || !password[0])
        return req_fail(r, ERR_LOGIN_UNKNOWN, NULL);
    struct admin_row adm;
    err = admin_login(r->app, r->arena, name, password, &adm);
    if (err == ERR_FORBIDDEN)
        return req_fail(r, ERR_FORBIDDEN, "Invalid username or password");
    if (err)
        return req_fail(r, err, NULL);
    struct jwt_claims c = {.exp = clock_now_s(r->app->clock) + ADMIN_TOKEN_TTL_S};
    if (!fits(adm.user_id))
        return req_fail(r, ERR_INTERNAL, NULL);
    snprintf(c.user_id, sizeof(c.user_id), "%s", adm.user_id);
    snprintf(c.role, sizeof(c.role), "admin");
    return req_ok(r, token_json(r->app, &c));
}

static const struct route auth_routes[] = {
    {HTTP_GET, "/server/auth/token", handle_server_token, AUTH_SERVER},
    /* the reference serves the user handler here too: kept for compatibility */
    {HTTP_GET, "/server/auth/admin/token", handle_server_token, AUTH_SERVER},
    {HTTP_POST, "/manager/login", handle_login, AUTH_NONE},
};

void auth_module_register(struct app *a)
{
    router_add(a->router, auth_routes, ARRAY_LEN(auth_routes), NULL);
}
