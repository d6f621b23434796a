/* The syscall dispatcher: the one path every guest syscall takes after the entry stub
   or the trap handler. */
#include "core/px.h"
#include "core/thread.h"
#include "kernel/sigframe.h"

px_syscall_wrapper_fn *px_syscall_wrapper;

/* Inlined into the fast path below; px_syscall_run is the same for wrappers. */
static inline __attribute__((always_inline)) int64_t run(px_regs *regs, uint64_t nr)
{
    px_syscall_fn *fn = nr < px_syscall_table_size ? px_syscall_table[nr].fn : NULL;
    return fn ? fn(regs) : -LINUX_ENOSYS;
}

int64_t px_syscall_run(px_regs *regs, uint64_t nr)
{
    return run(regs, nr);
}

void px_syscall_dispatch(px_regs *regs)
{
    uint64_t nr = regs->rax;
    regs->orig_rax = nr;
    px_syscall_wrapper_fn *wrapper = px_syscall_wrapper;
    regs->rax = (uint64_t)(PX_UNLIKELY(wrapper != NULL) ? wrapper(regs, nr) : run(regs, nr));
}

/* The work of the exit path (entry.S calls it when px_task.work is nonzero). */
uint32_t px_syscall_exit_work(px_regs *regs, px_task *t)
{
    /* A call a signal interrupted says how it may be restarted. No handler runs yet
       (delivery is the next issue): Linux's rule for a signal that runs none, restart
       it, except while a signal still waits, so that a wait cannot spin on an
       interruption nothing clears; then it is EINTR, as a handler would have made it. */
    px_xstate_init();  /* once: entry.S reads px_xstate if the work needs the FPU state */
    for (;;) {
        enum px_restart_action act = px_restart_action((int64_t)regs->rax, false, 0);
        if (act == PX_RESTART_NONE) return 0;
        bool signal_waits = (__atomic_load_n(&t->work, __ATOMIC_ACQUIRE) & PX_WORK_SIGPENDING) != 0;
        if (act != PX_RESTART_CALL || signal_waits) {
            /* restart_syscall(2) is not implemented: a RESTARTBLOCK call ends with EINTR */
            regs->rax = (uint64_t)-LINUX_EINTR;
            return 0;
        }
        regs->rax = regs->orig_rax;
        px_syscall_dispatch(regs);
    }
}

/* With the guest's extended state saved in area (entry.S). Signal delivery (the next
   issue) builds its frame here (px_sigframe_setup) and loads the handler's initial
   state; nothing asks for it yet. */
uint32_t px_syscall_exit_xstate(px_regs *regs, px_task *t, void *area)
{
    (void)regs; (void)t; (void)area;
    return 0;
}
