/* qnlive: startup order, signals and graceful drain; nothing else. */
#define LOG_MODULE "main"

#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin_cli.h"
#include "app.h"
#include "clients/httpc.h"
#include "core/crash.h"
#include "core/log.h"
#include "cron/cron.h"
#include "http/server.h"
#include "metrics/metrics.h"

struct options {
    const char *config;
    const char *overlay;
    bool check_config;
    bool migrate_only;
};

static void usage(FILE *f)
{
    fputs("usage: qnlive -f config.yaml [-e overlay.yaml]\n"
          "       qnlive --check-config -f config.yaml [-e overlay.yaml]\n"
          "       qnlive migrate -f config.yaml [-e overlay.yaml]\n"
          "       qnlive admin add|passwd|list ... -f config.yaml\n"
          "       qnlive --version\n",
          f);
}

/* Returns -1 to continue, or an exit status. */
static int parse_args(int argc, char **argv, struct options *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--version") == 0) {
            printf("qnlive %s\n", QNLIVE_VERSION);
            return 0;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--check-config") == 0) {
            o->check_config = true;
        } else if (strcmp(a, "migrate") == 0) {
            o->migrate_only = true;
        } else if (strcmp(a, "-f") == 0 && i + 1 < argc) {
            o->config = argv[++i];
        } else if (strcmp(a, "-e") == 0 && i + 1 < argc) {
            o->overlay = argv[++i];
        } else {
            fprintf(stderr, "qnlive: unexpected argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (!o->config || !o->config[0]) {
        fputs("qnlive: empty config path (-f is required)\n", stderr);
        usage(stderr);
        return 2;
    }
    return -1;
}

/* Blocks the shutdown signals in every thread (threads inherit the mask), so that only the
 * main thread's sigwait sees them. */
static void block_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGHUP);
    sigaddset(set, SIGQUIT);
    pthread_sigmask(SIG_BLOCK, set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static int serve(struct app *a, sigset_t *set)
{
    char err[512];
    struct http_server *srv = NULL;
    struct http_server_config hc;
    app_http_config(a, &hc);
    if (http_server_start(&hc, &srv, err, sizeof(err))) {
        log_error("%s", err);
        return 1;
    }
    if (metrics_start(&a->conf))
        log_error("metrics exporter could not start; continuing without it");
    if (a->cron && cron_start(a->cron)) {
        log_error("cron runner could not start");
        http_server_stop(&srv, 0);
        return 1;
    }
    log_info("qnlive %s listening on port %d", QNLIVE_VERSION, http_server_port(srv));

    int sig = 0;
    while (sigwait(set, &sig) == 0 && sig == SIGHUP)
        log_info("SIGHUP ignored (restart to reload the config)");
    log_info("signal %d: draining", sig);
    http_server_stop(&srv, (int)a->conf.httpq.drain_timeout_s);
    metrics_stop();
    return 0;
}

/* glibc gives a thread that finds the arenas' locks taken an arena of its own, up to 8 per
 * core, and keeps in each arena the memory freed into it: with a handler pool of 8 threads per
 * core plus event, cron and delivery threads the server ended a benchmark with 16 arenas and
 * about 20 MB free but resident in them. One arena per core keeps the lock contention about what
 * the cores allow and the free memory in few places, where the "malloc_trim" cron job gives it
 * back (app.c). MALLOC_ARENA_MAX in the environment still wins. */
static void bound_malloc_arenas(void)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (!getenv("MALLOC_ARENA_MAX"))
        mallopt(M_ARENA_MAX, cores > 0 ? (int)cores : 1);
}

int main(int argc, char **argv)
{
    bound_malloc_arenas();
    if (argc > 1 && strcmp(argv[1], "admin") == 0)
        return admin_cli_main(argc - 1, argv + 1);
    struct options o = {0};
    int rc = parse_args(argc, argv, &o);
    if (rc >= 0)
        return rc;

    struct app a = {0};
    char err[1024];
    log_hold(); /* what the config loader logs waits for log.format */
    if (conf_load(o.config, o.overlay, &a.conf, err, sizeof(err))) {
        log_set_format("text");
        fprintf(stderr, "qnlive: config error: %s\n", err);
        return 2;
    }
    log_set_format(a.conf.log.format);
    if (o.check_config) {
        conf_dump(&a.conf, stdout);
        conf_free(&a.conf);
        return 0;
    }
    enum log_level lvl;
    if (log_parse_level(a.conf.log.level, &lvl))
        log_set_level(lvl);

    sigset_t set;
    block_signals(&set);
    crash_report_install();
    log_start_async();
    httpc_global_init();
    metrics_init();
    if (app_open(&a, err, sizeof(err))) {
        log_error("startup failed: %s", err);
        app_close(&a);
        httpc_global_cleanup();
        log_stop();
        return 1;
    }
    rc = o.migrate_only ? 0 : serve(&a, &set);
    if (o.migrate_only)
        log_info("migrations applied");
    app_close(&a);
    httpc_global_cleanup();
    log_info("bye");
    log_stop();
    return rc;
}
