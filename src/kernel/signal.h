/* Signals (src/kernel/signal.c): dispositions, masks, pending sets and delivery to the
   guest's handlers on the way back to it (the syscall exit path, the signal entry). */
#ifndef PX_KERNEL_SIGNAL_H
#define PX_KERNEL_SIGNAL_H

#include <stdbool.h>
#include <stdint.h>
#include "linux_types.h"

#include "linux_signal.h"
#include "core/syscall.h"

struct px_task;

/* Where px_signal_exit is called from: after a syscall of a rewritten site (entry.S),
   after one of a trap site (the fault handler), or at the signal entry (a thread sent
   there while it ran guest code, or a fault). */
enum px_signal_from { PX_SIGNAL_FROM_SYSCALL, PX_SIGNAL_FROM_TRAP, PX_SIGNAL_FROM_ENTRY };
/* The exit path's signal work: restarts or EINTR for an interrupted call, default
   actions, and the choice of a signal whose handler runs. PX_EXIT_* bits for entry.S
   (PX_EXIT_XSTATE: a frame to build or a sigreturn's FPU state to load). */
uint32_t px_signal_exit(px_regs *regs, struct px_task *t, enum px_signal_from from);
/* With the guest's FPU state in area: loads what rt_sigreturn read, builds the chosen
   signal's frame (the handler's registers in regs, area in its initial state). */
uint32_t px_signal_exit_xstate(px_regs *regs, struct px_task *t, void *area);
/* entry.S's px_signal_entry: the registers saved when the thread was sent there. */
uint32_t px_signal_entry_work(px_regs *regs, struct px_task *t);
void px_signal_entry(void);
/* The fault handler, after a trap site's syscall (r: its registers, rcx and r11 as after
   the syscall): true when a handler is to run, r then sends the thread to the signal
   entry. */
bool px_signal_trap_exit(px_regs *r, struct px_task *t);
/* A guest fault of info->si_signo at r: true when the guest's handler is to run (r then
   sends the thread to the signal entry), false when the process is to end. */
bool px_signal_fault(px_regs *r, const struct linux_siginfo *info, uint64_t trapno, uint64_t err);
/* Sends sig to the process from a host thread (the itimer): delivered at its task's
   next return to the guest, its wait interrupted, or its guest code interrupted. */
void px_signal_send_process(int sig, const struct linux_siginfo *info);
/* rt_sigtimedwait's and signalfd's work: the calling task's lowest pending signal of set
   (fault signals first) taken into *info, waiting (wait) until one is pending or the
   deadline (NULL: none) passes: the signal, or -EAGAIN (none), -EINTR (a signal with a
   handler came first), -EINVAL, -ENOMEM. */
struct px_deadline;
int64_t px_signal_take_pending(uint64_t set, struct linux_siginfo *info, const struct px_deadline *deadline,
                               bool wait);
/* The signals pending for the calling task: its own and its process's. */
uint64_t px_signal_pending_of_self(void);
/* A task's delivery state, freed with the task (thread_clone.c). */
void px_signal_task_release(struct px_task *t);
/* Whether sig is pending for the process or any of its threads. */
bool px_signal_pending_in_process(int sig);
/* Makes the calling task reachable by px_signal_send_process's redirect (a handle of its
   thread): a timer armed by it. */
void px_signal_prepare_self(void);

/* The guest's action for sig (1..64), or false for an invalid signal. */
bool px_signal_action(int sig, struct linux_sigaction *out);

/* execve: signals with a handler go back to their default action (the handler's code
   is gone); ignored ones stay ignored; the mask and pending signals are kept. */
void px_signal_exec_reset(void);

/* signal_remote.c: sig to the other process of entry e, as its default action says;
   and the calling process's catch and ignore sets, told to the process table. */
struct px_ptable_entry;
/* kill(2)'s work: sig to pid (a process, 0 or -pgid a group, -1 everyone). */
int64_t px_signal_kill(int32_t pid, int sig);
/* rt_sigqueueinfo(2)'s work: info (its si_signo the signal) to process pid. */
int64_t px_signal_queue_info(int32_t pid, struct linux_siginfo *info);
int64_t px_signal_send_remote(const struct px_ptable_entry *e, const struct linux_siginfo *info);
/* The same for thread tid of e (tgkill, rt_tgsigqueueinfo): -LINUX_ESRCH when e has no
   such thread; a signal whose default action ends the process ends it, as Linux. */
int64_t px_signal_send_remote_thread(const struct px_ptable_entry *e, int32_t tid, const struct linux_siginfo *info);
void px_signal_publish(uint64_t caught, uint64_t ignored);
/* The calling process stopped by stop_sig (0: continued): its job report in the process
   table and its parent's SIGCHLD (CLD_STOPPED, CLD_CONTINUED), in one step. */
void px_signal_job_changed(int32_t stop_sig);
/* The calling process ends with wait_status: its table entry ends (px_ptable_exit) and
   its parent gets SIGCHLD. */
void px_signal_process_ends(int32_t wait_status, uint64_t peak_rss);
/* A signal posted by another process, raised in this one (sigbell.c), in two steps, as
   px_signal_send_process: made pending after SIGCHLD's bookkeeping (wait.c); true: another
   thread is to be pushed to it, by px_signal_push, which may wait up to 2 s for it. */
bool px_signal_receive_queue(const struct linux_siginfo *info);
void px_signal_push(int sig);
/* ... and one for thread tid of this process (tgkill from another process): queued
   there (lost if it ended); the thread to push by px_signal_push_thread, or 0. */
int32_t px_signal_receive_thread(int32_t tid, const struct linux_siginfo *info);
void px_signal_push_thread(int32_t tid, int sig);
/* Whether t, suspended at rip, runs guest code (or the rewriter's trampolines), not
   picolx's or Windows' (holding none of their locks): a thread there may be redirected
   to a signal handler, or ended by an execve. */
bool px_task_runs_guest_code(struct px_task *t, uint64_t rip);

/* sigbell.c: the doorbell. start: made for the calling process (once it has its pid);
   post: info to process pid's queue (for its thread tid; 0: the process), its doorbell
   rung. 0, -LINUX_ESRCH (no such process or none with a doorbell), -LINUX_EAGAIN (its
   queue is full). */
void px_sigbell_start(void);
/* Rings the doorbell of the picolx process that Windows process host_pid runs. */
void px_sigbell_ring(uint32_t host_pid);
/* fork added a child: the doorbell thread watches its process too (sigbell.c). */
void px_sigbell_children_changed(void);
int64_t px_sigbell_post(int32_t pid, int32_t tid, const struct linux_siginfo *info);
/* The calling process's table entry ends with wait_status, to_parent (or NULL) queued for
   its parent in the same step (px_ptable_exit) and its doorbell rung: true if it ended here.
   *orphaned: the groups the exit orphaned with stopped members (px_ptable_exit's). */
struct px_ptable_orphaned;
/* px_signal_job_changed's step: the job report and to_parent (or NULL) (px_ptable_set_job). */
void px_sigbell_job(int32_t stop_sig, const struct linux_siginfo *to_parent);
bool px_sigbell_exit(int32_t wait_status, uint64_t peak_rss, const struct linux_siginfo *to_parent,
                     struct px_ptable_orphaned *orphaned);
/* What other processes queued for this one, made pending now by the calling thread (a
   wait that reaped a child: that child's SIGCHLD is pending before the wait returns). */
void px_sigbell_take_now(void);

/* wait.c: child pid's state changed (SIGCHLD came): waits look again; reap: it ended and
   leaves no zombie (SIGCHLD ignored, SA_NOCLDWAIT). */
void px_wait_child_changed(int32_t pid, bool reap);

/* The signal handlers object (Linux's sighand_struct): the 64 actions, shared by
   CLONE_SIGHAND, copied otherwise (clear_handlers: CLONE_CLEAR_SIGHAND, handlers back to
   SIG_DFL, ignored ones kept). save/restore: the hand-over to another Windows process. */
struct px_sighand;
struct px_handoff;
struct px_sighand *px_sighand_new(void);
struct px_sighand *px_sighand_take(struct px_sighand *h);
void px_sighand_drop(struct px_sighand *h);
struct px_sighand *px_sighand_copy(struct px_sighand *from, bool clear_handlers);
bool px_sighand_save(struct px_sighand *h, struct px_handoff *out);
void px_sighand_restore(struct px_sighand *h, const struct px_handoff *in);

/* An execve into another Windows process keeps the pending signals' infos as Linux's
   execve does (the task record carries the pending bits): t's own and its process's,
   with the queued real-time instances in the order they came. */
bool px_signal_save_infos(const struct px_task *t, struct px_handoff *out);
void px_signal_restore_infos(struct px_task *t, const struct px_handoff *in);

#endif
