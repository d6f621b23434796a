/* Clocks and sleeps. REALTIME comes from the system time (100 ns steps), MONOTONIC and
   BOOTTIME from the performance counter, the CPU-time clocks from the process and
   thread times. Sleeps are px_block waits with a deadline (block.h): the task's
   high-resolution waitable timer, so that a 50 µs sleep is not a 15 ms one, and its
   interrupt event, which ends a sleep with EINTR and the time left. */
#include "core/px.h"
#include "core/errors.h"
#include "core/uaccess.h"
#include "host/host_process.h"
#include "host/host_time.h"
#include "kernel/block.h"
#include "kernel/identity.h"
#include "kernel/kernel.h"
#include "kernel/clock.h"
#include "kernel/thread_clone.h"
#include "host/host_thread.h"
#include "task/ptable.h"


static int64_t qpc_frequency;  /* ticks per second, set once */

static int64_t perf_frequency(void)
{
    if (PX_UNLIKELY(!qpc_frequency)) {
        int64_t f = (int64_t)px_host_ticks_per_second();
        qpc_frequency = f > 0 ? f : 10000000;
    }
    return qpc_frequency;
}

static int64_t ticks_to_ns(int64_t ticks, int64_t freq)
{
    /* Split so that ticks * 1e9 cannot overflow. */
    return (ticks / freq) * PX_NSEC_PER_SEC + (ticks % freq) * PX_NSEC_PER_SEC / freq;
}

int64_t px_clock_monotonic_ns(void)
{
    return ticks_to_ns((int64_t)px_host_ticks(), perf_frequency());
}

int64_t px_clock_realtime_ns(void)
{
    return (px_host_time_now() - (int64_t)PX_FILETIME_UNIX_EPOCH) * 100;
}

static int64_t process_cpu_ns(void)
{
    px_host_times t;
    if (px_host_process_times(px_host_self(), &t) < 0) return 0;
    return (t.kernel + t.user) * 100;
}

static int64_t thread_cpu_ns(void)
{
    px_host_times t;
    if (px_host_thread_times(&t) < 0) return 0;
    return (t.kernel + t.user) * 100;
}

/* SRC_OTHER_CPU: a CPU-time clock of another thread of this process or another
   process (px_cpu_clock_open). */
enum clock_source { SRC_NONE, SRC_REALTIME, SRC_MONOTONIC, SRC_PROCESS_CPU, SRC_THREAD_CPU, SRC_OTHER_CPU };

struct clock_row {
    uint8_t source;     /* enum clock_source */
    uint8_t can_sleep;  /* clock_nanosleep accepts it (the kernel's nsleep) */
};

static const struct clock_row clock_table[] = {
    [LINUX_CLOCK_REALTIME] = {SRC_REALTIME, 1},
    [LINUX_CLOCK_MONOTONIC] = {SRC_MONOTONIC, 1},
    [LINUX_CLOCK_PROCESS_CPUTIME_ID] = {SRC_PROCESS_CPU, 0},
    [LINUX_CLOCK_THREAD_CPUTIME_ID] = {SRC_THREAD_CPU, 0},
    [LINUX_CLOCK_MONOTONIC_RAW] = {SRC_MONOTONIC, 0},
    [LINUX_CLOCK_REALTIME_COARSE] = {SRC_REALTIME, 0},
    [LINUX_CLOCK_MONOTONIC_COARSE] = {SRC_MONOTONIC, 0},
    [LINUX_CLOCK_BOOTTIME] = {SRC_MONOTONIC, 1},
    /* Sleeping on the alarm clocks needs CAP_WAKE_ALARM and a wake-up source: not offered. */
    [LINUX_CLOCK_REALTIME_ALARM] = {SRC_REALTIME, 0},
    [LINUX_CLOCK_BOOTTIME_ALARM] = {SRC_MONOTONIC, 0},
    /* TAI is UTC plus the kernel's TAI offset, which is 0 unless an NTP daemon sets it. */
    [LINUX_CLOCK_TAI] = {SRC_REALTIME, 1},
};

/* Negative clock ids are CPU-time clocks of a pid or tid (clock_getcpuclockid,
   pthread_getcpuclockid): ~id >> 3 is the pid, bit 2 says thread, bits 0-1 the kind
   (CPUCLOCK_PROF 0 and SCHED 2: user and system time; VIRT 1: user time). As Linux's
   pid_for_clock: a thread clock names a thread of the caller's process, a process clock
   any process (the caller's own tid names its process too). */
#define CPUCLOCK_VIRT 1
#define CPUCLOCK_KIND(clk) ((clk) & 3)

static int32_t tid_of(const px_task *t) { return t->tid ? t->tid : px_identity_pid(); }

typedef struct tid_find {
    int32_t tid;
    uint32_t host_tid;
} tid_find;

static bool find_tid(px_task *t, void *ctx)
{
    tid_find *f = ctx;
    if (tid_of(t) != f->tid) return false;
    f->host_tid = __atomic_load_n(&t->host_tid, __ATOMIC_ACQUIRE);
    return true;
}

/* What a negative clock id names, decoded and looked up once: SRC_THREAD_CPU and
   SRC_PROCESS_CPU are the caller's own (read without a handle); SRC_OTHER_CPU is read
   through a handle to host_id, a thread's or a process's Windows id. */
typedef struct cpu_clock_target {
    enum clock_source source;
    bool thread;
    uint32_t host_id;
} cpu_clock_target;

static cpu_clock_target cpu_clock_target_of(int32_t clk)
{
    cpu_clock_target t = {.source = SRC_NONE, .thread = (clk & 4) != 0};
    if (CPUCLOCK_KIND(clk) == 3) return t;
    int32_t id = ~(clk >> 3);
    bool user_only = CPUCLOCK_KIND(clk) == CPUCLOCK_VIRT; /* the own-clock readers give user + system */
    px_task *self = px_kernel_self();
    if (t.thread) {
        bool own = id == 0 || (self && id == tid_of(self));
        if (own && !user_only) {
            t.source = SRC_THREAD_CPU;
            return t;
        }
        tid_find f = {.tid = own && self ? tid_of(self) : id};
        if (f.tid > 0 && px_thread_each(find_tid, &f) && f.host_tid) {
            t.source = SRC_OTHER_CPU;
            t.host_id = f.host_tid;
        }
        return t;
    }
    if (id == 0 || id == px_identity_pid() || (self && id == tid_of(self))) {
        t.source = user_only ? SRC_OTHER_CPU : SRC_PROCESS_CPU;
        t.host_id = px_host_pid();
        return t;
    }
    px_ptable_entry e;
    if (id > 0 && px_ptable_lookup(id, &e) == 0 && e.pid == id && e.state == PX_PTABLE_RUNNING) {
        t.source = SRC_OTHER_CPU;
        t.host_id = e.host_pid;
    }
    return t;
}

static enum clock_source clock_source_of(int32_t clk)
{
    if (clk >= 0) {
        if ((size_t)clk >= PX_ARRAY_LEN(clock_table)) return SRC_NONE;
        return (enum clock_source)clock_table[clk].source;
    }
    return cpu_clock_target_of(clk).source;
}

static px_host_handle cpu_clock_target_open(const cpu_clock_target *t)
{
    return t->thread ? px_host_thread_open(t->host_id) : px_host_process_open(t->host_id);
}

px_host_handle px_cpu_clock_open(int32_t clk, bool *thread)
{
    if (clk >= 0) return NULL;
    cpu_clock_target t = cpu_clock_target_of(clk);
    if (t.source != SRC_OTHER_CPU) return NULL;
    *thread = t.thread;
    return cpu_clock_target_open(&t);
}

int64_t px_cpu_clock_ns(px_host_handle counted, bool thread, int32_t clk)
{
    px_host_times t;
    if ((thread ? px_host_thread_times_of(counted, &t) : px_host_process_cpu_times(counted, &t)) < 0) return 0;
    return (CPUCLOCK_KIND(clk) == CPUCLOCK_VIRT ? t.user : t.kernel + t.user) * 100;
}

/* Another's CPU clock now (opened for the one look), or -LINUX_EINVAL when it went. */
static int64_t other_cpu_ns(const cpu_clock_target *t, int32_t clk)
{
    px_host_handle h = cpu_clock_target_open(t);
    if (!h) return -LINUX_EINVAL;
    int64_t ns = px_cpu_clock_ns(h, t->thread, clk);
    px_host_close(h);
    return ns;
}

static int64_t clock_now_ns(enum clock_source src)
{
    switch (src) {
    case SRC_REALTIME: return px_clock_realtime_ns();
    case SRC_MONOTONIC: return px_clock_monotonic_ns();
    case SRC_PROCESS_CPU: return process_cpu_ns();
    case SRC_THREAD_CPU: return thread_cpu_ns();
    default: return 0;
    }
}

enum px_clock_kind px_clock_kind_of(int32_t clk)
{
    switch (clock_source_of(clk)) {
    case SRC_REALTIME: return PX_CLOCK_WALL;
    case SRC_MONOTONIC: return PX_CLOCK_ELAPSED;
    case SRC_PROCESS_CPU: return PX_CLOCK_PROCESS_CPU;
    case SRC_THREAD_CPU: return PX_CLOCK_THREAD_CPU;
    case SRC_OTHER_CPU: return PX_CLOCK_OTHER_CPU;
    default: return PX_CLOCK_NONE;
    }
}

int64_t px_clock_now(enum px_clock_kind kind)
{
    switch (kind) {
    case PX_CLOCK_WALL: return px_clock_realtime_ns();
    case PX_CLOCK_ELAPSED: return px_clock_monotonic_ns();
    case PX_CLOCK_PROCESS_CPU: return process_cpu_ns();
    case PX_CLOCK_THREAD_CPU: return thread_cpu_ns();
    default: return 0;
    }
}

/* clock_gettime(2) */
PX_SYSCALL(clock_gettime)
{
    int32_t clk = (int32_t)PX_ARG0;
    uint64_t tp = PX_ARG1;
    return px_time_clock_gettime(clk, tp);
}

int64_t px_time_clock_gettime(int32_t clk, uint64_t tp)
{
    cpu_clock_target target = clk < 0 ? cpu_clock_target_of(clk) : (cpu_clock_target){.source = clock_source_of(clk)};
    if (target.source == SRC_NONE) return -LINUX_EINVAL;
    int64_t ns = target.source == SRC_OTHER_CPU ? other_cpu_ns(&target, clk) : clock_now_ns(target.source);
    if (ns < 0) return ns;
    struct linux_timespec ts = px_timespec_of_ns(ns);
    return PX_PUT(tp, &ts);
}

/* clock_getres(2): the step of the host source (100 ns for the system time and the CPU
   times; one counter tick, rounded up, for the performance counter). */
PX_SYSCALL(clock_getres)
{
    int32_t clk = (int32_t)PX_ARG0;
    uint64_t res = PX_ARG1;
    return px_time_clock_getres(clk, res);
}

int64_t px_time_clock_getres(int32_t clk, uint64_t res)
{
    enum clock_source src = clock_source_of(clk);
    if (src == SRC_NONE) return -LINUX_EINVAL;
    if (!res) return 0;  /* the kernel allows res == NULL */
    int64_t step = 100;
    if (src == SRC_MONOTONIC) {
        int64_t freq = perf_frequency();
        step = (PX_NSEC_PER_SEC + freq - 1) / freq;
    }
    struct linux_timespec ts = px_timespec_of_ns(step);
    return PX_PUT(res, &ts);
}

/* gettimeofday(2): the time zone is always UTC (the kernel's sys_tz is 0 unless set). */
PX_SYSCALL(gettimeofday)
{
    uint64_t tv = PX_ARG0, tz = PX_ARG1;
    return px_time_gettimeofday(tv, tz);
}

int64_t px_time_gettimeofday(uint64_t tv, uint64_t tz)
{
    if (tv) {
        int64_t ns = px_clock_realtime_ns();
        struct linux_timeval out = {ns / PX_NSEC_PER_SEC, ns % PX_NSEC_PER_SEC / 1000};
        if (PX_PUT(tv, &out) < 0) return -LINUX_EFAULT;
    }
    if (tz) {
        struct linux_timezone zone = {0, 0};
        if (PX_PUT(tz, &zone) < 0) return -LINUX_EFAULT;
    }
    return 0;
}

/* The clock belongs to Windows: picolx's root is a container's root, without
   CAP_SYS_TIME over the host's clock, so setting it is EPERM for every user (as in a
   Docker container), after Linux's own checks of the arguments. */

/* clock_settime(2): only CLOCK_REALTIME can be set (the others: EINVAL) */
PX_SYSCALL(clock_settime)
{
    int32_t clk = (int32_t)PX_ARG0;
    uint64_t tp = PX_ARG1;
    if (clk != LINUX_CLOCK_REALTIME) return -LINUX_EINVAL;
    struct linux_timespec ts;
    if (px_copy_in(&ts, tp, sizeof ts) < 0) return -LINUX_EFAULT;
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= PX_NSEC_PER_SEC) return -LINUX_EINVAL;
    return -LINUX_EPERM;
}

/* settimeofday(2) */
PX_SYSCALL(settimeofday)
{
    uint64_t tv = PX_ARG0, tz = PX_ARG1;
    if (tv) {
        struct linux_timeval t;
        if (px_copy_in(&t, tv, sizeof t) < 0) return -LINUX_EFAULT;
        if (t.tv_sec < 0 || t.tv_usec < 0 || t.tv_usec >= 1000000) return -LINUX_EINVAL;
    }
    if (tz) {
        struct linux_timezone z;
        if (px_copy_in(&z, tz, sizeof z) < 0) return -LINUX_EFAULT;
    }
    return -LINUX_EPERM;
}

/* time(2) */
PX_SYSCALL(time)
{
    uint64_t tloc = PX_ARG0;
    return px_time_time(tloc);
}

int64_t px_time_time(uint64_t tloc)
{
    int64_t now = px_clock_realtime_ns() / PX_NSEC_PER_SEC;
    if (tloc) {
        if (PX_PUT(tloc, &now) < 0) return -LINUX_EFAULT;
    }
    return now;
}

/* Sleeps until the deadline or an interrupt (block.h). Returns 0, or -LINUX_EINTR with
   the time that was left written to rem (a guest address; 0: none), as nanosleep and a
   relative clock_nanosleep do. */
static int64_t sleep_until(const px_deadline *d, uint64_t rem);

/* restart_syscall of an interrupted sleep: on to the same deadline. */
static int64_t sleep_restart(px_task *t)
{
    px_deadline d = {(int64_t)t->restart_block[0], t->restart_block[1] != 0};
    return sleep_until(&d, t->restart_block[2]);
}

/* Interrupted, it gives -ERESTART_RESTARTBLOCK (the exit path makes it EINTR when a
   handler runs, restart_syscall going on to the deadline otherwise: a stop and continue). */
static int64_t sleep_until(const px_deadline *d, uint64_t rem)
{
    int r = px_block(NULL, 0, d);
    if (r == PX_BLOCK_TIMEDOUT) return 0;
    if (r != PX_BLOCK_INTERRUPTED) return -LINUX_EINVAL; /* the host wait failed */
    if (rem) {
        int64_t left = px_deadline_left(d, px_deadline_now(d));
        struct linux_timespec ts = px_timespec_of_ns(left < 0 ? 0 : left);
        if (PX_PUT(rem, &ts) < 0) return -LINUX_EFAULT;
    }
    px_task *t = px_kernel_self();
    t->restart_block[0] = (uint64_t)d->at;
    t->restart_block[1] = d->realtime;
    t->restart_block[2] = rem;
    t->restart_fn = sleep_restart;
    return -LINUX_ERESTART_RESTARTBLOCK;
}

/* nanosleep(2) */
PX_SYSCALL(nanosleep)
{
    uint64_t req = PX_ARG0, rem = PX_ARG1;
    struct linux_timespec ts;
    if (PX_GET(&ts, req) < 0) return -LINUX_EFAULT;
    int64_t ns = px_timespec_ns(&ts);
    if (ns < 0) return ns;
    if (ns == 0) return 0;
    px_deadline d = px_deadline_after(px_clock_monotonic_ns(), ns);
    return sleep_until(&d, rem);
}

/* clock_nanosleep(2): relative or TIMER_ABSTIME, on the clocks the kernel can sleep on.
   An absolute REALTIME sleep is an absolute timer, so it follows changes of the clock. */
PX_SYSCALL(clock_nanosleep)
{
    int32_t clk = (int32_t)PX_ARG0;
    int flags = (int)PX_ARG1;
    uint64_t req = PX_ARG2, rem = PX_ARG3;
    enum clock_source src = clock_source_of(clk);
    if (src == SRC_NONE) return -LINUX_EINVAL;
    /* As the kernel: a thread CPU clock by pid/tid is EINVAL; the clocks without a
       sleep (COARSE, RAW, THREAD_CPUTIME_ID) are EOPNOTSUPP. Sleeping until the process
       has used some CPU time is not offered either. */
    if (clk < 0) return src == SRC_THREAD_CPU ? -LINUX_EINVAL : -LINUX_EOPNOTSUPP;
    if (!clock_table[clk].can_sleep) return -LINUX_EOPNOTSUPP;
    struct linux_timespec ts;
    if (PX_GET(&ts, req) < 0) return -LINUX_EFAULT;
    int64_t ns = px_timespec_ns(&ts);
    if (ns < 0) return ns;
    px_deadline d;
    if (!(flags & LINUX_TIMER_ABSTIME)) {
        if (ns == 0) return 0;
        d = px_deadline_after(px_clock_monotonic_ns(), ns);
        return sleep_until(&d, rem);
    }
    if (src == SRC_REALTIME) {
        d = (px_deadline){ns, true};
    } else {
        /* BOOTTIME and MONOTONIC are the same counter here */
        d = (px_deadline){ns, false};
    }
    return sleep_until(&d, 0); /* an absolute sleep leaves rem alone */
}
