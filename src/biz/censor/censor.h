#ifndef QNLIVE_BIZ_CENSOR_H
#define QNLIVE_BIZ_CENSOR_H

/* Content moderation settings (spec 04 §6). Only present when the config has a `censor`
 * section, as in the reference. */

#include <stdbool.h>
#include <stdint.h>

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

/* Registers the admin censor routes when cf->censor.enabled. */
void censor_module_register(struct app *a);

#endif
