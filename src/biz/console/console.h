#ifndef QNLIVE_BIZ_CONSOLE_H
#define QNLIVE_BIZ_CONSOLE_H

struct app;

/* Registers the operator's console: its static files under /console/ (compiled into the
 * binary) and the two read-only admin routes it needs beside the existing admin API,
 * GET /admin/console/rooms and GET /admin/node/summary. */
void console_module_register(struct app *a);

#endif
