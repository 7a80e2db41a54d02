#ifndef QNLIVE_BIZ_ITEM_ITEM_STORE_H
#define QNLIVE_BIZ_ITEM_ITEM_STORE_H
/* SQL of the item module (items, item_demonstrate, item_demonstrate_log). */
#include <stdbool.h>
#include <stdint.h>
#include "biz/item/item.h"
#include "store/store.h"

/* Non-deleted items of a live by order desc; status != 0 unless show_offline. */
err_t item_store_list(struct store_conn *c, struct arena *ar, const char *live_id,
                      bool show_offline, struct item **out, size_t *n) MUST_USE;
/* The non-deleted item; ERR_NOT_FOUND when absent. */
err_t item_store_get(struct store_conn *c, struct arena *ar, const char *live_id,
                     const char *item_id, struct item *out) MUST_USE;
/* Count of non-deleted items and MAX(order) over every row of the live (deleted included). */
err_t item_store_stats(struct store_conn *c, struct arena *ar, const char *live_id, int64_t *count,
                       int64_t *max_order) MUST_USE;
err_t item_store_insert(struct store_conn *c, const struct item *it, int64_t now) MUST_USE;
err_t item_store_soft_delete(struct store_conn *c, const char *live_id, const char *item_id,
                             int64_t now) MUST_USE;
/* Sets one integer column ("status" or "`order`") of an item. */
err_t item_store_set_int(struct store_conn *c, const char *col, const char *live_id,
                         const char *item_id, int64_t v, int64_t now) MUST_USE;
/* Writes the editable columns of an item (title .. extends, record_id) by live and item id. */
err_t item_store_save(struct store_conn *c, const struct item *it, int64_t now) MUST_USE;
/* item_demonstrate: the current item id ("" when none). */
err_t item_store_demo_get(struct store_conn *c, struct arena *ar, const char *live_id,
                          const char **item_id) MUST_USE;
err_t item_store_demo_set(struct store_conn *c, struct arena *ar, const char *live_id,
                          const char *item_id, int64_t now) MUST_USE;
/* Recording logs. `where` is a fixed condition over live_id (?1) and an optional second
 * argument, chosen by the service. */
err_t item_store_logs(struct store_conn *c, struct arena *ar, const char *where,
                      const struct sql_arg *args, size_t nargs, struct item_record **out,
                      size_t *n) MUST_USE;
err_t item_store_log_insert(struct store_conn *c, const char *live_id, const char *item_id,
                            int64_t now, int64_t *id) MUST_USE;
err_t item_store_log_finish(struct store_conn *c, int64_t id, const char *fname, int status,
                            int64_t end) MUST_USE;
err_t item_store_log_delete(struct store_conn *c, const char *live_id, int64_t id) MUST_USE;
/* Closes an open recording (end NULL) at `end`, status RECORD_WAITING; a closed one is left. */
err_t item_store_log_close(struct store_conn *c, int64_t id, int64_t end) MUST_USE;
/* Up to `limit` lives with a demonstrated item or an open recording (arena strings). */
err_t item_store_demo_lives(struct store_conn *c, struct arena *ar, size_t limit, const char ***out,
                            size_t *n) MUST_USE;
/* Unlinks a recording from the items that point to it. */
err_t item_store_unlink_record(struct store_conn *c, const char *live_id, int64_t id,
                               int64_t now) MUST_USE;

#endif
