/* Per-thread runtime state. Guest code reaches it through a TEB TLS slot (gs-relative),
   so neither a rewritten syscall site nor a rewritten %fs: access needs a Win32 call. */
#ifndef PX_CORE_THREAD_H
#define PX_CORE_THREAD_H

#include <stdint.h>
#include "core/syscall.h"

typedef struct px_thread {
    uint64_t host_rsp;    /* 0x00: the runtime stack top: handlers run here, not on the guest stack */
    uint64_t guest_rsp;   /* 0x08: scratch for entry.S while switching stacks */
    uint64_t guest_fs;    /* 0x10: the guest's thread pointer (ARCH_SET_FS); also in its own TEB slot */
    uint64_t exit_code;   /* 0x18: set by px_leave_guest */
    px_regs *regs;        /* the frame of the syscall in progress */
    int32_t tid;          /* the Linux tid the guest sees */
    uint64_t clear_child_tid; /* set_tid_address */
    uint64_t robust_list, robust_list_len;
    uint64_t sigmask;     /* rt_sigprocmask: recorded; delivery is a later issue */
} px_thread;

/* Offsets of the per-thread pointer and of the guest FS base from the TEB (gs base):
   0x1480 + 8 * TlsAlloc() index. Read by entry.S and embedded in rewritten %fs: code. */
extern uint64_t px_teb_thread_slot;
extern uint64_t px_teb_fs_slot;
/* A per-thread scratch word for rewritten code that needs to borrow a register without
   touching the guest stack (whoever delivers signals inside such code saves it). */
extern uint64_t px_teb_scratch_slot;

/* Sets up the TEB slots (once per process). Returns 0 or -1. */
int px_thread_slots_init(void);
/* Makes t the calling thread's state. */
void px_thread_attach(px_thread *t);
/* The calling thread's state, or NULL on a thread that never entered a guest. */
px_thread *px_self(void);
/* Sets the guest thread pointer (arch_prctl ARCH_SET_FS). */
void px_thread_set_fs(px_thread *t, uint64_t base);

/* Switches to the guest: rsp = stack, all general registers 0, jumps to entry.
   Returns only when a handler calls px_leave_guest, with that code. */
int64_t px_enter_guest(px_thread *t, uint64_t entry, uint64_t stack);
/* From a handler: abandons the guest and returns code from px_enter_guest. */
__attribute__((noreturn)) void px_leave_guest(px_thread *t, int64_t code);

#endif
