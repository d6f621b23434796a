/* Signals to one thread (issue 10): real-time signals sent to a thread that blocks them
   queue there in order, each with its value (rt_tgsigqueueinfo), and tgkill's instances
   too; a standard signal sent twice is one; rt_tgsigqueueinfo's EPERM for a kernel
   si_code to another thread, ESRCH for a thread that is gone. The thread collects them
   with sigtimedwait and reports in order. Then a signal sent to the process while every
   thread blocks it reaches the one thread that waits for it in sigwait (Python's
   test_sigwait_thread). */
#include "guest.h"
#include "tgsigqueue.h"
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile pid_t worker_tid;
static volatile int go;

static void *worker(void *arg)
{
    worker_tid = (pid_t)syscall(SYS_gettid);
    while (!__atomic_load_n(&go, __ATOMIC_SEQ_CST)) sched_yield();
    sigset_t want;
    sigemptyset(&want);
    sigaddset(&want, SIGRTMIN);
    sigaddset(&want, SIGRTMIN + 1);
    sigaddset(&want, SIGUSR1);
    struct timespec none = {0, 0};
    siginfo_t si;
    for (;;) {
        int sig = sigtimedwait(&want, &si, &none);
        if (sig < 0) break;
        if (sig == SIGUSR1) printf("  SIGUSR1 code %s\n", si.si_code == SI_TKILL ? "SI_TKILL" : "other");
        else printf("  SIGRTMIN+%d code %s value %d\n", sig - SIGRTMIN,
                    si.si_code == SI_QUEUE ? "SI_QUEUE" : si.si_code == SI_TKILL ? "SI_TKILL" : "other",
                    si.si_code == SI_QUEUE ? si.si_value.sival_int : -1);
    }
    return arg;
}

static void *kill_later(void *arg)
{
    (void)arg;
    usleep(100000); /* the main thread waits in sigwait by now */
    kill(getpid(), SIGUSR2);
    return NULL;
}

/* Every thread blocks SIGUSR2; the main thread waits for it; another thread kills the process. */
static void sigwait_for_the_process(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    pthread_t killer;
    pthread_create(&killer, NULL, kill_later, NULL);
    int sig = 0;
    int r = sigwait(&set, &sig);
    printf("sigwait for a signal to the process: %d, %s\n", r, sig == SIGUSR2 ? "SIGUSR2" : "another");
    pthread_join(killer, NULL);
    sigset_t pending;
    sigpending(&pending);
    CHECK("taken: no longer pending", !sigismember(&pending, SIGUSR2));
}

int main(void)
{
    GUEST_START();
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGRTMIN);
    sigaddset(&block, SIGRTMIN + 1);
    sigaddset(&block, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &block, NULL); /* the worker inherits the mask */
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    while (!worker_tid) sched_yield();
    for (int v = 1; v <= 3; v++) CHECK("rt_tgsigqueueinfo", tgsigqueue(getpid(), worker_tid, SIGRTMIN + 1, v, SI_QUEUE) == 0);
    for (int v = 10; v <= 11; v++) CHECK("rt_tgsigqueueinfo", tgsigqueue(getpid(), worker_tid, SIGRTMIN, v, SI_QUEUE) == 0);
    CHECK("tgkill RT", syscall(SYS_tgkill, getpid(), worker_tid, SIGRTMIN) == 0);
    CHECK("tgkill USR1", syscall(SYS_tgkill, getpid(), worker_tid, SIGUSR1) == 0);
    CHECK("tgkill USR1 again", syscall(SYS_tgkill, getpid(), worker_tid, SIGUSR1) == 0);
    errno = 0;
    long r = tgsigqueue(getpid(), worker_tid, SIGRTMIN, 5, SI_USER);
    printf("a kernel si_code to another thread: %ld %s\n", r, errno_name(errno));
    printf("the worker takes, lowest signal first, each in order:\n");
    fflush(stdout);
    __atomic_store_n(&go, 1, __ATOMIC_SEQ_CST);
    pthread_join(t, NULL);
    /* join returns when the tid is cleared, which Linux does before the thread is released:
       for a moment it still takes signals. Wait (at most 2 s) until it is gone. */
    for (int i = 0; i < 2000 && syscall(SYS_tgkill, getpid(), worker_tid, 0) == 0; i++) usleep(1000);
    errno = 0;
    r = tgsigqueue(getpid(), worker_tid, SIGRTMIN, 5, SI_QUEUE);
    printf("to the ended thread: %ld %s\n", r, errno_name(errno));
    sigwait_for_the_process();
    return GUEST_END();
}
