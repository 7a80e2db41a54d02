#ifndef QNLIVE_CORE_QINIU_MAC_H
#define QNLIVE_CORE_QINIU_MAC_H

/* Qiniu MAC ("Authorization: Qiniu AK:SIGN"): used to verify
 * /server requests and to sign outbound calls to Qiniu services. */

#include <stdbool.h>
#include <stddef.h>

struct qiniu_mac_input {
    const char *method;
    const char *path;         /* percent-decoded request path */
    const char *raw_query;    /* as received, without '?'; NULL or "" when none */
    const char *host;         /* Host header as sent/received */
    const char *content_type; /* NULL or "" when absent */
    /* X-Qiniu-* headers, any case, as name/value pairs; the signer canonicalises and sorts */
    const char *const *x_names;
    const char *const *x_values;
    size_t n_x;
    const char *body;
    size_t body_len;
};

/* Computes SIGN (base64url with padding of HMAC-SHA1(sk, string-to-sign)) into out, which must
 * hold 29 bytes. */
void qiniu_mac_sign(const char *sk, const struct qiniu_mac_input *in, char out[29]);

/* True when the signature covers the body: a non-empty body sent with a Content-Type other
 * than application/octet-stream. */
bool qiniu_mac_body_signed(const struct qiniu_mac_input *in);

/* Returns a heap string "Qiniu <ak>:<sign>". */
char *qiniu_mac_authorization(const char *ak, const char *sk, const struct qiniu_mac_input *in);

/* Checks an Authorization header value against ak/sk in constant time; accepts a SIGN whose
 * '=' padding was dropped. */
bool qiniu_mac_verify(const char *header, const char *ak, const char *sk,
                      const struct qiniu_mac_input *in);

/* The string to sign (heap), exposed for tests and debugging. */
char *qiniu_mac_string_to_sign(const struct qiniu_mac_input *in, size_t *len);

#endif
