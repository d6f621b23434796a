/* Signal bookkeeping (src/kernel/signal.c): dispositions and masks the guest has set.
   Delivery is a later issue; these let other subsystems ask what the guest asked for
   (e.g. whether SIGPIPE is ignored). */
#ifndef PX_KERNEL_SIGNAL_H
#define PX_KERNEL_SIGNAL_H

#include <stdint.h>
#include "linux_types.h"

#include "linux_signal.h"

/* The guest's action for sig (1..64), or false for an invalid signal. */
bool px_signal_action(int sig, struct linux_sigaction *out);

/* execve: signals with a handler go back to their default action (the handler's code
   is gone); ignored ones stay ignored; the mask and pending signals are kept. */
void px_signal_exec_reset(void);

/* execve in a new process: the set of ignored signals (bit sig-1), which survive exec,
   read in the old process and set in the new one. */
uint64_t px_signal_ignored_set(void);
void px_signal_adopt_ignored(uint64_t set);

#endif
