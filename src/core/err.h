#ifndef QNLIVE_CORE_ERR_H
#define QNLIVE_CORE_ERR_H

#include <stdbool.h>

/* The one error enum of the server. Failures come first: the request could not be served (bad
 * input, a missing record, a dependency away). Refusals follow: a business rule said no to a
 * well-formed request, each with its own wire status, code and message; logs and metrics count
 * them apart from failures. src/http/err_wire.c maps every value to the wire. */
typedef enum {
    ERR_OK = 0,
    ERR_BAD_REQUEST,   /* HTTP 400, code 400 */
    ERR_UNAUTHORIZED,  /* HTTP 401, code 401 */
    ERR_TOKEN_EXPIRED, /* HTTP 401, code 499 */
    ERR_FORBIDDEN,     /* HTTP 403, code 403 */
    ERR_NOT_FOUND,     /* HTTP 404, code 404 */
    ERR_TOO_LARGE,     /* HTTP 413, code 413: request body over the configured cap */
    ERR_EXISTS,        /* HTTP 400, code 10001 */
    ERR_ITEMS_EXCEED,  /* HTTP 400, code 20001 */
    ERR_GIFT_PAY,      /* HTTP 200, code 20002 */
    ERR_LOGIN_UNKNOWN, /* HTTP 200, code 30001 */
    ERR_UPSTREAM,    /* an IM/RTC/moderation call failed: HTTP 500 unless a route says otherwise */
    ERR_UNAVAILABLE, /* HTTP 503, code 503: database or cache unreachable */
    ERR_WOULD_BLOCK, /* a thread marked "must not block" refused to wait (core/noblock.h); the
                      * request is run again where it may wait, so it never reaches a client:
                      * HTTP 503 "server busy" if it ever escapes */
    ERR_INTERNAL,    /* HTTP 500, code 500 */
    ERR_CONFIG,      /* start-up only: a configured value cannot be used (never retried) */
    /* Refusals. The reference answered most of them with 500 and a fixed text, which the
     * clients match on (an Android heartbeat re-joins on "user not in live room"). */
    ERR__REFUSAL_FIRST,
    ERR_RECORD_NOT_FOUND = ERR__REFUSAL_FIRST, /* 500 "record not found": a client route's
                                                * missing room */
    ERR_ROOM_NOT_ON_AIR,      /* 500 "live status error": start, join or stop in the wrong state */
    ERR_NOT_ANCHOR,           /* 500 "user not anchor": start or stop of another's room */
    ERR_NOT_ROOM_OWNER,       /* 403 "user not anchor": deleting another's room */
    ERR_NOT_IN_ROOM,          /* 500 "user not in live room": heartbeat of a user not present */
    ERR_SEAT_ROOM_NOT_ON_AIR, /* 400 "live status error": a seat in a room not on air */
    ERR_SEAT_NOT_IN_ROOM,     /* 403 "user not in live room": a seat for a user not present */
    ERR_SEAT_FORBIDDEN,       /* 500 "user mic forbidden": the anchor forbade this seat */
    ERR_ROOM_IN_PK,           /* 400 "live room already in relaying": a PK while in another */
    ERR_GIFT_ROOM_NOT_ON_AIR, /* 400 "live room is not on air": a gift to a room off air */
    ERR_GIFT_NOT_IN_ROOM,     /* 400 "sender is not in the live room" */
    ERR_GIFT_AMOUNT,          /* 400 "amount must be positive" */
    ERR_GIFT_UNKNOWN,         /* 400 "gift not found": not in the catalogue */
    ERR_GIFT_PRICE,           /* 400 "amount must equal the gift's price" */
    ERR_ADMIN_RECORD_NOT_FOUND, /* 404 "record not found": an admin route's missing live or
                                 * moderation job (the reference answered 500) */
    ERR__COUNT
} err_t;

#define MUST_USE __attribute__((warn_unused_result))

/* Stable machine name of an error, e.g. "not_found"; used in logs and metrics. */
const char *err_name(err_t e);

/* True for a business rule's refusal, false for a failure (and for ERR_OK). */
bool err_is_refusal(err_t e);

enum { ERR_MSG_MAX = 256 };

/* The wire message of a refusal whose text carries data ("duplicated item id sku-1"), written
 * by the service that refused; an empty text means the error's own catalogue message. */
struct err_msg {
    char text[ERR_MSG_MAX];
};

/* Formats the message into m (skipped when m is NULL) and returns e, so a service writes
 * `return err_msgf(why, ERR_BAD_REQUEST, "from equal to");`. */
err_t err_msgf(struct err_msg *m, err_t e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
