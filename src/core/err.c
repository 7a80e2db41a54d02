#include "core/err.h"

struct err_info {
    const char *name;
    int status;
    int code;
    const char *message;
};

static const struct err_info err_table[ERR__COUNT] = {
    [ERR_OK] = {"ok", 200, 0, ""},
    [ERR_BAD_REQUEST] = {"bad_request", 400, 400, "Bad Request"},
    [ERR_UNAUTHORIZED] = {"unauthorized", 401, 401, "Unauthorized"},
    [ERR_TOKEN_EXPIRED] = {"token_expired", 401, 499, "Your token is expired"},
    [ERR_FORBIDDEN] = {"forbidden", 403, 403, "Forbidden"},
    [ERR_NOT_FOUND] = {"not_found", 404, 404, "Not Found"},
    [ERR_TOO_LARGE] = {"too_large", 413, 413, "Request Entity Too Large"},
    [ERR_EXISTS] = {"exists", 400, 10001, "Already existed"},
    [ERR_ITEMS_EXCEED] = {"items_exceed", 400, 20001, "items exceed in live room"},
    [ERR_GIFT_PAY] = {"gift_pay", 200, 20002, "PayGift Failure"},
    [ERR_LOGIN_UNKNOWN] = {"login_unknown", 200, 30001, "Invalid username or password"},
    [ERR_UPSTREAM] = {"upstream", 500, 500, "Internal Server Error"},
    [ERR_UNAVAILABLE] = {"unavailable", 503, 503, "Service Unavailable"},
    [ERR_INTERNAL] = {"internal", 500, 500, "Internal Server Error"},
};

static const struct err_info *info(err_t e)
{
    if ((unsigned)e >= ERR__COUNT)
        e = ERR_INTERNAL;
    return &err_table[e];
}

const char *err_name(err_t e)
{
    return info(e)->name;
}

int err_http_status(err_t e)
{
    return info(e)->status;
}

int err_body_code(err_t e)
{
    return info(e)->code;
}

const char *err_default_message(err_t e)
{
    return info(e)->message;
}
