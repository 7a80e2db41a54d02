#include "http/err_wire.h"

struct err_wire {
    int status;
    int code;
    const char *message;
};

/* The one table from errors to the wire. */
static const struct err_wire err_wire_table[ERR__COUNT] = {
    [ERR_OK] = {200, 0, ""},
    [ERR_BAD_REQUEST] = {400, 400, "Bad Request"},
    [ERR_UNAUTHORIZED] = {401, 401, "Unauthorized"},
    [ERR_TOKEN_EXPIRED] = {401, 499, "Your token is expired"},
    [ERR_FORBIDDEN] = {403, 403, "Forbidden"},
    [ERR_NOT_FOUND] = {404, 404, "Not Found"},
    [ERR_TOO_LARGE] = {413, 413, "Request Entity Too Large"},
    [ERR_EXISTS] = {400, 10001, "Already existed"},
    [ERR_ITEMS_EXCEED] = {400, 20001, "items exceed in live room"},
    [ERR_GIFT_PAY] = {200, 20002, "PayGift Failure"},
    [ERR_LOGIN_UNKNOWN] = {200, 30001, "Invalid username or password"},
    [ERR_UPSTREAM] = {500, 500, "Internal Server Error"},
    [ERR_UNAVAILABLE] = {503, 503, "Service Unavailable"},
    [ERR_WOULD_BLOCK] = {503, 503, "server busy"},
    [ERR_INTERNAL] = {500, 500, "Internal Server Error"},
    [ERR_CONFIG] = {500, 500, "Internal Server Error"},
    [ERR_RECORD_NOT_FOUND] = {500, 500, "record not found"},
    [ERR_ROOM_NOT_ON_AIR] = {500, 500, "live status error"},
    [ERR_NOT_ANCHOR] = {500, 500, "user not anchor"},
    [ERR_NOT_ROOM_OWNER] = {403, 403, "user not anchor"},
    [ERR_NOT_IN_ROOM] = {500, 500, "user not in live room"},
    [ERR_SEAT_ROOM_NOT_ON_AIR] = {400, 400, "live status error"},
    [ERR_SEAT_NOT_IN_ROOM] = {403, 403, "user not in live room"},
    [ERR_SEAT_FORBIDDEN] = {500, 500, "user mic forbidden"},
    [ERR_ROOM_IN_PK] = {400, 400, "live room already in relaying"},
    [ERR_GIFT_ROOM_NOT_ON_AIR] = {400, 400, "live room is not on air"},
    [ERR_GIFT_NOT_IN_ROOM] = {400, 400, "sender is not in the live room"},
    [ERR_GIFT_AMOUNT] = {400, 400, "amount must be positive"},
    [ERR_GIFT_UNKNOWN] = {400, 400, "gift not found"},
    [ERR_GIFT_PRICE] = {400, 400, "amount must equal the gift's price"},
    [ERR_ADMIN_RECORD_NOT_FOUND] = {404, 404, "record not found"},
};

static const struct err_wire *wire(err_t e)
{
    if ((unsigned)e >= ERR__COUNT)
        e = ERR_INTERNAL;
    return &err_wire_table[e];
}

int err_http_status(err_t e)
{
    return wire(e)->status;
}

int err_body_code(err_t e)
{
    return wire(e)->code;
}

const char *err_default_message(err_t e)
{
    return wire(e)->message;
}
