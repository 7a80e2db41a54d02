#ifndef QNLIVE_CORE_ERR_H
#define QNLIVE_CORE_ERR_H

/* The one error enum of the server. The HTTP layer maps each value to the status and body code
 * of spec 01 §4.7; the wire catalogue wins over any internal preference. */
typedef enum {
    ERR_OK = 0,
    ERR_BAD_REQUEST,   /* HTTP 400, code 400 */
    ERR_UNAUTHORIZED,  /* HTTP 401, code 401 */
    ERR_TOKEN_EXPIRED, /* HTTP 401, code 499 */
    ERR_FORBIDDEN,     /* HTTP 403, code 403 */
    ERR_NOT_FOUND,     /* HTTP 404, code 404 */
    ERR_TOO_LARGE,     /* HTTP 413, code 413: request body over the configured cap */
    ERR_EXISTS,        /* HTTP 400, code 10001 */
    ERR_ITEMS_EXCEED,  /* HTTP 400, code 20001 */
    ERR_GIFT_PAY,      /* HTTP 200, code 20002 */
    ERR_LOGIN_UNKNOWN, /* HTTP 200, code 30001 */
    ERR_UPSTREAM,    /* an IM/RTC/moderation call failed: HTTP 500 unless a route says otherwise */
    ERR_UNAVAILABLE, /* HTTP 503, code 503: database or cache unreachable */
    ERR_INTERNAL,    /* HTTP 500, code 500 */
    ERR__COUNT
} err_t;

#define MUST_USE __attribute__((warn_unused_result))

/* Stable machine name of an error, e.g. "not_found"; used in logs and metrics. */
const char *err_name(err_t e);

/* HTTP status for an error (200 for ERR_OK). */
int err_http_status(err_t e);

/* Body `code` for an error (0 for ERR_OK). */
int err_body_code(err_t e);

/* Default body `message` for an error ("" for ERR_OK). */
const char *err_default_message(err_t e);

#endif
