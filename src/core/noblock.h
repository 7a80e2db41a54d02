#ifndef QNLIVE_CORE_NOBLOCK_H
#define QNLIVE_CORE_NOBLOCK_H

/* A thread-local "this thread must not block" mark. The HTTP event threads set it while they
 * try a handler in place: every point that could wait on a dependency (a pooled connection,
 * a lock held by another writer, a network round trip, a bulkhead slot, a commit) calls
 * noblock_check() first and gives up with ERR_WOULD_BLOCK, and the request is then run again
 * on the handler pool, unmarked, where waiting is allowed. */

#include <stdbool.h>

#include "core/err.h"

/* Marks the calling thread and forgets any earlier trip. Marks do not nest. */
void noblock_enter(void);

/* Removes the calling thread's mark; noblock_tripped() still tells what happened. */
void noblock_leave(void);

/* True while the calling thread is marked. */
bool noblock_is_set(void);

/* ERR_WOULD_BLOCK (and remembers the trip) when the calling thread is marked, else ERR_OK.
 * Called right before anything that may wait. */
err_t noblock_check(void) MUST_USE;

/* True when a check refused since the last noblock_enter() on this thread. */
bool noblock_tripped(void);

#endif
