#ifndef QNLIVE_CLIENTS_IM_H
#define QNLIVE_CLIENTS_IM_H

/* Typed client of the Maxim IM server API.
 *
 * Disabled IM: im_client_new returns NULL when the config has no `im` section, and every call
 * below accepts a NULL client, does nothing and returns ERR_OK with ids 0. Callers therefore
 * need no special case; they may test im_enabled() to skip work such as generating passwords.
 *
 * Every call is synchronous, goes through httpc (connect + total timeout, size cap) and is
 * never retried. Success is HTTP 2xx/3xx with a JSON body whose `code` is 200; anything else
 * is ERR_UPSTREAM (logged here once, without the admin token). */

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "core/err.h"

/* Length of generated IM passwords and the size of a buffer holding one. */
enum { IM_PASSWORD_LEN = 8, IM_PASSWORD_SIZE = IM_PASSWORD_LEN + 1 };

/* Characters of live_users.im_username. */
enum { IM_USERNAME_MAX = 64 };

/* Maxim's reply code for "user name already registered". */
enum { IM_CODE_OK = 200, IM_CODE_USER_EXISTS = 10004 };

/* Message target kinds: the wire `type` of /message/send. */
enum im_target { IM_TARGET_USER = 1, IM_TARGET_GROUP = 2 };

struct im_client;

/* Builds a client from cf->im (strings copied). NULL when cf->im.enabled is false. */
struct im_client *im_client_new(const struct conf *cf);

/* Frees the client; accepts NULL and NULLs *cp. */
void im_client_free(struct im_client **cp);

/* Overrides the per-call timeouts (defaults 3000 ms connect, 5000 ms total); values <= 0 keep
 * the current value. No-op on NULL. */
void im_client_set_timeouts(struct im_client *c, long connect_ms, long total_ms);

/* True when c is a configured client. */
bool im_enabled(const struct im_client *c);

/* Writes IM_PASSWORD_LEN characters drawn uniformly from the reference's 78-character alphabet
 * using the OS CSPRNG, NUL-terminated. ERR_INTERNAL if getrandom fails. */
err_t im_password_generate(char out[IM_PASSWORD_SIZE]) MUST_USE;

/* The IM user name of an application user (heap, caller frees): "ql" + user_id, or, when that
 * would exceed IM_USERNAME_MAX characters (the live_users.im_username column), "ql" + 62 hex
 * digits of the id's SHA-256. */
char *im_username_dup(const char *user_id);

/* Registers `username` with `password` and returns its IM user id in *out_id. When IM answers
 * IM_CODE_USER_EXISTS the existing account is looked up by name and its password is reset to
 * `password`. ERR_UPSTREAM on any failure (then *out_id is 0). */
err_t im_register_user(struct im_client *c, const char *username, const char *password,
                       int64_t *out_id) MUST_USE;

/* Looks up the IM user id of `username` (GET /roster/name). ERR_UPSTREAM on failure. */
err_t im_find_user(struct im_client *c, const char *username, int64_t *out_id) MUST_USE;

/* Resets the password of IM user `im_user_id` as administrator. ERR_UPSTREAM on failure. */
err_t im_change_password(struct im_client *c, int64_t im_user_id, const char *password) MUST_USE;

/* Creates the chat room (group of type 2) named `live_id`, owned by IM user `owner_im_id`, and
 * returns its group id in *out_group_id. ERR_UPSTREAM on failure. */
err_t im_create_chatroom(struct im_client *c, int64_t owner_im_id, const char *live_id,
                         int64_t *out_group_id) MUST_USE;

/* Sends a command message (content_type 6) whose content is the JSON text
 * {"action":"<action>","data":<data_json>}. `data_json` must be one valid JSON value (borrowed).
 * `from` is the sender's IM id, 0 for the system (then no User_id header). ERR_BAD_REQUEST when
 * `target` is 0 or data_json is not valid JSON (nothing is sent); ERR_UPSTREAM on failure. */
err_t im_send_command(struct im_client *c, enum im_target kind, int64_t from, int64_t target,
                      const char *action, const char *data_json) MUST_USE;

/* like_notify to the live's chat room, sent as the liker. ERR_BAD_REQUEST when
 * chat_id or from is 0. */
err_t im_notify_like(struct im_client *c, int64_t chat_id, int64_t from, const char *live_id,
                     const char *user_id, int64_t count) MUST_USE;

/* gift_notify to the live's chat room, sent as the gifting user. ERR_BAD_REQUEST when chat_id
 * or from is 0. */
err_t im_notify_gift(struct im_client *c, int64_t chat_id, int64_t from, const char *user_id,
                     const char *live_id, int64_t gift_id, int64_t amount) MUST_USE;

/* The same two notifications, queued for the client's background senders instead of sent now:
 * the caller does not wait on IM. False when nothing was queued (no client, chat_id or from is
 * 0, or the queue is full because IM is slower than the notifications arrive): best effort. */
bool im_notify_like_later(struct im_client *c, int64_t chat_id, int64_t from, const char *live_id,
                          const char *user_id, int64_t count);
bool im_notify_gift_later(struct im_client *c, int64_t chat_id, int64_t from, const char *user_id,
                          const char *live_id, int64_t gift_id, int64_t amount);

/* pk_extends_notify to one PK live's chat room, sent as that live's anchor. `extends_json` is
 * the JSON object of changed keys ("{}" when none). ERR_BAD_REQUEST when chat_id or from is 0
 * or extends_json is not a JSON object. */
err_t im_notify_pk_extends(struct im_client *c, int64_t chat_id, int64_t from, const char *sid,
                           const char *init_room_id, const char *recv_room_id,
                           const char *extends_json) MUST_USE;

/* censor_stop to the live's chat room, sent as the anchor, with the reference's fixed text. */
err_t im_notify_censor_stop(struct im_client *c, int64_t chat_id, int64_t anchor_im_id,
                            const char *live_id) MUST_USE;

/* censor_notify to the anchor's IM user, sent by the system (0), with the fixed text. */
err_t im_notify_censor_warn(struct im_client *c, int64_t anchor_im_id,
                            const char *live_id) MUST_USE;

#endif
