#ifndef QNLIVE_CORE_IDS_H
#define QNLIVE_CORE_IDS_H

/* Snowflake ids exactly as the reference: 41 bits of milliseconds since
 * 1288834974657, 10 bits of node, 12 bits of per-millisecond sequence. Thread-safe. */

#include <stdint.h>

#include "core/err.h"

#define IDS_EPOCH_MS INT64_C(1288834974657)
#define IDS_NODE_MAX 1023

/* Sets the node number (0..1023); ERR_BAD_REQUEST when out of range. Call once at start. */
err_t ids_init(int64_t node_id) MUST_USE;

/* Returns the next id. Never goes backwards: a wall clock that steps back is waited out. */
int64_t ids_next(void);

/* Pure generator step for tests: given the last (ms, seq) state and now_ms, computes the id and
 * the new state. Returns 0 when the caller must retry with a later now_ms (sequence exhausted
 * or clock behind the last id). */
int64_t ids_compose(int64_t node_id, int64_t *last_ms, int64_t *seq, int64_t now_ms);

#endif
