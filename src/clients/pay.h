#ifndef QNLIVE_CLIENTS_PAY_H
#define QNLIVE_CLIENTS_PAY_H
/* The gift payment hook: one POST of the gift to gift.gift_addr, whose reply
 * decides whether the gift is paid. The business server must treat biz_id as the idempotency
 * key: qnlive may call it again with the same biz_id after a crash, never with a new one for
 * the same gift. */
#include <stdint.h>

#include "core/err.h"

struct conf;
struct pay_client;

enum { PAY_MESSAGE_MAX = 256 };

/* What is charged. Strings are borrowed for the call. */
struct pay_order {
    const char *biz_id;
    const char *user_id;
    const char *live_id;
    const char *anchor_id;
    int64_t gift_id;
    int64_t amount;
};

/* The hook's verdict when it answered: code 0 = paid; anything else = refused with the
 * hook's own code and message ("" when it gave none). */
struct pay_result {
    int64_t code;
    char message[PAY_MESSAGE_MAX];
};

/* A client of the hook at cf->gift.gift_addr, with gift.secret and gift.timeout_ms (strings
 * copied); NULL when the config has no gift section. */
struct pay_client *pay_client_new(const struct conf *cf);

/* Frees the client; accepts NULL and NULLs *pp. */
void pay_client_free(struct pay_client **pp);

/* POSTs {"biz_id","user_id","live_id","anchor_id","gift_id","amount"} (that key order) to the
 * hook within its timeout, signed with its secret as clients/hook_sign.h describes (unsigned
 * without one). ERR_OK when the hook answered a 2xx JSON object with an integer `code` (then
 * *out holds it, paid or refused); ERR_UPSTREAM on transport failure, timeout, non-2xx status,
 * an empty or undecodable reply (never counted as paid). */
err_t pay_charge(const struct pay_client *pc, const struct pay_order *o,
                 struct pay_result *out) MUST_USE;

#endif
