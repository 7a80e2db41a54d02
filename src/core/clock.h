#ifndef QNLIVE_CORE_CLOCK_H
#define QNLIVE_CORE_CLOCK_H

/* The wall clock of business rules: room and audience timeouts, PK invitations, token expiry,
 * row timestamps. Real time; a test build (QNLIVE_TEST_CLOCK) can move it forward so that the
 * API suite checks timeouts without waiting for them. Thread-safe. */

#include <stdint.h>
#include <time.h>

struct clock;

/* A clock showing real time. Never fails (aborts when out of memory). */
struct clock *clock_new(void);

/* Accepts NULL and NULLs the pointer. */
void clock_free(struct clock **cp);

/* Unix time in seconds and in milliseconds. */
int64_t clock_now_s(const struct clock *c);
int64_t clock_now_ms(const struct clock *c);

/* CLOCK_MONOTONIC in milliseconds, moved forward with the business clock: the schedule of
 * periodic jobs and the singleton lease's grace, so that a test that moves the clock also sees
 * the intervals pass. Not for measuring how long something took. */
int64_t clock_mono_ms(const struct clock *c);

/* The CLOCK_MONOTONIC instant `ms` milliseconds from now, for pthread_cond_timedwait on a
 * condition variable set to CLOCK_MONOTONIC. Not the business clock: waits must not jump when a
 * test moves that one. */
struct timespec clock_mono_after_ms(int64_t ms);

#ifdef QNLIVE_TEST_CLOCK
/* Test builds only: moves the clock forward by ms (never backward) and returns the total shift. */
int64_t clock_advance_ms(struct clock *c, int64_t ms);
#endif

#endif
