/* Signals: rt_sigaction and rt_sigprocmask record and validate what the guest asks
   for, as the kernel would. kill, tkill and tgkill reach only this process (the one
   there is): a signal whose action is the default one takes that action at once
   (terminate, or nothing for the signals Linux ignores by default); an ignored signal
   is discarded; a blocked one, or one with a handler, is left pending, since handlers
   are not invoked yet (that needs signal frames: a later issue). */
#include <windows.h>
#include <stdbool.h>
#include "core/px.h"
#include "kernel/kernel.h"
#include "kernel/signal.h"
#include "kernel/identity.h"
#include "core/runtime.h"

#define SIG_BIT(sig) (1ULL << ((sig) - 1))
/* SIGKILL and SIGSTOP can be neither caught nor blocked. */
#define UNBLOCKABLE (SIG_BIT(LINUX_SIGKILL) | SIG_BIT(LINUX_SIGSTOP))

static struct linux_sigaction actions[LINUX_NSIG + 1];  /* per process, index = signal */
static SRWLOCK actions_lock = SRWLOCK_INIT;
static volatile uint64_t pending;  /* signals sent and not delivered (one thread for now) */

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
static void act_on(int sig)
{
    struct linux_sigaction a = {0};
    px_signal_action(sig, &a);
    bool uncatchable = sig == LINUX_SIGKILL || sig == LINUX_SIGSTOP;
    if (!uncatchable && a.sa_handler == LINUX_SIG_IGN) return;
    if (!uncatchable && a.sa_handler != LINUX_SIG_DFL) {
        __atomic_or_fetch(&pending, SIG_BIT(sig), __ATOMIC_SEQ_CST);
        return;
    }
    switch (default_actions[sig]) {
    case ACT_TERM:
    case ACT_CORE:
        px_process_killed(sig);
    default:
        return;
    }
}

/* Sends sig to the calling thread (the only one there is), as the kernel's
   send_signal does: blocked signals wait in the pending set. */
static int64_t send_to_self(int sig)
{
    if (sig == 0) return 0;
    px_task *t = px_kernel_self();
    if (t && (t->sigmask & SIG_BIT(sig))) {
        struct linux_sigaction a = {0};
        px_signal_action(sig, &a);
        if (a.sa_handler != LINUX_SIG_IGN) __atomic_or_fetch(&pending, SIG_BIT(sig), __ATOMIC_SEQ_CST);
        return 0;
    }
    act_on(sig);
    return 0;
}

/* Pending signals that the mask no longer blocks and that have no handler now get
   their default action (a pending signal with a handler stays pending). */
static void deliver_unblocked(uint64_t mask)
{
    uint64_t ready = pending & ~mask;
    for (int sig = 1; ready && sig <= LINUX_NSIG; sig++) {
        if (!(ready & SIG_BIT(sig))) continue;
        ready &= ~SIG_BIT(sig);
        struct linux_sigaction a = {0};
        px_signal_action(sig, &a);
        if (a.sa_handler != LINUX_SIG_DFL && a.sa_handler != LINUX_SIG_IGN) continue;
        __atomic_and_fetch(&pending, ~SIG_BIT(sig), __ATOMIC_SEQ_CST);
        act_on(sig);
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

/* kill(2): this process, by its pid, its process group (0 or -pgid: we are our own
   group leader) or -1 (every process but the caller: none we can reach). */
PX_SYSCALL(kill)
{
    int64_t pid = (int32_t)PX_ARG0;
    int sig = (int)PX_ARG1;
    if (sig < 0 || sig > LINUX_NSIG) return -LINUX_EINVAL;
    if (pid == -1) return -LINUX_ESRCH;
    if (pid == 0 || is_own_process(pid) || is_own_process(-pid)) return send_to_self(sig);
    return -LINUX_ESRCH;
}

/* tkill(2) */
PX_SYSCALL(tkill)
{
    int64_t tid = (int32_t)PX_ARG0;
    int sig = (int)PX_ARG1;
    if (tid <= 0 || sig < 0 || sig > LINUX_NSIG) return -LINUX_EINVAL;
    return is_own_thread(tid) ? send_to_self(sig) : -LINUX_ESRCH;
}

/* tgkill(2) */
PX_SYSCALL(tgkill)
{
    int64_t tgid = (int32_t)PX_ARG0, tid = (int32_t)PX_ARG1;
    int sig = (int)PX_ARG2;
    if (tgid <= 0 || tid <= 0 || sig < 0 || sig > LINUX_NSIG) return -LINUX_EINVAL;
    return is_own_process(tgid) && is_own_thread(tid) ? send_to_self(sig) : -LINUX_ESRCH;
}

/* rt_sigpending(2) */
PX_SYSCALL(rt_sigpending)
{
    uint64_t set_ptr = PX_ARG0, sigsetsize = PX_ARG1;
    if (sigsetsize > LINUX_SIGSET_SIZE) return -LINUX_EINVAL;
    if (px_kernel_bad_ptr(set_ptr)) return -LINUX_EFAULT;
    uint64_t set = pending;
    memcpy((void *)(uintptr_t)set_ptr, &set, (size_t)sigsetsize);
    return 0;
}

bool px_signal_action(int sig, struct linux_sigaction *out)
{
    if (sig < 1 || sig > LINUX_NSIG) return false;
    AcquireSRWLockShared(&actions_lock);
    *out = actions[sig];
    ReleaseSRWLockShared(&actions_lock);
    return true;
}

void px_signal_exec_reset(void)
{
    AcquireSRWLockExclusive(&actions_lock);
    for (int sig = 1; sig <= LINUX_NSIG; sig++)
        if (actions[sig].sa_handler != LINUX_SIG_IGN) memset(&actions[sig], 0, sizeof actions[sig]);
    ReleaseSRWLockExclusive(&actions_lock);
}

/* rt_sigaction(2) */
PX_SYSCALL(rt_sigaction)
{
    int sig = (int)PX_ARG0;
    uint64_t act_ptr = PX_ARG1, oldact_ptr = PX_ARG2, sigsetsize = PX_ARG3;
    if (sigsetsize != LINUX_SIGSET_SIZE) return -LINUX_EINVAL;
    if (sig < 1 || sig > LINUX_NSIG) return -LINUX_EINVAL;
    if (act_ptr && (sig == LINUX_SIGKILL || sig == LINUX_SIGSTOP)) return -LINUX_EINVAL;
    if ((act_ptr && px_kernel_bad_ptr(act_ptr)) || (oldact_ptr && px_kernel_bad_ptr(oldact_ptr)))
        return -LINUX_EFAULT;
    struct linux_sigaction new_action, old;
    if (act_ptr) {
        new_action = *(const struct linux_sigaction *)(uintptr_t)act_ptr;
        new_action.sa_mask &= ~UNBLOCKABLE;
    }
    AcquireSRWLockExclusive(&actions_lock);
    old = actions[sig];
    if (act_ptr) actions[sig] = new_action;
    ReleaseSRWLockExclusive(&actions_lock);
    /* POSIX: setting SIG_IGN discards a pending signal */
    if (act_ptr && new_action.sa_handler == LINUX_SIG_IGN) __atomic_and_fetch(&pending, ~SIG_BIT(sig), __ATOMIC_SEQ_CST);
    if (oldact_ptr) *(struct linux_sigaction *)(uintptr_t)oldact_ptr = old;
    return 0;
}

/* rt_sigprocmask(2): the calling thread's mask. */
PX_SYSCALL(rt_sigprocmask)
{
    int how = (int)PX_ARG0;
    uint64_t set_ptr = PX_ARG1, oldset_ptr = PX_ARG2, sigsetsize = PX_ARG3;
    if (sigsetsize != LINUX_SIGSET_SIZE) return -LINUX_EINVAL;
    px_task *t = px_kernel_self();
    if (!t) return -LINUX_EINVAL;
    if ((set_ptr && px_kernel_bad_ptr(set_ptr)) || (oldset_ptr && px_kernel_bad_ptr(oldset_ptr)))
        return -LINUX_EFAULT;
    uint64_t old = t->sigmask;
    if (set_ptr) {
        uint64_t set = *(const uint64_t *)(uintptr_t)set_ptr & ~UNBLOCKABLE;
        switch (how) {
        case LINUX_SIG_BLOCK: t->sigmask = old | set; break;
        case LINUX_SIG_UNBLOCK: t->sigmask = old & ~set; break;
        case LINUX_SIG_SETMASK: t->sigmask = set; break;
        default: return -LINUX_EINVAL;
        }
    }
    if (oldset_ptr) *(uint64_t *)(uintptr_t)oldset_ptr = old;
    if (pending & ~t->sigmask) deliver_unblocked(t->sigmask);
    return 0;
}

uint64_t px_signal_ignored_set(void)
{
    uint64_t set = 0;
    AcquireSRWLockShared(&actions_lock);
    for (int sig = 1; sig <= LINUX_NSIG; sig++)
        if (actions[sig].sa_handler == LINUX_SIG_IGN) set |= SIG_BIT(sig);
    ReleaseSRWLockShared(&actions_lock);
    return set;
}

void px_signal_adopt_ignored(uint64_t set)
{
    AcquireSRWLockExclusive(&actions_lock);
    for (int sig = 1; sig <= LINUX_NSIG; sig++)
        if ((set & SIG_BIT(sig)) && sig != LINUX_SIGKILL && sig != LINUX_SIGSTOP) {
            memset(&actions[sig], 0, sizeof actions[sig]);
            actions[sig].sa_handler = LINUX_SIG_IGN;
        }
    ReleaseSRWLockExclusive(&actions_lock);
}
