#ifndef QNLIVE_CLIENTS_CENSOR_CLIENT_H
#define QNLIVE_CLIENTS_CENSOR_CLIENT_H

/* Typed client of the Qiniu live moderation API v3: create, close, query
 * and list jobs, every call a JSON POST signed with the account keys. Unlike the
 * reference every call has a timeout, and a reply whose `code` is not 0 is an error. */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/err.h"

struct censor_client;

/* What a new job watches and where it reports. */
struct censor_job_spec {
    const char *id;  /* stream id sent as data.id (the live id) */
    const char *uri; /* stream the service pulls */
    bool pulp, terror, politician, ads;
    int64_t interval_s;   /* seconds between sampled frames */
    const char *bucket;   /* where the service stores flagged frames */
    const char *hook_url; /* where it posts results (only frames judged non-compliant) */
};

/* Builds a client from cf->censor.endpoint, cf->censor.timeout_ms and cf->account (strings
 * copied). Never fails. */
struct censor_client *censor_client_new(const struct conf *cf);

/* Frees the client; accepts NULL and NULLs *cp. */
void censor_client_free(struct censor_client **cp);

/* POST /v3/live/censor. *job_id receives the new job id (heap). ERR_UPSTREAM on transport
 * failure, a non-2xx/3xx status, a reply code other than 0 or a reply without a job id; the
 * reason is written to errbuf. */
err_t censor_job_create(struct censor_client *c, const struct censor_job_spec *spec, char **job_id,
                        char *errbuf, size_t errlen) MUST_USE;

/* POST /v3/live/censor/close {"job": job_id}. Errors as censor_job_create. */
err_t censor_job_close(struct censor_client *c, const char *job_id, char *errbuf,
                       size_t errlen) MUST_USE;

/* POST /v3/live/censor/<op> (op "query" or "list") with the JSON object `body` (borrowed);
 * *data receives the reply's `data` member (new reference; JSON null when absent). Errors as
 * censor_job_create. */
err_t censor_call(struct censor_client *c, const char *op, json_t *body, json_t **data,
                  char *errbuf, size_t errlen) MUST_USE;

#endif
