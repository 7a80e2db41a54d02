#include "core/jwt.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/mem.h"
#include "core/str.h"

/* base64url of {"alg":"HS256","typ":"JWT"}: the only header this server issues or accepts */
static const char JWT_HEADER_B64[] = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

enum { JWT_TOKEN_MAX = 8192 };

/* OpenSSL 3's one-shot HMAC() looks the algorithm up on every call, most of its cost for a
 * token-sized message: each thread keeps a context keyed once, re-initialised for each use. */
struct hmac_slot {
    EVP_MAC_CTX *ctx;
    char *key;
};

static EVP_MAC *hmac_alg;
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;
static pthread_key_t hmac_tls;

static void hmac_slot_free(void *p)
{
    struct hmac_slot *t = p;
    EVP_MAC_CTX_free(t->ctx);
    free(t->key);
    free(t);
}

static void hmac_setup(void)
{
    hmac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (pthread_key_create(&hmac_tls, hmac_slot_free) != 0)
        hmac_alg = NULL; /* every call takes the one-shot path */
}

/* This thread's context keyed with `key`, ready for input; NULL when OpenSSL refuses. */
static EVP_MAC_CTX *keyed_ctx(const char *key)
{
    pthread_once(&hmac_once, hmac_setup);
    if (!hmac_alg)
        return NULL;
    struct hmac_slot *t = pthread_getspecific(hmac_tls);
    if (!t) {
        t = xcalloc(1, sizeof(*t));
        pthread_setspecific(hmac_tls, t);
    }
    if (t->ctx && strcmp(t->key, key) == 0)
        return EVP_MAC_init(t->ctx, NULL, 0, NULL) ? t->ctx : NULL; /* the same key again */
    EVP_MAC_CTX_free(t->ctx);
    free(t->key);
    t->key = xstrdup(key);
    t->ctx = EVP_MAC_CTX_new(hmac_alg);
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
                           OSSL_PARAM_construct_end()};
    if (t->ctx && EVP_MAC_init(t->ctx, (const unsigned char *)key, strlen(key), params))
        return t->ctx;
    EVP_MAC_CTX_free(t->ctx);
    t->ctx = NULL;
    return NULL;
}

static void hs256(const char *key, const char *msg, size_t len, unsigned char out[32])
{
    EVP_MAC_CTX *c = keyed_ctx(key);
    size_t n = 0;
    unsigned int dlen = 0;
    if (c && EVP_MAC_update(c, (const unsigned char *)msg, len) && EVP_MAC_final(c, out, &n, 32) &&
        n == 32)
        return;
    HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)msg, len, out, &dlen);
}

static char *b64url(const char *data, size_t n)
{
    char *out = xmalloc(base64_len(n) + 1);
    base64_encode((const unsigned char *)data, n, out, true, false);
    return out;
}

char *jwt_sign(const char *key, const struct jwt_claims *c)
{
    json_t *claims = json_object();
    json_object_set_new(claims, "exp", json_integer(c->exp));
    json_object_set_new(claims, "AppId", json_string(c->app_id));
    json_object_set_new(claims, "UserId", json_string(c->user_id));
    json_object_set_new(claims, "DeviceId", json_string(c->device_id));
    json_object_set_new(claims, "Role", json_string(c->role));
    char *payload = json_dumps(claims, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(claims);

    char *payload_b64 = b64url(payload, strlen(payload));
    free(payload);
    char *signing = xasprintf("%s.%s", JWT_HEADER_B64, payload_b64);
    free(payload_b64);
    unsigned char mac[32];
    hs256(key, signing, strlen(signing), mac);
    char *sig = b64url((const char *)mac, sizeof(mac));
    char *token = xasprintf("%s.%s", signing, sig);
    free(signing);
    free(sig);
    return token;
}

/* Decodes one base64url segment into a NUL-terminated heap buffer. */
static char *segment_decode(const char *s, size_t n, size_t *out_len)
{
    char *buf = xmalloc(n * 3 / 4 + 4);
    size_t len;
    if (!base64_decode(s, n, (unsigned char *)buf, &len)) {
        free(buf);
        return NULL;
    }
    buf[len] = '\0';
    if (out_len)
        *out_len = len;
    return buf;
}

static bool header_is_hs256(const char *seg, size_t n)
{
    char *text = segment_decode(seg, n, NULL);
    if (!text)
        return false;
    json_t *h = json_loads(text, 0, NULL);
    free(text);
    const char *alg = json_string_value(json_object_get(h, "alg"));
    bool ok = json_is_object(h) && alg && strcmp(alg, "HS256") == 0;
    json_decref(h);
    return ok;
}

static bool copy_claim(json_t *v, char *dst)
{
    if (!json_is_string(v) || json_string_length(v) >= JWT_FIELD_MAX)
        return false;
    memcpy(dst, json_string_value(v), json_string_length(v) + 1);
    return true;
}

/* Claim names match case-insensitively and unknown claims are ignored, as in the reference;
 * a null claim is an absent one (a signed `"exp": null` never expires, like the reference's);
 * any other wrong type fails. iat/nbf in the future make the token invalid. */
static err_t claims_decode(json_t *o, int64_t now, struct jwt_claims *out)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        bool ok = true;
        if (json_is_null(v))
            continue;
        if (strcasecmp(k, "exp") == 0)
            ok = json_is_integer(v) && (out->exp = json_integer_value(v), true);
        else if (strcasecmp(k, "iat") == 0)
            ok = json_is_integer(v) && (out->iat = json_integer_value(v)) <= now;
        else if (strcasecmp(k, "nbf") == 0)
            ok = json_is_integer(v) && json_integer_value(v) <= now;
        else if (strcasecmp(k, "AppId") == 0)
            ok = copy_claim(v, out->app_id);
        else if (strcasecmp(k, "UserId") == 0)
            ok = copy_claim(v, out->user_id);
        else if (strcasecmp(k, "DeviceId") == 0)
            ok = copy_claim(v, out->device_id);
        else if (strcasecmp(k, "Role") == 0)
            ok = copy_claim(v, out->role);
        if (!ok)
            return ERR_UNAUTHORIZED;
    }
    return ERR_OK;
}

static bool signature_ok(const char *key, const char *token, size_t signed_len, const char *sig,
                         size_t sig_len)
{
    unsigned char want[32];
    hs256(key, token, signed_len, want);
    size_t got_len = 0;
    char *got = segment_decode(sig, sig_len, &got_len);
    bool ok = got && str_equal_ct(got, got_len, (const char *)want, sizeof(want));
    free(got);
    return ok;
}

err_t jwt_verify(const char *key, const char *token, int64_t now, struct jwt_claims *out)
{
    memset(out, 0, sizeof(*out));
    if (!token || strlen(token) > JWT_TOKEN_MAX)
        return ERR_UNAUTHORIZED;
    const char *dot1 = strchr(token, '.');
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (!dot2 || strchr(dot2 + 1, '.'))
        return ERR_UNAUTHORIZED;
    if (!header_is_hs256(token, (size_t)(dot1 - token)))
        return ERR_UNAUTHORIZED;
    /* the signature is checked before exp: a forged token is never reported as expired */
    if (!signature_ok(key, token, (size_t)(dot2 - token), dot2 + 1, strlen(dot2 + 1)))
        return ERR_UNAUTHORIZED;

    char *payload = segment_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), NULL);
    json_t *o = payload ? json_loads(payload, JSON_REJECT_DUPLICATES, NULL) : NULL;
    free(payload);
    err_t err = json_is_object(o) ? claims_decode(o, now, out) : ERR_UNAUTHORIZED;
    json_decref(o);
    if (!err && out->exp != 0 && now > out->exp)
        err = ERR_TOKEN_EXPIRED;
    return err;
}
