#define LOG_MODULE "qiniu_req"

#include "clients/qiniu_req.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/qiniu_mac.h"
#include "core/str.h"

/* The pieces of `url` that the signature covers: the decoded path, the raw query and the
 * host with the port exactly as written (none when the URL has none). */
struct url_parts {
    char *host, *port, *path, *query;
};

static void url_parts_free(struct url_parts *u)
{
    curl_free(u->host);
    curl_free(u->port);
    curl_free(u->path);
    curl_free(u->query);
    memset(u, 0, sizeof(*u));
}

static err_t url_split(const char *url, struct url_parts *out)
{
    err_t err = ERR_BAD_REQUEST;
    CURLU *u = curl_url();

    memset(out, 0, sizeof(*out));
    if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
        goto out;
    if (curl_url_get(u, CURLUPART_HOST, &out->host, 0) != CURLUE_OK)
        goto out;
    if (curl_url_get(u, CURLUPART_PATH, &out->path, CURLU_URLDECODE) != CURLUE_OK)
        goto out;
    /* absent port / query are not errors: both parts simply stay NULL */
    (void)curl_url_get(u, CURLUPART_PORT, &out->port, 0);
    (void)curl_url_get(u, CURLUPART_QUERY, &out->query, 0);
    err = ERR_OK;
out:
    if (err)
        url_parts_free(out);
    curl_url_cleanup(u);
    return err;
}

err_t qiniu_req_sign(const char *ak, const char *sk, const char *method, const char *url,
                     const char *content_type, const char *body, size_t body_len,
                     struct qiniu_signed *out)
{
    struct url_parts u;
    char *host;
    size_t n = 0;

    memset(out, 0, sizeof(*out));
    err_t err = url_split(url, &u);
    if (err)
        return err;
    host = u.port ? xasprintf("%s:%s", u.host, u.port) : xstrdup(u.host);
    struct qiniu_mac_input in = {
        .method = method,
        .path = u.path,
        .raw_query = u.query,
        .host = host,
        .content_type = content_type,
        .body = body,
        .body_len = body ? body_len : 0,
    };
    char *auth = qiniu_mac_authorization(ak, sk, &in);
    out->host = xasprintf("Host: %s", host);
    out->headers[n++] = out->host;
    if (content_type && content_type[0]) {
        out->content_type = xasprintf("Content-Type: %s", content_type);
        out->headers[n++] = out->content_type;
    }
    out->authorization = xasprintf("Authorization: %s", auth);
    out->headers[n++] = out->authorization;
    out->headers[n] = NULL;
    free(auth);
    free(host);
    url_parts_free(&u);
    return ERR_OK;
}

void qiniu_signed_free(struct qiniu_signed *s)
{
    if (!s)
        return;
    free(s->host);
    free(s->content_type);
    free(s->authorization);
    memset(s, 0, sizeof(*s));
}

void qiniu_hmac_b64url(const char *key, const char *msg, size_t len, char out[29])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;

    HMAC(EVP_sha1(), key, (int)strlen(key), (const unsigned char *)msg, len, md, &md_len);
    base64_encode(md, md_len, out, true, true);
}
