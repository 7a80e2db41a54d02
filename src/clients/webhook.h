#ifndef QNLIVE_CLIENTS_WEBHOOK_H
#define QNLIVE_CLIENTS_WEBHOOK_H

/* The business webhook: one event is one POST of
 * {"type":"<type>","body":<object>} to callback.addr. The receiver acknowledges with a 2xx
 * status and a JSON reply whose `code` is 0; anything else is a failure the caller retries.
 * Every POST carries `X-Qnlive-Event-Id: <id>` (stable across retries) so the receiver can
 * drop duplicates of an at-least-once delivery. */

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct conf;
struct webhook_client;

enum {
    WEBHOOK_CONNECT_TIMEOUT_MS = 3000,
    WEBHOOK_TIMEOUT_MS = 5000,
    WEBHOOK_MAX_RESPONSE = 64 * 1024,
};

/* A client of the business server at cf->callback.addr, signing with callback.secret (strings
 * copied); NULL when no callback.addr is configured. */
struct webhook_client *webhook_client_new(const struct conf *cf);

/* Frees the client; accepts NULL and NULLs *wp. */
void webhook_client_free(struct webhook_client **wp);

/* POSTs one event, signed with the client's secret as clients/hook_sign.h describes (unsigned
 * without one). `body_json` is the event body as JSON text (borrowed; must parse as a JSON
 * value, else ERR_BAD_REQUEST and nothing is sent). ERR_OK when the receiver acknowledged;
 * ERR_UPSTREAM otherwise, with a short reason (no secrets) written into errbuf. */
err_t webhook_post(const struct webhook_client *wc, int64_t event_id, const char *type,
                   const char *body_json, char *errbuf, size_t errlen) MUST_USE;

#endif
