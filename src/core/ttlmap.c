#include "core/ttlmap.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/mem.h"

enum { TTLMAP_SHARDS = 32, TTLMAP_KEY_MAX = 128, TTLMAP_WAYS = 4 };

/* Each slot set holds TTLMAP_WAYS entries (a small set-associative table): no allocation after
 * creation, bounded memory, and eviction is "oldest in the set". */
struct entry {
    char key[TTLMAP_KEY_MAX];
    int64_t value;
    int64_t expires_ms;
};

struct shard {
    pthread_mutex_t lock;
    struct entry *sets; /* n_sets * TTLMAP_WAYS */
};

struct ttlmap {
    struct shard shards[TTLMAP_SHARDS];
    size_t n_sets; /* per shard */
    int64_t ttl_ms;
};

static int64_t mono_ms(void)
{
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

struct ttlmap *ttlmap_new(size_t capacity, int64_t ttl_ms)
{
    struct ttlmap *m = xcalloc(1, sizeof(*m));
    m->n_sets = capacity / (TTLMAP_SHARDS * TTLMAP_WAYS) + 1;
    m->ttl_ms = ttl_ms;
    for (size_t i = 0; i < TTLMAP_SHARDS; i++) {
        pthread_mutex_init(&m->shards[i].lock, NULL);
        m->shards[i].sets = xcalloc(m->n_sets * TTLMAP_WAYS, sizeof(struct entry));
    }
    return m;
}

void ttlmap_free(struct ttlmap **mp)
{
    if (!mp || !*mp)
        return;
    for (size_t i = 0; i < TTLMAP_SHARDS; i++) {
        pthread_mutex_destroy(&(*mp)->shards[i].lock);
        free((*mp)->shards[i].sets);
    }
    free(*mp);
    *mp = NULL;
}

/* Locks the shard of key and returns its set (TTLMAP_WAYS entries). */
static struct entry *lock_set(struct ttlmap *m, const char *key, struct shard **sh)
{
    uint64_t h = hash(key);
    *sh = &m->shards[h % TTLMAP_SHARDS];
    pthread_mutex_lock(&(*sh)->lock);
    return &(*sh)->sets[(h / TTLMAP_SHARDS % m->n_sets) * TTLMAP_WAYS];
}

bool ttlmap_get(struct ttlmap *m, const char *key, int64_t *value)
{
    struct shard *sh;
    bool found = false;
    int64_t now = mono_ms();
    struct entry *set = lock_set(m, key, &sh);
    for (int i = 0; i < TTLMAP_WAYS; i++) {
        if (set[i].expires_ms > now && strcmp(set[i].key, key) == 0) {
            *value = set[i].value;
            found = true;
            break;
        }
    }
    pthread_mutex_unlock(&sh->lock);
    return found;
}

void ttlmap_put(struct ttlmap *m, const char *key, int64_t value)
{
    if (strlen(key) >= TTLMAP_KEY_MAX)
        return;
    struct shard *sh;
    struct entry *set = lock_set(m, key, &sh);
    struct entry *victim = &set[0];
    for (int i = 0; i < TTLMAP_WAYS; i++) {
        if (strcmp(set[i].key, key) == 0) {
            victim = &set[i];
            break;
        }
        if (set[i].expires_ms < victim->expires_ms)
            victim = &set[i];
    }
    memcpy(victim->key, key, strlen(key) + 1);
    victim->value = value;
    victim->expires_ms = mono_ms() + m->ttl_ms;
    pthread_mutex_unlock(&sh->lock);
}

void ttlmap_del(struct ttlmap *m, const char *key)
{
    struct shard *sh;
    struct entry *set = lock_set(m, key, &sh);
    for (int i = 0; i < TTLMAP_WAYS; i++) {
        if (strcmp(set[i].key, key) == 0)
            set[i].expires_ms = 0;
    }
    pthread_mutex_unlock(&sh->lock);
}
