#ifndef QNLIVE_BIZ_MONITOR_STORE_H
#define QNLIVE_BIZ_MONITOR_STORE_H

/* Read-only aggregate queries behind the business gauges. Private to biz/monitor. */

#include <stdint.h>

#include "core/err.h"

struct store_conn;
struct arena;

struct monitor_counts {
    int64_t rooms[3];        /* by live status: prepare, on, off */
    int64_t online_users;    /* presence rows in a room, anchors included */
    int64_t pk_sessions;     /* relay sessions agreed or started, not yet stopped */
    int64_t mic_seats;       /* occupied mic seats */
    int64_t im_unregistered; /* users still without an IM account */
};

/* Fills *out with one query per figure. Store errors are returned as they are. */
err_t monitor_store_counts(struct store_conn *c, struct arena *ar,
                           struct monitor_counts *out) MUST_USE;

#endif
