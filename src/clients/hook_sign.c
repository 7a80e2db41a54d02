#define LOG_MODULE "hook_sign"

#include "clients/hook_sign.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

bool hook_sign_headers(const char *secret, int64_t ts, const char *body, size_t len,
                       char ts_header[HOOK_SIGN_TS_HEADER_MAX],
                       char sig_header[HOOK_SIGN_HEADER_MAX])
{
    char ts_text[24];
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    char hex[2 * 32 + 1]; /* SHA-256: 32 bytes */

    ts_header[0] = sig_header[0] = '\0';
    if (!secret || !secret[0])
        return false;
    int n = snprintf(ts_text, sizeof(ts_text), "%" PRId64, ts);
    /* the signed message is "<ts>." followed by the body bytes */
    char *msg = xmalloc((size_t)n + 1 + len + 1);
    memcpy(msg, ts_text, (size_t)n);
    msg[n] = '.';
    if (len)
        memcpy(msg + n + 1, body, len);
    HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)msg, (size_t)n + 1 + len,
         mac, &mac_len);
    free(msg);
    for (unsigned int i = 0; i < mac_len && i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", mac[i]);
    snprintf(ts_header, HOOK_SIGN_TS_HEADER_MAX, "X-Qnlive-Timestamp: %s", ts_text);
    snprintf(sig_header, HOOK_SIGN_HEADER_MAX, "X-Qnlive-Signature: sha256=%s", hex);
    return true;
}
