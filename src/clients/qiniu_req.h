#ifndef QNLIVE_CLIENTS_QINIU_REQ_H
#define QNLIVE_CLIENTS_QINIU_REQ_H

/* Headers for an outbound call signed with the account's Qiniu MAC. The Host header is set
 * explicitly to the value that was signed, so libcurl cannot send a different one (e.g. with or
 * without a default port). */

#include <stddef.h>

#include "core/err.h"

struct qiniu_signed {
    char *host;             /* "Host: <host[:port]>" (heap) */
    char *content_type;     /* "Content-Type: <ct>" (heap) or NULL */
    char *authorization;    /* "Authorization: Qiniu <ak>:<sign>" (heap); secret, never log it */
    const char *headers[4]; /* the lines above, NULL-terminated: pass as httpc_req.headers */
};

/* Signs `method url` with `content_type` (NULL = none) and `body` (may be NULL) under ak/sk and
 * fills *out (free with qiniu_signed_free). ERR_BAD_REQUEST when the URL cannot be parsed. */
err_t qiniu_req_sign(const char *ak, const char *sk, const char *method, const char *url,
                     const char *content_type, const char *body, size_t body_len,
                     struct qiniu_signed *out) MUST_USE;

/* URL-safe Base64 with padding of HMAC-SHA1(key, msg[0..len)) into out (28 chars + NUL): the
 * encoding every Qiniu token and URL signature uses. */
void qiniu_hmac_b64url(const char *key, const char *msg, size_t len, char out[29]);

/* Frees the strings of *s and zeroes it; accepts a zeroed struct. */
void qiniu_signed_free(struct qiniu_signed *s);

#endif
