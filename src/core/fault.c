/* The fault path: the slow path of the rewriter (trap sites), code that awaits its scan
   (execute faults), bad guest pointers met by copy-in/copy-out, and guest crashes, which
   end the process as Linux would end it: with the shell's message and status 128 +
   signal. The host (host_fault.h) hands every exception here first, as a neutral fault
   record and the registers. */
#include "core/px.h"
#include "core/runtime.h"
#include "core/thread.h"
#include "core/uaccess.h"
#include "mm/mm_fork.h"
#include "host/host_fault.h"
#include "host/host_process.h"
#include "mm/vm.h"
#include "rewrite/rewrite.h"
#include "trace/trace.h"

/* A syscall that reached us through a trap at r->rip: run it on the fault's registers. */
static void syscall_from_fault(px_regs *r)
{
    r->rip += 2; /* past the trap, as past the syscall instruction */
    uint64_t nr = r->rax, rflags = r->rflags;
    px_syscall_dispatch(r);
    /* the exit path's work, as entry.S runs it; the extended state of a trap is in the
       host's context (delivery from here is the next issue's) */
    px_task *t = px_self();
    if (t && t->work) px_syscall_exit_work(r, t);
    px_rewrite_stats.trap_hits++;
    px_trace_count_trap(nr);
    /* rcx and r11 as after the syscall instruction (rflags itself is not written back) */
    r->rcx = r->rip;
    r->r11 = rflags;
}

static enum px_host_fault_action on_fault(const px_host_fault *f, px_regs *r)
{
    switch (f->kind) {
    case PX_HOST_FAULT_ILLEGAL:
    case PX_HOST_FAULT_BREAKPOINT: {
        uint64_t resume = 0;
        enum px_trap_kind kind = px_rewrite_classify_trap(f->at, &resume);
        if (kind == PX_TRAP_SYSCALL) {
            r->rip = f->at;
            syscall_from_fault(r);
            return PX_HOST_FAULT_RESUME;
        }
        if (kind == PX_TRAP_REDIRECT) {
            px_rewrite_stats.trap_hits++;
            r->rip = resume;
            return PX_HOST_FAULT_RESUME;
        }
        break;
    }
    case PX_HOST_FAULT_EXECUTE:
        if (px_mm_lazy_fault(f->address, false)) return PX_HOST_FAULT_RESUME; /* a vfork child's borrowed page */
        if (px_vm_exec_fault(f->address)) return PX_HOST_FAULT_RESUME;
        break;
    case PX_HOST_FAULT_READ:
    case PX_HOST_FAULT_WRITE:
        /* a write to scanned code (a JIT): back to writable, rescanned when it runs;
           a MAP_NORESERVE page touched for the first time: committed now */
        if (px_mm_lazy_fault(f->address, f->kind == PX_HOST_FAULT_WRITE)) return PX_HOST_FAULT_RESUME;
        if (px_vm_access_fault(f->address, f->kind == PX_HOST_FAULT_WRITE)) return PX_HOST_FAULT_RESUME;
        break;
    default:
        break;
    }

    int sig = f->signal;
    if (!sig) return PX_HOST_FAULT_PASS;
    /* a bad guest pointer met by copy-in/copy-out (uaccess.S): -EFAULT, as Linux's
       exception table makes of it */
    if ((sig == LINUX_SIGSEGV || sig == LINUX_SIGBUS) &&
        r->rip >= (uint64_t)px_uaccess_begin && r->rip < (uint64_t)px_uaccess_end) {
        r->rip = (uint64_t)px_uaccess_fixup;
        return PX_HOST_FAULT_RESUME;
    }
    bool in_runtime = px_host_in_own_image(r->rip);
    /* a page of a file mapping past end of file: SIGBUS, as Linux */
    bool access = f->kind == PX_HOST_FAULT_READ || f->kind == PX_HOST_FAULT_WRITE || f->kind == PX_HOST_FAULT_EXECUTE;
    if (access && !in_runtime) {
        int bus = px_vm_fault_signal(f->address, f->kind == PX_HOST_FAULT_WRITE);
        if (bus) sig = bus;
    }
    if (in_runtime) {
        px_log("picolx: internal error: exception 0x%08lx at runtime code %p (address %p)", (unsigned long)f->code,
               (void *)r->rip, f->has_address ? (void *)f->address : NULL);
        px_host_exit(125);
    }
    px_process_killed(sig);
}

int px_fault_init(void)
{
    return px_host_fault_install(on_fault) == 0 ? 0 : -1;
}
