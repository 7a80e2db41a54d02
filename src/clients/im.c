#define LOG_MODULE "im"

#include "clients/im.h"

#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/sha.h>
#include <sys/random.h>

#include "clients/httpc.h"
#include "core/deadline.h"
#include "core/jv.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/str.h"

/* The reference's alphabet: 78 characters. */
static const char PASSWORD_ALPHABET[] =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890!@#$%^&*()[]{}.,";

/* Literal texts of the moderation messages; clients show them as they are. */
static const char CENSOR_STOP_TEXT[] = "直播涉嫌违规，\n管理员已关闭直播间。";
static const char CENSOR_WARN_TEXT[] = "请注意您的直播内容\n如严重违规，管理员将强行关闭直播间。";

enum { IM_CONTENT_COMMAND = 6, IM_GROUP_CHATROOM = 2, IM_MAX_RESPONSE = 256 * 1024 };

/* Notifications sent in the background (the *_later calls): a request that only tells a chat
 * room about something must not wait on IM, nor hold a handler while IM is slow. A few sender
 * threads share a bounded queue; when IM is slower than the notifications arrive the queue
 * fills and new ones are dropped, as a failed notification always was (best effort). */
enum {
    LATER_SENDERS = 4,
    LATER_QUEUE_MAX = 4096,
    LATER_STOP_MS = 2000, /* at close, queued notifications still go out for this long */
};

struct later_msg {
    enum im_target kind;
    int64_t from, target;
    char *action, *data;
    struct later_msg *next;
};

struct im_later {
    pthread_mutex_t mu;
    pthread_cond_t ready;
    struct later_msg *head, **tail;
    size_t n;
    bool stopping;
    int64_t give_up_ms; /* monotonic: once stopping, what is still queued then is dropped */
    pthread_t threads[LATER_SENDERS];
    size_t n_threads;
};

struct im_client {
    char *endpoint;
    char *hdr_app_id; /* "App_id: <app_id>" */
    char *hdr_token;  /* "Access-Token: <token>": secret, never logged */
    long connect_ms;
    long total_ms;
    struct im_later later;
};

static void *later_sender(void *arg);

struct im_reply {
    json_t *root; /* owned */
    json_t *data; /* borrowed from root, may be NULL */
    int64_t code;
    const char *message;
};

struct im_client *im_client_new(const struct conf *cf)
{
    if (!cf->im.enabled)
        return NULL;
    struct im_client *c = xcalloc(1, sizeof(*c));
    c->endpoint = xstrdup(cf->im.endpoint);
    c->hdr_app_id = xasprintf("App_id: %s", cf->im.app_id);
    c->hdr_token = xasprintf("Access-Token: %s", cf->im.token);
    c->connect_ms = 3000;
    c->total_ms = 5000;
    struct im_later *l = &c->later;
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->ready, NULL);
    l->tail = &l->head;
    for (; l->n_threads < LATER_SENDERS; l->n_threads++) {
        if (pthread_create(&l->threads[l->n_threads], NULL, later_sender, c) != 0) {
            log_error("cannot start the IM notification senders");
            abort(); /* at start-up: nothing sensible to send notifications with */
        }
    }
    return c;
}

static void later_msg_free(struct later_msg *m)
{
    free(m->action);
    free(m->data);
    free(m);
}

/* Lets the senders finish what is queued for a moment, then stops them and drops the rest. */
static void later_stop(struct im_later *l)
{
    pthread_mutex_lock(&l->mu);
    l->stopping = true;
    l->give_up_ms = deadline_now_ms() + LATER_STOP_MS;
    pthread_cond_broadcast(&l->ready);
    pthread_mutex_unlock(&l->mu);
    for (size_t i = 0; i < l->n_threads; i++)
        pthread_join(l->threads[i], NULL);
    if (l->n)
        log_warn("%zu IM notifications dropped at close", l->n);
    for (struct later_msg *m = l->head, *next; m; m = next) {
        next = m->next;
        later_msg_free(m);
    }
    pthread_cond_destroy(&l->ready);
    pthread_mutex_destroy(&l->mu);
}

void im_client_free(struct im_client **cp)
{
    struct im_client *c = cp ? *cp : NULL;
    if (!c)
        return;
    later_stop(&c->later);
    free(c->endpoint);
    free(c->hdr_app_id);
    free(c->hdr_token);
    free(c);
    *cp = NULL;
}

void im_client_set_timeouts(struct im_client *c, long connect_ms, long total_ms)
{
    if (!c)
        return;
    if (connect_ms > 0)
        c->connect_ms = connect_ms;
    if (total_ms > 0)
        c->total_ms = total_ms;
}

bool im_enabled(const struct im_client *c)
{
    return c != NULL;
}

err_t im_password_generate(char out[IM_PASSWORD_SIZE])
{
    const size_t n = sizeof(PASSWORD_ALPHABET) - 1;
    const unsigned limit =
        256 - 256 % (unsigned)n; /* reject the tail so every char is equally likely */
    size_t filled = 0;

    while (filled < IM_PASSWORD_LEN) {
        unsigned char buf[32];
        if (getrandom(buf, sizeof(buf), 0) != (ssize_t)sizeof(buf))
            return ERR_INTERNAL;
        for (size_t i = 0; i < sizeof(buf) && filled < IM_PASSWORD_LEN; i++) {
            if (buf[i] < limit)
                out[filled++] = PASSWORD_ALPHABET[buf[i] % n];
        }
    }
    out[IM_PASSWORD_LEN] = '\0';
    return ERR_OK;
}

char *im_username_dup(const char *user_id)
{
    if (jv_utf8_chars(user_id, strlen(user_id)) + 2 <= IM_USERNAME_MAX)
        return xasprintf("ql%s", user_id);
    /* "ql" + a long id would not fit the im_username column: "ql" + the first 62 hex digits
     * of its SHA-256, as stable as the id and as unique in practice */
    unsigned char md[SHA256_DIGEST_LENGTH];
    char hex[2 * SHA256_DIGEST_LENGTH + 1];
    SHA256((const unsigned char *)user_id, strlen(user_id), md);
    for (size_t i = 0; i < sizeof(md); i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return xasprintf("ql%.*s", IM_USERNAME_MAX - 2, hex);
}

static void reply_free(struct im_reply *r)
{
    json_decref(r->root);
    memset(r, 0, sizeof(*r));
}

/* Decodes the {code, message, data} envelope. An empty body reads as an all-zero reply, as in
 * the reference, which then fails the caller's code check. */
static err_t reply_parse(const struct httpc_resp *resp, struct im_reply *out)
{
    memset(out, 0, sizeof(*out));
    if (resp->body_len == 0)
        return ERR_OK;
    out->root = json_loadb(resp->body, resp->body_len, 0, NULL);
    if (!json_is_object(out->root)) {
        reply_free(out);
        return ERR_UPSTREAM;
    }
    out->code = json_integer_value(json_object_get(out->root, "code"));
    out->message = json_string_value(json_object_get(out->root, "message"));
    out->data = json_object_get(out->root, "data");
    return ERR_OK;
}

/* One IM call: fixed headers, optional acting user, JSON body (NULL for none). ERR_OK when a
 * 2xx/3xx JSON reply arrived; the caller judges its code. */
static err_t im_call(const struct im_client *c, const char *method, const char *path,
                     int64_t acting, const char *body, struct im_reply *out)
{
    char user_hdr[48];
    const char *headers[5] = {c->hdr_app_id, c->hdr_token, NULL, NULL, NULL};
    size_t n = 2;
    struct httpc_resp resp;

    memset(out, 0, sizeof(*out));
    if (acting != 0) {
        snprintf(user_hdr, sizeof(user_hdr), "User_id: %" PRId64, acting);
        headers[n++] = user_hdr;
    }
    if (body)
        headers[n++] = "Content-Type: application/json";
    char *url = xasprintf("%s%s", c->endpoint, path);
    struct httpc_req rq = {
        .service = "im",
        .method = method,
        .url = url,
        .headers = headers,
        .body = body,
        .body_len = body ? strlen(body) : 0,
        .connect_timeout_ms = c->connect_ms,
        .timeout_ms = c->total_ms,
        .max_response = IM_MAX_RESPONSE,
    };
    err_t err = httpc_do(&rq, &resp);
    if (err)
        log_warn("%s %s: %s", method, path, resp.error);
    else if (resp.status < 200 || resp.status >= 400) {
        log_warn("%s %s: HTTP %ld", method, path, resp.status);
        err = ERR_UPSTREAM;
    } else if ((err = reply_parse(&resp, out)) != ERR_OK)
        log_warn("%s %s: reply is not a JSON object", method, path);
    httpc_resp_free(&resp);
    free(url);
    return err;
}

/* Checks the service-level code of a reply and logs a refusal. */
static err_t reply_check(const char *op, const struct im_reply *r)
{
    if (r->code == IM_CODE_OK)
        return ERR_OK;
    log_warn("%s refused: code=%" PRId64 " message=%s", op, r->code, r->message ? r->message : "");
    return ERR_UPSTREAM;
}

/* Reads a positive integer id under data.<key>; a missing or zero id is a failed call. */
static err_t reply_id(const char *op, const struct im_reply *r, const char *key, int64_t *out)
{
    json_t *v = json_object_get(r->data, key);
    if (!json_is_integer(v) || json_integer_value(v) <= 0) {
        log_warn("%s: reply without data.%s", op, key);
        return ERR_UPSTREAM;
    }
    *out = json_integer_value(v);
    return ERR_OK;
}

/* Compact JSON text of obj (heap) and drops the reference; NULL if obj is NULL (invalid UTF-8
 * in one of its strings makes jansson return NULL when building it). */
static char *dump_take(json_t *obj)
{
    char *s = obj ? json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY) : NULL;
    json_decref(obj);
    return s;
}

err_t im_find_user(struct im_client *c, const char *username, int64_t *out_id)
{
    struct im_reply r;

    *out_id = 0;
    if (!c)
        return ERR_OK;
    /* the reference pastes the name unescaped; escaping changes nothing for "ql<id>" names
     * made of unreserved characters and keeps other ids from breaking the query */
    char *esc = url_escape(username);
    char *path = xasprintf("/roster/name?username=%s", esc);
    err_t err = im_call(c, "GET", path, 0, NULL, &r);
    if (!err)
        err = reply_check("roster/name", &r);
    if (!err)
        err = reply_id("roster/name", &r, "user_id", out_id);
    reply_free(&r);
    free(path);
    free(esc);
    return err;
}

err_t im_change_password(struct im_client *c, int64_t im_user_id, const char *password)
{
    struct im_reply r;

    if (!c)
        return ERR_OK;
    char *body = dump_take(json_pack("{s:s}", "password", password));
    if (!body)
        return ERR_BAD_REQUEST;
    err_t err = im_call(c, "POST", "/user/change_password_admin", im_user_id, body, &r);
    if (!err)
        err = reply_check("change_password_admin", &r);
    reply_free(&r);
    free(body);
    return err;
}

err_t im_register_user(struct im_client *c, const char *username, const char *password,
                       int64_t *out_id)
{
    struct im_reply r;
    int64_t id = 0;

    *out_id = 0;
    if (!c)
        return ERR_OK;
    char *body = dump_take(json_pack("{s:s, s:s}", "password", password, "username", username));
    if (!body)
        return ERR_BAD_REQUEST;
    err_t err = im_call(c, "POST", "/user/register/v2", 0, body, &r);
    free(body);
    if (err)
        goto out;
    if (r.code == IM_CODE_USER_EXISTS) {
        /* the name is taken (e.g. an earlier registration whose reply was lost): adopt that
         * account and give it the new password, which is the one we are about to store */
        err = im_find_user(c, username, &id);
        if (!err)
            err = im_change_password(c, id, password);
        goto out;
    }
    err = reply_check("register", &r);
    if (!err)
        err = reply_id("register", &r, "user_id", &id);
out:
    reply_free(&r);
    if (!err)
        *out_id = id;
    return err;
}

err_t im_create_chatroom(struct im_client *c, int64_t owner_im_id, const char *live_id,
                         int64_t *out_group_id)
{
    struct im_reply r;

    *out_group_id = 0;
    if (!c)
        return ERR_OK;
    char *body = dump_take(json_pack("{s:s, s:i}", "name", live_id, "type", IM_GROUP_CHATROOM));
    if (!body)
        return ERR_BAD_REQUEST;
    err_t err = im_call(c, "POST", "/group/create", owner_im_id, body, &r);
    if (!err)
        err = reply_check("group/create", &r);
    if (!err)
        err = reply_id("group/create", &r, "group_id", out_group_id);
    reply_free(&r);
    free(body);
    return err;
}

/* The /message/send body: keys in the reference's order, from_user_id omitted
 * for the system sender. `content` is the command as a JSON *string*. */
static char *message_body(enum im_target kind, int64_t from, int64_t target, const char *content)
{
    json_t *o = json_object();
    json_object_set_new(o, "type", json_integer(kind));
    if (from != 0)
        json_object_set_new(o, "from_user_id", json_integer(from));
    json_object_set_new(o, "targets", json_pack("[I]", (json_int_t)target));
    json_object_set_new(o, "content_type", json_integer(IM_CONTENT_COMMAND));
    json_t *s = json_string(content);
    if (!s) {
        json_decref(o);
        return NULL;
    }
    json_object_set_new(o, "content", s);
    json_object_set_new(o, "attachment", json_string(""));
    return dump_take(o);
}

/* {"action":<action>,"data":<data_json>} with data_json's bytes kept exactly as given (after
 * checking that they are one JSON value), so numbers are never re-encoded. */
static char *command_content(const char *action, const char *data_json)
{
    json_t *check = json_loads(data_json, JSON_DECODE_ANY, NULL);
    if (!check)
        return NULL;
    json_decref(check);
    char *act = dump_take(json_string(action));
    if (!act)
        return NULL;
    char *content = xasprintf("{\"action\":%s,\"data\":%s}", act, data_json);
    free(act);
    return content;
}

err_t im_send_command(struct im_client *c, enum im_target kind, int64_t from, int64_t target,
                      const char *action, const char *data_json)
{
    struct im_reply r;
    char *body = NULL;
    err_t err = ERR_BAD_REQUEST;

    if (!c)
        return ERR_OK;
    if (target == 0)
        return ERR_BAD_REQUEST; /* no room / no IM account: nothing to deliver to */
    char *content = command_content(action, data_json);
    if (content)
        body = message_body(kind, from, target, content);
    if (body)
        err = im_call(c, "POST", "/message/send", from, body, &r);
    if (body && !err) {
        char op[64];
        snprintf(op, sizeof(op), "message/send %s", action);
        err = reply_check(op, &r);
        reply_free(&r);
    }
    free(body);
    free(content);
    return err;
}

/* Sends a typed notification whose payload was built with jansson (NULL = invalid input). */
static err_t send_payload(struct im_client *c, enum im_target kind, int64_t from, int64_t target,
                          const char *action, json_t *payload)
{
    char *data = dump_take(payload);
    if (!data)
        return ERR_BAD_REQUEST;
    err_t err = im_send_command(c, kind, from, target, action, data);
    free(data);
    return err;
}

/* The next queued message, or NULL when the sender should end. Under l->mu. */
static struct later_msg *later_take(struct im_later *l)
{
    while (!l->head && !l->stopping)
        pthread_cond_wait(&l->ready, &l->mu);
    if (!l->head || (l->stopping && deadline_now_ms() >= l->give_up_ms))
        return NULL;
    struct later_msg *m = l->head;
    l->head = m->next;
    if (!l->head)
        l->tail = &l->head;
    l->n--;
    return m;
}

static void *later_sender(void *arg)
{
    struct im_client *c = arg;
    struct im_later *l = &c->later;
    pthread_mutex_lock(&l->mu);
    for (struct later_msg *m; (m = later_take(l));) {
        pthread_mutex_unlock(&l->mu);
        err_t err = im_send_command(c, m->kind, m->from, m->target, m->action, m->data);
        if (err)
            log_warn("%s to %" PRId64 " not sent: %s", m->action, m->target, err_name(err));
        later_msg_free(m);
        pthread_mutex_lock(&l->mu);
    }
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

/* Queues a typed notification built with jansson (NULL = invalid input) for the senders. */
static bool queue_payload(struct im_client *c, enum im_target kind, int64_t from, int64_t target,
                          const char *action, json_t *payload)
{
    char *data = dump_take(payload);
    if (!data || target == 0) {
        free(data);
        return false;
    }
    struct im_later *l = &c->later;
    pthread_mutex_lock(&l->mu);
    bool room = !l->stopping && l->n < LATER_QUEUE_MAX;
    if (room) {
        struct later_msg *m = xcalloc(1, sizeof(*m));
        *m = (struct later_msg){kind, from, target, xstrdup(action), data, NULL};
        data = NULL;
        *l->tail = m;
        l->tail = &m->next;
        l->n++;
        pthread_cond_signal(&l->ready);
    }
    pthread_mutex_unlock(&l->mu);
    free(data);
    return room;
}

static json_t *like_payload(const char *live_id, const char *user_id, int64_t count)
{
    return json_pack("{s:s, s:s, s:I}", "live_id", live_id, "user_id", user_id, "count",
                     (json_int_t)count);
}

static json_t *gift_payload(const char *user_id, const char *live_id, int64_t gift_id,
                            int64_t amount)
{
    return json_pack("{s:s, s:s, s:I, s:I}", "user_id", user_id, "live_id", live_id, "gift_id",
                     (json_int_t)gift_id, "amount", (json_int_t)amount);
}

err_t im_notify_like(struct im_client *c, int64_t chat_id, int64_t from, const char *live_id,
                     const char *user_id, int64_t count)
{
    if (!c)
        return ERR_OK;
    if (from == 0)
        return ERR_BAD_REQUEST;
    return send_payload(c, IM_TARGET_GROUP, from, chat_id, "like_notify",
                        like_payload(live_id, user_id, count));
}

bool im_notify_like_later(struct im_client *c, int64_t chat_id, int64_t from, const char *live_id,
                          const char *user_id, int64_t count)
{
    return c && from != 0 &&
           queue_payload(c, IM_TARGET_GROUP, from, chat_id, "like_notify",
                         like_payload(live_id, user_id, count));
}

err_t im_notify_gift(struct im_client *c, int64_t chat_id, int64_t from, const char *user_id,
                     const char *live_id, int64_t gift_id, int64_t amount)
{
    if (!c)
        return ERR_OK;
    if (from == 0)
        return ERR_BAD_REQUEST;
    return send_payload(c, IM_TARGET_GROUP, from, chat_id, "gift_notify",
                        gift_payload(user_id, live_id, gift_id, amount));
}

bool im_notify_gift_later(struct im_client *c, int64_t chat_id, int64_t from, const char *user_id,
                          const char *live_id, int64_t gift_id, int64_t amount)
{
    return c && from != 0 &&
           queue_payload(c, IM_TARGET_GROUP, from, chat_id, "gift_notify",
                         gift_payload(user_id, live_id, gift_id, amount));
}

err_t im_notify_pk_extends(struct im_client *c, int64_t chat_id, int64_t from, const char *sid,
                           const char *init_room_id, const char *recv_room_id,
                           const char *extends_json)
{
    if (!c)
        return ERR_OK;
    if (from == 0)
        return ERR_BAD_REQUEST;
    json_t *ext = json_loads(extends_json, 0, NULL);
    if (!json_is_object(ext)) {
        json_decref(ext);
        return ERR_BAD_REQUEST;
    }
    json_t *p = json_pack("{s:s, s:s, s:s, s:o}", "sid", sid, "init_room_id", init_room_id,
                          "recv_room_id", recv_room_id, "extends", ext);
    return send_payload(c, IM_TARGET_GROUP, from, chat_id, "pk_extends_notify", p);
}

err_t im_notify_censor_stop(struct im_client *c, int64_t chat_id, int64_t anchor_im_id,
                            const char *live_id)
{
    if (!c)
        return ERR_OK;
    if (anchor_im_id == 0)
        return ERR_BAD_REQUEST;
    json_t *p = json_pack("{s:s, s:s}", "live_id", live_id, "message", CENSOR_STOP_TEXT);
    return send_payload(c, IM_TARGET_GROUP, anchor_im_id, chat_id, "censor_stop", p);
}

err_t im_notify_censor_warn(struct im_client *c, int64_t anchor_im_id, const char *live_id)
{
    if (!c)
        return ERR_OK;
    json_t *p = json_pack("{s:s, s:s}", "live_id", live_id, "message", CENSOR_WARN_TEXT);
    return send_payload(c, IM_TARGET_USER, 0, anchor_im_id, "censor_notify", p);
}
