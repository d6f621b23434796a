/* Signals: rt_sigaction and rt_sigprocmask record and validate what the guest asks
   for, as the kernel would. kill, tkill and tgkill reach only this process (the one
   there is): a signal whose action is the default one takes that action at once
   (terminate, or nothing for the signals Linux ignores by default); an ignored signal
   is discarded; a blocked one, or one with a handler, is left pending, since handlers
   are not invoked yet (that needs signal frames: a later issue).

   The actions live in the signal handlers object (struct px_sighand, shared by
   CLONE_SIGHAND); the mask and the thread's pending set in its task; signals sent to
   the process (kill) in its process object's shared pending set. */
#include <stdbool.h>
#include "core/px.h"
#include "core/uaccess.h"
#include "fs/fd_handoff.h"
#include "kernel/kernel.h"
#include "kernel/signal.h"
#include "kernel/identity.h"
#include "core/runtime.h"
#include "task/process.h"
#include "task/ptable.h"

#define SIG_BIT(sig) (1ULL << ((sig) - 1))
/* SIGKILL and SIGSTOP can be neither caught nor blocked. */
#define UNBLOCKABLE (SIG_BIT(LINUX_SIGKILL) | SIG_BIT(LINUX_SIGSTOP))

struct px_sighand {
    int32_t refs;      /* atomic: tasks that point at it */
    px_host_rwlock lock;    /* guards actions */
    struct linux_sigaction actions[LINUX_NSIG + 1]; /* index = signal; 0 unused */
};

struct px_sighand *px_sighand_new(void)
{
    struct px_sighand *h = px_calloc(1, sizeof *h); /* every action SIG_DFL */
    if (h) h->refs = 1;
    return h;
}

struct px_sighand *px_sighand_take(struct px_sighand *h)
{
    __atomic_add_fetch(&h->refs, 1, __ATOMIC_RELAXED);
    return h;
}

void px_sighand_drop(struct px_sighand *h)
{
    if (h && __atomic_sub_fetch(&h->refs, 1, __ATOMIC_ACQ_REL) == 0) px_free(h);
}

/* Handlers go back to SIG_DFL, ignored signals stay ignored (flush_signal_handlers). */
static void clear_handlers_locked(struct px_sighand *h)
{
    for (int sig = 1; sig <= LINUX_NSIG; sig++)
        if (h->actions[sig].sa_handler != LINUX_SIG_IGN) memset(&h->actions[sig], 0, sizeof h->actions[sig]);
}

struct px_sighand *px_sighand_copy(struct px_sighand *from, bool clear_handlers)
{
    struct px_sighand *h = px_sighand_new();
    if (!h) return NULL;
    px_host_rwlock_lock_shared(&from->lock);
    memcpy(h->actions, from->actions, sizeof h->actions);
    px_host_rwlock_unlock_shared(&from->lock);
    if (clear_handlers) clear_handlers_locked(h);
    return h;
}

bool px_sighand_save(struct px_sighand *h, struct px_handoff *out)
{
    struct linux_sigaction actions[LINUX_NSIG + 1];
    px_host_rwlock_lock_shared(&h->lock);
    memcpy(actions, h->actions, sizeof actions);
    px_host_rwlock_unlock_shared(&h->lock);
    return px_handoff_put(out, PX_HANDOFF_TAG_SIGHAND, actions, sizeof actions);
}

/* Tells the process table which signals h catches and ignores (signal_remote.c: what a
   sender in another process may do by itself). */
static void publish(struct px_sighand *h)
{
    uint64_t caught = 0, ignored = 0;
    px_host_rwlock_lock_shared(&h->lock);
    for (int sig = 1; sig <= LINUX_NSIG; sig++) {
        uint64_t handler = h->actions[sig].sa_handler;
        if (handler == LINUX_SIG_IGN) ignored |= 1ull << (sig - 1);
        else if (handler != LINUX_SIG_DFL) caught |= 1ull << (sig - 1);
    }
    px_host_rwlock_unlock_shared(&h->lock);
    px_signal_publish(caught, ignored);
}

void px_sighand_restore(struct px_sighand *h, const struct px_handoff *in)
{
    size_t len = 0;
    const struct linux_sigaction *actions = px_handoff_get(in, PX_HANDOFF_TAG_SIGHAND, 0, &len);
    if (!actions || len != sizeof h->actions) return;
    px_host_rwlock_lock(&h->lock);
    memcpy(h->actions, actions, sizeof h->actions);
    h->actions[LINUX_SIGKILL] = h->actions[LINUX_SIGSTOP] = (struct linux_sigaction){0};
    px_host_rwlock_unlock(&h->lock);
    publish(h);
}

/* The calling task's handlers (host threads: the first task's). */
static struct px_sighand *current_sighand(void)
{
    px_task *t = px_current();
    return t ? t->sighand : NULL;
}

/* The pending set a signal sent to the process lands in. */
static volatile uint64_t *process_pending(px_task *t)
{
    return &t->process->shared_pending;
}

/* Everything pending for t: its own and its process's. */
static uint64_t all_pending(px_task *t)
{
    return __atomic_load_n(&t->pending, __ATOMIC_RELAXED) | __atomic_load_n(process_pending(t), __ATOMIC_RELAXED);
}

static void clear_pending(px_task *t, uint64_t bits)
{
    __atomic_and_fetch(&t->pending, ~bits, __ATOMIC_SEQ_CST);
    __atomic_and_fetch(process_pending(t), ~bits, __ATOMIC_SEQ_CST);
}

enum default_action { ACT_TERM, ACT_CORE, ACT_IGNORE, ACT_STOP, ACT_CONT };

/* signal(7); real-time signals (32-64) and the unlisted ones terminate. */
static const uint8_t default_actions[LINUX_NSIG + 1] = {
    [LINUX_SIGQUIT] = ACT_CORE, [LINUX_SIGILL] = ACT_CORE, [LINUX_SIGTRAP] = ACT_CORE,
    [LINUX_SIGABRT] = ACT_CORE, [LINUX_SIGBUS] = ACT_CORE, [LINUX_SIGFPE] = ACT_CORE,
    [LINUX_SIGSEGV] = ACT_CORE, [LINUX_SIGXCPU] = ACT_CORE, [LINUX_SIGXFSZ] = ACT_CORE,
    [LINUX_SIGSYS] = ACT_CORE,
    [LINUX_SIGCHLD] = ACT_IGNORE, [LINUX_SIGURG] = ACT_IGNORE, [LINUX_SIGWINCH] = ACT_IGNORE,
    [LINUX_SIGCONT] = ACT_CONT,
    [LINUX_SIGSTOP] = ACT_STOP, [LINUX_SIGTSTP] = ACT_STOP, [LINUX_SIGTTIN] = ACT_STOP,
    [LINUX_SIGTTOU] = ACT_STOP,
};

/* Takes the action for a signal that is not blocked: terminates, or returns having
   discarded it, or leaves it pending for a handler. Stop signals do not stop the
   process (there is nothing to continue it): they are discarded. */
static void act_on(px_task *t, volatile uint64_t *pending, int sig)
{
    struct linux_sigaction a = {0};
    px_signal_action(sig, &a);
    bool uncatchable = sig == LINUX_SIGKILL || sig == LINUX_SIGSTOP;
    if (!uncatchable && a.sa_handler == LINUX_SIG_IGN) return;
    if (!uncatchable && a.sa_handler != LINUX_SIG_DFL) {
        __atomic_or_fetch(pending, SIG_BIT(sig), __ATOMIC_SEQ_CST);
        return;
    }
    (void)t;
    switch (default_actions[sig]) {
    case ACT_TERM:
    case ACT_CORE:
        px_process_killed(sig);
    default:
        return;
    }
}

/* Sends sig to the calling thread (the only one there is), as the kernel's
   send_signal does: blocked signals wait in the pending set, the thread's own (tkill)
   or its process's (kill). */
static int64_t send_to_self(int sig, bool to_process)
{
    if (sig == 0) return 0;
    px_task *t = px_kernel_self();
    volatile uint64_t *pending = to_process ? process_pending(t) : &t->pending;
    if (t->sigmask & SIG_BIT(sig)) {
        struct linux_sigaction a = {0};
        px_signal_action(sig, &a);
        if (a.sa_handler != LINUX_SIG_IGN) __atomic_or_fetch(pending, SIG_BIT(sig), __ATOMIC_SEQ_CST);
        return 0;
    }
    act_on(t, pending, sig);
    return 0;
}

/* Pending signals that the mask no longer blocks and that have no handler now get
   their default action (a pending signal with a handler stays pending). */
static void deliver_unblocked(px_task *t, uint64_t mask)
{
    uint64_t ready = all_pending(t) & ~mask;
    for (int sig = 1; ready && sig <= LINUX_NSIG; sig++) {
        if (!(ready & SIG_BIT(sig))) continue;
        ready &= ~SIG_BIT(sig);
        struct linux_sigaction a = {0};
        px_signal_action(sig, &a);
        if (a.sa_handler != LINUX_SIG_DFL && a.sa_handler != LINUX_SIG_IGN) continue;
        bool own = __atomic_load_n(&t->pending, __ATOMIC_RELAXED) & SIG_BIT(sig);
        clear_pending(t, SIG_BIT(sig));
        act_on(t, own ? &t->pending : process_pending(t), sig);
    }
}

static bool is_own_process(int64_t pid)
{
    return pid == px_identity_pid();
}

static bool is_own_thread(int64_t tid)
{
    px_task *t = px_kernel_self();
    return tid == (t && t->tid ? t->tid : px_identity_pid());
}

/* Whether the caller may signal e (Linux's kill_ok_by_cred; CAP_KILL: euid 0). The
   table keeps the target's uid as of its start. */
static bool may_signal(const px_ptable_entry *e)
{
    const struct px_cred *c = px_kernel_self()->cred;
    return c->euid == 0 || c->euid == e->uid || c->uid == e->uid;
}

/* kill(pid, 0): whether the pid, the group (-pid; 0: the caller's) or any other process
   (-1) exists, through the session's process table, as Linux answers it. */
static int64_t check_exists(int64_t pid)
{
    if (pid == 0 || is_own_process(pid)) return 0;
    px_ptable_entry e;
    if (pid > 0) {
        if (px_ptable_lookup((int32_t)pid, &e) < 0) return -LINUX_ESRCH;
        return may_signal(&e) ? 0 : -LINUX_EPERM;
    }
    if (pid != -1 && -pid == px_ptable_self_pgid()) return 0; /* the caller is in it */
    bool found = false, permitted = false;
    int32_t cursor = 0;
    while (px_ptable_next(&cursor, &e)) {
        bool counts = pid == -1 ? e.pid > 1 && !is_own_process(e.pid) : e.pgid == -pid;
        if (!counts) continue;
        found = true;
        permitted |= may_signal(&e);
    }
    if (!found) return -LINUX_ESRCH;
    return permitted || pid == -1 ? 0 : -LINUX_EPERM; /* -1: EPERM is not reported (kill_something_info) */
}

/* A signal to the processes of group pgid (-1: every process but init and the caller),
   the caller last (a default action may end it). */
static int64_t send_to_many(int32_t pgid, int sig)
{
    bool found = false, permitted = false, self_too = false;
    int64_t failed = 0;
    int32_t cursor = 0;
    px_ptable_entry e;
    while (px_ptable_next(&cursor, &e)) {
        bool counts = pgid == -1 ? e.pid > 1 : e.pgid == pgid;
        if (!counts || (pgid == -1 && is_own_process(e.pid))) continue;
        found = true;
        if (!may_signal(&e)) continue;
        permitted = true;
        if (is_own_process(e.pid)) self_too = true;
        else if (px_signal_send_remote(&e, sig) == -LINUX_ENOSYS) failed = -LINUX_ENOSYS;
    }
    if (self_too) send_to_self(sig, true);
    if (!found) return -LINUX_ESRCH;
    if (!permitted) return -LINUX_EPERM;
    return failed;
}

/* kill(2): sig 0 checks any process of the table; a signal to this process is taken
   here, to another one as its default action says (signal_remote.c), to a group or -1
   to each. */
PX_SYSCALL(kill) { return px_signal_kill((int32_t)PX_ARG0, (int)PX_ARG1); }

int64_t px_signal_kill(int32_t pid32, int sig)
{
    int64_t pid = pid32;
    if (sig < 0 || sig > LINUX_NSIG) return -LINUX_EINVAL;
    if (sig == 0) return check_exists(pid);
    if (pid == INT32_MIN) return -LINUX_ESRCH;
    if (is_own_process(pid)) return send_to_self(sig, true);
    if (pid > 0) {
        px_ptable_entry e;
        if (px_ptable_lookup((int32_t)pid, &e) < 0) return -LINUX_ESRCH;
        if (!may_signal(&e)) return -LINUX_EPERM;
        return px_signal_send_remote(&e, sig);
    }
    int32_t own_group = px_ptable_self_pgid();
    if (pid == 0 && !own_group) return send_to_self(sig, true);
    int32_t pgid = pid == 0 ? own_group : pid == -1 ? -1 : (int32_t)-pid;
    return send_to_many(pgid, sig);
}

/* tkill(2) */
PX_SYSCALL(tkill)
{
    int64_t tid = (int32_t)PX_ARG0;
    int sig = (int)PX_ARG1;
    if (tid <= 0 || sig < 0 || sig > LINUX_NSIG) return -LINUX_EINVAL;
    return is_own_thread(tid) ? send_to_self(sig, false) : -LINUX_ESRCH;
}

/* tgkill(2) */
PX_SYSCALL(tgkill)
{
    int64_t tgid = (int32_t)PX_ARG0, tid = (int32_t)PX_ARG1;
    int sig = (int)PX_ARG2;
    if (tgid <= 0 || tid <= 0 || sig < 0 || sig > LINUX_NSIG) return -LINUX_EINVAL;
    return is_own_process(tgid) && is_own_thread(tid) ? send_to_self(sig, false) : -LINUX_ESRCH;
}

/* rt_sigpending(2) */
PX_SYSCALL(rt_sigpending)
{
    uint64_t set_ptr = PX_ARG0, sigsetsize = PX_ARG1;
    if (sigsetsize > LINUX_SIGSET_SIZE) return -LINUX_EINVAL;
    px_task *t = px_kernel_self();
    uint64_t set = all_pending(t) & t->sigmask; /* pending and blocked, as the kernel reports */
    return px_copy_out(set_ptr, &set, (size_t)sigsetsize);
}

bool px_signal_action(int sig, struct linux_sigaction *out)
{
    if (sig < 1 || sig > LINUX_NSIG) return false;
    struct px_sighand *h = current_sighand();
    if (!h) {
        *out = (struct linux_sigaction){0};
        return true;
    }
    px_host_rwlock_lock_shared(&h->lock);
    *out = h->actions[sig];
    px_host_rwlock_unlock_shared(&h->lock);
    return true;
}

void px_signal_exec_reset(void)
{
    struct px_sighand *h = current_sighand();
    if (!h) return;
    px_host_rwlock_lock(&h->lock);
    clear_handlers_locked(h);
    px_host_rwlock_unlock(&h->lock);
    publish(h);
}

/* rt_sigaction(2) */
PX_SYSCALL(rt_sigaction)
{
    int sig = (int)PX_ARG0;
    uint64_t act_ptr = PX_ARG1, oldact_ptr = PX_ARG2, sigsetsize = PX_ARG3;
    if (sigsetsize != LINUX_SIGSET_SIZE) return -LINUX_EINVAL;
    if (sig < 1 || sig > LINUX_NSIG) return -LINUX_EINVAL;
    if (act_ptr && (sig == LINUX_SIGKILL || sig == LINUX_SIGSTOP)) return -LINUX_EINVAL;
    struct linux_sigaction new_action, old;
    if (act_ptr) {
        if (px_copy_in(&new_action, act_ptr, sizeof new_action) < 0) return -LINUX_EFAULT;
        new_action.sa_mask &= ~UNBLOCKABLE;
    }
    px_task *t = px_kernel_self();
    struct px_sighand *h = t->sighand;
    px_host_rwlock_lock(&h->lock);
    old = h->actions[sig];
    if (act_ptr) h->actions[sig] = new_action;
    px_host_rwlock_unlock(&h->lock);
    if (act_ptr && new_action.sa_handler != old.sa_handler) publish(h);
    /* POSIX: setting SIG_IGN discards a pending signal */
    if (act_ptr && new_action.sa_handler == LINUX_SIG_IGN) clear_pending(t, SIG_BIT(sig));
    if (oldact_ptr && px_copy_out(oldact_ptr, &old, sizeof old) < 0) return -LINUX_EFAULT;
    return 0;
}

/* rt_sigprocmask(2): the calling thread's mask. */
PX_SYSCALL(rt_sigprocmask)
{
    int how = (int)PX_ARG0;
    uint64_t set_ptr = PX_ARG1, oldset_ptr = PX_ARG2, sigsetsize = PX_ARG3;
    if (sigsetsize != LINUX_SIGSET_SIZE) return -LINUX_EINVAL;
    px_task *t = px_kernel_self();
    uint64_t old = t->sigmask, set = 0;
    if (set_ptr) {
        if (px_copy_in(&set, set_ptr, sizeof set) < 0) return -LINUX_EFAULT;
        if (how != LINUX_SIG_BLOCK && how != LINUX_SIG_UNBLOCK && how != LINUX_SIG_SETMASK) return -LINUX_EINVAL;
    }
    if (oldset_ptr && px_copy_out(oldset_ptr, &old, sizeof old) < 0) return -LINUX_EFAULT;
    if (set_ptr) {
        set &= ~UNBLOCKABLE;
        switch (how) {
        case LINUX_SIG_BLOCK: t->sigmask = old | set; break;
        case LINUX_SIG_UNBLOCK: t->sigmask = old & ~set; break;
        default: t->sigmask = set; break;
        }
    }
    if (all_pending(t) & ~t->sigmask) deliver_unblocked(t, t->sigmask);
    return 0;
}

/* sigaltstack(2): recorded in the task; used when delivery comes. */
PX_SYSCALL(sigaltstack)
{
    uint64_t ss_ptr = PX_ARG0, old_ptr = PX_ARG1;
    px_task *t = px_kernel_self();
    /* no signal runs on it yet, so never SS_ONSTACK */
    struct linux_stack_t old = {
        .ss_sp = t->altstack_sp,
        .ss_flags = t->altstack_size ? (int32_t)t->altstack_flags : LINUX_SS_DISABLE,
        .ss_size = t->altstack_size,
    };
    if (ss_ptr) {
        struct linux_stack_t ss;
        if (px_copy_in(&ss, ss_ptr, sizeof ss) < 0) return -LINUX_EFAULT;
        uint32_t mode = (uint32_t)ss.ss_flags & ~LINUX_SS_AUTODISARM;
        if (mode != 0 && mode != LINUX_SS_DISABLE && mode != LINUX_SS_ONSTACK) return -LINUX_EINVAL;
        if (mode == LINUX_SS_DISABLE) {
            t->altstack_sp = t->altstack_size = 0;
            t->altstack_flags = LINUX_SS_DISABLE;
        } else {
            if (ss.ss_size < LINUX_MINSIGSTKSZ) return -LINUX_ENOMEM;
            t->altstack_sp = ss.ss_sp;
            t->altstack_size = ss.ss_size;
            t->altstack_flags = (uint32_t)ss.ss_flags & LINUX_SS_AUTODISARM;
        }
    }
    if (old_ptr && px_copy_out(old_ptr, &old, sizeof old) < 0) return -LINUX_EFAULT;
    return 0;
}
