/* The vectored exception handler: the slow path of the rewriter (trap sites), code
   that awaits its scan (execute faults), and guest crashes, which end the process as
   Linux would end it: with the shell's message and status 128 + signal. */
#include <windows.h>
#include "core/px.h"
#include "core/runtime.h"
#include "core/thread.h"
#include "core/uaccess.h"
#include "mm/vm.h"
#include "rewrite/rewrite.h"
#include "trace/trace.h"

extern IMAGE_DOS_HEADER __ImageBase;

static bool in_runtime_image(uint64_t addr)
{
    uint64_t base = (uint64_t)&__ImageBase;
    IMAGE_NT_HEADERS64 *nt = (IMAGE_NT_HEADERS64 *)(base + (uint64_t)__ImageBase.e_lfanew);
    return addr >= base && addr < base + nt->OptionalHeader.SizeOfImage;
}

/* A syscall that reached us through a trap: run it from the exception context. */
static void syscall_from_context(CONTEXT *c)
{
    px_regs r;
    memset(&r, 0, sizeof r);
    r.rax = c->Rax; r.rbx = c->Rbx; r.rcx = c->Rcx; r.rdx = c->Rdx;
    r.rsi = c->Rsi; r.rdi = c->Rdi; r.rbp = c->Rbp; r.rsp = c->Rsp;
    r.r8 = c->R8; r.r9 = c->R9; r.r10 = c->R10; r.r11 = c->R11;
    r.r12 = c->R12; r.r13 = c->R13; r.r14 = c->R14; r.r15 = c->R15;
    r.rip = c->Rip + 2; r.rflags = c->EFlags;
    const M128A *xmm = &c->Xmm0;
    for (int i = 0; i < 6; i++) { r.xmm[i][0] = xmm[i].Low; r.xmm[i][1] = (uint64_t)xmm[i].High; }
    uint64_t nr = r.rax;
    px_syscall_dispatch(&r);
    /* the exit path's work, as entry.S runs it; the extended state of a trap is in the
       CONTEXT (delivery from here is the next issue's) */
    px_task *t = px_self();
    if (t && t->work) px_syscall_exit_work(&r, t);
    px_rewrite_stats.trap_hits++;
    px_trace_count_trap(nr);
    c->Rax = r.rax; c->Rbx = r.rbx; c->Rdx = r.rdx;
    c->Rsi = r.rsi; c->Rdi = r.rdi; c->Rbp = r.rbp; c->Rsp = r.rsp;
    c->R8 = r.r8; c->R9 = r.r9; c->R10 = r.r10;
    c->R12 = r.r12; c->R13 = r.r13; c->R14 = r.r14; c->R15 = r.r15;
    c->Rip = r.rip;
    for (int i = 0; i < 6; i++) { c->FltSave.XmmRegisters[i].Low = r.xmm[i][0]; c->FltSave.XmmRegisters[i].High = (int64_t)r.xmm[i][1]; }
    c->Rcx = r.rip;         /* as after the syscall instruction */
    c->R11 = c->EFlags;
}

static int signal_of(DWORD code)
{
    switch (code) {
    case EXCEPTION_ACCESS_VIOLATION:
    case EXCEPTION_STACK_OVERFLOW:
    case EXCEPTION_ARRAY_BOUNDS_EXCEEDED:
    case EXCEPTION_GUARD_PAGE: return LINUX_SIGSEGV;
    case EXCEPTION_IN_PAGE_ERROR:
    case EXCEPTION_DATATYPE_MISALIGNMENT: return LINUX_SIGBUS;
    case EXCEPTION_ILLEGAL_INSTRUCTION:
    case EXCEPTION_PRIV_INSTRUCTION: return LINUX_SIGILL;
    case EXCEPTION_INT_DIVIDE_BY_ZERO:
    case EXCEPTION_INT_OVERFLOW:
    case EXCEPTION_FLT_DIVIDE_BY_ZERO:
    case EXCEPTION_FLT_INVALID_OPERATION:
    case EXCEPTION_FLT_OVERFLOW:
    case EXCEPTION_FLT_UNDERFLOW:
    case EXCEPTION_FLT_INEXACT_RESULT:
    case EXCEPTION_FLT_DENORMAL_OPERAND:
    case EXCEPTION_FLT_STACK_CHECK: return LINUX_SIGFPE;
    case EXCEPTION_BREAKPOINT:
    case EXCEPTION_SINGLE_STEP: return LINUX_SIGTRAP;
    default: return 0; /* not a fault: debug output, C++ exceptions and the like */
    }
}

static LONG CALLBACK on_exception(EXCEPTION_POINTERS *ep)
{
    EXCEPTION_RECORD *er = ep->ExceptionRecord;
    CONTEXT *c = ep->ContextRecord;
    uint64_t at = (uint64_t)er->ExceptionAddress;

    switch (er->ExceptionCode) {
    case EXCEPTION_ILLEGAL_INSTRUCTION:
    case EXCEPTION_BREAKPOINT: {
        uint64_t resume = 0;
        enum px_trap_kind kind = px_rewrite_classify_trap(at, &resume);
        if (kind == PX_TRAP_SYSCALL) {
            c->Rip = at;
            syscall_from_context(c);
            return EXCEPTION_CONTINUE_EXECUTION;
        }
        if (kind == PX_TRAP_REDIRECT) {
            px_rewrite_stats.trap_hits++;
            c->Rip = resume;
            return EXCEPTION_CONTINUE_EXECUTION;
        }
        break;
    }
    case EXCEPTION_ACCESS_VIOLATION:
        if (er->NumberParameters >= 2 && er->ExceptionInformation[0] == 8 &&
            px_vm_exec_fault(er->ExceptionInformation[1]))
            return EXCEPTION_CONTINUE_EXECUTION;
        /* a write to scanned code (a JIT): back to writable, rescanned when it runs;
           a MAP_NORESERVE page touched for the first time: committed now */
        if (er->NumberParameters >= 2 && er->ExceptionInformation[0] <= 1 &&
            px_vm_access_fault(er->ExceptionInformation[1], er->ExceptionInformation[0] == 1))
            return EXCEPTION_CONTINUE_EXECUTION;
        break;
    }

    int sig = signal_of(er->ExceptionCode);
    if (!sig) return EXCEPTION_CONTINUE_SEARCH;
    /* a bad guest pointer met by copy-in/copy-out (uaccess.S): -EFAULT, as Linux's
       exception table makes of it */
    if ((sig == LINUX_SIGSEGV || sig == LINUX_SIGBUS) &&
        c->Rip >= (uint64_t)px_uaccess_begin && c->Rip < (uint64_t)px_uaccess_end) {
        c->Rip = (uint64_t)px_uaccess_fixup;
        return EXCEPTION_CONTINUE_EXECUTION;
    }
    /* a page of a file mapping past end of file: SIGBUS, as Linux */
    if (er->ExceptionCode == EXCEPTION_ACCESS_VIOLATION && er->NumberParameters >= 2 &&
        !in_runtime_image(c->Rip)) {
        int bus = px_vm_fault_signal(er->ExceptionInformation[1], er->ExceptionInformation[0] == 1);
        if (bus) sig = bus;
    }
    if (in_runtime_image(c->Rip)) {
        px_log("picolx: internal error: exception 0x%08lx at runtime code %p (address %p)",
               (unsigned long)er->ExceptionCode, (void *)c->Rip,
               er->NumberParameters >= 2 ? (void *)er->ExceptionInformation[1] : NULL);
        ExitProcess(125);
    }
    px_process_killed(sig);
}

int px_fault_init(void)
{
    return AddVectoredExceptionHandler(1, on_exception) ? 0 : -1;
}
