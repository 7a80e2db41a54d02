#ifndef QNLIVE_CORE_CRASH_H
#define QNLIVE_CORE_CRASH_H

/* A process that aborts (a failed assertion, a library's panic, the C library's heap checks)
 * leaves only its exit signal behind. crash_report_install makes SIGABRT write one line naming
 * the thread and a raw backtrace to stderr (the log's stream) before the process dies as it
 * would have, so that an abort seen once can be diagnosed from the log alone. */

/* Installs the report for SIGABRT; call once at start-up, before other threads exist. */
void crash_report_install(void);

#endif
