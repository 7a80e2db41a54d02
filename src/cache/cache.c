#define LOG_MODULE "cache"

#include "cache/cache.h"

#include <signal.h>
#include <string.h>
#include <time.h>

#include "cache/cache_int.h"
#include "core/config.h"
#include "core/log.h"
#include "core/str.h"

err_t cache_open(const struct conf *cf, struct cache **out)
{
    const char *type = cf->cache.type ? cf->cache.type : "";

    *out = NULL;
    if (!cf->cache.enabled)
        return cache_memory_new(out);
    err_t err;
    if (strcmp(type, "node") == 0)
        err = cache_redis_new(cf->cache.addr ? cf->cache.addr : "", cf->cache.password, out);
    else if (strcmp(type, "cluster") == 0)
        err = cache_cluster_new(cf->cache.addrs, cf->cache.n_addrs, cf->cache.password, out);
    else {
        log_error("invalid cache type %s", type);
        return ERR_CONFIG;
    }
    /* the memory backend never waits, so only Redis gets a bulkhead */
    if (!err)
        cache_resp_limit(*out, cf->limits.cache, cf->limits.cache_wait_ms);
    if (!err && cf->cache.near_cache)
        cache_near_enable(*out);
    return err;
}

void cache_close(struct cache **c)
{
    if (!c || !*c)
        return;
    (*c)->ops->close(*c);
    *c = NULL;
}

int64_t cache_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool cache_parse_addr(const char *addr, char *host, size_t hostlen, int *port)
{
    const char *colon;
    const char *h = addr;
    size_t hlen;
    int64_t p = 6379;

    /* The reference's client falls back to localhost:6379 for an empty address. */
    if (!addr || !*addr) {
        snprintf(host, hostlen, "127.0.0.1");
        *port = 6379;
        return true;
    }
    colon = strrchr(addr, ':');
    hlen = colon ? (size_t)(colon - addr) : strlen(addr);
    if (colon && !str_to_i64(colon + 1, 1, 65535, &p))
        return false;
    if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
        h++;
        hlen -= 2;
    }
    if (hlen >= hostlen)
        return false;
    if (hlen == 0)
        snprintf(host, hostlen, "127.0.0.1");
    else
        snprintf(host, hostlen, "%.*s", (int)hlen, h);
    *port = (int)p;
    return true;
}

static unsigned crc16_xmodem(const char *buf, size_t len)
{
    unsigned crc = 0;

    for (size_t i = 0; i < len; i++) {
        crc ^= (unsigned)(unsigned char)buf[i] << 8;
        for (int b = 0; b < 8; b++)
            crc = (crc & 0x8000) ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
    return crc;
}

unsigned cache_key_slot(const char *key, size_t len)
{
    const char *open = memchr(key, '{', len);

    /* Only the part between the first '{' and the next '}' is hashed, when it is not empty:
     * that is how callers pin related keys to one slot. */
    if (open) {
        size_t rest = len - (size_t)(open - key) - 1;
        const char *close = memchr(open + 1, '}', rest);

        if (close && close > open + 1)
            return crc16_xmodem(open + 1, (size_t)(close - open - 1)) & (CACHE_SLOTS - 1);
    }
    return crc16_xmodem(key, len) & (CACHE_SLOTS - 1);
}

void cache_ignore_sigpipe(void)
{
    struct sigaction old;
    struct sigaction ign;

    memset(&ign, 0, sizeof(ign));
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    if (sigaction(SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_DFL)
        sigaction(SIGPIPE, &ign, NULL);
}
