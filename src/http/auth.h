#ifndef QNLIVE_HTTP_AUTH_H
#define QNLIVE_HTTP_AUTH_H

/* The three auth schemes (client JWT, server Qiniu MAC, admin JWT), applied by route flag
 * before the handler runs. The HTTP layer knows only these settings and the lookups the
 * business modules install, never the application. */

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "http/req.h"

struct textcache;
struct clock;

struct http_auth {
    const char *jwt_key;       /* secret */
    bool server_enable;        /* /server routes need a Qiniu MAC signature */
    const char *server_ak;     /* MAC access key */
    const char *server_sk;     /* secret */
    int64_t token_max_ttl_s;   /* life of a client token without exp after its iat; 0 = no cap */
    const struct clock *clock; /* the business clock: token expiry */
    struct textcache *users;   /* user_id -> im_userid of recent client lookups; may be NULL */
    struct textcache *tokens;  /* token -> its verified claims (auth_tokens_new); may be NULL */
    /* Finds the live_users row of a client token: ERR_OK and *im_userid, ERR_NOT_FOUND, or a
     * store error. */
    err_t (*find_client_user)(struct req *r, const char *user_id, int64_t *im_userid);
    /* Finds the admin_user row of an admin token: ERR_OK, ERR_NOT_FOUND or a store error. */
    err_t (*find_admin_user)(struct req *r, const char *user_id);
    /* Records one admin operation (operation_log); best effort. */
    void (*log_admin_operation)(struct req *r, int status);
};

/* Checks r against its route's auth flag (settings from r->_auth) and fills r->user_id and
 * friends. Returns ERR_OK, or the error to answer with (message recorded through req_fail):
 * 401 for a bad token or an unknown user, 503 when the lookup could not reach the store. */
err_t auth_check(struct req *r) MUST_USE;

/* The cache of verified tokens for http_auth.tokens (the server makes and frees its own). */
struct textcache *auth_tokens_new(void);

#endif
