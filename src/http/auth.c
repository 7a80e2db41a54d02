#define LOG_MODULE "auth"
#include "http/auth.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/jwt.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/qiniu_mac.h"
#include "core/str.h"
#include "core/textcache.h"

enum { X_HEADERS_MAX = 16 };

struct x_headers {
    const char *names[X_HEADERS_MAX];
    const char *values[X_HEADERS_MAX];
    size_t n;
};

static void collect_x_header(void *ud, const char *key, const char *value)
{
    struct x_headers *x = ud;
    if (strncasecmp(key, "X-Qiniu-", 8) == 0 && x->n < X_HEADERS_MAX) {
        x->names[x->n] = key;
        x->values[x->n] = value;
        x->n++;
    }
}

/* The MAC leaves out a body sent without a Content-Type or as application/octet-stream, so a
 * captured signature would carry any such body: the body must be one the signature covers. */
static err_t refuse_unsigned_body(struct req *r, const struct qiniu_mac_input *in)
{
    if (in->body_len == 0 || qiniu_mac_body_signed(in))
        return ERR_OK;
    return req_fail(r, ERR_UNAUTHORIZED,
                    "the signature does not cover the body: send it with "
                    "a Content-Type such as application/json");
}

static err_t check_server(struct req *r)
{
    const struct http_auth *au = r->_auth;
    if (!au->server_enable)
        return ERR_OK;
    struct x_headers x = {0};
    req_each_header(r, collect_x_header, &x);
    struct qiniu_mac_input in = {
        .method = r->method,
        .path = r->path,
        .raw_query = r->raw_query,
        .host = req_header(r, "Host"),
        .content_type = req_header(r, "Content-Type"),
        .x_names = x.names,
        .x_values = x.values,
        .n_x = x.n,
        .body = r->body,
        .body_len = r->body_len,
    };
    if (!qiniu_mac_verify(req_header(r, "Authorization"), au->server_ak, au->server_sk, &in))
        return req_fail(r, ERR_UNAUTHORIZED, NULL);
    return refuse_unsigned_body(r, &in);
}

/* A token without exp never expires in the reference. With auth.token_max_ttl_s set (the
 * default), such a token lives at most that long after its iat; without iat its age is
 * unknown and it is refused. */
static err_t cap_token_without_exp(struct req *r, const struct jwt_claims *c)
{
    int64_t cap = r->_auth->token_max_ttl_s;
    if (c->exp != 0 || cap == 0)
        return ERR_OK;
    if (c->iat <= 0)
        return req_fail(r, ERR_UNAUTHORIZED, "token without exp must carry iat");
    if (clock_now_s(r->_auth->clock) - c->iat > cap)
        return req_fail(r, ERR_TOKEN_EXPIRED, NULL);
    return ERR_OK;
}

/* A client sends the same token with every request: the claims of a token whose signature
 * was checked are kept, keyed by the whole token, so only those very bytes hit and skip the
 * HMAC and the decoding. exp is checked on every use all the same. */
enum { TOKENS_CAPACITY = 8192, TOKENS_TTL_MS = 60 * 1000 };

struct textcache *auth_tokens_new(void)
{
    return textcache_new(TOKENS_CAPACITY, TOKENS_TTL_MS);
}

/* exp and iat as 8 raw bytes each, then app_id, user_id, device_id and role, NUL-terminated. */
static void remember_claims(struct textcache *tokens, const char *token, const struct jwt_claims *c)
{
    const char *strs[] = {c->app_id, c->user_id, c->device_id, c->role};
    char buf[2 * sizeof(int64_t) + sizeof(strs) / sizeof(strs[0]) * JWT_FIELD_MAX];
    size_t n = 0;
    memcpy(buf, &c->exp, sizeof(c->exp));
    memcpy(buf + sizeof(c->exp), &c->iat, sizeof(c->iat));
    n = 2 * sizeof(int64_t);
    for (size_t i = 0; i < ARRAY_LEN(strs); i++) {
        size_t len = strlen(strs[i]) + 1;
        memcpy(buf + n, strs[i], len);
        n += len;
    }
    textcache_put(tokens, token, 0, buf, n);
}

static bool recall_claims(struct textcache *tokens, struct arena *ar, const char *token,
                          struct jwt_claims *c)
{
    const char *text, *end;
    size_t len;
    if (!tokens || !textcache_peek(tokens, token, ar, &text, &len) || len < 2 * sizeof(int64_t))
        return false;
    char *dst[] = {c->app_id, c->user_id, c->device_id, c->role};
    memcpy(&c->exp, text, sizeof(c->exp));
    memcpy(&c->iat, text + sizeof(c->exp), sizeof(c->iat));
    end = text + len;
    text += 2 * sizeof(int64_t);
    for (size_t i = 0; i < ARRAY_LEN(dst); i++) {
        const char *nul = memchr(text, '\0', (size_t)(end - text));
        if (!nul || (size_t)(nul - text) >= JWT_FIELD_MAX)
            return false;
        memcpy(dst[i], text, (size_t)(nul - text) + 1);
        text = nul + 1;
    }
    return true;
}

/* Verifies the bearer-less JWT of the Authorization header. */
static err_t verify_token(struct req *r, struct jwt_claims *c)
{
    const struct http_auth *au = r->_auth;
    const char *token = req_header(r, "Authorization");
    int64_t now = clock_now_s(au->clock);
    if (!token || !token[0])
        return req_fail(r, ERR_UNAUTHORIZED, NULL);
    err_t err = ERR_OK;
    if (!recall_claims(au->tokens, r->arena, token, c)) {
        err = jwt_verify(au->jwt_key, token, now, c);
        if (!err && au->tokens)
            remember_claims(au->tokens, token, c);
    } else if (c->exp != 0 && now > c->exp) {
        err = ERR_TOKEN_EXPIRED; /* as jwt_verify answers a good signature past its exp */
    }
    if (err)
        return req_fail(r, err, NULL);
    return cap_token_without_exp(r, c);
}

static void auth_cache_put(const struct http_auth *au, const char *user_id, int64_t im_userid)
{
    char text[24];
    int n = snprintf(text, sizeof(text), "%lld", (long long)im_userid);
    textcache_put(au->users, user_id, 0, text, (size_t)n);
}

/* The live_users row behind a client token, through the short-lived positive cache (an IM id
 * registered meanwhile shows within the cache's lifetime). */
static err_t find_client_user(struct req *r, const char *user_id, int64_t *im_userid)
{
    const struct http_auth *au = r->_auth;
    const char *text;
    size_t len;
    if (au->users && textcache_get(au->users, user_id, 0, r->arena, &text, &len) &&
        strn_to_i64(text, len, INT64_MIN, INT64_MAX, im_userid))
        return ERR_OK;
    if (!au->find_client_user)
        return ERR_NOT_FOUND;
    err_t err = au->find_client_user(r, user_id, im_userid);
    if (!err && au->users)
        auth_cache_put(au, user_id, *im_userid);
    return err;
}

/* Only a store that answered "no such user" makes a 401: a client takes 401 as "log in
 * again", which is wrong while the database is merely unreachable (that is a 503). */
static err_t lookup_failed(struct req *r, const char *what, const char *user_id, err_t err)
{
    if (err == ERR_NOT_FOUND)
        return req_fail(r, ERR_UNAUTHORIZED, NULL);
    if (err == ERR_WOULD_BLOCK)
        return req_fail(r, err, NULL); /* not a failure: the lookup runs again off this thread */
    log_warn("%s lookup failed user=%s err=%s", what, user_id, err_name(err));
    return req_fail_internal(r, err);
}

static err_t check_client(struct req *r)
{
    struct jwt_claims c;
    err_t err = verify_token(r, &c);
    if (err)
        return err;
    int64_t im_userid = 0;
    err = find_client_user(r, c.user_id, &im_userid);
    if (err)
        return lookup_failed(r, "client user", c.user_id, err);
    r->user_id = arena_strdup(r->arena, c.user_id);
    r->app_id = arena_strdup(r->arena, c.app_id);
    r->device_id = arena_strdup(r->arena, c.device_id);
    r->role = arena_strdup(r->arena, c.role);
    r->im_userid = im_userid;
    return ERR_OK;
}

static err_t check_admin(struct req *r)
{
    struct jwt_claims c;
    err_t err = verify_token(r, &c);
    if (err)
        return err;
    if (strcmp(c.role, "admin") != 0)
        return req_fail(r, ERR_FORBIDDEN, NULL);
    if (!r->_auth->find_admin_user)
        return req_fail(r, ERR_UNAUTHORIZED, NULL);
    err = r->_auth->find_admin_user(r, c.user_id);
    if (err)
        return lookup_failed(r, "admin", c.user_id, err);
    r->user_id = arena_strdup(r->arena, c.user_id);
    r->role = arena_strdup(r->arena, c.role);
    return ERR_OK;
}

err_t auth_check(struct req *r)
{
    switch (r->match.route->auth) {
    case AUTH_NONE:
        return ERR_OK;
    case AUTH_CLIENT:
        return check_client(r);
    case AUTH_SERVER:
        return check_server(r);
    case AUTH_ADMIN:
        return check_admin(r);
    }
    return req_fail(r, ERR_INTERNAL, NULL);
}
