#include "core/qiniu_mac.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/str.h"

static const char X_QINIU_PREFIX[] = "X-Qiniu-";

struct grow {
    char *p;
    size_t len, cap;
};

static void grow_put(struct grow *g, const char *s, size_t n)
{
    if (g->len + n + 1 > g->cap) {
        g->cap = (g->len + n + 1) * 2;
        g->p = xrealloc(g->p, g->cap);
    }
    memcpy(g->p + g->len, s, n);
    g->len += n;
    g->p[g->len] = '\0';
}

static void grow_str(struct grow *g, const char *s)
{
    grow_put(g, s, strlen(s));
}

/* Canonical MIME header form: upper case first letter and each letter after '-'. */
static char *canonical_name(const char *name)
{
    char *c = xstrdup(name);
    bool upper = true;
    for (char *p = c; *p; p++) {
        *p = (char)(upper ? toupper((unsigned char)*p) : tolower((unsigned char)*p));
        upper = *p == '-';
    }
    return c;
}

struct xhdr {
    char *name;
    const char *value;
};

static int xhdr_cmp(const void *a, const void *b)
{
    return strcmp(((const struct xhdr *)a)->name, ((const struct xhdr *)b)->name);
}

/* Appends the X-Qiniu-* headers, canonicalised, first value of each name, sorted by name. */
static void append_x_headers(struct grow *g, const struct qiniu_mac_input *in)
{
    struct xhdr *h = xcalloc(in->n_x + 1, sizeof(*h));
    size_t n = 0;
    for (size_t i = 0; i < in->n_x; i++) {
        char *name = canonical_name(in->x_names[i]);
        bool dup = false;
        for (size_t j = 0; j < n; j++)
            dup = dup || strcmp(h[j].name, name) == 0;
        if (dup || !str_has_prefix(name, X_QINIU_PREFIX) ||
            strlen(name) <= sizeof(X_QINIU_PREFIX) - 1) {
            free(name);
            continue;
        }
        h[n].name = name;
        h[n].value = in->x_values[i];
        n++;
    }
    qsort(h, n, sizeof(*h), xhdr_cmp);
    for (size_t i = 0; i < n; i++) {
        grow_str(g, "\n");
        grow_str(g, h[i].name);
        grow_str(g, ": ");
        grow_str(g, h[i].value ? h[i].value : "");
        free(h[i].name);
    }
    free(h);
}

bool qiniu_mac_body_signed(const struct qiniu_mac_input *in)
{
    return in->body_len > 0 && in->content_type && in->content_type[0] &&
           strcmp(in->content_type, "application/octet-stream") != 0;
}

char *qiniu_mac_string_to_sign(const struct qiniu_mac_input *in, size_t *len)
{
    struct grow g = {0};
    grow_str(&g, in->method);
    grow_str(&g, " ");
    grow_str(&g, in->path);
    if (in->raw_query && in->raw_query[0]) {
        grow_str(&g, "?");
        grow_str(&g, in->raw_query);
    }
    grow_str(&g, "\nHost: ");
    grow_str(&g, in->host ? in->host : "");
    if (in->content_type && in->content_type[0]) {
        grow_str(&g, "\nContent-Type: ");
        grow_str(&g, in->content_type);
    }
    append_x_headers(&g, in);
    grow_str(&g, "\n\n");
    if (qiniu_mac_body_signed(in))
        grow_put(&g, in->body, in->body_len);
    *len = g.len;
    return g.p;
}

void qiniu_mac_sign(const char *sk, const struct qiniu_mac_input *in, char out[29])
{
    size_t len;
    char *msg = qiniu_mac_string_to_sign(in, &len);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    HMAC(EVP_sha1(), sk, (int)strlen(sk), (const unsigned char *)msg, len, digest, &dlen);
    free(msg);
    base64_encode(digest, dlen, out, true, true);
}

char *qiniu_mac_authorization(const char *ak, const char *sk, const struct qiniu_mac_input *in)
{
    char sign[29];
    qiniu_mac_sign(sk, in, sign);
    return xasprintf("Qiniu %s:%s", ak, sign);
}

bool qiniu_mac_verify(const char *header, const char *ak, const char *sk,
                      const struct qiniu_mac_input *in)
{
    static const char prefix[] = "Qiniu ";
    if (!header || !str_has_prefix(header, prefix) || !ak[0] || !sk[0])
        return false;
    const char *cred = header + sizeof(prefix) - 1;
    const char *colon = strchr(cred, ':');
    if (!colon)
        return false;
    bool ak_ok = str_equal_ct(cred, (size_t)(colon - cred), ak, strlen(ak));

    /* clients may drop the base64 padding: restore it before comparing */
    char given[64];
    size_t glen = strlen(colon + 1);
    if (glen + 3 > sizeof(given))
        return false;
    memcpy(given, colon + 1, glen);
    size_t missing = glen % 4 == 2 ? 2 : glen % 4 == 3 ? 1 : 0;
    memset(given + glen, '=', missing);
    glen += missing;
    char want[29];
    qiniu_mac_sign(sk, in, want);
    bool sign_ok = str_equal_ct(given, glen, want, strlen(want));
    return ak_ok && sign_ok;
}
