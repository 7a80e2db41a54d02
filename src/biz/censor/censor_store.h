#ifndef QNLIVE_BIZ_CENSOR_STORE_H
#define QNLIVE_BIZ_CENSOR_STORE_H

/* SQL of the censor module. Private to biz/censor. */

#include "biz/censor/censor.h"

struct store_conn;

#include <stdbool.h>
#include <stddef.h>

/* Reads the first censor_config row; ERR_NOT_FOUND when the table is empty. */
err_t censor_store_config_get(struct store_conn *c, struct arena *ar,
                              struct censor_config *out) MUST_USE;

/* Inserts or replaces row id 1. */
err_t censor_store_config_put(struct store_conn *c, struct arena *ar,
                              const struct censor_config *in) MUST_USE;

/* Inserts row id 1 with `in` unless a row 1 exists already. */
err_t censor_store_config_insert_default(struct store_conn *c, struct arena *ar,
                                         const struct censor_config *in) MUST_USE;

/* One stored flagged frame (censor_image row). Strings live in the caller's arena. */
struct censor_image {
    int64_t id;
    const char *url;
    const char *job_id;
    int64_t created_at; /* unix seconds, from the callback */
    const char *suggestion, *pulp, *terror, *politician, *ads;
    const char *live_id;
    int64_t is_review;
    int64_t review_answer;
    const char *review_user_id;
    int64_t review_time; /* unix seconds, 0 when never reviewed */
};

/* One row of the censored-live list (CensorLive); times in unix seconds. */
struct censor_live {
    const char *live_id, *title, *anchor_id, *nick;
    int64_t live_status, anchor_status;
    const char *stop_reason;
    int64_t stop_at, start_at;
    int64_t count, violation_count, ai_count, time;
    const char *push_url, *rtmp_play_url, *flv_play_url, *hls_play_url;
};

/* Records a created job with the settings it was created with. */
err_t censor_store_job_insert(struct store_conn *c, const char *live_id, const char *job_id,
                              const struct censor_config *cfg) MUST_USE;

/* The newest job row of a live: *job_id (arena). ERR_NOT_FOUND when it has none. */
err_t censor_store_job_of_live(struct store_conn *c, struct arena *ar, const char *live_id,
                               char **job_id) MUST_USE;

/* The live a job belongs to: *live_id (arena). ERR_NOT_FOUND for an unknown job. */
err_t censor_store_live_of_job(struct store_conn *c, struct arena *ar, const char *job_id,
                               char **live_id) MUST_USE;

/* Inserts a flagged frame (not reviewed). */
err_t censor_store_image_insert(struct store_conn *c, const struct censor_image *img) MUST_USE;

/* Marks the images of live_id among ids reviewed with `answer` by user_id at now (ids of
 * other lives are left alone); *affected rows changed. */
err_t censor_store_audit(struct store_conn *c, struct arena *ar, const char *live_id,
                         const int64_t *ids, size_t n, int64_t answer, const char *user_id,
                         int64_t now, int64_t *affected) MUST_USE;

/* A page of images: of live_id (NULL = every live), is_review -1 (all, newest first), 0
 * (unreviewed, newest first) or 1 (reviewed, review_answer desc then newest first). */
err_t censor_store_images(struct store_conn *c, struct arena *ar, const char *live_id,
                          int is_review, int64_t offset, int64_t limit, struct censor_image **out,
                          size_t *n, int64_t *total) MUST_USE;

/* A page of censored lives (not deleted, counter not NULL); unreviewed_only keeps those with
 * unreviewed images that were not stopped for moderation. Ordered by last_censor_time desc. */
err_t censor_store_lives(struct store_conn *c, struct arena *ar, bool unreviewed_only,
                         int64_t offset, int64_t limit, struct censor_live **out, size_t *n,
                         int64_t *total) MUST_USE;

#endif
