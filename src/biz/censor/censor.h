#ifndef QNLIVE_BIZ_CENSOR_H
#define QNLIVE_BIZ_CENSOR_H

/* Content moderation settings. Only present when the config has a `censor`
 * section, as in the reference. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/err.h"

struct app;
struct arena;

struct censor_config {
    bool enable;
    bool pulp;
    bool terror;
    bool politician;
    bool ads;
    int64_t interval; /* seconds between sampled frames, 1..60 when enabled */
};

/* The effective settings: the row with id 1, created with the defaults (enabled, pulp only,
 * every 20 s) when missing. */
err_t censor_config_get(struct app *a, struct arena *ar, struct censor_config *out) MUST_USE;

/* Stores the settings (upsert of row 1). */
err_t censor_config_set(struct app *a, const struct censor_config *in) MUST_USE;

/* One moderation result for a flagged frame, as the service reports it. */
struct censor_result {
    const char *job_id;
    const char *url;   /* the stored frame, e.g. qiniu:///<bucket>/<key> */
    int64_t timestamp; /* unix seconds */
    const char *suggestion, *pulp, *terror, *politician, *ads; /* "" when absent */
};

/* Creates a moderation job for the live and records it. ERR_OK without doing
 * anything when censor.callback is empty or the settings are disabled (*created false).
 * ERR_ADMIN_RECORD_NOT_FOUND for an unknown live, ERR_UPSTREAM (the service's reason in why)
 * when the service refused. */
err_t censor_job_start(struct app *a, const char *live_id, bool *created,
                       struct err_msg *why) MUST_USE;

/* Closes the newest job of the live. ERR_OK without a call when censor.callback is
 * empty; ERR_ADMIN_RECORD_NOT_FOUND when the live has no job; ERR_UPSTREAM (reason in why). */
err_t censor_job_close_live(struct app *a, const char *live_id, struct err_msg *why) MUST_USE;

/* Forwards a job list or query (op "list" or "query") to the moderation service; *data is its
 * reply's `data` (new reference). ERR_UPSTREAM with the service's reason in why. */
err_t censor_forward(struct app *a, const char *op, json_t *body, json_t **data,
                     struct err_msg *why) MUST_USE;

/* Stores a flagged frame and refreshes its live's counters. ERR_NOT_FOUND for an
 * unknown job, ERR_BAD_REQUEST when the URL is not in the configured bucket. */
err_t censor_result_store(struct app *a, struct arena *ar,
                          const struct censor_result *res) MUST_USE;

/* Records a review of images (C10) by admin_id and refreshes the live's counter; with
 * notify and answer 2 warns the anchor over IM (failure logged). */
err_t censor_audit(struct app *a, const char *live_id, const int64_t *ids, size_t n, int64_t answer,
                   bool notify, const char *admin_id) MUST_USE;

/* Admin stop for a violation (C3): stops the live with stop_reason "censor" (which also closes
 * its job through the room listener), then sends censor_stop to its chat room. Errors of
 * live_stop_by_system. */
err_t censor_stop_live(struct app *a, const char *live_id, const char *admin_id) MUST_USE;

/* Registers the admin censor routes, the result callback and the room listener when
 * cf->censor.enabled. */
void censor_module_register(struct app *a);

#endif
