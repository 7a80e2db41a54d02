#define LOG_MODULE "censor"
#include "biz/censor/censor.h"

#include "app.h"
#include "biz/censor/censor_store.h"
#include "core/mem.h"
#include "store/store.h"

static const struct censor_config CENSOR_DEFAULTS = {
    .enable = true, .pulp = true, .interval = 20,
};

err_t censor_config_get(struct app *a, struct arena *ar, struct censor_config *out)
{
    struct store_conn *c = NULL;
    err_t err = store_acquire(a->store, false, &c);
    if (!err)
        err = censor_store_config_get(c, ar, out);
    if (err == ERR_NOT_FOUND) {
        /* insert-if-absent, then read back: two nodes racing here agree on one row */
        err = censor_store_config_insert_default(c, ar, &CENSOR_DEFAULTS);
        if (!err)
            err = censor_store_config_get(c, ar, out);
    }
    store_release(c);
    return err;
}

err_t censor_config_set(struct app *a, const struct censor_config *in)
{
    struct store_conn *c = NULL;
    struct arena *ar = arena_new();
    err_t err = store_acquire(a->store, false, &c);
    if (!err)
        err = censor_store_config_put(c, ar, in);
    store_release(c);
    arena_free(&ar);
    return err;
}
