#define LOG_MODULE "admin"
#include "biz/admin/admin_password.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "core/str.h"

enum { SALT_LEN = 16, KEY_LEN = 32, ITERATIONS_MIN = 1000, ITERATIONS_MAX = 10000000 };

static const char PREFIX[] = "$pbkdf2-sha256$";

static bool derive(const char *password, const unsigned char *salt, size_t salt_len, int iterations,
                   unsigned char key[KEY_LEN])
{
    return PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, (int)salt_len, iterations,
                             EVP_sha256(), KEY_LEN, key) == 1;
}

err_t admin_password_hash(const char *password, int iterations, char out[ADMIN_HASH_MAX])
{
    unsigned char salt[SALT_LEN], key[KEY_LEN];
    char salt64[32], key64[48]; /* base64 of 16 and 32 bytes: 22 and 43 characters */

    if (iterations < ITERATIONS_MIN || iterations > ITERATIONS_MAX)
        return ERR_INTERNAL;
    if (RAND_bytes(salt, sizeof(salt)) != 1 ||
        !derive(password, salt, sizeof(salt), iterations, key))
        return ERR_INTERNAL;
    base64_encode(salt, sizeof(salt), salt64, false, false);
    base64_encode(key, sizeof(key), key64, false, false);
    snprintf(out, ADMIN_HASH_MAX, "%s%d$%s$%s", PREFIX, iterations, salt64, key64);
    return ERR_OK;
}

bool admin_password_is_hashed(const char *stored)
{
    return stored && strncmp(stored, PREFIX, sizeof(PREFIX) - 1) == 0;
}

/* Splits "<iterations>$<salt>$<hash>" and checks the password against it. */
static bool verify_hash(const char *fields, const char *password)
{
    char iter_text[16], salt64[64], key64[64];
    unsigned char salt[64], key[64], want[KEY_LEN];
    size_t salt_len = 0, key_len = 0;
    int64_t iterations = 0;

    const char *d1 = strchr(fields, '$');
    const char *d2 = d1 ? strchr(d1 + 1, '$') : NULL;
    if (!d2 || (size_t)(d1 - fields) >= sizeof(iter_text) ||
        (size_t)(d2 - d1 - 1) >= sizeof(salt64) || strlen(d2 + 1) >= sizeof(key64))
        return false;
    snprintf(iter_text, sizeof(iter_text), "%.*s", (int)(d1 - fields), fields);
    snprintf(salt64, sizeof(salt64), "%.*s", (int)(d2 - d1 - 1), d1 + 1);
    snprintf(key64, sizeof(key64), "%s", d2 + 1);
    if (!str_to_i64(iter_text, ITERATIONS_MIN, ITERATIONS_MAX, &iterations) ||
        !base64_decode(salt64, strlen(salt64), salt, &salt_len) ||
        !base64_decode(key64, strlen(key64), key, &key_len) || key_len != KEY_LEN)
        return false;
    if (!derive(password, salt, salt_len, (int)iterations, want))
        return false;
    return str_equal_ct((const char *)want, KEY_LEN, (const char *)key, KEY_LEN);
}

bool admin_password_verify(const char *stored, const char *password, bool *rehash)
{
    if (rehash)
        *rehash = false;
    if (!stored || !password)
        return false;
    if (admin_password_is_hashed(stored))
        return verify_hash(stored + sizeof(PREFIX) - 1, password);
    bool ok = str_equal_ct(stored, strlen(stored), password, strlen(password));
    if (ok && rehash)
        *rehash = true;
    return ok;
}
