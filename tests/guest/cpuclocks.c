/* CPU-time clocks of other threads and processes (issue 10), as Linux's posix-cpu-timers
   give them: clock_gettime of another thread's clock (pthread_getcpuclockid) and of a
   child's (clock_getcpuclockid) grows while that one spins and not while it sleeps; a
   POSIX timer on another thread's and on a child's CPU clock fires once they have used
   that much CPU; a clock of a thread of another process, of no thread, or of a pid
   that is gone, is EINVAL; the scheduling calls' odd pids (sched_getaffinity(-1): ESRCH) and
   sched_rr_get_interval. */
#include "fork_common.h"
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>

static volatile int stop_spinning;
static volatile pid_t spinner_tid;

static int64_t ns_of(clockid_t c)
{
    struct timespec ts;
    if (clock_gettime(c, &ts) != 0) return -1;
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *spin(void *arg)
{
    spinner_tid = (pid_t)syscall(SYS_gettid);
    while (!stop_spinning) {}
    return arg;
}

static void burn_ms(int ms)
{
    int64_t until = ns_of(CLOCK_THREAD_CPUTIME_ID) + (int64_t)ms * 1000000;
    while (ns_of(CLOCK_THREAD_CPUTIME_ID) < until) {}
}

static volatile sig_atomic_t fired;
static void on_timer(int sig) { (void)sig; fired++; }

/* Waits (wall time, at most 10 s) for the timer's signal. */
static int wait_fired(void)
{
    for (int i = 0; i < 1000 && !fired; i++) {
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    return fired;
}

static void thread_clock(void)
{
    pthread_t t;
    pthread_create(&t, NULL, spin, NULL);
    clockid_t c;
    CHECK("pthread_getcpuclockid", pthread_getcpuclockid(t, &c) == 0);
    int64_t a = ns_of(c);
    burn_ms(60); /* both spin, on two processors or in turns */
    struct timespec ts = {0, 100000000};
    nanosleep(&ts, NULL);
    int64_t b = ns_of(c);
    CHECK("another thread's CPU clock reads", a >= 0 && b >= 0);
    CHECK("and grows while it spins", b > a);
    struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1};
    timer_t id;
    signal(SIGUSR1, on_timer);
    CHECK("timer_create on another thread's CPU clock", timer_create(c, &ev, &id) == 0);
    struct itimerspec its = {{0, 0}, {0, 50000000}};
    CHECK("timer_settime 50 ms of its CPU", timer_settime(id, 0, &its, NULL) == 0);
    int64_t before = ns_of(c);
    CHECK("it fired", wait_fired() == 1);
    CHECK("after 50 ms of that thread's CPU", ns_of(c) - before >= 40000000);
    timer_delete(id);
    stop_spinning = 1;
    pthread_join(t, NULL);
    /* (not the joined thread's clock: Linux itself may still find the thread a moment
       after pthread_join returns) */
    clockid_t none = (clockid_t)((~(unsigned)999999 << 3) | 4 | 2);
    EXPECT_ERRNO("the clock of no thread", clock_gettime(none, &ts), EINVAL);
}

static void process_clock(void)
{
    int gate[2], ready[2];
    pipe(gate);
    pipe(ready);
    pid_t pid = fork_flushed();
    if (pid == 0) {
        char x;
        write(ready[1], "r", 1); /* running (its start's CPU time is spent) */
        read(gate[0], &x, 1);    /* sleeps until told to spin */
        burn_ms(400);
        _exit(0);
    }
    char x;
    read(ready[0], &x, 1);
    clockid_t c;
    CHECK("clock_getcpuclockid of a child", clock_getcpuclockid(pid, &c) == 0);
    int64_t a = ns_of(c);
    struct timespec ts = {0, 100000000};
    nanosleep(&ts, NULL);
    int64_t b = ns_of(c);
    CHECK("a sleeping child's CPU clock reads and grows by less than 60 ms in 100 ms", a >= 0 && b >= a && b - a < 60000000);
    struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1};
    timer_t id;
    fired = 0;
    CHECK("timer_create on a child's CPU clock", timer_create(c, &ev, &id) == 0);
    struct itimerspec its = {{0, 0}, {0, 100000000}};
    timer_settime(id, 0, &its, NULL);
    write(gate[1], "g", 1);
    CHECK("it fired once the child used 100 ms", wait_fired() == 1 && ns_of(c) - b >= 90000000);
    timer_delete(id);
    expect_child_ok("the spinning child", pid);
    EXPECT_ERRNO("the clock of a reaped child", clock_gettime(c, &ts), EINVAL);
    /* a thread clock names a thread of the caller's process only */
    clockid_t child_thread = (clockid_t)((~(unsigned)pid << 3) | 4 | 2);
    EXPECT_ERRNO("a thread clock of another process's thread", clock_gettime(child_thread, &ts), EINVAL);
    close(gate[0]);
    close(gate[1]);
    close(ready[0]);
    close(ready[1]);
}

static void sched_odd_pids(void)
{
    cpu_set_t set;
    EXPECT_ERRNO("sched_getaffinity(-1)", sched_getaffinity(-1, sizeof set, &set), ESRCH);
    EXPECT_ERRNO("sched_setaffinity(-1)", sched_setaffinity(-1, sizeof set, &set), ESRCH);
    struct timespec ts = {9, 9};
    EXPECT_RET("sched_rr_get_interval(0)", sched_rr_get_interval(0, &ts), 0);
    printf("interval below 1 s: %d\n", ts.tv_sec == 0 && ts.tv_nsec < 1000000000);
    EXPECT_ERRNO("sched_rr_get_interval(-1)", sched_rr_get_interval(-1, &ts), EINVAL);
}

int main(void)
{
    GUEST_START();
    thread_clock();
    process_clock();
    sched_odd_pids();
    return GUEST_END();
}
