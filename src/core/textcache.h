#ifndef QNLIVE_CORE_TEXTCACHE_H
#define QNLIVE_CORE_TEXTCACHE_H

/* A bounded, thread-safe, process-local cache of rendered text (JSON) keyed by string, each
 * entry stamped with a generation number and an expiry. A lookup hits only when the caller's
 * current generation matches the stamp and the entry has not expired, so a writer invalidates
 * entries by bumping the generation it keeps elsewhere (e.g. in the shared cache). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;
struct clock;
struct textcache;

/* A cache of about `capacity` entries valid for at most ttl_ms each. */
struct textcache *textcache_new(size_t capacity, int64_t ttl_ms);

/* Entries expire on `clock` (its monotonic reading, see clock_mono_ms) instead of the plain
 * monotonic clock, so that a test build moving the clock sees them expire. Call before use. */
void textcache_follow_clock(struct textcache *c, const struct clock *clock);

/* Frees every entry; accepts NULL and NULLs the pointer. */
void textcache_free(struct textcache **cp);

/* Copies the text of key into the arena when present with generation `gen` and not expired. */
bool textcache_get(struct textcache *c, const char *key, int64_t gen, struct arena *a,
                   const char **text, size_t *len);

/* Same, whatever the entry's generation (for data that never changes once written). */
bool textcache_peek(struct textcache *c, const char *key, struct arena *a, const char **text,
                    size_t *len);

/* Stores (a copy of) text under key with generation gen. Keys over 255 bytes are not cached. */
void textcache_put(struct textcache *c, const char *key, int64_t gen, const char *text, size_t len);

#endif
