#ifndef QNLIVE_CORE_JWT_H
#define QNLIVE_CORE_JWT_H

/* Client and admin tokens: compact JWS, HS256 only, claims emitted in the
 * reference's order {"exp","AppId","UserId","DeviceId","Role"} so tokens are byte-identical.
 * Hand-written on OpenSSL HMAC because a generic JWT library cannot pin that claim order. */

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define JWT_FIELD_MAX 1024

struct jwt_claims {
    int64_t exp; /* Unix seconds; 0 = absent */
    int64_t iat; /* Unix seconds; 0 = absent (read by jwt_verify, never signed) */
    char app_id[JWT_FIELD_MAX];
    char user_id[JWT_FIELD_MAX];
    char device_id[JWT_FIELD_MAX];
    char role[JWT_FIELD_MAX];
};

/* Signs the claims with key; returns a heap string. */
char *jwt_sign(const char *key, const struct jwt_claims *c);

/* Verifies a token: HS256 header, valid signature (checked first), then exp against now.
 * ERR_UNAUTHORIZED on any malformation or bad signature, ERR_TOKEN_EXPIRED when the signature
 * is good but now > exp. Fills *out on ERR_OK. */
err_t jwt_verify(const char *key, const char *token, int64_t now, struct jwt_claims *out) MUST_USE;

#endif
