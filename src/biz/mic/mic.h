#ifndef QNLIVE_BIZ_MIC_H
#define QNLIVE_BIZ_MIC_H

/* The mic (co-hosting) service: seats of live_mic_entities. One row per
 * (live, user), kept by a unique key; every state change is one guarded statement. Strings of
 * the structs below live in the arena passed to the call. */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "biz/user/user.h"
#include "core/err.h"

struct app;
struct arena;

enum { MIC_EXTENDS_MAX = 1024 };

/* live_mic_entities.status. */
enum mic_state {
    MIC_STATE_JOINED = 0,
    MIC_STATE_LEFT = 1,
    MIC_STATE_FORBIDDEN = 2,
};

/* One seat row. */
struct mic_seat {
    int64_t id;
    const char *live_id;
    const char *user_id;
    bool has_mic;
    bool has_camera;
    int status;               /* enum mic_state */
    const char *extends_json; /* JSON object text or NULL ("null" / SQL NULL) */
};

/* One element of the seat list: the seat and its owner. */
struct mic_entry {
    struct mic_seat seat;
    struct user_row user;
};

/* What "go on mic" asks for. extends_json NULL keeps a re-joining seat's extends. */
struct mic_up_in {
    bool has_mic;
    bool has_camera;
    const char *extends_json;
};

/* Takes (or re-takes) a seat in `live_id` for `user_id` and returns an RTC room token for it
 * in *token (arena). The room must exist (ERR_NOT_FOUND), be on air and the caller must be its
 * anchor or online in it (refused: ERR_SEAT_ROOM_NOT_ON_AIR, ERR_SEAT_NOT_IN_ROOM). A forbidden
 * seat is refused with ERR_SEAT_FORBIDDEN. Store errors are returned. */
err_t mic_up(struct app *a, struct arena *ar, const char *live_id, const char *user_id,
             const struct mic_up_in *in, char **token) MUST_USE;

/* Leaves the seat (status 1); a missing seat is success. A forbidden seat stays forbidden. */
err_t mic_down(struct app *a, const char *live_id, const char *user_id) MUST_USE;

/* The joined seats of a room whose owner is online in its RTC room (one RTC call), in seat
 * creation order. An RTC failure counts every seat as offline (the reference). */
err_t mic_list(struct app *a, struct arena *ar, const char *live_id, struct mic_entry **out,
               size_t *n) MUST_USE;

/* Replaces the extends of target's seat (NULL stores "null"). The caller must be the target or
 * the room's anchor (ERR_FORBIDDEN). A missing seat is success. */
err_t mic_set_extends(struct app *a, struct arena *ar, const char *live_id, const char *caller,
                      const char *target, const char *extends_json) MUST_USE;

/* Sets the mic ("mic") or camera ("camera") flag of target's seat; another type is a no-op.
 * Same authorization as mic_set_extends. */
err_t mic_switch(struct app *a, struct arena *ar, const char *live_id, const char *caller,
                 const char *target, const char *type, bool on) MUST_USE;

/* Seat JSON of the list. */
json_t *mic_entry_json(const struct mic_entry *e);

/* Registers the mic routes M1-M5 and their client aliases. */
void mic_module_register(struct app *a);

#endif
