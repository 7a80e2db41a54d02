#define LOG_MODULE "webhook"

#include "clients/webhook.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clients/hook_sign.h"
#include "clients/httpc.h"
#include "core/config.h"
#include "core/log.h"
#include "core/mem.h"

struct webhook_client {
    char *addr;
    char *secret; /* NULL or "": events go unsigned */
};

struct webhook_client *webhook_client_new(const struct conf *cf)
{
    if (!cf->callback.addr || !cf->callback.addr[0])
        return NULL;
    struct webhook_client *wc = xcalloc(1, sizeof(*wc));
    wc->addr = xstrdup(cf->callback.addr);
    wc->secret = cf->callback.secret ? xstrdup(cf->callback.secret) : NULL;
    return wc;
}

void webhook_client_free(struct webhook_client **wp)
{
    if (!wp || !*wp)
        return;
    free((*wp)->addr);
    free((*wp)->secret);
    free(*wp);
    *wp = NULL;
}

/* A 2xx reply whose JSON object has code 0; the reference also accepted 3xx, but curl does
 * not follow redirects here, so a 3xx means the event did not reach the business server. */
static err_t judge_reply(const struct httpc_resp *resp, char *errbuf, size_t errlen)
{
    json_t *root;
    json_t *code;
    err_t err = ERR_UPSTREAM;

    if (resp->status < 200 || resp->status > 299) {
        snprintf(errbuf, errlen, "http status %ld", resp->status);
        return ERR_UPSTREAM;
    }
    root = json_loadb(resp->body ? resp->body : "", resp->body_len, 0, NULL);
    code = json_is_object(root) ? json_object_get(root, "code") : NULL;
    if (!json_is_integer(code))
        snprintf(errbuf, errlen, "reply is not {\"code\":int}");
    else if (json_integer_value(code) != 0)
        snprintf(errbuf, errlen, "reply code %" PRId64, (int64_t)json_integer_value(code));
    else
        err = ERR_OK;
    json_decref(root);
    return err;
}

err_t webhook_post(const struct webhook_client *wc, int64_t event_id, const char *type,
                   const char *body_json, char *errbuf, size_t errlen)
{
    struct httpc_resp resp = {0};
    char id_hdr[64];
    char ts_hdr[HOOK_SIGN_TS_HEADER_MAX];
    char sig_hdr[HOOK_SIGN_HEADER_MAX];
    json_t *body = json_loads(body_json, JSON_DECODE_ANY, NULL);
    err_t err;

    if (!body) {
        snprintf(errbuf, errlen, "stored body is not JSON");
        return ERR_BAD_REQUEST;
    }
    json_t *ev = json_pack("{s:s, s:o}", "type", type, "body", body);
    char *text = json_dumps(ev, JSON_COMPACT);
    json_decref(ev);
    snprintf(id_hdr, sizeof(id_hdr), "X-Qnlive-Event-Id: %" PRId64, event_id);
    bool is_signed =
        hook_sign_headers(wc->secret, (int64_t)time(NULL), text, strlen(text), ts_hdr, sig_hdr);
    const char *headers[] = {"Content-Type: application/json", id_hdr, is_signed ? ts_hdr : NULL,
                             sig_hdr, NULL};
    struct httpc_req rq = {
        .service = "callback",
        .method = "POST",
        .url = wc->addr,
        .headers = headers,
        .body = text,
        .body_len = strlen(text),
        .connect_timeout_ms = WEBHOOK_CONNECT_TIMEOUT_MS,
        .timeout_ms = WEBHOOK_TIMEOUT_MS,
        .max_response = WEBHOOK_MAX_RESPONSE,
    };
    err = httpc_do(&rq, &resp);
    if (err)
        snprintf(errbuf, errlen, "transport: %s", resp.error);
    else
        err = judge_reply(&resp, errbuf, errlen);
    httpc_resp_free(&resp);
    free(text);
    return err;
}
