#ifndef QNLIVE_HTTP_REQID_H
#define QNLIVE_HTTP_REQID_H

/* Request ids and client address resolution. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Peers whose X-Forwarded-For / X-Real-IP are believed (IPs or CIDRs; borrowed). */
struct trusted_proxies {
    char *const *list;
    size_t n;
};

/* Uses the client's X-Reqid when it is 1..64 characters of [A-Za-z0-9_-] (anything else could
 * inject into logs); otherwise generates one: 12 bytes (4-byte process tag + 8-byte
 * strictly increasing nanosecond stamp, little-endian) in base64url = 16 characters. */
void reqid_assign(const char *client_value, char out[65]);

/* Generates a fresh id into out (16 characters + NUL). */
void reqid_generate(char out[17]);

/* True when ip (text form) is one of the trusted proxies, or inside one of their CIDRs. */
bool reqid_is_trusted_proxy(const struct trusted_proxies *tp, const char *ip);

/* Replaces ip (the TCP peer) with the client address from X-Forwarded-For / X-Real-IP, but only
 * when the peer is one of the trusted proxies. XFF is walked right to left, skipping
 * trusted proxies; the first untrusted valid address is the client. */
void reqid_client_ip(const struct trusted_proxies *tp, char *ip, size_t iplen, const char *xff,
                     const char *x_real_ip);

#endif
