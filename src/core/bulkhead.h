#ifndef QNLIVE_CORE_BULKHEAD_H
#define QNLIVE_CORE_BULKHEAD_H

/* A bulkhead bounds how many threads may wait on one dependency at a time (the store, the
 * cache, each cloud service), so that a hung dependency holds only its own slots and every
 * other request keeps its threads. A caller that finds the slots full waits at most the
 * bulkhead's own short wait (0 = not at all), and never past its request's deadline; it does
 * not wait at all while no slot has been given back for a while (the dependency hangs). */

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "core/err.h"

struct bulkhead {
    const char *name; /* dependency label for logs, e.g. "store", "pay" */
    int limit;        /* concurrent callers; 0 = unbounded */
    int64_t wait_ms;  /* longest wait for a free slot */
    int used;
    int64_t last_leave_ms; /* monotonic time a slot was last given back or the last one taken */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_long rejected; /* callers turned away, for logs and tests */
};

/* Initialises b (static or embedded storage); `name` is borrowed. */
void bulkhead_init(struct bulkhead *b, const char *name, int limit, int64_t wait_ms);

/* Releases what bulkhead_init set up; b must have no holders. Accepts NULL. */
void bulkhead_destroy(struct bulkhead *b);

/* Takes a slot: ERR_OK, or ERR_UNAVAILABLE when none frees up within the bulkhead's wait and
 * the calling request's deadline. A thread marked "must not block" (core/noblock.h) gets
 * ERR_WOULD_BLOCK at once when no slot is free. A NULL bulkhead always admits. */
err_t bulkhead_enter(struct bulkhead *b) MUST_USE;

/* Gives back a slot taken by bulkhead_enter. Accepts NULL. */
void bulkhead_leave(struct bulkhead *b);

#endif
