/* The syscall dispatcher: the one path every guest syscall takes after the entry stub
   or the trap handler. */
#include "core/px.h"
#include "trace/trace.h"

void px_syscall_dispatch(px_regs *regs)
{
    uint64_t nr = regs->rax;
    regs->orig_rax = nr;
    if (PX_UNLIKELY(px_cfg.trace)) {
        regs->rax = (uint64_t)px_trace_syscall(regs, nr);
        return;
    }
    px_syscall_fn *fn = nr < px_syscall_table_size ? px_syscall_table[nr].fn : NULL;
    regs->rax = (uint64_t)(fn ? fn(regs) : -LINUX_ENOSYS);
}
