/* alarm(2), setitimer(2) and getitimer(2) for ITIMER_REAL: one timer per process,
   kept by a host thread that sleeps until the expiry and then sends SIGALRM to the
   process (px_signal_send_process: the task's wait is interrupted, or its guest code
   redirected). The timer is the process object's (task/process.h): a fork child starts
   without it and an execve in place keeps it, as Linux. */
#include "core/px.h"
#include "core/uaccess.h"
#include "host/host_sync.h"
#include "host/host_thread.h"
#include "kernel/deadline.h"
#include "kernel/kernel.h"
#include "kernel/signal.h"
#include "linux_event.h"
#include "task/process.h"

#define NSEC_PER_USEC 1000LL

/* The calling task's process's timers (task/process.h). */
static px_itimers *timers_of_self(void) { return &px_kernel_self()->process->itimers; }

static void fire(void)
{
    struct linux_siginfo info = {.si_signo = LINUX_SIGALRM, .si_code = LINUX_SI_KERNEL};
    px_signal_send_process(LINUX_SIGALRM, &info);
}

/* The timer thread: arg is the process (a reference it holds for the process's life). */
static void timer_main(void *arg)
{
    px_itimers *it = &((struct px_process *)arg)->itimers;
    px_host_rwlock_lock(&it->lock);
    for (;;) {
        if (!it->real_expiry_ns) {
            px_host_cond_wait(&it->changed, &it->lock, PX_HOST_FOREVER);
            continue;
        }
        int64_t now = px_clock_monotonic_ns();
        if (now < it->real_expiry_ns) {
            int64_t left_ms = (it->real_expiry_ns - now + 999999) / 1000000;
            px_host_cond_wait(&it->changed, &it->lock, left_ms > 0x7ffffff0 ? 0x7ffffff0 : (uint32_t)left_ms);
            continue;
        }
        /* expired: re-armed from the expiry (periodic), or later than now if overrun */
        if (it->real_interval_ns) {
            it->real_expiry_ns += it->real_interval_ns;
            if (it->real_expiry_ns <= now) it->real_expiry_ns = now + it->real_interval_ns;
        } else {
            it->real_expiry_ns = 0;
        }
        px_host_rwlock_unlock(&it->lock);
        fire();
        px_host_rwlock_lock(&it->lock);
    }
}

/* With it->lock held: the calling task's process's timer thread, started once. */
static int64_t start_thread_locked(px_itimers *it)
{
    if (it->thread_started) return 0;
    px_signal_prepare_self();
    struct px_process *p = px_process_take(px_kernel_self()->process);
    px_host_handle h = px_host_thread_start(timer_main, p, 64 * 1024);
    if (!h) {
        px_process_drop(p);
        return -LINUX_EAGAIN;
    }
    px_host_close(h);
    it->thread_started = true;
    return 0;
}

/* Arms (value 0: disarms) with it->lock held; the previous value and interval in *old_*. */
static int64_t rearm_locked(px_itimers *it, int64_t value_ns, int64_t new_interval_ns, int64_t *old_value,
                            int64_t *old_interval)
{
    int64_t now = px_clock_monotonic_ns();
    *old_value = it->real_expiry_ns ? (it->real_expiry_ns > now ? it->real_expiry_ns - now : 1) : 0;
    *old_interval = it->real_interval_ns;
    if (value_ns && start_thread_locked(it) < 0) return -LINUX_EAGAIN;
    it->real_expiry_ns = value_ns ? now + value_ns : 0;
    it->real_interval_ns = value_ns ? new_interval_ns : 0;
    px_host_cond_wake_all(&it->changed);
    return 0;
}

void px_itimer_resume(void)
{
    px_itimers *it = timers_of_self();
    px_host_rwlock_lock(&it->lock);
    if (it->real_expiry_ns && start_thread_locked(it) < 0) it->real_expiry_ns = 0; /* as a failed setitimer */
    px_host_rwlock_unlock(&it->lock);
}

static int64_t rearm(int64_t value_ns, int64_t new_interval_ns, int64_t *old_value, int64_t *old_interval)
{
    px_itimers *it = timers_of_self();
    px_host_rwlock_lock(&it->lock);
    int64_t r = rearm_locked(it, value_ns, new_interval_ns, old_value, old_interval);
    px_host_rwlock_unlock(&it->lock);
    return r;
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
    if (rearm((int64_t)seconds * PX_NSEC_PER_SEC, 0, &old_value, &old_interval) < 0) return 0;
    if (!old_value) return 0;
    int64_t left = (old_value + PX_NSEC_PER_SEC / 2) / PX_NSEC_PER_SEC;
    return left ? left : 1;
}

/* setitimer(2): ITIMER_REAL only; the CPU-time timers are not implemented. */
PX_SYSCALL(setitimer)
{
    int which = (int)PX_ARG0;
    uint64_t new_ptr = PX_ARG1, old_ptr = PX_ARG2;
    if (which == LINUX_ITIMER_VIRTUAL || which == LINUX_ITIMER_PROF) return -LINUX_ENOSYS;
    if (which != LINUX_ITIMER_REAL) return -LINUX_EINVAL;
    struct linux_itimerval nv = {0};
    if (new_ptr && px_copy_in(&nv, new_ptr, sizeof nv) < 0) return -LINUX_EFAULT;
    int64_t value = ns_of_timeval(&nv.it_value), interval = ns_of_timeval(&nv.it_interval);
    if (value < 0 || interval < 0) return -LINUX_EINVAL;
    int64_t old_value, old_interval;
    int64_t r = rearm(value, interval, &old_value, &old_interval);
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
    if (which == LINUX_ITIMER_VIRTUAL || which == LINUX_ITIMER_PROF) return -LINUX_ENOSYS;
    if (which != LINUX_ITIMER_REAL) return -LINUX_EINVAL;
    px_itimers *it = timers_of_self();
    px_host_rwlock_lock(&it->lock);
    int64_t now = px_clock_monotonic_ns();
    int64_t value = it->real_expiry_ns ? (it->real_expiry_ns > now ? it->real_expiry_ns - now : 1) : 0;
    struct linux_itimerval cur = {.it_interval = timeval_of_ns(it->real_interval_ns), .it_value = timeval_of_ns(value)};
    px_host_rwlock_unlock(&it->lock);
    return px_copy_out(cur_ptr, &cur, sizeof cur) < 0 ? -LINUX_EFAULT : 0;
}
