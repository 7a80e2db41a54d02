#include "core/resource.h"

#include <string.h>

const struct resource *resource_find(const char *name)
{
    for (size_t i = 0; i < qnlive_resources_n; i++) {
        if (strcmp(qnlive_resources[i].name, name) == 0)
            return &qnlive_resources[i];
    }
    return NULL;
}
