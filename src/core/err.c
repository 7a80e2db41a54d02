#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>

/* Stable names for logs and metrics; a refusal's name says which rule refused. */
static const char *const err_names[ERR__COUNT] = {
    [ERR_OK] = "ok",
    [ERR_BAD_REQUEST] = "bad_request",
    [ERR_UNAUTHORIZED] = "unauthorized",
    [ERR_TOKEN_EXPIRED] = "token_expired",
    [ERR_FORBIDDEN] = "forbidden",
    [ERR_NOT_FOUND] = "not_found",
    [ERR_TOO_LARGE] = "too_large",
    [ERR_EXISTS] = "exists",
    [ERR_ITEMS_EXCEED] = "items_exceed",
    [ERR_GIFT_PAY] = "gift_pay",
    [ERR_LOGIN_UNKNOWN] = "login_unknown",
    [ERR_UPSTREAM] = "upstream",
    [ERR_UNAVAILABLE] = "unavailable",
    [ERR_WOULD_BLOCK] = "would_block",
    [ERR_INTERNAL] = "internal",
    [ERR_CONFIG] = "config",
    [ERR_RECORD_NOT_FOUND] = "refused_record_not_found",
    [ERR_ROOM_NOT_ON_AIR] = "refused_room_not_on_air",
    [ERR_NOT_ANCHOR] = "refused_not_anchor",
    [ERR_NOT_ROOM_OWNER] = "refused_not_room_owner",
    [ERR_NOT_IN_ROOM] = "refused_not_in_room",
    [ERR_SEAT_ROOM_NOT_ON_AIR] = "refused_seat_room_not_on_air",
    [ERR_SEAT_NOT_IN_ROOM] = "refused_seat_not_in_room",
    [ERR_SEAT_FORBIDDEN] = "refused_seat_forbidden",
    [ERR_ROOM_IN_PK] = "refused_room_in_pk",
    [ERR_GIFT_ROOM_NOT_ON_AIR] = "refused_gift_room_not_on_air",
    [ERR_GIFT_NOT_IN_ROOM] = "refused_gift_not_in_room",
    [ERR_GIFT_AMOUNT] = "refused_gift_amount",
    [ERR_GIFT_UNKNOWN] = "refused_gift_unknown",
    [ERR_GIFT_PRICE] = "refused_gift_price",
    [ERR_ADMIN_RECORD_NOT_FOUND] = "refused_admin_record_not_found",
};

const char *err_name(err_t e)
{
    if ((unsigned)e >= ERR__COUNT)
        e = ERR_INTERNAL;
    return err_names[e];
}

bool err_is_refusal(err_t e)
{
    return e >= ERR__REFUSAL_FIRST && e < ERR__COUNT;
}

err_t err_msgf(struct err_msg *m, err_t e, const char *fmt, ...)
{
    if (!m)
        return e;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->text, sizeof(m->text), fmt, ap);
    va_end(ap);
    return e;
}
