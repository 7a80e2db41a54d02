/* User routes U1-U12: parse, call the user service, render. */
#define LOG_MODULE "user"

#include <string.h>

#include "app.h"
#include "biz/user/user.h"
#include "biz/user/user_int.h"
#include "core/jv.h"
#include "core/mem.h"
#include "core/str.h"
#include "http/req.h"

/* Reads {"nick","avatar","extends"} with the schema's limits. */
static err_t parse_update(struct req *r, json_t *o, struct user_update *u)
{
    memset(u, 0, sizeof(*u));
    if (jv_opt_str(o, "nick", USER_NICK_MAX, &u->nick))
        return req_fail(r, ERR_BAD_REQUEST, "nick must be a string of at most %d bytes",
                        USER_NICK_MAX);
    if (jv_opt_str(o, "avatar", USER_AVATAR_MAX, &u->avatar))
        return req_fail(r, ERR_BAD_REQUEST, "avatar must be a string of at most %d bytes",
                        USER_AVATAR_MAX);
    if (jv_opt_extends(o, "extends", &u->extends))
        return req_fail(r, ERR_BAD_REQUEST, "extends must be an object of string values");
    return ERR_OK;
}

static err_t render_one(struct req *r, const char *user_id, bool profile)
{
    struct user_row u;
    err_t err = user_find(r->app, r->arena, user_id, &u);
    if (err == ERR_NOT_FOUND)
        return req_fail(r, ERR_NOT_FOUND, NULL);
    if (err)
        return req_fail_internal(r, err);
    return req_ok(r, profile ? user_profile_json(&u) : user_brief_json(&u, false));
}

static err_t render_list(struct req *r, const struct user_row *rows, size_t n, bool profile)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, profile ? user_profile_json(&rows[i])
                                           : user_brief_json(&rows[i], false));
    return req_ok(r, arr);
}

/* `?user_ids=a&user_ids=b`, 1..200 values; `bad` is the error to answer otherwise. */
static err_t list_by_ids(struct req *r, err_t bad, const char *bad_msg, bool profile)
{
    const char **ids;
    size_t n;
    req_query_all(r, "user_ids", &ids, &n);
    if (n == 0 || n > USER_BATCH_MAX)
        return req_fail(r, bad, "%s", bad_msg);
    struct user_row *rows;
    size_t nrows;
    err_t err = user_list_by_ids(r->app, r->arena, ids, n, &rows, &nrows);
    if (err)
        return req_fail_internal(r, err);
    return render_list(r, rows, nrows, profile);
}

static err_t handle_profile(struct req *r)
{
    struct user_row u;
    err_t err = user_find_or_create(r->app, r->arena, r->user_id, &u);
    if (err)
        return req_fail_internal(r, err);
    return req_ok(r, user_profile_json(&u));
}

static err_t handle_user_info(struct req *r)
{
    return render_one(r, req_param(r, "id"), false);
}

static err_t handle_update_self(struct req *r)
{
    json_t *body;
    struct user_update u;
    err_t err = req_json_object(r, &body);
    if (!err)
        err = parse_update(r, body, &u);
    if (err)
        return err;
    err = user_update_profile(r->app, r->arena, r->user_id, &u);
    return err ? req_fail_internal(r, err) : req_ok_empty(r);
}

static err_t handle_users(struct req *r)
{
    return list_by_ids(r, ERR_BAD_REQUEST, "ids cant be empty, or more than 200,", false);
}

static err_t handle_im_users(struct req *r)
{
    const char **vals;
    size_t n;
    req_query_all(r, "im_user_ids", &vals, &n);
    int64_t *ids = arena_alloc(r->arena, (n + 1) * sizeof(*ids));
    for (size_t i = 0; i < n; i++) {
        if (!str_to_i64(vals[i], INT64_MIN, INT64_MAX, &ids[i]))
            return req_fail(r, ERR_BAD_REQUEST, "strconv.ParseInt: parsing \"%s\": invalid syntax",
                            vals[i]);
    }
    if (n == 0 || n > USER_BATCH_MAX)
        return req_fail(r, ERR_BAD_REQUEST, "ids cant be empty, or more than 200");
    struct user_row *rows;
    size_t nrows;
    err_t err = user_list_by_im_ids(r->app, r->arena, ids, n, &rows, &nrows);
    if (err)
        return req_fail_internal(r, err);
    return render_list(r, rows, nrows, false);
}

/* Validates one registration object; `msg` gets the reason on failure. */
static err_t parse_register(struct req *r, json_t *o, const char **user_id, struct user_update *u)
{
    if (!json_is_object(o))
        return req_fail(r, ERR_BAD_REQUEST, "request body must be a JSON object");
    if (jv_opt_str(o, "user_id", USER_ID_MAX, user_id))
        return req_fail(r, ERR_BAD_REQUEST, "user_id must be a string of at most %d bytes",
                        USER_ID_MAX);
    return parse_update(r, o, u);
}

static err_t handle_register(struct req *r)
{
    json_t *body;
    const char *user_id;
    struct user_update u;
    err_t err = req_json(r, &body);
    if (!err)
        err = parse_register(r, body, &user_id, &u);
    if (err)
        return err;
    if (!user_id || !user_id[0])
        return req_fail(r, ERR_BAD_REQUEST, "empty user_id");
    err = user_register(r->app, r->arena, user_id, &u);
    if (err == ERR_EXISTS)
        return req_fail(r, ERR_EXISTS, NULL);
    return err ? req_fail_internal(r, err) : req_ok_empty(r);
}

/* Checks every element before inserting any (as the reference does). */
static err_t validate_batch(struct req *r, json_t *arr, const char **ids, struct user_update *us)
{
    size_t n = json_array_size(arr);
    if (n == 0)
        return req_fail(r, ERR_BAD_REQUEST, "empty request");
    if (n > USER_BATCH_MAX)
        return req_fail(r, ERR_BAD_REQUEST, "user count exceed 200");
    for (size_t i = 0; i < n; i++) {
        err_t err = parse_register(r, json_array_get(arr, i), &ids[i], &us[i]);
        if (err)
            return req_fail(r, err, "invalid request, index %zu: %s", i, r->err_message);
        if (!ids[i] || !ids[i][0])
            return req_fail(r, ERR_BAD_REQUEST, "invalid request, empty user_id, index %zu", i);
    }
    return ERR_OK;
}

static err_t handle_register_batch(struct req *r)
{
    json_t *arr;
    err_t err = req_json(r, &arr);
    if (err)
        return err;
    if (!json_is_array(arr))
        return req_fail(r, ERR_BAD_REQUEST, "request body must be a JSON array");
    size_t n = json_array_size(arr);
    const char **ids = arena_zalloc(r->arena, (n + 1) * sizeof(*ids));
    struct user_update *us = arena_zalloc(r->arena, (n + 1) * sizeof(*us));
    err = validate_batch(r, arr, ids, us);
    if (err)
        return err;
    json_t *failures = json_object();
    for (size_t i = 0; i < n; i++) {
        if (user_register(r->app, r->arena, ids[i], &us[i]))
            json_object_set_new(failures, ids[i], json_string(""));
    }
    return req_ok(r, failures);
}

static err_t handle_server_update(struct req *r)
{
    json_t *body;
    struct user_update u;
    err_t err = req_json_object(r, &body);
    if (!err)
        err = parse_update(r, body, &u);
    if (err)
        return err;
    err = user_update_profile(r->app, r->arena, req_param(r, "id"), &u);
    if (err == ERR_NOT_FOUND)
        return req_fail(r, ERR_NOT_FOUND, NULL);
    return err ? req_fail_internal(r, err) : req_ok_empty(r);
}

static err_t handle_server_info(struct req *r)
{
    return render_one(r, req_param(r, "id"), false);
}

static err_t handle_server_infos(struct req *r)
{
    return list_by_ids(r, ERR_BAD_REQUEST, "ids cant be empty, or more than 200", false);
}

static err_t handle_server_profile(struct req *r)
{
    return render_one(r, req_param(r, "id"), true);
}

static err_t handle_server_profiles(struct req *r)
{
    /* the reference answers a bad count here with 500 / 500: kept */
    return list_by_ids(r, ERR_INTERNAL, "ids cant be empty, or more than 200", true);
}

/* Profile and user lookups are tried on the event thread first (ROUTE_TRY_INLINE): they only
 * read, except the profile's creation of a missing user, which never starts there. */
static const struct route user_routes[] = {
    {HTTP_GET, "/client/user/profile", handle_profile, AUTH_CLIENT, ROUTE_TRY_INLINE},
    {HTTP_GET, "/client/user/user/:id", handle_user_info, AUTH_CLIENT, ROUTE_TRY_INLINE},
    /* the iOS SDK's spelling of the same lookup */
    {HTTP_GET, "/client/user/:id", handle_user_info, AUTH_CLIENT, ROUTE_TRY_INLINE},
    {HTTP_PUT, "/client/user/user", handle_update_self, AUTH_CLIENT},
    {HTTP_GET, "/client/user/users", handle_users, AUTH_CLIENT},
    {HTTP_GET, "/client/user/imusers", handle_im_users, AUTH_CLIENT},
    {HTTP_POST, "/server/user/register", handle_register, AUTH_SERVER},
    {HTTP_POST, "/server/user/register/batch", handle_register_batch, AUTH_SERVER},
    {HTTP_PUT, "/server/user/:id", handle_server_update, AUTH_SERVER},
    {HTTP_GET, "/server/user/info/:id", handle_server_info, AUTH_SERVER},
    {HTTP_GET, "/server/user/infos", handle_server_infos, AUTH_SERVER},
    {HTTP_GET, "/server/user/profile/:id", handle_server_profile, AUTH_SERVER},
    {HTTP_GET, "/server/user/profiles", handle_server_profiles, AUTH_SERVER},
};

void user_module_register(struct app *a)
{
    struct user_mod *m = user_mod_new(a);
    router_add(a->router, user_routes, ARRAY_LEN(user_routes), m);
}
