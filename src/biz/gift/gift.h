#ifndef QNLIVE_BIZ_GIFT_GIFT_H
#define QNLIVE_BIZ_GIFT_GIFT_H
/* Gifts: the gift catalogue (gift_config) and gift transactions (live_gift).
 *
 * A gift is counted exactly once. Its biz_id (server-made, or the client's optional
 * idempotency key) is unique in live_gift; the row moves 0 (pending) → 1 (paid) or 2 (failed)
 * only through conditional updates, and the stats increment and the gift_send callback are
 * written in the same transaction as the 0 → 1 move. A retry of a known biz_id replays the
 * stored outcome without calling the payment hook again. Strings live in the caller's arena. */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "core/err.h"
#include "clients/pay.h"

struct app;
struct arena;

enum { GIFT_ID_MAX = 64, GIFT_NAME_MAX = 64, GIFT_IMG_MAX = 512, GIFT_TYPE_ALL = -1 };

/* live_gift.status */
enum gift_status { GIFT_PENDING = 0, GIFT_PAID = 1, GIFT_FAILED = 2 };

/* One gift_config row (GiftConfigDto). */
struct gift_config {
    int64_t gift_id;
    int64_t type;
    const char *name;
    int64_t amount;
    const char *img;
    int64_t animation_type;
    const char *animation_img;
    int64_t order;
    const char *extends_json; /* stored JSON text or NULL */
};

/* One live_gift row. Times are Unix seconds, 0 for NULL. */
struct gift_tx {
    int64_t id;
    const char *biz_id;
    const char *user_id;
    int64_t gift_id;
    int64_t amount;
    int status; /* enum gift_status */
    const char *live_id;
    const char *anchor_id;
    int64_t created_at;
    int64_t updated_at;
};

/* A send request. biz_id NULL or "" = generate one. im_userid is the sender's IM id (0 = no
 * gift_notify). */
struct gift_send_in {
    const char *live_id;
    const char *user_id;
    const char *biz_id;
    int64_t gift_id;
    int64_t amount;
    int64_t im_userid;
};

/* Sends a gift (G5). On ERR_OK *out is the paid transaction. ERR_GIFT_PAY when the live is
 * unknown, the hook refused, failed or timed out, or the same biz_id is still being paid by
 * another request; when the hook itself refused, *verdict holds its code (non-zero) and message,
 * which the answer passes through (verdict->code is 0 otherwise). ERR_EXISTS when biz_id belongs
 * to a different gift. A refusal (ERR_GIFT_ROOM_NOT_ON_AIR, ERR_GIFT_NOT_IN_ROOM,
 * ERR_GIFT_AMOUNT, ERR_GIFT_UNKNOWN, ERR_GIFT_PRICE) when the room is not on air, the sender is
 * not in it, the amount is not positive, the gift is not configured or the amount is not its
 * price (a stored biz_id skips these checks: its retry replays the stored outcome);
 * ERR_UNAVAILABLE / ERR_INTERNAL on store errors, and ERR_UNAVAILABLE when the request was
 * abandoned before the hook was called. Once the hook is called the send runs to its end on a
 * deadline of its own (hook timeout + request timeout), whatever the client or the request's
 * deadline do, so that a paid gift is always recorded. */
err_t gift_send(struct app *a, struct arena *ar, const struct gift_send_in *in, struct gift_tx *out,
                struct pay_result *verdict) MUST_USE;

/* The catalogue for a type (GIFT_TYPE_ALL = every type), `order` ascending then newest first. */
err_t gift_config_list(struct app *a, struct arena *ar, int64_t type, struct gift_config **out,
                       size_t *n) MUST_USE;
/* Creates or replaces (and revives) the config of cfg->gift_id. ERR_BAD_REQUEST when gift_id
 * <= 0 or the name is empty. */
err_t gift_config_save(struct app *a, struct arena *ar, const struct gift_config *cfg) MUST_USE;
/* Soft-deletes a config; an unknown id succeeds. */
err_t gift_config_delete(struct app *a, int64_t gift_id) MUST_USE;

/* Which column a transaction list filters on. */
enum gift_list_by { GIFT_BY_LIVE, GIFT_BY_ANCHOR, GIFT_BY_USER };

/* One page of transactions where the column equals `value`, by id ascending. */
err_t gift_list(struct app *a, struct arena *ar, enum gift_list_by by, const char *value,
                int64_t page_num, int64_t page_size, struct gift_tx **out, size_t *n,
                int64_t *total) MUST_USE;

/* JSON of a config (GiftConfigDto), of a transaction row and of a send result /
 * gift_send callback body {biz_id,user_id,live_id,anchor_id,gift_id,amount,status}
 * (new references). */
json_t *gift_config_json(const struct gift_config *c);
json_t *gift_tx_json(const struct gift_tx *t);
json_t *gift_send_json(const struct gift_tx *t);

/* Registers the gift routes when the config has a `gift` section (G15 only with
 * gift.test_hook). */
void gift_module_register(struct app *a);

#endif
