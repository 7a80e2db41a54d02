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

enum {
    WEBHOOK_CONNECT_TIMEOUT_MS = 3000,
    WEBHOOK_TIMEOUT_MS = 5000,
    WEBHOOK_MAX_RESPONSE = 64 * 1024,
};

/* POSTs one event, signed with `secret` as clients/hook_sign.h describes (unsigned when secret
 * is NULL or ""). `body_json` is the event body as JSON text (borrowed; must parse as a JSON
 * value, else ERR_BAD_REQUEST and nothing is sent). ERR_OK when the receiver acknowledged;
 * ERR_UPSTREAM otherwise, with a short reason (no secrets) written into errbuf. */
err_t webhook_post(const char *addr, const char *secret, int64_t event_id, const char *type,
                   const char *body_json, char *errbuf, size_t errlen) MUST_USE;

#endif
