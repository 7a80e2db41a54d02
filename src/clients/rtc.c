#define LOG_MODULE "rtc"

#include "clients/rtc.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "clients/httpc.h"
#include "clients/qiniu_req.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/str.h"

static const char RTC_DEFAULT_ENDPOINT[] = "https://rtc.qiniuapi.com";
/* The SDK adds and signs this type on bodiless requests. */
static const char RTC_CONTENT_TYPE[] = "application/x-www-form-urlencoded";

enum { RTC_MAX_RESPONSE = 2 * 1024 * 1024 }; /* the reference's limit */

struct rtc_client {
    char *ak;
    char *sk; /* secret */
    char *app_id;
    char *endpoint;
    long connect_ms;
    long total_ms;
};

struct rtc_client *rtc_client_new(const struct conf *cf)
{
    struct rtc_client *c = xcalloc(1, sizeof(*c));
    c->ak = xstrdup(cf->account.access_key);
    c->sk = xstrdup(cf->account.secret_key);
    c->app_id = xstrdup(cf->rtc.app_id);
    c->endpoint = xstrdup(cf->rtc.endpoint[0] ? cf->rtc.endpoint : RTC_DEFAULT_ENDPOINT);
    c->connect_ms = 3000;
    c->total_ms = 5000;
    return c;
}

void rtc_client_free(struct rtc_client **cp)
{
    struct rtc_client *c = cp ? *cp : NULL;
    if (!c)
        return;
    free(c->ak);
    free(c->sk);
    free(c->app_id);
    free(c->endpoint);
    free(c);
    *cp = NULL;
}

void rtc_client_set_timeouts(struct rtc_client *c, long connect_ms, long total_ms)
{
    if (connect_ms > 0)
        c->connect_ms = connect_ms;
    if (total_ms > 0)
        c->total_ms = total_ms;
}

char *rtc_token_make(const char *ak, const char *sk, const char *app_id, const char *room,
                     const char *user, int64_t expire_at)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:s}", "appId", app_id, "roomName", room, "userId",
                          user, "expireAt", (json_int_t)expire_at, "permission", "user");
    char *payload = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    if (!payload)
        return NULL;
    size_t plen = strlen(payload);
    char *enc = xmalloc(base64_len(plen) + 1);
    size_t elen = base64_encode((const unsigned char *)payload, plen, enc, true, true);
    char sign[29];
    /* the HMAC covers the encoded text, not the raw JSON */
    qiniu_hmac_b64url(sk, enc, elen, sign);
    char *token = xasprintf("%s:%s:%s", ak, sign, enc);
    free(enc);
    free(payload);
    return token;
}

err_t rtc_room_token(const struct rtc_client *c, const char *room, const char *user, int64_t now,
                     char **out)
{
    *out = rtc_token_make(c->ak, c->sk, c->app_id, room, user, now + RTC_TOKEN_TTL_S);
    return *out ? ERR_OK : ERR_BAD_REQUEST;
}

/* {"users":[{"userId":"…"}, …]} → ids; other fields are ignored. */
static err_t parse_users(const char *body, size_t len, struct rtc_users *out)
{
    json_t *root = json_loadb(body, len, 0, NULL);
    json_t *users = json_object_get(root, "users");
    err_t err = ERR_UPSTREAM;
    size_t i;
    json_t *u;

    if (!json_is_object(root) || (users && !json_is_array(users)))
        goto out;
    out->ids = xcalloc(json_array_size(users) + 1, sizeof(char *));
    json_array_foreach(users, i, u)
    {
        const char *id = json_string_value(json_object_get(u, "userId"));
        if (id)
            out->ids[out->n++] = xstrdup(id);
    }
    err = ERR_OK;
out:
    json_decref(root);
    return err;
}

err_t rtc_list_users(struct rtc_client *c, const char *room, struct rtc_users *out)
{
    struct qiniu_signed sig;
    struct httpc_resp resp;

    memset(out, 0, sizeof(*out));
    /* escaped, unlike the reference, so an odd room id cannot change the path; for the usual
     * numeric ids the bytes are identical */
    char *app = url_escape(c->app_id), *rm = url_escape(room);
    char *url = xasprintf("%s/v3/apps/%s/rooms/%s/users", c->endpoint, app, rm);
    free(app);
    free(rm);
    err_t err = qiniu_req_sign(c->ak, c->sk, "GET", url, RTC_CONTENT_TYPE, NULL, 0, &sig);
    if (err) {
        log_warn("rtc list users: bad URL for room");
        free(url);
        return ERR_UPSTREAM;
    }
    struct httpc_req rq = {
        .service = "rtc",
        .method = "GET",
        .url = url,
        .headers = sig.headers,
        .connect_timeout_ms = c->connect_ms,
        .timeout_ms = c->total_ms,
        .max_response = RTC_MAX_RESPONSE,
    };
    err = httpc_do(&rq, &resp);
    if (err)
        log_warn("rtc list users: %s", resp.error);
    else if (resp.status != 200) {
        log_warn("rtc list users: HTTP %ld", resp.status);
        err = ERR_UPSTREAM;
    } else if ((err = parse_users(resp.body, resp.body_len, out)) != ERR_OK)
        log_warn("rtc list users: undecodable reply");
    httpc_resp_free(&resp);
    qiniu_signed_free(&sig);
    free(url);
    return err;
}

bool rtc_users_contains(const struct rtc_users *u, const char *user_id)
{
    for (size_t i = 0; i < u->n; i++) {
        if (strcmp(u->ids[i], user_id) == 0)
            return true;
    }
    return false;
}

void rtc_users_free(struct rtc_users *u)
{
    for (size_t i = 0; i < u->n; i++)
        free(u->ids[i]);
    free(u->ids);
    u->ids = NULL;
    u->n = 0;
}
