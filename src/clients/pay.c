#define LOG_MODULE "pay"

#include "clients/pay.h"

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

enum { PAY_REPLY_MAX = 64 * 1024 };

struct pay_client {
    char *url;
    char *secret; /* NULL or "": calls go unsigned */
    long timeout_ms;
};

struct pay_client *pay_client_new(const struct conf *cf)
{
    if (!cf->gift.enabled)
        return NULL;
    struct pay_client *pc = xcalloc(1, sizeof(*pc));
    pc->url = xstrdup(cf->gift.gift_addr ? cf->gift.gift_addr : "");
    pc->secret = cf->gift.secret ? xstrdup(cf->gift.secret) : NULL;
    pc->timeout_ms = (long)cf->gift.timeout_ms;
    return pc;
}

void pay_client_free(struct pay_client **pp)
{
    if (!pp || !*pp)
        return;
    free((*pp)->url);
    free((*pp)->secret);
    free(*pp);
    *pp = NULL;
}

/* Reads the verdict out of a reply body. A reply without an integer code is not a payment:
 * the reference took an empty reply as paid. */
static err_t parse_reply(const struct httpc_resp *resp, struct pay_result *out)
{
    json_t *root = json_loadb(resp->body ? resp->body : "", resp->body_len, 0, NULL);
    json_t *code = json_is_object(root) ? json_object_get(root, "code") : NULL;
    json_t *msg = json_is_object(root) ? json_object_get(root, "message") : NULL;
    err_t err = ERR_UPSTREAM;

    if (json_is_integer(code)) {
        out->code = (int64_t)json_integer_value(code);
        snprintf(out->message, sizeof(out->message), "%s",
                 json_is_string(msg) ? json_string_value(msg) : "");
        err = ERR_OK;
    }
    json_decref(root);
    return err;
}

err_t pay_charge(const struct pay_client *pc, const struct pay_order *o, struct pay_result *out)
{
    char ts_hdr[HOOK_SIGN_TS_HEADER_MAX];
    char sig_hdr[HOOK_SIGN_HEADER_MAX];
    struct httpc_resp resp = {0};
    json_t *body = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "biz_id", o->biz_id, "user_id",
                             o->user_id, "live_id", o->live_id, "anchor_id", o->anchor_id,
                             "gift_id", (json_int_t)o->gift_id, "amount", (json_int_t)o->amount);
    char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    size_t text_len = text ? strlen(text) : 0;
    bool is_signed =
        hook_sign_headers(pc->secret, (int64_t)time(NULL), text, text_len, ts_hdr, sig_hdr);
    const char *headers[] = {"Content-Type: application/json", is_signed ? ts_hdr : NULL, sig_hdr,
                             NULL};
    struct httpc_req rq = {
        .service = "pay",
        .method = "POST",
        .url = pc->url,
        .headers = headers,
        .body = text,
        .body_len = text_len,
        .timeout_ms = pc->timeout_ms,
        .max_response = PAY_REPLY_MAX,
    };
    memset(out, 0, sizeof(*out));
    err_t err = httpc_do(&rq, &resp);
    if (err)
        log_warn("payment hook unreachable biz_id=%s: %s", o->biz_id, resp.error);
    else if (resp.status < 200 || resp.status > 299) {
        log_warn("payment hook status %ld biz_id=%s", resp.status, o->biz_id);
        err = ERR_UPSTREAM;
    } else if (parse_reply(&resp, out) != ERR_OK) {
        log_warn("payment hook reply undecodable biz_id=%s", o->biz_id);
        err = ERR_UPSTREAM;
    }
    httpc_resp_free(&resp);
    free(text);
    json_decref(body);
    return err;
}
