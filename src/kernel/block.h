/* The one way a guest thread blocks (gVisor's Task.Block, Linux's interruptible sleep).

   A blocking call waits on the thing itself (host handles that turn signalled when what it
   waits for may have happened: an event of a wait queue, a pipe's readiness event, a
   process) AND on its task's interrupt event, with an optional deadline. Nothing else in
   the Linux layers calls a host wait that can block a guest thread: a wait that is not
   interruptible by design cannot be made so later (a thread redirected inside a Windows
   wait returns garbage, see shared/notes/processes-on-wine.md).

   The interrupt event is manual-reset and stays set until the cause is dealt with
   (px_task_clear_interrupt: signal delivery on the syscall exit path), so every wait made
   meanwhile returns PX_BLOCK_INTERRUPTED at once, as Linux's signal_pending() does. */
#ifndef PX_KERNEL_BLOCK_H
#define PX_KERNEL_BLOCK_H

#include <stddef.h>
#include <stdint.h>
#include "core/thread.h"
#include "kernel/deadline.h"

enum {
    PX_BLOCK_TIMEDOUT = -1,     /* the deadline passed */
    PX_BLOCK_INTERRUPTED = -2,  /* the task's interrupt event fired: the call returns EINTR (later: restarts) */
    PX_BLOCK_FAILED = -3,       /* the host wait failed (a bad handle): a runtime bug */
};

/* Most handles a wait may name besides its own interrupt event and timer. */
#define PX_BLOCK_MAX_HANDLES 62

/* Waits until one of handles[0..n) is signalled (returns its index), the deadline passes
   (PX_BLOCK_TIMEDOUT; NULL deadline: never) or the calling task is interrupted
   (PX_BLOCK_INTERRUPTED). n may be 0: a plain interruptible sleep. An auto-reset handle
   that is returned was consumed, as by any wait. A thread that is no guest's (a worker)
   cannot be interrupted. */
int px_block(void *const *handles, size_t n, const px_deadline *deadline);

/* The clocks of deadlines (time.c): CLOCK_MONOTONIC, and the one d is measured on. */
int64_t px_clock_monotonic_ns(void);
int64_t px_deadline_now(const px_deadline *d);

/* Sets t's interrupt event: its current or next px_block returns PX_BLOCK_INTERRUPTED.
   Any thread may call it (the signal sender). */
void px_task_interrupt(px_task *t);
/* True while t's interrupt event is set. */
bool px_task_interrupt_pending(px_task *t);
/* Resets t's interrupt event (whoever consumed its cause). */
void px_task_clear_interrupt(px_task *t);

/* The calling task's own host objects for its waits, made on first use and kept for the
   task's life (NULL when they cannot be made): an auto-reset event (futex waits) and a
   high-resolution waitable timer (deadlines). */
void *px_task_futex_event(void);
void *px_task_sleep_timer(void);

#endif
