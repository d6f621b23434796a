/* Scheduling: yield, the CPU affinity mask, the policies as an unprivileged process
   has them, membarrier. */
#include "core/px.h"
#include "core/uaccess.h"
#include "host/host_system.h"
#include "host/host_thread.h"
#include "kernel/identity.h"
#include "kernel/kernel.h"
#include "kernel/thread_clone.h"
#include "kernel/clock.h"
#include "host/host_process.h"
#include "task/process.h"
#include "task/ptable.h"

/* sched_yield(2) */
PX_SYSCALL(sched_yield)
{
    px_host_yield();
    return 0;
}

/* The processors this process may run on, as one 64-bit word (processor groups beyond
   the first are not reported). */
static uint64_t process_mask(void)
{
    uint64_t mask = 0;
    if (px_host_affinity(&mask) < 0 || !mask) {
        uint32_t n = px_host_cpu_count();
        mask = n >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << n) - 1);
    }
    return mask;
}

/* The scheduling calls name a thread of this process: 0 (the caller), its tid, or the
   pid (the first thread). Another process of the session (and pid 1, the init that
   the session's first process has for a parent) is read as SCHED_OTHER with priority
   0, what it has unless it changed it (its threads' policies are its own): changing
   it is EPERM. Others: ESRCH. */
typedef struct sched_target {
    int32_t tid;
    bool changes;  /* a set call: only this process's threads */
    int (*act)(px_task *t, struct sched_target *s);
    uint64_t mask;
    int32_t policy;
    int64_t result;
} sched_target;

static bool visit_target(px_task *t, void *ctx)
{
    sched_target *s = ctx;
    if (t->tid != s->tid) return false;
    s->result = s->act(t, s);
    return true;
}

static int64_t on_thread(int32_t pid, sched_target *s)
{
    if (pid < 0) return -LINUX_EINVAL;
    px_task *self = px_kernel_self();
    s->tid = pid == 0 ? self->tid : pid;
    if (s->tid == self->tid) return s->act(self, s);
    if (px_thread_each(visit_target, s)) return s->result;
    px_ptable_entry e;
    bool other = s->tid == 1 || (px_ptable_lookup(s->tid, &e) == 0 && e.pid == s->tid && e.state == PX_PTABLE_RUNNING);
    if (!other) return -LINUX_ESRCH;
    if (s->changes) return -LINUX_EPERM;
    s->policy = 0; /* SCHED_OTHER */
    return 0;
}

static int get_mask(px_task *t, sched_target *s)
{
    uint64_t own = __atomic_load_n(&t->affinity, __ATOMIC_ACQUIRE);
    s->mask = own ? own : process_mask();
    return 0;
}

/* sched_getaffinity(2) */
PX_SYSCALL(sched_getaffinity)
{
    int32_t pid = (int32_t)PX_ARG0;
    uint64_t len = PX_ARG1, mask_ptr = PX_ARG2;
    if (len < sizeof(uint64_t) || (len & (sizeof(uint64_t) - 1))) return -LINUX_EINVAL;
    if (pid < 0) return -LINUX_ESRCH; /* the affinity calls look the pid up as it is */
    sched_target s = {.act = get_mask, .mask = process_mask()}; /* another process's: the CPUs it may use */
    int64_t r = on_thread(pid, &s);
    if (r < 0) return r;
    if (PX_PUT(mask_ptr, &s.mask) < 0) return -LINUX_EFAULT;
    return sizeof s.mask;  /* the kernel returns the bytes it wrote: its cpumask size */
}

static int set_mask(px_task *t, sched_target *s)
{
    px_host_handle thread = t == px_kernel_self() ? NULL : t->host_thread;
    if (!thread && t != px_kernel_self()) return -LINUX_EPERM; /* the first thread, from another: no handle */
    int64_t r = px_host_thread_set_affinity(thread, s->mask);
    if (r == 0) __atomic_store_n(&t->affinity, s->mask, __ATOMIC_RELEASE);
    return (int)r;
}

/* sched_setaffinity(2): the thread's Windows affinity; a mask with no processor this
   process may use is EINVAL, as Linux. */
PX_SYSCALL(sched_setaffinity)
{
    int32_t pid = (int32_t)PX_ARG0;
    uint64_t len = PX_ARG1, mask_ptr = PX_ARG2;
    uint64_t mask = 0;
    /* a shorter mask is zero-filled, a longer one is cut (bits past 64 CPUs: none here) */
    if (px_copy_in(&mask, mask_ptr, len < sizeof mask ? (size_t)len : sizeof mask) < 0) return -LINUX_EFAULT;
    if (pid < 0) return -LINUX_ESRCH;
    mask &= process_mask();
    if (!mask) return -LINUX_EINVAL;
    sched_target s = {.act = set_mask, .mask = mask, .changes = true};
    return on_thread(pid, &s);
}

/* Scheduling policies (include/uapi/linux/sched.h). Only the normal ones are offered:
   Windows threads of a guest run at one priority, and the real-time ones need a
   privilege picolx does not give (EPERM, as for an unprivileged Linux process). */
#define SCHED_OTHER 0
#define SCHED_FIFO 1
#define SCHED_RR 2
#define SCHED_BATCH 3
#define SCHED_IDLE 5
#define SCHED_RESET_ON_FORK 0x40000000

static int get_policy(px_task *t, sched_target *s)
{
    s->policy = __atomic_load_n(&t->sched_policy, __ATOMIC_ACQUIRE);
    return 0;
}

static int put_policy(px_task *t, sched_target *s)
{
    __atomic_store_n(&t->sched_policy, s->policy, __ATOMIC_RELEASE);
    return 0;
}

/* sched_getscheduler(2) */
PX_SYSCALL(sched_getscheduler)
{
    sched_target s = {.act = get_policy};
    int64_t r = on_thread((int32_t)PX_ARG0, &s);
    return r < 0 ? r : s.policy;
}

/* sched_setscheduler(2): SCHED_OTHER, SCHED_BATCH and SCHED_IDLE with priority 0 are
   recorded (the thread's Windows priority stays); FIFO and RR give EPERM. */
PX_SYSCALL(sched_setscheduler)
{
    int32_t pid = (int32_t)PX_ARG0, policy = (int32_t)PX_ARG1;
    uint64_t param_ptr = PX_ARG2;
    int32_t priority;
    if (!param_ptr || pid < 0) return -LINUX_EINVAL;
    if (PX_GET(&priority, param_ptr) < 0) return -LINUX_EFAULT;
    policy &= ~SCHED_RESET_ON_FORK;
    bool normal = policy == SCHED_OTHER || policy == SCHED_BATCH || policy == SCHED_IDLE;
    if (!normal && policy != SCHED_FIFO && policy != SCHED_RR) return -LINUX_EINVAL;
    if (normal ? priority != 0 : priority < 1 || priority > 99) return -LINUX_EINVAL;
    if (!normal) return -LINUX_EPERM;
    sched_target s = {.act = put_policy, .policy = policy, .changes = true};
    return on_thread(pid, &s);
}

static int no_op(px_task *t, sched_target *s)
{
    (void)t, (void)s;
    return 0;
}

/* sched_rr_get_interval(2): SCHED_RR's 100 ms quantum (RR is never granted here), and
   0 for the other policies: Windows' time slice is no Linux one, and 0 is what a fair
   scheduler with no slice to report gives (as this machine's Linux does) */
PX_SYSCALL(sched_rr_get_interval)
{
    int32_t pid = (int32_t)PX_ARG0;
    uint64_t tp = PX_ARG1;
    if (pid < 0) return -LINUX_EINVAL;
    sched_target s = {.act = get_policy};
    int64_t r = on_thread(pid, &s);
    if (r < 0) return r;
    struct linux_timespec ts = {0, s.policy == SCHED_RR ? 100 * 1000 * 1000 : 0};
    return PX_PUT(tp, &ts) < 0 ? -LINUX_EFAULT : 0;
}

/* sched_getparam(2): priority 0, the normal policies' only one */
PX_SYSCALL(sched_getparam)
{
    int32_t pid = (int32_t)PX_ARG0;
    uint64_t param_ptr = PX_ARG1;
    if (!param_ptr || pid < 0) return -LINUX_EINVAL;
    sched_target s = {.act = no_op};
    int64_t r = on_thread(pid, &s);
    int32_t priority = 0;
    if (r == 0 && PX_PUT(param_ptr, &priority) < 0) return -LINUX_EFAULT;
    return r;
}

/* sched_setparam(2): priority 0 for the normal policies, else EINVAL */
PX_SYSCALL(sched_setparam)
{
    int32_t pid = (int32_t)PX_ARG0;
    uint64_t param_ptr = PX_ARG1;
    int32_t priority;
    if (!param_ptr || pid < 0) return -LINUX_EINVAL;
    if (PX_GET(&priority, param_ptr) < 0) return -LINUX_EFAULT;
    sched_target s = {.act = no_op, .changes = true};
    int64_t r = on_thread(pid, &s);
    return r < 0 ? r : priority != 0 ? -LINUX_EINVAL : 0;
}

/* sched_get_priority_max(2) and _min(2): 99 and 1 for FIFO and RR, 0 for the others */
PX_SYSCALL(sched_get_priority_max)
{
    int32_t policy = (int32_t)PX_ARG0;
    if (policy == SCHED_FIFO || policy == SCHED_RR) return 99;
    return policy == SCHED_OTHER || policy == SCHED_BATCH || policy == SCHED_IDLE ? 0 : -LINUX_EINVAL;
}

PX_SYSCALL(sched_get_priority_min)
{
    int32_t policy = (int32_t)PX_ARG0;
    if (policy == SCHED_FIFO || policy == SCHED_RR) return 1;
    return policy == SCHED_OTHER || policy == SCHED_BATCH || policy == SCHED_IDLE ? 0 : -LINUX_EINVAL;
}

/* membarrier(2) commands (include/uapi/linux/membarrier.h): the private expedited pair,
   through Windows' FlushProcessWriteBuffers (a barrier on every thread of the process). */
#define MEMBARRIER_CMD_QUERY 0
#define MEMBARRIER_CMD_PRIVATE_EXPEDITED (1 << 3)
#define MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED (1 << 4)

/* membarrier(2) */
PX_SYSCALL(membarrier)
{
    int32_t cmd = (int32_t)PX_ARG0;
    uint32_t flags = (uint32_t)PX_ARG1;
    struct px_process *p = px_kernel_self()->process;
    if (flags) return -LINUX_EINVAL;
    switch (cmd) {
    case MEMBARRIER_CMD_QUERY:
        return MEMBARRIER_CMD_PRIVATE_EXPEDITED | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED;
    case MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED:
        __atomic_store_n(&p->membarrier_registered, 1, __ATOMIC_RELEASE);
        return 0;
    case MEMBARRIER_CMD_PRIVATE_EXPEDITED:
        if (!__atomic_load_n(&p->membarrier_registered, __ATOMIC_ACQUIRE)) return -LINUX_EPERM;
        px_host_process_barrier();
        return 0;
    default:
        return -LINUX_EINVAL;
    }
}

/* The processor the caller runs on (group-major numbering, as the affinity mask) and its
   NUMA node. Used by getcpu(2) and the vDSO. */
int64_t px_sched_getcpu(uint64_t cpu_ptr, uint64_t node_ptr)
{
    uint32_t cpu, node = 0;
    px_host_current_cpu(&cpu, node_ptr ? &node : NULL);
    if (cpu_ptr && PX_PUT(cpu_ptr, &cpu) < 0) return -LINUX_EFAULT;
    if (node_ptr && PX_PUT(node_ptr, &node) < 0) return -LINUX_EFAULT;
    return 0;
}

/* getcpu(2): the third argument (a cache) has been unused since Linux 2.6.24. */
PX_SYSCALL(getcpu)
{
    uint64_t cpu = PX_ARG0, node = PX_ARG1;
    return px_sched_getcpu(cpu, node);
}

/* ---- nice values: getpriority, setpriority ----
   A process's nice value lives in the session's process table (task/ptable.c), where
   other picolx processes (renice) read and change it, fork copies it and execve keeps
   it; each change also sets the Windows priority class of the process that runs it
   (host_process.h). Threads share their process's value (Linux keeps one per thread:
   PRIO_PROCESS with a thread's id here reaches its whole process). */

/* Without a process table: the calling process's value (its object's). */
static int32_t *own_nice(void) { return &px_kernel_self()->process->nice; }

typedef struct prio_walk {
    int which;
    int32_t who;      /* a pid, pgid or uid; 0 already replaced by the caller's */
    int32_t self_pid;
} prio_walk;

static bool prio_matches(const prio_walk *w, const px_ptable_entry *e)
{
    if (e->state != PX_PTABLE_RUNNING && e->state != PX_PTABLE_STARTING) return false;
    switch (w->which) {
    case LINUX_PRIO_PROCESS: return e->pid == w->who;
    case LINUX_PRIO_PGRP: return e->pgid == w->who;
    default: return (int32_t)e->uid == w->who;
    }
}

static int64_t prio_walk_of(int which, int32_t who, prio_walk *w)
{
    px_task *t = px_kernel_self();
    if (which < LINUX_PRIO_PROCESS || which > LINUX_PRIO_USER) return -LINUX_EINVAL;
    w->which = which;
    w->self_pid = t->process->tgid;
    w->who = who;
    if (which == LINUX_PRIO_PROCESS && (who == 0 || who == t->tid)) w->who = w->self_pid;
    if (which == LINUX_PRIO_PGRP && who == 0) {
        int32_t g = px_ptable_self_pgid();
        w->who = g ? g : t->process->pgid;
    }
    if (which == LINUX_PRIO_USER && who == 0) w->who = (int32_t)t->cred->euid;
    return 0;
}

/* getpriority(2): 20 - the lowest nice value of the matching processes (the raw
   syscall's 1..40; the C library turns it back into the nice value) */
PX_SYSCALL(getpriority)
{
    int which = (int)PX_ARG0;
    int32_t who = (int32_t)PX_ARG1;
    prio_walk w;
    int64_t r = prio_walk_of(which, who, &w);
    if (r < 0) return r;
    bool found = false;
    int32_t best = 20, cursor = 0;
    px_ptable_entry e;
    bool self_seen = false;
    while (px_ptable_next(&cursor, &e)) {
        if (!prio_matches(&w, &e)) continue;
        if (e.pid == w.self_pid) self_seen = true;
        if (!found || e.nice < best) best = e.nice;
        found = true;
    }
    if (!self_seen && which == LINUX_PRIO_PROCESS && w.who == w.self_pid) {
        best = __atomic_load_n(own_nice(), __ATOMIC_RELAXED); /* no table */
        found = true;
    }
    return found ? 20 - best : -LINUX_ESRCH;
}

/* setpriority(2) with Linux's rules (set_one_prio): the value is clamped to -20..19;
   changing another user's process is EPERM and lowering a nice value past what
   RLIMIT_NICE allows EACCES, both unless root (CAP_SYS_NICE) */
PX_SYSCALL(setpriority)
{
    int which = (int)PX_ARG0;
    int32_t who = (int32_t)PX_ARG1;
    int32_t nice = (int32_t)PX_ARG2;
    prio_walk w;
    int64_t r = prio_walk_of(which, who, &w);
    if (r < 0) return r;
    if (nice < -20) nice = -20;
    if (nice > 19) nice = 19;
    const struct px_cred *c = px_kernel_self()->cred;
    bool root = c->euid == 0;
    struct linux_rlimit lim = px_process_rlimit(px_kernel_self()->process, LINUX_RLIMIT_NICE);
    bool may_lower = root || (uint64_t)(20 - nice) <= lim.rlim_cur;
    int64_t err = 0;
    bool found = false, self_seen = false;
    int32_t cursor = 0;
    px_ptable_entry e;
    while (px_ptable_next(&cursor, &e)) {
        if (!prio_matches(&w, &e)) continue;
        found = true;
        if (e.pid == w.self_pid) self_seen = true;
        /* the table has the ids a process began with; our own are the cred's */
        if (!root && e.pid != w.self_pid && e.uid != c->euid && e.uid != c->uid) {
            err = -LINUX_EPERM;
            continue;
        }
        if (nice < e.nice && !may_lower) {
            err = -LINUX_EACCES;
            continue;
        }
        if (px_ptable_set_nice(e.pid, nice) == 0) px_host_process_set_nice(e.host_pid, nice);
        if (e.pid == w.self_pid) __atomic_store_n(own_nice(), nice, __ATOMIC_RELAXED);
    }
    if (!self_seen && which == LINUX_PRIO_PROCESS && w.who == w.self_pid) { /* no table */
        found = true;
        if (nice < __atomic_load_n(own_nice(), __ATOMIC_RELAXED) && !may_lower) {
            err = -LINUX_EACCES;
        } else {
            __atomic_store_n(own_nice(), nice, __ATOMIC_RELAXED);
            px_host_process_set_nice(px_host_pid(), nice);
        }
    }
    return found ? err : -LINUX_ESRCH;
}
