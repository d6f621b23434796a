/* alarm(2), setitimer(2) and getitimer(2): the three interval timers of a process
   (task/process.h's px_itimers), ITIMER_REAL on CLOCK_MONOTONIC, ITIMER_VIRTUAL on the
   process's user CPU time and ITIMER_PROF on its user and system CPU time. One host
   thread per process keeps them: it sleeps until the next expiry (a CPU-time timer is
   looked at every 10 ms) and then sends SIGALRM, SIGVTALRM or SIGPROF to the process
   (px_signal_send_process: the task's wait is interrupted, or its guest code
   redirected). A fork child starts without them and an execve keeps them, as Linux. */
#include "core/px.h"
#include "core/uaccess.h"
#include "fs/fd_handoff.h"
#include "host/host_process.h"
#include "host/host_sync.h"
#include "host/host_thread.h"
#include "kernel/deadline.h"
#include "kernel/kernel.h"
#include "kernel/signal.h"
#include "linux_event.h"
#include "task/process.h"

#define NSEC_PER_USEC 1000LL
#define CPU_TIMER_LOOK_MS 10 /* how often a CPU-time timer is looked at */

static const int timer_signal[3] = {
    [LINUX_ITIMER_REAL] = LINUX_SIGALRM, [LINUX_ITIMER_VIRTUAL] = LINUX_SIGVTALRM, [LINUX_ITIMER_PROF] = LINUX_SIGPROF,
};

/* The calling task's process's timers (task/process.h). */
static px_itimers *timers_of_self(void) { return &px_kernel_self()->process->itimers; }

/* Timer which's clock now, in ns: CLOCK_MONOTONIC, or this process's CPU time. */
static int64_t clock_of(int which)
{
    if (which == LINUX_ITIMER_REAL) return px_clock_monotonic_ns();
    px_host_times t;
    if (px_host_process_times(px_host_self(), &t) < 0) return 0;
    return (which == LINUX_ITIMER_VIRTUAL ? t.user : t.user + t.kernel) * 100;
}

static void fire(int which)
{
    struct linux_siginfo info = {.si_signo = timer_signal[which], .si_code = LINUX_SI_KERNEL};
    px_signal_send_process(timer_signal[which], &info);
}

/* The timer thread: arg is the process (a reference it holds for the process's life). */
static void timer_main(void *arg)
{
    px_itimers *it = &((struct px_process *)arg)->itimers;
    px_host_rwlock_lock(&it->lock);
    for (;;) {
        int64_t wait_ms = -1;
        int due = 0; /* bit which: expired */
        for (int which = 0; which < 3; which++) {
            px_itimer *t = &it->timers[which];
            if (!t->expiry_ns) continue;
            int64_t now = clock_of(which);
            if (now >= t->expiry_ns) {
                /* re-armed from the expiry (periodic), or later than now if overrun */
                if (t->interval_ns) {
                    t->expiry_ns += t->interval_ns;
                    if (t->expiry_ns <= now) t->expiry_ns = now + t->interval_ns;
                } else {
                    t->expiry_ns = 0;
                }
                due |= 1 << which;
                if (!t->expiry_ns) continue;
            }
            int64_t left_ms = (t->expiry_ns - now + 999999) / 1000000;
            if (which != LINUX_ITIMER_REAL && left_ms > CPU_TIMER_LOOK_MS) left_ms = CPU_TIMER_LOOK_MS;
            if (wait_ms < 0 || left_ms < wait_ms) wait_ms = left_ms;
        }
        if (due) {
            px_host_rwlock_unlock(&it->lock);
            for (int which = 0; which < 3; which++)
                if (due & (1 << which)) fire(which);
            px_host_rwlock_lock(&it->lock);
            continue;
        }
        uint32_t ms = wait_ms < 0 ? PX_HOST_FOREVER : wait_ms > 0x7ffffff0 ? 0x7ffffff0 : (uint32_t)wait_ms;
        px_host_cond_wait(&it->changed, &it->lock, ms);
    }
}

int64_t px_timer_thread_start(void (*main)(void *process))
{
    px_signal_prepare_self();
    struct px_process *p = px_process_take(px_kernel_self()->process);
    px_host_handle h = px_host_thread_start(main, p, 64 * 1024);
    if (!h) {
        px_process_drop(p);
        return -LINUX_EAGAIN;
    }
    px_host_close(h);
    return 0;
}

/* With it->lock held: the calling task's process's timer thread, started once. */
static int64_t start_thread_locked(px_itimers *it)
{
    if (it->thread_started) return 0;
    int64_t r = px_timer_thread_start(timer_main);
    if (r == 0) it->thread_started = true;
    return r;
}

/* With it->lock held: what is left of timer which (never 0 while armed). */
static int64_t left_locked(px_itimers *it, int which)
{
    int64_t expiry = it->timers[which].expiry_ns;
    if (!expiry) return 0;
    int64_t now = clock_of(which);
    return expiry > now ? expiry - now : 1;
}

/* Arms timer which (value 0: disarms); its previous value and interval in *old_*. */
static int64_t rearm(int which, int64_t value_ns, int64_t new_interval_ns, int64_t *old_value, int64_t *old_interval)
{
    px_itimers *it = timers_of_self();
    px_host_rwlock_lock(&it->lock);
    px_itimer *t = &it->timers[which];
    *old_value = left_locked(it, which);
    *old_interval = t->interval_ns;
    int64_t r = value_ns ? start_thread_locked(it) : 0;
    if (r == 0) {
        t->expiry_ns = value_ns ? clock_of(which) + value_ns : 0;
        t->interval_ns = value_ns ? new_interval_ns : 0;
        px_host_cond_wake_all(&it->changed);
    }
    px_host_rwlock_unlock(&it->lock);
    return r;
}

/* The hand-over record: left and interval of each timer (left 0: disarmed). */
typedef struct itimers_record {
    int64_t left[3], interval[3];
} itimers_record;

bool px_itimer_save(struct px_process *p, struct px_handoff *h)
{
    itimers_record r = {0};
    px_host_rwlock_lock(&p->itimers.lock);
    for (int which = 0; which < 3; which++) {
        r.left[which] = left_locked(&p->itimers, which);
        r.interval[which] = p->itimers.timers[which].interval_ns;
    }
    px_host_rwlock_unlock(&p->itimers.lock);
    return px_handoff_put(h, PX_HANDOFF_TAG_ITIMERS, &r, sizeof r);
}

void px_itimer_restore(struct px_process *p, const struct px_handoff *h)
{
    size_t len = 0;
    const itimers_record *r = px_handoff_get(h, PX_HANDOFF_TAG_ITIMERS, 0, &len);
    if (!r || len != sizeof *r) return;
    px_host_rwlock_lock(&p->itimers.lock);
    for (int which = 0; which < 3; which++) {
        if (r->left[which] <= 0) continue;
        /* the CPU times of this process start again from its own */
        p->itimers.timers[which].expiry_ns = clock_of(which) + r->left[which];
        p->itimers.timers[which].interval_ns = r->interval[which];
    }
    px_host_rwlock_unlock(&p->itimers.lock);
}

void px_itimer_resume(void)
{
    px_itimers *it = timers_of_self();
    px_host_rwlock_lock(&it->lock);
    bool armed = false;
    for (int which = 0; which < 3; which++) armed |= it->timers[which].expiry_ns != 0;
    if (armed && start_thread_locked(it) < 0) memset(it->timers, 0, sizeof it->timers); /* as a failed setitimer */
    px_host_cond_wake_all(&it->changed);
    px_host_rwlock_unlock(&it->lock);
}

static struct linux_timeval timeval_of_ns(int64_t ns)
{
    /* a running timer never reads 0: rounded up to the microsecond */
    int64_t us = (ns + NSEC_PER_USEC - 1) / NSEC_PER_USEC;
    return (struct linux_timeval){.tv_sec = us / 1000000, .tv_usec = us % 1000000};
}

static int64_t ns_of_timeval(const struct linux_timeval *tv)
{
    if (tv->tv_sec < 0 || tv->tv_usec < 0 || tv->tv_usec >= 1000000) return -LINUX_EINVAL;
    if (tv->tv_sec > (INT64_MAX / PX_NSEC_PER_SEC) - 1) return INT64_MAX / 2;
    return tv->tv_sec * PX_NSEC_PER_SEC + tv->tv_usec * NSEC_PER_USEC;
}

/* alarm(2): the seconds left of the previous alarm, rounded (at least 1 if any). */
PX_SYSCALL(alarm)
{
    uint32_t seconds = (uint32_t)PX_ARG0;
    int64_t old_value, old_interval;
    if (rearm(LINUX_ITIMER_REAL, (int64_t)seconds * PX_NSEC_PER_SEC, 0, &old_value, &old_interval) < 0) return 0;
    if (!old_value) return 0;
    int64_t left = (old_value + PX_NSEC_PER_SEC / 2) / PX_NSEC_PER_SEC;
    return left ? left : 1;
}

/* setitimer(2) */
PX_SYSCALL(setitimer)
{
    int which = (int)PX_ARG0;
    uint64_t new_ptr = PX_ARG1, old_ptr = PX_ARG2;
    if (which < LINUX_ITIMER_REAL || which > LINUX_ITIMER_PROF) return -LINUX_EINVAL;
    struct linux_itimerval nv = {0};
    if (new_ptr && px_copy_in(&nv, new_ptr, sizeof nv) < 0) return -LINUX_EFAULT;
    int64_t value = ns_of_timeval(&nv.it_value), interval = ns_of_timeval(&nv.it_interval);
    if (value < 0 || interval < 0) return -LINUX_EINVAL;
    int64_t old_value, old_interval;
    int64_t r = rearm(which, value, interval, &old_value, &old_interval);
    if (r < 0) return r;
    if (old_ptr) {
        struct linux_itimerval ov = {.it_interval = timeval_of_ns(old_interval), .it_value = timeval_of_ns(old_value)};
        if (px_copy_out(old_ptr, &ov, sizeof ov) < 0) return -LINUX_EFAULT;
    }
    return 0;
}

/* getitimer(2) */
PX_SYSCALL(getitimer)
{
    int which = (int)PX_ARG0;
    uint64_t cur_ptr = PX_ARG1;
    if (which < LINUX_ITIMER_REAL || which > LINUX_ITIMER_PROF) return -LINUX_EINVAL;
    px_itimers *it = timers_of_self();
    px_host_rwlock_lock(&it->lock);
    struct linux_itimerval cur = {.it_interval = timeval_of_ns(it->timers[which].interval_ns),
                                  .it_value = timeval_of_ns(left_locked(it, which))};
    px_host_rwlock_unlock(&it->lock);
    return px_copy_out(cur_ptr, &cur, sizeof cur) < 0 ? -LINUX_EFAULT : 0;
}
