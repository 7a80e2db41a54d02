#ifndef QNLIVE_TESTS_CLIENTS_FAKE_PROC_H
#define QNLIVE_TESTS_CLIENTS_FAKE_PROC_H

/* Runs tests/fakes/fake_qiniu.py as a child process on a free loopback port (the fake writes
 * the port it bound into a file in a private temp dir, so there is no race for ports) and
 * talks to its /_fake/ control API through httpc. Shared by the client tests. */

#include <jansson.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clients/httpc.h"
#include "core/str.h"

extern char **environ;

/* Credentials the fake expects unless told otherwise (its command-line defaults). */
#define FAKE_IM_APP_ID "test-im-app"
#define FAKE_IM_TOKEN "test-im-token"
#define FAKE_AK "test-ak"
#define FAKE_SK "test-sk"

struct fake {
    pid_t pid;
    int port;
    char dir[256];
    char port_file[300];
    char base[64]; /* http://127.0.0.1:<port> */
};

static inline const char *fake_script_dir(void)
{
    const char *d = getenv("QNLIVE_SOURCE_DIR");
    return d && d[0] ? d : QNLIVE_SOURCE_DIR;
}

/* Polls the port file for up to 10 s; false if the child died or never wrote it. */
static inline bool fake_wait_port(struct fake *f)
{
    for (int i = 0; i < 200; i++) {
        FILE *fp = fopen(f->port_file, "r");
        if (fp) {
            char line[32] = "";
            bool ok = fgets(line, sizeof(line), fp) != NULL;
            fclose(fp);
            line[strcspn(line, "\n")] = '\0';
            int64_t port;
            if (ok && str_to_i64(line, 1, 65535, &port)) {
                f->port = (int)port;
                return true;
            }
        }
        if (waitpid(f->pid, NULL, WNOHANG) == f->pid)
            return false;
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return false;
}

/* Starts the fake; false on failure (then nothing is left running). */
static inline bool fake_start(struct fake *f)
{
    char script[512];
    const char *tmp = getenv("TMPDIR");

    memset(f, 0, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "%s/qnlive-fake-XXXXXX", tmp && tmp[0] ? tmp : P_tmpdir);
    if (!mkdtemp(f->dir))
        return false;
    snprintf(f->port_file, sizeof(f->port_file), "%s/port", f->dir);
    snprintf(script, sizeof(script), "%s/tests/fakes/fake_qiniu.py", fake_script_dir());
    char *argv[] = {"/usr/bin/python3", script, "--port", "0", "--port-file", f->port_file, NULL};
    if (posix_spawn(&f->pid, argv[0], NULL, NULL, argv, environ) != 0) {
        rmdir(f->dir);
        return false;
    }
    if (!fake_wait_port(f)) {
        kill(f->pid, SIGKILL);
        waitpid(f->pid, NULL, 0);
        unlink(f->port_file);
        rmdir(f->dir);
        return false;
    }
    snprintf(f->base, sizeof(f->base), "http://127.0.0.1:%d", f->port);
    return true;
}

/* Stops the fake (SIGTERM, then waits) and removes its temp dir. */
static inline void fake_stop(struct fake *f)
{
    if (f->pid > 0) {
        kill(f->pid, SIGTERM);
        waitpid(f->pid, NULL, 0);
        f->pid = 0;
    }
    unlink(f->port_file);
    rmdir(f->dir);
}

/* "<base>/<service>" into buf. */
static inline const char *fake_url(const struct fake *f, const char *service, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", f->base, service);
    return buf;
}

/* Calls the control API; returns the decoded JSON reply (caller decrefs) or NULL. */
static inline json_t *fake_control(const struct fake *f, const char *method, const char *path,
                                   const char *json_body)
{
    char url[256];
    const char *headers[] = {"Content-Type: application/json", NULL};
    struct httpc_resp resp;

    snprintf(url, sizeof(url), "%s%s", f->base, path);
    struct httpc_req rq = {
        .service = "fake",
        .method = method,
        .url = url,
        .headers = headers,
        .body = json_body,
        .body_len = json_body ? strlen(json_body) : 0,
        .timeout_ms = 10000,
        .max_response = 16 * 1024 * 1024,
    };
    json_t *out = NULL;
    if (httpc_do(&rq, &resp) == ERR_OK && resp.status == 200)
        out = json_loadb(resp.body, resp.body_len, 0, NULL);
    httpc_resp_free(&resp);
    return out;
}

/* POSTs a control request and drops the reply; false when it was refused. */
static inline bool fake_post(const struct fake *f, const char *path, const char *json_body)
{
    json_t *r = fake_control(f, "POST", path, json_body);
    bool ok = r != NULL;
    json_decref(r);
    return ok;
}

/* The calls recorded for service (a JSON array; caller decrefs). */
static inline json_t *fake_calls(const struct fake *f, const char *service)
{
    char path[64];
    snprintf(path, sizeof(path), "/_fake/calls?service=%s", service);
    return fake_control(f, "GET", path, NULL);
}

/* A string field of a recorded call, e.g. ("path"), or a header with fake_call_header. */
static inline const char *fake_call_str(json_t *call, const char *key)
{
    return json_string_value(json_object_get(call, key));
}

/* A header of a recorded call by lower-case name; NULL when absent. */
static inline const char *fake_call_header(json_t *call, const char *lname)
{
    return json_string_value(json_object_get(json_object_get(call, "headers"), lname));
}

/* Monotonic seconds, for timeout assertions. */
/* Group setup shared by the client suites: libcurl, the fake, and (when service is given) the
 * base URL of that service in endpoint. */
static inline bool fake_suite_start(struct fake *f, const char *service, char *endpoint, size_t len)
{
    httpc_global_init();
    if (!fake_start(f))
        return false;
    if (service)
        fake_url(f, service, endpoint, len);
    return true;
}

static inline void fake_suite_stop(struct fake *f)
{
    fake_stop(f);
    httpc_global_cleanup();
}

/* Forgets the fake's calls, faults and state between tests. */
static inline bool fake_reset(struct fake *f)
{
    return fake_post(f, "/_fake/reset", "{}");
}

static inline double fake_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
