/* Signal bookkeeping (src/kernel/signal.c): dispositions and masks the guest has set.
   Delivery is a later issue; these let other subsystems ask what the guest asked for
   (e.g. whether SIGPIPE is ignored). */
#ifndef PX_KERNEL_SIGNAL_H
#define PX_KERNEL_SIGNAL_H

#include <stdbool.h>
#include <stdint.h>
#include "linux_types.h"

#include "linux_signal.h"

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
