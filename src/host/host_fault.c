/* host_fault.h on Win32: a first vectored exception handler. */
#include <windows.h>
#include "core/errors.h"
#include "core/px.h"
#include "host/host_fault.h"
#include "linux_signal.h"

extern IMAGE_DOS_HEADER __ImageBase;

static px_host_fault_handler *fault_handler;

bool px_host_in_own_image(uint64_t addr)
{
    uint64_t base = (uint64_t)&__ImageBase;
    IMAGE_NT_HEADERS64 *nt = (IMAGE_NT_HEADERS64 *)(base + (uint64_t)__ImageBase.e_lfanew);
    return addr >= base && addr < base + nt->OptionalHeader.SizeOfImage;
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

int px_host_fault_fpe_code(const px_host_fault *f)
{
    switch (f->code) {
    case EXCEPTION_INT_DIVIDE_BY_ZERO:
    case EXCEPTION_INT_OVERFLOW: return LINUX_FPE_INTDIV; /* both are #DE, which Linux reports as FPE_INTDIV */
    case EXCEPTION_FLT_DIVIDE_BY_ZERO: return LINUX_FPE_FLTDIV;
    case EXCEPTION_FLT_OVERFLOW: return LINUX_FPE_FLTOVF;
    case EXCEPTION_FLT_UNDERFLOW: return LINUX_FPE_FLTUND;
    case EXCEPTION_FLT_INEXACT_RESULT: return LINUX_FPE_FLTRES;
    default: return LINUX_FPE_FLTINV;
    }
}

static void regs_of(const CONTEXT *c, px_regs *r)
{
    memset(r, 0, sizeof *r);
    r->rax = c->Rax; r->rbx = c->Rbx; r->rcx = c->Rcx; r->rdx = c->Rdx;
    r->rsi = c->Rsi; r->rdi = c->Rdi; r->rbp = c->Rbp; r->rsp = c->Rsp;
    r->r8 = c->R8; r->r9 = c->R9; r->r10 = c->R10; r->r11 = c->R11;
    r->r12 = c->R12; r->r13 = c->R13; r->r14 = c->R14; r->r15 = c->R15;
    r->rip = c->Rip; r->rflags = c->EFlags;
    for (int i = 0; i < 6; i++) {
        r->xmm[i][0] = c->FltSave.XmmRegisters[i].Low;
        r->xmm[i][1] = (uint64_t)c->FltSave.XmmRegisters[i].High;
    }
}

static void context_of(const px_regs *r, CONTEXT *c)
{
    c->Rax = r->rax; c->Rbx = r->rbx; c->Rcx = r->rcx; c->Rdx = r->rdx;
    c->Rsi = r->rsi; c->Rdi = r->rdi; c->Rbp = r->rbp; c->Rsp = r->rsp;
    c->R8 = r->r8; c->R9 = r->r9; c->R10 = r->r10; c->R11 = r->r11;
    c->R12 = r->r12; c->R13 = r->r13; c->R14 = r->r14; c->R15 = r->r15;
    c->Rip = r->rip;
    for (int i = 0; i < 6; i++) {
        c->FltSave.XmmRegisters[i].Low = r->xmm[i][0];
        c->FltSave.XmmRegisters[i].High = (int64_t)r->xmm[i][1];
    }
}

static LONG CALLBACK on_exception(EXCEPTION_POINTERS *ep)
{
    EXCEPTION_RECORD *er = ep->ExceptionRecord;
    px_host_fault f = {.signal = signal_of(er->ExceptionCode), .at = (uint64_t)er->ExceptionAddress,
                       .code = er->ExceptionCode};
    /* access violations and in-page errors: operation and address */
    if (er->NumberParameters >= 2) {
        f.has_address = true;
        f.address = er->ExceptionInformation[1];
    }
    switch (er->ExceptionCode) {
    case EXCEPTION_ILLEGAL_INSTRUCTION: f.kind = PX_HOST_FAULT_ILLEGAL; break;
    case EXCEPTION_BREAKPOINT: f.kind = PX_HOST_FAULT_BREAKPOINT; break;
    case EXCEPTION_GUARD_PAGE:
    case EXCEPTION_STACK_OVERFLOW: f.kind = PX_HOST_FAULT_GUARD; break;
    case EXCEPTION_ACCESS_VIOLATION:
        if (er->NumberParameters >= 2) {
            ULONG_PTR op = er->ExceptionInformation[0]; /* 0 read, 1 write, 8 execute */
            f.kind = op == 8 ? PX_HOST_FAULT_EXECUTE : op == 1 ? PX_HOST_FAULT_WRITE : PX_HOST_FAULT_READ;
        }
        break;
    default: break;
    }
    px_regs r;
    regs_of(ep->ContextRecord, &r);
    if (fault_handler(&f, &r) == PX_HOST_FAULT_PASS) return EXCEPTION_CONTINUE_SEARCH;
    context_of(&r, ep->ContextRecord);
    return EXCEPTION_CONTINUE_EXECUTION;
}

int64_t px_host_fault_install(px_host_fault_handler *handler)
{
    fault_handler = handler;
    return AddVectoredExceptionHandler(1, on_exception) ? 0 : px_err_last();
}
