/* Linux signal frames (rt_sigframe) from a saved register frame and the FPU/SSE/AVX
   state, and back (rt_sigreturn). Host-neutral: tests/unit/sigframe_test.c runs it
   natively. Delivery itself (choosing a signal, the handler's mask) is the signal
   code's; this lays frames out as Linux's get_sigframe and x64_setup_rt_frame do. */
#ifndef PX_KERNEL_SIGFRAME_H
#define PX_KERNEL_SIGFRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "linux_signal.h"
#include "core/syscall.h"

/* The extended state a frame carries: the XCR0 features picolx saves (0 when the CPU
   has no xsave: then the 512-byte fxsave area alone), the size of the xsave area for
   them, and the bytes entry.S reserves for one (64-byte aligned, with room to align). */
typedef struct px_xstate_config {
    uint64_t mask;
    uint32_t size;       /* 512 without xsave */
    uint32_t area_size;  /* size rounded up to 64, plus 64 for the alignment */
} px_xstate_config;
extern px_xstate_config px_xstate;
/* entry.S reads these fields */
_Static_assert(offsetof(px_xstate_config, mask) == 0, "entry.S offsets");
_Static_assert(offsetof(px_xstate_config, area_size) == 12, "entry.S offsets");
/* Fills px_xstate from CPUID (once; cheap after). */
void px_xstate_init(void);
/* Puts an area (px_xstate.size bytes, 64-byte aligned) in the state a handler starts
   with: x87 as after finit, MXCSR 0x1f80, every register zero. */
void px_xstate_set_init(void *area);

/* What a signal frame is built from. */
typedef struct px_sigframe_args {
    const px_regs *regs;               /* the interrupted state (xmm0-5 are the guest's) */
    const struct linux_siginfo *info;  /* copied when sa_flags has SA_SIGINFO */
    uint64_t handler, restorer, sa_flags;
    uint64_t saved_mask;               /* the blocked set to restore: uc_sigmask and oldmask */
    struct linux_stack_t altstack;     /* the task's sigaltstack */
    const void *xstate;                /* the saved area (px_xstate.size bytes), as xsave left it */
    uint64_t cr2, err, trapno;         /* of a fault; 0 otherwise */
    /* a call at a rewritten syscall site, reported at the site's own address as Linux
       reports it (rip = site when it restarts, site + 2 when it returned); site_return is
       where the code really goes on (in the site's trampoline). 0: none */
    uint64_t site, site_return;
} px_sigframe_args;

/* Where a frame goes: frame is the handler's rsp ((frame + 8) % 16 == 0), fpstate the
   64-byte aligned FPU area above it; the image is frame..frame+size. */
typedef struct px_sigframe_layout {
    uint64_t frame, fpstate, size;
    bool on_altstack;                  /* the frame is on the alternate stack */
} px_sigframe_layout;

/* Places the frame: below the red zone of regs->rsp, or at the top of the alternate
   stack (SA_ONSTACK, not already on it). -LINUX_EFAULT when it would overflow the
   alternate stack (Linux then kills with SIGSEGV). */
int64_t px_sigframe_place(const px_sigframe_args *a, px_sigframe_layout *out);
/* Writes the frame image (layout->size bytes) into buf, pointers as guest addresses. */
void px_sigframe_fill(const px_sigframe_args *a, const px_sigframe_layout *l, void *buf);
/* The registers the handler starts with: rip = handler, rsp = frame, rdi = signal,
   rsi = &info, rdx = &uc, rax = 0, DF/TF/RF cleared; xmm0-5 zero (the FPU starts in
   its initial state: the caller loads px_xstate_set_init's area). */
void px_sigframe_handler_regs(const px_sigframe_args *a, const px_sigframe_layout *l, px_regs *regs);
/* All three, with the image copied out to the guest: 0 or -LINUX_EFAULT. */
int64_t px_sigframe_setup(const px_sigframe_args *a, px_regs *regs, px_sigframe_layout *out);

/* What rt_sigreturn takes back from a frame. */
typedef struct px_sigreturn_state {
    uint64_t sigmask;                  /* without SIGKILL and SIGSTOP */
    struct linux_stack_t altstack;     /* uc_stack, for sigaltstack's restore */
    bool fpu_init;                     /* no fpstate: the FPU goes back to its initial state */
    uint64_t site, site_return;        /* as px_sigframe_args had them (sigcontext's reserved words) */
} px_sigreturn_state;

/* Parses a frame image (struct linux_rt_sigframe) into regs (the frame's registers;
   rflags only its FIX_EFLAGS bits, orig_rax -1: no restart) and out. The FPU state is
   read by the caller with px_sigreturn_read_xstate. */
void px_sigreturn_parse(const struct linux_rt_sigframe *f, px_regs *regs, px_sigreturn_state *out);
/* Reads and validates the fpstate at guest address fpstate into area (64-byte aligned,
   px_xstate.size bytes) as xrstor will load it, and regs->xmm[0..5] from it, as Linux's
   fpu__restore_sig: a layout without valid magics is taken as fxsave's (FP and SSE
   only); a state xrstor would refuse (reserved MXCSR bits, a bad header) is a bad
   frame. fpstate 0: the initial state. 0 or -LINUX_EFAULT. */
int64_t px_sigreturn_read_xstate(uint64_t fpstate, void *area, px_regs *regs);
/* rt_sigreturn's whole read: the frame at regs->rsp - 8 into regs and out, the FPU
   state into area. 0 or -LINUX_EFAULT (a bad frame: Linux kills with SIGSEGV). */
int64_t px_sigreturn_read(px_regs *regs, px_sigreturn_state *out, void *area);

/* What the syscall exit path does with a result that asks for a restart
   (-LINUX_ERESTART*): Linux's rules in handle_signal and, with no handler run,
   arch_do_signal_or_restart. */
enum px_restart_action {
    PX_RESTART_NONE,    /* not a restart code: the result stands */
    PX_RESTART_EINTR,   /* the result becomes -EINTR */
    PX_RESTART_CALL,    /* the call runs again with its arguments (rax = orig_rax) */
    PX_RESTART_BLOCK,   /* the call goes on as restart_syscall(2) */
};
enum px_restart_action px_restart_action(int64_t result, bool handler_runs, uint64_t sa_flags);

#endif
