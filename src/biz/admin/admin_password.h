#ifndef QNLIVE_BIZ_ADMIN_PASSWORD_H
#define QNLIVE_BIZ_ADMIN_PASSWORD_H

/* Admin password hashing: PBKDF2-HMAC-SHA256 (OpenSSL) with a random 16-byte salt, stored as
 * "$pbkdf2-sha256$<iterations>$<salt>$<hash>" (unpadded base64), which fits the reference's
 * varchar(255) column. Rows the reference wrote hold the plaintext password; those still verify
 * and are reported as needing a rehash. */

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

enum {
    ADMIN_PASSWORD_MIN = 8, /* shortest password the admin tool accepts */
    ADMIN_PASSWORD_MAX = 128,
    ADMIN_HASH_MAX = 128, /* a hash string and its NUL fit in this many bytes */
};

/* Hashes `password` with a fresh salt and `iterations` into out (ADMIN_HASH_MAX bytes).
 * ERR_INTERNAL when the system's random source or OpenSSL fails. */
err_t admin_password_hash(const char *password, int iterations, char out[ADMIN_HASH_MAX]) MUST_USE;

/* True when `password` matches `stored` (a hash made above, or a plaintext reference row),
 * compared in constant time; *rehash (may be NULL) is set when the stored form is plaintext and
 * should be replaced by a hash. A malformed hash never matches. */
bool admin_password_verify(const char *stored, const char *password, bool *rehash);

/* True when `stored` is a hash of this format (not a plaintext reference row). */
bool admin_password_is_hashed(const char *stored);

#endif
