/* POSIX timers: timer_create(2), timer_settime(2), timer_gettime(2), timer_getoverrun(2),
   timer_delete(2). The process's timers (px_process.posix_timers, made at its first
   timer_create) are kept by one host thread that sleeps until the next expiry and then
   sends each expired timer's signal (SI_TIMER, with si_timerid and si_value) to the
   process (SIGEV_SIGNAL) or to one of its threads (SIGEV_THREAD_ID). As in Linux a
   timer has one signal in flight: expirations while it is pending count as overruns,
   which the taking of the signal reports in si_overrun and timer_getoverrun
   (px_posix_timer_taken). Timers on a CPU-time clock (the process's, the creating
   thread's, another thread's or another process's) are looked at every 10 ms. A fork child has
   none; execve deletes them. */
#include "core/cred.h"
#include "core/px.h"
#include "core/uaccess.h"
#include "host/host_process.h"
#include "host/host_sync.h"
#include "host/host_thread.h"
#include "kernel/kernel.h"
#include "kernel/signal.h"
#include "kernel/thread_clone.h"
#include "kernel/timer_math.h"
#include "task/process.h"

#define TIMERS_MAX 512           /* per process (Linux's bound is RLIMIT_SIGPENDING) */
#define CPU_CLOCK_LOOK_MS 10     /* how often a CPU-time timer is looked at */

typedef struct ptimer {
    bool used;
    enum px_clock_kind clock;
    int64_t expiry, interval;    /* ns on the clock; expiry 0: disarmed */
    int32_t notify;              /* LINUX_SIGEV_*, as given */
    int32_t signo;
    uint64_t value;              /* si_value */
    int32_t tid;                 /* SIGEV_THREAD_ID: the thread */
    bool in_flight;              /* its signal is pending, not yet taken */
    int64_t overrun;             /* expirations while in flight */
    int32_t overrun_last;        /* what the last taken signal reported */
    px_host_handle thread;       /* PX_CLOCK_THREAD_CPU: the creating thread, whose CPU time it counts;
                                    PX_CLOCK_OTHER_CPU: the thread or process whose clock_id counts */
    bool counts_thread;          /* PX_CLOCK_OTHER_CPU: thread is a thread's handle, not a process's */
    int32_t clock_id;            /* PX_CLOCK_OTHER_CPU: the clock id, for what it counts (user or all) */
} ptimer;

/* Timer t's clock now. */
static int64_t timer_now(const ptimer *t)
{
    if (t->clock == PX_CLOCK_OTHER_CPU) return px_cpu_clock_ns(t->thread, t->counts_thread, t->clock_id);
    if (t->clock != PX_CLOCK_THREAD_CPU) return px_clock_now(t->clock);
    px_host_times times;
    return px_host_thread_times_of(t->thread, &times) < 0 ? 0 : (times.kernel + times.user) * 100;
}

/* With the lock: timer t goes (its thread handle closed). */
static void forget_locked(ptimer *t)
{
    if (t->thread) px_host_close(t->thread);
    *t = (ptimer){0};
}

struct px_posix_timers {
    px_host_rwlock lock;         /* guards the rest */
    px_host_cond changed;        /* the thread's wake-up: a timer was set */
    bool thread_started;
    ptimer timers[TIMERS_MAX];
};

static struct px_posix_timers *timers_of(struct px_process *p, bool make)
{
    struct px_posix_timers *pt = __atomic_load_n(&p->posix_timers, __ATOMIC_ACQUIRE);
    if (pt || !make) return pt;
    struct px_posix_timers *made = px_calloc(1, sizeof *made);
    if (!made) return NULL;
    px_host_rwlock_init(&made->lock); /* the cond is ready zeroed (PX_HOST_COND_INIT) */
    if (!__atomic_compare_exchange_n(&p->posix_timers, &pt, made, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        px_free(made);
        return pt;
    }
    return made;
}

void px_posix_timers_free(struct px_process *p)
{
    px_free(p->posix_timers);
}

static bool is_tid(px_task *t, void *tid) { return t->tid == *(int32_t *)tid; }

/* Whether tid is a thread of the calling process. */
static bool has_thread(int32_t tid) { return tid > 0 && px_thread_each(is_tid, &tid); }

/* A timer's signal to send once the lock is let go (a send may wait for the thread that
   takes it, and taking it takes the lock: px_posix_timer_taken). */
typedef struct due_signal {
    int id;
    int32_t notify, tid, signo;
    struct linux_siginfo info;
} due_signal;
#define DUE_MAX 16

/* With the lock held: timer i expired passed times: its signal is due (true, *d), or one
   more overrun while the last one is in flight. */
static bool expired_locked(struct px_posix_timers *pt, int i, uint64_t passed, due_signal *d)
{
    ptimer *t = &pt->timers[i];
    if (t->notify == LINUX_SIGEV_NONE) return false;
    if (t->in_flight) {
        t->overrun += (int64_t)passed;
        return false;
    }
    t->in_flight = true;
    t->overrun = (int64_t)passed - 1;
    *d = (due_signal){.id = i, .notify = t->notify, .tid = t->tid, .signo = t->signo,
                      .info = {.si_signo = t->signo, .si_code = LINUX_SI_TIMER}};
    d->info.timer.tid = i;
    memcpy(&d->info.timer.sigval, &t->value, sizeof t->value);
    return true;
}

/* Without the lock: sends d; false when it went nowhere (its thread ended, the signal is
   ignored): no longer in flight then. */
static bool send_due(const due_signal *d)
{
    if (d->notify == LINUX_SIGEV_THREAD_ID) {
        if (!has_thread(d->tid)) return false; /* the thread ended: lost, as on Linux */
        int32_t push = px_signal_receive_thread(d->tid, &d->info);
        if (push) px_signal_push_thread(push, d->signo);
    } else {
        px_signal_send_process(d->signo, &d->info);
    }
    return px_signal_pending_in_process(d->signo);
}

/* The timer thread: arg is the process (a reference it holds for the process's life). */
static void timer_main(void *arg)
{
    struct px_posix_timers *pt = ((struct px_process *)arg)->posix_timers;
    px_host_rwlock_lock(&pt->lock);
    for (;;) {
        int64_t wait_ms = -1;
        due_signal due[DUE_MAX];
        int n_due = 0;
        for (int i = 0; i < TIMERS_MAX && n_due < DUE_MAX; i++) {
            ptimer *t = &pt->timers[i];
            if (!t->used || !t->expiry) continue;
            int64_t now = timer_now(t);
            uint64_t passed = px_timer_advance(&t->expiry, t->interval, now);
            if (passed && expired_locked(pt, i, passed, &due[n_due])) n_due++;
            if (!t->expiry) continue;
            int64_t left_ms = (t->expiry - now + 999999) / 1000000;
            bool cpu = t->clock == PX_CLOCK_PROCESS_CPU || t->clock == PX_CLOCK_THREAD_CPU || t->clock == PX_CLOCK_OTHER_CPU;
            if (cpu && left_ms > CPU_CLOCK_LOOK_MS) left_ms = CPU_CLOCK_LOOK_MS;
            if (left_ms < 1) left_ms = 1;
            if (wait_ms < 0 || left_ms < wait_ms) wait_ms = left_ms;
        }
        if (n_due) {
            px_host_rwlock_unlock(&pt->lock);
            bool sent[DUE_MAX];
            for (int k = 0; k < n_due; k++) sent[k] = send_due(&due[k]);
            px_host_rwlock_lock(&pt->lock);
            for (int k = 0; k < n_due; k++) /* the same timer still (not deleted and made again meanwhile) */
                if (!sent[k] && pt->timers[due[k].id].used && pt->timers[due[k].id].signo == due[k].signo)
                    pt->timers[due[k].id].in_flight = false;
            continue;
        }
        uint32_t ms = wait_ms < 0 ? PX_HOST_FOREVER : wait_ms > 0x7ffffff0 ? 0x7ffffff0 : (uint32_t)wait_ms;
        px_host_cond_wait(&pt->changed, &pt->lock, ms);
    }
}

static int64_t start_thread_locked(struct px_posix_timers *pt)
{
    if (pt->thread_started) return 0;
    int64_t r = px_timer_thread_start(timer_main);
    if (r == 0) pt->thread_started = true;
    return r;
}

void px_posix_timer_taken(struct linux_siginfo *info)
{
    struct px_posix_timers *pt = timers_of(px_kernel_self()->process, false);
    int i = info->timer.tid;
    if (!pt || i < 0 || i >= TIMERS_MAX) return;
    px_host_rwlock_lock(&pt->lock);
    ptimer *t = &pt->timers[i];
    if (t->used && t->in_flight && t->signo == info->si_signo) {
        t->overrun_last = t->overrun > INT32_MAX ? INT32_MAX : (int32_t)t->overrun; /* DELAYTIMER_MAX */
        t->overrun = 0;
        t->in_flight = false;
        info->timer.overrun = t->overrun_last;
    }
    px_host_rwlock_unlock(&pt->lock);
}

void px_posix_timers_exec(void)
{
    struct px_posix_timers *pt = timers_of(px_kernel_self()->process, false);
    if (!pt) return;
    px_host_rwlock_lock(&pt->lock);
    for (int i = 0; i < TIMERS_MAX; i++) forget_locked(&pt->timers[i]);
    px_host_rwlock_unlock(&pt->lock);
}

/* The clocks a timer may run on (the kernel's clock_posix ops with timer_create): the
   clock kind, -LINUX_EOPNOTSUPP for clocks that have no timers, -LINUX_EINVAL for the
   rest (a CPU-time clock of no thread of this process, of no process). */
static int64_t timer_clock(int32_t clk, enum px_clock_kind *kind)
{
    switch (clk) {
    case LINUX_CLOCK_MONOTONIC_RAW: case LINUX_CLOCK_REALTIME_COARSE: case LINUX_CLOCK_MONOTONIC_COARSE:
        return -LINUX_EOPNOTSUPP;
    case LINUX_CLOCK_REALTIME_ALARM: case LINUX_CLOCK_BOOTTIME_ALARM:
        if (px_kernel_self()->cred->euid != 0) return -LINUX_EPERM; /* CAP_WAKE_ALARM */
        break;
    default: break;
    }
    *kind = px_clock_kind_of(clk);
    return *kind == PX_CLOCK_NONE ? -LINUX_EINVAL : 0;
}

/* The kernel's good_sigevent: a valid notification (and signal), the thread one of ours. */
static bool good_sigevent(const struct linux_sigevent *ev)
{
    int32_t notify = ev->sigev_notify;
    if (notify == LINUX_SIGEV_NONE) return true;
    if (notify != LINUX_SIGEV_SIGNAL && notify != LINUX_SIGEV_THREAD && notify != LINUX_SIGEV_THREAD_ID) return false;
    if (ev->sigev_signo < 1 || ev->sigev_signo > LINUX_NSIG) return false;
    return notify != LINUX_SIGEV_THREAD_ID || has_thread(ev->tid);
}

/* timer_create(2) */
PX_SYSCALL(timer_create)
{
    int32_t clk = (int32_t)PX_ARG0;
    uint64_t sev_ptr = PX_ARG1, id_ptr = PX_ARG2;
    enum px_clock_kind kind;
    int64_t r = timer_clock(clk, &kind);
    if (r < 0) return r;
    struct linux_sigevent ev = {.sigev_signo = LINUX_SIGALRM, .sigev_notify = LINUX_SIGEV_SIGNAL};
    bool given = sev_ptr != 0;
    if (given && px_copy_in(&ev, sev_ptr, sizeof ev) < 0) return -LINUX_EFAULT;
    if (!good_sigevent(&ev)) return -LINUX_EINVAL;
    struct px_posix_timers *pt = timers_of(px_kernel_self()->process, true);
    if (!pt) return -LINUX_ENOMEM;
    bool counts_thread = false;
    px_host_handle thread = kind == PX_CLOCK_THREAD_CPU ? px_host_thread_self_handle()
                            : kind == PX_CLOCK_OTHER_CPU ? px_cpu_clock_open(clk, &counts_thread) : NULL;
    if (kind == PX_CLOCK_THREAD_CPU && !thread) return -LINUX_EAGAIN;
    if (kind == PX_CLOCK_OTHER_CPU && !thread) return -LINUX_EINVAL; /* it ended meanwhile */
    px_host_rwlock_lock(&pt->lock);
    int id = -1;
    for (int i = 0; i < TIMERS_MAX && id < 0; i++)
        if (!pt->timers[i].used) id = i;
    if (id >= 0) {
        pt->timers[id] = (ptimer){.used = true, .clock = kind, .notify = ev.sigev_notify, .signo = ev.sigev_signo,
                                  .value = given ? ev.sigev_value : (uint64_t)id, .tid = ev.tid, .thread = thread,
                                  .counts_thread = counts_thread, .clock_id = clk};
    }
    px_host_rwlock_unlock(&pt->lock);
    if (id < 0) {
        if (thread) px_host_close(thread);
        return -LINUX_EAGAIN;
    }
    int32_t out = id;
    if (px_copy_out(id_ptr, &out, sizeof out) < 0) {
        px_host_rwlock_lock(&pt->lock);
        forget_locked(&pt->timers[id]);
        px_host_rwlock_unlock(&pt->lock);
        return -LINUX_EFAULT;
    }
    return 0;
}

/* With pt's lock: timer id of the caller's process, or NULL (EINVAL). */
static ptimer *find_locked(struct px_posix_timers *pt, int64_t id)
{
    return id >= 0 && id < TIMERS_MAX && pt->timers[id].used ? &pt->timers[id] : NULL;
}

/* The caller's timers, locked, with timer id: NULL (EINVAL) when there is none. */
static ptimer *lock_timer(int64_t id, struct px_posix_timers **out)
{
    struct px_posix_timers *pt = timers_of(px_kernel_self()->process, false);
    *out = pt;
    if (!pt) return NULL;
    px_host_rwlock_lock(&pt->lock);
    ptimer *t = find_locked(pt, id);
    if (!t) px_host_rwlock_unlock(&pt->lock);
    return t;
}

/* timer_settime(2) */
PX_SYSCALL(timer_settime)
{
    int64_t id = (int32_t)PX_ARG0;
    uint32_t flags = (uint32_t)PX_ARG1;
    uint64_t new_ptr = PX_ARG2, old_ptr = PX_ARG3;
    struct linux_itimerspec its;
    if (!new_ptr) return -LINUX_EINVAL;
    if (px_copy_in(&its, new_ptr, sizeof its) < 0) return -LINUX_EFAULT;
    int64_t value, interval;
    if (px_itimerspec_ns(&its, &value, &interval) < 0) return -LINUX_EINVAL;
    struct px_posix_timers *pt;
    ptimer *t = lock_timer(id, &pt);
    if (!t) return -LINUX_EINVAL;
    int64_t now = timer_now(t);
    struct linux_itimerspec old = px_timer_report(t->expiry, t->interval, now);
    int64_t r = 0;
    t->expiry = px_timer_expiry(value, flags & LINUX_TIMER_ABSTIME, now);
    t->interval = t->expiry ? interval : 0;
    t->overrun = 0;
    if (t->expiry) r = start_thread_locked(pt);
    px_host_cond_wake_all(&pt->changed);
    px_host_rwlock_unlock(&pt->lock);
    if (r == 0 && old_ptr && px_copy_out(old_ptr, &old, sizeof old) < 0) r = -LINUX_EFAULT;
    return r;
}

/* timer_gettime(2) */
PX_SYSCALL(timer_gettime)
{
    int64_t id = (int32_t)PX_ARG0;
    uint64_t cur_ptr = PX_ARG1;
    struct px_posix_timers *pt;
    ptimer *t = lock_timer(id, &pt);
    if (!t) return -LINUX_EINVAL;
    struct linux_itimerspec cur = px_timer_report(t->expiry, t->interval, timer_now(t));
    px_host_rwlock_unlock(&pt->lock);
    return px_copy_out(cur_ptr, &cur, sizeof cur) < 0 ? -LINUX_EFAULT : 0;
}

/* timer_getoverrun(2): the overruns the last taken signal reported. */
PX_SYSCALL(timer_getoverrun)
{
    int64_t id = (int32_t)PX_ARG0;
    struct px_posix_timers *pt;
    ptimer *t = lock_timer(id, &pt);
    if (!t) return -LINUX_EINVAL;
    int32_t overrun = t->overrun_last;
    px_host_rwlock_unlock(&pt->lock);
    return overrun;
}

/* timer_delete(2) */
PX_SYSCALL(timer_delete)
{
    int64_t id = (int32_t)PX_ARG0;
    struct px_posix_timers *pt;
    ptimer *t = lock_timer(id, &pt);
    if (!t) return -LINUX_EINVAL;
    forget_locked(t);
    px_host_rwlock_unlock(&pt->lock);
    return 0;
}
