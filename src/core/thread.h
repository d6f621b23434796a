/* Per-thread runtime state. Guest code reaches it through a TEB TLS slot (gs-relative),
   so neither a rewritten syscall site nor a rewritten %fs: access needs a Win32 call. */
#ifndef PX_CORE_THREAD_H
#define PX_CORE_THREAD_H

#include <stddef.h>
#include <stdint.h>
#include "core/syscall.h"
#include "host/host_sync.h"

/* The shared objects a task points at, each refcounted and shared or copied by clone
   flag (src/task/clone.c): the thread group, the address space, the fd table, the fs
   context (root, cwd, umask), the signal handlers and the credentials. Each is defined
   by its subsystem. */
struct px_process;
struct px_mm;
struct px_fdtable;
struct px_fs_context;
struct px_sighand;
struct px_sigstate;
struct px_cred;

/* The shared objects' locks are the host's reader-writer locks (host/host_sync.h). */

#define PX_TASK_COMM_LEN 16

/* One guest thread (Linux's task_struct, gVisor's Task). Who may touch each field:
   "own" = only the thread itself, without a lock; "own, atomic" = the thread itself,
   and other threads only with atomic operations; "clone" = set once when the task is
   made, read-only after; the object pointers are replaced only by the thread itself
   (clone, unshare, execve, set*id), and each object guards its own contents. */
typedef struct px_task {
    uint64_t host_rsp;    /* 0x00: own. The runtime stack top: handlers run here, not on the guest stack */
    uint64_t guest_rsp;   /* 0x08: own. Scratch for entry.S while switching stacks */
    uint64_t guest_fs;    /* 0x10: own. The guest's thread pointer (TLS base, ARCH_SET_FS); also in its TEB slot */
    uint64_t exit_code;   /* 0x18: own. Set by px_leave_guest */
    volatile uint32_t work; /* 0x20: own, atomic. PX_WORK_* bits; the syscall exit path runs when any is set */
    volatile uint32_t in_runtime; /* 0x24: own. Nonzero while the thread runs picolx code for its guest (entry.S,
                                     the fault handler): then no other thread may redirect it (kernel/signal.c) */
    void *interrupt_event;  /* 0x28: clone. A host event, set (by anyone) to interrupt the thread's blocking wait */
    px_regs *regs;        /* own. The frame of the syscall in progress */
    int32_t tid;          /* clone. The Linux tid the guest sees */
    uint32_t pad1;
    uint64_t clear_child_tid; /* own. set_tid_address; CLONE_CHILD_CLEARTID */
    uint64_t robust_list, robust_list_len; /* own. set_robust_list */
    uint64_t sigmask;     /* own. rt_sigprocmask (bit sig-1); read by senders atomically */
    volatile uint64_t pending; /* own, atomic. Signals sent to this thread (tkill) and not delivered */
    uint64_t altstack_sp, altstack_size; /* own. sigaltstack */
    uint32_t altstack_flags;             /* own. LINUX_SS_DISABLE or LINUX_SS_AUTODISARM */
    uint32_t comm_set;                   /* own. comm holds a name (else the program's name is used) */
    char comm[PX_TASK_COMM_LEN];         /* own. PR_SET_NAME (px_task_comm reads it; /proc does not yet) */
    /* clone (updated with the process): the thread group's rlimits array (its process
       object owns it; entries are written with 64-bit atomic stores under its lock), so
       that layers below the task one (the fd table: RLIMIT_NOFILE) can read a limit. */
    const struct linux_rlimit *rlimits;
    struct px_process *process;    /* the thread group: shared by CLONE_THREAD */
    struct px_mm *mm;              /* the address space: shared by CLONE_VM */
    struct px_fdtable *files;      /* shared by CLONE_FILES */
    struct px_fs_context *fs;      /* shared by CLONE_FS */
    struct px_sighand *sighand;    /* shared by CLONE_SIGHAND */
    const struct px_cred *cred;    /* immutable; replaced (not changed) by setuid and the like */
    void *sleep_timer;    /* its high-resolution waitable timer for deadlines (kernel/block.c), made on first use */
    struct px_sigstate *sigstate; /* own, atomic. Signal delivery's per-thread state (kernel/signal.c), made on first use */
    /* own. restart_syscall(2): how a call that returned -ERESTART_RESTARTBLOCK goes on
       (its own words in restart_block; NULL: restart_syscall gives EINTR) */
    int64_t (*restart_fn)(struct px_task *t);
    uint64_t restart_block[4];
    /* own, atomic. The word a futex wait sleeps on (kernel/block.c, px_block_word): reset
       by the waiter, PX_FUTEX_WORD_* bits ORed in by its waker and its interrupter */
    volatile uint32_t futex_word;
    /* atomic. Nonzero while interrupt_event is set (px_task_interrupt): a futex wait's
       look at it costs no host call */
    volatile uint32_t interrupt_flag;
    /* clone: its Windows thread (a handle; NULL for the first thread), for an execve to
       end it (kernel/thread_clone.c) */
    void *host_thread;
    /* atomic: set by the thread itself when it parks for good (another thread's
       exit_group or execve, or a leader whose own exit left others running) */
    volatile uint32_t parked;
    /* atomic: sched_setaffinity's mask for this thread (0: the process's), and
       sched_setscheduler's policy (SCHED_OTHER 0, BATCH 3, IDLE 5) */
    uint64_t affinity;
    int32_t sched_policy;
    /* atomic: its Windows thread id, set when it attaches (px_thread_attach): others
       open it by that to read its CPU times (clock_gettime of its CPU-time clock) */
    volatile uint32_t host_tid;
} px_task;
_Static_assert(offsetof(px_task, host_rsp) == 0x00, "entry.S offsets");
_Static_assert(offsetof(px_task, guest_rsp) == 0x08, "entry.S offsets");
_Static_assert(offsetof(px_task, guest_fs) == 0x10, "entry.S offsets");
_Static_assert(offsetof(px_task, work) == 0x20, "entry.S offsets");
_Static_assert(offsetof(px_task, in_runtime) == 0x24, "entry.S offsets");

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
/* The calling thread's task ends: its TEB slots are cleared (px_current gives the first
   task's objects again, as on any host thread). */
void px_thread_detach(void);
/* The calling thread's state, or NULL on a thread that never entered a guest. */
px_task *px_self(void);
/* The calling thread's task, or the process's first task on a host thread that has none
   (the stat prefetch workers, a console reader): the objects those threads may consult
   are the process's. NULL only before px_thread_set_initial. */
px_task *px_current(void);
/* Records the process's first task (src/task/task.c, px_task_boot). */
void px_thread_set_initial(px_task *t);
/* The process's first task (the thread group leader's), or NULL before it is set. */
px_task *px_thread_initial(void);
/* Sets the guest thread pointer (arch_prctl ARCH_SET_FS). */
void px_thread_set_fs(px_task *t, uint64_t base);

/* Switches to the guest: rsp = stack, all general registers 0, jumps to entry.
   Returns only when a handler calls px_leave_guest, with that code. */
int64_t px_enter_guest(px_task *t, uint64_t entry, uint64_t stack);
/* The guest's vector and x87 state a handler cannot see in px_regs (entry.S keeps
   xmm6-15 in their registers: callee-saved on the runtime side). */
typedef struct px_guest_fpu {
    uint8_t xmm_high[10][16]; /* xmm6-15 */
    uint32_t mxcsr;
    uint16_t fcw, pad;
    uint64_t pad2;
} px_guest_fpu;
_Static_assert(sizeof(px_guest_fpu) == 176, "entry.S offsets");
/* From a handler: the calling guest's px_guest_fpu now. */
void px_guest_fpu_save(px_guest_fpu *out);
struct px_regs;
/* fork's child: as px_enter_guest, but the guest goes on with the registers of frame
   (a px_regs) and fpu. Returns only when a handler calls px_leave_guest. */
int64_t px_resume_guest(px_task *t, const struct px_regs *frame, const px_guest_fpu *fpu);
/* From a handler: abandons the guest and returns code from px_enter_guest. */
__attribute__((noreturn)) void px_leave_guest(px_task *t, int64_t code);

#endif
