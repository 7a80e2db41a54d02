#ifndef QNLIVE_CORE_MEM_H
#define QNLIVE_CORE_MEM_H

#include <stddef.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/* Allocation wrappers that abort on out-of-memory: business code never checks them. */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a fresh heap string. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A bump allocator owning everything a request (or a job run) allocates; freed in one go. */
struct arena;

struct arena *arena_new(void);
/* Frees every block and the arena; accepts NULL and NULLs the pointer. */
void arena_free(struct arena **ap);
/* Forgets every allocation but keeps the first block, for reuse by the next request. */
void arena_reset(struct arena *a);
void *arena_alloc(struct arena *a, size_t n);
void *arena_zalloc(struct arena *a, size_t n);
/* Room for one more element in an arena array of n elements of elem bytes: when n has reached
 * *cap, copies the array into a block twice as large (first_cap elements the first time), updates
 * *cap and returns the new block; otherwise returns arr. The old block stays until the arena is
 * freed, which suits arrays that grow a few times per request. */
void *arena_grow(struct arena *a, void *arr, size_t n, size_t *cap, size_t elem, size_t first_cap);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
