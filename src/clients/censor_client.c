#define LOG_MODULE "censor"

#include "clients/censor_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clients/httpc.h"
#include "clients/qiniu_req.h"
#include "core/log.h"
#include "core/mem.h"

enum { CENSOR_MAX_RESPONSE = 1024 * 1024, CENSOR_CONNECT_MS = 3000 };

struct censor_client {
    char *endpoint;
    char *ak;
    char *sk; /* secret */
    long timeout_ms;
};

struct censor_client *censor_client_new(const struct conf *cf)
{
    struct censor_client *c = xmalloc(sizeof(*c));
    const char *ep = cf->censor.endpoint && cf->censor.endpoint[0] ? cf->censor.endpoint
                                                                   : "http://ai.qiniuapi.com";
    size_t n = strlen(ep);
    while (n > 0 && ep[n - 1] == '/')
        n--; /* "<endpoint>/v3/..." must not get a doubled slash, which would change the path */
    c->endpoint = xasprintf("%.*s", (int)n, ep);
    c->ak = xstrdup(cf->account.access_key ? cf->account.access_key : "");
    c->sk = xstrdup(cf->account.secret_key ? cf->account.secret_key : "");
    c->timeout_ms = cf->censor.timeout_ms > 0 ? (long)cf->censor.timeout_ms : 5000;
    return c;
}

void censor_client_free(struct censor_client **cp)
{
    struct censor_client *c = *cp;
    if (!c)
        return;
    free(c->endpoint);
    free(c->ak);
    free(c->sk);
    free(c);
    *cp = NULL;
}

/* Judges a reply: HTTP 2xx/3xx, a JSON object, code 0 (absent counts as 0). The text of an
 * error is the service's message, or its `error` field, or the HTTP status. */
static err_t judge(const struct httpc_resp *resp, json_t **root, char *errbuf, size_t errlen)
{
    *root = resp->body_len ? json_loadb(resp->body, resp->body_len, 0, NULL) : NULL;
    const char *msg = json_string_value(json_object_get(*root, "message"));
    if (!msg || !msg[0])
        msg = json_string_value(json_object_get(*root, "error"));
    if (resp->status < 200 || resp->status >= 400) {
        snprintf(errbuf, errlen, "%s", msg && msg[0] ? msg : "moderation service HTTP error");
        return ERR_UPSTREAM;
    }
    if (!json_is_object(*root)) {
        snprintf(errbuf, errlen, "undecodable moderation reply");
        return ERR_UPSTREAM;
    }
    json_int_t code = json_integer_value(json_object_get(*root, "code"));
    if (code != 0) {
        snprintf(errbuf, errlen, "%s", msg && msg[0] ? msg : "moderation service error");
        return ERR_UPSTREAM;
    }
    return ERR_OK;
}

/* Signs and sends one JSON POST to <endpoint><path>; *root receives the judged reply object. */
static err_t post(struct censor_client *c, const char *path, json_t *body, json_t **root,
                  char *errbuf, size_t errlen)
{
    struct qiniu_signed sig = {0};
    struct httpc_resp resp = {0};
    char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    char *url = xasprintf("%s%s", c->endpoint, path);
    err_t err = ERR_BAD_REQUEST;

    *root = NULL;
    snprintf(errbuf, errlen, "cannot sign the moderation request");
    if (text)
        err =
            qiniu_req_sign(c->ak, c->sk, "POST", url, "application/json", text, strlen(text), &sig);
    if (err)
        goto out;
    struct httpc_req rq = {
        .service = "censor",
        .method = "POST",
        .url = url,
        .headers = sig.headers,
        .body = text,
        .body_len = strlen(text),
        .connect_timeout_ms = CENSOR_CONNECT_MS,
        .timeout_ms = c->timeout_ms,
        .max_response = CENSOR_MAX_RESPONSE,
    };
    err = httpc_do(&rq, &resp);
    if (err)
        snprintf(errbuf, errlen, "%s",
                 resp.error[0] ? resp.error : "moderation service unreachable");
    else
        err = judge(&resp, root, errbuf, errlen);
    if (err)
        log_warn("moderation %s: %s", path, errbuf);
out:
    if (err) {
        json_decref(*root);
        *root = NULL;
    }
    httpc_resp_free(&resp);
    qiniu_signed_free(&sig);
    free(url);
    free(text);
    return err;
}

/* The enabled scenes in the API's fixed order. */
static json_t *scenes_json(const struct censor_job_spec *s)
{
    json_t *a = json_array();
    if (s->pulp)
        json_array_append_new(a, json_string("pulp"));
    if (s->terror)
        json_array_append_new(a, json_string("terror"));
    if (s->politician)
        json_array_append_new(a, json_string("politician"));
    if (s->ads)
        json_array_append_new(a, json_string("ads"));
    return a;
}

static json_t *create_body(const struct censor_job_spec *s)
{
    json_t *image = json_pack("{s:b, s:o, s:I, s:{s:s, s:s}, s:i}", "is_on", 1, "scenes",
                              scenes_json(s), "interval_msecs", (json_int_t)(s->interval_s * 1000),
                              "saver", "bucket", s->bucket, "prefix", "", "hook_rule", 0);
    return json_pack("{s:{s:s, s:s, s:s}, s:{s:o, s:s, s:b}}", "data", "id", s->id, "uri", s->uri,
                     "info", "", "params", "image", image, "hook_url", s->hook_url, "hook_auth", 0);
}

err_t censor_job_create(struct censor_client *c, const struct censor_job_spec *spec, char **job_id,
                        char *errbuf, size_t errlen)
{
    json_t *root = NULL;
    json_t *body = create_body(spec);
    *job_id = NULL;
    err_t err = post(c, "/v3/live/censor", body, &root, errbuf, errlen);
    json_decref(body);
    if (err)
        return err;
    const char *job = json_string_value(json_object_get(json_object_get(root, "data"), "job"));
    if (job && job[0])
        *job_id = xstrdup(job);
    else {
        snprintf(errbuf, errlen, "moderation reply without a job id"); /* never store "" */
        err = ERR_UPSTREAM;
    }
    json_decref(root);
    return err;
}

err_t censor_job_close(struct censor_client *c, const char *job_id, char *errbuf, size_t errlen)
{
    json_t *root = NULL;
    json_t *body = json_pack("{s:s}", "job", job_id);
    err_t err = post(c, "/v3/live/censor/close", body, &root, errbuf, errlen);
    json_decref(body);
    json_decref(root);
    return err;
}

err_t censor_call(struct censor_client *c, const char *op, json_t *body, json_t **data,
                  char *errbuf, size_t errlen)
{
    json_t *root = NULL;
    char path[64];
    snprintf(path, sizeof(path), "/v3/live/censor/%s", op);
    *data = NULL;
    err_t err = post(c, path, body, &root, errbuf, errlen);
    if (err)
        return err;
    json_t *d = json_object_get(root, "data");
    *data = d ? json_incref(d) : json_null();
    json_decref(root);
    return ERR_OK;
}
