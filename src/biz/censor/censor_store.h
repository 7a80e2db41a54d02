#ifndef QNLIVE_BIZ_CENSOR_STORE_H
#define QNLIVE_BIZ_CENSOR_STORE_H

/* SQL of the censor module. Private to biz/censor. */

#include "biz/censor/censor.h"

struct store_conn;

/* Reads the first censor_config row; ERR_NOT_FOUND when the table is empty. */
err_t censor_store_config_get(struct store_conn *c, struct arena *ar,
                              struct censor_config *out) MUST_USE;

/* Inserts or replaces row id 1. */
err_t censor_store_config_put(struct store_conn *c, struct arena *ar,
                              const struct censor_config *in) MUST_USE;

/* Inserts row id 1 with `in` unless a row 1 exists already. */
err_t censor_store_config_insert_default(struct store_conn *c, struct arena *ar,
                                         const struct censor_config *in) MUST_USE;

#endif
