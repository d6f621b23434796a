/* Signal bookkeeping: rt_sigaction and rt_sigprocmask record and validate what the
   guest asks for, as the kernel would. Nothing is delivered yet. */
#include <windows.h>
#include <stdbool.h>
#include "core/px.h"
#include "kernel/kernel.h"
#include "kernel/signal.h"

#define LINUX_SIGSET_SIZE 8
#define SIG_BIT(sig) (1ULL << ((sig) - 1))
/* SIGKILL and SIGSTOP can be neither caught nor blocked. */
#define UNBLOCKABLE (SIG_BIT(LINUX_SIGKILL) | SIG_BIT(LINUX_SIGSTOP))

static struct linux_sigaction actions[LINUX_NSIG + 1];  /* per process, index = signal */
static SRWLOCK actions_lock = SRWLOCK_INIT;

bool px_signal_action(int sig, struct linux_sigaction *out)
{
    if (sig < 1 || sig > LINUX_NSIG) return false;
    AcquireSRWLockShared(&actions_lock);
    *out = actions[sig];
    ReleaseSRWLockShared(&actions_lock);
    return true;
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
    if (oldact_ptr) *(struct linux_sigaction *)(uintptr_t)oldact_ptr = old;
    return 0;
}

/* rt_sigprocmask(2): the calling thread's mask. */
PX_SYSCALL(rt_sigprocmask)
{
    int how = (int)PX_ARG0;
    uint64_t set_ptr = PX_ARG1, oldset_ptr = PX_ARG2, sigsetsize = PX_ARG3;
    if (sigsetsize != LINUX_SIGSET_SIZE) return -LINUX_EINVAL;
    px_thread *t = px_kernel_self();
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
    return 0;
}
