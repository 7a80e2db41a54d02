#include "core/ids.h"

#include <pthread.h>
#include <time.h>

static pthread_mutex_t ids_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t ids_node;
static int64_t ids_last_ms = -1;
static int64_t ids_seq;

err_t ids_init(int64_t node_id)
{
    if (node_id < 0 || node_id > IDS_NODE_MAX)
        return ERR_BAD_REQUEST;
    ids_node = node_id;
    return ERR_OK;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t ids_compose(int64_t node_id, int64_t *last_ms, int64_t *seq, int64_t now)
{
    if (now < *last_ms)
        return 0; /* clock stepped back: ids would repeat */
    if (now == *last_ms) {
        if (*seq >= 4095)
            return 0; /* 4096 ids in this millisecond: wait for the next one */
        (*seq)++;
    } else {
        *seq = 0;
        *last_ms = now;
    }
    return (now - IDS_EPOCH_MS) << 22 | node_id << 12 | *seq;
}

int64_t ids_next(void)
{
    int64_t id;
    pthread_mutex_lock(&ids_lock);
    for (;;) {
        id = ids_compose(ids_node, &ids_last_ms, &ids_seq, now_ms());
        if (id)
            break;
        struct timespec pause = {0, 100000};
        nanosleep(&pause, NULL);
    }
    pthread_mutex_unlock(&ids_lock);
    return id;
}
