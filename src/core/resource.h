#ifndef QNLIVE_CORE_RESOURCE_H
#define QNLIVE_CORE_RESOURCE_H

/* Files compiled into the binary (cmake/embed.cmake): the console's static files and each
 * module's API description, named by their path in the source tree ("console/index.html",
 * "src/biz/live/live_api.json"). Each is followed by a NUL that `len` does not count. */

#include <stddef.h>

struct resource {
    const char *name;
    const unsigned char *data;
    size_t len;
};

extern const struct resource qnlive_resources[];
extern const size_t qnlive_resources_n;

/* The resource of that exact name, or NULL. */
const struct resource *resource_find(const char *name);

#endif
