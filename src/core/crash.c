#define LOG_MODULE "crash"
#include "core/crash.h"

#include <execinfo.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { CRASH_FRAMES_MAX = 64 };

/* Only async-signal-safe calls from here on: write(2) and backtrace_symbols_fd, which does not
 * allocate (backtrace itself is warmed up at install time, when it may load libgcc). */
static void write_str(const char *s)
{
    ssize_t n = write(STDERR_FILENO, s, strlen(s));
    (void)n;
}

static void write_dec(long v)
{
    char buf[24];
    size_t i = sizeof(buf);
    buf[--i] = '\0';
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0 && i > 0);
    write_str(buf + i);
}

static void on_abort(int sig)
{
    void *frames[CRASH_FRAMES_MAX];
    write_str("qnlive: fatal: SIGABRT in thread ");
    write_dec((long)syscall(SYS_gettid));
    write_str(", backtrace:\n");
    int n = backtrace(frames, CRASH_FRAMES_MAX);
    backtrace_symbols_fd(frames, n, STDERR_FILENO);
    /* die of the same signal, so the exit status stays what a supervisor expects */
    signal(sig, SIG_DFL);
    raise(sig);
}

void crash_report_install(void)
{
    void *warm[1];
    (void)backtrace(warm, 1);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_abort;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND | SA_NODEFER;
    sigaction(SIGABRT, &sa, NULL);
}
