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
#include "kernel/sigframe.h"
#include "kernel/signal.h"
#include "mm/vm.h"
#include "rewrite/rewrite.h"
#include "trace/trace.h"

/* A syscall that reached us through a trap at r->rip: run it on the fault's registers. */
static void syscall_from_fault(px_regs *r)
{
    r->rip += 2; /* past the trap, as past the syscall instruction */
    uint64_t nr = r->rax, rflags = r->rflags;
    px_syscall_dispatch(r);
    px_rewrite_stats.trap_hits++;
    px_trace_count_trap(nr);
    /* rcx and r11 as after the syscall instruction (rflags itself is not written back) */
    r->rcx = r->rip;
    r->r11 = rflags;
    /* the exit path's work, as entry.S runs it; a handler to run: the thread goes on at
       the signal entry, which saves the extended state as entry.S does */
    px_task *t = px_self();
    if (t && (t->work || px_syscall_result_restarts((int64_t)r->rax))) {
        px_xstate_init();
        px_signal_trap_exit(r, t);
    }
}

/* Linux's siginfo and trap number of a guest fault (do_trap, do_page_fault): SIGSEGV
   SEGV_MAPERR where nothing is mapped, SEGV_ACCERR where the protection forbids it, at
   the address; the other faults at the instruction. */
static struct linux_siginfo fault_info(const px_host_fault *f, const px_regs *r, int sig, uint64_t *trapno,
                                       uint64_t *err)
{
    struct linux_siginfo info = {.si_signo = sig};
    *trapno = *err = 0;
    bool access = f->kind == PX_HOST_FAULT_READ || f->kind == PX_HOST_FAULT_WRITE || f->kind == PX_HOST_FAULT_EXECUTE;
    switch (sig) {
    case LINUX_SIGSEGV:
    case LINUX_SIGBUS:
        if (access || f->has_address) {
            /* a stack's guard page stands for the unmapped space below the stack */
            bool mapped = f->kind != PX_HOST_FAULT_GUARD && px_vm_contains(f->address);
            info.si_code = sig == LINUX_SIGBUS ? LINUX_BUS_ADRERR : mapped ? LINUX_SEGV_ACCERR : LINUX_SEGV_MAPERR;
            info.sigfault.addr = f->address;
            *trapno = 14; /* page fault; error code: user, write, present, instruction fetch */
            *err = 4 | (f->kind == PX_HOST_FAULT_WRITE ? 2 : 0) | (mapped ? 1 : 0) |
                   (f->kind == PX_HOST_FAULT_EXECUTE ? 16 : 0);
        } else {
            info.si_code = LINUX_SI_KERNEL; /* a general protection fault */
            *trapno = 13;
        }
        break;
    case LINUX_SIGFPE:
        info.si_code = px_host_fault_fpe_code(f);
        info.sigfault.addr = r->rip;
        *trapno = info.si_code == LINUX_FPE_INTDIV || info.si_code == LINUX_FPE_INTOVF ? 0 : 19;
        break;
    case LINUX_SIGILL:
        info.si_code = LINUX_ILL_ILLOPN;
        info.sigfault.addr = r->rip;
        *trapno = 6;
        break;
    case LINUX_SIGTRAP:
        info.si_code = LINUX_SI_KERNEL; /* int3 */
        *trapno = 3;
        break;
    default:
        break;
    }
    return info;
}

static enum px_host_fault_action handle_fault(const px_host_fault *f, px_regs *r)
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
    /* the runtime itself touched a stack's guard page (a copy of guest memory): the host
       made it a plain page, so the access goes through (that stack has no guard now) */
    if (f->kind == PX_HOST_FAULT_GUARD && px_host_in_own_image(r->rip)) return PX_HOST_FAULT_RESUME;
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
    /* the guest's handler, if it has one that may run */
    px_regs at = *r;
    if (f->kind == PX_HOST_FAULT_BREAKPOINT) at.rip = f->at + 1; /* past the int3, as Linux reports it */
    uint64_t trapno, err;
    struct linux_siginfo info = fault_info(f, &at, sig, &trapno, &err);
    if (px_signal_fault(&at, &info, trapno, err)) {
        *r = at;
        return PX_HOST_FAULT_RESUME;
    }
    px_process_killed(sig);
}

/* The thread runs picolx code while it handles the fault: no other thread redirects it. */
static enum px_host_fault_action on_fault(const px_host_fault *f, px_regs *r)
{
    px_task *t = px_self();
    if (t) __atomic_add_fetch(&t->in_runtime, 1, __ATOMIC_SEQ_CST);
    enum px_host_fault_action a = handle_fault(f, r);
    if (t) __atomic_sub_fetch(&t->in_runtime, 1, __ATOMIC_SEQ_CST);
    return a;
}

int px_fault_init(void)
{
    return px_host_fault_install(on_fault) == 0 ? 0 : -1;
}
