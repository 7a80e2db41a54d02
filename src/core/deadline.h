#ifndef QNLIVE_CORE_DEADLINE_H
#define QNLIVE_CORE_DEADLINE_H

/* The deadline of the work the calling thread is doing for a request. The HTTP handler pool
 * sets it before running a handler and clears it after; code that waits on a dependency (the
 * store's connection pool, outbound HTTP, bulkheads) caps its wait with deadline_remaining_ms()
 * and gives up once deadline_cancelled() says nobody is waiting for the answer any more.
 * Threads without a request (cron, background delivery) have no deadline. */

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Monotonic clock in milliseconds. */
int64_t deadline_now_ms(void);

/* Installs the calling thread's deadline (monotonic ms; 0 = none) and an optional flag that
 * becomes non-zero when the request is abandoned (borrowed; must outlive deadline_clear). */
void deadline_set(int64_t at_ms, const atomic_int *cancelled);

/* Removes the calling thread's deadline. */
void deadline_clear(void);

/* Milliseconds left before the deadline (0 when passed); `fallback` when the thread has none. */
int64_t deadline_remaining_ms(int64_t fallback);

/* The smaller of `timeout_ms` and the time left minus `reserve_ms` (what the caller keeps for
 * answering after the wait), never below 1 ms; 0 `timeout_ms` counts as "no own timeout".
 * `timeout_ms` itself when the thread has no deadline. */
int64_t deadline_cap_ms(int64_t timeout_ms, int64_t reserve_ms);

/* True when the request was abandoned (its deadline passed or its client went away). */
bool deadline_cancelled(void);

/* The calling thread's deadline, saved by deadline_detach for deadline_restore. */
struct deadline_saved {
    int64_t at_ms;
    const atomic_int *cancelled;
};

/* Switches the calling thread to a deadline of its own, `budget_ms` from now, that neither the
 * request's deadline nor its client going away cancels: for work that must not stop half way
 * once begun (a payment that may have been charged is recorded). Saves the thread's deadline
 * in *saved; pair each call with deadline_restore. */
void deadline_detach(int64_t budget_ms, struct deadline_saved *saved);

/* Puts back the deadline deadline_detach saved in *saved. */
void deadline_restore(const struct deadline_saved *saved);

#endif
