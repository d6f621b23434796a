/* The syscall path: the guest register frame, the table entry shape, handler helpers. */
#ifndef PX_CORE_SYSCALL_H
#define PX_CORE_SYSCALL_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include "linux_errno.h"

/* The guest's registers as the syscall entry (src/core/entry.S) saves them on the
   runtime stack. Handlers may change them (rt_sigreturn, execve); the entry stub
   restores all of them, with rcx = rip and r11 = rflags as the kernel's sysret does.
   Field offsets are used by entry.S: keep them in step (PX_REGS_* below). */
typedef struct px_regs {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rip, rflags, orig_rax, pad;
    uint64_t xmm[6][2]; /* xmm0-5: volatile in the Windows ABI, so saved around handlers */
} px_regs;
_Static_assert(offsetof(px_regs, rip) == 128, "entry.S offsets");
_Static_assert(offsetof(px_regs, xmm) == 160, "entry.S offsets");
_Static_assert(sizeof(px_regs) == 256, "entry.S frame size");

/* Handler shape: decode the arguments at the top, return a value or -LINUX_Exxx. */
typedef int64_t px_syscall_fn(px_regs *regs);
#define PX_SYSCALL(name) int64_t px_sys_##name(px_regs *regs)
#define PX_ARG0 (regs->rdi)
#define PX_ARG1 (regs->rsi)
#define PX_ARG2 (regs->rdx)
#define PX_ARG3 (regs->r10)
#define PX_ARG4 (regs->r8)
#define PX_ARG5 (regs->r9)

enum px_support { PX_SUPPORT_FULL, PX_SUPPORT_PARTIAL, PX_SUPPORT_NONE };

/* Argument formats for the tracer: the args column of abi/syscalls.tbl. */
enum px_arg_format {
    PX_ARG_NONE = 0,
    PX_ARG_I,          /* int, decimal */
    PX_ARG_L,          /* int64, decimal */
    PX_ARG_U,          /* unsigned, decimal */
    PX_ARG_X,          /* hex */
    PX_ARG_P,          /* pointer: NULL or hex */
    PX_ARG_O,          /* octal mode */
    PX_ARG_FD,         /* file descriptor */
    PX_ARG_DFD,        /* directory fd: AT_FDCWD by name */
    PX_ARG_S,          /* NUL-terminated string (path) */
    PX_ARG_WBUF,       /* buffer written by the guest; length is the next argument */
    PX_ARG_RBUF,       /* buffer filled by the call; length is the result */
    PX_ARG_OFLAGS,     /* O_* flags */
    PX_ARG_PROT,       /* PROT_* */
    PX_ARG_MAPFLAGS,   /* MAP_* */
    PX_ARG_WHENCE,     /* SEEK_* */
    PX_ARG_CLOCKID,    /* CLOCK_* */
    PX_ARG_SIG,        /* signal number */
    PX_ARG_SIGMASKHOW, /* SIG_BLOCK etc. */
    PX_ARG_FCNTLCMD,   /* F_* */
    PX_ARG_IOCTL,      /* ioctl request */
    PX_ARG_RLIMIT,     /* RLIMIT_* */
};

typedef struct px_syscall_desc {
    const char *name;       /* NULL for numbers Linux does not use */
    px_syscall_fn *fn;      /* NULL: not implemented, -ENOSYS */
    uint8_t support;        /* enum px_support */
    uint8_t nargs;
    uint8_t args[6];        /* enum px_arg_format */
    const char *note;       /* what partial support lacks */
} px_syscall_desc;

_Static_assert(sizeof(px_syscall_desc) == 32 && offsetof(px_syscall_desc, fn) == 8, "entry.S's inline dispatch");
_Static_assert(offsetof(px_regs, orig_rax) == 144, "entry.S offsets");

/* Generated from abi/syscalls.tbl into the build directory. */
extern const px_syscall_desc px_syscall_table[];
extern const unsigned px_syscall_table_size;

/* Runs one guest syscall described by regs (rax = number); stores the result in regs->rax.
   Called by the entry stub (fast path) and by the trap handler (slow path, through
   px_syscall_from_trap). */
void px_syscall_dispatch(px_regs *regs);

/* Runs syscall nr with the frame regs: the table's handler, or -ENOSYS for a number
   with none. The one place a syscall is looked up and called: whatever wraps a call
   (the tracer; later the embedding API's per-syscall overrides) calls this inside. */
int64_t px_syscall_run(px_regs *regs, uint64_t nr);

/* The syscall exit path. entry.S, after px_syscall_dispatch, tests px_task.work (one
   compare); when any of these bits is set it calls px_syscall_exit_work before it
   returns to the guest. Whoever sets a bit (another thread too) uses an atomic or. */
/* The exit path also runs for a result that is a restart code (-ERESTARTSYS ..
   -ERESTART_RESTARTBLOCK), work or not: those never reach the guest. */
static inline bool px_syscall_result_restarts(int64_t r)
{
    return r >= -LINUX_ERESTART_RESTARTBLOCK && r <= -LINUX_ERESTARTSYS;
}
#define PX_WORK_SIGPENDING 0x1u  /* a signal may be deliverable (delivery: the next issue) */

/* What px_syscall_exit_work returns: 0, or PX_EXIT_XSTATE when the work needs the
   guest's FPU/SSE/AVX state (a signal frame to build). entry.S then saves that state
   (xsave, px_xstate.mask) in an area on the runtime stack, calls
   px_syscall_exit_xstate, and loads the area back (xrstor) when that returns nonzero;
   regs->xmm[0..5] are what the guest gets in xmm0-5 either way. */
#define PX_EXIT_XSTATE 1u
/* ... and PX_EXIT_FULL (from px_syscall_exit_xstate or the signal entry) when every
   register must come back as regs has it, rcx and r11 too (iretq): a return into code
   interrupted anywhere, not just after a syscall (rt_sigreturn, an async signal). */
#define PX_EXIT_FULL 2u
struct px_task;
uint32_t px_syscall_exit_work(px_regs *regs, struct px_task *t);
uint32_t px_syscall_exit_xstate(px_regs *regs, struct px_task *t, void *area);

/* A wrapper of every syscall (the tracer's px_trace_syscall), set before the guest
   starts, or NULL: then px_syscall_dispatch calls px_syscall_run directly. */
typedef int64_t px_syscall_wrapper_fn(px_regs *regs, uint64_t nr);
extern px_syscall_wrapper_fn *px_syscall_wrapper;

/* The entry stub that rewritten syscall sites jump to, with rcx = return address. */
extern void px_syscall_entry(void);

#endif
