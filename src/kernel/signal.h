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
int64_t px_signal_send_remote(const struct px_ptable_entry *e, int sig);
void px_signal_publish(uint64_t caught, uint64_t ignored);

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

#endif
