#ifndef QNLIVE_BIZ_MIC_STORE_H
#define QNLIVE_BIZ_MIC_STORE_H

/* SQL of the mic module (live_mic_entities). Every function runs one statement on c; *n gets
 * the rows changed (MySQL counts only rows whose values changed). Store errors are returned. */

#include "biz/mic/mic.h"

struct store_conn;

/* Re-joins an existing, not forbidden seat: status 0, new flags, extends unless NULL. */
err_t mic_store_rejoin(struct store_conn *c, const char *live_id, const char *user_id,
                       const struct mic_up_in *in, int64_t now, int64_t *n) MUST_USE;

/* Inserts a joined seat unless one exists (*n 0 then). */
err_t mic_store_insert(struct store_conn *c, struct arena *ar, const char *live_id,
                       const char *user_id, const struct mic_up_in *in, int64_t now,
                       int64_t *n) MUST_USE;

/* The seat of (live, user); ERR_NOT_FOUND when none. */
err_t mic_store_find(struct store_conn *c, struct arena *ar, const char *live_id,
                     const char *user_id, struct mic_seat *out) MUST_USE;

/* Marks the seat left unless it is forbidden. */
err_t mic_store_leave(struct store_conn *c, const char *live_id, const char *user_id,
                      int64_t now) MUST_USE;

/* Joined seats of a room joined with their users, in seat order (*out in the arena). */
err_t mic_store_list(struct store_conn *c, struct arena *ar, const char *live_id,
                     struct mic_entry **out, size_t *n) MUST_USE;

/* Replaces the seat's extends text (NULL stores "null"). */
err_t mic_store_set_extends(struct store_conn *c, const char *live_id, const char *user_id,
                            const char *extends_json, int64_t now) MUST_USE;

/* Sets one flag: camera when is_camera, else mic. */
err_t mic_store_set_flag(struct store_conn *c, const char *live_id, const char *user_id,
                         bool is_camera, bool on, int64_t now) MUST_USE;

#endif
