#ifndef QNLIVE_CORE_TTLMAP_H
#define QNLIVE_CORE_TTLMAP_H

/* A small thread-safe map from string keys to int64 values that expire, for process-local read
 * caches of database facts that change rarely (e.g. "this user exists, its IM id is N"). Bounded:
 * when a shard is full the oldest entry of its bucket chain is replaced. Never a source of truth.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ttlmap;

/* Creates a map holding at most `capacity` entries, each valid for ttl_ms. */
struct ttlmap *ttlmap_new(size_t capacity, int64_t ttl_ms);

/* Frees the map; accepts NULL and NULLs the pointer. */
void ttlmap_free(struct ttlmap **mp);

/* True and *value when key is present and not expired. */
bool ttlmap_get(struct ttlmap *m, const char *key, int64_t *value);

/* Inserts or refreshes key (keys longer than 127 bytes are not cached). */
void ttlmap_put(struct ttlmap *m, const char *key, int64_t value);

/* Forgets key (no-op when absent). */
void ttlmap_del(struct ttlmap *m, const char *key);

#endif
