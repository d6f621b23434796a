/* A futex wait interrupted by a signal, as Linux ends or restarts it (signal(7)):
   - untimed FUTEX_WAIT, handler with SA_RESTART: the wait goes on after the handler;
   - untimed, handler without SA_RESTART: EINTR;
   - timed FUTEX_WAIT or an absolute FUTEX_WAIT_BITSET, SA_RESTART or not: EINTR
     (Linux restarts them only when no handler runs);
   - untimed and timed, the process stopped and continued (no handler runs): the wait
     goes on, and ends by the wake that comes after;
   - futex_waitv with SA_RESTART: goes on.
   A waiter thread sleeps; the main thread sees it queued (a CMP_REQUEUE of the word onto
   itself counts its waiters and wakes none), signals it, sees the handler ran and the
   waiter queued again, then wakes it. Every result is printed. */
#include "guest.h"
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif
enum { FUTEX_WAIT = 0, FUTEX_WAKE = 1, FUTEX_CMP_REQUEUE = 4, FUTEX_WAIT_BITSET = 9, FUTEX_PRIVATE_FLAG = 128 };
#define P(op) ((op) | FUTEX_PRIVATE_FLAG)
struct waitv { uint64_t val, uaddr; uint32_t flags, reserved; };

static volatile uint32_t word;
static volatile int handled;
static pid_t waiter_tid;

static long futex(volatile uint32_t *uaddr, int op, uint32_t val, const void *ts, uint32_t val3)
{
    return syscall(SYS_futex, uaddr, op, val, ts, uaddr, val3);
}

static long queued(void) { return futex(&word, P(FUTEX_CMP_REQUEUE), 0, (void *)(long)INT_MAX, word); }

static void on_usr1(int sig)
{
    (void)sig;
    handled++;
}

static void set_handler(int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = flags;
    sigaction(SIGUSR1, &sa, NULL);
}

enum how { UNTIMED, RELATIVE, ABSOLUTE, WAITV };

struct result { long r; int err; };

static void *waiter(void *arg)
{
    enum how how = (enum how)(long)arg;
    static struct result res;
    waiter_tid = (pid_t)syscall(SYS_gettid);
    struct timespec ts;
    long r;
    if (how == UNTIMED) {
        r = futex(&word, P(FUTEX_WAIT), 0, NULL, 0);
    } else if (how == RELATIVE) {
        ts = (struct timespec){.tv_sec = 30};
        r = futex(&word, P(FUTEX_WAIT), 0, &ts, 0);
    } else if (how == ABSOLUTE) {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += 30;
        r = futex(&word, P(FUTEX_WAIT_BITSET), 0, &ts, ~0u);
    } else {
        struct waitv w = {.val = 0, .uaddr = (uintptr_t)&word, .flags = 2 | 128};
        r = syscall(SYS_futex_waitv, &w, 1, 0, NULL, CLOCK_MONOTONIC);
    }
    res.r = r;
    res.err = r < 0 ? errno : 0;
    return &res;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* Until the waiter is queued on the word (at most 10 s). */
static int await_queued(void)
{
    for (int i = 0; i < 10000; i++) {
        if (queued() == 1) return 1;
        sleep_ms(1);
    }
    return 0;
}

/* Stops and continues this process from a child: no handler runs in it. */
static void stop_and_continue(void)
{
    pid_t parent = getpid(), c = fork();
    if (c == 0) {
        kill(parent, SIGSTOP);
        sleep_ms(200);
        kill(parent, SIGCONT);
        _exit(0);
    }
    int st;
    while (waitpid(c, &st, 0) < 0 && errno == EINTR) {
    }
}

static void one(const char *name, enum how how, int sa_flags, int stop)
{
    word = 0;
    handled = 0;
    set_handler(sa_flags);
    pthread_t th;
    pthread_create(&th, NULL, waiter, (void *)(long)how);
    int was_queued = await_queued();
    int handler_ran = 0, queued_again = 0;
    if (stop) {
        stop_and_continue();
    } else {
        syscall(SYS_tgkill, getpid(), waiter_tid, SIGUSR1);
        for (int i = 0; i < 10000 && !handled; i++) sleep_ms(1);
        handler_ran = handled;
    }
    /* still waiting (restarted), or returned: a wake tells which */
    sleep_ms(100);
    queued_again = queued() == 1;
    word = 1;
    futex(&word, P(FUTEX_WAKE), 1, NULL, 0);
    struct result *res;
    pthread_join(th, (void **)&res);
    printf("%-34s queued %d, handler %d, queued after %d, wait returned %ld %s\n", name, was_queued, handler_ran,
           queued_again, res->r, res->err ? strerror(res->err) : "");
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    one("untimed, SA_RESTART", UNTIMED, SA_RESTART, 0);
    one("untimed, no SA_RESTART", UNTIMED, 0, 0);
    one("relative timeout, SA_RESTART", RELATIVE, SA_RESTART, 0);
    one("absolute timeout, SA_RESTART", ABSOLUTE, SA_RESTART, 0);
    one("untimed, stopped and continued", UNTIMED, SA_RESTART, 1);
    one("relative timeout, stopped+continued", RELATIVE, SA_RESTART, 1);
    one("futex_waitv, SA_RESTART", WAITV, SA_RESTART, 0);
    return 0;
}
