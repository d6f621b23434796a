/* Host faults (src/core/fault.c): one handler that sees every exception of the process
   first, as a neutral fault record and the thread's registers as px_regs. */
#ifndef PX_HOST_FAULT_H
#define PX_HOST_FAULT_H

#include "host/host.h"
#include "core/syscall.h"

enum px_host_fault_kind {
    PX_HOST_FAULT_OTHER,       /* a fault of signal `signal` the handler has no repair for */
    PX_HOST_FAULT_READ,        /* access violations (has_address) */
    PX_HOST_FAULT_WRITE,
    PX_HOST_FAULT_EXECUTE,
    PX_HOST_FAULT_ILLEGAL,     /* an illegal instruction (ud2: a trap site) */
    PX_HOST_FAULT_BREAKPOINT,  /* int3 (a trap site) */
    PX_HOST_FAULT_GUARD,       /* a guard page touched (has_address): a stack overflowed (px_vm_guard_stack) */
};

typedef struct px_host_fault {
    enum px_host_fault_kind kind;
    int signal;        /* the Linux signal it stands for: SIGSEGV, SIGBUS, SIGILL, SIGFPE,
                          SIGTRAP; 0 for exceptions that are no fault (debug output, C++) */
    bool has_address;  /* access violations; other exceptions that say one (in-page errors) */
    uint64_t address;  /* the address accessed */
    uint64_t at;       /* where the exception was raised */
    uint32_t code;     /* the host's own code, for picolx's internal-error message */
} px_host_fault;

enum px_host_fault_action {
    PX_HOST_FAULT_PASS,    /* not ours: the host's next handler */
    PX_HOST_FAULT_RESUME,  /* go on at regs (written back: all but rflags and orig_rax) */
};
/* The handler gets the registers at the fault and may change them. */
typedef enum px_host_fault_action px_host_fault_handler(const px_host_fault *f, px_regs *regs);
/* Installs handler before any other: 0 or -LINUX_Exxx. */
int64_t px_host_fault_install(px_host_fault_handler *handler);
/* The si_code of a SIGFPE fault (LINUX_FPE_*): integer division, or the floating-point
   exception it reports. */
int px_host_fault_fpe_code(const px_host_fault *f);
/* Whether addr is inside picolx's own image (libpicolx.dll): a fault there is a bug. */
bool px_host_in_own_image(uint64_t addr);

#endif
