#define LOG_MODULE "pili"

#include "clients/pili.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "clients/httpc.h"
#include "clients/qiniu_req.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/str.h"

static const char PILI_DEFAULT_ENDPOINT[] = "https://pili.qiniuapi.com";

enum { PILI_MAX_RESPONSE = 64 * 1024 };

struct pili_client {
    enum pili_security security;
    char *hub;
    char *pattern;
    char *publish_domain;
    char *publish_key; /* secret */
    int64_t publish_expire_s;
    char *rtmp_play, *flv_play, *hls_play, *playback;
    char *endpoint;
    char *ak;
    char *sk; /* secret */
    long connect_ms, total_ms;
};

static err_t parse_security(const struct conf *cf, enum pili_security *out, char *errbuf,
                            size_t errlen)
{
    const char *t = cf->pili.security_type;
    if (t[0] == '\0' || strcmp(t, "none") == 0)
        *out = PILI_SECURITY_NONE;
    else if (strcmp(t, "expiry") == 0)
        *out = PILI_SECURITY_EXPIRY;
    else if (strcmp(t, "expiry_sk") == 0)
        *out = PILI_SECURITY_EXPIRY_SK;
    else {
        snprintf(errbuf, errlen, "pili.security_type: must be none, expiry or expiry_sk");
        return ERR_CONFIG;
    }
    if (*out == PILI_SECURITY_EXPIRY && cf->pili.publish_key[0] == '\0') {
        snprintf(errbuf, errlen, "pili.publish_key: required when security_type is expiry");
        return ERR_CONFIG;
    }
    return ERR_OK;
}

err_t pili_client_new(const struct conf *cf, struct pili_client **out, char *errbuf, size_t errlen)
{
    enum pili_security sec;

    *out = NULL;
    err_t err = parse_security(cf, &sec, errbuf, errlen);
    if (err)
        return err;
    if (!strstr(cf->pili.stream_pattern, "%s")) {
        snprintf(errbuf, errlen, "pili.stream_pattern: must contain %%s");
        return ERR_CONFIG;
    }
    struct pili_client *c = xcalloc(1, sizeof(*c));
    c->security = sec;
    c->hub = xstrdup(cf->pili.hub);
    c->pattern = xstrdup(cf->pili.stream_pattern);
    c->publish_domain = xstrdup(cf->pili.publish_domain);
    c->publish_key = xstrdup(cf->pili.publish_key);
    c->publish_expire_s = cf->pili.publish_expire_s;
    c->rtmp_play = xstrdup(cf->pili.rtmp_play_url);
    c->flv_play = xstrdup(cf->pili.flv_play_url);
    c->hls_play = xstrdup(cf->pili.hls_play_url);
    c->playback = xstrdup(cf->pili.playback_url);
    c->endpoint = xstrdup(cf->pili.endpoint[0] ? cf->pili.endpoint : PILI_DEFAULT_ENDPOINT);
    c->ak = xstrdup(cf->account.access_key);
    c->sk = xstrdup(cf->account.secret_key);
    c->connect_ms = 3000;
    c->total_ms = 3000;
    *out = c;
    return ERR_OK;
}

void pili_client_free(struct pili_client **cp)
{
    struct pili_client *c = cp ? *cp : NULL;
    if (!c)
        return;
    free(c->hub);
    free(c->pattern);
    free(c->publish_domain);
    free(c->publish_key);
    free(c->rtmp_play);
    free(c->flv_play);
    free(c->hls_play);
    free(c->playback);
    free(c->endpoint);
    free(c->ak);
    free(c->sk);
    free(c);
    *cp = NULL;
}

void pili_client_set_timeouts(struct pili_client *c, long connect_ms, long total_ms)
{
    if (connect_ms > 0)
        c->connect_ms = connect_ms;
    if (total_ms > 0)
        c->total_ms = total_ms;
}

char *pili_stream_name(const struct pili_client *c, const char *live_id)
{
    const char *at = strstr(c->pattern, "%s"); /* present: checked by pili_client_new */
    return xasprintf("%.*s%s%s", (int)(at - c->pattern), c->pattern, live_id, at + 2);
}

int64_t pili_push_expire_at(const struct pili_client *c, int64_t requested, int64_t now)
{
    return requested > now ? requested : now + c->publish_expire_s;
}

char *pili_push_url(const struct pili_client *c, const char *stream, int64_t expire_at)
{
    char sign[29];
    char *path = xasprintf("/%s/%s", c->hub, stream);
    char *query = NULL;

    switch (c->security) {
    case PILI_SECURITY_NONE:
        break;
    case PILI_SECURITY_EXPIRY: {
        char *signed_part = xasprintf("%s?expire=%" PRId64, path, expire_at);
        qiniu_hmac_b64url(c->publish_key, signed_part, strlen(signed_part), sign);
        query = xasprintf("?expire=%" PRId64 "&token=%s", expire_at, sign);
        free(signed_part);
        break;
    }
    case PILI_SECURITY_EXPIRY_SK: {
        char *signed_part = xasprintf("%s?e=%" PRId64, path, expire_at);
        qiniu_hmac_b64url(c->sk, signed_part, strlen(signed_part), sign);
        query = xasprintf("?e=%" PRId64 "&token=%s:%s", expire_at, c->ak, sign);
        free(signed_part);
        break;
    }
    }
    char *url = xasprintf("rtmp://%s%s%s", c->publish_domain, path, query ? query : "");
    free(query);
    free(path);
    return url;
}

char *pili_rtmp_play_url(const struct pili_client *c, const char *stream)
{
    return xasprintf("%s/%s/%s", c->rtmp_play, c->hub, stream);
}

char *pili_flv_play_url(const struct pili_client *c, const char *stream)
{
    return xasprintf("%s/%s/%s.flv", c->flv_play, c->hub, stream);
}

char *pili_hls_play_url(const struct pili_client *c, const char *stream)
{
    return xasprintf("%s/%s/%s.m3u8", c->hls_play, c->hub, stream);
}

void pili_live_urls(const struct pili_client *c, const char *live_id, int64_t expire_at,
                    struct pili_live_urls *out)
{
    char *stream = pili_stream_name(c, live_id);
    out->push = pili_push_url(c, stream, expire_at);
    out->rtmp = pili_rtmp_play_url(c, stream);
    out->flv = pili_flv_play_url(c, stream);
    out->hls = pili_hls_play_url(c, stream);
    free(stream);
}

void pili_live_urls_free(struct pili_live_urls *u)
{
    free(u->push);
    free(u->rtmp);
    free(u->flv);
    free(u->hls);
    memset(u, 0, sizeof(*u));
}

char *pili_playback_url(const struct pili_client *c, const char *fname)
{
    return xasprintf("%s/%s", c->playback, fname);
}

char *pili_stream_title(const char *push_url)
{
    size_t end = strcspn(push_url, "?#");
    size_t start = end;
    while (start > 0 && push_url[start - 1] != '/')
        start--;
    return xstrndup(push_url + start, end - start);
}

/* Body keys as in the reference, except that the format field is spelled "format" (the
 * reference's "uint" was a typo the API ignored; an empty format means the default). */
static char *saveas_body(const char *fname, int64_t start, int64_t end)
{
    json_t *o =
        json_pack("{s:s, s:I, s:I, s:s, s:s, s:i, s:s, s:i, s:i}", "fname", fname, "start",
                  (json_int_t)start, "end", (json_int_t)end, "pipeline", "", "format", "",
                  "expireDays", 0, "notify", "", "persistentDeleteAfterDays", 0, "firstTsType", 0);
    char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    return s;
}

/* Reads `fname` from a save-as reply; falls back to the requested name when absent. */
static err_t saveas_reply(const struct httpc_resp *resp, const char *fname, char **out)
{
    json_t *root = resp->body_len ? json_loadb(resp->body, resp->body_len, 0, NULL) : NULL;
    if (resp->body_len && !json_is_object(root)) {
        json_decref(root);
        return ERR_UPSTREAM;
    }
    const char *got = json_string_value(json_object_get(root, "fname"));
    *out = xstrdup(got && got[0] ? got : fname);
    json_decref(root);
    return ERR_OK;
}

/* URL-safe Base64 of the title, the API's documented encoding. The reference used the
 * standard alphabet; both agree unless the encoding contains '+' or '/', which the default
 * pattern with numeric ids never produces. */
static char *encode_title(const char *title)
{
    size_t n = strlen(title);
    char *enc = xmalloc(base64_len(n) + 1);
    base64_encode((const unsigned char *)title, n, enc, true, true);
    return enc;
}

err_t pili_save_as(struct pili_client *c, const char *title, const char *fname, int64_t start,
                   int64_t end, char **out_fname)
{
    struct qiniu_signed sig = {0};
    struct httpc_resp resp = {0};
    err_t err = ERR_BAD_REQUEST;

    *out_fname = NULL;
    char *body = saveas_body(fname, start, end);
    char *enc = encode_title(title);
    char *url = xasprintf("%s/v2/hubs/%s/streams/%s/saveas", c->endpoint, c->hub, enc);
    if (body)
        err =
            qiniu_req_sign(c->ak, c->sk, "POST", url, "application/json", body, strlen(body), &sig);
    if (err)
        goto out;
    struct httpc_req rq = {
        .service = "pili",
        .method = "POST",
        .url = url,
        .headers = sig.headers,
        .body = body,
        .body_len = strlen(body),
        .connect_timeout_ms = c->connect_ms,
        .timeout_ms = c->total_ms,
        .max_response = PILI_MAX_RESPONSE,
    };
    err = httpc_do(&rq, &resp);
    if (err)
        log_warn("pili saveas: %s", resp.error);
    else if (resp.status < 200 || resp.status >= 400) {
        log_warn("pili saveas: HTTP %ld", resp.status);
        err = ERR_UPSTREAM;
    } else if ((err = saveas_reply(&resp, fname, out_fname)) != ERR_OK)
        log_warn("pili saveas: undecodable reply");
out:
    httpc_resp_free(&resp);
    qiniu_signed_free(&sig);
    free(url);
    free(enc);
    free(body);
    return err;
}
