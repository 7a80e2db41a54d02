#ifndef QNLIVE_CLIENTS_HOOK_SIGN_H
#define QNLIVE_CLIENTS_HOOK_SIGN_H

/* Signatures on the calls qnlive makes to the business server (the payment hook and the
 * business callbacks), so the receiver can tell them from forgeries:
 *
 *   X-Qnlive-Timestamp: <unix seconds>
 *   X-Qnlive-Signature: sha256=<lowercase hex of HMAC-SHA256(secret, "<timestamp>." + body)>
 *
 * The receiver recomputes the HMAC over the timestamp header, a dot and the raw body bytes,
 * compares in constant time and rejects timestamps too far from its clock (replays). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    HOOK_SIGN_TS_HEADER_MAX = 48,
    HOOK_SIGN_HEADER_MAX = 96, /* "X-Qnlive-Signature: sha256=" + 64 hex digits */
};

/* The two headers as "Name: value" lines for a body of len bytes signed at `ts` with
 * `secret`. Returns false (headers left empty) when secret is NULL or "": signing is off. */
bool hook_sign_headers(const char *secret, int64_t ts, const char *body, size_t len,
                       char ts_header[HOOK_SIGN_TS_HEADER_MAX],
                       char sig_header[HOOK_SIGN_HEADER_MAX]);

#endif
