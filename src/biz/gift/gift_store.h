#ifndef QNLIVE_BIZ_GIFT_GIFT_STORE_H
#define QNLIVE_BIZ_GIFT_GIFT_STORE_H
/* SQL of the gift module (live_gift, gift_config). Strings are read into the arena. */
#include <stdbool.h>
#include <stdint.h>
#include "biz/gift/gift.h"
#include "store/store.h"

/* Inserts a pending row unless biz_id exists: *inserted tells which. */
err_t gift_store_insert(struct store_conn *c, struct arena *ar, const struct gift_tx *t,
                        bool *inserted) MUST_USE;
/* Loads the row of biz_id: ERR_NOT_FOUND when absent. */
err_t gift_store_get(struct store_conn *c, struct arena *ar, const char *biz_id,
                     struct gift_tx *out) MUST_USE;
/* Moves biz_id from pending to `status`; *moved false when it was not pending any more. */
err_t gift_store_finish(struct store_conn *c, const char *biz_id, int status, int64_t now,
                        bool *moved) MUST_USE;
/* Claims an abandoned pending row: sets updated_at to now only if it still equals `seen`. */
err_t gift_store_reclaim(struct store_conn *c, const char *biz_id, int64_t seen, int64_t now,
                         bool *claimed) MUST_USE;
/* One page of rows where `col` (a fixed column name) equals value, and the total count. */
err_t gift_store_page(struct store_conn *c, struct arena *ar, const char *col, const char *value,
                      int64_t limit, int64_t offset, struct gift_tx **out, size_t *n,
                      int64_t *total) MUST_USE;
/* Configs of a type (GIFT_TYPE_ALL: all), not deleted, order asc, created_at desc. */
err_t gift_store_config_list(struct store_conn *c, struct arena *ar, int64_t type,
                             struct gift_config **out, size_t *n) MUST_USE;
/* The gift id and price of a configured gift (the other fields zero); ERR_NOT_FOUND when it is
 * absent or deleted. */
err_t gift_store_config_get(struct store_conn *c, struct arena *ar, int64_t gift_id,
                            struct gift_config *out) MUST_USE;
/* Upsert by gift_id; revives a deleted row and keeps its created_at. */
err_t gift_store_config_save(struct store_conn *c, struct arena *ar, const struct gift_config *g,
                             int64_t now) MUST_USE;
/* Soft delete by gift_id. */
err_t gift_store_config_delete(struct store_conn *c, int64_t gift_id, int64_t now) MUST_USE;

#endif
