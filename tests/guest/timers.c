/* Timers (issue 10), natively and under picolx: timerfd (blocking and non-blocking reads,
   poll, periodic counts, absolute times, gettime, the errors), POSIX timers (SIGEV_SIGNAL
   with its value and SI_TIMER, overruns while the signal is blocked, SIGEV_THREAD_ID,
   SIGEV_NONE, the process's and the thread's CPU-time clocks, delete, the errors) and ITIMER_VIRTUAL and
   ITIMER_PROF. Only what is the same on every run is printed: counts are checked
   against bounds. */
#include "guest.h"
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct itimerspec spec(int64_t value_ns, int64_t interval_ns)
{
    struct itimerspec s = {{interval_ns / 1000000000, interval_ns % 1000000000},
                           {value_ns / 1000000000, value_ns % 1000000000}};
    return s;
}

static void timerfds(void)
{
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    CHECK("timerfd_create", fd >= 0);
    uint64_t ticks = 0;
    struct itimerspec s = spec(50000000, 0);
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    CHECK("settime 50 ms", timerfd_settime(fd, 0, &s, NULL) == 0);
    struct itimerspec cur;
    timerfd_gettime(fd, &cur);
    CHECK("gettime: armed, at most 50 ms left", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 &&
                                                  cur.it_value.tv_nsec <= 50000000);
    CHECK("read blocks until the expiry, one tick", read(fd, &ticks, 8) == 8 && ticks == 1);
    int64_t waited = now_ns(CLOCK_MONOTONIC) - t0;
    CHECK("waited at least 50 ms, less than 2 s", waited >= 50000000 && waited < 2000000000);
    timerfd_gettime(fd, &cur);
    CHECK("gettime: a fired one-shot timer is disarmed", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);
    EXPECT_ERRNO("read with less than 8 bytes", read(fd, &ticks, 4), EINVAL);

    /* periodic: 10 ms, read after 105 ms: about 10 ticks */
    int nb = timerfd_create(CLOCK_BOOTTIME, TFD_NONBLOCK);
    EXPECT_ERRNO("a disarmed non-blocking timerfd", read(nb, &ticks, 8), EAGAIN);
    s = spec(10000000, 10000000);
    timerfd_settime(nb, 0, &s, NULL);
    struct pollfd p = {.fd = nb, .events = POLLIN};
    CHECK("poll waits for the first expiry", poll(&p, 1, 2000) == 1 && (p.revents & POLLIN));
    usleep(105000);
    ticks = 0;
    CHECK("read: the expirations since (8 to 500)", read(nb, &ticks, 8) == 8 && ticks >= 8 && ticks <= 500);
    timerfd_gettime(nb, &cur);
    CHECK("gettime: interval 10 ms", cur.it_interval.tv_sec == 0 && cur.it_interval.tv_nsec == 10000000);
    struct itimerspec off = spec(0, 0), old;
    CHECK("disarm, the old setting back", timerfd_settime(nb, 0, &off, &old) == 0 && old.it_interval.tv_nsec == 10000000);
    usleep(30000);
    EXPECT_ERRNO("disarmed: nothing to read", read(nb, &ticks, 8), EAGAIN);
    p.revents = 0;
    CHECK("poll: not readable", poll(&p, 1, 0) == 0);

    /* absolute times: in the past expires at once; REALTIME */
    int rt = timerfd_create(CLOCK_REALTIME, 0);
    struct itimerspec past = spec(now_ns(CLOCK_REALTIME) - 1000000000, 0);
    CHECK("TFD_TIMER_ABSTIME in the past", timerfd_settime(rt, TFD_TIMER_ABSTIME, &past, NULL) == 0);
    CHECK("...reads one tick at once", read(rt, &ticks, 8) == 8 && ticks == 1);
    struct itimerspec soon = spec(now_ns(CLOCK_REALTIME) + 30000000, 0);
    timerfd_settime(rt, TFD_TIMER_ABSTIME, &soon, NULL);
    CHECK("REALTIME, absolute 30 ms ahead", read(rt, &ticks, 8) == 8 && ticks == 1);
    /* accepted; what a read gives then depends on whether the machine's clock is set
       meanwhile (ECANCELED), so it is not compared */
    CHECK("TFD_TIMER_CANCEL_ON_SET accepted", timerfd_settime(rt, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &soon, NULL) == 0);

    /* errors */
    EXPECT_ERRNO("timerfd_create: a bad clock", timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0), EINVAL);
    EXPECT_ERRNO("timerfd_create: bad flags", timerfd_create(CLOCK_MONOTONIC, 1), EINVAL);
    EXPECT_ERRNO("settime: bad flags", timerfd_settime(fd, 4, &s, NULL), EINVAL);
    struct itimerspec bad = {{0, 0}, {0, 1000000000}};
    EXPECT_ERRNO("settime: tv_nsec of 1e9", timerfd_settime(fd, 0, &bad, NULL), EINVAL);
    EXPECT_ERRNO("settime: not a timerfd", timerfd_settime(0, 0, &s, NULL), EINVAL);
    EXPECT_ERRNO("settime: a closed fd", timerfd_settime(999, 0, &s, NULL), EBADF);
    EXPECT_ERRNO("settime: a bad pointer", timerfd_settime(fd, 0, (void *)8, NULL), EFAULT);
    EXPECT_ERRNO("gettime: a bad pointer", timerfd_gettime(fd, (void *)8), EFAULT);
    close(fd);
    close(nb);
    close(rt);
}

/* SIGEV_THREAD_ID's thread: the kernel's field right after sigev_notify (glibc and musl
   name it differently, or not at all) */
static void set_thread_id(struct sigevent *ev, pid_t tid)
{
    memcpy((char *)&ev->sigev_notify + sizeof ev->sigev_notify, &tid, sizeof tid);
}

static volatile sig_atomic_t usr2_hits;
static void on_usr2(int sig) { (void)sig; usr2_hits++; }

/* A periodic timer whose signal is ignored for a while: once a handler is set, the next
   expirations reach it (the ignored ones left nothing in flight). */
static void ignored_then_caught(void)
{
    signal(SIGUSR2, SIG_IGN);
    timer_t id;
    struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR2};
    timer_create(CLOCK_MONOTONIC, &ev, &id);
    struct itimerspec s = spec(10000000, 10000000);
    timer_settime(id, 0, &s, NULL);
    usleep(60000);
    signal(SIGUSR2, on_usr2);
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    while (usr2_hits < 2 && now_ns(CLOCK_MONOTONIC) - t0 < 3000000000) usleep(5000);
    CHECK("ignored for a while, then caught: the timer still sends", usr2_hits >= 2);
    timer_delete(id);
    signal(SIGUSR2, SIG_DFL);
}

static volatile sig_atomic_t cpu_fired;
static void on_cpu_timer(int sig) { (void)sig; cpu_fired = 1; }

static void posix_timers(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);

    timer_t id;
    struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGRTMIN};
    ev.sigev_value.sival_int = 4242;
    CHECK("timer_create SIGEV_SIGNAL", timer_create(CLOCK_MONOTONIC, &ev, &id) == 0);
    struct itimerspec s = spec(30000000, 0);
    CHECK("timer_settime 30 ms", timer_settime(id, 0, &s, NULL) == 0);
    siginfo_t si;
    struct timespec two = {2, 0};
    int got = sigtimedwait(&set, &si, &two);
    CHECK("its signal comes", got == SIGRTMIN);
    CHECK("si_code SI_TIMER, the value, no overrun", si.si_code == SI_TIMER && si.si_value.sival_int == 4242 &&
                                                       si.si_overrun == 0);
    struct itimerspec cur;
    timer_gettime(id, &cur);
    CHECK("gettime: fired, disarmed", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);

    /* overruns: 5 ms periodic, the signal blocked for 100 ms */
    s = spec(5000000, 5000000);
    timer_settime(id, 0, &s, NULL);
    usleep(100000);
    got = sigtimedwait(&set, &si, &two);
    int overrun = timer_getoverrun(id);
    CHECK("one signal for many expirations", got == SIGRTMIN);
    CHECK("si_overrun counts the rest (5 to 1000)", si.si_overrun >= 5 && si.si_overrun <= 1000);
    CHECK("timer_getoverrun says the same", overrun == si.si_overrun);
    struct itimerspec off = spec(0, 0), old;
    CHECK("disarm: the old interval back", timer_settime(id, 0, &off, &old) == 0 && old.it_interval.tv_nsec == 5000000);
    struct timespec zero = {0, 0};
    while (sigtimedwait(&set, &si, &zero) > 0) {} /* one may have come after the wait */
    CHECK("timer_delete", timer_delete(id) == 0);
    EXPECT_ERRNO("settime of a deleted timer", timer_settime(id, 0, &s, NULL), EINVAL);

    /* SIGEV_THREAD_ID to this thread; the default sigevent (NULL) is SIGALRM */
    struct sigevent tev = {.sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGUSR1};
    set_thread_id(&tev, (pid_t)syscall(SYS_gettid));
    CHECK("timer_create SIGEV_THREAD_ID", timer_create(CLOCK_REALTIME, &tev, &id) == 0);
    s = spec(20000000, 0);
    timer_settime(id, 0, &s, NULL);
    got = sigtimedwait(&set, &si, &two);
    CHECK("SIGUSR1 to the thread, SI_TIMER", got == SIGUSR1 && si.si_code == SI_TIMER);
    timer_delete(id);
    set_thread_id(&tev, 999999);
    EXPECT_ERRNO("SIGEV_THREAD_ID: no such thread", timer_create(CLOCK_REALTIME, &tev, &id), EINVAL);

    struct sigevent none = {.sigev_notify = SIGEV_NONE};
    CHECK("SIGEV_NONE", timer_create(CLOCK_MONOTONIC, &none, &id) == 0);
    s = spec(5000000000, 0);
    timer_settime(id, 0, &s, NULL);
    usleep(20000);
    timer_gettime(id, &cur);
    int64_t left = (int64_t)cur.it_value.tv_sec * 1000000000 + cur.it_value.tv_nsec;
    CHECK("SIGEV_NONE: gettime counts down", left > 0 && left < 4990000000);
    struct itimerspec abs_past = spec(1, 0);
    timer_settime(id, TIMER_ABSTIME, &abs_past, NULL);
    usleep(20000);
    timer_gettime(id, &cur);
    CHECK("TIMER_ABSTIME in the past: fired at once", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);
    timer_delete(id);

    /* the process CPU-time clock: fires after 50 ms of spinning */
    signal(SIGPROF, on_cpu_timer);
    struct sigevent cev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGPROF};
    CHECK("timer_create CLOCK_PROCESS_CPUTIME_ID", timer_create(CLOCK_PROCESS_CPUTIME_ID, &cev, &id) == 0);
    s = spec(50000000, 0);
    int64_t cpu0 = now_ns(CLOCK_PROCESS_CPUTIME_ID), wall0 = now_ns(CLOCK_MONOTONIC);
    timer_settime(id, 0, &s, NULL);
    while (!cpu_fired && now_ns(CLOCK_MONOTONIC) - wall0 < 5000000000) {}
    CHECK("CPU-time timer fired after 50 ms of CPU", cpu_fired && now_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0 >= 50000000);
    timer_delete(id);

    /* the calling thread's CPU-time clock */
    cpu_fired = 0;
    CHECK("timer_create CLOCK_THREAD_CPUTIME_ID", timer_create(CLOCK_THREAD_CPUTIME_ID, &cev, &id) == 0);
    cpu0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
    wall0 = now_ns(CLOCK_MONOTONIC);
    timer_settime(id, 0, &s, NULL);
    timer_gettime(id, &cur);
    CHECK("thread CPU-time timer: armed, at most 50 ms", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 &&
                                                           cur.it_value.tv_nsec <= 50000000);
    while (!cpu_fired && now_ns(CLOCK_MONOTONIC) - wall0 < 5000000000) {}
    CHECK("thread CPU-time timer fired after 50 ms of the thread's CPU",
          cpu_fired && now_ns(CLOCK_THREAD_CPUTIME_ID) - cpu0 >= 50000000);
    timer_delete(id);

    /* errors */
    EXPECT_ERRNO("timer_create: a bad clock", timer_create(99, &ev, &id), EINVAL);
    struct sigevent badsig = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = 65};
    EXPECT_ERRNO("timer_create: signal 65", timer_create(CLOCK_MONOTONIC, &badsig, &id), EINVAL);
    struct sigevent badnotify = {.sigev_notify = 7, .sigev_signo = SIGUSR1};
    EXPECT_ERRNO("timer_create: bad sigev_notify", timer_create(CLOCK_MONOTONIC, &badnotify, &id), EINVAL);
    EXPECT_ERRNO("timer_create: a bad sigevent pointer", syscall(SYS_timer_create, CLOCK_MONOTONIC, (void *)8, &id),
                 EFAULT);
    EXPECT_ERRNO("timer_gettime: no such timer", syscall(SYS_timer_gettime, 12345, &cur), EINVAL);
    EXPECT_ERRNO("timer_delete: no such timer", syscall(SYS_timer_delete, 12345), EINVAL);
    EXPECT_ERRNO("timer_getoverrun: no such timer", syscall(SYS_timer_getoverrun, 12345), EINVAL);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static volatile sig_atomic_t vt_fired, prof_fired;
static void on_vtalrm(int sig) { (void)sig; vt_fired++; }
static void on_prof(int sig) { (void)sig; prof_fired++; }

static void cpu_itimers(void)
{
    signal(SIGVTALRM, on_vtalrm);
    signal(SIGPROF, on_prof);
    struct itimerval v = {{0, 0}, {0, 40000}}, p = {{0, 20000}, {0, 20000}}, cur;
    CHECK("setitimer ITIMER_VIRTUAL 40 ms", setitimer(ITIMER_VIRTUAL, &v, NULL) == 0);
    CHECK("setitimer ITIMER_PROF 20 ms, periodic", setitimer(ITIMER_PROF, &p, NULL) == 0);
    getitimer(ITIMER_VIRTUAL, &cur);
    CHECK("getitimer ITIMER_VIRTUAL: armed, at most 50 ms", cur.it_value.tv_sec == 0 && cur.it_value.tv_usec > 0 &&
                                                              cur.it_value.tv_usec <= 50000);
    int64_t wall0 = now_ns(CLOCK_MONOTONIC);
    while ((!vt_fired || prof_fired < 3) && now_ns(CLOCK_MONOTONIC) - wall0 < 10000000000) {}
    CHECK("SIGVTALRM once, after user time", vt_fired == 1);
    CHECK("SIGPROF again and again", prof_fired >= 3);
    struct itimerval off = {{0, 0}, {0, 0}}, old;
    setitimer(ITIMER_PROF, &off, &old);
    CHECK("disarm ITIMER_PROF: the old interval back", old.it_interval.tv_sec == 0 && old.it_interval.tv_usec == 20000);
    getitimer(ITIMER_VIRTUAL, &cur);
    CHECK("ITIMER_VIRTUAL fired: disarmed", cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0);
}

int main(void)
{
    GUEST_START();
    timerfds();
    posix_timers();
    ignored_then_caught();
    cpu_itimers();
    return GUEST_END();
}
