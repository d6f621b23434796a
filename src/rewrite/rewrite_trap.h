/* What a trap left by the rewriter is: shared by the pure half (rewrite_core.c), which
   plants the traps, and the runtime half and the fault handler, which resolve them. */
#ifndef PX_REWRITE_TRAP_H
#define PX_REWRITE_TRAP_H

enum px_trap_kind {
    PX_TRAP_NONE,     /* not ours: a real guest fault */
    PX_TRAP_SYSCALL,  /* a syscall site: dispatch, then resume at rip + 2 */
    PX_TRAP_REDIRECT, /* continue at *resume (a trampoline that does the work) */
};

#endif
