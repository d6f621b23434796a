/* Per-thread runtime state. Guest code reaches it through a TEB TLS slot (gs-relative),
   so neither a rewritten syscall site nor a rewritten %fs: access needs a Win32 call. */
#ifndef PX_CORE_THREAD_H
#define PX_CORE_THREAD_H

#include <stddef.h>
#include <stdint.h>
#include "core/syscall.h"

/* The shared objects a task points at, each refcounted and shared or copied by clone
   flag (src/task/clone.c): the thread group, the address space, the fd table, the fs
   context (root, cwd, umask), the signal handlers and the credentials. Each is defined
   by its subsystem. */
struct px_process;
struct px_mm;
struct px_fdtable;
struct px_fs_context;
struct px_sighand;
struct px_cred;

/* One guest thread (Linux's task_struct, gVisor's Task). Unless a field says
   otherwise it is touched only by the thread itself. */
typedef struct px_task {
    uint64_t host_rsp;    /* 0x00: the runtime stack top: handlers run here, not on the guest stack */
    uint64_t guest_rsp;   /* 0x08: scratch for entry.S while switching stacks */
    uint64_t guest_fs;    /* 0x10: the guest's thread pointer (ARCH_SET_FS); also in its own TEB slot */
    uint64_t exit_code;   /* 0x18: set by px_leave_guest */
    volatile uint32_t work; /* 0x20: PX_WORK_* bits; the syscall exit path runs when any is set */
    uint32_t pad0;
    void *interrupt_event;  /* 0x28: a host event, set to interrupt the thread's blocking wait */
    px_regs *regs;        /* the frame of the syscall in progress */
    int32_t tid;          /* the Linux tid the guest sees */
    uint64_t clear_child_tid; /* set_tid_address */
    uint64_t robust_list, robust_list_len;
    uint64_t sigmask;     /* rt_sigprocmask: recorded; delivery is a later issue */
    struct px_process *process;    /* the thread group: shared by CLONE_THREAD */
    struct px_mm *mm;              /* the address space: shared by CLONE_VM */
    struct px_fdtable *files;      /* shared by CLONE_FILES */
    struct px_fs_context *fs;      /* shared by CLONE_FS */
    struct px_sighand *sighand;    /* shared by CLONE_SIGHAND */
    const struct px_cred *cred;    /* immutable; replaced (not changed) by setuid and the like */
    void *futex_event;    /* the host event this thread's futex waits block on (futex.c) */
    void *sleep_timer;    /* the host waitable timer of its nanosleep (time.c) */
} px_task;
_Static_assert(offsetof(px_task, host_rsp) == 0x00, "entry.S offsets");
_Static_assert(offsetof(px_task, guest_rsp) == 0x08, "entry.S offsets");
_Static_assert(offsetof(px_task, guest_fs) == 0x10, "entry.S offsets");
_Static_assert(offsetof(px_task, work) == 0x20, "entry.S offsets");

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
void px_thread_attach(px_task *t);
/* The calling thread's state, or NULL on a thread that never entered a guest. */
px_task *px_self(void);
/* Sets the guest thread pointer (arch_prctl ARCH_SET_FS). */
void px_thread_set_fs(px_task *t, uint64_t base);

/* Switches to the guest: rsp = stack, all general registers 0, jumps to entry.
   Returns only when a handler calls px_leave_guest, with that code. */
int64_t px_enter_guest(px_task *t, uint64_t entry, uint64_t stack);
/* From a handler: abandons the guest and returns code from px_enter_guest. */
__attribute__((noreturn)) void px_leave_guest(px_task *t, int64_t code);

#endif
