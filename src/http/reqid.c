#include "http/reqid.h"

#include <arpa/inet.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "core/str.h"

static atomic_uint_fast64_t last_stamp;
static uint32_t process_tag;

static uint64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Strictly increasing across threads, so two requests never share an id in this process. */
static uint64_t next_stamp(void)
{
    uint64_t now = wall_ns();
    uint64_t prev = atomic_load(&last_stamp);
    for (;;) {
        uint64_t next = now > prev ? now : prev + 1;
        if (atomic_compare_exchange_weak(&last_stamp, &prev, next))
            return next;
    }
}

void reqid_generate(char out[17])
{
    unsigned char raw[12];
    if (process_tag == 0)
        process_tag = (uint32_t)(wall_ns() % 4294967291u) | 1u;
    uint64_t ns = next_stamp();
    for (int i = 0; i < 4; i++)
        raw[i] = (unsigned char)(process_tag >> (8 * i));
    for (int i = 0; i < 8; i++)
        raw[4 + i] = (unsigned char)(ns >> (8 * i));
    base64_encode(raw, sizeof(raw), out, true, true);
}

static bool reqid_is_safe(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_';
        if (!ok)
            return false;
    }
    return true;
}

void reqid_assign(const char *client_value, char out[65])
{
    if (client_value && reqid_is_safe(client_value)) {
        memcpy(out, client_value, strlen(client_value) + 1);
        return;
    }
    reqid_generate(out);
}

/* Parses an IPv4 or IPv6 address into its bytes (4 or 16, *len); an IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d) reads as the IPv4 address it carries, so both spellings match alike. */
static bool parse_addr(const char *s, unsigned char out[16], size_t *len)
{
    static const unsigned char v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (inet_pton(AF_INET, s, out) == 1) {
        *len = 4;
        return true;
    }
    if (inet_pton(AF_INET6, s, out) != 1)
        return false;
    *len = 16;
    if (memcmp(out, v4_mapped, sizeof(v4_mapped)) == 0) {
        memmove(out, out + 12, 4);
        *len = 4;
    }
    return true;
}

/* True when the first `bits` bits of a and b are equal. */
static bool prefix_equal(const unsigned char *a, const unsigned char *b, int64_t bits)
{
    size_t whole = (size_t)(bits / 8);
    int rest = (int)(bits % 8);
    if (memcmp(a, b, whole) != 0)
        return false;
    if (rest == 0)
        return true;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

/* True when ip equals `entry`, or falls inside it when entry is a CIDR block; IPv4 and IPv6
 * alike, compared as addresses rather than as text. */
static bool ip_in(const char *entry, const char *ip)
{
    const char *slash = strchr(entry, '/');
    char net[INET6_ADDRSTRLEN];
    unsigned char n[16], a[16];
    size_t nlen, alen;
    size_t len = slash ? (size_t)(slash - entry) : strlen(entry);
    if (len >= sizeof(net))
        return false;
    memcpy(net, entry, len);
    net[len] = '\0';
    if (!parse_addr(net, n, &nlen) || !parse_addr(ip, a, &alen) || nlen != alen)
        return false;
    int64_t bits = (int64_t)nlen * 8;
    if (slash && !str_to_i64(slash + 1, 0, (int64_t)nlen * 8, &bits))
        return false;
    return prefix_equal(n, a, bits);
}

bool reqid_is_trusted_proxy(const struct trusted_proxies *tp, const char *ip)
{
    for (size_t i = 0; i < tp->n; i++) {
        if (ip_in(tp->list[i], ip))
            return true;
    }
    return false;
}

static bool valid_ip(const char *s)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* Copies the token [b, e) trimmed of spaces into dst when it is a valid address. */
static bool take_ip(const char *b, const char *e, char *dst, size_t dlen)
{
    while (b < e && *b == ' ')
        b++;
    while (e > b && e[-1] == ' ')
        e--;
    size_t n = (size_t)(e - b);
    if (n == 0 || n >= dlen)
        return false;
    memcpy(dst, b, n);
    dst[n] = '\0';
    return valid_ip(dst);
}

void reqid_client_ip(const struct trusted_proxies *tp, char *ip, size_t iplen, const char *xff,
                     const char *x_real_ip)
{
    char cand[64];
    if (!reqid_is_trusted_proxy(tp, ip))
        return;
    if (xff && xff[0]) {
        const char *end = xff + strlen(xff);
        while (end > xff) {
            const char *comma = end;
            while (comma > xff && comma[-1] != ',')
                comma--;
            if (!take_ip(comma, end, cand, sizeof(cand)))
                break;
            if (!reqid_is_trusted_proxy(tp, cand) || comma == xff) {
                snprintf(ip, iplen, "%s", cand);
                return;
            }
            end = comma - 1;
        }
    }
    if (x_real_ip && take_ip(x_real_ip, x_real_ip + strlen(x_real_ip), cand, sizeof(cand)))
        snprintf(ip, iplen, "%s", cand);
}
