#include "core/noblock.h"

static _Thread_local bool tls_marked;
static _Thread_local bool tls_tripped;

void noblock_enter(void)
{
    tls_marked = true;
    tls_tripped = false;
}

void noblock_leave(void)
{
    tls_marked = false;
}

bool noblock_is_set(void)
{
    return tls_marked;
}

err_t noblock_check(void)
{
    if (!tls_marked)
        return ERR_OK;
    tls_tripped = true;
    return ERR_WOULD_BLOCK;
}

bool noblock_tripped(void)
{
    return tls_tripped;
}
