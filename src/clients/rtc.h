#ifndef QNLIVE_CLIENTS_RTC_H
#define QNLIVE_CLIENTS_RTC_H

/* Qiniu RTC: room tokens computed locally and the one server API the reference
 * calls, "list users in a room", used by the mic seat list. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/err.h"

/* Token lifetime of the reference: fixed 24 h (room_token_expire_s is ignored there too). */
enum { RTC_TOKEN_TTL_S = 86400 };

struct rtc_client;

/* Builds a client from cf->account and cf->rtc (strings copied). The API base is
 * cf->rtc.endpoint, or https://rtc.qiniuapi.com when empty. Never NULL. */
struct rtc_client *rtc_client_new(const struct conf *cf);

/* Frees the client; accepts NULL and NULLs *cp. */
void rtc_client_free(struct rtc_client **cp);

/* Overrides the list-users timeouts (defaults 3000 ms connect, 5000 ms total, the reference's
 * give-up time); values <= 0 keep the current value. */
void rtc_client_set_timeouts(struct rtc_client *c, long connect_ms, long total_ms);

/* Pure token algorithm: "<ak>:<b64url(HMAC-SHA1(sk, enc))>:<enc>" where enc is the padded
 * base64url of {"appId","roomName","userId","expireAt","permission":"user"} in that order.
 * Returns a heap string, or NULL when a string argument is not valid UTF-8. */
char *rtc_token_make(const char *ak, const char *sk, const char *app_id, const char *room,
                     const char *user, int64_t expire_at);

/* Room token for `user` in `room`, expiring RTC_TOKEN_TTL_S after `now` (unix seconds).
 * *out is a heap string. ERR_BAD_REQUEST when room or user is not valid UTF-8. */
err_t rtc_room_token(const struct rtc_client *c, const char *room, const char *user, int64_t now,
                     char **out) MUST_USE;

/* The user ids currently in an RTC room. */
struct rtc_users {
    char **ids; /* heap strings */
    size_t n;
};

/* GET <api>/v3/apps/<app_id>/rooms/<room>/users signed with the account keys (SDK flavour). Fills
 * *out (free with rtc_users_free). ERR_UPSTREAM on transport failure, a status other than 200 or an
 * undecodable body. */
err_t rtc_list_users(struct rtc_client *c, const char *room, struct rtc_users *out) MUST_USE;

/* True when `user_id` is in the list. */
bool rtc_users_contains(const struct rtc_users *u, const char *user_id);

/* Frees the ids and zeroes *u; accepts a zeroed struct. */
void rtc_users_free(struct rtc_users *u);

#endif
