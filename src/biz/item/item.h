#ifndef QNLIVE_BIZ_ITEM_ITEM_H
#define QNLIVE_BIZ_ITEM_ITEM_H
/* Shopping items of a live room, the demonstrated (讲解) item and demonstrate recordings.
 * Strings live in the arena passed to each call. Functions that can reject input for a reason
 * whose words carry data write it into *why with ERR_BAD_REQUEST (why may be NULL). */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/err.h"

struct app;
struct arena;

enum {
    ITEM_PER_LIVE_MAX = 100,
    ITEM_ID_MAX = 64,
    ITEM_TITLE_MAX = 64,
    ITEM_TAGS_MAX = 128,
    ITEM_URL_MAX = 255,
    ITEM_PRICE_MAX = 64,
    ITEM_STATUS_MAX = 2, /* 0 offline, 1 online, 2 locked */
};

/* item_demonstrate_log.status */
enum record_status {
    RECORD_OK = 0,        /* saved: Pili accepted the save-as */
    RECORD_WAITING = 1,   /* closed; its save-as is asked for (again) by the recordings job */
    RECORD_FAILED = 3,    /* save-as still refused pili.saveas_retry_s after the end */
    RECORD_RECORDING = 4, /* open */
};

/* One item_demonstrate_log row. Times are Unix seconds, 0 for NULL. */
struct item_record {
    int64_t id;
    const char *live_id;
    const char *item_id;
    const char *fname; /* may be NULL */
    int64_t start;
    int64_t end;
    int status;
};

/* One item, as stored or as given on input. */
struct item {
    const char *live_id;
    const char *item_id;
    int64_t order;
    const char *title, *tags, *thumbnail, *link, *current_price, *origin_price;
    int64_t status;
    int64_t record_id;          /* 0 = none */
    bool has_record;            /* input only: the body had a `record` key */
    const char *extends_json;   /* stored text, or input map dumped; NULL = none */
    json_t *extends_in;         /* input only: the body's map (borrowed) */
    struct item_record *record; /* output only: the linked recording, NULL if none */
};

/* ADD (I1/S1). ERR_NOT_FOUND unknown live; ERR_ITEMS_EXCEED over ITEM_PER_LIVE_MAX;
 * ERR_BAD_REQUEST a required field is empty or status > 2; ERR_EXISTS an item_id already
 * exists in the live or twice in the batch. */
err_t item_add(struct app *a, struct arena *ar, const char *live_id, struct item *items,
               size_t n) MUST_USE;
/* DEL (I2/S2): soft-deletes the ids, skipping the demonstrated item; unknown ids are ignored. */
err_t item_delete(struct app *a, struct arena *ar, const char *live_id, const char *const *ids,
                  size_t n) MUST_USE;
/* STATUS (I3/S3): ERR_BAD_REQUEST "invalid item status <n>". */
err_t item_set_status(struct app *a, const char *live_id, const struct item *list, size_t n,
                      struct err_msg *why) MUST_USE;
/* REORDER (I4/S4) with list[i].item_id / .order; ERR_BAD_REQUEST with the spec's messages. */
err_t item_reorder(struct app *a, struct arena *ar, const char *live_id, const struct item *list,
                   size_t n, struct err_msg *why) MUST_USE;
/* Single move (I5) of item_id from order `from` to `to`. */
err_t item_move(struct app *a, struct arena *ar, const char *live_id, const char *item_id,
                int64_t from, int64_t to, struct err_msg *why) MUST_USE;
/* Items of a live by order desc (offline ones only with show_offline); demo_first puts the
 * demonstrated item first (I6). Each item carries its recording. */
err_t item_list(struct app *a, struct arena *ar, const char *live_id, bool show_offline,
                bool demo_first, struct item **out, size_t *n) MUST_USE;
/* UPDATE (I7/S6) of in->item_id: non-empty differing fields; record_id only when in->has_record;
 * extends merged. ERR_NOT_FOUND unknown item. */
err_t item_update(struct app *a, struct arena *ar, const char *live_id,
                  const struct item *in) MUST_USE;
/* Merges `map` into the item's extends (I8/S7). ERR_NOT_FOUND unknown item. */
err_t item_merge_extends(struct app *a, struct arena *ar, const char *live_id, const char *item_id,
                         json_t *map) MUST_USE;
/* I9 (record false) / I10 (record true): closes any open recording, makes item_id the
 * demonstrated item and, with record, opens a recording linked from the item.
 * ERR_NOT_FOUND unknown item or live; ERR_BAD_REQUEST the item is offline. */
err_t item_demo_start(struct app *a, struct arena *ar, const char *live_id, const char *item_id,
                      bool record) MUST_USE;
/* I11: clears the demonstrated item, closes the open recording and asks Pili for its save-as.
 * *rec is the closed recording (status 0 when saved, RECORD_WAITING when the save-as failed
 * and will be retried) or NULL when none was open. Store errors only. */
err_t item_demo_stop(struct app *a, struct arena *ar, const char *live_id, struct item_record **rec,
                     struct err_msg *why) MUST_USE;
/* I12: the demonstrated item, *out NULL when none. */
err_t item_demo_get(struct app *a, struct arena *ar, const char *live_id,
                    struct item **out) MUST_USE;
/* I13: every recording of a live, by id. */
err_t item_records(struct app *a, struct arena *ar, const char *live_id, struct item_record **out,
                   size_t *n) MUST_USE;
/* I14: latest successful recording of an item; ERR_NOT_FOUND when none. */
err_t item_record_latest(struct app *a, struct arena *ar, const char *live_id, const char *item_id,
                         struct item_record *out) MUST_USE;
/* I15: hard-deletes recordings of live_id; ids that do not exist are returned in *failed.
 * ERR_BAD_REQUEST "video <id> not int live <live>" for a recording of another live. */
err_t item_records_delete(struct app *a, struct arena *ar, const char *live_id, const int64_t *ids,
                          size_t n, int64_t **failed, size_t *nfailed,
                          struct err_msg *why) MUST_USE;

/* ItemDto / RecordDto JSON (new references); record URLs use pili.playback_url. */
json_t *item_json(const struct app *a, const struct item *it);
json_t *item_record_json(const struct app *a, const struct item_record *rec);

/* Registers the item routes I1-I15 and S1-S7. */
void item_module_register(struct app *a);

/* Ends a room's demonstration when its room stops, is deleted or its anchor leaves: clears the
 * demonstrated item and closes the open recording (its save-as follows in the recordings job).
 * Logs failures. */
void item_demo_end(struct app *a, const char *live_id);

/* Schedules the recordings job (singleton): ends the demonstrations of rooms that stopped, are
 * gone or are on air without their anchor, and asks Pili again for the save-as of waiting
 * recordings until pili.saveas_retry_s after their end (then they are failed, status 3). */
void item_schedule_jobs(struct app *a);

#endif
