/* The thread group (Linux's signal_struct with the tgid, gVisor's ThreadGroup): what
   the threads of one process share. Shared by CLONE_THREAD; a fork gets a copy. */
#ifndef PX_TASK_PROCESS_H
#define PX_TASK_PROCESS_H

#include <stdbool.h>
#include <stdint.h>
#include "core/px.h"
#include "core/thread.h"
#include "linux_signal.h"

struct px_handoff;

/* The interval timers (kernel/itimer.c), indexed by LINUX_ITIMER_*: REAL on
   CLOCK_MONOTONIC, VIRTUAL on the process's user CPU time, PROF on its user and system
   CPU time; kept by a host thread of the process that sleeps on changed until the next
   expiry and then sends SIGALRM, SIGVTALRM or SIGPROF. Not passed to a fork child (a copy
   starts disarmed), kept by an execve (into a new process: px_itimer_save's record
   carries what is left, px_itimer_resume starts the thread there). */
typedef struct px_itimer {
    int64_t expiry_ns;        /* the next expiry on the timer's clock; 0: disarmed */
    int64_t interval_ns;      /* re-armed by this after each expiry; 0: once */
} px_itimer;
typedef struct px_itimers {
    px_host_rwlock lock;      /* guards the rest */
    px_host_cond changed;     /* the timer thread's wake-up when a timer is set */
    px_itimer timers[3];
    bool thread_started;
} px_itimers;

/* The process's share of signal delivery (Linux's signal_struct: the info of the
   signals sent to the process, and the group stop), kept by kernel/signal.c. Part of the
   process object; fork's copy starts with it empty (nothing pending, running), and an
   execve into a new process passes the pending infos on (px_signal_save_infos). */
#define PX_PROCESS_RT_QUEUE_MAX 256
typedef struct px_process_signals {
    px_host_rwlock info_lock;   /* guards the next three */
    struct linux_siginfo info[LINUX_NSIG + 1]; /* the first pending instance of each signal */
    struct linux_siginfo rt_queue[PX_PROCESS_RT_QUEUE_MAX]; /* further real-time instances, in order */
    size_t rt_queued;           /* info_lock for writes; read atomically to skip the lock when 0 */
    px_host_rwlock stop_lock;   /* guards writes of stopped_by, and continue_event */
    int32_t stopped_by;         /* atomic reads: the stop signal while the group is stopped, else 0 */
    void *continue_event;       /* stop_lock: manual-reset host event, set while the process runs;
                                   made at the first stop, closed with the process */
} px_process_signals;

struct px_process {
    int32_t refs;          /* atomic: tasks that point at it */
    px_host_rwlock lock;        /* guards the fields marked "lock" */
    int32_t tgid;          /* clone: the pid (the first task's tid) */
    int32_t ppid;          /* lock: the parent's pid (a Windows process id when the parent is not a guest) */
    int32_t pgid, sid;     /* lock: process group and session (we lead our own) */
    int32_t exit_status;   /* lock: the group's status once exiting (exit_group) */
    volatile uint64_t shared_pending; /* atomic: signals sent to the process (kill), bit sig-1 */
    /* lock for writes, each entry stored with 64-bit atomic stores; read lock-free
       (tasks' rlimits point here: fd.c reads RLIMIT_NOFILE without the lock). */
    struct linux_rlimit rlimits[LINUX_RLIM_NLIMITS];
    /* prctl state, atomic */
    int32_t dumpable;      /* PR_SET_DUMPABLE: 1 at start */
    int32_t no_new_privs;  /* PR_SET_NO_NEW_PRIVS: one-way, kept across execve and fork */
    int32_t pdeathsig;     /* PR_SET_PDEATHSIG: cleared by fork, kept across execve */
    int32_t child_subreaper; /* PR_SET_CHILD_SUBREAPER */
    int32_t nice;          /* atomic: the nice value, where no process table keeps it (kernel/sched.c) */
    px_itimers itimers;    /* its own lock */
    struct px_posix_timers *posix_timers; /* kernel/posix_timer.c's, made at the first timer_create; not
                                             copied by fork, emptied by execve */
    struct px_child *children; /* lock: the children not yet reaped (fork.c adds, wait.c reaps) */
    size_t child_count, child_cap; /* lock */
    int64_t children_utime, children_stime; /* lock: CPU time of the reaped children, 100 ns (RUSAGE_CHILDREN) */
    uint64_t children_peak_rss;             /* lock: the largest peak RSS of the reaped children, bytes */
    int32_t forked;        /* clone: made by fork, so a picolx parent waits for it (its exit code is a
                              wait status: px_exit_code_of_signal); kept across execve */
    /* lock: the group's threads other than the first (which lives as long as the
       process): kernel/thread_clone.c adds each before it runs and removes it as it
       exits, so a task found here under the lock is not freed meanwhile */
    struct px_task **threads;
    size_t thread_count, thread_cap;
    /* atomic: the tid of the thread running exit_group (0 while none): the others stop at
       their next return towards the guest, so none goes on past the group's exit while
       its files are closed (Linux kills them at once) */
    int32_t exiting_tid;
    /* atomic: the group's threads that run or have not finished exiting, the first
       included (1 at start; kernel/thread_clone.c counts them): the last one out ends
       the process */
    int32_t live_threads;
    /* atomic: threads made by clone that have not started running yet (their Windows
       thread still in Wine's start-up): the process's exit waits for them
       (px_thread_await_starting), as Wine's start-up fails noisily under a process that
       closed its server socket */
    int32_t starting_threads;
    int32_t membarrier_registered; /* atomic: MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED was asked */
    void *vfork_done;      /* own (the first task): the host event a vfork parent waits on, set at
                              execve or exit; NULL when not a vfork child */
    px_process_signals signals; /* as its fields say (kernel/signal.c) */
};

/* A child process (fork): what its parent needs to wait for it. */
typedef struct px_child {
    int32_t pid;
    int32_t pgid;          /* its group as far as this process knows: ours at fork, setpgid's after */
    void *process;         /* the host process whose end is the child's (an execve's new process
                              reports through it); owned: closed when reaped */
} px_child;

/* The Windows exit code of a picolx process made by fork is its Linux wait status's
   meaning: 0-255 an exit status, PX_EXIT_SIGNALED | sig (| 0x80: core dumped) death by
   a signal; anything else (a crash the runtime did not catch, TerminateProcess from
   Windows) is decoded by the host (px_host_crash_signal). The first process of a tree
   exits with 128 + sig instead, as a shell reports it. */
#define PX_EXIT_SIGNALED 0x0f000000u
#define PX_EXIT_CORE 0x80u
/* The Linux wait status (the int wait4 stores) of a child's Windows exit code. */
int32_t px_wait_status_of_exit_code(uint32_t code);
/* SIGCHLD's si_code for a wait status (CLD_EXITED, CLD_KILLED, CLD_DUMPED) and, in
   *si_status, the exit status or the signal. */
int px_sigchld_code_of_wait_status(int32_t wait_status, int32_t *si_status);

/* Adds a child (its process handle taken over). 0 or -LINUX_ENOMEM. */
int64_t px_process_add_child(struct px_process *p, const px_child *c);

/* A new thread group with Debian 12's default limits. NULL when out of memory. */
struct px_process *px_process_new(int32_t tgid, int32_t ppid);
struct px_process *px_process_take(struct px_process *p);
void px_process_drop(struct px_process *p);
/* fork: a new group for tgid, child of from's tgid, with its limits and prctl state
   (pdeathsig cleared), no pending signals. */
struct px_process *px_process_copy(const struct px_process *from, int32_t tgid);
/* The hand-over to another Windows process (execve there): one record with everything
   but the refs and the lock; restore overwrites p's fields with it. */
bool px_process_save(const struct px_process *p, struct px_handoff *h);
/* The same for fork's child: its pid and parent (nonzero tgid), and what fork does not
   pass on (pending signals, pdeathsig). */
bool px_process_save_as(const struct px_process *p, struct px_handoff *h, int32_t tgid, int32_t ppid);
void px_process_restore(struct px_process *p, const struct px_handoff *h);

/* One rlimit entry read lock-free, and written (with the lock held). */
static inline struct linux_rlimit px_process_rlimit(const struct px_process *p, unsigned resource)
{
    struct linux_rlimit r;
    r.rlim_cur = __atomic_load_n(&p->rlimits[resource].rlim_cur, __ATOMIC_RELAXED);
    r.rlim_max = __atomic_load_n(&p->rlimits[resource].rlim_max, __ATOMIC_RELAXED);
    return r;
}

#endif
