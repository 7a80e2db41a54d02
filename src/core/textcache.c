#include "core/textcache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/mem.h"

enum { TC_SHARDS = 16, TC_WAYS = 4, TC_KEY_MAX = 256 };

/* A slot keeps its key in the same heap block as its text rather than inline: an inline key of
 * TC_KEY_MAX bytes made every slot 288 bytes, 4.7 MB for the user cache's table alone, most of
 * it for keys of 20-30 bytes. */
struct tc_entry {
    uint64_t hash;
    int64_t gen;
    int64_t expires_ms;
    char *blob; /* heap: the key, its NUL, the text, a NUL; NULL = empty slot */
    uint32_t klen;
    uint32_t len;
};

struct tc_shard {
    pthread_mutex_t lock;
    struct tc_entry *sets; /* n_sets * TC_WAYS */
};

struct textcache {
    struct tc_shard shards[TC_SHARDS];
    size_t n_sets;
    int64_t ttl_ms;
    const struct clock *clock; /* NULL: CLOCK_MONOTONIC */
};

static int64_t now_ms(const struct textcache *c)
{
    if (c->clock)
        return clock_mono_ms(c->clock);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603u; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211u;
    }
    return h;
}

struct textcache *textcache_new(size_t capacity, int64_t ttl_ms)
{
    struct textcache *c = xcalloc(1, sizeof(*c));
    c->n_sets = capacity / (TC_SHARDS * TC_WAYS) + 1;
    c->ttl_ms = ttl_ms;
    for (size_t i = 0; i < TC_SHARDS; i++) {
        pthread_mutex_init(&c->shards[i].lock, NULL);
        c->shards[i].sets = xcalloc(c->n_sets * TC_WAYS, sizeof(struct tc_entry));
    }
    return c;
}

void textcache_follow_clock(struct textcache *c, const struct clock *clock)
{
    c->clock = clock;
}

void textcache_free(struct textcache **cp)
{
    if (!cp || !*cp)
        return;
    struct textcache *c = *cp;
    for (size_t i = 0; i < TC_SHARDS; i++) {
        for (size_t j = 0; j < c->n_sets * TC_WAYS; j++)
            free(c->shards[i].sets[j].blob);
        free(c->shards[i].sets);
        pthread_mutex_destroy(&c->shards[i].lock);
    }
    free(c);
    *cp = NULL;
}

static bool same_key(const struct tc_entry *e, uint64_t h, const char *key, size_t klen)
{
    return e->blob && e->hash == h && e->klen == klen && memcmp(e->blob, key, klen) == 0;
}

static struct tc_entry *lock_set(struct textcache *c, uint64_t h, struct tc_shard **sh)
{
    *sh = &c->shards[h % TC_SHARDS];
    pthread_mutex_lock(&(*sh)->lock);
    return &(*sh)->sets[(h / TC_SHARDS % c->n_sets) * TC_WAYS];
}

/* A lookup; any_gen ignores the generation stamp. */
static bool lookup(struct textcache *c, const char *key, bool any_gen, int64_t gen, struct arena *a,
                   const char **text, size_t *len)
{
    struct tc_shard *sh;
    bool hit = false;
    int64_t now = now_ms(c);
    uint64_t h = hash(key);
    size_t klen = strlen(key);
    struct tc_entry *set = lock_set(c, h, &sh);
    for (int i = 0; i < TC_WAYS && !hit; i++) {
        struct tc_entry *e = &set[i];
        if (same_key(e, h, key, klen) && (any_gen || e->gen == gen) && e->expires_ms > now) {
            *text = arena_strndup(a, e->blob + e->klen + 1, e->len);
            *len = e->len;
            hit = true;
        }
    }
    pthread_mutex_unlock(&sh->lock);
    return hit;
}

bool textcache_get(struct textcache *c, const char *key, int64_t gen, struct arena *a,
                   const char **text, size_t *len)
{
    return lookup(c, key, false, gen, a, text, len);
}

bool textcache_peek(struct textcache *c, const char *key, struct arena *a, const char **text,
                    size_t *len)
{
    return lookup(c, key, true, 0, a, text, len);
}

void textcache_put(struct textcache *c, const char *key, int64_t gen, const char *text, size_t len)
{
    size_t klen = strlen(key);
    if (klen >= TC_KEY_MAX || len > UINT32_MAX - TC_KEY_MAX)
        return;
    /* the copy is made outside the lock */
    char *blob = xmalloc(klen + 1 + len + 1);
    memcpy(blob, key, klen + 1);
    memcpy(blob + klen + 1, text, len);
    blob[klen + 1 + len] = '\0';
    uint64_t h = hash(key);
    struct tc_shard *sh;
    struct tc_entry *set = lock_set(c, h, &sh);
    struct tc_entry *victim = &set[0];
    for (int i = 0; i < TC_WAYS; i++) {
        if (same_key(&set[i], h, key, klen)) {
            victim = &set[i];
            break;
        }
        if (set[i].expires_ms < victim->expires_ms)
            victim = &set[i];
    }
    char *old = victim->blob;
    victim->hash = h;
    victim->gen = gen;
    victim->expires_ms = now_ms(c) + c->ttl_ms;
    victim->blob = blob;
    victim->klen = (uint32_t)klen;
    victim->len = (uint32_t)len;
    pthread_mutex_unlock(&sh->lock);
    free(old);
}
