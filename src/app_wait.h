#ifndef QNLIVE_APP_WAIT_H
#define QNLIVE_APP_WAIT_H

/* Start-up without luck: when qnlive starts beside its database and cache (docker compose, a
 * reboot), they may not answer yet. These open them with retries and back-off, logged, for at
 * most startup.dependency_wait_s. Private to app.c. */

#include "app.h"

/* Opens a->store (migrations included), retrying while the database is unreachable. Gives up at
 * once on a configuration error, or when SIGTERM/SIGINT is pending (they are blocked while the
 * server starts). Returns the last store error. */
err_t app_wait_store(struct app *a) MUST_USE;

/* Opens a->cache and waits until it answers a ping. A cache that still does not answer when the
 * wait ends is kept (requests needing it fail with 503 and /readyz says so until it is up);
 * only an open error is returned. */
err_t app_wait_cache(struct app *a) MUST_USE;

#endif
