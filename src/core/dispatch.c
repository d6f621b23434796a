/* The syscall dispatcher: the one path every guest syscall takes after the entry stub
   or the trap handler. */
#include "core/px.h"
#include "core/thread.h"
#include "kernel/sigframe.h"
#include "kernel/signal.h"

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

/* The work of the exit path (entry.S calls it when px_task.work is nonzero): signals
   (kernel/signal.c) restart or end an interrupted call and choose a handler to run. */
uint32_t px_syscall_exit_work(px_regs *regs, px_task *t)
{
    px_xstate_init();  /* once: entry.S reads px_xstate if the work needs the FPU state */
    return px_signal_exit(regs, t, PX_SIGNAL_FROM_SYSCALL);
}

/* With the guest's extended state saved in area (entry.S): a signal frame is built, or
   rt_sigreturn's state loaded. */
uint32_t px_syscall_exit_xstate(px_regs *regs, px_task *t, void *area)
{
    return px_signal_exit_xstate(regs, t, area);
}
